"""Seconds per notebook: stock `nbgrader autograde` against `python -m autograder grade`, on the same class.

    python bench/grading.py [--n 100] [--workers 2]

Builds an nbgrader course in a temporary directory: one realistic numpy notebook (softmax, a linear layer and a
training step, four autograded test cells), N submissions (right, partly wrong, crashing, and one infinite
loop), `nbgrader generate_assignment`, then grades the same class with both tools and prints the figures.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from autograder.release import nbgrader_env

CELL_TIMEOUT = 5  # seconds; the same limit for both graders, so the infinite loop costs both the same

RIGHT = '''import numpy as np

def softmax(x):
    z = x - x.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)

def linear(X, W, b):
    return X @ W + b

def mse_step(W, b, X, y, lr=0.1):
    err = linear(X, W, b) - y
    dW = 2 * X.T @ err / len(X)
    db = 2 * err.mean(axis=0)
    return W - lr * dW, b - lr * db
'''
WRONG = RIGHT.replace("z = x - x.max(axis=-1, keepdims=True)", "z = x").replace("2 * err.mean", "err.mean")
CRASH = RIGHT.replace("return X @ W + b", "return X @ W.T + b")
LOOP = RIGHT + "\nwhile True:\n    pass\n"

TESTS = {
    "softmax_sums_to_one": "p = softmax(np.array([[1.0, 2.0, 3.0]]))\nassert np.allclose(p.sum(), 1.0)",
    "softmax_is_stable": "p = softmax(np.array([1000.0, 1000.0]))\nassert np.allclose(p, [0.5, 0.5])",
    "linear_shape": "rng = np.random.default_rng(0)\nX, W = rng.normal(size=(5, 3)), rng.normal(size=(3, 2))\n"
                    "assert linear(X, W, np.zeros(2)).shape == (5, 2)",
    "training_lowers_loss": "rng = np.random.default_rng(1)\nX = rng.normal(size=(64, 3))\n"
                            "y = X @ np.array([[1.0], [-2.0], [0.5]]) + 0.3\nW, b = np.zeros((3, 1)), np.zeros(1)\n"
                            "before = ((linear(X, W, b) - y) ** 2).mean()\nfor _ in range(50):\n"
                            "    W, b = mse_step(W, b, X, y)\n"
                            "assert ((linear(X, W, b) - y) ** 2).mean() < 0.01 * before\nassert np.allclose(b, 0.3, atol=0.05)",
}


def meta(grade_id: str, solution: bool) -> dict:
    return {"nbgrader": {"grade": not solution, "solution": solution, "locked": not solution,
                         "grade_id": grade_id, "schema_version": 3, **({} if solution else {"points": 1})}}


def source_notebook():
    solution = RIGHT.replace("import numpy as np\n", "import numpy as np\n### BEGIN SOLUTION\n", 1) + "### END SOLUTION\n"
    cells = [new_markdown_cell("# Softmax, a linear layer, one training step")]
    cells.append(new_code_cell(solution, metadata=meta("answers", True)))
    for grade_id, test in TESTS.items():
        cells.append(new_code_cell(f'"""{grade_id}"""\n{test}', metadata=meta(grade_id, False)))
    return new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                              "language": "python"}})


def build(root: Path, n: int, env: dict) -> None:
    (root / "source" / "bench").mkdir(parents=True)
    nbformat.write(source_notebook(), str(root / "source" / "bench" / "bench.ipynb"))
    subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", "bench", "--force"], cwd=root,
                   env=env, check=True, capture_output=True)
    released = nbformat.read(str(root / "release" / "bench" / "bench.ipynb"), as_version=4)
    for i in range(n):
        answer = LOOP if i == n // 2 else (RIGHT, RIGHT, WRONG, CRASH)[i % 4]
        nb = nbformat.from_dict(released)
        nb.cells[1].source = answer
        folder = root / "submitted" / f"student{i:03d}" / "bench"
        folder.mkdir(parents=True)
        nbformat.write(nb, str(folder / "bench.ipynb"))
        (folder / "timestamp.txt").write_text("2026-11-23 12:00:00.000000 UTC")


def timed(command: list[str], cwd: Path, env: dict) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def total_score(root: Path) -> float:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        return sum(s.score for s in gb.assignment_submissions("bench"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100, help="submissions in the class")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    env = nbgrader_env()
    work = Path(tempfile.mkdtemp(prefix="bench-grading-"))
    work.chmod(0o755)
    try:
        stock, ours = work / "stock", work / "ours"
        build(stock, args.n, env)
        shutil.copytree(stock, ours)
        stock_s = timed([sys.executable, "-m", "nbgrader", "autograde", "bench",
                         f"--Execute.timeout={CELL_TIMEOUT}"], stock, env)
        ours_s = timed([sys.executable, "-m", "autograder", "grade", "bench", "--course", str(ours),
                        "--workers", str(args.workers), "--cell-timeout", str(CELL_TIMEOUT), "--no-progress"],
                       ours, env)
        print(f"{args.n} notebooks, {args.workers} workers, cell timeout {CELL_TIMEOUT} s")
        print(f"stock nbgrader autograde : {stock_s / args.n:.3f} s per notebook ({stock_s:.1f} s)")
        print(f"python -m autograder     : {ours_s / args.n:.3f} s per notebook ({ours_s:.1f} s)")
        print(f"speed-up                 : {stock_s / ours_s:.1f}x")
        print(f"class total score        : stock {total_score(stock):g}, ours {total_score(ours):g}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
