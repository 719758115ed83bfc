"""The idle culler, a real jupyterhub-idle-culler service of a real hub: with a 20-second timeout, a student server
nobody uses is stopped once it has been idle that long, while one that keeps reporting activity (as
jupyterhub-singleuser does for a student at work) keeps running."""

from __future__ import annotations

import time
from datetime import datetime, timezone

import yaml
from traitlets.config.loader import PyFileConfigLoader

from hub.settings import IDLE_CULL_EVERY, IDLE_TIMEOUT, REPO
from test_demo_hub import login

TIMEOUT = 20
CULL_EVERY = 2


def report_activity(user) -> None:
    """What a server reports while its user works: now, for the user and their default server."""
    now = datetime.now(timezone.utc).isoformat()
    r = user.hub_api("POST", f"/users/{user.name}/activity",
                     json={"last_activity": now, "servers": {"": {"last_activity": now}}})
    assert r.status_code == 200, r.text[:300]


def server_running(user) -> bool:
    return "" in (user.hub_api("GET", f"/users/{user.name}").json().get("servers") or {})


def test_the_culler_stops_an_idle_server_and_leaves_an_active_one(make_hub):
    hub = make_hub({"L2W_IDLE_TIMEOUT": str(TIMEOUT), "L2W_IDLE_CULL_EVERY": str(CULL_EVERY)})
    busy, idle = login(hub, "student2"), login(hub, "student1")
    # The busy server starts first: left alone, it would be idle for longer than the other and culled no later.
    busy.spawn()
    idle.spawn()
    spawned = time.monotonic()

    deadline = spawned + TIMEOUT + 10 * CULL_EVERY + 30
    while server_running(idle) and time.monotonic() < deadline:
        report_activity(busy)
        time.sleep(1)
    stopped_after = time.monotonic() - spawned
    # A few more of the culler's rounds, in case it had chosen both and stops the busy one a moment later.
    for _ in range(3 * CULL_EVERY):
        report_activity(busy)
        time.sleep(1)

    assert not server_running(idle), f"the idle server still runs after {stopped_after:.0f} s:\n{hub.log()[-3000:]}"
    assert stopped_after >= TIMEOUT - 1, f"stopped after {stopped_after:.0f} s, before the {TIMEOUT} s timeout"
    assert "Culling server student1" in hub.log()
    assert server_running(busy), "the active server was culled"
    assert busy.server("GET", "api/status").status_code == 200


def test_kubernetes_culls_as_the_one_machine_hub_does():
    """The Zero to JupyterHub chart runs its own jupyterhub-idle-culler; its values keep the same defaults."""
    cull = yaml.safe_load((REPO / "deploy" / "z2jh" / "values.yaml").read_text())["cull"]
    assert (cull["enabled"], cull["users"], cull["timeout"], cull["every"]) == (True, False, IDLE_TIMEOUT,
                                                                                IDLE_CULL_EVERY)


def hub_config(monkeypatch, tmp_path, **env):
    """jupyterhub_config.py as JupyterHub loads it, for a demo hub in tmp_path with `env` set."""
    for name, value in {"L2W_HUB_MODE": "demo", "L2W_HUB_DATA": str(tmp_path), **env}.items():
        monkeypatch.setenv(name, value)
    return PyFileConfigLoader("jupyterhub_config.py", path=str(REPO)).load_config()


def test_the_culler_holds_only_the_scopes_to_stop_servers(monkeypatch, tmp_path):
    config = hub_config(monkeypatch, tmp_path).JupyterHub
    culler = {s["name"]: s for s in config.services}["idle-culler"]
    assert f"--timeout={IDLE_TIMEOUT}" in culler["command"] and f"--cull-every={IDLE_CULL_EVERY}" in culler["command"]
    role = {r["name"]: r for r in config.load_roles}["idle-culler"]
    assert role["services"] == ["idle-culler"]
    assert sorted(role["scopes"]) == ["delete:servers", "list:users", "read:servers", "read:users:activity"]


def test_a_zero_timeout_turns_the_culler_off(monkeypatch, tmp_path):
    config = hub_config(monkeypatch, tmp_path, L2W_IDLE_TIMEOUT="0").JupyterHub
    assert "idle-culler" not in {s["name"] for s in config.services}
    assert "idle-culler" not in {r["name"] for r in config.load_roles}
