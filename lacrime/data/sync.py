"""Keeping the portal's data current: the frozen legacy archive once, then the NIBRS offenses
incrementally, each kept under `data/downloads/` and ingested together.

The legacy archive is the portal's bulk export, fetched once (resumable, see `fetch.download`).
Each NIBRS dataset is kept as a Parquet file of its offences (the fields the reader takes, as
text: the flags are never kept). A fetch asks the API for what was reported since the latest
offence held, less an overlap of `overlap_days` for late edits, page by page in a stable order
(`$order=:id`); an offence fetched again replaces the one held, by `uniquenibrno`. Pages are
saved as they arrive, so a failed fetch resumes at the page it stopped at. The new offences
are merged into a staged copy of the file, which replaces the old one only once the whole
dataset has been validated and cleaned (`commit_staged`), so a failure changes nothing in use.
"""

import json
import os
import shutil
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import requests

from lacrime.data.dataset import has_dataset, prepare, read_manifest, store
from lacrime.data.fetch import download, get_page
from lacrime.data.sources import legacy, nibrs
from lacrime.data.sources.formats import open_file
from lacrime.errors import LacrimeError, first_line
from lacrime.files import atomic_write, sha256_of
from lacrime.paths import data_dir, home, secrets_file

DEFAULT_FILE = Path(__file__).with_name("portal.toml")
TOKEN_ENV = "LACRIME_SOCRATA_APP_TOKEN"
TOKEN_KEY = "socrata_app_token"
Progress = Callable[[str], None]


@dataclass(frozen=True)
class Portal:
    """The portal's address, its datasets and how to page through them (`portal.toml`)."""

    base_url: str
    legacy_id: str
    nibrs_ids: tuple[str, ...]
    page_rows: int = 50_000
    api_format: str = "csv"
    overlap_days: int = 30
    retries: int = 5
    backoff_s: float = 1.0
    max_wait_s: float = 120.0
    max_bytes: int = 4_000_000_000
    app_token: str | None = field(default=None, repr=False)

    def legacy_url(self) -> str:
        return f"{self.base_url}/api/views/{self.legacy_id}/rows.csv?accessType=DOWNLOAD"

    def resource_url(self, dataset_id: str) -> str:
        return f"{self.base_url}/resource/{dataset_id}.{self.api_format}"

    def headers(self) -> dict[str, str]:
        return {"X-App-Token": self.app_token} if self.app_token else {}

    @property
    def label(self) -> str:
        """How a dataset fetched from here names its source."""
        return f"{self.base_url}: legacy {self.legacy_id}, NIBRS {', '.join(self.nibrs_ids)}"


def load_portal(base_url: str | None = None) -> Portal:
    """The portal of `portal.toml` under LACRIME_HOME if there is one, else the shipped one,
    at `base_url` if given; the app token from LACRIME_SOCRATA_APP_TOKEN or the secrets file."""
    path = home() / "portal.toml"
    path = path if path.is_file() else DEFAULT_FILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        portal = Portal(
            base_url=(base_url or data["base_url"]).rstrip("/"),
            legacy_id=data["legacy"]["id"],
            nibrs_ids=tuple(d["id"] for d in data["nibrs"]),
            **{k: data[k] for k in ("page_rows", "api_format", "overlap_days") if k in data},
            **{
                k: data[k] for k in ("retries", "backoff_s", "max_wait_s", "max_bytes") if k in data
            },
            app_token=app_token(),
        )
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError) as exc:
        raise LacrimeError(f"{path}: not a valid portal file ({first_line(exc)})") from None
    if portal.api_format not in ("csv", "json") or portal.page_rows < 1:
        raise LacrimeError(f"{path}: api_format must be csv or json, page_rows positive")
    return portal


def app_token() -> str | None:
    """The portal app token (it raises the API's rate limits): the environment first."""
    token = os.environ.get(TOKEN_ENV, "").strip()
    if token:
        return token
    try:
        value = tomllib.loads(secrets_file().read_text(encoding="utf-8")).get(TOKEN_KEY)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    return value.strip() if isinstance(value, str) and value.strip() else None


def downloads() -> Path:
    return data_dir() / "downloads"


def legacy_path(portal: Portal) -> Path:
    return downloads() / f"legacy-{portal.legacy_id}.csv"


def store_path(dataset_id: str) -> Path:
    return downloads() / f"nibrs-{dataset_id}.parquet"


