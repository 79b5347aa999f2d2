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
        type=coverage_share,
        default=0.05,
        help="share of cells flagged: 5 or 0.05 both mean 5%% (default)",
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
    sub.add_argument("--area", help="LAPD area to list (the forecast is city-wide), e.g. Central")
    sub.add_argument("--crime-group", help="forecast one crime group, trained on its reports only")
    sub.add_argument(
        "--allocation",
        choices=("citywide", "proportional"),
        default="citywide",
        help="rank city-wide, or give each LAPD area a quota by its recent share",
    )
    sub.add_argument(
        "--format",
        choices=("table", "geojson", "csv", "json"),
        default="table",
        help="table: the flagged cells, readable (default); geojson, csv, json: every cell",
    )
    sub.add_argument("--output", help="write to this file instead of standard output")


def coverage_share(text: str) -> float:
    """`--coverage` as a share: 5 and 0.05 both mean 5% (a number of 1 or more is a
    percentage, one below 1 a share), so either habit gives the same flags."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number like 5 or 0.05") from None
    share = value / 100 if value >= 1 else value
    if not 0 < share <= 1:
        raise argparse.ArgumentTypeError(
            f"{text}: give a percentage from 1 to 100 (5) or a share below 1 (0.05)"
        )
    return share


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
    from lacrime.app.hotspots import selection
    from lacrime.data.categories import GROUPS
    from lacrime.data.dataset import load_dataset, read_manifest
    from lacrime.errors import choose
    from lacrime.hotspots.forecast import to_geojson

    manifest = read_manifest()
    area = choose(args.area, manifest["report"]["area_names"], "area") if args.area else None
    group = choose(args.crime_group, GROUPS, "crime group") if args.crime_group else None
    frame = load_dataset()
    if group is not None:
        frame = frame[frame["crime_group"] == group]
    table = _hotspot_table(args, frame, manifest)
    shown = selection(table, area)
    if args.format == "table":
        text = hotspots_text(shown, table, area=area, group=group)
    elif args.format == "geojson":
        text = json.dumps(to_geojson(shown))
    elif args.format == "json":
        meta = {**table.attrs, "area": area, "crime_group": group}
        cells = shown.to_dict(orient="records")
        text = json.dumps({"meta": meta, "cells": cells}, indent=1, default=str)
    else:
        text = shown.to_csv(index=False)
    if args.output:
        Path(args.output).write_text(text)
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")


def _hotspot_table(args: argparse.Namespace, frame, manifest: dict):
    """The forecast of every cell for the command's choices (all day, or `--watch`)."""
    from lacrime.data.completeness import Completeness
    from lacrime.errors import LacrimeError
    from lacrime.hotspots.forecast import check_horizon, forecast_hotspots
    from lacrime.hotspots.watch import forecast_watch
    from lacrime.ops import registry

    if frame.empty:
        raise LacrimeError(f"crime group {args.crime_group!r}: no report of it in the dataset")
    version = registry.current_version()
    model, resolution = args.model, None
    if version is not None:
        summary = version.metadata["summary"]
        chosen = (summary.get("watch_models") or {}).get(args.watch)
        model = model or (chosen if args.watch else summary["hotspot_default"])
        resolution = version.metadata["parameters"]["hotspot_resolution"]
    options = {
        "as_of": args.as_of,
        "coverage": args.coverage,
        "model": model,
        "allocation": args.allocation,
        "resolution": resolution,
        "completeness": Completeness.from_manifest(manifest),
    }
    if args.watch:
        check_horizon(args.horizon_days)
        return forecast_watch(frame, watch=args.watch, **options)
    return forecast_hotspots(frame, horizon_days=args.horizon_days, **options)


def hotspots_text(shown, table, *, area: str | None, group: str | None) -> str:
    """The flagged cells as a readable table, risk as the map shows it: expected reports next
    week and the rank percentile, with a heading that says what was forecast."""
    from lacrime.app.maps import expected_text
    from lacrime.hotspots.models import label

    attrs = table.attrs
    watch = attrs.get("watch")
    by = f"the {watch} watch ({attrs['watch_hours']})" if watch else label(attrs["model"])
    flagged = shown[shown["flagged"]]
    lines = [
        f"Hotspots for {attrs['window_start']} to {attrs['window_end']}"
        + f" by {by}"
        + (f", {group} only" if group else "")
        + f": {int(table['flagged'].sum()):,} of {len(table):,} cells flagged "
        + f"({attrs['coverage']:.0%}, {attrs['allocation']})"
        + (f"; {len(flagged)} of them in {area}" if area else ""),
        f"{'Rank':>5}  {'Area':<12} {'Expected reports':>16} {'Percentile':>10} "
        f"{'Last week':>9}  Cell",
    ]
    for row in flagged.itertuples(index=False):
        lines.append(
            f"{row.rank:>5}  {row.area_name:<12} {expected_text(row.expected):>16} "
            f"{row.percentile:>10.1f} {row.last_week:>9}  {row.cell}"
        )
    lines.append(
        "Expected reports: in the cell next week (the model's risk, calibrated); "
        "percentile: the share of cells ranked below it."
    )
    if attrs.get("incomplete_areas"):
        lines.append(
            "Incomplete reports in the 4 weeks before (records-system switch): "
            + ", ".join(attrs["incomplete_areas"])
        )
    return "\n".join(lines) + "\n"
