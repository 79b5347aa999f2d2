"""Plain helpers shared by test files (fixtures live in conftest.py)."""

import json
from dataclasses import dataclass

import pandas as pd
import pyarrow as pa
from streamlit.testing.v1 import AppTest

ADMIN_PASSWORD = "a long admin password"


@dataclass
class Chart:
    """A Vega-Lite chart as the page sent it: its spec, and its tables in the order they came."""

    spec: dict
    tables: list[pd.DataFrame]

    @property
    def data(self) -> pd.DataFrame:
        """The chart's main table (the first; further ones hold marks such as reference lines)."""
        return self.tables[0]


def vega_charts(at: AppTest) -> list[Chart]:
    """Each Vega-Lite chart on the page, its Arrow tables decoded."""
    return [
        Chart(
            json.loads(chart.proto.spec),
            [pa.ipc.open_stream(table.data.data).read_pandas() for table in chart.proto.datasets],
        )
        for chart in at.get("vega_lite_chart")
    ]
