"""The executor: run a sanitized notebook's cells in a fresh, confined process forked from a pre-imported worker.

The grading process never runs student code. `WorkerPool` starts `workers` zygotes (`autograder.student.zygote`), each
with numpy and IPython imported and, unless told otherwise, confined in Linux namespaces where only the runtime
and the pool's `workspace` exist (`autograder.student.confine`); every job's working copy lives under that workspace.
`run(job)` borrows an idle zygote, which forks one child for the job. When that
child dies, or is killed at a hard limit, in the middle of cell k, cell k gets an error output and a fresh child
replays the cells that succeeded before k (silently) and goes on with k + 1: one bad cell costs that cell.
"""
from __future__ import annotations

import copy
import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from autograder.student.zygote import Blocked, preload_walks

if TYPE_CHECKING:
    from nbformat import NotebookNode

# nbformat (with jsonschema, ~0.3 s) is imported where outputs are built, not here: `check` and `grade` start their
# workers first thing, and the workers' boot is what a one-notebook check waits for.

__all__ = ["GRADING_ENV", "DEFAULT_CELL_TIMEOUT", "Limits", "ExecJob", "ExecResult", "WorkerPool", "execute", "Blocked",
           "Unconfined", "SANDBOX_MODES"]


# What stock `nbgrader autograde` puts in the kernel's environment; `check` sets it too, so a self-learner's check
# runs the notebook exactly as the grader will (notebooks skip their widgets' first drawing when it is set).
GRADING_ENV = {"NBGRADER_EXECUTION": "autograde"}


DEFAULT_CELL_TIMEOUT = 30.0  # seconds: nbgrader's own default (its `Execute.timeout`)


@dataclass(frozen=True)
class Limits:
    # wall seconds per cell: the cell gets a TimeoutError-style error output; None: the course's `Execute.timeout`
    # when `grade` reads one from nbgrader_config.py, else DEFAULT_CELL_TIMEOUT
    cell_timeout: float | None = None
    notebook_timeout: float = 300.0  # wall seconds for the whole notebook; cells not reached get an error output
    memory_mb: int = 2048  # address-space cap of the student's process (a huge allocation -> MemoryError)

    def resolved(self, cell_timeout: float | None = None) -> Limits:
        """These limits with a number for the cell timeout: ours if set, else `cell_timeout`, else the default."""
        if self.cell_timeout is not None:
            return self
        return replace(self, cell_timeout=cell_timeout if cell_timeout is not None else DEFAULT_CELL_TIMEOUT)


@dataclass
class ExecJob:
    nb: NotebookNode  # sanitized notebook; the result carries a copy with outputs
    cwd: Path  # private copy of the submission folder the cells run in
    env: dict[str, str]  # extra environment for the student's process (the probe variables)
    limits: Limits = field(default_factory=Limits)


@dataclass
class ExecResult:
    nb: NotebookNode  # outputs and execution counts filled in, as nbclient would
    status: str  # "ok" | "timeout" | "died"  (the notebook as a whole)
    log: list[str]  # readable lines for the instructor's log


def _error(ename: str, evalue: str) -> NotebookNode:
    from nbformat import from_dict

    return from_dict({"output_type": "error", "ename": ename, "evalue": evalue,
                      "traceback": [f"{ename}: {evalue}"]})


class Unconfined(RuntimeError):
    """The pool must confine student code and the kernel refused the namespaces."""


# "required": namespaces or no run (`grade`); "optional": namespaces where the kernel allows them; "off": none
# (`check`, a self-learner's own code on their own machine)
SANDBOX_MODES = ("required", "optional", "off")


class _Zygote:
    """One pre-imported worker process and its pipes (used by one job at a time)."""

    def __init__(self, walks: list[str], workspace: Path, confine: bool, light: bool = False) -> None:
        argv = [sys.executable, "-m", "autograder.student.zygote", "--workspace", str(workspace)]
        argv += ["--confine"] * confine + ["--light"] * light + [f"--walk-{w}" for w in walks]
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1,
                                     env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
        self.ready: dict | None = None  # the zygote's first message: {"ready": pid, "confined": bool, "why": str}

    def wait_ready(self) -> dict:
        if self.ready is None:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("the execution worker failed to start")
            self.ready = json.loads(line)
        return self.ready

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        """Ask the zygote to exit: it does when its stdin closes."""
        try:
            self.proc.stdin.close()
        except BrokenPipeError:  # it is already gone
            pass

    def close(self) -> None:
        self.stop()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()


