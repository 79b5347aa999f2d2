"""The hotspot map's pure parts: colour scale, legend, view, deck layers, and the tables behind the
map page and the area section of Data & fairness, on hand-made forecasts and a small frame."""

import json
import math
from datetime import date, timedelta
from itertools import pairwise

import h3
import numpy as np
import pandas as pd
import pydeck as pdk
import pytest

from lacrime.app import charts, map_layers, maps, palette
from lacrime.app import hotspots as hotspot_views
from lacrime.errors import LacrimeError
from lacrime.hotspots.calibration import percentile
from lacrime.hotspots.forecast import fit_forecaster
from lacrime.ops.train import latest_full_week_end


def _forecast(risk, areas, flagged, last_week, last_4_weeks) -> pd.DataFrame:
    """A forecast table as `HotspotForecaster.forecast` returns it, on made-up cells."""
    n = len(risk)
    order = np.lexsort((np.arange(n), -np.asarray(risk, dtype="float64")))
    rank = np.empty(n, dtype="int64")
    rank[order] = np.arange(1, n + 1)
    cells = [h3.latlng_to_cell(34.0 + 0.004 * i, -118.4 + 0.004 * i, 8) for i in range(n)]
    return pd.DataFrame(
        {
            "cell": cells,
            "rank": rank,
            "expected": np.asarray(risk, dtype="float64") * 2,
            "percentile": percentile(np.asarray(risk, dtype="float64")),
            "risk": np.asarray(risk, dtype="float64"),
            "flagged": np.asarray(flagged, dtype=bool),
            "area_name": areas,
            "lat": np.linspace(34.0, 34.1, n),
            "lon": np.linspace(-118.4, -118.3, n),
            "last_week": np.asarray(last_week, dtype="int64"),
            "last_4_weeks": np.asarray(last_4_weeks, dtype="int64"),
        }
    )


def _luminance(rgb: tuple[int, int, int]) -> float:
    return 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]


def test_rank_share_gives_ties_their_worst_rank() -> None:
    share = maps.rank_share(pd.Series([5.0, 4.0, 4.0, 1.0, 0.0, 0.0, 0.0, 0.0]))
    assert share.tolist() == [1 / 8, 3 / 8, 3 / 8, 4 / 8, 1.0, 1.0, 1.0, 1.0]


def test_colour_classes_have_fixed_bounds_and_darken_with_risk() -> None:
    breaks = np.array(maps.RANK_BREAKS)
    assert maps.rank_class(breaks).tolist() == list(range(len(breaks)))
    assert maps.rank_class(breaks[:-1] + 1e-9).tolist() == list(range(1, len(breaks)))
    shares = np.linspace(0.001, 1, 500)
    assert (np.diff(maps.rank_class(shares)) >= 0).all()
    luminance = [_luminance(colour[:3]) for colour in maps.class_colours()]
    assert all(a < b for a, b in zip(luminance, luminance[1:], strict=False))


def _fills(forecast: pd.DataFrame) -> list[tuple[int, ...]]:
    """The fill the map draws for each cell of a forecast."""
    return [tuple(fill) for fill in maps.map_cells(forecast)["fill"]]


def test_colours_follow_rank_only_not_the_scale_flags_or_allocation() -> None:
    rng = np.random.default_rng(0)
    risk = rng.random(200)
    areas = np.where(np.arange(200) < 100, "A", "B")
    base = _forecast(risk, areas, risk > 0.9, np.zeros(200), np.zeros(200))
    colours = _fills(base)
    rescaled = base.assign(risk=risk * 40 + 3, flagged=risk > 0.5)
    assert _fills(rescaled) == colours
    top = int(np.argmax(risk))
    assert colours[top] == maps.class_colours()[0]
    assert colours[int(np.argmin(risk))] == maps.class_colours()[-1]


