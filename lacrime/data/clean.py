"""Cleaning: from parsed columns to the dataset every model and page trusts, with a report.

Each step removes rows for one stated reason and is counted, so an analyst can see what was
left out and why. The report also carries data-quality flags the raw counts hide: heaped
default times that fake a noon peak, and recent weeks not yet fully reported.
"""

import numpy as np
import pandas as pd

from lacrime.calendar import last_full_sunday
from lacrime.data.categories import crime_group
from lacrime.data.exclusions import Exclusions
from lacrime.data.load import Loaded
from lacrime.data.schema import (
    CLEAN_COLUMNS,
    INTEGER_COLUMNS,
    LA_BOUNDS,
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
)

# A recent full week with fewer reports than this share of the typical week is flagged:
# reports of it are probably still coming in.
INCOMPLETE_WEEK_SHARE = 0.85
RECENT_WEEKS_CHECKED = 4
DEFAULT_TIMES = (1200, 1)
LAG_BUCKETS = (
    (0, 0, "same day"),
    (1, 1, "1 day"),
    (2, 3, "2-3 days"),
    (4, 7, "4-7 days"),
    (8, 30, "8-30 days"),
    (31, 365, "1-12 months"),
    (366, None, "over a year"),
)

STEP_REASONS = {
    "malformed_rows": "wrong number of fields in the row",
    "missing_required_value": "empty or unparseable date, time, code or description",
    "duplicate_rows": "identical to an earlier row",
    "duplicate_dr_no": "same report number (DR_NO) as an earlier row; the first is kept",
    "missing_coordinates": "empty or non-numeric LAT/LON",
    "zero_coordinates": "LAT/LON of 0, the portal's placeholder for an unknown place",
    "outside_los_angeles": "LAT/LON outside the City of Los Angeles bounding box",
    "occurred_after_reported": "DATE OCC later than Date Rptd",
    "occurred_in_future": "DATE OCC after the day of ingest",
    "excluded_crime_type": "crime type on the exclusion list (reflects enforcement)",
}


def clean(
    loaded: Loaded, exclusions: Exclusions, today: pd.Timestamp | None = None
) -> tuple[pd.DataFrame, dict]:
    """The cleaned dataset (schema.CLEAN_COLUMNS) and the report of what was removed and why.

    One function on purpose: it reads as the ordered list of cleaning steps, each removing
    the rows still kept for one reason, which is the order the report lists them in.
    """
    today = (today or pd.Timestamp.now()).normalize()
    frame = loaded.frame
    kept = np.ones(len(frame), dtype=bool)
    steps: list[dict] = [
        {
            "step": "malformed_rows",
            "reason": STEP_REASONS["malformed_rows"],
            "removed": loaded.malformed_rows,
        }
    ]

    def remove(name: str, mask: np.ndarray, detail: dict | None = None) -> None:
        """Drop the still-kept rows that `mask` marks, counted under one reason."""
        hit = mask & kept
        kept[hit] = False
        steps.append(
            {
                "step": name,
                "reason": STEP_REASONS[name],
                "removed": int(hit.sum()),
                **({"detail": detail} if detail else {}),
            }
        )

    required = [c for c in REQUIRED_COLUMNS if c not in ("lat", "lon")]
    missing = frame[required].isna()
    detail = {
        c: {
            "empty_or_unparseable": int(missing[c].sum()),
            "unparseable": loaded.unparseable.get(c, 0),
        }
        for c in required
        if missing[c].any()
    }
    remove("missing_required_value", missing.any(axis=1).to_numpy(), detail)

    shared_number = frame["dr_no"].duplicated(keep=False).to_numpy()
    remove("duplicate_rows", _duplicates(frame, shared_number & kept, identical=True))
    remove("duplicate_dr_no", _duplicates(frame, shared_number & kept, identical=False))

    lat, lon = frame["lat"].to_numpy(), frame["lon"].to_numpy()
    remove("missing_coordinates", np.isnan(lat) | np.isnan(lon))
    remove("zero_coordinates", (lat == 0) | (lon == 0))
    inside = (
        (lat >= LA_BOUNDS["lat_min"])
        & (lat <= LA_BOUNDS["lat_max"])
        & (lon >= LA_BOUNDS["lon_min"])
        & (lon <= LA_BOUNDS["lon_max"])
    )
    remove("outside_los_angeles", ~inside)

    occurred = frame["date_occ"].to_numpy()
    remove("occurred_after_reported", occurred > frame["date_rptd"].to_numpy())
    remove("occurred_in_future", occurred > today.to_datetime64())

    excluded = exclusions.matches(frame["crm_cd_desc"]).to_numpy()
    by_type = frame.loc[excluded & kept, "crm_cd_desc"].value_counts()
    remove("excluded_crime_type", excluded, {str(k): int(v) for k, v in by_type.items()})

    frame = frame[kept]
    result = _typed(frame)
    report = {
        "rows_in": loaded.rows_read + loaded.malformed_rows,
        "steps": steps,
        "rows_out": len(result),
        "dropped_columns": list(loaded.dropped_columns),
        "null_policy": _null_policy(),
        **_coverage(result),
        "flags": quality_flags(result),
    }
    return result, report


