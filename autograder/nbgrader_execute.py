"""Stock nbgrader's autograde, executed the course's way: `ConfinedExecute` replaces `nbgrader.preprocessors.Execute`.

`nbgrader autograde` and formgrader's Autograde button run every submission in a Jupyter kernel as the grading
account, which can read `source/` and write the gradebook. Listed in `Autograde.autograde_preprocessors` (the
repository's nbgrader_config.py, which the hub's course copies), this preprocessor runs the notebook as `grade`
does instead: confined in namespaces (`autograder.student.confine`), with the probes' inputs drawn here and their
reports judged here, outside the student's process. nbgrader's own preprocessors before and after it (sanitize, record,
late penalties) are unchanged.
"""
from __future__ import annotations

import atexit
import shutil
import tempfile
import threading
from pathlib import Path

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool, Float, Integer

from autograder.execute import GRADING_ENV, ExecJob, Limits, WorkerPool

_pool: WorkerPool | None = None
_lock = threading.Lock()


def _shared_pool() -> WorkerPool:
    """One confined worker for the life of the process (formgrader's service autogrades one notebook at a time)."""
    global _pool
    with _lock:
        if _pool is None:
            _pool = WorkerPool(workers=1, sandbox="required")
            atexit.register(_pool.close)
        return _pool


class ConfinedExecute(Preprocessor):
    """Execute the notebook in a confined, pre-imported worker and judge its probes (see the module docstring)."""

    # nbconvert's preprocessors are off unless enabled; off, a notebook would be "graded" without running at all
    enabled = Bool(True).tag(config=True)
    timeout = Float(None, allow_none=True, help="seconds per cell (default: Execute.timeout, else 30)").tag(config=True)
    memory_mb = Integer(2048, help="address-space cap of the student's process").tag(config=True)

    def preprocess(self, nb, resources):
        from autograder.grade import SEED_FILE, keep_written_files, probe_stage

        folder = Path(resources.get("metadata", {}).get("path") or ".")
        cell_timeout = self.timeout if self.timeout is not None else self.config.get("Execute", {}).get("timeout")
        limits = Limits(cell_timeout=cell_timeout, memory_mb=self.memory_mb).resolved()
        pool = _shared_pool()
        stage = probe_stage(seed=None)
        with tempfile.TemporaryDirectory(prefix="nbgrader-", dir=pool.workspace) as tmp:
            Path(tmp).chmod(0o711)
            cwd, probe_dir = Path(tmp) / "work", Path(tmp) / "probe"
            shutil.copytree(folder, cwd, ignore=shutil.ignore_patterns("*.ipynb"))
            env = dict(GRADING_ENV)
            if stage is not None:
                env.update(stage.before_execute(nb, probe_dir))
            result = pool.run(ExecJob(nb=nb, cwd=cwd, env=env, limits=limits))
            if stage is not None:
                stage.after_execute(result.nb, probe_dir)
                (folder / SEED_FILE).write_text(f"{stage.seed}\n")
            keep_written_files(cwd, folder)
        for line in result.log:
            self.log.warning("%s", line)
        return result.nb, resources
