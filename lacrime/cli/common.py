"""What the command groups share: how a command is declared, and what every one prints."""

import argparse
from collections.abc import Callable
from datetime import date

from lacrime.errors import LacrimeError


def command(
    commands: argparse._SubParsersAction, name: str, run: Callable, help: str
) -> argparse.ArgumentParser:
    """A subcommand whose `--help` opens with `help` and which runs `run(args)`."""
    sub = commands.add_parser(name, help=help, description=help)
    sub.set_defaults(run=run)
    return sub


def iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2024-03-17") from None


def current_version():
    from lacrime.ops import registry

    version = registry.current_version()
    if version is None:
        raise LacrimeError("no model version yet: run `lacrime train`")
    return version


def print_summary(manifest: dict) -> None:
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
    switched = [
        a for a in (manifest.get("history") or {}).get("areas", {}).values() if a["transition"]
    ]
    if switched:
        print("  transition to NIBRS, by area:")
        for area in switched:
            how = "detected" if area["detected"] else "end of the legacy data"
            sources = ", ".join(
                f"{p['source']} {p['first_day']} to {p['last_day']}" for p in area["periods"]
            )
            print(f"    {area['area_name']:<12} {area['transition']} ({how}): {sources}")
    for warning in report["flags"].get("warnings", []):
        print(f"  warning: {warning}")
