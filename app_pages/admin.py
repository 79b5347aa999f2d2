"""Admin: data refresh, retraining and the exclusion list, behind a sign-in (not built yet)."""

import streamlit as st

from lacrime import ui

ui.page_header("Admin", "Refresh the data, retrain the models and edit the exclusion list.")
st.info(
    "Administrator sign-in will appear here. Admin actions are not yet available on this page; "
    "until they are, use the command line: `lacrime ingest FILE` or `lacrime fetch` to load "
    "the real data, `lacrime demo` for synthetic data.",
    icon=":material/lock:",
)
