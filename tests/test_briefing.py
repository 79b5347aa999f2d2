"""The weekly briefing and the decision blocks the pages use: the PDF read back, its two
paper sizes, the layers and tables, the CLI's errors, and no sex-offence street anywhere."""

import io
import json
from datetime import date
from itertools import pairwise

import h3
import numpy as np
import pandas as pd
import pydeck as pdk
import pytest
from pypdf import PdfReader

from lacrime.app import decision
from lacrime.app.briefing import build_briefing
from lacrime.app.briefing_pdf import briefing_pdf
from lacrime.calendar import WATCHES
from lacrime.cli import main
from lacrime.data.categories import SEXUAL_OFFENCES
from lacrime.data.dataset import load_dataset, read_manifest
from lacrime.data.exclusions import load_exclusions
from lacrime.hotspots.zones import zone_outline
from lacrime.ops import registry
from lacrime.ops.train import record_of

AS_OF = date(2023, 12, 24)  # the small demo's last Sunday


def pdf_text(data: bytes) -> tuple[list[str], PdfReader]:
    reader = PdfReader(io.BytesIO(data))
    return [page.extract_text() for page in reader.pages], reader


@pytest.fixture
def demo(small_trained_home, monkeypatch):
    monkeypatch.setenv("LACRIME_HOME", str(small_trained_home))
    version = registry.current_version()
    return load_dataset(), read_manifest(), version, record_of(version)


def test_cli_briefing_writes_two_readable_pages_on_letter_and_a4(demo, tmp_path):
    frame, manifest, version, _ = demo
    area = frame["area_name"].value_counts().index[0]
    sizes = {}
    for paper in ("letter", "a4"):
        out = tmp_path / f"{paper}.pdf"
        argv = ["briefing", "--area", area.lower(), "--as-of", str(AS_OF), "--out", str(out)]
        assert main([*argv, "--paper", paper]) == 0
        pages, reader = pdf_text(out.read_bytes())
        assert len(pages) == 2
        sizes[paper] = tuple(round(float(v)) for v in reader.pages[0].mediabox[2:])
        text = " ".join(" ".join(page.split()) for page in pages)
        for expected in (
            f"Weekly briefing: {area}",
            "Week of Mon 25 Dec to Sun 31 Dec 2023",
            "SYNTHETIC DEMO DATA",
            "Headline",
            "Expected reports per watch",
            "Patrol plan",
            "Night watch",
            "Emerging hot spots",
            "How the forecast did in the last weeks",
            "Data freshness",
            f"model version: {version.version}",
            f"dataset: {manifest['dataset_id']}",
            "Victim demographics",
        ):
            assert expected in text, expected
        for rule in load_exclusions().rules:
            assert " ".join(rule.reason.split()[:4]) in text
    assert sizes == {"letter": (612, 792), "a4": (595, 842)}


