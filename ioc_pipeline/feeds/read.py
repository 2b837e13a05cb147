"""A declared feed's records: fetched over HTTP or read from its file-drop folder, as dicts.

- HTTP (`source.url`): one GET, retried like every source (`sources/http.py`); when the declaration
  names `window_params`, the run's window `[start, end)` is passed as those query parameters (ISO 8601,
  Vietnam time). A reply other than 2xx, or JSON that is not the declared shape, fails the batch.
- File drop (`source.file_drop`, a glob): every matching file, in name order. A file dropped again
  brings nothing new: the loader keeps a version of a record once.
- JSON: a list of records, or an object whose `records_field` holds that list. CSV: a header row,
  one record per line (UTF-8, with or without BOM); an empty cell is null (CSV cannot say null).

`${VAR}` in a url or file_drop is read from the environment here, at run time.
"""

from __future__ import annotations

import csv
import glob
import io
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from ioc_pipeline.config import VN
from ioc_pipeline.feeds.spec import SectorFeed, expand
from ioc_pipeline.sources.http import RetryPolicy, SourceError


def parse_records(feed: SectorFeed, text: str, where: str) -> list:
    """The records of one reply or file, in the feed's declared format."""
    if feed.format == "csv":
        reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
        if not reader.fieldnames:
            return []
        return [{k: (v if v != "" else None) for k, v in row.items() if k is not None} for row in reader]
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SourceError(f"{where}: not JSON: {exc}") from None
    field = feed.source.records_field
    if field is not None:
        if not isinstance(data, dict) or field not in data:
            raise SourceError(f"{where}: the reply has no field {field!r} holding the records")
        data = data[field]
    if not isinstance(data, list):
        raise SourceError(f"{where}: expected a list of records, got {type(data).__name__}")
    return data


def drop_files(feed: SectorFeed) -> list[Path]:
    return sorted(Path(p) for p in glob.glob(expand(feed.source.file_drop)) if Path(p).is_file())


def feed_records(feed: SectorFeed, start: datetime | None = None, end: datetime | None = None,
                 policy: RetryPolicy | None = None) -> Iterator:
    """Every record the feed delivers for the window (a file drop ignores the window)."""
    if feed.source.kind == "file_drop":
        for path in drop_files(feed):
            yield from parse_records(feed, path.read_text(encoding="utf-8"), str(path))
        return
    import requests

    from ioc_pipeline.sources.http import send

    url = expand(feed.source.url)
    params = {}
    window = feed.source.window_params
    if window is not None and start is not None and end is not None:
        params = {window.start: start.astimezone(VN).isoformat(), window.end: end.astimezone(VN).isoformat()}
    with requests.Session() as session:
        response = send(session, "GET", url, policy or RetryPolicy(), params=params)
    if not 200 <= response.status_code < 300:
        raise SourceError(f"HTTP {response.status_code} from {response.url}")
    response.encoding = response.encoding or "utf-8"
    yield from parse_records(feed, response.text, response.url)
