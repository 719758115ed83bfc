"""A real browser (Debian's chromium, driven by Playwright) against the real hub: a student logs in, opens the
fetched notebook in JupyterLab, runs it and sees the ipywidgets slider render; an instructor sees formgrader
displayed inside JupyterLab's iframe (the CSP allows the hub's own origin to frame it)."""

from __future__ import annotations

from pathlib import Path

import pytest

import tiny_course
from hub import course
from hub.harness import Browserless
from hub.settings import COURSE_ID

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(),
                                reason="/usr/bin/chromium missing: run scripts/install-system-deps.sh as root")


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        yield b
        b.close()


def browser_login(page, hub, name):
    page.goto(f"{hub.url}/hub/login")
    page.fill("#username_input", name)
    page.fill("#password_input", hub.password)
    page.click("#login_submit")


def test_student_runs_widget_cell_and_instructor_sees_formgrader(make_hub, browser, tmp_path):
    hub = make_hub()
    course.release(hub.settings(), [tiny_course.ASSIGNMENT])

    student = browser.new_page(viewport={"width": 1400, "height": 900})
    browser_login(student, hub, "student1")
    student.wait_for_url("**/user/student1/lab**", timeout=90_000)
    # The fetch goes through nbgrader's server extension on the student's own server.
    api = Browserless(hub, "student1")
    api.login()
    api.get_token()
    r = api.server("POST", "assignments/fetch", data={"course_id": COURSE_ID, "assignment_id": tiny_course.ASSIGNMENT})
    assert r.status_code == 200 and r.json()["success"], r.text[:300]

    student.goto(f"{hub.url}/user/student1/lab/tree/{tiny_course.ASSIGNMENT}/{tiny_course.NOTEBOOK}")
    student.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
    # The kernel must be started and connected before a cell is sent to it.
    student.locator(".jp-StatusBar-TextItem", has_text="| Idle").first.wait_for(timeout=60_000)
    # The widget cell is the last one; it runs on its own (the test cell above would fail on the unanswered stub).
    cells = student.locator(".jp-Notebook .jp-CodeCell")
    widget_cell = cells.nth(cells.count() - 1)
    widget_cell.locator(".jp-InputArea-editor").click()
    student.keyboard.press("Control+Enter")
    slider = student.locator(".jupyter-widgets .widget-slider, .jupyter-widgets.widget-slider").first
    try:
        slider.wait_for(state="visible", timeout=60_000)
    except Exception:
        student.screenshot(path=str(tmp_path / "student_failure.png"))
        print(f"failure screenshot: {tmp_path / 'student_failure.png'}")
        raise
    assert student.locator(".widget-label", has_text="tiny-slider").count() >= 1
    shot = tmp_path / "student_widget.png"
    student.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000
    print(f"screenshot: {shot}")

    # The instructor: formgrader inside JupyterLab, in an iframe that must actually display.
    teacher = browser.new_page(viewport={"width": 1400, "height": 900})
    browser_login(teacher, hub, "instructor")
    teacher.wait_for_url("**/user/instructor/**", timeout=90_000)
    teacher.goto(f"{hub.url}/services/{COURSE_ID}/lab?formgrader=true")
    frame = teacher.frame_locator("iframe").first
    frame.locator("text=Manage Assignments").first.wait_for(state="visible", timeout=60_000)
    # The assignment table fills in from formgrader's API after the page itself: its row proves the app works.
    frame.locator("a", has_text=tiny_course.ASSIGNMENT).first.wait_for(state="visible", timeout=30_000)
    teacher.screenshot(path=str(tmp_path / "instructor_formgrader.png"))
    print(f"screenshot: {tmp_path / 'instructor_formgrader.png'}")
