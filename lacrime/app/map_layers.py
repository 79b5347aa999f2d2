"""The map's layers that need no basemap: each LAPD area's outline and name, drawn from the
grid itself (an area's H3 cells dissolved into one outline, its name on one of its cells,
placed so that names do not cover each other at the first view), a plain background for when
the tiles are off, and the points of past reports.

Drawn from the forecast's own cells, they work offline and always match the cells' areas.
"""

import math
from itertools import pairwise

import h3
import numpy as np
import pandas as pd
import pydeck as pdk

# Area outlines in dark slate (the palette's "reports" colour is for counts; this is the
# plain ink of borders), the chosen area in black and thicker.
AREA_COLOUR = (62, 74, 89, 200)
AREA_LINE_PX = 1.5
CHOSEN_COLOUR = (0, 0, 0, 255)
CHOSEN_LINE_PX = 4
LABEL_COLOUR = (27, 31, 36, 255)
LABEL_HALO = (255, 255, 255, 230)
LABEL_PX, CHOSEN_LABEL_PX = 12, 16
LABEL_FONT = "Source Sans Pro, Helvetica, Arial, sans-serif"
# A name's box on screen, to keep names apart: its width per character and its height, as
# shares of the font size (Source Sans Pro semi-bold, with the halo), and the gap kept between.
LABEL_CHAR_EM, LABEL_HEIGHT_EM, LABEL_GAP_PX = 0.58, 1.3, 2
# deck.gl's Web Mercator: the world is TILE_PX * 2**zoom pixels wide.
TILE_PX = 512
# The plain background drawn when the basemap is off: a light warm grey, darker than the
# palest risk class's paper, so every class and outline reads on it.
BACKGROUND = (236, 235, 230, 255)
BACKGROUND_MARGIN_DEG = 1.0
# A report of the past week: Okabe-Ito blue, apart from the risk palette, with a white rim so
# points read over the reds and over each other.
PAST_COLOUR = (0, 114, 178, 230)
PAST_RADIUS_PX = 3


def area_outlines(cells: pd.DataFrame) -> pd.DataFrame:
    """Per LAPD area of `cells` (columns `cell`, `area_name`): its outline rings ([lon, lat]
    points, each part and hole of the dissolved cells) and the places its name may go, the
    centres of its cells from the nearest to the mean of their centres outwards (`spots`,
    [lat, lon]; always inside the area)."""
    rows = []
    for area, group in cells.groupby("area_name", sort=True):
        ids = group["cell"].tolist()
        shape = h3.cells_to_geo(ids)
        polygons = (
            shape["coordinates"] if shape["type"] == "MultiPolygon" else [shape["coordinates"]]
        )
        rings = [[[lon, lat] for lon, lat in ring] for polygon in polygons for ring in polygon]
        centres = np.array([h3.cell_to_latlng(c) for c in ids])
        spots = centres[
            np.argsort(((centres - centres.mean(axis=0)) ** 2).sum(axis=1), kind="stable")
        ]
        rows.append(
            {
                "area_name": str(area),
                "rings": rings,
                "spots": spots.tolist(),
            }
        )
    return pd.DataFrame(rows, columns=["area_name", "rings", "spots"])


def mercator_y(lat: float) -> float:
    """Latitude as a share of the Web Mercator world's height (0 at the equator, up north)."""
    phi = math.radians(lat)
    return math.log(math.tan(math.pi / 4 + phi / 2)) / (2 * math.pi)


def label_box(name: str, lat: float, lon: float, size_px: float, zoom: float) -> np.ndarray:
    """The screen box a name centred at (lat, lon) covers at `zoom`: left, top, right, bottom
    in pixels of the Mercator world."""
    world = TILE_PX * 2**zoom
    x, y = (lon + 180) / 360 * world, -mercator_y(lat) * world
    half_w = len(name) * LABEL_CHAR_EM * size_px / 2 + LABEL_GAP_PX
    half_h = LABEL_HEIGHT_EM * size_px / 2 + LABEL_GAP_PX
    return np.array([x - half_w, y - half_h, x + half_w, y + half_h])


def _overlap(box: np.ndarray, placed: list[np.ndarray]) -> float:
    """Pixels of `box` covered by the boxes already `placed`."""
    if not placed:
        return 0.0
    others = np.array(placed)
    w = np.minimum(box[2], others[:, 2]) - np.maximum(box[0], others[:, 0])
    h = np.minimum(box[3], others[:, 3]) - np.maximum(box[1], others[:, 1])
    return float((np.clip(w, 0, None) * np.clip(h, 0, None)).sum())


def _least_covered(
    name: str, spots: list[list[float]], size_px: float, zoom: float, placed: list[np.ndarray]
) -> tuple[list[float], np.ndarray]:
    """The first of `spots` where the name covers none of the `placed` boxes, else the one
    where it covers least: its [lon, lat] and the name's box there."""
    best = (np.inf, None, None)
    for lat, lon in spots:
        box = label_box(name, lat, lon, size_px, zoom)
        covered = _overlap(box, placed)
        if covered < best[0]:
            best = (covered, [lon, lat], box)
        if covered == 0:
            break
    return best[1], best[2]


