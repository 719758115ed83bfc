"""`python -m autograder sync-lms` on a real graded class, against the test LTI platform (tests/lti_platform.py):
the scores it receives are the gradebook's, as `nbgrader export` computes them; a rerun sends nothing; a platform
that refuses, stalls or fails midway leaves a clear message, a nonzero exit and an honest record."""
import csv
import hashlib
import json
import shutil
import subprocess
import sys
from datetime import datetime

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from nbgrader.api import Gradebook

from autograder.release import nbgrader_env, release
from course.helpers import ROOT, load_release, load_source, load_wrong, substitute, write_submission
from lti_platform import SCOPE_LINEITEM, SCOPE_RESULT_READONLY, SCOPE_SCORE

ENV = nbgrader_env()
ASSIGNMENT = "01_line"
LMS_IDS = {"s00": "lms-a0", "s01": "lms-b1", "s02": "lms-c2", "s03": "lms-d3"}  # s04 never launched from the LMS
STUDENTS = [*LMS_IDS, "s04"]
DUE, ON_TIME, LATE_STAMP = "2026-11-24 00:00:00 UTC", "2026-11-23 12:00:00.000000 UTC", "2026-11-25 12:00:00.000000 UTC"
LATE = "s03"  # the solutions after the due date: nbgrader's "zero" policy takes every point back


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """A class graded by a real `python -m autograder grade`: the solutions, a planted mistake, an untouched
    release, a late submission, and a student with no LMS id."""
    tmp = tmp_path_factory.mktemp("lmsclass")
    tmp.chmod(0o755)
    course = tmp / "course"
    (course / "source").mkdir(parents=True)
    shutil.copytree(ROOT / "source" / ASSIGNMENT, course / "source" / ASSIGNMENT)
    shutil.copy(ROOT / "nbgrader_config.py", course)
    with (course / "nbgrader_config.py").open("a") as config:
        config.write('\nc.LateSubmissionPlugin.penalty_method = "zero"\n')
    release([ASSIGNMENT], root=course)
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        gb.update_or_create_assignment(ASSIGNMENT, duedate=DUE)
    mistake = load_wrong()["line"]["mse"][2][1]
    notebooks = {"s00": load_source(ASSIGNMENT), "s01": substitute(load_source(ASSIGNMENT), "mse", mistake),
                 "s02": load_release(ASSIGNMENT), "s03": load_source(ASSIGNMENT), "s04": load_source(ASSIGNMENT)}
    for student, nb in notebooks.items():
        dest = course / "submitted" / student / ASSIGNMENT
        write_submission(nb, dest, ASSIGNMENT)
        (dest / "timestamp.txt").write_text(LATE_STAMP if student == LATE else ON_TIME)
    subprocess.run([sys.executable, "-m", "autograder", "grade", ASSIGNMENT, "--course", str(course),
                    "--no-progress"], cwd=course, env=ENV, check=True, capture_output=True, text=True)
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for student, lms_id in LMS_IDS.items():  # as the hub records a student's first LTI launch
            gb.update_or_create_student(student, lms_user_id=lms_id)
    return course


@pytest.fixture
def course(graded, tmp_path, tool_key, platform):
    """A copy of the graded class whose lms.json points at the running platform, as a launch would leave it."""
    copy = tmp_path / "course"
    shutil.copytree(graded, copy)
    key_file = tmp_path / "tool_key.pem"
    key_file.write_bytes(tool_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                serialization.NoEncryption()))
    settings = {"issuer": platform.issuer, "client_id": platform.client_id, "deployment_id": platform.deployment_id,
                "token_url": platform.token_url, "key_file": str(key_file), "kid": "tool-key-1",
                "lineitems": platform.lineitems_url(),
                "scope": [SCOPE_LINEITEM, SCOPE_RESULT_READONLY, SCOPE_SCORE]}
    (copy / ".autograder" / "lms.json").write_text(json.dumps(settings))
    return copy


def sync_lms(course, *extra):
    return subprocess.run([sys.executable, "-m", "autograder", "sync-lms", ASSIGNMENT, "--course", str(course),
                           *extra], capture_output=True, text=True, env=ENV, timeout=120)


def exported(course) -> dict[str, tuple[float, float]]:
    """student -> (score, max score) as `nbgrader export` writes them: the independent account of the gradebook."""
    subprocess.run([sys.executable, "-m", "nbgrader", "export", "--to", "export.csv"], cwd=course, env=ENV,
                   check=True, capture_output=True)
    with (course / "export.csv").open() as handle:
        return {row["student_id"]: (float(row["score"]), float(row["max_score"])) for row in csv.DictReader(handle)
                if row["assignment"] == ASSIGNMENT and row["timestamp"]}


def record(course) -> dict:
    path = course / ".autograder" / ASSIGNMENT / "lms_sync.json"
    return json.loads(path.read_text()) if path.exists() else {}


def gradebook_digest(course) -> str:
    return hashlib.sha256((course / "gradebook.db").read_bytes()).hexdigest()


