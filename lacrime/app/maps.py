"""How a hotspot forecast is drawn: the pydeck map, its colour scale and legend.

Cells are coloured by where their risk ranks in the city, not by the risk score itself: the score
of one model is a probability, of another a count or a density, so only its order means the same
thing across models. The classes have fixed bounds (top 1%, 1-2%, ...), so a cell keeps its
colour when the coverage, the allocation or the area in view changes; what is flagged is drawn
as an outline on top. The LAPD areas' outlines and names come from the grid itself
(`map_layers`), so the map reads without its basemap; the basemap is Carto's, which needs no
access token, and can be turned off (tiles blocked, offline, or for a plain print).
"""

import json
import math

import numpy as np
import pandas as pd
import pydeck as pdk
from pydeck.bindings.json_tools import default_serialize

from lacrime.app import map_layers
from lacrime.hotspots.calibration import rank_share as rank_share

# Upper bounds of the colour classes: the share of the grid's cells at least as risky as a cell.
RANK_BREAKS: tuple[float, ...] = (0.01, 0.02, 0.05, 0.10, 0.25, 0.50, 1.0)
# ColorBrewer's 7-class yellow-orange-red (colorbrewer2.org), riskiest class first: ordered in
# lightness, readable with colour-vision deficiencies and on a light basemap.
PALETTE: tuple[tuple[int, int, int], ...] = (
    (177, 0, 38),
    (227, 26, 28),
    (252, 78, 42),
    (253, 141, 60),
    (254, 178, 76),
    (254, 217, 118),
    (255, 255, 178),
)
# Opacity of each class, riskiest first: the top classes nearly opaque so the three reds stay
# apart over streets, the lower half lighter so the basemap shows through, yet the palest class
# still stands out from the background (tests/test_maps.py measures both in CIELAB).
CLASS_ALPHAS: tuple[int, ...] = (235, 225, 215, 205, 195, 170, 150)
# A cell outside the area chosen: its class colour, faint, so the area stands out.
DIM_ALPHA = 45
OUTLINE = (0, 0, 0, 255)
OUTLINE_PX = 2
MAP_HEIGHT_PX = 660
# The map's width on a wide page at 1440 px (sidebar open); the zoom fits an area into this box.
MAP_WIDTH_PX = 1150
MIN_ZOOM, MAX_ZOOM = 8.0, 12.0
FIT_MARGIN = 0.8
# deck.gl fills the {field}s from the hovered cell; `cells` is filled in when the map is built.
TOOLTIP_HTML = (
    "<b>{{area_name}}</b><br/>Expected reports next week: {{expected_text}}<br/>"
    "Percentile {{percentile_text}}: rank {{rank}} of {cells:,} ({{rank_class}})<br/>"
    "{{flag_text}}<br/>Reports last week: {{last_week}}<br/>"
    "Reports in the last 4 weeks: {{last_4_weeks}}<br/>"
    "<span style='opacity:0.7'>Model's risk score {{risk_text}}</span>"
)
TOOLTIP_STYLE = {"fontSize": "13px", "backgroundColor": "#1B1F24", "color": "#FFFFFF"}


def class_labels() -> list[str]:
    """The legend's label of each colour class, riskiest first."""
    labels = [f"top {RANK_BREAKS[0]:.0%}"]
    for low, high in zip(RANK_BREAKS[:-2], RANK_BREAKS[1:-1], strict=True):
        labels.append(f"{low:.0%}–{high:.0%}")
    labels.append(f"lower {1 - RANK_BREAKS[-2]:.0%}")
    return labels


def rank_class(share: np.ndarray) -> np.ndarray:
    """The colour class (0 = riskiest) of each `rank_share`."""
    return np.searchsorted(RANK_BREAKS, np.asarray(share, dtype="float64"), side="left")


def class_colours() -> list[tuple[int, int, int, int]]:
    """RGBA of each class, riskiest first."""
    return [(*rgb, alpha) for rgb, alpha in zip(PALETTE, CLASS_ALPHAS, strict=True)]


