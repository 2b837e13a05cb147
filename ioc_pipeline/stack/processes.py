"""Background processes of the local stack: started in their own session (so their own process group),
remembered in pid files, and stopped whole.

Why more than `killpg`: Airflow's task supervisor puts every task in a process group of its own, so a
scheduler's (or Celery worker's) group does not hold its tasks. Every process of one stack carries
`IOC_STACK_ID=<id>` in its environment (children inherit it), and `stop_all` also sweeps the machine
for processes with that mark, so nothing a stack started outlives `down` — and nothing else is ever
touched.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

from ioc_pipeline import config

MARK = config.STACK_MARK_ENV


@dataclass(frozen=True)
class PidFile:
    """`<pids>/<name>.pid` holding "pid create_time" (the start time guards against pid reuse)."""

    path: Path

    @property
    def name(self) -> str:
        return self.path.stem

    def read(self) -> tuple[int, float] | None:
        try:
            pid, started = self.path.read_text().split()
            return int(pid), float(started)
        except (OSError, ValueError):
            return None

    def process(self) -> psutil.Process | None:
        """The live process this file names, or None (gone, zombie, or a reused pid)."""
        entry = self.read()
        if entry is None:
            return None
        pid, started = entry
        try:
            proc = psutil.Process(pid)
            if abs(proc.create_time() - started) > 0.05 or proc.status() == psutil.STATUS_ZOMBIE:
                return None
            return proc
        except psutil.Error:
            return None


def start(name: str, argv: list[str], env: dict[str, str], pid_dir: Path, log_dir: Path,
          cwd: Path | None = None) -> psutil.Process:
    """Start `argv` detached (new session = new process group), output to `<log_dir>/<name>.log`."""
    pid_dir.mkdir(parents=True, exist_ok=True)
    log_dir.mkdir(parents=True, exist_ok=True)
    with (log_dir / f"{name}.log").open("ab") as out:
        popen = subprocess.Popen(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out,
                                 stderr=subprocess.STDOUT, start_new_session=True)
    proc = psutil.Process(popen.pid)
    (pid_dir / f"{name}.pid").write_text(f"{proc.pid} {proc.create_time()}\n")
    # Popen's handle is dropped on purpose: the process must outlive this command. Mark it reaped
    # so that Python does not warn about it; the kernel reparents it when we exit.
    popen.returncode = 0
    return proc


def pid_files(pid_dir: Path) -> list[PidFile]:
    return sorted((PidFile(p) for p in pid_dir.glob("*.pid")), key=lambda f: f.name) if pid_dir.is_dir() else []


def marked(stack_id: str) -> list[psutil.Process]:
    """Every live process carrying this stack's mark in its environment."""
    found = []
    needle = f"{MARK}={stack_id}".encode()
    for proc in psutil.process_iter():
        try:
            if proc.pid == os.getpid():
                continue
            with open(f"/proc/{proc.pid}/environ", "rb") as fh:
                if needle in fh.read().split(b"\0") and proc.status() != psutil.STATUS_ZOMBIE:
                    found.append(proc)
        except (OSError, psutil.Error):
            continue
    return found


def _gone(proc: psutil.Process) -> bool:
    """Ended: no such process, or a zombie (this machine's init reaps orphans only every few seconds)."""
    try:
        return proc.status() == psutil.STATUS_ZOMBIE
    except psutil.Error:
        return True


def wait_gone(procs, timeout: float) -> list[psutil.Process]:
    """Wait until every process has ended; return those still alive after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    alive = [p for p in procs if not _gone(p)]
    while alive and time.monotonic() < deadline:
        time.sleep(0.2)
        alive = [p for p in alive if not _gone(p)]
    return alive


def _signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)  # started with start_new_session: the group id is the leader's pid
    except (ProcessLookupError, PermissionError):
        pass


def stop_all(files: list[PidFile], stack_id: str | None, timeout: float = 30.0) -> list[psutil.Process]:
    """SIGTERM every group and every process of the stack, SIGKILL what is left after `timeout`.

    Returns the processes still alive at the end (empty when all went)."""
    procs: dict[int, psutil.Process] = {}
    leaders = []
    for pid_file in files:
        leader = pid_file.process()
        if leader is None:
            continue
        leaders.append(leader)
        procs[leader.pid] = leader
        try:
            for child in leader.children(recursive=True):
                procs[child.pid] = child
        except psutil.Error:
            pass
    for proc in marked(stack_id) if stack_id else []:
        procs.setdefault(proc.pid, proc)
    for leader in leaders:
        _signal_group(leader.pid, signal.SIGTERM)
    for proc in procs.values():
        try:
            proc.terminate()
        except psutil.Error:
            pass
    alive = wait_gone(list(procs.values()), timeout)
    for leader in leaders:
        _signal_group(leader.pid, signal.SIGKILL)
    for proc in alive:
        try:
            proc.kill()
        except psutil.Error:
            pass
    wait_gone(alive, 5)
    # Anything started meanwhile (a task forking while we stopped its parent) goes too.
    deadline = time.monotonic() + 10
    left = marked(stack_id) if stack_id else []
    while left and time.monotonic() < deadline:
        for proc in left:
            try:
                proc.kill()
            except psutil.Error:
                pass
        wait_gone(left, 2)
        left = marked(stack_id)
    for pid_file in files:
        pid_file.path.unlink(missing_ok=True)
    return left
