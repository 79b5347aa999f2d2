"""The synthetic demo in the NIBRS offenses format, and a demo that switches records systems
the way LAPD did: legacy reports until each area's switch day, NIBRS offences from it on.

Drawn from the same aggregate calibration as the legacy-format demo (`lacrime.data.demo`), never
from a real row: each synthetic report is converted to NIBRS offences with the legacy crime
types' correspondence in `nibrs_offences.toml`, and some reports get a second offence. The
victim and socio-economic flags are filled with uniform placeholders that carry no pattern;
they are never read anyway.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from lacrime.data import offences
from lacrime.data.calibration import PORTAL_DATE_FORMAT
from lacrime.data.demo import DEMO_END, demo_start, generate_table, write_table
from lacrime.data.sources.nibrs import NEVER_READ
from lacrime.errors import LacrimeError

# The API's fields, in its order.
NIBRS_COLUMNS: tuple[str, ...] = (
    "caseno",
    "uniquenibrno",
    "date_rptd",
    "date_occ",
    "time_occ",
    "area",
    "area_name",
    "rpt_dist_no",
    "totaloffensecount",
    "group",
    "nibr_code",
    "nibr_description",
    "crime_against",
    "premis_cd",
    "premis_desc",
    "weapon_used_cd",
    "weapon_desc",
    "status",
    "status_desc",
    "totalvictimcount",
    "victim_shot",
    "domestic_violence_crime",
    "hate_crime",
    "gang_related_crime",
    "transit_related_crime",
    "homeless_victim_crime",
    "homeless_suspect_crime",
    "homeless_arrestee_crime",
    "hndrdth_loc_chk",
    "hndrdth_lat",
    "hndrdth_lon",
)
ISO_FORMAT = "%Y-%m-%dT%H:%M:%S.000"
# Share of reports with a second offence, and what it is: property damage, a simple assault,
# drugs or another theft alongside the main crime.
SECOND_OFFENCE_SHARE = 0.12
SECOND_OFFENCES = {"290": 0.4, "13B": 0.25, "35A": 0.15, "23H": 0.2}
# LAPD's bureaus in the order the demo switches them, two weeks apart (Central Bureau first,
# on the switch day, as on 2024-03-07; the others followed over about two months).
BUREAUS: tuple[tuple[int, ...], ...] = (
    (1, 2, 4, 11, 13),  # Central: Central, Rampart, Hollenbeck, Northeast, Newton
    (3, 5, 12, 18),  # South: Southwest, Harbor, 77th Street, Southeast
    (6, 7, 8, 14, 20),  # West: Hollywood, Wilshire, West LA, Pacific, Olympic
    (9, 10, 15, 16, 17, 19, 21),  # Valley
)
BUREAU_INTERVAL_DAYS = 14
# After its switch an area's legacy data keep this share of its reports (the same reports
# NIBRS has, under the same number); in the real extract 0.3 to 0.6.
LEGACY_SHARE_AFTER_SWITCH = 0.45
FLAG_YES_SHARE = 0.05


def _recode(column: pa.ChunkedArray, convert) -> pa.Array:
    """A string column converted once per distinct value."""
    encoded = pc.dictionary_encode(column).combine_chunks()
    values = pa.array(convert(encoded.dictionary.to_pylist()), type=pa.string())
    return values.take(encoded.indices)


def _iso(days: list[str]) -> list[str]:
    return list(pd.to_datetime(pd.Series(days), format=PORTAL_DATE_FORMAT).dt.strftime(ISO_FORMAT))


def _days(column: pa.ChunkedArray) -> np.ndarray:
    """A column of portal dates as datetime64, parsed once per distinct value."""
    encoded = pc.dictionary_encode(column).combine_chunks()
    parsed = pd.to_datetime(encoded.dictionary.to_pandas(), format=PORTAL_DATE_FORMAT)
    return parsed.to_numpy()[encoded.indices.to_numpy()]


def to_nibrs(reports: pa.Table, seed: int = 0) -> pa.Table:
    """NIBRS offence rows (NIBRS_COLUMNS) of legacy-format demo reports (`generate_table`)."""
    rng = np.random.default_rng(seed)
    n = reports.num_rows
    second = np.flatnonzero(rng.random(n) < SECOND_OFFENCE_SHARE)
    rows = np.sort(np.concatenate([np.arange(n), second]), kind="stable")
    is_second = np.zeros(len(rows), dtype=bool)
    is_second[1:] = rows[1:] == rows[:-1]
    table = reports.take(pa.array(rows))
    main = _recode(table["Crm Cd Desc"], lambda d: [offences.code_for_legacy(x) for x in d])
    extra = rng.choice(list(SECOND_OFFENCES), size=len(rows), p=list(SECOND_OFFENCES.values()))
    code = pc.if_else(pa.array(is_second), pa.array(extra, type=pa.string()), main)
    codes = pd.Series(code.to_numpy(zero_copy_only=False))
    count = np.bincount(rows, minlength=n)[rows]
    columns = {
        "caseno": table["DR_NO"],
        "uniquenibrno": pc.binary_join_element_wise(
            table["DR_NO"], code, pa.array(np.where(is_second, "02", "01")), ""
        ),
        "date_rptd": _recode(table["Date Rptd"], _iso),
        "date_occ": _recode(table["DATE OCC"], _iso),
        "time_occ": table["TIME OCC"],
        "area": table["AREA"],
        "area_name": table["AREA NAME"],
        "rpt_dist_no": table["Rpt Dist No"],
        "totaloffensecount": pa.array(count.astype(str)),
        "group": pa.array(np.where(codes.str.startswith("90"), "B", "A")),
        "nibr_code": code,
        "nibr_description": pa.array(offences.name(codes).fillna("All Other Offenses")),
        "crime_against": pa.array(offences.against(codes).fillna("Society")),
        "premis_cd": table["Premis Cd"],
        "premis_desc": table["Premis Desc"],
        "weapon_used_cd": table["Weapon Used Cd"],
        "weapon_desc": table["Weapon Desc"],
        "status": table["Status"],
        "status_desc": table["Status Desc"],
        "totalvictimcount": pa.array(rng.integers(0, 3, size=len(rows)).astype(str)),
        "hndrdth_loc_chk": table["LOCATION"],
        "hndrdth_lat": table["LAT"],
        "hndrdth_lon": table["LON"],
    }
    yes_no = [f for f in (*NEVER_READ, "transit_related_crime") if f != "totalvictimcount"]
    for flag in yes_no:
        columns[flag] = pa.array(np.where(rng.random(len(rows)) < FLAG_YES_SHARE, "Yes", "No"))
    return pa.table(
        [pc.cast(columns[c], pa.string()) for c in NIBRS_COLUMNS], names=list(NIBRS_COLUMNS)
    )


def switch_days(switch: pd.Timestamp) -> dict[int, pd.Timestamp]:
    """Each area's switch day: its bureau's place in BUREAUS, BUREAU_INTERVAL_DAYS apart."""
    return {
        area: switch + pd.Timedelta(days=BUREAU_INTERVAL_DAYS * k)
        for k, areas in enumerate(BUREAUS)
        for area in areas
    }


def write_switch_demo(
    folder: Path, rows: int, seed: int = 0, days: int = 365, switch: str | None = None
) -> list[Path]:
    """A legacy-format CSV and a NIBRS CSV of one synthetic history over the `days` ending on
    DEMO_END, with Central Bureau switching on `switch` (default: 12 weeks before the end) and
    the other bureaus after it (`switch_days`). A report made before its area's switch day is in
    the legacy file; one made from it on is in the NIBRS file, and a share of those in the
    legacy file too, as the legacy system kept taking some. Returns the two paths."""
    start = pd.Timestamp(demo_start(days))
    end = pd.Timestamp(DEMO_END)
    try:
        first = pd.Timestamp(switch) if switch else end - pd.Timedelta(weeks=12)
    except ValueError as error:
        raise LacrimeError(f"switch date {switch!r} is not a date: {error}") from None
    earliest = start + pd.Timedelta(days=28)
    if not earliest <= first <= end:
        raise LacrimeError(
            f"switch date {first.date()} must fall between {earliest.date()} (four weeks into "
            f"the demo, for the areas' earlier level) and its last day, {end.date()}"
        )
    table = generate_table(rows, seed, start.date().isoformat(), days)
    reported = _days(table["Date Rptd"])
    by_area = switch_days(first)
    area = pd.Series(table["AREA"].to_numpy()).astype(int)
    cut = area.map(by_area).to_numpy(dtype="datetime64[ns]")
    in_nibrs = reported >= cut
    rng = np.random.default_rng(seed + 1)
    in_legacy = ~in_nibrs | (rng.random(len(area)) < LEGACY_SHARE_AFTER_SWITCH)
    legacy_path = write_table(table.filter(pa.array(in_legacy)), folder / "lapd_demo_legacy.csv")
    nibrs = to_nibrs(table.filter(pa.array(in_nibrs)), seed=seed)
    return [legacy_path, write_table(nibrs, folder / "lapd_demo_nibrs.csv")]
