"""Streamlit glue every page shares: first start, cached loaders, the page header with its
banners, the exclusions panel, and errors shown as messages rather than tracebacks.

Pages hold layout only. Caches are keyed on the dataset id and the model version id, so an
ingest or a retrain is picked up on the next page view without restarting the app.
"""

import datetime as dt
import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

import pandas as pd
import streamlit as st

from lacrime.app import first_start, summaries, tables
from lacrime.app import hotspots as hotspot_views
from lacrime.data import dataset
from lacrime.data.completeness import Completeness
from lacrime.data.exclusions import load_exclusions
from lacrime.errors import LacrimeError
from lacrime.hotspots.forecast import HotspotForecaster
from lacrime.hourly.counts import hourly_counts as count_hours
from lacrime.hourly.forecast import HourlyBundle
from lacrime.ops import registry, serving
from lacrime.ops.train import HOTSPOTS, HOURLY, HOURLY_NO_DEFAULT_TIMES, TrainingRecord, record_of

logger = logging.getLogger(__name__)

NO_MODEL = "No model trained yet: run `lacrime train`, or retrain from the Admin page."
SYNTHETIC_BANNER = (
    "Synthetic demo data: not real LAPD reports. Load the real data from the Admin page or "
    "with `lacrime ingest`/`lacrime fetch`."
)


def _current_dataset_id() -> str:
    dataset_id = dataset.dataset_id()
    if dataset_id is None:
        raise LacrimeError(
            "no dataset yet: run `lacrime ingest FILE`, `lacrime fetch` or `lacrime demo`"
        )
    return dataset_id


@st.cache_data(max_entries=4, show_spinner=False)
def _manifest(dataset_id: str) -> dict:
    return dataset.read_manifest(dataset_id)


@st.cache_resource(max_entries=2, show_spinner="Loading the dataset")
def _reports(dataset_id: str) -> pd.DataFrame:
    return dataset.load_dataset(dataset_id=dataset_id)


@st.cache_resource(max_entries=2, show_spinner="Checking the model files")
def _model(version_id: str | None) -> tuple[registry.ModelVersion | None, str | None]:
    return registry.load_or_fallback(version_id)


def current_dataset_id() -> str:
    """The id of the dataset in use, the key of every per-dataset cache."""
    return _current_dataset_id()


def manifest_of(dataset_id: str) -> dict:
    """A dataset's manifest, shared by sessions (for caches keyed on the dataset id)."""
    return _manifest(dataset_id)


def reports_of(dataset_id: str) -> pd.DataFrame:
    """A dataset's reports, one copy shared by sessions: never modify it in place."""
    return _reports(dataset_id)


def manifest() -> dict:
    """The current dataset's manifest (source, rows, cleaning report, exclusions applied)."""
    return _manifest(_current_dataset_id())


def reports() -> pd.DataFrame:
    """The current cleaned dataset, one copy shared by all sessions: never modify it in place."""
    return _reports(_current_dataset_id())


def model_version() -> tuple[registry.ModelVersion | None, str | None]:
    """The model version in use (or the fallback) and a warning when it is not the current one."""
    return _model(registry.current_version_id())


@st.cache_resource(max_entries=8, show_spinner="Loading the models")
def _artifact(version_id: str, name: str) -> object:
    return registry.load_artifact(registry.open_version(version_id), name)


def _artifact_in_use(name: str) -> object:
    """A verified artifact of the version in use, shared by sessions.

    Cached per version, so a promotion or rollback switches every page at its next run.
    """
    version, _ = model_version()
    if version is None:
        raise LacrimeError("no model trained yet: run `lacrime train` or retrain from Admin")
    return _artifact(version.version, name)


def hourly_bundle(exclude_default_times: bool) -> HourlyBundle:
    """The hourly models of the version in use, trained with or without the default times."""
    return _artifact_in_use(HOURLY_NO_DEFAULT_TIMES if exclude_default_times else HOURLY)


def stored_forecaster() -> HotspotForecaster:
    """The hotspot forecast trained with the version in use: its default model, all crime
    groups, the week after the latest full week of the data."""
    return _artifact_in_use(HOTSPOTS)


