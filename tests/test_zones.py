"""The patrol plan: zones of neighbouring flagged cells, their expected reports and shares,
and the streets named in them, never from a report of a sex offence."""

from datetime import date

import h3
import numpy as np
import pandas as pd
import pytest

from lacrime.data.categories import SEXUAL_OFFENCES
from lacrime.data.demo import DEMO_STREET_NAMES
from lacrime.hotspots.watch import forecast_watch
from lacrime.hotspots.zones import patrol_plan, street_block, zone_outline, zones_of

CENTRE = h3.latlng_to_cell(34.05, -118.25, 8)


def test_street_block_normalises_spaces_and_strips_the_house_number():
    raw = pd.Series(
        [
            "1900 S  LONGWOOD                     AV",
            "17200    DEVONSHIRE                   ST",
            "JEFFERSON                    BL",
            "  600 E  111TH     PL ",
            "1234",
            None,
            "",
        ]
    )
    assert street_block(raw).tolist()[:4] == [
        "S LONGWOOD AV",
        "DEVONSHIRE ST",
        "JEFFERSON BL",
        "E 111TH PL",
    ]
    assert street_block(raw).iloc[4:].isna().all()


def test_neighbouring_cells_make_one_zone_and_apart_cells_their_own():
    first = [CENTRE, *sorted(h3.grid_ring(CENTRE, 1))[:2]]
    far = h3.latlng_to_cell(34.20, -118.50, 8)
    other = [far, sorted(h3.grid_ring(far, 1))[0]]
    lone = h3.latlng_to_cell(33.95, -118.30, 8)
    zones = zones_of(first + other + [lone])
    assert sorted(map(sorted, zones)) == sorted([sorted(first), sorted(other), [lone]])
    (ring,) = zone_outline(first)
    assert ring[0] == ring[-1] and len(ring) > 7  # one outline around three hexagons


def synthetic_reports() -> pd.DataFrame:
    """Three weeks of night reports around CENTRE: the centre cell and one neighbour busy,
    the rest quiet. In the centre cell a sex offence is the only report on ALDER ST."""
    busy = [CENTRE, sorted(h3.grid_ring(CENTRE, 1))[0]]
    quiet = sorted(set(h3.grid_disk(CENTRE, 3)) - set(busy))
    days = pd.date_range("2024-01-01", "2024-01-21")
    rows = []
    for day in days:
        for cell in busy:
            rows += [(cell, day, 2330, "Theft", "1900 S  MAIN  ST")] * 3
        rows.append((quiet[day.day % len(quiet)], day, 100, "Theft", "200 N  SIDE  AV"))
    rows.append((CENTRE, days[3], 2300, SEXUAL_OFFENCES, "500    ALDER       ST"))
    frame = pd.DataFrame(rows, columns=["cell", "day", "time_occ", "crime_group", "location"])
    centres = np.array([h3.cell_to_latlng(c) for c in frame["cell"]])
    time = frame["time_occ"].map(lambda t: pd.Timedelta(hours=t // 100, minutes=t % 100))
    return frame.assign(
        occurred_at=frame["day"] + time,
        time_occ=frame["time_occ"].astype("int16"),
        area_name="Central",
        lat=centres[:, 0],
        lon=centres[:, 1],
    ).drop(columns=["cell", "day"])


def test_the_plan_joins_busy_neighbours_and_never_names_a_sex_offence_street():
    reports = synthetic_reports()
    forecast = forecast_watch(
        reports, as_of=date(2024, 1, 21), watch="night", model="watch_counts", coverage=0.05
    )
    # 3% of the footprint's cells is the two busy ones.
    assert round(len(forecast) * 0.03) == 2
    plan = patrol_plan(forecast, reports, area="Central", coverage=0.03)
    assert len(plan.zones) == 1
    zone = plan.zones[0]
    assert sorted(zone.cells) == sorted([CENTRE, sorted(h3.grid_ring(CENTRE, 1))[0]])
    # 3 reports a night in each busy cell (one week of history averages it) plus the offence.
    assert zone.expected_reports == pytest.approx((2 * 3 * 21 + 1) / 3)
    assert zone.share_of_area == pytest.approx(zone.expected_reports / plan.area_expected)
    assert zone.streets == ["S MAIN ST"] and zone.street_reports == [2 * 3 * 21]
    table = plan.table()
    assert "ALDER" not in plan.to_csv() and "ALDER" not in table.to_string()
    assert table.loc[0, "streets"] == "S MAIN ST (126)"

    # The same report as a theft is named: the filter is what keeps the street out.
    theft = reports.assign(crime_group="Theft")
    named = patrol_plan(forecast, theft, area="Central", coverage=0.03).zones[0]
    assert "ALDER ST" in named.streets


def test_day_watch_streets_count_only_that_watch_of_known_time():
    reports = synthetic_reports()
    forecast = forecast_watch(
        reports, as_of=date(2024, 1, 21), watch="day", model="all_day_counts", coverage=0.05
    )
    plan = patrol_plan(forecast, reports, area="Central", coverage=0.05)
    # No report is in the day watch, so no street is named, whatever the flags.
    assert all(z.streets == [] for z in plan.zones)


def test_the_demo_names_made_up_streets_in_its_plans(small_trained_home, monkeypatch):
    from lacrime.data.dataset import load_dataset

    monkeypatch.setenv("LACRIME_HOME", str(small_trained_home))
    frame = load_dataset()
    forecast = forecast_watch(frame, as_of=date(2023, 12, 24), watch="evening")
    area = forecast.loc[0, "area_name"]
    plan = patrol_plan(forecast, frame, area=area, coverage=0.1)
    streets = [s for z in plan.zones for s in z.streets]
    assert streets
    assert all(any(name in s for name in DEMO_STREET_NAMES) for s in streets)
