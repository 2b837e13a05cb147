"""`bin/airflow up [--executor local|celery] | down | status | <any airflow command>`.

`up`, `down` and `status` manage the stack (ioc_pipeline/stack/stack.py); anything else runs the
Airflow CLI with the stack's environment (its metadata database, DAGs folder, time zone, connections),
e.g. `bin/airflow dags list` or `bin/airflow backfill create --dag-id ... --from-date ... --to-date ...`.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from ioc_pipeline import config


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    os.environ.update(config.QUIET_ENV)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    from ioc_pipeline.stack import stack

    if argv[:1] in (["up"], ["down"], ["status"]):
        parser = argparse.ArgumentParser(prog=f"bin/airflow {argv[0]}", description=stack.__doc__,
                                         formatter_class=argparse.RawDescriptionHelpFormatter)
        if argv[0] == "up":
            parser.add_argument("--executor", choices=sorted(stack.EXECUTORS),
                                default=config.airflow_executor(),
                                help="local (default: tasks run as subprocesses of the scheduler) or celery "
                                     "(Redis broker + a Celery worker)")
            parser.add_argument("--timeout", type=float, default=420.0,
                                help="seconds to wait for a healthy stack with every DAG parsed (default 420)")
        if argv[0] == "down":
            parser.add_argument("--timeout", type=float, default=30.0,
                                help="seconds running tasks get to stop before SIGKILL (default 30)")
        args = parser.parse_args(argv[1:])
        if argv[0] == "up":
            return stack.up(args.executor, timeout=args.timeout)
        return stack.down(timeout=args.timeout) if argv[0] == "down" else stack.status()
    if argv[:1] in ([], ["-h"], ["--help"]):
        print(__doc__)
        return 0
    env = stack.airflow_env()
    airflow = stack._airflow_bin()
    os.execvpe(airflow, [airflow, *argv], env)
    return 127  # not reached


if __name__ == "__main__":
    sys.exit(main())
