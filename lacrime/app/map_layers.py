"""The map's layers that need no basemap: each LAPD area's outline and name, drawn from the
grid itself (an area's H3 cells dissolved into one outline, its name at a cell near its
middle), a plain background for when the tiles are off, and the points of past reports.

Drawn from the forecast's own cells, they work offline and always match the cells' areas.
"""

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
    points, each part and hole of the dissolved cells) and the place of its name, the centre
    of its cell nearest to the mean of its cells' centres (always inside the area)."""
    rows = []
    for area, group in cells.groupby("area_name", sort=True):
        ids = group["cell"].tolist()
        shape = h3.cells_to_geo(ids)
        polygons = (
            shape["coordinates"] if shape["type"] == "MultiPolygon" else [shape["coordinates"]]
        )
        rings = [[[lon, lat] for lon, lat in ring] for polygon in polygons for ring in polygon]
        centres = np.array([h3.cell_to_latlng(c) for c in ids])
        middle = centres[np.argmin(((centres - centres.mean(axis=0)) ** 2).sum(axis=1))]
        rows.append(
            {
                "area_name": str(area),
                "rings": rings,
                "lat": float(middle[0]),
                "lon": float(middle[1]),
            }
        )
    return pd.DataFrame(rows, columns=["area_name", "rings", "lat", "lon"])


def area_layers(outlines: pd.DataFrame, chosen: str | None = None) -> list[pdk.Layer]:
    """The outline of every area (the `chosen` one black and thick) and every area's name."""
    paths = pd.DataFrame(
        [
            {
                "path": ring,
                "colour": list(CHOSEN_COLOUR if row.area_name == chosen else AREA_COLOUR),
                "width": CHOSEN_LINE_PX if row.area_name == chosen else AREA_LINE_PX,
            }
            for row in outlines.itertuples()
            for ring in row.rings
        ],
        columns=["path", "colour", "width"],
    )
    labels = outlines[["area_name", "lat", "lon"]].assign(
        position=[[lon, lat] for lat, lon in zip(outlines["lat"], outlines["lon"], strict=True)],
        size=np.where(outlines["area_name"] == chosen, CHOSEN_LABEL_PX, LABEL_PX),
    )
    return [
        pdk.Layer(
            "PathLayer",
            paths,
            id="areas",
            get_path="path",
            get_color="colour",
            get_width="width",
            width_units='"pixels"',
            pickable=False,
        ),
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
