"""The tables the Overview and Data & fairness pages show, computed from the dataset and its
manifest without Streamlit, so each figure on a page can be checked against the data.
"""

import datetime as dt
import re

import pandas as pd

from lacrime.data.clean import DEFAULT_TIMES, LAG_BUCKETS, weekly_counts
from lacrime.data.exclusions import DESCRIPTION, RULE_LABELS, Exclusions, Rule

STEP_LABELS = {
    "malformed_rows": "Malformed rows",
    "missing_required_value": "Missing required value",
    "duplicate_rows": "Identical rows",
    "duplicate_dr_no": "Repeated report number",
    "missing_coordinates": "Missing coordinates",
    "zero_coordinates": "Zero coordinates",
    "outside_los_angeles": "Outside Los Angeles",
    "occurred_after_reported": "Occurred after reported",
    "occurred_in_future": "Occurred in the future",
    "excluded_crime_type": "Excluded crime type",
    "duplicate_offence": "Repeated offence",
    "further_offences": "Further offences of a report",
    "duplicate_across_files": "Repeated across files",
    "outside_source_period": "Other source's period",
    "in_both_sources": "In both sources",
    "before_sources_began": "Before the sources began",
}
# Characters that make an exclusion rule a real regular expression rather than plain text.
_REGEX_SYNTAX = re.compile(r"[.^$*+?{}\[\]\\|()]")


def days_since(day: str, today: dt.date) -> int:
    """Whole days from an ISO date to `today`: how stale the newest report is."""
    return (today - dt.date.fromisoformat(day)).days


def utc_time(iso: str | None) -> str:
    """An ISO timestamp as minutes in UTC, the precision a reader needs to place it."""
    if not iso:
        return "at an unknown time"
    stamp = pd.Timestamp(iso)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return f"{stamp:%Y-%m-%d %H:%M} UTC"


def dataset_line(manifest: dict, today: dt.date) -> str:
    """The small print under every page title: what data, which period, how fresh, and how
    far behind the sources it came from run."""
    start, end = manifest["date_range"]
    kind = "synthetic demo" if manifest["synthetic"] else "LAPD reports"
    return (
        f"Data: {kind}, {manifest['rows']:,} crimes that occurred from {start} to {end}; the "
        f"latest is {days_since(end, today):,} days old. {_sources_note(manifest)} Ingested "
        f"{utc_time(manifest.get('ingested_at'))}."
    )


def _sources_note(manifest: dict) -> str:
    """Which systems the reports come from, and what that means for how recent they can be."""
    formats = {f["format"] for f in manifest.get("sources", [])} or {"legacy"}
    if formats == {"legacy"}:
        return (
            "From LAPD's legacy records system only, frozen since its 2024 switch to NIBRS: "
            "`lacrime fetch` adds the NIBRS offenses, which run about two weeks behind."
        )
    nibrs = "NIBRS offenses, which LAPD publishes about every two weeks, some 12 days behind"
    return f"From {nibrs}." if formats == {"nibrs"} else f"From the legacy system, then {nibrs}."


SOURCE_NAMES = {"legacy": "legacy system", "nibrs": "NIBRS"}


def sources_by_area(manifest: dict) -> pd.DataFrame:
    """Per LAPD area: where its reports come from, the day it switched to NIBRS and how that
    day was found, and the days neither source reports completely (left out of the models)."""
    areas = (manifest.get("history") or {}).get("areas", {})
    rows = []
    for name, area in sorted(areas.items()):
        if area["transition"] is None:
            found = (
                "no lasting drop in its legacy reports"
                if area["periods"][0]["source"] == "legacy"
                else "NIBRS reports only"
            )
        elif area["detected"]:
            found = f"legacy reports fell to {area['legacy_share_after']:.0%} of their level"
        else:
            found = "the end of the legacy data"
        rows.append(
            {
                "Area": name,
                "Reports from": "; ".join(
                    f"{SOURCE_NAMES.get(p['source'], p['source'])} {p['first_day']} to "
                    f"{p['last_day']}"
                    for p in area["periods"]
                ),
                "Switch to NIBRS": area["transition"] or "none",
                "How the switch day was found": found,
                "Incomplete days": "; ".join(
                    f"{g['first_day']} to {g['last_day']}" for g in area["gaps"]
                )
                or "none",
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "Area",
            "Reports from",
            "Switch to NIBRS",
            "How the switch day was found",
            "Incomplete days",
        ],
    )


def exclusions_changed(applied: dict, now: dict) -> bool:
    """Whether the exclusion list on disk differs from the one a dataset was cleaned with."""

    def rules(exclusions: dict) -> tuple:
        return (
            tuple(exclusions["columns"]),
            tuple(
                (r.get("field", DESCRIPTION), r["pattern"], r["reason"])
                for r in exclusions["crime_types"]
            ),
        )

    return rules(applied) != rules(now)


def daily_counts(frame: pd.DataFrame) -> pd.Series:
    """Reports per day of occurrence, every day of the range listed (days without any: 0)."""
    days = frame["occurred_at"].dt.normalize()
    counts = days.value_counts()
    full = pd.date_range(days.min(), days.max(), freq="D")
    return counts.reindex(full, fill_value=0).rename_axis("day").rename("reports")


def weekly_trend(frame: pd.DataFrame, flags: dict) -> pd.DataFrame:
    """Reports per full week, with the recent weeks the cleaning report flagged as incomplete."""
    weeks = weekly_counts(frame)
    flagged = {w["week_start"] for w in flags.get("incomplete_recent_weeks", [])}
    return pd.DataFrame(
        {
            "week_start": pd.to_datetime(list(weeks.index)),
            "reports": weeks.to_numpy(),
            "incomplete": [week.isoformat() in flagged for week in weeks.index],
        }
    )


