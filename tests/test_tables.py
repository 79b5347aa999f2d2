"""Static tables as Markdown (`tables.markdown_table`): LAPD's crime descriptions, full of `$`,
`&`, commas and parentheses, show as written; numbers are formatted and right-aligned."""

import re

import numpy as np
import pandas as pd
from support import markdown_table_of

from lacrime.app.tables import markdown_table
from lacrime.data.calibration import load_calibration

# Outside a backslash escape, none of these may reach Markdown: `$...$` would be maths, `&...;`
# an HTML entity, `|` a new cell.
UNESCAPED = re.compile(r"(?<!\\)[$&|*_]")


def lapd_descriptions() -> list[str]:
    """LAPD's crime descriptions as the calibration of the demo data recorded them."""
    return [item["desc"] for item in load_calibration()["crimes"]["items"]]


def test_descriptions_with_markdown_characters_show_as_written() -> None:
    descriptions = [d for d in lapd_descriptions() if re.search(r"[$&]", d)]
    assert len(descriptions) >= 5  # "THEFT-GRAND ($950.01 & OVER)...", "($400 & OVER, ...)"
    frame = pd.DataFrame({"Crime description": descriptions, "Reports": range(len(descriptions))})
    text = markdown_table(frame)
    body = text.splitlines()[2:]
    assert len(body) == len(descriptions)
    for line, description in zip(body, descriptions, strict=True):
        cells = line.strip("| ").rsplit(" | ", 1)
        assert not UNESCAPED.search(cells[0]), cells[0]
        assert re.sub(r"\\(.)", r"\1", cells[0]) == description
    assert markdown_table_of(text)["Crime description"].tolist() == descriptions


def test_a_cell_stays_one_cell_on_one_row() -> None:
    """A pipe or a line break inside text (an edited exclusion reason, say) neither starts a
    new cell nor a new row."""
    frame = pd.DataFrame({"Reason": ["graffiti | tagging", "first line\r\nsecond line"]})
    lines = markdown_table(frame).splitlines()
    assert len(lines) == 4
    assert lines[2] == r"| graffiti \| tagging |"
    assert lines[3] == "| first line second line |"


def test_numbers_are_formatted_and_right_aligned() -> None:
    frame = pd.DataFrame(
        {
            "Area": ["77th Street", "Central"],
            "Reports": np.array([12345, 7], dtype="int64"),
            "Share": [0.1234, np.nan],
            "Mean": [152.25, 1234.5],
            "Change": ["+12.0", "n/a"],
            "PAI at 5%": ["5.79 ± 0.24", "5.71 ± 0.15"],
            "First day": ["2024-02-01", "2024-03-07"],
        }
    )
    lines = markdown_table(frame, percent=("Share",)).splitlines()
    assert lines[1] == "|:---|---:|---:|---:|---:|---:|:---|"
    assert lines[2].split(" | ") == [
        "| 77th Street",
        "12,345",
        "12.3%",
        "152.25",
        "+12.0",
        "5.79 ± 0.24",
        "2024-02-01 |",
    ]
    assert lines[3].split(" | ") == [
        "| Central",
        "7",
        "–",
        "1,234.50",
        "n/a",
        "5.71 ± 0.15",
        "2024-03-07 |",
    ]
