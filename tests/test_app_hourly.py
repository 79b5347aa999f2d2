"""The Hourly forecast page on trained homes (demo and real extract): every control changes what
is shown, a shared link sets the view, and the page says what `lacrime forecast` says."""

import json
from pathlib import Path

import pandas as pd
import pytest
import support
from streamlit.testing.v1 import AppTest
from support import checked, plotly_charts, trace, values

from lacrime.app import hourly as hourly_view
from lacrime.app import palette
from lacrime.calendar import WEEKDAYS
from lacrime.cli import main
from lacrime.data.categories import GROUPS
from lacrime.data.completeness import Completeness
from lacrime.data.dataset import load_dataset, read_manifest
from lacrime.hourly import counts as hourly_counts
from lacrime.hourly import forecast as hourly
from lacrime.hourly import models
from lacrime.ops import registry
from lacrime.ops.train import HOURLY, HOURLY_NO_DEFAULT_TIMES

PAGE = "app_pages/hourly_forecast.py"
KEPT_COLUMN = "expected_default_times_kept"
KEPT_LABEL = "forecast with 12:00 and 00:01 reports kept"


def bundle(name: str = HOURLY) -> hourly.HourlyBundle:
    return registry.load_artifact(registry.current_version(), name)


def open_page(params: dict[str, str] | None = None) -> AppTest:
    return support.open_page(PAGE, params, timeout=60)


def day_drawn(at: AppTest) -> pd.DataFrame:
    """What the hour-by-hour chart draws, back as a table: one row per hour, with the
    forecast, its band, the observed averages, whether the hour is the chosen one and, when
    drawn, the forecast with default times kept."""
    figure = plotly_charts(at)[0]
    [forecast] = [t for t in figure.data if t.name.startswith("forecast (")]
    band = next(t for t in figure.data if t.name.endswith("fall in this band"))
    chosen = trace(figure, "chosen hour")
    day = pd.DataFrame(
        {
            "hour": values(forecast.x),
            "expected": values(forecast.y),
            "lower": values(band.y),
            "upper": [upper for _, upper in band.customdata],
            "observed": pd.Series(values(trace(figure, "observed average").y), dtype=float),
        }
    )
    day["chosen"] = day["hour"].isin(values(chosen.x))
    assert day.loc[day["chosen"], "expected"].tolist() == values(chosen.y)
    kept = [t for t in figure.data if t.name == KEPT_LABEL]
    if kept:
        day[KEPT_COLUMN] = values(kept[0].y)
    return day


def curve(at: AppTest) -> list[float]:
    return day_drawn(at)["expected"].tolist()


def chosen(at: AppTest) -> pd.DataFrame:
    """The row the chart marks as the chosen hour."""
    day = day_drawn(at)
    return day[day["chosen"]]


def weekdays_drawn(at: AppTest) -> pd.DataFrame:
    """What the every-weekday chart draws, back as a table: an hour column, one per weekday."""
    figure = plotly_charts(at)[1]
    table = pd.DataFrame({line.name: values(line.y) for line in figure.data})
    return table.assign(hour=values(figure.data[0].x))[["hour", *table.columns]]


def thick_weekday(at: AppTest) -> str:
    """The weekday the every-weekday chart draws thick: the one line wider than the rest."""
    lines = plotly_charts(at)[1].data
    widths = {line.name: line.line.width for line in lines}
    [thick] = [name for name, width in widths.items() if width == max(widths.values())]
    return thick


def headline(at: AppTest) -> tuple[str, str]:
    metric = at.metric[0]
    return metric.label, metric.value


def forecast_of(choices: dict, name: str = HOURLY) -> hourly.HourlyForecast:
    return hourly.forecast(bundle(name), **choices)


FRIDAY = {"hour": 18, "weekday": "Friday", "season": "spring"}
FRIDAY_PARAMS = {"hourly_hour": "18", "hourly_weekday": "Friday", "hourly_season": "Spring"}


