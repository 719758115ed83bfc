"""Record stage: nbgrader's own post-execution preprocessors put the scores into nbgrader's gradebook.

The list and order are `nbgrader.converters.Autograde.autograde_preprocessors` without `Execute` (our executor
ran the cells): ignore configured stderr patterns, clear metadata when configured, limit outputs, save the
autograder's grades (`SaveAutoGrades`, `nbgrader.utils.determine_grade`), late penalties, a last metadata check.
So a cell scores what stock `nbgrader autograde` would give it, and formgrader, manual grading, export and
feedback read the same rows.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbconvert.preprocessors import ClearMetadataPreprocessor
from nbformat import NotebookNode
from nbformat.v4.nbjson import BytesEncoder
from nbformat.v4.rwbase import strip_transient
from nbgrader import utils
from nbgrader.api import Comment, Gradebook, Grade, MissingEntry
from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, IgnorePattern, LimitOutput,
                                    SaveAutoGrades)
from sqlalchemy.orm import joinedload
from traitlets.config import Config

from autograder.sanitize import Chain


class SaveAutoGradesAtOnce(SaveAutoGrades):
    """SaveAutoGrades in one transaction per notebook: the same rows get the same values, by nbgrader's own rules.

    Stock SaveAutoGrades looks each grade and comment up with its own query and commits after every cell; here
    the submission's grades and comments are read in two queries and committed once (a kill in between leaves the
    notebook's rows as they were, never half updated). `_add_score` and `_add_comment` keep nbgrader's logic.
    """

    def preprocess(self, nb, resources):
        self.notebook_id = resources["nbgrader"]["notebook"]
        self.assignment_id = resources["nbgrader"]["assignment"]
        self.student_id = resources["nbgrader"]["student"]
        self.db_url = resources["nbgrader"]["db_url"]
        self.gradebook = Gradebook(self.db_url)
        with self.gradebook as gb:
            submitted = gb.find_submission_notebook(self.notebook_id, self.assignment_id, self.student_id)
            self._rows = {kind: {row.cell.name: row for row in gb.db.query(kind).options(joinedload(kind.cell))
                                 .filter(kind.notebook_id == submitted.id)} for kind in (Grade, Comment)}
            nb, resources = super(SaveAutoGrades, self).preprocess(nb, resources)
            gb.db.commit()
        return nb, resources

    def _row(self, kind, cell):
        name = cell.metadata["nbgrader"]["grade_id"]
        try:
            return self._rows[kind][name]
        except KeyError:
            raise MissingEntry(f"No such {kind.__name__.lower()}: {self.assignment_id}/{self.notebook_id}/{name}"
                               f" of {self.student_id}") from None

    def _add_score(self, cell, resources):
        grade = self._row(Grade, cell)
        grade.auto_score, _ = utils.determine_grade(cell, self.log)
        # a manual grade, or no autograder score, means a person has to look (as SaveAutoGrades decides)
        grade.needs_manual_grade = grade.manual_score is not None or grade.auto_score is None

    def _add_comment(self, cell, resources):
        comment = self._row(Comment, cell)
        unchanged = cell.metadata.nbgrader.get("checksum", None) == utils.compute_checksum(cell)
        comment.auto_comment = "No response." if unchanged and not utils.is_task(cell) else None


RECORD = (IgnorePattern, ClearMetadataPreprocessor, LimitOutput, SaveAutoGradesAtOnce, AssignLatePenalties,
          CheckCellMetadata)


@dataclass
class NotebookGrade:
    """What one notebook of one student scored, cell by cell (autograded cells only)."""

    student: str
    notebook: str
    scores: dict[str, float] = field(default_factory=dict)  # grade_id -> points the autograder gave
    max_scores: dict[str, float] = field(default_factory=dict)  # grade_id -> points possible
    status: str = "ok"  # "ok" | "timeout" | "died" | "failed" (the notebook could not be graded at all)
    reason: str = ""  # why it is not "ok", for the log


def cell_scores(nb: NotebookNode) -> tuple[dict[str, float], dict[str, float]]:
    """Autograder points per grade cell, by nbgrader's rules (manually graded cells are left out)."""
    scores, max_scores = {}, {}
    for cell in nb.cells:
        if utils.is_grade(cell):
            score, max_score = utils.determine_grade(cell)
            if score is not None:
                scores[cell.metadata.nbgrader["grade_id"]] = float(score)
                max_scores[cell.metadata.nbgrader["grade_id"]] = float(max_score)
    return scores, max_scores


def write_notebook(nb: NotebookNode, path: Path) -> None:
    """`nb` validated and written as nbformat writes it, but as compact JSON: nbformat's one-space indent makes
    Python's JSON encoder fall back from C to Python, and its defensive deep copy doubles that. Every notebook
    reader (nbgrader's feedback, formgrader, JupyterLab) reads the same notebook either way."""
    nbformat.validate(nb)
    text = json.dumps(strip_transient(nb), cls=BytesEncoder, sort_keys=True, ensure_ascii=False)
    path.write_text(text + "\n", encoding="utf-8")


class Recorder:
    """Save an executed notebook's grades into the gradebook and write it where nbgrader writes it."""

    def __init__(self, config: Config, db_url: str):
        self.chain = Chain(RECORD, config)
        self.db_url = db_url

    def __call__(self, nb: NotebookNode, resources: dict, dest: Path) -> tuple[dict, dict]:
        nb = self.chain(nb, resources)
        dest.parent.mkdir(parents=True, exist_ok=True)
        if dest.exists():
            dest.unlink()  # nbgrader leaves autograded notebooks read-only
        write_notebook(nb, dest)
        return cell_scores(nb)

    def zero(self, assignment: str, student: str, notebook: str) -> tuple[dict, dict]:
        """A notebook that cannot be graded: every autograded cell gets 0, as nbgrader does for a missing one."""
        scores, max_scores = {}, {}
        with Gradebook(self.db_url) as gb:
            try:
                submitted = gb.find_submission_notebook(notebook, assignment, student)
            except MissingEntry:
                return scores, max_scores
            for grade in submitted.grades:
                grade.auto_score = 0
                grade.needs_manual_grade = False
                scores[grade.name] = 0.0
                max_scores[grade.name] = float(grade.max_score)
            gb.db.commit()
        return scores, max_scores