@dataclass
class Fetched:
    """What a fetch brought: the files to ingest (NIBRS ones staged), and how much is new."""

    sources: list[Path]
    staged: dict[str, str]  # staged file -> the file it replaces on commit
    added: int = 0
    updated: int = 0
    legacy_downloaded: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.legacy_downloaded)

    def final_paths(self) -> list[Path]:
        return [Path(self.staged.get(str(p), str(p))) for p in self.sources]


def commit_staged(staged: dict[str, str]) -> None:
    """Put staged NIBRS files in place of the ones they replace, and drop their saved pages."""
    for new, old in staged.items():
        os.replace(new, old)
        shutil.rmtree(_pages_dir(Path(old)), ignore_errors=True)


def discard_staged(staged: dict[str, str]) -> None:
    for new in staged:
        Path(new).unlink(missing_ok=True)


def fetch_sources(portal: Portal, progress: Progress = lambda _: None) -> Fetched:
    """The legacy archive (downloaded if not held yet) and each NIBRS dataset brought up to
    date, staged; nothing in use changes until `commit_staged`."""
    downloads().mkdir(parents=True, exist_ok=True)
    archive, fetched = legacy_path(portal), Fetched(sources=[], staged={})
    if not archive.is_file():
        progress(f"Downloading the legacy archive {portal.legacy_id} (once: it is frozen)")
        download(
            portal.legacy_url(),
            archive,
            retries=portal.retries,
            backoff=portal.backoff_s,
            max_wait=portal.max_wait_s,
            max_bytes=portal.max_bytes,
            headers=portal.headers(),
            progress=False,
            on_bytes=lambda n: progress(f"Legacy archive: {n / 2**20:,.0f} MB so far"),
        )
        _check_legacy(archive, portal)
        fetched.legacy_downloaded = True
    fetched.sources.append(archive)
    with requests.Session() as session:
        session.headers.update(portal.headers())
        for dataset_id in portal.nibrs_ids:
            path, added, updated = _bring_up_to_date(session, portal, dataset_id, progress)
            fetched.added += added
            fetched.updated += updated
            if path is not None:
                fetched.sources.append(path)
                if path != store_path(dataset_id):
                    fetched.staged[str(path)] = str(store_path(dataset_id))
    return fetched


def up_to_date(fetched: Fetched) -> bool:
    """Whether the dataset in use was made from exactly the files a fetch holds now: nothing
    new came, and the files are the very ones it was built from (not files a fetch committed
    whose dataset was then never installed, by a killed fetch or a refresh that kept the
    version in use)."""
    if fetched.changed or not has_dataset():
        return False
    held = [s.get("sha256") for s in read_manifest().get("sources", [])]
    # By content, not path: a home restored from a backup elsewhere is still up to date.
    return held == [sha256_of(p) for p in fetched.final_paths()]


def fetch_and_install(portal: Portal, progress: Progress = lambda _: None) -> dict | None:
    """Fetch (`fetch_sources`), then validate, clean and stitch everything held and install it
    as the current dataset; the manifest, or None when nothing is new since the dataset in use
    was fetched. A failure at any step leaves the dataset in use and the files held as they
    were (pages already fetched are kept, for the next fetch to resume from)."""
    fetched = fetch_sources(portal, progress)
    final = [str(p.resolve()) for p in fetched.final_paths()]
    if up_to_date(fetched):
        progress("Nothing new on the portal since the dataset in use was fetched")
        return None
    progress("Validating, cleaning and stitching the legacy and NIBRS reports")
    try:
        frame, manifest = prepare(fetched.sources, label=portal.label)
    except BaseException:
        discard_staged(fetched.staged)
        raise
    for entry, path in zip(manifest["sources"], final, strict=True):
        entry["path"] = path
    commit_staged(fetched.staged)
    return store(frame, manifest)


def _check_legacy(archive: Path, portal: Portal) -> None:
    """A downloaded archive that is not the legacy data is removed, not kept to fail again."""
    missing = legacy.LAYOUT.missing(open_file(archive))
    if missing:
        archive.unlink()
        raise LacrimeError(
            f"{portal.legacy_url()}: not the legacy crime data (no {', '.join(missing)}); "
            "check the legacy id in portal.toml"
        )


