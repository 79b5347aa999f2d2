"""NIBRS offence files: every form reads the same, a report counts once under its most
serious offence, the flags are never read, and no output places a sex offence."""

import csv
import gzip
import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from nibrs_files import frame_of, offences, write_csv, write_json

from lacrime.cli import main
from lacrime.data import offences as offence_table
from lacrime.data.categories import SEXUAL_OFFENCES
from lacrime.data.dataset import load_dataset, prepare
from lacrime.data.exclusions import load_exclusions
from lacrime.data.privacy import locatable
from lacrime.data.sources import formats
from lacrime.data.sources.legacy import DEMOGRAPHIC_COLUMNS
from lacrime.data.sources.nibrs import LAYOUT, NEVER_READ


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    return offences(rows=3_000, seed=3)


def _renamed(frame: pd.DataFrame) -> pd.DataFrame:
    """The offence rows with the cleaned dataset's names, as exclusion rules read them."""
    return frame.rename(columns={"nibr_description": "crm_cd_desc"})


def test_every_form_gives_the_same_reports(raw: pd.DataFrame, tmp_path: Path) -> None:
    plain = write_csv(raw, tmp_path / "offenses.csv")
    expected, manifest = prepare(plain)
    assert manifest["sources"][0]["format"] == "nibrs"
    assert (expected["source"] == "nibrs").all()
    json_path = write_json(raw, tmp_path / "offenses.json")
    gz = tmp_path / "offenses.csv.gz"
    gz.write_bytes(gzip.compress(plain.read_bytes()))
    zipped = tmp_path / "offenses.zip"
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.write(json_path, "rows.json")
    parquet = tmp_path / "offenses.parquet"
    raw.to_parquet(parquet)
    # The portal's CSV export names fields in words; matching ignores case and punctuation.
    export = write_csv(
        raw.rename(columns=lambda c: c.replace("_", " ").title()), tmp_path / "export.csv"
    )
    for path in (json_path, gz, zipped, parquet, export):
        frame, _ = prepare(path)
        pd.testing.assert_frame_equal(frame, expected, obj=path.name)


def test_reports_are_the_distinct_casenos_left_after_exclusions(raw: pd.DataFrame, tmp_path):
    frame, manifest = prepare(write_csv(raw, tmp_path / "offenses.csv"))
    kept = raw[~load_exclusions().matches(_renamed(raw)).to_numpy()]
    assert len(raw) > raw["caseno"].nunique()  # several offences to some reports
    assert len(frame) == kept["caseno"].nunique() < raw["caseno"].nunique()
    assert set(frame["dr_no"].astype(str)) == set(kept["caseno"])
    assert frame["dr_no"].is_unique
    steps = {s["step"]: s["removed"] for s in manifest["report"]["steps"]}
    assert manifest["report"]["rows_in"] == len(raw)
    assert steps["excluded_crime_type"] == len(raw) - len(kept)
    assert steps["further_offences"] == len(kept) - kept["caseno"].nunique()


def test_a_report_counts_once_under_its_most_serious_offence(raw: pd.DataFrame, tmp_path):
    def offence(caseno: str, code: str, seq: int = 1, **fields: str) -> dict:
        name = offence_table.name(pd.Series([code]))[0]
        against = offence_table.against(pd.Series([code]))[0]
        return {
            "caseno": caseno,
            "date_occ": "2024-03-09T00:00:00.000",
            "date_rptd": "2024-03-09T00:00:00.000",
            "uniquenibrno": f"{caseno}{code}{seq:02d}",
            "nibr_code": code,
            "nibr_description": name,
            "crime_against": against,
            **fields,
        }

    rows = frame_of(
        [
            offence("600000001", "290"),
            offence("600000001", "13A", 2),  # vandalism with an assault: counted as the assault
            offence("600000002", "290"),  # vandalism alone: left out
            offence("600000003", "35A"),  # drugs (crime against society): left out
            offence("600000004", "11A", 2),
            offence("600000004", "09A"),  # a murder with a rape: the report is a sex offence
            offence("600000005", "90Z", 2),
            offence("600000005", "240"),
            offence("600000006", "23F", premis_desc="STREET"),
            offence("600000006", "23F", premis_desc="PARKING LOT"),  # re-published: replaces
            offence("600000007", "40A", 2),  # prostitution, left out, but a sexual offence
            offence("600000007", "13B"),
        ],
        raw,
    )
    frame, manifest = prepare(write_csv(rows, tmp_path / "offenses.csv"))
    reports = frame.set_index("dr_no")
    assert sorted(reports.index) == [600000001, 600000004, 600000005, 600000006, 600000007]
    assert reports.loc[600000001, ["nibr_code", "offence_codes", "crime_group"]].tolist() == [
        "13A",
        "13A 290",
        "Violent crime",
    ]
    assert reports.loc[600000004, "nibr_code"] == "09A"
    assert reports.loc[600000004, "offence_codes"] == "09A 11A"
    assert reports.loc[600000004, "crime_group"] == SEXUAL_OFFENCES
    assert reports.loc[600000005, ["nibr_code", "crime_group"]].tolist() == ["240", "Vehicle crime"]
    assert reports.loc[600000006, "premis_desc"] == "PARKING LOT"
    assert reports.loc[600000007, ["nibr_code", "crime_group"]].tolist() == ["13B", SEXUAL_OFFENCES]
    assert reports["crm_cd"].isna().all() and reports["crm_cd_desc"].notna().all()
    steps = {s["step"]: s["removed"] for s in manifest["report"]["steps"]}
    assert steps["duplicate_offence"] == 1
    assert steps["excluded_crime_type"] == 5
    assert steps["further_offences"] == 1


