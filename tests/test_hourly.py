"""Hourly crime frequency: counts table, the three models, forecasts and their evaluation."""

import io
import json
import re

import joblib
import numpy as np
import pandas as pd
import pytest

from lacrime.calendar import WEEKDAYS
from lacrime.data.exclusions import load_exclusions
from lacrime.errors import LacrimeError
from lacrime.hourly.counts import genuine_shares, hourly_counts, observed_curve
from lacrime.hourly.evaluation import evaluate_hourly
from lacrime.hourly.forecast import curve, fit_hourly, forecast, week_curves
from lacrime.hourly.models import INPUT_FEATURES, MODEL_NAMES, HourlyModel
from lacrime.records import to_json

METRICS = ("mae", "r2", "poisson_deviance", "coverage")
FORBIDDEN_FEATURE = re.compile(r"vict|(^|[^a-z])age([^a-z]|$)|sex|descent", re.IGNORECASE)
# A city whose crimes bottom out at 4 AM and peak at 7 PM, with a busier Saturday night.
SYNTHETIC_ANCHORS = {0: 6.0, 4: 1.5, 9: 5.0, 14: 8.0, 19: 12.0, 24: 6.0}


def synthetic_frame(
    start: str = "2024-01-01", days: int = 42, default_share: float = 0.0, seed: int = 0
) -> pd.DataFrame:
    """Reports drawn from SYNTHETIC_ANCHORS; `default_share` of them re-timed to 12:00."""
    rng = np.random.default_rng(seed)
    hours = np.arange(24)
    rate = np.interp(hours, list(SYNTHETIC_ANCHORS), list(SYNTHETIC_ANCHORS.values()))
    rows = []
    for date in pd.date_range(start, periods=days, freq="D"):
        boost = np.where((date.weekday() == 5) & (hours >= 20), 1.5, 1.0)
        for hour, n in zip(hours, rng.poisson(rate * boost), strict=True):
            rows += [(date, hour, int(m)) for m in rng.integers(0, 60, n)]
    frame = pd.DataFrame(rows, columns=["date", "hour", "minute"])
    heaped = rng.random(len(frame)) < default_share
    frame.loc[heaped, ["hour", "minute"]] = (12, 0)
    return pd.DataFrame(
        {
            "occurred_at": frame["date"]
            + pd.to_timedelta(frame["hour"] * 60 + frame["minute"], unit="min"),
            "time_occ": (frame["hour"] * 100 + frame["minute"]).astype("int16"),
            "area_name": rng.choice(["Central", "Hollywood", "Pacific"], len(frame)),
            "crime_group": rng.choice(["Theft", "Burglary", "Violent crime"], len(frame)),
        }
    )


@pytest.fixture(scope="module")
def synthetic() -> pd.DataFrame:
    return synthetic_frame()


@pytest.fixture(scope="module")
def heaped() -> pd.DataFrame:
    """As `synthetic`, with a share of reports at the default time 12:00 like the portal's."""
    return synthetic_frame(default_share=0.05)


@pytest.fixture(scope="module")
def synthetic_bundle(synthetic: pd.DataFrame):
    return fit_hourly(synthetic)


@pytest.fixture(scope="module")
def real_bundles(real_clean: pd.DataFrame) -> dict:
    return {
        excluded: fit_hourly(real_clean, exclude_default_times=excluded)
        for excluded in (False, True)
    }


@pytest.fixture(scope="module")
def real_evaluation(real_clean: pd.DataFrame) -> dict:
    return to_json(evaluate_hourly(real_clean))


def noon_excess(by_hour: pd.Series) -> float:
    """How far the 12:00 bar stands above the mean of its neighbours."""
    return float(by_hour[12] / ((by_hour[11] + by_hour[13]) / 2))


def assert_acceptance_shape(expected: pd.Series, label: object) -> None:
    """The issue's check: quietest hour 3-6 AM, busiest 5-9 PM."""
    assert 3 <= int(expected.idxmin()) <= 6, (label, expected.round(2).tolist())
    assert 17 <= int(expected.idxmax()) <= 21, (label, expected.round(2).tolist())


