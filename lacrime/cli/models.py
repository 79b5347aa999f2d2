"""Commands for the models: train, evaluate, versions, rollback."""

import argparse
import json
import re
import sys
import textwrap
from pathlib import Path

from lacrime.cli.common import command, current_version, print_summary


def register(commands: argparse._SubParsersAction) -> None:
    sub = command(
        commands,
        "train",
        run_train,
        "Fit every model on the current dataset, evaluate on the "
        "latest weeks, register a new version and promote it.",
    )
    sub.add_argument("--source", help="ingest this export first, then train on it")
    sub.add_argument(
        "--no-promote", action="store_true", help="register the version without making it current"
    )
    command(
        commands,
        "prepare",
        run_prepare,
        "First start: the synthetic demo dataset if there is no dataset, then the first "
        "training if there is no model version; each step printed as it starts. Does nothing "
        "once both exist; safe beside the app, which waits for it (`make run` starts both).",
    )
    sub = command(
        commands, "evaluate", run_evaluate, "Evaluation tables of the current model version."
    )
    sub.add_argument(
        "--json",
        action="store_true",
        help="print every table, with each model's feature list, as JSON",
    )
    sub = command(commands, "versions", run_versions, "Model versions, newest first.")
    sub.add_argument("--json", action="store_true", help="print as JSON")
    sub = command(
        commands, "rollback", run_rollback, "Make an earlier model version current again."
    )
    sub.add_argument("version", help="a version id from `lacrime versions`")


def run_train(args: argparse.Namespace) -> None:
    from tqdm import tqdm

    from lacrime.data.dataset import ingest
    from lacrime.hotspots.models import label as hotspot_label
    from lacrime.hourly.models import MODELS as HOURLY_MODELS
    from lacrime.ops.train import STEPS, train

    if args.source:
        print_summary(ingest(Path(args.source)))
    with tqdm(total=len(STEPS), desc="training", unit="step", file=sys.stderr) as bar:

        def progress(step: str) -> None:
            bar.update(STEPS.index(step) - bar.n)  # the steps before this one are done
            bar.set_postfix_str(step)

        version = train(progress, promote=not args.no_promote)
        bar.update(bar.total - bar.n)
    summary = version.metadata["summary"]
    state = "promoted" if not args.no_promote else "registered, not promoted"
    print(f"version {version.version} {state}")
    print(
        f"  hourly default model:  {HOURLY_MODELS[summary['hourly_default']].label} "
        f"(MAE {summary['hourly_mae']:.2f} crimes per hour on held-out weeks)"
    )
    print(
        f"  hotspot default model: {hotspot_label(summary['hotspot_default'])} "
        f"(PAI at 5% of the area {summary['hotspot_pai_5']:.2f})"
    )
    print(f"  {summary['verdict']}")
    watches = version.metadata["evaluation"].get("watches")
    if watches:
        print(f"  watch forecasts: {watches['verdict']}")


def run_prepare(args: argparse.Namespace) -> None:
    from lacrime.ops.bootstrap import prepare, ready

    if ready():
        from lacrime.ops.registry import current_version_id

        print(f"lacrime: ready (model version {current_version_id()})", flush=True)
        return
    prepare(lambda line: print(f"lacrime: {line}", flush=True))


def run_evaluate(args: argparse.Namespace) -> None:
    version = current_version()
    evaluation = version.metadata["evaluation"]
    if args.json:
        print(
            json.dumps(
                {
                    "version": version.version,
                    "features": version.metadata["features"],
                    **evaluation,
                },
                indent=1,
            )
        )
        return
    _print_hourly(version, evaluation)
    _print_hotspots(evaluation["hotspots"])


def _print_hourly(version, evaluation: dict) -> None:
    """The hourly tables, models by their human names, each with the inputs it reads."""
    from lacrime.hourly.models import MODELS
    from lacrime.ops.train import HOURLY, HOURLY_NO_DEFAULT_TIMES

    print(f"Model version {version.version}\n")
    for key, title in (
        (HOURLY, "Hourly models"),
        (HOURLY_NO_DEFAULT_TIMES, "Hourly models, default times left out"),
    ):
        table = evaluation[key]
        print(f"{title}: held out {table['holdout']['start']} to {table['holdout']['end']}")
        print(f"  {'model':<36}{'MAE':>7}{'R2':>7}{'deviance':>10}{'coverage':>10}")
        ranked = sorted(table["models"].items(), key=lambda item: item[1]["poisson_deviance"])
        for name, m in ranked:
            mark = " *" if name == table["default_model"] else ""
            print(
                f"  {_hourly_label(MODELS, name):<36}{m['mae']:>7.2f}{m['r2']:>7.2f}"
                f"{m['poisson_deviance']:>10.2f}{m['coverage']:>10.2f}{mark}"
            )
        print(
            f"  every model reads {', '.join(table['input_features'])}; "
            "sorted by deviance, lowest first; * default model\n"
        )


