"""Reading LAPD exports into typed columns, and rejecting what is not one.

Accepts the portal's CSV, the same re-saved by Excel or Kaggle (unpadded codes and times,
`3/1/2020 0:00` dates, extra or blank-named columns), the Socrata API's snake_case CSV,
gzip or zip of any of them, and Parquet. pyarrow reads the text (multi-threaded); each
column is then parsed once per distinct value, which is what makes a million rows cheap:
a column of dates holds a few thousand distinct strings. Values may not contain line breaks
(the portal's never do; allowing them halves the reader's parallelism): a row that has one
splits in two and counts as malformed.
"""

import csv
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from lacrime.data.schema import (
    DATE_COLUMNS,
    DEMOGRAPHIC_COLUMNS,
    FLOAT_COLUMNS,
    INTEGER_COLUMNS,
    MAX_BAD_ROW_SHARE,
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    snake_case,
)
from lacrime.errors import LacrimeError, first_line

# Portal export first, then Excel's re-save, then ISO (Socrata API, Parquet).
DATE_FORMATS: tuple[str, ...] = (
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y",
    "ISO8601",
)

SNIFF_BYTES = 64 * 1024


@dataclass
class Loaded:
    """Typed columns of one file, and what could not be parsed in it."""

    frame: pd.DataFrame
    rows_read: int
    # Per required column: rows whose non-empty value did not parse.
    unparseable: dict[str, int] = field(default_factory=dict)
    malformed_rows: int = 0
    dropped_columns: list[str] = field(default_factory=list)


def read_reports(path: Path) -> Loaded:
    """Read one LAPD export; raise LacrimeError naming the file, column and row if it is not one."""
    path = Path(path)
    if not path.is_file():
        raise LacrimeError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise LacrimeError(f"{path}: the file is empty")
    with path.open("rb") as f:
        magic = f.read(4)
    table = _read_parquet(path) if magic == b"PAR1" else _read_csv(path, magic)
    return _parse(table, path)


def _read_parquet(path: Path) -> pa.Table:
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise LacrimeError(f"{path}: not a readable Parquet file ({first_line(exc)})") from None
    table = table.rename_columns([snake_case(c) for c in table.column_names])
    _check_required(path, table.column_names)
    wanted = [c for c in table.column_names if c in _WANTED]
    columns = [
        pc.cast(table[c], pa.string()) if not pa.types.is_string(table[c].type) else table[c]
        for c in wanted
    ]
    return pa.table(dict(zip(wanted, columns, strict=True)))


def _open_text(path: Path, magic: bytes) -> BinaryIO:
    """The decompressed byte stream of a plain, gzip'd or zip'd CSV.

    Plain and gzip'd files open as Arrow's own streams, so that reading never takes the GIL.
    """
    if magic[:2] == b"\x1f\x8b":
        return pa.input_stream(str(path), compression="gzip")
    if magic == b"PK\x03\x04":
        archive = zipfile.ZipFile(path)
        members = [m for m in archive.infolist() if not m.is_dir()]
        csvs = [m for m in members if m.filename.lower().endswith(".csv")]
        if len(csvs) != 1:
            names = ", ".join(m.filename for m in members[:5]) or "nothing"
            raise LacrimeError(f"{path}: a zip must hold exactly one .csv file (holds {names})")
        return archive.open(csvs[0])
    return pa.memory_map(str(path))


