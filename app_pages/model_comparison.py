"""Model comparison: how each model did on weeks it had not seen, and what that costs each
LAPD area. Everything shown is the evaluation record stored with the model version in use."""

import streamlit as st

from lacrime.app import charts, comparison, comparison_gaps, ui
from lacrime.app import comparison_charts as evaluation_charts

ui.page_header(
    "Model comparison",
    "How each model did on weeks it had not seen, and what that costs each LAPD area.",
)
version = ui.show_model_version()
if version is None:
    st.markdown(
        "Nothing to compare yet. Train the models with `lacrime train` on the command line, "
        "or with **Retrain** on the Admin page; this page then shows how each one did."
    )
    st.stop()

evaluation = ui.record().evaluation
hotspots = evaluation.hotspots
default = hotspots.default_model
kinds = hotspots.kinds()
weeks = hotspots.eval_weeks
default_label = comparison.label(default, "")


def accuracy() -> None:
    """Hotspot models: the verdict, how much crime their flags held, week by week."""
    st.header("Hotspot map models")
    winner = (
        "a baseline (a plain rule)" if kinds[default] == "baseline" else "a machine-learning model"
    )
    st.success(
        f"**The default hotspot model is {default_label}, {winner}.** {hotspots.verdict}",
        icon=":material/emoji_events:",
    )
    st.markdown(
        f"Each model was judged on **{len(weeks)} evaluation weeks** "
        f"(starting {', '.join(weeks)}): every week was forecast by models trained only on the "
        "weeks before it, as a forecast made on the Sunday before would be. Numbers are the mean "
        "± standard deviation over those weeks. Cells are H3 hexagons (resolution "
        f"{hotspots.resolution}). How a cell-week is labelled: {hotspots.label_rule}."
    )
    ui.show_table(comparison.models_table(hotspots))
    weighed = comparison.weighed_models(hotspots)
    st.caption(
        "Baselines are plain rules with no learning (last week's count, the long-run average, a "
        "smoothed density of past reports): a machine-learning model is only worth its cost if it "
        "beats them. Features are listed in the order each model reads them"
        + (", a forest's by their weight in it, heaviest first." if weighed else ".")
    )
    for name, weights in weighed.items():
        # Computed and drawn only while open: a chart in a closed expander still costs the
        # page's load its drawing.
        box = st.expander(
            f"What {comparison.label(name, '')} weighs most",
            icon=":material/bar_chart:",
            key=f"weights_{name}",
            on_change="rerun",
        )
        if box.open:
            with box:
                st.plotly_chart(evaluation_charts.feature_chart(weights, name))
                st.caption(
                    "Each feature's share of the forest's impurity decrease (mean decrease in "
                    f"impurity, summing to 100%), averaged over the {len(weeks)} forests trained "
                    "for the evaluation weeks."
                )
    with st.expander("Details: code names", icon=":material/code:"):
        st.caption("As `lacrime` commands, JSON output and shared links spell them.")
        ui.show_table(comparison.code_names_table(hotspots))
    hits()
    per_week()


def hits() -> None:
    """How much crime the flagged cells held: the table and each model against the best
    plain baseline."""
    st.subheader("How much crime the flagged cells held")
    ui.show_table(comparison.hit_table(hotspots))
    st.caption(
        "Each model flags the riskiest 1% or 5% of the city's cells. **Hit rate**: the share of "
        "the week's crimes that happened in flagged cells. **PAI** (Predictive Accuracy Index): "
        "hit rate divided by the share of the area flagged, i.e. how many times more crime per "
        "km² the flagged cells held than the city average (1 = no better than picking cells at "
        "random). "
        "**PEI\\***: crimes caught over the most that the same number of cells could have caught "
        "(100% = perfect hindsight)."
    )
    spread = comparison_gaps.gap_spread(hotspots)
    st.plotly_chart(
        evaluation_charts.coverage_gap_chart(
            comparison_gaps.coverage_gaps(hotspots), spread, default, kinds
        )
    )
    st.caption(
        "Each line: a model's measure minus that of the better plain baseline (Past counts or "
        "Last week) at the same share of the area flagged, from 0.5% to 20%, averaged over the "
        "evaluation weeks; above the dotted zero line it caught more. At 1% and 5% the bars run "
        "from the worst week's difference to the best week's: where a bar crosses zero, the "
        "model was not ahead every week. Below 1%, where a handful of cells decides, a line can "
        "run off the chart: double-click it to see all. Baselines are dashed, the default model "
        "thick."
    )
    st.markdown(comparison_gaps.margin_sentence(spread, comparison_gaps.compared_model(hotspots)))


def per_week() -> None:
    """One measure, week by week, a line per model."""
    st.subheader("Week by week")
    measure = st.selectbox(
        "Measure",
        list(comparison.WEEKLY_MEASURES),
        format_func=comparison.WEEKLY_MEASURES.get,
        key="comparison_measure",
    )
    st.plotly_chart(
        evaluation_charts.per_week_chart(
            comparison.per_week(hotspots, measure),
            default,
            kinds,
            comparison.WEEKLY_MEASURES[measure],
        )
    )
    st.caption(
        "Each evaluation week's value: a model that wins on average but not every week may not "
        "be better at all. The last week may still be missing late reports."
    )


