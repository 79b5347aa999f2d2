"""A synthetic demo dataset in the portal's own CSV format, so the app runs with no real data.

The generator never sees a real report: it draws from `demo_calibration.json`, a set of
aggregate figures (shares and profiles) that `calibrate` computed once from the real extract.
No figure in that file rests on fewer than `MIN_REPORTS` reports, and it holds no report
number, address, MO code or coordinate, so shipping it reveals no single report.

Fields are drawn independently of each other (an hour does not depend on the crime type, a
premise not on the area), except the weapon, whose presence depends on the crime type, and the
reporting district, which follows the map cell. That keeps the generator small; the demo has
to look and behave like the real data for the app, not to stand in for it in research.
"""

import json
import os
from importlib import resources
from pathlib import Path
from typing import BinaryIO

import h3
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from lacrime.errors import LacrimeError
from lacrime.schema import LA_BOUNDS, PORTAL_COLUMNS

CALIBRATION_FILE = "demo_calibration.json"
PORTAL_DATE_FORMAT = "%m/%d/%Y %I:%M:%S %p"

# Aggregation rules: no cell, code or bucket with fewer reports than this is listed, so no
# figure pins a single report.
MIN_REPORTS = 3
H3_RESOLUTION = 8
PREMISE_TOP_N = 50
# Reporting lag buckets, as [start, end) in days; the last one takes every longer lag. The
# real extract only holds reports made in the month of the crime, so its lags end near 30 days.
LAG_EDGES = (0, 1, 2, 3, 4, 5, 6, 7, 14, 30, 90, 365, 730)
DECIMALS = 6
# Minutes that only the default times use: 1200 and 0001 for "unknown", and 0000, which the
# portal never writes (midnight is 0001).
DEFAULT_MINUTES_BY_HOUR = {0: (0, 1), 12: (0,)}

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
SYNTHETIC_LOCATION = "SYNTHETIC DEMO RECORD"

_CALIBRATION_INPUTS = (
    "DATE OCC", "Date Rptd", "TIME OCC", "AREA", "AREA NAME", "Rpt Dist No", "Part 1-2",
    "Crm Cd", "Crm Cd Desc", "Premis Cd", "Premis Desc", "Weapon Used Cd", "Weapon Desc",
    "Status", "Status Desc", "LAT", "LON",
)  # fmt: skip


def _share(count: float, total: float) -> float:
    return round(float(count) / float(total), DECIMALS) if total else 0.0


def _shares(counts: pd.Series) -> list[float]:
    return [_share(c, counts.sum()) for c in counts]


def _modal(values: pd.Series) -> object:
    """The most frequent non-null value, ties to the smallest, so the choice is stable."""
    counts = values.dropna().value_counts()
    if counts.empty:
        return None
    return min(counts.index[counts == counts.max()])


def _code_mix(codes: pd.Series, descs: pd.Series, limit: int | None = None) -> dict:
    """Shares of a code column with each code's description, codes below MIN_REPORTS folded
    into `other_share` (and, with `limit`, all but the `limit` most frequent)."""
    frame = pd.DataFrame({"code": codes, "desc": descs}).dropna(subset=["code"])
    counts = frame["code"].value_counts()
    counts = counts.sort_index(kind="stable").sort_values(ascending=False, kind="stable")
    kept = counts[counts >= MIN_REPORTS].iloc[:limit]
    items = [
        {
            "code": int(code),
            "desc": _modal(frame.loc[frame["code"] == code, "desc"]),
            "share": _share(count, len(frame)),
        }
        for code, count in kept.items()
    ]
    return {"items": items, "other_share": _share(counts.sum() - kept.sum(), len(frame))}


def _time_profile(time_occ: pd.Series) -> dict:
    """Hour and minute shares of the reports not at a default time. Minutes come from the
    hours other than 0 and 12: there the default times take minute 1 and 0 away, and no report
    says 0000 (midnight is written 0001), so these hours would bias the pooled minutes."""
    time_occ = time_occ.dropna().astype(int)
    hours, minutes = time_occ // 100, time_occ % 100
    other = ~time_occ.isin([1200, 1])
    other_hours = hours[other].value_counts().reindex(range(24), fill_value=0)
    plain = other & ~hours.isin(DEFAULT_MINUTES_BY_HOUR)
    other_minutes = minutes[plain].value_counts().reindex(range(60), fill_value=0)
    return {
        "share_1200": _share((time_occ == 1200).sum(), len(time_occ)),
        "share_0001": _share((time_occ == 1).sum(), len(time_occ)),
        "share_whole_hour": _share((minutes == 0).sum(), len(time_occ)),
        "hour_shares": _shares(hours.value_counts().reindex(range(24), fill_value=0)),
        "other_hour_shares": _shares(other_hours),
        "other_minute_shares": _shares(other_minutes),
    }


