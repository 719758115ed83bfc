"""`check` (the self-learner's) and `grade` (the instructor's) give every question the same points.

A copy of the course (source/, nbgrader_config.py, `python -m autograder release` into it) gets a small class of
submissions per assignment: the solutions, the untouched release, two wrong functions, a function that calls
sys.exit, an emptied test cell (restored by both). `python -m autograder grade --seed S` grades them into the copy's gradebook;
`check_notebook(..., seed=S)` checks the same files. Per student and question, the two must agree.
"""

import shutil
import subprocess
import sys

import pytest
from nbgrader.api import Gradebook

from autograder.release import release

from .helpers import ROOT, edit_cell, load_release, load_source, load_wrong, question_cells, run_check, \
    substitute, write_submission

SEED = 20261123
EXITS = {"01_line": ("predict", "import sys\ndef predict(w, b, x):\n    sys.exit(0)\n"),
         "06_sampling": ("greedy", "import sys\ndef greedy(logits):\n    sys.exit(0)\n")}
RUNGS = {"01_line": "line", "06_sampling": "sampling"}


def submissions(assignment: str) -> dict:
    """student -> notebook, covering full marks, zero, and partial credit for different reasons."""
    source = load_source(assignment)
    wrong = load_wrong()[RUNGS[assignment]]
    first, second = list(wrong)[:2]
    mixed = substitute(substitute(source, first, wrong[first][0][1]), second, wrong[second][-1][1])
    function, code = EXITS[assignment]
    test_id = next(iter(question_cells(source)))
    return {
        "full": source,
        "untouched": load_release(assignment),
        "mixed": mixed,
        "exits": substitute(source, function, code),
        "emptied_test": edit_cell(source, test_id, "pass\n"),
    }


@pytest.fixture(scope="module", params=sorted(EXITS))
def graded(request, tmp_path_factory):
    """(assignment, course dir, {student: notebook path}) after a real `python -m autograder grade`."""
    assignment = request.param
    course = tmp_path_factory.mktemp(f"agree-{assignment}")
    course.chmod(0o755)
    shutil.copytree(ROOT / "source" / assignment, course / "source" / assignment)
    shutil.copy(ROOT / "nbgrader_config.py", course)  # its paths follow the file: the course root is `course`
    release([assignment], root=course)
    paths = {student: write_submission(nb, course / "submitted" / student / assignment, assignment)
             for student, nb in submissions(assignment).items()}
    subprocess.run([sys.executable, "-m", "autograder", "grade", assignment, "--course", str(course),
                    "--seed", str(SEED), "--no-progress"], check=True, capture_output=True, text=True)
    return assignment, course, paths


def gradebook_points(course, assignment) -> dict[str, dict[str, float]]:
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return {s.student_id: {g.name: g.auto_score for n in s.notebooks for g in n.grades}
                for s in gb.assignment_submissions(assignment)}


def test_check_and_grade_agree(graded, pool):
    assignment, course, paths = graded
    by_grade = gradebook_points(course, assignment)
    by_check = {student: run_check(path, seed=SEED, pool=pool).points for student, path in paths.items()}
    assert set(by_grade) == set(paths)
    for student in paths:
        assert by_check[student] == by_grade[student], f"{assignment}/{student}: check and grade disagree"
    totals = {student: sum(points.values()) for student, points in by_check.items()}
    maximum = sum(question_cells(load_source(assignment)).values())
    # the class spans full marks, zero and partial credit, so agreement is not agreement on a constant
    assert totals["full"] == maximum and totals["untouched"] == 0
    assert 0 < totals["mixed"] < maximum and 0 < totals["exits"] < maximum
    assert totals["emptied_test"] == maximum  # both put the instructor's test cell back and score it
