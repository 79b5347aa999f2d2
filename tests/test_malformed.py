"""A corpus of malformed inputs: each is refused in one line, with exit 2, changing nothing.

The inputs are built from a small synthetic export (never real rows) and broken in one way
each, the ways files really arrive broken: truncated downloads, HTML error pages, Excel in
the wrong encoding, a different delimiter, columns renamed, values in the wrong format.
"""

import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from nibrs_files import offences

from lacrime.cli import main
from lacrime.data.demo import generate

ROWS = 400


def portal_frame() -> pd.DataFrame:
    return generate(rows=ROWS, seed=11, start="2024-01-01", days=60)


def csv_bytes(frame: pd.DataFrame, **kwargs) -> bytes:
    return frame.to_csv(index=False, **kwargs).encode("utf-8")


def spoil(column: str, value: str, share: float = 0.1) -> Callable[[], bytes]:
    def build() -> bytes:
        frame = portal_frame()
        frame.loc[frame.index[: int(len(frame) * share)], column] = value
        return csv_bytes(frame)

    return build


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def parquet(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer)
    return buffer.getvalue()


def non_utf8() -> bytes:
    frame = portal_frame()
    frame["Crm Cd Desc"] = "VOL SIMPLE DE V\u00c9HICULE"
    return frame.to_csv(index=False).encode("latin-1")


def truncated_rows() -> bytes:
    lines = csv_bytes(portal_frame()).decode().splitlines()
    broken = [line if i % 10 else ",".join(line.split(",")[:5]) for i, line in enumerate(lines)]
    return ("\n".join([lines[0]] + broken[1:]) + "\n").encode()


def nibrs_frame() -> pd.DataFrame:
    return offences(rows=ROWS, seed=11, start="2024-03-07", days=28)


def nibrs_spoil(column: str, value: str, share: float = 0.1) -> Callable[[], bytes]:
    def build() -> bytes:
        frame = nibrs_frame()
        frame.loc[frame.index[: int(len(frame) * share)], column] = value
        return csv_bytes(frame)

    return build


def nibrs_json(records: object) -> Callable[[], bytes]:
    return lambda: json.dumps(records).encode()


def all_zero_coordinates() -> bytes:
    frame = portal_frame()
    frame["LAT"] = "0"
    frame["LON"] = "0"
    return csv_bytes(frame)


CORPUS: dict[str, tuple[str, Callable[[], bytes], str]] = {
    # name: (file name, content, a word the message must contain)
    "empty": ("empty.csv", lambda: b"", "empty"),
    "header only": ("header.csv", lambda: csv_bytes(portal_frame().head(0)), "no rows"),
    "blank first line": ("blank.csv", lambda: b"\n\n" + csv_bytes(portal_frame()), "empty"),
    "binary garbage": ("garbage.csv", lambda: os.urandom(3000) + b"\x00" * 10, "binary"),
    "png image": (
        "map.png",
        lambda: b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64,
        "binary",
    ),
    "latin-1 text": ("latin1.csv", non_utf8, "UTF-8"),
    "html error page": (
        "rows.csv",
        lambda: b"<!DOCTYPE html><html><body>Error</body></html>",
        "HTML",
    ),
    "json": ("rows.json", lambda: b'{"error": true, "message": "rate limited"}', "JSON"),
    "missing LAT": ("nolat.csv", lambda: csv_bytes(portal_frame().drop(columns="LAT")), "lat"),
    "only DR_NO": ("dr.csv", lambda: csv_bytes(portal_frame()[["DR_NO"]]), "date_occ"),
    "semicolons": ("semi.csv", lambda: csv_bytes(portal_frame(), sep=";"), "missing"),
    "dates as words": ("words.csv", spoil("DATE OCC", "yesterday", 1.0), "date_occ"),
    "day-first dates": ("dmy.csv", spoil("DATE OCC", "23/02/2024 00:00"), "date_occ"),
    "time 2500": ("t2500.csv", spoil("TIME OCC", "2500"), "time_occ"),
    "time minutes 75": ("t75.csv", spoil("TIME OCC", "1275"), "time_occ"),
    "time as text": ("noon.csv", spoil("TIME OCC", "noon"), "time_occ"),
    "coordinates as text": ("lat.csv", spoil("LAT", "north"), "lat"),
    "report number as text": ("dr.csv", spoil("DR_NO", "ABC-1"), "dr_no"),
    "wrong field counts": ("short.csv", truncated_rows, "fields"),
    "truncated gzip": (
        "cut.csv.gz",
        lambda: gzip.compress(csv_bytes(portal_frame()))[:900],
        "cannot be read",
    ),
    "gzip of garbage": ("g.csv.gz", lambda: gzip.compress(os.urandom(2000) + b"\x00"), "binary"),
    "zip without csv": ("a.zip", lambda: zipped({"readme.txt": b"hello"}), "exactly one"),
    "zip with two csvs": ("b.zip", lambda: zipped({"a.csv": b"x", "b.csv": b"y"}), "exactly one"),
    "corrupt zip": ("c.zip", lambda: b"PK\x03\x04" + os.urandom(500), "cannot be read"),
    "corrupt parquet": ("c.parquet", lambda: b"PAR1" + os.urandom(500), "Parquet"),
    "parquet without coordinates": (
        "p.parquet",
        lambda: parquet(portal_frame().drop(columns=["LAT", "LON"])),
        "lon",
    ),
    "nothing left after cleaning": ("zero.csv", all_zero_coordinates, "no rows left"),
    # NIBRS offence files, broken the same ways
    "nibrs without coordinates": (
        "offenses.csv",
        lambda: csv_bytes(nibrs_frame().drop(columns=["hndrdth_lat"])),
        "hndrdth_lat",
    ),
    "nibrs without offence ids": (
        "offenses.csv",
        lambda: csv_bytes(nibrs_frame().drop(columns=["uniquenibrno", "nibr_code"])),
        "uniquenibrno",
    ),
    "nibrs case numbers as text": ("cases.csv", nibrs_spoil("caseno", "LA-24-001"), "caseno"),
    "nibrs dates as words": ("days.csv", nibrs_spoil("date_occ", "last week", 1.0), "date_occ"),
    "nibrs time 2500": ("t2500.csv", nibrs_spoil("time_occ", "2500"), "time_occ"),
    "nibrs json object": (
        "offenses.json",
        nibrs_json({"error": True, "message": "Unknown column"}),
        "JSON",
    ),
    "nibrs json cut off": (
        "offenses.json",
        lambda: nibrs_frame().to_json(orient="records").encode()[:5000],
        "not valid JSON",
    ),
    "nibrs json of numbers": ("offenses.json", nibrs_json([1, 2, 3]), "missing"),
    "nibrs parquet without caseno": (
        "offenses.parquet",
        lambda: parquet(nibrs_frame().drop(columns=["caseno"])),
        "caseno",
    ),
}


