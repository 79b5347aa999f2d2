"""Data & fairness: what is left out and why, and the data-quality problems raw counts hide."""

import streamlit as st

from lacrime.app import charts, summaries, ui, views
from lacrime.app import hotspots as hotspot_views

manifest = ui.page_header(
    "Data & fairness",
    "What every model leaves out and why, and the data-quality problems to keep in mind when "
    "reading the forecasts.",
)
flags = manifest["report"]["flags"]


def left_out() -> None:
    """The excluded columns and crime types, each with its reason."""
    st.header("What was left out and why")
    ui.exclusions_details()


def data_quality() -> None:
    """The data-quality problems raw counts hide: heaped times, late reports."""
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
        st.success(
            "No recent week is flagged: in each the median area has at least 85% of its typical "
            "week's reports."
        )
    else:
        st.warning(
            "In these recent weeks the median area has under 85% of its typical week's reports. "
            "Crimes are often reported days after they happen, so these weeks are probably still "
            "filling in (reporting lag): their drop is not a real decline, and the models leave "
            "them out.",
            icon=":material/warning:",
        )
        ui.show_table(weeks, percent=("Share of a typical week",))
    st.plotly_chart(charts.weekly_chart(views.key_figures().weekly))
    st.caption(
        "Reports per full week of occurrence; flagged weeks in their own colour. An area's typical "
        "week is its median full week before the four most recent (of all full weeks, when there "
        "are eight or fewer)."
    )
    ui.sources_block(manifest)

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
            "A missing value in a required column drops the row (counted in the cleaning report, "
            "on the Overview's Dataset tab); an optional column's missing value is kept as 'not "
            "recorded' or filled with a stated value."
        )
        ui.show_table(summaries.null_policy(manifest["report"]))


def area_spread() -> None:
    """How the current hotspot flags spread over the LAPD areas, both allocations."""
    st.header("How flagged cells spread over the LAPD areas")
    if ui.show_model_version() is None:
        return
    forecaster = ui.stored_forecaster()
    headline, allocations = hotspot_views.HEADLINE_COVERAGE, hotspot_views.ALLOCATIONS
    spread = hotspot_views.area_spread(
        {mode: forecaster.forecast(headline, mode) for mode in allocations}
    )
    st.markdown(
        "Flagging the riskiest cells city-wide sends attention where crime concentrates, which can "
        "pile patrols into a few areas and leave others with almost none; and more patrols find "
        "more crime, which feeds the next forecast. Here is the current hotspot forecast "
        f"({hotspot_views.week_label(forecaster.as_of)}, {headline:.0%} of the cells) "
        f"spread over the {len(spread)} LAPD areas, against each area's share of the reports of "
        "the 4 weeks before it, for both allocations: city-wide, and proportional (each area "
        "gets a quota of flags by its share of those reports)."
    )
    lines = hotspot_views.imbalance_lines(spread, allocations)
    if lines:
        st.warning("\n\n".join(lines), icon=":material/warning:")
    else:
        st.success("Every area gets between half and twice its share of crime in flags.")
    st.plotly_chart(charts.area_ratio_chart(spread, allocations, forecaster.model.name))
    st.caption(
        "Per area, its share of the flagged cells divided by its share of the reports: 1 (the "
        "middle dashed line) is in proportion; the outer lines mark half and twice its share. "
        "Areas are ordered by their share of the reports, largest first, here and in the table."
    )
    st.dataframe(
        spread,
        hide_index=True,
        height="content",
        column_config={
            "area_name": "Area",
            "crime_share": st.column_config.NumberColumn(
                "Share of reports",
                format="percent",
                help="The area's share of the city's reports in the 4 weeks before the forecast.",
            ),
            **{
                f"{mode}_{column}": st.column_config.NumberColumn(
                    f"{title}, {label.lower()}",
                    format=fmt,
                    help=f"{label} allocation: {explained}.",
                )
                for mode, label in allocations.items()
                for column, title, fmt, explained in (
                    ("flagged", "Cells", "%d", "the area's flagged cells"),
                    ("flag_share", "Share", "percent", "the area's share of all flagged cells"),
                    ("ratio", "Ratio", "%.2f", "share of flagged cells ÷ share of reports"),
                )
            },
        },
    )
    hotspot_eval = ui.record().evaluation.hotspots
    modes = hotspot_eval.allocation_modes
    city, proportional = modes["citywide"], modes["proportional"]
    columns = st.columns(3)
    columns[0].metric(
        f"PAI at {headline:.0%}, city-wide",
        f"{city.pai_5:.2f}",
        help="Share of the week's crimes in the flagged cells per share of cells flagged, mean "
        "over the evaluation weeks.",
    )
    columns[1].metric(
        f"PAI at {headline:.0%}, proportional",
        f"{proportional.pai_5:.2f}",
        help="The same, with each area's flags set by its share of recent reports.",
    )
    columns[2].metric(
        "Crime caught, proportional vs city-wide",
        f"{proportional.pai_5 / city.pai_5 - 1:+.0%}",
        help="The cost of spreading the flags by area: the change in crime inside the flagged "
        "cells, for the same number of cells.",
    )
    st.caption(
        f"From the evaluation of the default model, {hotspot_eval.default_model}, on the last "
        f"{len(hotspot_eval.eval_weeks)} full weeks, each forecast from the weeks before it "
        f"only. Over those weeks, city-wide flags gave areas from {city.min_area_ratio:.1f} to "
        f"{city.max_area_ratio:.1f} times their share of crime and left "
        f"{city.areas_without_flags} without any; proportional flags from "
        f"{proportional.min_area_ratio:.1f} to {proportional.max_area_ratio:.1f} times, "
        f"leaving {proportional.areas_without_flags} without any."
    )


SECTIONS = {
    "What was left out": left_out,
    "Data quality": data_quality,
    "Flags by area": area_spread,
}
ui.lazy_tabs(SECTIONS, key="fairness_section")