def _read_csv(path: Path, magic: bytes) -> pa.Table:
    try:
        with _open_text(path, magic) as stream:
            head = stream.read(SNIFF_BYTES)
        header = _header(path, head)
        names = _unique_names(header)
        _check_required(path, names)
        wanted = [n for n in names if n in _WANTED]
        malformed: list[int] = []

        def skip_malformed(row: pacsv.InvalidRow) -> str:
            malformed.append(row.number or 0)
            return "skip"

        with _open_text(path, magic) as stream:
            table = pacsv.read_csv(
                stream,
                read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, block_size=8 << 20),
                parse_options=pacsv.ParseOptions(
                    newlines_in_values=False, invalid_row_handler=skip_malformed
                ),
                convert_options=pacsv.ConvertOptions(
                    include_columns=wanted,
                    column_types=dict.fromkeys(wanted, pa.string()),
                    strings_can_be_null=True,
                    quoted_strings_can_be_null=True,
                ),
            )
    except (OSError, EOFError, zipfile.BadZipFile) as exc:
        raise LacrimeError(f"{path}: cannot be read ({first_line(exc)})") from None
    except pa.ArrowInvalid as exc:
        message = first_line(exc)
        if "UTF8" in message or "UTF-8" in message:
            raise LacrimeError(
                f"{path}: not UTF-8 text ({message}); re-save it as 'CSV UTF-8'"
            ) from None
        raise LacrimeError(f"{path}: not a valid CSV ({message})") from None
    return table.replace_schema_metadata({"malformed_rows": str(len(malformed))})


def _header(path: Path, head: bytes) -> list[str]:
    if b"\x00" in head:
        raise LacrimeError(f"{path}: a binary file, not a CSV export")
    lines = head.split(b"\n", 1)
    try:
        first = lines[0].decode("utf-8-sig").strip("\r")
    except UnicodeDecodeError:
        raise LacrimeError(
            f"{path}: the header line is not UTF-8 text; re-save it as 'CSV UTF-8'"
        ) from None
    if not first.strip():
        raise LacrimeError(f"{path}: the first line is empty; expected the column header")
    if first.lstrip().lower().startswith(("<!doctype", "<html", "<?xml")):
        raise LacrimeError(f"{path}: an HTML or XML page, not a CSV export")
    if first.lstrip().startswith(("{", "[")):
        raise LacrimeError(f"{path}: JSON, not a CSV export")
    return next(csv.reader([first]))


def _unique_names(header: list[str]) -> list[str]:
    """snake_case names; blank and repeated ones get a positional name so pyarrow can skip them."""
    names: list[str] = []
    for i, raw in enumerate(header):
        name = snake_case(raw)
        names.append(name if name and name not in names else f"_unnamed_{i}")
    return names


def _check_required(path: Path, names: list[str]) -> None:
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        shown = ", ".join(n for n in names[:8] if not n.startswith("_unnamed_"))
        raise LacrimeError(
            f"{path}: missing required column(s) {', '.join(missing)} "
            f"(found: {shown or 'no named columns'}{', ...' if len(names) > 8 else ''})"
        )


_WANTED = frozenset(REQUIRED_COLUMNS) | frozenset(OPTIONAL_COLUMNS)


def _parse(table: pa.Table, path: Path) -> Loaded:
    rows = table.num_rows
    if rows == 0:
        raise LacrimeError(f"{path}: the file has a header but no rows")
    loaded = Loaded(frame=pd.DataFrame(index=pd.RangeIndex(rows)), rows_read=rows)
    loaded.malformed_rows = int((table.schema.metadata or {}).get(b"malformed_rows", b"0"))
    loaded.dropped_columns = list(DEMOGRAPHIC_COLUMNS)
    if loaded.malformed_rows > MAX_BAD_ROW_SHARE * (rows + loaded.malformed_rows):
        raise LacrimeError(
            f"{path}: {loaded.malformed_rows} row(s) have the wrong number of fields; more than "
            f"{MAX_BAD_ROW_SHARE:.0%} malformed means the wrong format, so the file is rejected"
        )
    for name in table.column_names:
        text = table[name]
        if name in DATE_COLUMNS:
            values = _by_distinct(text, _parse_dates)
        elif name in INTEGER_COLUMNS:
            values = _cast(text, pa.int64(), _parse_integers)
        elif name in FLOAT_COLUMNS:
            values = _cast(text, pa.float64(), _parse_floats)
        else:
            trimmed = pc.utf8_trim_whitespace(text)
            values = pd.Series(pc.if_else(pc.equal(trimmed, ""), None, trimmed), dtype="str")
        if name == "time_occ":
            values = values.where((values >= 0) & (values <= 2359) & (values % 100 < 60))
        loaded.frame[name] = values
        if name in REQUIRED_COLUMNS:
            _count_unparseable(loaded, name, text, values, path)
    return loaded


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