def test_legend_names_every_class_with_its_colour() -> None:
    labels = maps.class_labels()
    assert len(labels) == len(maps.RANK_BREAKS) == len(maps.PALETTE)
    assert labels[0] == "top 1%" and labels[-1] == "lower 50%"
    assert labels[3] == "5%–10%"
    html = maps.legend_html()
    for label, colour in zip(labels, maps.class_colours(), strict=True):
        assert label in html
        assert f"rgba({colour[0]}, {colour[1]}, {colour[2]}" in html
    assert "flagged cell" in html and "LAPD area" in html
    assert "a report," not in html and "patrol zone" not in html
    assert "a report, last week" in maps.legend_html(past="last week")
    assert "patrol zone" in maps.legend_html(zones=True)


def _pixel_span(lat_lo: float, lat_hi: float, lon_lo: float, lon_hi: float, zoom: float):
    world = map_layers.TILE_PX * 2**zoom
    y = [
        math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)) / (2 * math.pi)
        for lat in (lat_lo, lat_hi)
    ]
    return (lon_hi - lon_lo) / 360 * world, (y[1] - y[0]) * world


def test_view_fits_the_cells_into_the_map_and_zooms_in_on_a_smaller_area() -> None:
    lat, lon = pd.Series([33.75, 34.30]), pd.Series([-118.65, -118.18])
    city = maps.view_state(lat, lon)
    assert city.latitude == pytest.approx(34.025) and city.longitude == pytest.approx(-118.415)
    width, height = _pixel_span(33.75, 34.30, -118.65, -118.18, city.zoom)
    assert width <= maps.MAP_WIDTH_PX and height <= maps.MAP_HEIGHT_PX
    assert max(width / maps.MAP_WIDTH_PX, height / maps.MAP_HEIGHT_PX) > 0.75
    area = maps.view_state(pd.Series([34.08, 34.14]), pd.Series([-118.40, -118.30]))
    assert area.zoom > city.zoom + 1 and area.pitch == city.pitch == 0


def test_deck_draws_every_cell_outlines_the_flagged_and_adds_past_reports() -> None:
    forecast = _forecast(
        [0.9, 0.8, 0.1, 0.0],
        ["A", "A", "B", "B"],
        [True, False, True, False],
        [3, 2, 1, 0],
        [9, 4, 2, 0],
    )
    view = maps.view_state(forecast["lat"], forecast["lon"])
    deck = maps.hotspot_deck(forecast, view)
    layers = {layer.id: layer for layer in deck.layers}
    assert list(layers) == ["risk", "flagged", "areas", "area-names"]
    assert [row["cell"] for row in layers["risk"].data] == forecast["cell"].tolist()
    assert {row["cell"] for row in layers["flagged"].data} == set(
        forecast["cell"][forecast["flagged"]]
    )
    assert deck.map_provider == "carto"
    assert "of 4" in deck._tooltip["html"] and "Expected reports" in deck._tooltip["html"]
    tooltip = maps.map_cells(forecast)
    assert tooltip["expected_text"].tolist() == ["1.8", "1.6", "0.2", "0.0"]
    past = pd.DataFrame({"lat": [34.0, 34.01, 34.02], "lon": [-118.4, -118.39, -118.38]})
    with_past = maps.hotspot_deck(forecast, view, past=past)
    assert [layer.id for layer in with_past.layers][-1] == "past"
    assert with_past.layers[-1].type == "ScatterplotLayer" and len(with_past.layers[-1].data) == 3
    assert with_past.initial_view_state.pitch == 0

    sent = with_past.to_json()
    assert json.loads(sent) == json.loads(pdk.Deck.to_json(with_past))
    assert "\n" not in sent and len(sent) < len(pdk.Deck.to_json(with_past)) / 1.5