@st.cache_resource(max_entries=4, show_spinner=False)
def _record(version_id: str, _version: registry.ModelVersion) -> TrainingRecord:
    return record_of(_version)


def record() -> TrainingRecord | None:
    """What the version in use was trained on and how its models did; None before training.

    Shared by sessions (never modify it), read from the version already verified."""
    version, _ = model_version()
    return None if version is None else _record(version.version, version)


def page_header(title: str, caption: str, *, data_line: bool = True) -> dict:
    """Title, what the page is for, the synthetic-data banner and the data's date range and
    freshness in small print; returns the manifest so the page need not load it again.

    `data_line=False` leaves the small print for the page to show lower down
    (`dataset_caption`), as the map page does to keep its map above the fold."""
    st.title(title)
    st.caption(caption)
    current = manifest()
    if current["synthetic"]:
        st.warning(SYNTHETIC_BANNER, icon=":material/science:")
    if data_line:
        dataset_caption(current)
    return current


def dataset_caption(manifest: dict) -> None:
    """The data's date range and freshness in small print."""
    st.caption(summaries.dataset_line(manifest, dt.date.today()))


def sources_block(manifest: dict) -> None:
    """Where each area's reports come from and the day it switched to NIBRS: the one block
    Overview and Data & fairness both show."""
    st.subheader("Sources, and each area's switch to NIBRS")
    st.caption(
        "From 2024-03-07 LAPD moved to a NIBRS-based records system, Central Bureau first and "
        "the other bureaus over about two months; the legacy data stopped. For each area the "
        "tool finds the day its legacy reports stop being complete and takes NIBRS reports from "
        "that day on. Days that neither source reports completely are left out of the models' "
        "training and evaluation, so that no forecast learns the drop."
    )
    show_table(summaries.sources_by_area(manifest))


def show_model_version() -> registry.ModelVersion | None:
    """One line on the model in use, with the registry's warning if it fell back to an older one.

    None, once the page has said why, when there is no model, or when the one in use was
    trained on other data than the dataset in use (after an ingest, until a retrain): a page
    showing predictions then stops, since they would be shown over data they did not learn.
    """
    version, warning = model_version()
    if warning:
        st.warning(warning, icon=":material/warning:")
    if version is None:
        if first_start.running():
            first_start.training_progress()
        else:
            st.info(NO_MODEL)
        return None
    trained = summaries.utc_time(version.metadata.get("created_at"))
    st.markdown(f"Model version `{version.version}`, trained {trained}.")
    stale = serving.mismatch(version, manifest())
    if stale:
        st.warning(
            f"The model is stale: {stale}. Its forecasts are hidden until the models are "
            "retrained on the dataset in use: Retrain on the Admin page, or run `lacrime train`.",
            icon=":material/update:",
        )
        return None
    return version


def show_table(frame: pd.DataFrame, percent: tuple[str, ...] = ()) -> None:
    """A small static table (`tables.markdown_table`): whole numbers with thousands
    separators, the named columns as percentages, text shown as is."""
    st.markdown(tables.markdown_table(frame, percent))


def exclusions_details() -> None:
    """The excluded columns and crime types of the current dataset, each with its reason and
    how many reports it removed."""
    current = manifest()
    applied = current["exclusions"]
    columns = ", ".join(f"`{c}`" for c in applied["columns"])
    st.markdown(f"**Columns never read:** {columns}. {applied['columns_reason']}")
    table = summaries.exclusion_summary(current)
    st.markdown(
        f"**Crime types left out of every model, forecast and map:** "
        f"{table['Reports removed'].sum():,} reports in this dataset. Each rule matches the crime "
        "description (legacy `Crm Cd Desc`, NIBRS `nibr_description`) or, where it says so, the "
        "NIBRS offence code or what the offence is against; a NIBRS report counts unless every "
        "one of its offences is left out."
    )
    show_table(table)
    if exclusions_stale(current):
        st.info(
            "The exclusion list was edited after this dataset was ingested: the table shows "
            "the list that was applied. Ingest the data again to apply the new list.",
            icon=":material/info:",
        )


def exclusions_stale(manifest: dict) -> bool:
    """Whether the exclusion list was edited after this dataset was ingested with it."""
    return summaries.exclusions_changed(manifest["exclusions"], load_exclusions().to_dict())


