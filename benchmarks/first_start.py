"""Time from `make run`'s start (install finished) to a usable Overview, on a fresh machine.

    .venv/bin/python benchmarks/first_start.py [--repeat 1]

In an empty LACRIME_HOME it runs what `make run` runs after the install, `lacrime prepare`
in the background and `streamlit run app.py`, and at once opens the app in headless Chromium,
as a user who starts the app and opens the browser straight away. It reports when the
progress page was served, when the Overview (its "This week" heading) was on screen, when the
trained models' version appeared on it (the forecast pages open from then on), and when
`lacrime prepare` ended. Target (issue 12): the Overview within 60 s.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from app import free_port

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
LIMIT_S = 300


def first_start(home: Path) -> dict[str, float]:
    """Seconds from the start to the progress page, the Overview and the end of prepare."""
    from playwright.sync_api import sync_playwright

    env = {**os.environ, "LACRIME_HOME": str(home)}
    port = free_port()
    started = time.monotonic()
    prepare = subprocess.Popen(
        [sys.executable, "-m", "lacrime", "prepare"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py")]
        + ["--server.port", str(port), "--server.headless", "true"]
        + ["--browser.gatherUsageStats", "false"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    times: dict[str, float] = {}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM,
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
            page = browser.new_page(viewport={"width": 1440, "height": 900})
            while True:
                try:
                    page.goto(f"http://127.0.0.1:{port}/", timeout=5_000)
                    break
                except Exception:  # the server is not listening yet
                    time.sleep(0.2)
            page.locator("h1").first.wait_for(timeout=LIMIT_S * 1000)
            times["first page served"] = time.monotonic() - started
            page.get_by_text("This week:").first.wait_for(timeout=LIMIT_S * 1000)
            times["Overview on screen"] = time.monotonic() - started
            page.get_by_text("Model version").first.wait_for(timeout=LIMIT_S * 1000)
            times["models ready on the page"] = time.monotonic() - started
            browser.close()
        prepare.wait(timeout=LIMIT_S)
        times["lacrime prepare ended"] = time.monotonic() - started
    finally:
        for process in (server, prepare):
            if process.poll() is None:
                os.killpg(process.pid, 15)
                process.wait()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    for run in range(args.repeat):
        with tempfile.TemporaryDirectory(prefix="lacrime-first-start-") as home:
            times = first_start(Path(home))
        print(f"run {run + 1}: " + ", ".join(f"{k} {v:.1f} s" for k, v in times.items()))


if __name__ == "__main__":
    main()
