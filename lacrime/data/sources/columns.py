"""From text columns to typed ones, shared by both sources: what a source's layout says, and
how each value is parsed, counted when it fails, and the file rejected when too many fail.

Each column is parsed once per distinct value, which is what makes a million rows cheap: a
column of dates holds a few thousand distinct strings.
"""

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from lacrime.data.schema import MAX_BAD_ROW_SHARE
from lacrime.data.sources.formats import MALFORMED_KEY, Opened, field_key
from lacrime.errors import LacrimeError

# The legacy export first, then Excel's re-save, then ISO (Socrata API, NIBRS, Parquet).
DATE_FORMATS: tuple[str, ...] = (
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y",
    "ISO8601",
)


@dataclass(frozen=True)
class Layout:
    """What one source's files hold, in its own field names (as its API spells them).

    `renames` maps a field to the cleaned dataset's column it becomes; `never_read` lists the
    fields that are skipped when a file is read, so that no later step can use them.
    """

    name: str
    title: str
    required: tuple[str, ...]
    optional: tuple[str, ...]
    never_read: tuple[str, ...]
    integers: tuple[str, ...]
    floats: tuple[str, ...]
    dates: tuple[str, ...]
    renames: dict[str, str]

    @property
    def fields(self) -> tuple[str, ...]:
        return self.required + self.optional

    def found(self, opened: Opened) -> dict[str, str]:
        """The file's column name of each of this layout's fields that the file has."""
        keys = opened.keys()
        return {f: keys[field_key(f)] for f in self.fields if field_key(f) in keys}

    def missing(self, opened: Opened) -> list[str]:
        found = self.found(opened)
        return [f for f in self.required if f not in found]


@dataclass
class Loaded:
    """Typed columns of one file (named as in the cleaned dataset), and what failed in it."""

    frame: pd.DataFrame
    rows_read: int
    layout: str = "legacy"
    path: str = ""
    # Per required field (as the source names it): rows whose non-empty value did not parse.
    unparseable: dict[str, int] = field(default_factory=dict)
    malformed_rows: int = 0
    # Fields the file has that are never read (victim and socio-economic fields).
    dropped_columns: list[str] = field(default_factory=list)


def read_layout(opened: Opened, layout: Layout) -> Loaded:
    """The layout's fields of `opened`, typed; LacrimeError naming the file, field and row when
    the file is not one of the layout's (missing fields, too many malformed or bad values)."""
    path = opened.path
    found = layout.found(opened)
    missing = [f for f in layout.required if f not in found]
    if missing:
        raise LacrimeError(
            f"{path}: missing required column(s) {', '.join(missing)} of the {layout.title} "
            f"(found: {_shown(opened.header)})"
        )
    table = opened.read({name: f for f, name in found.items()})
    rows = table.num_rows
    if rows == 0:
        raise LacrimeError(f"{path}: the file has a header but no rows")
    keys = {field_key(name) for name in opened.header}
    loaded = Loaded(
        frame=pd.DataFrame(index=pd.RangeIndex(rows)),
        rows_read=rows,
        layout=layout.name,
        path=str(path),
        malformed_rows=int((table.schema.metadata or {}).get(MALFORMED_KEY, b"0")),
        dropped_columns=[f for f in layout.never_read if field_key(f) in keys],
    )
    if loaded.malformed_rows > MAX_BAD_ROW_SHARE * (rows + loaded.malformed_rows):
        raise LacrimeError(
            f"{path}: {loaded.malformed_rows} row(s) have the wrong number of fields; more than "
            f"{MAX_BAD_ROW_SHARE:.0%} malformed means the wrong format, so the file is rejected"
        )
    for name in table.column_names:
        text = table[name]
        values = _typed(name, text, layout)
        loaded.frame[layout.renames.get(name, name)] = values
        if name in layout.required:
            _count_unparseable(loaded, name, text, values, path)
    return loaded


def _shown(header: list[str]) -> str:
    names = [n for n in header if n.strip()]
    return (", ".join(names[:8]) or "no named columns") + (", ..." if len(names) > 8 else "")


def _typed(name: str, text: pa.ChunkedArray, layout: Layout) -> pd.Series:
    if name in layout.dates:
        return _by_distinct(text, _parse_dates)
    if name in layout.integers:
        values = _cast(text, pa.int64(), _parse_integers)
        if name == "time_occ":
            values = values.where((values >= 0) & (values <= 2359) & (values % 100 < 60))
        return values
    if name in layout.floats:
        return _cast(text, pa.float64(), _parse_floats)
    trimmed = pc.utf8_trim_whitespace(text)
    return pd.Series(pc.if_else(pc.equal(trimmed, ""), None, trimmed), dtype="str")


def _cast(text: pa.ChunkedArray, target: pa.DataType, parse) -> pd.Series:
    """One vectorised cast for a clean numeric column; per distinct value if any value fails."""
    try:
        values = pc.cast(text, target)
    except pa.ArrowInvalid:
        return _by_distinct(text, parse)
    return pd.Series(values.to_numpy(zero_copy_only=False), dtype="float64")


def _by_distinct(text: pa.ChunkedArray, parse) -> pd.Series:
    """Parse each distinct string once and map the results back to every row."""
    encoded = pc.dictionary_encode(text).combine_chunks()
    parsed = parse(pd.Series(encoded.dictionary.to_pandas(), dtype="str").str.strip())
    nulls = pc.is_null(encoded.indices).to_numpy(zero_copy_only=False)
    codes = pc.fill_null(encoded.indices, 0).to_numpy()
    if len(parsed) == 0:
        return pd.Series(np.full(len(codes), np.nan))
    result = pd.Series(parsed.to_numpy()[codes])
    return result.mask(nulls)


def _parse_dates(values: pd.Series) -> pd.Series:
    result = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    for fmt in DATE_FORMATS:
        todo = result.isna() & values.notna()
        if not todo.any():
            break
        result[todo] = pd.to_datetime(values[todo], format=fmt, errors="coerce")
    return result.dt.normalize()


def _parse_integers(values: pd.Series) -> pd.Series:
    numbers = pd.to_numeric(values, errors="coerce")
    return numbers.where(numbers == np.floor(numbers))


def _parse_floats(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values, errors="coerce").astype("float64")


def _count_unparseable(
    loaded: Loaded, name: str, text: pa.ChunkedArray, values: pd.Series, path: Path
) -> None:
    if int(values.isna().sum()) == text.null_count:
        return
    present = ~pc.is_null(text).to_numpy(zero_copy_only=False)
    blank = pc.fill_null(pc.equal(pc.utf8_trim_whitespace(text), ""), False)
    bad = present & ~blank.to_numpy(zero_copy_only=False) & values.isna().to_numpy()
    count = int(bad.sum())
    if not count:
        return
    first = int(np.argmax(bad)) + 1
    loaded.unparseable[name] = count
    if count > MAX_BAD_ROW_SHARE * loaded.rows_read:
        sample = text[first - 1].as_py()
        raise LacrimeError(
            f"{path}: column {name} has {count} unparseable value(s) of {loaded.rows_read} "
            f"(first at data row {first}: {sample!r}); more than "
            f"{MAX_BAD_ROW_SHARE:.0%} bad means the wrong format, so the file is rejected"
        )
