"""What the Admin page calls: the administrator's actions (each checks the sign-in itself and
is audited, see `lacrime.ops.admin`), the background jobs they start, and the page's tables: a
new model version beside the one in use, and every stored version, in the words it shows."""

from collections.abc import Callable
from typing import Any

import pandas as pd

from lacrime.app.summaries import utc_time
from lacrime.data.exclusions import exclusion_choices as exclusion_choices
from lacrime.errors import LacrimeError
from lacrime.ops import audit, registry, serving
from lacrime.ops.admin import Preview as Preview
from lacrime.ops.admin import accept as accept
from lacrime.ops.admin import cancel as cancel
from lacrime.ops.admin import check_download as check_download
from lacrime.ops.admin import check_upload as check_upload
from lacrime.ops.admin import discard as discard
from lacrime.ops.admin import promote as promote
from lacrime.ops.admin import reingest_source as reingest_source
from lacrime.ops.admin import rollback as rollback
from lacrime.ops.admin import save_excluded_types as save_excluded_types
from lacrime.ops.admin import sign_in as sign_in
from lacrime.ops.admin import sign_out as sign_out
from lacrime.ops.admin import start_fetch as start_fetch
from lacrime.ops.admin import start_reingest as start_reingest
from lacrime.ops.admin import start_training as start_training
from lacrime.ops.audit import audit_path as audit_path
from lacrime.ops.auth import HASH_ENV as HASH_ENV
from lacrime.ops.auth import SECRET_KEY as SECRET_KEY
from lacrime.ops.auth import Gate as Gate
from lacrime.ops.auth import configured_hash as configured_hash
from lacrime.ops.jobs import FETCH as FETCH
from lacrime.ops.jobs import REINGEST as REINGEST
from lacrime.ops.jobs import RUNNING as RUNNING
from lacrime.ops.jobs import TRAIN as TRAIN
from lacrime.ops.jobs import TRAININGS as TRAININGS
from lacrime.ops.jobs import job_status as job_status
from lacrime.ops.jobs import latest_job as latest_job
from lacrime.ops.jobs import pending_version as pending_version
from lacrime.ops.serving import describe


def version_listing() -> list[dict]:
    """Every stored version, newest first, with whether it verifies and whether it was
    trained on the dataset in use (only those may be rolled back to)."""
    return serving.listing()


def audit_log(n: int = 50) -> list[dict]:
    """The newest `n` entries of the audit log, newest first."""
    return audit.latest(n)


def attempt(action: Callable[..., Any], *args: object, **kwargs: object) -> tuple[Any, str | None]:
    """Run an action: its result and no error, or no result and the one-line reason it was
    refused (a file that is not an export, a second training, a wrong password ...)."""
    try:
        return action(*args, **kwargs), None
    except LacrimeError as exc:
        return None, str(exc)


_SUMMARY_ROWS = {
    "Hourly default model": "hourly_default",
    "Hourly MAE on held-out weeks (crimes per hour)": "hourly_mae",
    "Hotspot default model": "hotspot_default",
    "Hotspot PAI at 5% of the area": "hotspot_pai_5",
    "Verdict": "verdict",
}


def comparison(current: registry.ModelVersion | None, new: registry.ModelVersion) -> pd.DataFrame:
    """The new version's evaluation summary beside the one in use: what promoting changes."""
    table = {"": [*_SUMMARY_ROWS, "Trained on"]}
    for title, version in ((f"In use ({_short(current)})", current), (f"New ({_short(new)})", new)):
        summary = version.metadata.get("summary") or {} if version else {}
        data = version.metadata.get("data") or {} if version else {}
        values = [_shown(summary.get(key)) for key in _SUMMARY_ROWS.values()]
        start, end = data.get("date_range") or ("?", "?")
        values.append(f"{data['rows']:,} reports, {start} to {end}" if data else "-")
        table[title] = values
    return pd.DataFrame(table)


def versions_table(rows: list[dict]) -> pd.DataFrame:
    """`serving.listing()` as the Admin page shows it: the caller lists once (each listing
    verifies every stored file) and also offers the valid rows for a rollback."""
    summaries = [r.get("summary") or {} for r in rows]
    return pd.DataFrame(
        {
            "Version": [r["id"] for r in rows],
            "Trained": [utc_time(r["created_at"]) for r in rows],
            "In use": ["yes" if r["is_current"] else "" for r in rows],
            "Trained on": [_trained_on(r) for r in rows],
            "Checks": ["ok" if r["valid"] else r["problem"] for r in rows],
            "Hourly model (MAE)": [
                f"{s.get('hourly_default', '?')} ({_shown(s.get('hourly_mae'))})" for s in summaries
            ],
            "Hotspot model (PAI at 5%)": [
                f"{s.get('hotspot_default', '?')} ({_shown(s.get('hotspot_pai_5'))})"
                for s in summaries
            ],
        }
    )


def _trained_on(row: dict) -> str:
    data = row.get("data")
    if not data:
        return "not recorded"
    trained = describe(data["dataset_id"], data["synthetic"], data["date_range"])
    return trained if row["serves_data_in_use"] else f"{trained}: other data than in use"


def _short(version: registry.ModelVersion | None) -> str:
    return version.version if version else "none"


def _shown(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.2f}"
    return "-" if value is None else str(value)
