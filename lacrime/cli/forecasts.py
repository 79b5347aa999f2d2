"""Commands for forecasts: forecast (when), hotspots (where)."""

import argparse
import json
import sys
from pathlib import Path

from lacrime.calendar import WATCHES, watch_hours
from lacrime.cli.common import command, current_version, iso_date


def register(commands: argparse._SubParsersAction) -> None:
    sub = command(
        commands,
        "forecast",
        run_forecast,
        "Expected crimes in one hour of a weekday and "
        "season, with a prediction interval, from the default hourly model.",
    )
    sub.add_argument("--hour", required=True, type=int, help="hour of the day, 0-23")
    sub.add_argument("--weekday", required=True, help="Monday ... Sunday")
    sub.add_argument("--season", required=True, help="winter, spring, summer or autumn")
    sub.add_argument("--area", help="LAPD area name, e.g. 'Central'")
    sub.add_argument("--crime-group", help="crime category group, e.g. 'Vehicle crime'")
    sub.add_argument("--model", help="hourly model (default: the best on held-out weeks)")
    sub.add_argument(
        "--exclude-default-times",
        action="store_true",
        help="spread the excess of reports timed 12:00 or 00:01 (unknown times) over their day",
    )
    sub.add_argument("--json", action="store_true", help="print as JSON")
    sub = command(
        commands,
        "hotspots",
        run_hotspots,
        "Hotspot forecast for the days after --as-of, "
        "trained only on reports up to that day; every cell of the grid.",
    )
    sub.add_argument("--as-of", required=True, type=iso_date, help="last day of data to use")
    sub.add_argument("--horizon-days", type=int, default=7, help="days forecast (7)")
    sub.add_argument(
        "--coverage",
        type=float,
        default=0.05,
        help="share of cells flagged, e.g. 0.05 for 5%% of the area",
    )
    sub.add_argument(
        "--model",
        help="hotspot model, or with --watch a watch model (default: the current version's best)",
    )
    sub.add_argument(
        "--watch",
        choices=tuple(WATCHES),
        help="rank cells by their expected reports in this watch "
        + ", ".join(watch_hours(w) for w in WATCHES),
    )
    sub.add_argument(
        "--allocation",
        choices=("citywide", "proportional"),
        default="citywide",
        help="rank city-wide, or give each LAPD area a quota by its recent share",
    )
    sub.add_argument("--format", choices=("geojson", "csv", "json"), default="geojson")
    sub.add_argument("--output", help="write to this file instead of standard output")


def run_forecast(args: argparse.Namespace) -> None:
    from lacrime.hourly.forecast import forecast
    from lacrime.ops import registry
    from lacrime.ops.train import HOURLY, HOURLY_NO_DEFAULT_TIMES
    from lacrime.records import to_json

    version = current_version()
    bundle = registry.load_artifact(
        version, HOURLY_NO_DEFAULT_TIMES if args.exclude_default_times else HOURLY
    )
    result = forecast(
        bundle,
        hour=args.hour,
        weekday=args.weekday,
        season=args.season,
        area=args.area,
        crime_group=args.crime_group,
        model=args.model,
    )
    if args.json:
        print(json.dumps({**to_json(result), "model_version": version.version}, indent=1))
        return
    where = " / ".join(x for x in (result.area, result.crime_group) if x) or "city-wide"
    print(
        f"{result.weekday} {result.hour:02d}:00-{result.hour:02d}:59 in "
        f"{result.season}, {where}: {result.expected:.1f} crimes expected "
        f"({result.interval_level:.0%} interval {result.lower:.0f}-{result.upper:.0f};"
        f" model {result.model})"
    )
    for note in result.notes:
        print(f"  note: {note}")


def run_hotspots(args: argparse.Namespace) -> None:
    from lacrime.data.completeness import Completeness
    from lacrime.data.dataset import load_dataset, read_manifest
    from lacrime.hotspots.forecast import check_horizon, forecast_hotspots, to_geojson
    from lacrime.hotspots.watch import forecast_watch
    from lacrime.ops import registry

    version = registry.current_version()
    model, resolution = args.model, None
    if version is not None:
        summary = version.metadata["summary"]
        chosen = (summary.get("watch_models") or {}).get(args.watch)
        model = model or (chosen if args.watch else summary["hotspot_default"])
        resolution = version.metadata["parameters"]["hotspot_resolution"]
    if args.watch:
        check_horizon(args.horizon_days)
        table = forecast_watch(
            load_dataset(),
            as_of=args.as_of,
            watch=args.watch,
            coverage=args.coverage,
            model=model,
            allocation=args.allocation,
            resolution=resolution,
            completeness=Completeness.from_manifest(read_manifest()),
        )
    else:
        table = forecast_hotspots(
            load_dataset(),
            as_of=args.as_of,
            horizon_days=args.horizon_days,
            coverage=args.coverage,
            model=model,
            allocation=args.allocation,
            resolution=resolution,
            completeness=Completeness.from_manifest(read_manifest()),
        )
    if args.format == "geojson":
        text = json.dumps(to_geojson(table))
    elif args.format == "json":
        text = json.dumps(
            {"meta": table.attrs, "cells": table.to_dict(orient="records")}, indent=1, default=str
        )
    else:
        text = table.to_csv(index=False)
    if args.output:
        Path(args.output).write_text(text)
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
