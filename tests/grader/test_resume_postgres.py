"""A grader killed midway resumes without losing or doubling a grade; a PostgreSQL gradebook works the same."""
import signal
import subprocess
import sys
import time

import nbformat
from nbgrader.api import Gradebook

from grader.course import ENV, add_student, grades, make_course, our_grade


def slow(nb):
    """A submission that takes a moment to run, so there is a 'midway' to kill the grader in."""
    cell = nbformat.v4.new_code_cell("import time\ntime.sleep(0.4)")
    del cell["id"]
    nb.cells.insert(1, cell)
    return nb


def test_killed_run_resumes(tmp_path):
    course = make_course(tmp_path)
    students = [f"s{i:02d}" for i in range(12)]
    for i, student in enumerate(students):
        add_student(course, student, "hacker" if i % 2 else "bitdiddle", slow)
    state = course / ".autograder" / "ps1"
    grader = subprocess.Popen([sys.executable, "-m", "autograder", "grade", "ps1", "--course", str(course),
                               "--workers", "1", "--no-progress"], env=ENV, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while len(list(state.glob("*.json"))) < 3 and time.monotonic() < deadline and grader.poll() is None:
        time.sleep(0.05)
    grader.send_signal(signal.SIGKILL)
    grader.wait()
    finished = len(list(state.glob("*.json")))
    assert 3 <= finished < len(students) + 2, "the kill must land midway"

    second = our_grade(course, "--workers", "2")
    assert f"{finished} already graded" in second.stdout
    ours = grades(course)
    expected = {("bitdiddle" if int(s[1:]) % 2 == 0 else "hacker"): s for s in students}
    assert len({k[0] for k in ours}) == len(students) + 2
    for student in students:
        like = "hacker" if int(student[1:]) % 2 else "bitdiddle"
        assert {k[1:]: v for k, v in ours.items() if k[0] == student} == \
               {k[1:]: v for k, v in ours.items() if k[0] == like}, student
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        assert len(gb.assignment_submissions("ps1")) == len(students) + 2
        scores = {s.student_id: s.score for s in gb.assignment_submissions("ps1")}
    assert scores["bitdiddle"] == 1.5 and scores["hacker"] == 3.0
    assert all(scores[s] == (3.0 if int(s[1:]) % 2 else 1.5) for s in students)
    assert expected


def test_postgres_gradebook(tmp_path, postgres_url):
    course = make_course(tmp_path, db_url=postgres_url)
    run = our_grade(course)
    assert "4 graded, 0 failed" in run.stdout
    with Gradebook(postgres_url) as gb:
        scores = {s.student_id: s.score for s in gb.assignment_submissions("ps1")}
    assert scores == {"bitdiddle": 1.5, "hacker": 3.0}
    assert grades(course, postgres_url)[("hacker", "problem1", "correct_squares")] == 1.0
