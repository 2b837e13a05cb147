"""The portal's tasks: the department list and procedure catalog (snapshots), and the 766 index by month.

The 766 index is asked per agency, group and month, and only for months that have ended (the portal
refuses the others). How a month is loaded, and why:

- one batch per month holds every metric that answered, in one transaction: a month is loaded as a
  whole or not at all, and `audit.load_batch` gets one row per month, not one per call;
- a call that fails (after the HTTP layer's retries), or answers a non-OK envelope, does not stop the
  other agencies and groups: it is skipped, and the month gets one more `failed` audit row naming
  every failed call (if no call answered at all, the month's batch itself is the failed row). Nothing
  of a failed call is loaded, so a later run of the same month fills the gap, and a re-run loads
  nothing already held (record_hash).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

from ioc_pipeline import config
from ioc_pipeline.config import VN
from ioc_pipeline.loading.entities.dvc_portal import DEPARTMENT, EVALUATION_METRIC, FORMALITY, evaluation_record
from ioc_pipeline.loading.raw_loader import BatchCounts, BatchResult, finish_batch, load_batch, start_batch
from ioc_pipeline.months import add_months, month_interval, months_between
from ioc_pipeline.runner.catch_up import catch_up_interval
from ioc_pipeline.sources.dvc_portal import EVALUATION_GROUPS, PortalClient
from ioc_pipeline.sources.formats import parse_iso_date
from ioc_pipeline.sources.http import HttpEndpoint, RetryPolicy

log = logging.getLogger(__name__)


def extract_departments(warehouse_url: str, endpoint: HttpEndpoint, *, run_label: str | None = None,
                        policy: RetryPolicy | None = None) -> BatchResult:
    """The whole department list, every version: a snapshot, not an interval."""
    client = PortalClient(endpoint, policy=policy)
    return load_batch(warehouse_url, DEPARTMENT, client.departments(), config.pii_hash_key(), run_label=run_label)


def extract_formalities(warehouse_url: str, endpoint: HttpEndpoint, *, run_label: str | None = None,
                        policy: RetryPolicy | None = None) -> BatchResult:
    """The whole procedure catalog: a snapshot, not an interval."""
    client = PortalClient(endpoint, policy=policy)
    return load_batch(warehouse_url, FORMALITY, client.formalities(), config.pii_hash_key(), run_label=run_label)


# --- months -----------------------------------------------------------------------------------


def ended_months(interval_start: datetime, interval_end: datetime, now: datetime) -> list[tuple[int, int]]:
    """(year, month) of every month intersecting `[interval_start, interval_end)` that has ended by
    both `interval_end` and `now` (Vietnam time).

    The interval's end counts as "now" too: a catch-up run over [2024-09-01, 2024-10-15) describes the
    world as of 15 October, when October had not ended. A monthly scheduled run whose interval is
    [2 Sep 02:00, 2 Oct 02:00) gets September only.
    """
    start, end = interval_start.astimezone(VN), interval_end.astimezone(VN)
    cutoff = min(end, now.astimezone(VN))
    return [(month.year, month.month) for month in months_between(start.date(), end.date())
            if month_interval(month)[1] <= cutoff]


def metrics_window(interval_start: datetime, interval_end: datetime, conf: dict | None) -> tuple[datetime, datetime]:
    """The run command's catch-up interval from the run's conf, else the scheduled data interval."""
    return catch_up_interval(conf) or (interval_start, interval_end)


def agencies_in_force(departments: Iterable[object], year: int, month: int) -> list[str]:
    """Codes of the agencies with a version in force on some day of the month (sorted, distinct).

    A version whose dates cannot be read is ignored here (the department load quarantines it)."""
    first = date(year, month, 1)
    last_excl = add_months(first, 1)
    codes = set()
    for dept in departments:
        if not isinstance(dept, dict) or not dept.get("code"):
            continue
        try:
            valid_from = parse_iso_date(dept["validFrom"]) if dept.get("validFrom") else date.min
            valid_to = parse_iso_date(dept["validTo"]) if dept.get("validTo") else date.max
        except ValueError:
            continue
        if valid_from < last_excl and valid_to >= first:
            codes.add(str(dept["code"]))
    return sorted(codes)


# --- the 766 index ---------------------------------------------------------------------------------


@dataclass
class MonthOutcome:
    year: int
    month: int
    batch: BatchResult
    calls: int
    failed_calls: list[str] = field(default_factory=list)
    failure_batch_id: int | None = None

    @property
    def ok(self) -> bool:
        return self.batch.status == "success" and not self.failed_calls

    def summary(self) -> dict:
        return {"month": f"{self.year}-{self.month:02d}", "batch_id": self.batch.batch_id,
                "status": "success" if self.ok else "failed", "calls": self.calls,
                "failed_calls": len(self.failed_calls), "received": self.batch.counts.received,
                "loaded": self.batch.counts.loaded, "quarantined": self.batch.counts.quarantined}


def _answers(client: PortalClient, year: int, month: int, agencies: list[str], groups: Iterable[str],
             failed: list[str]) -> Iterator[dict]:
    """The month's metric records, call by call; a failed call is noted in `failed` and skipped."""
    for agency in agencies:
        for group in groups:
            try:
                metrics = client.evaluation(group, year, month, agency)
            except Exception as exc:  # noqa: BLE001 - any failure of one call must spare the others
                log.warning("766 index %s %d-%02d %s failed: %s", group, year, month, agency, exc)
                failed.append(f"{group} {agency}: {type(exc).__name__}: {exc}")
                continue
            for item in metrics:
                yield evaluation_record(group, year, month, agency, item)


