"""Hotspot map: which map cells to flag for the week ahead, on a map and as a sortable list.

The default view is the forecast stored with the model version, so it shows without training;
another week, model or crime group trains one on demand, kept for the next visitor. The choices
live in the URL (Streamlit keeps each widget bound to its query parameter), so a view can be
shared as a link.
"""

import datetime as dt
import json

import streamlit as st

from lacrime.app import hotspots as hotspot_views
from lacrime.app import maps, ui

manifest = ui.page_header(
    "Hotspot map",
    "Which map cells are likely hotspots next week: where to put patrols and prevention, on a "
    "map and as a list to download.",
)
version = ui.show_model_version()
if version is None:
    st.stop()
stored = ui.stored_forecaster()
evaluation = ui.record().evaluation.hotspots
default_model = evaluation.default_model
first_day, last_day = (dt.date.fromisoformat(day) for day in manifest["date_range"])
weeks = sorted({*hotspot_views.forecast_weeks(first_day, last_day), stored.as_of}, reverse=True)

top = st.columns(3)
as_of = top[0].selectbox(
    "Forecast week",
    weeks,
    index=weeks.index(stored.as_of),
    key="hotspot_as_of",
    bind="query-params",
    format_func=hotspot_views.week_label,
    help="The 7 days forecast, from reports up to the Sunday before them only. The first is "
    "the week after the latest full week of the data.",
)
model = top[1].selectbox(
    "Model",
    hotspot_views.MODEL_NAMES,
    index=hotspot_views.MODEL_NAMES.index(default_model),
    key="hotspot_model",
    bind="query-params",
    format_func=lambda m: f"{m} (default)" if m == default_model else m,
    help="The default is the model with the best PAI at 5% on the held-out weeks, stored with "
    "the version. Another one is trained on demand: seconds, up to a minute on a year of data.",
)
group = top[2].selectbox(
    "Crime group",
    [None, *hotspot_views.GROUPS],
    key="hotspot_group",
    bind="query-params",
    format_func=lambda g: "All crime groups" if g is None else g,
    help="A forecast of one group is trained on that group's reports only, on demand.",
)
controls = st.columns([3, 3, 3, 2], vertical_alignment="center")
coverage = controls[0].slider(
    "Coverage: share of the city's cells to flag",
    1,
    10,
    round(hotspot_views.DEFAULT_SHARE * 100),
    format="%d%%",
    key="hotspot_coverage",
    bind="query-params",
)
allocation = controls[1].radio(
    "Allocation",
    list(hotspot_views.ALLOCATIONS),
    format_func=hotspot_views.ALLOCATIONS.get,
    horizontal=True,
    key="hotspot_allocation",
    bind="query-params",
    help="City-wide flags the riskiest cells wherever they are. Proportional first gives each "
    "LAPD area a quota of the flags by its share of the last 4 weeks' reports, then flags the "
    "riskiest cells within each area.",
)
forecaster = ui.hotspot_forecaster(as_of, model, group)
forecast = forecaster.forecast(coverage / 100, allocation)
area = controls[2].selectbox(
    "LAPD area",
    [None, *sorted(forecast["area_name"].unique())],
    key="hotspot_area",
    bind="query-params",
    format_func=lambda a: "All of Los Angeles" if a is None else a,
    help="Zooms the map to the area and lists its flagged cells only.",
)
show_past = controls[3].checkbox(
    "Show past reports",
    key="hotspot_past",
    bind="query-params",
    help="A column on each cell as high as its reports in the 4 weeks before the forecast, "
    "to compare the forecast with where crime was.",
)

share = hotspot_views.flagged_share(forecast, area)
place = "the city" if area is None else area
metrics = st.columns(4)
metrics[0].metric(
    "Flagged cells",
    f"{share['flagged']:,} of {share['cells']:,}",
    help=f"Cells flagged in {place}, of all its cells in the grid.",
)
metrics[1].metric(
    "Area flagged",
    f"{share['flagged_km2']:,.0f} km²",
    help=f"{share['cell_share']:.1%} of the grid's cells in {place}.",
)
metrics[2].metric(
    "Last week's reports in them",
    f"{share['last_week_share']:.1%}",
    help=f"Of the {share['last_week_crimes']:,} reports in {place} in the week before the "
    "forecast, the share that occurred in the flagged cells.",
)
metrics[3].metric(
    "Last 4 weeks' reports in them",
    f"{share['last_4_weeks_share']:.1%}",
    help=f"Of the {share['last_4_weeks_crimes']:,} reports in {place} in the 4 weeks before "
    "the forecast, the share that occurred in the flagged cells.",
)

