"""The dashboard's entry point (`streamlit run app.py`): page settings, navigation, first start.

Every page runs inside `ui.guard`, so a failure shows as a message, never as a traceback.
The page files live in `app_pages/`, not `pages/`: Streamlit treats a `pages/` directory as the
old multipage layout until `st.navigation` has run once in the process, so a first visitor's
deep link (say `/data_fairness`) would run that page bare, without this script.
"""

import streamlit as st

from lacrime.app import first_start, ui

st.set_page_config(page_title="lacrime", page_icon=":material/query_stats:", layout="wide")

PAGES = [
    st.Page("app_pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
    st.Page("app_pages/hourly_forecast.py", title="Hourly forecast", icon=":material/schedule:"),
    st.Page("app_pages/hotspot_map.py", title="Hotspot map", icon=":material/map:"),
    st.Page("app_pages/area.py", title="Area", icon=":material/location_city:"),
    st.Page("app_pages/model_comparison.py", title="Model comparison", icon=":material/compare:"),
    st.Page("app_pages/data_fairness.py", title="Data & fairness", icon=":material/balance:"),
    st.Page("app_pages/admin.py", title="Admin", icon=":material/admin_panel_settings:"),
]

page = st.navigation(PAGES)
with ui.guard():
    first_start.prepare()
    page.run()
