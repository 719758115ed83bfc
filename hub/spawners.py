"""Local spawners that report a server as started the moment it answers HTTP.

JupyterHub waits for a new server with exponential backoff (0.2 s, 0.4 s, ... up to 5 s between checks), so a
server that is up after 2.2 s is often noticed only after 5 s. These spawners poll the server's own port every
50 ms inside `start()`; the hub's first check then succeeds at once.
"""

from __future__ import annotations

import asyncio
import time

from jupyterhub.spawner import LocalProcessSpawner, SimpleLocalProcessSpawner
from tornado.httpclient import AsyncHTTPClient, HTTPClientError

# Between checks of a starting server: short enough to add nothing noticeable to a spawn, long enough to cost
# nothing on the hub's event loop (a refused connection is a few microseconds).
POLL_SECONDS = 0.05


async def wait_until_answering(spawner, ip: str, port: int) -> None:
    """Return when http://ip:port<base_url>api answers (any HTTP status), the process died, or http_timeout passed."""
    url = f"http://{ip or '127.0.0.1'}:{port}{spawner.server.base_url}api"
    client = AsyncHTTPClient()
    deadline = time.monotonic() + spawner.http_timeout
    while time.monotonic() < deadline:
        if await spawner.poll() is not None:
            return  # exited: the hub's own checks report the failure
        try:
            await client.fetch(url, request_timeout=2, follow_redirects=False)
            return
        except HTTPClientError:
            return  # an HTTP answer, even an error status, means the server is listening
        except OSError:
            await asyncio.sleep(POLL_SECONDS)


class QuickLocalProcessSpawner(LocalProcessSpawner):
    """LocalProcessSpawner (one system user per hub user) that returns as soon as the server answers."""

    async def start(self):
        ip, port = await super().start()
        await wait_until_answering(self, ip, port)
        return ip, port


class QuickSimpleLocalProcessSpawner(SimpleLocalProcessSpawner):
    """SimpleLocalProcessSpawner (every server as the hub's user, a home each) that returns once the server answers."""

    async def start(self):
        ip, port = await super().start()
        await wait_until_answering(self, ip, port)
        return ip, port
