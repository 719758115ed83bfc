"""Per-cell verdicts: what happened to every graded cell of every submission, kept beside the gradebook.

    rows = cell_verdicts(nb, probe_verdicts, scores, max_scores, student, assignment, notebook)
    write_student(state_dir, student, rows)          # <course>/.autograder/<assignment>/verdicts/<student>.json
    rows = read_assignment(state_dir)                # every student's rows, for the report and the export

A row: {student, assignment, notebook, question, points, max, outcome, mistake, message}. `outcome` is one of
`judge.OUTCOMES`; `mistake` is the spec's label of a hidden-probe failure ("visible-assert" and the other
outcomes carry none). One file per student, replaced atomically when the student's submission is recorded, so a
killed or resumed `grade` keeps exactly one set of rows per student, like the gradebook. The folder is under
`.autograder/`, which students' code cannot read while grading and which the course directory keeps private.
"""
from __future__ import annotations

import json
from pathlib import Path

from nbgrader import utils

from autograder.state import write_json

FIELDS = ("student", "assignment", "notebook", "question", "points", "max", "outcome", "mistake", "message")
MESSAGE_KEPT = 600  # characters: a message is for a person skimming the report, not a full traceback


def _error_of(cell):
    return next((o for o in cell.get("outputs", []) if o.get("output_type") == "error"), None)


def cell_verdicts(nb, probe_verdicts, scores: dict, max_scores: dict, student: str, assignment: str,
                  notebook: str) -> list[dict]:
    """One row per autograded cell of the executed, judged notebook `nb`."""
    from autograder.judge import PASSED, error_text, outcome_of_error

    by_cell = {v.cell_id: v for v in probe_verdicts}
    rows = []
    for cell in nb.cells:
        if not utils.is_grade(cell) or cell.metadata.nbgrader.get("grade_id") not in scores:
            continue
        gid = cell.metadata.nbgrader["grade_id"]
        verdict, error = by_cell.get(gid), _error_of(cell)
        if verdict is not None:
            outcome, mistake, message = verdict.outcome, verdict.mistake, verdict.message
        elif error is not None:
            outcome, mistake, message = outcome_of_error(error), "", error_text(error)
        else:
            outcome, mistake, message = PASSED, "", ""
        rows.append({"student": student, "assignment": assignment, "notebook": notebook, "question": gid,
                     "points": scores[gid], "max": max_scores[gid], "outcome": outcome, "mistake": mistake,
                     "message": message[:MESSAGE_KEPT]})
    return rows


def failed_rows(scores: dict, max_scores: dict, student: str, assignment: str, notebook: str,
                reason: str) -> list[dict]:
    """Rows for a notebook that could not be graded at all (unreadable, tampered): every cell crashed."""
    from autograder.judge import CRASHED

    return [{"student": student, "assignment": assignment, "notebook": notebook, "question": gid,
             "points": scores[gid], "max": max_scores[gid], "outcome": CRASHED, "mistake": "",
             "message": reason[:MESSAGE_KEPT]} for gid in scores]


def folder(state_dir: Path) -> Path:
    return Path(state_dir) / "verdicts"


def write_student(state_dir: Path, student: str, rows: list[dict]) -> Path:
    """Replace the student's rows for this assignment (atomically: a kill leaves the old file or the new one)."""
    return write_json(folder(state_dir) / f"{student}.json", rows)


def read_assignment(state_dir: Path, progress: bool = False) -> list[dict]:
    """Every student's rows, in student order (a progress bar over the files when asked: a class is large)."""
    from tqdm import tqdm

    paths = sorted(folder(state_dir).glob("*.json"))
    rows = []
    for path in tqdm(paths, desc="reading verdicts", unit="student", disable=not progress):
        rows.extend(json.loads(path.read_text()))
    return rows
