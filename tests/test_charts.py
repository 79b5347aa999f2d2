"""The tables and figures the pages show match the data they were computed from."""

import datetime as dt
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from support import trace, values

from lacrime.app import charts, palette, summaries
from lacrime.data.clean import LAG_BUCKETS, clean, weekly_counts
from lacrime.data.demo import write_demo_csv
from lacrime.data.exclusions import load_exclusions
from lacrime.data.load import read_reports


@pytest.fixture(scope="module")
def demo_cleaned(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, dict]:
    path = write_demo_csv(tmp_path_factory.mktemp("demo") / "demo.csv", rows=6000, seed=3)
    return clean(read_reports(path), load_exclusions())


@pytest.fixture(scope="module")
def real_cleaned(real_data_path: Path) -> tuple[pd.DataFrame, dict]:
    return clean(read_reports(real_data_path), load_exclusions())


@pytest.fixture(params=["demo", "real"])
def cleaned(request: pytest.FixtureRequest) -> tuple[pd.DataFrame, dict]:
    return request.getfixturevalue(f"{request.param}_cleaned")


def _manifest(report: dict) -> dict:
    return {"exclusions": load_exclusions().to_dict(), "report": report}


def test_daily_counts_cover_every_day_and_sum_to_rows(cleaned: tuple) -> None:
    frame, _ = cleaned
    daily = summaries.daily_counts(frame)
    assert daily.sum() == len(frame)
    assert daily.index[0] == frame["occurred_at"].min().normalize()
    assert daily.index[-1] == frame["occurred_at"].max().normalize()
    assert (daily.index.to_series().diff().dropna() == pd.Timedelta(days=1)).all()
    one_day = daily.index[len(daily) // 2]
    assert daily[one_day] == (frame["occurred_at"].dt.normalize() == one_day).sum()

    figure = charts.daily_chart(daily)
    per_day = trace(figure, "reports per day")
    assert values(per_day.y) == daily.tolist()
    assert pd.to_datetime(values(per_day.x)).tolist() == daily.index.tolist()
    mean = pd.Series(values(trace(figure, f"{charts.ROLLING_DAYS}-day mean").y), dtype=float)
    middle = len(daily) // 2
    assert mean[middle] == pytest.approx(daily.iloc[middle - 3 : middle + 4].mean())
    assert mean.iloc[:3].isna().all()
    assert "reports" in per_day.hovertemplate


def test_weekly_trend_marks_the_flagged_weeks(cleaned: tuple) -> None:
    frame, report = cleaned
    flags = report["flags"]
    weekly = summaries.weekly_trend(frame, flags)
    weeks = weekly_counts(frame)
    assert weekly["reports"].tolist() == weeks.tolist()
    flagged = {w["week_start"] for w in flags["incomplete_recent_weeks"]}
    marked = set(weekly.loc[weekly["incomplete"], "week_start"].dt.date.astype(str))
    assert marked == flagged

    figure = charts.weekly_chart(weekly)
    assert sum(sum(values(bars.y)) for bars in figure.data) == weeks.sum()
    incomplete = trace(figure, "full week, reports probably still coming in")
    assert {str(pd.Timestamp(x).date()) for x in values(incomplete.x)} == flagged
    assert incomplete.marker.color == palette.FLAGGED


def test_weekly_trend_on_a_week_known_to_be_incomplete() -> None:
    days = pd.date_range("2024-01-01", "2024-02-04", freq="D")  # Monday to Sunday, 5 weeks
    per_day = [10] * 28 + [2] * 7
    occurred = pd.Series(np.repeat(days, per_day))
    frame = pd.DataFrame({"occurred_at": occurred})
    flags = {"incomplete_recent_weeks": [{"week_start": "2024-01-29"}]}
    weekly = summaries.weekly_trend(frame, flags)
    assert weekly["reports"].tolist() == [70, 70, 70, 70, 14]
    assert weekly["incomplete"].tolist() == [False, False, False, False, True]


def test_top_counts_and_chart(cleaned: tuple) -> None:
    frame, _ = cleaned
    groups = summaries.top_counts(frame, "crime_group")
    assert groups.sum() == len(frame)
    top = summaries.top_counts(frame, "crm_cd_desc", 10)
    assert len(top) == 10
    assert top.is_monotonic_decreasing
    assert top.iloc[0] == frame["crm_cd_desc"].value_counts().max()

    (bars,) = charts.top_chart(top, "crime description").data
    assert values(bars.x) == top.tolist()
    assert list(bars.customdata) == top.index.tolist()
    for label, name in zip(bars.y, top.index, strict=True):
        assert label.replace("<br>", " ") == name
        lines = label.split("<br>")
        assert all(len(line) <= charts.LABEL_WIDTH or " " not in line for line in lines)


def test_hour_profile_separates_the_default_times(cleaned: tuple) -> None:
    frame, report = cleaned
    hours = summaries.hour_profile(frame)
    assert list(hours.index) == list(range(24))
    assert hours.to_numpy().sum() == len(frame)
    flags = report["flags"]
    default = hours["default_time"]
    assert set(default[default > 0].index) <= {0, 12}
    assert default[12] / len(frame) == pytest.approx(flags["share_time_1200"], abs=1e-4)
    assert default[0] / len(frame) == pytest.approx(flags["share_time_0001"], abs=1e-4)
    assert hours.loc[9, "other_time"] == (frame["time_occ"] // 100 == 9).sum()

    figure = charts.hour_chart(hours)
    assert figure.layout.barmode == "stack"
    assert sum(sum(values(bars.y)) for bars in figure.data) == len(frame)
    noon = [dict(zip(values(bars.x), values(bars.y), strict=True))[12] for bars in figure.data]
    assert noon == [hours.loc[12, "other_time"], hours.loc[12, "default_time"]]
    assert figure.layout.xaxis.ticktext[6] == "12:00"


def test_minute_profile_shows_the_whole_hour_share(cleaned: tuple) -> None:
    frame, report = cleaned
    minutes = summaries.minute_profile(frame)
    assert len(minutes) == 60
    assert minutes.sum() == len(frame)
    assert minutes[0] / len(frame) == pytest.approx(report["flags"]["share_whole_hour"], abs=1e-4)
    (bars,) = charts.minute_chart(minutes).data
    assert values(bars.y) == minutes.tolist()
    assert bars.marker.color[0] == palette.FLAGGED
    assert set(bars.marker.color[1:]) == {palette.REPORTS}


def test_lag_distribution_keeps_bucket_order_and_shares(cleaned: tuple) -> None:
    frame, report = cleaned
    lag = summaries.lag_distribution(report["flags"])
    assert lag["lag"].tolist() == [label for _, _, label in LAG_BUCKETS]
    same_day = (frame["date_rptd"] == frame["occurred_at"].dt.normalize()).mean()
    assert lag.loc[0, "share"] == pytest.approx(same_day, abs=1e-4)
    assert lag["share"].sum() == pytest.approx(1, abs=1e-3)
    (bars,) = charts.lag_chart(lag).data
    assert values(bars.y) == lag["share"].tolist()
    assert list(bars.x) == lag["lag"].tolist()


def test_cleaning_steps_account_for_every_row(cleaned: tuple) -> None:
    _, report = cleaned
    steps = summaries.cleaning_steps(report)
    assert len(steps) == len(report["steps"])
    assert steps["Rows removed"].sum() == report["rows_in"] - report["rows_out"]
    assert steps["Rows left"].iloc[-1] == report["rows_out"]
    assert steps["Reason"].tolist() == [s["reason"] for s in report["steps"]]
    assert steps["Step"].str.contains("_").sum() == 0


def test_exclusion_summary_counts_each_rule(cleaned: tuple) -> None:
    frame, report = cleaned
    table = summaries.exclusion_summary(_manifest(report))
    exclusions = load_exclusions()
    assert table["Reason"].tolist() == [rule.reason for rule in exclusions.rules]
    excluded = next(s for s in report["steps"] if s["step"] == "excluded_crime_type")
    assert table["Reports removed"].sum() == excluded["removed"] > 0
    for rule, listed in zip(exclusions.rules, table["Crime types removed"], strict=True):
        for description in re.findall(r"(?:^|, )(.+?) \([\d,]+\)", listed):
            assert exclusions.rule_for(description) == rule


def test_exclusion_rules_read_as_words() -> None:
    for rule in load_exclusions().rules:
        described = summaries.describe_rule(rule)
        assert not re.search(r"[\^$|]", described), described
    assert summaries.describe_pattern("^TRESPASSING$") == "exactly TRESPASSING"
    assert summaries.describe_pattern("^BIKE|DUMPING") == "starts with BIKE, or contains DUMPING"
    assert summaries.describe_pattern("THEFT.*AUTO") == "pattern THEFT.*AUTO"


def test_exclusions_changed_compares_rules_not_source() -> None:
    applied = load_exclusions().to_dict()
    assert not summaries.exclusions_changed(applied, {**applied, "source": "elsewhere"})
    edited = {**applied, "crime_types": applied["crime_types"][1:]}
    assert summaries.exclusions_changed(applied, edited)


def test_dataset_line_and_freshness() -> None:
    manifest = {
        "synthetic": False,
        "rows": 24305,
        "date_range": ["2024-02-01", "2024-03-24"],
        "ingested_at": "2024-04-01T08:30:00+02:00",
    }
    line = summaries.dataset_line(manifest, dt.date(2024, 3, 31))
    assert "24,305" in line
    assert "2024-02-01 to 2024-03-24" in line
    assert "7 days old" in line
    assert "2024-04-01 06:30 UTC" in line
    assert summaries.days_since("2024-02-28", dt.date(2024, 3, 1)) == 2


def test_incomplete_weeks_and_null_policy_tables(cleaned: tuple) -> None:
    _, report = cleaned
    weeks = summaries.incomplete_weeks(report["flags"])
    assert weeks["Week starting"].tolist() == [
        w["week_start"] for w in report["flags"]["incomplete_recent_weeks"]
    ]
    policy = summaries.null_policy(report)
    assert dict(zip(policy["Column"], policy["When missing"], strict=True)) == report["null_policy"]


def test_every_hover_names_its_unit(demo_cleaned: tuple) -> None:
    """Each drawn series says what its numbers count when hovered ("412 reports"), and hour
    axes read as clock times, 00:00 to 22:00."""
    frame, report = demo_cleaned
    flags = report["flags"]
    figures = [
        charts.daily_chart(summaries.daily_counts(frame)),
        charts.weekly_chart(summaries.weekly_trend(frame, flags)),
        charts.top_chart(summaries.top_counts(frame, "crime_group"), "crime group"),
        charts.hour_chart(summaries.hour_profile(frame)),
        charts.minute_chart(summaries.minute_profile(frame)),
        charts.lag_chart(summaries.lag_distribution(flags)),
    ]
    for figure in figures:
        for series in figure.data:
            assert "reports" in series.hovertemplate, (series.name, series.hovertemplate)
    hours = figures[3].layout.xaxis
    assert list(hours.ticktext) == [f"{h:02d}:00" for h in range(0, 24, 2)]
    assert list(hours.tickvals) == list(range(0, 24, 2))
