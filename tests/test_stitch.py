"""One history across the 2024 switch: the transition day of each area, the stitching of legacy
and NIBRS reports, and what the models are kept from learning."""

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from nibrs_files import offences, write_csv

from lacrime.app import summaries
from lacrime.cli import main
from lacrime.data.clean import clean_rows, weekly_counts_by
from lacrime.data.completeness import SWITCH, Completeness, Gap
from lacrime.data.dataset import load_dataset, prepare, read_manifest
from lacrime.data.demo_nibrs import switch_days
from lacrime.data.exclusions import load_exclusions
from lacrime.data.load import read_reports
from lacrime.data.stitch import detect_transitions
from lacrime.hotspots.evaluation import evaluate_hotspots
from lacrime.hotspots.grid import DEFAULT_RESOLUTION, build_grid
from lacrime.hotspots.models import MODELS
from lacrime.hotspots.panel import build_panel, with_cells
from lacrime.hourly.counts import hourly_counts

CENTRAL_BUREAU = ["Central", "Hollenbeck", "Newton", "Northeast", "Rampart"]
FEBRUARY = ("2024-02-01", "2024-02-29")


@pytest.mark.real
def test_the_detector_names_the_central_bureau_areas_and_no_other(real_clean):
    found = detect_transitions(real_clean)
    assert sorted(found) == CENTRAL_BUREAU
    for area, transition in found.items():
        assert pd.Timestamp("2024-03-04") <= transition.day <= pd.Timestamp("2024-03-11"), area
        assert transition.share_after < 0.75


def _february_rates(frame: pd.DataFrame) -> pd.Series:
    """Reports a day of each area (by code) in February: an aggregate figure of the extract."""
    days = frame["occurred_at"].between(*FEBRUARY, inclusive="both")
    return frame[days].groupby("area").size() / 29


@pytest.fixture(scope="module")
def continuation(real_clean: pd.DataFrame, tmp_path_factory) -> Path:
    """NIBRS offences of every area from the switch day, 2024-03-07, for eight weeks, at each
    area's February rate after cleaning; made from aggregate figures, never real rows."""
    rates = _february_rates(real_clean)
    days = 53
    folder = tmp_path_factory.mktemp("continuation")
    pilot = write_csv(offences(20_000, seed=1, start="2024-03-07", days=days), folder / "p.csv")
    pilot_reports, _ = clean_rows(read_reports(pilot), load_exclusions())
    kept_share = len(pilot_reports) / 20_000
    rows = round(rates.sum() * days / kept_share)
    shares = {int(area): float(rate) for area, rate in rates.items()}
    frame = offences(rows, seed=2, start="2024-03-07", days=days, area_shares=shares)
    return write_csv(frame, folder / "nibrs.csv")


@pytest.mark.real
def test_the_stitched_history_has_no_step_at_the_switch(real_data_path, continuation):
    frame, manifest = prepare([real_data_path, continuation])
    areas = manifest["history"]["areas"]
    assert sorted(a for a, v in areas.items() if v["detected"]) == CENTRAL_BUREAU
    for name, area in areas.items():
        sources = [p["source"] for p in area["periods"]]
        assert sources == ["legacy", "nibrs"], name
        assert area["gaps"] == [], name
        if name not in CENTRAL_BUREAU:  # legacy as far as it reaches, NIBRS after
            assert area["transition"] == "2024-03-25", name
    weeks = weekly_counts_by(frame, "area_name")
    weeks.index = pd.to_datetime(weeks.index)
    before = weeks.loc["2024-02-05":"2024-02-26"].mean()
    after = weeks.loc["2024-03-11":"2024-04-22"].mean()
    ratio = after / before
    assert ratio.between(0.85, 1.15).all(), ratio.round(2).to_dict()
    steps = {s["step"]: s["removed"] for s in manifest["report"]["steps"]}
    assert steps["outside_source_period"] > 0  # legacy after the switch, NIBRS before it


@pytest.mark.real
def test_alone_the_extract_is_kept_whole_and_its_switch_days_are_gaps(real_data_path, capsys):
    assert main(["ingest", str(real_data_path)]) == 0
    manifest = read_manifest()
    assert manifest["rows"] == 24_305
    areas = manifest["history"]["areas"]
    gaps = {name: area["gaps"] for name, area in areas.items() if area["gaps"]}
    assert sorted(gaps) == CENTRAL_BUREAU
    for name, (gap,) in gaps.items():
        assert gap["reason"] == SWITCH and gap["last_day"] == "2024-03-24"
        assert gap["first_day"] == areas[name]["transition"]
    flags = manifest["report"]["flags"]
    assert flags["incomplete_recent_weeks"] == []  # not reporting lag: the switch
    assert len(flags["switch_gaps"]) == 5
    capsys.readouterr()
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert "transition to NIBRS, by area" in out and "Hollenbeck   2024-03-07" in out


