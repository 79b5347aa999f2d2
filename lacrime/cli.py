"""The `lacrime` command line: the same functions the pages call, for scripts and cron jobs.

Every user error is one line on stderr and exit status 2; outputs of `--json` are stable.
"""

import argparse
import json
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

from lacrime import __version__
from lacrime.errors import LacrimeError


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args) or 0
    except LacrimeError as exc:
        print(f"lacrime: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("lacrime: interrupted; nothing was changed", file=sys.stderr)
        return 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lacrime",
        description="Crime forecasting and decision support over LAPD's public crime reports.",
    )
    parser.add_argument("--version", action="version", version=f"lacrime {__version__}")
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")

    def command(name: str, run: Callable, help: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help, description=help)
        sub.set_defaults(run=run)
        return sub

    sub = command(
        "ingest",
        cmd_ingest,
        "Validate, clean and install an LAPD export as the "
        "current dataset (CSV, Excel/Kaggle re-save, .gz, .zip or Parquet).",
    )
    sub.add_argument("source", help="path of the export")
    sub = command(
        "fetch",
        cmd_fetch,
        "Download the current dataset from the LA open data portal, then ingest it.",
    )
    sub.add_argument("--url", help="address to download from (default: the portal's export)")
    sub = command(
        "demo",
        cmd_demo,
        "Generate a synthetic demo dataset in the portal's format "
        "and ingest it (clearly labelled as synthetic).",
    )
    sub.add_argument("--rows", type=int, default=200_000, help="rows to generate (200000)")
    sub.add_argument("--seed", type=int, default=0, help="random seed (0)")
    sub.add_argument("--days", type=int, default=365, help="days covered, ending 2023-12-31 (365)")
    sub = command("info", cmd_info, "Summary of the current dataset and its cleaning report.")
    sub.add_argument("--json", action="store_true", help="print the full manifest as JSON")
    sub = command(
        "exclusions", cmd_exclusions, "The crime types and columns every model leaves out, and why."
    )
    sub.add_argument("--json", action="store_true", help="print as JSON")

    sub = command(
        "train",
        cmd_train,
        "Fit every model on the current dataset, evaluate on the "
        "latest weeks, register a new version and promote it.",
    )
    sub.add_argument("--source", help="ingest this export first, then train on it")
    sub.add_argument(
        "--no-promote", action="store_true", help="register the version without making it current"
    )
    sub = command("evaluate", cmd_evaluate, "Evaluation tables of the current model version.")
    sub.add_argument(
        "--json",
        action="store_true",
        help="print every table, with each model's feature list, as JSON",
    )
    sub = command(
        "forecast",
        cmd_forecast,
        "Expected crimes in one hour of a weekday and "
        "season, with a prediction interval, from the default hourly model.",
    )
    sub.add_argument("--hour", required=True, type=int, help="hour of the day, 0-23")
    sub.add_argument("--weekday", required=True, help="Monday ... Sunday")
    sub.add_argument("--season", required=True, help="winter, spring, summer or autumn")
    sub.add_argument("--area", help="LAPD area name, e.g. 'Central'")
    sub.add_argument("--crime-group", help="crime category group, e.g. 'Vehicle crime'")
    sub.add_argument("--model", help="hourly model (default: the best on held-out weeks)")
    sub.add_argument(
        "--exclude-default-times",
        action="store_true",
        help="spread the excess of reports timed 12:00 or 00:01 (unknown times) over their day",
    )
    sub.add_argument("--json", action="store_true", help="print as JSON")
    sub = command(
        "hotspots",
        cmd_hotspots,
        "Hotspot forecast for the days after --as-of, "
        "trained only on reports up to that day; every cell of the grid.",
    )
    sub.add_argument("--as-of", required=True, type=_date, help="last day of data to use")
    sub.add_argument("--horizon-days", type=int, default=7, help="days forecast (7)")
    sub.add_argument(
        "--coverage",
        type=float,
        default=0.05,
        help="share of cells flagged, e.g. 0.05 for 5%% of the area",
    )
    sub.add_argument("--model", help="hotspot model (default: the current version's best)")
    sub.add_argument(
        "--allocation",
        choices=("citywide", "proportional"),
        default="citywide",
        help="rank city-wide, or give each LAPD area a quota by its recent share",
    )
    sub.add_argument("--format", choices=("geojson", "csv", "json"), default="geojson")
    sub.add_argument("--output", help="write to this file instead of standard output")
    sub = command("versions", cmd_versions, "Model versions, newest first.")
    sub.add_argument("--json", action="store_true", help="print as JSON")
    sub = command("rollback", cmd_rollback, "Make an earlier model version current again.")
    sub.add_argument("version", help="a version id from `lacrime versions`")
    sub = command(
        "set-admin-password",
        cmd_set_admin_password,
        "Set the Admin page's password: its scrypt hash goes to "
        "LACRIME_HOME/.streamlit/secrets.toml (the repository's, by default).",
    )
    sub.add_argument(
        "--stdin", action="store_true", help="read the password from standard input (scripts)"
    )
    return parser


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2024-03-17") from None


