"""Plain helpers shared by test files (fixtures live in conftest.py)."""

import base64
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.basedatatypes import BaseTraceType
from streamlit.testing.v1 import AppTest

ADMIN_PASSWORD = "a long admin password"
APP = str(Path(__file__).resolve().parents[1] / "app.py")
# Streamlit's elements that draw a chart or a picture other than Plotly's and the pydeck map
# (st.line_chart and the like, Altair and Vega-Lite: vega_lite_chart; st.pyplot: imgs;
# components such as Bokeh: component_instance, iframe): no page may draw one.
OTHER_CHARTS = (
    "vega_lite_chart",
    "graphviz_chart",
    "imgs",
    "echarts_chart",
    "component_instance",
    "bidi_component",
    "iframe",
)


def _decoded(value: object) -> object:
    """A figure's JSON with Plotly's packed arrays ({"dtype", "bdata"}) back as lists."""
    if isinstance(value, dict):
        if set(value) >= {"dtype", "bdata"}:
            array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
            shape = value.get("shape")
            if shape:
                dims = [int(n) for n in str(shape).split(",")]
                array = array.reshape(dims)
            return array.tolist()
        return {key: _decoded(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_decoded(item) for item in value]
    return value


def plotly_specs(at: AppTest) -> list[dict]:
    """Each Plotly chart on the page as the JSON the page sent, its packed arrays as lists."""
    return [_decoded(json.loads(chart.proto.spec)) for chart in at.get("plotly_chart")]


def plotly_charts(at: AppTest) -> list[go.Figure]:
    """Each Plotly chart on the page, as the figure the page sent."""
    return [go.Figure(spec, skip_invalid=True) for spec in plotly_specs(at)]


def trace(figure: go.Figure, name: str) -> BaseTraceType:
    """The one trace of `figure` named `name` (its legend entry)."""
    [found] = [t for t in figure.data if t.name == name]
    return found


def values(sequence: object) -> list:
    """A trace's x or y as a plain list (Plotly keeps tuples or numpy arrays)."""
    return [] if sequence is None else list(np.asarray(sequence).tolist())


def checked(at: AppTest) -> AppTest:
    """`at` after a run that raised nothing and showed no error."""
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def open_page(page: str, params: dict[str, str] | None = None, timeout: int = 60) -> AppTest:
    """The app run once (first start, navigation), then `page` opened with the link's `params`."""
    at = AppTest.from_file(APP, default_timeout=timeout).run()
    at.query_params.update(params or {})
    at.switch_page(page).run()
    return checked(at)


def tables(at: AppTest) -> list[pd.DataFrame]:
    """Each static table on the page (`ui.show_table`, drawn as Markdown), its cells as shown."""
    return [t for t in (markdown_table_of(m.value) for m in at.markdown) if t is not None]


def markdown_table_of(text: str) -> pd.DataFrame | None:
    """The table a Markdown text is (None when it is not one), its cells as shown: Markdown
    escapes removed."""
    lines = text.splitlines()
    if len(lines) < 2 or not lines[0].startswith("| ") or not _RULE.fullmatch(lines[1]):
        return None
    rows = [
        [_UNESCAPE.sub(r"\1", cell.strip()) for cell in _CELL_SPLIT.split(line.strip()[1:-1])]
        for line in lines
    ]
    return pd.DataFrame(rows[2:], columns=rows[0])


_RULE = re.compile(r"\|(:?---:?\|)+")
_CELL_SPLIT = re.compile(r"(?<!\\)\|")
_UNESCAPE = re.compile(r"\\(.)")