def assert_models_find_quiet_and_busy_hours(bundle, seasons: tuple[str, ...]) -> None:
    """Both fitted models, on every working day of every season."""
    for season in seasons:
        for name in ("polynomial", "poisson_spline"):
            for weekday in WEEKDAYS[:5]:
                day = curve(bundle, weekday=weekday, season=season, model=name)
                assert_acceptance_shape(day["expected"], (name, weekday, season))


def assert_baseline_finds_quiet_and_busy_hours(bundle) -> None:
    """The baseline's mean working day for a season it has not seen, i.e. its hour x weekday
    means over every training date: a season's cells alone hold 3-4 days each, too few for
    the quietest and busiest hours to stand out from the noise."""
    working_days = sum(
        curve(bundle, weekday=weekday, season="autumn", model="baseline")["expected"]
        for weekday in WEEKDAYS[:5]
    )
    assert_acceptance_shape(working_days / 5, "baseline")


# The counts table


def test_counts_cover_every_hour_of_every_date_with_zeros() -> None:
    frame = pd.DataFrame(
        {
            "occurred_at": pd.to_datetime(
                ["2024-03-01 10:15", "2024-03-01 10:40", "2024-03-03 23:59"]
            ),
            "time_occ": np.array([1015, 1040, 2359], dtype="int16"),
            "area_name": ["Central", "Central", "Hollywood"],
            "crime_group": ["Theft", "Burglary", "Theft"],
        }
    )
    table = hourly_counts(frame)
    assert len(table) == 3 * 24
    assert set(INPUT_FEATURES) | {"date", "count"} <= set(table.columns)
    assert table["count"].sum() == 3
    assert (table["count"] == 0).sum() == 3 * 24 - 2
    first = table[(table["date"] == "2024-03-01") & (table["hour"] == 10)]
    assert first["count"].item() == 2
    assert set(table["weekday"]) == {"Friday", "Saturday", "Sunday"}
    assert set(table["season"]) == {"spring"}

    hollywood = hourly_counts(frame, area="hollywood")
    assert len(hollywood) == 3 * 24, "a filter keeps the whole span, empty days as zeros"
    assert hollywood["count"].sum() == 1
    assert hourly_counts(frame, crime_group="THEFT")["count"].sum() == 2


def test_seasons_follow_meteorological_months() -> None:
    dates = pd.to_datetime(
        [
            "2023-12-31",
            "2024-02-29",
            "2024-03-01",
            "2024-06-01",
            "2024-08-31",
            "2024-09-01",
            "2024-11-30",
        ]
    )
    frame = pd.DataFrame(
        {
            "occurred_at": dates,
            "time_occ": np.zeros(7, dtype="int16") + 100,
            "area_name": "Central",
            "crime_group": "Theft",
        }
    )
    table = hourly_counts(frame).drop_duplicates("date").set_index("date")["season"]
    assert table[dates].tolist() == [
        "winter",
        "winter",
        "spring",
        "summer",
        "summer",
        "autumn",
        "autumn",
    ]


def test_excluding_default_times_spreads_them_over_the_day(heaped: pd.DataFrame) -> None:
    kept = hourly_counts(heaped)
    spread = hourly_counts(heaped, exclude_default_times=True)
    daily = kept.groupby("date")["count"].sum()
    assert np.allclose(spread.groupby("date")["count"].sum(), daily), "daily totals unchanged"
    kept_by_hour = kept.groupby("hour")["count"].mean()
    spread_by_hour = spread.groupby("hour")["count"].mean()
    assert noon_excess(spread_by_hour) < noon_excess(kept_by_hour)

    observed = {
        excluded: observed_curve(
            heaped, weekday="Tuesday", season="winter", exclude_default_times=excluded
        )
        for excluded in (False, True)
    }
    assert len(observed[True]) == 24 and (observed[True]["n_days"] == 6).all()
    assert noon_excess(observed[True].set_index("hour")["observed"]) < noon_excess(
        observed[False].set_index("hour")["observed"]
    )


