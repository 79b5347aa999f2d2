"""The bias-prone crime types and columns that every model leaves out, and why.

The default list ships with the package (`exclusions.toml`); an administrator's edited copy
under LACRIME_HOME wins over it. The list is data, not code, so that the CLI, the pages and
the model metadata all show the same thing.
"""

import json
import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from lacrime.errors import LacrimeError
from lacrime.files import atomic_write
from lacrime.paths import home

DEFAULT_FILE = Path(__file__).with_name("exclusions.toml")
DESCRIPTION = "description"
# The field of an offence each kind of rule reads, as named in the cleaned and loaded data.
RULE_FIELDS = {
    DESCRIPTION: "crm_cd_desc",
    "nibrs_code": "nibr_code",
    "crime_against": "crime_against",
}
# How pages and the command line name each kind of rule.
RULE_LABELS = {
    DESCRIPTION: "description",
    "nibrs_code": "NIBRS code",
    "crime_against": "NIBRS crime against",
}


@dataclass(frozen=True)
class Rule:
    """A case-insensitive regular expression over one field of an offence, and why."""

    pattern: str
    reason: str
    field: str = DESCRIPTION


@dataclass(frozen=True)
class Exclusions:
    columns: tuple[str, ...]
    columns_reason: str
    rules: tuple[Rule, ...]
    source: str

    def first_rule(self, frame: pd.DataFrame) -> np.ndarray:
        """For each row (an offence), the position of the first rule that matches it, or -1.

        Each rule reads its field (RULE_FIELDS) where the frame has it: a legacy report has no
        NIBRS code, so a code rule never matches one. Evaluated once per distinct value.
        """
        found = np.full(len(frame), -1, dtype="int64")
        factorized: dict[str, tuple[np.ndarray, pd.Index]] = {}
        for position in range(len(self.rules) - 1, -1, -1):
            rule = self.rules[position]
            column = RULE_FIELDS[rule.field]
            if column not in frame:
                continue
            if column not in factorized:
                factorized[column] = pd.factorize(frame[column])
            codes, distinct = factorized[column]
            hit = pd.Series(distinct, dtype="str").str.contains(
                rule.pattern, case=False, regex=True
            )
            hit = np.append(hit.to_numpy(dtype=bool), False)  # code -1 (null) maps to the end
            found[hit[codes]] = position
        return found

    def matches(self, frame: pd.DataFrame) -> pd.Series:
        """True for each row (an offence) that an exclusion rule covers."""
        return pd.Series(self.first_rule(frame) >= 0, index=frame.index)

    def rule_for(self, description: str) -> Rule | None:
        """The first description rule that matches a crime description, if any."""
        for rule in self.rules:
            if rule.field == DESCRIPTION and re.search(
                rule.pattern, description, flags=re.IGNORECASE
            ):
                return rule
        return None

    def to_dict(self) -> dict:
        return {
            "source": self.source,
            "columns": list(self.columns),
            "columns_reason": self.columns_reason,
            "crime_types": [
                {"field": r.field, "pattern": r.pattern, "reason": r.reason} for r in self.rules
            ],
        }


def override_file() -> Path:
    return home() / "exclusions.toml"


def load_exclusions(path: Path | None = None) -> Exclusions:
    """The administrator's list if one was saved, else the shipped default."""
    if path is None:
        path = override_file() if override_file().is_file() else DEFAULT_FILE
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise LacrimeError(f"{path}: not a valid exclusions file ({exc})") from None
    return _parse_exclusions(text, Path(path))


def _parse_exclusions(text: str, path: Path) -> Exclusions:
    """Split from reading so that an edit is checked before it is written, never after."""
    try:
        data = tomllib.loads(text)
        rules = tuple(
            Rule(r["pattern"], r["reason"], r.get("field", DESCRIPTION))
            for r in data.get("crime_types", [])
        )
        for rule in rules:
            re.compile(rule.pattern)
            if rule.field not in RULE_FIELDS:
                raise KeyError(f"field {rule.field!r}; known: {', '.join(RULE_FIELDS)}")
        columns = data["columns"]
        return Exclusions(
            columns=tuple(columns["names"]),
            columns_reason=columns["reason"],
            rules=rules,
            source=str(path),
        )
    except (tomllib.TOMLDecodeError, KeyError, TypeError, re.error) as exc:
        raise LacrimeError(f"{path}: not a valid exclusions file ({exc})") from None


