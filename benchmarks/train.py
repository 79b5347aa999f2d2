"""Full training time and peak memory, and forecast latency after loading the models.

    .venv/bin/python benchmarks/train.py [--rows 1000000] [--skip-demo]

On the real extract (LACRIME_REAL_DATA) and on a demo dataset of `--rows` rows, each in a
fresh LACRIME_HOME and each step in its own process (so peak memory is that step's own).
The plain baseline in the same run is the simplest forecaster there is: counting reports by
hour and weekday, the historical mean a planner could compute by hand.
Targets (issue 3): under 60 s on the real extract, under 5 min on 1,000,000 rows, under 2 GB
peak, a forecast under 50 ms after load.
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

from prepare import run_lacrime


def plain_baseline() -> None:
    from lacrime.data.dataset import load_dataset

    frame = load_dataset(columns=["occurred_at"])
    days = frame["occurred_at"].dt.normalize().nunique()
    counts = frame.groupby([frame["occurred_at"].dt.day_of_week, frame["occurred_at"].dt.hour])
    (counts.size() / days).to_dict()


def train() -> None:
    from lacrime.ops.train import train as run_train

    run_train()


def forecast_latency() -> dict:
    """Load the hourly bundle from the registry, then time single forecasts."""
    from lacrime.hourly.forecast import forecast
    from lacrime.ops import registry
    from lacrime.ops.train import HOURLY

    start = time.perf_counter()
    bundle = registry.load_artifact(registry.current_version(), HOURLY)
    load = time.perf_counter() - start
    latencies = []
    for i in range(200):
        start = time.perf_counter()
        forecast(bundle, hour=i % 24, weekday="Friday", season="spring")
        latencies.append(time.perf_counter() - start)
    return {
        "load_s": load,
        "median_ms": statistics.median(latencies) * 1000,
        "max_ms": max(latencies) * 1000,
    }


STEPS = {"plain_baseline": plain_baseline, "train": train, "forecast": forecast_latency}


def child(step: str) -> None:
    start = time.perf_counter()
    extra = STEPS[step]() or {}
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mb": peak_mb, **extra}))


def measure(step: str, home: Path) -> dict:
    result = subprocess.run(
        [sys.executable, __file__, "--child", step],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "LACRIME_HOME": str(home)},
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def report(name: str, home: Path) -> None:
    baseline = measure("plain_baseline", home)
    trained = measure("train", home)
    latency = measure("forecast", home)
    print(f"\n{name}")
    print(
        f"  plain baseline (hour x weekday means): {baseline['seconds']:7.2f} s "
        f"{baseline['peak_mb']:6.0f} MB peak"
    )
    print(
        f"  lacrime train (every model + evaluation): {trained['seconds']:7.2f} s "
        f"{trained['peak_mb']:6.0f} MB peak"
    )
    print(
        f"  hourly forecast after load: median {latency['median_ms']:.1f} ms, "
        f"max {latency['max_ms']:.1f} ms (load {latency['load_s']:.2f} s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--skip-demo", action="store_true", help="only the real extract")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    real = os.environ.get("LACRIME_REAL_DATA")
    with tempfile.TemporaryDirectory() as tmp:
        if real and Path(real).is_file():
            home = Path(tmp) / "real"
            run_lacrime(home, "ingest", real)
            report("real extract", home)
        else:
            print("real extract: skipped (set LACRIME_REAL_DATA)")
        if not args.skip_demo:
            home = Path(tmp) / "demo"
            days = max(365, round(args.rows / 700))  # about the real city's daily volume
            run_lacrime(home, "demo", "--rows", str(args.rows), "--days", str(days))
            report(f"demo, {args.rows:,} rows over {days} days", home)


if __name__ == "__main__":
    main()