def test_sync_delivers_the_gradebook_scores_and_a_rerun_posts_nothing(course, platform):
    expected = exported(course)
    assert expected[LATE][0] == 0 and expected["s00"][0] == expected["s00"][1] > expected["s01"][0] > 0
    run = sync_lms(course)
    assert run.returncode == 0, run.stderr
    assert f"{ASSIGNMENT}: posted 4, unchanged 0, skipped 1 (no LMS id)" in run.stdout
    assert "skipped s04" in run.stdout
    [item] = platform.lineitems
    assert (item["resourceId"], item["label"], item["scoreMaximum"]) == (ASSIGNMENT, ASSIGNMENT, expected["s00"][1])
    by_user = {score["userId"]: score for score in platform.scores}
    assert len(platform.scores) == len(by_user) == len(LMS_IDS)
    for student, lms_id in LMS_IDS.items():
        score = by_user[lms_id]
        assert (score["scoreGiven"], score["scoreMaximum"]) == expected[student], student
        assert (score["activityProgress"], score["gradingProgress"]) == ("Completed", "FullyGraded")
        assert score["lineitem"] == item["id"] and datetime.fromisoformat(score["timestamp"]).tzinfo is not None
    claims = platform.token_requests[0]["claims"]
    assert claims["iss"] == claims["sub"] == platform.client_id and claims["exp"] - claims["iat"] <= 300

    again = sync_lms(course)
    assert again.returncode == 0, again.stderr
    assert f"{ASSIGNMENT}: posted 0, unchanged 4, skipped 1 (no LMS id)" in again.stdout
    assert len(platform.scores) == len(LMS_IDS) and len(platform.lineitems) == 1


def first_grade(gb, student):
    return next(g for n in gb.find_submission(ASSIGNMENT, student).notebooks for g in n.grades if g.max_score > 0)


def test_changed_grades_are_the_only_ones_posted_again(course, platform):
    assert sync_lms(course).returncode == 0
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        grade = first_grade(gb, "s01")  # a manual grade, as formgrader records one
        grade.manual_score = 0.0 if grade.score else grade.max_score
        first_grade(gb, "s02").needs_manual_grade = True  # a cell flagged for the instructor to look at
        gb.db.commit()
    expected = exported(course)
    run = sync_lms(course)
    assert run.returncode == 0, run.stderr
    assert f"{ASSIGNMENT}: posted 2, unchanged 2" in run.stdout
    again = {score["userId"]: score for score in platform.scores[len(LMS_IDS):]}
    assert sorted(again) == sorted([LMS_IDS["s01"], LMS_IDS["s02"]])
    assert (again[LMS_IDS["s01"]]["scoreGiven"], again[LMS_IDS["s01"]]["scoreMaximum"]) == expected["s01"]
    assert again[LMS_IDS["s02"]]["scoreGiven"] == expected["s02"][0]
    progress = {user: score["gradingProgress"] for user, score in again.items()}
    assert progress == {LMS_IDS["s01"]: "FullyGraded", LMS_IDS["s02"]: "PendingManual"}
    # a platform keeps only the latest score by timestamp
    assert all(score["timestamp"] > platform.scores[0]["timestamp"] for score in again.values())


def test_a_forged_tool_key_is_refused_at_the_token_endpoint(course, platform):
    platform.tool_public_key = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    run = sync_lms(course)
    assert run.returncode == 1
    assert f"POST {platform.token_url}" in run.stderr and "HTTP 401" in run.stderr
    assert "invalid_client" in run.stderr and "Traceback" not in run.stderr
    assert platform.scores == [] and record(course) == {}


@pytest.mark.parametrize("failure", ["refuse", "delay", "gone"])
def test_a_failing_platform_means_exit_1_and_nothing_recorded(course, platform, failure):
    before, issuer = gradebook_digest(course), platform.issuer
    if failure == "refuse":
        platform.refuse = 503
        run = sync_lms(course)
        assert "HTTP 503" in run.stderr
    elif failure == "delay":
        platform.delay = 3
        run = sync_lms(course, "--timeout", "0.5")
        assert "timed out after 0.5 s" in run.stderr
    else:
        platform.stop()
        run = sync_lms(course)
        assert "cannot reach the platform" in run.stderr and "refused" in run.stderr
    assert run.returncode == 1
    assert issuer in run.stderr and len(run.stderr.strip().splitlines()) == 1
    assert platform.scores == [] and record(course) == {} and gradebook_digest(course) == before


def test_a_run_stopped_midway_keeps_what_was_sent_and_a_rerun_resumes(course, platform):
    platform.fail_after_scores = 2
    stopped = sync_lms(course)
    assert stopped.returncode == 1 and "HTTP 503" in stopped.stderr
    sent = {score["userId"] for score in platform.scores}
    assert len(sent) == 2 and {entry["lms_user_id"] for entry in record(course).values()} == sent
    platform.fail_after_scores = None
    resumed = sync_lms(course)
    assert resumed.returncode == 0, resumed.stderr
    assert f"{ASSIGNMENT}: posted 2, unchanged 2" in resumed.stdout
    assert sorted(score["userId"] for score in platform.scores) == sorted(LMS_IDS.values())


def test_a_missing_setting_is_named_and_exits_2(course, platform):
    (course / ".autograder" / "lms.json").unlink()
    run = sync_lms(course, "--client-id", platform.client_id)
    assert run.returncode == 2 and "'token_url'" in run.stderr and "--token-url" in run.stderr
    assert platform.token_requests == []


def test_the_tools_own_line_item_is_found_across_pages_and_used(course, platform):
    other = platform.create_lineitem(platform.context_id, {"label": "Line", "scoreMaximum": 5,
                                                           "resourceId": ASSIGNMENT})
    ours = platform.create_lineitem(platform.context_id, {"label": ASSIGNMENT, "scoreMaximum": 5,
                                                          "resourceId": ASSIGNMENT, "tag": "line-to-word"})
    platform.page_size = 1  # the tagged one is on the second page
    run = sync_lms(course)
    assert run.returncode == 0, run.stderr
    assert f"line item {ours['id']} (found)" in run.stdout
    assert platform.lineitems == [other, ours]
    assert {score["lineitem"] for score in platform.scores} == {ours["id"]} and len(platform.scores) == len(LMS_IDS)