@pytest.mark.real
def test_hotspot_models_learn_and_are_scored_on_complete_area_weeks_only(
    real_clean, real_data_path
):
    _, manifest = prepare(real_data_path)
    completeness = Completeness.from_manifest(manifest)
    evaluation = evaluate_hotspots(
        real_clean, models={"kde": MODELS["kde"]}, completeness=completeness
    )
    assert evaluation.left_out_areas == {week: CENTRAL_BUREAU for week in evaluation.eval_weeks}
    located = with_cells(real_clean, DEFAULT_RESOLUTION)
    grid = build_grid(located["cell"], located["area_name"], DEFAULT_RESOLUTION)
    target = pd.Timestamp("2024-03-18")
    panel = build_panel(located, grid, target_start=target, completeness=completeness)
    rows = panel.training_rows()
    area = grid.cells["area_name"].reindex(rows.index.get_level_values("cell")).to_numpy()
    week = rows.index.get_level_values("week")
    switched = np.isin(area, CENTRAL_BUREAU)
    assert switched[week < "2024-03-04"].any()  # their weeks before the switch train
    assert not switched[week >= "2024-03-04"].any()  # the weeks from it on do not
    assert (~switched[week >= "2024-03-04"]).sum() > 0  # the other areas' weeks still do


@pytest.mark.real
def test_corrected_hourly_counts_show_no_drop_after_the_switch(real_clean, real_data_path):
    """Without the correction the city-wide days after 2024-03-07 look a tenth quieter than
    February; with it they are level, so no hourly model learns the drop."""
    _, manifest = prepare(real_data_path)
    completeness = Completeness.from_manifest(manifest)

    def daily(table: pd.DataFrame) -> pd.Series:
        return table.groupby("date")["count"].sum()

    raw = daily(hourly_counts(real_clean))
    fixed = daily(hourly_counts(real_clean, completeness=completeness))
    february = raw.loc[slice(*FEBRUARY)].mean()
    assert raw.loc["2024-03-11":].mean() / february < 0.92
    assert 0.95 < fixed.loc["2024-03-11":].mean() / february < 1.08
    pd.testing.assert_series_equal(fixed.loc[slice(*FEBRUARY)], raw.loc[slice(*FEBRUARY)])


def test_completeness_reads_switch_gaps_and_lag_weeks() -> None:
    manifest = {
        "history": {
            "areas": {
                "Central": {
                    "gaps": [
                        {
                            "area_name": "Central",
                            "first_day": "2024-03-07",
                            "last_day": "2024-03-10",
                            "reason": SWITCH,
                        }
                    ]
                }
            }
        },
        "report": {"flags": {"incomplete_recent_weeks": [{"week_start": "2024-03-18"}]}},
    }
    completeness = Completeness.from_manifest(manifest)
    assert completeness.gaps[0] == Gap("Central", "2024-03-07", "2024-03-10", SWITCH)
    assert completeness.lag_weeks() == ["2024-03-18"]
    days = np.array(
        ["2024-03-06", "2024-03-07", "2024-03-10", "2024-03-11", "2024-03-24"],
        dtype="datetime64[ns]",
    )
    names = np.array(["Central"] * 5)
    assert completeness.incomplete(names, days).tolist() == [False, True, True, False, True]
    assert completeness.incomplete(np.array(["Harbor"] * 5), days).tolist() == [
        False,
        False,
        False,
        False,
        True,
    ]
    weeks = completeness.incomplete_weeks(
        pd.DatetimeIndex(["2024-02-26", "2024-03-04", "2024-03-11", "2024-03-18"]),
        ["Central", "Harbor"],
    )
    assert weeks["Central"].tolist() == [False, True, False, True]
    assert weeks["Harbor"].tolist() == [False, False, False, True]


def test_the_nibrs_demo_switches_bureau_by_bureau_and_stitches(capsys) -> None:
    switch = dt.date(2023, 10, 5)
    args = ["demo", "--format", "nibrs", "--switch", switch.isoformat()]
    assert main([*args, "--rows", "60000", "--days", "140"]) == 0
    manifest = read_manifest()
    assert manifest["synthetic"] and [s["format"] for s in manifest["sources"]] == [
        "legacy",
        "nibrs",
    ]
    codes = load_dataset(columns=["area", "area_name"]).drop_duplicates()
    code_of = dict(zip(codes["area_name"], codes["area"], strict=True))
    planned = switch_days(pd.Timestamp(switch))
    areas = manifest["history"]["areas"]
    for name, area in areas.items():
        assert area["detected"], name
        off = (pd.Timestamp(area["transition"]) - planned[code_of[name]]).days
        assert -7 <= off <= 3, (name, off)
    frame = load_dataset()
    assert set(frame["source"]) == {"legacy", "nibrs"}
    assert frame["dr_no"].is_unique
    steps = {s["step"]: s["removed"] for s in manifest["report"]["steps"]}
    assert steps["in_both_sources"] == 0  # the legacy copies after the switch: other period
    assert steps["outside_source_period"] > 0 and steps["further_offences"] > 0
    table = summaries.sources_by_area(manifest)
    assert len(table) == 21 and (table["Switch to NIBRS"] != "none").all()
    line = summaries.dataset_line(manifest, dt.date(2024, 1, 14))
    assert "NIBRS" in line and "two weeks" in line and "14 days old" in line


def test_a_switch_day_outside_the_demo_is_refused(capsys) -> None:
    assert main(["demo", "--format", "nibrs", "--switch", "2022-01-01", "--rows", "100"]) == 2
    assert "switch date 2022-01-01 must fall between" in capsys.readouterr().err
    assert main(["demo", "--switch", "2023-10-01", "--rows", "100"]) == 2
