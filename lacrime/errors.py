"""The one error type users see.

Anything raised as `LacrimeError` is a problem with the user's input or state, told in
one line; the CLI prints it and exits with status 2, the pages show it as a message.
Anything else is a bug and keeps its traceback.
"""


class LacrimeError(Exception):
    """A user-facing, one-line error."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))


def first_line(exc: BaseException) -> str:
    """An exception's text cut to one short line, since library errors (Arrow, requests) can
    run to a paragraph of internals that would swamp the one-line message users see."""
    text = str(exc).strip() or type(exc).__name__
    return " ".join(text.splitlines()[0].split())[:300]
