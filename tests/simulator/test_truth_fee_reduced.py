"""The oracle's fee-reduced procedures (issue 13 item 2), on hand-made records: what
`kpi_fee_reduced_online_monthly` and the scorecard row `b3_fee_reduced_online_remote_rate` must say."""

from __future__ import annotations

from datetime import date, datetime
from fractions import Fraction

from ioc_simulator.truth import B3_FEE_CODE, KHONG_CO_CHI_TIEU, DossierTruth, scorecard
from tests.simulator.test_truth_rules import DEPARTMENTS, rec

PROCEDURES = [{"code": "FR", "name": "giảm phí", "feeReducedOnline": True},
              {"code": "NF", "name": "không giảm", "feeReducedOnline": False}]


def test_fee_reduced_group_beside_all_procedures():
    records = [
        # September, agency A (district until 15/9): FR remote, FR counter, NF remote; X never accepted
        rec("1", MaTTHC="FR", channel=2, place=1, accepted="20240905090000"),
        rec("2", MaTTHC="FR", channel=1, accepted="20240906090000"),
        rec("3", MaTTHC="NF", channel=2, place=1, accepted="20240909090000"),
        rec("X", MaTTHC="FR", channel=2, place=1, status=1, accepted=None),
        # October: only a procedure missing from the catalog, counted in `all` only
        rec("4", MaTTHC="UNKNOWN", channel=2, place=1, submitted="20241001080000", accepted="20241001090000"),
    ]
    truth = DossierTruth(records, datetime(2025, 1, 1), departments=DEPARTMENTS, procedures=PROCEDURES)
    rows = truth.fee_reduced_online_monthly()
    sep, octo = date(2024, 9, 1), date(2024, 10, 1)
    assert rows[(sep, "province", "province", "fee_reduced")] == {
        "dossiers_accepted": 2, "dossiers_online": 1, "dossiers_online_remote": 1, "online_rate": Fraction(1, 2),
        "online_remote_rate": Fraction(1, 2), "share_of_accepted": Fraction(2, 3)}
    assert rows[(sep, "province", "province", "all")]["online_remote_rate"] == Fraction(2, 3)
    assert rows[(sep, "level", "HUYEN", "fee_reduced")]["dossiers_accepted"] == 2
    assert rows[(octo, "province", "province", "fee_reduced")] == {
        "dossiers_accepted": 0, "dossiers_online": 0, "dossiers_online_remote": 0, "online_rate": None,
        "online_remote_rate": None, "share_of_accepted": Fraction(0)}
    card = scorecard(truth, {}, date(2024, 12, 31))
    assert card[(sep, B3_FEE_CODE)] == {"breakthrough": 3, "actual": Fraction(1, 2), "target": None,
                                        "status": KHONG_CO_CHI_TIEU}
    assert card[(octo, B3_FEE_CODE)]["actual"] is None
