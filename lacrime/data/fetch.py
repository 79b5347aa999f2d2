"""Transfers from the city's open data portal: a whole export file, and pages of its API.

An export is about 250 MB, so a dropped connection must not cost the whole transfer: bytes go
to `<dest>.part`, which survives a failed call and is resumed with an HTTP Range request by the
next attempt or the next call. Only a complete transfer is renamed onto `dest`, so an earlier
good copy there is never replaced by a broken one. An API page (`get_page`) is small and
fetched again whole when its transfer fails. Both honour the portal's throttling: a 429 or 503
answer's `Retry-After` is waited out (up to `max_wait` seconds) before the next attempt.
"""

import email.utils
import os
import sys
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path

import requests
from tqdm import tqdm
from urllib3.exceptions import NewConnectionError, ReadTimeoutError

from lacrime.errors import LacrimeError, first_line
from lacrime.paths import data_dir

# Statuses that say "try again later" rather than "this will never work".
RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


def download_path() -> Path:
    """Where a file fetched by its address (`lacrime fetch --url`) is kept, so that a second
    call resumes the first one's partial and a re-ingest finds the file the dataset came from."""
    return data_dir() / "downloads" / "lapd_crime.csv"


class _Transient(Exception):
    """A failure worth another attempt (the partial file is kept), with the server's wait."""

    def __init__(self, message: str, wait: float | None = None) -> None:
        super().__init__(message)
        self.wait = wait


def retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds a `Retry-After` header asks to wait: a number, or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max((when - (now or datetime.now(UTC))).total_seconds(), 0.0)


def _pause(attempt: int, backoff: float, wait: float | None, max_wait: float) -> None:
    """Before attempt `attempt` (from 1): the server's wait if it gave one, else `backoff`
    seconds times the attempt number; never more than `max_wait`."""
    time.sleep(min(wait if wait is not None else backoff * attempt, max_wait))


class _Rejected(Exception):
    """Content that is not the export; the partial file is useless and removed."""


def download(
    url: str,
    dest: Path,
    *,
    timeout: float = 30.0,
    retries: int = 3,
    backoff: float = 1.0,
    max_bytes: int = 2_000_000_000,
    progress: bool = True,
    chunk_size: int = 1 << 20,
    headers: Mapping[str, str] | None = None,
    max_wait: float = 120.0,
    on_bytes: Callable[[int], None] | None = None,
) -> Path:
    """Stream `url` to `dest` and return `dest`.

    `timeout` bounds the connection and every wait for data, so a stalled server fails instead
    of hanging. Dropped connections, timeouts, throttling and 5xx answers are retried `retries`
    times, as long as the server's Retry-After says or `backoff` seconds times the attempt
    number apart. `headers` go with every request (an app token); `on_bytes` is told the bytes
    received so far as they arrive. On failure `LacrimeError` is raised and
    `<dest>.part` is kept so that the next call resumes where this one stopped, unless the
    content was rejected (an HTML page, or more than `max_bytes`), in which case it is removed.
    A partial is resumed without checking that the export is still the same version: the
    portal regenerates it, so delete a partial that is days old rather than resume it.
    """
    dest = Path(dest)
    part = dest.with_suffix(dest.suffix + ".part")
    dest.parent.mkdir(parents=True, exist_ok=True)
    problem, wait = "", None
    with requests.Session() as session:
        session.headers.update(headers or {})
        for attempt in range(retries + 1):
            if attempt:
                _pause(attempt, backoff, wait, max_wait)
            wait = None
            try:
                _fetch_once(session, url, part, timeout, max_bytes, progress, chunk_size, on_bytes)
            except _Transient as exc:
                problem, wait = str(exc), exc.wait
                continue
            except (
                requests.ConnectionError,
                requests.Timeout,
                requests.exceptions.ChunkedEncodingError,
            ) as exc:
                problem = _describe(exc, timeout)
                continue
            except requests.RequestException as exc:
                raise LacrimeError(f"download of {url} failed: {first_line(exc)}") from exc
            except _Rejected as exc:
                part.unlink(missing_ok=True)
                raise LacrimeError(f"download of {url} rejected: {exc}") from exc
            except OSError as exc:
                raise LacrimeError(f"download of {url} failed writing {part}: {exc}") from exc
            os.replace(part, dest)
            return dest
    attempts = f"{retries + 1} attempt" + ("s" if retries else "")
    kept = f"; {part} is kept and the next run resumes from it" if part.exists() else ""
    raise LacrimeError(f"download of {url} failed after {attempts}: {problem}{kept}")


