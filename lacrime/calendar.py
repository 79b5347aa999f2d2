"""Weeks, weekdays and seasons as every stage counts them.

Weeks run Monday to Sunday everywhere (weekly counts, held-out and evaluation weeks, the week a
hotspot forecast is made as of), so they all end on the one Sunday `last_full_sunday` gives.
"""

from datetime import date, timedelta
from typing import TypeVar

import numpy as np
import pandas as pd

from lacrime.errors import LacrimeError, choose

WEEK = pd.Timedelta(days=7)
WEEKDAYS: tuple[str, ...] = (
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
)
SEASONS: tuple[str, ...] = ("winter", "spring", "summer", "autumn")
SEASON_OF_MONTH = {month: SEASONS[month % 12 // 3] for month in range(1, 13)}  # Dec-Feb winter
SEASON_ALIASES = {"fall": "autumn"}
Day = TypeVar("Day", bound=date)  # a date, or a pandas Timestamp kept as one


def last_full_sunday(day: Day) -> Day:
    """The Sunday ending the latest Monday-Sunday week that is over by the end of `day` (`day`
    itself on a Sunday)."""
    return day - timedelta(days=(day.weekday() + 1) % 7)


def parse_hour(hour: object) -> int:
    if isinstance(hour, bool) or not isinstance(hour, int | np.integer) or not 0 <= hour <= 23:
        raise LacrimeError(f"hour must be a whole number from 0 to 23, not {hour!r}")
    return int(hour)


def parse_weekday(weekday: object) -> str:
    return choose(weekday, WEEKDAYS, "weekday", sort=False)


def parse_season(season: object) -> str:
    key = str(season).strip().lower()
    return choose(SEASON_ALIASES.get(key, key), SEASONS, "season", sort=False)


# The three watches (shifts) a day is planned in, by hour of occurrence: the first hour of the
# watch and the first hour after it, wrapping past midnight. The one place they are defined.
WATCHES: dict[str, tuple[int, int]] = {"night": (23, 7), "day": (7, 15), "evening": (15, 23)}


def parse_watch(watch: object) -> str:
    return choose(watch, WATCHES, "watch", sort=False)


def watch_hours(watch: str) -> str:
    """The watch's span as a reader names it: "night (23:00-06:59)"."""
    first, after = WATCHES[watch]
    return f"{watch} ({first:02d}:00-{(after - 1) % 24:02d}:59)"


def watch_codes(hours: np.ndarray) -> np.ndarray:
    """The position in WATCHES of each hour's watch (0..23 -> 0..len(WATCHES)-1)."""
    of_hour = np.empty(24, dtype="int8")
    for code, (first, after) in enumerate(WATCHES.values()):
        of_hour[np.arange(first, first + (after - first) % 24) % 24] = code
    return of_hour[np.asarray(hours, dtype="int64")]
