"""The explicit schema of the cleaned dataset: what we keep, and how nulls are handled.

One place for every column decision of the cleaned data, so that the cleaner, the stitching of
the two sources, the models and the documentation cannot disagree. What each source's files
hold, and which of their fields are never read, is in `lacrime.data.sources`.
"""

import re

# Where each report comes from: the legacy crime data, or the NIBRS offenses feed.
SOURCES: dict[str, str] = {
    "legacy": "legacy crime data",
    "nibrs": "NIBRS offenses",
}

# Columns a report needs: a null or unparseable value in one drops the row (each source adds
# its own: the legacy crime code, the NIBRS offence code and id).
REQUIRED_COLUMNS: tuple[str, ...] = (
    "dr_no",
    "date_rptd",
    "date_occ",
    "time_occ",
    "area",
    "area_name",
    "crm_cd_desc",
    "lat",
    "lon",
)

# Columns kept when present. The value says what a null (or a missing column) becomes:
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
    # Every offence code of the report, most serious first ("13A 290"; legacy: "230 998").
    "offence_codes": None,
}

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
    "crm_cd",  # Int16 (nullable): the legacy crime code; null for a NIBRS report
    "crm_cd_desc",  # str: the legacy crime description, or the NIBRS offence's description
    "crime_group",  # str, see lacrime.data.categories
    "premis_cd",  # Int16 (nullable)
    "premis_desc",  # str
    "weapon_used_cd",  # Int16 (nullable)
    "status",  # str
    "location",  # str (nullable): hundred-block address as LAPD writes it ("1900 S  LONGWOOD  AV")
    "lat",  # float64
    "lon",  # float64
    "source",  # str: "legacy" or "nibrs" (SOURCES)
    "nibr_code",  # str (nullable): the NIBRS code of the report's most serious offence
    "offence_codes",  # str (nullable), see OPTIONAL_COLUMNS
)

# Integer columns of the cleaned data that may be null, with their dtype.
NULLABLE_INTEGERS: dict[str, str] = {
    "rpt_dist_no": "Int16",
    "part_1_2": "Int8",
    "crm_cd": "Int16",
    "premis_cd": "Int16",
    "weapon_used_cd": "Int16",
}

# The City of Los Angeles fits in this box with a small margin; points outside are geocoding
# errors or placeholder coordinates.
LA_BOUNDS = {"lat_min": 33.70, "lat_max": 34.35, "lon_min": -118.70, "lon_max": -118.15}

# A file with more than this share of rows failing to parse in one required column is
# rejected: that many bad values mean a wrong format, not a few typos.
MAX_BAD_ROW_SHARE = 0.01


def snake_case(name: str) -> str:
    """`Crm Cd Desc` -> `crm_cd_desc`, `Part 1-2` -> `part_1_2`, `DR_NO` -> `dr_no`."""
    return re.sub(r"[^0-9a-z]+", "_", name.strip().lower()).strip("_")
