"""This week against the four before it, by LAPD area and by crime group: what the Overview
leads with, computed without Streamlit.

"This week" is the latest full Monday-to-Sunday week whose reports are not still coming in
city-wide (reporting lag). A change is called real only when it is beyond what chance alone
moves a count of that size: if reports arrive as a Poisson process at the 4-week mean m, this
week's count varies by sqrt(m) and the mean itself by sqrt(m / 4), so the change's standard
error is sqrt(1.25 m); a change within two of them is normal week-to-week variation. Areas
whose five weeks include days neither records system reports completely (the switch to
NIBRS) are shown apart, never ranked among the changes: their drop is the switch, not crime.
"""

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from lacrime.calendar import last_full_sunday
from lacrime.data.completeness import Completeness

BEFORE_WEEKS = 4
# Changes of at least this many standard errors (see the module docstring) are called real.
REAL_CHANGE_Z = 2.0
BIGGEST = 5
COLUMNS = ["this_week", "mean_before", "change", "change_share", "z", "beyond_chance"]


@dataclass(frozen=True)
class WeekComparison:
    """The week compared (`week_start` to `week_end`), the weeks it is compared with, the
    city's figures, and tables by area and by crime group (COLUMNS, one row per area or
    group; `by_area` also has `complete`). The city and the groups are counted over the
    complete areas only, so that the switch's drop does not read as a fall in crime."""

    week_start: date
    week_end: date
    before_start: date
    city: pd.Series
    by_area: pd.DataFrame
    by_group: pd.DataFrame
    incomplete_areas: list[str]
    skipped_lag_weeks: list[str]

    @property
    def complete_areas(self) -> list[str]:
        return self.by_area.index[self.by_area["complete"]].tolist()


def compare_weeks(frame: pd.DataFrame, completeness: Completeness) -> WeekComparison | None:
    """The latest full week not held back by reporting lag against the 4 weeks before it;
    None when the data have fewer than five full weeks."""
    lag = set(completeness.lag_weeks())
    sunday = last_full_sunday(frame["occurred_at"].max().date())
    skipped = []
    while (sunday - timedelta(days=6)).isoformat() in lag:
        skipped.append((sunday - timedelta(days=6)).isoformat())
        sunday -= timedelta(days=7)
    monday = sunday - timedelta(days=6)
    first = monday - timedelta(days=7 * BEFORE_WEEKS)
    if first < frame["occurred_at"].min().date():
        return None
    days = frame["occurred_at"].dt.normalize()
    inside = frame[(days >= pd.Timestamp(first)) & (days <= pd.Timestamp(sunday))]
    week = (inside["occurred_at"].dt.normalize() - pd.Timestamp(first)).dt.days // 7
    areas = sorted(frame["area_name"].unique())
    starts = pd.date_range(first, monday, freq="7D")
    gaps = completeness.incomplete_weeks(starts, areas).any()
    incomplete = [a for a in areas if gaps[a]]
    complete_rows = ~inside["area_name"].isin(incomplete)
    by_area = _table(_weekly(inside["area_name"], week, areas))
    by_area["complete"] = ~by_area.index.isin(incomplete)
    by_group = _table(_weekly(inside.loc[complete_rows, "crime_group"], week[complete_rows]))
    city_keys = pd.Series("city", index=inside.index)[complete_rows]
    city = _table(_weekly(city_keys, week[complete_rows], ["city"])).iloc[0]
    return WeekComparison(
        week_start=monday,
        week_end=sunday,
        before_start=first,
        city=city,
        by_area=by_area,
        by_group=by_group,
        incomplete_areas=incomplete,
        skipped_lag_weeks=skipped,
    )


def _weekly(keys: pd.Series, week: pd.Series, names: list[str] | None = None) -> pd.DataFrame:
    """Reports per key (rows) and week (columns 0..BEFORE_WEEKS, the last one this week)."""
    counts = keys.groupby([keys, week]).size().unstack(fill_value=0)
    counts = counts.reindex(columns=range(BEFORE_WEEKS + 1), fill_value=0)
    return counts if names is None else counts.reindex(names, fill_value=0)


def _table(weekly: pd.DataFrame) -> pd.DataFrame:
    this = weekly[BEFORE_WEEKS].astype("int64")
    mean = weekly[list(range(BEFORE_WEEKS))].mean(axis=1)
    change = this - mean
    error = np.sqrt(np.maximum(mean, 1.0) * (1 + 1 / BEFORE_WEEKS))
    z = change / error
    table = pd.DataFrame(
        {
            "this_week": this,
            "mean_before": mean,
            "change": change,
            "change_share": change / mean.where(mean > 0),
            "z": z,
            "beyond_chance": z.abs() >= REAL_CHANGE_Z,
        },
        columns=COLUMNS,
    )
    return table.rename_axis("name")


def biggest_changes(comparison: WeekComparison, n: int = BIGGEST) -> pd.DataFrame:
    """The areas (complete ones) and crime groups whose change is furthest beyond chance,
    largest first: a `kind` ("area" or "crime group") and the COLUMNS."""
    areas = comparison.by_area[comparison.by_area["complete"]][COLUMNS].assign(kind="area")
    groups = comparison.by_group.assign(kind="crime group")
    both = pd.concat([areas, groups])
    order = both["z"].abs().sort_values(ascending=False).index
    return both.loc[order].head(n).reset_index()


def verdict(row: pd.Series) -> str:
    """Whether chance explains a row's change, or its weeks are not comparable."""
    if not row.get("complete", True):
        return "incomplete weeks (records-system switch): not comparable"
    if row["beyond_chance"]:
        return "beyond normal week-to-week variation"
    return "within normal week-to-week variation"


def change_sentence(row: pd.Series) -> str:
    """One change in words, with its counts and whether chance explains it."""
    share = f" ({row['change_share']:+.0%})" if pd.notna(row["change_share"]) else " (none before)"
    return (
        f"**{row['name']}** ({row['kind']}): {row['this_week']:,} reports this week against a "
        f"mean of {row['mean_before']:.1f} in the 4 weeks before, {row['change']:+.1f}{share}; "
        f"{verdict(row)}."
    )


def shown_table(table: pd.DataFrame, what: str) -> pd.DataFrame:
    """A comparison table as a page lists it: named columns, largest change first, the means
    and changes written out as the sentences on the same page write them (152.0, +12.0)."""
    ordered = table.sort_values("z", key=np.abs, ascending=False)
    return pd.DataFrame(
        {
            what: ordered.index,
            "This week": ordered["this_week"].to_numpy(),
            "Mean of the 4 weeks before": [f"{v:,.1f}" for v in ordered["mean_before"]],
            "Change": [f"{v:+,.1f}" for v in ordered["change"]],
            "Change, %": [
                f"{v:+.0%}" if np.isfinite(v) else "n/a" for v in ordered["change_share"]
            ],
            "Beyond chance": np.where(ordered["beyond_chance"], "yes", "no"),
        }
    )
