"""Cleaning: from parsed columns to the dataset every model and page trusts, with a report.

Each step removes rows for one stated reason and is counted, so an analyst can see what was
left out and why. A legacy file has a row per report; a NIBRS file a row per offence, and its
offences collapse into reports as the last step, so that one report counts once. The report also
carries data-quality flags the raw counts hide: heaped default times that fake a noon peak, and
recent weeks not yet fully reported.
"""

import numpy as np
import pandas as pd

from lacrime.calendar import last_full_sunday
from lacrime.data.categories import SEXUAL_OFFENCES, crime_group
from lacrime.data.exclusions import Exclusions
from lacrime.data.load import LAYOUTS
from lacrime.data.schema import (
    CLEAN_COLUMNS,
    LA_BOUNDS,
    NULLABLE_INTEGERS,
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
)
from lacrime.data.sources import nibrs
from lacrime.data.sources.columns import Loaded

# A recent full week in which the median area has fewer reports than this share of its typical
# week is flagged: reports of it are probably still coming in.
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
    "duplicate_offence": (
        "same offence (uniquenibrno) as an earlier row; the last is kept, as a re-published "
        "offence replaces the old one"
    ),
    "missing_coordinates": "empty or non-numeric coordinates",
    "zero_coordinates": "coordinates of 0, the portal's placeholder for an unknown place",
    "outside_los_angeles": "coordinates outside the City of Los Angeles bounding box",
    "occurred_after_reported": "date occurred later than the date reported",
    "occurred_in_future": "date occurred after the day of ingest",
    "excluded_crime_type": "crime type on the exclusion list (reflects enforcement)",
    "further_offences": (
        "another offence of a report already counted: a report counts once, under its most "
        "serious offence"
    ),
}


def clean(
    loaded: Loaded, exclusions: Exclusions, today: pd.Timestamp | None = None
) -> tuple[pd.DataFrame, dict]:
    """The cleaned dataset of one file (schema.CLEAN_COLUMNS) and the report of what was
    removed and why, with its data-quality flags."""
    frame, report = clean_rows(loaded, exclusions, today)
    return frame, {**report, "flags": quality_flags(frame)}


def clean_rows(
    loaded: Loaded, exclusions: Exclusions, today: pd.Timestamp | None = None
) -> tuple[pd.DataFrame, dict]:
    """The cleaned reports of one file and the report of the steps, without quality flags
    (a dataset built from several files is flagged once, after they are joined).

    One function on purpose: it reads as the ordered list of cleaning steps, each removing
    the rows still kept for one reason, which is the order the report lists them in.
    """
    today = (today or pd.Timestamp.now()).normalize()
    layout = LAYOUTS[loaded.layout]
    frame = loaded.frame
    kept = np.ones(len(frame), dtype=bool)
    steps: list[dict] = [
        {
            "step": "malformed_rows",
            "reason": STEP_REASONS["malformed_rows"],
            "removed": loaded.malformed_rows,
        }
    ]

    def remove(name: str, mask: np.ndarray, detail: dict | None = None, **extra) -> None:
        """Drop the still-kept rows that `mask` marks, counted under one reason."""
        hit = mask & kept
        kept[hit] = False
        steps.append(
            {
                "step": name,
                "reason": STEP_REASONS[name],
                "removed": int(hit.sum()),
                **({"detail": detail} if detail else {}),
                **extra,
            }
        )

    fields = {layout.renames.get(f, f): f for f in layout.required}
    required = [c for c in fields if c not in ("lat", "lon")]
    missing = frame[required].isna()
    detail = {
        fields[c]: {
            "empty_or_unparseable": int(missing[c].sum()),
            "unparseable": loaded.unparseable.get(fields[c], 0),
        }
        for c in required
        if missing[c].any()
    }
    remove("missing_required_value", missing.any(axis=1).to_numpy(), detail)

    key = "offence_id" if layout.name == "nibrs" else "dr_no"
    shared = frame[key].duplicated(keep=False).to_numpy()
    remove("duplicate_rows", _duplicates(frame, shared & kept, key=None))
    if layout.name == "nibrs":
        remove("duplicate_offence", _duplicates(frame, shared & kept, key=key, keep="last"))
    else:
        remove("duplicate_dr_no", _duplicates(frame, shared & kept, key=key))

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

    valid = kept.copy()
    rule = exclusions.first_rule(frame)
    excluded = rule >= 0
    removed = frame.loc[excluded & kept, "crm_cd_desc"]
    by_type = removed.value_counts()
    remove(
        "excluded_crime_type",
        excluded,
        {str(k): int(v) for k, v in by_type.items()},
        rules=_by_rule(exclusions, removed, rule[excluded & kept]),
    )

    if layout.name == "nibrs":
        reports = nibrs.collapse(frame[kept], frame.loc[valid, ["dr_no", "nibr_code"]])
        remove("further_offences", kept & ~frame.index.isin(reports.index))
        frame = reports
    else:
        groups = _legacy_groups(frame, valid)
        frame = frame[kept].assign(crime_group=groups[kept])
    result = _typed(frame, layout.name)
    report = {
        "file": loaded.path,
        "format": layout.name,
        "rows_in": loaded.rows_read + loaded.malformed_rows,
        "steps": steps,
        "rows_out": len(result),
        "dropped_columns": list(loaded.dropped_columns),
        "null_policy": _null_policy(),
        **extent(result),
    }
    return result, report


def _duplicates(
    frame: pd.DataFrame, candidates: np.ndarray, *, key: str | None, keep: str = "first"
) -> np.ndarray:
    """Among candidate rows, those repeating another one: in full (`key` None), or in `key`,
    all but the first (or the last) of each."""
    repeated = np.zeros(len(frame), dtype=bool)
    subset = frame[candidates]
    same = subset.duplicated(keep=keep) if key is None else subset[key].duplicated(keep=keep)
    repeated[candidates] = same.to_numpy()
    return repeated


