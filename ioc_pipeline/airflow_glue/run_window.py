"""What a DAG run covers, whoever started it: the scheduler, a backfill, the run command, or a person
pressing "Trigger" (UI, REST API, `airflow dags trigger`) without a logical date.

Airflow 3 runs triggered without a logical date, and every Asset-triggered run, have no
`logical_date`, `ds` or `data_interval_*` in their context (reading them raises KeyError). The DAGs
read their window through `data_interval()` and `run_conf()` instead:

- a catch-up interval given as params/conf (`interval_start`, `interval_end`; the run command's
  conf keys, the trigger form's fields) is taken as given;
- else the run's data interval when it has a logical date (scheduled runs, backfills);
- else the interval a scheduled run would cover at the moment the run was created (`run_after`):
  for the nightly extraction, the last complete night; the stored watermark still widens it back to
  whatever was missed.

Extractions tag the Asset events they publish with the day the data describes (`as_of`), and the
Asset-triggered `ioc_build_marts` builds the marts as of the latest such day (`as_of_day`), unless
the run was given one.

Imported at DAG parse time: only cheap imports here.
"""

from __future__ import annotations

from datetime import date, datetime

from airflow.sdk import Param

from ioc_pipeline import config

VN = config.VN
INTERVAL_KEYS = ("interval_start", "interval_end")
# A day, or an ISO 8601 date-time with an optional UTC offset (what the run command sends).
MOMENT_PATTERN = r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?)?$"
DAY_PATTERN = r"^\d{4}-\d{2}-\d{2}$"


def interval_params() -> dict[str, Param]:
    """The catch-up interval `[interval_start, interval_end)` a run may be given (both or neither)."""
    common = {"type": ["null", "string"], "pattern": MOMENT_PATTERN}
    return {
        "interval_start": Param(
            None, title="Catch up from (inclusive)",
            description="YYYY-MM-DD (00:00 Vietnam time) or an ISO 8601 date-time. Empty: the run's own "
                        "data interval (the scheduled one, or the last complete one when triggered "
                        "without a logical date).", **common),
        "interval_end": Param(
            None, title="Catch up to (exclusive)",
            description="YYYY-MM-DD (00:00 Vietnam time) or an ISO 8601 date-time; after interval_start. "
                        "Give both or neither.", **common),
    }


def as_of_params() -> dict[str, Param]:
    return {
        "as_of": Param(
            None, type=["null", "string"], format="date", pattern=DAY_PATTERN, title="As of (day)",
            description="The day 'now' means for open dossiers, YYYY-MM-DD. Empty: the latest day the "
                        "triggering extractions describe, else the run's logical date, else the day "
                        "the run was created (Vietnam time)."),
    }


def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=VN)


def _day_in_vn(moment) -> str:
    return moment.astimezone(VN).date().isoformat()


def run_conf(context) -> dict:
    """The run's conf with its params folded in, the catch-up interval as aware ISO date-times.

    Raises AirflowFailException (no retry) for half an interval or an empty one."""
    from airflow.sdk.exceptions import AirflowFailException

    conf = dict(context["dag_run"].conf or {})
    params = context.get("params") or {}
    for key in (*INTERVAL_KEYS, "as_of"):
        if params.get(key) not in (None, ""):
            conf[key] = params[key]
    given = [k for k in INTERVAL_KEYS if conf.get(k) not in (None, "")]
    if len(given) == 1:
        raise AirflowFailException(f"give both interval_start and interval_end, or neither (got only {given[0]})")
    if given:
        try:
            start, end = (_moment(str(conf[k])) for k in INTERVAL_KEYS)
        except ValueError as exc:
            raise AirflowFailException(f"unreadable catch-up interval: {exc}") from None
        if end <= start:
            raise AirflowFailException(f"interval_end ({end}) must be after interval_start ({start})")
        conf["interval_start"], conf["interval_end"] = start.isoformat(), end.isoformat()
    else:
        for key in INTERVAL_KEYS:
            conf.pop(key, None)
    return conf


def data_interval(context) -> tuple[datetime, datetime]:
    """The run's data interval; without a logical date, the one a scheduled run would have had."""
    if context.get("data_interval_start") is not None and context.get("data_interval_end") is not None:
        return context["data_interval_start"], context["data_interval_end"]
    import pendulum

    run_after = pendulum.instance(context["dag_run"].run_after)
    interval = context["dag"].timetable.infer_manual_data_interval(run_after=run_after)
    return interval.start, interval.end


def run_window(context) -> tuple[datetime, datetime]:
    """`[start, end)` the run describes: its catch-up interval, else its data interval."""
    conf = run_conf(context)
    if conf.get("interval_start"):
        return _moment(conf["interval_start"]), _moment(conf["interval_end"])
    return data_interval(context)


def publish_as_of(context, asset) -> None:
    """Tag this task's event on `asset` with the day its data describes (the window's end)."""
    context["outlet_events"][asset].extra["as_of"] = _day_in_vn(run_window(context)[1])


def as_of_day(params, dag_run, triggering_asset_events) -> str:
    """Jinja macro of `ioc_build_marts`: the as-of day, YYYY-MM-DD (see `as_of_params`)."""
    given = (params or {}).get("as_of") or (dag_run.conf or {}).get("as_of")
    if given:
        return date.fromisoformat(str(given)[:10]).isoformat()
    days = [event.extra.get("as_of") for events in (triggering_asset_events or {}).values() for event in events
            if isinstance(getattr(event, "extra", None), dict) and event.extra.get("as_of")]
    if days:
        return max(days)
    return _day_in_vn(dag_run.logical_date or dag_run.run_after)
