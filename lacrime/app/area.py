"""What the Area page shows about one LAPD area (and a second one beside it), computed without
Streamlit: its weekly reports against the city's, its crime-group mix, its hour-of-week profile,
its flagged cells of next week, and how past forecasts did in it.

Everything is counted over many reports (weeks, groups, hours, cells): no output places a
single report. Weeks an area reported incompletely (its switch to NIBRS before NIBRS data
cover it) are marked, and left out of its mean week and of any score, so a drop that is the
records system's is never read as a fall in crime.
"""

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from lacrime.app.maps import expected_text, percentile_text
from lacrime.calendar import WEEKDAYS
from lacrime.data.clean import weekly_counts_by
from lacrime.data.completeness import Completeness
from lacrime.hotspots.forecast import score_forecast
from lacrime.hotspots.results import HotspotEvaluation

CITY = "City of Los Angeles"
# What the second select box holds for "no second area".
NO_AREA = ""


def area_names(manifest: dict) -> list[str]:
    """The LAPD areas of the dataset, alphabetically: the page's choices and their ids."""
    return list(manifest["report"]["area_names"])


def gaps_of(manifest: dict, area: str) -> list[tuple[str, str]]:
    """The days (first, last) the area's reports are incomplete: after its switch to NIBRS,
    before NIBRS data cover it."""
    history = (manifest.get("history") or {}).get("areas", {}).get(area, {})
    return [(gap["first_day"], gap["last_day"]) for gap in history.get("gaps", [])]


