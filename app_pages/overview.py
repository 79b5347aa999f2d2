"""Overview: what the tool is for, the data and model in use, and the key figures."""

import datetime as dt

import streamlit as st

from lacrime.app import charts, summaries, ui

manifest = ui.page_header(
    "Overview", "What this tool is for, the data and model in use, and the key figures."
)
report = manifest["report"]
flags = report["flags"]

st.markdown(
    "This dashboard helps the City of Los Angeles plan where and when to put public-safety "
    "resources. It forecasts how many crimes to expect in a given hour and which map cells are "
    "likely hotspots next week, from the Los Angeles Police Department's public crime reports. "
    "Crime types that mostly reflect where police look are left out, and victims' "
    "demographics are never used."
)

st.header("Dataset in use")
start, end = manifest["date_range"]
columns = st.columns(4)
columns[0].metric(
    "Reports", f"{manifest['rows']:,}", help="Crime reports kept after cleaning and exclusions."
)
columns[1].metric("First day", start, help="Earliest date of occurrence (DATE OCC).")
columns[2].metric("Last day", end, help="Latest date of occurrence (DATE OCC).")
columns[3].metric(
    "Days since the last report",
    f"{summaries.days_since(end, dt.date.today()):,}",
    help="Days from the latest date of occurrence to today: how stale the data is.",
)
kind = "synthetic demo data" if manifest["synthetic"] else "real LAPD reports"
st.caption(
    f"Source: {manifest['source']}, {kind}. Ingested "
    f"{summaries.utc_time(manifest.get('ingested_at'))} as dataset `{manifest['dataset_id']}`; "
    f"{manifest['areas']} LAPD areas."
)
for warning in flags.get("warnings", []):
    st.warning(warning, icon=":material/warning:")
ui.sources_block(manifest)

st.header("Model in use")
ui.show_model_version()

st.header("Key figures")
frame = ui.reports()
st.subheader("Crimes per day")
st.plotly_chart(charts.daily_chart(summaries.daily_counts(frame)))
st.caption(
    "Reports per day of occurrence (DATE OCC), after cleaning and exclusions, with a centred "
    "7-day mean. The last days undercount: reports of them are still coming in."
)

st.subheader("Weekly trend")
st.plotly_chart(charts.weekly_chart(summaries.weekly_trend(frame, flags)))
st.caption(
    "Reports per full Monday-to-Sunday week of occurrence; partial weeks at either end are "
    "left out. A recent week with under 85% of a typical week's reports is marked: reports "
    "of it are probably still coming in, so its drop is not a real decline."
)

st.subheader("Top crime categories")
left, right = st.columns([2, 3])
with left:
    st.plotly_chart(charts.top_chart(summaries.top_counts(frame, "crime_group"), "crime group"))
    st.caption(
        "Reports per crime group: LAPD's crime descriptions grouped into the families "
        "planners filter by."
    )
with right:
    st.plotly_chart(
        charts.top_chart(summaries.top_counts(frame, "crm_cd_desc", 10), "crime description")
    )
    st.caption("The ten most reported crime descriptions (LAPD's `Crm Cd Desc`).")

st.header("How the data was cleaned")
st.markdown(
    f"Of **{report['rows_in']:,}** rows read, **{report['rows_out']:,}** were kept. Each step "
    "below removes rows for one reason."
)
ui.show_table(summaries.cleaning_steps(report))
ui.exclusions_expander()
