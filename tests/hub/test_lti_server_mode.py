"""LTI 1.3 login in server mode, as root: a learner's first launch creates their system account, their server runs
as it and fetches the assignment; the files the launch writes into the course directory (the gradebook's entry,
lms.json) stay the grader account's; an instructor reaches formgrader. Real accounts, removed after."""

from __future__ import annotations

import os
import pwd
import secrets
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

import tiny_course
from hub import course, lti
from hub.settings import COURSE_ID
from lti_platform import Platform
from test_lti import as_user, launch, lti_env
from test_server_mode import server_mode_hub

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="server mode creates system accounts: needs root")


@pytest.fixture
def platform():
    with Platform(context_id="course-7") as p:
        yield p


@pytest.fixture
def lti_server_hub(make_hub, checkout_reachable_by_everyone, platform):
    """A server-mode hub whose login is `platform`; yields (hub, subs) and removes every account it made."""
    tag = secrets.token_hex(3)
    subs = {"learner": f"learner-{tag}", "teacher": f"teacher-{tag}"}
    grader = f"l2wg{tag}"
    env = {**lti_env(platform), "L2W_HUB_MODE": "server", "L2W_GRADER_USER": grader}
    accounts = [grader, *(lti.username_for(platform.issuer, sub) for sub in subs.values())]
    with server_mode_hub(make_hub, env, accounts) as hub:
        yield hub, subs


def test_a_first_launch_creates_the_account_its_server_runs_as(lti_server_hub, platform):
    hub, subs = lti_server_hub
    settings = hub.settings()
    course.release(settings, [tiny_course.ASSIGNMENT])
    name = lti.username_for(platform.issuer, subs["learner"])
    with pytest.raises(KeyError):
        pwd.getpwnam(name)

    session, r = launch(platform, hub, subs["learner"], ("Learner",), given_name="Ada", family_name="Lovelace")
    assert r.status_code == 200 and r.url == f"{hub.url}/user/{name}/lab", (r.status_code, r.url)
    account = pwd.getpwnam(name)
    learner = as_user(hub, session, name)
    fetched = learner.server("POST", "assignments/fetch", data={"course_id": COURSE_ID,
                                                                "assignment_id": tiny_course.ASSIGNMENT})
    assert fetched.status_code == 200 and fetched.json()["success"], fetched.text[:400]
    notebook = Path(account.pw_dir) / tiny_course.ASSIGNMENT / tiny_course.NOTEBOOK
    assert notebook.stat().st_uid == account.pw_uid

    grader = pwd.getpwnam(settings.grader_user)
    for written in (settings.course_dir / "gradebook.db", settings.course_dir / ".autograder" / "lms.json"):
        assert written.stat().st_uid == grader.pw_uid, f"{written} is not the grader account's"
    with Gradebook(settings.db_url, course_id=COURSE_ID) as gb:
        assert gb.find_student(name).lms_user_id == subs["learner"]

    teacher_session, r = launch(platform, hub, subs["teacher"], ("Instructor",))
    assert r.url.endswith("/lab"), r.url
    assert teacher_session.get(f"{hub.url}/services/{COURSE_ID}/formgrader", timeout=60).status_code == 200