def classes() -> None:
    """Hotspot models as classifiers of hotspot cells against the rest."""
    st.header("Telling hotspot cells from the rest")
    ui.show_table(comparison.classification_table(hotspots))
    st.caption(
        "Precision: of the cells flagged (or not flagged), the share that turned out so. Recall: "
        "of the actual hotspots (or non-hotspots), the share flagged so. F1 combines the two. "
        "ROC-AUC and PR-AUC score the whole ranking, not just the top 5%: 0.5 ROC-AUC is chance."
    )
    st.plotly_chart(
        evaluation_charts.confusion_chart(comparison.confusion_matrices(hotspots), default)
    )
    st.caption(
        "Cell-weeks over all evaluation weeks, by what each cell actually was (rows) and what the "
        "model flagged it as at 5% of the area (columns); shading is the share of each row."
    )
    left, right = st.columns(2)
    with left:
        st.plotly_chart(
            evaluation_charts.roc_chart(comparison.roc_points(hotspots), default, kinds)
        )
        st.caption(
            "ROC curve: as more cells are flagged, the share of hotspots found against the share "
            "of quiet cells wrongly flagged. Higher and further left is better."
        )
    with right:
        st.plotly_chart(
            evaluation_charts.pr_chart(
                comparison.pr_points(hotspots), default, kinds, comparison.hotspot_share(hotspots)
            )
        )
        st.caption(
            "Precision-recall curve: how many flagged cells are real hotspots as more of them are "
            "found. The dotted line is what a random ranking gets: the share of hotspot cells."
        )


def cost_per_area() -> None:
    """What ranking city-wide rather than by area quota costs each LAPD area."""
    st.header("What ranking city-wide costs each area")
    modes = comparison.allocation_modes(hotspots)
    st.plotly_chart(evaluation_charts.allocation_chart(modes, default))
    st.caption(
        "Ranking city-wide flags the riskiest cells wherever they are; giving each area a quota "
        "by its share of the last 4 weeks' crimes spreads attention more evenly and usually "
        "costs some PAI. The bars show that cost for each model."
    )
    spread = hotspots.allocation_modes
    columns = st.columns(len(spread))
    for column, (mode, row) in zip(columns, spread.items(), strict=True):
        column.metric(
            f"Areas never flagged, {comparison.ALLOCATIONS[mode].lower()}",
            f"{row.areas_without_flags:,}",
            help="LAPD areas with no flagged cell in any evaluation week.",
        )
        column.caption(
            f"Area ratios from {row.min_area_ratio:.2f} to {row.max_area_ratio:.2f} "
            f"(PAI at 5% {row.pai_5:.2f})."
        )
    st.subheader(f"Per LAPD area, {default_label}, 5% of the area flagged")
    allocations = {mode: comparison.ALLOCATIONS[mode] for mode in hotspots.allocations}
    st.plotly_chart(charts.area_ratio_chart(comparison.area_shares(hotspots), allocations, default))
    st.caption(
        "Per area, over all evaluation weeks: its share of the flagged cells divided by its share "
        "of the weeks' crimes. 1 (the middle dashed line) means attention in proportion to crime, "
        "above 1 more, below 1 less, 0 never flagged; the outer lines mark half and twice. Areas "
        "with the most crime on top; city-wide solid, proportional hatched. "
        + comparison.left_out_sentence(hotspots)
    )
    with st.expander("The same as a table", icon=":material/table:"):
        ui.show_table(comparison.area_ratios(hotspots))


def hourly_models() -> None:
    """The hourly models on their held-out weeks, with and without default times."""
    st.header("Hourly forecast models")
    for name, heading in comparison.HOURLY_VARIANTS.items():
        result = getattr(evaluation, name)
        st.subheader(heading)
        st.markdown(
            f"{comparison.holdout_sentence(result)} The default is the model with the "
            f"{result.selection_rule}: **{comparison.hourly_label(result.default_model, '')}**."
        )
        ui.show_table(comparison.hourly_table(result))
        st.plotly_chart(
            evaluation_charts.hourly_fit_chart(comparison.hourly_fit(result), result.default_model)
        )
        st.caption(
            f"Mean count per hour of the day over the held-out days: observed (circles) against "
            f"each model's forecast. Interval coverage is the share of held-out hours inside the "
            f"{result.interval_level:.0%} interval (near {result.interval_level:.0%} is "
            "right). A positive bias means the model expected more crimes than were reported, as "
            "it will when the held-out weeks are so recent that reports of them are still coming "
            "in."
        )


SECTIONS = {
    "Hotspot accuracy": accuracy,
    "Hotspots and the rest": classes,
    "Cost per area": cost_per_area,
    "Hourly models": hourly_models,
}
ui.lazy_tabs(SECTIONS, key="comparison_section")
