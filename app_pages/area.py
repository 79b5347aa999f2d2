"""Area: one LAPD area (and a second beside it) - its weekly reports against the city's, its
crime-group mix, its hour-of-week profile, its flagged cells of next week, and how past
forecasts did there. The areas chosen live in the URL (`area`, `area_compare`)."""

import streamlit as st

from lacrime.app import area as area_view
from lacrime.app import area_charts, ui, views, weekly

manifest = ui.page_header(
    "Area",
    "One LAPD area: its weekly reports against the city's, its crime mix and busy hours, its "
    "flagged cells of next week and how past forecasts did there; a second area beside it.",
)
names = area_view.area_names(manifest)
controls = st.columns([1, 1, 2], vertical_alignment="bottom")
area = controls[0].selectbox("LAPD area", names, key="area", bind="query-params")
second = controls[1].selectbox(
    "Beside it",
    [area_view.NO_AREA, *(n for n in names if n != area)],
    key="area_compare",
    bind="query-params",
    format_func=lambda a: a or "No second area",
    help="A second LAPD area, drawn beside the first on every chart and table.",
)
chosen = [area, second] if second else [area]
for name in chosen:
    for first, last in area_view.gaps_of(manifest, name):
        st.warning(
            f"{name}'s reports from {first} to {last} are incomplete: LAPD moved it to a new "
            "records system (NIBRS) and no NIBRS data cover those days yet. Its weeks there "
            "are crosses on the chart, left out of its mean week and of every score; the drop "
            "is the switch, not a fall in crime.",
            icon=":material/sync_problem:",
        )

comparison = views.week_comparison()
if comparison is not None:
    metrics = st.columns(len(chosen) * 2)
    for i, name in enumerate(chosen):
        row = comparison.by_area.loc[name]
        metrics[2 * i].metric(
            f"{name}, this week",
            f"{row['this_week']:,}",
            delta=f"{row['change']:+.0f} against the 4 weeks before",
            delta_color="off",
            help=f"Reports that occurred from {comparison.week_start:%d %b} to "
            f"{comparison.week_end:%d %b %Y}; the mean of the 4 weeks before was "
            f"{row['mean_before']:.1f}.",
        )
        metrics[2 * i + 1].metric(
            "Change" if row["complete"] else "Change, incomplete weeks",
            f"{row['change_share']:+.0%}" if row["mean_before"] else "none before",
            help=weekly.verdict(row).capitalize() + ".",
        )

weeks, mix = views.area_views(chosen)
st.plotly_chart(area_charts.trend_chart(weeks, area_view.CITY))
st.caption(
    "Each line is a place's weekly reports as a share of its own mean complete week (100 = a "
    "typical week), so an area of 150 reports a week and the city of 3,000 share one axis; "
    "hover for the counts. Crosses: weeks reported incompletely (the switch to NIBRS)."
)
left, right = st.columns([2, 3])
with left:
    st.plotly_chart(area_charts.mix_chart(mix))
    st.caption("Share of each place's reports in each crime group, over the whole dataset.")
with right:
    for name in chosen:
        st.plotly_chart(
            area_charts.hour_of_week_chart(views.hour_of_week(name), f"{name}, hour by weekday")
        )
    st.caption(
        "Mean reports in each hour of each weekday, over every such day in the data. Reports "
        "at 12:00 and 00:01 include crimes of unknown time."
    )

st.header("Next week's flagged cells")
if ui.show_model_version() is None:
    st.stop()
forecast_view = views.area_forecast(chosen)
# One area under the other, not side by side: a static table does not scroll, and six columns
# do not fit half the page.
for name in chosen:
    flagged = forecast_view.flagged[name]
    st.subheader(name)
    if flagged.empty:
        st.markdown(
            f"None of {name}'s cells is among the city's riskiest "
            f"{forecast_view.coverage:.0%} next week."
        )
    else:
        ui.show_table(flagged)
st.caption(forecast_view.caption)

st.header("How past forecasts did there")
for name in chosen:
    st.markdown(forecast_view.past[name])

st.download_button(
    f"Weekly briefing of {area} (PDF)",
    data=lambda: views.briefing(area, forecast_view.as_of),
    file_name=f"lacrime_briefing_{area}_{forecast_view.as_of}.pdf".replace(" ", "_"),
    mime="application/pdf",
    icon=":material/picture_as_pdf:",
    help="The two printable pages for roll call, as `lacrime briefing` makes them: headline "
    "changes, map, patrol plan per watch, what is heating up, freshness and exclusions.",
)
ui.exclusions_expander()