def risk_classes(forecast: pd.DataFrame) -> np.ndarray:
    """Each cell's colour class (0 = riskiest), from its rank among the forecast's cells."""
    return rank_class(rank_share(forecast["risk"]))


def _swatch(fill: str, border: str, label: str, radius: str = "0") -> str:
    return (
        '<span style="white-space:nowrap;margin-left:10px"><span style="display:inline-block;'
        f"width:14px;height:14px;vertical-align:middle;margin-right:4px;background:{fill};"
        f'border:{border};border-radius:{radius}"></span>{label}</span> '
    )


def _rgba(colour: tuple[int, ...]) -> str:
    return f"rgba{colour[:3] + (colour[3] / 255,)}"


def legend_html(past: str | None = None, zones: bool = False, emerging: bool = False) -> str:
    """The map's legend as a line of swatches, with the outline of a flagged cell and, when
    shown, the points of past reports (`past` names their span), the patrol zones' outline
    and the emerging-hotspot fill."""
    items = [
        _swatch(_rgba(colour), "none", label)
        for colour, label in zip(class_colours(), class_labels(), strict=True)
    ]
    items.append(_swatch("transparent", f"{OUTLINE_PX}px solid rgb{OUTLINE[:3]}", "flagged cell"))
    area = f"{map_layers.AREA_LINE_PX}px solid {_rgba(map_layers.AREA_COLOUR)}"
    items.append(_swatch("transparent", area, "LAPD area"))
    if past:
        dot = _rgba(map_layers.PAST_COLOUR)
        items.append(_swatch(dot, "1px solid white", f"a report, {past}", radius="50%"))
    if zones:
        items.append(_swatch("transparent", "3px solid rgb(213, 94, 0)", "patrol zone"))
    if emerging:
        items.append(_swatch("rgba(84, 39, 136, 0.86)", "none", "heating up (emerging)"))
    return (
        '<div style="font-size:13px;line-height:1.9">'
        "<b>Risk rank</b> (share of cells at least as risky):" + "".join(items) + "</div>"
    )


def view_state(lat: pd.Series, lon: pd.Series, *, width: int = MAP_WIDTH_PX) -> pdk.ViewState:
    """A flat view centred on the points, zoomed so that they fill the map's box."""
    south, north = float(np.min(lat)), float(np.max(lat))
    west, east = float(np.min(lon)), float(np.max(lon))
    span_x = max((east - west) / 360, 1e-6)
    span_y = max(abs(map_layers.mercator_y(north) - map_layers.mercator_y(south)), 1e-6)
    fit = min(width / span_x, MAP_HEIGHT_PX / span_y) * FIT_MARGIN / map_layers.TILE_PX
    zoom = float(np.clip(math.log2(fit), MIN_ZOOM, MAX_ZOOM))
    return pdk.ViewState(
        latitude=(south + north) / 2,
        longitude=(west + east) / 2,
        zoom=round(zoom, 2),
        pitch=0,
        bearing=0,
    )


def map_cells(forecast: pd.DataFrame, area: str | None = None) -> pd.DataFrame:
    """What the map draws and its tooltips show for each cell, the shown texts preformatted;
    with `area`, the cells of other areas keep their class colour but faint."""
    classes = risk_classes(forecast)
    colours = class_colours()
    labels = np.array(class_labels(), dtype=object)
    inside = np.ones(len(forecast), bool) if area is None else forecast["area_name"].eq(area)
    fills = [
        list(colours[i]) if keep else [*colours[i][:3], DIM_ALPHA]
        for i, keep in zip(classes, np.asarray(inside), strict=True)
    ]
    return pd.DataFrame(
        {
            "cell": forecast["cell"].to_numpy(),
            "fill": fills,
            "area_name": forecast["area_name"].to_numpy(),
            "rank": forecast["rank"].to_numpy(dtype="int64"),
            "rank_class": labels[classes],
            "expected_text": [expected_text(v) for v in forecast["expected"]],
            "percentile_text": [percentile_text(v) for v in forecast["percentile"]],
            "risk_text": [f"{risk:.3g}" for risk in forecast["risk"]],
            "flag_text": np.where(forecast["flagged"], "Flagged", "Not flagged"),
            "last_week": forecast["last_week"].to_numpy(dtype="int64"),
            "last_4_weeks": forecast["last_4_weeks"].to_numpy(dtype="int64"),
        }
    )