class WorkerPool:
    """Pre-forked workers with numpy/IPython imported; `run` is thread-safe and blocking.

    Every job's `cwd` (and probe folder) must lie under `workspace`, a private folder the pool creates and removes:
    a confined worker sees nothing else of the machine's files. `sandbox` is one of SANDBOX_MODES. `light` workers
    leave matplotlib out of the preload (it is imported at a widget's first drawing, which grading skips): for
    one quick check, where the preload is what the learner waits for.
    """

    def __init__(self, workers: int | None = None, run_as: str | None = None, blocked: Blocked = Blocked(),
                 sandbox: str = "required", light: bool = False):
        if sandbox not in SANDBOX_MODES:
            raise ValueError(f"sandbox must be one of {', '.join(SANDBOX_MODES)}, not {sandbox!r}")
        self.workers = workers or os.cpu_count() or 1
        # as root, student code runs as this user; `None` picks `nobody` when root and keeps the user otherwise
        self.run_as = run_as if run_as is not None else ("nobody" if os.geteuid() == 0 else "")
        self.blocked = blocked  # sent with every job: may be set after the workers started, before `run`
        self.sandbox = sandbox
        self.light = light
        self.workspace = Path(tempfile.mkdtemp(prefix="l2w-pool-")).resolve()
        self.workspace.chmod(0o711)  # an unconfined unprivileged student process reaches its own folders, no more
        # a student user that cannot read the interpreter or the packages needs them all imported beforehand
        self._walks = preload_walks(confined=sandbox != "off") if self.run_as else []
        self._idle: queue.Queue[_Zygote] = queue.Queue()
        self._all: list[_Zygote] = []
        self._lock = threading.Lock()
        for _ in range(self.workers):
            self._add()

    def _add(self) -> None:
        zygote = _Zygote(self._walks, self.workspace, confine=self.sandbox != "off", light=self.light)
        with self._lock:
            self._all.append(zygote)
        self._idle.put(zygote)

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            for zygote in self._all:
                zygote.stop()  # all at once, then wait for each
            for zygote in self._all:
                zygote.close()
            self._all.clear()
        shutil.rmtree(self.workspace, ignore_errors=True)

    def confinement(self) -> tuple[bool, str]:
        """Whether the workers run student code in namespaces, and if not, what refused them (waits for one)."""
        zygote = self._idle.get()
        try:
            ready = zygote.wait_ready()
        finally:
            self._idle.put(zygote)
        return bool(ready.get("confined")), ready.get("why", "")

    def run(self, job: ExecJob) -> ExecResult:
        cwd = Path(job.cwd).resolve()
        if self.workspace not in cwd.parents:
            raise ValueError(f"ExecJob.cwd must be a folder under the pool's workspace {self.workspace}, not {cwd}")
        zygote = self._idle.get()
        try:
            ready = zygote.wait_ready()
            if self.sandbox == "required" and not ready.get("confined"):
                raise Unconfined(f"student code cannot be confined on this machine: {ready.get('why')}")
            return _Run(job, self).drive(zygote)
        finally:
            if zygote.alive():
                self._idle.put(zygote)
            else:
                with self._lock:
                    self._all.remove(zygote)
                zygote.close()
                self._add()


