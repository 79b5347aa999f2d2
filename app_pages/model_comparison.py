"""Model comparison: built with the models; until then the page says so."""

import streamlit as st

from lacrime import ui

ui.page_header(
    "Model comparison",
    "How each model did on weeks it had not seen, and what that costs each LAPD area.",
)
st.info("This page arrives with the models: it is not built yet.", icon=":material/construction:")
