"""The one error type users see.

Anything raised as `LacrimeError` is a problem with the user's input or state, told in
one line; the CLI prints it and exits with status 2, the pages show it as a message.
Anything else is a bug and keeps its traceback.
"""

from collections.abc import Iterable


class LacrimeError(Exception):
    """A user-facing, one-line error."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))


def first_line(exc: BaseException) -> str:
    """An exception's text cut to one short line, since library errors (Arrow, requests) can
    run to a paragraph of internals that would swamp the one-line message users see."""
    text = str(exc).strip() or type(exc).__name__
    return " ".join(text.splitlines()[0].split())[:300]


def choose(value: object, known: Iterable[str], what: str, *, sort: bool = True) -> str:
    """The known spelling of `value`, matched case-insensitively, so the command line and a
    shared link may spell a name in any case; anything else is refused in one line that lists
    what is known (sorted, unless the order means something, as weekdays' does)."""
    known = list(known)
    names = {str(name).lower(): name for name in known}
    key = str(value).strip().lower()
    if key not in names:
        shown = sorted(known) if sort else known
        raise LacrimeError(f"unknown {what} {value!r}; known: {', '.join(map(str, shown))}")
    return names[key]