def _weekday_shares(date_occ: pd.Series) -> list[float]:
    """Mean reports per calendar day of each weekday (Monday first), as shares: counting days
    rather than reports keeps a range that is not whole weeks from favouring its extra days."""
    daily = date_occ.dropna().dt.normalize().value_counts()
    days = pd.date_range(daily.index.min(), daily.index.max(), freq="D")
    daily = daily.reindex(days, fill_value=0)
    rates = daily.groupby(daily.index.day_of_week).mean().reindex(range(7), fill_value=0)
    return _shares(rates)


def _report_lag(date_occ: pd.Series, date_rptd: pd.Series) -> list[dict]:
    lag = (date_rptd - date_occ).dt.days.dropna()
    lag = lag[lag >= 0]
    bucket = np.searchsorted(LAG_EDGES, lag.to_numpy(), side="right") - 1
    counts = np.bincount(bucket, minlength=len(LAG_EDGES))
    ends = [*LAG_EDGES[1:], LAG_EDGES[-1] + 365]
    return [
        {"min_days": start, "max_days": end - 1, "share": _share(count, counts.sum())}
        for start, end, count in zip(LAG_EDGES, ends, counts, strict=True)
    ]


def _within_la(cell: str) -> bool:
    """Whether the whole hexagon lies in LA_BOUNDS, so every point drawn in it does too."""
    return all(
        LA_BOUNDS["lat_min"] <= lat <= LA_BOUNDS["lat_max"]
        and LA_BOUNDS["lon_min"] <= lon <= LA_BOUNDS["lon_max"]
        for lat, lon in h3.cell_to_boundary(cell)
    )


def _areas(raw: pd.DataFrame) -> list[dict]:
    """Area shares from every report; within each area, shares over the H3 cells that hold at
    least MIN_REPORTS of its reports and lie inside LA_BOUNDS (which drops placeholder
    coordinates such as 0, 0), with the cell's usual reporting district."""
    frame = pd.DataFrame(
        {
            "area": pd.to_numeric(raw["AREA"], errors="coerce"),
            "name": raw["AREA NAME"],
            "rpt_dist": pd.to_numeric(raw["Rpt Dist No"], errors="coerce"),
            "lat": pd.to_numeric(raw["LAT"], errors="coerce"),
            "lon": pd.to_numeric(raw["LON"], errors="coerce"),
        }
    ).dropna(subset=["area"])
    located = frame.dropna(subset=["lat", "lon"]).copy()
    located["cell"] = [
        h3.latlng_to_cell(lat, lon, H3_RESOLUTION)
        for lat, lon in zip(located["lat"], located["lon"], strict=True)
    ]
    areas = []
    for area, reports in frame.groupby("area", sort=True):
        cells = located[located["area"] == area].groupby("cell", sort=True)
        counts = cells.size()
        kept = [c for c in counts[counts >= MIN_REPORTS].index if _within_la(c)]
        areas.append(
            {
                "code": int(area),
                "name": _modal(reports["name"]),
                "share": _share(len(reports), len(frame)),
                "cells": kept,
                "cell_shares": _shares(counts[kept]),
                "cell_rpt_dist_no": [
                    int(cells.get_group(c)["rpt_dist"].pipe(_modal)) for c in kept
                ],
            }
        )
    return areas


def _statuses(codes: pd.Series, descs: pd.Series) -> list[dict]:
    counts = codes.value_counts().sort_index()
    return [
        {"code": code, "desc": _modal(descs[codes == code]), "share": _share(count, counts.sum())}
        for code, count in counts.items()
        if count >= MIN_REPORTS
    ]


def _crimes(raw: pd.DataFrame) -> dict:
    """The crime mix, with each crime's Part 1-2 and the share of its reports naming a weapon
    (strong for assaults, near nil for vehicle theft)."""
    crm_cd = pd.to_numeric(raw["Crm Cd"], errors="coerce")
    mix = _code_mix(crm_cd, raw["Crm Cd Desc"])
    part = pd.to_numeric(raw["Part 1-2"], errors="coerce")
    armed = raw["Weapon Used Cd"].notna()
    for item in mix["items"]:
        rows = crm_cd == item["code"]
        item["part_1_2"] = int(_modal(part[rows]))
        item["weapon_share"] = _share(armed[rows].sum(), rows.sum())
    return mix


