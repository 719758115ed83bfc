"""`python -m autograder grade` against stock `nbgrader autograde`, both run for real on nbgrader's example course."""
import json
import subprocess

import nbformat
import pytest

from grader.course import ENV, NBGRADER, add_student, grade_argv, grades, make_course, our_grade, stock_autograde


@pytest.fixture(scope="module")
def stock(tmp_path_factory):
    """Stock nbgrader's grades of the example course (its docs give 1.5 for bitdiddle and 3.0 for hacker)."""
    course = make_course(tmp_path_factory.mktemp("stock"))
    stock_autograde(course)
    return grades(course)


def test_every_cell_scores_what_stock_nbgrader_gives(stock, tmp_path):
    course = make_course(tmp_path)
    # several assignments in one run, one of them unknown: that one is named, the others are graded all the same
    argv = grade_argv(course)
    run = subprocess.run(argv[:5] + ["ps9"] + argv[5:], capture_output=True, text=True, env=ENV)
    assert run.returncode == 2, run.stderr
    assert "assignment 'ps9' is not in the gradebook" in run.stderr
    assert "4 graded, 0 failed" in run.stdout
    ours = grades(course)
    assert ours == stock
    totals = {s: sum(v or 0 for (st, _, _), v in stock.items() if st == s) for s in ("bitdiddle", "hacker")}
    assert totals == {"bitdiddle": 1.5, "hacker": 3.0}
    for student in ("bitdiddle", "hacker"):
        folder = course / "autograded" / student / "ps1"
        assert {"problem1.ipynb", "problem2.ipynb", "timestamp.txt", "jupyter.png"} <= {p.name for p in folder.iterdir()}
        assert int((folder / "probe_seed.txt").read_text()) >= 0
        executed = nbformat.read(str(folder / "problem1.ipynb"), as_version=4)
        assert any(c.get("outputs") for c in executed.cells if c.cell_type == "code")
    csv_lines = (course / "ps1_grades.csv").read_text().splitlines()
    assert csv_lines[1].startswith("bitdiddle,") and csv_lines[1].split(",")[-2] == "1.5"
    assert csv_lines[2].startswith("hacker,") and csv_lines[2].split(",")[-2] == "3.0"
    assert (course / "ps1_scores.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # nbgrader's own tools keep working on what we recorded
    subprocess.run([*NBGRADER, "generate_feedback", "ps1"], cwd=course, check=True, capture_output=True, env=ENV)
    assert (course / "feedback" / "hacker" / "ps1" / "problem1.html").is_file()


def insert_cell(source):
    def edit(nb):
        cell = nbformat.v4.new_code_cell(source)
        del cell["id"]  # the example course's notebooks are nbformat 4.0, which has no cell ids
        nb.cells.insert(7, cell)
        return nb
    return edit


def delete_test_cell(nb):
    nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") != "correct_squares"]
    return nb


def test_broken_submissions_cost_only_what_they_should(stock, tmp_path):
    course = make_course(tmp_path)
    add_student(course, "looper", "hacker", insert_cell("while True:\n    pass"))
    add_student(course, "exiter", "hacker", insert_cell("import os\nos._exit(1)"))
    add_student(course, "hog", "hacker", insert_cell("import numpy as np\nbig = np.ones(30 * 10**9 // 8)"))
    add_student(course, "broken", "hacker", lambda nb: nbformat.writes(nb)[:-40])
    add_student(course, "deleter", "hacker", delete_test_cell)
    add_student(course, "overrider", "bitdiddle", insert_cell("squares = lambda n: list(range(1, n + 1))"))
    run = our_grade(course, "--cell-timeout", "2", "--memory-mb", "1024")
    ours = grades(course)
    hacker = {k[1:]: v for k, v in stock.items() if k[0] == "hacker"}
    for student in ("looper", "exiter", "hog", "deleter"):
        assert {k[1:]: v for k, v in ours.items() if k[0] == student} == hacker, student
    overrider = {k[1:]: v for k, v in ours.items() if k[0] == "overrider"}
    assert overrider[("problem1", "correct_squares")] == 0 and overrider[("problem1", "squares_invalid_input")] == 0
    broken = {k[1:]: v for k, v in ours.items() if k[0] == "broken"}
    assert all(v == 0 for (nb, _), v in broken.items() if nb == "problem1")
    assert {k: v for k, v in broken.items() if k[0] == "problem2"} == {k: v for k, v in hacker.items()
                                                                       if k[0] == "problem2"}
    assert "broken/problem1" in run.stderr and "not a readable notebook" in run.stderr
    assert {k: v for k, v in ours.items() if k[0] in ("bitdiddle", "hacker")} == stock
