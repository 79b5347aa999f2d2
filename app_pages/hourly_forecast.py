"""Hourly forecast: built with the models; until then the page says so."""

import streamlit as st

from lacrime import ui

ui.page_header(
    "Hourly forecast", "How many crimes to expect by season, weekday and hour, with the spread."
)
st.info("This page arrives with the models: it is not built yet.", icon=":material/construction:")
