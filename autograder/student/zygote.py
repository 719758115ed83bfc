"""The student's side of the executor: a pre-imported worker ("zygote") that forks one confined child per job.

The grading process starts one zygote per worker with `python -m autograder.student.zygote --workspace DIR`. The zygote
imports numpy and IPython once, then (with `--confine`) moves into namespaces of its own where only the runtime
and DIR exist (`autograder.student.confine`), then reads jobs as JSON lines on stdin. For each job it forks a child that
confines itself further (its own PID, mount and IPC namespaces where only its own folders are left, resource
limits, an audit hook, no capabilities, an unprivileged user when the grader is root) and runs the cells through
a real IPython InteractiveShell, streaming one JSON message per cell back through a pipe. The zygote relays those
messages on stdout and enforces the hard limits: a cell that ignores its SIGALRM, or a notebook past its
deadline, gets its whole process group SIGKILLed. Nothing here decides a grade.

Messages, zygote -> grader, one JSON object per line:
    {"ready": pid, "confined": bool, "why": str}   once, at start ("why": what refused the namespaces)
    {"start": i}                          cell i started
    {"done": i, "outputs": [...], "error": bool}
    {"end": "ok" | "cell_killed" | "notebook_killed" | "died", "detail": str}
"""
from __future__ import annotations

import ctypes
import gc
import io
import json
import os
import pwd
import resource
import select
import signal
import sys
import time
import traceback
from dataclasses import dataclass, field

from autograder.student import confine

# Student code must not start BLAS threads that outlive a fork or fight over the two cores.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

NICE = 5  # the zygote and the student's processes run this much below the grader
GRACE_SECONDS = 2.0  # how long a cell may ignore its CellTimeoutError before its process is killed
STREAM_CAP = 1_000_000  # characters of stdout/stderr kept per cell; a print loop must not exhaust the grader
# the zygote remembers IPython's transform of this many cells, each at most this long (bounded work before a fork)
MAX_REMEMBERED_CELLS, MAX_REMEMBERED_CELL = 4096, 20_000
PR_SET_PDEATHSIG = 1  # prctl option: signal this process gets when its parent dies


@dataclass(frozen=True)
class Blocked:
    """What the student's process may not import or open."""

    # the grader's reference solutions and the judge's modules: importing them would leak the answers
    modules: tuple[str, ...] = ("reference", "autograder.spec", "autograder.specs", "autograder.judge")
    # absolute paths (files or directories) the student's process may not open: source/, the gradebook, reference/
    paths: tuple[str, ...] = ()

    def to_json(self) -> dict:
        return {"modules": list(self.modules), "paths": list(self.paths)}


class CellTimeoutError(BaseException):
    """Raised inside a cell at its time limit; a BaseException so `except Exception:` loops do not swallow it."""


def _blocked_module(name: str, modules: tuple[str, ...]) -> bool:
    return any(name == m or name.startswith(m + ".") for m in modules)


def install_audit_hook(modules: tuple[str, ...], paths: tuple[str, ...]) -> None:
    """Refuse imports of the blocked modules and opens under the blocked paths, for the rest of the process."""
    roots = tuple(os.path.realpath(p) for p in paths)
    for name in list(sys.modules):
        if _blocked_module(name, modules):
            del sys.modules[name]

    def hook(event: str, args: tuple) -> None:
        if event == "import":
            if _blocked_module(str(args[0]), modules):
                raise ImportError(f"importing {args[0]} is not allowed while grading")
        elif event in ("open", "os.listdir", "os.scandir", "shutil.copyfile", "os.chdir"):
            target = args[0] if args else None
            if isinstance(target, bytes):
                target = os.fsdecode(target)
            if isinstance(target, str) and roots:
                real = os.path.realpath(target)
                if any(real == r or real.startswith(r + os.sep) for r in roots):
                    raise PermissionError(f"{target} is not readable while grading")

    sys.addaudithook(hook)


FILE_SIZE_CAP = 256 * 1024 * 1024  # bytes per file the student's process writes: a write past it fails (EFBIG)


def set_limits(memory_mb: int) -> None:
    """Address space (a huge allocation becomes a MemoryError), file size, no core files, few processes."""
    memory = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_SIZE_CAP, FILE_SIZE_CAP))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    # a fork bomb stops at this many processes of the (unprivileged) user
    resource.setrlimit(resource.RLIMIT_NPROC, (256, 256))


def _chown_tree(top: str, uid: int, gid: int) -> None:
    for root, dirs, files in os.walk(top):
        os.chown(root, uid, gid)
        for name in dirs + files:
            os.lchown(os.path.join(root, name), uid, gid)