def exclusions_expander() -> None:
    """The 'What was left out and why' panel that every page showing a prediction includes."""
    with st.expander("What was left out and why", icon=":material/balance:"):
        exclusions_details()


def show_error(exc: Exception) -> None:
    """A user's problem as one line with the way forward; a bug as a short notice, its
    traceback in the server log rather than on the page."""
    if isinstance(exc, LacrimeError):
        st.error(str(exc), icon=":material/error:")
        return
    logger.error("page failed", exc_info=exc)
    st.error(
        f"This page could not be shown because of an unexpected problem "
        f"({type(exc).__name__}). The details are in the server log; please report them.",
        icon=":material/error:",
    )


def lazy_tabs(sections: Mapping[str, Callable[[], None]], key: str) -> None:
    """Tabs of which only the open one is computed and sent, so a page opens without drawing
    every section's charts; the open tab is kept in the URL under `key`, for sharing."""
    tabs = st.tabs(list(sections), key=key, on_change="rerun", bind="query-params")
    for tab, section in zip(tabs, sections.values(), strict=True):
        if tab.open:
            with tab:
                section()


@contextmanager
def guard() -> Iterator[None]:
    """Run a page (or part of one) so that any failure becomes a message via `show_error`."""
    try:
        yield
    except Exception as exc:
        show_error(exc)


@st.cache_resource(max_entries=6, show_spinner="Training the hotspot model for this choice")
def _hotspot_forecaster(
    dataset_id: str, version_id: str, as_of: dt.date, model: str, group: str | None, resolution: int
) -> HotspotForecaster:
    return hotspot_views.fit_for(
        _reports(dataset_id),
        as_of=as_of,
        model=model,
        group=group,
        resolution=resolution,
        completeness=Completeness.from_manifest(_manifest(dataset_id)),
    )


def hotspot_forecaster(as_of: dt.date, model: str, group: str | None) -> HotspotForecaster:
    """The hotspot forecaster for a week, model and crime group: the version's stored one when it
    matches (no training), else one trained on demand, shared by sessions so that switching back
    is instant, and keyed on the dataset and version so that a retrain replaces it."""
    stored = stored_forecaster()
    if (as_of, model, group) == (stored.as_of, stored.model.name, None):
        return stored
    version, _ = model_version()
    return _hotspot_forecaster(
        _current_dataset_id(), version.version, as_of, model, group, stored.grid.resolution
    )


@st.cache_data(max_entries=32, show_spinner=False)
def _hourly_counts(
    dataset_id: str, area: str | None, crime_group: str | None, exclude_default_times: bool
) -> pd.DataFrame:
    return count_hours(
        _reports(dataset_id),
        area=area,
        crime_group=crime_group,
        exclude_default_times=exclude_default_times,
        completeness=Completeness.from_manifest(_manifest(dataset_id)),
    )


def hourly_counts(
    area: str | None, crime_group: str | None, exclude_default_times: bool
) -> pd.DataFrame:
    """Reports per date and hour for an area and crime group, counted once per dataset: picking
    another weekday, season or hour then costs nothing."""
    return _hourly_counts(_current_dataset_id(), area, crime_group, exclude_default_times)


def linked_selectbox(
    where: object,
    label: str,
    options: list,
    *,
    key: str,
    default: object,
    to_id: Callable[[object], str],
    **kwargs: object,
) -> object:
    """A selectbox whose choice a shared link carries as its id (`to_id`: a week's ISO date, a
    model's code name) rather than the label shown, which Streamlit's own URL binding would
    carry and which changes with the wording. The id sits under `key` in the URL, absent for
    the `default`; an unknown id in a link is ignored."""
    ids = [to_id(option) for option in options]
    if key not in st.session_state or st.session_state[key] not in options:
        wanted = st.query_params.get(key)
        st.session_state[key] = options[ids.index(wanted)] if wanted in ids else default

    def remember() -> None:
        chosen = st.session_state[key]
        if chosen == default:
            st.query_params.pop(key, None)
        else:
            st.query_params[key] = to_id(chosen)

    return where.selectbox(label, options, key=key, on_change=remember, **kwargs)
