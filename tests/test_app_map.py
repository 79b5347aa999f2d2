"""The Hotspot map page and the area section of Data & fairness, run headless with AppTest on a
trained demo home and on the trained real extract."""

import io
import json
import math
from datetime import date, timedelta
from itertools import pairwise
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pypdf import PdfReader
from streamlit.testing.v1 import AppTest

from lacrime.app import decision, map_data, map_layers, maps
from lacrime.app import hotspots as hotspot_views
from lacrime.data.categories import SEXUAL_OFFENCES
from lacrime.data.completeness import Completeness
from lacrime.data.dataset import load_dataset, read_manifest
from lacrime.hotspots.flagging import flag_count
from lacrime.hotspots.grid import locate
from lacrime.hotspots.models import label
from lacrime.ops import registry
from lacrime.ops.train import HOTSPOTS, latest_full_week_end, record_of

APP = Path(__file__).resolve().parents[1] / "app.py"
MAP = "app_pages/hotspot_map.py"
DATA_FAIRNESS = "app_pages/data_fairness.py"


@pytest.fixture
def demo(demo_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LACRIME_HOME", str(demo_home))
    return demo_home


def _stored():
    return registry.load_artifact(registry.current_version(), HOTSPOTS)


def _run(page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page(page).run()
    _check(at)
    return at


def _check(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def _deck(at: AppTest) -> dict:
    (chart,) = at.get("deck_gl_json_chart")
    return json.loads(chart.proto.json)


def _layer(deck: dict, layer_id: str) -> list[dict]:
    return next(layer["data"] for layer in deck["layers"] if layer["id"] == layer_id)


def _colours(deck: dict) -> dict[str, list[int]]:
    return {row["cell"]: row["fill"] for row in _layer(deck, "risk")}


def _layer_ids(deck: dict) -> list[str]:
    return [layer["id"] for layer in deck["layers"]]


# Widgets bound to the URL by Streamlit (`bind="query-params"`) are written there by the browser,
# which AppTest has not: tests/test_browser.py checks those; the ids `ui.linked_selectbox` writes
# (week, model, watch, allocation) are checked here.


def _captions(at: AppTest) -> str:
    return " ".join(c.value for c in at.caption)


def test_default_view_shows_the_stored_forecast_without_training(home: Path, monkeypatch) -> None:
    def no_training(*args, **kwargs):
        raise AssertionError("the default view trained a model")

    monkeypatch.setattr(hotspot_views, "fit_for", no_training)
    stored = _stored()
    at = _run(MAP)
    assert at.title[0].value == "Hotspot map"
    assert at.selectbox(key="hotspot_as_of").value == stored.as_of
    assert stored.as_of == latest_full_week_end(load_dataset())
    assert at.query_params == {}

    deck = _deck(at)
    assert _layer_ids(deck) == ["risk", "flagged", "areas", "area-names"]
    assert deck["initialViewState"]["pitch"] == 0
    cells = [row["cell"] for row in _layer(deck, "risk")]
    assert len(cells) == len(set(cells)) == len(stored.grid)
    assert set(cells) == set(stored.grid.ids)
    flagged = _layer(deck, "flagged")
    assert len(flagged) == flag_count(len(stored.grid), 0.05)
    names = {row["area_name"] for row in _layer(deck, "area-names")}
    assert names == set(stored.grid.cells["area_name"])
    assert len(_layer(deck, "areas")) >= len(names)
    table = at.dataframe[0].value
    assert set(table["cell"]) == {row["cell"] for row in flagged}
    forecast = stored.forecast()
    expected = forecast.set_index("cell")["expected"]
    assert table["expected"].tolist() == pytest.approx(expected[table["cell"]].tolist())
    percentiles = forecast.set_index("cell")["percentile"]
    assert table["percentile"].tolist() == pytest.approx(percentiles[table["cell"]].tolist())
    assert table["percentile"].is_monotonic_decreasing and table["percentile"].iloc[0] > 99
    assert deck["mapProvider"] == "carto" and "cartocdn" in deck["mapStyle"]

    start, end = stored.window
    captions = _captions(at)
    assert f"{start:%A %d %B} to {end:%A %d %B %Y}" in captions
    assert label(stored.model.name) in captions
    pai = registry.current_version().metadata["evaluation"]["hotspots"]["models"]
    assert f"{pai[stored.model.name]['metrics']['pai_5']['mean']:.2f}" in captions
    assert "Coverage 5%" in captions and "Expected reports" in captions
    assert any(e.label == "What was left out and why" for e in at.expander)
    labels = {b.label for b in at.download_button}
    assert {"Flagged cells (CSV)", "Weekly briefing (PDF)", "Patrol plan (CSV)"} <= labels
    assert any(s.value == "What is heating up" for s in at.subheader)


def test_real_extract_forecasts_the_week_after_its_last_full_week(real_home: Path, monkeypatch):
    monkeypatch.setenv("LACRIME_HOME", str(real_home))
    at = _run(MAP)
    assert at.selectbox(key="hotspot_as_of").value == date(2024, 3, 24)
    captions = _captions(at)
    assert "Monday 25 March to Sunday 31 March 2024" in captions
    # The records-system switch: the forecaster's incomplete areas are named on the page.
    late = _stored().incomplete_areas
    assert late
    warning = " ".join(w.value for w in at.warning)
    assert all(area in warning for area in late) and "NIBRS" in warning


def test_controls_reflag_refocus_and_keep_each_cells_colour(demo: Path) -> None:
    stored = _stored()
    cells = stored.grid.cells
    at = _run(MAP)
    colours = _colours(_deck(at))

    at.slider(key="hotspot_coverage").set_value(2).run()
    _check(at)
    k = flag_count(len(cells), 0.02)
    assert len(at.dataframe[0].value) == len(_layer(_deck(at), "flagged")) == k
    assert _colours(_deck(at)) == colours
    assert "Coverage 2%" in _captions(at)

    at.selectbox(key="hotspot_allocation").set_value("proportional").run()
    _check(at)
    assert at.query_params["hotspot_allocation"] == "proportional"
    per_area = at.dataframe[0].value["area_name"].value_counts()
    weights = stored.recent["last_4_weeks"].groupby(cells["area_name"].to_numpy()).sum()
    capacity = cells["area_name"].value_counts()
    for area, weight in weights.items():
        quota = min(math.floor(k * weight / weights.sum()), capacity[area])
        assert per_area.get(area, 0) >= quota, area
    assert _colours(_deck(at)) == colours


def test_choosing_an_area_outlines_it_dims_the_rest_and_scores_it(demo: Path) -> None:
    stored = _stored()
    cells = stored.grid.cells
    at = _run(MAP)
    city = _deck(at)["initialViewState"]
    area = cells["area_name"].value_counts().index[0]
    older = stored.as_of - timedelta(days=14)
    at.selectbox(key="hotspot_as_of").set_value(older).run()
    colours = _colours(_deck(at))
    at.selectbox(key="hotspot_area").set_value(area).run()
    _check(at)
    assert at.query_params["hotspot_as_of"] == older.isoformat()
    deck = _deck(at)
    view = deck["initialViewState"]
    mine = cells[cells["area_name"] == area]
    assert view["latitude"] == pytest.approx((mine["lat"].min() + mine["lat"].max()) / 2)
    assert view["zoom"] > city["zoom"]
    assert set(at.dataframe[0].value["area_name"]) == {area}
    for cell, fill in _colours(deck).items():
        assert fill[:3] == colours[cell][:3]
        assert (fill[3] == maps.DIM_ALPHA) == (cells.loc[cell, "area_name"] != area)
    chosen = next(layer for layer in deck["layers"] if layer["id"] == "chosen-area")
    assert chosen["getWidth"] == map_layers.CHOSEN_LINE_PX
    outlines = map_layers.area_outlines(cells.reset_index()[["cell", "area_name"]])
    rings = outlines.set_index("area_name").loc[area, "rings"]
    drawn = {frozenset(map(tuple, (r["start"], r["end"]))) for r in _layer(deck, "chosen-area")}
    assert drawn == {frozenset((tuple(a), tuple(b))) for ring in rings for a, b in pairwise(ring)}
    assert any(s.value == f"How this forecast did in {area}" for s in at.subheader)
    reports = {m.label: m.value for m in at.metric}[f"Reports that week in {area}"]
    week = load_dataset()
    start = pd.Timestamp(older + timedelta(days=1))
    week = week[
        (week["occurred_at"] >= start) & (week["occurred_at"] < start + pd.Timedelta(days=7))
    ]
    located = locate(week["lat"], week["lon"], stored.grid.resolution)
    assert int(reports.replace(",", "")) == int(np.isin(located, mine.index).sum())
    assert any(s.value.startswith(f"Patrol plan: {area}") for s in at.subheader)


def test_past_reports_are_flat_points_never_a_sex_offence(demo: Path) -> None:
    stored = _stored()
    at = _run(MAP)
    at.checkbox(key="hotspot_past").check().run()
    _check(at)
    deck = _deck(at)
    layer = next(layer for layer in deck["layers"] if layer["id"] == "past")
    assert layer["@@type"] == "ScatterplotLayer" and deck["initialViewState"]["pitch"] == 0
    frame = load_dataset()
    start = pd.Timestamp(stored.as_of) - pd.Timedelta(days=6)
    week = frame[
        (frame["occurred_at"] >= start) & (frame["occurred_at"] < start + pd.Timedelta(days=7))
    ]
    assert (week["crime_group"] == SEXUAL_OFFENCES).any()
    assert len(layer["data"]) == int((week["crime_group"] != SEXUAL_OFFENCES).sum())

    def points(frame: pd.DataFrame) -> set[tuple[float, float]]:
        return {(round(a, 6), round(b, 6)) for a, b in zip(frame["lat"], frame["lon"], strict=True)}

    shown = points(pd.DataFrame(layer["data"]))
    sexual = week["crime_group"] == SEXUAL_OFFENCES
    only_sexual = points(week[sexual]) - points(week[~sexual])
    assert only_sexual and not shown & only_sexual
    assert "a report, last week" in " ".join(h.proto.body for h in at.get("html"))


def test_another_model_and_a_group_train_on_demand_on_one_scale(demo: Path) -> None:
    stored = _stored()
    at = _run(MAP)
    other = "last_week" if stored.model.name != "last_week" else "kde"
    risks = {row["cell"]: row["risk_text"] for row in _layer(_deck(at), "risk")}
    at.selectbox(key="hotspot_model").set_value(other).run()
    _check(at)
    assert at.query_params["hotspot_model"] == other
    changed = {row["cell"]: row["risk_text"] for row in _layer(_deck(at), "risk")}
    assert changed.keys() == risks.keys() and changed != risks
    assert "trained on demand" in _captions(at) and label(other) in _captions(at)
    assert at.selectbox(key="hotspot_model").format_func(other) == label(other)

    group = "Vehicle crime"
    at.selectbox(key="hotspot_group").set_value(group).run()
    _check(at)
    assert f"on {group} reports only" in _captions(at)


def test_a_watch_shows_its_cells_plan_and_link(demo: Path) -> None:
    at = _run(MAP)
    at.selectbox(key="hotspot_watch").set_value("night").run()
    _check(at)
    assert at.query_params["hotspot_watch"] == "night"
    assert at.selectbox(key="hotspot_model").disabled
    watches = decision.watch_forecasters(
        load_dataset(),
        as_of=_stored().as_of,
        models=decision.watch_models(record_of(registry.current_version())),
        resolution=_stored().grid.resolution,
        completeness=Completeness.from_manifest(read_manifest()),
    )
    night = watches["night"].forecast()
    table = at.dataframe[0].value
    assert set(table["cell"]) == set(night.loc[night["flagged"], "cell"])
    assert table["expected"].tolist() == pytest.approx(
        night.set_index("cell").loc[table["cell"], "expected"].tolist()
    )
    assert any(s.value == "Patrol plan: the city, night (23–07 h)" for s in at.subheader)


def test_a_link_opens_its_view_by_ids(demo: Path) -> None:
    stored = _stored()
    older = stored.as_of - timedelta(days=7)
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update(
        {"hotspot_as_of": older.isoformat(), "hotspot_model": "kde", "hotspot_watch": "evening"}
    )
    at.run()
    at.switch_page(MAP).run()
    _check(at)
    assert at.selectbox(key="hotspot_as_of").value == older
    assert at.selectbox(key="hotspot_model").value == "kde"
    assert at.selectbox(key="hotspot_watch").value == "evening"


def test_basemap_off_and_emerging_hotspots_on(demo: Path) -> None:
    at = _run(MAP)
    at.checkbox(key="hotspot_basemap").uncheck().run()
    _check(at)
    deck = _deck(at)
    assert _layer_ids(deck)[0] == "background" and not deck.get("mapStyle")
    assert "Basemap tiles are off" in _captions(at)

    at.checkbox(key="hotspot_emerging").check().run()
    _check(at)
    deck = _deck(at)
    emerging = _layer(deck, "emerging")
    patterns = {row["pattern"] for row in emerging}
    assert emerging and "no pattern detected" not in patterns
    assert next(layer for layer in deck["layers"] if layer["id"] == "emerging")["pickable"] is False
    assert "cells heating up" in _captions(at)


def test_the_briefing_button_makes_the_views_pdf(demo: Path) -> None:
    stored = _stored()
    area = stored.grid.cells["area_name"].value_counts().index[0]
    make = map_data.briefing_download(stored.as_of, area, "night")
    pages = PdfReader(io.BytesIO(make())).pages
    text = " ".join(page.extract_text() for page in pages)
    assert len(pages) == 2 and area in text and "night" in text.lower()


def test_data_fairness_compares_each_areas_flags_with_its_crime(demo: Path) -> None:
    stored = _stored()
    metadata = registry.current_version().metadata
    at = _run(DATA_FAIRNESS)
    at.session_state["fairness_section"] = "Flags by area"
    at.run()
    assert any(h.value == "How flagged cells spread over the LAPD areas" for h in at.header)
    spread = at.dataframe[-1].value
    assert set(spread["area_name"]) == set(stored.grid.cells["area_name"])
    assert spread["crime_share"].sum() == pytest.approx(1)
    for mode in ("citywide", "proportional"):
        assert spread[f"{mode}_flag_share"].sum() == pytest.approx(1)
        assert spread[f"{mode}_flagged"].sum() == flag_count(len(stored.grid), 0.05)
    warnings = " ".join(w.value for w in at.warning)
    unbalanced = spread[(spread["citywide_ratio"] > 2) | (spread["citywide_ratio"] < 0.5)]
    assert all(f"{area} (" in warnings for area in unbalanced["area_name"])
    modes = metadata["evaluation"]["hotspots"]["allocation_modes"]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["PAI at 5%, city-wide"] == f"{modes['citywide']['pai_5']:.2f}"
    assert metrics["PAI at 5%, proportional"] == f"{modes['proportional']['pai_5']:.2f}"
