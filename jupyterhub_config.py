"""The course hub of Line to Word: `jupyterhub -f jupyterhub_config.py`.

One file, three modes, chosen by L2W_HUB_MODE (see hub/settings.py for every other variable); unset, demo for an
ordinary user and server for root, so a hub started as root never runs a student's server as root:

- demo (no root): a demo roster, JupyterHub's shared-password login, every server spawned as the hub's
  own user with a home per user under hub-data/homes/.
- server (root, one machine, a real class): one system account per rostered user, created at first start, each
  with its own password; LocalProcessSpawner; private homes; the course directory belongs to a grader account.
- kubernetes: the Zero to JupyterHub chart runs the hub there, with the same course wiring (groups, roles,
  formgrader service, CSP, exchange on shared storage) written as chart values in deploy/z2jh/values.yaml; this
  file then only says so.

Login is chosen apart from the mode, by L2W_HUB_LOGIN: "password" (default) is the mode's own, above; "lti13" is a
launch from the course's page in an LMS (hub/lti.py), which then decides who is in the course and in which group.

nbgrader is wired as its JupyterHub demos do: the exchange, the course "line-to-word", the groups
formgrade-line-to-word (instructors) and nbgrader-line-to-word (students), and formgrader as a hub service named
after the course that only the formgrade group may reach. The idle culler, a hub service too, stops servers
nobody has used for L2W_IDLE_TIMEOUT seconds.
"""

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# The hub package sits beside this file; this keeps `jupyterhub -f` working from any directory.
sys.path.insert(0, str(HERE))

from hub import course  # noqa: E402
from hub.runtime import server_python  # noqa: E402
from hub.settings import COURSE_ID, HubSettings  # noqa: E402

c = get_config()  # noqa: F821 (provided by JupyterHub when it loads this file)
s = HubSettings.from_env()
if s.mode == "kubernetes":
    sys.exit("L2W_HUB_MODE=kubernetes: the Zero to JupyterHub chart runs the hub; deploy with "
             "`helm upgrade --install line-to-word jupyterhub/jupyterhub --values deploy/z2jh/values.yaml`")
# Demo mode run by root (a container, CI): every server runs as the hub's user, so Jupyter must be told that is meant.
ROOT_DEMO = s.mode == "demo" and os.geteuid() == 0
FORMGRADE_GROUP = f"formgrade-{COURSE_ID}"
STUDENT_GROUP = f"nbgrader-{COURSE_ID}"
# Servers run `python -m jupyterhub.singleuser` with this interpreter (their kernels too, by default).
SERVER_PYTHON = server_python(s)
SINGLEUSER = [SERVER_PYTHON, "-m", "jupyterhub.singleuser"]
# Shims that keep slow imports a server never needs out of every spawn (hub/server_shims/rfc3987_syntax.py says why).
SERVER_PYTHONPATH = str(HERE / "hub" / "server_shims")
# Server mode: users' servers (not formgrader) also get a `reference` that refuses to import; the real one is walled
# off from them, and would otherwise import as an empty namespace package (hub/student_shims/reference.py says why).
USER_PYTHONPATH = SERVER_PYTHONPATH + (f":{HERE / 'hub' / 'student_shims'}" if s.mode == "server" else "")

# --- Users, groups, roles ---------------------------------------------------------------------------------------
if s.login == "password":
    c.Authenticator.allowed_users = set(s.students) | set(s.instructors)
    c.JupyterHub.load_groups = {
        FORMGRADE_GROUP: {"users": list(s.instructors)},
        STUDENT_GROUP: {"users": list(s.students)},
    }
# With LTI the authenticator manages the groups (from the LMS roles, at each launch): JupyterHub then refuses
# load_groups, and the roles below create the two groups they name.
c.JupyterHub.load_roles = [
    {
        # Instructors reach the formgrader service (its API and its UI) and can discover it.
        "name": FORMGRADE_GROUP,
        "groups": [FORMGRADE_GROUP],
        "scopes": [f"access:services!service={COURSE_ID}", "list:services", f"read:services!service={COURSE_ID}"],
    },
    {
        # Students may discover the course's service (nbgrader's course discovery) but not enter it.
        "name": STUDENT_GROUP,
        "groups": [STUDENT_GROUP],
        "scopes": ["list:services", f"read:services!service={COURSE_ID}"],
    },
]
# A server's own API token: the usual activity and access scopes, plus (for instructors, who hold them) reaching
# the formgrader service, which nbgrader's course list does with this token. JupyterHub grants only the subset of
# these that the user holds, so a student's token cannot reach formgrader.
c.Spawner.server_token_scopes = [
    "users:activity!user",
    "access:servers!server",
    f"access:services!service={COURSE_ID}",
    "list:services",
    f"read:services!service={COURSE_ID}",
]

# --- The formgrader service -------------------------------------------------------------------------------------
# A jupyterhub-singleuser server in the course directory, with formgrader enabled (course config dir). Its config
# sets `frame-ancestors 'self'` so JupyterLab's formgrader iframe displays (JupyterHub 4.1+ defaults to 'none').
formgrader = {
    "name": COURSE_ID,
    "url": f"http://127.0.0.1:{s.formgrader_port}",
    "command": [*SINGLEUSER, f"--ServerApp.root_dir={s.course_dir}",
                *(["--ServerApp.allow_root=True"] if ROOT_DEMO else [])],
    "cwd": str(s.course_dir),
    "environment": {
        "JUPYTER_CONFIG_PATH": str(course.course_config_dir(s)),
        "JUPYTERHUB_DEFAULT_URL": "/lab",
        "PATH": f"{Path(SERVER_PYTHON).parent}:/usr/local/bin:/usr/bin:/bin",
        "PYTHONPATH": SERVER_PYTHONPATH,
    },
    # Instructors already chose to open it; the hub's "authorize this service?" page would only slow them down.
    "oauth_no_confirm": True,
    # Listed on the hub's home page (for those allowed to see it).
    "display": True,
}
if s.mode == "server":
    # The grader account owns the course directory; formgrader runs as it.
    formgrader["user"] = s.grader_user
