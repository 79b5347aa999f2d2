"""Ingest of the real extract and of its common re-saved forms."""

import gzip
import json
import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from lacrime.cli import main
from lacrime.data.dataset import load_dataset, read_manifest
from lacrime.data.exclusions import load_exclusions
from lacrime.data.schema import CLEAN_COLUMNS
from lacrime.data.sources.legacy import DEMOGRAPHIC_COLUMNS


def excel_resave(real: Path, dest: Path) -> Path:
    """What Excel does to the portal CSV: unpadded codes and times, short dates, extra columns."""
    raw = pd.read_csv(real, dtype=str, keep_default_na=False)
    for column in ("TIME OCC", "AREA", "Rpt Dist No"):
        raw[column] = raw[column].str.lstrip("0").replace("", "0")
    for column in ("Date Rptd", "DATE OCC"):
        day = pd.to_datetime(raw[column], format="%m/%d/%Y %I:%M:%S %p")
        raw[column] = [f"{d.month}/{d.day}/{d.year} 0:00" for d in day]
    raw["Year"] = raw["DATE OCC"].str.rsplit("/", n=1).str[-1].str[:4]
    raw[""] = ""
    raw.insert(3, " ", "")
    raw.to_csv(dest, index=False)
    return dest


def test_real_extract_ingests_with_counts(real_data_path):
    assert main(["ingest", str(real_data_path)]) == 0
    manifest = read_manifest()
    report = manifest["report"]
    removed = sum(step["removed"] for step in report["steps"])
    assert report["rows_in"] == 27_775
    assert report["rows_in"] - removed == report["rows_out"] == manifest["rows"]
    assert {s["step"] for s in report["steps"]} >= {
        "duplicate_rows",
        "duplicate_dr_no",
        "zero_coordinates",
        "outside_los_angeles",
        "occurred_after_reported",
        "occurred_in_future",
        "excluded_crime_type",
    }
    frame = load_dataset()
    assert list(frame.columns) == list(CLEAN_COLUMNS)
    assert not set(DEMOGRAPHIC_COLUMNS) & set(frame.columns)
    assert not load_exclusions().matches(frame).any()
    assert frame["dr_no"].is_unique
    assert manifest["source_sha256"] and not manifest["synthetic"]


def test_info_json_is_the_manifest(real_data_path, capsys):
    main(["ingest", str(real_data_path)])
    capsys.readouterr()
    assert main(["info", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == read_manifest()
    excluded = next(s for s in printed["report"]["steps"] if s["step"] == "excluded_crime_type")
    assert excluded["detail"]  # excluded types, counted by type
    areas = printed["history"]["areas"]
    assert areas["Central"]["transition"] == "2024-03-07"
    assert areas["Harbor"]["transition"] is None  # no switch in the extract, no NIBRS data


def test_excel_resave_gives_the_same_dataset(real_data_path, tmp_path):
    main(["ingest", str(real_data_path)])
    portal = load_dataset()
    main(["ingest", str(excel_resave(real_data_path, tmp_path / "excel.csv"))])
    excel = load_dataset()
    pd.testing.assert_frame_equal(portal, excel)


@pytest.mark.parametrize("form", ["csv", "gzip", "zip", "parquet"])
def test_every_container_gives_the_same_dataset(real_data_path, tmp_path, form):
    main(["ingest", str(real_data_path)])
    expected = load_dataset()
    plain = tmp_path / "export.csv"
    with gzip.open(real_data_path) as src, plain.open("wb") as dst:
        shutil.copyfileobj(src, dst)
    if form == "csv":
        path = plain
    elif form == "gzip":
        path = real_data_path
    elif form == "zip":
        path = tmp_path / "export.zip"
        with zipfile.ZipFile(path, "w") as archive:
            archive.write(plain, "Crime_Data_from_2020_to_Present.csv")
    else:
        path = tmp_path / "export.parquet"
        pd.read_csv(plain, dtype=str).to_parquet(path)
    assert main(["ingest", str(path)]) == 0
    pd.testing.assert_frame_equal(load_dataset(), expected)


def test_cleaning_steps_remove_what_they_say(real_data_path, tmp_path):
    raw = pd.read_csv(real_data_path, dtype=str, keep_default_na=False).head(3000)
    raw = pd.concat([raw, raw.iloc[:5]])  # 5 identical rows
    changed = raw.iloc[5:9].copy()
    changed["Status"] = "XX"
    raw = pd.concat([raw, changed])  # 4 same DR_NO, other content
    raw.iloc[10:13, raw.columns.get_loc("LAT")] = "0"  # 3 zero coordinates
    raw.iloc[13:15, raw.columns.get_loc("LON")] = "-120.5"  # 2 outside LA
    raw.iloc[15:16, raw.columns.get_loc("LAT")] = ""  # 1 missing coordinate
    raw.iloc[16:18, raw.columns.get_loc("DATE OCC")] = "12/31/2099 12:00:00 AM"
    path = tmp_path / "edited.csv"
    raw.to_csv(path, index=False)
    assert main(["ingest", str(path)]) == 0
    removed = {s["step"]: s["removed"] for s in read_manifest()["report"]["steps"]}
    assert removed["duplicate_rows"] == 5
    assert removed["duplicate_dr_no"] == 4
    assert removed["zero_coordinates"] == 3
    assert removed["outside_los_angeles"] == 2
    assert removed["missing_coordinates"] == 1
    # A future date is also later than the report date: that step catches it first.
    assert removed["occurred_after_reported"] + removed["occurred_in_future"] >= 2


def test_quality_flags_measure_time_heaping(real_data_path):
    main(["ingest", str(real_data_path)])
    flags = read_manifest()["report"]["flags"]
    frame = load_dataset()
    assert flags["share_time_1200"] == round(float((frame["time_occ"] == 1200).mean()), 4)
    assert 0.01 < flags["share_time_1200"] < 0.05
    assert 0.2 < flags["share_whole_hour"] < 0.6
    assert any("12:00" in w for w in flags["warnings"])


def test_exclusions_command_lists_every_rule(capsys):
    assert main(["exclusions"]) == 0
    out = capsys.readouterr().out
    for rule in load_exclusions().rules:
        assert rule.pattern in out and rule.reason in out
    assert "vict_age" in out
