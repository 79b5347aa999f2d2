"""How a hotspot forecast is drawn: the pydeck map, its colour scale and legend.

Cells are coloured by where their risk ranks in the city, not by the risk score itself: the score
of one model is a probability, of another a count or a density, so only its order means the same
thing across models. The classes have fixed bounds (top 1%, 1-2%, ...), so a cell keeps its
colour when the coverage, the allocation or the area in view changes; what is flagged is drawn
as an outline on top. The basemap is Carto's, which needs no access token.
"""

import json
import math

import numpy as np
import pandas as pd
import pydeck as pdk
from pydeck.bindings.json_tools import default_serialize

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
FILL_ALPHA = 190
# The lower half is context, not a call to act: drawn fainter so the basemap shows through.
LOW_ALPHA = 90
OUTLINE = (0, 0, 0, 255)
OUTLINE_PX = 2
PAST_COLOUR = (0, 114, 178, 170)  # Okabe-Ito blue, apart from the risk palette
# The tallest column of past reports, in pixels at the view's zoom: a fixed height in metres
# would be invisible over the whole city or taller than the map over one area.
PAST_MAX_HEIGHT_PX = 110
EARTH_CIRCUMFERENCE_M = 40_075_017
MAP_HEIGHT_PX = 600
# The map column's width on a wide page at 1400 px; the zoom fits an area into this box.
MAP_WIDTH_PX = 520
# deck.gl's Web Mercator: the world is TILE_PX * 2**zoom pixels wide.
TILE_PX = 512
MIN_ZOOM, MAX_ZOOM = 8.0, 13.0
FIT_MARGIN = 0.85
# deck.gl fills the {field}s from the hovered cell; `cells` is filled in when the map is built.
TOOLTIP_HTML = (
    "<b>{{area_name}}</b><br/>Rank {{rank}} of {cells:,} ({{rank_class}})<br/>"
    "Risk score {{risk_text}}<br/>{{flag_text}}<br/>Reports last week: {{last_week}}<br/>"
    "Reports in the last 4 weeks: {{last_4_weeks}}"
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
    """RGBA of each class, riskiest first; the lower half fainter."""
    return [
        (*rgb, LOW_ALPHA if high > RANK_BREAKS[-2] else FILL_ALPHA)
        for rgb, high in zip(PALETTE, RANK_BREAKS, strict=True)
    ]


def risk_classes(forecast: pd.DataFrame) -> np.ndarray:
    """Each cell's colour class (0 = riskiest), from its rank among the forecast's cells."""
    return rank_class(rank_share(forecast["risk"]))


def legend_html(past: bool = False) -> str:
    """The map's legend as a line of swatches, with the outline of a flagged cell and, when
    shown, the columns of past reports."""
    swatch = (
        '<span style="white-space:nowrap;margin-left:10px"><span style="display:inline-block;'
        "width:14px;height:14px;vertical-align:middle;margin-right:4px;background:{fill};"
        'border:{border}"></span>{label}</span> '
    )
    items = [
        swatch.format(fill=f"rgba{colour[:3] + (colour[3] / 255,)}", border="none", label=label)
        for colour, label in zip(class_colours(), class_labels(), strict=True)
    ]
    outline = f"{OUTLINE_PX}px solid rgb{OUTLINE[:3]}"
    items.append(swatch.format(fill="transparent", border=outline, label="flagged cell"))
    if past:
        fill = f"rgba{PAST_COLOUR[:3] + (PAST_COLOUR[3] / 255,)}"
        items.append(swatch.format(fill=fill, border="none", label="reports, last 4 weeks"))
    return (
        '<div style="font-size:13px;line-height:1.9">'
        "<b>Risk rank</b> (share of cells at least as risky):" + "".join(items) + "</div>"
    )


def view_state(
    lat: pd.Series, lon: pd.Series, *, pitch: float = 0, width: int = MAP_WIDTH_PX
) -> pdk.ViewState:
    """A view centred on the points, zoomed so that they fill the map's box."""
    south, north = float(np.min(lat)), float(np.max(lat))
    west, east = float(np.min(lon)), float(np.max(lon))
    span_x = max((east - west) / 360, 1e-6)
    span_y = max(abs(_mercator_y(north) - _mercator_y(south)), 1e-6)
    fit = min(width / span_x, MAP_HEIGHT_PX / span_y) * FIT_MARGIN / TILE_PX
    zoom = float(np.clip(math.log2(fit), MIN_ZOOM, MAX_ZOOM))
    return pdk.ViewState(
        latitude=(south + north) / 2,
        longitude=(west + east) / 2,
        zoom=round(zoom, 2),
        pitch=pitch,
        bearing=0,
    )


def metres_per_pixel(latitude: float, zoom: float) -> float:
    """Ground distance one screen pixel spans at this latitude and zoom."""
    return EARTH_CIRCUMFERENCE_M * math.cos(math.radians(latitude)) / (TILE_PX * 2**zoom)


def _mercator_y(lat: float) -> float:
    """Latitude as a share of the Web Mercator world's height."""
    phi = math.radians(lat)
    return math.log(math.tan(math.pi / 4 + phi / 2)) / (2 * math.pi)


def map_cells(forecast: pd.DataFrame) -> pd.DataFrame:
    """What the map draws and its tooltips show for each cell, the shown texts preformatted."""
    classes = risk_classes(forecast)
    colours = class_colours()
    labels = np.array(class_labels(), dtype=object)
    return pd.DataFrame(
        {
            "cell": forecast["cell"].to_numpy(),
            "fill": [list(colours[i]) for i in classes],
            "area_name": forecast["area_name"].to_numpy(),
            "rank": forecast["rank"].to_numpy(dtype="int64"),
            "rank_class": labels[classes],
            "risk_text": [f"{risk:.3g}" for risk in forecast["risk"]],
            "flag_text": np.where(forecast["flagged"], "Flagged", "Not flagged"),
            "last_week": forecast["last_week"].to_numpy(dtype="int64"),
            "last_4_weeks": forecast["last_4_weeks"].to_numpy(dtype="int64"),
        }
    )


class CompactDeck(pdk.Deck):
    """A Deck whose JSON has no indentation: pydeck indents it by two spaces, which doubles the
    map's size (690 KB for the 1,800 cells of the real extract, 345 KB without), and every
    page view serialises, sends and parses it."""

    def to_json(self) -> str:
        return json.dumps(self, sort_keys=True, default=default_serialize, separators=(",", ":"))


def hotspot_deck(
    forecast: pd.DataFrame, view: pdk.ViewState, *, past: pd.DataFrame | None = None
) -> pdk.Deck:
    """The map: every cell filled by its risk class, flagged cells outlined, and, if `past` is
    given (`app.hotspots.past_incidents`), a column per cell as high as its recent reports."""
    cells = map_cells(forecast)
    layers = [
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
    if past is not None and len(past):
        layers.append(
            pdk.Layer(
                "H3HexagonLayer",
                past[["cell", "last_4_weeks"]],
                id="past",
                get_hexagon="cell",
                extruded=True,
                coverage=0.45,
                get_elevation="last_4_weeks",
                elevation_scale=PAST_MAX_HEIGHT_PX
                * metres_per_pixel(view.latitude, view.zoom)
                / max(int(past["last_4_weeks"].max()), 1),
                get_fill_color=list(PAST_COLOUR),
                pickable=False,
            )
        )
    return CompactDeck(
        layers=layers,
        initial_view_state=view,
        map_provider="carto",
        map_style=pdk.map_styles.CARTO_LIGHT,
        tooltip={"html": TOOLTIP_HTML.format(cells=len(cells)), "style": TOOLTIP_STYLE},
    )