def test_areas_are_outlined_from_their_own_cells_and_named_inside() -> None:
    """Each area's cells dissolve into one outline whose ring runs along its cells' edges, and
    its name sits at the centre of one of its own cells."""
    west = h3.grid_disk(h3.latlng_to_cell(34.05, -118.30, 8), 2)
    east = h3.grid_disk(h3.latlng_to_cell(34.05, -118.20, 8), 1)
    cells = pd.DataFrame(
        {"cell": [*west, *east], "area_name": ["West"] * len(west) + ["East"] * len(east)}
    )
    outlines = map_layers.area_outlines(cells).set_index("area_name")
    assert sorted(outlines.index) == ["East", "West"]
    for area, members in (("West", west), ("East", east)):
        (ring,) = outlines.loc[area, "rings"]
        vertices = {
            (round(lat, 9), round(lon, 9)) for c in members for lat, lon in h3.cell_to_boundary(c)
        }
        assert all((round(lat, 9), round(lon, 9)) in vertices for lon, lat in ring)
        assert all(
            h3.latlng_to_cell(lat, lon, 8) in members for lat, lon in outlines.loc[area, "spots"]
        )
    layers = map_layers.area_layers(outlines.reset_index(), 11.0, "East")
    layers = {layer.id: layer for layer in layers}
    assert list(layers) == ["areas", "chosen-area", "area-names"]
    for layer_id, area in (("areas", "West"), ("chosen-area", "East")):
        (ring,) = outlines.loc[area, "rings"]
        segments = [(row["start"], row["end"]) for row in layers[layer_id].data]
        assert segments == list(pairwise(ring))
    assert layers["chosen-area"].get_width == map_layers.CHOSEN_LINE_PX
    assert layers["areas"].get_width == map_layers.AREA_LINE_PX
    assert {row["area_name"] for row in layers["area-names"].data} == {"East", "West"}


def test_names_of_neighbouring_areas_are_placed_apart_at_the_city_view() -> None:
    """Seven small areas side by side, each a hexagon of seven cells: at a city zoom their
    middles are less than a name's width apart, so names there would cover each other;
    placed, no two names' boxes meet and each name still sits on a cell of its own area."""
    centre = h3.latlng_to_cell(34.05, -118.25, 8)
    middles = [centre, *h3.grid_ring(centre, 4)[::4]]
    cells = pd.DataFrame(
        [
            {"cell": c, "area_name": f"Area number {i}"}
            for i, m in enumerate(middles)
            for c in h3.grid_disk(m, 1)
        ]
    )
    outlines = map_layers.area_outlines(cells)
    zoom = 10.0
    sizes = np.full(len(outlines), map_layers.LABEL_PX)

    def boxes(positions: list[list[float]]) -> list[np.ndarray]:
        return [
            map_layers.label_box(name, lat, lon, map_layers.LABEL_PX, zoom)
            for name, (lon, lat) in zip(outlines["area_name"], positions, strict=True)
        ]

    def meet(a: np.ndarray, b: np.ndarray) -> bool:
        return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]

    at_middles = boxes([[lon, lat] for lat, lon in (spots[0] for spots in outlines["spots"])])
    assert any(meet(a, b) for i, a in enumerate(at_middles) for b in at_middles[i + 1 :])
    placed = map_layers.place_labels(outlines, sizes, zoom)
    apart = boxes(placed)
    assert not any(meet(a, b) for i, a in enumerate(apart) for b in apart[i + 1 :])
    for name, (lon, lat) in zip(outlines["area_name"], placed, strict=True):
        own = set(cells.loc[cells["area_name"] == name, "cell"])
        assert h3.latlng_to_cell(lat, lon, 8) in own
    layers = map_layers.area_layers(outlines, zoom)
    assert [row["position"] for row in layers[-1].data] == placed


def test_choosing_an_area_dims_the_rest_and_no_basemap_draws_a_plain_background() -> None:
    forecast = _forecast([0.9, 0.8, 0.1, 0.0], ["A", "A", "B", "B"], [True] * 4, [0] * 4, [0] * 4)
    fills = maps.map_cells(forecast, area="A")["fill"].tolist()
    full = maps.map_cells(forecast)["fill"].tolist()
    assert fills[:2] == full[:2]
    assert [f[:3] for f in fills[2:]] == [f[:3] for f in full[2:]]
    assert all(f[3] == maps.DIM_ALPHA < g[3] for f, g in zip(fills[2:], full[2:], strict=True))
    view = maps.view_state(forecast["lat"], forecast["lon"])
    plain = maps.hotspot_deck(forecast, view, basemap=False)
    assert plain.layers[0].id == "background" and plain.map_style is None
    assert plain.map_provider is None


