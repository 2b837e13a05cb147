"""The demo's sources: the project's own simulator, served for every source left unconfigured (docs/contracts/run.md).

Why a module of its own: the pipeline must run against the real systems without the simulator, so
this is the only module of `ioc_pipeline` that imports `ioc_simulator`, and only the command line
imports it, lazily: `run` when a source is unconfigured, `simulate` to serve it in the foreground.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from datetime import date

from ioc_simulator.cli import main as simulator_main
from ioc_simulator.operators_cli import fill_default_inbox
from ioc_simulator.server import SimulatorServer

from ioc_pipeline import config
from ioc_pipeline.months import start_of_day

log = logging.getLogger(__name__)


def _operator_inbox(interval_from: date, interval_to: date) -> dict[str, str]:
    """Without OPERATOR_REPORTS_INBOX, a folder the simulator fills with the operators' workbooks
    of every report month in the interval, as delivered (late ones and corrections included)."""
    if config.operator_reports_inbox() is not None:
        return {}
    folder, files = fill_default_inbox(interval_from, interval_to, folder=config.STATE_DIR / "operator_inbox")
    log.info("OPERATOR_REPORTS_INBOX is not set: the simulator dropped %d workbooks into %s", len(files), folder)
    return {config.OPERATOR_REPORTS_INBOX_ENV: str(folder)}


@contextlib.contextmanager
def demo_sources(interval_from: date, interval_to: date) -> Iterator[dict[str, str]]:
    """Yield the variables for sources left unconfigured, serving the simulator meanwhile.

    The simulated APIs show the world as it stands at the end of the interval, as a real source
    would when that night's extraction runs.
    """
    env = _operator_inbox(interval_from, interval_to)
    missing = [c for c in (config.CONN_ONE_STOP_SHOP, config.CONN_DVC_PORTAL) if not config.connection_uri(c)]
    if not missing:
        yield env
        return
    scale = config.simulator_scale()
    with SimulatorServer(as_of=start_of_day(interval_to), **({"scale": scale} if scale else {})) as server:
        if config.CONN_ONE_STOP_SHOP in missing:
            env["AIRFLOW_CONN_ONE_STOP_SHOP"] = server.dossier_conn_uri
        if config.CONN_DVC_PORTAL in missing:
            env["AIRFLOW_CONN_DVC_PORTAL"] = server.portal_conn_uri
        log.info("no connection configured for %s: serving the simulator at %s and %s",
                 ", ".join(missing), server.dossier_url, server.portal_url)
        yield env


def simulate(argv: list[str]) -> int:
    """`python -m ioc_pipeline simulate`: the simulator in the foreground, its own options untouched."""
    return simulator_main(argv) or 0
