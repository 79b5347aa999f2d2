"""The legacy crime data: "Crime Data from 2020 to 2024" (dataset `2nrs-mtv8`), frozen since
LAPD moved to its NIBRS records system in 2024; one row per report.

Read from the portal's CSV export, the same re-saved by Excel or Kaggle (unpadded codes and
times, `3/1/2020 0:00` dates, extra or blank-named columns), the Socrata API's snake_case CSV
or JSON, gzip or zip of any of them, and Parquet.
"""

import pyarrow as pa
import pyarrow.compute as pc

from lacrime.data.sources.columns import Layout, Loaded, read_layout
from lacrime.data.sources.formats import Opened

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

# Victim demographics: never read, so that nothing downstream can use them.
DEMOGRAPHIC_COLUMNS: tuple[str, ...] = ("vict_age", "vict_sex", "vict_descent")

# Up to four crime codes of the report, the first normally its own `Crm Cd`.
CODE_FIELDS: tuple[str, ...] = ("crm_cd_1", "crm_cd_2", "crm_cd_3", "crm_cd_4")

LAYOUT = Layout(
    name="legacy",
    title="legacy crime data (DR_NO, Crm Cd, ...)",
    required=(
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
    ),
    optional=(
        "rpt_dist_no",
        "part_1_2",
        "premis_cd",
        "premis_desc",
        "weapon_used_cd",
        "status",
        "location",
        *CODE_FIELDS,
    ),
    never_read=DEMOGRAPHIC_COLUMNS,
    integers=(
        "dr_no",
        "time_occ",
        "area",
        "crm_cd",
        "rpt_dist_no",
        "part_1_2",
        "premis_cd",
        "weapon_used_cd",
    ),
    floats=("lat", "lon"),
    dates=("date_rptd", "date_occ"),
    renames={},
)


def read(opened: Opened) -> Loaded:
    """A legacy export's typed columns; the report's crime codes joined as `offence_codes`."""
    loaded = read_layout(opened, LAYOUT)
    frame = loaded.frame
    present = [c for c in CODE_FIELDS if c in frame]
    if present:
        texts = [pa.Array.from_pandas(frame.pop(c), type=pa.string()) for c in present]
        codes = pc.binary_join_element_wise(*texts, " ", null_handling="skip")
        frame["offence_codes"] = (
            pc.if_else(pc.equal(codes, ""), None, codes).to_pandas().astype("str")
        )
    return loaded
