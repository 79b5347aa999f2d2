"""The Model comparison page on trained homes (demo and real extract): what it shows is the
evaluation record stored with the model version in use."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from support import Chart, vega_charts
from test_app_hourly import APP, checked

from lacrime.app import comparison, ui
from lacrime.app.charts import GREY, series_colours
from lacrime.hotspots.flagging import ALLOCATIONS
from lacrime.ops import registry
from lacrime.ops.train import HOURLY, HOURLY_NO_DEFAULT_TIMES, Evaluations, record_of

PAGE = "app_pages/model_comparison.py"


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
    return next(t.value for t in at.table if column in t.value.columns)


def chart_with(at: AppTest, *columns: str) -> Chart:
    """The one chart whose table has these columns."""
    [chart] = [c for c in vega_charts(at) if set(columns) <= set(c.data.columns)]
    return chart


def encodings(spec: dict | list) -> list[dict]:
    """Every encoding in a spec, whatever its layers, panels or facets."""
    parts = spec.values() if isinstance(spec, dict) else spec
    found = [spec["encoding"]] if isinstance(spec, dict) and "encoding" in spec else []
    return found + [e for part in parts if isinstance(part, dict | list) for e in encodings(part)]


def drawn(chart: Chart, model: str, columns: list[str]) -> dict[str, list]:
    part = chart.data[chart.data["model"] == model]
    return {column: part[column].tolist() for column in columns}


def labels_default(expression: str, default: str) -> bool:
    """Whether a label expression (legend, axis, header) turns the default's name into its
    name marked "(default)"."""
    return f'=== "{default}" ? "{default}{comparison.DEFAULT_MARK}"' in expression


def dashed(pattern: list[float]) -> bool:
    return any(pattern[1::2])


def check_model_lines(
    chart: Chart, models: list[str], default: str, kinds: dict[str, str], references=()
) -> None:
    """The lines of `models`, in the legend in that order: each model in its colour from the
    sorted model names (the same on every chart), the default thick and labelled "(default)",
    baselines dashed, then the `references`, grey and dotted."""
    lines = next(e for e in encodings(chart.spec) if e.get("color", {}).get("field") == "model")
    style = {
        channel: dict(
            zip(lines[channel]["scale"]["domain"], lines[channel]["scale"]["range"], strict=True)
        )
        for channel in ("color", "strokeWidth", "strokeDash")
    }
    colours = series_colours(sorted(kinds))
    assert list(style["color"]) == [*models, *references]
    assert style["color"] == {m: colours[m] for m in models} | dict.fromkeys(references, GREY)
    width = style["strokeWidth"]
    assert width[default] > max(width[m] for m in style["color"] if m != default)
    assert {m: dashed(style["strokeDash"][m]) for m in models} == {
        m: kinds[m] == "baseline" for m in models
    }
    assert all(dashed(style["strokeDash"][r]) for r in references)
    assert labels_default(lines["color"]["legend"]["labelExpr"], default)


def test_hotspot_tables_are_the_stored_evaluation(home: Path) -> None:
    at = open_page()
    hotspots = evaluation()["hotspots"]
    default = hotspots["default_model"]
    assert any(hotspots["verdict"] in s.value for s in at.success)
    kind = "a baseline" if hotspots["models"][default]["kind"] == "baseline" else "a machine"
    assert any(f"is {default}, {kind}" in s.value for s in at.success)

    hits = table_with(at, "PAI at 5%")
    shown = {
        name.removesuffix(comparison.DEFAULT_MARK): comparison.parse_number(cell)
        for name, cell in zip(hits["Model"], hits["PAI at 5%"], strict=True)
    }
    assert shown == {
        name: pytest.approx(model["metrics"]["pai_5"]["mean"], abs=0.005)
        for name, model in hotspots["models"].items()
    }
    assert [n for n in hits["Model"] if n.endswith(comparison.DEFAULT_MARK)] == [
        default + comparison.DEFAULT_MARK
    ]
    assert list(shown) == [row["model"] for row in hotspots["ranking"]]
    hit_rate = dict(zip(hits["Model"], hits["Hit rate at 5%"], strict=True))
    assert comparison.parse_number(hit_rate[default + comparison.DEFAULT_MARK]) == pytest.approx(
        hotspots["models"][default]["metrics"]["hit_rate_5"]["mean"], abs=0.0005
    )
    classes = table_with(show(at, "Hotspots and the rest"), "ROC-AUC")
    assert {c for c, _ in comparison.CLASS_COLUMNS} <= set(hotspots["models"][default]["metrics"])
    assert list(classes.columns) == ["Model", *(h for _, h in comparison.CLASS_COLUMNS)]

    areas = table_with(show(at, "Cost per area"), "Ratio, city-wide")
    assert sorted(areas["Area"]) == sorted(r["area_name"] for r in hotspots["allocation_table"])


def test_hotspot_charts_show_every_model(home: Path) -> None:
    at = open_page()
    hotspots = evaluation()["hotspots"]
    default = hotspots["default_model"]
    models = hotspots["models"]
    kinds = {name: model["kind"] for name, model in models.items()}
    order = comparison.model_order(typed_evaluation().hotspots)
    assert not any("fpr" in chart.data for chart in vega_charts(at))  # another tab's chart

    coverage = chart_with(at, "coverage", "pai")
    panels = coverage.spec["hconcat"]
    assert [p["layer"][0]["title"] for p in panels] == ["Hit rate", "PAI", "PEI*"]
    assert [p["layer"][0]["encoding"]["y"]["field"] for p in panels] == [
        "hit_rate",
        "pai",
        "pei_star",
    ]
    check_model_lines(coverage, order, default, kinds)
    for name in order:
        curve = models[name]["coverage_curve"]
        assert drawn(coverage, name, list(curve)) == curve
    assert coverage.tables[1]["coverage"].tolist() == [0.01, 0.05]

    weekly = chart_with(at, "week_start", "value")
    check_model_lines(weekly, order, default, kinds)
    best = order[0]
    assert drawn(weekly, best, ["week_start"])["week_start"] == hotspots["eval_weeks"]
    pai = [w["pai_5"] for w in models[best]["per_week"]]
    assert drawn(weekly, best, ["value"])["value"] == pytest.approx(pai)
    at.selectbox(key="comparison_measure").set_value("roc_auc").run()
    weekly = chart_with(checked(at), "week_start", "value")
    auc = [w["roc_auc"] for w in models[best]["per_week"]]
    assert drawn(weekly, best, ["value"])["value"] == pytest.approx(auc)
    assert weekly.spec["encoding"]["y"]["title"] == "ROC-AUC"

    show(at, "Hotspots and the rest")
    roc = chart_with(at, "fpr", "tpr")
    check_model_lines(roc, order, default, kinds, references=["chance"])
    for name in order:
        assert drawn(roc, name, ["fpr", "tpr"]) == models[name]["roc_curve"]
    chance = roc.tables[1]
    assert set(chance["model"]) == {"chance"}
    assert chance[["fpr", "tpr"]].to_numpy().tolist() == [[0, 0], [1, 1]]

    pr = chart_with(at, "recall", "precision")
    check_model_lines(pr, order, default, kinds, references=["random ranking"])
    for name in order:
        assert drawn(pr, name, ["recall", "precision"]) == {
            key: models[name]["pr_curve"][key] for key in ("recall", "precision")
        }
    floor = pr.tables[1]
    assert set(floor["model"]) == {"random ranking"}
    assert floor["recall"].tolist() == [0, 1]
    matrix = models[default]["confusion_matrix"]["matrix"]
    share = sum(matrix[0]) / sum(map(sum, matrix))
    assert floor["precision"].tolist() == pytest.approx([share, share])
    assert 0 < share < 0.5

    confusion = chart_with(at, "actual", "flagged", "count")
    assert list(dict.fromkeys(confusion.data["model"])) == order
    assert labels_default(confusion.spec["facet"]["header"]["labelExpr"], default)
    for name in order:
        stored = models[name]["confusion_matrix"]["matrix"]
        cells = confusion.data[confusion.data["model"] == name]
        assert cells["count"].tolist() == [count for row in stored for count in row]
        shares = [count / sum(row) for row in stored for count in row]
        assert cells["share"].tolist() == pytest.approx(shares)
        assert [int(t.split("\n")[0].replace(",", "")) for t in cells["text"]] == [
            count for row in stored for count in row
        ]

    bars = chart_with(show(at, "Cost per area"), "mode", "pai_5")
    citywide = bars.data[bars.data["allocation"] == ALLOCATIONS["citywide"]]
    assert citywide["model"].tolist() == order
    assert citywide["pai_5"].tolist() == [
        models[n]["allocation_modes"]["citywide"]["pai_5"] for n in order
    ]
    assert labels_default(bars.spec["layer"][0]["encoding"]["x"]["axis"]["labelExpr"], default)


def test_hourly_models_are_compared_with_and_without_default_times(home: Path) -> None:
    at = show(open_page(), "Hourly models")
    stored = evaluation()
    tables = [t.value for t in at.table if "MAE (crimes per hour)" in t.value.columns]
    fits = [c for c in vega_charts(at) if "observed" in c.data.columns]
    assert len(tables) == len(fits) == 2
    markdown = " ".join(m.value for m in at.markdown)
    for name, table, fit in zip((HOURLY, HOURLY_NO_DEFAULT_TIMES), tables, fits, strict=True):
        result = stored[name]
        mae = {
            model.removesuffix(comparison.DEFAULT_MARK): float(value)
            for model, value in zip(table["Model"], table["MAE (crimes per hour)"], strict=True)
        }
        assert mae == {m: pytest.approx(v["mae"], abs=0.005) for m, v in result["models"].items()}
        assert comparison.holdout_sentence(getattr(typed_evaluation(), name)) in markdown
        assert result["selection_rule"] in markdown
        for column in ("observed", *result["models"]):
            assert fit.data[column].tolist() == [row[column] for row in result["by_hour"]]
        kinds = {m: "baseline" if m == "baseline" else "model" for m in result["models"]}
        in_table_order = [m.removesuffix(comparison.DEFAULT_MARK) for m in table["Model"]]
        check_model_lines(fit, in_table_order, result["default_model"], kinds)
    assert stored[HOURLY]["holdout"]["start"] in markdown


def test_without_a_model_the_page_says_how_to_train(demo_home: Path, monkeypatch) -> None:
    monkeypatch.setenv("LACRIME_HOME", str(demo_home))
    monkeypatch.setattr(ui, "model_version", lambda: (None, None))
    at = open_page()
    assert any("lacrime train" in m.value for m in at.markdown)
    assert not at.get("vega_lite_chart")
    assert not at.table
