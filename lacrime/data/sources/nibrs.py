"""The live data: LAPD's NIBRS offenses (datasets `y8y3-fqfu` for 2024-2025, `k7nn-b2ep` from
2026), one row per offence, several per report; refreshed about every two weeks.

Field names are the portal API's (`caseno`, `uniquenibrno`, `hndrdth_lat`, ...); the CSV export's
headers match them once case and punctuation are ignored. The person-level and socio-economic
flags (homeless victim, suspect or arrestee; gang-related; hate crime; domestic violence; victim
shot; victim count) are never read. Victims are a separate dataset, which is never read either.
"""

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from lacrime.data import offences
from lacrime.data.categories import SEXUAL_OFFENCES
from lacrime.data.sources.columns import Layout, Loaded, read_layout
from lacrime.data.sources.formats import Opened

NEVER_READ: tuple[str, ...] = (
    "totalvictimcount",
    "victim_shot",
    "domestic_violence_crime",
    "hate_crime",
    "gang_related_crime",
    "homeless_victim_crime",
    "homeless_suspect_crime",
    "homeless_arrestee_crime",
)

LAYOUT = Layout(
    name="nibrs",
    title="NIBRS offenses (caseno, uniquenibrno, nibr_code, ...)",
    required=(
        "caseno",
        "uniquenibrno",
        "date_rptd",
        "date_occ",
        "time_occ",
        "area",
        "area_name",
        "nibr_code",
        "hndrdth_lat",
        "hndrdth_lon",
    ),
    optional=(
        "nibr_description",
        "crime_against",
        "rpt_dist_no",
        "premis_cd",
        "premis_desc",
        "weapon_used_cd",
        "status",
        "hndrdth_loc_chk",
    ),
    never_read=NEVER_READ,
    integers=("caseno", "time_occ", "area", "rpt_dist_no", "premis_cd", "weapon_used_cd"),
    floats=("hndrdth_lat", "hndrdth_lon"),
    dates=("date_rptd", "date_occ"),
    renames={
        "caseno": "dr_no",
        "uniquenibrno": "offence_id",
        "nibr_description": "crm_cd_desc",
        "hndrdth_loc_chk": "location",
        "hndrdth_lat": "lat",
        "hndrdth_lon": "lon",
    },
)


def read(opened: Opened) -> Loaded:
    """A NIBRS offenses file's typed columns, one row per offence; codes as the table writes
    them, and the description and "crime against" from the offence table where the file does
    not give them (the description of a code the table does not list is the code itself)."""
    loaded = read_layout(opened, LAYOUT)
    frame = loaded.frame
    code = offences.normalise(frame["nibr_code"]).mask(frame["nibr_code"].isna())
    frame["nibr_code"] = code
    for column, listed in (
        ("crm_cd_desc", offences.name(code).fillna(code)),
        ("crime_against", offences.against(code)),
    ):
        frame[column] = frame[column].fillna(listed) if column in frame else listed
    return loaded


def collapse(kept: pd.DataFrame, valid: pd.DataFrame) -> pd.DataFrame:
    """One row per report (`dr_no`) from its offences: the row (and index) of its most serious
    offence still `kept` (lacrime.data.offences' order), with `offence_codes` listing the
    distinct codes of all its `valid` offences, most serious first, and `crime_group` "Sexual
    offences" when any of them is one (so that no output places the report on its own)."""
    order = np.lexsort((offences.rank(kept["nibr_code"]), kept["dr_no"].to_numpy()))
    ranked = kept.iloc[order]
    reports = ranked[~ranked["dr_no"].duplicated().to_numpy()]
    codes = valid[["dr_no", "nibr_code"]].drop_duplicates()
    codes = codes.iloc[np.lexsort((offences.rank(codes["nibr_code"]), codes["dr_no"].to_numpy()))]
    lists = (
        pa.table({"dr_no": codes["dr_no"].to_numpy(), "code": codes["nibr_code"].to_numpy()})
        .group_by("dr_no", use_threads=False)
        .aggregate([("code", "list")])
    )
    joined = pd.Series(
        pc.binary_join(lists["code_list"], " ").to_numpy(zero_copy_only=False),
        index=lists["dr_no"].to_numpy(),
    )
    reports["offence_codes"] = joined.reindex(reports["dr_no"].to_numpy()).to_numpy()
    sexual = valid.loc[offences.group(valid["nibr_code"]) == SEXUAL_OFFENCES, "dr_no"]
    reports["crime_group"] = offences.group(reports["nibr_code"])
    reports.loc[reports["dr_no"].isin(sexual).to_numpy(), "crime_group"] = SEXUAL_OFFENCES
    return reports
