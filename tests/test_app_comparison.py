"""The Model comparison page on trained homes (demo and real extract): what it shows is the
evaluation record stored with the model version in use."""

from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from imblearn.pipeline import Pipeline
from sklearn.ensemble import RandomForestClassifier
from sklearn.neighbors import KNeighborsClassifier
from streamlit.testing.v1 import AppTest
from support import APP, checked, plotly_charts, tables, trace, values

from lacrime.app import comparison, comparison_charts, palette, ui
from lacrime.app.comparison_gaps import GAP_MEASURES, PLAIN_BASELINES
from lacrime.hotspots.flagging import ALLOCATIONS, COVERAGES, metric_key
from lacrime.hotspots.models import HotspotModel
from lacrime.hotspots.models import label as model_label
from lacrime.hotspots.panel import FEATURE_LABELS, feature_label
from lacrime.hotspots.results import by_weight
from lacrime.hourly.models import MODELS as HOURLY_MODELS
from lacrime.ops import registry
from lacrime.ops.train import HOURLY, HOURLY_NO_DEFAULT_TIMES, Evaluations, record_of

PAGE = "app_pages/model_comparison.py"
WEIGHTS_AXIS = "share of the impurity decrease"


def open_page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60).run()
    return checked(at.switch_page(PAGE).run())


def show(at: AppTest, section: str) -> AppTest:
    """The page with another of its tabs open (only the open tab is computed and sent)."""
    at.session_state["comparison_section"] = section
    return checked(at.run())


def evaluation() -> dict:
    return registry.current_version().metadata["evaluation"]


def typed_evaluation() -> Evaluations:
    """The same evaluation as the typed record the page reads."""
    return record_of(registry.current_version()).evaluation


def table_with(at: AppTest, column: str):
    return next(t for t in tables(at) if column in t.columns)


def figure_with(at: AppTest, test) -> go.Figure:
    """The one chart on the page for which `test(figure)` holds."""
    [figure] = [f for f in plotly_charts(at) if test(f)]
    return figure


def titled(*titles: str):
    """A test for a figure whose panels carry these titles."""
    return lambda f: [a.text for a in f.layout.annotations][: len(titles)] == list(titles)


def y_titled(title: str):
    return lambda f: f.layout.yaxis.title.text == title


def named(name: str, default: str) -> str:
    """A model as the page names it: its human name, marked "(default)" for the default."""
    return model_label(name) + (comparison.DEFAULT_MARK if name == default else "")


def check_model_lines(
    figure: go.Figure, models: list[str], default: str, kinds: dict[str, str], references=()
) -> None:
    """The lines of `models` in that order, by human name, each in its colour from the palette
    (the same on every chart), the default thick and marked "(default)", baselines dashed,
    then the `references`, grey and dotted."""
    lines = [t for t in figure.data if t.showlegend is not False]
    assert [t.name for t in lines] == [named(m, default) for m in models] + list(references)
    by_model = dict(zip(models, lines, strict=False))
    assert {m: t.line.color for m, t in by_model.items()} == {
        m: palette.HOTSPOT_MODELS[m] for m in models
    }
    width = {m: t.line.width for m, t in by_model.items()}
    assert width[default] > max(w for m, w in width.items() if m != default)
    assert {m: t.line.dash == "dash" for m, t in by_model.items()} == {
        m: kinds[m] == "baseline" for m in models
    }
    for line in lines[len(models) :]:
        assert line.line.dash == "dot" and line.line.color == palette.CONTEXT


def best_plain(models: dict, measure: str) -> list[float]:
    """At each share of the area flagged, the best of the plain baselines' `measure`."""
    plain = [models[b]["coverage_curve"][measure] for b in PLAIN_BASELINES if b in models]
    return [max(point) for point in zip(*plain, strict=True)]


def test_hotspot_tables_are_the_stored_evaluation(home: Path) -> None:
    at = open_page()
    hotspots = evaluation()["hotspots"]
    default = hotspots["default_model"]
    assert any(hotspots["verdict"] in s.value for s in at.success)
    kind = "a baseline" if hotspots["models"][default]["kind"] == "baseline" else "a machine"
    assert any(f"is {model_label(default)}, {kind}" in s.value for s in at.success)

    hits = table_with(at, "PAI at 5%")
    shown = {
        name.removesuffix(comparison.DEFAULT_MARK): comparison.parse_number(cell)
        for name, cell in zip(hits["Model"], hits["PAI at 5%"], strict=True)
    }
    assert shown == {
        model_label(name): pytest.approx(model["metrics"]["pai_5"]["mean"], abs=0.005)
        for name, model in hotspots["models"].items()
    }
    assert [n for n in hits["Model"] if n.endswith(comparison.DEFAULT_MARK)] == [
        named(default, default)
    ]
    assert list(shown) == [model_label(row["model"]) for row in hotspots["ranking"]]
    hit_rate = dict(zip(hits["Model"], hits["Hit rate at 5%"], strict=True))
    assert comparison.parse_number(hit_rate[named(default, default)]) == pytest.approx(
        hotspots["models"][default]["metrics"]["hit_rate_5"]["mean"], abs=0.0005
    )
    classes = table_with(show(at, "Hotspots and the rest"), "ROC-AUC")
    assert {c for c, _ in comparison.CLASS_COLUMNS} <= set(hotspots["models"][default]["metrics"])
    assert list(classes.columns) == ["Model", *(h for _, h in comparison.CLASS_COLUMNS)]

    areas = table_with(show(at, "Cost per area"), "Ratio, city-wide")
    assert sorted(areas["Area"]) == sorted(r["area_name"] for r in hotspots["allocation_table"])


