"""Ingest + clean of a large portal export, next to a bare pandas read of the same file.

    .venv/bin/python benchmarks/ingest.py [--rows 1000000] [--repeat 3]

Generates the demo dataset in the portal's CSV format, then runs each measurement in a
fresh process (so peak memory is that step's own) and prints the figures. The bare read
is the floor: `pandas.read_csv` + `to_datetime` of the two date columns, nothing else.
Targets (issue 2): ingest + clean within 2x the bare read, under 10 s, under 1.5 GB.
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def bare_read(path: str) -> None:
    import pandas as pd

    frame = pd.read_csv(path)
    for column in ("Date Rptd", "DATE OCC"):
        frame[column] = pd.to_datetime(frame[column], format="%m/%d/%Y %I:%M:%S %p")


def ingest(path: str) -> None:
    from lacrime.data.dataset import ingest as run_ingest

    run_ingest(Path(path))


STEPS = {"bare_read": bare_read, "ingest": ingest}


def measure(step: str, path: str) -> dict:
    """Run one step in a child process; its wall time and peak resident memory."""
    result = subprocess.run(
        [sys.executable, __file__, "--child", step, path],
        capture_output=True,
        text=True,
        check=True,
        env=os.environ,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def child(step: str, path: str) -> None:
    start = time.perf_counter()
    STEPS[step](path)
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mb": peak_mb}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", nargs=2, metavar=("STEP", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return

    from lacrime.data.demo import write_demo_csv

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["LACRIME_HOME"] = tmp
        path = Path(tmp) / "portal.csv"
        start = time.perf_counter()
        write_demo_csv(path, rows=args.rows, seed=1)
        size_mb = path.stat().st_size / 1e6
        print(
            f"generated {args.rows:,} rows ({size_mb:.0f} MB) "
            f"in {time.perf_counter() - start:.1f} s"
        )
        runs: dict[str, list[dict]] = {step: [] for step in STEPS}
        for _ in range(args.repeat):  # interleaved, so both see the same machine load
            for step in STEPS:
                runs[step].append(measure(step, str(path)))

    print(f"\n{'step':<10} {'median s':>9} {'min s':>7} {'peak MB':>8}")
    medians = {}
    for step, results in runs.items():
        seconds = [r["seconds"] for r in results]
        medians[step] = statistics.median(seconds)
        peak = max(r["peak_mb"] for r in results)
        print(f"{step:<10} {medians[step]:>9.2f} {min(seconds):>7.2f} {peak:>8.0f}")
    best = {step: min(r["seconds"] for r in results) for step, results in runs.items()}
    print(
        f"\ningest / bare read: median {medians['ingest'] / medians['bare_read']:.2f}x, "
        f"best {best['ingest'] / best['bare_read']:.2f}x (target <= 2x, < 10 s, < 1500 MB)"
    )


if __name__ == "__main__":
    main()
