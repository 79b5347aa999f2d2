"""Which reports an output may place on the map: never a single report of a sex offence.

Victims of sexual offences can be identified from where a report was made, so no output
(map tooltip, point layer, export, table, the streets named in a patrol zone) may locate one;
such reports still count in aggregates (a cell's count, an area's total). Every output that
shows or names individual reports' places filters them through `locatable`.
"""

import pandas as pd

from lacrime.data.categories import SEXUAL_OFFENCES


def locatable(frame: pd.DataFrame) -> pd.Series:
    """True for each report whose place an output may show on its own."""
    return frame["crime_group"] != SEXUAL_OFFENCES


def only_locatable(frame: pd.DataFrame) -> pd.DataFrame:
    """The reports whose places may be shown one by one."""
    return frame[locatable(frame)]