def expected_text(value: float) -> str:
    """Expected reports as the map and the CLI print them: one decimal, "n/a" when unknown."""
    return "n/a" if not np.isfinite(value) else f"{value:.1f}"


def percentile_text(value: float) -> str:
    """A cell's rank percentile as the map and the CLI print it: one decimal."""
    return f"{value:.1f}"


def share_text(value: float) -> str:
    """A share of reports as the map prints it, "n/a" when there were no reports to share
    (a watch's last week in an area whose reports are incomplete, say)."""
    return "n/a" if not np.isfinite(value) else f"{value:.1%}"


class CompactDeck(pdk.Deck):
    """A Deck whose JSON has no indentation: pydeck indents it by two spaces, which doubles the
    map's size (690 KB for the 1,800 cells of the real extract, 345 KB without), and every
    page view serialises, sends and parses it."""

    def to_json(self) -> str:
        return json.dumps(self, sort_keys=True, default=default_serialize, separators=(",", ":"))


def hotspot_deck(
    forecast: pd.DataFrame,
    view: pdk.ViewState,
    *,
    area: str | None = None,
    past: pd.DataFrame | None = None,
    fills: tuple[pdk.Layer, ...] = (),
    lines: tuple[pdk.Layer, ...] = (),
    basemap: bool = True,
) -> pdk.Deck:
    """The map, flat: every cell filled by its risk class (faint outside `area`), then `fills`
    (emerging hotspots), flagged cells outlined, `lines` (patrol zones' outlines), the LAPD
    areas' outlines and names from the grid, and `past` report points on top. Only the risk
    cells answer the hover: the tooltip is theirs.

    Without `basemap`, no tiles are asked for and a plain background is drawn instead."""
    cells = map_cells(forecast, area)
    layers = [] if basemap else [map_layers.background_layer(forecast)]
    layers += [
        pdk.Layer(
            "H3HexagonLayer",
            cells,
            id="risk",
            get_hexagon="cell",
            get_fill_color="fill",
            filled=True,
            stroked=False,
            extruded=False,
            pickable=True,
            auto_highlight=True,
        ),
    ]
    layers += _unpicked(fills)
    layers += [
        pdk.Layer(
            "H3HexagonLayer",
            forecast.loc[forecast["flagged"], ["cell"]],
            id="flagged",
            get_hexagon="cell",
            filled=False,
            stroked=True,
            extruded=False,
            get_line_color=list(OUTLINE),
            get_line_width=OUTLINE_PX,
            line_width_units='"pixels"',
            pickable=False,
        ),
    ]
    layers += _unpicked(lines)
    outlines = map_layers.area_outlines(forecast[["cell", "area_name"]])
    layers += map_layers.area_layers(outlines, view.zoom, area)
    if past is not None and len(past):
        layers.append(map_layers.past_layer(past))
    return CompactDeck(
        layers=layers,
        initial_view_state=view,
        map_provider="carto" if basemap else None,
        map_style=pdk.map_styles.CARTO_LIGHT if basemap else None,
        tooltip={"html": TOOLTIP_HTML.format(cells=len(cells)), "style": TOOLTIP_STYLE},
    )


def _unpicked(layers: tuple[pdk.Layer, ...]) -> list[pdk.Layer]:
    """The layers, none of them hovered: the map's one tooltip is the risk cells'."""
    for layer in layers:
        layer.pickable = False
    return list(layers)
