"""The portal download against a real HTTP server on 127.0.0.1 that misbehaves on purpose."""

import csv
import gzip
import io
import random
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from test_malformed import tree_digest

from lacrime.cli import main
from lacrime.data.dataset import read_manifest
from lacrime.data.fetch import download
from lacrime.data.sources.legacy import PORTAL_COLUMNS
from lacrime.errors import LacrimeError
from lacrime.paths import data_dir

AREAS = ("Central", "Rampart", "Southwest", "Hollenbeck", "Harbor", "Hollywood", "Wilshire")
CRIMES = (
    ("510", "VEHICLE - STOLEN"),
    ("330", "BURGLARY FROM VEHICLE"),
    ("624", "BATTERY - SIMPLE ASSAULT"),
    ("740", "VANDALISM - FELONY ($400 & OVER, ALL CHURCH VANDALISMS)"),
)


def _portal_csv(rows: int = 2000) -> bytes:
    """Made-up rows in the portal's export format, so the server has something realistic."""
    rng = random.Random(20240201)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=PORTAL_COLUMNS, restval="", lineterminator="\n")
    writer.writeheader()
    for i in range(rows):
        area = rng.randrange(len(AREAS))
        crm_cd, crm_desc = rng.choice(CRIMES)
        day = f"{rng.randint(1, 12):02d}/{rng.randint(1, 28):02d}/2024 12:00:00 AM"
        writer.writerow(
            {
                "DR_NO": 240100000 + i,
                "Date Rptd": day,
                "DATE OCC": day,
                "TIME OCC": f"{rng.randrange(24):02d}{rng.randrange(60):02d}",
                "AREA": f"{area + 1:02d}",
                "AREA NAME": AREAS[area],
                "Rpt Dist No": f"{area + 1:02d}{rng.randrange(100):02d}",
                "Part 1-2": rng.choice("12"),
                "Crm Cd": crm_cd,
                "Crm Cd Desc": crm_desc,
                "Mocodes": "0344 1822",
                "Vict Age": rng.randint(0, 90),
                "Vict Sex": rng.choice("MFX"),
                "Vict Descent": rng.choice("HWBO"),
                "Premis Cd": 101,
                "Premis Desc": "STREET",
                "Status": "IC",
                "Status Desc": "Invest Cont",
                "Crm Cd 1": crm_cd,
                "LOCATION": f"{rng.randint(100, 9999)} W 7TH ST",
                "LAT": f"{rng.uniform(33.75, 34.30):.4f}",
                "LON": f"{rng.uniform(-118.65, -118.20):.4f}",
            }
        )
    return out.getvalue().encode()


BODY = _portal_csv()
HTML = b"<!DOCTYPE html>\n<html><head><title>Maintenance</title></head><body></body></html>\n"


class _Portal(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.seen: list[tuple[str, dict[str, str]]] = []
        self.lock = threading.Lock()
        self.release = threading.Event()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"

    def requests_to(self, path: str) -> list[dict[str, str]]:
        with self.lock:
            return [headers for seen_path, headers in self.seen if seen_path == path]


class _Handler(BaseHTTPRequestHandler):
    server: _Portal

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        with self.server.lock:
            self.server.seen.append((self.path, dict(self.headers)))
            first = sum(path == self.path for path, _ in self.server.seen) == 1
        half = len(BODY) // 2
        match self.path:
            case "/rows.csv":
                self._send(BODY)
            case "/drop-range.csv":
                self._send(BODY, cut=half if first else None)
            case "/drop-norange.csv":
                self._send(BODY, ranges=False, cut=half if first else None)
            case "/drop-gzip.csv" if first and "gzip" in self.headers.get("Accept-Encoding", ""):
                packed = gzip.compress(BODY)
                self._send(packed, cut=len(packed) // 2, extra={"Content-Encoding": "gzip"})
            case "/drop-gzip.csv":
                self._send(BODY)
            case "/page.html":
                self._send(HTML, content_type="text/html; charset=utf-8")
            case "/sniff.csv":
                self._send(HTML)
            case "/unsized.csv":
                self._send(BODY, sized=False)
            case "/error.csv":
                self.send_error(500)
            case "/stall-head.csv":
                self.server.release.wait(10)
            case "/stall-body.csv":
                self._send(BODY, cut=1000)
                self.wfile.flush()
                self.server.release.wait(10)
            case _:
                self.send_error(404)

    def _send(
        self,
        data: bytes,
        *,
        ranges: bool = True,
        sized: bool = True,
        cut: int | None = None,
        content_type: str = "text/csv; charset=utf-8",
        extra: dict[str, str] | None = None,
    ) -> None:
        """Answer like a file server; `cut` ends the body early, as a dropped connection does."""
        start = 0
        asked = self.headers.get("Range")
        if ranges and asked:
            start = int(asked.removeprefix("bytes=").rstrip("-"))
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        if ranges:
            self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Type", content_type)
        if sized:
            self.send_header("Content-Length", str(len(data) - start))
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data[start:cut])


@pytest.fixture
def portal():
    server = _Portal()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def dest(tmp_path) -> Path:
    """In a directory of its own, so a test can check that nothing else was written there."""
    return tmp_path / "downloads" / "lapd_crime.csv"


def _fetch(portal: _Portal, path: str, dest: Path, **kwargs: object) -> Path:
    options = {"timeout": 5.0, "backoff": 0.01, "progress": False, "chunk_size": 16 * 1024}
    return download(portal.url(path), dest, **{**options, **kwargs})


def test_plain_download_is_identical_and_shows_progress_on_stderr(portal, dest, capsys):
    assert _fetch(portal, "/rows.csv", dest, progress=True) == dest

    assert dest.read_bytes() == BODY
    assert [p.name for p in dest.parent.iterdir()] == ["lapd_crime.csv"]
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "lapd_crime.csv" in captured.err


def test_dropped_connection_resumes_with_a_range_request(portal, dest):
    _fetch(portal, "/drop-range.csv", dest)

    assert dest.read_bytes() == BODY
    first, second = portal.requests_to("/drop-range.csv")
    assert "Range" not in first
    resumed_at = int(second["Range"].removeprefix("bytes=").rstrip("-"))
    assert 0 < resumed_at <= len(BODY) // 2
    assert [p.name for p in dest.parent.iterdir()] == ["lapd_crime.csv"]


def test_dropped_connection_without_range_support_starts_over(portal, dest):
    _fetch(portal, "/drop-norange.csv", dest)

    assert dest.read_bytes() == BODY
    assert len(portal.requests_to("/drop-norange.csv")) == 2


def test_dropped_gzip_transfer_resumes_on_the_unencoded_body(portal, dest):
    _fetch(portal, "/drop-gzip.csv", dest)

    assert dest.read_bytes() == BODY
    first, second = portal.requests_to("/drop-gzip.csv")
    assert "gzip" in first["Accept-Encoding"]
    assert second["Accept-Encoding"] == "identity"
    assert int(second["Range"].removeprefix("bytes=").rstrip("-")) > 0


def test_failed_call_keeps_the_partial_and_the_next_call_resumes(portal, dest):
    part = dest.with_name("lapd_crime.csv.part")

    with pytest.raises(LacrimeError, match="after 1 attempt:.*is kept") as failure:
        _fetch(portal, "/drop-range.csv", dest, retries=0)

    assert portal.url("/drop-range.csv") in str(failure.value)
    assert not dest.exists()
    kept = part.read_bytes()
    assert 0 < len(kept) <= len(BODY) // 2
    assert kept == BODY[: len(kept)]

    _fetch(portal, "/drop-range.csv", dest, retries=0)

    assert dest.read_bytes() == BODY
    assert portal.requests_to("/drop-range.csv")[-1]["Range"] == f"bytes={len(kept)}-"
    assert not part.exists()


def test_unreachable_server_is_retried_then_named(dest):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}/rows.csv"

    with pytest.raises(LacrimeError, match="after 2 attempts: could not connect") as failure:
        download(url, dest, retries=1, backoff=0.01, progress=False)

    assert url in str(failure.value)
    assert not dest.exists()


