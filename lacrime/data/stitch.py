"""One history across LAPD's 2024 switch of records systems: legacy reports up to each area's
transition day, NIBRS reports from it on.

On 2024-03-07 LAPD began moving to a NIBRS-based records system, Central Bureau first and the
other bureaus over about two months. An area's legacy data then fall to a fraction of their
level (in the real extract Hollenbeck to about 0.3, Central to about 0.5) while NIBRS carries
the rest. The transition day of each area is found in its own legacy daily counts (see
`detect_transitions`, which states the rule), not assumed, since the identifiers and the dates
may change again.
"""

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.special import xlogy

from lacrime.data.completeness import SWITCH, Gap

# The change-point rule, as `detect_transitions` applies it.
REFERENCE_DAYS = 28  # an area's own earlier level: its mean over the 28 days before the day
AFTER_DAYS = 14  # its level after: the 14 days from the day on
WINDOW_DAYS = 7  # the drop lasts: every 7-day window from the day to the end of the legacy data
DROP_SHARE = 0.75  # ... stays under 75% of the earlier level
MIN_LEVEL = 2.0  # reports a day below which an area's days are too few to judge
MIN_LOG_LR = 8.0  # the step must be this sure (Poisson log-likelihood ratio)
# Days at the end of the data are complete once this share of reports has come in; a drop in
# the days after is reporting lag, not yet a switch.
COMPLETE_SHARE = 0.9
# The boundary of an area that only NIBRS reports: every NIBRS report is taken.
NIBRS_ONLY = pd.Timestamp.min

RULE = (
    f"An area's legacy data stop being complete on the first day from which its daily counts "
    f"stay low: every {WINDOW_DAYS}-day window from it to the end of the legacy data is under "
    f"{DROP_SHARE:.0%} of the area's mean over the {REFERENCE_DAYS} days before it, that mean "
    f"is at least {MIN_LEVEL:g} reports a day, and the step between those days and the "
    f"{AFTER_DAYS} after is sure (Poisson log-likelihood ratio at least {MIN_LOG_LR:g}). The "
    f"transition day is where one step best splits the {REFERENCE_DAYS} days before that day "
    f"and the {2 * AFTER_DAYS} from it. NIBRS reports are taken from the transition day on; an "
    "area with no such day keeps its legacy reports as far as they reach and NIBRS after."
)

STEP_REASONS = {
    "duplicate_across_files": "same report number in another file of the same source",
    "before_sources_began": (
        "occurred before the first day any source has reports of: a late report of an older "
        "crime, from days no source covers"
    ),
    "outside_source_period": (
        "from the other source's period of its area: legacy reports from the transition day "
        "on, NIBRS reports before it"
    ),
    "in_both_sources": "same report number in both sources; counted once, as NIBRS has it",
}


@dataclass(frozen=True)
class Transition:
    day: pd.Timestamp
    level: float  # legacy reports a day before it
    share_after: float  # the legacy's level in the AFTER_DAYS from it, as a share of `level`


@dataclass(frozen=True)
class Period:
    """Days of an area whose reports come from one source."""

    source: str
    first_day: str
    last_day: str
    reports: int


@dataclass(frozen=True)
class AreaHistory:
    area_name: str
    transition: str | None  # the first day of NIBRS reports, None if legacy throughout
    detected: bool  # found as a change point (else the day after the legacy's last)
    legacy_level: float | None
    legacy_share_after: float | None
    periods: list[Period]
    gaps: list[Gap] = field(default_factory=list)


@dataclass(frozen=True)
class History:
    rule: str
    areas: dict[str, AreaHistory]


