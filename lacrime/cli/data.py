"""Commands for the data: ingest, fetch, demo, info, exclusions."""

import argparse
import json

from lacrime.cli.common import command, print_summary
from lacrime.errors import LacrimeError


def register(commands: argparse._SubParsersAction) -> None:
    sub = command(
        commands,
        "ingest",
        run_ingest,
        "Validate, clean and install an LAPD export as the "
        "current dataset (CSV, Excel/Kaggle re-save, .gz, .zip or Parquet).",
    )
    sub.add_argument("source", help="path of the export")
    sub = command(
        commands,
        "fetch",
        run_fetch,
        "Download the current dataset from the LA open data portal, then ingest it.",
    )
    sub.add_argument("--url", help="address to download from (default: the portal's export)")
    sub = command(
        commands,
        "demo",
        run_demo,
        "Generate a synthetic demo dataset in the portal's format "
        "and ingest it (clearly labelled as synthetic).",
    )
    sub.add_argument("--rows", type=int, default=200_000, help="rows to generate (200000)")
    sub.add_argument("--seed", type=int, default=0, help="random seed (0)")
    sub.add_argument("--days", type=int, default=365, help="days covered, ending 2023-12-31 (365)")
    sub = command(
        commands, "info", run_info, "Summary of the current dataset and its cleaning report."
    )
    sub.add_argument("--json", action="store_true", help="print the full manifest as JSON")
    sub = command(
        commands,
        "exclusions",
        run_exclusions,
        "The crime types and columns every model leaves out, and why.",
    )
    sub.add_argument("--json", action="store_true", help="print as JSON")


def run_ingest(args: argparse.Namespace) -> None:
    from lacrime.data.dataset import ingest

    print_summary(ingest(args.source))


def run_fetch(args: argparse.Namespace) -> None:
    from lacrime.data.dataset import ingest
    from lacrime.data.fetch import PORTAL_URL, download, download_path

    url = args.url or PORTAL_URL
    path = download(url, download_path())
    print_summary(ingest(path, label=url))


def run_demo(args: argparse.Namespace) -> None:
    from lacrime.ops.bootstrap import install_demo

    if args.rows < 1:
        raise LacrimeError(f"--rows must be positive, got {args.rows}")
    print_summary(install_demo(args.rows, seed=args.seed, days=args.days))


def run_info(args: argparse.Namespace) -> None:
    from lacrime.data.dataset import read_manifest

    manifest = read_manifest()
    if args.json:
        print(json.dumps(manifest, indent=1))
    else:
        print_summary(manifest)


def run_exclusions(args: argparse.Namespace) -> None:
    from lacrime.data.exclusions import load_exclusions

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
