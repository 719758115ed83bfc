"""Time to answer and time to stop for `python -m hub` (what `make hub` runs after installing), demo mode, loopback.

    python bench/hub_start.py [--keep DIR]

Prints: the first start into an empty data directory (every assignment generated and released), a restart with
nothing changed (the release step skips what is unchanged), and the time from SIGTERM to the hub having exited,
for each start. Targets (issue 12): a restart answers within 20 s, a stop takes at most 5 s. Figures, not a test.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


def start_and_stop(data_dir: Path, log) -> tuple[float, float]:
    """(seconds until the hub answers, seconds from SIGTERM until the hub and its services have exited)."""
    port = _free_port()
    env = {**os.environ, "L2W_HUB_MODE": "demo", "L2W_HUB_DATA": str(data_dir), "L2W_HUB_PORT": str(port),
           "L2W_HUB_API_PORT": str(_free_port()), "L2W_PROXY_API_PORT": str(_free_port()),
           "L2W_FORMGRADER_PORT": str(_free_port())}
    began = time.perf_counter()
    hub = subprocess.Popen([sys.executable, "-m", "hub"], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                           start_new_session=True)
    url = f"http://127.0.0.1:{port}/hub/api/"
    while not _answers(url):
        if hub.poll() is not None:
            raise SystemExit(f"the hub exited with {hub.returncode}; see {log.name}")
        time.sleep(0.2)
    answered = time.perf_counter() - began
    time.sleep(2)  # let the services finish starting, as a user's first clicks would
    stopping = time.perf_counter()
    hub.send_signal(signal.SIGTERM)
    hub.wait(timeout=120)
    while True:  # the proxy and the formgrader service are the hub's children: wait for the whole session
        try:
            os.killpg(hub.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    return answered, time.perf_counter() - stopping


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="data directory to use and keep (default: a temporary one)")
    args = parser.parse_args()
    data_dir = args.keep or Path(tempfile.mkdtemp(prefix="l2w-hub-start-"))
    with open(data_dir.parent / f"{data_dir.name}.log", "w") as log:
        first = start_and_stop(data_dir, log)
        again = start_and_stop(data_dir, log)
    print(f"first start: answers in {first[0]:6.1f} s, stops in {first[1]:5.1f} s")
    print(f"restart, nothing changed: answers in {again[0]:6.1f} s, stops in {again[1]:5.1f} s"
          f"   (targets: <= 20 s, <= 5 s)")


if __name__ == "__main__":
    main()
