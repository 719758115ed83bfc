"""Linux namespaces around the student's process: it sees its own working copy and the runtime, nothing else.

Two steps, both on the student's side of the executor (`autograder.student.zygote`):

`confine_worker(workspace)`, once in each zygote, after it has imported numpy and IPython:
    new mount and network namespaces (for an ordinary user inside a new user namespace, where it holds the
    capabilities to mount); a root of its own on a tmpfs holding, read-only, /usr, /etc, the Python runtime and the
    packages already imported; /dev's harmless nodes; the pool's workspace read-write; then pivot_root, so the
    host's tree (the course, the gradebook, /root, /home) is not reachable by any path, from any process.
`enter_job(writable)`, in each forked job, before the student's first line:
    new mount, PID and IPC namespaces: a fresh /proc showing only the job's own processes, a private /tmp and
    /dev/shm, and the workspace replaced by an empty read-only tmpfs with only the job's own folders bound back
    (read-write, at their usual paths), so a concurrently graded submission is not there. Then no capabilities.

No network: the zygote's network namespace has a loopback that is down and no other interface.
Standard library and ctypes only: this runs in the student's process.
"""
from __future__ import annotations

import ctypes
import os
import platform
import sys
import tempfile

CLONE_NEWNS, CLONE_NEWIPC, CLONE_NEWUSER = 0x00020000, 0x08000000, 0x10000000
CLONE_NEWPID, CLONE_NEWNET = 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_MOVE, MS_REC, MS_PRIVATE = 32, 4096, 8192, 16384, 1 << 18
MS_NOATIME, MS_NODIRATIME, MS_RELATIME = 1024, 2048, 1 << 21
MNT_DETACH = 2
PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 24, 38, 47, 4
# statvfs flags a read-only remount must keep: inside a user namespace, dropping a locked one is refused
ST_TO_MS = {os.ST_NOSUID: MS_NOSUID, os.ST_NODEV: MS_NODEV, os.ST_NOEXEC: MS_NOEXEC,
            os.ST_NOATIME: MS_NOATIME, os.ST_NODIRATIME: MS_NODIRATIME, os.ST_RELATIME: MS_RELATIME}
SYSCALLS = {"x86_64": {"pivot_root": 155, "capset": 126}, "aarch64": {"pivot_root": 41, "capset": 91}}

DEVICES = ("null", "zero", "full", "random", "urandom")
JOB_SLOTS = "/.job"  # mount points where a job's folders wait while the workspace is swapped out
JOB_SLOT_COUNT = 4
# the runtime's folders that lie under /tmp (a checkout or venv in a temp dir): a job's fresh /tmp would cover them,
# so each job moves them aside and back; set by confine_worker, inherited by every job forked after it
_runtime_under_tmp: list[str] = []

_libc = ctypes.CDLL(None, use_errno=True)


class ConfinementError(OSError):
    """The kernel refused a namespace or mount step (no user namespaces for this user, a seccomp filter, ...)."""


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise ConfinementError(err, f"{what}: {os.strerror(err)}")


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    enc = lambda s: None if s is None else os.fsencode(s)  # noqa: E731
    _check(_libc.mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)),
           f"mount {source or fstype} on {target}")


def _syscall(name: str, *args) -> int:
    numbers = SYSCALLS.get(platform.machine())
    if numbers is None:
        raise ConfinementError(0, f"no system call numbers for {platform.machine()}")
    return _libc.syscall(numbers[name], *args)


def _unshare(flags: int, what: str) -> None:
    _check(_libc.unshare(flags), f"unshare ({what})")


def _bind(source: str, target: str, read_only: bool, recursive: bool = True) -> None:
    _mount(source, target, None, MS_BIND | (MS_REC if recursive else 0))
    if read_only:
        kept = os.statvfs(target).f_flag
        flags = MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV
        for st, ms in ST_TO_MS.items():
            if kept & st:
                flags |= ms
        _mount(None, target, None, flags)


