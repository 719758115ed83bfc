"""`python -m autograder release`: regenerate release/<assignment> from source/<assignment> with nbgrader."""

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]  # the course directory (nbgrader_config.py lives here)


def source_assignments(root: Path = ROOT) -> list[str]:
    """Every source/<assignment> holding <assignment>.ipynb, in order."""
    return sorted(p.name for p in (root / "source").iterdir() if (p / f"{p.name}.ipynb").is_file())


def nbgrader_env() -> dict[str, str]:
    # nbgrader runs the `alembic` script of its own environment when it creates the gradebook
    bin_dir = str(Path(sys.executable).parent)
    return {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}


def source_digest(name: str, root: Path = ROOT, *, source_dir: Path | None = None, configs=()) -> str:
    """A digest of everything a release of `name` is made from: its source folder, the course config, nbgrader.

    `source_dir` defaults to root/source; `configs` are further config files the release depends on.
    """
    from importlib.metadata import version

    folder = Path(source_dir or root / "source") / name
    digest = hashlib.sha256(f"nbgrader {version('nbgrader')}\n".encode())
    for path in [root / "nbgrader_config.py", *map(Path, configs), *sorted(folder.rglob("*"))]:
        if path.is_file() and ".ipynb_checkpoints" not in path.parts:
            digest.update(f"{path.name}\n".encode() + path.read_bytes())
    return digest.hexdigest()


def _stamp(release_dir: Path, name: str) -> Path:
    # beside the assignment folders, not inside one: nothing of it is handed to students
    return release_dir / f".{name}.source-digest"


def _released_from(release_dir: Path, name: str, digest: str) -> bool:
    stamp = _stamp(release_dir, name)
    return ((release_dir / name / f"{name}.ipynb").is_file() and stamp.is_file()
            and stamp.read_text().strip() == digest)


def is_current(name: str, *, root: Path = ROOT, release_dir: Path | None = None) -> bool:
    """True when release_dir/name was generated from the source as it is now."""
    release_dir = Path(release_dir) if release_dir else root / "release"
    return _released_from(release_dir, name, source_digest(name, root))


def release(assignments=None, *, root: Path = ROOT, release_dir: Path | None = None, force: bool = True) -> list[Path]:
    """Run nbgrader generate_assignment for each assignment into `release_dir` (default root/release).

    Returns the folders generated; with ``force=False`` an assignment whose source has not changed since its last
    release (`is_current`) is skipped. The gradebook nbgrader writes sits at root/gradebook.db (git-ignored).
    """
    release_dir = Path(release_dir) if release_dir else root / "release"
    made = []
    for name in assignments or source_assignments(root):
        digest = source_digest(name, root)
        if not force and _released_from(release_dir, name, digest):
            continue
        shutil.rmtree(release_dir / name, ignore_errors=True)  # no stale files from an older release
        subprocess.run(
            [sys.executable, "-m", "nbgrader", "generate_assignment", name, "--force", "--create", "--quiet",
             f"--CourseDirectory.root={root}", f"--CourseDirectory.release_directory={release_dir}",
            ],
            cwd=root, check=True, env=nbgrader_env())
        _stamp(release_dir, name).write_text(digest + "\n")
        made.append(release_dir / name)
    return made