def cmd_ingest(args: argparse.Namespace) -> None:
    from lacrime.dataset import ingest

    _print_summary(ingest(args.source))


def cmd_fetch(args: argparse.Namespace) -> None:
    from lacrime.dataset import ingest
    from lacrime.fetch import PORTAL_URL, download, download_path

    url = args.url or PORTAL_URL
    path = download(url, download_path())
    _print_summary(ingest(path, label=url))


def cmd_demo(args: argparse.Namespace) -> None:
    from lacrime.bootstrap import install_demo

    if args.rows < 1:
        raise LacrimeError(f"--rows must be positive, got {args.rows}")
    _print_summary(install_demo(args.rows, seed=args.seed, days=args.days))


def cmd_info(args: argparse.Namespace) -> None:
    from lacrime.dataset import read_manifest

    manifest = read_manifest()
    if args.json:
        print(json.dumps(manifest, indent=1))
    else:
        _print_summary(manifest)


def cmd_exclusions(args: argparse.Namespace) -> None:
    from lacrime.exclusions import load_exclusions

    exclusions = load_exclusions()
    if args.json:
        print(json.dumps(exclusions.to_dict(), indent=1))
        return
    print(f"Exclusions ({exclusions.source})\n")
    print(f"Columns never read: {', '.join(exclusions.columns)}")
    print(f"  why: {exclusions.columns_reason}\n")
    print("Crime types left out of every model, forecast and map:")
    for rule in exclusions.rules:
        print(f"  /{rule.pattern}/\n    why: {rule.reason}")


def cmd_train(args: argparse.Namespace) -> None:
    from tqdm import tqdm

    from lacrime.dataset import ingest
    from lacrime.train import STEPS, train

    if args.source:
        _print_summary(ingest(Path(args.source)))
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
        f"  hourly default model:  {summary['hourly_default']} "
        f"(MAE {summary['hourly_mae']:.2f} crimes per hour on held-out weeks)"
    )
    print(
        f"  hotspot default model: {summary['hotspot_default']} "
        f"(PAI at 5% of the area {summary['hotspot_pai_5']:.2f})"
    )
    print(f"  {summary['verdict']}")


def cmd_evaluate(args: argparse.Namespace) -> None:
    version = _current_version()
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
    from lacrime.train import HOURLY, HOURLY_NO_DEFAULT_TIMES

    print(f"Model version {version.version}\n")
    for key, title in (
        (HOURLY, "Hourly models"),
        (HOURLY_NO_DEFAULT_TIMES, "Hourly models, default times left out"),
    ):
        table = evaluation[key]
        print(f"{title}: held out {table['holdout']['start']} to {table['holdout']['end']}")
        print(f"  {'model':<16}{'MAE':>7}{'R2':>7}{'deviance':>10}{'coverage':>10}")
        for name, m in table["models"].items():
            mark = " *" if name == table["default_model"] else ""
            print(
                f"  {name:<16}{m['mae']:>7.2f}{m['r2']:>7.2f}{m['poisson_deviance']:>10.2f}"
                f"{m['coverage']:>10.2f}{mark}"
            )
        print()
    hotspots = evaluation["hotspots"]
    print(
        f"Hotspot models: rolling origin over {len(hotspots['eval_weeks'])} week(s), "
        f"mean (std) over weeks"
    )
    print(
        f"  {'model':<22}{'PAI@1%':>12}{'PAI@5%':>12}{'hit@5%':>8}{'PEI*@5%':>9}"
        f"{'F1 hot':>8}{'F1 not':>8}{'ROC-AUC':>9}"
    )
    for name, model in hotspots["models"].items():
        m = model["metrics"]
        mark = " *" if name == hotspots["default_model"] else ""
        print(
            f"  {name:<22}{_mean_std(m['pai_1']):>12}{_mean_std(m['pai_5']):>12}"
            f"{m['hit_rate_5']['mean']:>8.2f}{m['pei_star_5']['mean']:>9.2f}"
            f"{m['hotspot_f1']['mean']:>8.2f}{m['non_hotspot_f1']['mean']:>8.2f}"
            f"{m['roc_auc']['mean']:>9.2f}{mark}"
        )
    print(f"\n  * default model. {hotspots['verdict']}")


