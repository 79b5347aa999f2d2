"""The Plotly charts of the Overview's weekly comparison and of the Area page, in the palette's
colours, each hover naming its units."""

import pandas as pd
import plotly.graph_objects as go

from lacrime.app import palette
from lacrime.calendar import WEEKDAYS

HEIGHT = 320
MARGIN = {"l": 10, "r": 10, "t": 50, "b": 10}


def _layout(figure: go.Figure, title: str, height: int = HEIGHT) -> go.Figure:
    figure.update_layout(
        title={"text": title, "font": {"size": 14}},
        height=height,
        margin=MARGIN,
        hovermode="closest",
        legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 1, "xanchor": "right"},
    )
    return figure


def change_chart(table: pd.DataFrame, what: str, incomplete: list[str] | None = None) -> go.Figure:
    """This week's change against the 4-week mean, one bar per row of a `weekly` table:
    dark when beyond chance, grey when within it, vermillion where the weeks are incomplete."""
    ordered = table.sort_values("change_share", na_position="first")
    incomplete = set(incomplete or ())
    colours = [
        palette.FLAGGED
        if name in incomplete
        else palette.REPORTS
        if row["beyond_chance"]
        else palette.CONTEXT
        for name, row in ordered.iterrows()
    ]
    notes = [
        "incomplete weeks (records-system switch)"
        if name in incomplete
        else "beyond normal week-to-week variation"
        if row["beyond_chance"]
        else "within normal week-to-week variation"
        for name, row in ordered.iterrows()
    ]
    figure = go.Figure(
        go.Bar(
            x=ordered["change_share"] * 100,
            y=ordered.index,
            orientation="h",
            marker_color=colours,
            customdata=list(
                zip(
                    ordered["this_week"],
                    ordered["mean_before"],
                    ordered["change"],
                    notes,
                    strict=True,
                )
            ),
            hovertemplate=(
                "%{y}: %{customdata[0]:,} reports this week, %{customdata[1]:.1f} a week "
                "before<br>change %{customdata[2]:+.1f} reports (%{x:+.0f}%)<br>"
                "%{customdata[3]}<extra></extra>"
            ),
        )
    )
    figure.update_xaxes(title="change against the mean of the 4 weeks before, %", zeroline=True)
    height = max(HEIGHT, 22 * len(ordered) + 80)
    return _layout(figure, f"This week against the 4 weeks before, by {what}", height)


def trend_chart(weeks: pd.DataFrame, city: str) -> go.Figure:
    """Each place's weekly reports as a share of its own mean week (100 = a typical week), so
    an area and the city share one honest axis; `weeks` is `area.weekly_index` (long: one
    row per place and week), `city` the name of the city's rows, drawn dotted grey. Weeks an
    area reported incompletely are crosses."""
    figure = go.Figure()
    areas = [name for name in weeks["place"].unique() if name != city]
    colours = {city: palette.CONTEXT, **dict(zip(areas, palette.SERIES, strict=False))}
    for name, part in weeks.groupby("place", sort=False):
        is_city = name == city
        figure.add_trace(
            go.Scatter(
                x=part["week_start"],
                y=part["index"],
                name=name,
                mode="lines+markers",
                line={"color": colours[name], "dash": "dot" if is_city else "solid"},
                marker={"symbol": ["x" if f else "circle" for f in part["incomplete"]], "size": 8},
                customdata=part[["reports"]].to_numpy(),
                hovertemplate=(
                    f"{name}, week of %{{x|%d %b %Y}}: %{{customdata[0]:,}} reports, "
                    "%{y:.0f}% of its mean week<extra></extra>"
                ),
            )
        )
    figure.add_hline(y=100, line={"color": palette.CONTEXT, "width": 1})
    figure.update_yaxes(title="reports, % of its own mean week")
    figure.update_xaxes(title="week starting")
    return _layout(figure, "Weekly reports, each as a share of its own mean week")


def mix_chart(mix: pd.DataFrame) -> go.Figure:
    """Each area's (and the city's) share of reports per crime group, side by side."""
    figure = go.Figure()
    colours = {"City of Los Angeles": palette.CONTEXT}
    colours.update(
        zip([c for c in mix.columns if c != "City of Los Angeles"], palette.SERIES, strict=False)
    )
    for column in mix.columns:
        figure.add_trace(
            go.Bar(
                x=mix[column] * 100,
                y=mix.index,
                name=column,
                orientation="h",
                marker_color=colours[column],
                hovertemplate=f"{column}, %{{y}}: %{{x:.1f}}% of its reports<extra></extra>",
            )
        )
    figure.update_layout(barmode="group")
    figure.update_xaxes(title="share of the reports, %")
    figure.update_yaxes(autorange="reversed")
    return _layout(figure, "Crime-group mix", max(HEIGHT, 40 * len(mix) + 60))


def hour_of_week_chart(profile: pd.DataFrame, title: str) -> go.Figure:
    """Mean reports per hour of each weekday (7 rows x 24 hours) as a heatmap."""
    figure = go.Figure(
        go.Heatmap(
            z=profile.to_numpy(),
            x=[f"{h:02d}:00" for h in profile.columns],
            y=list(WEEKDAYS),
            colorscale=[[0.0, "#FFFFFF"], [1.0, palette.BLUE]],
            colorbar={"title": "reports<br>per hour"},
            hovertemplate="%{y} %{x}: %{z:.2f} reports in the hour, on average<extra></extra>",
        )
    )
    figure.update_yaxes(autorange="reversed")
    return _layout(figure, title, 300)
