"""LTI 1.3 login end to end, with real processes on loopback: the tests' own LTI platform (tests/lti_platform.py:
its RSA key, JWKS, OIDC authentication endpoint, signed id_tokens) launches into a real hub started with
L2W_HUB_LOGIN=lti13. An instructor lands in JupyterLab and reaches formgrader; a learner lands as a student, is
in the gradebook with the platform's names, and fetches the course's assignment; forged, replayed and
other-course launches are refused and create no account. One hub serves the whole module."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from nbgrader.api import Gradebook

import tiny_course
from hub import course, lti
from hub.harness import Browserless, Hub, free_port
from hub.settings import COURSE_ID, HubSettings
from lti_platform import Platform
from test_demo_hub import fetch_write_submit, grade

FORMGRADER = f"/services/{COURSE_ID}"
CONTEXT = "course-42"
DEPLOYMENT = "1"


@pytest.fixture(scope="module")
def platform():
    with Platform(client_id="line-to-word", deployment_id=DEPLOYMENT, context_id=CONTEXT) as p:
        yield p


def lti_env(platform: Platform) -> dict[str, str]:
    """The settings of a hub registered with `platform` as its LMS, for the platform's course."""
    return {
        "L2W_HUB_LOGIN": "lti13",
        "L2W_LTI_ISSUER": platform.issuer,
        "L2W_LTI_CLIENT_ID": platform.client_id,
        "L2W_LTI_AUTHORIZE_URL": platform.auth_url,
        "L2W_LTI_JWKS_URL": platform.jwks_url,
        "L2W_LTI_TOKEN_URL": platform.token_url,
        "L2W_LTI_CONTEXT_ID": platform.context_id,
    }


@pytest.fixture(scope="module")
def hub(platform, tmp_path_factory):
    """A demo-mode hub whose only login is a launch from `platform`, with the tiny course released."""
    root = tmp_path_factory.mktemp("lti")
    tiny_course.write_source(root / "source")
    env = {
        **lti_env(platform),
        "L2W_SOURCE_DIR": str(root / "source"),
        "L2W_LTI_DEPLOYMENT_ID": DEPLOYMENT,
        # Chosen here, not by the harness, so a test can talk to the hub without the proxy in between.
        "L2W_HUB_API_PORT": str(free_port()),
    }
    h = Hub(data_dir=root / "hub", env=env)
    h.start()
    course.release(h.settings(), [tiny_course.ASSIGNMENT])
    yield h
    h.stop()


def login_url(hub: Hub) -> str:
    return f"{hub.url}/hub/lti13/oauth_login"


def initiation(platform: Platform, hub: Hub, login_hint: str) -> dict:
    """The platform's third-party login initiation, as tests/lti_platform.py's `launch` sends it."""
    return {"iss": platform.issuer, "login_hint": login_hint, "target_link_uri": f"{hub.url}/hub/",
            "lti_message_hint": f"message-{login_hint}", "client_id": platform.client_id,
            "lti_deployment_id": DEPLOYMENT}


def launch(platform, hub, sub, roles, **claims_or_token) -> tuple[requests.Session, requests.Response]:
    """A whole launch of user `sub` in a fresh browser session: (session, the final response). Keyword arguments
    go to the claims or to the id_token's signing; `deployment_id` replaces the claims' deployment."""
    token_kwargs = {k: claims_or_token.pop(k) for k in ("key", "kid", "aud", "iss", "exp_in", "iat")
                    if k in claims_or_token}
    deployment = claims_or_token.pop("deployment_id", None)
    claims = platform.launch_claims(sub, roles, **claims_or_token)
    if deployment:
        claims[lti.DEPLOYMENT_CLAIM] = deployment
    session = requests.Session()
    r = platform.launch(session, login_url(hub), f"{hub.url}/hub/", claims, login_hint=f"hint-{sub}",
                        **token_kwargs)
    return session, past_spawn_pending(session, r)


def past_spawn_pending(session: requests.Session, r: requests.Response, timeout: float = 60) -> requests.Response:
    """Where a browser ends up: the hub's spawn-pending page waits (in JavaScript) for the server, then goes on."""
    deadline = time.monotonic() + timeout
    while "/hub/spawn-pending/" in r.url and time.monotonic() < deadline:
        time.sleep(0.2)
        r = session.get(r.url, timeout=30)
    return r


def hub_users(hub: Hub) -> set[str]:
    """The accounts in the hub's own database (read directly: no test account holds the admin scopes)."""
    with sqlite3.connect(hub.data_dir / "jupyterhub.sqlite") as db:
        return {name for (name,) in db.execute("select name from users")}


def as_user(hub: Hub, session: requests.Session, name: str) -> Browserless:
    """The launched user over the hub's API: their browser session, then an API token of theirs."""
    user = Browserless(hub, name)
    user.session = session
    session.get(f"{hub.url}/hub/home", timeout=30)  # sets the _xsrf cookie the token request needs
    user.get_token()
    return user


