"""`python -m hub` (what `make hub` runs): prepare the course, release every assignment, start JupyterHub.

The hub itself is `jupyterhub -f jupyterhub_config.py`; this adds the once-per-start steps a bare hub start should
not pay for (generating and releasing the assignments) and tells the person at the terminal how to log in.
"""

from __future__ import annotations

import os
import signal
import sys
from dataclasses import replace
from pathlib import Path

from . import course
from .auth import issue_passwords
from .runtime import python_usable_by_everyone, reachable_by_everyone, server_python
from .settings import REPO, HubSettings


def lti_banner(s: HubSettings) -> str:
    """How the LMS reaches the hub: the URLs its tool registration asks for (docs/hub.md has the steps)."""
    hub = f"{s.url}hub/lti13/"
    return "\n".join([
        f"\nLine to Word course hub: {s.url} (opened from the LMS course {s.lti.context_id!r}, LTI 1.3)",
        f"  target link URI / tool URL:    {s.url}hub/",
        f"  OpenID Connect initiation URL: {hub}oauth_login",
        f"  redirect URI:                  {hub}oauth_callback",
        f"  public JWK URL:                {hub}jwks",
        f"  Canvas configuration URL:      {hub}config",
        "  (behind a proxy or a domain name, the same paths on the public https URL)\n",
    ])


def banner(s: HubSettings) -> str:
    """How to log in: the URL, the accounts and their password(s)."""
    if s.login == "lti13":
        return lti_banner(s)
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
    if s.mode == "server" and not s.server_python and not reachable_by_everyone(Path(sys.prefix)):
        sys.exit(f"server mode (the default as root): every account runs this course's Python, but {sys.prefix} is "
                 "not reachable by other users; move the checkout (e.g. to /srv) or set L2W_SERVER_PYTHON")
    if s.mode == "server" and not s.server_python and not python_usable_by_everyone():
        # Every account runs this course's Python, and this one lives where only root can reach it (a pyenv
        # Python under /root, say): servers and the grader account run a copy everyone can reach.
        python = server_python(s)
        print(f"{os.path.realpath(sys.executable)} is private to root: every account runs a copy, {python}")
        os.environ["L2W_SERVER_PYTHON"] = python  # for jupyterhub_config.py, which reads the settings again
        s = replace(s, server_python=python)
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
    if s.mode == "server" and s.login == "password":
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
