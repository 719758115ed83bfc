"""Load on the real course hub (JupyterHub + configurable-http-proxy + servers, loopback): N students at once log
in, spawn, run a cell through their kernel's websocket and submit an assignment.

    python bench/hub_load.py [--students 30] [--cells 5]

Prints: one student's spawn time alone (median of 3), spawn time p50/p95 with N at once and the time until all N
were up, cell round-trip p50/p95 (execute_request -> execute_reply over the kernel websocket, through the proxy),
and memory per student (RSS of the server and its kernel). Targets: single spawn <= 3 s median, 30 students all
spawned within 90 s, cell round-trip p95 <= 1 s.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import websocket

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "hub"))

import tiny_course  # noqa: E402
from hub import course  # noqa: E402
from hub.harness import Browserless, Hub  # noqa: E402
from hub.settings import COURSE_ID  # noqa: E402


@dataclass
class StudentRun:
    name: str
    spawn_s: float = 0.0
    cell_s: list[float] = field(default_factory=list)
    submitted: bool = False
    error: str = ""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run_cells(user: Browserless, n: int) -> list[float]:
    """Start a kernel, then send `n` execute_requests over its websocket and time each reply."""
    kernel = user.server("POST", "api/kernels", json={"name": "python3"}).json()
    url = f"ws://127.0.0.1:{user.hub.port}/user/{user.name}/api/kernels/{kernel['id']}/channels"
    ws = websocket.create_connection(url, header=[f"Authorization: token {user.token}"], timeout=60)
    session, times = uuid.uuid4().hex, []
    try:
        for i in range(n):
            msg_id = uuid.uuid4().hex
            ws.send(json.dumps({
                "header": {"msg_id": msg_id, "username": user.name, "session": session, "date": "",
                           "msg_type": "execute_request", "version": "5.3"},
                "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
                "content": {"code": f"sum(k * k for k in range({1000 + i}))", "silent": False,
                            "store_history": True, "user_expressions": {}, "allow_stdin": False,
                            "stop_on_error": True},
            }))
            t0 = time.monotonic()
            while True:
                reply = json.loads(ws.recv())
                if reply.get("msg_type") == "execute_reply" and reply["parent_header"].get("msg_id") == msg_id:
                    assert reply["content"]["status"] == "ok", reply["content"]
                    times.append(time.monotonic() - t0)
                    break
    finally:
        ws.close()
    return times


def student(hub: Hub, run: StudentRun, cells: int, start: threading.Event) -> None:
    try:
        user = Browserless(hub, run.name)
        start.wait()
        assert user.login().status_code == 302, "login refused"
        user.get_token()
        run.spawn_s = user.spawn(timeout=300)
        run.cell_s = run_cells(user, cells)
        form = {"course_id": COURSE_ID, "assignment_id": tiny_course.ASSIGNMENT}
        for action in ("fetch", "submit"):
            r = user.server("POST", f"assignments/{action}", data=form)
            assert r.status_code == 200 and r.json()["success"], f"{action}: {r.text[:200]}"
        run.submitted = True
    except Exception as err:  # a failed student is reported, not allowed to hide the others' figures
        run.error = f"{type(err).__name__}: {err}"


def server_rss_mb(data_dir: Path) -> list[float]:
    """RSS of each single-user server plus its kernels, found by the per-user config path in their environment."""
    per_user: dict[str, float] = {}
    marker = str(data_dir / "config" / "users").encode()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            env = (proc / "environ").read_bytes()
            status = (proc / "status").read_text()
        except OSError:
            continue
        if marker not in env:
            continue
        user = next(v.split(b"=", 1)[1] for v in env.split(b"\0") if v.startswith(b"JUPYTERHUB_USER="))
        rss_kb = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:")))
        per_user[user.decode()] = per_user.get(user.decode(), 0.0) + rss_kb / 1024
    return list(per_user.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--cells", type=int, default=5, help="cells each student runs")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="l2w-hub-load-"))
    names = [f"bench{i:03d}" for i in range(args.students)]
    solo = [f"solo{i}" for i in range(3)]
    tiny_course.write_source(tmp / "source")
    hub = Hub(data_dir=tmp / "data", env={"L2W_STUDENTS": ",".join(names + solo),
                                          "L2W_SOURCE_DIR": str(tmp / "source")})
    t_hub = time.monotonic()
    hub.start(timeout=120)
    try:
        print(f"hub up in {time.monotonic() - t_hub:.1f} s ({hub.url}); {args.students} students, {args.cells} cells")
        course.release(hub.settings(), [tiny_course.ASSIGNMENT])

        alone = []
        for name in solo:
            user = Browserless(hub, name)
            user.login()
            user.get_token()
            alone.append(user.spawn())
        print(f"one student's spawn, alone: median {statistics.median(alone):.2f} s "
              f"({', '.join(f'{t:.2f}' for t in alone)})  target <= 3 s")

        runs = [StudentRun(n) for n in names]
        start = threading.Event()
        threads = [threading.Thread(target=student, args=(hub, r, args.cells, start)) for r in runs]
        for t in threads:
            t.start()
        t0 = time.monotonic()
        start.set()
        for t in threads:
            t.join()
        wall = time.monotonic() - t0
        ok = [r for r in runs if not r.error]
        for r in runs:
            if r.error:
                print(f"  {r.name} failed: {r.error}")
        spawns = [r.spawn_s for r in ok]
        cells = [c for r in ok for c in r.cell_s]
        rss = server_rss_mb(hub.data_dir)
        print(f"students done: {len(ok)}/{len(runs)}, submitted: {sum(r.submitted for r in runs)}, "
              f"whole run {wall:.1f} s")
        if spawns:
            print(f"spawn with {len(runs)} at once: p50 {percentile(spawns, .5):.2f} s, "
                  f"p95 {percentile(spawns, .95):.2f} s, all up within {max(spawns):.1f} s  target <= 90 s")
        if cells:
            print(f"cell round-trip: p50 {percentile(cells, .5) * 1000:.0f} ms, "
                  f"p95 {percentile(cells, .95) * 1000:.0f} ms  target p95 <= 1000 ms")
        if rss:
            print(f"memory per student (server + kernel RSS): median {statistics.median(rss):.0f} MB, "
                  f"max {max(rss):.0f} MB over {len(rss)} servers")
    finally:
        hub.stop()


if __name__ == "__main__":
    main()
