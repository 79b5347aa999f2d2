"""A synthetic demo dataset in the portal's own CSV format, so the app runs with no real data.

The generator never sees a real report: it draws from `demo_calibration.json`, a set of
aggregate figures (shares and profiles) that `calibration.calibrate` computed once from the
real extract.

Fields are drawn independently of each other (an hour does not depend on the crime type, a
premise not on the area), except the weapon, whose presence depends on the crime type, and the
reporting district, which follows the map cell. That keeps the generator small; the demo has
to look and behave like the real data for the app, not to stand in for it in research.
"""

import os
from pathlib import Path
from typing import BinaryIO

import h3
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from lacrime.data.calibration import DEFAULT_MINUTES_BY_HOUR, PORTAL_DATE_FORMAT, load_calibration
from lacrime.data.sources.legacy import PORTAL_COLUMNS
from lacrime.errors import LacrimeError

# The real extract covers February and March only, so the year's shape cannot be calibrated:
# this is a synthetic cycle with a mild summer peak, the usual shape of urban crime counts.
SEASONAL_AMPLITUDE = 0.08
SEASONAL_PEAK_DAY_OF_YEAR = 196  # mid-July

# DR_NO is 9 digits; real ones start with the report's two-digit year (20, 21, ...), so a
# leading 9 cannot collide with a real report and marks a demo row.
DR_NO_BASE = 900_000_000
MAX_ROWS = 99_999_999

# Victim columns exist in the portal format but are dropped at ingest; the demo fills them with
# uniform placeholders that carry no calibrated pattern.
VICTIM_SEXES = ("M", "F")
VICTIM_DESCENTS = ("A", "B", "H", "O", "W", "X")
NO_PERSON_VICTIM_SHARE = 0.3
# Made-up street names for the demo's hundred-block addresses (LOCATION), so that a patrol
# plan on the demo names streets; never taken from real reports. Each map cell gets a few
# streets, the first the busiest, and every report a hundred block on one of them.
DEMO_STREET_NAMES = (
    "ALDER",
    "BIRCHWOOD",
    "CEDAR GLEN",
    "DOVETAIL",
    "ELMSTONE",
    "FERNHILL",
    "GOLDFINCH",
    "HAZELMERE",
    "IRONBARK",
    "JUNIPER RIDGE",
    "KESTREL",
    "LARKSPUR",
    "MEADOWLARK",
    "NUTMEG",
    "OSPREY",
    "PLOVER",
    "QUILLAN",
    "ROWANBERRY",
    "SANDPIPER",
    "THISTLEDOWN",
    "UMBERWOOD",
    "VERBENA",
    "WILLOWMERE",
    "YARROW",
)
DEMO_STREET_SUFFIXES = ("ST", "AV", "BL", "DR", "PL", "WY")
DEMO_STREET_DIRECTIONS = ("", "N", "S", "E", "W")
STREETS_PER_CELL = 4
# The last day of every demo: its `days` end here.
DEMO_END = "2023-12-31"


