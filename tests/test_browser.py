"""End to end: `streamlit run app.py` on a free port, each page opened in headless Chromium.

Checks what a user would see (the page's key text, its charts drawn, no exception) and saves a
screenshot of each page under `screenshots/` (git-ignored) for a person to look at.
"""

import io
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from lacrime.hotspots.flagging import flag_count

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = ROOT / "screenshots"
START_TIMEOUT_S = 60
PAGE_TIMEOUT_MS = 30_000
STOPPED = '[data-testid="stApp"][data-test-script-state="notRunning"]'
# One per drawn Plotly chart: the first of the two SVG layers Plotly draws a figure in.
# Charts of any other kind (Vega-Lite: st.altair_chart, st.line_chart and the like; pyplot).
OTHER_CHARTS = (
    '[data-testid="stVegaLiteChart"], [data-testid="stArrowVegaLiteChart"], [data-testid="stImage"]'
)
DRAWN_CHART = '[data-testid="stPlotlyChart"] .svg-container > svg.main-svg:first-of-type'


@dataclass(frozen=True)
class PageCheck:
    """A page to open: its URL path, its title, text that must show, how many charts, elements
    that must be drawn (CSS selectors), and tabs to open after it, each with a text it shows."""

    path: str
    title: str
    texts: tuple[str, ...] = ()
    charts: int = 0
    selectors: tuple[str, ...] = ()
    tabs: tuple[tuple[str, str], ...] = ()


