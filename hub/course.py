"""Prepare what the hub serves: the nbgrader course directory, the exchange, and the Jupyter config each kind of
server reads (students, instructors, the formgrader service). Every step is idempotent: it runs at each start."""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
from pathlib import Path

from .runtime import reachable_by_everyone, server_python
from .settings import COURSE_ID, REPO, HubSettings

# JupyterLab's "Would you like to get notified about official Jupyter news?" toast: on a course hub it asks every
# student and instructor at first login, and at 1000 px it covers formgrader's buttons (Autograde, Feedback).
NEWS_PLUGIN = "@jupyterlab/apputils-extension:announcements"
# Server extensions a student never uses; formgrader alone costs about a second of import at every spawn.
STUDENT_DISABLED_SERVER_EXTENSIONS = (
    "nbgrader.server_extensions.formgrader",
    "nbgrader.server_extensions.course_list",
    "jupyter_lsp",
)
# JupyterLab plugins that would show instructor UI to a student ("Formgrader", "Create Assignment", "Courses").
STUDENT_DISABLED_LAB_PLUGINS = (
    "@jupyter/nbgrader:formgrader",
    "@jupyter/nbgrader:create-assignment",
    "@jupyter/nbgrader:course-list",
    NEWS_PLUGIN,
)
# Instructors grade in the course's formgrader service; their own server keeps the course list (a link to it).
INSTRUCTOR_DISABLED_SERVER_EXTENSIONS = ("nbgrader.server_extensions.formgrader", "jupyter_lsp")
INSTRUCTOR_DISABLED_LAB_PLUGINS = ("@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment", NEWS_PLUGIN)
# The formgrader service: everything nbgrader offers an instructor, nothing a student needs.
COURSE_DISABLED_SERVER_EXTENSIONS = ("nbgrader.server_extensions.assignment_list", "jupyter_lsp")
COURSE_DISABLED_LAB_PLUGINS = ("@jupyter/nbgrader:assignment-list", NEWS_PLUGIN)

# Formgrader is a page JupyterLab shows in an iframe of the same server. jupyterhub-singleuser (JupyterHub 4.1+)
# sends `frame-ancestors 'none'`, which blanks that iframe; 'self' lets the hub's own origin frame it and no one else.
FRAME_SELF_CSP = "frame-ancestors 'self'"


def _write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, indent=2, sort_keys=True) + "\n"
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
    path.chmod(0o644)


def _config_dir(root: Path, disabled_server: tuple[str, ...], disabled_lab: tuple[str, ...],
                nbgrader: dict, server: dict | None = None) -> None:
    """One Jupyter config directory (put on JUPYTER_CONFIG_PATH by the spawner or the service)."""
    server_config: dict = {"ServerApp": {"jpserver_extensions": {name: False for name in disabled_server}}}
    if server:
        server_config["ServerApp"].update(server)
    _write_json(root / "jupyter_server_config.json", server_config)
    _write_json(root / "labconfig" / "page_config.json",
                {"disabledExtensions": {name: True for name in disabled_lab}})
    _write_json(root / "nbgrader_config.json", nbgrader)


def student_config_dir(s: HubSettings) -> Path:
    return s.config_dir / "student"


def instructor_config_dir(s: HubSettings) -> Path:
    return s.config_dir / "instructor"


def course_config_dir(s: HubSettings) -> Path:
    return s.config_dir / "course"


def user_config_dir(s: HubSettings, username: str) -> Path:
    """Per-user nbgrader config: the student id. In demo mode every server runs as the hub's system user, and
    nbgrader would otherwise name every submission after that one account."""
    return s.config_dir / "users" / username


def write_user_config(s: HubSettings, username: str) -> Path:
    root = user_config_dir(s, username)
    _write_json(root / "nbgrader_config.json", {"CourseDirectory": {"student_id": username}})
    return root


# The course directory's settings the hub sets itself; everything else in the repository's nbgrader_config.py (feedback
# without the hidden tests, wrapping output, the solution stub) applies to the hub's course as written.
HUB_OWNED_COURSE_SETTINGS = ("course_id", "root", "db_url")


