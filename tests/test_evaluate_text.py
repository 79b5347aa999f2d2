"""`lacrime evaluate`: the text output speaks in human names, best model first; the JSON keeps
the code names and every stored table."""

import itertools
import json
from pathlib import Path

import pytest

from lacrime.cli import main
from lacrime.hotspots.models import LABELS
from lacrime.hotspots.panel import feature_label
from lacrime.hourly.models import MODELS
from lacrime.ops import registry


def test_evaluate_text_names_models_and_features_as_people_read_them(
    small_trained_home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setenv("LACRIME_HOME", str(small_trained_home))
    assert main(["evaluate"]) == 0
    text = capsys.readouterr().out
    metadata = registry.current_version().metadata
    hotspots = metadata["evaluation"]["hotspots"]

    table = text.split("Hotspot models:")[1].split("* default model")[0]
    rows = [line.strip() for line in table.splitlines()[2:] if line.strip()]
    ranked = [row["model"] for row in hotspots["ranking"]]
    assert [next(LABELS[m] for m in ranked if r.startswith(LABELS[m])) for r in rows] == [
        LABELS[m] for m in ranked
    ]
    for name in MODELS:
        assert MODELS[name].label in text
    features = " ".join(text.split("Features of each hotspot model")[1].split())
    for name in ranked:
        listed = features.split(f"{LABELS[name]}:")[1]
        for feature in hotspots["models"][name]["feature_names"]:
            assert feature_label(feature) in listed
    assert "mean_past" not in features and "lag_1" not in features
    assert "random_forest_smote" not in text and "all_history" not in text

    assert main(["evaluate", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data == {
        "version": registry.current_version().version,
        "features": metadata["features"],
        **metadata["evaluation"],
    }


def test_evaluate_text_ranks_the_forests_features_by_their_weight(
    small_trained_home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    """Whatever the default model, the forest's features are listed heaviest first with their
    weight, the mean over the evaluation weeks' forests; models without weights have none."""
    monkeypatch.setenv("LACRIME_HOME", str(small_trained_home))
    assert main(["evaluate"]) == 0
    text = capsys.readouterr().out
    models = registry.current_version().metadata["evaluation"]["hotspots"]["models"]
    weights = models["random_forest_smote"]["feature_weights"]
    assert sum(weights.values()) == pytest.approx(1)
    assert set(weights) == set(models["random_forest_smote"]["feature_names"])
    for name, model in models.items():
        assert (model["feature_weights"] is None) == (name != "random_forest_smote")

    section = text.split("Features of each hotspot model")[1]
    after = section.split(f"{LABELS['random_forest_smote']}:\n")[1].splitlines()
    lines = [line.strip() for line in itertools.takewhile(lambda x: x.startswith("    "), after)]
    heaviest = sorted(weights, key=lambda f: -weights[f])
    assert lines == [f"{weights[f]:.1%}  {feature_label(f)}" for f in heaviest]
