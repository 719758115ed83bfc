"""The hub with its gradebook on a real PostgreSQL server (the session's `postgres_url` fixture, tests/conftest.py):
formgrader, nbgrader's release and autograde, and the instructor's view all work on it as on SQLite."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit, urlunsplit

import pytest
from nbgrader.api import Gradebook

import tiny_course
from hub import course
from test_demo_hub import FORMGRADER, fetch_write_submit, grade, login


@pytest.fixture
def gradebook_db(request):
    """A database of our own on the session's PostgreSQL server, dropped afterwards."""
    import psycopg2

    try:
        postgres_url = request.getfixturevalue("postgres_url")
    except pytest.FixtureLookupError:
        # Reported as a skip, never a pass: the shared server fixture is written by another part of the project.
        pytest.skip("the shared postgres_url fixture (tests/conftest.py) is not defined in this tree")

    name = f"l2w_hub_{secrets.token_hex(4)}"
    parts = urlsplit(postgres_url)
    # libpq takes a plain postgresql:// URI; the SQLAlchemy URL may name a driver (postgresql+psycopg2://).
    admin = psycopg2.connect(urlunsplit(parts._replace(scheme="postgresql")))
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    yield urlunsplit(parts._replace(path=f"/{name}"))
    with admin.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


def test_grades_land_in_a_postgresql_gradebook(make_hub, gradebook_db):
    hub = make_hub({"L2W_GRADEBOOK_URL": gradebook_db})
    settings = hub.settings()
    assert settings.db_url.startswith("postgresql")
    course.release(settings, [tiny_course.ASSIGNMENT])
    student = login(hub, "student2")
    student.spawn()
    fetch_write_submit(student, tiny_course.ASSIGNMENT, tiny_course.NOTEBOOK, tiny_course.SOLUTION)
    grade(settings, tiny_course.ASSIGNMENT)

    assert not (settings.course_dir / "gradebook.db").exists(), "the SQLite default must not be used"
    with Gradebook(settings.db_url) as gb:
        submission = gb.find_submission(tiny_course.ASSIGNMENT, "student2")
        assert (submission.score, submission.max_score) == (1.0, 1.0)
    rows = login(hub, "instructor").request("GET", f"{FORMGRADER}/formgrader/api/submissions/"
                                                   f"{tiny_course.ASSIGNMENT}").json()
    assert {r["student"]: r["score"] for r in rows}["student2"] == 1.0
