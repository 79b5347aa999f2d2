"""Training: every model fitted, judged on later data, and registered as one version.

One version holds everything the pages and the CLI serve, so a page never mixes the hourly
models of one training with the hotspot forecast of another. The default model of each kind
is whichever did best on the held-out weeks, baseline or not. What the version was trained on
and how its models did is its `TrainingRecord`, stored as the version's metadata.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pandas as pd

from lacrime.calendar import last_full_sunday
from lacrime.data.completeness import Completeness
from lacrime.data.dataset import load_dataset, read_manifest
from lacrime.data.exclusions import load_exclusions
from lacrime.errors import LacrimeError
from lacrime.hotspots.evaluation import evaluate_hotspots
from lacrime.hotspots.forecast import HotspotForecaster, fit_forecaster
from lacrime.hotspots.results import HotspotEvaluation, WatchEvaluation
from lacrime.hotspots.watch_evaluation import evaluate_watches
from lacrime.hourly.evaluation import HourlyEvaluation, evaluate_hourly
from lacrime.hourly.forecast import HourlyBundle, fit_hourly
from lacrime.ops import registry, serving
from lacrime.ops.serving import TrainedOn
from lacrime.records import from_json, to_json

# Artifact names in a version; pages and the CLI load them by these names.
HOURLY = "hourly"
HOURLY_NO_DEFAULT_TIMES = "hourly_no_default_times"
HOTSPOTS = "hotspot_forecaster"

STEPS: tuple[str, ...] = (
    "evaluating hourly models",
    "fitting hourly models",
    "evaluating hotspot models week by week",
    "fitting the hotspot forecast",
    "evaluating watch forecasts week by week",
    "registering the new version",
)


@dataclass(frozen=True)
class Parameters:
    hourly_interval_level: float
    hotspot_resolution: int
    hotspot_share: float
    hotspot_eval_weeks: int
    forecast_as_of: str


@dataclass(frozen=True)
class Evaluations:
    """The evaluation of each kind of model; the field names are the artifact names."""

    hourly: HourlyEvaluation
    hourly_no_default_times: HourlyEvaluation
    hotspots: HotspotEvaluation
    watches: WatchEvaluation | None = None  # None in versions trained before watches


@dataclass(frozen=True)
class Summary:
    """The headline figures of a version, as `lacrime versions` and the Admin page list them."""

    hourly_default: str
    hourly_mae: float
    hotspot_default: str
    hotspot_pai_5: float | None
    verdict: str
    watch_models: dict[str, str] | None = None  # per watch; None before watches


@dataclass(frozen=True)
class TrainingRecord:
    """What a model version was trained on, with which exclusions and parameters, what each
    model computes from, and how each did on weeks it had not seen."""

    data: TrainedOn
    exclusions: dict
    parameters: Parameters
    features: dict[str, list[str]]
    evaluation: Evaluations
    summary: Summary


def record_of(version: registry.ModelVersion) -> TrainingRecord:
    """The typed record of a stored version (its metadata, as `train` wrote it)."""
    try:
        return from_json(TrainingRecord, version.metadata)
    except (KeyError, TypeError, AttributeError) as exc:
        raise LacrimeError(
            f"model version {version.version}: its metadata lacks part of the training record "
            f"({exc}); retrain with `lacrime train`"
        ) from None


def latest_full_week_end(frame: pd.DataFrame) -> date:
    """The last Sunday whose whole week is in the data: the map forecasts the week after it."""
    return last_full_sunday(frame["occurred_at"].max().date())


def train(
    progress: Callable[[str], None] = lambda step: None,
    *,
    promote: bool = True,
    dataset_id: str | None = None,
) -> registry.ModelVersion:
    """Fit, evaluate and register every model on the current dataset (or the stored one named,
    which `lacrime refresh` trains a candidate on); promote it unless told not.

    Holds the registry's training lock throughout, so a second training waits or is told
    another one is running; what users see changes only at the final atomic promotion.
    """
    manifest = read_manifest(dataset_id)
    frame = load_dataset(dataset_id=dataset_id)
    if frame.empty:
        raise LacrimeError("the current dataset has no rows; ingest a dataset first")
    # Incompletely reported area-days (the switch to NIBRS, reporting lag): no model learns
    # them as a drop in crime, and no evaluation scores against them.
    completeness = Completeness.from_manifest(manifest)
    with registry.training_lock():
        registry.cleanup_incomplete()
        progress(STEPS[0])
        hourly_eval = {
            HOURLY: evaluate_hourly(frame, completeness=completeness),
            HOURLY_NO_DEFAULT_TIMES: evaluate_hourly(
                frame, exclude_default_times=True, completeness=completeness
            ),
        }
        progress(STEPS[1])
        bundles = {
            name: fit_hourly(
                frame,
                exclude_default_times=evaluation.exclude_default_times,
                default_model=evaluation.default_model,
                completeness=completeness,
            )
            for name, evaluation in hourly_eval.items()
        }
        progress(STEPS[2])
        hotspot_eval = evaluate_hotspots(frame, completeness=completeness)
        progress(STEPS[3])
        forecaster = fit_forecaster(
            frame,
            as_of=latest_full_week_end(frame),
            model=hotspot_eval.default_model,
            resolution=hotspot_eval.resolution,
            completeness=completeness,
        )
        progress(STEPS[4])
        watch_eval = evaluate_watches(
            frame, resolution=hotspot_eval.resolution, completeness=completeness
        )
        progress(STEPS[5])
        record = _record(manifest, hourly_eval, bundles, hotspot_eval, forecaster, watch_eval)
        version = registry.write_version({**bundles, HOTSPOTS: forecaster}, to_json(record))
    if promote:
        serving.promote(version.version)
    return version


def _record(
    manifest: dict,
    hourly_eval: dict[str, HourlyEvaluation],
    bundles: dict[str, HourlyBundle],
    hotspot_eval: HotspotEvaluation,
    forecaster: HotspotForecaster,
    watch_eval: WatchEvaluation,
) -> TrainingRecord:
    hourly = hourly_eval[HOURLY]
    return TrainingRecord(
        data=serving.dataset_of(manifest),
        exclusions=load_exclusions().to_dict(),
        parameters=Parameters(
            hourly_interval_level=bundles[HOURLY].interval_level,
            hotspot_resolution=forecaster.grid.resolution,
            hotspot_share=hotspot_eval.share,
            hotspot_eval_weeks=len(hotspot_eval.eval_weeks),
            forecast_as_of=forecaster.as_of.isoformat(),
        ),
        features={
            **{
                f"{HOURLY}.{name}": model.feature_names
                for name, model in bundles[HOURLY].models.items()
            },
            **{
                f"hotspots.{name}": scores.feature_names
                for name, scores in hotspot_eval.models.items()
            },
        },
        evaluation=Evaluations(
            hourly=hourly,
            hourly_no_default_times=hourly_eval[HOURLY_NO_DEFAULT_TIMES],
            hotspots=hotspot_eval,
            watches=watch_eval,
        ),
        summary=Summary(
            hourly_default=hourly.default_model,
            hourly_mae=hourly.default.mae,
            hotspot_default=hotspot_eval.default_model,
            hotspot_pai_5=hotspot_eval.default.metric("pai").mean,
            verdict=hotspot_eval.verdict,
            watch_models=watch_eval.chosen,
        ),
    )
