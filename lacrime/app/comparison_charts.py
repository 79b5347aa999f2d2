"""Charts for the Model comparison page, as Plotly figures built from the tables in
`lacrime.app.comparison` (the common layout and colour conventions: `lacrime.app.charts`).

Models are told apart the same way on every chart, so a reader learns it once: each model keeps
its colour from `lacrime.app.palette` (the default, random forest, blue on every page), is
named by its human name, the default drawn thick and marked "(default)", baselines dashed, and
reference lines (chance, a random ranking, the best plain baseline) grey and dotted. Each
model's values are one trace, named as its legend entry, drawn from the table it came from.
"""

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from lacrime.app import palette
from lacrime.app.charts import ALLOCATION_PATTERNS, HOUR_AXIS, LEGEND, figure, hour_span
from lacrime.app.comparison import hourly_label, label
from lacrime.app.comparison_gaps import GAP_MEASURES
from lacrime.hotspots.flagging import ALLOCATIONS
from lacrime.hotspots.models import label as model_label
from lacrime.hotspots.panel import feature_label

# The share of the area from which each coverage panel shows every line in full.
FULL_VIEW_FROM = 0.01
# How far apart the models' spread bars stand at one coverage (a share of the area).
SPREAD_STEP = 0.0012
REFERENCE = {"color": palette.CONTEXT, "dash": "dot", "width": 1.5}
# Matrices per row: five in one row leave their labels too little room on the page.
CONFUSION_COLUMNS = 3


def line_style(name: str, default: str, kind: str, colours: dict[str, str]) -> dict:
    """A model's line: its colour, thick when it is the default, dashed when a baseline."""
    return {
        "color": colours.get(name, palette.REPORTS),
        "width": 4 if name == default else 2,
        "dash": "dash" if kind == "baseline" else "solid",
    }


def _models(frame: pd.DataFrame) -> list[str]:
    """The models of a long table, in its order (the ranking's, best first)."""
    return list(dict.fromkeys(frame["model"]))


def coverage_gap_chart(
    gaps: pd.DataFrame, spread: pd.DataFrame, default: str, kinds: dict[str, str]
) -> go.Figure:
    """Each model's PAI, hit rate and PEI* minus the best plain baseline's at each share of the
    area flagged (one panel each), so curves a few percent apart can be told apart; at 1% and
    5%, bars from the worst to the best week's difference, so no margin is read into a line
    that the week-to-week spread does not carry."""
    titles = [title for _, title, _ in GAP_MEASURES]
    fig = make_subplots(rows=1, cols=len(GAP_MEASURES), subplot_titles=titles)
    for column, (measure, title, number) in enumerate(GAP_MEASURES, start=1):
        shown = gaps[gaps["measure"] == measure]
        weekly = spread[spread["measure"] == measure]
        names = _models(shown)
        for i, name in enumerate(names):
            line = line_style(name, default, kinds[name], palette.HOTSPOT_MODELS)
            curve = shown[shown["model"] == name]
            fig.add_scatter(
                x=curve["coverage"],
                y=curve["difference"],
                customdata=list(
                    zip(curve["value"], curve["baseline"].map(model_label), strict=True)
                ),
                name=label(name, default),
                legendgroup=label(name, default),
                showlegend=column == 1,
                line=line,
                hovertemplate=f"{title} %{{customdata[0]:{number}}} at %{{x:.1%}} coverage: "
                f"%{{y:+{number}}} against %{{customdata[1]}}"
                f"<extra>{label(name, default)}</extra>",
                row=1,
                col=column,
            )
            weeks = weekly[weekly["model"] == name]
            # Side by side at each coverage, so the bars of different models do not overlap.
            nudge = (i - (len(names) - 1) / 2) * SPREAD_STEP
            fig.add_trace(
                _spread_trace(weeks, nudge, label(name, default), line["color"], title, number),
                row=1,
                col=column,
            )
        fig.add_hline(y=0, line=REFERENCE, row=1, col=column)
        fig.update_yaxes(
            tickformat="+.2f" if measure == "pai" else "+.0%",
            range=_gap_range(shown, weekly),
            row=1,
            col=column,
        )
    fig.update_xaxes(tickformat=".0%", title="share of the area flagged")
    fig.update_yaxes(title="difference to the best plain baseline", row=1, col=1)
    fig.update_layout(
        height=440, margin={"l": 10, "r": 10, "t": 90, "b": 10}, legend=LEGEND | {"y": 1.14}
    )
    return fig


def _gap_range(gaps: pd.DataFrame, spread: pd.DataFrame) -> list[float]:
    """A panel's y range: every difference from FULL_VIEW_FROM of the area up and every week's
    range, with a margin. The smallest shares, where a handful of cells decides, can swing far
    and would flatten the rest; their lines run off the top or bottom (double-click the chart
    to see all of it)."""
    shown = gaps.loc[gaps["coverage"] >= FULL_VIEW_FROM, "difference"]
    low = min(shown.min(), spread["min"].min(), 0.0)
    high = max(shown.max(), spread["max"].max(), 0.0)
    margin = 0.08 * (high - low or 1.0)
    return [low - margin, high + margin]


