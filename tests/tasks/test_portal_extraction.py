"""The portal's procedure catalog and official 766 index: simulator contract, extraction over real
HTTP into a real PostgreSQL raw layer, failures that spare the other calls, and re-runs.

Hand-worked figures: agency 000.00.13.H03 (Sở Kế hoạch và Đầu tư) accepted 2 dossiers in September
2024 in the default simulation (seed 2024, as of 2025-01-01; the whole province, 108 agencies in force
that month, 44 accepted dossiers). Listing them (MaHoSo, procedure, status, channel, accepted,
effective due, finished, fees):

    240923-0001 2.001610 10 online remote 09-24 due 09-27 17:00 fin 10-04 12:19: open and overdue at
                month end -> not on time; fee 0 VND (free online)
    240924-0001 1.010010 10 online remote 09-25 due 09-30 17:00 fin 09-30 10:41: on time; fee 0 VND

so 2.1 PROGRESS_ON_TIME = 1 / 2 (ratio 50.0 %, score 20 x 1/2 = 10), 3.3 ONLINE_DOSSIERS = 2 / 2
(100 % >= the 50 % target: full 6 points), 3.6 DOSSIERS_PAID_ONLINE = 0 / 0 (no dossier carries a fee
above 0: null ratio and null score, never 0).
"""

from __future__ import annotations

from datetime import date, datetime

import pytest
import requests

from ioc_pipeline.tasks.portal import (
    agencies_in_force,
    ended_months,
    extract_evaluation_metrics,
    extract_formalities,
)
from ioc_simulator.portal_metrics import GROUP_MAX_SCORE
from ioc_simulator.server import SimulatorServer
from ioc_simulator.world import AGENCIES, PROCEDURES, agency_codes
from ioc_pipeline.sources.dvc_portal import EVALUATION_GROUPS, PortalClient
from ioc_pipeline.config import VN
from ioc_pipeline.sources.http import HttpEndpoint, RetryPolicy, SourceError
from tests.conftest import scalar

FAST = RetryPolicy(max_attempts=3, backoff_initial=0.05, backoff_max=0.2)
SEP = (datetime(2024, 9, 1, tzinfo=VN), datetime(2024, 10, 1, tzinfo=VN))
SKHDT = "000.00.13.H03"
# Metrics per group in the simulator: transparency 4, progress 1, online 3, payment 3, digitization 7,
# satisfaction 4 = 22 per agency and month; 108 agencies in force in September 2024 (19 departments,
# 8 district-level units, 81 communes), so 648 calls and 2376 metrics a month.
METRICS_PER_AGENCY = 22
AGENCIES_SEP = 108
CALLS_SEP = AGENCIES_SEP * 6
METRICS_SEP = AGENCIES_SEP * METRICS_PER_AGENCY


@pytest.fixture(scope="module")
def server():
    with SimulatorServer() as sim:
        yield sim


@pytest.fixture(scope="module")
def client(server):
    return PortalClient(HttpEndpoint.from_uri(server.portal_conn_uri), policy=FAST)


def _batches(conn):
    cur = conn.execute("select * from audit.load_batch order by batch_id")
    return [dict(zip([c.name for c in cur.description], row)) for row in cur.fetchall()]


# --- the simulator's evaluation endpoint ---------------------------------------------------------


def test_every_group_answers_in_the_envelope_with_the_decision_maxima(client):
    for group in EVALUATION_GROUPS:
        metrics = client.evaluation(group, 2024, 9, SKHDT)
        assert metrics and all(set(m) == {"code", "name", "numerator", "denominator", "ratio", "score", "maxScore"}
                               for m in metrics)
        assert sum(m["maxScore"] for m in metrics) == GROUP_MAX_SCORE[group]
    assert sum(GROUP_MAX_SCORE.values()) == 100


