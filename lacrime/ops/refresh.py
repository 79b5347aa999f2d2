"""Running unattended: fetch what is new, train a candidate on it, and promote the candidate
only when it is not worse than the version in use.

`refresh` holds the training lock from start to end, so it is refused, in one line, while a
training (from the Admin page or another refresh) runs. The new data are written beside the
dataset in use, not over it; the candidate is trained on them; only a promotion installs
them, together with the candidate. A refresh killed at any point therefore leaves the
dataset and the version in use as they were (a download it had started resumes next time).
The one instant between installing the dataset and switching the version pointer, two
renames apart, would at worst leave the version stale, which every page then says.

"Not worse" is judged on the headline figures, each against its week-to-week spread:

- on the evaluation weeks both versions scored, the candidate's figures for the model in use
  against the version in use's own: new data must not make history look worse (a
  re-published batch with broken coordinates);
- the candidate's headline over its own weeks, which include the new ones, against the
  headline of the version in use: the newest weeks must not score far below the old ones.

A figure is worse when it falls short by more than the week-to-week standard deviation of
the version in use's (for hotspots, PAI at 5% of the area; for the hourly forecast, MAE per
held-out week): a smaller difference is what weeks do on their own. The candidate's own
spread is not used: a bad new week inflates it, and would excuse itself.
"""

from collections.abc import Callable
from dataclasses import dataclass
from statistics import mean, stdev

from lacrime.data.dataset import install, prepare, store
from lacrime.data.sync import Portal, commit_staged, discard_staged, fetch_sources, up_to_date
from lacrime.errors import LacrimeError
from lacrime.ops import audit, jobs, registry, serving
from lacrime.ops.train import TrainingRecord, record_of, train

PROMOTED, KEPT, NOTHING_NEW = "promoted", "kept", "nothing new"
# Exit statuses of `lacrime refresh`, by outcome (errors exit 2, as every command).
EXIT_STATUS = {PROMOTED: 0, NOTHING_NEW: 0, KEPT: 1}


@dataclass(frozen=True)
class Comparison:
    """One headline figure of the candidate against the version in use."""

    figure: str
    candidate: float
    in_use: float
    spread: float
    higher_is_better: bool

    @property
    def worse(self) -> bool:
        shortfall = self.in_use - self.candidate
        return (shortfall if self.higher_is_better else -shortfall) > self.spread

    def sentence(self) -> str:
        verdict = "worse" if self.worse else "not worse"
        return (
            f"{self.figure} {self.candidate:.2f} against {self.in_use:.2f} in use "
            f"({verdict}; spread {self.spread:.2f})"
        )


@dataclass(frozen=True)
class Outcome:
    """What a refresh did: promoted, kept the version in use, or found nothing new."""

    outcome: str
    summary: str
    candidate: str | None = None
    in_use: str | None = None
    comparisons: tuple[Comparison, ...] = ()

    @property
    def exit_status(self) -> int:
        return EXIT_STATUS[self.outcome]


def compare(candidate: TrainingRecord, in_use: TrainingRecord) -> list[Comparison]:
    """The headline figures of `candidate` against `in_use` (see the module's docstring)."""
    new, old = candidate.evaluation, in_use.evaluation
    hot_new, hot_old = new.hotspots, old.hotspots
    model = hot_old.default_model
    spread = _std(hot_old.default.per_week, "pai_5")
    comparisons = []
    shared = _shared(hot_new.models[model].per_week, hot_old.models[model].per_week, "pai_5")
    if shared:
        cand, used = shared
        figure = f"hotspot PAI at 5% of {model} on the {len(cand)} week(s) both evaluated"
        comparisons.append(Comparison(figure, mean(cand), mean(used), spread, True))
    comparisons.append(
        Comparison(
            "hotspot PAI at 5% of the default model",
            _value(hot_new.default.metric("pai").mean),
            _value(hot_old.default.metric("pai").mean),
            spread,
            True,
        )
    )
    hour_new, hour_old = new.hourly.default, old.hourly.default
    comparisons.append(
        Comparison(
            "hourly MAE (crimes per hour) of the default model",
            hour_new.mae,
            hour_old.mae,
            _spread(hour_old.mae_by_week),
            False,
        )
    )
    return comparisons


