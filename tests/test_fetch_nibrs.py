"""`lacrime fetch` against a local portal: the legacy archive once, the NIBRS offenses page by
page and then incrementally, and every failure one clear line with nothing in use changed."""

import time
from pathlib import Path

import pandas as pd
import pytest
from nibrs_files import offences
from portal_server import Portal
from test_malformed import tree_digest

from lacrime.cli import main
from lacrime.data.dataset import load_dataset, prepare, read_manifest
from lacrime.data.demo_nibrs import write_switch_demo
from lacrime.data.fetch import retry_after
from lacrime.data.sync import TOKEN_ENV, store_path
from lacrime.paths import data_dir, home, secrets_file

LEGACY, NIBRS, NEWER = "2nrs-mtv8", "y8y3-fqfu", "k7nn-b2ep"
PAGE_ROWS = 2_000


@pytest.fixture(scope="module")
def history(tmp_path_factory) -> tuple[Path, pd.DataFrame]:
    """A synthetic history switching to NIBRS on 2023-10-05: the legacy export's bytes and
    the NIBRS offences (made from the demo's aggregate calibration)."""
    folder = tmp_path_factory.mktemp("history")
    legacy, nibrs = write_switch_demo(folder, rows=40_000, seed=4, days=140, switch="2023-10-05")
    return legacy, pd.read_csv(nibrs, dtype=str)


def _portal_file(server: Portal, **changes: object) -> None:
    """A portal.toml under LACRIME_HOME pointing at the local server, with small pages."""
    settings = {
        "base_url": f'"{server.base}"',
        "page_rows": PAGE_ROWS,
        "overlap_days": 30,
        "retries": 2,
        "backoff_s": 0.01,
        "max_wait_s": 5,
        **{k: (f'"{v}"' if isinstance(v, str) else v) for k, v in changes.items()},
    }
    lines = [f"{k} = {v}" for k, v in settings.items()]
    lines += ["[legacy]", f'id = "{LEGACY}"', "[[nibrs]]", f'id = "{NIBRS}"']
    lines += ["[[nibrs]]", f'id = "{NEWER}"']
    home().mkdir(parents=True, exist_ok=True)
    (home() / "portal.toml").write_text("\n".join(lines) + "\n")


@pytest.fixture
def portal(history) -> Portal:
    legacy, nibrs = history
    server = Portal()
    server.exports[LEGACY] = legacy.read_bytes()
    newer = nibrs["date_rptd"] >= "2023-12-15"  # the newer dataset takes over at some point
    server.resources[NIBRS] = nibrs[~newer].reset_index(drop=True)
    server.resources[NEWER] = nibrs[newer].reset_index(drop=True)
    server.thread.start()
    _portal_file(server)
    yield server
    server.shutdown()
    server.server_close()


def _fetch(capsys) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["fetch"])
    out, err = capsys.readouterr()
    return code, out, err


def _installed() -> dict[str, str]:
    """Everything in use: the dataset and the files the next fetch builds on."""
    held = {p.name: p.read_bytes() for p in (store_path(NIBRS), store_path(NEWER)) if p.exists()}
    return {**tree_digest(data_dir() / "current"), **{k: str(hash(v)) for k, v in held.items()}}


def test_first_fetch_gets_the_archive_once_and_every_offence_page_by_page(
    portal, history, capsys, monkeypatch, tmp_path
):
    monkeypatch.setenv(TOKEN_ENV, "token-from-the-environment")
    code, out, err = _fetch(capsys)
    assert code == 0, err
    manifest = read_manifest()
    assert [s["format"] for s in manifest["sources"]] == ["legacy", "nibrs", "nibrs"]
    assert len(portal.requests_to("/api/views/")) == 1
    pages = portal.requests_to(f"/resource/{NIBRS}.csv")
    offsets = [int(query["$offset"]) for _, query, _ in pages]
    rows = len(portal.resources[NIBRS])
    assert offsets == list(range(0, rows + 1, PAGE_ROWS))
    for _, query, headers in pages:
        assert query["$limit"] == str(PAGE_ROWS) and query["$order"] == ":id"
        assert "$where" not in query
        assert headers["X-App-Token"] == "token-from-the-environment"
    # The same history as ingesting the files themselves.
    legacy, nibrs = history
    nibrs_csv = tmp_path / "nibrs.csv"
    nibrs.to_csv(nibrs_csv, index=False)
    expected, _ = prepare([legacy, nibrs_csv])
    fetched = load_dataset()
    key = ["dr_no"]
    pd.testing.assert_frame_equal(
        fetched.sort_values(key, ignore_index=True), expected.sort_values(key, ignore_index=True)
    )
    assert "transition to NIBRS, by area" in out


