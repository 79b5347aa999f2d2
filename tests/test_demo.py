"""The synthetic demo: portal format, determinism, calibration honoured, nothing real leaked."""

import json
from pathlib import Path

import h3
import numpy as np
import pandas as pd
import pytest

from lacrime.data import demo
from lacrime.data.calibration import H3_RESOLUTION, MIN_REPORTS, calibrate, load_calibration
from lacrime.data.schema import LA_BOUNDS
from lacrime.data.sources.legacy import PORTAL_COLUMNS
from lacrime.errors import LacrimeError

ROWS = 200_000
# A generated share may stray this many standard errors from its calibrated value.
Z = 5.0


def _within_sampling_error(observed: float, p: float, n: int) -> bool:
    return abs(observed - p) <= Z * np.sqrt(p * (1 - p) / n) + 1e-9


def _normalised(shares: list[float]) -> np.ndarray:
    p = np.asarray(shares, dtype=float)
    return p / p.sum()


@pytest.fixture(scope="module")
def calibration() -> dict:
    return load_calibration()


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return demo.generate(ROWS, seed=0)


@pytest.fixture(scope="module")
def occurred(frame: pd.DataFrame) -> pd.Series:
    return pd.to_datetime(frame["DATE OCC"], format=demo.PORTAL_DATE_FORMAT)


@pytest.fixture(scope="module")
def real_raw(real_data_path: Path) -> pd.DataFrame:
    return pd.read_csv(real_data_path, dtype=str)


def test_same_seed_same_bytes_other_seed_differs(tmp_path: Path) -> None:
    first = demo.write_demo_csv(tmp_path / "a" / "demo.csv", rows=5_000, seed=7)
    again = demo.write_demo_csv(tmp_path / "b" / "demo.csv", rows=5_000, seed=7)
    other = demo.write_demo_csv(tmp_path / "c" / "demo.csv", rows=5_000, seed=8)
    assert first.read_bytes() == again.read_bytes()
    assert first.read_bytes() != other.read_bytes()
    assert [p.name for p in first.parent.iterdir()] == ["demo.csv"]  # no temp file left


def test_csv_quotes_like_the_portal_and_reads_back(tmp_path: Path) -> None:
    """pandas quotes only fields holding a comma, as the portal export does."""
    path = demo.write_demo_csv(tmp_path / "demo.csv", rows=20_000, seed=3)
    generated = demo.generate(20_000, seed=3)
    assert path.read_text() == generated.to_csv(index=False, lineterminator="\n")
    assert pd.read_csv(path, dtype=str).equals(generated)


def test_portal_columns_and_formats(frame: pd.DataFrame, occurred: pd.Series) -> None:
    assert tuple(frame.columns) == PORTAL_COLUMNS
    assert len(frame) == ROWS
    pd.to_datetime(frame["Date Rptd"], format=demo.PORTAL_DATE_FORMAT)
    assert frame["DATE OCC"].str.endswith(" 12:00:00 AM").all()
    time_occ = frame["TIME OCC"]
    assert time_occ.str.fullmatch(r"\d{4}").all()
    assert (time_occ.str[:2].astype(int) < 24).all() and (time_occ.str[2:].astype(int) < 60).all()
    assert frame["AREA"].str.fullmatch(r"\d{2}").all()
    assert frame["Rpt Dist No"].str.fullmatch(r"\d{4}").all()
    assert (frame["Rpt Dist No"].str[:2] == frame["AREA"]).all()
    for column in ("LAT", "LON"):
        assert frame[column].str.fullmatch(r"-?\d+(\.\d{1,4})?").all()
    assert frame["DR_NO"].str.fullmatch(r"9\d{8}").all()
    assert frame["DR_NO"].is_unique
    assert (frame["Crm Cd 1"] == frame["Crm Cd"]).all()
    assert frame["Vict Age"].str.fullmatch(r"\d+").all()


def test_points_inside_la(frame: pd.DataFrame) -> None:
    lat, lon = frame["LAT"].astype(float), frame["LON"].astype(float)
    assert lat.between(LA_BOUNDS["lat_min"], LA_BOUNDS["lat_max"]).all()
    assert lon.between(LA_BOUNDS["lon_min"], LA_BOUNDS["lon_max"]).all()


