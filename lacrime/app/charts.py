"""Charts for the pages, as Vega-Lite specifications built with Altair from the tables in
`lacrime.app.summaries` and `lacrime.app.hourly`.

Why Vega-Lite rather than Plotly: Streamlit draws both, but a browser tab opening a page with a
Plotly chart first runs Plotly's 4.7 MB bundle, 1.0 s on the 2-core benchmark machine, which
alone put every such page over the 2 s page-load target; Vega-Lite's scripts take 0.07 s
there (`benchmarks/app.py` measures the pages).

Each chart draws one tidy table, `chart.data`, so a test can check what is drawn against the
table it came from. Colours come from the Okabe-Ito palette (distinguishable with the common
colour-vision deficiencies), and the same colour always means the same thing: blue for counts,
vermillion for values a data-quality flag marks, grey for context.
"""

import textwrap

import altair as alt
import pandas as pd

BLUE = "#0072B2"
VERMILLION = "#D55E00"
GREY = "#9AA5B1"
BLACK = "#000000"
# The Okabe-Ito colours other than yellow (too pale on white), for series that are peers:
# weekdays, or the models of one comparison, each model keeping its colour on every chart.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000")
ROLLING_DAYS = 7
# LAPD's crime descriptions run to 60 characters; wrapped, they leave room for the bars.
LABEL_WIDTH = 32
HOUR_AXIS = alt.Axis(
    values=list(range(0, 24, 2)), labelExpr="pad(datum.value, 2, '0', 'left') + ':00'"
)


def series_colours(names: list[str]) -> dict[str, str]:
    """A colour per name, in the given order (cycling if there are more names than colours)."""
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(names)}


def colour(field: str, colours: dict[str, str], *, legend: bool = True) -> alt.Color:
    """A nominal colour encoding with fixed colours per value, listed in the legend (on top,
    untitled: the values say what they are) in the dict's order."""
    return alt.Color(
        field,
        type="nominal",
        scale=alt.Scale(domain=list(colours), range=list(colours.values())),
        legend=alt.Legend(orient="top", title=None, labelLimit=400) if legend else None,
    )


def daily_chart(daily: pd.Series) -> alt.Chart:
    """Reports per day, with a centred 7-day mean that shows the trend under weekday swings."""
    mean = f"{ROLLING_DAYS}-day mean"
    frame = pd.DataFrame(
        {
            "day": daily.index,
            "reports per day": daily.to_numpy(),
            mean: daily.rolling(ROLLING_DAYS, center=True).mean().to_numpy(),
        }
    )
    lines = {"reports per day": GREY, mean: BLUE}
    return (
        alt.Chart(frame, height=340)
        .transform_fold(list(lines), as_=["series", "reports"])
        .mark_line()
        .encode(
            x=alt.X("day:T", title="day of occurrence").axis(format="%b %d"),
            y=alt.Y("reports:Q", title="reports"),
            color=colour("series", lines),
            strokeWidth=alt.StrokeWidth(
                "series:N", scale=alt.Scale(domain=list(lines), range=[1, 2.5]), legend=None
            ),
            tooltip=[
                alt.Tooltip("day:T", title="day", format="%a %Y-%m-%d"),
                alt.Tooltip("series:N", title="line"),
                alt.Tooltip("reports:Q", title="reports", format=",.1f"),
            ],
        )
    )


def weekly_chart(weekly: pd.DataFrame) -> alt.Chart:
    """Reports per full week; weeks flagged as incomplete in their own colour and legend entry."""
    kinds = {"full week": BLUE, "full week, reports probably still coming in": VERMILLION}
    frame = weekly[["week_start", "reports"]].assign(
        week=weekly["incomplete"].map(dict(zip((False, True), kinds, strict=True)))
    )
    return (
        alt.Chart(frame, height=340)
        .mark_bar()
        .encode(
            x=alt.X("yearmonthdate(week_start):O", title="week starting (Monday)").axis(
                format="%b %d", labelAngle=0
            ),
            y=alt.Y("reports:Q", title="reports"),
            color=colour("week", kinds),
            tooltip=[
                alt.Tooltip("week_start:T", title="week of", format="%Y-%m-%d"),
                alt.Tooltip("reports:Q", format=","),
                alt.Tooltip("week:N", title="kind"),
            ],
        )
    )


def top_chart(counts: pd.Series, axis_title: str) -> alt.Chart:
    """Horizontal bars, largest on top, long category names wrapped so the bars keep room."""
    names = counts.index.astype(str)
    frame = pd.DataFrame(
        {
            "name": names,
            "label": [
                "\n".join(
                    textwrap.wrap(name, LABEL_WIDTH, break_long_words=False, break_on_hyphens=False)
                )
                or name
                for name in names
            ],
            "reports": counts.to_numpy(),
        }
    )
    return (
        alt.Chart(frame, height=alt.Step(36))
        .mark_bar(color=BLUE)
        .encode(
            x=alt.X("reports:Q", title="reports"),
            y=alt.Y("label:N", sort=None, title=axis_title).axis(
                labelExpr="split(datum.label, '\\n')", labelLimit=300
            ),
            tooltip=[
                alt.Tooltip("name:N", title=axis_title),
                alt.Tooltip("reports:Q", format=","),
            ],
        )
    )


