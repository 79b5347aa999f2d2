"""Reports per calendar date and clock hour: what every hourly model learns from.

Every date from the first to the last day of the data has its 24 hours, quiet hours with no
report included: a model that never sees a quiet hour overestimates every hour. LAPD records
a crime whose time is unknown at 12:00 or 00:01; with default times left out, the part of
those reports that is "unknown" is spread evenly over the 24 hours of its date.

Days some areas report incompletely (`lacrime.data.completeness`: after an area's switch to NIBRS
with no NIBRS data yet) are corrected rather than read as quiet: the complete areas' count is
divided by their usual share of the crimes. Days too few areas report completely (under
MIN_COVERED_SHARE of the crimes, as in the weeks reporting lag holds back everywhere) are left
out, neither trained on nor scored.
"""

import numpy as np
import pandas as pd

from lacrime.calendar import SEASON_OF_MONTH, parse_season, parse_weekday
from lacrime.data.categories import GROUPS
from lacrime.data.clean import DEFAULT_TIMES
from lacrime.data.completeness import Completeness
from lacrime.errors import LacrimeError, choose

# A day whose completely reported areas hold less than this share of the crimes is left out.
MIN_COVERED_SHARE = 0.5


def _check_frame(frame: pd.DataFrame) -> None:
    missing = [c for c in ("occurred_at", "time_occ", "area_name", "crime_group") if c not in frame]
    if missing:
        raise LacrimeError(f"cleaned dataset lacks column(s) {', '.join(missing)}")
    if frame.empty:
        raise LacrimeError("cleaned dataset has no rows: nothing to count per hour")


def genuine_shares(time_occ: pd.Series) -> dict[int, float]:
    """Per default time (12:00, 00:01), the share of its reports that are real times of day.

    A default time is also a time crimes really occur at, and a whole hour, which reporters
    round to: 12:00 is noon, and 00:01 is how the portal writes midnight (it has no 00:00).
    Spreading every such report over the day would drop that rounding too: on the real
    extract the noon bar would sit a quarter below its neighbours and the midnight bar a
    third. So a default time keeps as many reports as the whole hours either side have on
    average (11:00 and 13:00; 23:00 and 01:00), and only the excess above them is "unknown".
    """
    counts = time_occ.value_counts()
    shares = {}
    for default in DEFAULT_TIMES:
        hour = default // 100
        either_side = [((hour + step) % 24) * 100 for step in (-1, 1)]
        genuine = float(counts.reindex(either_side, fill_value=0).mean())
        reported = int(counts.get(default, 0))
        shares[default] = min(1.0, genuine / reported) if reported else 1.0
    return shares


def hour_weights(frame: pd.DataFrame, shares: dict[int, float] | None) -> pd.DataFrame:
    """One row per report and hour it counts in (date, hour, area_name, crime_group, weight).

    With `shares` (default times left out), a report at a default time (the portal's
    "unknown") keeps its share's weight in its own hour and spreads the rest evenly over the
    24 hours of its date: daily totals and area shares stay those of the full data, and only
    the fake noon and midnight peaks go.
    """
    occurred = frame["occurred_at"]
    reports = pd.DataFrame(
        {
            "date": occurred.dt.normalize().to_numpy(),
            "hour": occurred.dt.hour.to_numpy(dtype="int64"),
            "area_name": frame["area_name"].to_numpy(),
            "crime_group": frame["crime_group"].to_numpy(),
            "weight": 1.0,
        }
    )
    if shares is None:
        return reports
    time_occ = frame["time_occ"]
    unknown = time_occ.isin(DEFAULT_TIMES).to_numpy()
    kept = time_occ[unknown].map(shares).to_numpy(dtype="float64")
    own_hour = reports[unknown].assign(weight=kept)
    spread = reports[unknown].loc[lambda r: r.index.repeat(24)]
    spread = spread.assign(
        hour=np.tile(np.arange(24), int(unknown.sum())), weight=np.repeat((1 - kept) / 24, 24)
    )
    return pd.concat([reports[~unknown], own_hour, spread], ignore_index=True)


def calendar_hours(dates: pd.DatetimeIndex) -> pd.DataFrame:
    """Every date x hour, with the weekday and season the models see."""
    grid = pd.MultiIndex.from_product([dates, range(24)], names=["date", "hour"]).to_frame(
        index=False
    )
    grid["hour"] = grid["hour"].astype("int64")
    grid["weekday"] = grid["date"].dt.day_name()
    grid["season"] = grid["date"].dt.month.map(SEASON_OF_MONTH)
    return grid


def scoped_weights(
    frame: pd.DataFrame, area: str | None, crime_group: str | None, exclude_default_times: bool
) -> tuple[str | None, str | None, pd.DataFrame]:
    """The known spelling of the area and crime group, and the hour weights of their reports.

    How many default-time reports are "unknown" is measured on the whole frame, which has the
    counts to measure it; the scope is taken before weighting, so only its reports are spread.
    """
    _check_frame(frame)
    area = None if area is None else choose(area, frame["area_name"].unique(), "area")
    crime_group = None if crime_group is None else choose(crime_group, GROUPS, "crime group")
    shares = genuine_shares(frame["time_occ"]) if exclude_default_times else None
    scoped = frame
    if area is not None:
        scoped = scoped[scoped["area_name"] == area]
    if crime_group is not None:
        scoped = scoped[scoped["crime_group"] == crime_group]
    return area, crime_group, hour_weights(scoped, shares)


