"""The executor on real notebooks: real forked IPython processes, real limits, no mocks."""
import os
import stat
import tempfile
from pathlib import Path

import nbformat
import pytest

from autograder.execute import Blocked, ExecJob, Limits, WorkerPool

ROOT = os.geteuid() == 0


def notebook(*sources: str):
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])


@pytest.fixture(scope="module")
def secret(tmp_path_factory) -> Path:
    """A directory the student's process must not read (stands for source/ and the gradebook)."""
    path = tmp_path_factory.mktemp("secret")
    (path / "answers.txt").write_text("42")
    return path


@pytest.fixture(scope="module")
def pool(secret):
    """Confined, as `grade` runs (the default)."""
    with WorkerPool(workers=2, blocked=Blocked(paths=(str(secret),))) as pool:
        yield pool


@pytest.fixture(scope="module")
def unconfined(secret):
    """No namespaces, as `check` and `grade --unconfined` run: only the audit hook and the limits."""
    with WorkerPool(workers=1, blocked=Blocked(paths=(str(secret),)), sandbox="off") as pool:
        yield pool


def job_dir(pool) -> Path:
    path = Path(tempfile.mkdtemp(dir=pool.workspace))
    path.chmod(0o755)  # the student's process may be `nobody`: it must be able to reach its working copy
    return path


@pytest.fixture
def workdir(pool) -> Path:
    return job_dir(pool)


def run(pool, workdir, *sources, **limits):
    return pool.run(ExecJob(nb=notebook(*sources), cwd=workdir, env={"GREETING": "hello"},
                            limits=Limits(**limits)))


def kinds(cell):
    return [o.output_type if o.output_type != "error" else o.ename for o in cell.outputs]


def test_outputs_are_what_a_kernel_gives(pool, workdir):
    result = run(pool, workdir,
                 "import numpy as np, os\nx = np.arange(4)\nprint(os.environ['GREETING'])",
                 "x.sum()",
                 "from IPython.display import display, HTML\ndisplay(HTML('<b>bold</b>'))",
                 "%timeit -n1 -r1 sum(range(10))",
                 "import sys\nprint('careful', file=sys.stderr)",
                 "",
                 "def f():\n    return 1 / 0\nf()")
    cells = result.nb.cells
    assert result.status == "ok"
    assert cells[0].outputs[0].text == "hello\n"
    assert cells[1].outputs[0].output_type == "execute_result"
    assert cells[1].outputs[0].data["text/plain"] == "np.int64(6)" and cells[1].outputs[0].execution_count == 2
    assert cells[2].outputs[0].data["text/html"] == "<b>bold</b>"
    assert "per loop" in cells[3].outputs[0].text
    assert cells[4].outputs[0].name == "stderr"
    assert cells[5].execution_count is None and cells[5].outputs == []
    error = cells[6].outputs[0]
    assert error.ename == "ZeroDivisionError" and any("1 / 0" in line for line in error.traceback)
    assert [c.execution_count for c in cells] == [1, 2, 3, 4, 5, None, 6]


def test_infinite_loop_costs_only_that_cell(pool, workdir):
    result = run(pool, workdir, "x = 5", "while True:\n    pass", "x + 1", cell_timeout=1)
    cells = result.nb.cells
    assert kinds(cells[1]) == ["CellTimeoutError"]
    assert cells[2].outputs[0].data["text/plain"] == "6"


def test_cell_that_swallows_its_timeout_is_killed_and_the_rest_replayed(pool, workdir):
    stubborn = "import time\nwhile True:\n    try:\n        time.sleep(10)\n    except BaseException:\n        pass"
    result = run(pool, workdir, "x = 5", "y = x * 2", stubborn, "x + y", cell_timeout=1)
    cells = result.nb.cells
    assert result.status == "timeout"
    assert kinds(cells[2]) == ["CellTimeoutError"] and "killed" in cells[2].outputs[0].evalue
    assert cells[3].outputs[0].data["text/plain"] == "15"


def test_process_exit_costs_only_that_cell(pool, workdir):
    result = run(pool, workdir, "x = 5", "1 / 0", "import os\nos._exit(3)", "x", "import sys\nsys.exit(1)", "x")
    cells = result.nb.cells
    assert result.status == "died"
    assert kinds(cells[2]) == ["ProcessDied"] and "code 3" in cells[2].outputs[0].evalue
    assert cells[3].outputs[0].data["text/plain"] == "5"
    assert "SystemExit" in kinds(cells[4])
    assert cells[5].outputs[0].data["text/plain"] == "5"


