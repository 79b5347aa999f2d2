"""Decision-support timings: a watch forecast against the all-day forecast, the weekly
briefing, and emerging hotspots over years of weekly slices.

    .venv/bin/python benchmarks/decision.py [--rows 1000000] [--repeat 3] [--skip-demo]

On the real extract (LACRIME_REAL_DATA, trained) and on `--rows` demo rows over 4 years, each
in a fresh LACRIME_HOME. Every figure is the median of `--repeat` runs in one process after
the dataset is loaded, next to the plain baseline of the same run:
- watch forecast (all three watches in one pass, and one watch) against the all-day
  forecast of the version's default model (`forecast_hotspots`); target within 2x;
- the briefing (content and PDF) against a one-line PDF of the reports per area; under 5 s;
- emerging hotspots (weekly slices on the demo) against counting the cell x slice cube
  alone; under 60 s on 1,000,000 rows.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from prepare import run_lacrime


def timed(repeat: int, run) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def child(repeat: int) -> dict:
    """Every timing on the home in LACRIME_HOME."""
    import numpy as np
    from fpdf import FPDF

    from lacrime.app.briefing import build_briefing
    from lacrime.app.briefing_pdf import briefing_pdf
    from lacrime.app.decision import trends_for, watch_forecasters, watch_models
    from lacrime.data.dataset import load_dataset, read_manifest
    from lacrime.hotspots.forecast import forecast_hotspots
    from lacrime.hotspots.panel import with_cells
    from lacrime.hotspots.watch import forecast_watch
    from lacrime.ops import registry
    from lacrime.ops.train import latest_full_week_end, record_of

    frame, manifest = load_dataset(), read_manifest()
    version = registry.current_version()
    record = record_of(version) if version is not None else None
    models = watch_models(record)
    model = record.summary.hotspot_default if record is not None else None
    as_of = latest_full_week_end(frame)
    area = frame["area_name"].value_counts().index[0]

    def plain_pdf() -> None:
        pdf = FPDF(format="letter")
        pdf.add_page()
        pdf.set_font("Helvetica", size=10)
        for name, n in frame["area_name"].value_counts().items():
            pdf.cell(100, 5, f"{name}: {n}", new_x="LMARGIN", new_y="NEXT")
        bytes(pdf.output())

    def cube() -> None:
        located = with_cells(frame, 8)
        week = ((frame["occurred_at"] - frame["occurred_at"].min()).dt.days // 7).to_numpy()
        cells, codes = np.unique(located["cell"].to_numpy(dtype="str"), return_inverse=True)
        np.bincount(week * len(cells) + codes.ravel())

    def briefing() -> None:
        b = build_briefing(frame, manifest, version, record, area=area, as_of=as_of)
        briefing_pdf(b)

    return {
        "rows": len(frame),
        "as_of": as_of.isoformat(),
        "area": area,
        "all_day_forecast": timed(
            repeat, lambda: forecast_hotspots(frame, as_of=as_of, model=model)
        ),
        "watch_forecast_3": timed(
            repeat, lambda: watch_forecasters(frame, as_of=as_of, models=models)
        ),
        "watch_forecast_1": timed(
            repeat, lambda: forecast_watch(frame, as_of=as_of, watch="night", model=models["night"])
        ),
        "plain_pdf": timed(repeat, plain_pdf),
        "briefing": timed(repeat, briefing),
        "cube": timed(repeat, cube),
        "emerging": timed(repeat, lambda: trends_for(frame, as_of=as_of)),
        "slice_days": trends_for(frame, as_of=as_of).slice_days,
    }


def report(name: str, home: Path, repeat: int) -> None:
    result = subprocess.run(
        [sys.executable, __file__, "--child", "--repeat", str(repeat)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "LACRIME_HOME": str(home)},
    )
    r = json.loads(result.stdout.strip().splitlines()[-1])
    print(f"\n{name}: {r['rows']:,} rows, as of {r['as_of']}, briefing of {r['area']}")
    print(f"  all-day forecast (default model):    {r['all_day_forecast']:7.2f} s")
    print(
        f"  watch forecast, three watches:       {r['watch_forecast_3']:7.2f} s "
        f"({r['watch_forecast_3'] / r['all_day_forecast']:.2f}x all-day; target <= 2x)"
    )
    print(
        f"  watch forecast, one watch:           {r['watch_forecast_1']:7.2f} s "
        f"({r['watch_forecast_1'] / r['all_day_forecast']:.2f}x all-day)"
    )
    print(f"  plain one-page PDF (baseline):       {r['plain_pdf']:7.2f} s")
    print(f"  briefing, content and PDF:           {r['briefing']:7.2f} s (target < 5 s)")
    print(f"  cell x slice counts (baseline):      {r['cube']:7.2f} s")
    print(
        f"  emerging hotspots, {r['slice_days']}-day slices:     {r['emerging']:7.2f} s "
        "(target < 60 s on 1,000,000 rows)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-demo", action="store_true", help="only the real extract")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.repeat)))
        return
    real = os.environ.get("LACRIME_REAL_DATA")
    with tempfile.TemporaryDirectory() as tmp:
        if real and Path(real).is_file():
            home = Path(tmp) / "real"
            run_lacrime(home, "train", "--source", real)
            report("real extract (trained)", home, args.repeat)
        else:
            print("real extract: skipped (set LACRIME_REAL_DATA)")
        if not args.skip_demo:
            home = Path(tmp) / "demo"
            run_lacrime(home, "demo", "--rows", str(args.rows), "--days", str(4 * 365 + 1))
            report(f"demo, {args.rows:,} rows over 4 years (not trained)", home, args.repeat)


if __name__ == "__main__":
    main()
