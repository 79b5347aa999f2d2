"""No output may place a single report of a sex offence: the one filter every such output uses."""

import pandas as pd
import pytest

from lacrime.data.categories import crime_group
from lacrime.data.privacy import locatable, only_locatable


def test_sex_offences_are_never_locatable_and_everything_else_is():
    descriptions = pd.Series(
        [
            "RAPE, FORCIBLE",
            "SEXUAL PENETRATION W/FOREIGN OBJECT",
            "LEWD/LASCIVIOUS ACTS WITH CHILD",
            "BURGLARY",
            "VEHICLE - STOLEN",
            "BATTERY - SIMPLE ASSAULT",
        ]
    )
    frame = pd.DataFrame({"crime_group": crime_group(descriptions), "lat": range(6)})
    assert locatable(frame).tolist() == [False, False, False, True, True, True]
    assert only_locatable(frame)["lat"].tolist() == [3, 4, 5]


@pytest.mark.real
def test_real_sex_offences_are_kept_for_aggregates_but_not_locatable(real_clean):
    hidden = ~locatable(real_clean)
    assert hidden.sum() > 0  # kept in the dataset, so aggregates count them
    sexual = real_clean["crm_cd_desc"].str.contains("RAPE|SEXUAL|SODOMY|LEWD|ORAL COPULATION")
    assert sexual.sum() > 0 and hidden[sexual].all()