def repository_course_config(path: Path = REPO / "nbgrader_config.py") -> dict:
    """The repository's nbgrader_config.py as plain data, less the CourseDirectory settings the hub owns: one source
    for `nbgrader generate_feedback` in this checkout and for formgrader's Generate Feedback on the hub."""
    from traitlets.config.loader import PyFileConfigLoader

    config = json.loads(json.dumps(PyFileConfigLoader(path.name, path=str(path.parent)).load_config()))
    course_directory = config.get("CourseDirectory", {})
    for name in HUB_OWNED_COURSE_SETTINGS:
        course_directory.pop(name, None)
    if not course_directory:
        config.pop("CourseDirectory", None)
    return config


def course_config(s: HubSettings) -> dict:
    """The nbgrader configuration of the hub's course: the repository's settings, rooted in the hub's course dir."""
    config = repository_course_config()
    config.setdefault("CourseDirectory", {}).update(
        {"course_id": COURSE_ID, "root": str(s.course_dir), "db_url": s.db_url})
    config["Exchange"] = {"root": str(s.exchange_dir)}
    if s.mode == "demo":
        # Every server runs as the hub's own system user, so every submission is owned by it and nbgrader's check
        # (the owner's name must be the student id) warns "cheating attempt?" on each one. In server mode each
        # student's files are theirs and the check stays.
        config["ExchangeCollect"] = {"check_owner": False}
    return config


def prepare(s: HubSettings) -> None:
    """Create the data, course and exchange directories and write the generated config. Cheap; runs at every start."""
    s.data_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(s.data_dir, 0o755)
    exchange = {"root": str(s.exchange_dir)}
    student = {"CourseDirectory": {"course_id": COURSE_ID}, "Exchange": exchange}
    _config_dir(student_config_dir(s), STUDENT_DISABLED_SERVER_EXTENSIONS, STUDENT_DISABLED_LAB_PLUGINS, student)
    _config_dir(instructor_config_dir(s), INSTRUCTOR_DISABLED_SERVER_EXTENSIONS, INSTRUCTOR_DISABLED_LAB_PLUGINS,
                student)
    course = course_config(s)
    _config_dir(course_config_dir(s), COURSE_DISABLED_SERVER_EXTENSIONS, COURSE_DISABLED_LAB_PLUGINS, course,
                server={"tornado_settings": {"headers": {"Content-Security-Policy": FRAME_SELF_CSP}}})
    for d in (s.config_dir, s.config_dir / "users"):
        d.mkdir(parents=True, exist_ok=True)
        os.chmod(d, 0o755)

    s.course_dir.mkdir(parents=True, exist_ok=True)
    (s.course_dir / "source").mkdir(exist_ok=True)
    # nbgrader commands run in the course directory read this file (the formgrader service and the autograder too).
    _write_json(s.course_dir / "nbgrader_config.json", course)

    # The exchange: everyone may write (students submit into inbound/), nbgrader sets the per-course modes itself.
    s.exchange_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(s.exchange_dir, 0o1777)

    if s.mode == "demo":
        s.demo_homes.mkdir(parents=True, exist_ok=True)
    elif s.mode == "server":
        _prepare_server(s)


def _prepare_server(s: HubSettings) -> None:
    """Server mode, as root: the course belongs to its grader account and only it can read it (source/, gradebook)."""
    ensure_system_user(s.grader_user, s.system_home_base / s.grader_user)
    grader = pwd.getpwnam(s.grader_user)
    for root, dirs, files in os.walk(s.course_dir):
        for name in [root, *(os.path.join(root, f) for f in files)]:
            os.chown(name, grader.pw_uid, grader.pw_gid)
    os.chmod(s.course_dir, 0o700)
    for d in (s.config_dir,):
        for root, dirs, files in os.walk(d):
            os.chmod(root, 0o755)
    if (s.data_dir / "password").exists():
        os.chmod(s.data_dir / "password", 0o600)


# The checkout's parts that hold the answers: the source notebooks (solutions, hidden tests), the reference
# implementation (importable by any kernel through the editable install) and the history of both.
ANSWER_PATHS = ("source", "reference", ".git")
# ... and files: the gradebook `autograder release` leaves in the checkout (git-ignored), whose source cells hold
# every test cell's hidden tests.
ANSWER_FILES = ("gradebook.db",)


