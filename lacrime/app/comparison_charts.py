"""Charts for the Model comparison page, as Vega-Lite specifications built with Altair from
the tables in `lacrime.app.comparison` (why Vega-Lite, and the colour conventions:
`lacrime.app.charts`).

Models are told apart the same way on every chart, so a reader learns it once: each model keeps
its colour (from the sorted model names, whichever models a chart shows), the default model is
drawn thick and labelled "(default)", baselines are dashed, and reference lines (chance, a
random ranking, the 1% and 5% marks) are grey and dotted. Each chart's first table holds the
stored evaluation values it draws, under the names `lacrime.app.comparison` gives them.
"""

import json

import altair as alt
import pandas as pd

from lacrime.app.charts import BLACK, GREY, HOUR_AXIS, allocation_colours, colour, series_colours
from lacrime.app.comparison import DEFAULT_MARK
from lacrime.hotspots.flagging import ALLOCATIONS

SOLID, DASHED, DOTTED = [1, 0], [6, 4], [2, 3]
# Share of the area flagged (x) and the measures against it (field, title, number format).
COVERAGE_MEASURES = (
    ("hit_rate", "Hit rate", ".0%"),
    ("pai", "PAI", ".1f"),
    ("pei_star", "PEI*", ".0%"),
)
COVERAGE_MARKS = (0.01, 0.05)
# Matrices per row, each with its own column labels: five in one row leave their labels too
# little room on the page.
CONFUSION_COLUMNS = 3


def _default_label(default: str) -> str:
    """A Vega expression for a label (legend, axis or header) that adds "(default)" to the
    default model's name, so the tables' model names stay the stored ones."""
    marked = json.dumps(default + DEFAULT_MARK)
    return f"datum.value === {json.dumps(default)} ? {marked} : datum.label"


def _model_style(
    models: list[str],
    default: str,
    kinds: dict[str, str],
    *,
    references: tuple[str, ...] = (),
    corner: str | None = None,
) -> dict[str, alt.FieldChannelMixin]:
    """Colour, stroke width and dash encodings of the lines of a "model" field, in one legend
    (`models` in its order, then the grey dotted `references`), on top or in a plot `corner`."""
    model_colours = series_colours(sorted(kinds))
    colours = {name: model_colours[name] for name in models} | dict.fromkeys(references, GREY)
    legend = alt.Legend(
        title=None,
        labelLimit=400,
        labelExpr=_default_label(default),
        symbolType="stroke",
        symbolSize=250,
        orient=corner or "top",
        **({"direction": "vertical", "fillColor": "#FFFFFFCC", "padding": 6} if corner else {}),
    )
    widths = {name: 4 if name == default else 2 for name in models}
    dashes = {name: DASHED if kinds[name] == "baseline" else SOLID for name in models}
    return {
        "color": colour("model", colours).legend(legend),
        "strokeWidth": _ordinal(alt.StrokeWidth, widths | dict.fromkeys(references, 1.5), legend),
        "strokeDash": _ordinal(alt.StrokeDash, dashes | dict.fromkeys(references, DOTTED), legend),
    }


def _ordinal(channel: type, values: dict, legend: alt.Legend) -> alt.FieldChannelMixin:
    """A channel of the "model" field with a fixed value per model (an ordinal scale: Vega-Lite
    would otherwise interpolate widths between the first and last)."""
    return channel(
        "model:O",
        sort=list(values),
        scale=alt.Scale(type="ordinal", domain=list(values), range=list(values.values())),
        legend=legend,
    )


def _models(frame: pd.DataFrame) -> list[str]:
    """The models of a long table, in its order (the ranking's, best first)."""
    return list(dict.fromkeys(frame["model"]))


def coverage_chart(curves: pd.DataFrame, default: str, kinds: dict[str, str]) -> alt.HConcatChart:
    """Hit rate, PAI and PEI* against the share of the area flagged, one line per model, the
    1% and 5% marks the tables report drawn as dotted lines."""
    style = _model_style(_models(curves), default, kinds)
    marks = (
        alt.Chart(pd.DataFrame({"coverage": COVERAGE_MARKS}))
        .mark_rule(color=GREY, strokeDash=DOTTED, strokeWidth=1)
        .encode(x="coverage:Q")
    )
    panels = [
        alt.layer(
            alt.Chart(title=title, width=250, height=300)
            .mark_line(clip=True)
            .encode(
                x=alt.X("coverage:Q", title="share of the area flagged").axis(format=".0%"),
                y=alt.Y(f"{field}:Q", title=None).axis(format=number),
                **style,
                tooltip=[
                    alt.Tooltip("model:N"),
                    alt.Tooltip("coverage:Q", title="share of the area flagged", format=".1%"),
                    alt.Tooltip(f"{field}:Q", title=title, format=number),
                ],
            ),
            marks,
        )
        for field, title, number in COVERAGE_MEASURES
    ]
    return alt.hconcat(*panels, data=curves)


