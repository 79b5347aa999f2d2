"""Crime category groups: the coarse families planners filter by.

LAPD has about 140 crime codes; a planner asks about "vehicle crime" or "violent crime".
Rules are matched in order against the legacy `Crm Cd Desc`; the first match wins. NIBRS
offences carry their group in `nibrs_offences.toml` (see lacrime.data.offences).
"""

import numpy as np
import pandas as pd

SEXUAL_OFFENCES = "Sexual offences"
GROUP_RULES: tuple[tuple[str, str], ...] = (
    (
        SEXUAL_OFFENCES,
        r"RAPE|SEX|SODOMY|ORAL COPULATION|LEWD|INDECENT|PEEPING|PIMPING|"
        r"PANDERING|HUMAN TRAFFICKING|CHILD PORNOGRAPHY|CRM AGNST CHLD|CHILD ANNOYING",
    ),
    (
        "Violent crime",
        r"ASSAULT|BATTERY|ROBBERY|HOMICIDE|MANSLAUGHTER|KIDNAPPING|SHOTS|"
        r"FIREARMS|BRANDISH|THREAT|THROWING OBJECT|LYNCHING|CHILD ABUSE|STALKING|"
        r"EXTORTION",
    ),
    ("Vehicle crime", r"VEHICLE|AUTO|BOAT - STOLEN|DRIVING WITHOUT OWNER"),
    ("Burglary", r"BURGLARY"),
    (
        "Fraud",
        r"IDENTITY|BUNCO|FORGERY|EMBEZZLEMENT|CREDIT CARD|FRAUD|COUNTERFEIT|"
        r"DEFRAUDING|DISHONEST EMPLOYEE|UNAUTHORIZED COMPUTER",
    ),
    ("Theft", r"THEFT|SHOPLIFTING|PICKPOCKET|PURSE SNATCHING|STOLEN|TILL TAP"),
)
OTHER = "Other"
GROUPS: tuple[str, ...] = tuple(name for name, _ in GROUP_RULES) + (OTHER,)


def crime_group(descriptions: pd.Series) -> pd.Series:
    """The group of each description (evaluated once per distinct description)."""
    codes, distinct = pd.factorize(descriptions)
    distinct = pd.Series(distinct, dtype="str")
    groups = pd.Series(OTHER, index=distinct.index, dtype="str")
    for name, pattern in reversed(GROUP_RULES):
        groups[distinct.str.contains(pattern, regex=True)] = name
    labels = groups.to_numpy(dtype=object)[np.where(codes < 0, 0, codes)] if len(distinct) else []
    return pd.Series(labels, index=descriptions.index, dtype="str").mask(codes < 0, OTHER)
