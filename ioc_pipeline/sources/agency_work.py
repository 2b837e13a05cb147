"""Clients of issue 13's two feeds (docs/contracts/sources.md §4, §5).

- `agency_reports(endpoint, month)`: `GET /api/v1/congviec/baocao?month=YYYYMM` on the one-stop-shop
  host, same API key; paged like `/hoso` (`page`, `page_size`, reply `{total, page, page_size, items}`).
  The list is small (one report per agency) and ordered by agency code; pages are read forwards.
- `citizen_accounts(client, year, month)`: `POST /api/v1/reporting/accounts` on the portal with
  `{"year", "month", "page", "pageSize"}`, in the portal's envelope (token, `code` checked even under
  HTTP 200); the paged `data` is `{items, currentPage, totalPages}`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import date

import requests

from ioc_pipeline.sources.dvc_portal import PortalClient
from ioc_pipeline.sources.http import HttpEndpoint, RetryPolicy, SourceError, send

BAOCAO_PATH = "/api/v1/congviec/baocao"
ACCOUNTS_PATH = "/api/v1/reporting/accounts"


class AgencyReportClient:
    def __init__(self, endpoint: HttpEndpoint, page_size: int = 500, policy: RetryPolicy | None = None):
        self.endpoint = endpoint
        self.page_size = page_size
        self.policy = policy or RetryPolicy()
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {endpoint.password or ''}"

    def reports(self, month: date) -> Iterator[object]:
        """Every agency's report of `month`, as the app holds it now."""
        page, last_page = 1, 1
        while page <= last_page:
            body = self._page(month, page)
            items = body.get("items") if isinstance(body, dict) else None
            if not isinstance(items, list):
                raise SourceError(f"agency reports {month:%Y%m} page {page}: reply has no 'items' list")
            yield from items
            last_page = max(1, math.ceil(int(body.get("total") or 0) / self.page_size))
            if not items:
                return
            page += 1

    def _page(self, month: date, page: int) -> object:
        response = send(self.session, "GET", self.endpoint.base_url + BAOCAO_PATH, self.policy,
                        params={"month": f"{month:%Y%m}", "page": page, "page_size": self.page_size})
        if response.status_code == 401:
            raise SourceError("one-stop-shop API refused the API key (HTTP 401): check AIRFLOW_CONN_ONE_STOP_SHOP")
        if response.status_code != 200:
            raise SourceError(f"agency reports {month:%Y%m} answered HTTP {response.status_code}: "
                              f"{response.text[:300]}")
        try:
            return response.json()
        except ValueError:
            raise SourceError(f"agency reports {month:%Y%m} page {page}: reply is not JSON") from None


def citizen_accounts(client: PortalClient, year: int, month: int) -> Iterator[object]:
    """Every agency's account figures of one ended month (a month not ended is a non-OK envelope)."""
    page = 1
    while True:
        body = {"year": year, "month": month, "page": page, "pageSize": client.page_size}
        try:
            data = client._post(ACCOUNTS_PATH, body)
        except SourceError as exc:
            raise SourceError(f"citizen accounts {year}-{month:02d}: {exc}") from None
        items = data.get("items") if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise SourceError(f"citizen accounts {year}-{month:02d} page {page}: envelope data has no 'items' list")
        yield from items
        if page >= int(data.get("totalPages") or 0) or not items:
            return
        page += 1
