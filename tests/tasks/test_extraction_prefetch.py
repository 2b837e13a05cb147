"""The one-stop-shop client's page prefetching (ioc_pipeline/sources/one_stop_shop.py), over real HTTP
against `SimulatorServer` and, where a batch is loaded, into a real PostgreSQL database per test.

What must hold with a background thread fetching pages ahead of the loader: the source sees the same
requests in the same order (page 1, then the last page down to page 1); the records come in the same
order; the thread stays a bounded number of pages ahead; a page failing after its retries fails the
stream at that point and nothing of the batch is kept; a load failing mid-stream stops the thread
(no requests after it, no thread left behind); a retried page is neither lost nor counted twice.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime

import pytest

from ioc_pipeline.config import VN
from ioc_pipeline.loading import raw_loader
from ioc_pipeline.sources.http import HttpEndpoint, RetryPolicy, TransientHttpError
from ioc_pipeline.sources.one_stop_shop import PREFETCH_PAGES, OneStopShopClient
from ioc_pipeline.tasks.dossiers import extract_dossiers
from ioc_simulator.faults import Faults
from ioc_simulator.server import SimulatorServer
from tests.conftest import batch_row, scalar

START = datetime(2024, 7, 1, tzinfo=VN)
END = datetime(2025, 1, 1, tzinfo=VN)
FAST = RetryPolicy(max_attempts=3, backoff_initial=0.05, backoff_max=0.2)
PAGE_SIZE = 40


def _client(server: SimulatorServer, prefetch: bool = True, policy: RetryPolicy = FAST) -> OneStopShopClient:
    return OneStopShopClient(HttpEndpoint.from_uri(server.dossier_conn_uri), page_size=PAGE_SIZE,
                             policy=policy, prefetch=prefetch)


def _requests_settle(server: SimulatorServer, seconds: float = 0.5) -> int:
    """The number of /hoso requests once it has stopped changing for `seconds`."""
    seen, since = server.hoso_requests, time.monotonic()
    deadline = since + 10
    while time.monotonic() < deadline:
        time.sleep(0.05)
        if server.hoso_requests != seen:
            seen, since = server.hoso_requests, time.monotonic()
        elif time.monotonic() - since >= seconds:
            return seen
    raise AssertionError("the client kept requesting pages")


def test_prefetching_yields_the_same_records_in_the_same_order_with_the_same_requests():
    with SimulatorServer() as server:
        sequential = _client(server, prefetch=False)
        expected = [r["MaHoSo"] for r in sequential.dossiers(START, END)]
        requests_sequential = server.hoso_requests
        prefetching = _client(server)
        got = [r["MaHoSo"] for r in prefetching.dossiers(START, END)]
        requests_prefetching = server.hoso_requests - requests_sequential
    pages = -(-len(server.records) // PAGE_SIZE)
    assert pages > PREFETCH_PAGES + 3
    # page 1 (for total), then every page from the last down to 1: the same requests, the same order
    assert requests_sequential == requests_prefetching == pages + 1
    assert prefetching.pages_read == sequential.pages_read == pages + 1
    assert got == expected and len(got) == len(server.records)
    assert not prefetching.prefetch_thread.is_alive()


def test_the_thread_runs_ahead_of_a_slow_reader_but_only_so_far():
    with SimulatorServer() as server:
        client = _client(server)
        records = client.dossiers(START, END)
        next(records)  # page 1, then the first record of the last page: the thread has started
        # While the reader holds its first page, the thread fetches PREFETCH_PAGES pages into the queue
        # and one more, which waits for room: page 1, the last page, and PREFETCH_PAGES + 1 others.
        assert _requests_settle(server) == 2 + PREFETCH_PAGES + 1
        rest = list(records)
        assert len(rest) + 1 == len(server.records)
    assert not client.prefetch_thread.is_alive()


def test_a_page_failing_after_its_retries_fails_the_stream_there_and_leaves_no_thread():
    # Requests: 1 = page 1, 2 = the last page, 3 = the one before; request 4 and its retries fail.
    failing = {n: 503 for n in range(4, 4 + FAST.max_attempts)}
    with SimulatorServer(faults=Faults(status_on_request=failing)) as server:
        served = server.window(*(m.astimezone(VN).replace(tzinfo=None) for m in (START, END)))
        pages = -(-len(served) // PAGE_SIZE)
        client = _client(server)
        got = []
        with pytest.raises(TransientHttpError, match="503"):
            for record in client.dossiers(START, END):
                got.append(record["MaHoSo"])
        requests_made = _requests_settle(server)
    # Exactly the records of the two pages read before the failing one, in order, then the error.
    before = served[(pages - 1) * PAGE_SIZE:] + served[(pages - 2) * PAGE_SIZE:(pages - 1) * PAGE_SIZE]
    assert got == [r["MaHoSo"] for r in before]
    assert requests_made == 3 + FAST.max_attempts  # nothing asked after the page that failed
    client.prefetch_thread.join(timeout=5)
    assert not client.prefetch_thread.is_alive()


def test_a_reader_stopping_early_stops_the_thread_and_its_requests():
    with SimulatorServer() as server:
        client = _client(server)
        records = client.dossiers(START, END)
        for _ in range(PAGE_SIZE + 1):  # into the second page read
            next(records)
        records.close()
        assert not client.prefetch_thread.is_alive()  # joined by close()
        requests_made = _requests_settle(server)
    pages = -(-len(server.records) // PAGE_SIZE)
    assert requests_made <= 2 + 1 + PREFETCH_PAGES + 1 < pages + 1


def test_a_page_retried_mid_stream_is_loaded_once_and_counted_once(fresh):
    url, conn = fresh
    # The 5th request (a page in the middle of the backward read) answers 503 twice, then the page.
    with SimulatorServer(faults=Faults(status_on_request={5: 503, 6: 503})) as server:
        served = len(server.records)
        result = extract_dossiers(url.url, HttpEndpoint.from_uri(server.dossier_conn_uri), START, END,
                                  page_size=PAGE_SIZE, policy=FAST)
        requests_made = server.hoso_requests
    pages = -(-served // PAGE_SIZE)
    assert result.status == "success", result.error
    assert (result.counts.received, result.counts.loaded, result.counts.duplicate) == (served, served, 0)
    assert requests_made == pages + 1 + 2
    assert scalar(conn, "select count(*) from raw.one_stop_shop__dossier") == served
    assert scalar(conn, "select count(distinct dossier_code) from raw.one_stop_shop__dossier") == served
    batch = batch_row(conn, result.batch_id)
    assert (batch["status"], batch["rows_received"], batch["rows_loaded"]) == ("success", served, served)


def test_a_source_failing_mid_stream_leaves_no_half_batch_and_no_thread(fresh):
    url, conn = fresh
    failing = {n: 503 for n in range(6, 6 + FAST.max_attempts)}
    with SimulatorServer(faults=Faults(status_on_request=failing)) as server:
        served = len(server.records)
        result = extract_dossiers(url.url, HttpEndpoint.from_uri(server.dossier_conn_uri), START, END,
                                  page_size=PAGE_SIZE, policy=FAST)
        requests_made = _requests_settle(server)
    assert result.status == "failed" and "503" in result.error
    assert requests_made == 5 + FAST.max_attempts
    assert scalar(conn, "select count(*) from raw.one_stop_shop__dossier") == 0
    batch = batch_row(conn, result.batch_id)
    assert batch["status"] == "failed" and batch["finished_at"]
    pages = -(-served // PAGE_SIZE)
    # the records of the four pages read before the failing one (the last page, then three full ones)
    assert batch["rows_received"] == result.counts.received == served - (pages - 4) * PAGE_SIZE


def test_a_load_failing_mid_stream_stops_the_prefetching_thread(fresh, monkeypatch):
    url, conn = fresh
    # raw refuses every new row: the writer's first round fails while pages are still to come.
    conn.execute("alter table raw.one_stop_shop__dossier add constraint refuse_all check (false) not valid")
    monkeypatch.setattr(raw_loader, "FLUSH_BYTES", 1)        # every record its own block
    monkeypatch.setattr(raw_loader, "ROWS_PER_ROUND", PAGE_SIZE)  # and a round per page
    with SimulatorServer() as server:
        served = len(server.records)
        started = time.monotonic()
        result = extract_dossiers(url.url, HttpEndpoint.from_uri(server.dossier_conn_uri), START, END,
                                  page_size=PAGE_SIZE, policy=FAST)
        requests_made = _requests_settle(server)
    pages = -(-served // PAGE_SIZE)
    assert result.status == "failed" and "refuse_all" in result.error
    assert time.monotonic() - started < 30
    assert requests_made < pages + 1  # the thread stopped: the rest of the interval was never asked for
    assert result.counts.received < served
    assert scalar(conn, "select count(*) from raw.one_stop_shop__dossier") == 0
    assert scalar(conn, "select count(*) from raw.quarantine") == 0
    assert not [t for t in threading.enumerate() if t.name == "one_stop_shop prefetch"]
