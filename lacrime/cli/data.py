"""Commands for the data: ingest, fetch, demo, info, exclusions."""

import argparse
import json
import sys

from lacrime.cli.common import command, iso_date, print_summary
from lacrime.errors import LacrimeError


def register(commands: argparse._SubParsersAction) -> None:
    sub = command(
        commands,
        "ingest",
        run_ingest,
        "Validate, clean and install LAPD exports as the current dataset: the legacy crime "
        "data and NIBRS offenses, in any mix, stitched into one history (CSV, Excel/Kaggle "
        "re-save, JSON, .gz, .zip or Parquet).",
    )
    sub.add_argument("sources", nargs="+", metavar="SOURCE", help="path of an export")
    sub = command(
        commands,
        "fetch",
        run_fetch,
        "Bring the data up to date from the LA open data portal, then ingest it: the frozen "
        "legacy archive once, then the NIBRS offenses reported since the latest one held "
        "(datasets and paging in lacrime/data/portal.toml).",
    )
    sub.add_argument("--base-url", help="a mirror of the portal (default: portal.toml's)")
    sub.add_argument(
        "--url", help="instead, download the one export file at this address and ingest it"
    )
    sub = command(
        commands,
        "demo",
        run_demo,
        "Generate a synthetic demo dataset in the portal's format "
        "and ingest it (clearly labelled as synthetic).",
    )
    sub.add_argument("--rows", type=int, default=200_000, help="reports to generate (200000)")
    sub.add_argument("--seed", type=int, default=0, help="random seed (0)")
    sub.add_argument("--days", type=int, default=365, help="days covered, ending 2023-12-31 (365)")
    sub.add_argument(
        "--format",
        choices=("legacy", "nibrs"),
        default="legacy",
        help="legacy: the legacy crime data only; nibrs: legacy until each area's switch to "
        "NIBRS, NIBRS offenses from it, stitched as real data are (legacy)",
    )
    sub.add_argument(
        "--switch",
        type=iso_date,
        help="with --format nibrs, the day Central Bureau switches, the other bureaus following "
        "two weeks apart (default: 12 weeks before the end)",
    )
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

    print_summary(ingest(args.sources))


def run_fetch(args: argparse.Namespace) -> None:
    from lacrime.data.dataset import ingest
    from lacrime.data.fetch import download, download_path
    from lacrime.data.sync import fetch_and_install, load_portal

    if args.url:
        if args.base_url:
            raise LacrimeError("give --url or --base-url, not both")
        path = download(args.url, download_path())
        print_summary(ingest(path, label=args.url))
        return
    # Progress on a terminal only: a script or a cron job reads the result, or one error line.
    shown = sys.stderr.isatty()
    manifest = fetch_and_install(
        load_portal(args.base_url), lambda step: shown and print(step, file=sys.stderr, flush=True)
    )
    if manifest is None:
        print("Nothing new on the portal: the dataset in use is up to date.")
    else:
        print_summary(manifest)


def run_demo(args: argparse.Namespace) -> None:
    from lacrime.ops.bootstrap import install_demo

    if args.rows < 1:
        raise LacrimeError(f"--rows must be positive, got {args.rows}")
    if args.switch and args.format != "nibrs":
        raise LacrimeError("--switch needs --format nibrs")
    switch = args.switch.isoformat() if args.switch else None
    print_summary(
        install_demo(
            args.rows, seed=args.seed, days=args.days, nibrs=args.format == "nibrs", switch=switch
        )
    )


def run_info(args: argparse.Namespace) -> None:
    from lacrime.data.dataset import read_manifest

    manifest = read_manifest()
    if args.json:
        print(json.dumps(manifest, indent=1))
    else:
        print_summary(manifest)


def run_exclusions(args: argparse.Namespace) -> None:
    from lacrime.data.exclusions import RULE_LABELS, load_exclusions

    exclusions = load_exclusions()
    if args.json:
        print(json.dumps(exclusions.to_dict(), indent=1))
        return
    print(f"Exclusions ({exclusions.source})\n")
    print(f"Columns never read: {', '.join(exclusions.columns)}")
    print(f"  why: {exclusions.columns_reason}\n")
    print("Crime types left out of every model, forecast and map:")
    for rule in exclusions.rules:
        print(f"  {RULE_LABELS[rule.field]} /{rule.pattern}/\n    why: {rule.reason}")