def _value(number: float | None) -> float:
    return float("nan") if number is None else number


def _std(per_week: list[dict], key: str) -> float:
    values = [w[key] for w in per_week if w.get(key) is not None]
    return stdev(values) if len(values) > 1 else 0.0


def _spread(by_week: dict[str, float]) -> float:
    return stdev(by_week.values()) if len(by_week) > 1 else 0.0


def _shared(new: list[dict], old: list[dict], key: str) -> tuple[list, list] | None:
    """The values of `key` in the weeks both lists of per-week figures hold."""
    old_of = {w["week_start"]: w.get(key) for w in old}
    pairs = [
        (w[key], old_of[w["week_start"]])
        for w in new
        if w.get(key) is not None and old_of.get(w["week_start"]) is not None
    ]
    return ([p[0] for p in pairs], [p[1] for p in pairs]) if pairs else None


def refresh(portal: Portal, progress: Callable[[str], None] = lambda _: None) -> Outcome:
    """Fetch, train a candidate on the data as they now are, and promote it if it is not worse
    than the version in use; every outcome is written to the audit log."""
    try:
        with registry.training_lock(timeout=0):
            outcome = _refresh(portal, progress)
    except LacrimeError as exc:
        audit.record("refresh", "refused", who="refresh", detail=str(exc))
        raise
    audit.record(
        "refresh",
        outcome.outcome,
        who="refresh",
        detail=" ".join([outcome.summary, *(c.sentence() + "." for c in outcome.comparisons)]),
    )
    return outcome


def _refresh(portal: Portal, progress: Callable[[str], None]) -> Outcome:
    running = jobs.active_jobs(jobs.FETCH)
    if running:
        raise LacrimeError(f"a download is running (job {running[0]['job_id']}); try again later")
    fetched = fetch_sources(portal, progress)
    final = [str(p.resolve()) for p in fetched.final_paths()]
    if up_to_date(fetched):
        return Outcome(NOTHING_NEW, "nothing new on the portal: nothing was trained")
    progress("Validating, cleaning and stitching the legacy and NIBRS reports")
    try:
        frame, manifest = prepare(fetched.sources, label=portal.label)
    except BaseException:
        discard_staged(fetched.staged)
        raise
    for entry, path in zip(manifest["sources"], final, strict=True):
        entry["path"] = path
    commit_staged(fetched.staged)
    candidate_data = store(frame, manifest, install=False)
    progress("Training a candidate on them")
    candidate = train(progress, promote=False, dataset_id=candidate_data["dataset_id"])
    in_use, _ = registry.load_current_or_fallback()
    comparisons = () if in_use is None else tuple(compare(record_of(candidate), record_of(in_use)))
    worse = [c for c in comparisons if c.worse]
    if worse:
        jobs.record_done(
            jobs.REFRESH,
            version=candidate.version,
            dataset_id=candidate_data["dataset_id"],
            summary=candidate.metadata.get("summary"),
        )
        return Outcome(
            KEPT,
            f"kept version {in_use.version}: candidate {candidate.version} is worse on "
            + "; ".join(c.sentence() for c in worse)
            + ". It waits on the Admin page",
            candidate.version,
            in_use.version,
            comparisons,
        )
    install(candidate_data["dataset_id"])
    serving.promote(candidate.version)
    was = f" (was {in_use.version})" if in_use is not None else ""
    return Outcome(
        PROMOTED,
        f"promoted version {candidate.version}{was} on dataset {candidate_data['dataset_id']}, "
        f"{candidate_data['rows']:,} reports to {candidate_data['date_range'][1]}",
        candidate.version,
        None if in_use is None else in_use.version,
        comparisons,
    )
