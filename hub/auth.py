"""Server mode's login: one password per rostered account, generated when the account is created.

A shared password would let any student log in as any other, which would make the per-student system accounts
pointless. JupyterHub's PAM login needs an extra package and system passwords; this keeps the hub pip-installable.
The instructor hands out the passwords from the credentials file (root-only, 0600); the hub keeps only hashes.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path

from jupyterhub.auth import Authenticator
from traitlets import Unicode

# PBKDF2-SHA256 iterations: slow enough to make a stolen hash file costly, fast enough for 30 logins at once.
ITERATIONS = 200_000


def _hash(password: str, salt: str) -> str:
    return hashlib.pbkdf2_hmac("sha256", password.encode(), bytes.fromhex(salt), ITERATIONS).hex()


def issue_passwords(users: list[str], hashes_path: Path, credentials_path: Path) -> dict[str, str]:
    """Give every user without one a fresh password; append it to the credentials file; returns the new ones."""
    hashes = json.loads(hashes_path.read_text()) if hashes_path.exists() else {}
    new = {u: secrets.token_urlsafe(9) for u in users if u not in hashes}
    if not new:
        return {}
    for user, password in new.items():
        salt = secrets.token_hex(16)
        hashes[user] = {"salt": salt, "hash": _hash(password, salt)}
    tmp = hashes_path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(hashes, f, indent=1)
    tmp.replace(hashes_path)
    fd = os.open(credentials_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a") as f:
        f.writelines(f"{user},{password}\n" for user, password in new.items())
    return new


class RosterAuthenticator(Authenticator):
    """Checks a user's own password against the hashes written by `issue_passwords`."""

    hashes_file = Unicode(config=True, help="JSON file of {user: {salt, hash}} (written by issue_passwords)")

    async def authenticate(self, handler, data):
        username, password = data.get("username", ""), data.get("password", "")
        path = Path(self.hashes_file)
        entry = json.loads(path.read_text()).get(username) if path.exists() else None
        # The hash takes ~0.1 s: off the event loop, so 30 students logging in at once do not stall the hub.
        if entry and hmac.compare_digest(await asyncio.to_thread(_hash, password, entry["salt"]), entry["hash"]):
            return username
        return None
