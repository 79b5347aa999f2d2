"""The file formats both sources arrive in, read once into Arrow columns of text.

A CSV (the portal's export, an Excel or Kaggle re-save, the Socrata API's CSV), gzip or zip of
one, Parquet, or the Socrata API's JSON (an array of records). Fields are matched by their
name with case and punctuation ignored, so `Date Rptd`, `date_rptd` and `DATE_RPTD` are one
field. Only the fields a reader asks for are converted: every other column of the file, the
victim and socio-economic fields among them, is skipped by the parser and never becomes data.

pyarrow reads CSV text multi-threaded. Values may not contain line breaks (the portal's never
do; allowing them halves the reader's parallelism): a row that has one splits in two and
counts as malformed.
"""

import csv
import gzip
import json
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from lacrime.errors import LacrimeError, first_line

SNIFF_BYTES = 64 * 1024
MALFORMED_KEY = b"malformed_rows"


def field_key(name: str) -> str:
    """A field name with case and punctuation ignored: `Part 1-2` and `part_1_2` -> `part12`."""
    return re.sub(r"[^0-9a-z]", "", name.lower())


@dataclass
class Opened:
    """A file whose container is known and whose column names have been read, not its rows."""

    path: Path
    kind: str  # "csv", "parquet" or "json"
    header: list[str]
    _records: list | None = field(default=None, repr=False)

    def keys(self) -> dict[str, str]:
        """Each column's field key -> its name in the file (the first, if a key repeats)."""
        found: dict[str, str] = {}
        for name in self.header:
            found.setdefault(field_key(name), name)
        return found

    def read(self, fields: Mapping[str, str]) -> pa.Table:
        """The columns named by `fields` (name in the file -> name to give it), as text.

        The table's metadata holds the count of malformed rows (wrong number of fields, or a
        JSON record that is not an object) under `malformed_rows`.
        """
        if self.kind == "parquet":
            return _parquet_columns(self.path, fields)
        if self.kind == "json":
            return _json_columns(self._records or [], fields)
        return _csv_columns(self.path, self.header, fields)


def open_file(path: Path) -> Opened:
    """Recognise the container of `path` and read its column names; one-line error otherwise."""
    path = Path(path)
    if not path.is_file():
        raise LacrimeError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise LacrimeError(f"{path}: the file is empty")
    with path.open("rb") as f:
        magic = f.read(4)
    if magic == b"PAR1":
        try:
            names = pq.ParquetFile(path).schema_arrow.names
        except (pa.ArrowException, OSError) as exc:
            raise LacrimeError(f"{path}: not a readable Parquet file ({first_line(exc)})") from None
        return Opened(path, "parquet", list(names))
    try:
        with _open_stream(path) as stream:
            head = stream.read(SNIFF_BYTES)
    except (OSError, EOFError, zipfile.BadZipFile) as exc:
        raise LacrimeError(f"{path}: cannot be read ({first_line(exc)})") from None
    if b"\x00" in head:
        raise LacrimeError(f"{path}: a binary file, not a CSV or JSON export")
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:16]
    if start.lower().startswith((b"<!doctype", b"<html", b"<?xml")):
        raise LacrimeError(f"{path}: an HTML or XML page, not a CSV or JSON export")
    if start.startswith((b"{", b"[")):
        records = _json_records(path)
        names: dict[str, None] = {}
        for record in records:
            if isinstance(record, dict):
                names.update(dict.fromkeys(record))
        return Opened(path, "json", list(names), records)
    return Opened(path, "csv", _csv_header(path, head))


def _open_stream(path: Path) -> BinaryIO:
    """The decompressed byte stream of a plain, gzip'd or zip'd file.

    Plain and gzip'd files open as Arrow's own streams, so that reading never takes the GIL.
    """
    with path.open("rb") as f:
        magic = f.read(4)
    if magic[:2] == b"\x1f\x8b":
        return pa.input_stream(str(path), compression="gzip")
    if magic == b"PK\x03\x04":
        archive = zipfile.ZipFile(path)
        members = [m for m in archive.infolist() if not m.is_dir()]
        data = [m for m in members if m.filename.lower().endswith((".csv", ".json"))]
        if len(data) != 1:
            names = ", ".join(m.filename for m in members[:5]) or "nothing"
            raise LacrimeError(
                f"{path}: a zip must hold exactly one .csv or .json file (holds {names})"
            )
        return archive.open(data[0])
    return pa.memory_map(str(path))


