"""Client of the one-stop-shop dossier API (`docs/contracts/sources.md` §1).

It walks every page of `[updated_from, updated_to)` and yields the records as they come. It does not
deduplicate: a record can appear on two pages, and the raw loader stores each distinct version once.

Why the pages are read from the last to the first. The API pages by offset over the order
(NgayCapNhat, MaHoSo), and a dossier that changes during the read leaves its place for the end of
the order (its NgayCapNhat becomes "now"). Read forwards, every record behind it moves one place up,
so the record at the next page boundary is skipped — an *unchanged* dossier, in the middle of the
interval, which the next overlapping interval never sees again (found by
tests/tasks/test_extraction_faults.py: 8 of 440 dossiers lost for good with 8 changes). Read backwards,
records only ever move up into pages not read yet: an unchanged record can be seen twice (stored
once), never skipped; only the changed dossier itself can be missed in this pass, and its new version
(NgayCapNhat = now, after this interval's end) is in the next interval, which reaches back by the
overlap margin. The first reply of page 1 only gives `total`: page 1 is read again last (one extra
request per interval of more than one page; a one-page interval is still one request).

Prefetching (`prefetch`, on by default). The pages after the first are fetched by a background
thread, at most `PREFETCH_PAGES` decoded pages queued ahead (and one more fetched, waiting for
room), while the caller (the raw loader) works on the records
already received: the HTTP round trip, the source's encoding of the next page and the decoding of
its JSON overlap the loader's hashing, validation and COPY instead of following them. The pages are
requested in exactly the order above (page 1, then the last page down to page 1), one at a time, so
what the source sees is unchanged; the records are yielded in that same order. A page that fails
after its retries ends the thread and its error is raised to the caller at that point of the stream,
after the records of the pages before it; when the caller stops early (the loader failed, or closed
the iterator) the thread is told to stop and joined, so no request is made after that but the one
already under way (the join waits for it: up to the policy's read timeout if the source hangs).
"""

from __future__ import annotations

import logging
import math
import queue
import threading
from collections.abc import Iterator
from datetime import datetime

import orjson
import requests

from ioc_pipeline.sources.formats import to_iso_vn
from ioc_pipeline.sources.http import HttpEndpoint, RetryPolicy, SourceError, send

log = logging.getLogger(__name__)

MAX_PAGE_SIZE = 1000
# Pages fetched ahead of the one being read (about 1 MB of JSON, a few MB decoded, each at page_size 1000).
PREFETCH_PAGES = 2
_PAGE, _FAILED, _DONE = "page", "failed", "done"


