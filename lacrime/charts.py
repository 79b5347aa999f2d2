"""Plotly figures for the pages, built from the tables in `lacrime.summaries`.

Colours come from the Okabe-Ito palette (distinguishable with the common colour-vision
deficiencies), and the same colour always means the same thing: blue for counts, vermillion
for values a data-quality flag marks, grey for context.
"""

import textwrap

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

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


# The Okabe-Ito colours other than yellow (too pale on white), for series that are peers:
# weekdays, or the models of one comparison, each model keeping its colour on every chart.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000")
BLACK = "#000000"
BAND = "rgba(0, 114, 178, 0.18)"
HOUR_TICKS = {
    "tickvals": list(range(0, 24, 2)),
    "ticktext": [f"{h:02d}:00" for h in range(0, 24, 2)],
}
LEGEND_BELOW = {"orientation": "h", "yanchor": "top", "y": -0.18, "x": 0}


def series_colours(names: list[str]) -> dict[str, str]:
    """A colour per name, in the given order (cycling if there are more names than colours)."""
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(names)}


def _style(name: str, default: str, kinds: dict[str, str], colour: str) -> dict:
    """A model's line: the default drawn thick, baselines dashed."""
    return {
        "color": colour,
        "width": 4 if name == default else 2,
        "dash": "dash" if kinds.get(name) == "baseline" else "solid",
    }


def _legend_inside(side: str) -> dict:
    """A legend in a bottom corner of the plot, where ROC and PR curves leave room."""
    return {
        "orientation": "v",
        "x": 0.98 if side == "right" else 0.02,
        "xanchor": side,
        "y": 0.04,
        "yanchor": "bottom",
        "bgcolor": "rgba(255, 255, 255, 0.8)",
    }


def _model_name(name: str, default: str) -> str:
    return f"{name} (default)" if name == default else name


def hourly_curve_chart(day: pd.DataFrame, hour: int, interval_level: float) -> go.Figure:
    """The day's forecast with its interval band, the observed averages as points, and the
    chosen hour marked; the forecast with default times kept, dashed, when the table has it."""
    fig = go.Figure()
    fig.add_scatter(
        x=day["hour"],
        y=day["upper"],
        mode="lines",
        line={"width": 0, "shape": "hvh"},
        showlegend=False,
        hoverinfo="skip",
    )
    fig.add_scatter(
        x=day["hour"],
        y=day["lower"],
        mode="lines",
        line={"width": 0, "shape": "hvh"},
        fill="tonexty",
        fillcolor=BAND,
        name=f"{interval_level:.0%} of such hours fall in this band",
        hovertemplate="range %{y:,}–%{customdata:,}<extra></extra>",
        customdata=day["upper"],
    )
    fig.add_scatter(
        x=day["hour"],
        y=day["expected"],
        mode="lines+markers",
        name="forecast",
        line={"color": BLUE, "width": 3},
        marker={"size": 5},
        hovertemplate="forecast %{y:.2f}<extra></extra>",
    )
    if "expected_default_times_kept" in day:
        fig.add_scatter(
            x=day["hour"],
            y=day["expected_default_times_kept"],
            mode="lines",
            name="forecast with 12:00 and 00:01 reports kept",
            line={"color": GREY, "width": 2, "dash": "dash"},
            hovertemplate="with default times %{y:.2f}<extra></extra>",
        )
    fig.add_scatter(
        x=day["hour"],
        y=day["observed"],
        mode="markers",
        name="observed average",
        marker={"color": BLACK, "size": 8, "symbol": "circle-open", "line": {"width": 2}},
        hovertemplate="observed %{y:.2f}<extra></extra>",
    )
    chosen = day[day["hour"] == hour]
    fig.add_vrect(x0=hour - 0.5, x1=hour + 0.5, fillcolor=GREY, opacity=0.2, line_width=0)
    fig.add_scatter(
        x=chosen["hour"],
        y=chosen["expected"],
        mode="markers",
        name="chosen hour",
        marker={"color": VERMILLION, "size": 16, "symbol": "diamond"},
        hovertemplate="chosen hour %{y:.2f}<extra></extra>",
    )
    return _layout(
        fig,
        height=400,
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0, "traceorder": "normal"},
        xaxis={"title": "hour of the day (start of the hour)", "range": [-0.6, 23.6], **HOUR_TICKS},
        yaxis={"title": "crimes in that hour", "rangemode": "tozero"},
    )


def weekday_chart(curves: pd.DataFrame, chosen: str) -> go.Figure:
    """Expected crimes per hour, one line per weekday, the chosen weekday drawn thick."""
    colours = series_colours(list(curves.columns))
    fig = go.Figure(
        [
            go.Scatter(
                x=curves.index,
                y=curves[weekday],
                name=weekday,
                mode="lines",
                line={"color": colours[weekday], "width": 4 if weekday == chosen else 1.5},
                opacity=1 if weekday == chosen else 0.75,
                hovertemplate=f"{weekday} %{{y:.2f}}<extra></extra>",
            )
            for weekday in curves.columns
        ]
    )
    return _layout(
        fig,
        height=360,
        xaxis={"title": "hour of the day (start of the hour)", **HOUR_TICKS},
        yaxis={"title": "expected crimes in that hour", "rangemode": "tozero"},
    )