def drop_privileges(user: str, writable: list[str]) -> None:
    """Become `user` for good, after handing it the directories it must write (its working copy, the probe dir)."""
    entry = pwd.getpwnam(user)
    for top in writable:
        if top and os.path.isdir(top):
            _chown_tree(top, entry.pw_uid, entry.pw_gid)
    os.setgroups([])
    os.setgid(entry.pw_gid)
    os.setuid(entry.pw_uid)


def _die_with_parent() -> None:
    # the zygote's child must not outlive a zygote killed with the grader
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass


class _CellStream(io.TextIOBase):
    """sys.stdout / sys.stderr of the student's process: consecutive writes merge into one stream output."""

    def __init__(self, name: str, outputs: list[dict]):
        self.name = name
        self.outputs = outputs
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, text) -> int:
        text = str(text)
        if self.size > STREAM_CAP:
            return len(text)
        self.size += len(text)
        if self.size > STREAM_CAP:
            text = text[: max(0, STREAM_CAP - (self.size - len(text)))] + "\n[output truncated by the grader]\n"
        last = self.outputs[-1] if self.outputs else None
        if last and last["output_type"] == "stream" and last["name"] == self.name:
            last["text"] += text
        else:
            self.outputs.append({"output_type": "stream", "name": self.name, "text": text})
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


def make_shell():
    """A real IPython InteractiveShell whose outputs land in nbformat dicts instead of a terminal."""
    from IPython.core.displayhook import DisplayHook
    from IPython.core.displaypub import DisplayPublisher
    from IPython.core.inputtransformer2 import TransformerManager
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets import Instance, Type

    class Publisher(DisplayPublisher):
        outputs: list = []

        def publish(self, data, metadata=None, source=None, *, transient=None, update=False, **kwargs):
            self.outputs.append({"output_type": "display_data", "data": data, "metadata": metadata or {}})

        def clear_output(self, wait=False):
            self.outputs.clear()

    class Hook(DisplayHook):
        outputs: list = []

        def start_displayhook(self):
            self.pending = {"output_type": "execute_result", "execution_count": self.prompt_count,
                            "data": {}, "metadata": {}}

        def write_output_prompt(self):
            pass

        def write_format_data(self, format_dict, md_dict=None):
            self.pending["data"] = format_dict
            self.pending["metadata"] = md_dict or {}

        def finish_displayhook(self):
            self.outputs.append(self.pending)

    class Transforms(TransformerManager):
        """IPython's static input transforms (magics, ``!cmd``, ``x?``), remembered by cell: they are a function of
        the text alone, and a class's notebooks share most of their cells, so the zygote works them out once
        (`remember`) and every child forked after finds them here."""

        known: dict[str, str] = {}

        def transform_cell(self, cell: str) -> str:
            known = self.known.get(cell)
            return known if known is not None else super().transform_cell(cell)

        def remember(self, cells: list[str]) -> None:
            if len(self.known) > MAX_REMEMBERED_CELLS:
                self.known.clear()
            for cell in cells:
                if cell not in self.known and len(cell) <= MAX_REMEMBERED_CELL:
                    try:
                        self.known[cell] = super().transform_cell(cell)
                    except Exception:  # the child meets the same error in its own transform, and reports it
                        pass

    class Shell(InteractiveShell):
        outputs: list = []
        displayhook_class = Type(Hook)
        display_pub_class = Type(Publisher)
        input_transformer_manager = Instance(Transforms, ())

        def _showtraceback(self, etype, evalue, stb):
            self.outputs.append({"output_type": "error", "ename": etype.__name__, "evalue": str(evalue),
                                 "traceback": list(stb)})

        def should_run_async(self, raw_cell, *, transformed_cell=None, preprocessing_exc_tuple=None):
            # IPython compiles each cell a second time to look for a top-level await; without either word a cell
            # has none, and runs as it would after that check
            if transformed_cell is not None and "await" not in transformed_cell and "async" not in transformed_cell:
                return False
            return super().should_run_async(raw_cell, transformed_cell=transformed_cell,
                                            preprocessing_exc_tuple=preprocessing_exc_tuple)

    from traitlets.config import Config

    config = Config()
    config.HistoryManager.enabled = False  # no sqlite history file in the student's home
    config.InteractiveShell.colors = "NoColor"
    config.InteractiveShell.xmode = "Context"
    return Shell.instance(config=config)  # the singleton, so IPython.display.display finds it