def detect_transitions(legacy: pd.DataFrame) -> dict[str, Transition]:
    """The transition day of each area whose legacy data stop being complete (RULE).

    Counts are per day of occurrence. Only days whose AFTER_DAYS end before the reporting-lag
    tail of the data can be a transition: there a drop is reports still coming in.
    """
    if legacy.empty:
        return {}
    days = legacy["occurred_at"].dt.normalize()
    calendar = pd.date_range(days.min(), days.max(), freq="D")
    lag = (legacy["date_rptd"] - days).dt.days
    complete_until = min(
        days.max(),
        legacy["date_rptd"].max() - pd.Timedelta(days=float(lag.quantile(COMPLETE_SHARE))),
    )
    day = ((days - calendar[0]) // pd.Timedelta(days=1)).to_numpy()
    area, names = pd.factorize(legacy["area_name"])
    table = np.bincount(area * len(calendar) + day, minlength=len(names) * len(calendar))
    table = table.reshape(len(names), len(calendar)).astype("float64")
    last = int(calendar.searchsorted(complete_until, side="right")) - 1
    found = {}
    for row, area in enumerate(names):
        point = _change_point(table[row], last)
        if point is not None:
            index, level, after = point
            found[str(area)] = Transition(calendar[index], level, after / level)
    return found


def _change_point(counts: np.ndarray, last: int) -> tuple[int, float, float] | None:
    """(day index, level before, level after) of the first lasting drop in `counts` (RULE)
    whose AFTER_DAYS end by day index `last`; None if there is none."""
    n = len(counts)
    total = np.concatenate([[0.0], np.cumsum(counts)])
    day = np.arange(REFERENCE_DAYS, max(REFERENCE_DAYS, last - AFTER_DAYS + 2))
    if len(day) == 0 or n < WINDOW_DAYS:
        return None
    before = total[day] - total[day - REFERENCE_DAYS]
    after = total[day + AFTER_DAYS] - total[day]
    level, level_after = before / REFERENCE_DAYS, after / AFTER_DAYS
    windows = (total[WINDOW_DAYS:] - total[:-WINDOW_DAYS]) / WINDOW_DAYS
    highest_from = np.maximum.accumulate(windows[::-1])[::-1]
    lasting = highest_from[np.minimum(day, len(windows) - 1)] < DROP_SHARE * level
    pooled = (before + after) / (REFERENCE_DAYS + AFTER_DAYS)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_lr = xlogy(before, level / pooled) + xlogy(after, level_after / pooled)
    candidate = lasting & (level >= MIN_LEVEL) & (np.nan_to_num(log_lr) >= MIN_LOG_LR)
    if not candidate.any():
        return None
    first = int(day[np.argmax(candidate)])
    best = _step_day(counts, first - REFERENCE_DAYS, min(first + 2 * AFTER_DAYS, last + 1))
    level = counts[max(best - REFERENCE_DAYS, 0) : best].mean()
    return best, float(level), float(counts[best : best + AFTER_DAYS].mean())


def _step_day(counts: np.ndarray, start: int, stop: int) -> int:
    """The day of `counts[start:stop]` that best splits it in two Poisson levels.

    Both parts grow and shrink with the split, so a step is placed where it is, unlike a split
    between windows that move with the day (those favour days after a step when counts drift).
    """
    start = max(start, 0)
    part = counts[start:stop]
    total = np.concatenate([[0.0], np.cumsum(part)])
    split = np.arange(WINDOW_DAYS, len(part) - WINDOW_DAYS + 1)
    if len(split) == 0:
        return start + len(part) // 2
    left, right = total[split], total[-1] - total[split]
    mean_left, mean_right = left / split, right / (len(part) - split)
    gain = xlogy(left, mean_left) + xlogy(right, mean_right)
    gain = np.where(mean_right < mean_left, gain, -np.inf)
    return start + int(split[np.argmax(gain)])


def combine(frames: list[pd.DataFrame]) -> tuple[pd.DataFrame, int]:
    """The reports of one or more files of one source, a report number counted once (the
    first file's copy), and how many repeats were removed."""
    joined = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    repeated = joined["dr_no"].duplicated(keep="first").to_numpy()
    if not repeated.any():
        return joined, 0
    return joined[~repeated].reset_index(drop=True), int(repeated.sum())


def stitch(legacy: pd.DataFrame, nibrs: pd.DataFrame) -> tuple[pd.DataFrame, list[dict], History]:
    """The reports of both sources as one history, the steps that removed reports, and what
    came from where in each area.

    Per area with a transition day T: legacy reports that occurred before T, NIBRS reports from
    T on, and NIBRS reports of earlier crimes reported from T on that the legacy data lack (the
    legacy system no longer took them). Per area without one: legacy reports as far as they
    reach, NIBRS reports after. Either way legacy reports made before the area's first NIBRS
    report are kept: no other system held them (T is found by day of occurrence, and late
    reports of the days before the switch make the legacy drop begin a little before it).
    With no NIBRS data for an area its legacy reports are all kept, and its days from T on
    are a gap: too few reports, which the models leave out. Areas are matched by their code
    (`area`), and named as the legacy data name them.
    """
    pairs = pd.concat([nibrs[["area", "area_name"]], legacy[["area", "area_name"]]])
    names = pairs.groupby("area")["area_name"].last()
    legacy = legacy.assign(area_name=legacy["area"].map(names))
    nibrs = nibrs.assign(area_name=nibrs["area"].map(names))
    transitions = detect_transitions(legacy)
    legacy_end = legacy["occurred_at"].max().normalize() if len(legacy) else pd.NaT
    nibrs_first = nibrs.groupby("area_name")["date_rptd"].min()
    boundary = _boundaries(set(legacy["area_name"].unique()), nibrs_first, transitions, legacy_end)
    keep_legacy, keep_nibrs = _periods(legacy, nibrs, boundary, nibrs_first, set(transitions))
    joined, steps = _joined(legacy, nibrs, keep_legacy, keep_nibrs)
    ended = legacy_end if len(nibrs) else pd.NaT
    return joined, steps, _history(joined, transitions, boundary, ended, nibrs_first)


def _boundaries(
    legacy_areas: set[str],
    nibrs_first: pd.Series,
    transitions: dict[str, Transition],
    legacy_end: pd.Timestamp,
) -> dict[str, pd.Timestamp]:
    """Per area, the first day of NIBRS reports: its transition day, the day after the legacy
    data end, NIBRS_ONLY for an area only NIBRS has, NaT for one only the legacy data have."""
    boundary = {}
    for area in legacy_areas | set(nibrs_first.index):
        if area not in nibrs_first.index:
            boundary[area] = pd.NaT
        elif area in transitions:
            boundary[area] = transitions[area].day
        elif area in legacy_areas:
            boundary[area] = legacy_end + pd.Timedelta(days=1)
        else:
            boundary[area] = NIBRS_ONLY
    return boundary


def _periods(
    legacy: pd.DataFrame,
    nibrs: pd.DataFrame,
    boundary: dict[str, pd.Timestamp],
    nibrs_first: pd.Series,
    detected: set[str],
) -> tuple[np.ndarray, np.ndarray]:
    """Which legacy and which NIBRS reports their area's period takes (see `stitch`)."""
    legacy_cut = _days(legacy["area_name"], boundary)
    nibrs_began = _days(legacy["area_name"], nibrs_first.to_dict())
    keep_legacy = (
        np.isnat(legacy_cut)
        | (legacy["occurred_at"].to_numpy() < legacy_cut)
        | (legacy["date_rptd"].to_numpy() < nibrs_began)
    )
    nibrs_cut = _days(nibrs["area_name"], boundary)
    occurred = nibrs["occurred_at"].to_numpy()
    late = (
        nibrs["area_name"].isin(list(detected)).to_numpy()
        & (occurred < nibrs_cut)
        & (nibrs["date_rptd"].to_numpy() >= nibrs_cut)
        & ~nibrs["dr_no"].isin(legacy["dr_no"]).to_numpy()
    )
    return keep_legacy, (occurred >= nibrs_cut) | late


def _joined(
    legacy: pd.DataFrame, nibrs: pd.DataFrame, keep_legacy: np.ndarray, keep_nibrs: np.ndarray
) -> tuple[pd.DataFrame, list[dict]]:
    """The reports kept of both sources, a report number once, and the steps that removed
    the others. NIBRS goes first, so that a report in both counts as NIBRS has it."""
    outside = int((~keep_legacy).sum() + (~keep_nibrs).sum())
    numbers = np.concatenate(
        [nibrs["dr_no"].to_numpy()[keep_nibrs], legacy["dr_no"].to_numpy()[keep_legacy]]
    )
    twice = pd.Series(numbers).duplicated(keep="first").to_numpy()
    began = min((f["date_rptd"].min() for f in (legacy, nibrs) if len(f)), default=pd.NaT)
    in_nibrs = int(keep_nibrs.sum())
    parts = []
    for frame, keep, unique in (
        (nibrs, keep_nibrs, ~twice[:in_nibrs]),
        (legacy, keep_legacy, ~twice[in_nibrs:]),
    ):
        chosen = keep.copy()
        chosen[keep] = unique
        early = (frame["occurred_at"] < began).to_numpy() if pd.notna(began) else False
        parts.append((frame, chosen & ~early, int((chosen & early).sum())))
    steps = [
        _step("outside_source_period", outside),
        _step("in_both_sources", int(twice.sum())),
        _step("before_sources_began", sum(n for _, _, n in parts)),
    ]
    pieces = [frame if keep.all() else frame[keep] for frame, keep, _ in parts if keep.any()]
    if len(pieces) > 1:
        return pd.concat(pieces, ignore_index=True), steps
    # One source: no copy.
    return (pieces[0].reset_index(drop=True) if pieces else legacy.iloc[:0]), steps


def _days(areas: pd.Series, by_area: dict) -> np.ndarray:
    """Each row's day from a mapping of area names to days; NaT for an area not in it."""
    return pd.to_datetime(areas.map(by_area), errors="raise").to_numpy(dtype="datetime64[ns]")


def _step(name: str, removed: int) -> dict:
    return {"step": name, "reason": STEP_REASONS[name], "removed": removed}


def _history(
    joined: pd.DataFrame,
    transitions: dict[str, Transition],
    boundary: dict[str, pd.Timestamp],
    legacy_end: pd.Timestamp,
    nibrs_first: pd.Series,
) -> History:
    """Per area: its transition, the days each source covers, and its gaps. `legacy_end` is the
    legacy data's last day when NIBRS data continue after it (NaT otherwise)."""
    last_day = joined["occurred_at"].max().normalize() if len(joined) else pd.NaT
    spans = (
        joined.groupby(["area_name", "source"], sort=False)["occurred_at"]
        .agg(["min", "max", "size"])
        .sort_index()
    )
    areas = {}
    for area, rows in spans.groupby(level="area_name", sort=True):
        periods = [
            Period(
                source=str(source),
                first_day=first.date().isoformat(),
                last_day=last.date().isoformat(),
                reports=int(size),
            )
            for (_, source), first, last, size in rows.itertuples(name=None)
        ]
        periods.sort(key=lambda p: (p.first_day, p.source))
        found = transitions.get(area)
        start = found.day if found is not None else boundary.get(area, pd.NaT)
        areas[str(area)] = AreaHistory(
            area_name=str(area),
            transition=None if pd.isna(start) or start == NIBRS_ONLY else _iso(start),
            detected=found is not None,
            legacy_level=round(found.level, 2) if found else None,
            legacy_share_after=round(found.share_after, 3) if found else None,
            periods=periods,
            gaps=_gaps(str(area), start, nibrs_first.get(area), legacy_end, last_day),
        )
    return History(rule=RULE, areas=areas)


def _gaps(
    area: str,
    start: pd.Timestamp,
    nibrs_from: pd.Timestamp | None,
    legacy_end: pd.Timestamp,
    last_day: pd.Timestamp,
) -> list[Gap]:
    """The area's days that neither source reports completely: from its transition until NIBRS
    begins to cover it (or to the end of the data); for an area that NIBRS never covers while
    it covers others, also from the end of the legacy data on."""
    if pd.isna(start) or start == NIBRS_ONLY:
        if pd.isna(legacy_end) or nibrs_from is not None or legacy_end >= last_day:
            return []
        start = legacy_end + pd.Timedelta(days=1)
    end = last_day if nibrs_from is None else min(nibrs_from - pd.Timedelta(days=1), last_day)
    if end < start:
        return []
    return [Gap(area, _iso(start), _iso(end), SWITCH)]


def _iso(day: pd.Timestamp) -> str:
    return day.date().isoformat()