def coverage_chart(curves: pd.DataFrame, default: str, kinds: dict[str, str]) -> go.Figure:
    """Hit rate, PAI and PEI* against the share of the area flagged, one line per model, the
    1% and 5% marks the tables report drawn as dotted lines."""
    measures = (("hit_rate", "Hit rate", ".0%"), ("pai", "PAI", ".1f"), ("pei_star", "PEI*", ".0%"))
    fig = make_subplots(
        rows=1, cols=len(measures), subplot_titles=[title for _, title, _ in measures]
    )
    models = list(dict.fromkeys(curves["model"]))
    colours = series_colours(sorted(kinds))
    for name in models:
        part = curves[curves["model"] == name]
        for col, (key, title, number) in enumerate(measures, start=1):
            fig.add_scatter(
                x=part["coverage"],
                y=part[key],
                name=_model_name(name, default),
                legendgroup=name,
                showlegend=col == 1,
                mode="lines",
                line=_style(name, default, kinds, colours[name]),
                hovertemplate=f"{name}: {title} %{{y:{number}}} at %{{x:.1%}}<extra></extra>",
                row=1,
                col=col,
            )
            fig.update_yaxes(tickformat=number, rangemode="tozero", row=1, col=col)
    for coverage in (0.01, 0.05):
        fig.add_vline(x=coverage, line={"color": GREY, "dash": "dot", "width": 1})
    fig.update_xaxes(tickformat=".0%", title_text="share of the area flagged")
    return _layout(
        fig,
        height=380,
        legend=LEGEND_BELOW,
        hovermode="closest",
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
    )


def roc_chart(points: pd.DataFrame, default: str, kinds: dict[str, str]) -> go.Figure:
    """Each model's ROC curve over the pooled evaluation weeks, against chance."""
    colours = series_colours(sorted(kinds))
    fig = go.Figure()
    for name, part in points.groupby("model", sort=False):
        fig.add_scatter(
            x=part["fpr"],
            y=part["tpr"],
            mode="lines",
            name=_model_name(name, default),
            line=_style(name, default, kinds, colours[name]),
            hovertemplate=(
                f"{name}: %{{y:.0%}} of hotspots at %{{x:.1%}} false alarms<extra></extra>"
            ),
        )
    fig.add_scatter(
        x=[0, 1],
        y=[0, 1],
        mode="lines",
        name="chance",
        line={"color": GREY, "dash": "dot"},
        hoverinfo="skip",
    )
    return _layout(
        fig,
        height=420,
        legend=_legend_inside("right"),
        hovermode="closest",
        xaxis={"title": "false positive rate (quiet cells flagged)", "tickformat": ".0%"},
        yaxis={"title": "true positive rate (hotspots found)", "tickformat": ".0%"},
    )


def pr_chart(points: pd.DataFrame, default: str, kinds: dict[str, str], floor: float) -> go.Figure:
    """Each model's precision-recall curve, against a random ranking's precision (`floor`)."""
    colours = series_colours(sorted(kinds))
    fig = go.Figure()
    for name, part in points.groupby("model", sort=False):
        fig.add_scatter(
            x=part["recall"],
            y=part["precision"],
            mode="lines",
            name=_model_name(name, default),
            line=_style(name, default, kinds, colours[name]),
            hovertemplate=f"{name}: precision %{{y:.0%}} at recall %{{x:.0%}}<extra></extra>",
        )
    fig.add_scatter(
        x=[0, 1],
        y=[floor, floor],
        mode="lines",
        name="random ranking",
        line={"color": GREY, "dash": "dot"},
        hoverinfo="skip",
    )
    return _layout(
        fig,
        height=420,
        legend=_legend_inside("left"),
        hovermode="closest",
        xaxis={"title": "recall (hotspots found)", "tickformat": ".0%"},
        yaxis={
            "title": "precision (flagged cells that were hotspots)",
            "tickformat": ".0%",
            "range": [0, 1.02],
        },
    )