def test_page_value_is_the_cli_forecast(home: Path, capsys: pytest.CaptureFixture) -> None:
    at = open_page(FRIDAY_PARAMS)
    expected = forecast_of(FRIDAY)
    assert headline(at) == (
        "Expected crimes, 18:00–18:59",
        hourly_view.format_count(expected.expected),
    )
    assert at.metric[1].value == f"{expected.lower:,} to {expected.upper:,}"
    assert chosen(at)["expected"].item() == pytest.approx(expected.expected, abs=5e-4)
    (note,) = at.info  # one note, not a stack of boxes
    assert note.value.startswith(hourly_view.forecast_sentence(expected))

    capsys.readouterr()
    argv = ["forecast", "--hour", "18", "--weekday", "Friday", "--season", "spring", "--json"]
    assert main(argv) == 0
    cli = json.loads(capsys.readouterr().out)
    assert cli["expected"] == expected.expected
    assert chosen(at)["expected"].item() == pytest.approx(cli["expected"], abs=5e-4)


def test_each_control_changes_what_is_shown(home: Path) -> None:
    at = open_page(FRIDAY_PARAMS)
    city = curve(at)
    assert city == pytest.approx(
        hourly.curve(bundle(), weekday="Friday", season="spring")["expected"]
    )
    observed = day_drawn(at)["observed"]
    # Observed averages as the models see them: days some areas lack corrected (the switch).
    completeness = Completeness.from_manifest(read_manifest())
    truth = hourly_counts.observed_curve(
        load_dataset(), weekday="Friday", season="spring", completeness=completeness
    )
    assert observed.tolist() == pytest.approx(truth["observed"].tolist(), nan_ok=True)
    weekdays = weekdays_drawn(at)
    assert list(weekdays.columns) == ["hour", *WEEKDAYS]
    assert weekdays["Friday"].tolist() == pytest.approx(city)
    assert thick_weekday(at) == "Friday"

    at.slider(key="hourly_hour").set_value(3).run()
    night = forecast_of({**FRIDAY, "hour": 3})
    assert headline(checked(at)) == (
        "Expected crimes, 03:00–03:59",
        hourly_view.format_count(night.expected),
    )
    assert chosen(at)["hour"].tolist() == [3]

    at.selectbox(key="hourly_weekday").set_value("Sunday").run()
    sunday = curve(checked(at))
    assert sunday != pytest.approx(city)
    assert sunday == pytest.approx(
        hourly.curve(bundle(), weekday="Sunday", season="spring")["expected"]
    )
    assert thick_weekday(at) == "Sunday"

    at.selectbox(key="hourly_season").set_value("summer").run()
    summer = curve(checked(at))
    assert summer == pytest.approx(
        hourly.curve(bundle(), weekday="Sunday", season="summer")["expected"]
    )
    if "summer" not in bundle().seasons:
        assert any("summer is not in the training data" in i.value.lower() for i in at.info)
    at.selectbox(key="hourly_season").set_value("spring").run()

    area = bundle().areas[1]
    at.selectbox(key="hourly_area").set_value(area).run()
    in_area = curve(checked(at))
    assert all(a < c for a, c in zip(in_area, sunday, strict=True))
    assert chosen(at)["expected"].item() < sunday[3]

    at.selectbox(key="hourly_crime_group").set_value(GROUPS[0]).run()
    narrow = curve(checked(at))
    assert all(n < a for n, a in zip(narrow, in_area, strict=True))
    at.selectbox(key="hourly_area").set_value(hourly_view.UNSET).run()
    at.selectbox(key="hourly_crime_group").set_value(hourly_view.UNSET).run()
    assert curve(checked(at)) == pytest.approx(sunday)

    other = next(m for m in models.MODEL_NAMES if m != bundle().default_model)
    at.selectbox(key="hourly_model").set_value(other).run()
    by_other = curve(checked(at))
    assert by_other != pytest.approx(sunday)
    assert by_other == pytest.approx(
        hourly.curve(bundle(), weekday="Sunday", season="spring", model=other)["expected"]
    )
    at.selectbox(key="hourly_model").set_value(hourly_view.UNSET).run()

    assert KEPT_COLUMN not in day_drawn(at)
    at.toggle(key="hourly_exclude_default_times").set_value(True).run()
    spread = curve(checked(at))
    kept = day_drawn(at)[KEPT_COLUMN].tolist()
    assert spread[12] < kept[12]
    assert spread == pytest.approx(
        hourly.curve(bundle(HOURLY_NO_DEFAULT_TIMES), weekday="Sunday", season="spring")["expected"]
    )
    assert any("spread evenly over the 24 hours" in i.value for i in at.info)


