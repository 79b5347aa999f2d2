"""Admin: refresh the data, retrain and promote the models, edit the exclusion list; behind a
sign-in.

Layout only. Every action is a function of `lacrime.app.admin` (from `lacrime.ops.admin`)
that checks the sign-in again itself and writes the audit log.
"""

from collections.abc import Callable

import streamlit as st

from lacrime.app import admin, summaries, ui

NO_PASSWORD = (
    "Admin actions are off: no administrator password is set. To turn them on, run "
    "`lacrime set-admin-password` on the server, then reload this page. (Or set the "
    f"environment variable `{admin.HASH_ENV}`, or `{admin.SECRET_KEY}` in "
    "`.streamlit/secrets.toml`, to the hash that command writes.)"
)
POLL_S = 2

manifest = ui.page_header(
    "Admin", "Refresh the data, retrain the models and edit the exclusion list."
)
address = st.context.ip_address
gate = admin.Gate(st.session_state, client=address if isinstance(address, str) else None)


def sign_in_form(encoded: str) -> None:
    notice = gate.notice()
    if notice:
        st.info(notice, icon=":material/timer_off:")
    with st.form("admin_sign_in", clear_on_submit=True):
        password = st.text_input("Administrator password", type="password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        attempt = admin.sign_in(gate, password, encoded)
        if attempt.ok:
            st.rerun()
        st.error(attempt.message, icon=":material/lock:")
    elif gate.locked_for() > 0:
        st.error(gate.locked_message(), icon=":material/lock:")


def signed_in_bar() -> None:
    left, right = st.columns([5, 1], vertical_alignment="center")
    minutes = round(gate.idle_timeout_s / 60)
    left.caption(
        f"Signed in as administrator (session `{gate.session}`). You are signed out after "
        f"{minutes} minutes without activity. Every action is recorded in the audit log."
    )
    if right.button("Sign out", icon=":material/logout:", width="stretch"):
        drop_upload_preview()
        admin.sign_out(gate)
        for key in [k for k in st.session_state if str(k).startswith("admin_")]:
            del st.session_state[key]
        st.rerun()


def checked(source_id: str, check: Callable[[], admin.Preview]) -> dict:
    """A source's preview (read, validated and cleaned), or the one-line reason it was refused,
    remembered under the source's id so a rerun does not read the file again."""
    preview, error = admin.attempt(check)
    return {"id": source_id, "error": error} if error else {"id": source_id, "preview": preview}


def act(action, *args, success: str | None = None, **kwargs) -> object:
    """Run an admin action, showing a refusal as its one-line message."""
    result, error = admin.attempt(action, gate, *args, **kwargs)
    if error:
        st.error(error, icon=":material/error:")
        return None
    if success:
        st.toast(success, icon=":material/check_circle:")
    return result


def preview_panel(key: str, preview: admin.Preview) -> None:
    """The cleaning report of a file not yet in use, and the choice to use it or not."""
    report = preview.report
    st.markdown(f"**Preview of `{preview.name}`**: nothing has changed yet.")
    columns = st.columns(5)
    columns[0].metric("Rows read", f"{report['rows_in']:,}")
    columns[1].metric("Rows removed", f"{report['rows_in'] - report['rows_out']:,}")
    columns[2].metric("Rows kept", f"{report['rows_out']:,}")
    columns[3].metric("First day", report["date_range"][0])
    columns[4].metric("Last day", report["date_range"][1])
    ui.show_table(summaries.cleaning_steps(report))
    for warning in report["flags"].get("warnings", []):
        st.warning(warning, icon=":material/warning:")
    buttons = st.container(horizontal=True)
    if buttons.button("Accept: make it the dataset in use", key=f"{key}_accept", type="primary"):
        with st.spinner("Ingesting: validating, cleaning and swapping the dataset in"):
            manifest = act(admin.accept, preview)
        if manifest:
            st.session_state[key] = {"id": st.session_state[key]["id"], "done": manifest}
            st.rerun()
    if buttons.button("Cancel", key=f"{key}_cancel"):
        act(admin.cancel, preview)
        st.session_state[key] = {"id": st.session_state[key]["id"], "cancelled": True}
        st.rerun()


def outcome_panel(key: str) -> None:
    state = st.session_state.get(key) or {}
    if "error" in state:
        st.error(state["error"], icon=":material/error:")
    elif "done" in state:
        done = state["done"]
        st.success(
            f"Dataset `{done['dataset_id']}` is in use: {done['rows']:,} reports from "
            f"{done['date_range'][0]} to {done['date_range'][1]}. Retrain on the Models tab so "
            "that the forecasts use it.",
            icon=":material/check_circle:",
        )
    elif "preview" in state:
        preview_panel(key, state["preview"])


def drop_upload_preview() -> None:
    """Remove the copy of an upload that was previewed but neither accepted nor cancelled."""
    state = st.session_state.pop("admin_upload_state", None) or {}
    if "preview" in state:
        act(admin.cancel, state["preview"])


def data_tab() -> None:
    st.subheader("Dataset in use")
    st.markdown(
        f"Dataset `{manifest['dataset_id']}` from `{manifest['source']}`: {manifest['rows']:,} "
        f"reports, {manifest['date_range'][0]} to {manifest['date_range'][1]}."
    )

    st.subheader("Upload an LAPD export")
    limit_mb = st.get_option("server.maxUploadSize")
    uploaded = st.file_uploader(
        f"The portal's CSV, the same re-saved by Excel, gzip, zip or Parquet; up to {limit_mb} MB",
        key="admin_upload",
    )
    previous = st.session_state.get("admin_upload_state") or {}
    if uploaded is None or previous.get("id") != uploaded.file_id:
        drop_upload_preview()
    if uploaded is not None and previous.get("id") != uploaded.file_id:
        with st.spinner(f"Reading and cleaning {uploaded.name}"):
            state = checked(
                uploaded.file_id,
                lambda: admin.check_upload(
                    gate, uploaded.name, uploaded, max_bytes=limit_mb * 2**20
                ),
            )
        st.session_state["admin_upload_state"] = state
    if uploaded is not None:
        outcome_panel("admin_upload_state")

    st.subheader("Bring the data up to date from the portal")
    job = admin.latest_job(admin.FETCH)
    if job and job["state"] in admin.RUNNING:
        download_progress(job["job_id"])
        return
    st.caption(
        "As `lacrime fetch` does, in the background: the frozen legacy archive once (about "
        "250 MB), then the NIBRS offenses reported since the latest one held. You see the "
        "cleaning report and choose whether to use it before anything changes."
    )
    if st.button("Download from the portal", icon=":material/download:") and act(admin.start_fetch):
        st.rerun()
    if not job or job.get("resolution"):
        return
    if job["state"] == "failed":
        st.error(job["error"], icon=":material/error:")
        return
    state = st.session_state.get("admin_fetch_state") or {}
    if state.get("id") != job["job_id"]:
        with st.spinner("Reading and cleaning the download"):
            state = checked(job["job_id"], lambda: admin.check_download(gate, job))
        st.session_state["admin_fetch_state"] = state
    outcome_panel("admin_fetch_state")


@st.fragment(run_every=POLL_S)
def download_progress(job_id: str) -> None:
    with ui.guard():
        job = admin.job_status(job_id)
        if job["state"] not in admin.RUNNING or not gate.signed_in():
            st.rerun(scope="app")
        st.progress(0.0, text=f"Downloading from the portal: {job.get('detail', 'starting')}")
        st.caption("You can leave this page; the download goes on.")


@st.fragment(run_every=POLL_S)
def training_progress(job_id: str) -> None:
    with ui.guard():
        job = admin.job_status(job_id)
        if job["state"] not in admin.RUNNING or not gate.signed_in():
            st.rerun(scope="app")
        number, count = job.get("step_number", 0), job.get("step_count", 1)
        step = job.get("step", "starting the training process")
        st.progress(
            max(number - 1, 0) / count,
            text=f"Training in the background, step {max(number, 1)} of {count}: {step}",
        )
        st.caption(
            f"Started {summaries.utc_time(job.get('created_at'))} (job `{job['job_id']}`). "
            "Every page keeps showing the model in use until a new one is promoted."
        )


def models_tab() -> None:
    st.subheader("Model in use")
    ui.show_model_version()
    current, _ = ui.model_version()

    st.subheader("Retrain")
    job = admin.latest_job(*admin.TRAININGS)
    running = bool(job and job["state"] in admin.RUNNING)
    if running:
        training_progress(job["job_id"])
    elif job and job["state"] == "failed" and not job.get("resolution"):
        st.error(f"The last training failed: {job['error']}", icon=":material/error:")
    st.caption(
        "Training runs in its own process on the dataset in use and registers a new version; "
        "users keep seeing the current one until you promote the new one."
    )
    retrain = st.button(
        "Retrain on the dataset in use", icon=":material/model_training:", disabled=running
    )
    if retrain and act(admin.start_training):
        st.rerun()

    new = admin.pending_version(job)
    if new is not None:
        st.markdown(f"**New version `{new.version}` is ready.** Compare it with the one in use:")
        ui.show_table(admin.comparison(current, new))
        buttons = st.container(horizontal=True)
        if buttons.button("Promote: make it the version in use", type="primary"):
            act(admin.promote, new.version, job["job_id"], success=f"{new.version} is in use")
            st.rerun()
        if buttons.button("Discard"):
            act(admin.discard, new.version, job["job_id"], success=f"{new.version} was deleted")
            st.rerun()

    st.subheader("Versions")
    versions = admin.version_listing()
    table = admin.versions_table(versions)
    if table.empty:
        st.info("No model versions yet.")
        return
    ui.show_table(table)
    pending = new.version if new else None
    choices = [
        v["id"]
        for v in versions
        if v["valid"] and v["serves_data_in_use"] and not v["is_current"] and v["id"] != pending
    ]
    if choices:
        left, right = st.columns([3, 2], vertical_alignment="bottom")
        chosen = left.selectbox("Roll back (or forward) to another stored version", choices)
        if right.button("Make this version the one in use", icon=":material/history:"):
            act(admin.rollback, chosen, success=f"{chosen} is in use")
            st.rerun()


def exclusions_tab() -> None:
    options, selected = admin.exclusion_choices(manifest, ui.reports()["crm_cd_desc"].unique())
    st.markdown(
        "Crime types on this list are left out of every model, forecast and map because their "
        "reports mostly show where police look. The choices are the crime types of the dataset "
        "in use and those its ingest left out."
    )
    with st.form("admin_exclusions"):
        chosen = st.multiselect("Crime types left out", options, default=selected)
        reason = st.text_input(
            "Why the newly added types are left out (required when you add one)",
            placeholder="e.g. reports follow enforcement operations rather than victims",
        )
        saved = st.form_submit_button("Save the list", type="primary")
    if saved and act(admin.save_excluded_types, options, chosen, reason, success="List saved"):
        st.rerun()
    if not ui.exclusions_stale(manifest):
        return
    st.info(
        "The saved list differs from the one the dataset in use was cleaned with. It applies "
        "from the next ingest and training: re-ingest the data, then retrain and promote.",
        icon=":material/info:",
    )
    source = admin.reingest_source(manifest)
    if source is None:
        st.markdown(
            f"The dataset's source (`{manifest['source']}`) is not a file on this server any "
            "more, so it cannot be re-ingested from here: upload the export again on the Data "
            "tab (or run `lacrime ingest FILE` or `lacrime demo`), then retrain."
        )
    elif st.button(
        f"Re-ingest {', '.join(f'`{p.name}`' for p in source[0])} with the new list, then retrain"
    ) and act(admin.start_reingest, *source):
        st.rerun()


def audit_tab() -> None:
    entries = admin.audit_log(50)
    if not entries:
        st.info("No admin actions recorded yet.")
        return
    st.caption(f"The latest {len(entries)} entries, newest first, from `{admin.audit_path()}`.")
    st.dataframe(
        entries,
        hide_index=True,
        width="stretch",
        column_config={
            "at": "When (UTC)",
            "who": "Who",
            "session": "Session",
            "client": "Client address",
            "action": "Action",
            "outcome": "Outcome",
            "detail": st.column_config.TextColumn("Detail", width="large"),
        },
    )


configured = admin.configured_hash(st.secrets)
if configured is None:
    st.warning(NO_PASSWORD, icon=":material/lock:")
elif not gate.signed_in():
    sign_in_form(configured[0])
else:
    gate.touch()
    signed_in_bar()
    data, models, exclusions, log = st.tabs(["Data", "Models", "Exclusions", "Audit log"])
    with data:
        data_tab()
    with models:
        models_tab()
    with exclusions:
        exclusions_tab()
    with log:
        audit_tab()
