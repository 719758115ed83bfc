"""What confinement costs: a worker's boot and each notebook, with namespaces (`grade`) and without (`check`).

    python bench/sandbox.py [--n 60]

One worker per mode, the same small numpy notebook N times in each (after one warm-up job), in one run.
"""
import argparse
import statistics
import tempfile
import time
from pathlib import Path

import nbformat

from autograder.execute import ExecJob, WorkerPool

CELLS = ["import numpy as np\nx = np.arange(12.0).reshape(3, 4)", "def softmax(z):\n    e = np.exp(z - z.max())\n"
         "    return e / e.sum()\nsoftmax(x[0])", "print(float(x.sum()))"]


def measure(sandbox: str, n: int) -> tuple[float, list[float], bool]:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    start = time.perf_counter()
    with WorkerPool(workers=1, sandbox=sandbox) as pool:
        confined, _ = pool.confinement()
        boot = time.perf_counter() - start
        times = []
        for i in range(n + 1):
            cwd = Path(tempfile.mkdtemp(dir=pool.workspace))
            cwd.chmod(0o755)
            start = time.perf_counter()
            result = pool.run(ExecJob(nb=nb, cwd=cwd, env={}))
            assert result.status == "ok", result.log
            times.append(time.perf_counter() - start)
    return boot, times[1:], confined


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=60)
    n = parser.parse_args().n
    rows = {mode: measure(mode, n) for mode in ("off", "required")}
    for mode, (boot, times, confined) in rows.items():
        print(f"{mode:>8} (confined={confined}): worker boot {boot:.2f} s, per notebook median "
              f"{statistics.median(times) * 1000:.1f} ms, mean {statistics.mean(times) * 1000:.1f} ms")
    off, on = (statistics.median(rows[m][1]) for m in ("off", "required"))
    print(f"confinement adds {(on - off) * 1000:+.1f} ms per notebook ({on / off:.2f}x); "
          f"boot {rows['required'][0] - rows['off'][0]:+.2f} s")


if __name__ == "__main__":
    main()