def place_labels(outlines: pd.DataFrame, sizes: np.ndarray, zoom: float) -> list[list[float]]:
    """Where each area's name goes ([lon, lat], in the order of `outlines`): at the first of
    its `spots` where, at `zoom`, it covers no name placed before it (else where it covers
    least). The areas with fewest cells, which have fewest places to offer, are placed first;
    at the city view the dense central areas' names then sit apart instead of on top of each
    other.

    Placed for the map's first view: zoomed in, names only grow further apart."""
    positions: list[list[float]] = [[]] * len(outlines)
    placed: list[np.ndarray] = []
    for i in np.argsort(outlines["spots"].map(len).to_numpy(), kind="stable"):
        row = outlines.iloc[i]
        positions[i], box = _least_covered(row["area_name"], row["spots"], sizes[i], zoom, placed)
        placed.append(box)
    return positions


def ring_segments(rings: list[list[list[float]]]) -> pd.DataFrame:
    """Every edge of `rings` ([lon, lat] points, each ring closed) as a `start`-`end` segment."""
    return pd.DataFrame(
        [{"start": a, "end": b} for ring in rings for a, b in pairwise(ring)],
        columns=["start", "end"],
    )


def outline_layer(
    rings: list[list[list[float]]], layer_id: str, colour: tuple[int, ...], width_px: float
) -> pdk.Layer:
    """The rings drawn as straight segments of one colour and width.

    A LineLayer rather than a PathLayer: deck.gl's path shader (mitred joins) costs a second
    of the map's first frame where WebGL is drawn in software (headless Chromium here), the
    line shader a fraction of it; along an H3 outline the joins are 120-degree turns, where
    the gap a joinless line leaves is under a pixel."""
    return pdk.Layer(
        "LineLayer",
        ring_segments(rings),
        id=layer_id,
        get_source_position="start",
        get_target_position="end",
        get_color=list(colour),
        get_width=width_px,
        width_units='"pixels"',
        pickable=False,
    )


def area_layers(outlines: pd.DataFrame, zoom: float, chosen: str | None = None) -> list[pdk.Layer]:
    """The outline of every area, the `chosen` one's again on top (black and thick), and
    every area's name, placed apart from the others at `zoom` (the map's first view)."""
    others = outlines[outlines["area_name"] != chosen]["rings"]
    lines = [
        outline_layer([r for rings in others for r in rings], "areas", AREA_COLOUR, AREA_LINE_PX)
    ]
    if chosen is not None:
        rings = [r for rings in outlines[outlines["area_name"] == chosen]["rings"] for r in rings]
        lines.append(outline_layer(rings, "chosen-area", CHOSEN_COLOUR, CHOSEN_LINE_PX))
    sizes = np.where(outlines["area_name"] == chosen, CHOSEN_LABEL_PX, LABEL_PX)
    labels = outlines[["area_name"]].assign(
        position=place_labels(outlines, sizes, zoom), size=sizes
    )
    return [
        *lines,
        pdk.Layer(
            "TextLayer",
            labels[["area_name", "position", "size"]],
            id="area-names",
            get_position="position",
            get_text="area_name",
            get_size="size",
            size_units='"pixels"',
            get_color=list(LABEL_COLOUR),
            font_family=f'"{LABEL_FONT}"',
            font_weight=600,
            outline_width=3,
            outline_color=list(LABEL_HALO),
            font_settings={"sdf": True},
            pickable=False,
        ),
    ]


def background_layer(forecast: pd.DataFrame) -> pdk.Layer:
    """A plain rectangle well around the cells, drawn under them when there is no basemap."""
    south, north = forecast["lat"].min(), forecast["lat"].max()
    west, east = forecast["lon"].min(), forecast["lon"].max()
    m = BACKGROUND_MARGIN_DEG
    ring = [
        [west - m, south - m],
        [east + m, south - m],
        [east + m, north + m],
        [west - m, north + m],
    ]
    return pdk.Layer(
        "PolygonLayer",
        pd.DataFrame({"polygon": [ring]}),
        id="background",
        get_polygon="polygon",
        get_fill_color=list(BACKGROUND),
        stroked=False,
        pickable=False,
    )


def past_layer(points: pd.DataFrame) -> pdk.Layer:
    """One flat point per report of `points` (`lat`, `lon`), only ever reports whose place may
    be shown (`app.hotspots.past_reports` filters them)."""
    return pdk.Layer(
        "ScatterplotLayer",
        points[["lon", "lat"]],
        id="past",
        get_position=["lon", "lat"],
        get_radius=PAST_RADIUS_PX,
        radius_units='"pixels"',
        get_fill_color=list(PAST_COLOUR),
        stroked=True,
        get_line_color=[255, 255, 255, 230],
        line_width_min_pixels=1,
        pickable=False,
    )