class OneStopShopClient:
    def __init__(self, endpoint: HttpEndpoint, page_size: int = 500, policy: RetryPolicy | None = None,
                 prefetch: bool = True):
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be within 1..{MAX_PAGE_SIZE}")
        self.endpoint = endpoint
        self.page_size = page_size
        self.policy = policy or RetryPolicy()
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {endpoint.password or ''}"
        self.pages_read = 0
        self.prefetch = prefetch
        self.prefetch_thread: threading.Thread | None = None  # the last one started (tests join it)

    def dossiers(self, updated_from: datetime, updated_to: datetime) -> Iterator[object]:
        """Every record changed in `[updated_from, updated_to)`, the last page first (see the module doc)."""
        body = self._page(updated_from, updated_to, 1)
        items = self._items(body, 1)
        total = int(body.get("total") or 0)
        last_page = max(1, math.ceil(total / self.page_size))
        if last_page == 1:
            yield from items
            return
        pages = range(last_page, 0, -1)
        if not self.prefetch:
            for page in pages:
                yield from self._items(self._page(updated_from, updated_to, page), page)
            return
        yield from self._prefetched(updated_from, updated_to, pages)

    def _prefetched(self, updated_from: datetime, updated_to: datetime, pages: range) -> Iterator[object]:
        """The records of `pages`, in order, fetched by a background thread (see the module doc)."""
        ready: queue.Queue = queue.Queue(maxsize=PREFETCH_PAGES)
        stop = threading.Event()

        def hand_over(message: tuple) -> bool:
            while not stop.is_set():
                try:
                    ready.put(message, timeout=0.1)
                    return True
                except queue.Full:
                    continue
            return False

        def fetch() -> None:
            try:
                for page in pages:
                    if stop.is_set():
                        return
                    items = self._items(self._page(updated_from, updated_to, page), page)
                    if not hand_over((_PAGE, items)):
                        return
            except BaseException as exc:  # raised to the caller where the stream stands
                hand_over((_FAILED, exc))
                return
            hand_over((_DONE, None))

        thread = threading.Thread(target=fetch, name="one_stop_shop prefetch", daemon=True)
        self.prefetch_thread = thread
        thread.start()
        try:
            while True:
                try:
                    kind, content = ready.get(timeout=1.0)
                except queue.Empty:
                    if thread.is_alive() or not ready.empty():
                        continue
                    raise SourceError("the page prefetching thread ended without a word") from None
                if kind == _PAGE:
                    yield from content
                elif kind == _FAILED:
                    raise content
                else:
                    return
        finally:
            stop.set()
            # A request under way ends by itself (answer or timeout); nothing is fetched after it.
            thread.join(timeout=self.policy.timeout + 5)

    @staticmethod
    def _items(body: dict, page: int) -> list:
        items = body.get("items")
        if not isinstance(items, list):
            raise SourceError(f"page {page}: reply has no 'items' list")
        return items

    def _page(self, updated_from: datetime, updated_to: datetime, page: int) -> dict:
        response = send(
            self.session,
            "GET",
            f"{self.endpoint.base_url}/api/v1/hoso",
            self.policy,
            params={
                "updated_from": to_iso_vn(updated_from),
                "updated_to": to_iso_vn(updated_to),
                "page": page,
                "page_size": self.page_size,
            },
        )
        if response.status_code == 401:
            raise SourceError("one-stop-shop API refused the API key (HTTP 401): check AIRFLOW_CONN_ONE_STOP_SHOP")
        if response.status_code != 200:
            raise SourceError(f"one-stop-shop API answered HTTP {response.status_code}: {response.text[:300]}")
        self.pages_read += 1
        try:
            return decode_page(response)
        except ValueError:
            raise SourceError(f"page {page}: reply is not JSON") from None


# Integers orjson cannot hold as int64/uint64 it turns into floats (a 20-digit number would lose digits and
# change its record's hash); `response.json()` keeps them exact. A page with a run of 19 digits (which
# can be such a number, or just a long string of digits) is decoded the way it always was.
_DIGITS_AS_ZEROS = bytes.maketrans(b"123456789", b"000000000")
_NINETEEN_DIGITS = b"0" * 19


def decode_page(response: requests.Response) -> object:
    """`response.json()`, the same value at a third of the cost: orjson, when it reads the page the same way.

    Anything orjson refuses (NaN, lone surrogates, invalid UTF-8, ...) or might read differently (a
    charset other than UTF-8, integers beyond 64 bits) goes to `response.json()`, which decides as before.
    """
    body = response.content
    if (response.encoding or "utf-8").lower().replace("-", "").replace("_", "") == "utf8" \
            and _NINETEEN_DIGITS not in body.translate(_DIGITS_AS_ZEROS):
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError:
            pass
    value = response.json()
    if _has_non_finite_number(value):
        # NaN and Infinity are not JSON, only Python's decoder reads them: a dossier carrying one used to
        # fail its batch when jsonb refused the payload; refused here, the page says why.
        raise ValueError("NaN or Infinity in the reply")
    return value


def _has_non_finite_number(value: object) -> bool:
    """Only ever run on the rare pages orjson did not read."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, float):
            if not math.isfinite(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False