# Extend this list when a page is added or filled in.
PAGES = [
    PageCheck(
        "",
        "Overview",
        ("This week:", "Biggest changes", "How fresh the data are", "Model in use"),
        charts=2,
        tabs=(("Trends", "Crimes per day"), ("Dataset", "How the data was cleaned")),
    ),
    PageCheck(
        "hourly_forecast",
        "Hourly forecast",
        ("Expected crimes", "Every weekday of", "What was left out and why"),
        charts=2,
    ),
    PageCheck(
        "hotspot_map",
        "Hotspot map",
        (
            "Flagged cells",
            "Risk rank",
            "LAPD area",
            "Patrol plan",
            "What is heating up",
            "How good is it?",
            "What was left out and why",
        ),
        selectors=('[data-testid="stDeckGlJsonChart"] canvas',),
    ),
    PageCheck(
        "area?area=Hollywood&area_compare=Central",
        "Area",
        ("Next week's flagged cells", "How past forecasts did there", "Weekly briefing of"),
    ),
    PageCheck(
        "model_comparison",
        "Model comparison",
        ("Hotspot map models", "How much crime the flagged cells held", "Week by week"),
        charts=2,
        tabs=(
            ("Hotspots and the rest", "Telling hotspot cells from the rest"),
            ("Cost per area", "What ranking city-wide costs each area"),
            ("Hourly models", "Hourly forecast models"),
        ),
    ),
    PageCheck(
        "data_fairness",
        "Data & fairness",
        ("What was left out and why", "Columns never read"),
        tabs=(
            ("Data quality", "Reporting lag"),
            ("Flags by area", "How flagged cells spread over the LAPD areas"),
        ),
    ),
    PageCheck("admin", "Admin", ("Admin actions are off",)),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(url: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"streamlit exited with {server.returncode}:\n{log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"streamlit did not answer within {START_TIMEOUT_S} s:\n{log.read_text()[-2000:]}")


def _stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


@pytest.fixture(scope="module", params=["demo", "real"])
def app_url(request: pytest.FixtureRequest) -> Iterator:
    """A running app, trained, over a small demo dataset or over the real extract when it is
    available: a later start, as users see it (the first start is tested in test_app.py)."""
    home = request.getfixturevalue(f"{request.param}_home")
    port = _free_port()
    log = home.parent / f"streamlit-{request.param}.log"
    env = {**os.environ, "LACRIME_HOME": str(home)}
    command = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py")]
    command += ["--server.port", str(port), "--server.address", "127.0.0.1"]
    command += ["--server.headless", "true", "--browser.gatherUsageStats", "false"]
    with log.open("w") as out:
        server = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    request.addfinalizer(lambda: _stop(server))
    url = f"http://127.0.0.1:{port}"
    _wait_until_up(url, server, log)
    return request.param, url


@pytest.fixture(scope="session")
def browser() -> Iterator:
    if not CHROMIUM.is_file():
        pytest.skip(f"no Chromium at {CHROMIUM}: install the system package `chromium`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield chromium
        chromium.close()


@pytest.mark.parametrize("check", PAGES, ids=lambda check: check.title)
def test_page_renders_without_errors(app_url: tuple[str, str], browser, check: PageCheck) -> None:
    dataset, url = app_url
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    try:
        page.goto(f"{url}/{check.path}", timeout=PAGE_TIMEOUT_MS)
        page.locator("h1", has_text=check.title).wait_for(timeout=PAGE_TIMEOUT_MS)
        page.locator(STOPPED).wait_for(timeout=PAGE_TIMEOUT_MS)
        for text in check.texts:
            page.get_by_text(text).first.wait_for(timeout=PAGE_TIMEOUT_MS)
        if check.charts:
            page.locator(DRAWN_CHART).nth(check.charts - 1).wait_for(timeout=PAGE_TIMEOUT_MS)
        for selector in check.selectors:
            page.locator(selector).first.wait_for(timeout=PAGE_TIMEOUT_MS)
        for tab, text in check.tabs:
            page.get_by_role("tab", name=tab).click()
            page.get_by_text(text).first.wait_for(timeout=PAGE_TIMEOUT_MS)
            page.locator(STOPPED).wait_for(timeout=PAGE_TIMEOUT_MS)
            assert page.locator('[data-testid="stException"]').count() == 0
        body = page.inner_text("body")
        if dataset == "demo":
            assert "Synthetic demo data: not real LAPD reports" in body
        else:
            assert "Synthetic demo data" not in body
        assert page.locator('[data-testid="stException"]').count() == 0
        assert page.locator(OTHER_CHARTS).count() == 0
        assert "Traceback" not in body
        assert "Error" not in body
        _screenshot(page, f"{dataset}-{check.path.split('?')[0] or 'overview'}.png")
    finally:
        page.close()


def _screenshot(page, name: str) -> None:
    """The whole page: Streamlit scrolls inside its main block, so grow the viewport to fit."""
    height = page.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": 1400, "height": min(height + 40, 8000)})
    page.wait_for_timeout(300)
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SCREENSHOTS / name)


def _choose(page, label: str, option: str) -> None:
    """Pick `option` in the selectbox labelled `label`, and wait for the run it starts."""
    page.get_by_role("combobox", name=label).click()
    page.get_by_role("option", name=option).first.click()


def test_a_map_link_opens_the_view_it_was_copied_from(app_url: tuple[str, str], browser) -> None:
    """The link carries ids (a week's ISO date, code names) and every bound widget's value."""
    _, url = app_url
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    flagged = page.locator('[data-testid="stMetric"]', has_text=re.compile("^Flagged cells"))
    try:
        page.goto(f"{url}/hotspot_map?hotspot_coverage=3", timeout=PAGE_TIMEOUT_MS)
        flagged.wait_for(timeout=PAGE_TIMEOUT_MS)
        page.locator(STOPPED).wait_for(timeout=PAGE_TIMEOUT_MS)
        shown, cells = _flagged_of(flagged.inner_text())
        assert shown == flag_count(cells, 0.03)

        _choose(page, "Allocation", "By area crime")
        page.wait_for_url("**hotspot_allocation=proportional*", timeout=PAGE_TIMEOUT_MS)
        page.locator(STOPPED).wait_for(timeout=PAGE_TIMEOUT_MS)
        weeks = page.get_by_role("combobox", name="Forecast week")
        weeks.click()
        second = page.get_by_role("option").nth(1)
        second_label = second.inner_text()
        second.click()
        page.wait_for_url(
            re.compile(r".*hotspot_as_of=\d{4}-\d{2}-\d{2}.*"), timeout=PAGE_TIMEOUT_MS
        )
        page.locator(STOPPED).wait_for(timeout=PAGE_TIMEOUT_MS)
        _choose(page, "Watch", "Night (23–07 h)")
        page.wait_for_url("**hotspot_watch=night*", timeout=PAGE_TIMEOUT_MS)
        page.locator(STOPPED).wait_for(timeout=PAGE_TIMEOUT_MS)
        area = "Central"
        _choose(page, "LAPD area", area)
        page.wait_for_url("**hotspot_area=Central*", timeout=PAGE_TIMEOUT_MS)
        page.locator(STOPPED).wait_for(timeout=PAGE_TIMEOUT_MS)
        page.get_by_role("button", name="Layers").click()
        page.get_by_text("Show past reports").first.click()
        page.wait_for_url("**hotspot_past=true*", timeout=PAGE_TIMEOUT_MS)
        page.locator(STOPPED).wait_for(timeout=PAGE_TIMEOUT_MS)
        copied = page.url
        assert "hotspot_coverage=3" in copied
        assert " " not in copied and "%20" not in copied.split("hotspot_area")[0]

        page.goto(f"{url}/hotspot_map?hotspot_coverage=7", timeout=PAGE_TIMEOUT_MS)
        page.locator(STOPPED).wait_for(timeout=PAGE_TIMEOUT_MS)
        page.goto(copied, timeout=PAGE_TIMEOUT_MS)
        flagged.wait_for(timeout=PAGE_TIMEOUT_MS)
        page.locator(STOPPED).wait_for(timeout=PAGE_TIMEOUT_MS)
        assert page.get_by_role("combobox", name="Forecast week").input_value() == second_label
        assert page.get_by_role("combobox", name="Allocation").input_value() == "By area crime"
        assert page.get_by_role("combobox", name="Watch").input_value() == "Night (23–07 h)"
        assert page.get_by_role("combobox", name="LAPD area").input_value() == area
        page.get_by_text("Patrol plan: Central, night").first.wait_for(timeout=PAGE_TIMEOUT_MS)
        page.get_by_text("a report, ").first.wait_for(timeout=PAGE_TIMEOUT_MS)
    finally:
        page.close()


BASEMAP_TILES = "**/*basemaps.cartocdn.com/**"


def _colours_drawn(png: bytes) -> dict[str, int]:
    """Pixels of a screenshot that are reddish (a risk class) and near-black (an outline or
    a label), counted to tell a drawn map from a blank one."""
    from PIL import Image

    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=int)
    r, g, b = pixels[..., 0], pixels[..., 1], pixels[..., 2]
    red = int(((r > 150) & (g < 120) & (b < 100)).sum())
    dark = int(((r < 60) & (g < 60) & (b < 60)).sum())
    return {"red": red, "dark": dark}


@pytest.mark.parametrize("tiles", ["loaded", "blocked"])
def test_the_map_is_above_the_fold_and_reads_with_or_without_tiles(
    app_url: tuple[str, str], browser, tiles: str
) -> None:
    """At 1440 x 900 the whole map shows without scrolling, with the LAPD areas outlined and
    named from the grid; with the tile hosts blocked it still draws them. Screenshots of the
    window as it opens, for a person to look at."""
    dataset, url = app_url
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    blocked: list[str] = []
    if tiles == "blocked":
        page.route(BASEMAP_TILES, lambda route: (blocked.append(route.request.url), route.abort()))
    try:
        page.goto(f"{url}/hotspot_map?hotspot_area=Central", timeout=PAGE_TIMEOUT_MS)
        deck = page.locator('[data-testid="stDeckGlJsonChart"]')
        deck.locator("canvas").first.wait_for(timeout=PAGE_TIMEOUT_MS)
        page.locator(STOPPED).wait_for(timeout=PAGE_TIMEOUT_MS)
        page.wait_for_timeout(2500)
        box = deck.bounding_box()
        assert box["height"] >= 650 and box["y"] >= 0
        if dataset == "real":  # the demo's synthetic-data banner takes a line more
            assert box["y"] + box["height"] <= 900, box
        controls = [
            page.get_by_role("combobox", name=n).bounding_box()
            for n in ("Forecast week", "LAPD area")
        ]
        assert abs(controls[0]["y"] - controls[1]["y"]) < 2 and controls[0]["y"] < box["y"]
        page.get_by_text("outlines and names are drawn from the grid").first.wait_for()
        drawn = _colours_drawn(deck.screenshot())
        # The risk classes (their red and yellow hues) and the outlines' near-black ink.
        assert drawn["red"] > 100 and drawn["dark"] > 100, drawn
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=SCREENSHOTS / f"{dataset}-hotspot_map-central-tiles-{tiles}.png")
        if tiles == "blocked":
            assert blocked, "no basemap tile was asked for"
            page.get_by_role("button", name="Layers").click()
            page.get_by_text("Basemap", exact=True).first.click()
            page.wait_for_url("**hotspot_basemap=false*", timeout=PAGE_TIMEOUT_MS)
            page.get_by_text("Basemap tiles are off").first.wait_for(timeout=PAGE_TIMEOUT_MS)
            page.keyboard.press("Escape")
            page.locator(STOPPED).wait_for(timeout=PAGE_TIMEOUT_MS)
            page.wait_for_timeout(2000)
            page.screenshot(path=SCREENSHOTS / f"{dataset}-hotspot_map-central-no-basemap.png")
    finally:
        page.close()