def test_models_and_features_by_human_names(home: Path) -> None:
    """The models table names models and features as a user reads them, the heaviest feature
    of the default forest first; the code names are in the details table only."""
    at = open_page()
    hotspots = evaluation()["hotspots"]
    default = hotspots["default_model"]
    table = table_with(at, "Computed from")
    text = " ".join(table["Computed from"]) + " ".join(table["Model"])
    assert not any(code in text for code in FEATURE_LABELS if "_" in code)
    assert not any(name in text for name in hotspots["models"] if "_" in name)
    codes = table_with(at, "Code name")
    assert codes["Code name"].tolist() == [row["model"] for row in hotspots["ranking"]]
    for name, listed in zip(codes["Code name"], codes["Features (code names)"], strict=True):
        assert listed == ", ".join(hotspots["models"][name]["feature_names"])
    typed = typed_evaluation().hotspots
    weighed = {
        name: comparison.feature_weights(typed.models[name])
        for name in comparison.model_order(typed)
        if typed.models[name].feature_weights is not None
    }
    assert weighed  # the forest learns weights, whichever model is the default
    assert not [f for f in plotly_charts(at) if f.layout.xaxis.title.text == WEIGHTS_AXIS]
    for name in weighed:  # drawn once its expander is opened
        at.session_state[f"weights_{name}"] = True
    at.run()
    charts = [f for f in plotly_charts(at) if f.layout.xaxis.title.text == WEIGHTS_AXIS]
    assert len(charts) == len(weighed)
    rows = dict(zip(table["Model"], table["Computed from"], strict=True))
    for (name, weights), bars in zip(weighed.items(), charts, strict=True):
        (weighed_bars,) = bars.data
        assert weighed_bars.name == named(name, "")
        assert values(weighed_bars.x) == pytest.approx(weights.tolist())
        assert values(weighed_bars.x) == sorted(values(weighed_bars.x), reverse=True)
        assert list(weighed_bars.y) == [feature_label(f) for f in weights.index]
        assert rows[named(name, default)].startswith(feature_label(weights.index[0]))