def extract_evaluation_month(warehouse_url: str, client: PortalClient, year: int, month: int,
                             agencies: list[str], *, groups: Iterable[str] = EVALUATION_GROUPS,
                             run_label: str | None = None) -> MonthOutcome:
    """One month of the 766 index for `agencies` x `groups`: one batch, failed calls spared."""
    groups = tuple(groups)
    failed: list[str] = []
    start, end = month_interval(date(year, month, 1))
    result = load_batch(warehouse_url, EVALUATION_METRIC, _answers(client, year, month, agencies, groups, failed),
                        config.pii_hash_key(), interval_start=start, interval_end=end, run_label=run_label)
    outcome = MonthOutcome(year, month, result, calls=len(agencies) * len(groups), failed_calls=failed)
    if failed and result.status == "success":
        error = (f"{len(failed)} of {outcome.calls} calls of {year}-{month:02d} failed, nothing loaded for them: "
                 + "; ".join(failed))
        if result.counts.received == 0:  # nothing answered: the month's batch is the failed attempt
            finish_batch(warehouse_url, result.batch_id, "failed", result.counts, error=error)
            outcome.batch = BatchResult(result.batch_id, "failed", result.counts, error=error)
        else:
            outcome.failure_batch_id = start_batch(warehouse_url, EVALUATION_METRIC.source, EVALUATION_METRIC.entity, start, end,
                                                      run_label)
            finish_batch(warehouse_url, outcome.failure_batch_id, "failed", BatchCounts(), error=error)
    return outcome


def extract_evaluation_metrics(warehouse_url: str, endpoint: HttpEndpoint, interval_start: datetime,
                               interval_end: datetime, *, now: datetime | None = None,
                               groups: Iterable[str] = EVALUATION_GROUPS, run_label: str | None = None,
                               policy: RetryPolicy | None = None) -> list[MonthOutcome]:
    """Every ended month intersecting the interval, every agency in force in it, every group.

    Agencies come from the portal's own department list at run time, so that an agency created or
    abolished during the month is asked for exactly the months it existed in.
    """
    now = now or datetime.now(VN)
    months = ended_months(interval_start, interval_end, now)
    if not months:
        log.info("766 index: no month of [%s, %s) has ended by %s", interval_start, interval_end, now)
        return []
    client = PortalClient(endpoint, policy=policy)
    departments = list(client.departments())
    outcomes = []
    for year, month in months:
        agencies = agencies_in_force(departments, year, month)
        outcome = extract_evaluation_month(warehouse_url, client, year, month, agencies, groups=groups,
                                           run_label=run_label)
        log.info("766 index %d-%02d: %s", year, month, outcome.summary())
        outcomes.append(outcome)
    return outcomes