def _bring_up_to_date(
    session: requests.Session, portal: Portal, dataset_id: str, progress: Progress
) -> tuple[Path | None, int, int]:
    """(the dataset's file to ingest, offences added, offences changed): the store itself when
    nothing changed, a staged copy otherwise, None when the dataset has no offence at all."""
    store = store_path(dataset_id)
    held = pd.read_parquet(store) if store.is_file() else None
    where = None
    if held is not None and len(held):
        latest = pd.to_datetime(held["date_rptd"], format="ISO8601").max()
        since = (latest - pd.Timedelta(days=portal.overlap_days)).strftime("%Y-%m-%dT%H:%M:%S")
        where = f"date_rptd >= '{since}'"
    new = _pages(session, portal, dataset_id, where, progress)
    if held is None and new.empty:
        return None, 0, 0
    new = new.drop_duplicates("uniquenibrno", keep="last")
    added, updated = _changes(held, new)
    if not (added or updated):
        return store, 0, 0
    if held is None:
        merged = new
    else:  # the offences held that were not fetched again, then those fetched
        again = pc.is_in(_ids(held), value_set=_ids(new)).to_numpy(zero_copy_only=False)
        merged = pd.concat([held[~again], new], ignore_index=True)
    staged = store.with_name(store.name + ".new")
    merged.to_parquet(staged, index=False)
    progress(f"NIBRS {dataset_id}: {added:,} new and {updated:,} changed offences")
    return staged, added, updated


def _ids(frame: pd.DataFrame) -> pa.Array:
    return pa.array(frame["uniquenibrno"].to_numpy(dtype=object), type=pa.string())


def _changes(held: pd.DataFrame | None, new: pd.DataFrame) -> tuple[int, int]:
    """How many fetched offences (one row each) are new, and how many differ from the one held.

    Matched with Arrow: pandas' isin on a column of Arrow strings goes through Python objects,
    seconds for the half million offences of a year.
    """
    if held is None:
        return len(new), 0
    position = pc.index_in(_ids(new), value_set=_ids(held)).to_numpy(zero_copy_only=False)
    found = ~np.isnan(position.astype("float64"))
    if not found.any():
        return int((~found).sum()), 0
    columns = new.columns.intersection(held.columns)
    before = held.iloc[position[found].astype("int64")][columns].fillna("").to_numpy()
    after = new.loc[found, columns].fillna("").to_numpy()
    return int((~found).sum()), int((before != after).any(axis=1).sum())


def _pages(
    session: requests.Session, portal: Portal, dataset_id: str, where: str | None, progress
) -> pd.DataFrame:
    """Every offence the query selects, page by page; pages already saved by an earlier,
    failed fetch of the same query are read back instead of asked for again."""
    folder = _pages_dir(store_path(dataset_id))
    query = {"where": where, "page_rows": portal.page_rows, "format": portal.api_format}
    recorded = folder / "query.json"
    if not recorded.is_file() or json.loads(recorded.read_text()) != query:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        atomic_write(recorded, json.dumps(query).encode())
    url, frames, total, size = portal.resource_url(dataset_id), [], 0, 0
    for number in range(10**6):
        page = folder / f"page-{number:05d}.{portal.api_format}"
        if not page.is_file():
            params = {"$limit": portal.page_rows, "$offset": number * portal.page_rows}
            params |= {"$order": ":id", **({"$where": where} if where else {})}
            body = get_page(
                session,
                url,
                params,
                retries=portal.retries,
                backoff=portal.backoff_s,
                max_wait=portal.max_wait_s,
                max_bytes=portal.max_bytes,
            )
            atomic_write(page, body)
        size += page.stat().st_size
        if size > portal.max_bytes:
            raise LacrimeError(f"{url}: over the limit of {portal.max_bytes:,} bytes; stopped")
        rows = _offences_of(page, url)
        frames.append(rows)
        total += len(rows)
        progress(f"NIBRS {dataset_id}: page {number + 1}, {total:,} offences")
        if len(rows) < portal.page_rows:
            break
    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else _no_offences()


def _offences_of(page: Path, url: str) -> pd.DataFrame:
    """A page's offences: the NIBRS reader's fields, as text (a page of no rows: none)."""
    if page.stat().st_size == 0:
        return _no_offences()
    try:
        opened = open_file(page)
    except LacrimeError as exc:
        page.unlink()
        raise LacrimeError(str(exc).replace(str(page), url)) from None
    found = nibrs.LAYOUT.found(opened)
    table = opened.read({name: f for f, name in found.items()})
    missing = nibrs.LAYOUT.missing(opened)
    if missing and (table.num_rows or opened.header):
        page.unlink()
        raise LacrimeError(
            f"{url}: the answer lacks the NIBRS field(s) {', '.join(missing)}; check the "
            "dataset ids in portal.toml"
        )
    return table.to_pandas() if table.num_rows else _no_offences()


def _no_offences() -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(dtype="str") for name in ("uniquenibrno", "date_rptd")})


def _pages_dir(store: Path) -> Path:
    return store.with_name(store.stem + ".pages")
