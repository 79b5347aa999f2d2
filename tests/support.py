"""Plain helpers shared by test files (fixtures live in conftest.py)."""

import base64
import json

import numpy as np
from streamlit.testing.v1 import AppTest

ADMIN_PASSWORD = "a long admin password"


def plotly_charts(at: AppTest) -> list[dict]:
    """Each Plotly chart's JSON on the page, with its typed arrays ({"dtype", "bdata"}) decoded."""
    return [
        json.loads(chart.proto.spec, object_hook=_typed_array) for chart in at.get("plotly_chart")
    ]


def _typed_array(obj: dict) -> object:
    if set(obj) >= {"dtype", "bdata"}:
        return np.frombuffer(base64.b64decode(obj["bdata"]), dtype=obj["dtype"]).tolist()
    return obj