def hour_chart(hours: pd.DataFrame) -> alt.Chart:
    """Reports per hour, the default 'unknown' times stacked on top so the fake noon peak shows."""
    kinds = {
        "other_time": ("other times", BLUE),
        "default_time": ("exactly 12:00 or 00:01 (defaults for 'unknown')", VERMILLION),
    }
    frame = pd.concat(
        [
            pd.DataFrame(
                {"hour": hours.index, "time": label, "reports": hours[column], "stack": order}
            )
            for order, (column, (label, _)) in enumerate(kinds.items())
        ],
        ignore_index=True,
    )
    return (
        alt.Chart(frame, height=340)
        .mark_bar()
        .encode(
            x=alt.X("hour:O", title="hour of occurrence").axis(labelAngle=0),
            y=alt.Y("reports:Q", title="reports", stack="zero"),
            color=colour("time", dict(kinds.values())),
            order=alt.Order("stack:Q"),
            tooltip=[
                alt.Tooltip("hour:O"),
                alt.Tooltip("time:N", title="recorded time"),
                alt.Tooltip("reports:Q", format=","),
            ],
        )
    )


def minute_chart(minutes: pd.Series) -> alt.Chart:
    """Reports per minute past the hour: spikes at :00, :30, :15 and :45 show rounded times."""
    frame = pd.DataFrame({"minute": minutes.index, "reports": minutes.to_numpy()})
    return (
        alt.Chart(frame, height=340)
        .mark_bar()
        .encode(
            x=alt.X("minute:O", title="minutes past the hour").axis(
                values=list(range(0, 60, 5)), labelAngle=0
            ),
            y=alt.Y("reports:Q", title="reports"),
            color=alt.condition(alt.datum.minute == 0, alt.value(VERMILLION), alt.value(BLUE)),
            tooltip=[
                alt.Tooltip("minute:O", title="minutes past the hour"),
                alt.Tooltip("reports:Q", format=","),
            ],
        )
    )


def lag_chart(lag: pd.DataFrame) -> alt.LayerChart:
    """Share of reports by how many days after the crime they were made, each bar labelled."""
    frame = lag[["lag", "share"]]
    base = alt.Chart(frame, height=340).encode(
        x=alt.X("lag:N", sort=None, title="days from occurrence to report").axis(labelAngle=0),
        y=alt.Y("share:Q", title="share of reports").axis(format=".0%"),
        tooltip=[
            alt.Tooltip("lag:N", title="days to report"),
            alt.Tooltip("share:Q", format=".1%"),
        ],
    )
    return base.mark_bar(color=BLUE) + base.mark_text(dy=-8).encode(
        text=alt.Text("share:Q", format=".1%")
    )


def allocation_colours(modes: dict[str, str]) -> dict[str, str]:
    """The colour of each allocation mode's label (`modes`: name to label), the same on every
    chart that compares the modes."""
    return dict(zip(modes.values(), (BLUE, PALETTE[1]), strict=True))


def area_ratio_chart(spread: pd.DataFrame, modes: dict[str, str]) -> alt.LayerChart:
    """Each area's share of flagged cells over its share of crime, one bar per allocation mode
    (`modes`: name to label), areas in the table's order, with lines at 0.5, 1 and 2."""
    labels = allocation_colours(modes)
    frame = pd.concat(
        [
            pd.DataFrame(
                {"area": spread["area_name"], "allocation": label, "ratio": spread[f"{mode}_ratio"]}
            )
            for mode, label in modes.items()
        ],
        ignore_index=True,
    )
    bars = (
        alt.Chart()
        .mark_bar()
        .encode(
            y=alt.Y("area:N", sort=list(spread["area_name"]), title=None),
            yOffset=alt.YOffset("allocation:N", sort=list(labels)),
            x=alt.X("ratio:Q", title="share of flagged cells ÷ share of crime (1 = in proportion)"),
            color=colour("allocation", labels),
            tooltip=[
                alt.Tooltip("area:N"),
                alt.Tooltip("allocation:N"),
                alt.Tooltip("ratio:Q", title="× its share", format=".2f"),
            ],
        )
    )
    marks = (
        alt.Chart(pd.DataFrame({"ratio": [0.5, 1.0, 2.0]}))
        .mark_rule(color="#1B1F24", strokeDash=[4, 4])
        .encode(x="ratio:Q")
    )
    return alt.layer(bars, marks, data=frame, height=120 + 34 * len(spread))


