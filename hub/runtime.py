"""A Python every account can run, with this venv's packages: for server mode when the venv's own interpreter
lives in a private home (a pyenv Python under /root, which is 0700).

`public_python(dest)` copies this very interpreter (same build, so every compiled package of the venv loads) —
its executable, its shared library and its standard library, without site-packages and the test suite (about
100 MB) — into `dest/runtime`, points the executable's library search path at the copy, and makes `dest/venv`
on top of it, whose site-packages adds the project venv's. Done once; later starts reuse it while the
interpreter is the same.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

SKIPPED = ("site-packages", "test", "idlelib", "tkinter", "turtledemo", "ensurepip")
# Jupyter finds enabled server extensions (etc/jupyter) and JupyterLab extensions (share/jupyter) under sys.prefix.
JUPYTER_DATA = ("etc/jupyter", "share/jupyter")


def reachable_by_everyone(path: Path) -> bool:
    """Every directory from / down to `path` lets other users through (o+x)."""
    return all(os.stat(p).st_mode & 0o001 for p in (path, *path.parents))


def python_usable_by_everyone() -> bool:
    """This interpreter runs for any account: the real executable (a venv's python is often a symlink into a
    private home, e.g. pyenv under /root), its standard library and the venv's packages are all reachable."""
    real = Path(os.path.realpath(sys.executable))
    return all(reachable_by_everyone(p) for p in (real, Path(sys.base_prefix), Path(sys.prefix)))


def server_python(s) -> str:
    """The interpreter every account's server, the formgrader service and the grader account's nbgrader run:
    `L2W_SERVER_PYTHON` if set; in server mode, when this one is private to root, a public copy (`public_python`)."""
    if s.server_python:
        return s.server_python
    if s.mode == "server" and not python_usable_by_everyone():
        return str(public_python(s.data_dir / "python"))
    return sys.executable


def _version() -> str:
    return f"python{sys.version_info.major}.{sys.version_info.minor}"


def _relocate(executable: Path, old_libdir: str) -> None:
    """Replace the absolute RUNPATH (the private lib folder) by $ORIGIN/../lib, in place: the new string is shorter,
    so the dynamic section keeps its layout (the rest of the old string becomes NUL padding)."""
    data = executable.read_bytes()
    old, new = old_libdir.encode() + b"\0", b"$ORIGIN/../lib\0"
    if data.count(old) != 1 or len(new) > len(old):
        raise RuntimeError(f"cannot relocate {executable}: its library path {old_libdir!r} is not found once")
    executable.write_bytes(data.replace(old, new + b"\0" * (len(old) - len(new))))


def _copy_runtime(dest: Path) -> None:
    base, version = Path(sys.base_prefix), _version()
    real = Path(os.path.realpath(sys.executable))
    (dest / "bin").mkdir(parents=True)
    (dest / "lib").mkdir()
    shutil.copy2(real, dest / "bin" / version)
    for lib in (base / "lib").glob("libpython*"):
        shutil.copy2(lib, dest / "lib" / lib.name, follow_symlinks=False)
    shutil.copytree(base / "lib" / version, dest / "lib" / version, symlinks=True,
                    ignore=lambda folder, names: [n for n in names if n in SKIPPED and Path(folder) == base / "lib" / version])
    (dest / "lib" / version / "site-packages").mkdir()
    libdir = sysconfig.get_config_var("LIBDIR") or str(base / "lib")
    if sysconfig.get_config_var("Py_ENABLE_SHARED"):
        _relocate(dest / "bin" / version, libdir)
    for path in [dest, *dest.rglob("*")]:
        if not path.is_symlink():
            path.chmod(path.stat().st_mode | (0o055 if path.is_dir() else 0o044))


def public_python(dest: Path) -> Path:
    """The interpreter of `dest/venv` (see the module docstring), made if missing or from another interpreter."""
    version = _version()
    marker = f"{os.path.realpath(sys.executable)} {sys.version}\n{sysconfig.get_paths()['purelib']}\n"
    stamp = dest / "made-from.txt"
    python = dest / "venv" / "bin" / "python"
    if stamp.is_file() and stamp.read_text() == marker and python.exists():
        return python
    shutil.rmtree(dest, ignore_errors=True)
    _copy_runtime(dest / "runtime")
    venv = dest / "venv"
    subprocess.run([str(dest / "runtime" / "bin" / version), "-m", "venv", "--without-pip", str(venv)], check=True)
    (venv / "lib" / version / "site-packages" / "l2w_venv.pth").write_text(
        f"import site; site.addsitedir({sysconfig.get_paths()['purelib']!r})\n")
    for sub in JUPYTER_DATA:
        (venv / sub).parent.mkdir(parents=True, exist_ok=True)
        (venv / sub).symlink_to(Path(sys.prefix) / sub)
    # console scripts the servers and nbgrader run by name (nbgrader runs `alembic` from PATH)
    for name in ("alembic", "jupyterhub-singleuser", "jupyter"):
        original = Path(sys.prefix) / "bin" / name
        if original.is_file():
            script = original.read_text().split("\n", 1)[1]
            (venv / "bin" / name).write_text(f"#!{python}\n{script}")
            (venv / "bin" / name).chmod(0o755)
    dest.chmod(0o755)
    stamp.write_text(marker)
    return python