def _by_rule(exclusions: Exclusions, removed: pd.Series, rule: np.ndarray) -> list[dict]:
    """Each exclusion rule with the rows it removed, by crime description (`removed`)."""
    out = []
    for position, each in enumerate(exclusions.rules):
        types = removed[rule == position].value_counts()
        out.append(
            {
                "field": each.field,
                "pattern": each.pattern,
                "removed": int(types.sum()),
                "types": {str(k): int(v) for k, v in types.items()},
            }
        )
    return out


def _legacy_groups(frame: pd.DataFrame, valid: np.ndarray) -> pd.Series:
    """Each legacy report's crime group, from its description; "Sexual offences" also when
    any of its crime codes (Crm Cd 1-4) is one that this file's `valid` rows describe as a
    sexual offence, so that no output places it on its own."""
    groups = crime_group(frame["crm_cd_desc"])
    codes = frame.loc[valid & (groups == SEXUAL_OFFENCES).to_numpy(), "crm_cd"]
    sexual = {str(int(c)) for c in codes.dropna().unique()}
    if "offence_codes" not in frame or not sexual:
        return groups
    index, distinct = pd.factorize(frame["offence_codes"])
    hit = np.array([bool(sexual & set(str(d).split())) for d in distinct] + [False])
    return groups.mask(hit[np.where(index < 0, len(distinct), index)], SEXUAL_OFFENCES)


def _typed(frame: pd.DataFrame, source: str) -> pd.DataFrame:
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
            "crm_cd_desc": frame["crm_cd_desc"].astype("str"),
            "crime_group": frame["crime_group"].astype("str"),
            "lat": frame["lat"].astype("float64"),
            "lon": frame["lon"].astype("float64"),
            "source": source,
        }
    )
    absent = pd.Series(np.nan, index=frame.index)
    for name, dtype in NULLABLE_INTEGERS.items():
        out[name] = frame[name].astype(dtype) if name in frame else absent.astype(dtype)
    if "offence_codes" not in frame and "crm_cd" in frame:
        frame = frame.assign(offence_codes=frame["crm_cd"].astype("Int64").astype("str"))
    no_text = absent.astype("str")
    for name in (*OPTIONAL_COLUMNS, "nibr_code"):
        if name in NULLABLE_INTEGERS:
            continue
        values = frame.get(name, no_text)
        fill = OPTIONAL_COLUMNS.get(name)
        out[name] = (values if fill is None else values.fillna(fill)).astype("str")
    return out[list(CLEAN_COLUMNS)].reset_index(drop=True)


def _null_policy() -> dict:
    policy = dict.fromkeys(REQUIRED_COLUMNS, "drop the row")
    for name, fill in OPTIONAL_COLUMNS.items():
        policy[name] = "keep as null (not recorded)" if fill is None else f"fill with {fill!r}"
    return policy


def extent(frame: pd.DataFrame) -> dict:
    """The days, report dates and areas a cleaned frame covers."""
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
    incomplete = _incomplete_weeks(frame, weeks)
    flags["incomplete_recent_weeks"] = incomplete
    if incomplete:
        warnings.append(
            f"{len(incomplete)} recent week(s) have under {INCOMPLETE_WEEK_SHARE:.0%} of the "
            f"typical weekly count (starting {', '.join(w['week_start'] for w in incomplete)}): "
            "reports of them are probably still coming in (reporting lag)"
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


def _mondays(frame: pd.DataFrame) -> pd.Series:
    """The Monday of each report's week, for the reports in full Monday-to-Sunday weeks."""
    days = frame["occurred_at"].dt.normalize()
    start = days.min() + pd.Timedelta(days=(7 - days.min().day_of_week) % 7)
    end = last_full_sunday(days.max())
    inside = days[(days >= start) & (days <= end)]
    return inside - pd.to_timedelta(inside.dt.day_of_week, unit="D")


def weekly_counts(frame: pd.DataFrame) -> pd.Series:
    """Reports per full Monday-to-Sunday week of occurrence, indexed by the week's Monday."""
    counts = _mondays(frame).value_counts().sort_index()
    counts.index = counts.index.date
    return counts


def weekly_counts_by(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """Reports per full week (rows, by Monday) and value of `column` (columns), zeros included."""
    monday = _mondays(frame)
    counts = monday.groupby([monday, frame.loc[monday.index, column]]).size().unstack(fill_value=0)
    counts.index = pd.DatetimeIndex(counts.index).date
    return counts


def _incomplete_weeks(frame: pd.DataFrame, weeks: pd.Series) -> list[dict]:
    """Recent weeks in which the median area has under INCOMPLETE_WEEK_SHARE of its typical
    week: reporting lag holds back every area at once, while an area whose data stopped at
    the switch to NIBRS is one area, which the median passes over."""
    if len(weeks) < 3:
        return []
    per_area = weekly_counts_by(frame, "area_name").reindex(weeks.index, fill_value=0)
    reference = (
        per_area.iloc[:-RECENT_WEEKS_CHECKED]
        if len(per_area) > 2 * RECENT_WEEKS_CHECKED
        else per_area
    )
    typical = reference.median()
    typical = typical[typical > 0]
    recent = per_area.iloc[-RECENT_WEEKS_CHECKED:][typical.index]
    share = (recent / typical).median(axis=1)
    return [
        {
            "week_start": week.isoformat(),
            "reports": int(weeks[week]),
            "share_of_typical": round(float(share[week]), 3),
        }
        for week in recent.index
        if share[week] < INCOMPLETE_WEEK_SHARE
    ]