def _duplicates(frame: pd.DataFrame, candidates: np.ndarray, *, identical: bool) -> np.ndarray:
    """Among candidate rows, the later ones repeating an earlier report (identical: in full)."""
    repeated = np.zeros(len(frame), dtype=bool)
    subset = frame[candidates]
    repeated[candidates] = (
        subset.duplicated(keep="first") if identical else subset["dr_no"].duplicated(keep="first")
    ).to_numpy()
    return repeated


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    time_occ = frame["time_occ"].astype("int16")
    occurred_at = (
        frame["date_occ"]
        + pd.to_timedelta((time_occ // 100).astype("int64"), unit="h")
        + pd.to_timedelta((time_occ % 100).astype("int64"), unit="m")
    )
    out = pd.DataFrame(
        {
            "dr_no": frame["dr_no"].astype("int64"),
            "occurred_at": occurred_at.astype("datetime64[ns]"),
            "date_rptd": frame["date_rptd"].astype("datetime64[ns]"),
            "time_occ": time_occ,
            "area": frame["area"].astype("int8"),
            "area_name": frame["area_name"].astype("str"),
            "crm_cd": frame["crm_cd"].astype("int16"),
            "crm_cd_desc": frame["crm_cd_desc"].astype("str"),
            "lat": frame["lat"].astype("float64"),
            "lon": frame["lon"].astype("float64"),
        }
    )
    out["crime_group"] = crime_group(out["crm_cd_desc"])
    for name, fill in OPTIONAL_COLUMNS.items():
        values = frame[name] if name in frame else pd.Series(np.nan, index=frame.index)
        if name in INTEGER_COLUMNS:
            out[name] = values.astype("Int16" if name != "part_1_2" else "Int8")
        elif fill is None:
            out[name] = values.astype("str")
        else:
            out[name] = values.fillna(fill).astype("str")
    return out[list(CLEAN_COLUMNS)].reset_index(drop=True)


def _null_policy() -> dict:
    policy = dict.fromkeys(REQUIRED_COLUMNS, "drop the row")
    for name, fill in OPTIONAL_COLUMNS.items():
        policy[name] = "keep as null (not recorded)" if fill is None else f"fill with {fill!r}"
    return policy


def _coverage(frame: pd.DataFrame) -> dict:
    if frame.empty:
        return {"date_range": None, "areas": 0, "area_names": []}
    return {
        "date_range": [
            frame["occurred_at"].min().date().isoformat(),
            frame["occurred_at"].max().date().isoformat(),
        ],
        "reported_until": frame["date_rptd"].max().date().isoformat(),
        "areas": int(frame["area"].nunique()),
        "area_names": sorted(frame["area_name"].unique().tolist()),
    }


def quality_flags(frame: pd.DataFrame) -> dict:
    """Time heaping, recent weeks that look incomplete, and the reporting-lag distribution."""
    if frame.empty:
        return {"warnings": ["no rows left after cleaning"]}
    n = len(frame)
    time_occ = frame["time_occ"]
    flags: dict = {
        "share_time_1200": round(float((time_occ == 1200).mean()), 4),
        "share_time_0001": round(float((time_occ == 1).mean()), 4),
        "share_whole_hour": round(float((time_occ % 100 == 0).mean()), 4),
    }
    warnings = []
    default_share = float(time_occ.isin(DEFAULT_TIMES).mean())
    if default_share > 0.02:
        warnings.append(
            f"{default_share:.1%} of reports give 12:00 or 00:01, default times for 'unknown': "
            "a noon or midnight peak in hourly charts is partly an artefact"
        )
    weeks = weekly_counts(frame)
    flags["latest_full_week"] = weeks.index[-1].isoformat() if len(weeks) else None
    incomplete = _incomplete_weeks(weeks)
    flags["incomplete_recent_weeks"] = incomplete
    if incomplete:
        warnings.append(
            f"{len(incomplete)} recent week(s) have under {INCOMPLETE_WEEK_SHARE:.0%} of the "
            f"typical weekly count (starting {', '.join(w['week_start'] for w in incomplete)}): "
            "reports of them are probably still coming in"
        )
    lag = (frame["date_rptd"] - frame["occurred_at"].dt.normalize()).dt.days
    flags["reporting_lag_days"] = {
        "median": float(lag.median()),
        "p90": float(lag.quantile(0.9)),
        "p99": float(lag.quantile(0.99)),
        "distribution": {
            label: round(float(lag.between(lo, hi if hi is not None else np.inf).sum() / n), 4)
            for lo, hi, label in LAG_BUCKETS
        },
    }
    flags["warnings"] = warnings
    return flags


def weekly_counts(frame: pd.DataFrame) -> pd.Series:
    """Reports per full Monday-to-Sunday week of occurrence, indexed by the week's Monday."""
    days = frame["occurred_at"].dt.normalize()
    start = days.min() + pd.Timedelta(days=(7 - days.min().day_of_week) % 7)
    end = last_full_sunday(days.max())
    inside = days[(days >= start) & (days <= end)]
    monday = inside - pd.to_timedelta(inside.dt.day_of_week, unit="D")
    counts = monday.value_counts().sort_index()
    counts.index = counts.index.date
    return counts


def _incomplete_weeks(weeks: pd.Series) -> list[dict]:
    if len(weeks) < 3:
        return []
    reference = (
        weeks.iloc[:-RECENT_WEEKS_CHECKED] if len(weeks) > 2 * RECENT_WEEKS_CHECKED else weeks
    )
    typical = float(reference.median())
    recent = weeks.iloc[-RECENT_WEEKS_CHECKED:]
    return [
        {
            "week_start": week.isoformat(),
            "reports": int(count),
            "share_of_typical": round(count / typical, 3),
        }
        for week, count in recent.items()
        if count < INCOMPLETE_WEEK_SHARE * typical
    ]