def test_reported_on_or_after_occurrence(
    frame: pd.DataFrame, occurred: pd.Series, calibration: dict
) -> None:
    reported = pd.to_datetime(frame["Date Rptd"], format=demo.PORTAL_DATE_FORMAT)
    lag = (reported - occurred).dt.days
    assert (lag >= 0).all()
    buckets = calibration["report_lag"]
    shares = _normalised([b["share"] for b in buckets])
    for bucket, p in zip(buckets, shares, strict=True):
        in_bucket = lag.between(bucket["min_days"], bucket["max_days"]).mean()
        assert _within_sampling_error(in_bucket, p, ROWS), bucket


def test_hour_profile_and_default_times(frame: pd.DataFrame, calibration: dict) -> None:
    time_occ = frame["TIME OCC"].astype(int)
    hours = (time_occ // 100).value_counts(normalize=True).reindex(range(24), fill_value=0)
    assert np.corrcoef(hours, calibration["time"]["hour_shares"])[0, 1] > 0.95
    heaping = {
        "share_1200": (time_occ == 1200).mean(),
        "share_0001": (time_occ == 1).mean(),
        "share_whole_hour": (time_occ % 100 == 0).mean(),
    }
    for name, observed in heaping.items():
        assert _within_sampling_error(observed, calibration["time"][name], ROWS), name


def test_area_shares(frame: pd.DataFrame, calibration: dict) -> None:
    areas = calibration["areas"]
    expected = dict(
        zip(
            [f"{a['code']:02d}" for a in areas],
            _normalised([a["share"] for a in areas]),
            strict=True,
        )
    )
    observed = frame["AREA"].value_counts(normalize=True)
    assert set(observed.index) == set(expected)
    for code, p in expected.items():
        assert _within_sampling_error(observed[code], p, ROWS), code
    names = frame.groupby("AREA")["AREA NAME"].unique()
    assert all(list(names[f"{a['code']:02d}"]) == [a["name"]] for a in areas)


def test_points_follow_the_area_cells(frame: pd.DataFrame, calibration: dict) -> None:
    """Rounding to 4 decimals (about 10 m) may move a point near an edge into a neighbour."""
    sample = frame.sample(2_000, random_state=0)
    cells = {f"{a['code']:02d}": set(a["cells"]) for a in calibration["areas"]}
    inside = [
        h3.latlng_to_cell(float(lat), float(lon), calibration["h3_resolution"]) in cells[area]
        for lat, lon, area in zip(sample["LAT"], sample["LON"], sample["AREA"], strict=True)
    ]
    assert np.mean(inside) > 0.99


def test_weekday_pattern(frame: pd.DataFrame, occurred: pd.Series, calibration: dict) -> None:
    daily = occurred.value_counts()
    per_weekday = daily.groupby(daily.index.day_of_week).mean().reindex(range(7))
    assert np.corrcoef(per_weekday, calibration["weekday_shares"])[0, 1] > 0.9


def test_seasonal_cycle_peaks_in_summer(occurred: pd.Series) -> None:
    daily = occurred.value_counts()
    monthly = daily.groupby(daily.index.month).mean()
    summer, winter = monthly[[6, 7, 8]].mean(), monthly[[12, 1, 2]].mean()
    assert summer / winter > 1.05  # a cycle of about +-8% puts summer some 15% above winter


def test_crime_mix_and_weapons(frame: pd.DataFrame, calibration: dict) -> None:
    crimes = calibration["crimes"]["items"]
    shares = _normalised([c["share"] for c in crimes])
    observed = frame["Crm Cd"].value_counts(normalize=True)
    armed = frame["Weapon Used Cd"].notna()
    assert (armed == frame["Weapon Desc"].notna()).all()
    for crime, p in zip(crimes, shares, strict=True):
        code = str(crime["code"])
        rows = frame["Crm Cd"] == code
        assert _within_sampling_error(observed.get(code, 0.0), p, ROWS), code
        assert (frame.loc[rows, "Part 1-2"] == str(crime["part_1_2"])).all(), code
        if rows.sum() >= 1_000:
            assert _within_sampling_error(armed[rows].mean(), crime["weapon_share"], rows.sum())


def test_committed_calibration_is_aggregate(calibration: dict) -> None:
    assert calibration["min_reports"] >= 3
    for area in calibration["areas"]:
        assert area["cells"], area["name"]
        assert len(area["cells"]) == len(area["cell_shares"]) == len(area["cell_rpt_dist_no"])
        assert abs(sum(area["cell_shares"]) - 1) < 1e-3
        assert all(d // 100 == area["code"] for d in area["cell_rpt_dist_no"])
        assert all(h3.get_resolution(c) == calibration["h3_resolution"] for c in area["cells"])
    for mix in ("crimes", "premises", "weapons"):
        listed = sum(item["share"] for item in calibration[mix]["items"])
        assert abs(listed + calibration[mix]["other_share"] - 1) < 1e-3, mix


def test_calibrate_lists_no_cell_or_code_below_min_reports() -> None:
    raw = demo.generate(3_000, seed=5, start="2024-02-01", days=60)
    result = calibrate(raw)
    cells = pd.Series(
        [
            h3.latlng_to_cell(float(lat), float(lon), H3_RESOLUTION)
            for lat, lon in zip(raw["LAT"], raw["LON"], strict=True)
        ]
    )
    for area in result["areas"]:
        in_area = cells[(raw["AREA"].astype(int) == area["code"]).to_numpy()]
        counts = in_area.value_counts()
        assert all(counts[c] >= MIN_REPORTS for c in area["cells"])
        assert len(area["cells"]) < in_area.nunique()  # 3,000 rows leave sparse cells out
    crime_counts = raw["Crm Cd"].value_counts()
    assert all(crime_counts[str(c["code"])] >= 3 for c in result["crimes"]["items"])
    assert result["crimes"]["other_share"] > 0
    assert result["time"]["share_1200"] == round((raw["TIME OCC"] == "1200").mean(), 6)
    assert abs(sum(result["weekday_shares"]) - 1) < 1e-5


def test_bad_inputs_are_user_errors() -> None:
    with pytest.raises(LacrimeError, match="rows"):
        demo.generate(0)
    with pytest.raises(LacrimeError, match="start date"):
        demo.generate(10, start="not a date")
    with pytest.raises(LacrimeError, match="Crm Cd"):
        calibrate(demo.generate(10).drop(columns=["Crm Cd"]))


@pytest.mark.real
def test_committed_calibration_matches_real_extract(real_raw: pd.DataFrame) -> None:
    committed = load_calibration()
    assert json.loads(json.dumps(calibrate(real_raw))) == committed


@pytest.mark.real
def test_calibration_holds_no_real_identifier(real_raw: pd.DataFrame, calibration: dict) -> None:
    identifiers = set().union(
        *(set(real_raw[c].dropna()) for c in ("DR_NO", "LOCATION", "Mocodes"))
    )

    def leaves(node: object) -> list:
        if isinstance(node, dict):
            return [leaf for value in node.values() for leaf in leaves(value)]
        if isinstance(node, list):
            return [leaf for value in node for leaf in leaves(value)]
        return [node]

    values = leaves(calibration)
    assert not {v for v in values if isinstance(v, str)} & identifiers
    floats = [v for v in values if isinstance(v, float)]
    assert not [v for v in floats if LA_BOUNDS["lat_min"] <= v <= LA_BOUNDS["lat_max"]]
    assert not [v for v in floats if LA_BOUNDS["lon_min"] <= v <= LA_BOUNDS["lon_max"]]


@pytest.mark.real
def test_demo_shares_no_report_with_the_real_extract(real_raw: pd.DataFrame) -> None:
    """Generated over the extract's own dates, so that a copied report could match."""
    synthetic = demo.generate(50_000, seed=0, start="2024-02-01", days=53)
    assert not set(synthetic["DR_NO"]) & set(real_raw["DR_NO"])

    def tuples(df: pd.DataFrame) -> set:
        return set(
            zip(
                df["LAT"].astype(float),
                df["LON"].astype(float),
                df["TIME OCC"].astype(int),
                df["DATE OCC"],
                strict=True,
            )
        )

    assert not tuples(synthetic) & tuples(real_raw)