def _bind_outputs(shell, outputs: list) -> None:
    shell.outputs = outputs
    shell.display_pub.outputs = outputs
    shell.displayhook.outputs = outputs
    sys.stdout = _CellStream("stdout", outputs)
    sys.stderr = _CellStream("stderr", outputs)


def _on_alarm(signum, frame):
    raise CellTimeoutError("the cell ran past its time limit")


def _error_output(error: BaseException) -> dict:
    import traceback

    return {"output_type": "error", "ename": type(error).__name__, "evalue": str(error),
            "traceback": traceback.format_exception_only(type(error), error)}


def _writable(job: dict) -> list[str]:
    """The folders the job's process may write: its working copy and its probe folder."""
    return [path for path in (job["cwd"], job["env"].get("L2W_PROBE_DIR", "")) if path and os.path.isdir(path)]


def _close_inherited(keep: int) -> None:
    # an inherited descriptor of a host file or folder would be a way around the namespaces
    os.closerange(3, keep)
    os.closerange(keep + 1, 1 << 16)


def run_confined(shell, job: dict, out_fd: int, workspace: str) -> None:
    """In the forked child of a confined zygote: new namespaces, then PID 1 of them runs the job.

    This process stays outside the job's PID namespace: it waits for PID 1 and ends the way it ended, so the
    zygote's supervisor sees one process (and one process group) per job, as when unconfined.
    """
    os.setpgid(0, 0)
    _die_with_parent()
    confine.enter_job()
    pid = os.fork()
    if pid == 0:
        try:
            _die_with_parent()
            confine.mount_job(workspace, _writable(job))
            run_child(shell, job, out_fd, own_group=False)
        except BaseException:
            traceback.print_exc()  # on the grader's stderr: a confinement step the kernel refused
        finally:
            os._exit(70)
    os.close(out_fd)
    _close_inherited(2)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        signal.signal(os.WTERMSIG(status), signal.SIG_DFL)
        os.kill(os.getpid(), os.WTERMSIG(status))
    os._exit(os.waitstatus_to_exitcode(status))


def run_child(shell, job: dict, out_fd: int, own_group: bool = True) -> None:
    """In the forked child: confine this process, then run the job's cells and report each one on out_fd."""
    if own_group:
        os.setpgid(0, 0)
    _close_inherited(out_fd)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    cwd = job["cwd"]
    os.chdir(cwd)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "HOME": cwd,
           "MPLBACKEND": "Agg", "MPLCONFIGDIR": os.path.join(cwd, ".matplotlib"),
           "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    env.update(job["env"])
    os.environ.clear()
    os.environ.update(env)
    if job.get("run_as") and os.geteuid() == 0:
        drop_privileges(job["run_as"], _writable(job))
    confine.drop_capabilities()
    _die_with_parent()
    set_limits(job["limits"]["memory_mb"])
    sys.path.insert(0, cwd)
    install_audit_hook(tuple(job["blocked"]["modules"]), tuple(job["blocked"]["paths"]))
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    cell_timeout = float(job["limits"]["cell_timeout"])
    report = os.fdopen(out_fd, "w", buffering=1)

    for source in job["replay"]:
        _bind_outputs(shell, [])
        signal.setitimer(signal.ITIMER_REAL, cell_timeout)
        try:
            shell.run_cell(source, store_history=True, silent=False)
        except BaseException:  # a replayed cell that misbehaves now only loses its own side effects
            pass
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)

    for cell in job["cells"]:
        outputs: list[dict] = []
        report.write(json.dumps({"start": cell["index"]}) + "\n")
        _bind_outputs(shell, outputs)
        shell.execution_count = cell["execution_count"]
        signal.setitimer(signal.ITIMER_REAL, cell_timeout)
        error = None
        try:
            result = shell.run_cell(cell["source"], store_history=True)
            error = result.error_before_exec or result.error_in_exec
        except BaseException as exc:  # a timeout between statements, or the shell's own error handling broken
            error = exc
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        failed = error is not None
        if failed and not any(out["output_type"] == "error" for out in outputs):
            # the student's code silenced IPython's traceback display (nbgrader's "cheat attempt" notebooks):
            # a failed cell still gets its error output, which is what the grade is read from
            outputs.append(_error_output(error))
        for out in outputs:
            if out["output_type"] == "error" and out["ename"] == "CellTimeoutError":
                out["evalue"] = f"the cell ran past its {cell_timeout:g} s time limit"
        sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
        report.write(json.dumps({"done": cell["index"], "outputs": outputs, "error": failed}, default=repr) + "\n")
    report.flush()
    os._exit(0)


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def supervise(pid: int, read_fd: int, job: dict, emit) -> None:
    """In the zygote: relay the child's messages, kill it at the hard limits, report how it ended."""
    cell_limit = float(job["limits"]["cell_timeout"]) + GRACE_SECONDS
    deadline = time.monotonic() + float(job["deadline"])
    started = None
    buffer = b""
    ending = ("died", "")
    while True:
        now = time.monotonic()
        wait = deadline - now
        if started is not None:
            wait = min(wait, started + cell_limit - now)
        if wait <= 0:
            _kill_group(pid)
            if now >= deadline:
                ending = ("notebook_killed", "the notebook ran past its time limit")
            else:
                ending = ("cell_killed", f"the cell did not stop within {cell_limit:g} s and was killed")
            break
        ready, _, _ = select.select([read_fd], [], [], wait)
        if not ready:
            continue
        chunk = os.read(read_fd, 1 << 16)
        if not chunk:
            break
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            message = json.loads(line)
            if "start" in message:
                started = time.monotonic()
            elif "done" in message:
                started = None
            emit(message)
    os.close(read_fd)
    _, status = os.waitpid(pid, 0)
    _kill_group(pid)  # anything the student's code left running in its group
    if ending[0] == "died":
        if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0 and started is None:
            ending = ("ok", "")
        elif os.WIFSIGNALED(status):
            ending = ("died", f"the process was killed by signal {signal.Signals(os.WTERMSIG(status)).name}")
        else:
            ending = ("died", f"the process exited with code {os.WEXITSTATUS(status)}")
    emit({"end": ending[0], "detail": ending[1]})