cells = hotspot_views.selection(forecast, area)
left, right = st.columns([5, 4])
with left:
    st.pydeck_chart(
        maps.hotspot_deck(
            forecast,
            maps.view_state(cells["lat"], cells["lon"], pitch=40 if show_past else 0),
            past=hotspot_views.past_incidents(forecast) if show_past else None,
        ),
        height=maps.MAP_HEIGHT_PX,
    )
    st.html(maps.legend_html(past=show_past))
with right:
    st.dataframe(
        hotspot_views.flagged_table(forecast, area),
        hide_index=True,
        height=maps.MAP_HEIGHT_PX - 60,
        column_order=("rank", "area_name", "risk", "last_week_share", "last_4_weeks_share", "cell"),
        column_config={
            "rank": st.column_config.NumberColumn(
                "Rank", width="small", help="1 = the riskiest cell."
            ),
            "area_name": st.column_config.TextColumn("Area", width="small"),
            "risk": st.column_config.NumberColumn(
                "Risk", format="%.3g", width="small", help="A ranking score, not a probability."
            ),
            "last_week_share": st.column_config.NumberColumn(
                "Last week",
                format="percent",
                width="small",
                help=f"The cell's share of all reports in {place} last week.",
            ),
            "last_4_weeks_share": st.column_config.NumberColumn(
                "Last 4 weeks",
                format="percent",
                width="small",
                help=f"The cell's share of all reports in {place} in the last 4 weeks.",
            ),
            "cell": st.column_config.TextColumn("H3 cell", help="The cell's H3 index."),
        },
    )
    flagged = hotspot_views.flagged_cells(forecast, area)
    name = (
        f"hotspots_{forecast.attrs['window_start']}_{model}_{coverage}pct_{allocation}"
        + ("" if group is None else f"_{group}")
        + ("" if area is None else f"_{area}")
    ).replace(" ", "_")
    downloads = st.columns(2)
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

start, end = forecaster.window
trained = model if group is None else f"{model}, on {group} reports only"
st.caption(
    f"Forecast for the 7 days from {start:%A %d %B} to {end:%A %d %B %Y}, from reports up to "
    f"{as_of:%A %d %B} (the latest used: {forecaster.trained_until:%Y-%m-%d %H:%M}), by model "
    f"{trained} ({forecaster.model.description})."
)
if forecaster is not stored:
    st.caption(
        "This forecast was trained on demand for the week, model and crime group chosen (a "
        "few seconds the first time, then kept). "
        + (
            ""
            if group is None
            else f"Trained on {group} reports only, its grid is the {len(forecast):,} cells "
            "around them: the coverage is a share of those cells, not of the whole city's."
        )
    )
st.caption(
    "**Risk** is a ranking score, not a probability: it orders the cells from the most to the "
    "least likely to be a hotspot next week (among the busiest "
    f"{evaluation.share:.0%} of cells by reports). A cell's colour is its rank among all "
    "cells, in fixed classes, so it does not change with coverage, allocation or area."
)
st.caption(
    f"**Coverage** is the share of the grid's cells flagged ({coverage}% = "
    f"{int(forecast['flagged'].sum()):,} of {len(forecast):,} cells of about "
    f"{share['cell_km2']:.2f} km² each). The **share of "
    "reports** in flagged cells is how much of last week's (last 4 weeks') crime occurred "
    "in them: how concentrated recent crime is there, not a forecast of next week's."
)
scores = evaluation.models[model]
headline = hotspot_views.HEADLINE_COVERAGE
caveat = "" if group is None else f" The evaluation covers all crime groups, not {group} alone."
st.caption(
    f"**How good is it?** On the last {len(evaluation.eval_weeks)} full weeks of the data, "
    f"each forecast from the weeks before it only, {model}'s {headline:.0%} of cells "
    f"held {scores.metric('hit_rate').mean:.0%} of the week's crimes city-wide: a PAI at "
    f"{headline:.0%} of {scores.metric('pai').mean:.2f} (crime caught per share "
    "of area flagged; 1 = no better than chance), "
    f"{scores.metric('pai', allocation='proportional').mean:.2f} with "
    "proportional allocation. "
    f"{evaluation.verdict}{caveat}"
)

week_in_data = end <= last_day
outcome = hotspot_views.week_outcome(forecast, ui.reports(), group) if week_in_data else None
if outcome is not None:
    st.subheader("How this forecast did")
    result = st.columns(3)
    result[0].metric("Reports that week", f"{outcome['crimes']:,}")
    result[1].metric(
        "In the flagged cells",
        f"{outcome['hit_rate']:.1%}",
        help="Share of the week's reports in the city that occurred in the flagged cells.",
    )
    result[2].metric(
        f"PAI at {coverage}%",
        f"{outcome['pai']:.2f}",
        help="Share of the week's reports caught per share of the cells flagged.",
    )
    st.caption(
        "The forecast week is in the data, so its flags can be scored against what happened. "
        "Reports of the most recent weeks are still coming in."
    )
ui.exclusions_expander()
