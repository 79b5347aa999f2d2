"""Hotspot map: built with the models; until then the page says so."""

import streamlit as st

from lacrime import ui

ui.page_header("Hotspot map", "Which map cells are likely hotspots next week.")
st.info("This page arrives with the models: it is not built yet.", icon=":material/construction:")