def weekly_index(frame: pd.DataFrame, areas: list[str], completeness: Completeness) -> pd.DataFrame:
    """Reports per full week of each area and of the city (long: place, week_start, reports,
    index, incomplete), `index` being the week as a % of the place's mean complete week.

    A city week is incomplete when any area's is; its mean is of its complete weeks."""
    per_area = weekly_counts_by(frame, "area_name")
    starts = pd.DatetimeIndex(per_area.index)
    gaps = completeness.incomplete_weeks(starts, list(per_area.columns))
    places = {CITY: (per_area.sum(axis=1), gaps.any(axis=1))}
    for area in areas:
        places[area] = (per_area.get(area, pd.Series(0, index=per_area.index)), gaps[area])
    rows = []
    for place, (counts, incomplete) in places.items():
        counts = pd.Series(counts.to_numpy(), index=starts)
        incomplete = pd.Series(incomplete.to_numpy(), index=starts)
        mean = counts[~incomplete].mean() if (~incomplete).any() else counts.mean()
        rows.append(
            pd.DataFrame(
                {
                    "place": place,
                    "week_start": starts,
                    "reports": counts.to_numpy().astype("int64"),
                    "index": (100 * counts / mean).to_numpy() if mean else np.nan,
                    "incomplete": incomplete.to_numpy(),
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def group_mix(frame: pd.DataFrame, areas: list[str]) -> pd.DataFrame:
    """Each area's and the city's share of reports per crime group (groups as rows, biggest
    city-wide first; one column per place, the city last)."""
    shares = {
        area: frame.loc[frame["area_name"] == area, "crime_group"].value_counts(normalize=True)
        for area in areas
    }
    shares[CITY] = frame["crime_group"].value_counts(normalize=True)
    return pd.DataFrame(shares).reindex(shares[CITY].index).fillna(0.0)


def hour_of_week(frame: pd.DataFrame, area: str) -> pd.DataFrame:
    """Mean reports in each hour of each weekday in the area (7 rows, Monday first; 24 hour
    columns): the reports of that weekday and hour over the number of such weekdays."""
    rows = frame[frame["area_name"] == area]
    days = pd.date_range(frame["occurred_at"].min().normalize(), frame["occurred_at"].max())
    weekdays = pd.Series(days.day_of_week).value_counts().reindex(range(7), fill_value=0)
    counts = (
        rows.groupby([rows["occurred_at"].dt.day_of_week, rows["time_occ"] // 100])
        .size()
        .unstack(fill_value=0)
        .reindex(index=range(7), columns=range(24), fill_value=0)
    )
    profile = counts.div(weekdays.replace(0, np.nan), axis=0).fillna(0.0)
    profile.index = list(WEEKDAYS)
    return profile


def flagged_in(forecast: pd.DataFrame, area: str) -> pd.DataFrame:
    """The area's flagged cells of a `HotspotForecaster.forecast` table, riskiest first, with
    the columns a reader needs, risk as on the map (expected reports next week and the
    percentile, the same scale for every model), and the reports the cell had."""
    cells = forecast[(forecast["area_name"] == area) & forecast["flagged"]].sort_values("rank")
    return pd.DataFrame(
        {
            "City rank": cells["rank"].to_numpy(),
            "Expected reports next week": [expected_text(v) for v in cells["expected"]],
            "Percentile": [percentile_text(v) for v in cells["percentile"]],
            "Reports last week": cells["last_week"].to_numpy(),
            "Reports in the last 4 weeks": cells["last_4_weeks"].to_numpy(),
            "H3 cell": cells["cell"].to_numpy(),
        }
    )


@dataclass(frozen=True)
class PastRecord:
    """How the forecasts of the rolling evaluation treated the area: its share of the city's
    crimes in the evaluation weeks, its share of the flagged cells, and the ratio of the two
    (1 = flags in proportion to its crime), for the default model, city-wide allocation."""

    model: str
    weeks: list[str]
    crime_share: float | None
    flag_share: float | None
    ratio: float | None


def past_record(evaluation: HotspotEvaluation, area: str) -> PastRecord | None:
    """The area's row of the stored evaluation's per-area table (None if it has none)."""
    rows = [r for r in evaluation.default.allocation if r.get("area_name") == area]
    if not rows:
        return None
    row = rows[0]
    return PastRecord(
        model=evaluation.default_model,
        weeks=list(evaluation.eval_weeks),
        crime_share=row.get("crime_share"),
        flag_share=row.get("citywide_flag_share"),
        ratio=row.get("citywide_ratio"),
    )


@dataclass(frozen=True)
class WeekScore:
    """One past forecast week in one area: its reports, how many fell in the area's flagged
    cells, and the PAI within the area (share caught per share of its cells flagged)."""

    week_start: date
    week_end: date
    crimes: int
    caught: int
    flagged_cells: int
    cells: int
    hit_rate: float | None
    pai: float | None


def week_score(forecast: pd.DataFrame, frame: pd.DataFrame, area: str) -> WeekScore | None:
    """The forecast's flags in `area` against the area's reports of its week, when the week is
    in the data; None when it is not, or when the area has no cell or no report in it."""
    start = date.fromisoformat(forecast.attrs["window_start"])
    end = date.fromisoformat(forecast.attrs["window_end"])
    if frame["occurred_at"].max().date() < end:
        return None
    cells = forecast[forecast["area_name"] == area]
    days = frame["occurred_at"]
    inside = (days >= pd.Timestamp(start)) & (days < pd.Timestamp(end + timedelta(days=1)))
    week = frame[inside & (frame["area_name"] == area)]
    if cells.empty or week.empty:
        return None
    scored = score_forecast(cells, week)
    return WeekScore(
        week_start=start,
        week_end=end,
        crimes=scored["crimes"],
        caught=scored["crimes_in_flagged"],
        flagged_cells=scored["flagged_cells"],
        cells=scored["cells"],
        hit_rate=scored["hit_rate"],
        pai=scored["pai"],
    )


def record_sentence(record: PastRecord | None, area: str, label: str, left_out: list[str]) -> str:
    """The stored evaluation's verdict on the area in words."""
    if record is None or record.crime_share is None:
        return f"{area} was left out of every evaluation week: its reports of them are incomplete."
    ratio = f"{record.ratio:.2f}" if record.ratio is not None else "undefined"
    skipped = (
        f" It was left out of the weeks of {', '.join(left_out)} (incomplete)." if left_out else ""
    )
    return (
        f"Over the {len(record.weeks)} evaluation weeks ({record.weeks[0]} to {record.weeks[-1]}"
        f"), {area} had {record.crime_share:.1%} of the city's crimes and {label} gave it "
        f"{record.flag_share or 0:.1%} of the flagged cells: a ratio of {ratio} (1 = flags in "
        f"proportion to crime).{skipped}"
    )


def score_sentence(score: WeekScore | None, week: date, incomplete: bool) -> str:
    """One past week's forecast in the area, in words."""
    if incomplete:
        return f"Week of {week:%d %b %Y}: not scored, the area's reports of it are incomplete."
    if score is None:
        return f"Week of {week:%d %b %Y}: no report in the area."
    if not score.flagged_cells:
        return (
            f"Week of {score.week_start:%d %b %Y}: of its {score.crimes:,} reports, none could "
            "be caught: none of its cells was among the city's flagged."
        )
    pai = f"{score.pai:.2f}" if score.pai is not None else "undefined"
    return (
        f"Week of {score.week_start:%d %b %Y}: {score.caught:,} of its {score.crimes:,} reports "
        f"({score.hit_rate or 0:.0%}) in its {score.flagged_cells} flagged cells of "
        f"{score.cells}; PAI {pai} within the area (1 = no better than chance)."
    )