def _csv_header(path: Path, head: bytes) -> list[str]:
    first = head.split(b"\n", 1)[0]
    try:
        line = first.decode("utf-8-sig").strip("\r")
    except UnicodeDecodeError:
        raise LacrimeError(
            f"{path}: the header line is not UTF-8 text; re-save it as 'CSV UTF-8'"
        ) from None
    if not line.strip():
        raise LacrimeError(f"{path}: the first line is empty; expected the column header")
    return next(csv.reader([line]))


def _csv_columns(path: Path, header: list[str], fields: Mapping[str, str]) -> pa.Table:
    """Columns are addressed by position: each wanted one gets its new name, the others a
    placeholder, so that blank and repeated names in the header do no harm."""
    wanted = dict(fields)
    names = []
    for i, name in enumerate(header):
        new = wanted.pop(name, None)
        names.append(new if new is not None else f"_column_{i}")
    include = [n for n in names if not n.startswith("_column_")]
    malformed: list[int] = []

    def skip_malformed(row: pacsv.InvalidRow) -> str:
        malformed.append(row.number or 0)
        return "skip"

    try:
        with _open_stream(path) as stream:
            table = pacsv.read_csv(
                stream,
                read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, block_size=8 << 20),
                parse_options=pacsv.ParseOptions(
                    newlines_in_values=False, invalid_row_handler=skip_malformed
                ),
                convert_options=pacsv.ConvertOptions(
                    include_columns=include,
                    column_types=dict.fromkeys(include, pa.string()),
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
    return table.replace_schema_metadata({MALFORMED_KEY: str(len(malformed))})


def _parquet_columns(path: Path, fields: Mapping[str, str]) -> pa.Table:
    try:
        table = pq.read_table(path, columns=list(fields))
    except (pa.ArrowException, OSError) as exc:
        raise LacrimeError(f"{path}: not a readable Parquet file ({first_line(exc)})") from None
    columns = {
        fields[name]: column if pa.types.is_string(column.type) else pc.cast(column, pa.string())
        for name, column in zip(table.column_names, table.columns, strict=True)
    }
    return pa.table(columns).replace_schema_metadata({MALFORMED_KEY: "0"})


def _json_records(path: Path) -> list:
    """The records of a JSON array, as the Socrata API answers `.json` (gzip'd or zip'd too)."""
    try:
        with _open_stream(path) as stream:
            data = json.loads(stream.read())
    except (OSError, EOFError, zipfile.BadZipFile, gzip.BadGzipFile) as exc:
        raise LacrimeError(f"{path}: cannot be read ({first_line(exc)})") from None
    except UnicodeDecodeError:
        raise LacrimeError(f"{path}: JSON that is not UTF-8 text") from None
    except ValueError as exc:
        raise LacrimeError(f"{path}: not valid JSON ({first_line(exc)})") from None
    if isinstance(data, dict):
        keys = ", ".join(list(data)[:5]) or "none"
        raise LacrimeError(
            f"{path}: JSON, but an object (keys {keys}) rather than an array of records"
        )
    if not isinstance(data, list):
        raise LacrimeError(f"{path}: JSON, but not an array of records")
    return data


def _json_text(value: object) -> str | None:
    """A JSON value as the text a CSV would hold: numbers as written, nested values as JSON."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value)


def _json_columns(records: list, fields: Mapping[str, str]) -> pa.Table:
    rows = [r for r in records if isinstance(r, dict)]
    columns = {
        new: pa.array([_json_text(r.get(name)) for r in rows], type=pa.string())
        for name, new in fields.items()
    }
    table = pa.table(columns) if columns else pa.table({})
    return table.replace_schema_metadata({MALFORMED_KEY: str(len(records) - len(rows))})