def _mean_std(metric: dict) -> str:
    return f"{metric['mean']:.2f} ({metric['std']:.2f})"


def cmd_forecast(args: argparse.Namespace) -> None:
    from lacrime import registry
    from lacrime.hourly import forecast
    from lacrime.train import HOURLY, HOURLY_NO_DEFAULT_TIMES

    version = _current_version()
    bundle = registry.load_artifact(
        version, HOURLY_NO_DEFAULT_TIMES if args.exclude_default_times else HOURLY
    )
    result = forecast(
        bundle,
        hour=args.hour,
        weekday=args.weekday,
        season=args.season,
        area=args.area,
        crime_group=args.crime_group,
        model=args.model,
    )
    result["model_version"] = version.version
    if args.json:
        print(json.dumps(result, indent=1))
        return
    where = " / ".join(x for x in (result["area"], result["crime_group"]) if x) or "city-wide"
    print(
        f"{result['weekday']} {result['hour']:02d}:00-{result['hour']:02d}:59 in "
        f"{result['season']}, {where}: {result['expected']:.1f} crimes expected "
        f"({result['interval_level']:.0%} interval {result['lower']:.0f}-{result['upper']:.0f};"
        f" model {result['model']})"
    )
    for note in result.get("notes", []):
        print(f"  note: {note}")


def cmd_hotspots(args: argparse.Namespace) -> None:
    from lacrime import registry
    from lacrime.dataset import load_dataset
    from lacrime.hotspots import forecast_hotspots, to_geojson

    version = registry.current_version()
    model, resolution = args.model, None
    if version is not None:
        model = model or version.metadata["summary"]["hotspot_default"]
        resolution = version.metadata["parameters"]["hotspot_resolution"]
    table = forecast_hotspots(
        load_dataset(),
        as_of=args.as_of,
        horizon_days=args.horizon_days,
        coverage=args.coverage,
        model=model,
        allocation=args.allocation,
        resolution=resolution,
    )
    if args.format == "geojson":
        text = json.dumps(to_geojson(table))
    elif args.format == "json":
        text = json.dumps(
            {"meta": table.attrs, "cells": table.to_dict(orient="records")}, indent=1, default=str
        )
    else:
        text = table.to_csv(index=False)
    if args.output:
        Path(args.output).write_text(text)
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")


def cmd_versions(args: argparse.Namespace) -> None:
    from lacrime import registry

    versions = registry.list_versions()
    if args.json:
        print(json.dumps(versions, indent=1))
        return
    if not versions:
        print("no model versions yet: run `lacrime train`")
    for v in versions:
        mark = "*" if v["is_current"] else " "
        state = "ok" if v["valid"] else f"INVALID: {v['problem']}"
        summary = v.get("summary") or {}
        print(
            f"{mark} {v['id']}  {v['created_at']}  {state}  "
            f"hourly={summary.get('hourly_default', '?')} "
            f"hotspots={summary.get('hotspot_default', '?')}"
        )


def cmd_rollback(args: argparse.Namespace) -> None:
    from lacrime import registry

    registry.rollback(args.version)
    print(f"version {args.version} is current")


def cmd_set_admin_password(args: argparse.Namespace) -> None:
    import getpass
    import os

    from lacrime import auth

    if args.stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        auth.check_new_password(password)
    else:
        password = getpass.getpass("New admin password: ")
        auth.check_new_password(password)
        if getpass.getpass("Same password again: ") != password:
            raise LacrimeError("the two passwords differ; nothing was changed")
    path = auth.save_password_hash(auth.hash_password(password))
    print(f"admin password hash written to {path}")
    if os.environ.get(auth.HASH_ENV):
        print(f"note: {auth.HASH_ENV} is set and takes precedence over that file")


def _current_version():
    from lacrime import registry

    version = registry.current_version()
    if version is None:
        raise LacrimeError("no model version yet: run `lacrime train`")
    return version


def _print_summary(manifest: dict) -> None:
    report = manifest["report"]
    kind = "SYNTHETIC DEMO DATA" if manifest["synthetic"] else "real data"
    print(f"Dataset {manifest['dataset_id']} ({kind})")
    print(f"  source:      {manifest['source']}")
    print(f"  occurred:    {report['date_range'][0]} to {report['date_range'][1]}")
    print(f"  areas:       {report['areas']}")
    print(f"  rows in:     {report['rows_in']:>10,}")
    for step in report["steps"]:
        if step["removed"]:
            print(f"  - {step['removed']:>10,}  {step['step']}: {step['reason']}")
    print(f"  rows out:    {report['rows_out']:>10,}")
    for warning in report["flags"].get("warnings", []):
        print(f"  warning: {warning}")