def roc_chart(points: pd.DataFrame, default: str, kinds: dict[str, str]) -> alt.LayerChart:
    """Each model's ROC curve over the pooled evaluation weeks, against chance."""
    return _curve_chart(
        points,
        default,
        kinds,
        x=alt.X("fpr:Q", title="false positive rate (quiet cells flagged)"),
        y=alt.Y("tpr:Q", title="true positive rate (hotspots found)"),
        reference=pd.DataFrame({"model": "chance", "fpr": [0.0, 1.0], "tpr": [0.0, 1.0]}),
        corner="bottom-right",
        tooltip=[
            alt.Tooltip("model:N"),
            alt.Tooltip("tpr:Q", title="hotspots found", format=".0%"),
            alt.Tooltip("fpr:Q", title="false alarms", format=".1%"),
        ],
    )


def pr_chart(
    points: pd.DataFrame, default: str, kinds: dict[str, str], floor: float
) -> alt.LayerChart:
    """Each model's precision-recall curve, against a random ranking's precision (`floor`)."""
    return _curve_chart(
        points,
        default,
        kinds,
        x=alt.X("recall:Q", title="recall (hotspots found)"),
        y=alt.Y("precision:Q", title="precision (flagged cells that were hotspots)"),
        reference=pd.DataFrame(
            {"model": "random ranking", "recall": [0.0, 1.0], "precision": [floor, floor]}
        ),
        corner="bottom-left",
        tooltip=[
            alt.Tooltip("model:N"),
            alt.Tooltip("precision:Q", format=".0%"),
            alt.Tooltip("recall:Q", format=".0%"),
        ],
    )


def _curve_chart(
    points: pd.DataFrame,
    default: str,
    kinds: dict[str, str],
    *,
    x: alt.X,
    y: alt.Y,
    reference: pd.DataFrame,
    corner: str,
    tooltip: list[alt.Tooltip],
) -> alt.LayerChart:
    """Curves on percent axes from 0 to 1, drawn in the table's order (a curve can step back
    along x), with the reference line in the legend, which sits in a corner curves leave empty."""
    style = _model_style(
        _models(points), default, kinds, references=(reference["model"][0],), corner=corner
    )
    unit = alt.Scale(domain=[0, 1])
    encoding = {
        "x": x.axis(format=".0%").scale(unit),
        "y": y.axis(format=".0%").scale(unit),
        **style,
    }
    curves = (
        alt.Chart(height=420)
        .transform_window(point="row_number()")
        .mark_line()
        .encode(**encoding, order="point:Q", tooltip=tooltip)
    )
    return alt.layer(curves, alt.Chart(reference).mark_line().encode(**encoding), data=points)


def confusion_chart(matrices: dict[str, pd.DataFrame], default: str) -> alt.FacetChart:
    """A small matrix per model: cell-weeks by actual and flagged class, shaded by the share
    of the actual class (so the hotspot row reads as recall whatever its size)."""
    frames = []
    for name, matrix in matrices.items():
        share = matrix.div(matrix.sum(axis=1).replace(0, 1), axis=0)
        cells = pd.DataFrame({"count": matrix.stack(), "share": share.stack()}).reset_index()
        frames.append(cells.assign(model=name))
    frame = pd.concat(frames, ignore_index=True)
    frame["text"] = [
        f"{count:,}\n{share:.0%}"
        for count, share in zip(frame["count"], frame["share"], strict=True)
    ]
    first = next(iter(matrices.values()))
    base = alt.Chart(width=alt.Step(90), height=alt.Step(56)).encode(
        x=alt.X(
            "flagged:N",
            sort=list(first.columns),
            title="flagged as",
        ).axis(labelAngle=0),
        y=alt.Y("actual:N", sort=list(first.index), title="actual"),
        tooltip=[
            alt.Tooltip("model:N"),
            alt.Tooltip("actual:N"),
            alt.Tooltip("flagged:N"),
            alt.Tooltip("count:Q", format=","),
            alt.Tooltip("share:Q", title="share of the actual class", format=".0%"),
        ],
    )
    cells = base.mark_rect().encode(
        color=alt.Color("share:Q", scale=alt.Scale(scheme="blues", domain=[0, 1]), legend=None)
    )
    text = base.mark_text(lineBreak="\n", fontSize=13).encode(
        text="text:N",
        color=alt.condition(alt.datum.share > 0.5, alt.value("white"), alt.value(BLACK)),
    )
    return (
        alt.layer(cells, text, data=frame)
        .facet(
            facet=alt.Facet(
                "model:N",
                sort=list(matrices),
                header=alt.Header(title=None, labelExpr=_default_label(default), labelFontSize=13),
            ),
            columns=CONFUSION_COLUMNS,
            spacing={"column": 24, "row": 28},
        )
        .resolve_axis(x="independent")
    )