def test_instructor_launch_lands_in_jupyterlab_and_reaches_formgrader(platform, hub):
    session, r = launch(platform, hub, "canvas-teacher-7", ("Instructor",), name="Grace Hopper",
                        given_name="Grace", family_name="Hopper", email="grace@example.edu")
    name = lti.username_for(platform.issuer, "canvas-teacher-7")
    assert r.status_code == 200 and r.url == f"{hub.url}/user/{name}/lab", (r.status_code, r.url)
    teacher = as_user(hub, session, name)
    assert teacher.hub_api("GET", f"/users/{name}").json()["groups"] == [lti.FORMGRADE_GROUP]
    page = session.get(f"{hub.url}{FORMGRADER}/formgrader", timeout=60)
    assert page.status_code == 200 and "Manage Assignments" in page.text, (page.status_code, page.url)
    # Instructors are not students: no gradebook entry.
    with Gradebook(hub.settings().db_url, course_id=COURSE_ID) as gb:
        assert name not in {s.id for s in gb.students}


def test_teaching_assistant_grades_too(platform, hub):
    session, r = launch(platform, hub, "ta-1", ("TeachingAssistant",))
    name = lti.username_for(platform.issuer, "ta-1")
    assert r.url == f"{hub.url}/user/{name}/lab", r.url
    assert session.get(f"{hub.url}{FORMGRADER}/formgrader", timeout=60).status_code == 200


def test_learner_launch_is_a_student_in_the_gradebook_who_fetches_the_assignment(platform, hub):
    sub = "canvas-student-12"
    session, r = launch(platform, hub, sub, ("Learner",), name="Ada Lovelace", given_name="Ada",
                        family_name="Lovelace", email="ada@example.edu")
    name = lti.username_for(platform.issuer, sub)
    assert r.status_code == 200 and r.url == f"{hub.url}/user/{name}/lab", (r.status_code, r.url)
    settings = hub.settings()
    with Gradebook(settings.db_url, course_id=COURSE_ID) as gb:
        student = gb.find_student(name)
        assert (student.first_name, student.last_name, student.email, student.lms_user_id) == \
            ("Ada", "Lovelace", "ada@example.edu", sub)

    learner = as_user(hub, session, name)
    assert learner.hub_api("GET", f"/users/{name}").json()["groups"] == [lti.STUDENT_GROUP]
    r = learner.server("POST", "assignments/fetch", data={"course_id": COURSE_ID,
                                                          "assignment_id": tiny_course.ASSIGNMENT})
    assert r.status_code == 200 and r.json()["success"], r.text[:400]
    listing = learner.server("GET", f"api/contents/{tiny_course.ASSIGNMENT}").json()
    assert tiny_course.NOTEBOOK in {f["name"] for f in listing["content"]}
    assert session.get(f"{hub.url}{FORMGRADER}/formgrader", timeout=30).status_code == 403


def test_a_new_name_in_the_lms_updates_the_gradebook(platform, hub):
    sub = "renamed-student"
    launch(platform, hub, sub, ("Learner",), given_name="Mary", family_name="Jackson", email="mj@example.edu")
    launch(platform, hub, sub, ("Learner",), given_name="Mary", family_name="Winston", email="mw@example.edu")
    with Gradebook(hub.settings().db_url, course_id=COURSE_ID) as gb:
        student = gb.find_student(lti.username_for(platform.issuer, sub))
        assert (student.last_name, student.email) == ("Winston", "mw@example.edu")


def test_the_grade_service_is_recorded_for_sync_lms(platform, hub):
    launch(platform, hub, "ags-student", ("Learner",))
    record = json.loads((hub.settings().course_dir / ".autograder" / "lms.json").read_text())
    assert tuple(sorted(record)) == tuple(sorted(lti.LMS_RECORD_KEYS))
    served = requests.get(f"{hub.url}/hub/lti13/jwks", timeout=10).json()["keys"]
    assert record == {
        "issuer": platform.issuer, "client_id": platform.client_id, "deployment_id": DEPLOYMENT,
        "token_url": platform.token_url, "key_file": str(hub.data_dir / "lti" / "tool_key.pem"),
        "kid": served[0]["kid"], "lineitems": platform.lineitems_url(),
        "scope": platform.launch_claims("x")[lti.AGS_CLAIM]["scope"],
    }


