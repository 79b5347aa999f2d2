"""The Area page on trained homes (demo and real extract): the area and the second one come from
the URL and the select boxes, and every figure is the dataset's or the stored forecast's."""

import io
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest
import support
from pypdf import PdfReader
from streamlit.testing.v1 import AppTest
from support import checked, plotly_specs, tables

from lacrime.app import views
from lacrime.app.area import CITY, NO_AREA
from lacrime.data.dataset import load_dataset, read_manifest
from lacrime.ops import registry
from lacrime.ops.train import HOTSPOTS

PAGE = "app_pages/area.py"


def open_page(params: dict[str, str] | None = None) -> AppTest:
    return support.open_page(PAGE, params, timeout=120)


def switched_or_first(manifest: dict) -> str:
    """An area whose weeks the switch to NIBRS left incomplete, if there is one."""
    areas = manifest["history"]["areas"]
    return next((name for name, a in sorted(areas.items()) if a["gaps"]), sorted(areas)[0])


def full_weeks(frame: pd.DataFrame) -> pd.Series:
    """Each report's Monday, for the reports in full Monday-to-Sunday weeks."""
    days = frame["occurred_at"].dt.normalize()
    first = days.min() + pd.Timedelta(days=(7 - days.min().day_of_week) % 7)
    last = days.max() - pd.Timedelta(days=(days.max().day_of_week + 1) % 7)
    inside = days[(days >= first) & (days <= last)]
    return inside - pd.to_timedelta(inside.dt.day_of_week, unit="D")


def test_one_area_from_a_link(home: Path) -> None:
    manifest = read_manifest()
    frame = load_dataset()
    area = switched_or_first(manifest)
    at = open_page({"area": area})
    assert at.selectbox(key="area").value == area
    assert at.selectbox(key="area_compare").value == NO_AREA

    gaps = manifest["history"]["areas"][area]["gaps"]
    notes = [w.value for w in at.warning if "are incomplete" in w.value]
    assert len(notes) == len(gaps)
    assert all(
        f"{g['first_day']} to {g['last_day']}" in n for g, n in zip(gaps, notes, strict=True)
    )

    trend, mix, hours = plotly_specs(at)
    assert [t["name"] for t in trend["data"]] == [CITY, area]
    mondays = full_weeks(frame)
    counts = mondays[frame.loc[mondays.index, "area_name"] == area].value_counts().sort_index()
    drawn = trend["data"][1]
    assert [c[0] for c in drawn["customdata"]] == counts.tolist()
    lag = {w["week_start"] for w in manifest["report"]["flags"]["incomplete_recent_weeks"]}
    spans = [(pd.Timestamp(g["first_day"]), pd.Timestamp(g["last_day"])) for g in gaps]
    complete = [
        monday.date().isoformat() not in lag
        and not any(a <= monday + timedelta(days=6) and monday <= b for a, b in spans)
        for monday in counts.index
    ]
    assert [s == "circle" for s in drawn["marker"]["symbol"]] == complete
    mean = counts[complete].mean()
    assert drawn["y"] == pytest.approx((100 * counts / mean).tolist())

    shares = frame.loc[frame["area_name"] == area, "crime_group"].value_counts(normalize=True)
    by_group = dict(zip(mix["data"][0]["y"], mix["data"][0]["x"], strict=True))
    assert by_group == pytest.approx({g: 100 * s for g, s in shares.items()})

    in_area = frame[frame["area_name"] == area]
    assert hours["data"][0]["y"][0] == "Monday"
    days = pd.date_range(frame["occurred_at"].min().normalize(), frame["occurred_at"].max())
    per_weekday = pd.Series(days.day_of_week).value_counts().sort_index().to_numpy()
    z = pd.DataFrame(hours["data"][0]["z"])
    assert (z.sum(axis=1) * per_weekday).sum() == pytest.approx(len(in_area))

    stored = registry.load_artifact(registry.current_version(), HOTSPOTS).forecast()
    flagged = stored[(stored["area_name"] == area) & stored["flagged"]]
    shown = [t for t in tables(at) if "City rank" in t.columns]
    if len(flagged):
        flagged = flagged.sort_values("rank")
        assert shown[0]["City rank"].tolist() == [f"{r:,}" for r in flagged["rank"]]
        assert shown[0]["Percentile"].tolist() == [f"{p:.1f}" for p in flagged["percentile"]]
        assert shown[0]["Expected reports next week"].tolist() == [
            f"{e:.1f}" for e in flagged["expected"]
        ]
    else:
        assert any("None of" in m.value for m in at.markdown)
    assert at.get("download_button")[0].proto.label == f"Weekly briefing of {area} (PDF)"


def test_a_second_area_is_drawn_beside_the_first(demo_home: Path, monkeypatch) -> None:
    monkeypatch.setenv("LACRIME_HOME", str(demo_home))
    names = read_manifest()["report"]["area_names"]
    at = open_page({"area": names[2]})
    assert names[2] not in at.selectbox(key="area_compare").options
    at.selectbox(key="area_compare").set_value(names[5]).run()
    checked(at)
    trend, mix, first_hours, second_hours = plotly_specs(at)
    assert [t["name"] for t in trend["data"]] == [CITY, names[2], names[5]]
    assert [t["name"] for t in mix["data"]] == [names[2], names[5], CITY]
    assert first_hours["layout"]["title"]["text"].startswith(names[2])
    assert second_hours["layout"]["title"]["text"].startswith(names[5])
    assert [s.value for s in at.subheader] == [names[2], names[5]]
    metrics = [m.label for m in at.metric]
    assert f"{names[2]}, this week" in metrics and f"{names[5]}, this week" in metrics
    past = [m.value for m in at.markdown if "evaluation week" in m.value]
    assert len(past) == 2 and names[2] in past[0] and names[5] in past[1]

    at.selectbox(key="area").set_value(names[0]).run()
    checked(at)
    assert [t["name"] for t in plotly_specs(at)[0]["data"]] == [CITY, names[0], names[5]]
    at.selectbox(key="area_compare").set_value(NO_AREA).run()
    assert len(plotly_specs(checked(at))) == 3


def test_past_weeks_are_scored_in_the_area(demo_home: Path, monkeypatch) -> None:
    """Each evaluation week's line counts the area's reports of that week and those in its
    flagged cells, from the forecast made as of the day before the week."""
    monkeypatch.setenv("LACRIME_HOME", str(demo_home))
    frame = load_dataset()
    area = read_manifest()["report"]["area_names"][3]
    at = open_page({"area": area})
    (past,) = [m.value for m in at.markdown if "evaluation week" in m.value]
    record = registry.current_version().metadata["evaluation"]["hotspots"]
    for week in record["eval_weeks"]:
        start = pd.Timestamp(week)
        days = frame["occurred_at"]
        inside = (days >= start) & (days < start + timedelta(days=7))
        crimes = int((inside & (frame["area_name"] == area)).sum())
        assert f"of its {crimes:,} reports" in past.split(f"Week of {start:%d %b %Y}")[1]


def test_the_briefing_is_the_area_pdf(demo_home: Path, monkeypatch) -> None:
    monkeypatch.setenv("LACRIME_HOME", str(demo_home))
    area = read_manifest()["report"]["area_names"][1]
    stored = registry.load_artifact(registry.current_version(), HOTSPOTS)
    pdf = PdfReader(io.BytesIO(views.briefing(area, stored.as_of)))
    text = " ".join(page.extract_text() for page in pdf.pages)
    assert len(pdf.pages) == 2
    assert area in text
