"""The `lacrime` command line: the same functions the pages call, for scripts and cron jobs.

Every user error is one line on stderr and exit status 2; outputs of `--json` are stable.
Each module of this package registers a group of commands; heavy libraries are imported by
the command that needs them, so `lacrime --help` and `lacrime info` start at once.
"""

import argparse
import sys

from lacrime import __version__
from lacrime.cli import admin, data, decision, forecasts, models
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
    for group in (data, models, forecasts, decision, admin):
        group.register(commands)
    return parser
