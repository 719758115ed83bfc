"""`python -m hub` (what `make hub` runs): prepare the course, release every assignment, start JupyterHub.

The hub itself is `jupyterhub -f jupyterhub_config.py`; this adds the once-per-start steps a bare hub start should
not pay for (generating and releasing the assignments) and tells the person at the terminal how to log in.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from . import course
from .auth import issue_passwords
from .settings import REPO, HubSettings


def banner(s: HubSettings) -> str:
    """How to log in: the URL, the accounts and their password(s)."""
    lines = [f"\nLine to Word course hub: {s.url}",
             f"  students: {', '.join(s.students)}; instructor: {', '.join(s.instructors)}"]
    if s.mode == "demo":
        lines.append(f"  password (every account): {s.shared_password()}  (kept in {s.data_dir / 'password'})")
    else:
        # Server mode (the default as root): each account is its own system user with its own password.
        credentials = s.data_dir / "credentials.csv"
        passwords = dict(line.split(",", 1) for line in credentials.read_text().splitlines() if "," in line)
        lines.append(f"  passwords (one per account; kept in {credentials}, root only):")
        lines += [f"    {name}: {passwords.get(name, '?')}" for name in (*s.students, *s.instructors)]
    lines.append(f"  instructors grade in formgrader: {s.url}services/{course.COURSE_ID}/lab?formgrader=true\n")
    return "\n".join(lines)


def main() -> None:
    s = HubSettings.from_env()
    if s.mode == "kubernetes":
        sys.exit("L2W_HUB_MODE=kubernetes runs on a cluster: see deploy/z2jh/values.yaml and docs/hub.md")
    if s.mode == "server" and not s.server_python and not course.reachable_by_everyone(Path(sys.prefix)):
        sys.exit(f"server mode (the default as root): every account runs this course's Python, but {sys.prefix} is "
                 "not reachable by other users; move the checkout (e.g. to /srv) or set L2W_SERVER_PYTHON")
    if s.mode == "server" and not s.server_python and not course.python_usable_by_everyone():
        # Checked before anything runs as another account (releasing runs nbgrader as the grader account).
        sys.exit(f"server mode (the default as root) runs every account's server with this course's Python, but "
                 f"{sys.executable} is {os.path.realpath(sys.executable)} (standard library in {sys.base_prefix}), "
                 "which other users cannot reach (a pyenv Python under /root, say). Build the venv from a Python "
                 "every account can execute (`rm -rf .venv && make hub PYTHON=/usr/local/bin/python3.12`), or set "
                 "L2W_SERVER_PYTHON to one with this project's packages; L2W_HUB_MODE=demo runs every server as root, "
                 "for a throwaway machine only (docs/hub.md)")
    course.prepare(s)
    if s.mode == "server" and os.geteuid() == 0:
        for path in course.wall_off_answers(s):
            print(f"{path} is now readable by root and {s.grader_user} only (students must not read the answers)")
    for assignment in course.sync_source(s):
        try:
            done = course.release(s, [assignment])
            print(f"released {assignment}" if done else f"{assignment} is released and unchanged")
        except RuntimeError as err:
            # One broken notebook must not keep the whole course offline; the instructor sees why.
            print(f"could not release {assignment}: {str(err).splitlines()[0]}", file=sys.stderr)
    if s.mode == "server":
        # What jupyterhub_config.py does at load (idempotent), done first so the passwords can be printed.
        for name in (*s.students, *s.instructors):
            course.ensure_system_user(name, s.system_home_base / name)
        issue_passwords([*s.students, *s.instructors], s.data_dir / "passwords.json", s.data_dir / "credentials.csv")
    print(banner(s), flush=True)
    jupyterhub = Path(sys.executable).parent / "jupyterhub"
    os.chdir(s.data_dir)
    # Started in the background by a shell (`make hub &`), SIGINT arrives ignored, and every process inherits that:
    # the formgrader service would then ignore the hub's SIGINT and each stop would wait out its 30 s interrupt
    # timeout. Ctrl-C and `kill -INT` must stop the hub and its services at once.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    # Replace this process, so Ctrl-C and service managers signal JupyterHub directly.
    os.execv(jupyterhub, [str(jupyterhub), "-f", str(REPO / "jupyterhub_config.py")])


if __name__ == "__main__":
    main()