def test_an_hourly_link_opens_the_view_it_was_copied_from(
    app_url: tuple[str, str], browser
) -> None:
    _, url = app_url
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    headline = page.locator('[data-testid="stMetric"]', has_text="Expected crimes")
    toggle = page.get_by_role("switch", name="Leave out default times (12:00, 00:01)")
    try:
        page.goto(f"{url}/hourly_forecast?hourly_hour=7&hourly_weekday=Tuesday")
        headline.wait_for(timeout=PAGE_TIMEOUT_MS)
        page.locator(STOPPED).wait_for(timeout=PAGE_TIMEOUT_MS)
        assert "07:00–07:59" in headline.inner_text()
        page.get_by_text(re.compile(r"on a \w+ Tuesday")).first.wait_for(timeout=PAGE_TIMEOUT_MS)

        page.get_by_text("Leave out default times").first.click()
        page.wait_for_url("**hourly_exclude_default_times=true*", timeout=PAGE_TIMEOUT_MS)
        kept_curve = page.get_by_text("Dashed grey: the forecast with the 12:00 and 00:01")
        kept_curve.wait_for(timeout=PAGE_TIMEOUT_MS)
        page.locator(STOPPED).wait_for(timeout=PAGE_TIMEOUT_MS)
        assert "hourly_hour=7" in page.url and "hourly_weekday=Tuesday" in page.url
        shown, copied = headline.inner_text(), page.url

        page.goto(f"{url}/hourly_forecast?hourly_hour=20", timeout=PAGE_TIMEOUT_MS)
        page.locator(STOPPED).wait_for(timeout=PAGE_TIMEOUT_MS)
        assert "20:00–20:59" in headline.inner_text()
        page.goto(copied, timeout=PAGE_TIMEOUT_MS)
        headline.wait_for(timeout=PAGE_TIMEOUT_MS)
        page.locator(STOPPED).wait_for(timeout=PAGE_TIMEOUT_MS)
        kept_curve.wait_for(timeout=PAGE_TIMEOUT_MS)
        assert headline.inner_text() == shown
        assert toggle.is_checked()
    finally:
        page.close()


def _flagged_of(metric: str) -> tuple[int, int]:
    """The numbers in the map's "Flagged cells" metric, "N of M"."""
    shown, cells = re.search(r"([\d,]+) of ([\d,]+)", metric).groups()
    return int(shown.replace(",", "")), int(cells.replace(",", ""))
