"""Small static tables as Markdown: drawn with the page's text, so a page whose only tables are
these loads no data-grid or Arrow script (about 1 MB, 0.2 s of a new tab's load here;
`benchmarks/app.py`). For tables to sort, scroll or search, pages use `st.dataframe`."""

import numbers
import re

import pandas as pd

# Characters Markdown would read as markup inside a cell (`$...$` is maths in Streamlit, `&`
# starts an HTML entity).
_MARKUP = re.compile(r"([\\|$&*_`<>\[\]~])")
# A number already written out ("1,234", "-5%", "15.7", "5.79 ± 0.24"), or a missing one.
_NUMBER = r"[+\-−]?[\d,]*\.?\d+%?"
_WRITTEN_NUMBER = re.compile(rf"{_NUMBER}( ± {_NUMBER})?|n/a|–")


def markdown_table(frame: pd.DataFrame, percent: tuple[str, ...] = ()) -> str:
    """`frame` as a Markdown table: whole numbers with thousands separators, the `percent`
    columns as percentages, other numbers to 2 decimals, missing values as "–"; columns of
    numbers (written out or not) right-aligned; each cell's markup characters escaped and its
    line breaks made spaces, so text shows as is on one row."""
    numeric = [
        column in percent
        or pd.api.types.is_numeric_dtype(frame[column])
        or (len(frame) > 0 and all(_WRITTEN_NUMBER.fullmatch(str(v)) for v in frame[column]))
        for column in frame.columns
    ]
    header = "| " + " | ".join(_escaped(str(c)) for c in frame.columns) + " |"
    rule = "|" + "|".join("---:" if n else ":---" for n in numeric) + "|"
    shares = [column in percent for column in frame.columns]
    rows = [
        "| " + " | ".join(map(_cell, row, shares)) + " |" for row in frame.itertuples(index=False)
    ]
    return "\n".join([header, rule, *rows])


def _cell(value: object, percent: bool) -> str:
    if pd.api.types.is_scalar(value) and pd.isna(value):
        return "–"
    if percent:
        return f"{value:.1%}"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, numbers.Integral):
        return f"{value:,}"
    if isinstance(value, numbers.Real):
        return f"{value:,.2f}"
    return _escaped(str(value))


def _escaped(text: str) -> str:
    return _MARKUP.sub(r"\\\1", " ".join(text.splitlines()))