def _take(values: list, index: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    """Format a column from its few distinct values: strings are built once, not per row,
    which keeps a million rows fast. Rows where `null` is true stay empty."""
    return pa.array(values, type=pa.string()).take(pa.array(index, mask=null))


def _shares_of(items: list[dict]) -> np.ndarray:
    """Rounded shares, renormalised: the folded `other` share goes to the listed items."""
    p = np.asarray([item["share"] for item in items], dtype=float)
    return p / p.sum()


def _day_weights(start: pd.Timestamp, days: int, weekday_shares: list[float]) -> np.ndarray:
    dates = pd.date_range(start, periods=days, freq="D")
    season = 1 + SEASONAL_AMPLITUDE * np.cos(
        2 * np.pi * (dates.day_of_year.to_numpy() - SEASONAL_PEAK_DAY_OF_YEAR) / 365.25
    )
    weights = season * np.asarray(weekday_shares)[dates.day_of_week.to_numpy()]
    return weights / weights.sum()


def _minutes_of_day(rng: np.random.Generator, rows: int, time: dict) -> np.ndarray:
    """The default times 1200 and 0001 are drawn at their own shares; the rest by hour, then
    minute (whose minute 0 share carries the whole-hour heaping), never at a default minute."""
    hour_p, minute_p = (np.asarray(time[k]) for k in ("other_hour_shares", "other_minute_shares"))
    hours = rng.choice(24, size=rows, p=hour_p / hour_p.sum())
    minutes = rng.choice(60, size=rows, p=minute_p / minute_p.sum())
    for hour, default_minutes in DEFAULT_MINUTES_BY_HOUR.items():
        at_hour = np.flatnonzero(hours == hour)
        p = minute_p.copy()
        p[list(default_minutes)] = 0
        minutes[at_hour] = rng.choice(60, size=len(at_hour), p=p / p.sum())
    minute_of_day = 60 * hours + minutes
    u = rng.random(rows)
    noon, one = time["share_1200"], time["share_0001"]
    minute_of_day[u < noon] = 12 * 60
    minute_of_day[(u >= noon) & (u < noon + one)] = 1
    return minute_of_day


def _when(
    rng: np.random.Generator, rows: int, first_day: pd.Timestamp, days: int, calibration: dict
) -> dict[str, pa.Array]:
    day = rng.choice(
        days, size=rows, p=_day_weights(first_day, days, calibration["weekday_shares"])
    )
    buckets = calibration["report_lag"]
    bucket = rng.choice(len(buckets), size=rows, p=_shares_of(buckets))
    lag_start = np.array([b["min_days"] for b in buckets])[bucket]
    lag_span = np.array([b["max_days"] - b["min_days"] + 1 for b in buckets])[bucket]
    lag = lag_start + (rng.random(rows) * lag_span).astype(int)
    calendar = pd.date_range(first_day, periods=days + int(lag.max()) + 1, freq="D")
    dates = list(calendar.strftime(PORTAL_DATE_FORMAT))
    minute_of_day = _minutes_of_day(rng, rows, calibration["time"])
    return {
        "Date Rptd": _take(dates, day + lag),
        "DATE OCC": _take(dates, day),
        "TIME OCC": _take([f"{m // 60:02d}{m % 60:02d}" for m in range(24 * 60)], minute_of_day),
    }


def _points_in_cells(
    rng: np.random.Generator, cells: list[str], cell_index: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Uniform points inside each row's hexagon: pick one of the triangles fanned from the
    centre by its area, then a uniform point in that triangle."""
    boundaries = [h3.cell_to_boundary(c) for c in cells]
    corners = max(len(b) for b in boundaries)
    ring = np.array([[*b, *[b[-1]] * (corners - len(b))] for b in boundaries])
    centre = np.array([h3.cell_to_latlng(c) for c in cells])[:, None, :]
    a, b = ring - centre, np.roll(ring, -1, axis=1) - centre
    area = np.abs(a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0])
    cumulative = np.cumsum(area, axis=1) / area.sum(axis=1, keepdims=True)
    u = rng.random(len(cell_index))
    triangle = (u[:, None] > cumulative[cell_index]).sum(axis=1).clip(max=corners - 1)
    r = rng.random((len(cell_index), 2))
    fold = r.sum(axis=1) > 1
    r[fold] = 1 - r[fold]
    point = (
        centre[cell_index, 0]
        + r[:, :1] * a[cell_index, triangle]
        + r[:, 1:] * b[cell_index, triangle]
    )
    return point[:, 0], point[:, 1]


def _coordinate(values: np.ndarray) -> pa.Array:
    """4 decimals, written like the portal: shortest form, `34` rather than `34.0000`."""
    return pc.cast(pa.array(np.round(values, 4)), pa.string())


def _where(
    rng: np.random.Generator, rows: int, calibration: dict, area_shares: dict[int, float] | None
) -> dict[str, pa.Array]:
    """An area by its share (`area_shares` by area code, if given), a cell of that area by the
    cell's share, a point in the cell."""
    areas = calibration["areas"]
    if area_shares is None:
        p = _shares_of(areas)
    else:
        p = np.array([area_shares.get(a["code"], 0.0) for a in areas], dtype=float)
        p = p / p.sum()
    area = rng.choice(len(areas), size=rows, p=p)
    first_cell = np.cumsum([0, *(len(a["cells"]) for a in areas)])
    cell = np.empty(rows, dtype=np.int64)
    for i, a in enumerate(areas):
        in_area = np.flatnonzero(area == i)
        shares = np.asarray(a["cell_shares"])
        cell[in_area] = first_cell[i] + rng.choice(
            len(shares), size=len(in_area), p=shares / shares.sum()
        )
    lat, lon = _points_in_cells(rng, [c for a in areas for c in a["cells"]], cell)
    return {
        "LOCATION": _locations(rng.spawn(1)[0], cell, int(first_cell[-1])),
        "AREA": _take([f"{a['code']:02d}" for a in areas], area),
        "AREA NAME": _take([a["name"] for a in areas], area),
        "Rpt Dist No": _take([f"{d:04d}" for a in areas for d in a["cell_rpt_dist_no"]], cell),
        "LAT": _coordinate(lat),
        "LON": _coordinate(lon),
    }


def _locations(rng: np.random.Generator, cell: np.ndarray, n_cells: int) -> pa.Array:
    """A made-up hundred-block address per row, padded as LAPD writes them
    ("1900 S  ALDER                        AV"): one of its cell's streets, the first of them
    the most often, on a hundred block drawn per row. A spawned generator keeps every other
    column's draws as they were."""
    names = rng.integers(len(DEMO_STREET_NAMES), size=(n_cells, STREETS_PER_CELL))
    suffixes = rng.integers(len(DEMO_STREET_SUFFIXES), size=(n_cells, STREETS_PER_CELL))
    directions = rng.integers(len(DEMO_STREET_DIRECTIONS), size=(n_cells, STREETS_PER_CELL))
    streets = [
        f"{DEMO_STREET_DIRECTIONS[d]:<2} {DEMO_STREET_NAMES[n]:<28} {DEMO_STREET_SUFFIXES[x]}"
        for d, n, x in zip(directions.ravel(), names.ravel(), suffixes.ravel(), strict=True)
    ]
    weights = 1 / np.arange(1, STREETS_PER_CELL + 1)
    street = rng.choice(STREETS_PER_CELL, size=len(cell), p=weights / weights.sum())
    block = rng.integers(1, 100, size=len(cell))
    return pc.binary_join_element_wise(
        _take([f"{b * 100}" for b in range(100)], block),
        _take(streets, cell * STREETS_PER_CELL + street),
        "    ",
    )


def _what(rng: np.random.Generator, rows: int, calibration: dict) -> dict[str, pa.Array]:
    """Crime by its share, a weapon at the crime's weapon share, premise and status."""
    crimes = calibration["crimes"]["items"]
    crime = rng.choice(len(crimes), size=rows, p=_shares_of(crimes))
    weapons = calibration["weapons"]["items"]
    unarmed = rng.random(rows) >= np.array([c["weapon_share"] for c in crimes])[crime]
    weapon = rng.choice(len(weapons), size=rows, p=_shares_of(weapons))
    premises = calibration["premises"]["items"]
    premise = rng.choice(len(premises), size=rows, p=_shares_of(premises))
    statuses = calibration["statuses"]
    status = rng.choice(len(statuses), size=rows, p=_shares_of(statuses))
    crm_cd = _take([str(c["code"]) for c in crimes], crime)
    return {
        "Part 1-2": _take([str(c["part_1_2"]) for c in crimes], crime),
        "Crm Cd": crm_cd,
        "Crm Cd Desc": _take([c["desc"] for c in crimes], crime),
        "Crm Cd 1": crm_cd,
        "Premis Cd": _take([str(p["code"]) for p in premises], premise),
        "Premis Desc": _take([p["desc"] for p in premises], premise),
        "Weapon Used Cd": _take([str(w["code"]) for w in weapons], weapon, unarmed),
        "Weapon Desc": _take([w["desc"] for w in weapons], weapon, unarmed),
        "Status": _take([s["code"] for s in statuses], status),
        "Status Desc": _take([s["desc"] for s in statuses], status),
    }


def _victims(rng: np.random.Generator, rows: int) -> dict[str, pa.Array]:
    no_person = rng.random(rows) < NO_PERSON_VICTIM_SHARE
    age = np.where(no_person, 0, rng.integers(18, 80, size=rows))
    sex = np.where(no_person, len(VICTIM_SEXES), rng.integers(0, len(VICTIM_SEXES), size=rows))
    descent = np.where(
        no_person, VICTIM_DESCENTS.index("X"), rng.integers(0, len(VICTIM_DESCENTS), size=rows)
    )
    return {
        "Vict Age": _take([str(a) for a in range(80)], age),
        "Vict Sex": _take([*VICTIM_SEXES, "X"], sex),
        "Vict Descent": _take(list(VICTIM_DESCENTS), descent),
    }


def generate_table(
    rows: int,
    seed: int,
    start: str,
    days: int,
    *,
    area_shares: dict[int, float] | None = None,
    first_number: int = DR_NO_BASE + 1,
) -> pa.Table:
    """The rows of `generate` as an Arrow table of strings, with the areas drawn by
    `area_shares` (area code: share) instead of the calibrated shares if given, and report
    numbers counted from `first_number`."""
    if not 1 <= rows <= MAX_ROWS:
        raise LacrimeError(f"demo rows must be between 1 and {MAX_ROWS:,}, got {rows:,}")
    if days < 1:
        raise LacrimeError(f"demo days must be at least 1, got {days}")
    try:
        first_day = pd.Timestamp(start).normalize()
    except ValueError as error:
        raise LacrimeError(f"demo start date {start!r} is not a date: {error}") from None
    calibration = load_calibration()
    rng = np.random.default_rng(seed)
    empty = pa.nulls(rows, type=pa.string())
    columns = {
        "DR_NO": pc.cast(pa.array(first_number + np.arange(rows)), pa.string()),
        **_when(rng, rows, first_day, days, calibration),
        **_where(rng, rows, calibration, area_shares),
        **_what(rng, rows, calibration),
        **_victims(rng, rows),
        "Mocodes": empty,
        "Crm Cd 2": empty,
        "Crm Cd 3": empty,
        "Crm Cd 4": empty,
        "Cross Street": empty,
    }
    return pa.table([columns[c] for c in PORTAL_COLUMNS], names=list(PORTAL_COLUMNS))


def generate(
    rows: int = 200_000, seed: int = 0, start: str = "2023-01-01", days: int = 365
) -> pd.DataFrame:
    """Synthetic reports in the portal's format, as `pd.read_csv(path, dtype=str)` reads it
    (all strings, empty fields null); the same seed gives the same rows.

    Calibrated from `demo_calibration.json`: time of day with its default-time heaping,
    weekday, area and map cell, crime, weapon, premise, status and reporting lag. The yearly
    cycle is synthetic (see SEASONAL_AMPLITUDE): the real extract spans seven weeks.
    """
    return generate_table(rows, seed, start, days).to_pandas()


def _csv_field(column: pa.Array) -> pa.Array:
    """Quote a field only where it holds a separator or a quote, as the portal does."""
    needs_quotes = pc.match_substring_regex(column, r'[",\r\n]')
    if not pc.any(needs_quotes).as_py():
        return column
    quoted = pc.binary_join_element_wise('"', pc.replace_substring(column, '"', '""'), '"', "")
    return pc.if_else(needs_quotes, quoted, column)


def _write_csv(table: pa.Table, handle: BinaryIO, batch_rows: int = 100_000) -> None:
    """Write a table of strings as the portal's CSV: null fields empty, quotes only where
    needed. pyarrow's CSV writer quotes every string and pandas' takes ~10 s a million rows,
    so lines are joined with pyarrow compute, batch by batch."""
    handle.write((",".join(table.column_names) + "\n").encode())
    for batch in table.to_batches(max_chunksize=batch_rows):
        fields = [_csv_field(column) for column in batch.columns]
        lines = pc.binary_join_element_wise(*fields, ",", null_handling="replace")
        text = pc.binary_join(pa.ListArray.from_arrays([0, len(lines)], lines), "\n")[0]
        handle.write(text.as_buffer())
        handle.write(b"\n")


def demo_start(days: int) -> str:
    """The first day of a demo of `days` days ending on DEMO_END."""
    return (pd.Timestamp(DEMO_END) + pd.Timedelta(days=1 - days)).date().isoformat()


def write_demo_csv(path: Path, rows: int = 200_000, seed: int = 0, days: int = 365) -> Path:
    """Write `generate(rows, seed)` over the `days` ending on DEMO_END as a portal CSV."""
    return write_table(generate_table(rows, seed, demo_start(days), days), path)


def write_table(table: pa.Table, path: Path) -> Path:
    """A table of strings as a CSV file, written atomically, so that an interrupted run never
    leaves a half-written file to ingest."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with temp.open("wb") as handle:
            _write_csv(table, handle)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return path