def test_hotspot_charts_show_every_model(home: Path) -> None:
    at = open_page()
    hotspots = evaluation()["hotspots"]
    default = hotspots["default_model"]
    models = hotspots["models"]
    kinds = {name: model["kind"] for name, model in models.items()}
    order = comparison.model_order(typed_evaluation().hotspots)
    assert not [f for f in plotly_charts(at) if "fpr" in str(f.layout.xaxis.title.text)]

    titles = [title for _, title, _ in GAP_MEASURES]
    gaps = figure_with(at, titled(*titles))
    check_model_lines(gaps, order, default, kinds)
    for axis, (measure, title, _) in enumerate(GAP_MEASURES, start=1):
        in_panel = [t for t in gaps.data if t.xaxis == ("x" if axis == 1 else f"x{axis}")]
        best = best_plain(models, measure)
        for name in order:
            curve = models[name]["coverage_curve"]
            line = next(t for t in in_panel if t.name == named(name, default))
            assert values(line.x) == curve["coverage"]
            assert values(line.y) == pytest.approx(
                [v - b for v, b in zip(curve[measure], best, strict=True)]
            )
            assert f"{title} " in line.hovertemplate and "coverage" in line.hovertemplate
            spread = next(
                t for t in in_panel if t.name == f"{named(name, default)}, spread over the weeks"
            )
            gaps_by_week = []
            for coverage in COVERAGES:
                key = metric_key(measure, coverage)
                means = {b: models[b]["metrics"][key]["mean"] for b in PLAIN_BASELINES}
                reference = max(means, key=means.get)
                gaps_by_week.append(
                    [
                        w[key] - r[key]
                        for w, r in zip(
                            models[name]["per_week"], models[reference]["per_week"], strict=True
                        )
                    ]
                )
            bars = spread.error_y
            assert values(spread.y) == pytest.approx([sum(g) / len(g) for g in gaps_by_week])
            tops = [m + up for m, up in zip(values(spread.y), values(bars.array), strict=True)]
            bottoms = [
                m - down for m, down in zip(values(spread.y), values(bars.arrayminus), strict=True)
            ]
            assert tops == pytest.approx([max(g) for g in gaps_by_week])
            assert bottoms == pytest.approx([min(g) for g in gaps_by_week])
            # The panel shows every line from 1% of the area up, and every week's range.
            low, high = gaps.layout["yaxis" + (str(axis) if axis > 1 else "")].range
            from_1 = [d for c, d in zip(values(line.x), values(line.y), strict=True) if c >= 0.01]
            assert low <= min(from_1 + bottoms) and high >= max(from_1 + tops)
    markdown = " ".join(m.value for m in at.markdown)
    compared = default
    if default in PLAIN_BASELINES:  # then the margin stated is the best ML model's
        compared = next(n for n in order if kinds[n] == "ml")
    key, weekly_pai = "pai_5", {n: [w["pai_5"] for w in models[n]["per_week"]] for n in models}
    reference = max(PLAIN_BASELINES, key=lambda b: models[b]["metrics"][key]["mean"])
    gap = [a - b for a, b in zip(weekly_pai[compared], weekly_pai[reference], strict=True)]
    assert (
        f"At 5% of the area, {model_label(compared)}'s PAI was {sum(gap) / len(gap):+.2f} "
        f"against {model_label(reference)} on average, from {min(gap):+.2f} to {max(gap):+.2f}"
    ) in markdown
    carried = min(gap) > 0 or max(gap) < 0
    assert ("does not carry a margin" in markdown) == (not carried)

    weekly = figure_with(at, y_titled(comparison.WEEKLY_MEASURES["pai_5"]))
    check_model_lines(weekly, order, default, kinds)
    best = order[0]
    line = trace(weekly, named(best, default))
    assert list(line.x) == hotspots["eval_weeks"]
    assert values(line.y) == pytest.approx([w["pai_5"] for w in models[best]["per_week"]])
    at.selectbox(key="comparison_measure").set_value("roc_auc").run()
    weekly = figure_with(checked(at), y_titled("ROC-AUC"))
    auc = [w["roc_auc"] for w in models[best]["per_week"]]
    assert values(trace(weekly, named(best, default)).y) == pytest.approx(auc)

    show(at, "Hotspots and the rest")
    roc = figure_with(at, lambda f: "false positive" in str(f.layout.xaxis.title.text))
    check_model_lines(roc, order, default, kinds, references=["chance"])
    for name in order:
        line = trace(roc, named(name, default))
        assert {"fpr": values(line.x), "tpr": values(line.y)} == models[name]["roc_curve"]
    chance = trace(roc, "chance")
    assert [values(chance.x), values(chance.y)] == [[0, 1], [0, 1]]

    pr = figure_with(at, lambda f: str(f.layout.xaxis.title.text).startswith("recall"))
    check_model_lines(pr, order, default, kinds, references=["random ranking"])
    for name in order:
        line = trace(pr, named(name, default))
        assert {"recall": values(line.x), "precision": values(line.y)} == {
            key: models[name]["pr_curve"][key] for key in ("recall", "precision")
        }
    floor = trace(pr, "random ranking")
    matrix = models[default]["confusion_matrix"]["matrix"]
    share = sum(matrix[0]) / sum(map(sum, matrix))
    assert values(floor.x) == [0, 1]
    assert values(floor.y) == pytest.approx([share, share])
    assert 0 < share < 0.5

    confusion = figure_with(at, lambda f: all(t.type == "heatmap" for t in f.data))
    assert [t.name for t in confusion.data] == [named(n, default) for n in order]
    for name, cells in zip(order, confusion.data, strict=True):
        stored = models[name]["confusion_matrix"]["matrix"]
        assert values(cells.customdata) == stored
        shares = [count / sum(row) for row in stored for count in row]
        assert [z for row in values(cells.z) for z in row] == pytest.approx(shares)
        counts = [[int(t.split("<br>")[0].replace(",", "")) for t in row] for row in cells.text]
        assert counts == stored

    show(at, "Cost per area")
    bars = figure_with(at, y_titled("PAI at 5% of the area"))
    citywide = trace(bars, ALLOCATIONS["citywide"])
    assert list(citywide.x) == [named(n, default) for n in order]
    assert values(citywide.y) == pytest.approx(
        [models[n]["allocation_modes"]["citywide"]["pai_5"] for n in order]
    )
    assert list(citywide.marker.color) == [palette.HOTSPOT_MODELS[n] for n in order]
    areas = figure_with(at, lambda f: "share of crime" in str(f.layout.xaxis.title.text))
    stored = sorted(hotspots["allocation_table"], key=lambda r: -r["crime_share"])
    for mode in hotspots["allocations"]:
        drawn = trace(areas, ALLOCATIONS[mode])
        assert list(drawn.y) == [r["area_name"] for r in stored]
        assert values(drawn.x) == pytest.approx([r[f"{mode}_ratio"] for r in stored], nan_ok=True)
        assert drawn.marker.color == palette.HOTSPOT_MODELS[default]
    captions = " ".join(c.value for c in at.caption)
    for area in {a for areas in hotspots.get("left_out_areas", {}).values() for a in areas}:
        assert area not in list(drawn.y) and f"{area} (" in captions