def test_a_learners_grade_reaches_the_lms_gradebook(platform, hub):
    """The whole path: launched from the LMS, the learner submits; the instructor grades; `python -m autograder
    sync-lms` posts the score, signed with the key whose public half the hub serves at its JWKS URL."""
    sub = "graded-student"
    session, _ = launch(platform, hub, sub, ("Learner",), given_name="Dorothy", family_name="Vaughan")
    learner = as_user(hub, session, lti.username_for(platform.issuer, sub))
    fetch_write_submit(learner, tiny_course.ASSIGNMENT, tiny_course.NOTEBOOK, tiny_course.SOLUTION)
    settings = hub.settings()
    grade(settings, tiny_course.ASSIGNMENT)

    platform.tool_jwks_url = f"{hub.url}/hub/lti13/jwks"
    done = subprocess.run([sys.executable, "-m", "autograder", "sync-lms", tiny_course.ASSIGNMENT, "--course",
                           str(settings.course_dir)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    scores = {s["userId"]: (s["scoreGiven"], s["scoreMaximum"]) for s in platform.scores}
    assert scores[sub] == (1.0, 1.0), platform.scores


def test_the_jwks_is_the_public_half_of_the_key_file(hub):
    key_file = hub.data_dir / "lti" / "tool_key.pem"
    assert key_file.stat().st_mode & 0o777 == 0o600
    private = serialization.load_pem_private_key(key_file.read_bytes(), password=None)
    served = requests.get(f"{hub.url}/hub/lti13/jwks", timeout=10).json()["keys"]
    assert [jwt.PyJWK(k).key.public_numbers() for k in served] == [private.public_key().public_numbers()]


def test_canvas_configuration_lists_the_jwk_url_and_only_grade_scopes(hub):
    config = requests.get(f"{hub.url}/hub/lti13/config", timeout=10).json()
    assert config["public_jwk_url"] == f"{hub.url}/hub/lti13/jwks"
    assert config["oidc_initiation_url"] == f"{hub.url}/hub/lti13/oauth_login"
    assert config["scopes"] and all("/lti-ags/scope/" in s for s in config["scopes"])


FORGERIES = {
    "signed with another key": lambda: {"key": rsa.generate_private_key(public_exponent=65537, key_size=2048)},
    "for another tool": lambda: {"aud": "another-tool"},
    # Issued 400 s ago (younger than the validator's max_age of 600 s), expired 100 s ago: only exp refuses it.
    "expired": lambda: {"iat": time.time() - 400, "exp_in": 300},
    "from another issuer": lambda: {"iss": "https://lms.example.edu"},
    "from another course": lambda: {"context_id": "course-99"},
    "from another deployment": lambda: {"deployment_id": "2"},
}


@pytest.mark.parametrize("forgery", FORGERIES)
def test_forged_or_foreign_launches_are_refused(platform, hub, forgery):
    sub = f"forger-{forgery.replace(' ', '-')}"
    _, r = launch(platform, hub, sub, ("Learner",), **FORGERIES[forgery]())
    assert 400 <= r.status_code < 500, (forgery, r.status_code, r.url)
    assert lti.username_for(platform.issuer, sub) not in hub_users(hub)


def test_another_course_is_told_which_course_the_hub_serves(platform, hub):
    _, r = launch(platform, hub, "lost-student", ("Learner",), context_id="course-99")
    assert r.status_code == 403
    assert "course-42" in r.text and "course-99" in r.text


def test_a_mentor_has_no_place_on_the_hub(platform, hub):
    _, r = launch(platform, hub, "mentor-1", ("Mentor",))
    assert r.status_code == 403, r.status_code
    assert lti.username_for(platform.issuer, "mentor-1") not in hub_users(hub)


def test_a_replayed_launch_is_refused_even_with_its_cookies(platform, hub):
    """An attacker who captured a whole launch (the id_token, the state and the browser's state and nonce
    cookies) posts it again: the upstream cookie check would pass; the hub has seen the nonce and refuses."""
    sub = "replayed-student"
    claims = platform.launch_claims(sub, ("Learner",))
    platform.expect_launch("hint-replay", claims)
    browser = requests.Session()
    page = browser.post(login_url(hub), data=initiation(platform, hub, "hint-replay"))
    assert page.status_code == 200 and "id_token" in page.text
    captured = browser.cookies.copy()
    redirect_uri, id_token, state = platform.last_form
    first = past_spawn_pending(browser, platform.replay(browser, redirect_uri, id_token, state))
    assert first.status_code == 200, first.status_code
    name = lti.username_for(platform.issuer, sub)
    assert first.url == f"{hub.url}/user/{name}/lab"

    attacker = requests.Session()
    attacker.cookies.update(captured)
    again = platform.replay(attacker, redirect_uri, id_token, state)
    assert again.status_code == 403, again.status_code
    assert "jupyterhub-hub-login" not in again.headers.get("Set-Cookie", "")


def test_the_hubs_sign_in_button_says_to_come_from_the_lms(hub):
    r = requests.get(login_url(hub), timeout=10)
    assert r.status_code == 400 and "LMS" in r.text


def test_behind_https_the_launch_cookies_survive_the_platforms_cross_site_post(platform, hub):
    """The state and nonce cookies come back with the platform's form_post only if they are SameSite=None;
    Secure. Asked straight at the hub (no proxy in between), as by a TLS proxy that says the scheme was https."""
    direct = f"http://127.0.0.1:{hub.env['L2W_HUB_API_PORT']}/hub/lti13/oauth_login"
    r = requests.post(direct, data=initiation(platform, hub, "hint-https"), allow_redirects=False,
                      headers={"X-Forwarded-Proto": "https"}, timeout=10)
    assert r.status_code == 302, r.status_code
    cookies = [c for c in r.raw.headers.getlist("Set-Cookie") if c.startswith("lti13authenticator-")]
    assert len(cookies) == 2, cookies
    for cookie in cookies:
        assert "SameSite=None" in cookie and "Secure" in cookie, cookie


def test_missing_lti_settings_are_named():
    with pytest.raises(ValueError, match="L2W_LTI_ISSUER.*L2W_LTI_CONTEXT_ID"):
        HubSettings.from_env({"L2W_HUB_LOGIN": "lti13", "L2W_LTI_CLIENT_ID": "x", "L2W_LTI_AUTHORIZE_URL": "x",
                              "L2W_LTI_JWKS_URL": "x", "L2W_LTI_TOKEN_URL": "x"})
    with pytest.raises(ValueError, match="L2W_HUB_LOGIN"):
        HubSettings.from_env({"L2W_HUB_LOGIN": "saml"})


M = "http://purl.imsglobal.org/vocab/lis/v2/membership#"


@pytest.mark.parametrize("roles, group", [
    ([M + "Instructor"], lti.FORMGRADE_GROUP),
    (["http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"], lti.FORMGRADE_GROUP),
    ([M + "Administrator"], lti.FORMGRADE_GROUP),
    ([M + "Learner"], lti.STUDENT_GROUP),
    ([M + "Learner", M + "Instructor"], lti.FORMGRADE_GROUP),
    # Canvas: a teacher elsewhere in the school, a learner here, is a student here.
    (["http://purl.imsglobal.org/vocab/lis/v2/institution/person#Instructor", M + "Learner"], lti.STUDENT_GROUP),
    (["http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator"], None),
    ([M + "Mentor"], None),
    ([], None),
])
def test_lms_roles_map_to_the_course_groups(roles, group):
    assert lti.course_group(roles) == group


def test_usernames_are_stable_valid_system_names():
    names = {lti.username_for("https://canvas.instructure.com", sub) for sub in ("a", "A", "a b/c", "x" * 300)}
    assert len(names) == 4
    for name in names:
        assert len(name) <= 32 and name.startswith("lti-") and name[4:].isalnum() and name == name.lower()
    assert lti.username_for("https://a.edu", "1") == lti.username_for("https://a.edu", "1")
    assert lti.username_for("https://a.edu", "1") != lti.username_for("https://b.edu", "1")


CHROMIUM = Path("/usr/bin/chromium")


@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium missing: run scripts/install-system-deps.sh")
def test_instructor_launch_in_chromium_shows_formgrader(platform, hub, tmp_path):
    from playwright.sync_api import sync_playwright

    from test_browser import ARGS

    launch(platform, hub, "browser-student", ("Learner",), given_name="Katherine", family_name="Johnson")
    sub = "browser-teacher"
    platform.expect_launch("hint-browser", platform.launch_claims(sub, ("Instructor",), given_name="Grace"))
    name = lti.username_for(platform.issuer, sub)
    shots = tmp_path  # kept by pytest for the last few runs: what the browser showed, to look at
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        # The LMS's link: the login initiation as a GET; the platform's page then posts the id_token itself.
        page.goto(f"{login_url(hub)}?{urlencode(initiation(platform, hub, 'hint-browser'))}")
        page.wait_for_url(f"**/user/{name}/lab**", timeout=90_000)
        page.locator(".jp-LauncherCard").first.wait_for(state="visible", timeout=60_000)
        page.screenshot(path=str(shots / "lti_instructor_lab.png"))
        page.goto(f"{hub.url}{FORMGRADER}/lab?formgrader=true")
        frame = page.frame_locator("iframe").first
        frame.locator("text=Manage Assignments").first.wait_for(state="visible", timeout=60_000)
        frame.locator("a", has_text=tiny_course.ASSIGNMENT).first.wait_for(state="visible", timeout=30_000)
        page.screenshot(path=str(shots / "lti_instructor_formgrader.png"))
        # The students the LMS launched, by the names it sent.
        frame.locator("a", has_text="Manage Students").first.click()
        frame.locator("td", has_text="Johnson").first.wait_for(state="visible", timeout=30_000)
        page.screenshot(path=str(shots / "lti_instructor_students.png"))
        browser.close()