def _hourly_label(models: dict, name: str) -> str:
    return models[name].label if name in models else name


def _print_hotspots(hotspots: dict) -> None:
    """The hotspot table, best model first, then each model's features by their human names,
    a forest's by its learnt weights."""
    from lacrime.hotspots.models import label

    print(
        f"Hotspot models: rolling origin over {len(hotspots['eval_weeks'])} week(s), "
        f"mean (std) over weeks, best PAI@5% first"
    )
    print(
        f"  {'model':<26}{'PAI@1%':>12}{'PAI@5%':>12}{'hit@5%':>8}{'PEI*@5%':>9}"
        f"{'F1 hot':>8}{'F1 not':>8}{'ROC-AUC':>9}"
    )
    ranked = [row["model"] for row in hotspots["ranking"]]
    for name in ranked:
        m = hotspots["models"][name]["metrics"]
        mark = " *" if name == hotspots["default_model"] else ""
        print(
            f"  {label(name):<26}{_mean_std(m['pai_1']):>12}{_mean_std(m['pai_5']):>12}"
            f"{m['hit_rate_5']['mean']:>8.2f}{m['pei_star_5']['mean']:>9.2f}"
            f"{m['hotspot_f1']['mean']:>8.2f}{m['non_hotspot_f1']['mean']:>8.2f}"
            f"{m['roc_auc']['mean']:>9.2f}{mark}"
        )
    print(f"\n  * default model. {_with_labels(hotspots['verdict'])}\n")
    print("Features of each hotspot model")
    for name in ranked:
        model = hotspots["models"][name]
        print(f"  {label(name)}:")
        for line in _feature_lines(model["feature_names"], model.get("feature_weights")):
            print(f"    {line}")
    if any(hotspots["models"][name].get("feature_weights") for name in ranked):
        print(
            "  (a forest's features by their weight: its mean decrease in impurity, averaged over\n"
            "  the forests of the evaluation weeks; the other models' in the order they read them)"
        )
    else:
        print(
            "  (features in the order each model reads them; this version was trained before\n"
            "  weights were recorded: the next `lacrime train` records the forest's)"
        )


def _with_labels(text: str) -> str:
    """A stored sentence with the hotspot models' code names read as their human names."""
    from lacrime.hotspots.models import LABELS

    for name, human in sorted(LABELS.items(), key=lambda item: -len(item[0])):
        text = re.sub(rf"\b{name}\b", human, text)
    return text


def _feature_lines(features: list[str], importances: dict[str, float] | None) -> list[str]:
    """One line per feature: by weight, highest first, with it when known; otherwise in
    the model's order, which for a baseline is its score first, then its tie-break."""
    from lacrime.hotspots.panel import feature_label
    from lacrime.hotspots.results import by_weight

    if importances:
        return [
            f"{importances[f]:>6.1%}  {feature_label(f)}" for f in by_weight(features, importances)
        ]
    if len(features) <= 2:
        return [feature_label(f) for f in features]
    return textwrap.wrap("; ".join(feature_label(f) for f in features), 88)


def _mean_std(metric: dict) -> str:
    return f"{metric['mean']:.2f} ({metric['std']:.2f})"


def run_versions(args: argparse.Namespace) -> None:
    from lacrime.ops.serving import describe, listing

    versions = listing()
    if args.json:
        print(json.dumps(versions, indent=1))
        return
    if not versions:
        print("no model versions yet: run `lacrime train`")
    for v in versions:
        mark = "*" if v["is_current"] else " "
        state = "ok" if v["valid"] else f"INVALID: {v['problem']}"
        summary = v.get("summary") or {}
        data = v.get("data")
        trained = (
            describe(data["dataset_id"], data["synthetic"], data["date_range"]) if data else "?"
        )
        other = "" if v["serves_data_in_use"] else "  (other data than the dataset in use)"
        print(
            f"{mark} {v['id']}  {v['created_at']}  {state}  "
            f"hourly={summary.get('hourly_default', '?')} "
            f"hotspots={summary.get('hotspot_default', '?')}  data={trained}{other}"
        )


def run_rollback(args: argparse.Namespace) -> None:
    from lacrime.ops import serving

    serving.rollback(args.version)
    print(f"version {args.version} is current")