# Modules never preloaded: they open windows or browsers, print on import, or are test suites.
PRELOAD_SKIP = {"antigravity", "this", "idlelib", "tkinter", "turtle", "turtledemo", "lib2to3", "ensurepip",
                "venv", "pydoc_data", "test", "tests", "__phello__", "xxlimited", "xxlimited_35", "xxsubtype"}


def _skipped(name: str) -> bool:
    return any(part in PRELOAD_SKIP or part.startswith(("_test", "idle_test")) for part in name.split("."))


def preload_stdlib() -> None:
    """Import the whole standard library once, in the zygote.

    When the grader runs as root, the student's process runs as `nobody`, which often cannot read the
    interpreter's own files (a Python under /root). Modules already in sys.modules need no file access, so
    every child can still `import random` or `hashlib` after dropping its privileges (about 0.5 s, once).
    """
    import contextlib
    import importlib
    import pkgutil

    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        for name in sorted(sys.stdlib_module_names):
            if _skipped(name):
                continue
            try:
                module = importlib.import_module(name)
            except BaseException:  # platform-specific modules that do not import here
                continue
            for info in pkgutil.walk_packages(getattr(module, "__path__", []), name + "."):
                if not _skipped(info.name):
                    try:
                        importlib.import_module(info.name)
                    except BaseException:
                        pass


# What student code and the probe import: in every zygote, so no child pays for them (matplotlib's font cache
# would otherwise be rebuilt in each child's fresh MPLCONFIGDIR).
PRELOAD_PACKAGES = ("numpy", "IPython", "autograder.student.probe", "autograder.student.wire", "ipywidgets")
# What only a drawing imports: the course's widgets import matplotlib at their first drawing, which grading skips,
# so a `light` zygote (one self-learner's check, where the preload is the wait) leaves it out.
PRELOAD_DRAWING = ("matplotlib.pyplot",)
WALKED_PACKAGES = ("numpy", "IPython", "matplotlib", "ipywidgets")  # every submodule, when the student cannot read


def preload_packages(walk: bool, light: bool = False) -> None:
    """Import PRELOAD_PACKAGES (with `walk`, every submodule of WALKED_PACKAGES too) and, unless `light`, warm
    matplotlib.

    `walk` is for a student user that cannot read the project or its virtual environment (a fresh clone in a
    0700 temp dir): modules already in sys.modules need no file access after the child drops its privileges.
    """
    import contextlib
    import importlib
    import pkgutil

    os.environ.setdefault("MPLBACKEND", "Agg")
    light = light and not walk  # a student who cannot read the packages could not import matplotlib later
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        for name in PRELOAD_PACKAGES + (() if light else PRELOAD_DRAWING):
            importlib.import_module(name)
        for name in WALKED_PACKAGES if walk else ():
            # walk_packages imports each subpackage to look inside it; onerror skips the ones that cannot load
            for info in pkgutil.walk_packages(importlib.import_module(name).__path__, name + ".",
                                              onerror=lambda _: None):
                if not _skipped(info.name):
                    try:
                        importlib.import_module(info.name)
                    except BaseException:  # optional back-ends and test helpers that need what is not installed
                        pass
        if light:
            return
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots()
        ax.set_title("warm-up")  # loads the default font file now, while the project is still readable
        fig.canvas.draw()
        plt.close(fig)