HALF = {"max_bytes": len(BODY) // 2}
STALL = {"timeout": 0.2, "retries": 1}
# path, options, what the error says, requests made, whether the partial is removed
FAILURES = [
    pytest.param("/page.html", {}, "HTML page instead of CSV", 1, True, id="html-content-type"),
    pytest.param("/sniff.csv", {}, "HTML page instead of CSV", 1, True, id="html-body"),
    pytest.param("/missing.csv", {}, "HTTP 404", 1, False, id="not-found"),
    pytest.param("/error.csv", {"retries": 2}, "HTTP 500", 3, False, id="server-error"),
    pytest.param("/rows.csv", HALF, f"is {len(BODY):,} bytes, over", 1, True, id="too-big"),
    pytest.param("/unsized.csv", HALF, "grew over the limit", 1, True, id="grows-too-big"),
    pytest.param("/stall-head.csv", STALL, "timeout", 2, False, id="stall-before-headers"),
    pytest.param("/stall-body.csv", STALL, "timeout", 2, False, id="stall-mid-body"),
]


@pytest.mark.parametrize("earlier_copy", [b"", b"DR_NO,an earlier good download\n"])
@pytest.mark.parametrize(("path", "options", "message", "attempts", "rejected"), FAILURES)
def test_failure_is_one_line_and_leaves_dest_untouched(
    portal, dest, path, options, message, attempts, rejected, earlier_copy
):
    if earlier_copy:
        dest.parent.mkdir()
        dest.write_bytes(earlier_copy)

    with pytest.raises(LacrimeError, match=message) as failure:
        _fetch(portal, path, dest, **options)

    text = str(failure.value)
    assert portal.url(path) in text
    assert "\n" not in text
    assert len(portal.requests_to(path)) == attempts
    if earlier_copy:
        assert dest.read_bytes() == earlier_copy
    else:
        assert not dest.exists()
    left = {p.name for p in dest.parent.iterdir()} - {dest.name}
    if rejected:
        assert left == set()
    else:
        assert left <= {"lapd_crime.csv.part"}


def test_fetch_command_installs_the_download_and_a_bad_one_changes_nothing(portal, capsys):
    """`lacrime fetch`: download (resuming a dropped transfer), validate, swap in atomically."""
    url = portal.url("/drop-range.csv")
    assert main(["fetch", "--url", url]) == 0
    manifest = read_manifest()
    assert manifest["source"] == url
    assert manifest["report"]["rows_in"] == len(BODY.splitlines()) - 1
    installed = tree_digest(data_dir() / "current")
    capsys.readouterr()
    assert main(["fetch", "--url", portal.url("/page.html")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "HTML" in err
    assert read_manifest()["dataset_id"] == manifest["dataset_id"]
    assert tree_digest(data_dir() / "current") == installed
