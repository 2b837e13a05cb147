"""Sources default to the project's own simulator when no connection is configured (run.md)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from datetime import date, datetime

from ioc_pipeline import config
from ioc_pipeline.sources.formats import VN

log = logging.getLogger(__name__)


@contextlib.contextmanager
def default_sources(interval_from: date, interval_to: date) -> Iterator[dict[str, str]]:
    """Yield the connection variables for sources left unconfigured, serving them meanwhile.

    The simulated world is seen as it stands at the end of the interval, as a real source would be
    when that night's extraction runs.
    """
    missing = [c for c in (config.CONN_ONE_STOP_SHOP, config.CONN_DVC_PORTAL) if not config.connection_uri(c)]
    if not missing:
        yield {}
        return
    from ioc_pipeline.simulator.server import SimulatorServer

    as_of = datetime.combine(interval_to, datetime.min.time(), VN)
    with SimulatorServer(as_of=as_of) as server:
        env = {}
        if config.CONN_ONE_STOP_SHOP in missing:
            env["AIRFLOW_CONN_ONE_STOP_SHOP"] = server.dossier_conn_uri
        if config.CONN_DVC_PORTAL in missing:
            env["AIRFLOW_CONN_DVC_PORTAL"] = server.portal_conn_uri
        log.info("no connection configured for %s: serving the simulator at %s and %s",
                 ", ".join(missing), server.dossier_url, server.portal_url)
        yield env
