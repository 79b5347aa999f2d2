"""`lacrime hotspots` as a user types it: an area and a crime group by name, the coverage as a
percentage or a share, a readable table by default with risk as the map shows it, and the
exports on request; a wrong name is one line listing the known ones, exit 2."""

import io
import json
from pathlib import Path

import pandas as pd
import pytest

from lacrime.cli import main
from lacrime.data.dataset import load_dataset, read_manifest
from lacrime.hotspots.flagging import flag_count

AS_OF = ["hotspots", "--as-of", "2023-12-24"]


@pytest.fixture
def home(small_trained_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LACRIME_HOME", str(small_trained_home))
    return small_trained_home


def _csv(capsys, *argv: str) -> pd.DataFrame:
    capsys.readouterr()
    assert main([*AS_OF, *argv, "--format", "csv"]) == 0
    return pd.read_csv(io.StringIO(capsys.readouterr().out), dtype={"cell": str})


def test_coverage_5_and_0_05_both_mean_five_percent(home, capsys) -> None:
    as_percent = _csv(capsys, "--coverage", "5")
    as_share = _csv(capsys, "--coverage", "0.05")
    pd.testing.assert_frame_equal(as_percent, as_share)
    assert as_percent["flagged"].sum() == flag_count(len(as_percent), 0.05)
    assert _csv(capsys, "--coverage", "10")["flagged"].sum() == flag_count(len(as_percent), 0.1)
    for wrong in ("0", "150", "five"):
        with pytest.raises(SystemExit) as exit_:
            main([*AS_OF, "--coverage", wrong])
        assert exit_.value.code == 2
        assert "--coverage" in capsys.readouterr().err


def test_the_default_is_a_readable_table_of_the_flagged_cells(home, capsys) -> None:
    every = _csv(capsys)
    assert main(AS_OF) == 0
    lines = capsys.readouterr().out.splitlines()
    header = lines[1].split()
    assert header[:3] == ["Rank", "Area", "Expected"] and header[-1] == "Cell"
    flagged = every[every["flagged"]].sort_values("rank")
    rows = lines[2 : 2 + len(flagged)]
    assert [row.split()[-1] for row in rows] == flagged["cell"].tolist()
    first = flagged.iloc[0]
    assert f"{first['expected']:.1f}" in rows[0] and f"{first['percentile']:.1f}" in rows[0]
    assert f"{len(flagged):,} of {len(every):,} cells flagged (5%" in lines[0]
    assert lines[2 + len(flagged)].startswith("Expected reports:")


def test_area_and_crime_group_by_name_in_any_case(home, capsys) -> None:
    frame = load_dataset()
    area = sorted(frame["area_name"].unique())[0]
    city = _csv(capsys)
    mine = _csv(capsys, "--area", area.upper())
    assert set(mine["area_name"]) == {area}
    pd.testing.assert_frame_equal(
        mine.reset_index(drop=True), city[city["area_name"] == area].reset_index(drop=True)
    )
    capsys.readouterr()
    assert main([*AS_OF, "--area", area, "--format", "geojson"]) == 0
    features = json.loads(capsys.readouterr().out)["features"]
    assert {f["properties"]["area_name"] for f in features} == {area}
    assert {"expected", "percentile"} <= set(features[0]["properties"])

    theft = _csv(capsys, "--crime-group", "theft")
    stolen = frame[frame["crime_group"] == "Theft"]
    cutoff = pd.Timestamp("2023-12-25")
    recent = stolen["occurred_at"].between(cutoff - pd.Timedelta(days=28), cutoff, inclusive="left")
    assert theft["last_4_weeks"].sum() == recent.sum() < city["last_4_weeks"].sum()
    capsys.readouterr()
    assert main([*AS_OF, "--crime-group", "Theft", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["meta"]["crime_group"] == "Theft"


@pytest.mark.parametrize(
    ("option", "value", "what"),
    [("--area", "Atlantis", "area"), ("--crime-group", "cars", "crime group")],
)
def test_an_unknown_area_or_group_is_one_line_listing_the_known(home, capsys, option, value, what):
    assert main([*AS_OF, option, value]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"unknown {what} '{value}'; known:" in err[0]
    known = read_manifest()["report"]["area_names"] if option == "--area" else ["Theft"]
    assert all(name in err[0] for name in known)