def _mount_point(root: str, path: str, is_dir: bool) -> str:
    target = root + path
    os.makedirs(target if is_dir else os.path.dirname(target), mode=0o755, exist_ok=True)
    if not is_dir and not os.path.exists(target):
        open(target, "w").close()
    return target


def _covered(path: str, tops: list[str]) -> bool:
    return any(path == t or path.startswith(t.rstrip(os.sep) + os.sep) for t in tops)


def runtime_paths(hidden_modules: tuple[str, ...]) -> list[str]:
    """What the student's process reads: the interpreter's prefixes and the folders of every imported module.

    A module imported from outside the prefixes (the project, put on sys.path by `python -m` from its folder)
    brings only its own top-level package, never the folder around it (where source/ may live).
    """
    tops: list[str] = []
    for prefix in (sys.base_prefix, sys.prefix, sys.exec_prefix):
        real = os.path.realpath(prefix)
        if not _covered(real, tops + ["/usr"]):
            tops.append(real)
    for name in list(sys.modules):
        top = name.partition(".")[0]
        path = getattr(sys.modules.get(top), "__file__", None)
        if not path or top in hidden_modules or not os.path.isabs(path):
            continue
        real = os.path.realpath(path)
        if os.path.basename(real) == "__init__.py":
            real = os.path.dirname(real)
        if os.path.exists(real) and not _covered(real, tops + ["/usr", "/etc"]):
            tops.append(real)
    return tops


def _hidden_inside(tops: list[str], hidden_modules: tuple[str, ...]) -> list[str]:
    """Where a hidden module (the reference solutions) could be imported from inside the bound runtime: on any
    sys.path entry, as a package folder or a single file. They are masked, not merely left unimported."""
    tops_only = {name.partition(".")[0] for name in hidden_modules if "." not in name}
    found = []
    for entry in sys.path:
        for name in tops_only:
            for candidate in (os.path.join(entry or ".", name), os.path.join(entry or ".", name + ".py")):
                real = os.path.realpath(candidate)
                if os.path.exists(real) and _covered(real, tops) and real not in found:
                    found.append(real)
    return found


def _in_user_namespace() -> bool:
    try:
        with open("/proc/self/uid_map") as f:
            return f.read().split() != ["0", "0", "4294967295"]
    except OSError:  # no /proc here: only in a job of a user namespace
        return True


def _enter_user_namespace() -> None:
    """An ordinary user: a user namespace mapping only itself, where it may mount (root needs none)."""
    uid, gid = os.getuid(), os.getgid()
    _unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET, "user, mount, network")
    with open("/proc/self/setgroups", "w") as f:
        f.write("deny")
    with open("/proc/self/uid_map", "w") as f:
        f.write(f"{uid} {uid} 1")
    with open("/proc/self/gid_map", "w") as f:
        f.write(f"{gid} {gid} 1")


