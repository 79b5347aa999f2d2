"""Hourly forecast: how many crimes to expect in one hour of a kind of day, with the spread.

The choices live in the URL (season, weekday, hour, area, group, model, default times): each
control is bound to its query parameter, so a planner can share a view as a link.
"""

import streamlit as st

from lacrime.app import charts, ui, views
from lacrime.app import hourly as hourly_view

ui.page_header(
    "Hourly forecast",
    "Crimes to expect in one hour of a kind of day, city-wide or in one area or crime group.",
)
if ui.show_model_version() is None:
    st.stop()

bundles = {leave_out: ui.hourly_bundle(leave_out) for leave_out in (False, True)}
kept = bundles[False]

controls = st.columns([1, 1, 1.5, 1.3, 1.4, 1.9], vertical_alignment="bottom")
season = controls[0].selectbox(
    "Season",
    hourly_view.SEASONS,
    index=hourly_view.SEASONS.index(hourly_view.latest_season(kept)),
    key="hourly_season",
    bind="query-params",
    format_func=str.capitalize,
    help="The season of the latest data by default. A season not in the data is forecast "
    "from the seasons that are, and the page says so.",
)
weekday = controls[1].selectbox(
    "Weekday",
    hourly_view.WEEKDAYS,
    index=hourly_view.WEEKDAYS.index(hourly_view.DEFAULT_WEEKDAY),
    key="hourly_weekday",
    bind="query-params",
)
hour = controls[2].slider(
    "Hour",
    0,
    23,
    hourly_view.DEFAULT_HOUR,
    key="hourly_hour",
    bind="query-params",
    format="%02d:00",
)
area = controls[3].selectbox(
    "LAPD area",
    [hourly_view.UNSET, *kept.areas],
    key="hourly_area",
    bind="query-params",
    format_func=lambda a: a or "City-wide",
)
group = controls[4].selectbox(
    "Crime group",
    [hourly_view.UNSET, *hourly_view.GROUPS],
    key="hourly_crime_group",
    bind="query-params",
    format_func=lambda g: g or "All crime groups",
)
metrics = st.columns([1.4, 0.9, 0.75, 0.75, 1.8], vertical_alignment="center")
leave_out = metrics[4].toggle(
    "Leave out default times (12:00, 00:01)",
    key="hourly_exclude_default_times",
    bind="query-params",
    help="LAPD records a crime whose time is unknown at 12:00 or 00:01. Left out, the "
    "reports at those times beyond what the whole hours either side have (11:00 and 13:00; "
    "23:00 and 01:00) are spread evenly over the 24 hours of their day, so the noon and "
    "midnight peaks they make disappear while daily totals stay the same.",
)
bundle = bundles[leave_out]
model = ui.linked_selectbox(
    controls[5],
    "Model",
    [hourly_view.UNSET, *bundle.models],
    key="hourly_model",
    default=hourly_view.UNSET,
    to_id=str,
    format_func=lambda m: bundle.models[m].label if m else "Best on held-out weeks",
    help=f"Best on held-out weeks: {bundle.models[bundle.default_model].label}, the lowest "
    "Poisson deviance on the last two full weeks, which no model was trained on.",
)
choices = hourly_view.Choices(
    season, weekday, hour, area or None, group or None, model or None, leave_out
)

result = hourly_view.forecast_for(bundle, choices)
counts = ui.hourly_counts(choices.area, choices.crime_group, bundle.exclude_default_times)
day = hourly_view.day_table(bundle, counts, choices, kept_bundle=kept if leave_out else None)
watch, watch_total, day_total = hourly_view.totals(day, hour)
metrics[0].metric(
    f"Expected crimes, {hour:02d}:00–{hour:02d}:59",
    hourly_view.format_count(result.expected),
    help=f"Mean of the {bundle.models[result.model].label} for this hour of this kind of day.",
)
metrics[1].metric(
    f"{result.interval_level:.0%} of such hours",
    f"{result.lower:,} to {result.upper:,}",
    help="The range the count of one such hour falls in 9 times out of 10.",
)
metrics[2].metric(
    f"{watch.capitalize()} watch",
    hourly_view.format_count(watch_total),
    help="The forecast summed over this day's hours of the watch the chosen hour is in "
    "(night 23:00–06:59: this day's 00:00–06:59 and 23:00–23:59; day 07:00–14:59; evening "
    "15:00–22:59). A small area or crime group is easier to plan by the watch than by the hour.",
)
metrics[3].metric(
    f"Whole {weekday}",
    hourly_view.format_count(day_total),
    help="The forecast summed over the 24 hours of this kind of day.",
)

st.plotly_chart(charts.hourly_curve_chart(day, hour, result.interval_level, result.model))
days = int(day["n_days"].max())
observed = (
    f"Circles: the observed count of each hour averaged over the {days} {season} "
    f"{weekday}s in the data."
    if days
    else f"No {season} {weekday} is in the data, so there are no observed averages to show."
)
st.caption(
    f"A {season} {weekday}, hour by hour. Line: the forecast; band: the range "
    f"{result.interval_level:.0%} of such hours fall in; diamond: the chosen hour. {observed}"
    + (
        " Dashed grey: the forecast with the 12:00 and 00:01 reports kept, whose noon and "
        "midnight bumps are mostly 'time unknown'."
        if leave_out
        else ""
    )
)
bias = views.hourly_bias(bundle.models[result.model].name, hour, leave_out)
if bias is not None and bias.worth_a_warning:
    st.warning(
        hourly_view.bias_sentence(bias, f"the {bundle.models[result.model].label}"),
        icon=":material/trending_up:" if bias.share >= 0 else ":material/trending_down:",
    )
st.info(hourly_view.page_note(result), icon=":material/info:")
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
