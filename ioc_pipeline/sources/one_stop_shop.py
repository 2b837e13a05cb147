"""Client of the one-stop-shop dossier API (`shared/contracts/sources.md` §1).

It walks every page of `[updated_from, updated_to)` and yields the records as they come. It does not
deduplicate: a dossier that changes during the read can appear on two pages, and the raw loader
stores each distinct version once.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from datetime import datetime

import requests

from ioc_pipeline.config import HttpEndpoint
from ioc_pipeline.sources.formats import to_iso_vn
from ioc_pipeline.sources.http import RetryPolicy, SourceError, send

log = logging.getLogger(__name__)

MAX_PAGE_SIZE = 1000


class OneStopShopClient:
    def __init__(self, endpoint: HttpEndpoint, page_size: int = 500, policy: RetryPolicy | None = None):
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be within 1..{MAX_PAGE_SIZE}")
        self.endpoint = endpoint
        self.page_size = page_size
        self.policy = policy or RetryPolicy()
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {endpoint.password or ''}"
        self.pages_read = 0

    def dossiers(self, updated_from: datetime, updated_to: datetime) -> Iterator[object]:
        """Every record changed in `[updated_from, updated_to)`, page after page."""
        page = 1
        while True:
            body = self._page(updated_from, updated_to, page)
            items = body.get("items")
            if not isinstance(items, list):
                raise SourceError(f"page {page}: reply has no 'items' list")
            yield from items
            total = int(body.get("total") or 0)
            last_page = max(1, math.ceil(total / self.page_size))
            if page >= last_page or not items:
                return
            page += 1

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
            return response.json()
        except ValueError:
            raise SourceError(f"page {page}: reply is not JSON") from None
