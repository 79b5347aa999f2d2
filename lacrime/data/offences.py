"""The NIBRS offences (`nibrs_offences.toml`): their order of seriousness, crime group and
"crime against", and which legacy crime types correspond to each.

The file is the one place where the hierarchy is written down; this module only reads it and
answers per code, vectorised over the few distinct codes of a column.
"""

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
import pandas as pd

from lacrime.data.categories import GROUPS, OTHER

OFFENCES_FILE = "nibrs_offences.toml"
# Where a legacy crime type matches no offence's `legacy` pattern: NIBRS's own catch-all.
FALLBACK_CODE = "90Z"


@dataclass(frozen=True)
class Offence:
    code: str
    name: str
    against: str
    group: str
    legacy: str | None = None


@cache
def offences() -> tuple[Offence, ...]:
    """Every listed offence, most serious first."""
    text = resources.files("lacrime.data").joinpath(OFFENCES_FILE).read_text(encoding="utf-8")
    listed = tuple(Offence(**entry) for entry in tomllib.loads(text)["offence"])
    unknown = {o.group for o in listed} - set(GROUPS)
    if unknown:
        raise ValueError(f"{OFFENCES_FILE}: unknown crime group(s) {sorted(unknown)}")
    return listed


def normalise(codes: pd.Series) -> pd.Series:
    """Codes as the table writes them: trimmed and upper-case (`13a ` -> `13A`)."""
    return codes.astype("str").str.strip().str.upper()


def _lookup(codes: pd.Series, values: dict[str, object], missing: object) -> np.ndarray:
    """`values[code]` for each code (normalised), `missing` where unlisted or null."""
    index, distinct = pd.factorize(normalise(codes))
    mapped = np.array([values.get(c, missing) for c in distinct] + [missing], dtype=object)
    return mapped[np.where(index < 0, len(distinct), index)]


def rank(codes: pd.Series) -> np.ndarray:
    """Each code's place in the hierarchy, 0 for the most serious; unlisted codes after all."""
    table = {o.code: i for i, o in enumerate(offences())}
    return _lookup(codes, table, len(table)).astype("int64")


def group(codes: pd.Series) -> pd.Series:
    """Each code's crime group (lacrime.data.categories.GROUPS); unlisted codes: Other."""
    table = {o.code: o.group for o in offences()}
    return pd.Series(_lookup(codes, table, OTHER), index=codes.index, dtype="str")


def against(codes: pd.Series) -> pd.Series:
    """Each code's "crime against" (Person, Property, Society); null for an unlisted code."""
    table = {o.code: o.against for o in offences()}
    return pd.Series(_lookup(codes, table, None), index=codes.index, dtype="str")


def name(codes: pd.Series) -> pd.Series:
    """Each code's NIBRS name; null for an unlisted code."""
    table = {o.code: o.name for o in offences()}
    return pd.Series(_lookup(codes, table, None), index=codes.index, dtype="str")


def code_for_legacy(description: str) -> str:
    """The NIBRS offence of a legacy crime type: the first (most serious) whose `legacy`
    pattern matches the description, else the catch-all FALLBACK_CODE."""
    for offence in offences():
        if offence.legacy and re.search(offence.legacy, description, flags=re.IGNORECASE):
            return offence.code
    return FALLBACK_CODE
