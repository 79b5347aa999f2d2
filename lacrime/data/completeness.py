"""Which area-days of a dataset are incompletely reported, and why: what the models must not
learn from.

Two causes, told apart: the switch to NIBRS (an area's legacy data stop being complete on its
transition day, and no NIBRS data cover the days after), and reporting lag (the most recent weeks
of every area are still filling in). Both read as drops in crime to a model that is not told.
The hotspot models leave incomplete area-weeks out of their training labels and their
evaluation; the hourly models correct a day's city-wide count for the areas missing that day,
and leave out days that too few areas cover (see lacrime.hourly.counts).
"""

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from lacrime.records import from_json

SWITCH = "switch"
LAG = "reporting lag"


@dataclass(frozen=True)
class Gap:
    """Days (first to last, inclusive) whose reports are incomplete, in one area or (area_name
    None) in every area."""

    area_name: str | None
    first_day: str
    last_day: str
    reason: str


@dataclass(frozen=True)
class Completeness:
    gaps: list[Gap] = field(default_factory=list)

    @classmethod
    def from_manifest(cls, manifest: dict) -> "Completeness":
        """The gaps of a dataset: its areas' switch gaps (manifest `history`) and the recent
        weeks its cleaning report flags as reporting lag."""
        gaps = [
            from_json(Gap, gap)
            for area in (manifest.get("history") or {}).get("areas", {}).values()
            for gap in area.get("gaps", [])
        ]
        for week in manifest["report"]["flags"].get("incomplete_recent_weeks", []):
            monday = pd.Timestamp(week["week_start"])
            last = (monday + pd.Timedelta(days=6)).date().isoformat()
            gaps.append(Gap(None, monday.date().isoformat(), last, LAG))
        return cls(gaps)

    def incomplete(self, area_names: np.ndarray, days: np.ndarray) -> np.ndarray:
        """True where the day (datetime64, any time of day) of an area is in a gap."""
        days = np.asarray(days, dtype="datetime64[D]")
        area_names = np.asarray(area_names)
        hit = np.zeros(len(days), dtype=bool)
        for gap in self.gaps:
            inside = (days >= np.datetime64(gap.first_day)) & (days <= np.datetime64(gap.last_day))
            if gap.area_name is not None:
                inside &= area_names == gap.area_name
            hit |= inside
        return hit

    def incomplete_weeks(self, week_starts: pd.DatetimeIndex, areas: list[str]) -> pd.DataFrame:
        """For each 7-day block starting on a day of `week_starts` (rows) and each area
        (columns): True when any of its days is in a gap."""
        table = pd.DataFrame(False, index=week_starts, columns=list(areas))
        for offset in range(7):
            days = np.repeat((week_starts + pd.Timedelta(days=offset)).to_numpy(), len(areas))
            names = np.tile(np.asarray(areas, dtype=object), len(week_starts))
            hit = self.incomplete(names, days).reshape(len(week_starts), len(areas))
            table |= hit
        return table

    def lag_weeks(self) -> list[str]:
        """First days of the weeks every area is still filling in (reporting lag)."""
        return [g.first_day for g in self.gaps if g.reason == LAG]