def _lab(rgb) -> np.ndarray:
    """CIELAB (D65) of an sRGB colour."""
    c = np.asarray(rgb, dtype="float64") / 255
    c = np.where(c > 0.04045, ((c + 0.055) / 1.055) ** 2.4, c / 12.92)
    m = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
    xyz = m @ c / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


@pytest.mark.parametrize(
    "background",
    [(250, 250, 248), (255, 255, 255), map_layers.BACKGROUND[:3]],
    ids=["carto light", "no tiles", "plain background"],
)
def test_colour_classes_are_told_apart_on_every_background(background) -> None:
    """Neighbouring classes (the top three reds above all) differ by a CIE76 distance of at
    least 15 once blended over the background, and the palest stands out from it by as much."""
    shown = [
        _lab(np.array(c[:3]) * c[3] / 255 + np.array(background) * (1 - c[3] / 255))
        for c in maps.class_colours()
    ]
    steps = [float(np.linalg.norm(a - b)) for a, b in zip(shown, shown[1:], strict=False)]
    assert min(steps) >= 15, steps
    assert np.linalg.norm(shown[-1] - _lab(background)) >= 15


def test_flagged_table_shares_add_up_to_the_flagged_share() -> None:
    forecast = _forecast(
        [0.9, 0.8, 0.7, 0.1, 0.0],
        ["A", "A", "B", "B", "B"],
        [True, False, True, False, True],
        [10, 5, 3, 2, 0],
        [20, 10, 6, 4, 0],
    )
    table = hotspot_views.flagged_table(forecast)
    assert table["rank"].tolist() == [1, 3, 5]
    assert table["last_week_share"].tolist() == pytest.approx([10 / 20, 3 / 20, 0])
    share = hotspot_views.flagged_share(forecast)
    assert share["flagged"] == 3 and share["cells"] == 5
    assert share["last_week_share"] == pytest.approx(13 / 20)
    assert table["last_4_weeks_share"].sum() == pytest.approx(share["last_4_weeks_share"])

    in_b = hotspot_views.flagged_table(forecast, "B")
    assert in_b["area_name"].eq("B").all() and len(in_b) == 2
    assert in_b["last_week_share"].tolist() == pytest.approx([3 / 5, 0])
    assert hotspot_views.flagged_share(forecast, "B")["last_week_share"] == pytest.approx(3 / 5)


def test_area_spread_compares_flag_shares_with_crime_shares() -> None:
    areas = ["A"] * 4 + ["B"] * 4 + ["C"] * 4
    last_4_weeks = [10, 10, 10, 10] + [5, 5, 0, 0] + [30, 20, 0, 0]
    citywide = _forecast(
        np.arange(12)[::-1], areas, [1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0], np.zeros(12), last_4_weeks
    )
    proportional = citywide.assign(flagged=np.array([1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0], bool))
    spread = hotspot_views.area_spread({"citywide": citywide, "proportional": proportional})
    assert spread["area_name"].tolist() == ["C", "A", "B"]
    by_area = spread.set_index("area_name")
    assert by_area["crime_share"].tolist() == pytest.approx([0.5, 0.4, 0.1])
    for mode in ("citywide", "proportional"):
        assert by_area[f"{mode}_flag_share"].sum() == pytest.approx(1)
    assert by_area["citywide_flagged"].tolist() == [0, 3, 0]
    assert by_area["citywide_ratio"].tolist() == pytest.approx([0, 1 / 0.4, 0])
    assert by_area["proportional_ratio"].tolist() == pytest.approx(
        [(2 / 3) / 0.5, (1 / 3) / 0.4, 0]
    )

    over, under = hotspot_views.unbalanced_areas(spread, "citywide")
    assert over["area_name"].tolist() == ["A"]
    assert set(under["area_name"]) == {"B", "C"}
    lines = hotspot_views.imbalance_lines(spread, {"citywide": "City-wide", "proportional": "P"})
    assert len(lines) == 2 and "A (2.50×)" in lines[0] and "B (0.00×)" in lines[1]
    modes = {"citywide": "City-wide", "proportional": "P"}
    chart = charts.area_ratio_chart(spread, modes, "random_forest_smote")
    assert [bars.name for bars in chart.data] == ["City-wide", "P"]
    city, proportional = chart.data
    assert list(city.y) == ["C", "A", "B"]  # in the table's order, top to bottom
    assert chart.layout.yaxis.autorange == "reversed"
    assert list(proportional.x) == spread["proportional_ratio"].tolist()
    assert city.marker.color == palette.HOTSPOT_MODELS["random_forest_smote"]


