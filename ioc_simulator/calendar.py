"""The working calendar the simulated one-stop desks set appointments with.

A thin re-export of `ioc_pipeline.workcalendar`, so that the simulator's appointment dates and the
warehouse's deadline arithmetic (dim_date) come from the same holidays and the same override table
(`dbt_project/seeds/calendar_overrides.csv`): a correction there moves both.

Note: this module is `ioc_simulator.calendar`; always import it by its package path (never
run files of this folder as scripts, or it shadows the standard library's `calendar`).
"""

from __future__ import annotations

from ioc_pipeline.workcalendar import (
    OVERRIDES,
    add_working_days,
    is_working_day,
    working_days,
    working_days_between,
)

__all__ = ["OVERRIDES", "add_working_days", "is_working_day", "working_days", "working_days_between"]