def test_a_shared_link_sets_the_view(demo_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LACRIME_HOME", str(demo_home))
    area = bundle().areas[-1]
    params = {
        "hourly_season": "Autumn",
        "hourly_weekday": "Tuesday",
        "hourly_hour": "7",
        "hourly_area": area,
        "hourly_crime_group": GROUPS[2],
        "hourly_model": "baseline",
        "hourly_exclude_default_times": "true",
    }
    at = open_page(params)
    assert at.selectbox(key="hourly_season").value == "autumn"
    assert at.selectbox(key="hourly_weekday").value == "Tuesday"
    assert at.slider(key="hourly_hour").value == 7
    assert at.selectbox(key="hourly_area").value == area
    assert at.selectbox(key="hourly_crime_group").value == GROUPS[2]
    assert at.selectbox(key="hourly_model").value == "baseline"
    assert at.toggle(key="hourly_exclude_default_times").value is True
    expected = hourly.forecast(
        bundle(HOURLY_NO_DEFAULT_TIMES),
        hour=7,
        weekday="Tuesday",
        season="autumn",
        area=area,
        crime_group=GROUPS[2],
        model="baseline",
    )
    assert headline(at)[1] == hourly_view.format_count(expected.expected)


def test_bad_link_values_fall_back_to_defaults(demo_home: Path, monkeypatch) -> None:
    monkeypatch.setenv("LACRIME_HOME", str(demo_home))
    params = {
        "hourly_season": "Monsoon",
        "hourly_weekday": "Funday",
        "hourly_hour": "25",
        "hourly_area": "Atlantis",
        "hourly_crime_group": "jaywalking",
        "hourly_model": "crystal_ball",
        "hourly_exclude_default_times": "perhaps",
    }
    at = open_page(params)
    defaults = hourly_view.Choices(
        season=hourly_view.latest_season(bundle()),
        weekday=hourly_view.DEFAULT_WEEKDAY,
        hour=hourly_view.DEFAULT_HOUR,
    )
    assert at.selectbox(key="hourly_season").value == defaults.season
    assert at.selectbox(key="hourly_weekday").value == defaults.weekday
    assert at.slider(key="hourly_hour").value == defaults.hour
    assert at.selectbox(key="hourly_area").value == hourly_view.UNSET
    assert at.selectbox(key="hourly_crime_group").value == hourly_view.UNSET
    assert at.selectbox(key="hourly_model").value == hourly_view.UNSET
    assert at.toggle(key="hourly_exclude_default_times").value is False


def test_the_legend_names_each_series_once(demo_home: Path, monkeypatch) -> None:
    """Each series of the hour-by-hour chart is in the legend once, the forecast named by its
    model and in that model's colour; the chosen hour's colour is no model's."""
    monkeypatch.setenv("LACRIME_HOME", str(demo_home))
    at = open_page({"hourly_exclude_default_times": "true"})
    figure = plotly_charts(at)[0]
    shown = [t.name for t in figure.data if t.showlegend is not False]
    default = bundle(HOURLY_NO_DEFAULT_TIMES).default_model
    forecast = f"forecast ({models.MODELS[default].label})"
    band = next(name for name in shown if name.endswith("fall in this band"))
    assert sorted(shown) == sorted([band, forecast, KEPT_LABEL, "observed average", "chosen hour"])
    assert trace(figure, forecast).line.color == palette.HOURLY_MODELS[default]
    chosen = trace(figure, "chosen hour").marker.color
    assert chosen not in {*palette.HOURLY_MODELS.values(), *palette.HOTSPOT_MODELS.values()}
    assert figure.layout.xaxis.ticktext[:2] == ("00:00", "02:00")
    assert "crimes in that hour" in trace(figure, forecast).hovertemplate


def test_the_download_is_the_day_shown(demo_home: Path, monkeypatch) -> None:
    monkeypatch.setenv("LACRIME_HOME", str(demo_home))
    choices = hourly_view.Choices("spring", "Friday", 18, exclude_default_times=True)
    frame = load_dataset()
    counts = hourly_counts.hourly_counts(frame, exclude_default_times=True)
    day = hourly_view.day_table(
        bundle(HOURLY_NO_DEFAULT_TIMES), counts, choices, kept_bundle=bundle()
    )
    result = hourly.forecast(
        bundle(HOURLY_NO_DEFAULT_TIMES), hour=18, weekday="Friday", season="spring"
    )
    table = hourly_view.download_table(day, result)
    assert len(table) == 24
    assert table["hour"].tolist() == list(range(24))
    assert table.loc[18, "expected"] == pytest.approx(result.expected, abs=5e-4)
    assert (table["lower"] <= table["upper"]).all()
    assert set(table["default_times"]) == {"spread over the day"}
    days = pd.date_range(frame["occurred_at"].min().date(), frame["occurred_at"].max().date())
    spring_fridays = (days.day_name() == "Friday") & days.month.isin([3, 4, 5])
    assert table["n_days"].max() == spring_fridays.sum()
    assert (table["expected_default_times_kept"] > 0).all()


@pytest.mark.parametrize(
    ("hour", "watch", "hours"), [(18, "Evening", range(15, 23)), (2, "Night", [*range(7), 23])]
)
def test_an_area_and_group_show_the_watch_and_day_totals(
    home: Path, hour: int, watch: str, hours
) -> None:
    """A quiet area's crime group is read by the watch and the day: the totals beside the
    hourly number are the day's curve summed over the watch's hours and over all 24."""
    area = bundle().areas[0]
    params = {**FRIDAY_PARAMS}
    params.update(hourly_hour=str(hour), hourly_area=area, hourly_crime_group=GROUPS[1])
    at = open_page(params)
    day = hourly.curve(
        bundle(), weekday="Friday", season="spring", area=area, crime_group=GROUPS[1]
    )["expected"]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics[f"{watch} watch"] == hourly_view.format_count(day.iloc[list(hours)].sum())
    assert metrics["Whole Friday"] == hourly_view.format_count(day.sum())


def test_a_held_out_bias_is_a_warning_in_words(home: Path) -> None:
    """When the model's forecasts ran high or low on the held-out weeks, the page says by how
    much, from the training record's city-wide evaluation; when they did not, it is silent."""
    at = open_page(FRIDAY_PARAMS)
    evaluation = registry.current_version().metadata["evaluation"][HOURLY]
    by_hour = pd.DataFrame(evaluation["by_hour"])
    model = evaluation["default_model"]
    share = by_hour[model].sum() / by_hour["observed"].sum() - 1
    warnings = [w.value for w in at.warning if "held-out weeks" in w.value]
    if abs(share) >= hourly_view.BIAS_SHARE:
        way = "over" if share > 0 else "under"
        assert len(warnings) == 1
        assert f"{way}-forecast city-wide crimes by {abs(share):.0%}" in warnings[0]
        assert models.MODELS[model].label in warnings[0]
    else:
        assert all("18:00 by" in w for w in warnings)  # only the chosen hour was off
