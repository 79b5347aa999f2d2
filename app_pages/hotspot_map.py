"""Hotspot map: which map cells to flag for the week ahead, for the whole day or one watch, on
a full-width map, then as a list, a patrol plan and what is heating up.

The default view is the forecast stored with the model version, so it shows without training;
another week, model or crime group trains one on demand, kept for the next visitor. The choices
live in the URL as ids (a week's ISO date, a model's code name), so a view can be shared.
"""

import datetime as dt
import json

import streamlit as st

from lacrime.app import decision, map_data, map_text, maps, ui
from lacrime.app import hotspots as hotspot_views

# Less padding above and beside the page than Streamlit's default, so that the row of controls
# and a 660 px map fit above the fold at 1440 x 900; the map's full-screen button inside its
# top corner (beside the zoom buttons) rather than above it, where it would cover the controls.
st.html(
    "<style>[data-testid='stMainBlockContainer']{padding-top:1.5rem;padding-left:2rem;"
    "padding-right:2rem}"
    "[data-testid='stFullScreenFrame']:has([data-testid='stDeckGlJsonChart']) "
    "[data-testid='stElementToolbar']{top:0.5rem;right:3.25rem}</style>"
)
manifest = ui.page_header(
    "Hotspot map",
    "Where crime is likely next week, cell by cell: where to put patrols and prevention.",
    data_line=False,
)
# The controls and the map come first; the data's small print and the model version after them.
controls, view = st.container(), st.container()
ui.dataset_caption(manifest)
version = ui.show_model_version()
if version is None:
    st.stop()
stored = ui.stored_forecaster()
evaluation = ui.record().evaluation.hotspots
default_model = evaluation.default_model
first_day, last_day = (dt.date.fromisoformat(day) for day in manifest["date_range"])
weeks = sorted({*hotspot_views.forecast_weeks(first_day, last_day), stored.as_of}, reverse=True)

row = controls.columns(
    [1.5, 1.85, 1.5, 1.65, 0.85, 1.4, 1.35, 0.9], gap="xsmall", vertical_alignment="bottom"
)
as_of = ui.linked_selectbox(
    row[0],
    "Forecast week",
    weeks,
    key="hotspot_as_of",
    default=stored.as_of,
    to_id=dt.date.isoformat,
    format_func=hotspot_views.week_label,
    help="The 7 days forecast, from reports up to the Sunday before them only.",
)
watch = ui.linked_selectbox(
    row[3],
    "Watch",
    list(hotspot_views.WATCH_CHOICES),
    key="hotspot_watch",
    default=hotspot_views.ALL_DAY,
    to_id=str,
    format_func=hotspot_views.watch_label,
    help="One watch's cells: night 23:00–06:59, day 07:00–14:59, evening 15:00–22:59; each "
    "cell ranked by its expected reports in that watch (reports at the default times 12:00 "
    "and 00:01, of unknown time, count in all-day figures only).",
)
model = ui.linked_selectbox(
    row[1],
    "Model",
    list(hotspot_views.MODEL_NAMES),
    key="hotspot_model",
    default=default_model,
    to_id=str,
    format_func=lambda m: hotspot_views.model_choice_label(m, default_model),
    disabled=watch != hotspot_views.ALL_DAY,
    help="All-day forecasts only; a watch has the model its evaluation chose. The default has "
    "the best PAI at 5% on the held-out weeks; another is trained on demand.",
)
group = row[2].selectbox(
    "Crime group",
    [None, *hotspot_views.GROUPS],
    key="hotspot_group",
    bind="query-params",
    format_func=hotspot_views.group_label,
    help="A forecast of one group is trained on that group's reports only, on demand.",
)
coverage = row[4].slider(
    "Coverage",
    1,
    10,
    round(hotspot_views.DEFAULT_SHARE * 100),
    format="%d%%",
    key="hotspot_coverage",
    bind="query-params",
    help="The share of the grid's cells to flag.",
)
allocation = ui.linked_selectbox(
    row[5],
    "Allocation",
    list(hotspot_views.ALLOCATION_CHOICES),
    key="hotspot_allocation",
    default="citywide",
    to_id=str,
    format_func=hotspot_views.ALLOCATION_CHOICES.get,
    help="City-wide flags the riskiest cells wherever they are. By area crime (proportional) "
    "first gives each LAPD area a quota of the flags by its share of the last 4 weeks' "
    "reports, then flags the riskiest cells within each area.",
)
forecaster = map_data.forecaster(as_of, model, group, watch)
forecast = forecaster.forecast(coverage / 100, allocation)
area = row[6].selectbox(
    "LAPD area",
    [None, *sorted(forecast["area_name"].unique())],
    key="hotspot_area",
    bind="query-params",
    format_func=hotspot_views.area_label,
    help="Outlines the area, dims the rest, and speaks of it below.",
)
with row[7].popover("Layers", width="stretch"):
    show_past = st.checkbox(
        "Show past reports",
        key="hotspot_past",
        bind="query-params",
        help="Points of the reports of the forecast week once it is in the data (inside a "
        "flagged outline: a hit), else of the week before it. Never a sex offence.",
    )
    emerging = st.checkbox(
        "Emerging hotspots",
        key="hotspot_emerging",
        bind="query-params",
        help="Cells of an emerging-hotspot pattern, filled by it (purple: heating up).",
    )
    basemap = st.checkbox(
        "Basemap",
        True,
        key="hotspot_basemap",
        bind="query-params",
        help="The streets under the cells. Without them (or when the tiles cannot load) the "
        "map draws the areas' outlines and names on a plain background.",
    )

