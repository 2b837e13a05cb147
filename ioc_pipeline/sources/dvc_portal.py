"""Client of the public-service portal API (`docs/contracts/sources.md` §2).

Every reply is an envelope whose `code` must be "OK", even under HTTP 200. Tokens expire: on a 401
the client fetches a new token once and repeats the request.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import requests

from ioc_pipeline.sources.http import HttpEndpoint, RetryPolicy, SourceError, send

log = logging.getLogger(__name__)

# The six scored groups of the 766 index, as the portal's evaluation endpoint names them.
EVALUATION_GROUPS = ("transparency", "progress", "online", "payment", "digitization", "satisfaction")


class PortalClient:
    def __init__(self, endpoint: HttpEndpoint, page_size: int = 200, policy: RetryPolicy | None = None):
        self.endpoint = endpoint
        self.page_size = page_size
        self.policy = policy or RetryPolicy()
        self.session = requests.Session()
        self._token: str | None = None

    def departments(self) -> Iterator[object]:
        """Every version of every agency."""
        yield from self._paged("/api/v1/reporting/departments")

    def formalities(self) -> Iterator[object]:
        """The procedure catalog."""
        yield from self._paged("/api/v1/reporting/formalities")

    def evaluation(self, group: str, year: int, month: int, department_code: str) -> list[object]:
        """The official 766 index of one agency, group and month: the `data.metrics` items as sent.

        A month that has not ended, an unknown agency or any other non-OK envelope raises
        SourceError naming the request, so that a caller can tell which of many calls failed.
        """
        body = {"timeType": "month", "year": year, "month": month, "departmentCode": department_code}
        try:
            data = self._post(f"/api/v1/reporting/evaluation/{group}", body)
        except SourceError as exc:
            raise SourceError(f"evaluation {group} {year}-{month:02d} {department_code}: {exc}") from None
        metrics = data.get("metrics") if isinstance(data, dict) else None
        if not isinstance(metrics, list):
            raise SourceError(f"evaluation {group} {year}-{month:02d} {department_code}: "
                              "envelope data has no 'metrics' list")
        return metrics

    def _paged(self, path: str) -> Iterator[object]:
        page = 1
        while True:
            data = self._post(path, {"currentPage": page, "pageSize": self.page_size})
            items = data.get("items") if isinstance(data, dict) else None
            if not isinstance(items, list):
                raise SourceError(f"{path} page {page}: envelope data has no 'items' list")
            yield from items
            total_pages = int(data.get("totalPages") or 0)
            if page >= total_pages or not items:
                return
            page += 1

    def _post(self, path: str, body: dict) -> object:
        for attempt in (1, 2):
            response = send(self.session, "POST", self.endpoint.base_url + path, self.policy,
                            json=body, headers={"Authorization": f"Bearer {self._access_token()}"})
            if response.status_code == 401 and attempt == 1:
                log.info("portal token rejected; fetching a new one")
                self._token = None
                continue
            if response.status_code >= 400:
                raise SourceError(f"portal {path} answered HTTP {response.status_code}: {response.text[:300]}")
            envelope = response.json()
            if not isinstance(envelope, dict) or envelope.get("code") != "OK":
                code = envelope.get("code") if isinstance(envelope, dict) else None
                message = envelope.get("message") if isinstance(envelope, dict) else None
                raise SourceError(f"portal {path} answered code {code!r}: {message}")
            return envelope.get("data")
        raise SourceError(f"portal {path}: a fresh token was refused too (HTTP 401)")

    def _access_token(self) -> str:
        if self._token is None:
            response = send(self.session, "POST", self.endpoint.base_url + "/api/v1/auth/token", self.policy,
                            json={"client_id": self.endpoint.login, "client_secret": self.endpoint.password})
            if response.status_code != 200:
                raise SourceError(
                    f"portal refused the client credentials (HTTP {response.status_code}): check AIRFLOW_CONN_DVC_PORTAL")
            self._token = response.json()["access_token"]
        return self._token
