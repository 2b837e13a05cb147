"""Issue 13's two feeds, month by month: the agencies' monthly progress reports (one-stop-shop host,
docs/contracts/sources.md §4) and the portal's citizen accounts (§5).

Which months a run asks for (both feeds): every month from two months before the interval's first
month to the interval's end that has ended (by the interval's end and by now). Only ended months: the
portal refuses a month that has not ended, and an agency reports on a month once it is over. Two
months back: the reports of month M are filed during M+1 (due before the 10th), late ones until the
end of M+1, and a report returned for revision late in M+1 is sent again early in M+2; so nightly runs
keep re-reading month M until the end of M+2 (a re-read of an unchanged month loads nothing).

One batch per month (interval = the month, Vietnam time), so `audit.load_batch` says which months were
asked for even when a month returned nothing, and a failing month spares the others. Re-running a
month loads nothing already held (record_hash); a report that changed (sent, returned, sent again) is
a new version.
"""

from __future__ import annotations

import logging
from datetime import date, datetime

from ioc_pipeline import config
from ioc_pipeline.config import VN
from ioc_pipeline.loading.entities.agency_work import AGENCY_REPORT, CITIZEN_ACCOUNTS, account_record
from ioc_pipeline.loading.raw_loader import BatchResult, load_batch
from ioc_pipeline.months import add_months, month_interval
from ioc_pipeline.sources.agency_work import AgencyReportClient, citizen_accounts
from ioc_pipeline.sources.dvc_portal import PortalClient
from ioc_pipeline.sources.http import HttpEndpoint, RetryPolicy
from ioc_pipeline.tasks.portal import ended_months

log = logging.getLogger(__name__)

# How many months before the interval's first month a run still asks for (see the module doc).
LOOK_BACK_MONTHS = 2


def report_months(interval_start: datetime, interval_end: datetime, now: datetime) -> list[date]:
    """The months a run over the interval asks both feeds for (see the module doc)."""
    first = add_months(interval_start.astimezone(VN).date(), -LOOK_BACK_MONTHS)
    start = datetime.combine(first, datetime.min.time(), tzinfo=VN)
    return [date(y, m, 1) for y, m in ended_months(start, interval_end, now)]


def extract_agency_reports(warehouse_url: str, endpoint: HttpEndpoint, interval_start: datetime,
                           interval_end: datetime, *, now: datetime | None = None, run_label: str | None = None,
                           policy: RetryPolicy | None = None) -> list[BatchResult]:
    client = AgencyReportClient(endpoint, policy=policy)
    results = []
    for month in report_months(interval_start, interval_end, now or datetime.now(VN)):
        start, end = month_interval(month)
        result = load_batch(warehouse_url, AGENCY_REPORT, client.reports(month), config.pii_hash_key(),
                            interval_start=start, interval_end=end, run_label=run_label)
        log.info("agency reports %s: %s", f"{month:%Y-%m}", result)
        results.append(result)
    return results


def extract_citizen_accounts(warehouse_url: str, endpoint: HttpEndpoint, interval_start: datetime,
                             interval_end: datetime, *, now: datetime | None = None, run_label: str | None = None,
                             policy: RetryPolicy | None = None) -> list[BatchResult]:
    client = PortalClient(endpoint, policy=policy)
    results = []
    for first in report_months(interval_start, interval_end, now or datetime.now(VN)):
        year, month = first.year, first.month
        start, end = month_interval(first)
        records = (account_record(year, month, item) for item in citizen_accounts(client, year, month))
        result = load_batch(warehouse_url, CITIZEN_ACCOUNTS, records, config.pii_hash_key(),
                            interval_start=start, interval_end=end, run_label=run_label)
        log.info("citizen accounts %d-%02d: %s", year, month, result)
        results.append(result)
    return results
