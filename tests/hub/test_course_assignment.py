"""The course's own first rung through the hub: the instructor releases source/01_line, a student fetches it through
nbgrader's server extension and submits it unanswered, the instructor collects and grades it (with
`python -m autograder grade` when it is there, else stock `nbgrader autograde`): an unanswered notebook scores 0
of its full points in the gradebook and in formgrader."""

from __future__ import annotations

import subprocess
import sys

import pytest
from nbgrader.api import Gradebook

from hub import course
from hub.settings import REPO
from test_demo_hub import FORMGRADER, login, release_and_fetch

ASSIGNMENT = "01_line"
pytestmark = pytest.mark.skipif(not (REPO / "source" / ASSIGNMENT).is_dir(), reason="source/01_line not written yet")


def test_first_rung_fetched_submitted_and_graded(make_hub):
    hub = make_hub({"L2W_SOURCE_DIR": str(REPO / "source")})
    settings, student, form = release_and_fetch(hub, "student3", ASSIGNMENT)
    listing = student.server("GET", f"api/contents/{ASSIGNMENT}").json()
    notebooks = [f["name"] for f in listing["content"] if f["name"].endswith(".ipynb")]
    assert notebooks, listing
    r = student.server("POST", "assignments/submit", data=form)
    assert r.status_code == 200 and r.json()["success"], r.text[:400]

    course.nbgrader(settings, "collect", ASSIGNMENT)
    if (REPO / "autograder" / "grade.py").exists():
        done = subprocess.run([sys.executable, "-m", "autograder", "grade", ASSIGNMENT, "--course",
                               str(settings.course_dir)], cwd=settings.course_dir, capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    else:
        course.nbgrader(settings, "autograde", ASSIGNMENT, "--create")

    with Gradebook(settings.db_url) as gb:
        submission = gb.find_submission(ASSIGNMENT, "student3")
        assert submission.max_score > 0
        assert submission.score == 0, "an unanswered notebook must not earn points"
    rows = login(hub, "instructor").request("GET", f"{FORMGRADER}/formgrader/api/submissions/{ASSIGNMENT}").json()
    assert {r["student"]: r["score"] for r in rows}["student3"] == 0
