"""Data & fairness: what is left out and why, and the data-quality problems raw counts hide."""

import streamlit as st

from lacrime import charts, summaries, ui

manifest = ui.page_header(
    "Data & fairness",
    "What every model leaves out and why, and the data-quality problems to keep in mind when "
    "reading the forecasts.",
)
flags = manifest["report"]["flags"]

st.header("What was left out and why")
ui.exclusions_details()

st.header("Time heaping")
st.markdown(
    "Officers record an unknown time of day as 12:00 or 00:01, and many times are rounded to "
    "the hour. These default times fake a noon and a midnight peak, so hourly forecasts near "
    "those hours are less trustworthy than elsewhere."
)
columns = st.columns(3)
columns[0].metric(
    "At exactly 12:00",
    f"{flags['share_time_1200']:.1%}",
    help="Share of reports whose time of occurrence (TIME OCC) is 1200.",
)
columns[1].metric(
    "At exactly 00:01",
    f"{flags['share_time_0001']:.1%}",
    help="Share of reports whose time of occurrence (TIME OCC) is 0001.",
)
columns[2].metric(
    "On a whole hour",
    f"{flags['share_whole_hour']:.1%}",
    help="Share of reports whose time of occurrence ends in :00 (an even spread gives 1.7%).",
)
frame = ui.reports()
left, right = st.columns(2)
with left:
    st.plotly_chart(charts.hour_chart(summaries.hour_profile(frame)))
    st.caption(
        "Reports per hour of occurrence. Reports at exactly 12:00 or 00:01 are drawn apart, "
        "so the rest of the noon and midnight bars can be compared with their neighbours."
    )
with right:
    st.plotly_chart(charts.minute_chart(summaries.minute_profile(frame)))
    st.caption(
        "Reports per minute past the hour. Real times would spread evenly; the spikes at :00, "
        ":30, :15 and :45 are times rounded by whoever wrote the report."
    )

st.header("Incomplete recent weeks")
weeks = summaries.incomplete_weeks(flags)
if weeks.empty:
    st.success("No recent week is flagged: each has at least 85% of a typical week's reports.")
else:
    st.warning(
        "These recent weeks have under 85% of a typical week's reports. Crimes are often "
        "reported days after they happen, so these weeks are probably still filling in: "
        "their drop is not a real decline.",
        icon=":material/warning:",
    )
    ui.show_table(weeks, percent=("Share of a typical week",))
st.plotly_chart(charts.weekly_chart(summaries.weekly_trend(ui.reports(), flags)))
st.caption(
    "Reports per full week of occurrence; flagged weeks in their own colour. A typical week is "
    "the median full week before the four most recent (of all full weeks, when there are eight "
    "or fewer)."
)

st.header("Reporting lag")
lag = flags["reporting_lag_days"]
columns = st.columns(3)
columns[0].metric("Median", f"{lag['median']:g} days", help="Half of the reports came faster.")
columns[1].metric("90th percentile", f"{lag['p90']:g} days", help="9 in 10 came faster.")
columns[2].metric("99th percentile", f"{lag['p99']:g} days", help="99 in 100 came faster.")
st.plotly_chart(charts.lag_chart(summaries.lag_distribution(flags)))
st.caption(
    "Days from the date a crime occurred (DATE OCC) to the date it was reported (Date Rptd). "
    "The longer the lag, the longer the most recent weeks keep growing after the data is "
    "downloaded."
)

with st.expander("How missing values are handled", icon=":material/rule:"):
    st.markdown(
        "A missing value in a required column drops the row (counted in the cleaning report on "
        "the Overview page); an optional column's missing value is kept as 'not recorded' or "
        "filled with a stated value."
    )
    ui.show_table(summaries.null_policy(manifest["report"]))