def test_hand_checked_metrics_of_one_agency_match_the_simulated_dossiers(client, server):
    by_code = {m["code"]: m for g in ("progress", "online", "payment")
               for m in client.evaluation(g, 2024, 9, SKHDT)}
    progress = by_code["PROGRESS_ON_TIME"]
    assert (progress["numerator"], progress["denominator"], progress["ratio"]) == (1, 2, 50.0)
    assert progress["score"] == pytest.approx(20 * 1 / 2, abs=1e-12) and progress["maxScore"] == 20
    online = by_code["ONLINE_DOSSIERS"]
    assert (online["numerator"], online["denominator"], online["ratio"], online["score"]) == (2, 2, 100.0, 6)
    paid = by_code["DOSSIERS_PAID_ONLINE"]
    assert (paid["numerator"], paid["denominator"], paid["ratio"], paid["score"]) == (0, 0, None, None)
    # The 2 are exactly the agency's accepted dossiers of September in the served records.
    accepted = [r for r in server.records if r["MaDonViTiepNhan"] == SKHDT
                and (r["NgayTiepNhan"] or "").startswith("202409") and r["TrangThaiHoSo"] not in (1, 3)]
    assert len(accepted) == 2 and sum(r["KenhThucHien"] == 2 for r in accepted) == 2
    assert all(f["Gia"] == 0 for r in accepted for f in r["DanhSachLePhi"])


def test_zero_denominators_and_not_applicable_metrics_come_as_null(client):
    digitization = {m["code"]: m for m in client.evaluation("digitization", 2024, 9, SKHDT)}
    # No finished dossier of a paper-result procedure: 0 / 0 gives a null ratio and score.
    assert digitization["ORIGINAL_RESULT_AVAILABLE"]["denominator"] == 0
    assert digitization["ORIGINAL_RESULT_AVAILABLE"]["ratio"] is None
    assert digitization["ELECTRONIC_CERTIFIED_COPY"] == {
        "code": "ELECTRONIC_CERTIFIED_COPY", "name": digitization["ELECTRONIC_CERTIFIED_COPY"]["name"],
        "numerator": None, "denominator": None, "ratio": None, "score": None, "maxScore": 2}
    commune = {m["code"]: m for m in client.evaluation("transparency", 2024, 9, "000.01.31.H03")}
    assert commune["PUBLICIZED_ON_TIME"]["numerator"] is None and commune["PUBLICIZED_ON_TIME"]["score"] == 4


def test_errors_come_as_envelopes_under_http_200(server, client):
    token = requests.post(server.portal_url + "/api/v1/auth/token",
                          json={"client_id": server.client_id, "client_secret": server.client_secret}).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    url = server.portal_url + "/api/v1/reporting/evaluation/progress"
    body = {"timeType": "month", "year": 2025, "month": 1, "departmentCode": SKHDT}
    reply = requests.post(url, json=body, headers=headers)
    assert reply.status_code == 200 and reply.json()["code"] == "PERIOD_NOT_ENDED"
    reply = requests.post(url, json={**body, "year": 2024, "month": 9, "departmentCode": "000.99.99.H03"},
                          headers=headers)
    assert reply.status_code == 200 and reply.json()["code"] == "DEPARTMENT_NOT_FOUND"
    assert requests.post(url, json=body).status_code == 401
    with pytest.raises(SourceError, match=r"evaluation progress 2025-01 000\.00\.13\.H03: .*PERIOD_NOT_ENDED"):
        client.evaluation("progress", 2025, 1, SKHDT)
    with pytest.raises(SourceError, match="DEPARTMENT_NOT_FOUND"):
        client.evaluation("progress", 2024, 9, "000.99.99.H03")


# --- months and agencies -----------------------------------------------------------------------------


def test_only_ended_months_of_the_interval_are_asked_for():
    now = datetime(2026, 1, 1, tzinfo=VN)
    assert ended_months(datetime(2024, 7, 1, tzinfo=VN), datetime(2025, 1, 1, tzinfo=VN), now) == [
        (2024, m) for m in range(7, 13)]
    # A catch-up run to 15 October describes the world on 15 October: October has not ended.
    assert ended_months(datetime(2024, 9, 1, tzinfo=VN), datetime(2024, 10, 15, tzinfo=VN), now) == [(2024, 9)]
    # The scheduled run of 2 October 02:00 gets the month that just ended.
    monthly = (datetime(2024, 9, 2, 2, tzinfo=VN), datetime(2024, 10, 2, 2, tzinfo=VN))
    assert ended_months(*monthly, now) == [(2024, 9)]
    assert ended_months(*monthly, datetime(2024, 9, 30, tzinfo=VN)) == []
    assert ended_months(datetime(2024, 12, 2, tzinfo=VN), datetime(2025, 1, 2, tzinfo=VN), now) == [(2024, 12)]