def count_table(
    weights: pd.DataFrame, frame: pd.DataFrame, completeness: Completeness | None = None
) -> pd.DataFrame:
    """The weights summed per date and hour over the whole span of `frame`, zeros included.

    `covered` is the share of the crimes that the day's completely reported areas usually hold
    (1 without `completeness`); a day's counts are divided by it, and days under
    MIN_COVERED_SHARE are left out (see `covered_weights`).
    """
    days = frame["occurred_at"].dt.normalize()
    table = calendar_hours(pd.date_range(days.min(), days.max(), freq="D"))
    table["covered"] = 1.0
    if completeness is not None and completeness.gaps:
        weights, covered = covered_weights(weights, completeness)
        table["covered"] = table["date"].map(covered).fillna(1.0).to_numpy()
        table = table[table["covered"] >= MIN_COVERED_SHARE]
    counts = weights.groupby(["date", "hour"])["weight"].sum().rename("count")
    table = table.join(counts, on=["date", "hour"])
    table["count"] = table["count"].fillna(0.0) / table["covered"]
    return table.reset_index(drop=True)


def covered_weights(
    weights: pd.DataFrame, completeness: Completeness
) -> tuple[pd.DataFrame, pd.Series]:
    """The weights of completely reported area-days, and each date's share of the crimes
    those areas usually hold (1 on a day with no gap).

    An area's usual share is measured on the dates every area reports completely, or, if there
    are none, on all of its complete days.
    """
    incomplete = completeness.incomplete(
        weights["area_name"].to_numpy(), weights["date"].to_numpy()
    )
    kept = weights[~incomplete]
    by_area = whole_days(weights, completeness).groupby("area_name")["weight"].sum()
    share = by_area / by_area.sum()
    areas = share.index.to_numpy()
    dates = pd.DatetimeIndex(np.unique(weights["date"].to_numpy()))
    grid_dates = np.repeat(dates.to_numpy(), len(areas))
    complete = ~completeness.incomplete(np.tile(areas, len(dates)), grid_dates)
    covered = (complete.reshape(len(dates), len(areas)) * share.to_numpy()).sum(axis=1)
    return kept, pd.Series(covered, index=dates)


def whole_days(weights: pd.DataFrame, completeness: Completeness | None) -> pd.DataFrame:
    """The weights of the dates on which every area reports completely, where shares of
    areas and crime groups are measured; those of every complete area-day if no date is."""
    if completeness is None or not completeness.gaps:
        return weights
    incomplete = completeness.incomplete(
        weights["area_name"].to_numpy(), weights["date"].to_numpy()
    )
    gappy = pd.Series(incomplete).groupby(weights["date"].to_numpy()).any()
    whole = weights[~weights["date"].map(gappy).to_numpy(dtype=bool)]
    return whole if len(whole) else weights[~incomplete]


def hourly_counts(
    frame: pd.DataFrame,
    *,
    area: str | None = None,
    crime_group: str | None = None,
    exclude_default_times: bool = False,
    completeness: Completeness | None = None,
) -> pd.DataFrame:
    """Crimes per calendar date x clock hour (date, hour, weekday, season, count).

    The span is the whole frame's even when filtering, so a quiet area's empty days count as
    zeros too. With `exclude_default_times`, the excess of reports at 12:00 or 00:01 is spread
    evenly over the 24 hours of their date (see `hour_weights`), so counts may be fractional
    and daily totals unchanged. With `completeness`, days some areas lack are corrected and days
    most areas lack left out (see the module's docstring).
    """
    _, _, weights = scoped_weights(frame, area, crime_group, exclude_default_times)
    return count_table(weights, frame, completeness)


def observed_curve(
    frame: pd.DataFrame,
    *,
    weekday: str,
    season: str,
    area: str | None = None,
    crime_group: str | None = None,
    exclude_default_times: bool = False,
    completeness: Completeness | None = None,
) -> pd.DataFrame:
    """Observed mean count per hour over the dates of that weekday and season (hour, observed,
    n_days); `observed` is NaN and `n_days` 0 when the data has no such date."""
    table = hourly_counts(
        frame,
        area=area,
        crime_group=crime_group,
        exclude_default_times=exclude_default_times,
        completeness=completeness,
    )
    return observed_from_counts(table, weekday=weekday, season=season)


def observed_from_counts(table: pd.DataFrame, *, weekday: str, season: str) -> pd.DataFrame:
    """`observed_curve` from a table of `hourly_counts`: a page keeps that table cached, since
    counting a million reports takes seconds and picking a weekday and season does not."""
    weekday, season = parse_weekday(weekday), parse_season(season)
    same = table[(table["weekday"] == weekday) & (table["season"] == season)]
    by_hour = same.groupby("hour")["count"].agg(observed="mean", n_days="size")
    out = by_hour.reindex(range(24)).rename_axis("hour").reset_index()
    out["n_days"] = out["n_days"].fillna(0).astype("int64")
    return out