def test_next_fetch_asks_only_for_what_is_new_and_replaces_republished_offences(portal, capsys):
    assert _fetch(capsys)[0] == 0
    first = read_manifest()
    latest = {
        dataset: pd.to_datetime(pd.read_parquet(store_path(dataset))["date_rptd"]).max()
        for dataset in (NIBRS, NEWER)
    }
    newer = offences(1_500, seed=9, start="2024-01-01", days=10, first_number=880_000_001)
    published = portal.resources[NEWER]
    edited = published[published["date_rptd"] == published["date_rptd"].max()].iloc[[0]].copy()
    edited["premis_desc"] = "PARKING LOT (RE-PUBLISHED)"
    portal.publish(NEWER, pd.concat([newer, edited], ignore_index=True))
    before = len(portal.requests_to("/resource/"))

    code, _, err = _fetch(capsys)
    assert code == 0, err
    assert len(portal.requests_to("/api/views/")) == 1  # the archive is not asked for again
    asked = portal.requests_to("/resource/")[before:]
    for dataset, day in latest.items():
        since = (day - pd.Timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%S")
        wheres = {query["$where"] for path, query, _ in asked if dataset in path}
        assert wheres == {f"date_rptd >= '{since}'"}, dataset
    store = pd.read_parquet(store_path(NEWER)).set_index("uniquenibrno")
    assert store["premis_desc"][edited["uniquenibrno"].iloc[0]] == "PARKING LOT (RE-PUBLISHED)"
    assert store.index.is_unique and set(newer["uniquenibrno"]) <= set(store.index)
    manifest = read_manifest()
    assert manifest["dataset_id"] != first["dataset_id"]
    assert manifest["date_range"][1] > first["date_range"][1]

    code, out, _ = _fetch(capsys)  # nothing new: nothing re-ingested
    assert code == 0 and "Nothing new" in out
    assert read_manifest()["dataset_id"] == manifest["dataset_id"]


def test_a_token_in_the_secrets_file_is_sent(portal, capsys, monkeypatch):
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    secrets_file().parent.mkdir(parents=True, exist_ok=True)
    secrets_file().write_text('socrata_app_token = "token-from-secrets"\n')
    assert _fetch(capsys)[0] == 0
    tokens = {h.get("X-App-Token") for _, _, h in portal.requests_to("/")}
    assert tokens == {"token-from-secrets"}


def test_json_pages_give_the_same_dataset(portal, capsys):
    assert _fetch(capsys)[0] == 0
    as_csv = load_dataset()
    for path in (store_path(NIBRS), store_path(NEWER)):
        path.unlink()
    _portal_file(portal, api_format="json")
    assert _fetch(capsys)[0] == 0
    assert portal.requests_to(f"/resource/{NIBRS}.json")
    pd.testing.assert_frame_equal(load_dataset(), as_csv)


@pytest.mark.parametrize("fault", ["429", "503", "drop"])
def test_throttling_failures_and_dropped_connections_are_retried(portal, capsys, fault):
    portal.faults.extend([fault, fault])
    portal.retry_after = "1" if fault == "429" else "0"
    started = time.monotonic()
    code, _, err = _fetch(capsys)
    assert code == 0, err
    if fault == "429":
        assert time.monotonic() - started >= 2.0  # Retry-After: 1, twice
    pages = len(portal.resources[NIBRS]) // PAGE_ROWS + 1
    assert len(portal.requests_to(f"/resource/{NIBRS}")) == pages + 2


def test_a_failed_fetch_resumes_at_the_page_it_stopped_at(portal, capsys):
    portal.faults.extend(["", "", "503", "503", "503"])  # the third page fails every attempt
    code, _, err = _fetch(capsys)
    assert code == 2 and "failed after 3 attempts: HTTP 503" in err
    assert not (data_dir() / "current").exists()
    code, _, err = _fetch(capsys)
    assert code == 0, err
    offsets = [int(q["$offset"]) for _, q, _ in portal.requests_to(f"/resource/{NIBRS}")]
    assert offsets[:5] == [0, PAGE_ROWS, 2 * PAGE_ROWS, 2 * PAGE_ROWS, 2 * PAGE_ROWS]
    assert offsets[5:] == list(range(2 * PAGE_ROWS, len(portal.resources[NIBRS]) + 1, PAGE_ROWS))


def _fail(capsys, word: str) -> None:
    code, _, err = _fetch(capsys)
    assert code == 2 and err.count("\n") == 1 and err.startswith("lacrime: error: "), err
    assert word in err and "Traceback" not in err


FAILURES = {
    "html": (lambda server: server.faults.append("html"), "HTML"),
    "always 503": (lambda server: server.faults.extend(["503"] * 9), "HTTP 503"),
    "unknown id": (lambda server: server.resources.pop(NEWER), "404"),
    "over the size cap": (lambda server: _portal_file(server, max_bytes=50_000), "limit"),
}


@pytest.mark.parametrize("case", list(FAILURES))
def test_a_failure_is_one_line_and_changes_nothing_in_use(portal, capsys, case):
    assert _fetch(capsys)[0] == 0
    portal.publish(
        NEWER, offences(300, seed=11, start="2024-01-05", days=5, first_number=890_000_001)
    )
    before = _installed()
    spoil, word = FAILURES[case]
    spoil(portal)
    _fail(capsys, word)
    assert _installed() == before


def test_an_archive_that_is_not_the_legacy_data_is_not_kept(portal, capsys):
    portal.exports[LEGACY] = b"caseno,uniquenibrno\n1,2\n"
    _fail(capsys, "not the legacy crime data")
    assert not (data_dir() / "downloads" / f"legacy-{LEGACY}.csv").exists()
    assert not (data_dir() / "current").exists()


def test_retry_after_reads_seconds_and_dates() -> None:
    now = pd.Timestamp("2024-03-07 12:00:00", tz="UTC").to_pydatetime()
    assert retry_after("7") == 7.0
    assert retry_after("Thu, 07 Mar 2024 12:00:30 GMT", now) == 30.0
    assert retry_after("Thu, 07 Mar 2024 11:00:00 GMT", now) == 0.0
    assert retry_after("soon") is None and retry_after(None) is None