def confine_worker(workspace: str, hidden_modules: tuple[str, ...]) -> None:
    """Move this process (and so every child it forks) into a root that holds only the runtime and `workspace`."""
    workspace = os.path.realpath(workspace)
    tops = runtime_paths(hidden_modules)
    masks = _hidden_inside(tops, hidden_modules)
    if os.geteuid() == 0:
        _unshare(CLONE_NEWNS | CLONE_NEWNET, "mount, network")
    else:
        _enter_user_namespace()
    _mount(None, "/", None, MS_REC | MS_PRIVATE)  # nothing mounted from here on reaches the host
    root = tempfile.mkdtemp(prefix=".root-", dir=workspace)
    _mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=16m")
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        if os.path.islink("/" + name):  # merged /usr: the links, as on the host
            os.symlink(os.readlink("/" + name), os.path.join(root, name))
        elif os.path.isdir("/" + name):
            _bind("/" + name, _mount_point(root, "/" + name, True), read_only=True)
    for path in ["/usr", "/etc"] + tops:
        _bind(path, _mount_point(root, path, os.path.isdir(path)), read_only=True)
    for path in masks:
        if os.path.isdir(path):
            _mount("tmpfs", root + path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV, "mode=0755,size=4k")
        else:
            _bind("/dev/null", root + path, read_only=True, recursive=False)
    for name in DEVICES:
        _mount("/dev/" + name, _mount_point(root, "/dev/" + name, False), None, MS_BIND)
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                         ("stderr", "/proc/self/fd/2")):
        os.symlink(target, os.path.join(root, "dev", name))
    for path in ("/proc", "/tmp", "/dev/shm") + tuple(f"{JOB_SLOTS}/{i}" for i in range(JOB_SLOT_COUNT)):
        _mount_point(root, path, True)
    _runtime_under_tmp[:] = [t for t in tops if _covered(t, ["/tmp"])]
    for i, path in enumerate(_runtime_under_tmp):
        _mount_point(root, f"{JOB_SLOTS}/runtime{i}", os.path.isdir(path))
    # not recursive: the zygotes' own roots are mounted inside the workspace
    _bind(workspace, _mount_point(root, workspace, True), read_only=False, recursive=False)
    os.makedirs(root + "/.old")
    _check(_syscall("pivot_root", os.fsencode(root), os.fsencode(root + "/.old")), "pivot_root")
    os.chdir("/")
    _check(_libc.umount2(b"/.old", MNT_DETACH), "unmount the host's root")
    os.rmdir("/.old")
    _mount(None, "/", None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)


def enter_job() -> None:
    """In a forked job: new mount, PID and IPC namespaces. The PID namespace is the next child's (its PID 1), which
    then calls `mount_job`."""
    _unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC, "mount, PID, IPC")


def mount_job(workspace: str, writable: list[str]) -> None:
    """As PID 1 of the job's namespace: /proc, /tmp, /dev/shm of its own; the workspace shows only `writable`."""
    workspace = os.path.realpath(workspace)
    writable = [os.path.realpath(w) for w in writable]
    if len(writable) > JOB_SLOT_COUNT:
        raise ConfinementError(0, f"at most {JOB_SLOT_COUNT} writable folders per job")
    for path in writable:
        if not _covered(path, [workspace]) or path == workspace:
            raise ConfinementError(0, f"{path} is not a job folder under the workspace {workspace}")
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    slots = [f"{JOB_SLOTS}/{i}" for i in range(len(writable))]
    for path, slot in zip(writable, slots):
        _mount(path, slot, None, MS_BIND)
    _check(_libc.umount2(os.fsencode(workspace), MNT_DETACH), "unmount the workspace")
    try:
        _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    except ConfinementError:
        # in a user namespace the kernel mounts a new proc only where the host's is fully visible (not in most
        # containers, which mask parts of it): /proc then stays an empty folder, which is no less private
        if os.geteuid() == 0 and not _in_user_namespace():
            raise
    kept = [(path, f"{JOB_SLOTS}/runtime{i}") for i, path in enumerate(_runtime_under_tmp)]
    for path, slot in kept:
        _mount(path, slot, None, MS_MOVE)  # a move keeps the bind read-only, with its masks
    _mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777,size=256m")
    for path, slot in kept:
        _mount(slot, _mount_point("", path, os.path.isdir(slot)), None, MS_MOVE)
    _mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777,size=64m")
    os.makedirs(workspace, mode=0o755, exist_ok=True)  # under /tmp (the usual case) it is gone with the old /tmp
    _mount("tmpfs", workspace, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=4k")
    for path, slot in zip(writable, slots):
        os.makedirs(path, mode=0o755, exist_ok=True)
        _mount(slot, path, None, MS_MOVE)
    _mount(None, workspace, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)


def drop_capabilities() -> None:
    """No capability in any set, none to regain: no_new_privs, an empty bounding set, capset to zero."""
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    _libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    for cap in range(64):
        if _libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            break  # past the kernel's last capability, or already without CAP_SETPCAP (a dropped root)
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this process
    data = (ctypes.c_uint32 * 6)()  # effective, permitted, inheritable for both 32-bit halves: all zero
    _check(_syscall("capset", header, data), "capset")