def calibrate(raw: pd.DataFrame) -> dict:
    """Aggregate figures of a raw portal-format frame (read with `dtype=str`) that `generate`
    draws from: only shares and profiles, never a row or an identifier of a report."""
    missing = [c for c in _CALIBRATION_INPUTS if c not in raw.columns]
    if missing:
        raise LacrimeError(f"calibration input lacks the portal column(s) {', '.join(missing)}")
    raw = raw.replace("", np.nan)
    date_occ = pd.to_datetime(raw["DATE OCC"], format=PORTAL_DATE_FORMAT, errors="coerce")
    date_rptd = pd.to_datetime(raw["Date Rptd"], format=PORTAL_DATE_FORMAT, errors="coerce")
    if date_occ.isna().all():
        raise LacrimeError(f"calibration input: no DATE OCC in the format {PORTAL_DATE_FORMAT}")
    return {
        "source": {
            "reports": len(raw),
            "date_occ_first": date_occ.min().date().isoformat(),
            "date_occ_last": date_occ.max().date().isoformat(),
        },
        "min_reports": MIN_REPORTS,
        "h3_resolution": H3_RESOLUTION,
        "time": _time_profile(pd.to_numeric(raw["TIME OCC"], errors="coerce")),
        "weekday_shares": _weekday_shares(date_occ),
        "report_lag": _report_lag(date_occ, date_rptd),
        "areas": _areas(raw),
        "crimes": _crimes(raw),
        "premises": _code_mix(
            pd.to_numeric(raw["Premis Cd"], errors="coerce"), raw["Premis Desc"], PREMISE_TOP_N
        ),
        "weapons": _code_mix(
            pd.to_numeric(raw["Weapon Used Cd"], errors="coerce"), raw["Weapon Desc"]
        ),
        "statuses": _statuses(raw["Status"], raw["Status Desc"]),
    }


def write_calibration(source: Path, dest: Path) -> None:
    """Recompute the committed calibration from a real portal CSV (run by hand, once per
    extract; a test checks that the committed file matches its source)."""
    raw = pd.read_csv(source, dtype=str)
    dest.write_text(json.dumps(calibrate(raw), indent=1, ensure_ascii=False) + "\n")


def load_calibration() -> dict:
    return json.loads(resources.files("lacrime").joinpath(CALIBRATION_FILE).read_text())


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


def _where(rng: np.random.Generator, rows: int, calibration: dict) -> dict[str, pa.Array]:
    """An area by its share, a cell of that area by the cell's share, a point in the cell."""
    areas = calibration["areas"]
    area = rng.choice(len(areas), size=rows, p=_shares_of(areas))
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
        "AREA": _take([f"{a['code']:02d}" for a in areas], area),
        "AREA NAME": _take([a["name"] for a in areas], area),
        "Rpt Dist No": _take([f"{d:04d}" for a in areas for d in a["cell_rpt_dist_no"]], cell),
        "LAT": _coordinate(lat),
        "LON": _coordinate(lon),
    }


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


def _generate_table(rows: int, seed: int, start: str, days: int) -> pa.Table:
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
        "DR_NO": pc.cast(pa.array(DR_NO_BASE + 1 + np.arange(rows)), pa.string()),
        **_when(rng, rows, first_day, days, calibration),
        **_where(rng, rows, calibration),
        **_what(rng, rows, calibration),
        **_victims(rng, rows),
        "Mocodes": empty,
        "Crm Cd 2": empty,
        "Crm Cd 3": empty,
        "Crm Cd 4": empty,
        "LOCATION": pa.repeat(pa.scalar(SYNTHETIC_LOCATION), rows),
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
    return _generate_table(rows, seed, start, days).to_pandas()


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


def write_demo_csv(path: Path, rows: int = 200_000, seed: int = 0, days: int = 365) -> Path:
    """Write `generate(rows, seed)` over the `days` ending on 2023-12-31 as a portal CSV,
    atomically, so an interrupted run never leaves a half-written file to ingest."""
    start = (pd.Timestamp("2024-01-01") - pd.Timedelta(days=days)).date().isoformat()
    table = _generate_table(rows, seed, start, days)
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