c.JupyterHub.services = [formgrader]

# --- The idle culler ----------------------------------------------------------------------------------------------
# A server nobody has used for idle_timeout seconds is stopped (its files stay; its kernels' memory is freed), as
# The Littlest JupyterHub does. Users are never culled, so its role holds exactly the four scopes
# jupyterhub-idle-culler's README lists for culling servers.
if s.idle_timeout:
    c.JupyterHub.services.append({
        "name": "idle-culler",
        "command": [sys.executable, "-m", "jupyterhub_idle_culler", f"--timeout={s.idle_timeout}",
                    f"--cull-every={s.idle_cull_every}"],
        # Names the data directory in its environment, as every other process of this hub does, so that
        # hub/harness.py (tests, benchmarks) can find it should the hub die without stopping it.
        "environment": {"L2W_HUB_DATA": str(s.data_dir)},
    })
    c.JupyterHub.load_roles.append({
        "name": "idle-culler",
        "services": ["idle-culler"],
        "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
    })

# --- Single-user servers ----------------------------------------------------------------------------------------
c.Spawner.default_url = "/lab"
if ROOT_DEMO:
    c.Spawner.args = ["--ServerApp.allow_root=True"]
c.Spawner.cmd = SINGLEUSER
# Generous for 30 students spawning at once on a small machine; a single spawn takes about a second or two.
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120


def is_instructor(user) -> bool:
    """Instructors are the formgrade group, whoever filled it: the roster (password login) or the LMS roles (LTI)."""
    return any(group.name == FORMGRADE_GROUP for group in user.groups)


def user_environment(spawner):
    """Each server reads the course config for its kind of user (students never load formgrader), plus its own
    nbgrader student id."""
    name = spawner.user.name
    kind = course.instructor_config_dir(s) if is_instructor(spawner.user) else course.student_config_dir(s)
    paths = [course.write_user_config(s, name), kind]
    spawner.environment["JUPYTER_CONFIG_PATH"] = ":".join(str(p) for p in paths)
    spawner.environment["PATH"] = f"{Path(SERVER_PYTHON).parent}:/usr/local/bin:/usr/bin:/bin"
    spawner.environment["PYTHONPATH"] = USER_PYTHONPATH


# --- The hub: state in the git-ignored data directory, loopback only by default --------------------------------
course.prepare(s)
c.JupyterHub.ip = s.ip
c.JupyterHub.port = s.port
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = s.hub_port
c.JupyterHub.db_url = f"sqlite:///{s.data_dir / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(s.data_dir / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(s.data_dir / "jupyterhub.pid")
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{s.proxy_api_port}"
c.ConfigurableHTTPProxy.pid_file = str(s.data_dir / "jupyterhub-proxy.pid")
proxy = HERE / "node_modules" / ".bin" / "configurable-http-proxy"
if proxy.exists():
    c.ConfigurableHTTPProxy.command = [str(proxy)]
c.Spawner.pre_spawn_hook = user_environment


if s.mode == "demo":
    c.JupyterHub.spawner_class = "hub.spawners.QuickSimpleLocalProcessSpawner"
    c.SimpleLocalProcessSpawner.home_dir_template = str(s.demo_homes / "{username}")
elif s.mode == "server":
    c.JupyterHub.spawner_class = "hub.spawners.QuickLocalProcessSpawner"
    c.LocalProcessSpawner.notebook_dir = "~"

# --- Login --------------------------------------------------------------------------------------------------------
if s.login == "lti13":
    # Launches from the LMS; server mode's system accounts are created at each user's first launch.
    from hub.lti import CourseLTI13Authenticator

    c.JupyterHub.authenticator_class = CourseLTI13Authenticator
    c.CourseLTI13Authenticator.hub_settings = s
    c.CourseLTI13Authenticator.issuer = s.lti.issuer
    c.CourseLTI13Authenticator.client_id = {s.lti.client_id}
    c.CourseLTI13Authenticator.authorize_url = s.lti.authorize_url
    c.CourseLTI13Authenticator.jwks_endpoint = s.lti.jwks_url
    c.CourseLTI13Authenticator.tool_name = "Line to Word"
    c.CourseLTI13Authenticator.tool_description = ("An autograded numpy course: how a language model turns a prompt "
                                                   "into a next word")
elif s.mode == "demo":
    c.JupyterHub.authenticator_class = "shared-password"
    c.SharedPasswordAuthenticator.user_password = s.shared_password()
elif s.mode == "server":
    from hub.auth import RosterAuthenticator, issue_passwords

    for name in (*s.students, *s.instructors):
        course.ensure_system_user(name, s.system_home_base / name)
    issue_passwords([*s.students, *s.instructors], s.data_dir / "passwords.json", s.data_dir / "credentials.csv")
    c.JupyterHub.authenticator_class = RosterAuthenticator
    c.RosterAuthenticator.hashes_file = str(s.data_dir / "passwords.json")
