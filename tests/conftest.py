"""Fixtures shared by the whole suite."""
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def postgres_url():
    """A real, empty PostgreSQL server for the session: a SQLAlchemy URL to a database named `test`.

    Started from /usr/lib/postgresql/*/bin with initdb and pg_ctl in a temporary directory on a free 127.0.0.1
    port; as root it runs as the `postgres` system user (initdb refuses root). Skips only when PostgreSQL is
    not installed.
    """
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not bins:
        pytest.skip("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb)")
    bindir = Path(bins[-1]).parent
    as_root = os.geteuid() == 0
    if as_root:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no `postgres` system user to run PostgreSQL as")
    prefix = ["runuser", "-u", "postgres", "--"] if as_root else []
    base = Path(tempfile.mkdtemp(prefix="pg-"))
    data = base / "data"
    if as_root:
        os.chown(base, owner.pw_uid, owner.pw_gid)
    port = _free_port()
    user = "grader"
    subprocess.run([*prefix, str(bindir / "initdb"), "-D", str(data), "-U", user, "--auth=trust", "-E", "UTF8"],
                   check=True, capture_output=True)
    subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-l", str(base / "log"), "-w", "-o",
                    f"-p {port} -h 127.0.0.1 -k {base}", "start"], check=True, capture_output=True)
    try:
        subprocess.run([str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", user, "test"],
                       check=True, capture_output=True)
        yield f"postgresql+psycopg2://{user}@127.0.0.1:{port}/test"  # psycopg2-binary is the installed driver
    finally:
        subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def tool_key():
    """The LTI tool's RSA private key (what the course signs client assertions with), made once per session."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def platform(tool_key):
    """A running test LTI 1.3 platform (tests/lti_platform.py) that knows `tool_key` as the tool's key."""
    from lti_platform import Platform

    with Platform() as running:
        running.tool_public_key = tool_key.public_key()
        yield running
