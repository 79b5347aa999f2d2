"""Plotly figures for the pages, built from the tables in `lacrime.summaries`.

Colours come from the Okabe-Ito palette (distinguishable with the common colour-vision
deficiencies), and the same colour always means the same thing: blue for counts, vermillion
for values a data-quality flag marks, grey for context.
"""

import textwrap

import pandas as pd
import plotly.graph_objects as go

BLUE = "#0072B2"
VERMILLION = "#D55E00"
GREY = "#9AA5B1"
ROLLING_DAYS = 7
# LAPD's crime descriptions run to 60 characters; wrapped, they leave room for the bars.
LABEL_WIDTH = 32


def _layout(fig: go.Figure, *, height: int = 340, **kwargs: object) -> go.Figure:
    defaults = {
        "height": height,
        "margin": {"l": 10, "r": 10, "t": 30, "b": 10},
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
        "hovermode": "x unified",
    }
    fig.update_layout(**(defaults | kwargs))
    return fig


def daily_chart(daily: pd.Series) -> go.Figure:
    """Reports per day, with a centred 7-day mean that shows the trend under weekday swings."""
    rolling = daily.rolling(ROLLING_DAYS, center=True).mean()
    fig = go.Figure(
        [
            go.Scatter(
                x=daily.index,
                y=daily.to_numpy(),
                name="reports per day",
                mode="lines",
                line={"color": GREY, "width": 1},
            ),
            go.Scatter(
                x=rolling.index,
                y=rolling.to_numpy(),
                name=f"{ROLLING_DAYS}-day mean",
                mode="lines",
                line={"color": BLUE, "width": 2.5},
            ),
        ]
    )
    return _layout(fig, xaxis_title="day of occurrence", yaxis_title="reports")


def weekly_chart(weekly: pd.DataFrame) -> go.Figure:
    """Reports per full week; weeks flagged as incomplete in their own colour and legend entry."""
    fig = go.Figure()
    for incomplete, name, colour in (
        (False, "full week", BLUE),
        (True, "full week, reports probably still coming in", VERMILLION),
    ):
        part = weekly[weekly["incomplete"] == incomplete]
        fig.add_bar(
            x=part["week_start"],
            y=part["reports"],
            name=name,
            marker_color=colour,
            hovertemplate="week of %{x|%Y-%m-%d}: %{y:,} reports<extra></extra>",
        )
    return _layout(
        fig, xaxis_title="week starting (Monday)", yaxis_title="reports", hovermode="closest"
    )


def top_chart(counts: pd.Series, axis_title: str) -> go.Figure:
    """Horizontal bars, largest on top, long category names wrapped so the bars keep room."""
    names = counts.index.astype(str)
    fig = go.Figure(
        go.Bar(
            x=counts.to_numpy(),
            y=[
                "<br>".join(
                    textwrap.wrap(name, LABEL_WIDTH, break_long_words=False, break_on_hyphens=False)
                )
                or name
                for name in names
            ],
            customdata=names,
            orientation="h",
            marker_color=BLUE,
            hovertemplate="%{customdata}: %{x:,} reports<extra></extra>",
        )
    )
    return _layout(
        fig,
        height=max(260, 36 * len(counts) + 80),
        xaxis_title="reports",
        yaxis={"title": axis_title, "autorange": "reversed", "automargin": True},
        hovermode="closest",
    )


def hour_chart(hours: pd.DataFrame) -> go.Figure:
    """Reports per hour, the default 'unknown' times stacked on top so the fake noon peak shows."""
    fig = go.Figure(
        [
            go.Bar(
                x=hours.index,
                y=hours["other_time"],
                name="other times",
                marker_color=BLUE,
            ),
            go.Bar(
                x=hours.index,
                y=hours["default_time"],
                name="exactly 12:00 or 00:01 (defaults for 'unknown')",
                marker_color=VERMILLION,
            ),
        ]
    )
    return _layout(
        fig,
        barmode="stack",
        xaxis={"title": "hour of occurrence", "dtick": 2},
        yaxis_title="reports",
    )


def minute_chart(minutes: pd.Series) -> go.Figure:
    """Reports per minute past the hour: spikes at :00, :30, :15 and :45 show rounded times."""
    colours = [VERMILLION if minute == 0 else BLUE for minute in minutes.index]
    fig = go.Figure(
        go.Bar(
            x=minutes.index,
            y=minutes.to_numpy(),
            marker_color=colours,
            hovertemplate=":%{x:02d} past the hour: %{y:,} reports<extra></extra>",
        )
    )
    return _layout(
        fig,
        xaxis={"title": "minutes past the hour", "dtick": 5},
        yaxis_title="reports",
        hovermode="closest",
    )


def lag_chart(lag: pd.DataFrame) -> go.Figure:
    """Share of reports by how many days after the crime they were made."""
    fig = go.Figure(
        go.Bar(
            x=lag["lag"],
            y=lag["share"],
            marker_color=BLUE,
            text=[f"{share:.1%}" for share in lag["share"]],
            textposition="outside",
            hovertemplate="%{x}: %{y:.1%} of reports<extra></extra>",
        )
    )
    return _layout(
        fig,
        xaxis_title="days from occurrence to report",
        yaxis={
            "title": "share of reports",
            "tickformat": ".0%",
            "range": [0, 1.15 * max(lag["share"].max(), 0.01)],
        },
        hovermode="closest",
    )
