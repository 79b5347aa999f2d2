"""Charts for the pages, as Plotly figures built from the tables in `lacrime.app.summaries` and
`lacrime.app.hourly`.

Each series is one named trace (its legend entry), drawn from one column of the table it came
from, so a test can read a figure's traces back against that table. Colours come from
`lacrime.app.palette`: counted reports dark slate, values a data-quality check marks vermillion,
context grey, the user's choice black, and each model its own colour on every page. Every hover
names its unit ("412 reports", "0.82 crimes in that hour").
"""

import textwrap

import pandas as pd
import plotly.graph_objects as go

from lacrime.app import palette
from lacrime.hourly.models import MODELS

ROLLING_DAYS = 7
# LAPD's crime descriptions run to 60 characters; wrapped, they leave room for the bars.
LABEL_WIDTH = 32
HOURS = list(range(24))
HOUR_AXIS = {
    "tickmode": "array",
    "tickvals": HOURS[::2],
    "ticktext": [f"{h:02d}:00" for h in HOURS[::2]],
    "range": [-0.6, 23.6],
}
# The second allocation mode's bars are hatched in the same colour: a mode is not a model, and
# the colour stays the model's.
ALLOCATION_PATTERNS = ("", "/")
LEGEND = {
    "orientation": "h",
    "yanchor": "bottom",
    "y": 1.02,
    "x": 0,
    "title": None,
    "traceorder": "normal",
}


def hour_span(hour: int) -> str:
    """An hour as a hover shows it: 18 is "18:00–18:59"."""
    return f"{hour:02d}:00–{hour:02d}:59"


def figure(height: int, x_title: str | None, y_title: str | None, **layout: object) -> go.Figure:
    """An empty figure with the pages' common layout: legend on top, little margin, titled axes."""
    fig = go.Figure()
    fig.update_layout(
        height=height,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        legend=LEGEND,
        hoverlabel={"namelength": -1},
        xaxis_title=x_title,
        yaxis_title=y_title,
        **layout,
    )
    return fig


def daily_chart(daily: pd.Series) -> go.Figure:
    """Reports per day, with a centred 7-day mean that shows the trend under weekday swings."""
    fig = figure(340, "day of occurrence", "reports")
    mean = daily.rolling(ROLLING_DAYS, center=True).mean()
    fig.add_scatter(
        x=daily.index,
        y=daily.to_numpy(),
        name="reports per day",
        line={"color": palette.CONTEXT, "width": 1},
        hovertemplate="%{x|%a %Y-%m-%d}: %{y:,} reports<extra></extra>",
    )
    fig.add_scatter(
        x=daily.index,
        y=mean.to_numpy(),
        name=f"{ROLLING_DAYS}-day mean",
        line={"color": palette.REPORTS, "width": 2.5},
        hovertemplate="%{x|%a %Y-%m-%d}: %{y:,.1f} reports a day, "
        f"{ROLLING_DAYS}-day mean<extra></extra>",
    )
    fig.update_xaxes(tickformat="%b %d")
    return fig


def weekly_chart(weekly: pd.DataFrame) -> go.Figure:
    """Reports per full week; weeks flagged as incomplete in their own colour and legend entry."""
    fig = figure(340, "week starting (Monday)", "reports", barmode="overlay")
    kinds = {
        "full week": (False, palette.REPORTS),
        "full week, reports probably still coming in": (True, palette.FLAGGED),
    }
    for name, (incomplete, colour) in kinds.items():
        weeks = weekly[weekly["incomplete"] == incomplete]
        fig.add_bar(
            x=weeks["week_start"],
            y=weeks["reports"].to_numpy(),
            name=name,
            marker_color=colour,
            width=6 * 86_400_000,
            hovertemplate="Week of %{x|%Y-%m-%d}: %{y:,} reports<extra>" + name + "</extra>",
        )
    fig.update_xaxes(tickformat="%b %d")
    return fig


def wrap(name: str) -> str:
    """A long category name over lines of at most LABEL_WIDTH characters (words kept whole)."""
    lines = textwrap.wrap(name, LABEL_WIDTH, break_long_words=False, break_on_hyphens=False)
    return "<br>".join(lines) or name


