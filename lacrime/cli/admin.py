"""Commands for the administrator: set-admin-password."""

import argparse
import sys

from lacrime.cli.common import command
from lacrime.errors import LacrimeError


def register(commands: argparse._SubParsersAction) -> None:
    sub = command(
        commands,
        "refresh",
        run_refresh,
        "Fetch what is new from the portal, train a candidate on it and promote it only if "
        "it is not worse than the version in use (for cron). Exit status: 0 promoted or "
        "nothing new, 1 kept the version in use, 2 error.",
    )
    sub.add_argument("--base-url", help="the portal's address (default: portal.toml's)")
    sub = command(
        commands,
        "set-admin-password",
        run_set_admin_password,
        "Set the Admin page's password: its scrypt hash goes to secrets.toml in "
        "LACRIME_HOME, or in ~/.config/lacrime without it (never in the checkout).",
    )
    sub.add_argument(
        "--stdin", action="store_true", help="read the password from standard input (scripts)"
    )


def run_set_admin_password(args: argparse.Namespace) -> None:
    import getpass
    import os

    from lacrime.ops import auth

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


def run_refresh(args: argparse.Namespace) -> int:
    from lacrime.data.sync import load_portal
    from lacrime.ops.refresh import refresh

    shown = sys.stderr.isatty()  # progress on a terminal only; cron reads the one line
    outcome = refresh(
        load_portal(args.base_url), lambda step: shown and print(step, file=sys.stderr, flush=True)
    )
    print(f"lacrime refresh: {outcome.outcome}: {outcome.summary}")
    return outcome.exit_status
