"""Commands for deployment decisions: patrol (zones of a watch), trends (emerging hotspots),
briefing (the weekly PDF)."""

import argparse
import json
import sys
from pathlib import Path

from lacrime.calendar import WATCHES
from lacrime.cli.common import command, iso_date


def register(commands: argparse._SubParsersAction) -> None:
    sub = command(
        commands,
        "patrol",
        run_patrol,
        "Patrol plan of an area for one watch of the week after --as-of: its riskiest cells "
        "joined into zones, with expected reports and the streets most reported in each.",
    )
    sub.add_argument("--area", required=True, help="LAPD area name, or 'city'")
    sub.add_argument("--as-of", required=True, type=iso_date, help="last day of data to use")
    sub.add_argument("--watch", required=True, choices=tuple(WATCHES))
    sub.add_argument("--coverage", type=float, default=0.10, help="share of the area's cells")
    sub.add_argument("--format", choices=("table", "csv", "json"), default="table")
    sub.add_argument("--output", help="write to this file instead of standard output")

    sub = command(
        commands,
        "trends",
        run_trends,
        "Emerging hotspots up to --as-of: Gi* per cell and time slice, a Mann-Kendall trend, "
        "and the pattern of each cell (new, consecutive, intensifying, ...).",
    )
    sub.add_argument("--as-of", type=iso_date, help="last day of data to use (default: the last)")
    sub.add_argument("--area", help="LAPD area name (default: the whole city)")
    sub.add_argument("--all", action="store_true", help="every cell, 'no pattern' included")
    sub.add_argument("--format", choices=("table", "csv", "json", "geojson"), default="table")
    sub.add_argument("--output", help="write to this file instead of standard output")

    sub = command(
        commands,
        "briefing",
        run_briefing,
        "The weekly briefing of an area (or the city) for the week after --as-of, as a "
        "two-page PDF for roll call.",
    )
    sub.add_argument("--area", required=True, help="LAPD area name, or 'city'")
    sub.add_argument("--as-of", required=True, type=iso_date, help="last day of data to use")
    sub.add_argument("--watch", choices=tuple(WATCHES), help="one watch (default: all three)")
    sub.add_argument("--coverage", type=float, default=0.10, help="share of cells in the plan")
    sub.add_argument("--paper", choices=("letter", "a4"), default="letter")
    sub.add_argument("--out", required=True, help="the PDF file to write")


def _emit(text: str, output: str | None) -> None:
    if output:
        Path(output).write_text(text)
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")


def _in_use():
    """The dataset, its manifest, and the model version in use with its record (or None)."""
    from lacrime.data.dataset import load_dataset, read_manifest
    from lacrime.ops import registry
    from lacrime.ops.train import record_of

    version = registry.current_version()
    record = record_of(version) if version is not None else None
    return load_dataset(), read_manifest(), version, record


def run_patrol(args: argparse.Namespace) -> None:
    from lacrime.app.briefing import check_area
    from lacrime.app.decision import plan_for, watch_forecasters, watch_models
    from lacrime.data.completeness import Completeness

    frame, manifest, _, record = _in_use()
    area = check_area(args.area, manifest)
    resolution = record.parameters.hotspot_resolution if record is not None else None
    forecaster = watch_forecasters(
        frame,
        as_of=args.as_of,
        models={args.watch: watch_models(record)[args.watch]},
        resolution=resolution,
        completeness=Completeness.from_manifest(manifest),
    )[args.watch]
    plan = plan_for(forecaster, frame, area=area, coverage=args.coverage)
    if args.format == "csv":
        text = plan.to_csv()
    elif args.format == "json":
        from lacrime.records import to_json

        text = json.dumps(to_json(plan), indent=1)
    else:
        table = plan.table().drop(columns=["lat", "lon"])
        text = (
            f"Patrol plan, {area or 'city'}, {args.watch} watch, "
            f"{plan.window[0]} to {plan.window[1]}: {plan.area_expected:.0f} reports expected\n"
            + (table.to_string(index=False) if len(table) else "no cell flagged")
        )
    _emit(text, args.output)


def run_trends(args: argparse.Namespace) -> None:
    from lacrime.app.briefing import check_area
    from lacrime.app.decision import trends_for
    from lacrime.data.completeness import Completeness
    from lacrime.hotspots.grid import cell_polygon

    frame, manifest, _, record = _in_use()
    area = check_area(args.area, manifest) if args.area else None
    as_of = args.as_of or frame["occurred_at"].max().date()
    resolution = record.parameters.hotspot_resolution if record is not None else None
    result = trends_for(
        frame,
        as_of=as_of,
        resolution=resolution,
        completeness=Completeness.from_manifest(manifest),
    )
    table = result.table if area is None else result.table[result.table["area_name"] == area]
    if not args.all:
        table = table[table["pattern"] != "no pattern detected"]
    records = table.astype(object).where(table.notna(), None).to_dict(orient="records")
    meta = {
        "as_of": as_of.isoformat(),
        "area": area,
        "slice_days": result.slice_days,
        "slices": [s.isoformat() for s in result.slices],
        "alpha": result.alpha,
    }
    if args.format == "csv":
        text = table.to_csv(index=False)
    elif args.format == "json":
        text = json.dumps({"meta": meta, "cells": records}, indent=1, allow_nan=False)
    elif args.format == "geojson":
        features = [
            {
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [cell_polygon(row["cell"])]},
                "properties": {k: v for k, v in row.items() if k not in ("lat", "lon")},
            }
            for row in records
        ]
        text = json.dumps({"type": "FeatureCollection", "features": features}, allow_nan=False)
    else:
        counts = table["pattern"].value_counts()
        header = (
            f"Emerging hotspots, {area or 'city'}, {len(result.slices)} slices of "
            f"{result.slice_days} days to {as_of}: "
            + (", ".join(f"{p} {n}" for p, n in counts.items()) or "no pattern anywhere")
        )
        shown = table.drop(columns=["lat", "lon"])
        text = header + ("\n" + shown.to_string(index=False) if len(shown) else "")
    _emit(text, args.output)


def run_briefing(args: argparse.Namespace) -> None:
    from lacrime.app.briefing import build_briefing
    from lacrime.app.briefing_pdf import briefing_pdf
    from lacrime.errors import LacrimeError
    from lacrime.files import atomic_write

    out = Path(args.out)
    if not out.parent.is_dir():
        raise LacrimeError(f"--out {out}: the folder {out.parent} does not exist")
    frame, manifest, version, record = _in_use()
    briefing = build_briefing(
        frame,
        manifest,
        version,
        record,
        area=args.area,
        as_of=args.as_of,
        watch=args.watch,
        coverage=args.coverage,
    )
    try:
        atomic_write(out, briefing_pdf(briefing, args.paper))
    except OSError as exc:
        raise LacrimeError(f"--out {out}: cannot write it ({exc.strerror})") from None
    print(f"briefing of {briefing.place}, {briefing.window[0]} to {briefing.window[1]}: {out}")
