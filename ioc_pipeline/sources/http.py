"""Retrying HTTP for the source APIs.

Sources answer 429 with `Retry-After` when called too fast and 500/502/503/504 now and then. We wait
and try again (honouring `Retry-After`, else exponential backoff), and give up loudly after a bounded
number of attempts; anything else (400, 401, 404) is a bug or a configuration error and fails at once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import requests
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)

log = logging.getLogger(__name__)

TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class HttpEndpoint:
    """An HTTP source as an Airflow connection describes it: where it is, and its credentials."""

    base_url: str
    login: str | None
    password: str | None

    @classmethod
    def from_uri(cls, uri: str) -> "HttpEndpoint":
        parts = urlsplit(uri)
        scheme = parts.scheme if parts.scheme in ("http", "https") else "http"
        host = parts.hostname or "127.0.0.1"
        netloc = f"{host}:{parts.port}" if parts.port else host
        return cls(
            base_url=f"{scheme}://{netloc}{parts.path.rstrip('/')}",
            login=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )


class TransientHttpError(Exception):
    def __init__(self, response: requests.Response):
        super().__init__(f"HTTP {response.status_code} from {response.url}")
        self.response = response


class SourceError(Exception):
    """A source answered in a way retrying will not fix."""


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 6
    backoff_initial: float = 0.5
    backoff_max: float = 30.0
    retry_after_max: float = 120.0
    timeout: float = 60.0


def _is_transient(exc: BaseException) -> bool:
    return isinstance(exc, (TransientHttpError, requests.ConnectionError, requests.Timeout))


class _WaitRetryAfterOrBackoff:
    """tenacity wait strategy: the server's Retry-After when it gives one, else backoff."""

    def __init__(self, policy: RetryPolicy):
        self.policy = policy
        self.backoff = wait_exponential(multiplier=policy.backoff_initial, max=policy.backoff_max)

    def __call__(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, TransientHttpError):
            header = exc.response.headers.get("Retry-After")
            if header is not None:
                try:
                    return min(max(float(header), 0.0), self.policy.retry_after_max)
                except ValueError:
                    pass
        return self.backoff(state)


def _log_retry(state: RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome else None
    log.warning("attempt %d failed (%s); retrying in %.1fs", state.attempt_number, exc,
                state.next_action.sleep if state.next_action else 0.0)


def send(session: requests.Session, method: str, url: str, policy: RetryPolicy, **kwargs) -> requests.Response:
    """One request with retries; returns a 2xx response or raises."""

    def attempt() -> requests.Response:
        response = session.request(method, url, timeout=policy.timeout, **kwargs)
        if response.status_code in TRANSIENT_STATUSES:
            raise TransientHttpError(response)
        return response

    retrying = Retrying(
        retry=retry_if_exception(_is_transient),
        stop=stop_after_attempt(policy.max_attempts),
        wait=_WaitRetryAfterOrBackoff(policy),
        before_sleep=_log_retry,
        reraise=True,
    )
    return retrying(attempt)