def hourly_curve_chart(day: pd.DataFrame, hour: int, interval_level: float) -> alt.LayerChart:
    """The day's forecast with its interval band, the observed averages as points, and the
    chosen hour marked; the forecast with default times kept, dashed, when the table has it.
    One function: its layers share one scale and legend, built side by side."""
    band = f"{interval_level:.0%} of such hours fall in this band"
    kept = "forecast with 12:00 and 00:01 reports kept"
    # Each series' colour and the symbol the legend shows for it: the mark it is drawn with.
    series = {band: ("#A6C8E0", "square"), "forecast": (BLUE, "stroke")}
    if "expected_default_times_kept" in day:
        series[kept] = (GREY, "stroke")
    series |= {"observed average": (BLACK, "circle"), "chosen hour": (VERMILLION, "diamond")}
    colours = {name: colour_ for name, (colour_, _) in series.items()}
    symbols = alt.Shape(
        "series:N",
        scale=alt.Scale(domain=list(series), range=[symbol for _, symbol in series.values()]),
        legend=alt.Legend(orient="top", title=None, labelLimit=400),
    )
    frame = day.assign(chosen=day["hour"] == hour)
    base = alt.Chart(frame, height=400).encode(
        x=alt.X("hour:Q", title="hour of the day (start of the hour)", axis=HOUR_AXIS).scale(
            domain=[-0.6, 23.6], nice=False
        )
    )

    def labelled(chart: alt.Chart, label: str) -> alt.Chart:
        """The layer named `label` in the legend; a point layer also carries the symbols, which
        the legend shows for every series (a line's point overlay would take them too)."""
        named = chart.transform_calculate(series=f"'{label}'").encode(
            color=colour("series", colours)
        )
        return named.encode(shape=symbols) if chart.mark.type == "point" else named

    y = alt.Y("expected:Q", title="crimes in that hour").scale(zero=True)
    layers = [
        base.mark_rect(color=GREY, opacity=0.2)
        .transform_filter(alt.datum.chosen)
        .transform_calculate(left="datum.hour - 0.5", right="datum.hour + 0.5")
        .encode(x="left:Q", x2="right:Q"),
        labelled(base.mark_area(interpolate="step", opacity=0.6), band).encode(
            y=alt.Y("lower:Q"), y2="upper:Q"
        ),
        labelled(base.mark_line(strokeWidth=3, point=True), "forecast").encode(
            y=y,
            tooltip=[
                alt.Tooltip("hour:Q"),
                alt.Tooltip("expected:Q", title="forecast", format=".2f"),
                alt.Tooltip("lower:Q", title="band from"),
                alt.Tooltip("upper:Q", title="band to"),
                alt.Tooltip("observed:Q", title="observed average", format=".2f"),
            ],
        ),
    ]
    if kept in series:
        layers.append(
            labelled(base.mark_line(strokeWidth=2, strokeDash=[6, 4]), kept).encode(
                y="expected_default_times_kept:Q",
                tooltip=[
                    alt.Tooltip("hour:Q"),
                    alt.Tooltip("expected_default_times_kept:Q", title=kept, format=".2f"),
                ],
            )
        )
    layers += [
        labelled(base.mark_point(size=70, strokeWidth=2), "observed average").encode(
            y="observed:Q",
            tooltip=[
                alt.Tooltip("hour:Q"),
                alt.Tooltip("observed:Q", title="observed average", format=".2f"),
            ],
        ),
        labelled(base.mark_point(shape="diamond", size=260, filled=True, opacity=1), "chosen hour")
        .transform_filter(alt.datum.chosen)
        .encode(
            y="expected:Q",
            tooltip=[
                alt.Tooltip("hour:Q", title="chosen hour"),
                alt.Tooltip("expected:Q", title="forecast", format=".2f"),
            ],
        ),
    ]
    return alt.layer(*layers)


def weekday_chart(curves: pd.DataFrame, chosen: str) -> alt.Chart:
    """Expected crimes per hour, one line per weekday, the chosen weekday drawn thick."""
    weekdays = list(curves.columns)
    frame = curves.rename_axis(index="hour", columns=None).reset_index()
    return (
        alt.Chart(frame, height=360)
        .transform_fold(weekdays, as_=["weekday", "expected"])
        .mark_line()
        .encode(
            x=alt.X("hour:Q", title="hour of the day (start of the hour)", axis=HOUR_AXIS),
            y=alt.Y("expected:Q", title="expected crimes in that hour").scale(zero=True),
            color=colour("weekday", series_colours(weekdays)),
            strokeWidth=alt.condition(alt.datum.weekday == chosen, alt.value(4), alt.value(1.5)),
            opacity=alt.condition(alt.datum.weekday == chosen, alt.value(1), alt.value(0.75)),
            tooltip=[
                alt.Tooltip("weekday:N"),
                alt.Tooltip("hour:Q"),
                alt.Tooltip("expected:Q", format=".2f"),
            ],
        )
    )