def readable_by_others(path: str, ancestors: bool = True) -> bool:
    """Whether any user can list `path` and reach it: o+rx on it and (with `ancestors`) o+x on every directory
    above it. A confined student's process reaches the runtime through folders of its own, all o+x."""
    path = os.path.realpath(path)
    if not os.path.isdir(path) or os.stat(path).st_mode & 0o005 != 0o005:
        return False
    while ancestors and path != os.path.dirname(path):
        path = os.path.dirname(path)
        if not os.stat(path).st_mode & 0o001:
            return False
    return True


def preload_walks(confined: bool) -> list[str]:
    """What the unprivileged student user could not read: "stdlib" (the interpreter's), "packages" (the project
    or its environment). Each needs importing in full beforehand (`--walk-stdlib`, `--walk-packages`)."""
    import importlib.util

    def readable(*names: str) -> bool:
        return all(readable_by_others(os.path.dirname(p), ancestors=not confined) for name in names
                   for p in importlib.util.find_spec(name).submodule_search_locations or [])

    return [what for what, ok in (("stdlib", readable_by_others(os.path.dirname(os.__file__), not confined)),
                                  ("packages", readable("numpy", "IPython", "autograder"))) if not ok]


def _confine(workspace: str) -> tuple[bool, str]:
    try:
        confine.confine_worker(workspace, Blocked().modules)
    except OSError as err:  # the zygote is untouched until its pivot_root, and unusable if that step failed
        return False, str(err)
    return True, ""


def zygote(walks: list[str], workspace: str, confined: bool, light: bool = False) -> None:
    """Import the heavy modules once, confine this process (with `confined`), then fork one child per job."""
    # the grading process's bookkeeping is the batch's critical path: on a busy machine it gets the cores first
    os.nice(NICE)
    if "stdlib" in walks:
        preload_stdlib()
    preload_packages(walk="packages" in walks, light=light)
    _die_with_parent()
    shell = make_shell()
    # formatting a traceback loads pygments lexers and reads IPython's sources: once here, not in every child
    try:
        exec(compile("def f():\n    return 1 / 0\nf()", "<warm-up>", "exec"), {})
    except ZeroDivisionError:
        shell.InteractiveTB.structured_traceback(*sys.exc_info())
    out = sys.stdout

    def emit(message: dict) -> None:
        out.write(json.dumps(message) + "\n")
        out.flush()

    # everything imported so far is shared with every child: keep the collector from walking it (and so writing
    # to every page of it, which copy-on-write would then copy) in each child
    why = ""
    if confined:
        confined, why = _confine(workspace)
    gc.collect()
    gc.freeze()
    emit({"ready": os.getpid(), "confined": confined, "why": why})
    for line in sys.stdin:
        job = json.loads(line)
        shell.input_transformer_manager.remember([cell["source"] for cell in job["cells"]] + job["replay"])
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read_fd)
            try:
                if confined:
                    run_confined(shell, job, write_fd, workspace)
                else:
                    run_child(shell, job, write_fd)
            finally:
                os._exit(70)
        os.close(write_fd)
        supervise(pid, read_fd, job, emit)
    # the grader closed our stdin: no child is left, and tearing down the preloaded modules would take a second
    os._exit(0)


def main(argv: list[str]) -> None:
    import argparse

    args = argparse.ArgumentParser(prog="python -m autograder.student.zygote")
    args.add_argument("--workspace", required=True, help="the folder every job's working copy lives under")
    args.add_argument("--confine", action="store_true", help="namespaces around every job (autograder.student.confine)")
    args.add_argument("--walk-stdlib", action="store_true", help="import the whole standard library first")
    args.add_argument("--walk-packages", action="store_true", help="import every submodule of the packages first")
    args.add_argument("--light", action="store_true", help="leave matplotlib to the first drawing (one quick check)")
    options = args.parse_args(argv)
    walks = [w for w, on in (("stdlib", options.walk_stdlib), ("packages", options.walk_packages)) if on]
    zygote(walks, options.workspace, options.confine, options.light)


if __name__ == "__main__":
    main(sys.argv[1:])
