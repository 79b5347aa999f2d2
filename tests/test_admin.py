"""The Admin page, run headless: nothing without signing in, the lockout, bypass attempts, uploads
previewed before anything changes, bad files refused in one line, the exclusion list edited."""

import io
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit import config
from streamlit.testing.v1 import AppTest
from support import ADMIN_PASSWORD, tables
from test_malformed import CORPUS, csv_bytes, portal_frame, tree_digest

from lacrime.data.dataset import read_manifest
from lacrime.data.exclusions import load_exclusions, override_file
from lacrime.ops import admin, audit, auth, jobs, registry
from lacrime.paths import data_dir

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app.py"
ADMIN = "app_pages/admin.py"
CONTROLS = ("button", "file_uploader", "multiselect", "selectbox", "tabs", "dataframe")


@pytest.fixture(autouse=True)
def home(admin_home: Path) -> Path:
    return admin_home


@pytest.fixture
def upload_limit_1mb() -> Iterator[None]:
    old = config.get_option("server.maxUploadSize")
    config.set_option("server.maxUploadSize", 1)
    yield
    config.set_option("server.maxUploadSize", old)


def state_digest(home: Path) -> dict[str, str]:
    """Everything under LACRIME_HOME but the logs, where the audit entries are expected."""
    return {k: v for k, v in tree_digest(home).items() if not k.startswith("logs/")}


def admin_page(direct: bool = False, **query: str) -> AppTest:
    """The Admin page through the app's navigation, or opened directly as a script."""
    at = AppTest.from_file(ROOT / ADMIN if direct else APP, default_timeout=60)
    at.secrets["unrelated"] = "keeps a developer's own secrets.toml out of the test"
    at.query_params.update(query)
    return at


def open_admin(at: AppTest, direct: bool = False) -> AppTest:
    at.run()
    if not direct:
        at.switch_page(ADMIN).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def controls(at: AppTest) -> list[str]:
    """Every interactive element but the sign-in form's, by label."""
    found = []
    for kind in CONTROLS:
        for element in at.get(kind):
            label = getattr(element, "label", kind)
            if label != "Sign in":
                found.append(f"{kind}: {label}")
    return found


