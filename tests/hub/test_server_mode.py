"""Server mode, as root: one system account per rostered user, created at the hub's first start; students cannot
read each other's homes or the course directory (source/, gradebook). Real accounts, created here and removed after."""

from __future__ import annotations

import csv
import os
from contextlib import contextmanager
import secrets
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

import tiny_course
from hub import course
from hub.harness import Browserless
from hub.runtime import public_python
from hub.settings import COURSE_ID

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="server mode creates system accounts: needs root")


@contextmanager
def server_mode_hub(make_hub, env: dict, accounts: list[str]):
    """A hub started with `env` whose system homes and server Python live in a fresh folder under /tmp, outside
    pytest's private (0700) temp dirs: every account must reach the config, the exchange and its home. The system
    `accounts` the test makes (or the hub makes for it) are removed after."""
    base = Path(tempfile.mkdtemp(prefix="l2w-server-", dir="/tmp"))
    base.chmod(0o755)
    (base / "home").mkdir(mode=0o755)
    env = {**env, "L2W_SYSTEM_HOME_BASE": str(base / "home"), "L2W_SERVER_PYTHON": str(public_python(base / "python"))}
    try:
        hub = make_hub(env, data_dir=base / "data")
        yield hub
        hub.stop()
    finally:
        for name in accounts:
            subprocess.run(["userdel", "--remove", name], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def server_hub(make_hub, checkout_reachable_by_everyone):
    tag = secrets.token_hex(3)
    names = {"a": f"l2wa{tag}", "b": f"l2wb{tag}", "teacher": f"l2wi{tag}", "grader": f"l2wg{tag}"}
    env = {
        # No mode chosen, as `make hub` run by root: that is server mode (test_root_default.py checks the rule).
        "L2W_HUB_MODE": "",
        "L2W_STUDENTS": f"{names['a']},{names['b']}",
        "L2W_INSTRUCTORS": names["teacher"],
        "L2W_GRADER_USER": names["grader"],
    }
    with server_mode_hub(make_hub, env, list(names.values())) as hub:
        yield hub, names


def as_user(name: str, *cmd: str) -> subprocess.CompletedProcess:
    return subprocess.run(list(cmd), user=name, group=name, extra_groups=[], capture_output=True, text=True,
                          cwd="/")


def test_students_are_walled_off_from_each_other_and_the_course(server_hub):
    hub, names = server_hub
    a, b = names["a"], names["b"]
    settings = hub.settings()
    course.release(settings, [tiny_course.ASSIGNMENT])
    passwords = dict(csv.reader((settings.data_dir / "credentials.csv").open()))
    assert set(passwords) == {a, b, names["teacher"]}
    assert oct((settings.data_dir / "credentials.csv").stat().st_mode & 0o777) == "0o600"

    # Each account logs in with its own password only.
    assert Browserless(hub, a).login(password=passwords[b]).status_code == 403
    student_a = Browserless(hub, a)
    assert student_a.login(password=passwords[a]).status_code == 302
    student_a.get_token()
    student_a.spawn()
    r = student_a.server("POST", "assignments/fetch", data={"course_id": COURSE_ID,
                                                            "assignment_id": tiny_course.ASSIGNMENT})
    assert r.status_code == 200 and r.json()["success"], r.text[:400]

    home_a = Path(os.path.expanduser(f"~{a}"))
    fetched = home_a / tiny_course.ASSIGNMENT / tiny_course.NOTEBOOK
    assert fetched.exists() and fetched.stat().st_uid == int(subprocess.check_output(["id", "-u", a]))
    # A's server runs as A: the process owning its port is A's.
    owners = {p.stat().st_uid for p in Path("/proc").iterdir() if p.name.isdigit()
              and str(settings.data_dir).encode() in _environ(p)}
    assert int(subprocess.check_output(["id", "-u", a])) in owners

    home_b = Path(os.path.expanduser(f"~{b}"))
    (home_b / "secret.txt").write_text("b's work")
    shutil.chown(home_b / "secret.txt", b, b)
    assert as_user(b, "cat", str(home_b / "secret.txt")).returncode == 0, "b reads its own file"
    denied = as_user(a, "cat", str(home_b / "secret.txt"))
    assert denied.returncode != 0 and "Permission denied" in denied.stderr
    assert as_user(a, "ls", str(home_b)).returncode != 0
    for private in (settings.course_dir / "source", settings.course_dir / "gradebook.db", settings.course_dir):
        assert private.exists()
        assert as_user(a, "ls", str(private)).returncode != 0, f"{a} can read {private}"
    # The exchange still works across accounts: A can read what was released.
    assert as_user(a, "ls", str(settings.exchange_dir / COURSE_ID / "outbound")).returncode == 0


def _environ(proc: Path) -> bytes:
    try:
        return (proc / "environ").read_bytes()
    except OSError:
        return b""
