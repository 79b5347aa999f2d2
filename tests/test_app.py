"""The pages, run headless with Streamlit's AppTest on the demo and on the real extract."""

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest
from support import OTHER_CHARTS, plotly_charts, tables, trace, values

from lacrime.app import summaries, ui, weekly
from lacrime.cli import main
from lacrime.data.dataset import current_dir, has_dataset, load_dataset, read_manifest
from lacrime.data.exclusions import load_exclusions, override_file
from lacrime.ops import bootstrap
from lacrime.ops.registry import current_version_id, list_versions

APP = Path(__file__).resolve().parents[1] / "app.py"
OVERVIEW = "app_pages/overview.py"
DATA_FAIRNESS = "app_pages/data_fairness.py"
HOURLY = "app_pages/hourly_forecast.py"
COMPARISON = "app_pages/model_comparison.py"
ALL_PAGES = {
    OVERVIEW: "Overview",
    HOURLY: "Hourly forecast",
    "app_pages/hotspot_map.py": "Hotspot map",
    COMPARISON: "Model comparison",
    DATA_FAIRNESS: "Data & fairness",
    "app_pages/admin.py": "Admin",
}


def run_page(page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _number(value: object) -> float:
    return float(str(value).replace(",", "").rstrip("%"))


def _banner_shown(at: AppTest) -> bool:
    return any(w.value == ui.SYNTHETIC_BANNER for w in at.warning)


def test_overview_shows_the_dataset_in_use(home: Path) -> None:
    """This week's tab names the model in use and how fresh the data are; the Trends and
    Dataset tabs, computed only when opened, chart the dataset and say how it was cleaned."""
    manifest = read_manifest()
    at = run_page(OVERVIEW)
    assert not at.error, [e.value for e in at.error]
    assert at.title[0].value == "Overview"
    assert _banner_shown(at) == manifest["synthetic"]
    warnings = {w.value for w in at.warning}
    assert set(manifest["report"]["flags"]["warnings"]) <= warnings
    version = current_version_id()
    assert version is not None  # the first run trained the models once
    assert any(version in m.value for m in at.markdown)
    assert {m.label: m.value for m in at.metric}["Latest report"] == manifest["date_range"][1]
    assert len(plotly_charts(at)) == 2  # the week's changes only: the other tabs are not run
    assert not [t for t in tables(at) if "Rows removed" in t.columns]

    at.session_state["overview_section"] = "Trends"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    daily, weekly, groups, top = plotly_charts(at)
    assert sum(values(trace(daily, "reports per day").y)) == manifest["rows"]
    assert sum(values(groups.data[0].x)) == manifest["rows"]
    flagged = {w["week_start"] for w in manifest["report"]["flags"]["incomplete_recent_weeks"]}
    marked = trace(weekly, "full week, reports probably still coming in")
    assert {str(x)[:10] for x in values(marked.x)} == flagged
    assert len(top.data[0].x) == 10

    at.session_state["overview_section"] = "Dataset"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not plotly_charts(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Reports"] == f"{manifest['rows']:,}"
    assert [metrics["First day"], metrics["Last day"]] == manifest["date_range"]
    (steps,) = [t for t in tables(at) if "Rows removed" in t.columns]
    assert [_number(v) for v in steps["Rows removed"]] == [
        s["removed"] for s in manifest["report"]["steps"]
    ]
    assert _number(steps["Rows left"].iloc[-1]) == manifest["rows"]
    (sources,) = [t for t in tables(at) if "Switch to NIBRS" in t.columns]
    assert sorted(sources["Area"]) == sorted(manifest["history"]["areas"])


def test_overview_leads_with_this_week_against_the_four_before(home: Path) -> None:
    """The headline figures are this week's reports and the mean of the 4 weeks before,
    counted here from the dataset, without the areas the switch to NIBRS left incomplete."""
    manifest = read_manifest()
    frame = load_dataset()
    at = run_page(OVERVIEW)
    assert at.header[0].value.startswith("This week")
    switched = sorted(name for name, area in manifest["history"]["areas"].items() if area["gaps"])
    sunday = frame["occurred_at"].max().normalize()
    sunday -= pd.Timedelta(days=(sunday.weekday() + 1) % 7)
    monday = sunday - pd.Timedelta(days=6)
    kept = frame[~frame["area_name"].isin(switched)]
    day = kept["occurred_at"].dt.normalize()
    this_week = int(day.between(monday, sunday).sum())
    before = day.between(monday - pd.Timedelta(days=28), monday - pd.Timedelta(days=1)).sum() / 4
    metrics = {m.label.split(",")[0]: m.value for m in at.metric}
    assert metrics["Reports this week"] == f"{this_week:,}"
    assert metrics["Mean of the 4 weeks before"] == f"{before:,.0f}"
    assert f"{monday:%a %d %b} to {sunday:%a %d %b %Y}" in at.header[0].value
    switch_notes = [w.value for w in at.warning if "reported these weeks incompletely" in w.value]
    if switched:
        assert all(area in switch_notes[0] for area in switched)
    else:
        assert not switch_notes
    changes = [m.value for m in at.markdown if m.value.startswith("- **")]
    assert len(changes) == 5
    assert not any(f"**{area}**" in line for line in changes for area in switched)
    assert all("normal week-to-week variation" in line for line in changes)
    by_area, by_group = at.get("plotly_chart")[:2]  # the weekly comparison comes first
    assert len(json.loads(by_area.proto.spec)["data"][0]["y"]) == manifest["areas"]

    (areas,) = [t for t in tables(at) if "Area" in t.columns and "This week" in t]
    (groups,) = [t for t in tables(at) if "Crime group" in t.columns]
    assert sorted(areas["Area"]) == sorted(manifest["report"]["area_names"])
    complete = areas[~areas["Area"].isin(switched)]
    assert sum(_number(v) for v in complete["This week"]) == this_week
    assert sum(_number(v) for v in groups["This week"]) == this_week


def test_data_and_fairness_lists_what_was_left_out(home: Path) -> None:
    manifest = read_manifest()
    flags = manifest["report"]["flags"]
    at = run_page(DATA_FAIRNESS)
    assert not at.error, [e.value for e in at.error]
    assert _banner_shown(at) == manifest["synthetic"]
    markdown = " ".join(m.value for m in at.markdown)
    exclusions = load_exclusions()
    assert all(f"`{column}`" in markdown for column in exclusions.columns)

    rules = tables(at)[0]
    assert rules["Reason"].tolist() == [rule.reason for rule in exclusions.rules]
    # Text shows as written, Markdown's characters too ("VANDALISM - FELONY ($400 & OVER, ...").
    summary = summaries.exclusion_summary(manifest)
    for column in ("Matches", "Crime types removed"):
        assert rules[column].tolist() == summary[column].tolist()
    excluded = next(s for s in manifest["report"]["steps"] if s["step"] == "excluded_crime_type")
    assert sum(_number(v) for v in rules["Reports removed"]) == excluded["removed"]

    assert not plotly_charts(at)  # the other tabs are not computed until opened
    at.session_state["fairness_section"] = "Data quality"
    at.run()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["At exactly 12:00"] == f"{flags['share_time_1200']:.1%}"
    assert metrics["On a whole hour"] == f"{flags['share_whole_hour']:.1%}"
    assert metrics["Median"] == f"{flags['reporting_lag_days']['median']:g} days"

    hours, minutes, _, lag, *_ = plotly_charts(at)
    assert sum(sum(values(bars.y)) for bars in hours.data) == manifest["rows"]
    assert sum(values(minutes.data[0].y)) == manifest["rows"]
    distribution = flags["reporting_lag_days"]["distribution"]
    assert values(lag.data[0].y) == pytest.approx(list(distribution.values()))


def test_real_extract_shows_the_switch_not_reporting_lag(real_home: Path, monkeypatch) -> None:
    """The real extract's last weeks are low in the five Central Bureau areas only: the switch
    to NIBRS, which the page shows per area, not a reporting lag of the whole city."""
    monkeypatch.setenv("LACRIME_HOME", str(real_home))
    at = run_page(DATA_FAIRNESS)
    at.session_state["fairness_section"] = "Data quality"
    at.run()
    assert any("No recent week is flagged" in s.value for s in at.success)
    (table,) = [t for t in tables(at) if "Switch to NIBRS" in t.columns]
    switched = table[table["Switch to NIBRS"] != "none"].set_index("Area")
    assert sorted(switched.index) == ["Central", "Hollenbeck", "Newton", "Northeast", "Rampart"]
    assert (switched["Incomplete days"].str.endswith("to 2024-03-24")).all()


def test_every_page_renders_with_the_banner(demo_home: Path, monkeypatch) -> None:
    monkeypatch.setenv("LACRIME_HOME", str(demo_home))
    at = AppTest.from_file(APP, default_timeout=60).run()
    for page, title in ALL_PAGES.items():
        at.switch_page(page).run()
        assert not at.exception, (page, [e.value for e in at.exception])
        assert not at.error, (page, [e.value for e in at.error])
        assert at.title[0].value == title
        assert _banner_shown(at)


def _each_tab(at: AppTest) -> Iterator[str | None]:
    """The page as opened, then with each of its tabs open (a tab's charts are computed only
    when it is open): the tabs' key is the session-state entry holding the open tab's label."""
    yield None
    labels = [tab.label for tab in at.tabs]
    keys = [k for k in at.session_state if at.session_state[k] in labels]
    for key in keys:
        for label in labels:
            at.session_state[key] = label
            at.run()
            yield label


def test_every_chart_is_plotly_or_the_map(demo_home: Path, monkeypatch) -> None:
    """One chart library in the whole app (issue 12): every chart on every page and tab is a
    Plotly figure, the map pydeck, and no other chart element (st.line_chart, Altair, Vega-Lite,
    pyplot, Graphviz, components) is drawn."""
    monkeypatch.setenv("LACRIME_HOME", str(demo_home))
    at = AppTest.from_file(APP, default_timeout=60).run()
    drawn: dict[str, int] = {}
    opened: dict[str, list] = {}
    for page in ALL_PAGES:
        at.switch_page(page).run()
        for tab in _each_tab(at):
            opened.setdefault(page, []).append(tab)
            assert not at.exception, (page, tab, [e.value for e in at.exception])
            others = {kind: len(at.get(kind)) for kind in OTHER_CHARTS if at.get(kind)}
            assert not others, (page, tab, others)
            figures = plotly_charts(at)
            assert all(figure.data for figure in figures), (page, tab)
            drawn[page] = drawn.get(page, 0) + len(figures)
            if page == "app_pages/hotspot_map.py":
                assert at.get("deck_gl_json_chart"), tab
    assert len(opened[COMPARISON]) > 1 and len(opened[DATA_FAIRNESS]) > 1  # tabs were opened
    charted = {page for page, count in drawn.items() if count}
    assert charted >= {OVERVIEW, DATA_FAIRNESS, HOURLY, COMPARISON}, drawn


def test_first_start_serves_the_overview_while_the_models_train(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A fresh app makes the demo in the background and serves a progress page meanwhile; the
    Overview opens as soon as the data are in, saying that the models are training; once they
    are, it names the version and no first-start box is left on the page."""
    monkeypatch.setenv(bootstrap.DEMO_ROWS_ENV, "3000")
    assert not has_dataset()
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    assert has_dataset()
    manifest = read_manifest()
    assert manifest["synthetic"] is True
    assert manifest["report"]["rows_in"] == 3000
    assert at.title[0].value == "Overview"
    assert _banner_shown(at)
    latest = {m.label: m.value for m in at.metric}["Latest report"]
    assert latest == manifest["date_range"][1]
    if current_version_id() is None:
        assert any("models are being trained" in i.value for i in at.info)

    deadline = time.monotonic() + 120
    while not bootstrap.ready() and time.monotonic() < deadline:
        time.sleep(0.5)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.status
    assert not any("being trained" in i.value for i in at.info)
    assert any(current_version_id() in m.value for m in at.markdown)
    lines = bootstrap.status_lines()
    assert lines[-1].endswith(f"Ready: model version {current_version_id()}")
    assert any("Generating 3,000 synthetic reports" in line for line in lines)


def test_first_start_is_race_safe(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(bootstrap.DEMO_ROWS_ENV, "2000")
    start = threading.Barrier(2)
    results: list[dict] = []
    messages: list[str] = []

    def first_visitor() -> None:
        start.wait()
        results.append(bootstrap.ensure_dataset(messages.append))

    threads = [threading.Thread(target=first_visitor) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(results) == 2
    assert results[0]["dataset_id"] == results[1]["dataset_id"]
    assert len(list((current_dir().parent / "datasets").iterdir())) == 1
    assert sum(m.startswith("Generating") for m in messages) == 1


def test_make_runs_prepare_and_the_app_s_prepare_share_one_first_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`make run` starts `lacrime prepare` beside the server, whose first visitor starts one
    too: under the first-start lock one makes the demo and trains, the other waits."""
    monkeypatch.setenv(bootstrap.DEMO_ROWS_ENV, "2000")
    command = [sys.executable, "-m", "lacrime", "prepare"]
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, text=True) for _ in range(2)]
    said = [run.communicate(timeout=300)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0]
    assert len(list((current_dir().parent / "datasets").iterdir())) == 1
    assert [v["id"] for v in list_versions()] == [current_version_id()]
    assert sum("Generating 2,000 synthetic reports" in out for out in said) == 1
    assert all(f"Ready: model version {current_version_id()}" in out for out in said)
    assert main(["prepare"]) == 0  # once done, it only says so


def test_bad_demo_rows_is_a_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(bootstrap.DEMO_ROWS_ENV, "lots")
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert any("LACRIME_DEMO_ROWS='lots'" in e.value for e in at.error)


def test_user_problem_is_a_message_and_a_bug_hides_its_traceback(monkeypatch) -> None:
    assert main(["demo", "--rows", "2000"]) == 0
    (current_dir() / "reports.parquet").unlink()
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert any("reports.parquet is missing: ingest the data again" in e.value for e in at.error)

    assert main(["demo", "--rows", "2000"]) == 0

    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug")

    original = weekly.compare_weeks
    monkeypatch.setattr(weekly, "compare_weeks", broken)
    at = run_page(OVERVIEW)
    assert any("unexpected problem (ZeroDivisionError)" in e.value for e in at.error)
    assert not any("Traceback" in e.value or "a bug" in e.value for e in at.error)
    monkeypatch.setattr(weekly, "compare_weeks", original)

    override_file().write_text("this is [not toml")
    at = run_page(DATA_FAIRNESS)
    assert any("not a valid exclusions file" in e.value for e in at.error)
