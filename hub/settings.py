"""Hub settings: one typed object, read from environment variables, so one config file serves all three modes."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
COURSE_ID = "line-to-word"
MODES = ("demo", "server", "kubernetes")
# How people log in, orthogonal to the mode: "password" is each mode's own (demo's shared password, server mode's
# per-account ones); "lti13" is a launch from an LMS (hub/lti.py).
LOGINS = ("password", "lti13")
# The idle culler's defaults, The Littlest JupyterHub's: a server unused for 10 minutes is stopped, checked every
# minute. An open JupyterLab tab keeps its server in use; a closed laptop frees its memory for the rest of the class.
IDLE_TIMEOUT = 600
IDLE_CULL_EVERY = 60

# The demo roster: what `make hub` starts with when no roster is given.
DEMO_STUDENTS = ("student1", "student2", "student3")
DEMO_INSTRUCTORS = ("instructor",)


def _names(value: str | None, default: tuple[str, ...]) -> tuple[str, ...]:
    """A comma- or whitespace-separated list of user names from the environment."""
    if not value:
        return default
    return tuple(n for n in value.replace(",", " ").split() if n)


def default_mode() -> str:
    return "server" if os.geteuid() == 0 else "demo"


def _seconds(env, name: str, default: int) -> int:
    """A whole number of seconds (0 or more) from the environment, or a ValueError naming the variable."""
    value = env.get(name, "")
    if not value:
        return default
    if not value.isdigit():
        raise ValueError(f"{name} must be a whole number of seconds (0 or more), got {value!r}")
    return int(value)


@dataclass(frozen=True)
class LTISettings:
    """The LMS this hub is registered with as an LTI 1.3 tool: the platform's side, and the tool's own key."""

    # The platform's issuer ("iss" of its id_tokens): https://canvas.instructure.com, a Moodle site's URL, ...
    issuer: str
    # The client id the platform gave the tool when it was registered ("aud" of its id_tokens).
    client_id: str
    # The platform's OIDC authentication endpoint, where the tool's login sends the browser.
    authorize_url: str
    # The platform's public keys (JWKS), which check the signature of every launch.
    jwks_url: str
    # The platform's OAuth 2 token endpoint: grades go back with a token from there (`python -m autograder sync-lms`).
    token_url: str
    # The LMS course this hub serves (the context claim's id); a launch from any other course is refused.
    context_id: str
    # The tool's RSA private key (PEM), generated 0600 at first start; its public half is served as a JWKS.
    key_file: Path
    # Optional: the deployment id the platform gave; when set, launches of another deployment are refused.
    deployment_id: str = ""


# Each required LTI setting: its field and the variable it comes from.
LTI_REQUIRED = {"issuer": "L2W_LTI_ISSUER", "client_id": "L2W_LTI_CLIENT_ID", "authorize_url": "L2W_LTI_AUTHORIZE_URL",
                "jwks_url": "L2W_LTI_JWKS_URL", "token_url": "L2W_LTI_TOKEN_URL", "context_id": "L2W_LTI_CONTEXT_ID"}


def lti_from_env(env, data_dir: Path) -> LTISettings:
    """The LTI settings, or a ValueError naming every required variable that is missing."""
    missing = [name for name in LTI_REQUIRED.values() if not env.get(name)]
    if missing:
        raise ValueError(f"L2W_HUB_LOGIN=lti13 needs {', '.join(missing)} (docs/hub.md, \"Launching from an LMS\")")
    return LTISettings(**{field: env[name] for field, name in LTI_REQUIRED.items()},
                       key_file=Path(env.get("L2W_LTI_KEY_FILE") or data_dir / "lti" / "tool_key.pem"),
                       deployment_id=env.get("L2W_LTI_DEPLOYMENT_ID", ""))


@dataclass(frozen=True)
class HubSettings:
    # demo: no root, everyone spawns as the hub's user; server: one system user per student; kubernetes: z2jh.
    mode: str = "demo"
    # Where the hub keeps its runtime state (database, cookie secret, course, exchange, homes); git-ignored.
    data_dir: Path = REPO / "hub-data"
    # Loopback by default: a laptop demo must not be reachable from the network.
    ip: str = "127.0.0.1"
    # The public port students open in their browser.
    port: int = 8000
    # The hub's own API port (the proxy and the single-user servers talk to it); 0 lets the launcher pick.
    hub_port: int = 8081
    # The proxy's REST API port.
    proxy_api_port: int = 8001
    # The formgrader service's port on loopback.
    formgrader_port: int = 9999
    # Students on the roster; each is in the nbgrader-line-to-word group.
    students: tuple[str, ...] = DEMO_STUDENTS
    # Instructors; each is in the formgrade-line-to-word group and reaches formgrader.
    instructors: tuple[str, ...] = DEMO_INSTRUCTORS
    # The shared password (demo mode); empty means "generate one at first start and keep it in data_dir".
    password: str = ""
    # The gradebook; empty means SQLite in the course directory. Any SQLAlchemy URL works (postgresql://...).
    gradebook_url: str = ""
    # Where the course's nbgrader source notebooks come from.
    source_dir: Path = REPO / "source"
    # Home directories in demo mode (one per user, all owned by the hub's user).
    homes_dir: Path | None = None
    # Server mode: the system account that owns the course directory and runs formgrader.
    grader_user: str = f"grader-{COURSE_ID}"
    # Server mode: where system users' homes are created.
    system_home_base: Path = Path("/home")
    # The Python that single-user servers and the formgrader service run with; empty means the hub's own. In server
    # mode every student's account must be able to execute it (a venv under a private home will not do).
    server_python: str = ""
    # How people log in (LOGINS): each mode's passwords, or LTI 1.3 launches from an LMS.
    login: str = "password"
    # login == "lti13": the LMS the hub is registered with.
    lti: LTISettings | None = None
    # Seconds a server may sit unused before the idle culler stops it; 0 turns the culler off.
    idle_timeout: int = IDLE_TIMEOUT
    # Seconds between the culler's checks.
    idle_cull_every: int = IDLE_CULL_EVERY

    @classmethod
    def from_env(cls, env: os._Environ | dict | None = None) -> HubSettings:
        env = os.environ if env is None else env
        # Unset, the mode follows who starts the hub: root gets server mode (one unprivileged system user per
        # account), since demo mode would run every student's server as root; anyone else gets demo mode.
        mode = env.get("L2W_HUB_MODE") or default_mode()
        if mode not in MODES:
            raise ValueError(f"L2W_HUB_MODE must be one of {', '.join(MODES)}, got {mode!r}")
        data_dir = Path(env.get("L2W_HUB_DATA", REPO / "hub-data")).resolve()
        login = env.get("L2W_HUB_LOGIN") or "password"
        if login not in LOGINS:
            raise ValueError(f"L2W_HUB_LOGIN must be one of {', '.join(LOGINS)}, got {login!r}")
        return cls(
            mode=mode,
            data_dir=data_dir,
            ip=env.get("L2W_HUB_IP", "127.0.0.1"),
            port=int(env.get("L2W_HUB_PORT", "8000")),
            hub_port=int(env.get("L2W_HUB_API_PORT", "8081")),
            proxy_api_port=int(env.get("L2W_PROXY_API_PORT", "8001")),
            formgrader_port=int(env.get("L2W_FORMGRADER_PORT", "9999")),
            students=_names(env.get("L2W_STUDENTS"), DEMO_STUDENTS),
            instructors=_names(env.get("L2W_INSTRUCTORS"), DEMO_INSTRUCTORS),
            password=env.get("L2W_HUB_PASSWORD", ""),
            gradebook_url=env.get("L2W_GRADEBOOK_URL", ""),
            source_dir=Path(env.get("L2W_SOURCE_DIR", REPO / "source")).resolve(),
            system_home_base=Path(env.get("L2W_SYSTEM_HOME_BASE", "/home")),
            grader_user=env.get("L2W_GRADER_USER", f"grader-{COURSE_ID}"),
            server_python=env.get("L2W_SERVER_PYTHON", ""),
            login=login,
            lti=lti_from_env(env, data_dir) if login == "lti13" else None,
            idle_timeout=_seconds(env, "L2W_IDLE_TIMEOUT", IDLE_TIMEOUT),
            idle_cull_every=_seconds(env, "L2W_IDLE_CULL_EVERY", IDLE_CULL_EVERY),
        )

    @property
    def course_dir(self) -> Path:
        return self.data_dir / "course"

    @property
    def exchange_dir(self) -> Path:
        return self.data_dir / "exchange"

    @property
    def config_dir(self) -> Path:
        """Jupyter config directories the hub generates: one for students, one for instructors, one for the course."""
        return self.data_dir / "config"

    @property
    def demo_homes(self) -> Path:
        return self.homes_dir or self.data_dir / "homes"

    @property
    def db_url(self) -> str:
        url = self.gradebook_url or f"sqlite:///{self.course_dir / 'gradebook.db'}"
        # A bare postgresql:// names SQLAlchemy's default driver (psycopg 3 in SQLAlchemy 2.1); the project
        # ships psycopg2-binary, so name that driver unless the URL chose one.
        if url.startswith("postgresql://") or url.startswith("postgres://"):
            url = "postgresql+psycopg2://" + url.split("://", 1)[1]
        return url

    @property
    def url(self) -> str:
        return f"http://{self.ip}:{self.port}/"

    def shared_password(self) -> str:
        """The demo password: from the environment, else generated once and kept (0600) in the data directory."""
        if self.password:
            return self.password
        path = self.data_dir / "password"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                # 12 url-safe characters: JupyterHub requires at least 8 for a shared password.
                f.write(secrets.token_urlsafe(9))
        return path.read_text().strip()
