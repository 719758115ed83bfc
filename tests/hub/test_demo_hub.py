"""The course hub in demo mode, end to end with real processes: JupyterHub, configurable-http-proxy, single-user
servers and the formgrader service, on loopback. A student logs in over HTTP, fetches, writes, submits; the
instructor collects and grades; the grade is in the gradebook and in formgrader; the walls hold."""

from __future__ import annotations

import json
import re

import nbformat
import pytest
from nbgrader.api import Gradebook

import tiny_course
from hub import course
from hub.harness import Browserless
from hub.settings import COURSE_ID

FORMGRADER = f"/services/{COURSE_ID}"


def login(hub, name) -> Browserless:
    user = Browserless(hub, name)
    r = user.login()
    assert r.status_code == 302, f"login of {name} refused: {r.status_code} {r.text[:300]}"
    user.get_token()
    return user


def release_and_fetch(hub, name: str, assignment: str):
    """Release `assignment` on the hub, then `name` logs in, spawns and fetches it: (settings, student, form)."""
    settings = hub.settings()
    course.release(settings, [assignment])
    student = login(hub, name)
    student.spawn()
    form = {"course_id": COURSE_ID, "assignment_id": assignment}
    r = student.server("POST", "assignments/fetch", data=form)
    assert r.status_code == 200 and r.json()["success"], r.text[:400]
    return settings, student, form


def fetch_write_submit(student: Browserless, assignment: str, notebook: str, solution: str) -> None:
    r = student.server("POST", "assignments/fetch", data={"course_id": COURSE_ID, "assignment_id": assignment})
    assert r.status_code == 200 and r.json()["success"], r.text[:500]
    listing = student.server("GET", "assignments", params={"course_id": COURSE_ID}).json()
    assert listing["success"], listing
    statuses = {a["assignment_id"]: a["status"] for a in listing["value"]}
    assert statuses.get(assignment) == "fetched", statuses

    path = f"api/contents/{assignment}/{notebook}"
    model = student.server("GET", path).json()
    nb = nbformat.from_dict(model["content"])
    answer = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution"))
    assert "NotImplementedError" in answer.source, "the fetched notebook should be the student version"
    answer.source = solution
    r = student.server("PUT", path, json={"type": "notebook", "format": "json", "content": nb})
    assert r.status_code == 200, r.text[:300]

    r = student.server("POST", "assignments/submit", data={"course_id": COURSE_ID, "assignment_id": assignment})
    assert r.status_code == 200 and r.json()["success"], r.text[:500]


def grade(settings, assignment: str) -> None:
    """The instructor's side: collect the submissions, then autograde them into the gradebook."""
    course.nbgrader(settings, "collect", assignment)
    course.nbgrader(settings, "autograde", assignment, "--create")


def run_course(make_hub, env=None):
    hub = make_hub(env)
    settings = hub.settings()
    course.release(settings, [tiny_course.ASSIGNMENT])
    return hub, settings


def test_student_fetches_submits_instructor_grades_and_sees_it_in_formgrader(make_hub):
    hub, settings = run_course(make_hub)
    student = login(hub, "student1")
    student.spawn()
    fetch_write_submit(student, tiny_course.ASSIGNMENT, tiny_course.NOTEBOOK, tiny_course.SOLUTION)

    # The submission is filed under the student's hub name, not the hub's system account.
    inbound = list((settings.exchange_dir / COURSE_ID / "inbound").iterdir())
    assert [p.name.split("+")[0] for p in inbound] == ["student1"]

    grade(settings, tiny_course.ASSIGNMENT)
    with Gradebook(settings.db_url) as gb:
        submission = gb.find_submission(tiny_course.ASSIGNMENT, "student1")
        assert (submission.score, submission.max_score) == (1.0, 1.0)

    instructor = login(hub, "instructor")
    r = instructor.request("GET", f"{FORMGRADER}/formgrader/api/submissions/{tiny_course.ASSIGNMENT}")
    assert r.status_code == 200, r.text[:300]
    rows = {row["student"]: row for row in r.json()}
    assert rows["student1"]["score"] == 1.0 and rows["student1"]["autograded"]
    # Formgrader may be framed by the hub's own pages and nobody else.
    page = instructor.request("GET", f"{FORMGRADER}/formgrader/manage_assignments")
    assert page.status_code == 200, (page.status_code, page.headers.get("Location"))
    assert page.headers["Content-Security-Policy"] == "frame-ancestors 'self'"


def test_walls_wrong_password_formgrader_and_other_servers(make_hub):
    hub = make_hub()
    bad = Browserless(hub, "student1").login(password="not-the-password")
    assert bad.status_code == 403
    assert "jupyterhub-hub-login" not in bad.headers.get("Set-Cookie", "")

    student1, student2 = login(hub, "student1"), login(hub, "student2")
    # nbgrader's groups: students in nbgrader-line-to-word, instructors in formgrade-line-to-word.
    assert student1.hub_api("GET", "/users/student1").json()["groups"] == [f"nbgrader-{COURSE_ID}"]
    assert login(hub, "instructor").hub_api("GET", "/users/instructor").json()["groups"] == [f"formgrade-{COURSE_ID}"]
    student1.spawn()
    student2.spawn()
    # The formgrader service: refused to a student, with a token or with the browser's cookie.
    assert student1.request("GET", f"{FORMGRADER}/formgrader/api/assignments").status_code == 403
    via_cookie = student1.session.get(f"{hub.url}{FORMGRADER}/formgrader", timeout=30)
    assert via_cookie.status_code == 403, via_cookie.url
    # Another student's server.
    r = student1.request("GET", "/user/student2/api/status")
    assert r.status_code in (403, 404), r.status_code
    # Their own server has no formgrader and no instructor UI in JupyterLab.
    assert student1.server("GET", "api/status").status_code == 200
    assert student1.server("GET", "formgrader").status_code == 404
    lab = student1.server("GET", "lab").text
    config = json.loads(re.search(r'id="jupyter-config-data"[^>]*>\s*(\{.*?\})\s*</script>', lab, re.S).group(1))
    disabled = config["disabledExtensions"]
    for plugin in course.STUDENT_DISABLED_LAB_PLUGINS:
        assert plugin in disabled, (plugin, disabled)
    assert "@jupyter/nbgrader:assignment-list" not in disabled
