"""Hourly forecast: how many crimes to expect in one hour of a kind of day, with the spread.

The choices live in the URL (season, weekday, hour, area, group, model, default times): each
control is bound to its query parameter, so a planner can share a view as a link.
"""

import streamlit as st

from lacrime.app import charts, ui
from lacrime.app import hourly as hourly_view

ui.page_header(
    "Hourly forecast",
    "How many crimes to expect in one clock hour of a kind of day, by season, weekday and "
    "hour, city-wide or for one LAPD area or crime group, with the range such hours fall in.",
)
if ui.show_model_version() is None:
    st.stop()

bundles = {leave_out: ui.hourly_bundle(leave_out) for leave_out in (False, True)}
kept = bundles[False]

left, middle, right = st.columns([1, 1, 2])
season = left.selectbox(
    "Season",
    hourly_view.SEASONS,
    index=hourly_view.SEASONS.index(hourly_view.latest_season(kept)),
    key="hourly_season",
    bind="query-params",
    format_func=str.capitalize,
    help="The season of the latest data by default. A season not in the data is forecast "
    "from the seasons that are, and the page says so.",
)
weekday = middle.selectbox(
    "Weekday",
    hourly_view.WEEKDAYS,
    index=hourly_view.WEEKDAYS.index(hourly_view.DEFAULT_WEEKDAY),
    key="hourly_weekday",
    bind="query-params",
)
hour = right.slider(
    "Hour",
    0,
    23,
    hourly_view.DEFAULT_HOUR,
    key="hourly_hour",
    bind="query-params",
    format="%02d:00",
)
left, middle, right = st.columns([1, 1, 2])
area = left.selectbox(
    "LAPD area",
    [hourly_view.UNSET, *kept.areas],
    key="hourly_area",
    bind="query-params",
    format_func=lambda a: a or "All areas (city-wide)",
)
group = middle.selectbox(
    "Crime group",
    [hourly_view.UNSET, *hourly_view.GROUPS],
    key="hourly_crime_group",
    bind="query-params",
    format_func=lambda g: g or "All crime groups",
)
leave_out = st.toggle(
    "Leave out default times (12:00, 00:01)",
    key="hourly_exclude_default_times",
    bind="query-params",
    help="LAPD records a crime whose time is unknown at 12:00 or 00:01. Left out, the "
    "reports at those times beyond what the whole hours either side have (11:00 and 13:00; "
    "23:00 and 01:00) are spread evenly over the 24 hours of their day, so the noon and "
    "midnight peaks they make disappear while daily totals stay the same.",
)
bundle = bundles[leave_out]
model = right.selectbox(
    "Model",
    [hourly_view.UNSET, *bundle.models],
    key="hourly_model",
    bind="query-params",
    format_func=lambda m: m or f"Best on held-out weeks: {bundle.default_model}",
)
choices = hourly_view.Choices(
    season, weekday, hour, area or None, group or None, model or None, leave_out
)

result = hourly_view.forecast_for(bundle, choices)
metrics = st.columns([1, 1, 2])
metrics[0].metric(
    f"Expected crimes, {hour:02d}:00–{hour:02d}:59",
    hourly_view.format_count(result.expected),
    help=f"Mean of model {result.model} for this hour of this kind of day.",
)
metrics[1].metric(
    f"{result.interval_level:.0%} of such hours",
    f"{result.lower:,} to {result.upper:,}",
    help="The range the count of one such hour falls in 9 times out of 10.",
)
metrics[2].markdown(hourly_view.forecast_sentence(result))
for note in result.notes:
    st.info(note[0].upper() + note[1:] + ".", icon=":material/info:")

st.subheader(f"A {season} {weekday}, hour by hour")
counts = ui.hourly_counts(choices.area, choices.crime_group, bundle.exclude_default_times)
day = hourly_view.day_table(bundle, counts, choices, kept_bundle=kept if leave_out else None)
st.plotly_chart(charts.hourly_curve_chart(day, hour, result.interval_level, result.model))
days = int(day["n_days"].max())
observed = (
    f"Circles: the observed count of each hour averaged over the {days} {season} "
    f"{weekday}s in the data."
    if days
    else f"No {season} {weekday} is in the data, so there are no observed averages to show."
)
st.caption(
    f"Line: the forecast; band: the range {result.interval_level:.0%} of such hours fall "
    f"in; diamond: the chosen hour. {observed}"
    + (
        " Dashed grey: the forecast with the 12:00 and 00:01 reports kept, whose noon and "
        "midnight bumps are mostly 'time unknown'."
        if leave_out
        else ""
    )
)
st.download_button(
    "Download this day as CSV",
    hourly_view.download_table(day, result).to_csv(index=False),
    file_name=f"lacrime_hourly_{season}_{weekday}.csv".lower(),
    mime="text/csv",
    icon=":material/download:",
)

st.subheader(f"Every weekday of {season}")
st.plotly_chart(charts.weekday_chart(hourly_view.weekday_curves(bundle, choices), weekday))
scope = hourly_view.scope_label(choices.area, choices.crime_group)
st.caption(f"The same forecast for each day of the week, {scope}; {weekday} drawn thick.")
ui.exclusions_expander()