def wall_off_answers(s: HubSettings) -> list[Path]:
    """Server mode, as root: the checkout's answer-bearing directories become 0750 (files 0640) with the grader
    account's group, so students (other users) cannot list or read them, while the grader (formgrader's autograde,
    whose hidden tests compare against `reference`) still can. Returns the paths changed."""
    gid = pwd.getpwnam(s.grader_user).pw_gid
    folders = {*(REPO / name for name in ANSWER_PATHS), s.source_dir}
    wanted = [(path, 0o750) for path in folders if path.is_dir()]
    wanted += [(path, 0o640) for path in (REPO / name for name in ANSWER_FILES) if path.is_file()]
    changed = []
    for path, mode in wanted:
        st = path.stat()
        if st.st_gid != gid or st.st_mode & 0o7777 != mode:
            os.chown(path, -1, gid)
            os.chmod(path, mode)
            changed.append(path)
    return changed


def ensure_system_user(name: str, home: Path) -> bool:
    """Create a locked system account with a private home (0700) if it does not exist; True if created."""
    try:
        pwd.getpwnam(name)
        created = False
    except KeyError:
        subprocess.run(["useradd", "--create-home", "--home-dir", str(home), "--shell", "/bin/bash", name],
                       check=True)
        created = True
    home = Path(pwd.getpwnam(name).pw_dir)
    home.mkdir(parents=True, exist_ok=True)
    os.chmod(home, 0o700)
    return created


def sync_source(s: HubSettings, assignments: list[str] | None = None) -> list[str]:
    """Copy the course's source notebooks into the course directory; returns the assignment ids copied."""
    if not s.source_dir.is_dir():
        return []
    ids = assignments or sorted(p.name for p in s.source_dir.iterdir() if p.is_dir() and not p.name.startswith("."))
    for a in ids:
        shutil.copytree(s.source_dir / a, s.course_dir / "source" / a, dirs_exist_ok=True)
    return ids


def nbgrader(s: HubSettings, *args: str) -> subprocess.CompletedProcess:
    """Run an nbgrader command in the course directory (as the grader account in server mode)."""
    python = server_python(s)
    cmd = [python, "-m", "nbgrader", *args]
    # nbgrader runs `alembic` from PATH: the venv's bin must come first even when the venv is not activated.
    bin_dir = os.path.dirname(python)
    env = {**os.environ, "JUPYTER_CONFIG_PATH": str(course_config_dir(s)),
           "PATH": f"{bin_dir}:{os.environ.get('PATH', '/usr/bin:/bin')}"}
    drop = {}
    if s.mode == "server" and os.geteuid() == 0:
        # user= alone keeps root's group and supplementary groups: drop all three
        drop = {"user": s.grader_user, "group": pwd.getpwnam(s.grader_user).pw_gid, "extra_groups": []}
    done = subprocess.run(cmd, cwd=s.course_dir, env=env, capture_output=True, text=True, **drop)
    if done.returncode:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return done


def _release_digest(s: HubSettings, assignment: str) -> str:
    from autograder.release import source_digest

    configs = sorted(course_config_dir(s).glob("*")) if course_config_dir(s).is_dir() else []
    return source_digest(assignment, REPO, source_dir=s.source_dir, configs=configs)


def _release_stamp(s: HubSettings, assignment: str) -> Path:
    return s.data_dir / "released" / f"{assignment}.digest"


def is_released(s: HubSettings, assignment: str) -> bool:
    """True when the exchange holds `assignment` as generated from the source and course config as they are now."""
    stamp = _release_stamp(s, assignment)
    return (any(s.exchange_dir.glob(f"*/outbound/{assignment}")) and stamp.is_file()
            and stamp.read_text().strip() == _release_digest(s, assignment))


def release(s: HubSettings, assignments: list[str] | None = None, force: bool = False) -> list[str]:
    """Generate each assignment (student version and gradebook entries) and release it to the exchange.

    Returns the assignment ids released; one released before from the same source and config is skipped (so a
    restart with nothing changed costs no nbgrader run) unless `force`.
    """
    ids = [a for a in sync_source(s, assignments) if force or not is_released(s, a)]
    if ids and s.mode == "server" and os.geteuid() == 0:
        _prepare_server(s)
    for a in ids:
        nbgrader(s, "generate_assignment", a, "--force")
        nbgrader(s, "release_assignment", a, "--force")
        _release_stamp(s, a).parent.mkdir(parents=True, exist_ok=True)
        _release_stamp(s, a).write_text(_release_digest(s, a) + "\n")
    return ids