def test_default_times_keep_as_many_reports_as_the_whole_hours_either_side() -> None:
    times = {1100: 30, 1200: 100, 1300: 50, 2300: 4, 1: 10, 100: 2, 101: 7, 1159: 4}
    time_occ = pd.Series(np.repeat(list(times), list(times.values())))
    shares = genuine_shares(time_occ)
    assert shares[1200] == pytest.approx((30 + 50) / 2 / 100)
    assert shares[1] == pytest.approx((4 + 2) / 2 / 10)
    # Fewer default-time reports than either side: all are kept; none at all: nothing to spread.
    assert genuine_shares(pd.Series([1100, 1200, 1300, 1300]))[1200] == 1.0
    assert genuine_shares(pd.Series([1100, 1300]))[1] == 1.0


def test_observed_curve_for_a_season_not_in_the_data_is_empty(synthetic: pd.DataFrame) -> None:
    summer = observed_curve(synthetic, weekday="Friday", season="summer")
    assert len(summer) == 24
    assert (summer["n_days"] == 0).all() and summer["observed"].isna().all()


# Models and forecasts on synthetic data


def test_models_find_the_quiet_and_busy_hours(synthetic_bundle) -> None:
    assert_models_find_quiet_and_busy_hours(synthetic_bundle, ("winter", "summer"))
    assert_baseline_finds_quiet_and_busy_hours(synthetic_bundle)


def test_spline_model_lets_saturday_night_differ_in_shape(synthetic_bundle) -> None:
    def day(weekday: str) -> pd.Series:
        return curve(synthetic_bundle, weekday=weekday, season="winter")["expected"]

    ratio = day("Saturday") / day("Wednesday")
    assert ratio[22] > 1.2 * ratio[10], ratio.round(2).tolist()


def test_week_curves_are_the_seven_day_curves(real_bundles: dict) -> None:
    bundle = real_bundles[False]
    for name in MODEL_NAMES:
        for scope in ({}, {"area": bundle.areas[1]}, {"crime_group": "Theft"}):
            week = week_curves(bundle, season="spring", model=name, **scope)
            assert list(week.columns) == list(WEEKDAYS) and week.index.tolist() == list(range(24))
            for weekday in WEEKDAYS:
                day = curve(bundle, weekday=weekday, season="spring", model=name, **scope)
                assert week[weekday].tolist() == pytest.approx(day["expected"].tolist())


def test_intervals_contain_the_mean(synthetic_bundle) -> None:
    for name in MODEL_NAMES:
        day = curve(synthetic_bundle, weekday="Saturday", season="winter", model=name)
        assert len(day) == 24 and day["hour"].tolist() == list(range(24))
        assert (day["lower"] <= day["expected"]).all() and (day["expected"] <= day["upper"]).all()
        assert (day["lower"] < day["upper"]).any()


def test_unseen_season_answers_with_hour_by_weekday(synthetic, synthetic_bundle) -> None:
    answer = forecast(
        synthetic_bundle, hour=18, weekday="friday", season="Summer", model="baseline"
    )
    assert answer.season == "summer" and answer.weekday == "Friday"
    assert answer.season_in_training is False
    assert answer.features == ["hour", "weekday"]
    assert any("summer is not in the training data" in note for note in answer.notes)
    table = hourly_counts(synthetic)
    same = table[(table["hour"] == 18) & (table["weekday"] == "Friday")]
    assert answer.expected == pytest.approx(same["count"].mean(), abs=1e-3)

    seen = forecast(synthetic_bundle, hour=18, weekday="Friday", season="winter")
    assert seen.season_in_training is True and seen.features == list(INPUT_FEATURES)
    for name in MODEL_NAMES:
        other = forecast(synthetic_bundle, hour=18, weekday="Friday", season="summer", model=name)
        assert other.expected > 0 and other.lower <= other.expected <= other.upper


def test_forecast_is_stable_json(synthetic_bundle) -> None:
    answer = to_json(
        forecast(
            synthetic_bundle,
            hour=0,
            weekday="SUNDAY",
            season="fall",
            area="central",
            crime_group="theft",
        )
    )
    assert set(answer) == {
        "hour",
        "weekday",
        "season",
        "area",
        "crime_group",
        "model",
        "expected",
        "lower",
        "upper",
        "interval_level",
        "exclude_default_times",
        "season_in_training",
        "features",
        "notes",
    }
    assert (answer["season"], answer["area"], answer["crime_group"]) == (
        "autumn",
        "Central",
        "Theft",
    )
    assert answer["model"] == synthetic_bundle.default_model
    assert 0 < answer["interval_level"] < 1
    assert json.loads(json.dumps(answer)) == answer


