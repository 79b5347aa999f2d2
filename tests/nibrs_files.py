"""NIBRS offence files made for tests: from the demo's aggregate calibration, never real rows.

`offences` gives the offence rows of synthetic reports as the portal's API spells its fields
(all strings); `frame_of` builds rows by hand for cases the calibration rarely draws.
"""

import json
from pathlib import Path

import pandas as pd
import pyarrow as pa

from lacrime.data.demo import generate_table, write_table
from lacrime.data.demo_nibrs import NIBRS_COLUMNS, to_nibrs

# Numbers of made-up reports start here, far from the demo's (9xxxxxxxx) and LAPD's (2xxxxxxxx).
FIRST_NUMBER = 500_000_001


def offences(
    rows: int = 3_000,
    seed: int = 0,
    start: str = "2024-03-07",
    days: int = 28,
    area_shares: dict[int, float] | None = None,
    first_number: int = FIRST_NUMBER,
) -> pd.DataFrame:
    """Offence rows of `rows` synthetic reports (about 12% have a second offence)."""
    reports = generate_table(
        rows, seed, start, days, area_shares=area_shares, first_number=first_number
    )
    return to_nibrs(reports, seed=seed).to_pandas()


def frame_of(rows: list[dict], template: pd.DataFrame) -> pd.DataFrame:
    """Rows built by hand: each dict overrides fields of a copy of `template`'s first row."""
    base = template.iloc[0].to_dict()
    return pd.DataFrame([{**base, **row} for row in rows], columns=template.columns)


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    """The API's CSV (null fields empty), as the portal writes it."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    return write_table(table.cast(pa.schema([(c, pa.string()) for c in frame.columns])), path)


def write_json(frame: pd.DataFrame, path: Path) -> Path:
    """The API's JSON: an array of records, every value a string, null fields left out."""
    records = [
        {k: v for k, v in row.items() if isinstance(v, str)} for row in frame.to_dict("records")
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(records))
    return path


__all__ = ["NIBRS_COLUMNS", "frame_of", "offences", "write_csv", "write_json"]