cells = hotspot_views.selection(forecast, area)
choice = (as_of, model, group, watch, area, coverage / 100, allocation)
plan = map_data.plan(forecaster, choice=choice)
trends = map_data.trends(as_of)
zones = (decision.zones_layer(plan),) if area is not None and plan.zones else ()
fills = (decision.emerging_layer(trends, area),) if emerging else ()
past, span = (None, None)
if show_past:
    past, span = hotspot_views.past_reports(
        ui.reports(), forecast, group=group, area=area, watch=watch
    )
with view:
    st.pydeck_chart(
        maps.hotspot_deck(
            forecast,
            maps.view_state(cells["lat"], cells["lon"]),
            area=area,
            past=past,
            fills=fills,
            lines=zones,
            basemap=basemap,
        ),
        height=maps.MAP_HEIGHT_PX,
    )
    st.html(maps.legend_html(past=span, zones=bool(zones), emerging=emerging))
    st.caption(map_text.basemap_note(basemap))
    late = forecaster.incomplete_areas
    if late:
        st.warning(map_text.incomplete_note(late), icon=":material/history_toggle_off:")

share = hotspot_views.flagged_share(forecast, area)
place = "the city" if area is None else area
metrics = st.columns(5)
metrics[0].metric(
    "Flagged cells",
    f"{share['flagged']:,} of {share['cells']:,}",
    help=f"Cells flagged in {place}, of all its cells in the grid.",
)
metrics[1].metric("Area flagged", f"{share['flagged_km2']:,.0f} km²")
metrics[2].metric(
    "Expected reports in them",
    maps.expected_text(share["flagged_expected"]),
    help="Reports the flagged cells are expected to have in the forecast week"
    + ("" if watch == hotspot_views.ALL_DAY else f", {hotspot_views.watch_label(watch)} only")
    + ".",
)
metrics[3].metric("Last week's reports in them", maps.share_text(share["last_week_share"]))
metrics[4].metric("Last 4 weeks' reports in them", maps.share_text(share["last_4_weeks_share"]))
st.caption(map_text.coverage_note(forecast, coverage, share))