def test_area_and_group_shares_add_up_to_the_city(synthetic_bundle) -> None:
    city = curve(synthetic_bundle, weekday="Saturday", season="winter")["expected"]
    areas = sum(
        curve(synthetic_bundle, weekday="Saturday", season="winter", area=area)["expected"]
        for area in ("Central", "Hollywood", "Pacific")
    )
    assert np.allclose(areas, city)
    central = curve(synthetic_bundle, weekday="Saturday", season="winter", area="Central")
    by_group = sum(
        curve(
            synthetic_bundle, weekday="Saturday", season="winter", area="Central", crime_group=group
        )["expected"]
        for group in ("Theft", "Burglary", "Violent crime")
    )
    assert np.allclose(by_group, central["expected"])
    assert (central["expected"] < city).all()


def test_bundle_fitted_for_one_area_serves_only_that_area(synthetic: pd.DataFrame) -> None:
    bundle = fit_hourly(synthetic, area="Pacific")
    table = hourly_counts(synthetic, area="Pacific")
    answer = forecast(bundle, hour=19, weekday="Monday", season="winter", model="baseline")
    assert answer.area == "Pacific"
    same = table[(table["hour"] == 19) & (table["weekday"] == "Monday")]
    assert answer.expected == pytest.approx(same["count"].mean(), abs=1e-3)
    assert (
        forecast(
            bundle, hour=19, weekday="Monday", season="winter", area="PACIFIC", model="baseline"
        )
        == answer
    )
    with pytest.raises(LacrimeError, match="Pacific"):
        forecast(bundle, hour=19, weekday="Monday", season="winter", area="Central")


@pytest.mark.parametrize(
    "changes",
    [
        {"hour": 25},
        {"hour": -1},
        {"hour": 1.5},
        {"hour": True},
        {"weekday": "Funday"},
        {"season": "monsoon"},
        {"area": "Atlantis"},
        {"crime_group": "Jaywalking"},
        {"model": "xgboost"},
    ],
)
def test_bad_inputs_raise_a_user_error(synthetic_bundle, changes: dict) -> None:
    question = {"hour": 18, "weekday": "Friday", "season": "summer", **changes}
    with pytest.raises(LacrimeError):
        forecast(synthetic_bundle, **question)


def test_bad_frames_and_too_little_data_raise_a_user_error(synthetic: pd.DataFrame) -> None:
    with pytest.raises(LacrimeError, match="occurred_at"):
        hourly_counts(synthetic.drop(columns="occurred_at"))
    with pytest.raises(LacrimeError, match="no rows"):
        hourly_counts(synthetic.iloc[:0])
    with pytest.raises(LacrimeError, match="every weekday"):
        HourlyModel("baseline").fit(hourly_counts(synthetic_frame(days=5)))
    with pytest.raises(LacrimeError, match="too little data"):
        evaluate_hourly(synthetic_frame(days=16))


def test_joblib_round_trip_gives_identical_forecasts(synthetic_bundle) -> None:
    buffer = io.BytesIO()
    joblib.dump(synthetic_bundle, buffer)
    buffer.seek(0)
    loaded = joblib.load(buffer)
    for name in MODEL_NAMES:
        for question in (
            {"hour": 18, "weekday": "Friday", "season": "summer"},
            {
                "hour": 3,
                "weekday": "Sunday",
                "season": "winter",
                "area": "Hollywood",
                "crime_group": "Burglary",
            },
        ):
            assert forecast(loaded, model=name, **question) == forecast(
                synthetic_bundle, model=name, **question
            )
        pd.testing.assert_frame_equal(
            curve(loaded, weekday="Monday", season="spring", model=name),
            curve(synthetic_bundle, weekday="Monday", season="spring", model=name),
        )


def test_evaluation_holds_out_the_latest_full_weeks(synthetic: pd.DataFrame) -> None:
    frame = synthetic[synthetic["occurred_at"] < "2024-02-09"]  # ends on a Thursday
    report = to_json(evaluate_hourly(frame, holdout_weeks=2))
    assert json.loads(json.dumps(report)) == report
    assert report["holdout"] == {"start": "2024-01-22", "end": "2024-02-04", "days": 14, "weeks": 2}
    assert report["train"]["end"] == "2024-01-21"
    assert report["left_out_incomplete_week"] == [
        "2024-02-05",
        "2024-02-06",
        "2024-02-07",
        "2024-02-08",
    ]
    assert_evaluation_complete(report)