def save_exclusions(rules: Sequence[Rule], path: Path | None = None) -> Exclusions:
    """Write an administrator's list of crime-type rules (the columns stay as they are).

    The text is parsed before it replaces the old file, atomically, so a bad rule is refused
    with a message instead of leaving a file that every page would fail on.
    """
    current = load_exclusions()
    path = path or override_file()
    lines = [
        "# The exclusion list as saved from the Admin page; it wins over the shipped default",
        "# (lacrime/data/exclusions.toml). Delete this file to go back to the default.",
        "",
        "[columns]",
        f"names = [{', '.join(_toml_string(c) for c in current.columns)}]",
        f"reason = {_toml_string(current.columns_reason)}",
    ]
    for rule in rules:
        lines += ["", "[[crime_types]]"]
        if rule.field != DESCRIPTION:
            lines.append(f"field = {_toml_string(rule.field)}")
        lines.append(f"pattern = {_toml_string(rule.pattern)}")
        lines.append(f"reason = {_toml_string(rule.reason)}")
    text = "\n".join(lines) + "\n"
    saved = _parse_exclusions(text, path)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, text.encode())
    return saved


def _toml_string(text: str) -> str:
    """A TOML basic string: JSON's escapes are TOML's, except that TOML also escapes DEL."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


_PLAIN_TEXT = re.compile(r"([.^$*+?{}\[\]\\|()])")


def exclusion_choices(manifest: dict, present: Iterable[str]) -> tuple[list[str], list[str]]:
    """Crime types to offer, and those the list on disk excludes.

    The cleaned data no longer holds excluded types, so the offer is the types present plus
    those this dataset's ingest removed (from its cleaning report). Types that a NIBRS code or
    "crime against" rule removed are not offered: the Admin page edits description rules only.
    """
    steps = manifest["report"]["steps"]
    step = next((s for s in steps if s["step"] == "excluded_crime_type"), {})
    removed = set(step.get("detail", {}))
    by_field = {
        kind
        for rule in step.get("rules", [])
        if rule["field"] != DESCRIPTION
        for kind in rule["types"]
    }
    options = sorted((set(present) | removed) - by_field)
    current = load_exclusions()
    return options, [t for t in options if current.rule_for(t)]


def rules_for_selection(
    current: Exclusions, options: Iterable[str], selected: Iterable[str], reason: str
) -> tuple[Rule, ...]:
    """The rules that exclude exactly `selected` among `options`, keeping what can be kept.

    A rule whose matches are all still selected stays as written (with rules for types not in
    this data); one that matches a type now unselected is replaced by exact rules for the types
    it still should cover, with its reason. Newly selected types get exact rules and `reason`.
    """
    options, chosen = list(options), set(selected)
    rules: list[Rule] = []
    covered: set[str] = set()
    for rule in current.rules:
        if rule.field != DESCRIPTION:  # edited in the file, not by description
            rules.append(rule)
            continue
        matched = [t for t in options if re.search(rule.pattern, t, flags=re.IGNORECASE)]
        if all(t in chosen for t in matched):
            rules.append(rule)
            covered.update(matched)
            continue
        for kind in matched:
            if kind in chosen and kind not in covered:
                rules.append(Rule(_exactly(kind), rule.reason))
                covered.add(kind)
    added = sorted(chosen - covered)
    if added and not reason.strip():
        raise LacrimeError(
            f"say why {', '.join(added)} should be left out: every exclusion carries its reason"
        )
    rules.extend(Rule(_exactly(kind), reason.strip()) for kind in added)
    return tuple(rules)


def _exactly(text: str) -> str:
    escaped = _PLAIN_TEXT.sub(r"\\\1", text)
    return f"^{escaped}$"
