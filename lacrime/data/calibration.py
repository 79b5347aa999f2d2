"""The aggregate figures the synthetic demo is drawn from, computed once from the real extract.

`demo_calibration.json` holds shares and profiles only: no figure in it rests on fewer than
`MIN_REPORTS` reports, and it holds no report number, address, MO code or coordinate, so
shipping it reveals no single report.
"""

import json
from importlib import resources
from pathlib import Path

import h3
import numpy as np
import pandas as pd

from lacrime.data.schema import LA_BOUNDS
from lacrime.errors import LacrimeError

PORTAL_DATE_FORMAT = "%m/%d/%Y %I:%M:%S %p"

# Minutes that only the default times use: 1200 and 0001 for "unknown", and 0000, which the
# portal never writes (midnight is 0001).
DEFAULT_MINUTES_BY_HOUR = {0: (0, 1), 12: (0,)}

CALIBRATION_FILE = "demo_calibration.json"


# Aggregation rules: no cell, code or bucket with fewer reports than this is listed, so no
# figure pins a single report.
MIN_REPORTS = 3


H3_RESOLUTION = 8


PREMISE_TOP_N = 50


# Reporting lag buckets, as [start, end) in days; the last one takes every longer lag. The
# real extract only holds reports made in the month of the crime, so its lags end near 30 days.
LAG_EDGES = (0, 1, 2, 3, 4, 5, 6, 7, 14, 30, 90, 365, 730)


DECIMALS = 6


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
    return json.loads(resources.files("lacrime.data").joinpath(CALIBRATION_FILE).read_text())
