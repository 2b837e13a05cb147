"""The command line: argument errors are clear, the simulator command serves real HTTP."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import requests

from ioc_pipeline import config


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cli(*args, timeout=60):
    return subprocess.run([sys.executable, "-m", "ioc_pipeline", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=config.PROJECT_ROOT)


def test_run_refuses_a_bad_date_and_an_empty_interval():
    bad = _cli("run", "--from", "2024-13-01", "--to", "2025-01-01")
    assert bad.returncode == 2 and "not a YYYY-MM-DD date" in bad.stderr
    backwards = _cli("run", "--from", "2024-09-01", "--to", "2024-09-01")
    assert backwards.returncode == 2 and "--to must be after --from" in backwards.stderr


def test_simulate_serves_the_dossier_api_with_its_own_options():
    dossier_port, portal_port = _free_port(), _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "ioc_pipeline", "simulate", "--dossier-port", str(dossier_port),
                             "--portal-port", str(portal_port)], stdout=subprocess.PIPE, text=True,
                            cwd=config.PROJECT_ROOT)
    try:
        first_line = proc.stdout.readline()
        assert first_line.strip() == f"AIRFLOW_CONN_ONE_STOP_SHOP=http://:sim-key@127.0.0.1:{dossier_port}"
        deadline = time.monotonic() + 10
        while True:
            try:
                reply = requests.get(f"http://127.0.0.1:{dossier_port}/api/v1/hoso", timeout=2,
                                     headers={"Authorization": "Bearer sim-key"},
                                     params={"updated_from": "2024-09-02T00:00:00+07:00",
                                             "updated_to": "2024-09-10T00:00:00+07:00"})
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline
                time.sleep(0.1)
        assert reply.status_code == 200 and reply.json()["total"] > 0
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_the_simulator_has_its_own_command_and_the_pipeline_passes_through_to_it():
    own = subprocess.run([sys.executable, "-m", "ioc_simulator", "--help"], capture_output=True, text=True,
                         timeout=60, cwd=config.PROJECT_ROOT)
    assert own.returncode == 0 and "--dossier-port" in own.stdout and "--fail-request" in own.stdout
    passed = _cli("simulate", "--help")
    assert passed.returncode == 0 and passed.stdout == own.stdout
