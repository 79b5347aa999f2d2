"""The `lacrime` command line: the same functions the pages call, for scripts and cron jobs.

Every user error is one line on stderr and exit status 2; outputs of `--json` are stable.
"""

import argparse
import json
import sys
import tempfile
from collections.abc import Callable
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
    sub = command("info", cmd_info, "Summary of the current dataset and its cleaning report.")
    sub.add_argument("--json", action="store_true", help="print the full manifest as JSON")
    sub = command(
        "exclusions", cmd_exclusions, "The crime types and columns every model leaves out, and why."
    )
    sub.add_argument("--json", action="store_true", help="print as JSON")
    return parser


def cmd_ingest(args: argparse.Namespace) -> None:
    from lacrime.dataset import ingest

    _print_summary(ingest(args.source))


def cmd_fetch(args: argparse.Namespace) -> None:
    from lacrime.dataset import ingest
    from lacrime.fetch import PORTAL_URL, download
    from lacrime.paths import data_dir

    url = args.url or PORTAL_URL
    path = download(url, data_dir() / "downloads" / "lapd_crime.csv")
    _print_summary(ingest(path, label=url))


def cmd_demo(args: argparse.Namespace) -> None:
    from lacrime.dataset import ingest
    from lacrime.demo import write_demo_csv
    from lacrime.paths import data_dir

    if args.rows < 1:
        raise LacrimeError(f"--rows must be positive, got {args.rows}")
    data_dir().mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=data_dir(), prefix=".demo-") as tmp:
        path = write_demo_csv(Path(tmp) / "lapd_demo.csv", rows=args.rows, seed=args.seed)
        _print_summary(
            ingest(
                path, synthetic=True, label=f"synthetic demo (rows={args.rows}, seed={args.seed})"
            )
        )


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
