"""Ingest of a large legacy export and a large NIBRS offences file, stitched into one history,
next to a bare pandas read of the same files.

    .venv/bin/python benchmarks/ingest.py [--rows 1000000] [--offences 500000] [--repeat 3]

Generates the demo in both formats: `--rows` legacy reports over the four years to 2023-12-31,
then NIBRS offences (of which about 1 in 9 is a report's second offence) for the year after.
Each measurement runs in a fresh process (so peak memory is that step's own) and the runs are
interleaved, so both see the same machine load. The bare read is the floor:
`pandas.read_csv` of each file and `to_datetime` of its two date columns, nothing else.
Targets (issue 11): read, validate, clean and stitch both within 2x the bare read, under 2 GB.
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

LEGACY_DATE_FORMAT = "%m/%d/%Y %I:%M:%S %p"


def bare_read(legacy: str, nibrs: str) -> None:
    import pandas as pd

    frame = pd.read_csv(legacy)
    for column in ("Date Rptd", "DATE OCC"):
        frame[column] = pd.to_datetime(frame[column], format=LEGACY_DATE_FORMAT)
    offences = pd.read_csv(nibrs)
    for column in ("date_rptd", "date_occ"):
        offences[column] = pd.to_datetime(offences[column], format="ISO8601")


def ingest(legacy: str, nibrs: str) -> None:
    from lacrime.data.dataset import ingest as run_ingest

    run_ingest([Path(legacy), Path(nibrs)])


STEPS = {"bare_read": bare_read, "ingest": ingest}


def measure(step: str, legacy: str, nibrs: str) -> dict:
    """Run one step in a child process; its wall time and peak resident memory."""
    result = subprocess.run(
        [sys.executable, __file__, "--child", step, legacy, nibrs],
        capture_output=True,
        text=True,
        check=True,
        env=os.environ,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def child(step: str, legacy: str, nibrs: str) -> None:
    start = time.perf_counter()
    STEPS[step](legacy, nibrs)
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mb": peak_mb}))


def generate(folder: Path, rows: int, offences: int) -> tuple[Path, Path]:
    """The legacy export and, for the year after it, the NIBRS offences file."""
    from lacrime.data.demo import generate_table, write_demo_csv, write_table
    from lacrime.data.demo_nibrs import SECOND_OFFENCE_SHARE, to_nibrs

    legacy = write_demo_csv(folder / "legacy.csv", rows=rows, seed=1, days=4 * 365)
    reports = round(offences / (1 + SECOND_OFFENCE_SHARE))
    table = generate_table(reports, 2, "2024-01-01", 365, first_number=800_000_001)
    nibrs = write_table(to_nibrs(table, seed=2), folder / "nibrs.csv")
    return legacy, nibrs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--offences", type=int, default=500_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--child", nargs=3, metavar=("STEP", "LEGACY", "NIBRS"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["LACRIME_HOME"] = tmp
        start = time.perf_counter()
        legacy, nibrs = generate(Path(tmp), args.rows, args.offences)
        with nibrs.open() as f:
            offence_rows = sum(1 for _ in f) - 1
        size_mb = (legacy.stat().st_size + nibrs.stat().st_size) / 1e6
        print(
            f"generated {args.rows:,} legacy reports and {offence_rows:,} NIBRS offences "
            f"({size_mb:.0f} MB) in {time.perf_counter() - start:.1f} s"
        )
        runs: dict[str, list[dict]] = {step: [] for step in STEPS}
        for _ in range(args.repeat):  # interleaved, so both see the same machine load
            for step in STEPS:
                runs[step].append(measure(step, str(legacy), str(nibrs)))

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
        f"best {best['ingest'] / best['bare_read']:.2f}x (target <= 2x, < 2000 MB)"
    )


if __name__ == "__main__":
    main()
