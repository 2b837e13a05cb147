"""Hand-written stories for the contract's edge cases, placed in the default world.

The generator draws ordinary lives; the rules that decide KPIs bite on rare ones. So that the default
world (seed 2024, default scale, dossiers submitted July-December 2024) certainly holds each edge case,
a few generated dossiers get their story after acceptance (or from acceptance) rewritten by hand here:
same code, agency, procedure, channel and submission, so no count of submissions, no channel and no
acceptance month changes, and every other dossier stays byte for byte what the generator made. Each
case says which rule it exercises and which "issue 9" fixes it drives; `tests/simulator/
test_edge_cases.py` checks that each is served as written and that the ground truth classifies it as
worked out by hand there.

Only the default world carries them (`applies_to(seed, scale)`): another seed or scale draws other
dossiers under the same codes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

Event = tuple[datetime, dict]


@dataclass(frozen=True)
class EdgeCase:
    code: str
    rule: str
    fixes: tuple[int, ...]
    rewrite: Callable[[list[Event], list[dict]], list[Event]]   # (generated events, results) -> events


def _status(events: list[Event], status: int) -> Event:
    return next((m, dict(c)) for m, c in events if c.get("TrangThaiHoSo") == status)


def _until_pickup(events: list[Event]) -> list[Event]:
    """The acceptance (2) and the first pick-up (4) as generated."""
    return [_status(events, 2), _status(events, 4)]


def _request(requested: datetime, received: datetime | None = None, new_due: datetime | None = None) -> dict:
    return {"NgayBoSung": requested, "NgayTiepNhanBoSung": received, "NgayHenTraMoi": new_due}


def _supplements(*steps: tuple[datetime, datetime, datetime]) -> list[Event]:
    """Request (status 5) and receipt (status 4, new appointment) events of successive requests."""
    out, done = [], []
    for requested, received, new_due in steps:
        out.append((requested, {"TrangThaiHoSo": 5, "DanhSachHoSoBoSung": [*done, _request(requested)]}))
        done = [*done, _request(requested, received, new_due)]
        out.append((received, {"TrangThaiHoSo": 4, "DanhSachHoSoBoSung": list(done)}))
    return out


def _finish(finished: datetime, results: list[dict], returned: datetime | None = None) -> list[Event]:
    out = [(finished, {"TrangThaiHoSo": 9, "NgayKetThucXuLy": finished, "DanhSachGiayToKetQua": results})]
    if returned is not None:
        out.append((returned, {"TrangThaiHoSo": 10, "NgayTra": returned}))
    return out


def _due_at_midnight(events: list[Event], day: datetime) -> list[Event]:
    """The generated events with the appointment written as a bare date (00:00:00)."""
    out = []
    for moment, changes in events:
        if changes.get("TrangThaiHoSo") == 2:
            changes = {**changes, "NgayHenTra": day}
        out.append((moment, changes))
    return out


D = datetime

CASES = (
    # Finished on the due day after the due time (due 19/11/2024 17:00, finished 17:42): late.
    EdgeCase("000.00.31.H03-241115-0002", "finish on the due day after the due time: late", (),
             lambda ev, res: [*_until_pickup(ev), *_finish(D(2024, 11, 19, 17, 42, 10), res,
                                                           D(2024, 11, 20, 8, 15, 0))]),
    # Two supplement requests, the later one sets an EARLIER new date (20/11 then 15/11); finished
    # 18/11: late against the latest request's 15/11 (the greatest date, 20/11, would say early).
    EdgeCase("000.00.17.H03-241029-0001", "a later supplement request sets an earlier date", (),
             lambda ev, res: [*_until_pickup(ev),
                              *_supplements((D(2024, 11, 1, 9, 10), D(2024, 11, 6, 10, 0), D(2024, 11, 20, 17, 0)),
                                            (D(2024, 11, 8, 14, 0), D(2024, 11, 11, 9, 30), D(2024, 11, 15, 17, 0))),
                              *_finish(D(2024, 11, 18, 10, 5), res, D(2024, 11, 18, 15, 0))]),
    # Open on 29/4/2025 with the new appointment Tue 6/5/2025: 30/4, 1/5 and the swapped Fri 2/5 are
    # off, so the working days in (29/4, 6/5] are Mon 5/5 and Tue 6/5: 2, at risk (a calendar without
    # the swap would count 3).
    EdgeCase("000.00.31.H03-241130-0001", "holiday swap (2/5/2025 off) inside an at-risk window", (),
             lambda ev, res: [*_until_pickup(ev),
                              *_supplements((D(2024, 12, 16, 9, 0), D(2025, 4, 24, 10, 0), D(2025, 5, 6, 17, 0))),
                              *_finish(D(2025, 5, 7, 14, 0), res, D(2025, 5, 8, 9, 0))]),
    # Open on 29/4/2025, due Wed 7/5/2025: 3 working days left, not at risk.
    EdgeCase("000.00.17.H03-241205-0001", "just outside the at-risk window after the 2/5/2025 swap", (),
             lambda ev, res: [*_until_pickup(ev),
                              *_supplements((D(2024, 12, 19, 10, 0), D(2025, 4, 22, 9, 0), D(2025, 5, 7, 17, 0))),
                              *_finish(D(2025, 5, 7, 11, 0), res, D(2025, 5, 7, 15, 0))]),
    # Open on 29/4/2025, due Fri 25/4/2025: overdue by the working days in (25/4, 29/4] = the make-up
    # Saturday 26/4, Mon 28/4 and Tue 29/4: -3 (a calendar without the make-up Saturday says -2).
    EdgeCase("000.00.15.H03-241211-0001", "make-up Saturday (26/4/2025) inside an overdue span", (),
             lambda ev, res: [*_until_pickup(ev),
                              *_supplements((D(2025, 1, 6, 9, 0), D(2025, 4, 10, 10, 0), D(2025, 4, 25, 17, 0))),
                              *_finish(D(2025, 5, 9, 10, 0), res, D(2025, 5, 12, 9, 0))]),
    # Phường 1 ended on Fri 25/10/2024 (world.MERGER_LAST_DAY); this dossier, submitted to it on 23/10,
    # was keyed in as accepted on Mon 28/10 under the old code: no agency version in force on the
    # acceptance day, so no level (fix 4).
    EdgeCase("000.01.31.H03-241023-0001", "accepted after its agency's version ended (no version in force)", (4,),
             lambda ev, res: [(D(2024, 10, 28, 8, 40), {"TrangThaiHoSo": 2, "NgayTiepNhan": D(2024, 10, 28, 8, 40),
                                                         "NgayHenTra": D(2024, 10, 29, 17, 0)}),
                              (D(2024, 10, 28, 10, 15), {"TrangThaiHoSo": 4}),
                              *_finish(D(2024, 10, 29, 9, 30), res, D(2024, 10, 29, 10, 5))]),
    # Appointment written as a bare date (22/11/2024 00:00:00) and finished that day at 16:51: the end
    # of that day is the due moment, so on time (fix 7).
    EdgeCase("000.00.17.H03-241112-0001", "NgayHenTra at 00:00:00 means the end of that day", (7,),
             lambda ev, res: _due_at_midnight(ev, D(2024, 11, 22))),
    # Appointment 31/12/2024 00:00:00, still open at the end of 31/12 (due today: at risk, 0 days) and
    # finished on 2/1/2025 (late either way).
    EdgeCase("000.00.23.H03-241210-0001", "bare-date appointment of a dossier open on its due day", (7,),
             lambda ev, res: [*_due_at_midnight(_until_pickup(ev), D(2024, 12, 31)),
                              *_finish(D(2025, 1, 2, 10, 20), res, D(2025, 1, 2, 16, 0))]),
    # Waiting for a payment (status 6) from 27/12/2024 to 3/1/2025, due 31/12/2024: at the end of
    # December paused (not overdue) when status 6 pauses the clock, overdue when it does not (fix 8);
    # its state at that month end is only known from its history, it finished on 6/1/2025 (fix 9).
    EdgeCase("000.00.37.H03-241210-0001", "status 6 at a month end, past due, resumed later", (8, 9),
             lambda ev, res: [*_until_pickup(ev),
                              (D(2024, 12, 27, 10, 0), {"TrangThaiHoSo": 6}),
                              (D(2025, 1, 3, 9, 0), {"TrangThaiHoSo": 4}),
                              *_finish(D(2025, 1, 6, 14, 0), res, D(2025, 1, 7, 9, 30))]),
    # Due 27/9/2024 and still in process at the end of September (overdue then); a supplement asked on
    # 3/10 set a new appointment 17/10, finished 16/10. The September month end must use the state in
    # force then (due 27/9), not today's appointment (fix 9).
    EdgeCase("000.00.33.H03-240912-0001", "supplement after a month end moves the due date later", (9,),
             lambda ev, res: [*_until_pickup(ev),
                              *_supplements((D(2024, 10, 3, 9, 10), D(2024, 10, 10, 10, 0), D(2024, 10, 17, 17, 0))),
                              *_finish(D(2024, 10, 16, 15, 0), res)]),
)
EDGE_CASES: dict[str, EdgeCase] = {case.code: case for case in CASES}
WORLD = (2024, 800.0)   # (seed, scale) of the default world that carries them


def applies_to(seed: int, scale: float) -> bool:
    return (seed, float(scale)) == WORLD