def assert_evaluation_complete(report: dict) -> None:
    assert report["train"]["end"] < report["holdout"]["start"]
    assert set(report["models"]) == set(MODEL_NAMES)
    for metrics in report["models"].values():
        assert all(np.isfinite(metrics[m]) for m in METRICS)
        assert 0 <= metrics["coverage"] <= 1
        assert_no_forbidden_feature(metrics["feature_names"])
    deviance = {name: m["poisson_deviance"] for name, m in report["models"].items()}
    assert report["default_model"] == min(deviance, key=deviance.get)
    by_hour = pd.DataFrame(report["by_hour"])
    assert by_hour["hour"].tolist() == list(range(24))
    assert set(MODEL_NAMES) | {"observed"} <= set(by_hour.columns)


def assert_no_forbidden_feature(names: list[str]) -> None:
    rules = load_exclusions().rules
    assert names
    for name in names:
        assert not FORBIDDEN_FEATURE.search(name), name
        assert not any(re.search(rule.pattern, name, re.IGNORECASE) for rule in rules), name


def test_models_use_only_hour_weekday_and_season(synthetic_bundle) -> None:
    for model in synthetic_bundle.models.values():
        assert_no_forbidden_feature(model.feature_names)
        assert all(
            name.split("__")[-1].startswith(INPUT_FEATURES) for name in model.feature_names
        ), model.feature_names


# The real extract


@pytest.mark.real
def test_real_weekday_curves_bottom_out_before_dawn_and_peak_in_the_evening(
    real_bundles: dict,
) -> None:
    for bundle in real_bundles.values():
        assert_models_find_quiet_and_busy_hours(bundle, ("winter", "spring", "summer"))
        assert_baseline_finds_quiet_and_busy_hours(bundle)


@pytest.mark.real
def test_real_noon_bar_drops_without_default_times(real_clean, real_bundles: dict) -> None:
    by_hour = {
        excluded: hourly_counts(real_clean, exclude_default_times=excluded)
        .groupby("hour")["count"]
        .mean()
        for excluded in (False, True)
    }
    assert noon_excess(by_hour[True]) < noon_excess(by_hour[False])
    # Level with its neighbours, neither the peak the default time makes nor the dip that
    # dropping every 12:00 report (rounded whole-hour times too) would leave.
    assert 0.9 < noon_excess(by_hour[True]) < 1.1, by_hour[True].loc[10:14].round(1).tolist()
    midnight = by_hour[True][0] / ((by_hour[True][23] + by_hour[True][1]) / 2)
    assert midnight > 0.85, by_hour[True].round(1).tolist()
    baseline = {
        excluded: curve(bundle, weekday="Wednesday", season="winter", model="baseline").set_index(
            "hour"
        )["expected"]
        for excluded, bundle in real_bundles.items()
    }
    assert noon_excess(baseline[True]) < noon_excess(baseline[False])


@pytest.mark.real
def test_real_summer_friday_answers_from_winter_and_spring(real_bundles: dict) -> None:
    bundle = real_bundles[False]
    assert set(bundle.seasons) == {"winter", "spring"}
    answer = forecast(bundle, hour=18, weekday="Friday", season="summer", area="Central")
    assert answer.season_in_training is False
    assert "season" not in answer.features
    city = forecast(bundle, hour=18, weekday="Friday", season="summer")
    assert 0 < answer.expected < city.expected
    assert city.lower <= city.expected <= city.upper


@pytest.mark.real
def test_real_evaluation_compares_every_model(real_evaluation: dict) -> None:
    assert_evaluation_complete(real_evaluation)
    assert real_evaluation["holdout"]["days"] == 14
    assert real_evaluation["exclude_default_times"] is False


@pytest.mark.real
def test_real_models_use_no_demographic_or_excluded_field(real_bundles: dict) -> None:
    for bundle in real_bundles.values():
        for model in bundle.models.values():
            assert_no_forbidden_feature(model.feature_names)