def sign_in(at: AppTest, password: str = ADMIN_PASSWORD) -> AppTest:
    at.text_input[0].input(password)
    at.button[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def signed_in_admin() -> AppTest:
    at = sign_in(open_admin(admin_page()))
    assert "button: Sign out" in controls(at)
    return at


def test_no_password_turns_admin_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(auth.HASH_ENV)
    at = open_admin(admin_page())
    assert any("lacrime set-admin-password" in w.value for w in at.warning)
    assert not at.text_input, "no password field when no password is set"
    assert controls(at) == []


def test_nothing_without_signing_in() -> None:
    at = open_admin(admin_page())
    assert [t.label for t in at.text_input] == ["Administrator password"]
    assert at.text_input[0].proto.type == at.text_input[0].proto.PASSWORD
    assert controls(at) == []


def test_wrong_password_is_refused_and_audited() -> None:
    at = sign_in(open_admin(admin_page()), "not the password")
    assert any("Wrong password" in e.value for e in at.error)
    assert controls(at) == []
    entry = audit.latest(1)[0]
    assert (entry["action"], entry["outcome"]) == ("sign in", "refused")
    assert "not the password" not in audit.audit_path().read_text()


def test_lockout_after_five_failures() -> None:
    at = open_admin(admin_page())
    for _ in range(auth.MAX_FAILURES):
        sign_in(at, "guess")
    assert any("locked" in e.value for e in at.error)
    sign_in(at, ADMIN_PASSWORD)
    assert any("locked" in e.value for e in at.error)
    assert controls(at) == [], "the right password is refused while locked out"


def test_right_password_shows_the_actions_and_sign_out_hides_them() -> None:
    at = signed_in_admin()
    assert [t.label for t in at.tabs] == ["Data", "Models", "Exclusions", "Audit log"]
    labels = controls(at)
    for expected in (
        "button: Download from the portal",
        "button: Retrain on the dataset in use",
        "button: Save the list",
        "multiselect: Crime types left out",
    ):
        assert expected in labels
    assert len(at.get("file_uploader")) == 1
    next(b for b in at.button if b.label == "Sign out").click().run()
    assert controls(at) == []
    assert [e["action"] for e in audit.latest(2)] == ["sign out", "sign in"]


FORGED_STATE = {
    "admin": True,
    "authenticated": True,
    "signed_in": True,
    "is_admin": True,
    "admin_signed_in": True,
    "password_correct": True,
    "_lacrime_admin_token": "forged",
}


@pytest.mark.parametrize(
    "route",
    ["query parameters", "session state", "page opened directly", "all at once"],
)
def test_bypass_attempts_show_nothing(route: str) -> None:
    direct = route in ("page opened directly", "all at once")
    query = {"admin": "1", "authenticated": "true", "token": "forged", "tab": "Models"}
    at = admin_page(direct, **(query if route in ("query parameters", "all at once") else {}))
    if route in ("session state", "all at once"):
        for key, value in FORGED_STATE.items():
            at.session_state[key] = value
    open_admin(at, direct)
    assert [t.label for t in at.text_input] == ["Administrator password"]
    assert controls(at) == []
    assert not any("Signed in" in c.value for c in at.caption)


def test_actions_check_the_sign_in_themselves() -> None:
    forged = auth.Gate(dict(FORGED_STATE))
    good = io.BytesIO(csv_bytes(portal_frame()))
    before = state_digest(_home())
    attempts = [
        lambda: admin.start_training(forged),
        lambda: admin.start_fetch(forged, "http://127.0.0.1:9/never"),
        lambda: admin.check_upload(forged, "good.csv", good, max_bytes=2**30),
        lambda: admin.rollback(forged, "20240101T000000.000000Z-abcdef"),
        lambda: admin.save_excluded_types(forged, ["ARSON"], ["ARSON"], "test"),
    ]
    for attempt in attempts:
        with pytest.raises(Exception, match="sign in on the Admin page first"):
            attempt()
    assert state_digest(_home()) == before
    refused = audit.latest(10)
    assert len(refused) == len(attempts)
    assert {(e["who"], e["outcome"]) for e in refused} == {("anonymous", "refused")}
    assert not jobs.jobs_dir().exists(), "no job was started"


def test_retrain_is_refused_while_another_training_holds_the_lock() -> None:
    at = signed_in_admin()
    with registry.training_lock(timeout=0):
        next(b for b in at.button if b.label == "Retrain on the dataset in use").click().run()
    assert [e.value for e in at.error] == [
        f"another training is running (PID {os.getpid()} holds {registry.models_dir() / '.lock'}); "
        "wait for it to finish and try again"
    ]
    assert not jobs.jobs_dir().exists(), "no job was started"
    entry = audit.latest(1)[0]
    assert (entry["action"], entry["outcome"]) == ("retrain", "refused")


def _home() -> Path:
    return data_dir().parent


def upload(at: AppTest, name: str, content: bytes) -> AppTest:
    at.file_uploader[0].upload(name, content).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.parametrize("case", [*CORPUS, "oversize"])
def test_bad_upload_is_one_line_and_changes_nothing(case: str, request) -> None:
    at = signed_in_admin()
    before = state_digest(_home())
    if case == "oversize":
        request.getfixturevalue("upload_limit_1mb")
        name, content, word = "big.csv", csv_bytes(portal_frame()), "over the upload limit"
        upload(at, name, content + b"x" * (2**20 - len(content) + 1))
    else:
        name, build, word = CORPUS[case]
        upload(at, name, build())
    errors = [e.value for e in at.error]
    assert len(errors) == 1, errors
    assert errors[0].startswith(f"{name}: ") and word.lower() in errors[0].lower()
    assert "\n" not in errors[0] and str(_home()) not in errors[0]
    assert not any(b.label.startswith("Accept") for b in at.button)
    assert state_digest(_home()) == before
    entry = audit.latest(1)[0]
    assert (entry["action"], entry["outcome"]) == ("upload", "refused")


def test_upload_is_previewed_then_accepted() -> None:
    at = signed_in_admin()
    before_manifest = read_manifest()
    before = state_digest(_home())
    frame = portal_frame()
    upload(at, "export.csv", csv_bytes(frame))
    assert not at.error, [e.value for e in at.error]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Rows read"] == f"{len(frame):,}"
    kept = int(metrics["Rows kept"].replace(",", ""))
    steps = tables(at)[0]
    assert int(str(steps["Rows left"].iloc[-1]).replace(",", "")) == kept
    assert read_manifest() == before_manifest, "a preview changes nothing"
    assert {k for k in state_digest(_home()) if k not in before} == {
        next(k for k in state_digest(_home()) if k.startswith("data/uploads/.incoming-"))
    }, "only the uploaded copy waits under data/uploads"

    next(b for b in at.button if b.label.startswith("Accept")).click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    manifest = read_manifest()
    assert manifest["dataset_id"] != before_manifest["dataset_id"]
    assert manifest["rows"] == kept and manifest["synthetic"] is False
    assert Path(manifest["source"]) == admin.uploads_dir() / "export.csv"
    assert sorted(p.name for p in admin.uploads_dir().iterdir()) == ["export.csv"]
    assert any(f"Dataset `{manifest['dataset_id']}` is in use" in s.value for s in at.success)
    assert [(e["action"], e["outcome"]) for e in audit.latest(2)] == [
        ("ingest", "ok"),
        ("upload", "ok"),
    ]


def test_cancelled_upload_leaves_no_copy() -> None:
    at = signed_in_admin()
    before = state_digest(_home())
    upload(at, "export.csv", csv_bytes(portal_frame()))
    next(b for b in at.button if b.label == "Cancel").click().run()
    assert state_digest(_home()) == before


def test_exclusions_are_edited_with_a_reason_and_a_retrain_proposal() -> None:
    at = signed_in_admin()
    choice = at.multiselect[0]
    added = next(o for o in choice.options if o not in choice.value)
    dropped = choice.value[0]
    choice.select(added).unselect(dropped)
    next(b for b in at.button if b.label == "Save the list").click().run()
    assert any("say why" in e.value for e in at.error)
    assert not override_file().exists()

    at.multiselect[0].select(added).unselect(dropped)
    at.text_input[0].input("seen in this test")
    next(b for b in at.button if b.label == "Save the list").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    saved = load_exclusions()
    assert saved.source == str(override_file())
    assert saved.rule_for(added).reason == "seen in this test"
    assert saved.rule_for(dropped) is None
    assert set(at.multiselect[0].value) == set(choice.value) | {added} - {dropped}
    assert any("applies from the next ingest" in i.value for i in at.info)
    assert any("not a file on this server" in m.value for m in at.markdown), (
        "the demo's source cannot be re-ingested, and the page says what to do instead"
    )
    entry = audit.latest(1)[0]
    assert (entry["action"], entry["outcome"]) == ("edit exclusions", "ok")


def test_audit_log_is_shown_newest_first() -> None:
    at = signed_in_admin()
    at.switch_page(ADMIN).run()
    shown = at.dataframe[0].value
    on_disk = [json.loads(line) for line in audit.audit_path().read_text().splitlines()]
    assert shown["action"].tolist() == [e["action"] for e in reversed(on_disk)]
    assert shown["action"].iloc[0] == "sign in"
