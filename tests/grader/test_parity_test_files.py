"""Parity with stock `nbgrader autograde` on nbgrader's own test notebooks (peer/nbgrader/test_files).

Two identical courses get the same submissions; one is graded by stock nbgrader, one by `python -m autograder
grade`, both with a 3 s cell limit. Every autograded cell must score the same in both gradebooks, and the
outcomes nbgrader's own test-suite expects must hold for both (the expectations below are worked out from the
notebooks, not read from either grader):
- ps1 (source: submitted-unchanged.ipynb, as in nbgrader's own tests): the unchanged, changed and cheating submissions and those with edited grade or locked
  cells. The cheat attempts replace IPython's showtraceback to hide the failing `assert a == 1`: it must still
  score 0 (the answer cell never defines `a`).
- ps2, one student: an infinite loop, a cell that outlives its time limit, a file written beside the notebook,
  a file read relative to it, and a test that fails whenever NBGRADER_EXECUTION is set.
"""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from grader.course import ENV, NBGRADER

FILES = Path("/work/shared/peer/nbgrader/test_files")
TIMEOUT = "3"
PS1 = {"unchanged": "submitted-unchanged.ipynb", "changed": "submitted-changed.ipynb",
       "cheat": "submitted-cheat-attempt.ipynb", "cheat_alt": "submitted-cheat-attempt-alternative.ipynb",
       "grade_cell_changed": "submitted-grade-cell-changed.ipynb",
       "locked_cell_changed": "submitted-locked-cell-changed.ipynb"}
PS2 = {"loop": "infinite-loop.ipynb", "loop_output": "infinite-loop-with-output.ipynb", "timeout": "timeout.ipynb",
       "side_effects": "side-effects.ipynb", "open_file": "open_relative_file.ipynb",
       "environment": "validating-environment-variable.ipynb"}


def build(root: Path) -> Path:
    root.mkdir()
    root.chmod(0o755)
    (root / "nbgrader_config.py").write_text("c = get_config()\n")
    (root / "source" / "ps1").mkdir(parents=True)
    shutil.copy(FILES / "submitted-unchanged.ipynb", root / "source" / "ps1" / "p1.ipynb")
    (root / "source" / "ps2").mkdir(parents=True)
    for name, file in PS2.items():
        shutil.copy(FILES / file, root / "source" / "ps2" / f"{name}.ipynb")
    (root / "source" / "ps2" / "data.txt").write_text("one\ntwo\nthree\n")  # four parts when split on newlines
    for assignment in ("ps1", "ps2"):
        subprocess.run([*NBGRADER, "generate_assignment", assignment, "--force"], cwd=root, check=True,
                       capture_output=True, env=ENV)
    for student, file in PS1.items():
        folder = root / "submitted" / student / "ps1"
        folder.mkdir(parents=True)
        shutil.copy(FILES / file, folder / "p1.ipynb")
    # as nbgrader's own tests do, the student hands in the notebooks themselves: the release would replace
    # timeout.ipynb's solution cell (no solution markers) with the stub, and test nothing about time limits
    shutil.copytree(root / "source" / "ps2", root / "submitted" / "solo" / "ps2")
    return root


def scores(root: Path) -> dict[tuple[str, str, str], float | None]:
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        return {(s.student_id, n.name, g.name): g.auto_score for a in ("ps1", "ps2")
                for s in gb.assignment_submissions(a) for n in s.notebooks for g in n.grades}


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    base = tmp_path_factory.mktemp("parity")
    base.chmod(0o755)
    stock, ours = build(base / "stock"), build(base / "ours")
    for assignment in ("ps1", "ps2"):
        subprocess.run([*NBGRADER, "autograde", assignment, f"--Execute.timeout={TIMEOUT}"], cwd=stock,
                       check=True, capture_output=True, env=ENV)
        subprocess.run([sys.executable, "-m", "autograder", "grade", assignment, "--course", str(ours),
                        "--cell-timeout", TIMEOUT, "--no-progress"], check=True, capture_output=True, env=ENV)
    return stock, ours


def review_state(root: Path) -> dict[tuple[str, str, str, str], object]:
    """What else the autograder writes: each grade's needs_manual_grade and each comment's auto_comment."""
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        notebooks = [(s.student_id, n) for a in ("ps1", "ps2") for s in gb.assignment_submissions(a) for n in s.notebooks]
        return {**{(student, n.name, g.name, "needs_manual_grade"): g.needs_manual_grade
                   for student, n in notebooks for g in n.grades},
                **{(student, n.name, c.name, "auto_comment"): c.auto_comment
                   for student, n in notebooks for c in n.comments}}


def test_every_cell_scores_what_stock_nbgrader_gives(both):
    stock, ours = both
    assert scores(ours) == scores(stock)


def test_every_cell_is_left_for_review_and_commented_as_stock_nbgrader_leaves_it(both):
    stock, ours = both
    expected = review_state(stock)
    assert any(expected.values()), "the test files should include cells that need a person, and 'No response.'"
    assert review_state(ours) == expected


@pytest.mark.parametrize("root", [0, 1], ids=["stock", "ours"])
def test_the_outcomes_nbgrader_expects(both, root):
    course = both[root]
    got = scores(course)
    for student in ("cheat", "cheat_alt"):
        assert got[(student, "p1", "bar")] == 0, f"{student}: hiding tracebacks must not pass `assert a == 1`"
        assert got[(student, "p1", "foo")] == 1
    assert got[("unchanged", "p1", "bar")] == 0 and got[("changed", "p1", "bar")] == 1
    assert got[("solo", "timeout", "correct_squares")] == 0  # sleeps 5 s under a 3 s limit
    assert got[("solo", "open_file", "open_file")] == 10
    assert got[("solo", "environment", "cell-bfbdf1784663b6b6")] == 0
    autograded = course / "autograded" / "solo" / "ps2"
    assert (autograded / "side-effect.txt").read_text() == "a side effect"
    assert not (course / "submitted" / "solo" / "ps2" / "side-effect.txt").exists()
    for name in ("loop", "loop_output"):
        assert (autograded / f"{name}.ipynb").is_file()


@pytest.mark.parametrize("timeout, points", [(2, 0), (8, 1)])
def test_the_course_execute_timeout_is_the_default_cell_limit(tmp_path, timeout, points):
    """Without --cell-timeout, `grade` uses the course's `c.Execute.timeout`, as stock autograde does."""
    course = tmp_path / "course"
    (course / "source" / "ps").mkdir(parents=True)
    tmp_path.chmod(0o755)
    course.chmod(0o755)
    (course / "nbgrader_config.py").write_text(f"c = get_config()\nc.Execute.timeout = {timeout}\n")
    shutil.copy(FILES / "timeout.ipynb", course / "source" / "ps" / "timeout.ipynb")  # its cell sleeps 5 s
    subprocess.run([*NBGRADER, "generate_assignment", "ps", "--force"], cwd=course, check=True,
                   capture_output=True, env=ENV)
    shutil.copytree(course / "source" / "ps", course / "submitted" / "solo" / "ps")
    subprocess.run([sys.executable, "-m", "autograder", "grade", "ps", "--course", str(course), "--no-progress"],
                   check=True, capture_output=True, env=ENV)
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        assert gb.find_grade("correct_squares", "timeout", "ps", "solo").auto_score == points