@pytest.mark.parametrize("form", ["csv", "json", "parquet"])
def test_flags_are_never_read(raw, tmp_path, monkeypatch, form):
    """The victim and socio-economic fields are skipped by the parser: never asked for, so
    never converted into a column, whatever the container."""
    asked: list[str] = []
    read = formats.Opened.read

    def spy(self: formats.Opened, fields: dict) -> object:
        asked.extend(fields)
        table = read(self, fields)
        asked.extend(table.column_names)
        return table

    monkeypatch.setattr(formats.Opened, "read", spy)
    path = tmp_path / f"offenses.{form}"
    if form == "csv":
        write_csv(raw, path)
    elif form == "json":
        write_json(raw, path)
    else:
        raw.to_parquet(path)
    frame, manifest = prepare(path)
    assert asked and not {formats.field_key(a) for a in asked} & {
        formats.field_key(f) for f in NEVER_READ
    }
    assert not set(NEVER_READ) & set(frame.columns)
    assert set(manifest["report"]["dropped_columns"]) == set(NEVER_READ)


def test_the_columns_never_read_are_the_exclusion_lists(capsys) -> None:
    listed = load_exclusions().columns
    assert set(listed) == set(DEMOGRAPHIC_COLUMNS) | set(NEVER_READ)
    assert not set(NEVER_READ) & set(LAYOUT.fields)
    assert main(["exclusions"]) == 0
    out = capsys.readouterr().out
    for name in NEVER_READ:
        assert name in out
    for code in ("290", "90J", "Society"):
        assert code in out


def test_every_listed_offence_has_a_known_group_and_a_unique_code() -> None:
    listed = offence_table.offences()
    codes = [o.code for o in listed]
    assert len(codes) == len(set(codes))
    for code in ("11A", "11B", "11C", "11D"):
        assert offence_table.group(pd.Series([code]))[0] == SEXUAL_OFFENCES
    ranks = offence_table.rank(pd.Series(["13B", "13A", "09A", "ZZZ", None]))
    assert ranks[2] < ranks[1] < ranks[0] < ranks[3] == ranks[4]


def _sex_offences(raw: pd.DataFrame, n: int = 40) -> pd.DataFrame:
    """Offences 11A-11D added as reports of their own, at places of the raw data."""
    rng = np.random.default_rng(5)
    picked = raw.sample(n, random_state=5).copy()
    picked["caseno"] = [str(700_000_001 + i) for i in range(n)]
    picked["nibr_code"] = rng.choice(["11A", "11B", "11C", "11D"], size=n)
    picked["nibr_description"] = offence_table.name(picked["nibr_code"]).to_numpy()
    picked["crime_against"] = "Person"
    picked["uniquenibrno"] = picked["caseno"] + picked["nibr_code"] + "01"
    # Each on its own spot, so that a place in an output could only be its own.
    picked["hndrdth_lat"] = [f"{34.0 + i * 0.001:.4f}" for i in range(n)]
    picked["hndrdth_lon"] = [f"{-118.3 - i * 0.001:.4f}" for i in range(n)]
    return picked


def test_sex_offences_count_in_aggregates_but_no_output_places_one(raw, tmp_path, capsys):
    sexual = _sex_offences(raw)
    path = write_csv(pd.concat([raw, sexual], ignore_index=True), tmp_path / "offenses.csv")
    assert main(["ingest", str(path)]) == 0
    frame = load_dataset()
    hidden = frame[frame["dr_no"].astype(str).isin(sexual["caseno"])]
    assert len(hidden) == len(sexual)  # kept, so that aggregates count them
    assert (hidden["crime_group"] == SEXUAL_OFFENCES).all()
    assert not locatable(hidden).any()
    as_of = "2024-03-31"
    places = {
        f"{float(a):.4f},{float(b):.4f}" for a, b in sexual[["hndrdth_lat", "hndrdth_lon"]].values
    }
    for form in ("csv", "geojson", "json"):
        capsys.readouterr()
        assert main(["hotspots", "--as-of", as_of, "--format", form]) == 0
        out = capsys.readouterr().out
        assert not [n for n in sexual["caseno"] if n in out], form
        if form == "csv":
            cells = pd.read_csv(io.StringIO(out))
            shown = {f"{a:.4f},{b:.4f}" for a, b in cells[["lat", "lon"]].values}
        elif form == "geojson":
            features = json.loads(out)["features"]
            shown = {
                f"{lat:.4f},{lon:.4f}"
                for f in features
                for lon, lat in f["geometry"]["coordinates"][0]
            }
        else:
            shown = {f"{c['lat']:.4f},{c['lon']:.4f}" for c in json.loads(out)["cells"]}
        assert not places & shown, form


def test_a_file_of_neither_source_names_the_fields_it_lacks(raw, tmp_path, capsys):
    path = tmp_path / "offenses.csv"
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["caseno", "uniquenibrno", "nibr_code", "date_occ"])
        writer.writerow(["1", "113A01", "13A", "2024-03-07T00:00:00.000"])
    assert main(["ingest", str(path)]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and err.count("\n") == 1
    for missing in ("date_rptd", "hndrdth_lat", "time_occ"):
        assert missing in err


def test_a_file_with_the_required_fields_only_reads(raw: pd.DataFrame, tmp_path: Path) -> None:
    """Description and "crime against" are optional: the offence table gives them."""
    needed = [f for f in LAYOUT.required]
    frame, _ = prepare(write_csv(raw[needed], tmp_path / "few.csv"))
    full, _ = prepare(write_csv(raw, tmp_path / "all.csv"))
    assert len(frame) == len(full)
    pd.testing.assert_series_equal(frame["crm_cd_desc"], full["crm_cd_desc"])
    pd.testing.assert_series_equal(frame["crime_group"], full["crime_group"])