def top_chart(counts: pd.Series, axis_title: str) -> go.Figure:
    """Horizontal bars, largest on top, long category names wrapped so the bars keep room."""
    names = counts.index.astype(str)
    fig = figure(60 + 40 * len(counts), "reports", None, showlegend=False)
    fig.add_bar(
        x=counts.to_numpy(),
        y=[wrap(name) for name in names],
        customdata=list(names),
        orientation="h",
        name="reports",
        marker_color=palette.REPORTS,
        hovertemplate="%{customdata}: %{x:,} reports<extra></extra>",
    )
    fig.update_yaxes(autorange="reversed", title=axis_title)
    return fig


def hour_chart(hours: pd.DataFrame) -> go.Figure:
    """Reports per hour, the default 'unknown' times stacked on top so the fake noon peak shows."""
    kinds = {
        "other_time": ("other times", palette.REPORTS),
        "default_time": ("exactly 12:00 or 00:01 (defaults for 'unknown')", palette.FLAGGED),
    }
    fig = figure(340, "hour of occurrence", "reports", barmode="stack")
    for column, (name, colour) in kinds.items():
        fig.add_bar(
            x=hours.index.to_numpy(),
            y=hours[column].to_numpy(),
            customdata=[hour_span(h) for h in hours.index],
            name=name,
            marker_color=colour,
            hovertemplate="%{customdata}: %{y:,} reports<extra>" + name + "</extra>",
        )
    fig.update_xaxes(**HOUR_AXIS)
    return fig


def minute_chart(minutes: pd.Series) -> go.Figure:
    """Reports per minute past the hour: spikes at :00, :30, :15 and :45 show rounded times."""
    fig = figure(340, "minutes past the hour", "reports", showlegend=False)
    fig.add_bar(
        x=minutes.index.to_numpy(),
        y=minutes.to_numpy(),
        name="reports",
        marker_color=[palette.FLAGGED if m == 0 else palette.REPORTS for m in minutes.index],
        hovertemplate=":%{x:02d} past the hour: %{y:,} reports<extra></extra>",
    )
    fig.update_xaxes(tickmode="array", tickvals=list(range(0, 60, 5)))
    return fig


def lag_chart(lag: pd.DataFrame) -> go.Figure:
    """Share of reports by how many days after the crime they were made, each bar labelled."""
    fig = figure(340, "days from occurrence to report", "share of reports", showlegend=False)
    fig.add_bar(
        x=lag["lag"].tolist(),
        y=lag["share"].to_numpy(),
        name="share of reports",
        marker_color=palette.REPORTS,
        texttemplate="%{y:.1%}",
        textposition="outside",
        cliponaxis=False,
        hovertemplate="%{x} to report: %{y:.1%} of reports<extra></extra>",
    )
    fig.update_yaxes(tickformat=".0%")
    return fig


def area_ratio_chart(spread: pd.DataFrame, modes: dict[str, str], model: str) -> go.Figure:
    """Each area's share of flagged cells over its share of crime, one bar per allocation mode
    (`modes`: name to label) in `model`'s colour, areas in the table's order, lines at 0.5, 1
    and 2."""
    fig = figure(
        120 + 34 * len(spread),
        "share of flagged cells ÷ share of crime (1 = in proportion)",
        None,
        barmode="group",
    )
    for (mode, label), pattern in zip(modes.items(), ALLOCATION_PATTERNS, strict=True):
        fig.add_bar(
            x=spread[f"{mode}_ratio"].to_numpy(),
            y=spread["area_name"].tolist(),
            orientation="h",
            name=label,
            marker={"color": palette.HOTSPOT_MODELS.get(model, palette.REPORTS)},
            marker_pattern_shape=pattern,
            hovertemplate="%{y}: %{x:.2f}× its share of crime in flags<extra>" + label + "</extra>",
        )
    for ratio in (0.5, 1.0, 2.0):
        fig.add_vline(x=ratio, line={"color": palette.CONTEXT, "dash": "dash", "width": 1})
    fig.update_yaxes(autorange="reversed")
    return fig