def test_agencies_are_those_in_force_during_the_month():
    assert agencies_in_force(AGENCIES, 2024, 9) == agency_codes(date(2024, 9, 1))
    assert len(agencies_in_force(AGENCIES, 2024, 9)) == AGENCIES_SEP
    # Reforms: the district level and the H03 communes are gone in August 2025, the new ones are in.
    august_2025 = agencies_in_force(AGENCIES, 2025, 8)
    assert august_2025 == agency_codes(date(2025, 8, 1)) and all(c.endswith(".H29") for c in august_2025)
    versions = [{"code": "A", "validFrom": "2015-01-01", "validTo": "2024-08-31"},
                {"code": "B", "validFrom": "2024-09-30", "validTo": None},
                {"code": "C", "validFrom": "2024-10-01", "validTo": None}]
    assert agencies_in_force(versions, 2024, 9) == ["B"]


# --- extraction into raw ---------------------------------------------------------------------------


def test_formality_catalog_loads_once_and_a_rerun_changes_nothing(fresh, server):
    url, conn = fresh
    endpoint = HttpEndpoint.from_uri(server.portal_conn_uri)
    first = extract_formalities(url.url, endpoint, policy=FAST)
    assert first.status == "success"
    assert (first.counts.received, first.counts.loaded, first.counts.quarantined) == (len(PROCEDURES),) * 2 + (0,)
    again = extract_formalities(url.url, endpoint, policy=FAST)
    assert (again.counts.received, again.counts.loaded, again.counts.duplicate) == (len(PROCEDURES), 0, len(PROCEDURES))
    assert scalar(conn, "select count(*) from raw.dvc_portal__formality") == len(PROCEDURES) == 96
    assert scalar(conn, "select payload ->> 'state' from raw.dvc_portal__formality "
                        "where procedure_code = '1.001266'") == "BAI_BO"


def test_september_index_of_every_agency_and_group_loads_with_nulls_kept(fresh, server, client):
    url, conn = fresh
    expected_items = [m for a in agency_codes(date(2024, 9, 1)) for g in EVALUATION_GROUPS
                      for m in client.evaluation(g, 2024, 9, a)]
    assert len(expected_items) == AGENCIES_SEP * METRICS_PER_AGENCY == METRICS_SEP == 2376
    null_ratios = sum(m["ratio"] is None for m in expected_items)
    null_scores = sum(m["score"] is None for m in expected_items)
    assert null_ratios > null_scores >= AGENCIES_SEP  # at least ELECTRONIC_CERTIFIED_COPY everywhere

    [month] = extract_evaluation_metrics(url.url, HttpEndpoint.from_uri(server.portal_conn_uri), *SEP, policy=FAST)
    assert month.ok and (month.year, month.month, month.calls) == (2024, 9, CALLS_SEP)
    assert (month.batch.counts.received, month.batch.counts.loaded, month.batch.counts.quarantined) == (METRICS_SEP, METRICS_SEP, 0)
    assert scalar(conn, "select count(*) from raw.dvc_portal__evaluation_metric") == METRICS_SEP
    assert scalar(conn, "select count(distinct (agency_code, indicator_group)) "
                        "from raw.dvc_portal__evaluation_metric") == CALLS_SEP
    # JSON null stays JSON null (never 0) in the stored item.
    assert scalar(conn, "select count(*) from raw.dvc_portal__evaluation_metric "
                        "where jsonb_typeof(metric -> 'ratio') = 'null'") == null_ratios
    assert scalar(conn, "select count(*) from raw.dvc_portal__evaluation_metric "
                        "where jsonb_typeof(metric -> 'score') = 'null'") == null_scores
    row = conn.execute("select period_year, period_month, metric -> 'numerator', metric -> 'denominator', "
                       "payload ->> 'departmentCode', payload ->> 'group' from raw.dvc_portal__evaluation_metric "
                       "where agency_code = %s and metric_code = 'PROGRESS_ON_TIME'", (SKHDT,)).fetchone()
    assert row == (2024, 9, 1, 2, SKHDT, "progress")

    batches = _batches(conn)
    assert [(b["status"], b["entity"], b["rows_loaded"]) for b in batches] == [("success", "evaluation_metric", METRICS_SEP)]
    assert (batches[0]["interval_start"], batches[0]["interval_end"]) == SEP

    [rerun] = extract_evaluation_metrics(url.url, HttpEndpoint.from_uri(server.portal_conn_uri), *SEP, policy=FAST)
    assert rerun.ok and (rerun.batch.counts.loaded, rerun.batch.counts.duplicate) == (0, METRICS_SEP)
    assert scalar(conn, "select count(*) from raw.dvc_portal__evaluation_metric") == METRICS_SEP


