"""Typed options of the instructors' batch grade (`python -m autograder grade`)."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from autograder.execute import Limits


@dataclass(frozen=True)
class GradeOptions:
    assignment: str  # the nbgrader assignment id: every submitted/*/<assignment> is graded
    course: Path = Path(".")  # the nbgrader course directory (its nbgrader_config.py, gradebook, submitted/)
    workers: int = field(default_factory=lambda: os.cpu_count() or 1)  # parallel student processes: one per core
    limits: Limits = field(default_factory=Limits)  # per-cell and per-notebook time, memory of each student
    seed: int | None = None  # probe seed for a regrade; None draws a fresh one per submission
    force: bool = False  # regrade submissions already graded by an earlier (complete or killed) run
    run_as: str | None = None  # user the student's code runs as; None: `nobody` when root, else the grader's user
    unconfined: bool = False  # run student code without namespaces (it can then read what `run_as` can read)
    restore_missing_cells: bool = True  # put deleted test cells back and score them (stock nbgrader leaves them out)
    progress: bool = True  # tqdm progress bar on stderr
    report: bool = True  # write the grades CSV and the score histogram PNG at the end

    @property
    def state_dir(self) -> Path:
        """Where a run remembers which submissions are fully recorded, so a killed run resumes."""
        return self.course / ".autograder" / self.assignment
