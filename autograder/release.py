"""`python -m autograder release`: regenerate release/<assignment> from source/<assignment> with nbgrader."""

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


def release(assignments=None, *, root: Path = ROOT, release_dir: Path | None = None) -> list[Path]:
    """Run nbgrader generate_assignment for each assignment into `release_dir` (default root/release).

    Returns the released folders. The gradebook nbgrader writes sits at root/gradebook.db (git-ignored).
    """
    release_dir = Path(release_dir) if release_dir else root / "release"
    made = []
    for name in assignments or source_assignments(root):
        shutil.rmtree(release_dir / name, ignore_errors=True)  # no stale files from an older release
        subprocess.run(
            [sys.executable, "-m", "nbgrader", "generate_assignment", name, "--force", "--create", "--quiet",
             f"--CourseDirectory.root={root}", f"--CourseDirectory.release_directory={release_dir}",
            ],
            cwd=root, check=True, env=nbgrader_env())
        made.append(release_dir / name)
    return made
