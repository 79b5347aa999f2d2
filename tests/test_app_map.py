"""The Hotspot map page and the area section of Data & fairness, run headless with AppTest on a
trained demo home and on the trained real extract."""

import json
import math
from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lacrime.app import hotspots as hotspot_views
from lacrime.data.dataset import load_dataset
from lacrime.hotspots.flagging import flag_count
from lacrime.ops import registry
from lacrime.ops.train import HOTSPOTS, latest_full_week_end

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


def test_default_view_shows_the_stored_forecast_without_training(home: Path, monkeypatch) -> None:
    def no_training(*args, **kwargs):
        raise AssertionError("the default view trained a model")

    monkeypatch.setattr(hotspot_views, "fit_for", no_training)
    stored = _stored()
    at = _run(MAP)
    assert at.title[0].value == "Hotspot map"
    assert at.selectbox(key="hotspot_as_of").value == stored.as_of
    assert stored.as_of == latest_full_week_end(load_dataset())

    deck = _deck(at)
    cells = [row["cell"] for row in _layer(deck, "risk")]
    assert len(cells) == len(set(cells)) == len(stored.grid)
    assert set(cells) == set(stored.grid.ids)
    flagged = _layer(deck, "flagged")
    assert len(flagged) == flag_count(len(stored.grid), 0.05)
    table = at.dataframe[0].value
    assert set(table["cell"]) == {row["cell"] for row in flagged}
    assert deck["mapProvider"] == "carto" and "cartocdn" in deck["mapStyle"]

    start, end = stored.window
    captions = " ".join(c.value for c in at.caption)
    assert f"{start:%A %d %B} to {end:%A %d %B %Y}" in captions
    pai = registry.current_version().metadata["evaluation"]["hotspots"]["models"]
    assert f"{pai[stored.model.name]['metrics']['pai_5']['mean']:.2f}" in captions
    assert "not a probability" in captions
    assert any(e.label == "What was left out and why" for e in at.expander)


def test_real_extract_forecasts_the_week_after_its_last_full_week(real_home: Path, monkeypatch):
    monkeypatch.setenv("LACRIME_HOME", str(real_home))
    at = _run(MAP)
    assert at.selectbox(key="hotspot_as_of").value == date(2024, 3, 24)
    captions = " ".join(c.value for c in at.caption)
    assert "Monday 25 March to Sunday 31 March 2024" in captions


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

    at.radio(key="hotspot_allocation").set_value("proportional").run()
    _check(at)
    per_area = at.dataframe[0].value["area_name"].value_counts()
    weights = stored.recent["last_4_weeks"].groupby(cells["area_name"].to_numpy()).sum()
    capacity = cells["area_name"].value_counts()
    for area, weight in weights.items():
        quota = min(math.floor(k * weight / weights.sum()), capacity[area])
        assert per_area.get(area, 0) >= quota, area
    assert _colours(_deck(at)) == colours

    city = _deck(at)["initialViewState"]
    area = capacity.index[0]
    at.selectbox(key="hotspot_area").set_value(area).run()
    _check(at)
    view = _deck(at)["initialViewState"]
    mine = cells[cells["area_name"] == area]
    assert view["latitude"] == pytest.approx((mine["lat"].min() + mine["lat"].max()) / 2)
    assert view["longitude"] == pytest.approx((mine["lon"].min() + mine["lon"].max()) / 2)
    assert view["zoom"] > city["zoom"]
    assert set(at.dataframe[0].value["area_name"]) == {area}
    assert _colours(_deck(at)) == colours

    at.checkbox(key="hotspot_past").check().run()
    _check(at)
    past = _layer(_deck(at), "past")
    assert {row["cell"] for row in past} == set(cells.index[stored.recent["last_4_weeks"] > 0])

    other = "last_week" if stored.model.name != "last_week" else "kde"
    risks = {row["cell"]: row["risk_text"] for row in _layer(_deck(at), "risk")}
    at.selectbox(key="hotspot_model").set_value(other).run()
    _check(at)
    changed = {row["cell"]: row["risk_text"] for row in _layer(_deck(at), "risk")}
    assert changed.keys() == risks.keys() and changed != risks
    assert any("trained on demand" in c.value for c in at.caption)


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
