"""An incremental `lacrime fetch` of one fortnight of NIBRS offences from a local portal, next
to a bare download of the same API pages.

    .venv/bin/python benchmarks/fetch.py [--held N] [--new N] [--legacy N] [--repeat 3]

The local server (tests/portal_server.py) serves `--legacy` legacy reports as the bulk export
and `--held` NIBRS offences over 2024; a first fetch (not timed) brings them in. The portal then
publishes `--new` offences reported in the first fortnight of 2025, and each run times, from
the same starting state:

- bare: `requests.get` of the pages the fetch asks for (same queries, 50,000 rows a page),
  the floor for the transfer itself;
- fetch: `sync.fetch_sources`, which pages the API (the fortnight and the 30-day overlap),
  validates each page and merges the offences into a staged copy of the file held;
- fetch + ingest: all of `lacrime fetch`, which also re-reads, cleans and stitches the whole
  history and installs it.

Target (issue 11): the incremental fetch of a fortnight under 10 s.
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from portal_server import Portal  # noqa: E402

from lacrime.data import sync  # noqa: E402
from lacrime.data.demo import generate_table, write_demo_csv  # noqa: E402
from lacrime.data.demo_nibrs import SECOND_OFFENCE_SHARE, to_nibrs  # noqa: E402
from lacrime.paths import data_dir  # noqa: E402

LEGACY_ID, NIBRS_ID = "2nrs-mtv8", "y8y3-fqfu"


def offences(rows: int, seed: int, start: str, days: int, first_number: int) -> pd.DataFrame:
    reports = round(rows / (1 + SECOND_OFFENCE_SHARE))
    table = generate_table(reports, seed, start, days, first_number=first_number)
    return to_nibrs(table, seed=seed).to_pandas()


def bare(portal: sync.Portal, queries: list[dict]) -> None:
    with requests.Session() as session:
        for query in queries:
            session.get(portal.resource_url(NIBRS_ID), params=query, timeout=60).content  # noqa: B018


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--held", type=int, default=500_000)
    parser.add_argument("--new", type=int, default=20_000)
    parser.add_argument("--legacy", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["LACRIME_HOME"] = tmp
        server = Portal()
        server.thread.start()
        export = write_demo_csv(Path(tmp) / "legacy.csv", rows=args.legacy, seed=1, days=4 * 365)
        server.exports[LEGACY_ID] = export.read_bytes()
        server.resources[NIBRS_ID] = offences(args.held, 2, "2024-01-01", 366, 800_000_001)
        (Path(tmp) / "portal.toml").write_text(
            f'base_url = "{server.base}"\n[legacy]\nid = "{LEGACY_ID}"\n'
            f'[[nibrs]]\nid = "{NIBRS_ID}"\n'
        )
        portal = sync.load_portal()
        started = time.perf_counter()
        sync.fetch_and_install(portal)
        print(
            f"first fetch of {args.legacy:,} legacy reports and {args.held:,} offences: "
            f"{time.perf_counter() - started:.1f} s (not timed below)"
        )
        fortnight = offences(args.new, 3, "2025-01-01", 14, 890_000_001)
        server.publish(NIBRS_ID, fortnight)
        state = Path(tmp) / "state"
        shutil.copytree(data_dir(), state, symlinks=True)
        before = len(server.requests_to("/resource/"))
        sync.fetch_sources(portal)  # records the queries a fetch makes, for the bare download
        queries = [q for _, q, _ in server.requests_to("/resource/")[before:]]
        times: dict[str, list[float]] = {"bare": [], "fetch": [], "fetch + ingest": []}
        for _ in range(args.repeat):
            for name, run in (
                ("bare", lambda: bare(portal, queries)),
                ("fetch", lambda: sync.fetch_sources(portal)),
                ("fetch + ingest", lambda: sync.fetch_and_install(portal)),
            ):
                shutil.rmtree(data_dir())
                shutil.copytree(state, data_dir(), symlinks=True)
                started = time.perf_counter()
                run()
                times[name].append(time.perf_counter() - started)
        server.shutdown()
    print(
        f"\nincremental fetch: {len(fortnight):,} new offences, in {len(queries)} page "
        "request(s) of the fortnight and the 30-day overlap before it"
    )
    print(f"{'step':<16} {'median s':>9} {'min s':>7}")
    for name, seconds in times.items():
        print(f"{name:<16} {statistics.median(seconds):>9.2f} {min(seconds):>7.2f}")
    print("target: fetch < 10 s")


if __name__ == "__main__":
    main()