def top_counts(frame: pd.DataFrame, column: str, n: int | None = None) -> pd.Series:
    """Reports per value of `column`, most frequent first (the first `n` if given)."""
    counts = frame[column].value_counts()
    return counts if n is None else counts.head(n)


def cleaning_steps(report: dict) -> pd.DataFrame:
    """Each cleaning step with the rows it removed, its reason and the rows left after it."""
    steps = pd.DataFrame(report["steps"])
    return pd.DataFrame(
        {
            "Step": steps["step"].map(STEP_LABELS).fillna(steps["step"]),
            "Rows removed": steps["removed"].astype("int64"),
            "Rows left": report["rows_in"] - steps["removed"].cumsum().astype("int64"),
            "Reason": steps["reason"],
        }
    )


def exclusion_summary(manifest: dict) -> pd.DataFrame:
    """Each exclusion rule applied to this dataset, with its reason and what it removed.

    Built from the manifest (the rules and counts of this dataset's ingest), not from the list
    on disk now, so the counts and the rules always belong together.
    """
    rules = [
        Rule(r["pattern"], r["reason"], r.get("field", DESCRIPTION))
        for r in manifest["exclusions"]["crime_types"]
    ]
    removed = _removed_by_rule(manifest["report"], rules)
    return pd.DataFrame(
        {
            "Matches": [describe_rule(rule) for rule in rules],
            "Reason": [rule.reason for rule in rules],
            "Reports removed": [sum(removed[rule].values()) for rule in rules],
            "Crime types removed": [
                ", ".join(f"{d} ({c:,})" for d, c in removed[rule].items()) or "none in this data"
                for rule in rules
            ],
        }
    )


def _removed_by_rule(report: dict, rules: list[Rule]) -> dict[Rule, dict[str, int]]:
    """What each rule removed, by crime description: from the step's per-rule counts, or, for a
    dataset ingested before they were kept, by matching each description to its rule."""
    step = next((s for s in report["steps"] if s["step"] == "excluded_crime_type"), {})
    counted = {(r["field"], r["pattern"]): r["types"] for r in step.get("rules", [])}
    if counted:
        return {rule: counted.get((rule.field, rule.pattern), {}) for rule in rules}
    applied = Exclusions(columns=(), columns_reason="", rules=tuple(rules), source="manifest")
    removed: dict[Rule, dict[str, int]] = {rule: {} for rule in rules}
    for description, count in step.get("detail", {}).items():
        rule = applied.rule_for(description)
        if rule is not None:
            removed[rule][description] = count
    return removed


def describe_rule(rule: Rule) -> str:
    """An exclusion rule in words: its pattern (`describe_pattern`), after the field it reads
    when that is not the crime description."""
    words = describe_pattern(rule.pattern)
    return words if rule.field == DESCRIPTION else f"{RULE_LABELS[rule.field]} {words}"


def describe_pattern(pattern: str) -> str:
    """An exclusion rule in words ("exactly LEWD CONDUCT or PIMPING"), when it is an alternation
    of plain text with optional anchors, as the shipped rules are; otherwise the pattern itself.
    """
    groups: dict[str, list[str]] = {}
    for part in pattern.split("|"):
        text = part.removeprefix("^").removesuffix("$")
        if not text.strip() or _REGEX_SYNTAX.search(text):
            return f"pattern {pattern}"
        starts, ends = part.startswith("^"), part.endswith("$")
        kind = {(True, True): "exactly", (True, False): "starts with", (False, True): "ends with"}
        groups.setdefault(kind.get((starts, ends), "contains"), []).append(text)
    return ", or ".join(f"{kind} {_either(texts)}" for kind, texts in groups.items())


def _either(texts: list[str]) -> str:
    return texts[0] if len(texts) == 1 else f"{', '.join(texts[:-1])} or {texts[-1]}"


def hour_profile(frame: pd.DataFrame) -> pd.DataFrame:
    """Reports per hour of day, the default "unknown" times (12:00, 00:01) apart from the rest."""
    time_occ = frame["time_occ"]
    default = time_occ.isin(DEFAULT_TIMES)
    hours = pd.RangeIndex(24, name="hour")
    return pd.DataFrame(
        {
            "default_time": (time_occ[default] // 100).value_counts().reindex(hours, fill_value=0),
            "other_time": (time_occ[~default] // 100).value_counts().reindex(hours, fill_value=0),
        }
    )


def minute_profile(frame: pd.DataFrame) -> pd.Series:
    """Reports per minute past the hour; an even spread would give each minute about 1/60."""
    minutes = pd.RangeIndex(60, name="minute")
    return (frame["time_occ"] % 100).value_counts().reindex(minutes, fill_value=0).rename("reports")


def lag_distribution(flags: dict) -> pd.DataFrame:
    """Share of reports by days between occurrence and report, in the cleaning report's buckets."""
    shares = flags["reporting_lag_days"]["distribution"]
    labels = [label for _, _, label in LAG_BUCKETS if label in shares]
    return pd.DataFrame({"lag": labels, "share": [shares[label] for label in labels]})


def incomplete_weeks(flags: dict) -> pd.DataFrame:
    """The recent weeks flagged as probably incomplete, as a table."""
    weeks = flags.get("incomplete_recent_weeks", [])
    return pd.DataFrame(
        {
            "Week starting": [w["week_start"] for w in weeks],
            "Reports": [w["reports"] for w in weeks],
            "Share of a typical week": [w["share_of_typical"] for w in weeks],
        }
    )


def null_policy(report: dict) -> pd.DataFrame:
    """What a missing value in each column becomes."""
    policy = report.get("null_policy", {})
    return pd.DataFrame({"Column": list(policy), "When missing": list(policy.values())})