class _Run:
    """One notebook through one zygote: start children, collect outputs, replay after a death."""

    def __init__(self, job: ExecJob, pool: WorkerPool):
        self.job = job
        self.limits = job.limits.resolved()
        self.pool = pool
        self.nb = copy.deepcopy(job.nb)
        self.log: list[str] = []
        self.status = "ok"
        code = [(i, c) for i, c in enumerate(self.nb.cells) if c.cell_type == "code"]
        for _, cell in code:
            cell.outputs = []
            cell.execution_count = None
        # nbclient does not send empty cells to the kernel, so they get no execution count
        self.todo = [i for i, c in code if c.source.strip()]
        self.counts = {i: n + 1 for n, i in enumerate(self.todo)}
        self.succeeded: list[int] = []
        self.first_pending: int | None = None  # the first cell of the last child that died before running a cell

    def request(self, cells: list[int], remaining: float) -> str:
        limits = self.limits
        return json.dumps({
            "cells": [{"index": i, "source": self.nb.cells[i].source, "execution_count": self.counts[i]}
                      for i in cells],
            "replay": [self.nb.cells[i].source for i in self.succeeded],
            "cwd": str(self.job.cwd), "env": dict(self.job.env), "run_as": self.pool.run_as,
            "blocked": self.pool.blocked.to_json(), "deadline": remaining,
            "limits": {"cell_timeout": limits.cell_timeout, "memory_mb": limits.memory_mb},
        }) + "\n"

    def drive(self, zygote: _Zygote) -> ExecResult:
        deadline = time.monotonic() + self.limits.notebook_timeout
        pending = list(self.todo)
        while pending:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self._not_reached(pending)
                break
            zygote.proc.stdin.write(self.request(pending, remaining))
            zygote.proc.stdin.flush()
            pending = self._collect(zygote, pending)
        return ExecResult(nb=self.nb, status=self.status, log=self.log)

    def _collect(self, zygote: _Zygote, pending: list[int]) -> list[int]:
        """Read one child's messages; return the cells still to run after it ended."""
        import nbformat

        running = None
        for line in zygote.proc.stdout:
            message = json.loads(line)
            if "start" in message:
                running = message["start"]
            elif "done" in message:
                index = message["done"]
                cell = self.nb.cells[index]
                cell.outputs = [nbformat.from_dict(o) for o in message["outputs"]]
                cell.execution_count = self.counts[index]
                if any(o.get("ename") == "CellTimeoutError" for o in message["outputs"]):
                    self.status = "timeout"
                    self.log.append(f"cell {index}: ran past its {self.limits.cell_timeout:g} s time limit")
                pending = pending[pending.index(index) + 1:]
                if not message["error"]:
                    self.succeeded.append(index)
                running = None
            elif "end" in message:
                return self._ended(message["end"], message["detail"], running, pending)
        raise RuntimeError("the execution worker exited unexpectedly")

    def _ended(self, how: str, detail: str, running: int | None, pending: list[int]) -> list[int]:
        if how == "ok":
            return []
        if how == "notebook_killed":
            self.status = "timeout"
            self.log.append(f"notebook time limit ({self.limits.notebook_timeout:g} s) reached")
            self._not_reached(pending)
            return []
        if running is None:  # died between cells: nothing to blame, go on with what is left
            self.log.append(f"the process ended between cells: {detail}")
            self.status = "died"
            if pending and pending[0] == self.first_pending:  # twice without running a cell: it cannot start
                for index in pending:
                    self.nb.cells[index].outputs = [_error("ProcessDied", f"not run: the process could not start "
                                                                          f"({detail})")]
                return []
            self.first_pending = pending[0] if pending else None
            return pending
        cell = self.nb.cells[running]
        cell.execution_count = self.counts[running]
        if how == "cell_killed":
            self.status = "timeout"
            cell.outputs.append(_error("CellTimeoutError", detail))
        else:
            if self.status == "ok":
                self.status = "died"
            cell.outputs.append(_error("ProcessDied", f"{detail} while running this cell"))
        self.log.append(f"cell {running}: {detail}; the cells after it run in a fresh process")
        return pending[pending.index(running) + 1:]

    def _not_reached(self, cells: list[int]) -> None:
        for index in cells:
            self.nb.cells[index].outputs = [_error(
                "CellTimeoutError", "not run: the notebook ran past its time limit")]
        self.status = "timeout"


def execute(job: ExecJob, **pool_kwargs) -> ExecResult:
    """Run one notebook (the self-learner's check) in a one-worker pool."""
    pool_kwargs.setdefault("workers", 1)
    with WorkerPool(**pool_kwargs) as pool:
        return pool.run(job)