table = hotspot_views.flagged_table(forecast, area)
st.dataframe(
    table,
    hide_index=True,
    height=min(420, 38 + 35 * len(table)),
    column_order=(
        "rank",
        "area_name",
        "expected",
        "percentile",
        "last_week",
        "last_4_weeks",
        "last_week_share",
        "risk",
        "cell",
    ),
    column_config={
        "rank": st.column_config.NumberColumn("Rank", help="1 = the riskiest cell."),
        "area_name": st.column_config.TextColumn("LAPD area"),
        "expected": st.column_config.NumberColumn(
            "Expected reports next week", format="%.1f", help="The model's risk, calibrated."
        ),
        "percentile": st.column_config.NumberColumn(
            "Percentile", format="%.1f", help="The share of the city's cells ranked below it."
        ),
        "last_week": st.column_config.NumberColumn("Reports last week"),
        "last_4_weeks": st.column_config.NumberColumn("Reports, last 4 weeks"),
        "last_week_share": st.column_config.NumberColumn(
            "Share of last week's reports",
            format="percent",
            help=f"The cell's share of all reports in {place} last week.",
        ),
        "risk": st.column_config.NumberColumn(
            "Model's risk score", format="%.3g", help="On the model's own scale: it ranks cells."
        ),
        "cell": st.column_config.TextColumn("H3 cell", help="The cell's H3 index."),
    },
)
name = hotspot_views.download_name(forecast, choice)
flagged = hotspot_views.flagged_cells(forecast, area)
downloads = st.columns(3)
downloads[0].download_button(
    "Flagged cells (CSV)",
    flagged.to_csv(index=False),
    file_name=f"{name}.csv",
    mime="text/csv",
    icon=":material/download:",
)
downloads[1].download_button(
    "Flagged cells (GeoJSON)",
    json.dumps(hotspot_views.to_geojson(flagged)),
    file_name=f"{name}.geojson",
    mime="application/geo+json",
    icon=":material/download:",
)
downloads[2].download_button(
    "Weekly briefing (PDF)",
    map_data.briefing_download(as_of, area, watch),
    file_name=f"briefing_{(area or 'city').replace(' ', '_')}_{forecaster.window[0]}.pdf",
    mime="application/pdf",
    icon=":material/picture_as_pdf:",
    help="Two printable pages for roll call: headline changes, the area's map with its zones, "
    "the patrol plan per watch, what is heating up, and the data's caveats.",
)
st.caption(map_text.forecast_note(forecaster, forecast, stored, group))

st.subheader(f"Patrol plan: {place}, {hotspot_views.watch_label(watch).lower()}")
st.caption(map_text.plan_note(plan, area, coverage))
if plan.zones:
    ui.show_table(
        hotspot_views.plan_table(plan).head(hotspot_views.PLAN_ROWS),
        percent=(hotspot_views.PLAN_HEADINGS["share_of_area"],),
    )
    if len(plan.zones) > hotspot_views.PLAN_ROWS:
        st.caption(
            f"The {hotspot_views.PLAN_ROWS} busiest of {len(plan.zones)} zones; the CSV has "
            "every zone with its cells."
        )
st.download_button(
    "Patrol plan (CSV)",
    decision.plan_csv(plan),
    file_name=f"patrol_plan_{name}.csv",
    mime="text/csv",
    icon=":material/download:",
)

st.subheader("What is heating up")
heating = decision.heating_up(trends, area)
st.caption(map_text.trends_note(trends, decision.pattern_counts(trends, area), place))
if len(heating):
    st.dataframe(heating.head(20), hide_index=True)

st.caption(map_text.quality_note(evaluation, model, group, watch))
outcome = hotspot_views.week_outcome(forecast, ui.reports(), group, area, watch)
if outcome is not None:
    st.subheader(f"How this forecast did in {place}")
    result = st.columns(3)
    result[0].metric(f"Reports that week in {place}", f"{outcome['crimes']:,}")
    result[1].metric(
        "In the flagged cells",
        f"{outcome['hit_rate']:.1%}",
        help=f"Share of the week's reports in {place} that occurred in its flagged cells.",
    )
    result[2].metric(
        f"PAI at {coverage}%",
        f"{outcome['pai']:.2f}",
        help=f"Share of the reports caught per share of {place}'s cells flagged.",
    )
    st.caption(
        "The forecast week is in the data, so its flags can be scored against what happened. "
        "Reports of the most recent weeks are still coming in."
    )
ui.exclusions_expander()