def test_huge_allocation_is_a_memory_error(pool, workdir):
    result = run(pool, workdir, "import numpy as np\nbig = np.ones(30 * 10**9 // 8)", "small = np.ones(1000)\nfloat(small.sum())",
                 memory_mb=1024)
    assert kinds(result.nb.cells[0]) == ["MemoryError"]
    assert result.nb.cells[1].outputs[0].data["text/plain"] == "1000.0"


def test_notebook_time_limit_marks_cells_not_reached(pool, workdir):
    result = run(pool, workdir, "import time\ntime.sleep(0.5)", "time.sleep(5)", "1", cell_timeout=10,
                 notebook_timeout=1.5)
    cells = result.nb.cells
    assert result.status == "timeout"
    assert cells[0].outputs == []
    assert kinds(cells[1]) == ["CellTimeoutError"] and kinds(cells[2]) == ["CellTimeoutError"]


@pytest.mark.parametrize("confined", [True, False], ids=["confined", "unconfined"])
def test_blocked_modules_and_paths(pool, unconfined, secret, confined):
    chosen = pool if confined else unconfined
    result = run(chosen, job_dir(chosen), "import reference", "import autograder.specs",
                 f"open({str(secret / 'answers.txt')!r}).read()", f"import os\nos.listdir({str(secret)!r})",
                 "import autograder.student.wire",  # a sibling of the blocked modules, preloaded in every worker
                 f"os.path.exists({str(secret)!r})")  # os.stat: no audit event
    cells = result.nb.cells
    assert kinds(cells[0]) == ["ImportError"] and kinds(cells[1]) == ["ImportError"]
    assert kinds(cells[2]) == ["PermissionError"] and kinds(cells[3]) == ["PermissionError"]  # the audit hook
    assert cells[4].outputs == []
    if confined:  # behind the hook, the secret folder is not there at all
        assert cells[5].outputs[0].data["text/plain"] == "False"


def test_a_job_outside_the_workspace_is_refused(pool, tmp_path):
    with pytest.raises(ValueError, match="workspace"):
        run(pool, tmp_path, "1")


@pytest.mark.skipif(not ROOT, reason="dropping to nobody is only possible when the grader runs as root")
def test_runs_as_nobody_when_root(unconfined, tmp_path_factory):
    """Unconfined, the only barrier left is the unprivileged user: it reads no private file, writes its own."""
    workdir = job_dir(unconfined)
    private = tmp_path_factory.mktemp("private") / "gradebook.db"
    private.write_text("grades")
    private.chmod(stat.S_IRUSR | stat.S_IWUSR)
    result = run(unconfined, workdir, "import os\nos.getuid(), os.getgid()", f"open({str(private)!r}).read()",
                 "open('mine.txt', 'w').write('ok')", "import random, hashlib, json\nrandom.random() < 1")
    cells = result.nb.cells
    assert cells[0].outputs[0].data["text/plain"] == "(65534, 65534)"
    assert kinds(cells[1]) == ["PermissionError"]
    assert (workdir / "mine.txt").read_text() == "ok"
    assert cells[3].outputs[0].data["text/plain"] == "True"


def test_hidden_modules_inside_the_bound_runtime_are_masked(tmp_path, monkeypatch):
    """A non-editable install puts `reference` in site-packages, which a confined worker binds: it gets masked."""
    from autograder.student.confine import _hidden_inside

    site = tmp_path / "site-packages"
    (site / "reference").mkdir(parents=True)
    (site / "reference" / "__init__.py").write_text("ANSWER = 42\n")
    (site / "numpy_like").mkdir()
    outside = tmp_path / "elsewhere"
    (outside / "reference").mkdir(parents=True)
    monkeypatch.setattr("sys.path", [str(site), str(outside)])
    assert _hidden_inside([str(site)], ("reference", "autograder.spec")) == [str((site / "reference").resolve())]


def test_a_light_worker_leaves_matplotlib_to_the_first_drawing(unconfined):
    """`check`'s worker (light) has not imported matplotlib before the job; a job that draws still can."""
    with WorkerPool(workers=1, run_as="", sandbox="off", light=True) as light:
        for worker, preloaded in ((light, False), (unconfined, True)):
            result = run(worker, job_dir(worker), "import sys\nprint('matplotlib' in sys.modules)",
                         "from matplotlib.figure import Figure\nprint(type(Figure()).__name__)")
            assert result.status == "ok"
            assert [cell.outputs[0].text for cell in result.nb.cells] == [f"{preloaded}\n", "Figure\n"]