def test_hourly_models_are_compared_with_and_without_default_times(home: Path) -> None:
    at = show(open_page(), "Hourly models")
    stored = evaluation()
    shown = [t for t in tables(at) if "MAE (crimes per hour)" in t.columns]
    fits = [f for f in plotly_charts(at) if any(t.name == "observed" for t in f.data)]
    assert len(shown) == len(fits) == 2
    markdown = " ".join(m.value for m in at.markdown)
    for name, table, fit in zip((HOURLY, HOURLY_NO_DEFAULT_TIMES), shown, fits, strict=True):
        result = stored[name]
        mae = {
            model.removesuffix(comparison.DEFAULT_MARK): float(value)
            for model, value in zip(table["Model"], table["MAE (crimes per hour)"], strict=True)
        }
        assert mae == {
            HOURLY_MODELS[m].label: pytest.approx(v["mae"], abs=0.005)
            for m, v in result["models"].items()
        }
        assert comparison.holdout_sentence(getattr(typed_evaluation(), name)) in markdown
        assert result["selection_rule"] in markdown
        assert f"**{HOURLY_MODELS[result['default_model']].label}**" in markdown
        names = {
            m: HOURLY_MODELS[m].label
            + (comparison.DEFAULT_MARK if m == result["default_model"] else "")
            for m in result["models"]
        }
        assert sorted(t.name for t in fit.data) == sorted([*table["Model"], "observed"])
        for column, name in {"observed": "observed", **names}.items():
            drawn = values(trace(fit, name).y)
            assert drawn == pytest.approx([row[column] for row in result["by_hour"]])
        lines = {m: trace(fit, n).line for m, n in names.items()}
        assert {m: line.color for m, line in lines.items()} == {
            m: palette.HOURLY_MODELS[m] for m in names
        }
        assert lines["baseline"].dash == "dash"
        default = result["default_model"]
        assert lines[default].width > max(ln.width for m, ln in lines.items() if m != default)
    assert stored[HOURLY]["holdout"]["start"] in markdown


def test_without_a_model_the_page_says_how_to_train(demo_home: Path, monkeypatch) -> None:
    monkeypatch.setenv("LACRIME_HOME", str(demo_home))
    monkeypatch.setattr(ui, "model_version", lambda: (None, None))
    at = open_page()
    assert any("lacrime train" in m.value for m in at.markdown)
    assert not plotly_charts(at)
    assert not tables(at)


def test_a_forest_lists_its_features_heaviest_first() -> None:
    """A fitted forest's weights rank its features, by their human names; a model without
    weights keeps its own order."""
    rng = np.random.default_rng(0)
    names = ["lag_1", "mean_past", "kde_past", "month"]
    X = pd.DataFrame(rng.normal(size=(400, 4)), columns=names)
    y = (X["kde_past"] + 0.3 * X["lag_1"] > 0).astype(int)
    forest = Pipeline([("rf", RandomForestClassifier(n_estimators=20, random_state=0))])
    model = HotspotModel("random_forest_smote", "ml", forest.fit(X, y), tuple(names), "forest")
    model.feature_names = names
    weights = pd.Series(model.weights()).sort_values(ascending=False)
    assert list(weights.index[:2]) == ["kde_past", "lag_1"]
    assert weights.sum() == pytest.approx(1)
    assert by_weight(names, weights) == list(weights.index)
    assert by_weight(["lag_1", "other"], weights) == ["lag_1", "other"]
    line = comparison.features_line(by_weight(names, weights))
    assert line.startswith(feature_label("kde_past") + ", " + feature_label("lag_1"))
    (bars,) = comparison_charts.feature_chart(weights, model.name).data
    assert list(bars.y) == [feature_label(n) for n in weights.index]
    assert bars.marker.color == palette.HOTSPOT_MODELS["random_forest_smote"]
    knn = HotspotModel("knn", "ml", Pipeline([("knn", KNeighborsClassifier())]), (), "knn")
    assert knn.weights() is None