def tree_digest(root: Path) -> dict[str, str]:
    """Every file and link under root, by content, so any change at all is seen."""
    digest = {}
    for path in sorted(root.rglob("*")):
        key = str(path.relative_to(root))
        if path.is_symlink():
            digest[key] = "-> " + os.readlink(path)
        elif path.is_file():
            digest[key] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digest


@pytest.fixture
def installed(lacrime_home: Path, tmp_path: Path) -> dict[str, str]:
    good = tmp_path / "good.csv"
    good.write_bytes(csv_bytes(portal_frame()))
    assert main(["ingest", str(good)]) == 0
    return tree_digest(lacrime_home)


def test_corpus_is_large_enough():
    assert len(CORPUS) >= 20


@pytest.mark.parametrize("case", list(CORPUS))
def test_malformed_input_is_refused_in_one_line(case, installed, lacrime_home, tmp_path, capsys):
    name, build, word = CORPUS[case]
    path = tmp_path / "bad" / name
    path.parent.mkdir()
    path.write_bytes(build())
    capsys.readouterr()
    assert main(["ingest", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("lacrime: error: ")
    assert str(path) in err
    assert word.lower() in err.lower()
    assert "Traceback" not in err
    assert tree_digest(lacrime_home) == installed


def test_missing_file_is_refused(capsys):
    assert main(["ingest", "/nonexistent/export.csv"]) == 2
    assert "/nonexistent/export.csv: no such file" in capsys.readouterr().err


def test_a_few_bad_rows_are_dropped_and_counted(tmp_path):
    frame = portal_frame()
    frame.loc[frame.index[:2], "DATE OCC"] = "not a date"  # 0.5%, under the 1% threshold
    path = tmp_path / "few.csv"
    path.write_bytes(csv_bytes(frame))
    assert main(["ingest", str(path)]) == 0
    from lacrime.data.dataset import read_manifest

    step = read_manifest()["report"]["steps"][1]
    assert step["step"] == "missing_required_value"
    assert step["detail"]["date_occ"]["unparseable"] == 2


def test_the_process_shows_no_traceback(tmp_path, lacrime_home):
    path = tmp_path / "page.csv"
    path.write_bytes(b"<html><body>502 Bad Gateway</body></html>")
    result = subprocess.run(
        [sys.executable, "-m", "lacrime", "ingest", str(path)],
        capture_output=True,
        text=True,
        env={**os.environ, "LACRIME_HOME": str(lacrime_home)},
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "Traceback" not in result.stderr