def per_week_chart(
    weekly: pd.DataFrame, default: str, kinds: dict[str, str], measure: str
) -> alt.Chart:
    """One measure per evaluation week, a line per model, so the spread and the order of the
    models from week to week can be seen, not just their averages."""
    return (
        alt.Chart(weekly, height=360)
        .mark_line(point=alt.OverlayMarkDef(size=70, filled=True))
        .encode(
            x=alt.X("week_start:O", title="evaluation week (starting Monday)").axis(labelAngle=0),
            y=alt.Y("value:Q", title=measure).scale(zero=False),
            **_model_style(_models(weekly), default, kinds),
            tooltip=[
                alt.Tooltip("model:N"),
                alt.Tooltip("week_start:O", title="week of"),
                alt.Tooltip("value:Q", title=measure, format=".2f"),
            ],
        )
    )


def allocation_chart(modes: pd.DataFrame, default: str) -> alt.LayerChart:
    """PAI at 5% of each model with cells ranked city-wide and with each area given a quota."""
    frame = modes.assign(allocation=modes["mode"].map(ALLOCATIONS))
    base = alt.Chart(height=360).encode(
        x=alt.X("model:N", sort=_models(modes), title="model").axis(
            labelAngle=0, labelExpr=_default_label(default), labelLimit=300
        ),
        xOffset=alt.XOffset("allocation:N", sort=list(ALLOCATIONS.values())),
        y=alt.Y("pai_5:Q", title="PAI at 5% of the area"),
        tooltip=[
            alt.Tooltip("model:N"),
            alt.Tooltip("allocation:N"),
            alt.Tooltip("pai_5:Q", title="PAI", format=".2f"),
        ],
    )
    bars = base.mark_bar().encode(color=colour("allocation", allocation_colours(ALLOCATIONS)))
    return alt.layer(
        bars, base.mark_text(dy=-7).encode(text=alt.Text("pai_5:Q", format=".2f")), data=frame
    )


def hourly_fit_chart(fit: pd.DataFrame, default: str) -> alt.LayerChart:
    """Mean observed count per hour of the held-out weeks against each model's mean forecast;
    the plain rule the hourly models must beat, named "baseline", dashed like the hotspot ones."""
    models = [c for c in fit.columns if c != "observed"]
    kinds = {name: "baseline" if name == "baseline" else "model" for name in models}
    hour = alt.X("hour:Q", title="hour of the day (start of the hour)", axis=HOUR_AXIS)
    lines = (
        alt.Chart(height=360)
        .transform_fold(models, as_=["model", "expected"])
        .mark_line()
        .encode(
            x=hour,
            y=alt.Y("expected:Q", title="mean crimes in that hour"),
            **_model_style(models, default, kinds),
            tooltip=[
                alt.Tooltip("hour:Q"),
                alt.Tooltip("model:N"),
                alt.Tooltip("expected:Q", title="forecast", format=".2f"),
            ],
        )
    )
    observed = (
        alt.Chart()
        .transform_calculate(series="'observed'")
        .mark_point(filled=False, color=BLACK, size=60, strokeWidth=2)
        .encode(
            x=hour,
            y="observed:Q",
            shape=alt.Shape(
                "series:N",
                scale=alt.Scale(domain=["observed"], range=["circle"]),
                legend=alt.Legend(orient="top", title=None),
            ),
            tooltip=[alt.Tooltip("hour:Q"), alt.Tooltip("observed:Q", format=".2f")],
        )
    )
    return alt.layer(lines, observed, data=fit.reset_index())