def test_a_briefing_for_one_watch_maps_that_watch(demo, tmp_path):
    out = tmp_path / "night.pdf"
    assert main(["briefing", "--area", "city", "--as-of", str(AS_OF), "--watch", "night",
                 "--out", str(out)]) == 0  # fmt: skip
    pages, _ = pdf_text(out.read_bytes())
    assert "City of Los Angeles" in pages[0] and "flagged cell, night watch" in pages[0]
    assert "Evening watch" not in pages[0]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--area", "Atlantis"], "unknown area (or 'city') 'Atlantis'"),
        (["--area", "city", "--as-of", "2030-01-07"], "after the last report"),
        (["--area", "city", "--as-of", "2023-10-25"], "no report occurred on or before"),
        (["--area", "city", "--coverage", "0"], "coverage 0.0"),
    ],
)
def test_cli_briefing_refuses_bad_input_in_one_line(demo, tmp_path, capsys, argv, message):
    out = tmp_path / "b.pdf"
    full = ["briefing", "--as-of", str(AS_OF), "--out", str(out), *argv]
    assert main(full) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_cli_patrol_and_trends_in_every_format(demo, tmp_path, capsys):
    frame = demo[0]
    area = frame["area_name"].value_counts().index[0]
    base = ["patrol", "--area", area, "--as-of", str(AS_OF), "--watch", "evening"]
    assert main(base) == 0
    assert "evening watch" in capsys.readouterr().out
    assert main([*base, "--format", "json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["area"] == area and plan["zones"]
    assert main([*base, "--format", "csv"]) == 0
    table = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert list(table["zone"]) == list(range(1, len(table) + 1))
    demo_cells = len(decision.trends_for(frame, as_of=AS_OF).table)
    for fmt in ("json", "geojson"):
        assert main(["trends", "--as-of", str(AS_OF), "--format", fmt, "--all"]) == 0
        out = json.loads(capsys.readouterr().out)
        rows = out["cells"] if fmt == "json" else [f["properties"] for f in out["features"]]
        assert len(rows) == demo_cells and {"pattern", "final_z"} <= set(rows[0])
    assert main(["trends", "--as-of", str(AS_OF), "--format", "csv"]) == 0
    shown = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert (shown["pattern"] != "no pattern detected").all()
    assert main(["trends", "--area", "Nowhere"]) == 2


def test_decision_layers_and_tables(demo):
    frame, _, _, record = demo
    models = decision.watch_models(record)
    assert set(models) == set(WATCHES) == set(record.summary.watch_models)
    forecasters = decision.watch_forecasters(frame, as_of=AS_OF, models=models)
    area = frame["area_name"].value_counts().index[0]
    summary = decision.watch_summary(forecasters, area)
    assert summary["share_of_day"].sum() == pytest.approx(1.0)
    inside = forecasters["night"].grid.cells["area_name"].to_numpy() == area
    night = summary.set_index("watch").loc["night", "expected_reports"]
    assert night == pytest.approx(forecasters["night"].expected[inside].sum())

    plan = decision.plan_for(forecasters["night"], frame, area=area, coverage=0.1)
    layer = decision.zones_layer(plan)
    assert isinstance(layer, pdk.Layer) and layer.type == "LineLayer"
    edges = {
        (tuple(a), tuple(b))
        for zone in plan.zones
        for ring in zone_outline(zone.cells)
        for a, b in pairwise(ring)
    }
    assert {(tuple(r["start"]), tuple(r["end"])) for r in layer.data} == edges
    assert decision.plan_csv(plan).decode().startswith("area,watch,zone")

    trends = decision.trends_for(frame, as_of=AS_OF)
    hot = decision.heating_up(trends, area)
    assert list(hot.columns) == list(decision.EMERGING_COLUMNS.values())
    assert hot["Pattern"].str.endswith("hot spot").all()
    layer = decision.emerging_layer(trends)
    assert layer.type == "H3HexagonLayer"
    assert "no pattern detected" not in {row["pattern"] for row in layer.data}
    assert len(layer.data) == int((trends.table["pattern"] != "no pattern detected").sum())
    counts = decision.pattern_counts(trends)
    assert sum(counts.values()) == len(trends.table)


def test_no_street_of_a_sex_offence_reaches_the_briefing():
    """Three weeks of night thefts on MAIN ST in two neighbouring cells; in the busier one a
    single report, a sex offence, gives ALDER ST. The plan names MAIN ST, never ALDER ST."""
    centre = h3.latlng_to_cell(34.05, -118.25, 8)
    busy = [centre, sorted(h3.grid_ring(centre, 1))[0]]
    quiet = sorted(set(h3.grid_disk(centre, 3)) - set(busy))
    days = pd.date_range("2024-01-01", "2024-01-21")
    rows = [(c, d, 2330, "Theft", "1900 S  MAIN  ST") for d in days for c in busy for _ in range(3)]
    rows += [(quiet[i % len(quiet)], d, 1000, "Theft", "200 N SIDE AV") for i, d in enumerate(days)]
    rows.append((centre, days[5], 2300, SEXUAL_OFFENCES, "500    ALDER       ST"))
    table = pd.DataFrame(rows, columns=["cell", "day", "time_occ", "crime_group", "location"])
    centres = np.array([h3.cell_to_latlng(c) for c in table["cell"]])
    minutes = table["time_occ"].map(lambda t: pd.Timedelta(hours=t // 100, minutes=t % 100))
    frame = table.assign(
        occurred_at=table["day"] + minutes,
        time_occ=table["time_occ"].astype("int16"),
        area_name="Central",
        lat=centres[:, 0],
        lon=centres[:, 1],
    ).drop(columns=["cell", "day"])
    manifest = {
        "dataset_id": "test",
        "source": "made up in the test",
        "synthetic": True,
        "ingested_at": "2024-01-22T00:00:00",
        "date_range": ["2024-01-01", "2024-01-21"],
        "exclusions": load_exclusions().to_dict(),
        "report": {"area_names": ["Central"], "flags": {"warnings": []}},
    }
    briefing = build_briefing(frame, manifest, None, None, area="Central", as_of=date(2024, 1, 21))
    assert any("S MAIN ST" in z.streets for plan in briefing.plans.values() for z in plan.zones)
    pages, _ = pdf_text(briefing_pdf(briefing))
    text = " ".join(pages)
    assert "S MAIN ST" in text and "ALDER" not in text
    assert "model version: none (not trained yet)" in " ".join(text.split())


@pytest.mark.real
def test_real_briefing_names_the_records_system_change(real_home, monkeypatch, tmp_path):
    monkeypatch.setenv("LACRIME_HOME", str(real_home))
    out = tmp_path / "central.pdf"
    assert main(["briefing", "--area", "Central", "--as-of", "2024-03-17", "--out", str(out)]) == 0
    pages, _ = pdf_text(out.read_bytes())
    text = " ".join(" ".join(pages).split())
    assert "Weekly briefing: Central" in text and "NIBRS" in text
    # The track record stops at the week ending on --as-of: nothing from after it.
    assert "2024-03-11 night" in text and "2024-03-18 night" not in text
    assert "S FIGUEROA ST" in text or "S HILL ST" in text or "WILSHIRE BL" in text