def _small_frame(first: date, last: date) -> pd.DataFrame:
    """Twenty reports a day around two LA points, from `first` to `last`."""
    rng = np.random.default_rng(1)
    days = pd.date_range(first, last, freq="D")
    at = np.repeat(days, 20) + pd.to_timedelta(rng.integers(0, 1440, 20 * len(days)), "min")
    centre = rng.integers(0, 2, len(at))
    return pd.DataFrame(
        {
            "occurred_at": at,
            "area_name": np.where(centre == 0, "Central", "Hollywood"),
            "crime_group": np.where(rng.random(len(at)) < 0.5, "Theft", "Burglary"),
            "lat": np.where(centre == 0, 34.05, 34.10) + rng.normal(0, 0.01, len(at)),
            "lon": np.where(centre == 0, -118.25, -118.33) + rng.normal(0, 0.01, len(at)),
        }
    )


def test_forecast_weeks_are_the_sundays_a_forecast_can_be_made_from() -> None:
    weeks = hotspot_views.forecast_weeks(date(2024, 2, 1), date(2024, 3, 24))
    assert weeks[0] == date(2024, 3, 24) and weeks[-1] == date(2024, 2, 18)
    assert all(day.weekday() == 6 for day in weeks)
    assert [a - b for a, b in zip(weeks, weeks[1:], strict=False)] == [timedelta(7)] * 5
    assert hotspot_views.forecast_weeks(date(2024, 2, 1), date(2024, 3, 27))[0] == date(2024, 3, 24)
    assert hotspot_views.forecast_weeks(date(2024, 2, 1), date(2024, 2, 10)) == []

    frame = _small_frame(date(2024, 2, 1), date(2024, 3, 27))
    assert weeks[0] == latest_full_week_end(frame)
    fit_forecaster(frame, as_of=weeks[-1], model="last_week")
    with pytest.raises(LacrimeError, match="two full weeks"):
        fit_forecaster(frame, as_of=weeks[-1] - timedelta(days=7), model="last_week")


def test_fit_for_a_group_and_the_outcome_of_a_past_week() -> None:
    frame = _small_frame(date(2024, 2, 1), date(2024, 3, 24))
    theft = hotspot_views.fit_for(
        frame, as_of=date(2024, 3, 10), model="last_week", group="Theft", resolution=8
    )
    forecast = theft.forecast(0.1)
    in_march = frame[frame["occurred_at"].between("2024-03-04", "2024-03-11", inclusive="left")]
    assert forecast["last_week"].sum() == (in_march["crime_group"] == "Theft").sum()
    outcome = hotspot_views.week_outcome(forecast, frame, "Theft")
    week = frame[frame["occurred_at"].between("2024-03-11", "2024-03-18", inclusive="left")]
    assert outcome["crimes"] == (week["crime_group"] == "Theft").sum()
    assert outcome["flagged_cells"] == forecast["flagged"].sum()
    latest = hotspot_views.fit_for(
        frame, as_of=date(2024, 3, 24), model="last_week", group=None, resolution=8
    )
    assert hotspot_views.week_outcome(latest.forecast(), frame, None) is None
    with pytest.raises(LacrimeError, match="no report of it"):
        hotspot_views.fit_for(
            frame, as_of=date(2024, 3, 10), model="kde", group="Fraud", resolution=8
        )
