"""Which model version may serve the dataset in use: only one trained on that very data.

A version records the dataset it was trained on (`train.TrainedOn`, with its content key,
`dataset.data_key`). Promoting or rolling back to a version of other data is refused, and
after an ingest of other data the version in use is stale: pages hide its forecasts and say
why until a retrain, so a forecast is never shown over data it was not trained on.
"""

from dataclasses import dataclass

from lacrime.data.dataset import data_key, has_dataset, read_manifest
from lacrime.errors import LacrimeError
from lacrime.ops import registry
from lacrime.records import from_json

RETRAIN = "retrain on it (`lacrime train`, or Retrain on the Admin page)"


@dataclass(frozen=True)
class TrainedOn:
    """The dataset a version was trained on, as its metadata records it."""

    dataset_id: str
    data_key: str
    source: str
    source_sha256: str
    synthetic: bool
    date_range: list[str]
    rows: int


def dataset_of(manifest: dict) -> TrainedOn:
    """What a version trained on the dataset of `manifest` records of it."""
    return TrainedOn(
        dataset_id=manifest["dataset_id"],
        data_key=data_key(manifest),
        source=manifest["source"],
        source_sha256=manifest["source_sha256"],
        synthetic=manifest["synthetic"],
        date_range=manifest["date_range"],
        rows=manifest["rows"],
    )


def trained_on(version: registry.ModelVersion) -> TrainedOn:
    """The dataset a version was trained on, from its metadata."""
    try:
        return from_json(TrainedOn, version.metadata["data"])
    except (KeyError, TypeError):
        raise LacrimeError(
            f"model version {version.version} does not record the dataset it was trained on; "
            "retrain with `lacrime train`"
        ) from None


def describe(dataset_id: str, synthetic: bool, date_range: list[str]) -> str:
    """A dataset as a reader tells it apart: its id, whether it is real, its dates."""
    kind = "synthetic demo" if synthetic else "LAPD reports"
    return f"{dataset_id} ({kind}, {date_range[0]} to {date_range[1]})"


def mismatch(version: registry.ModelVersion, manifest: dict) -> str | None:
    """Why `version` may not serve the dataset of `manifest`, in a clause; None if it may."""
    trained = trained_on(version)
    if trained.data_key == data_key(manifest):
        return None
    return (
        f"model version {version.version} was trained on dataset "
        f"{describe(trained.dataset_id, trained.synthetic, trained.date_range)}, not on the "
        "dataset in use, "
        f"{describe(manifest['dataset_id'], manifest['synthetic'], manifest['date_range'])}"
    )


def check(version_id: str, manifest: dict | None = None) -> registry.ModelVersion:
    """The version, verified, once it is known to have been trained on the dataset of
    `manifest` (by default the one in use)."""
    version = registry.open_version(version_id)
    reason = mismatch(version, manifest or read_manifest())
    if reason:
        raise LacrimeError(
            f"{reason}; nothing was changed: {RETRAIN}, or ingest that dataset's source again "
            "to serve this version"
        )
    return version


def promote(version_id: str) -> None:
    """Make a version the one in use, refusing one trained on other data."""
    check(version_id)
    registry.promote(version_id)


def rollback(version_id: str) -> None:
    """Roll back (or forward) to a stored version, refusing one trained on other data."""
    registry.require_stored(version_id)
    promote(version_id)


def listing() -> list[dict]:
    """Every stored version (`registry.list_versions`), each with `serves_data_in_use`: whether
    it was trained on the dataset in use, so may be promoted or rolled back to."""
    key = data_key(read_manifest()) if has_dataset() else None
    return [
        {**row, "serves_data_in_use": (row.get("data") or {}).get("data_key") == key}
        for row in registry.list_versions()
    ]
