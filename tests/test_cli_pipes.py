"""Every command whose output is cut by a closed pipe (`lacrime evaluate --json | head -1`)
exits quietly: no traceback, status 0 or 141 (SIGPIPE's), in every output format."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from lacrime.cli import BROKEN_PIPE

FORECAST = ["forecast", "--hour", "18", "--weekday", "Friday", "--season", "winter"]
HOTSPOTS = ["hotspots", "--as-of", "2023-12-24", "--model", "last_week"]
COMMANDS = [
    ["info"],
    ["info", "--json"],
    ["exclusions"],
    ["exclusions", "--json"],
    ["evaluate"],
    ["evaluate", "--json"],
    ["versions"],
    ["versions", "--json"],
    FORECAST,
    [*FORECAST, "--json"],
    HOTSPOTS,
    [*HOTSPOTS, "--format", "csv"],
    [*HOTSPOTS, "--format", "json"],
]


def run_into_pipe(home: Path, argv: list[str], *, lines_read: int) -> tuple[int, str]:
    """Run `lacrime ARGV` with its output into a pipe whose reader takes `lines_read` lines
    and closes it (0: closed before the command writes anything)."""
    read_end, write_end = os.pipe()
    reader = os.fdopen(read_end, "rb")
    if lines_read == 0:
        reader.close()
    process = subprocess.Popen(
        [sys.executable, "-m", "lacrime", *argv],
        stdout=write_end,
        stderr=subprocess.PIPE,
        env={**os.environ, "LACRIME_HOME": str(home)},
    )
    os.close(write_end)
    if lines_read:
        for _ in range(lines_read):
            reader.readline()
        reader.close()
    _, err = process.communicate(timeout=120)
    return process.returncode, err.decode()


@pytest.mark.parametrize("argv", COMMANDS, ids=" ".join)
@pytest.mark.parametrize("lines_read", [1, 0], ids=["head -1", "closed at once"])
def test_a_closed_pipe_ends_the_command_quietly(
    demo_home: Path, argv: list[str], lines_read: int
) -> None:
    status, err = run_into_pipe(demo_home, argv, lines_read=lines_read)
    assert "Traceback" not in err and "Error" not in err, err
    assert status in (0, BROKEN_PIPE), (status, err)
    if lines_read == 0:
        assert status == BROKEN_PIPE  # every command writes, so every one meets the pipe
