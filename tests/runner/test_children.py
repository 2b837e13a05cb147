"""Children of the run command never outlive it: SIGTERM kills their process group, SIGKILL of the
parent kills them through PR_SET_PDEATHSIG. Fast: a tiny parent script stands in for the run command."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from ioc_pipeline import config

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux process semantics")

PARENT = """
import sys
from ioc_pipeline.runner.dag_runs import child
from ioc_pipeline.runner.run import stop_on_signals
label = sys.argv[1]
# the child starts a grandchild in its own (inherited) process group, as airflow may start dbt
script = ("import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)', "
          f"'{label}-grandchild']); time.sleep(300)")
with stop_on_signals():
    print('started', flush=True)
    child([sys.executable, '-c', script, label])
"""


def _with_label(label: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if label.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


def _default_signals() -> None:
    """The stand-in starts as from a terminal, SIGINT and SIGTERM at their defaults. An ignored signal
    stays ignored across exec, and the pytest worker may have SIGINT ignored (a suite started as a
    background job of a non-interactive shell ignores it; so may code an earlier test ran in-process):
    the stand-in then never saw its Ctrl-C and the SIGINT case hung (two CI runs here)."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)


def _start(label: str) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", PARENT, label], cwd=config.PROJECT_ROOT, stdout=subprocess.PIPE,
                            text=True, env={**os.environ, "PYTHONPATH": str(config.PROJECT_ROOT)},
                            preexec_fn=_default_signals)
    assert proc.stdout.readline().strip() == "started"
    deadline = time.monotonic() + 30
    while len(_with_label(label)) < 3 and time.monotonic() < deadline:  # parent, child, grandchild
        time.sleep(0.1)
    assert len(_with_label(label)) == 3
    return proc


def _gone(label: str, within: float) -> list[int]:
    deadline = time.monotonic() + within
    while _with_label(label) and time.monotonic() < deadline:
        time.sleep(0.1)
    return _with_label(label)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_terminated_run_takes_its_process_group_down(sig):
    label = f"ioc-test-{uuid.uuid4().hex}"
    proc = _start(label)
    proc.send_signal(sig)
    proc.wait(20)
    assert proc.returncode != 0
    assert _gone(label, 5) == []


def test_a_sigkilled_run_takes_its_children_down():
    """The child by PR_SET_PDEATHSIG, the grandchild by the guard process."""
    label = f"ioc-test-{uuid.uuid4().hex}"
    proc = _start(label)
    proc.kill()
    proc.wait(10)
    assert _gone(label, 5) == []
