"""The `lacrime` command line: the same functions the pages call, for scripts and cron jobs.

Every user error is one line on stderr and exit status 2; outputs of `--json` are stable.
Each module of this package registers a group of commands; heavy libraries are imported by
the command that needs them, so `lacrime --help` and `lacrime info` start at once.
"""

import argparse
import os
import sys

from lacrime import __version__
from lacrime.cli import admin, data, decision, forecasts, models
from lacrime.errors import LacrimeError

# The exit status of a command whose output pipe was closed, as a shell reports SIGPIPE.
BROKEN_PIPE = 128 + 13


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        status = args.run(args) or 0
        sys.stdout.flush()  # inside the try: a closed pipe shows here, not at exit
        return status
    except BrokenPipeError:
        _silence_stdout()
        return BROKEN_PIPE
    except LacrimeError as exc:
        print(f"lacrime: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("lacrime: interrupted; nothing was changed", file=sys.stderr)
        return 130


def _silence_stdout() -> None:
    """Point standard output at /dev/null, so that the interpreter's flush at exit does not
    hit the closed pipe again and print a traceback of its own (`lacrime ... | head`)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


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
