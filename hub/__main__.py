"""`python -m hub` (what `make hub` runs): prepare the course, release every assignment, start JupyterHub.

The hub itself is `jupyterhub -f jupyterhub_config.py`; this adds the once-per-start steps a bare hub start should
not pay for (generating and releasing the assignments) and tells the person at the terminal how to log in.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from . import course
from .settings import REPO, HubSettings


def main() -> None:
    s = HubSettings.from_env()
    if s.mode == "kubernetes":
        sys.exit("L2W_HUB_MODE=kubernetes runs on a cluster: see deploy/z2jh/values.yaml and docs/hub.md")
    course.prepare(s)
    for assignment in course.sync_source(s):
        try:
            course.release(s, [assignment])
            print(f"released {assignment}")
        except RuntimeError as err:
            # One broken notebook must not keep the whole course offline; the instructor sees why.
            print(f"could not release {assignment}: {str(err).splitlines()[0]}", file=sys.stderr)
    print(f"\nLine to Word course hub: {s.url}")
    if s.mode == "demo":
        print(f"  students: {', '.join(s.students)}; instructor: {', '.join(s.instructors)}")
        print(f"  password (every account): {s.shared_password()}  (kept in {s.data_dir / 'password'})")
    else:
        print(f"  each account's password is in {s.data_dir / 'credentials.csv'} (root only)")
    print(f"  instructors grade in formgrader: {s.url}services/{course.COURSE_ID}/lab?formgrader=true\n", flush=True)
    jupyterhub = Path(sys.executable).parent / "jupyterhub"
    os.chdir(s.data_dir)
    # Replace this process, so Ctrl-C and service managers signal JupyterHub directly.
    os.execv(jupyterhub, [str(jupyterhub), "-f", str(REPO / "jupyterhub_config.py")])


if __name__ == "__main__":
    main()