def _spread_trace(
    weeks: pd.DataFrame, nudge: float, name: str, colour: str, title: str, number: str
) -> go.Scatter:
    """A model's weekly differences at the coverages measured every week: a point at the mean
    and a bar from the worst week's to the best week's difference, `nudge` right of the
    coverage."""
    return go.Scatter(
        x=weeks["coverage"] + nudge,
        y=weeks["mean"],
        error_y={
            "type": "data",
            "symmetric": False,
            "array": weeks["max"] - weeks["mean"],
            "arrayminus": weeks["mean"] - weeks["min"],
            "color": colour,
            "thickness": 2,
            "width": 5,
        },
        customdata=weeks[["min", "max", "weeks_above", "weeks", "coverage"]].to_numpy(),
        mode="markers",
        marker={"color": colour, "size": 7},
        name=f"{name}, spread over the weeks",
        legendgroup=name,
        showlegend=False,
        hovertemplate=f"{title} at %{{customdata[4]:.0%}} coverage, week by week: "
        f"%{{customdata[0]:+{number}}} to %{{customdata[1]:+{number}}}, above in "
        f"%{{customdata[2]}} of %{{customdata[3]}} weeks<extra>{name}</extra>",
    )


def roc_chart(points: pd.DataFrame, default: str, kinds: dict[str, str]) -> go.Figure:
    """Each model's ROC curve over the pooled evaluation weeks, against chance."""
    fig = _curve_chart(
        points,
        default,
        kinds,
        ("fpr", "false positive rate (quiet cells flagged)"),
        ("tpr", "true positive rate (hotspots found)"),
        "%{y:.0%} of hotspots found, %{x:.1%} of quiet cells flagged",
    )
    fig.add_scatter(x=[0, 1], y=[0, 1], name="chance", line=REFERENCE, hoverinfo="skip")
    fig.update_layout(
        legend={
            "orientation": "v",
            "x": 0.98,
            "xanchor": "right",
            "y": 0.02,
            "yanchor": "bottom",
            "bgcolor": "rgba(255,255,255,0.8)",
        }
    )
    return fig


def pr_chart(points: pd.DataFrame, default: str, kinds: dict[str, str], floor: float) -> go.Figure:
    """Each model's precision-recall curve, against a random ranking's precision (`floor`)."""
    fig = _curve_chart(
        points,
        default,
        kinds,
        ("recall", "recall (hotspots found)"),
        ("precision", "precision (flagged cells that were hotspots)"),
        "%{y:.0%} of flagged cells were hotspots, %{x:.0%} of hotspots found",
    )
    fig.add_scatter(
        x=[0, 1], y=[floor, floor], name="random ranking", line=REFERENCE, hoverinfo="skip"
    )
    fig.update_layout(
        legend={
            "orientation": "v",
            "x": 0.02,
            "y": 0.02,
            "yanchor": "bottom",
            "bgcolor": "rgba(255,255,255,0.8)",
        }
    )
    return fig


def _curve_chart(
    points: pd.DataFrame,
    default: str,
    kinds: dict[str, str],
    x: tuple[str, str],
    y: tuple[str, str],
    hover: str,
) -> go.Figure:
    """Curves on percent axes from 0 to 1, in the table's order (a curve can step back along x)."""
    fig = figure(440, x[1], y[1])
    for name in _models(points):
        curve = points[points["model"] == name]
        fig.add_scatter(
            x=curve[x[0]],
            y=curve[y[0]],
            name=label(name, default),
            line=line_style(name, default, kinds[name], palette.HOTSPOT_MODELS),
            hovertemplate=f"{hover}<extra>{label(name, default)}</extra>",
        )
    fig.update_xaxes(tickformat=".0%", range=[0, 1])
    fig.update_yaxes(tickformat=".0%", range=[0, 1.02])
    return fig


