"""Overview: what is happening this week (against the four weeks before, by area and crime
group, and the biggest changes), how fresh the data are and the model in use; the trends and
the dataset in tabs of their own, computed only when opened."""

import datetime as dt

import streamlit as st

from lacrime.app import area_charts, charts, summaries, ui, views, weekly

manifest = ui.page_header(
    "Overview",
    "This week's crime reports against the four weeks before, by LAPD area and crime group, "
    "how fresh the data are; the trends and the dataset in use in the other tabs.",
)
report = manifest["report"]
flags = report["flags"]
start, end = manifest["date_range"]


def week_against_before() -> None:
    """This week against the 4 before: city-wide, the biggest changes, by area and by group."""
    comparison = views.week_comparison()

    if comparison is None:
        st.info(
            "The data hold fewer than five full weeks: there is no week to compare with the four "
            "before it yet.",
            icon=":material/info:",
        )
        return
    city = comparison.city
    scope = (
        f", the {len(comparison.complete_areas)} fully reported areas"
        if comparison.incomplete_areas
        else ", city-wide"
    )
    st.header(f"This week: {comparison.week_start:%a %d %b} to {comparison.week_end:%a %d %b %Y}")
    columns = st.columns(3)
    columns[0].metric(
        f"Reports this week{scope}",
        f"{city['this_week']:,}",
        delta=f"{city['change']:+,.0f} against the 4 weeks before",
        delta_color="off",
        help="Crimes that occurred this Monday-to-Sunday week, after exclusions.",
    )
    columns[1].metric(
        "Mean of the 4 weeks before",
        f"{city['mean_before']:,.0f}",
        help=f"Weeks from {comparison.before_start:%d %b} to the week before this one.",
    )
    columns[2].metric(
        "Change",
        f"{city['change_share']:+.0%}",
        help="Beyond normal week-to-week variation when it exceeds two standard errors of a "
        "Poisson count of that size.",
    )
    if comparison.incomplete_areas:
        st.warning(
            f"{len(comparison.incomplete_areas)} areas reported these weeks incompletely "
            f"({', '.join(comparison.incomplete_areas)}): LAPD's switch to a new records "
            "system (NIBRS), not a fall in crime. They are shown apart and left out of the "
            "totals above, the crime-group figures and the biggest changes.",
            icon=":material/sync_problem:",
        )
    if comparison.skipped_lag_weeks:
        st.caption(
            "The latest week (" + ", ".join(comparison.skipped_lag_weeks) + ") is still being "
            "reported city-wide, so this is the week before it."
        )
    st.subheader("Biggest changes")
    for _, row in weekly.biggest_changes(comparison).iterrows():
        st.markdown("- " + weekly.change_sentence(row))
    st.caption(
        "Ranked by how far each change is beyond chance: a count whose mean is m varies by "
        "about the square root of m from week to week (Poisson), so a small area's 30% can be "
        "noise while a city-wide 5% is not."
    )
    left, right = st.columns(2)
    with left:
        st.plotly_chart(
            area_charts.change_chart(comparison.by_area, "LAPD area", comparison.incomplete_areas)
        )
    with right:
        st.plotly_chart(area_charts.change_chart(comparison.by_group, "crime group"))
        st.caption(
            "Dark: beyond normal week-to-week variation; grey: within it; vermillion: an area "
            "whose weeks are incomplete (records-system switch)."
        )
    with st.expander("The figures as tables", icon=":material/table:"):
        ui.show_table(weekly.shown_table(comparison.by_area, "Area"))
        ui.show_table(weekly.shown_table(comparison.by_group, "Crime group"))


def this_week() -> None:
    """This week against the 4 before, how fresh the data are and the model in use."""
    week_against_before()
    st.header("How fresh the data are")
    columns = st.columns(3)
    columns[0].metric("Latest report", end, help="Latest date of occurrence (DATE OCC).")
    columns[1].metric(
        "Days since the latest report",
        f"{summaries.days_since(end, dt.date.today()):,}",
        help="Days from the latest date of occurrence to today: how stale the data is.",
    )
    columns[2].metric(
        "Reported until",
        report.get("reported_until", end),
        help="Latest report date (Date Rptd): crimes of the last days are still being reported.",
    )
    kind = "synthetic demo data" if manifest["synthetic"] else "real LAPD reports"
    st.caption(
        f"Source: {manifest['source']}, {kind}. Ingested "
        f"{summaries.utc_time(manifest.get('ingested_at'))} as dataset `{manifest['dataset_id']}`."
    )
    for warning in flags.get("warnings", []):
        st.warning(warning, icon=":material/warning:")

    st.subheader("Model in use")
    ui.show_model_version()


def trends() -> None:
    """Reports per day and per week, and the most reported crime groups and descriptions."""
    figures = views.key_figures()
    st.subheader("Crimes per day")
    st.plotly_chart(charts.daily_chart(figures.daily))
    st.caption(
        "Reports per day of occurrence (DATE OCC), after cleaning and exclusions, with a centred "
        "7-day mean. The last days undercount: reports of them are still coming in."
    )

    st.subheader("Weekly trend")
    st.plotly_chart(charts.weekly_chart(figures.weekly))
    st.caption(
        "Reports per full Monday-to-Sunday week of occurrence; partial weeks at either end are "
        "left out. A recent week with under 85% of a typical week's reports is marked: reports "
        "of it are probably still coming in, so its drop is not a real decline."
    )

    st.subheader("Top crime categories")
    left, right = st.columns([2, 3])
    with left:
        st.plotly_chart(charts.top_chart(figures.groups, "crime group"))
        st.caption(
            "Reports per crime group: LAPD's crime descriptions grouped into the families "
            "planners filter by."
        )
    with right:
        st.plotly_chart(charts.top_chart(figures.descriptions, "crime description"))
        st.caption("The ten most reported crime descriptions (LAPD's `Crm Cd Desc`).")


def dataset() -> None:
    """The dataset in use, where each area's reports come from, and how it was cleaned."""
    st.header("Dataset in use")
    columns = st.columns(4)
    columns[0].metric(
        "Reports", f"{manifest['rows']:,}", help="Crime reports kept after cleaning and exclusions."
    )
    columns[1].metric("First day", start, help="Earliest date of occurrence (DATE OCC).")
    columns[2].metric("Last day", end, help="Latest date of occurrence (DATE OCC).")
    columns[3].metric("LAPD areas", f"{manifest['areas']}")
    ui.sources_block(manifest)

    st.header("How the data was cleaned")
    st.markdown(
        f"Of **{report['rows_in']:,}** rows read, **{report['rows_out']:,}** were kept. Each step "
        "below removes rows for one reason."
    )
    ui.show_table(summaries.cleaning_steps(report))
    ui.exclusions_expander()


SECTIONS = {"This week": this_week, "Trends": trends, "Dataset": dataset}
ui.lazy_tabs(SECTIONS, key="overview_section")