def _fetch_once(
    session: requests.Session,
    url: str,
    part: Path,
    timeout: float,
    max_bytes: int,
    progress: bool,
    chunk_size: int,
    on_bytes: Callable[[int], None] | None = None,
) -> None:
    """One request, resuming `part` if it holds bytes.

    A resumed request asks for the unencoded body, because Range offsets count bytes of the
    representation sent, and the partial holds decoded bytes. A server that ignores Range
    answers 200 with the whole body, which then overwrites the partial. One function, as the
    checks follow the response in the order its parts arrive: status, headers, then body.
    """
    offset = part.stat().st_size if part.exists() else 0
    headers = {"Range": f"bytes={offset}-", "Accept-Encoding": "identity"} if offset else {}
    with session.get(url, headers=headers, stream=True, timeout=timeout) as response:
        status = f"HTTP {response.status_code} {response.reason}"
        if response.status_code in RETRYABLE_STATUSES:
            raise _Transient(status, retry_after(response.headers.get("Retry-After")))
        if response.status_code == 416:
            part.unlink()
            raise _Transient(f"{status}: the partial download is stale, starting over")
        if not response.ok:
            raise LacrimeError(f"download of {url} failed: {status}")
        encoded = response.headers.get("Content-Encoding", "identity").lower() != "identity"
        if response.status_code == 206:
            start = response.headers.get("Content-Range", "").removeprefix("bytes ").split("-")[0]
            if start != str(offset) or encoded:
                part.unlink()
                raise _Transient("the server resumed at the wrong offset, starting over")
        else:
            offset = 0
        content_type = response.headers.get("Content-Type", "")
        if content_type.lower().startswith("text/html"):
            raise _Rejected(f"the server returned an HTML page instead of CSV ({content_type})")
        length = response.headers.get("Content-Length")
        expected = offset + int(length) if length and length.isdigit() else None
        if expected is not None and expected > max_bytes:
            raise _Rejected(f"the file is {expected:,} bytes, over the limit of {max_bytes:,}")
        size = offset
        with (
            part.open("ab" if offset else "wb") as out,
            tqdm(
                total=None if encoded else expected,
                initial=offset,
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
                desc=part.name.removesuffix(".part"),
                file=sys.stderr,
                disable=not progress,
            ) as bar,
        ):
            for chunk in response.iter_content(chunk_size):
                if size == 0 and _looks_like_html(chunk):
                    raise _Rejected("the server returned an HTML page instead of CSV")
                size += len(chunk)
                if size > max_bytes:
                    raise _Rejected(f"the file grew over the limit of {max_bytes:,} bytes")
                out.write(chunk)
                bar.update(len(chunk))
                if on_bytes is not None:
                    on_bytes(size)
        # urllib3 2 raises on a short body itself; urllib3 1.26, which requests accepts, does not.
        if expected is not None and not encoded and size != expected:
            raise _Transient(f"the connection closed after {size:,} of {expected:,} bytes")


def get_page(
    session: requests.Session,
    url: str,
    params: Mapping[str, str | int],
    *,
    timeout: float = 60.0,
    retries: int = 5,
    backoff: float = 1.0,
    max_wait: float = 120.0,
    max_bytes: int = 500_000_000,
) -> bytes:
    """The body of one API request (a page of rows), retried whole when it fails on the way:
    throttling and 5xx answers, a dropped or stalled connection, a short body. An answer that
    will not get better (404 for an unknown dataset, an HTML page) is refused at once."""
    problem, wait = "", None
    for attempt in range(retries + 1):
        if attempt:
            _pause(attempt, backoff, wait, max_wait)
        wait = None
        try:
            return _page_once(session, url, params, timeout, max_bytes)
        except _Transient as exc:
            problem, wait = str(exc), exc.wait
        except (
            requests.ConnectionError,
            requests.Timeout,
            requests.exceptions.ChunkedEncodingError,
        ) as exc:
            problem = _describe(exc, timeout)
        except _Rejected as exc:
            raise LacrimeError(f"{url} rejected: {exc}") from None
        except requests.RequestException as exc:
            raise LacrimeError(f"request to {url} failed: {first_line(exc)}") from None
    attempts = f"{retries + 1} attempt" + ("s" if retries else "")
    raise LacrimeError(f"request to {url} failed after {attempts}: {problem}")


def _page_once(
    session: requests.Session,
    url: str,
    params: Mapping[str, str | int],
    timeout: float,
    max_bytes: int,
) -> bytes:
    with session.get(url, params=params, stream=True, timeout=timeout) as response:
        status = f"HTTP {response.status_code} {response.reason}"
        if response.status_code in RETRYABLE_STATUSES:
            raise _Transient(status, retry_after(response.headers.get("Retry-After")))
        if response.status_code == 404:
            raise _Rejected(f"{status}: no such dataset there")
        if not response.ok:
            raise _Rejected(status)
        if response.headers.get("Content-Type", "").lower().startswith("text/html"):
            raise _Rejected("the server returned an HTML page instead of data")
        body = bytearray()
        for chunk in response.iter_content(1 << 20):
            body += chunk
            if len(body) > max_bytes:
                raise _Rejected(f"the answer grew over the limit of {max_bytes:,} bytes")
        length = response.headers.get("Content-Length")
        encoded = response.headers.get("Content-Encoding", "identity").lower() != "identity"
        if length and length.isdigit() and not encoded and len(body) != int(length):
            raise _Transient(f"the connection closed after {len(body):,} of {int(length):,} bytes")
    if _looks_like_html(bytes(body[:64])):
        raise _Rejected("the server returned an HTML page instead of data")
    return bytes(body)


def _looks_like_html(head: bytes) -> bool:
    """Portals answer an expired or wrong link with an HTML page, often labelled as a file."""
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:16].lower()
    return start.startswith((b"<!doctype", b"<html"))


def _describe(exc: requests.RequestException, timeout: float) -> str:
    """Dig the cause out of requests' wrappers, whose own text is a paragraph of pool internals.

    A timeout while streaming arrives as a ConnectionError wrapping urllib3's ReadTimeoutError,
    a refused or unresolvable host as one wrapping MaxRetryError(reason=NewConnectionError).
    """
    cause = exc.args[0] if exc.args else None
    if isinstance(exc, requests.Timeout) or isinstance(cause, ReadTimeoutError):
        return f"timed out (no data within the {timeout:g} s timeout)"
    reason = getattr(cause, "reason", None)
    if isinstance(reason, NewConnectionError):
        return f"could not connect ({str(reason).rsplit(': ', 1)[-1]})"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return "the connection dropped mid-transfer"
    return first_line(exc)
