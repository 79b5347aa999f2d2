"""The explicit schema of the LAPD dataset: what we read, what we keep, and how nulls are handled.

One place for every column decision, so that the loader, the cleaner, the demo generator and
the documentation cannot disagree.
"""

import re

# The portal's export, in its own column order (see ../shared/data/README.md).
PORTAL_COLUMNS: tuple[str, ...] = (
    "DR_NO",
    "Date Rptd",
    "DATE OCC",
    "TIME OCC",
    "AREA",
    "AREA NAME",
    "Rpt Dist No",
    "Part 1-2",
    "Crm Cd",
    "Crm Cd Desc",
    "Mocodes",
    "Vict Age",
    "Vict Sex",
    "Vict Descent",
    "Premis Cd",
    "Premis Desc",
    "Weapon Used Cd",
    "Weapon Desc",
    "Status",
    "Status Desc",
    "Crm Cd 1",
    "Crm Cd 2",
    "Crm Cd 3",
    "Crm Cd 4",
    "LOCATION",
    "Cross Street",
    "LAT",
    "LON",
)

# Victim demographics: dropped at ingest so that nothing downstream can use them.
DEMOGRAPHIC_COLUMNS: tuple[str, ...] = ("vict_age", "vict_sex", "vict_descent")

# Columns without which a file is rejected. A row with a null or unparseable value in any of
# them is dropped and counted.
REQUIRED_COLUMNS: tuple[str, ...] = (
    "dr_no",
    "date_rptd",
    "date_occ",
    "time_occ",
    "area",
    "area_name",
    "crm_cd",
    "crm_cd_desc",
    "lat",
    "lon",
)

# Columns read when present. The value says what a null (or a missing column) becomes:
# a fill value, or None to keep it as a null that means "not recorded".
OPTIONAL_COLUMNS: dict[str, object] = {
    "rpt_dist_no": None,
    "part_1_2": None,
    "premis_cd": None,
    "premis_desc": "UNKNOWN",
    "weapon_used_cd": None,  # null: no weapon recorded, the common case
    "status": "UNKNOWN",
    # The hundred-block address ("1900 S LONGWOOD AV"): names the streets of a patrol zone.
    # Never shown for a single report of a sex offence: only as a street of a zone's many.
    "location": None,
}

# Numeric columns parsed as integers; an unparseable value in a required one drops the row,
# in an optional one becomes null.
INTEGER_COLUMNS: tuple[str, ...] = (
    "dr_no",
    "time_occ",
    "area",
    "crm_cd",
    "rpt_dist_no",
    "part_1_2",
    "premis_cd",
    "weapon_used_cd",
)
FLOAT_COLUMNS: tuple[str, ...] = ("lat", "lon")
DATE_COLUMNS: tuple[str, ...] = ("date_rptd", "date_occ")

# The cleaned dataset, as stored in Parquet and as every later stage receives it.
CLEAN_COLUMNS: tuple[str, ...] = (
    "dr_no",  # int64, unique
    "occurred_at",  # datetime64: DATE OCC + TIME OCC
    "date_rptd",  # datetime64: day reported
    "time_occ",  # int16, HHMM as reported (1200 and 1 are heaped default times)
    "area",  # int8, LAPD geographic area 1..21
    "area_name",  # str
    "rpt_dist_no",  # Int16 (nullable)
    "part_1_2",  # Int8 (nullable)
    "crm_cd",  # int16
    "crm_cd_desc",  # str
    "crime_group",  # str, see lacrime.data.categories
    "premis_cd",  # Int16 (nullable)
    "premis_desc",  # str
    "weapon_used_cd",  # Int16 (nullable)
    "status",  # str
    "location",  # str (nullable): hundred-block address as LAPD writes it ("1900 S  LONGWOOD  AV")
    "lat",  # float64
    "lon",  # float64
)

# The City of Los Angeles fits in this box with a small margin; points outside are geocoding
# errors or placeholder coordinates.
LA_BOUNDS = {"lat_min": 33.70, "lat_max": 34.35, "lon_min": -118.70, "lon_max": -118.15}

# A file with more than this share of rows failing to parse in one required column is
# rejected: that many bad values mean a wrong format, not a few typos.
MAX_BAD_ROW_SHARE = 0.01


def snake_case(name: str) -> str:
    """`Crm Cd Desc` -> `crm_cd_desc`, `Part 1-2` -> `part_1_2`, `DR_NO` -> `dr_no`."""
    return re.sub(r"[^0-9a-z]+", "_", name.strip().lower()).strip("_")
