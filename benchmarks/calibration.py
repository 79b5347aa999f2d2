"""How well the hotspot map's "expected reports" hold: on each evaluation week, each model's
forecast made from the weeks before it only (the `fit_at` the map serves), the expected
reports summed over the cells flagged at 5% against the reports those cells then had.

    LACRIME_HOME=... .venv/bin/python benchmarks/calibration.py [--weeks 3]

Reads the dataset of LACRIME_HOME (ingested with `lacrime ingest`); areas that reported a
week incompletely (the records-system switch) are left out of that week, as the evaluation
does. Prints one line per model and week and the total ratio expected / actual.
"""

import argparse

import numpy as np
import pandas as pd

from lacrime.calendar import WEEK
from lacrime.data.completeness import Completeness
from lacrime.data.dataset import load_dataset, read_manifest
from lacrime.hotspots.evaluation import complete_part, evaluation_weeks
from lacrime.hotspots.flagging import DEFAULT_SHARE, flag_cells
from lacrime.hotspots.forecast import fit_at
from lacrime.hotspots.grid import DEFAULT_RESOLUTION
from lacrime.hotspots.models import MODELS, label
from lacrime.hotspots.panel import with_cells


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weeks", type=int, default=3)
    args = parser.parse_args()
    frame = load_dataset()
    completeness = Completeness.from_manifest(read_manifest())
    located = with_cells(frame, DEFAULT_RESOLUTION)
    totals: dict[str, list[float]] = {name: [0.0, 0.0, 0.0, 0.0] for name in MODELS}
    for target in evaluation_weeks(frame, args.weeks, completeness):
        fitted = fit_at(
            located[located["occurred_at"] < target],
            (target - pd.Timedelta(days=1)).date(),
            MODELS,
            resolution=DEFAULT_RESOLUTION,
            completeness=completeness,
        )
        week = located[located["occurred_at"].between(target, target + WEEK, inclusive="left")]
        areas, week, _ = complete_part(completeness, target, week)
        for name, forecaster in fitted.items():
            cells = forecaster.grid.cells
            keep = np.ones(len(cells), bool) if areas is None else cells["area_name"].isin(areas)
            keep = np.asarray(keep)
            position = forecaster.grid.position(week["cell"].to_numpy())
            counts = np.bincount(position[position >= 0], minlength=len(cells))[keep]
            flags = flag_cells(forecaster.risk[keep], cells[keep], DEFAULT_SHARE)
            expected = forecaster.expected[keep]
            row = (expected[flags].sum(), counts[flags].sum(), expected.sum(), counts.sum())
            totals[name] = [t + v for t, v in zip(totals[name], row, strict=True)]
            print(
                f"{target.date()} {label(name):26} flagged: expected {row[0]:7.1f} "
                f"actual {row[1]:5d}; all cells: expected {row[2]:7.1f} actual {row[3]:5d}"
            )
    for name, (flag_e, flag_a, all_e, all_a) in totals.items():
        print(
            f"{label(name):26} flagged cells: expected / actual = {flag_e:.0f} / {flag_a:.0f} "
            f"= {flag_e / flag_a:.2f}; all cells {all_e:.0f} / {all_a:.0f} = {all_e / all_a:.2f}"
        )


if __name__ == "__main__":
    main()
