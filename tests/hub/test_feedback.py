"""Feedback on the hub, generated through formgrader's own Generate Feedback handler: a student submits 01_line
with a wrong `mse`, the instructor collects (no ownership false alarm in demo mode), grades with the course's
grader and generates feedback in formgrader. The feedback shows the failure message, never the probe call or the
hidden-test markers, and in chromium at 1,000 px the whole message is inside the page width."""

from __future__ import annotations

import re
import subprocess
import sys
from html import unescape

import nbformat
import pytest
from nbgrader.api import Gradebook

from hub import course
from hub.harness import Hub
from hub.settings import REPO
from test_demo_hub import FORMGRADER, login, release_and_fetch

ASSIGNMENT = "01_line"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"
# halves the loss except on the visible example, so only a hidden test catches it (as in tests/course)
WRONG_MSE = "def mse(y_hat, y):\n    return float(np.mean((y_hat - y) ** 2) / (1 if len(y) == 2 else 2))\n"
MESSAGE = re.compile(r"mse\(y_hat=\[.*?\]\) returned \S+, expected \S+")

pytestmark = pytest.mark.skipif(not (REPO / "source" / ASSIGNMENT).is_dir(), reason="source/01_line not written yet")


@pytest.fixture(scope="module")
def feedback(tmp_path_factory):
    """(the running hub, the collect log, the feedback HTML path) after the whole round through the hub."""
    tmp = tmp_path_factory.mktemp("feedback")
    hub = Hub(data_dir=tmp / "hub", env={"L2W_SOURCE_DIR": str(REPO / "source")})
    hub.start()
    try:
        settings, student, form = release_and_fetch(hub, "student2", ASSIGNMENT)
        path = f"api/contents/{ASSIGNMENT}/{NOTEBOOK}"
        nb = nbformat.from_dict(student.server("GET", path).json()["content"])
        answers = {c.metadata["nbgrader"]["grade_id"]: re.sub(r"\n *### (BEGIN|END) SOLUTION", "", c.source)
                   for c in nbformat.read(REPO / "source" / ASSIGNMENT / NOTEBOOK, as_version=4).cells
                   if c.metadata.get("nbgrader", {}).get("solution")}
        for cell in nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if cell.metadata.get("nbgrader", {}).get("solution"):
                cell.source = WRONG_MSE if grade_id == "mse" else answers[grade_id]
        r = student.server("PUT", path, json={"type": "notebook", "format": "json", "content": nb})
        assert r.status_code == 200, r.text[:300]
        r = student.server("POST", "assignments/submit", data=form)
        assert r.status_code == 200 and r.json()["success"], r.text[:400]

        collected = course.nbgrader(settings, "collect", ASSIGNMENT)
        done = subprocess.run([sys.executable, "-m", "autograder", "grade", ASSIGNMENT, "--course",
                               str(settings.course_dir)], cwd=settings.course_dir, capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]

        instructor = login(hub, "instructor")
        r = instructor.request("POST", f"{FORMGRADER}/formgrader/api/assignment/{ASSIGNMENT}/student2/generate_feedback")
        assert r.status_code == 200 and r.json()["success"], r.text[:2000]
        html = settings.course_dir / "feedback" / "student2" / ASSIGNMENT / f"{ASSIGNMENT}.html"
        yield hub, collected.stdout + collected.stderr, html
    finally:
        hub.stop()


def test_collect_in_demo_mode_has_no_ownership_false_alarm(feedback):
    _, log, _ = feedback
    assert "Collecting submission" in log, log
    assert "cheating attempt" not in log and "owned by" not in log, log


def test_formgrader_feedback_shows_the_message_not_the_hidden_tests(feedback):
    _, _, html = feedback
    text = unescape(re.sub(r"<[^>]+>", "", html.read_text()))
    assert MESSAGE.search(text), "the failing check's message should reach the feedback"
    assert "probe(" not in text
    assert "BEGIN HIDDEN TESTS" not in text and "END HIDDEN TESTS" not in text


def assert_message_inside_1000px(page, shot) -> None:
    """The failure message's box is inside the 1,000 px viewport and its text is not cut off by that box."""
    message = page.locator("div.output_error pre, div.output_stderr pre, div.output_text pre", has_text=MESSAGE).first
    message.wait_for(state="visible", timeout=30_000)
    message.scroll_into_view_if_needed()
    box = message.bounding_box()
    page.screenshot(path=str(shot))
    print(f"screenshot: {shot}")
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 1000, box
    assert message.evaluate("e => e.scrollWidth <= e.clientWidth + 1"), "the message overflows its box"


@pytest.fixture
def page_1000px():
    from playwright.sync_api import sync_playwright

    from test_browser import ARGS, CHROMIUM

    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium missing: run scripts/install-system-deps.sh as root")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        yield browser.new_page(viewport={"width": 1000, "height": 800})
        browser.close()


def test_feedback_failure_message_wraps_inside_1000px(feedback, page_1000px, tmp_path):
    _, _, html = feedback
    page_1000px.goto(html.as_uri())
    assert_message_inside_1000px(page_1000px, tmp_path / "feedback_1000px.png")
    assert page_1000px.evaluate("document.documentElement.scrollWidth") <= 1000


def test_formgrader_submission_view_wraps_inside_1000px(feedback, page_1000px, tmp_path):
    from test_browser import browser_login

    hub, _, _ = feedback
    with Gradebook(hub.settings().db_url) as gb:
        submission_id = gb.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, "student2").id
    browser_login(page_1000px, hub, "instructor")
    page_1000px.wait_for_url("**/user/instructor/**", timeout=90_000)
    page_1000px.goto(f"{hub.url}{FORMGRADER}/formgrader/submissions/{submission_id}/")
    assert_message_inside_1000px(page_1000px, tmp_path / "formgrader_1000px.png")
