"""Twenty sessions browse while a retrain runs in the background and is promoted: no exception
anywhere, and every page view shows one model version, the old one or (once promoted) the new."""

import re
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit import config
from streamlit.runtime import Runtime
from streamlit.runtime.scriptrunner.script_cache import ScriptCache
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.util import build_mock_config_get_option
from support import ADMIN_PASSWORD

from lacrime.ops import admin, auth, jobs, registry

ROOT = Path(__file__).resolve().parents[1]
SESSIONS = 20
PAGES = ("app_pages/overview.py", "app_pages/hourly_forecast.py", "app_pages/hotspot_map.py")
TIMEOUT_S = 300
VERSION_SHOWN = re.compile(r"Model version `([^`]+)`")


@pytest.fixture
def parallel_apptest(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Let AppTest runs overlap in threads, as sessions of one server do.

    AppTest puts its mock runtime in the class attribute `Runtime._instance` at the start of a
    run and clears it at the end, and patches `config.get_option` for the run; overlapping runs
    would clear and unpatch each other's. Here a cleared runtime falls back to the last one set,
    and the option AppTest patches stays on for the whole test. AppTest also compiles the
    scripts afresh on each run, where a server compiles each once under its script cache's lock;
    one shared cache does as the server does (and avoids CPython 3.11's "AST constructor
    recursion depth mismatch" when threads compile at once).
    """
    last: list[Runtime] = []
    scripts = ScriptCache()

    def instance(cls: type[Runtime]) -> Runtime:
        if cls._instance is not None:
            last[:] = [cls._instance]
        if not last:
            raise RuntimeError("Runtime hasn't been created!")
        return cls._instance or last[0]

    monkeypatch.setattr(Runtime, "instance", classmethod(instance))
    monkeypatch.setattr(Runtime, "exists", classmethod(lambda cls: bool(cls._instance or last)))
    monkeypatch.setattr(
        config, "get_option", build_mock_config_get_option({"global.appTest": True})
    )
    monkeypatch.setattr("streamlit.testing.v1.app_test.ScriptCache", lambda: scripts)
    yield


def test_sessions_see_one_version_while_a_retrain_is_promoted(
    small_trained_home: Path, lacrime_home: Path, parallel_apptest: None
) -> None:
    shutil.copytree(small_trained_home, lacrime_home, symlinks=True, dirs_exist_ok=True)
    old = registry.current_version_id()
    gate = auth.Gate({})
    assert gate.sign_in(ADMIN_PASSWORD, auth.hash_password(ADMIN_PASSWORD)).ok
    promoted = threading.Event()
    views: list[dict] = []
    failures: list[str] = []

    def browse(session: int) -> None:
        try:
            at = AppTest.from_file(ROOT / "app.py", default_timeout=120).run()
            view = 0
            while True:
                after_promotion = promoted.is_set()
                page = PAGES[(session + view) % len(PAGES)]
                at.switch_page(page).run()
                views.append(
                    {
                        "session": session,
                        "page": page,
                        "after_promotion": after_promotion,
                        "exceptions": [e.value for e in at.exception],
                        "errors": [e.value for e in at.error],
                        "versions": VERSION_SHOWN.findall(" ".join(m.value for m in at.markdown)),
                    }
                )
                view += 1
                if after_promotion and view >= len(PAGES):
                    return
                time.sleep(2.0)
        except Exception as exc:  # a failure in a thread must reach the test
            failures.append(f"session {session}: {exc!r}")

    threads = [threading.Thread(target=browse, args=(i,)) for i in range(SESSIONS)]
    for thread in threads:
        thread.start()
    job_id = admin.start_training(gate)
    training_started = len(views)
    deadline = time.monotonic() + TIMEOUT_S
    while (status := jobs.job_status(job_id))["state"] in jobs.RUNNING:
        assert time.monotonic() < deadline, "the training did not finish in time"
        time.sleep(0.2)
    assert status["state"] == "done", status
    new = status["version"]
    before_promotion = len(views)
    admin.promote(gate, new, job_id)
    promoted.set()
    for thread in threads:
        thread.join(timeout=TIMEOUT_S)
    assert not any(thread.is_alive() for thread in threads)

    assert failures == []
    assert [v for v in views if v["exceptions"] or v["errors"]] == []
    during = views[training_started:before_promotion]
    assert len({v["session"] for v in during}) == SESSIONS, "every session browsed meanwhile"
    assert all(len(v["versions"]) == 1 for v in views), "each view shows one version, once"
    shown = {v["versions"][0] for v in views}
    assert shown == {old, new}
    assert {v["versions"][0] for v in views if v["after_promotion"]} == {new}
    assert {v["page"] for v in views} == set(PAGES)
