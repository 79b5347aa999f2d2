"""Training: every model fitted, judged on later data, and registered as one version.

One version holds everything the pages and the CLI serve, so a page never mixes the hourly
models of one training with the hotspot forecast of another. The default model of each kind
is whichever did best on the held-out weeks, baseline or not.
"""

from collections.abc import Callable
from datetime import date

import pandas as pd

from lacrime import registry
from lacrime.clean import last_full_sunday
from lacrime.dataset import load_dataset, read_manifest
from lacrime.errors import LacrimeError
from lacrime.exclusions import load_exclusions
from lacrime.hotspot_evaluation import evaluate_hotspots
from lacrime.hotspots import fit_forecaster
from lacrime.hourly import fit_hourly
from lacrime.hourly_evaluation import evaluate_hourly

# Artifact names in a version; pages and the CLI load them by these names.
HOURLY = "hourly"
HOURLY_NO_DEFAULT_TIMES = "hourly_no_default_times"
HOTSPOTS = "hotspot_forecaster"

STEPS: tuple[str, ...] = (
    "evaluating hourly models",
    "fitting hourly models",
    "evaluating hotspot models week by week",
    "fitting the hotspot forecast",
    "registering the new version",
)


def latest_full_week_end(frame: pd.DataFrame) -> date:
    """The last Sunday whose whole week is in the data: the map forecasts the week after it."""
    return last_full_sunday(frame["occurred_at"].max().date())


def train(
    progress: Callable[[str], None] = lambda step: None, *, promote: bool = True
) -> registry.ModelVersion:
    """Fit, evaluate and register every model on the current dataset; promote it unless told not.

    Holds the registry's training lock throughout, so a second training waits or is told
    another one is running; what users see changes only at the final atomic promotion.
    """
    manifest = read_manifest()
    frame = load_dataset()
    if frame.empty:
        raise LacrimeError("the current dataset has no rows; ingest a dataset first")
    with registry.training_lock():
        registry.cleanup_incomplete()
        progress(STEPS[0])
        hourly_eval = {
            HOURLY: evaluate_hourly(frame),
            HOURLY_NO_DEFAULT_TIMES: evaluate_hourly(frame, exclude_default_times=True),
        }
        progress(STEPS[1])
        bundles = {
            HOURLY: fit_hourly(frame, default_model=hourly_eval[HOURLY]["default_model"]),
            HOURLY_NO_DEFAULT_TIMES: fit_hourly(
                frame,
                exclude_default_times=True,
                default_model=hourly_eval[HOURLY_NO_DEFAULT_TIMES]["default_model"],
            ),
        }
        progress(STEPS[2])
        hotspot_eval = evaluate_hotspots(frame)
        progress(STEPS[3])
        as_of = latest_full_week_end(frame)
        forecaster = fit_forecaster(
            frame,
            as_of=as_of,
            model=hotspot_eval["default_model"],
            resolution=hotspot_eval["resolution"],
        )
        progress(STEPS[4])
        metadata = _metadata(manifest, hourly_eval, bundles, hotspot_eval, forecaster)
        version = registry.write_version(
            {
                HOURLY: bundles[HOURLY],
                HOURLY_NO_DEFAULT_TIMES: bundles[HOURLY_NO_DEFAULT_TIMES],
                HOTSPOTS: forecaster,
            },
            metadata,
        )
        if promote:
            registry.promote(version.version)
    return version


def _metadata(
    manifest: dict, hourly_eval: dict, bundles: dict, hotspot_eval: dict, forecaster
) -> dict:
    hotspot_default = hotspot_eval["default_model"]
    hotspot_metrics = hotspot_eval["models"][hotspot_default]["metrics"]
    hourly_default = hourly_eval[HOURLY]["default_model"]
    return {
        "data": {
            "dataset_id": manifest["dataset_id"],
            "source": manifest["source"],
            "source_sha256": manifest["source_sha256"],
            "synthetic": manifest["synthetic"],
            "date_range": manifest["date_range"],
            "rows": manifest["rows"],
        },
        "exclusions": load_exclusions().to_dict(),
        "parameters": {
            "hourly_interval_level": bundles[HOURLY].interval_level,
            "hotspot_resolution": forecaster.grid.resolution,
            "hotspot_share": hotspot_eval["share"],
            "hotspot_eval_weeks": len(hotspot_eval["eval_weeks"]),
            "forecast_as_of": forecaster.as_of.isoformat(),
        },
        "features": {
            **{
                f"{HOURLY}.{name}": model.feature_names
                for name, model in bundles[HOURLY].models.items()
            },
            **{
                f"hotspots.{name}": model["feature_names"]
                for name, model in hotspot_eval["models"].items()
            },
        },
        "evaluation": {**hourly_eval, "hotspots": hotspot_eval},
        "summary": {
            "hourly_default": hourly_default,
            "hourly_mae": hourly_eval[HOURLY]["models"][hourly_default]["mae"],
            "hotspot_default": hotspot_default,
            "hotspot_pai_5": hotspot_metrics["pai_5"]["mean"],
            "verdict": hotspot_eval["verdict"],
        },
    }