def hourly_curve_chart(
    day: pd.DataFrame, hour: int, interval_level: float, model: str
) -> go.Figure:
    """The day's forecast by `model` with its interval band, the observed averages as points,
    and the chosen hour marked; the forecast with default times kept, dashed, when the table
    has it."""
    fig = figure(400, "hour of the day (start of the hour)", "crimes in that hour")
    spans = [hour_span(h) for h in day["hour"]]
    fig.add_vrect(
        x0=hour - 0.5, x1=hour + 0.5, fillcolor=palette.CONTEXT, opacity=0.2, line_width=0
    )
    _add_band(fig, day, spans, interval_level)
    fig.add_scatter(
        x=day["hour"],
        y=day["expected"],
        customdata=spans,
        mode="lines+markers",
        name=f"forecast ({MODELS[model].label})",
        line={"color": palette.HOURLY_MODELS[model], "width": 3},
        hovertemplate="%{customdata}: %{y:.2f} crimes in that hour<extra>forecast</extra>",
    )
    if "expected_default_times_kept" in day:
        fig.add_scatter(
            x=day["hour"],
            y=day["expected_default_times_kept"],
            customdata=spans,
            name="forecast with 12:00 and 00:01 reports kept",
            line={"color": palette.CONTEXT, "width": 2, "dash": "dash"},
            hovertemplate="%{customdata}: %{y:.2f} crimes in that hour<extra>with 12:00 and "
            "00:01 kept</extra>",
        )
    fig.add_scatter(
        x=day["hour"],
        y=day["observed"],
        customdata=spans,
        mode="markers",
        name="observed average",
        marker={"color": "white", "size": 9, "line": {"color": palette.REPORTS, "width": 2}},
        hovertemplate="%{customdata}: %{y:.2f} crimes observed on average<extra></extra>",
    )
    chosen = day[day["hour"] == hour]
    fig.add_scatter(
        x=chosen["hour"],
        y=chosen["expected"],
        customdata=[hour_span(hour)],
        mode="markers",
        name="chosen hour",
        marker={"color": palette.CHOSEN, "size": 16, "symbol": "diamond"},
        hovertemplate="chosen hour, %{customdata}: %{y:.2f} crimes in that hour<extra></extra>",
    )
    fig.update_xaxes(**HOUR_AXIS)
    fig.update_yaxes(rangemode="tozero")
    return fig


def _add_band(fig: go.Figure, day: pd.DataFrame, spans: list[str], interval_level: float) -> None:
    """The interval band, one step per hour: an unlabelled top edge, then the bottom edge
    filled up to it, which carries the legend entry and the hover."""
    band = f"{interval_level:.0%} of such hours fall in this band"
    fig.add_scatter(
        x=day["hour"],
        y=day["upper"],
        line={"width": 0, "shape": "hvh"},
        showlegend=False,
        hoverinfo="skip",
        name=f"{band} (top)",
    )
    fig.add_scatter(
        x=day["hour"],
        y=day["lower"],
        customdata=list(zip(spans, day["upper"], strict=True)),
        fill="tonexty",
        fillcolor=translucent(palette.CONTEXT, 0.35),
        line={"width": 0, "shape": "hvh"},
        name=band,
        hovertemplate="%{customdata[0]}: %{y:,} to %{customdata[1]:,} crimes<extra>"
        f"{interval_level:.0%} band</extra>",
    )


def translucent(colour: str, alpha: float) -> str:
    """A palette colour ("#RRGGBB") as a CSS rgba() colour of opacity `alpha`."""
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red}, {green}, {blue}, {alpha})"


def weekday_chart(curves: pd.DataFrame, chosen: str) -> go.Figure:
    """Expected crimes per hour, one line per weekday, the chosen weekday drawn thick."""
    fig = figure(360, "hour of the day (start of the hour)", "expected crimes in that hour")
    spans = [hour_span(h) for h in curves.index]
    for weekday, colour in zip(curves.columns, palette.SERIES, strict=False):
        thick = weekday == chosen
        fig.add_scatter(
            x=curves.index.to_numpy(),
            y=curves[weekday].to_numpy(),
            customdata=spans,
            name=weekday,
            line={"color": colour, "width": 4 if thick else 1.5},
            opacity=1 if thick else 0.75,
            hovertemplate=f"{weekday}, " + "%{customdata}: %{y:.2f} crimes in that hour"
            "<extra></extra>",
        )
    fig.update_xaxes(**HOUR_AXIS)
    fig.update_yaxes(rangemode="tozero")
    return fig
