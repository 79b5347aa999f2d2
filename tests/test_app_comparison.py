"""The Model comparison page on trained homes (demo and real extract): what it shows is the
evaluation record stored with the model version in use."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from support import plotly_charts
from test_app_hourly import APP, checked

from lacrime import comparison, registry, ui
from lacrime.train import HOURLY, HOURLY_NO_DEFAULT_TIMES

PAGE = "app_pages/model_comparison.py"


def open_page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60).run()
    return checked(at.switch_page(PAGE).run())


def evaluation() -> dict:
    return registry.current_version().metadata["evaluation"]


def table_with(at: AppTest, column: str):
    return next(t.value for t in at.table if column in t.value.columns)


def chart_with(at: AppTest, trace_name: str) -> dict:
    return next(c for c in plotly_charts(at) if any(t.get("name") == trace_name for t in c["data"]))


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
    classes = table_with(at, "ROC-AUC")
    assert {c for c, _ in comparison.CLASS_COLUMNS} <= set(hotspots["models"][default]["metrics"])
    assert list(classes.columns) == ["Model", *(h for _, h in comparison.CLASS_COLUMNS)]

    areas = table_with(at, "Ratio, city-wide")
    assert sorted(areas["Area"]) == sorted(r["area_name"] for r in hotspots["allocation_table"])


def test_hotspot_charts_show_every_model(home: Path) -> None:
    at = open_page()
    hotspots = evaluation()["hotspots"]
    default = hotspots["default_model"]
    names = {n if n != default else n + comparison.DEFAULT_MARK for n in hotspots["models"]}
    roc = chart_with(at, "chance")
    assert {t["name"] for t in roc["data"]} == names | {"chance"}
    pr = chart_with(at, "random ranking")
    assert {t["name"] for t in pr["data"]} == names | {"random ranking"}
    floor = next(t for t in pr["data"] if t["name"] == "random ranking")["y"][0]
    assert 0 < floor < 0.5
    coverage = next(
        c
        for c in plotly_charts(at)
        if "xaxis3" in c["layout"] and c["data"][0]["type"] == "scatter"
    )
    assert len(coverage["data"]) == 3 * len(names)
    assert {t["name"] for t in coverage["data"] if t.get("showlegend", True)} == names

    confusion = [c for c in plotly_charts(at) if c["data"][0]["type"] == "heatmap"]
    assert len(confusion) == 1
    matrices = {
        name: hotspots["models"][name]["confusion_matrix"]["matrix"]
        for name in comparison.model_order(hotspots)
    }
    shown = [int(t["text"][0][0].split("<br>")[0].replace(",", "")) for t in confusion[0]["data"]]
    assert shown == [m[0][0] for m in matrices.values()]

    bars = next(c for c in plotly_charts(at) if c["data"][0]["type"] == "bar")
    citywide = next(t for t in bars["data"] if t["name"] == "ranked city-wide")
    assert citywide["y"] == [
        hotspots["models"][n]["allocation_modes"]["citywide"]["pai_5"]
        for n in comparison.model_order(hotspots)
    ]

    weekly = next(c for c in plotly_charts(at) if c["layout"]["xaxis"].get("type") == "category")
    assert weekly["data"][0]["x"] == hotspots["eval_weeks"]
    best = comparison.model_order(hotspots)[0]
    pai = [w["pai_5"] for w in hotspots["models"][best]["per_week"]]
    assert weekly["data"][0]["y"] == pytest.approx(pai)
    at.selectbox(key="comparison_measure").set_value("roc_auc").run()
    weekly = next(
        c for c in plotly_charts(checked(at)) if c["layout"]["xaxis"].get("type") == "category"
    )
    auc = [w["roc_auc"] for w in hotspots["models"][best]["per_week"]]
    assert weekly["data"][0]["y"] == pytest.approx(auc)
    assert weekly["layout"]["yaxis"]["title"]["text"] == "ROC-AUC"


def test_hourly_models_are_compared_with_and_without_default_times(home: Path) -> None:
    at = open_page()
    stored = evaluation()
    tables = [t.value for t in at.table if "MAE (crimes per hour)" in t.value.columns]
    fits = [c for c in plotly_charts(at) if any(t.get("name") == "observed" for t in c["data"])]
    assert len(tables) == len(fits) == 2
    markdown = " ".join(m.value for m in at.markdown)
    for name, table, fit in zip((HOURLY, HOURLY_NO_DEFAULT_TIMES), tables, fits, strict=True):
        result = stored[name]
        mae = {
            model.removesuffix(comparison.DEFAULT_MARK): float(value)
            for model, value in zip(table["Model"], table["MAE (crimes per hour)"], strict=True)
        }
        assert mae == {m: pytest.approx(v["mae"], abs=0.005) for m, v in result["models"].items()}
        assert comparison.holdout_sentence(result) in markdown
        assert result["selection_rule"] in markdown
        observed = next(t for t in fit["data"] if t["name"] == "observed")
        assert observed["y"] == pytest.approx([row["observed"] for row in result["by_hour"]])
    assert stored[HOURLY]["holdout"]["start"] in markdown


def test_without_a_model_the_page_says_how_to_train(demo_home: Path, monkeypatch) -> None:
    monkeypatch.setenv("LACRIME_HOME", str(demo_home))
    monkeypatch.setattr(ui, "model_version", lambda: (None, None))
    at = open_page()
    assert any("lacrime train" in m.value for m in at.markdown)
    assert not at.get("plotly_chart")
    assert not at.table
