"""A local stand-in for the LA open data portal, on 127.0.0.1, that misbehaves on request.

It serves what `lacrime fetch` uses and nothing else: `{base}/resource/{id}.csv|json` with
`$limit`, `$offset`, `$order=:id` and `$where` (comparisons of one field with a quoted value),
and the bulk export `{base}/api/views/{id}/rows.csv` (with Range requests). Faults queued in
`faults` answer the next requests to /resource/ in turn: "429" and "503" (with Retry-After),
"drop" (the connection closes halfway through the body), "html" (a maintenance page as 200).
An unknown id is a 404.
"""

import csv
import io
import json
import re
import threading
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pandas as pd

HTML = b"<!DOCTYPE html>\n<html><head><title>Down for maintenance</title></head></html>\n"
WHERE = re.compile(r"^\s*(\w+)\s*(>=|<=|>|<|=)\s*'([^']*)'\s*$")


class Portal(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.resources: dict[str, pd.DataFrame] = {}
        self.exports: dict[str, bytes] = {}
        self.faults: deque[str] = deque()
        self.retry_after = "0"
        self.seen: list[tuple[str, dict[str, str], dict[str, str]]] = []
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self.serve_forever, args=(0.05,), daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def requests_to(self, prefix: str) -> list[tuple[str, dict[str, str], dict[str, str]]]:
        """(path, query, headers) of each request whose path starts with `prefix`."""
        with self.lock:
            return [r for r in self.seen if r[0].startswith(prefix)]

    def publish(self, dataset_id: str, offences: pd.DataFrame) -> None:
        """Add offences to a dataset; one whose uniquenibrno is there already replaces it in its
        place (it keeps its :id), as the portal does when LAPD re-publishes an offence."""
        with self.lock:
            old = self.resources.get(dataset_id)
            if old is None:
                self.resources[dataset_id] = offences.reset_index(drop=True)
                return
            by_id = old.set_index("uniquenibrno", drop=False)
            replaced = offences[offences["uniquenibrno"].isin(by_id.index)]
            by_id.loc[replaced["uniquenibrno"]] = replaced.to_numpy()
            added = offences[~offences["uniquenibrno"].isin(by_id.index)]
            self.resources[dataset_id] = pd.concat([by_id, added], ignore_index=True)


class _Handler(BaseHTTPRequestHandler):
    server: Portal

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        with self.server.lock:
            self.server.seen.append((url.path, query, dict(self.headers)))
        export = re.fullmatch(r"/api/views/([\w-]+)/rows\.csv", url.path)
        resource = re.fullmatch(r"/resource/([\w-]+)\.(csv|json)", url.path)
        if export and export.group(1) in self.server.exports:
            self._send(self.server.exports[export.group(1)], ranges=True)
        elif resource and resource.group(1) in self.server.resources:
            self._resource(resource.group(1), resource.group(2), query)
        else:
            self.send_error(404)

    def _resource(self, dataset_id: str, form: str, query: dict[str, str]) -> None:
        with self.server.lock:
            fault = self.server.faults.popleft() if self.server.faults else None
            rows = self.server.resources[dataset_id]
        if fault in ("429", "503"):
            self.send_response(int(fault))
            self.send_header("Retry-After", self.server.retry_after)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if fault == "html":
            self._send(HTML, content_type="text/html; charset=utf-8")
            return
        if "$where" in query:
            field, op, value = WHERE.match(query["$where"]).groups()
            stamps = pd.to_datetime(rows[field], format="ISO8601")
            rows = rows[_compare(stamps, op, pd.Timestamp(value))]
        offset, limit = int(query.get("$offset", 0)), int(query.get("$limit", 1000))
        page = rows.iloc[offset : offset + limit]
        body = _json(page) if form == "json" else _csv(page, rows.columns)
        content = "application/json" if form == "json" else "text/csv; charset=utf-8"
        self._send(body, content_type=content, cut=len(body) // 2 if fault == "drop" else None)

    def _send(
        self,
        data: bytes,
        *,
        ranges: bool = False,
        cut: int | None = None,
        content_type: str = "text/csv; charset=utf-8",
    ) -> None:
        start = 0
        asked = self.headers.get("Range")
        if ranges and asked:
            start = int(asked.removeprefix("bytes=").rstrip("-"))
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data) - start))
        self.end_headers()
        self.wfile.write(data[start:cut])


def _compare(values: pd.Series, op: str, value: pd.Timestamp) -> pd.Series:
    return {
        ">=": values >= value,
        ">": values > value,
        "<=": values <= value,
        "<": values < value,
        "=": values == value,
    }[op]


def _csv(rows: pd.DataFrame, columns: pd.Index) -> bytes:
    """As the API writes CSV: every field quoted, a header even when there are no rows."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow(columns)
    for row in rows.itertuples(index=False):
        writer.writerow(["" if pd.isna(v) else v for v in row])
    return out.getvalue().encode()


def _json(rows: pd.DataFrame) -> bytes:
    """As the API writes JSON: an array of records, null fields left out."""
    records = [{k: v for k, v in r.items() if isinstance(v, str)} for r in rows.to_dict("records")]
    return json.dumps(records).encode()