def confusion_chart(matrices: dict[str, pd.DataFrame], default: str) -> go.Figure:
    """A small matrix per model: cell-weeks by actual and flagged class, shaded by the share
    of the actual class (so the hotspot row reads as recall whatever its size)."""
    rows = -(-len(matrices) // CONFUSION_COLUMNS)
    fig = make_subplots(
        rows=rows,
        cols=CONFUSION_COLUMNS,
        subplot_titles=[label(name, default) for name in matrices],
        horizontal_spacing=0.08,
        vertical_spacing=0.22,
    )
    for i, (name, matrix) in enumerate(matrices.items()):
        share = matrix.div(matrix.sum(axis=1).replace(0, 1), axis=0)
        fig.add_heatmap(
            z=share.to_numpy(),
            x=list(matrix.columns),
            y=list(matrix.index),
            customdata=matrix.to_numpy(),
            text=[
                [f"{count:,}<br>{part:.0%}" for count, part in zip(counts, parts, strict=True)]
                for counts, parts in zip(matrix.to_numpy(), share.to_numpy(), strict=True)
            ],
            texttemplate="%{text}",
            colorscale="Blues",
            zmin=0,
            zmax=1,
            showscale=False,
            name=label(name, default),
            hovertemplate="actual %{y}, flagged as %{x}: %{customdata:,} cell-weeks, "
            f"%{{z:.0%}} of the actual class<extra>{label(name, default)}</extra>",
            row=i // CONFUSION_COLUMNS + 1,
            col=i % CONFUSION_COLUMNS + 1,
        )
    fig.update_yaxes(autorange="reversed")
    fig.update_yaxes(title="actual", col=1)
    for column in range(2, CONFUSION_COLUMNS + 1):
        fig.update_yaxes(showticklabels=False, col=column)
    fig.update_xaxes(title="flagged as", row=rows)
    fig.update_layout(height=40 + 230 * rows, margin={"l": 10, "r": 10, "t": 40, "b": 10})
    return fig


def per_week_chart(
    weekly: pd.DataFrame, default: str, kinds: dict[str, str], measure: str
) -> go.Figure:
    """One measure per evaluation week, a line per model, so the spread and the order of the
    models from week to week can be seen, not just their averages."""
    fig = figure(380, "evaluation week (starting Monday)", measure)
    for name in _models(weekly):
        weeks = weekly[weekly["model"] == name]
        fig.add_scatter(
            x=weeks["week_start"],
            y=weeks["value"],
            mode="lines+markers",
            name=label(name, default),
            line=line_style(name, default, kinds[name], palette.HOTSPOT_MODELS),
            marker={"size": 8},
            hovertemplate=f"{measure} %{{y:.2f}} in the week of %{{x}}"
            f"<extra>{label(name, default)}</extra>",
        )
    fig.update_xaxes(type="category")
    return fig


def allocation_chart(modes: pd.DataFrame, default: str) -> go.Figure:
    """PAI at 5% of each model with cells ranked city-wide and with each area given a quota;
    bars in the model's colour, the quota's hatched."""
    fig = figure(380, None, "PAI at 5% of the area", barmode="group")
    for (mode, allocation), pattern in zip(ALLOCATIONS.items(), ALLOCATION_PATTERNS, strict=True):
        bars = modes[modes["mode"] == mode]
        fig.add_bar(
            x=[label(name, default) for name in bars["model"]],
            y=bars["pai_5"],
            name=allocation,
            marker={
                "color": [palette.HOTSPOT_MODELS.get(n, palette.REPORTS) for n in bars["model"]],
                "pattern": {"shape": pattern},
            },
            texttemplate="%{y:.2f}",
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{x}: PAI %{y:.2f} at 5% coverage<extra>" + allocation + "</extra>",
        )
    return fig


def feature_chart(weights: pd.Series, model: str) -> go.Figure:
    """Each feature's weight in `model` (`comparison.feature_weights`), heaviest on top, by its
    human name, in the model's colour."""
    fig = figure(60 + 28 * len(weights), "share of the impurity decrease", None, showlegend=False)
    fig.add_bar(
        x=weights.to_numpy(),
        y=[feature_label(name) for name in weights.index],
        orientation="h",
        name=model_label(model),
        marker_color=palette.HOTSPOT_MODELS.get(model, palette.REPORTS),
        hovertemplate="%{y}: %{x:.1%} of the impurity decrease<extra></extra>",
    )
    fig.update_xaxes(tickformat=".0%")
    fig.update_yaxes(autorange="reversed")
    return fig


def hourly_fit_chart(fit: pd.DataFrame, default: str) -> go.Figure:
    """Mean observed count per hour of the held-out weeks against each model's mean forecast;
    the plain rule the hourly models must beat, "baseline", dashed like the hotspot ones."""
    fig = figure(380, "hour of the day (start of the hour)", "mean crimes in that hour")
    spans = [hour_span(h) for h in fit.index]
    for name in (c for c in fit.columns if c != "observed"):
        kind = "baseline" if name == "baseline" else "model"
        fig.add_scatter(
            x=fit.index.to_numpy(),
            y=fit[name].to_numpy(),
            customdata=spans,
            name=hourly_label(name, default),
            line=line_style(name, default, kind, palette.HOURLY_MODELS),
            hovertemplate="%{customdata}: %{y:.2f} crimes in that hour, mean forecast"
            f"<extra>{hourly_label(name, default)}</extra>",
        )
    fig.add_scatter(
        x=fit.index.to_numpy(),
        y=fit["observed"].to_numpy(),
        customdata=spans,
        mode="markers",
        name="observed",
        marker={"color": "white", "size": 8, "line": {"color": palette.REPORTS, "width": 2}},
        hovertemplate="%{customdata}: %{y:.2f} crimes in that hour, observed mean<extra></extra>",
    )
    fig.update_xaxes(**HOUR_AXIS)
    return fig