def confusion_chart(matrices: dict[str, pd.DataFrame], default: str) -> go.Figure:
    """A small heatmap per model: cell-weeks by actual and flagged class, shaded by the share
    of the actual class (so the hotspot row reads as recall whatever its size)."""
    names = list(matrices)
    fig = make_subplots(
        rows=1,
        cols=len(names),
        subplot_titles=[_model_name(n, default) for n in names],
        horizontal_spacing=0.03,
    )
    for col, name in enumerate(names, start=1):
        matrix = matrices[name]
        share = matrix.div(matrix.sum(axis=1).replace(0, 1), axis=0)
        text = [
            [f"{count:,}<br>{part:.0%}" for count, part in zip(row_counts, row_shares, strict=True)]
            for row_counts, row_shares in zip(matrix.to_numpy(), share.to_numpy(), strict=True)
        ]
        fig.add_trace(
            go.Heatmap(
                z=share.to_numpy(),
                x=[c.removeprefix("flagged ") for c in matrix.columns],
                y=[r.removeprefix("actual ") for r in matrix.index],
                text=text,
                texttemplate="%{text}",
                colorscale="Blues",
                zmin=0,
                zmax=1,
                showscale=False,
                hovertemplate="actual %{y}, flagged %{x}: %{text}<extra></extra>",
            ),
            row=1,
            col=col,
        )
        fig.update_yaxes(autorange="reversed", showticklabels=col == 1, row=1, col=col)
    fig.update_xaxes(title_text="flagged as", side="bottom")
    fig.update_yaxes(title_text="actual", row=1, col=1)
    fig.update_annotations(font_size=12)
    return _layout(
        fig, height=280, hovermode="closest", margin={"l": 10, "r": 10, "t": 40, "b": 10}
    )


def per_week_chart(
    weekly: pd.DataFrame, default: str, kinds: dict[str, str], measure: str
) -> go.Figure:
    """One measure per evaluation week, a line per model, so the spread and the order of the
    models from week to week can be seen, not just their averages."""
    colours = series_colours(sorted(kinds))
    fig = go.Figure()
    for name, part in weekly.groupby("model", sort=False):
        fig.add_scatter(
            x=part["week_start"],
            y=part["value"],
            mode="lines+markers",
            name=_model_name(name, default),
            line=_style(name, default, kinds, colours[name]),
            marker={"size": 9},
            hovertemplate=f"{name}: %{{y:.2f}}<extra></extra>",
        )
    return _layout(
        fig,
        height=360,
        legend=LEGEND_BELOW,
        xaxis={"title": "evaluation week (starting Monday)", "type": "category"},
        yaxis={"title": measure},
    )


def allocation_chart(modes: pd.DataFrame, default: str) -> go.Figure:
    """PAI at 5% of each model with cells ranked city-wide and with each area given a quota."""
    fig = go.Figure()
    for mode, name, colour in (
        ("citywide", "ranked city-wide", BLUE),
        ("proportional", "each area a quota by its share of crimes", PALETTE[1]),
    ):
        part = modes[modes["mode"] == mode]
        fig.add_bar(
            x=[_model_name(n, default) for n in part["model"]],
            y=part["pai_5"],
            name=name,
            marker_color=colour,
            text=[f"{v:.2f}" for v in part["pai_5"]],
            textposition="outside",
            hovertemplate="%{x}: PAI %{y:.2f}<extra></extra>",
        )
    return _layout(
        fig,
        height=360,
        barmode="group",
        hovermode="closest",
        xaxis_title="model",
        yaxis={"title": "PAI at 5% of the area", "rangemode": "tozero"},
    )


def area_ratio_chart(spread: pd.DataFrame, modes: dict[str, str]) -> go.Figure:
    """Each area's share of flagged cells over its share of crime, one bar per allocation mode
    (`modes`: name to label), areas in the table's order, with lines at 0.5, 1 and 2."""
    fig = go.Figure()
    for (mode, label), colour in zip(modes.items(), (BLUE, PALETTE[1]), strict=False):
        fig.add_bar(
            y=spread["area_name"],
            x=spread[f"{mode}_ratio"],
            name=label,
            orientation="h",
            marker_color=colour,
            hovertemplate="%{y}: %{x:.2f}× its share<extra></extra>",
        )
    for ratio in (0.5, 1.0, 2.0):
        fig.add_vline(x=ratio, line_dash="dash", line_color="#1B1F24", line_width=1)
    return _layout(
        fig,
        height=120 + 34 * len(spread),
        barmode="group",
        hovermode="closest",
        xaxis_title="share of flagged cells ÷ share of crime (1 = in proportion)",
        yaxis={"autorange": "reversed", "title": None},
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom"},
    )


def hourly_fit_chart(fit: pd.DataFrame, default: str) -> go.Figure:
    """Mean observed count per hour of the held-out weeks against each model's mean forecast."""
    models = [c for c in fit.columns if c != "observed"]
    colours = series_colours(models)
    fig = go.Figure(
        [
            go.Scatter(
                x=fit.index,
                y=fit[name],
                mode="lines",
                name=_model_name(name, default),
                line={
                    "color": colours[name],
                    "width": 4 if name == default else 2,
                    "dash": "dash" if name == "baseline" else "solid",
                },
                hovertemplate=f"{name} %{{y:.2f}}<extra></extra>",
            )
            for name in models
        ]
    )
    fig.add_scatter(
        x=fit.index,
        y=fit["observed"],
        mode="markers",
        name="observed",
        marker={"color": BLACK, "size": 8, "symbol": "circle-open", "line": {"width": 2}},
        hovertemplate="observed %{y:.2f}<extra></extra>",
    )
    return _layout(
        fig,
        height=360,
        xaxis={"title": "hour of the day (start of the hour)", **HOUR_TICKS},
        yaxis={"title": "mean crimes in that hour", "rangemode": "tozero"},
    )