def test_a_month_not_ended_fails_clearly_and_loads_nothing_for_it(fresh):
    url, conn = fresh
    # The portal's clock says 15 October 2024; we ask for September and October (the caller's
    # clock thinks October has ended, as a wrong interval or a fast clock would).
    with SimulatorServer(as_of=datetime(2024, 10, 15, tzinfo=VN)) as sim:
        outcomes = extract_evaluation_metrics(url.url, HttpEndpoint.from_uri(sim.portal_conn_uri),
                                              datetime(2024, 9, 1, tzinfo=VN), datetime(2024, 11, 1, tzinfo=VN),
                                              now=datetime(2024, 11, 2, tzinfo=VN), policy=FAST)
    sep, octo = outcomes
    assert sep.ok and sep.batch.counts.loaded == METRICS_SEP
    assert not octo.ok and octo.batch.status == "failed" and len(octo.failed_calls) == CALLS_SEP
    assert "PERIOD_NOT_ENDED" in octo.batch.error and "648 of 648 calls of 2024-10 failed" in octo.batch.error
    assert scalar(conn, "select count(*) from raw.dvc_portal__evaluation_metric where period_month = 10") == 0
    assert [(b["status"], b["rows_received"]) for b in _batches(conn)] == [("success", METRICS_SEP), ("failed", 0)]


def test_one_failing_call_spares_the_others_and_a_later_run_fills_the_gap(fresh):
    url, conn = fresh
    with SimulatorServer() as sim:
        endpoint = HttpEndpoint.from_uri(sim.portal_conn_uri)
        sim.portal_index.failures[("payment", "000.00.38.H03")] = "INTERNAL_ERROR"
        [month] = extract_evaluation_metrics(url.url, endpoint, *SEP, policy=FAST)
        assert not month.ok and month.batch.status == "success"
        assert month.failed_calls == ["payment 000.00.38.H03: SourceError: evaluation payment 2024-09 "
                                      "000.00.38.H03: portal /api/v1/reporting/evaluation/payment answered code "
                                      "'INTERNAL_ERROR': simulated failure"]
        assert month.batch.counts.loaded == METRICS_SEP - 3  # the payment group has 3 metrics
        failed = [b for b in _batches(conn) if b["status"] == "failed"]
        assert len(failed) == 1 and failed[0]["batch_id"] == month.failure_batch_id
        assert "1 of 648 calls of 2024-09 failed" in failed[0]["error"] and "INTERNAL_ERROR" in failed[0]["error"]

        sim.portal_index.failures.clear()
        [retry] = extract_evaluation_metrics(url.url, endpoint, *SEP, policy=FAST)
    assert retry.ok and (retry.batch.counts.loaded, retry.batch.counts.duplicate) == (3, METRICS_SEP - 3)
    assert scalar(conn, "select count(*) from raw.dvc_portal__evaluation_metric") == METRICS_SEP


def test_unusable_metric_items_are_quarantined_not_loaded(fresh):
    from ioc_pipeline.loading.entities.dvc_portal import EVALUATION_METRIC, evaluation_record
    from ioc_pipeline.loading.raw_loader import load_batch

    url, conn = fresh
    items = [{"code": "OK_METRIC", "numerator": None, "denominator": 0, "ratio": None, "score": None, "maxScore": 2},
             {"code": "BAD", "numerator": "12", "denominator": 20, "ratio": 60, "score": 1.2, "maxScore": 2},
             {"name": "no code", "numerator": 1}]
    result = load_batch(url.url, EVALUATION_METRIC, [evaluation_record("online", 2024, 9, SKHDT, i) for i in items],
                        b"k")
    assert (result.counts.loaded, result.counts.quarantined) == (1, 2)
    reasons = sorted(r for (r,) in conn.execute("select reason from raw.quarantine"))
    assert reasons == ["metric BAD: numerator is not a number: '12'", "metric: missing required field code"]
