"""Start and stop a real hub (JupyterHub + configurable-http-proxy + servers) on free loopback ports, and talk to
it as a browser would. Used by tests/hub and bench/hub_load.py; never by the hub itself."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from .settings import REPO


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _pids_mentioning(marker: str) -> list[int]:
    """Processes whose environment or command line names `marker` (a unique temp dir): the hub's whole tree,
    including single-user servers, which run in their own sessions."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            blob = (entry / "environ").read_bytes() + (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if marker.encode() in blob:
            found.append(int(entry.name))
    return found


@dataclass
class Hub:
    """One running hub. `env` adds L2W_* settings; ports are chosen free at start."""

    data_dir: Path
    env: dict[str, str] = field(default_factory=dict)
    password: str = "correct-horse-battery"
    proc: subprocess.Popen | None = None
    port: int = 0
    log_path: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> Hub:
        self.port = free_port()
        env = {
            **os.environ,
            "L2W_HUB_DATA": str(self.data_dir),
            "L2W_HUB_PASSWORD": self.password,
            "L2W_HUB_PORT": str(self.port),
            "L2W_HUB_API_PORT": str(free_port()),
            "L2W_PROXY_API_PORT": str(free_port()),
            "L2W_FORMGRADER_PORT": str(free_port()),
            # Tests choose their mode; unset, a hub started as root would be in server mode.
            "L2W_HUB_MODE": "demo",
            **self.env,
        }
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = self.data_dir / "hub.log"
        # the hub keeps its own copy of the descriptor; ours is closed at once, not left to the garbage collector
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [str(Path(sys.executable).parent / "jupyterhub"), "-f", str(REPO / "jupyterhub_config.py")],
                cwd=self.data_dir, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyterhub exited with {self.proc.returncode}:\n{self.log()[-4000:]}")
            try:
                if requests.get(f"{self.url}/hub/api/", timeout=2).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.2)
        self.stop()
        raise TimeoutError(f"hub not up in {timeout} s:\n{self.log()[-4000:]}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path and self.log_path.exists() else ""

    def stop(self) -> None:
        """SIGTERM the hub (it stops servers, services and the proxy), then kill whatever is left of the tree."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        for pid in _pids_mentioning(str(self.data_dir)):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def settings(self):
        """The HubSettings this hub runs with (for preparing and releasing the course from a test)."""
        from .settings import HubSettings

        return HubSettings.from_env({"L2W_HUB_DATA": str(self.data_dir), "L2W_HUB_MODE": "demo", **self.env})

    def __enter__(self) -> Hub:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class Browserless:
    """A logged-in user over plain HTTP: the hub's login form, then an API token for the user's server."""

    def __init__(self, hub: Hub, name: str):
        self.hub, self.name = hub, name
        self.session = requests.Session()
        self.token = ""

    def login(self, password: str | None = None) -> requests.Response:
        s = self.session
        s.get(f"{self.hub.url}/hub/login", timeout=10)
        xsrf = s.cookies.get("_xsrf", path="/hub/")
        return s.post(f"{self.hub.url}/hub/login?next=", timeout=30, allow_redirects=False,
                      data={"username": self.name, "password": self.hub.password if password is None else password,
                            "_xsrf": xsrf})

    def hub_api(self, method: str, path: str, **kw) -> requests.Response:
        headers = {"X-XSRFToken": self.session.cookies.get("_xsrf", path="/hub/") or ""}
        if self.token:
            headers = {"Authorization": f"token {self.token}"}
        return self.session.request(method, f"{self.hub.url}/hub/api{path}", headers=headers, timeout=30, **kw)

    def get_token(self) -> str:
        r = self.hub_api("POST", f"/users/{self.name}/tokens", json={"note": "test"})
        r.raise_for_status()
        self.token = r.json()["token"]
        return self.token

    def spawn(self, timeout: float = 120) -> float:
        """Start this user's server through the hub's REST API and wait until it answers; returns seconds taken."""
        t0 = time.monotonic()
        r = self.hub_api("POST", f"/users/{self.name}/server")
        if r.status_code not in (201, 202, 400):
            r.raise_for_status()
        deadline = t0 + timeout
        while time.monotonic() < deadline:
            model = self.hub_api("GET", f"/users/{self.name}").json()
            server = (model.get("servers") or {}).get("", {})
            if server.get("ready"):
                return time.monotonic() - t0
            time.sleep(0.05)
        raise TimeoutError(f"{self.name}'s server not ready in {timeout} s")

    def server(self, method: str, path: str, **kw) -> requests.Response:
        """A request to this user's own server, `path` relative to /user/<name>/, with the user's token."""
        return self.request(method, f"/user/{self.name}/{path.lstrip('/')}", **kw)

    def request(self, method: str, path: str, **kw) -> requests.Response:
        """A request to any path behind the proxy with the user's token (no redirects followed)."""
        return requests.request(method, f"{self.hub.url}{path}", timeout=60, allow_redirects=False,
                                headers={"Authorization": f"token {self.token}"}, **kw)


def strip_ansi(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)
