"""Kernel isolation applied by the sandbox child to itself, before student code.

Runs in the child only (standard library + ctypes; loaded by file, never as
part of the grader package import). In order:

1. a network namespace (and a user namespace when not root): nothing to reach;
2. when root: switch to a uid/gid of its own (``UID_BASE + pid``), owning the
   working directory, so RLIMIT_NPROC applies and no root-owned file is
   writable; CAP_DAC_READ_SEARCH is kept only when Landlock bounds it and the
   Python installation is not readable by other users (e.g. under ``/root``);
3. ``PR_SET_NO_NEW_PRIVS``;
4. Landlock: reads limited to the Python installation and system libraries,
   writes to the working directory and ``/dev/null``, no exec, no TCP bind or
   connect (ABI >= 4), signals and abstract unix sockets scoped to the sandbox
   (ABI >= 6);
5. a seccomp filter (x86_64): no fork/vfork/non-thread clone, exec, sockets,
   ptrace, namespaces, setsid/setpgid, io_uring, bpf, mount, signals to other
   processes;
6. rlimits: CPU, address space, file size, open files, core dumps, processes.

What could not be applied is returned as a plain-words warning.
"""

from __future__ import annotations

import ctypes
import errno
import os
import resource
import stat
import sys

__all__ = ["apply_isolation", "landlock_abi", "module_paths", "held_capabilities", "UID_BASE"]

#: uids given to sandboxes when the grader runs as root: UID_BASE + child pid
UID_BASE = 0x3F000000

_SYS_LANDLOCK_CREATE_RULESET = 444
_SYS_LANDLOCK_ADD_RULE = 445
_SYS_LANDLOCK_RESTRICT_SELF = 446
_SYS_CAPSET = {"x86_64": 126, "aarch64": 91}.get(os.uname().machine)

_CLONE_NEWUSER = 0x10000000
_CLONE_NEWNET = 0x40000000
_CLONE_NEWIPC = 0x08000000
_CLONE_NEWNS = 0x00020000
_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_NOEXEC = 1, 2, 4, 8
_MS_REMOUNT, _MS_BIND, _MS_REC, _MS_PRIVATE = 32, 4096, 16384, 1 << 18
_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL = 47, 4
_MNT_DETACH = 2
_CLONE_THREAD = 0x00010000
_PR_SET_NO_NEW_PRIVS = 38
_PR_SET_KEEPCAPS = 8
_PR_CAPBSET_DROP = 24
_PR_SET_SECCOMP = 22
_SECCOMP_MODE_FILTER = 2
_PR_SET_DUMPABLE = 4
_CAP_DAC_READ_SEARCH = 2

# Landlock access rights
_FS_EXECUTE, _FS_WRITE_FILE, _FS_READ_FILE, _FS_READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
_FS_REMOVE_DIR, _FS_REMOVE_FILE, _FS_MAKE_CHAR, _FS_MAKE_DIR = 1 << 4, 1 << 5, 1 << 6, 1 << 7
_FS_MAKE_REG, _FS_MAKE_SOCK, _FS_MAKE_FIFO, _FS_MAKE_BLOCK = 1 << 8, 1 << 9, 1 << 10, 1 << 11
_FS_MAKE_SYM, _FS_REFER, _FS_TRUNCATE, _FS_IOCTL_DEV = 1 << 12, 1 << 13, 1 << 14, 1 << 15
_FILE_RIGHTS = _FS_EXECUTE | _FS_WRITE_FILE | _FS_READ_FILE | _FS_TRUNCATE | _FS_IOCTL_DEV
_NET_BIND_TCP, _NET_CONNECT_TCP = 1 << 0, 1 << 1
_SCOPE_ABSTRACT_UNIX, _SCOPE_SIGNAL = 1 << 0, 1 << 1

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long
_libc.prctl.restype = ctypes.c_int
_libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
_libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]


class _RulesetAttr(ctypes.Structure):
    _fields_ = [
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    ]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


class _SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8), ("k", ctypes.c_uint32)]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_SockFilter))]


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def _check(result: int, what: str) -> int:
    if result < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")
    return result


def landlock_abi() -> int:
    """The Landlock ABI version of the running kernel (0 when unavailable).

    Examples
    --------
    The kernel answers the same to the grader and to its sandboxes (the
    child's isolation report carries the version it saw):

    >>> from grader.sandbox import probe_isolation
    >>> landlock_abi() == probe_isolation(mode="fresh").landlock_abi
    True
    """
    result = _libc.syscall(_SYS_LANDLOCK_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    return max(int(result), 0)


def _fs_rights(abi: int) -> int:
    rights = (1 << 13) - 1
    if abi >= 2:
        rights |= _FS_REFER
    if abi >= 3:
        rights |= _FS_TRUNCATE
    if abi >= 5:
        rights |= _FS_IOCTL_DEV
    return rights


def _read_paths(workdir: str, extra: list[str]) -> list[str]:
    """Directories and files the child must read: Python, its packages, system libraries."""
    prefixes = [os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix)]
    candidates = prefixes + [os.path.dirname(os.path.realpath(sys.executable))]
    # sys.path entries only when they are installation folders: never a script's folder
    for entry in sys.path:
        real = os.path.realpath(entry) if entry and os.path.isabs(entry) else ""
        if real and (
            any(real.startswith(prefix + "/") for prefix in prefixes)
            or os.path.basename(real) in ("site-packages", "dist-packages")
        ):
            candidates.append(real)
    candidates += extra
    candidates += [
        "/lib",
        "/lib64",
        "/usr/lib",
        "/usr/lib64",
        "/usr/local/lib",
        "/usr/share/zoneinfo",
        "/etc/ld.so.cache",
        "/etc/localtime",
        "/sys/devices/system/cpu",
        "/dev/zero",
        "/dev/urandom",
        "/dev/random",
        "/dev/full",
    ]
    paths = []
    for path in candidates:
        real = os.path.realpath(path)
        # never the root, and never a folder that holds the working directory
        if real == "/" or (workdir + "/").startswith(real.rstrip("/") + "/"):
            continue
        if os.path.exists(real) and real not in paths:
            paths.append(real)
    return paths


def module_paths(names: list[str], search_path: list[str]) -> list[str]:
    """Files and folders that hold the modules ``names`` (dotted) on ``search_path``, without importing.

    A package is its folder (``site-packages/scipy/signal``); a module is every
    file named after it (``torch.py``, ``_x.cpython-311-x86_64-linux-gnu.so``).
    Real paths, sorted; names found nowhere add nothing.

    Examples
    --------
    A package ``scipy.signal`` (its folder) and a module ``torch`` (its
    file) on a made-up search path; ``nothere`` adds nothing:

    >>> import os, tempfile
    >>> from pathlib import Path
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     (Path(tmp) / "scipy" / "signal").mkdir(parents=True)
    ...     _ = (Path(tmp) / "scipy" / "signal" / "__init__.py").write_text("")
    ...     _ = (Path(tmp) / "torch.py").write_text("")
    ...     found = module_paths(["torch", "scipy.signal", "nothere"], [tmp])
    ...     [os.path.relpath(p, os.path.realpath(tmp)) for p in found]
    ['scipy/signal', 'torch.py']
    """
    found: set[str] = set()
    for name in names:
        parts = [part for part in name.split(".") if part]
        if not parts or any(part in (".", "..") or "/" in part for part in parts):
            continue
        for entry in search_path:
            if not entry or not os.path.isabs(entry):
                continue
            base = os.path.join(entry, *parts)
            folder, leaf = os.path.split(base)
            if os.path.isdir(base):
                found.add(os.path.realpath(base))
            try:
                files = os.listdir(folder)
            except OSError:
                continue
            found.update(
                os.path.realpath(os.path.join(folder, f))
                for f in files
                if f.startswith(leaf + ".") and f.endswith((".py", ".pyc", ".so", ".pyd"))
            )
    return sorted(found)


def _holes(rules: list[tuple[str, int]], deny: list[str], read: int) -> list[tuple[str, int]]:
    """``rules`` with the paths in ``deny`` left out (Landlock only allows, so an allowed folder
    that holds a denied path becomes list-only, and its other entries are allowed one by one)."""
    deny = [d.rstrip("/") for d in deny if d.rstrip("/")]
    if not deny:
        return rules

    def under(path: str, top: str) -> bool:
        return path == top or path.startswith(top + "/")

    out: list[tuple[str, int]] = []

    def expand(real: str, rights: int, is_dir: bool) -> None:
        if any(under(real, d) for d in deny):
            return
        if not is_dir or not any(under(d, real) for d in deny):
            out.append((real, rights))
            return
        out.append((real, _FS_READ_DIR))  # names may be listed, files read only through the rules below
        try:
            with os.scandir(real) as entries:
                inner = [(e.path, e.is_dir(follow_symlinks=False)) for e in entries if not e.is_symlink()]
        except OSError:
            return
        # a symlink is left out: its target stays exactly as reachable as it was, by its own rules
        for path, inner_is_dir in sorted(inner):
            expand(path, rights, inner_is_dir)

    expanded = [os.path.realpath(path) for path, rights in rules if rights == read]
    for path, rights in rules:
        if rights != read:
            out.append((path, rights))
            continue
        real = os.path.realpath(path)
        if any(real != top and under(real, top) for top in expanded):
            continue  # inside another allowed folder: handled (holes included) by that folder's expansion
        expand(real, rights, os.path.isdir(real))
    return out


def _readable_by_others(path: str) -> bool:
    """Can a uid with no privileges and no group reach ``path``?"""
    try:
        mode = os.stat(path).st_mode
        parent = os.path.dirname(path)
        while parent not in ("", "/"):
            if not os.stat(parent).st_mode & stat.S_IXOTH:
                return False
            parent = os.path.dirname(parent)
    except OSError:
        return False
    need = stat.S_IROTH | (stat.S_IXOTH if stat.S_ISDIR(mode) else 0)
    return mode & need == need


def _landlock(abi: int, workdir: str, read_paths: list[str], report: dict, deny: list[str] = ()) -> None:
    fs = _fs_rights(abi)
    attr = _RulesetAttr(handled_access_fs=fs)
    if abi >= 4:
        attr.handled_access_net = _NET_BIND_TCP | _NET_CONNECT_TCP
    if abi >= 6:
        attr.scoped = _SCOPE_ABSTRACT_UNIX | _SCOPE_SIGNAL
    size = ctypes.sizeof(_RulesetAttr) if abi >= 6 else 16 if abi >= 4 else 8
    ruleset = _check(
        _libc.syscall(_SYS_LANDLOCK_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0)),
        "landlock_create_ruleset",
    )
    read = _FS_READ_FILE | _FS_READ_DIR
    write = (
        _FS_READ_FILE
        | _FS_READ_DIR
        | _FS_WRITE_FILE
        | _FS_REMOVE_DIR
        | _FS_REMOVE_FILE
        | _FS_MAKE_DIR
        | _FS_MAKE_REG
        | _FS_MAKE_SYM
        | _FS_REFER
        | _FS_TRUNCATE
    )
    rules = _holes([(path, read) for path in read_paths], list(deny), read)
    rules += [(workdir, write), ("/dev/null", _FS_READ_FILE | _FS_WRITE_FILE | _FS_TRUNCATE)]
    try:
        for path, rights in rules:
            try:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except OSError:
                continue
            try:
                if not stat.S_ISDIR(os.fstat(fd).st_mode):
                    rights &= _FILE_RIGHTS
                rule = _PathBeneathAttr(allowed_access=rights & fs, parent_fd=fd)
                _check(
                    _libc.syscall(
                        _SYS_LANDLOCK_ADD_RULE,
                        ctypes.c_int(ruleset),
                        ctypes.c_int(1),
                        ctypes.byref(rule),
                        ctypes.c_uint32(0),
                    ),
                    f"landlock_add_rule({path})",
                )
            finally:
                os.close(fd)
        _check(
            _libc.syscall(_SYS_LANDLOCK_RESTRICT_SELF, ctypes.c_int(ruleset), ctypes.c_uint32(0)),
            "landlock_restrict_self",
        )
    finally:
        os.close(ruleset)
    report["landlock"] = True
    report["landlock_net"] = abi >= 4
    report["landlock_scoped"] = abi >= 6


# --- seccomp -----------------------------------------------------------------------

_AUDIT_ARCH_X86_64 = 0xC000003E
_X86_64_DENY = {
    "fork": 57,
    "vfork": 58,
    "execve": 59,
    "execveat": 322,
    "ptrace": 101,
    "setsid": 112,
    "setpgid": 109,
    "unshare": 272,
    "setns": 308,
    "open_by_handle_at": 304,
    "name_to_handle_at": 303,
    "socket": 41,
    "socketpair": 53,
    "kexec_load": 246,
    "kexec_file_load": 320,
    "bpf": 321,
    "perf_event_open": 298,
    "userfaultfd": 323,
    "keyctl": 250,
    "add_key": 248,
    "request_key": 249,
    "mount": 165,
    "umount2": 166,
    "pivot_root": 155,
    "chroot": 161,
    "io_uring_setup": 425,
    "io_uring_enter": 426,
    "io_uring_register": 427,
    "process_vm_readv": 310,
    "process_vm_writev": 311,
    "tkill": 200,
    "rt_sigqueueinfo": 129,
    "rt_tgsigqueueinfo": 297,
    "pidfd_send_signal": 424,
    "pidfd_open": 434,
    "pidfd_getfd": 438,
    "init_module": 175,
    "finit_module": 313,
    "delete_module": 176,
    "swapon": 167,
    "swapoff": 168,
    "reboot": 169,
    "acct": 163,
    "settimeofday": 164,
    "clock_settime": 227,
    "adjtimex": 159,
    "sethostname": 170,
    "setdomainname": 171,
    "iopl": 172,
    "ioperm": 173,
    "personality": 135,
    "open_tree": 428,
    "move_mount": 429,
    "fsopen": 430,
    "fsconfig": 431,
    "fsmount": 432,
    "fspick": 433,
    "mount_setattr": 442,
    "quotactl": 179,
    # System V IPC and POSIX message queues: objects that outlive the sandbox or reach other sandboxes
    "shmget": 29,
    "shmat": 30,
    "shmctl": 31,
    "shmdt": 67,
    "semget": 64,
    "semop": 65,
    "semctl": 66,
    "semtimedop": 220,
    "msgget": 68,
    "msgsnd": 69,
    "msgrcv": 70,
    "msgctl": 71,
    "mq_open": 240,
    "mq_unlink": 241,
    "mq_timedsend": 242,
    "mq_timedreceive": 243,
    "mq_notify": 244,
    "mq_getsetattr": 245,
    # watching folders it cannot read (other students' file names)
    "inotify_init": 253,
    "inotify_add_watch": 254,
    "inotify_rm_watch": 255,
    "inotify_init1": 294,
    "fanotify_init": 300,
    "fanotify_mark": 301,
}
_NR_CLONE, _NR_CLONE3, _NR_KILL, _NR_TGKILL = 56, 435, 62, 234
_RET_ALLOW = 0x7FFF0000
_RET_ERRNO = 0x00050000
_RET_KILL_PROCESS = 0x80000000
_LD_ABS, _JEQ, _JSET, _JGE, _RET = 0x20, 0x15, 0x45, 0x35, 0x06


def _seccomp_program(pid: int) -> list[tuple[int, str | None, str | None, int]]:
    """The filter as (code, jump-if-true label, jump-if-false label, k) before assembly."""
    prog: list[tuple] = [
        (_LD_ABS, None, None, 4),
        (_JEQ, None, "kill", _AUDIT_ARCH_X86_64),
        (_LD_ABS, None, None, 0),
        (_JGE, "eperm", None, 0x40000000),
    ]
    prog += [(_JEQ, "eperm", None, nr) for nr in sorted(_X86_64_DENY.values())]
    prog += [
        (_JEQ, "enosys", None, _NR_CLONE3),
        (_JEQ, "clone", None, _NR_CLONE),
        (_JEQ, "kill_check", None, _NR_KILL),
        (_JEQ, "tgkill_check", None, _NR_TGKILL),
        (_RET, None, None, _RET_ALLOW),
    ]
    # args[0] starts at offset 16 of struct seccomp_data; pids are ints: compare the low word
    prog += [("clone",), (_LD_ABS, None, None, 16), (_JSET, "allow", "eperm", _CLONE_THREAD)]
    # itself, its own group (0, or -pid: never -1, "every process", when it is pid 1 of a namespace)
    prog += [
        ("kill_check",),
        (_LD_ABS, None, None, 16),
        (_JEQ, "allow", None, pid),
        (_JEQ, "allow", "eperm", 0) if pid == 1 else (_JEQ, "allow", None, 0),
    ]
    if pid != 1:
        prog += [(_JEQ, "allow", "eperm", (-pid) & 0xFFFFFFFF)]
    prog += [("tgkill_check",), (_LD_ABS, None, None, 16), (_JEQ, "allow", "eperm", pid)]
    prog += [
        ("allow",),
        (_RET, None, None, _RET_ALLOW),
        ("eperm",),
        (_RET, None, None, _RET_ERRNO | errno.EPERM),
        ("enosys",),
        (_RET, None, None, _RET_ERRNO | errno.ENOSYS),
        ("kill",),
        (_RET, None, None, _RET_KILL_PROCESS),
    ]
    return prog


def _assemble(prog: list[tuple]) -> list[tuple[int, int, int, int]]:
    labels, position = {}, 0
    for item in prog:
        if len(item) == 1:
            labels[item[0]] = position
        else:
            position += 1
    out = []
    for item in prog:
        if len(item) == 1:
            continue
        code, jt, jf, k = item
        here = len(out)
        out.append((code, 0 if jt is None else labels[jt] - here - 1, 0 if jf is None else labels[jf] - here - 1, k))
    assert all(0 <= jt < 256 and 0 <= jf < 256 for _, jt, jf, _ in out)
    return out


def _seccomp() -> None:
    code = _assemble(_seccomp_program(os.getpid()))
    filters = (_SockFilter * len(code))(*[_SockFilter(c, jt, jf, k) for c, jt, jf, k in code])
    fprog = _SockFprog(len(code), ctypes.cast(filters, ctypes.POINTER(_SockFilter)))
    _check(_libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.addressof(fprog), 0, 0), "seccomp")


# --- PID namespace (the zygote is its pid 1: grader.sandbox.zygote) -------------------------

# --- mount namespace: a private, size-limited working folder; Python reachable without capabilities ----


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    def enc(text: str | None) -> bytes | None:
        return None if text is None else text.encode()

    _check(_libc.mount(enc(source), enc(target), enc(fstype), flags, enc(data)), f"mount({target})")


def _snapshot(root: str, limit: int = 64 << 20) -> list[tuple[str, bytes | None]]:
    """The grader's files in the working folder (relative path, bytes; None for a folder), read iteratively."""
    out: list[tuple[str, bytes | None]] = []
    todo, total = [""], 0
    while todo:
        rel = todo.pop()
        with os.scandir(os.path.join(root, rel)) as entries:
            for entry in entries:
                name = os.path.join(rel, entry.name)
                if entry.is_dir(follow_symlinks=False):
                    out.append((name, None))
                    todo.append(name)
                elif entry.is_file(follow_symlinks=False):
                    with open(entry.path, "rb") as fh:
                        data = fh.read(limit - total + 1)
                    total += len(data)
                    if total > limit:
                        raise OSError(errno.EFBIG, "the working folder's files are too large to copy")
                    out.append((name, data))
    return out


def _private_workdir(workdir: str, limits: dict, report: dict) -> None:
    """Mount a tmpfs of ``disk_bytes`` and ``disk_files`` over the working folder (in this mount namespace
    only) and copy the grader's files into it: what the student writes is bounded in total and disappears
    with the sandbox, whatever it does to the files' permissions."""
    files = _snapshot(workdir)
    size, inodes = int(limits.get("disk_bytes", 64 << 20)), int(limits.get("disk_files", 10_000))
    _mount(
        "convmath-sandbox",
        workdir,
        "tmpfs",
        _MS_NOSUID | _MS_NODEV,
        f"size={max(size, 4096)},nr_inodes={max(inodes, 16)},mode=0700",
    )
    for rel, data in files:
        path = os.path.join(workdir, rel)
        if data is None:
            os.makedirs(path, exist_ok=True)
        else:
            with open(path, "wb") as fh:
                fh.write(data)
    os.chdir(workdir)  # the old working directory is the folder underneath, now hidden
    report["private_workdir"] = True
    report["disk_bytes"], report["disk_files"] = size, inodes


def _blocking_ancestor(path: str) -> str | None:
    """The topmost folder above ``path`` that other users cannot search (e.g. ``/root``), or None."""
    parts = path.strip("/").split("/")
    for i in range(1, len(parts)):
        folder = "/" + "/".join(parts[:i])
        try:
            if not os.stat(folder).st_mode & stat.S_IXOTH:
                return folder
        except OSError:
            return None
    return None


def _expose(read_paths: list[str], workdir: str) -> list[str]:
    """Make the read paths reachable by a uid without capabilities, in this mount namespace only.

    A folder on the way that others cannot search (Python installed under a 0700 ``/root``) is covered
    by a read-only tmpfs of mode 0755 holding only the read paths under it, each bind-mounted read-only
    from the original: the rest of that folder is invisible. Returns the folders covered so.
    """
    groups: dict[str, list[str]] = {}
    for path in read_paths:
        top = _blocking_ancestor(path)
        if top is not None:
            groups.setdefault(top, []).append(path)
    covered = []
    for top, paths in sorted(groups.items()):
        if (workdir + "/").startswith(top + "/"):
            continue  # the working folder would be hidden too
        paths = [p for p in sorted(set(paths)) if not any(p != q and p.startswith(q + "/") for q in paths)]
        fds = [os.open(p, os.O_PATH | os.O_CLOEXEC) for p in paths]
        try:
            _mount("convmath-root", top, "tmpfs", _MS_NOSUID | _MS_NODEV, "size=1m,nr_inodes=4096,mode=0755")
        except OSError:
            for fd in fds:
                os.close(fd)
            raise
        try:
            for path, fd in zip(paths, fds):
                is_dir = stat.S_ISDIR(os.fstat(fd).st_mode)
                os.makedirs(path if is_dir else os.path.dirname(path), mode=0o755, exist_ok=True)
                if not is_dir:
                    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o644))
                _mount(f"/proc/self/fd/{fd}", path, None, _MS_BIND | _MS_REC)
                _mount(None, path, None, _MS_REMOUNT | _MS_BIND | _MS_RDONLY | _MS_NOSUID | _MS_NODEV)
            _mount(None, top, None, _MS_REMOUNT | _MS_RDONLY | _MS_NOSUID | _MS_NODEV, "mode=0755")
        except OSError:
            _libc.umount2(top.encode(), _MNT_DETACH)  # half a view would hide Python: back to the real folder
            raise
        finally:
            for fd in fds:
                os.close(fd)
        covered.append(top)
    return covered


_CAP_NAMES = (
    "chown",
    "dac_override",
    "dac_read_search",
    "fowner",
    "fsetid",
    "kill",
    "setgid",
    "setuid",
    "setpcap",
    "linux_immutable",
    "net_bind_service",
    "net_broadcast",
    "net_admin",
    "net_raw",
    "ipc_lock",
    "ipc_owner",
    "sys_module",
    "sys_rawio",
    "sys_chroot",
    "sys_ptrace",
    "sys_pacct",
    "sys_admin",
    "sys_boot",
    "sys_nice",
    "sys_resource",
    "sys_time",
    "sys_tty_config",
    "mknod",
    "lease",
    "audit_write",
    "audit_control",
    "setfcap",
    "mac_override",
    "mac_admin",
    "syslog",
    "wake_alarm",
    "block_suspend",
    "audit_read",
    "perfmon",
    "bpf",
    "checkpoint_restore",
)


def held_capabilities() -> dict[str, list[str]]:
    """The calling process's capability sets, by name, as ``/proc/self/status`` reports them.

    Keys are ``effective``, ``permitted``, ``inheritable``, ``ambient`` and ``bounding``.

    Examples
    --------
    >>> sorted(held_capabilities())
    ['ambient', 'bounding', 'effective', 'inheritable', 'permitted']
    """
    keys = {
        "CapEff": "effective",
        "CapPrm": "permitted",
        "CapInh": "inheritable",
        "CapAmb": "ambient",
        "CapBnd": "bounding",
    }
    out: dict[str, list[str]] = {name: [] for name in keys.values()}
    try:
        with open("/proc/self/status") as fh:
            lines = fh.read().splitlines()
    except OSError:
        return out
    for line in lines:
        key, _, value = line.partition(":")
        if key in keys:
            mask = int(value.strip(), 16)
            out[keys[key]] = [_CAP_NAMES[i] if i < len(_CAP_NAMES) else str(i) for i in range(64) if mask >> i & 1]
    return out


def _drop_all_capabilities() -> None:
    """Empty every capability set: bounding, ambient, inheritable, permitted, effective."""
    for cap in range(64):
        if _libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 and ctypes.get_errno() == errno.EINVAL:
            break
    _libc.prctl(_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    if _SYS_CAPSET is not None:
        header = _CapHeader(0x20080522, 0)
        data = (_CapData * 2)()
        _check(_libc.syscall(_SYS_CAPSET, ctypes.byref(header), ctypes.byref(data)), "capset")


# --- the same filter through libseccomp (architectures other than x86_64) ----------------------------


class _ArgCmp(ctypes.Structure):
    _fields_ = [
        ("arg", ctypes.c_uint),
        ("op", ctypes.c_int),
        ("datum_a", ctypes.c_uint64),
        ("datum_b", ctypes.c_uint64),
    ]


_CMP_NE, _CMP_MASKED_EQ = 1, 7


def seccomp_with_libseccomp(pid: int, library: str = "libseccomp.so.2") -> bool:
    """Load the sandbox's seccomp filter through libseccomp, by syscall name, for the running architecture.

    The same rules as the built-in x86_64 filter: every name of the deny list
    fails with ``EPERM`` (names the architecture lacks are skipped), ``clone``
    without ``CLONE_THREAD`` too, ``clone3`` with ``ENOSYS``, ``kill`` to any
    pid but itself (its own group too: libseccomp compares an argument once
    per rule), ``tgkill`` to another process. Loaded
    with ctypes from the system library (no Python package needed). Returns
    False when the library is missing; raises OSError when the kernel refuses.

    Examples
    --------
    A filter cannot be undone, so it is loaded in a separate interpreter;
    ``shmget`` then fails with ``EPERM``:

    >>> import subprocess, sys
    >>> code = ("import ctypes, os, errno\\n"
    ...         "from grader.sandbox.isolation import seccomp_with_libseccomp\\n"
    ...         "assert seccomp_with_libseccomp(os.getpid())\\n"
    ...         "libc = ctypes.CDLL(None, use_errno=True)\\n"
    ...         "print(libc.shmget(1, 4096, 0o1666), errno.errorcode[ctypes.get_errno()])\\n")
    >>> subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout
    '-1 EPERM\\n'
    """
    try:
        lib = ctypes.CDLL(library, use_errno=True)
    except OSError:
        return False
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_init.argtypes = [ctypes.c_uint32]
    lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
    lib.seccomp_rule_add_array.argtypes = [
        ctypes.c_void_p,
        ctypes.c_uint32,
        ctypes.c_int,
        ctypes.c_uint,
        ctypes.POINTER(_ArgCmp),
    ]
    lib.seccomp_load.argtypes = [ctypes.c_void_p]
    lib.seccomp_release.argtypes = [ctypes.c_void_p]
    ctx = lib.seccomp_init(_RET_ALLOW)
    if not ctx:
        raise OSError(errno.ENOMEM, "seccomp_init failed")
    eperm = _RET_ERRNO | errno.EPERM

    def rule(action: int, name: str, *cmps: tuple[int, int, int, int]) -> None:
        nr = lib.seccomp_syscall_resolve_name(name.encode())
        if nr < 0:
            return  # not a syscall of this architecture
        array = (_ArgCmp * max(len(cmps), 1))(*[_ArgCmp(*c) for c in cmps])
        result = lib.seccomp_rule_add_array(ctx, action, nr, len(cmps), array)
        if result < 0:
            raise OSError(-result, f"seccomp_rule_add({name}): {os.strerror(-result)}")

    try:
        for name in sorted(_X86_64_DENY):
            rule(eperm, name)
        for name in ("fork", "vfork", "execve", "execveat"):  # absent from the names above on some architectures
            if name not in _X86_64_DENY:
                rule(eperm, name)
        rule(_RET_ERRNO | errno.ENOSYS, "clone3")
        rule(eperm, "clone", (0, _CMP_MASKED_EQ, _CLONE_THREAD, 0))
        rule(eperm, "kill", (0, _CMP_NE, pid, 0))  # one comparison per argument: its own group is refused too
        rule(eperm, "tgkill", (0, _CMP_NE, pid, 0))
        result = lib.seccomp_load(ctx)
        if result < 0:
            raise OSError(-result, f"seccomp_load: {os.strerror(-result)}")
    finally:
        lib.seccomp_release(ctx)
    return True


# --- uid, capabilities --------------------------------------------------------------


def _chown_tree(root: str, uid: int, gid: int) -> None:
    os.chown(root, uid, gid, follow_symlinks=False)
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            os.chown(os.path.join(folder, name), uid, gid, follow_symlinks=False)


def _host_pid(in_namespace: bool) -> int:
    """This process's pid as the grader sees it (``/proc`` is still the host's in a new PID namespace)."""
    if in_namespace:
        try:
            return int(os.readlink("/proc/self"))
        except (OSError, ValueError):
            pass
    return os.getpid()


def _drop_root(workdir: str, keep_read_search: bool, pid: int) -> int:
    uid = UID_BASE + pid
    _chown_tree(workdir, uid, uid)
    for cap in range(64):
        if not (keep_read_search and cap == _CAP_DAC_READ_SEARCH):
            if _libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 and ctypes.get_errno() == errno.EINVAL:
                break
    _libc.prctl(_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    if keep_read_search:
        _check(_libc.prctl(_PR_SET_KEEPCAPS, 1, 0, 0, 0), "PR_SET_KEEPCAPS")
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    if _SYS_CAPSET is not None:  # inheritable survives setuid: empty it too
        header = _CapHeader(0x20080522, 0)
        data = (_CapData * 2)()
        if keep_read_search:
            data[0].effective = data[0].permitted = 1 << _CAP_DAC_READ_SEARCH
        _check(_libc.syscall(_SYS_CAPSET, ctypes.byref(header), ctypes.byref(data)), "capset")
    if keep_read_search:
        _libc.prctl(_PR_SET_KEEPCAPS, 0, 0, 0, 0)
    return uid


def _set_limit(which: int, soft: int, hard: int | None = None) -> None:
    hard = soft if hard is None else hard
    _, current_hard = resource.getrlimit(which)
    if current_hard != resource.RLIM_INFINITY:
        soft, hard = min(soft, current_hard), min(hard, current_hard)
    resource.setrlimit(which, (soft, hard))


#: protections that can be skipped on purpose (tests of the degraded paths, cost measurements)
PROTECTIONS = frozenset({"namespaces", "uid", "landlock", "seccomp"})


def apply_isolation(
    workdir: str,
    limits: dict,
    *,
    extra_read_paths: list[str] = (),
    disable: frozenset[str] = frozenset(),
    deny_read_paths: list[str] = (),
    pid_namespace: bool = False,
) -> dict:
    """Isolate the calling (single-threaded) process; return what was achieved.

    ``limits`` is :meth:`SandboxLimits.to_config`. The result has the fields of
    :class:`~grader.sandbox.limits.IsolationReport`. Protections named in
    ``disable`` are skipped and reported as warnings, like missing ones.
    ``pid_namespace`` says the caller runs in a PID namespace of its own (forked by a zygote that
    is pid 1 there): its uid then derives from its pid outside, reported as ``host_pid``.
    ``deny_read_paths`` (the files of forbidden modules, :func:`module_paths`)
    stay unreadable under Landlock even inside the Python installation, so a
    forbidden module cannot be loaded once student code removes the import hook.

    Examples
    --------
    Isolation cannot be undone, so it is applied in a separate interpreter.
    ``no_new_privs`` needs no privilege and is always achieved; seccomp,
    disabled on purpose, is reported as a warning:

    >>> import subprocess, sys, tempfile
    >>> code = ("import sys\\n"
    ...         "from grader.sandbox.isolation import apply_isolation\\n"
    ...         "from grader.sandbox.limits import SandboxLimits\\n"
    ...         "r = apply_isolation(sys.argv[1], SandboxLimits().to_config(), disable=frozenset({'seccomp'}))\\n"
    ...         "print(r['no_new_privs'], r['seccomp'], 'seccomp disabled on purpose' in r['warnings'])\\n")
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     print(subprocess.run([sys.executable, "-c", code, tmp], capture_output=True, text=True).stdout, end="")
    True False True
    """
    warnings: list[str] = []
    report: dict = {
        "landlock_abi": 0,
        "landlock": False,
        "landlock_net": False,
        "landlock_scoped": False,
        "user_namespace": False,
        "net_namespace": False,
        "uid": os.getuid(),
        "dropped_uid": False,
        "no_new_privs": False,
        "seccomp": False,
        "ipc_namespace": False,
        "mount_namespace": False,
        "pid_namespace": pid_namespace,
        "private_workdir": False,
        "disk_bytes": 0,
        "disk_files": 0,
        "exposed": [],
        "capabilities": [],
    }
    workdir = os.path.realpath(workdir)
    is_root = os.geteuid() == 0
    abi = landlock_abi()
    report["landlock_abi"] = abi
    read_paths = _read_paths(workdir, list(extra_read_paths))

    # 1. namespaces: an empty network namespace (no loopback, nothing reachable), its own System V IPC
    #    (objects die with it), and its own mounts (a size-limited tmpfs as working folder)
    if "namespaces" in disable:
        warnings.append("no network namespace (disabled on purpose)")
        warnings.append("no IPC or mount namespace (disabled on purpose): System V IPC is refused only by seccomp")
    else:
        base = _CLONE_NEWNET if is_root else _CLONE_NEWUSER | _CLONE_NEWNET
        for extra in ((_CLONE_NEWIPC | _CLONE_NEWNS) if is_root else _CLONE_NEWIPC, _CLONE_NEWIPC, 0):
            if _libc.unshare(base | extra) == 0:
                report["net_namespace"] = True
                report["user_namespace"] = not is_root
                report["ipc_namespace"] = bool(extra & _CLONE_NEWIPC)
                report["mount_namespace"] = bool(extra & _CLONE_NEWNS)
                break
        else:
            warnings.append(
                f"no network namespace (unshare: {os.strerror(ctypes.get_errno())}); "
                "network access is limited only by Landlock and seccomp"
            )
        if report["net_namespace"] and not report["ipc_namespace"]:
            warnings.append("no IPC namespace: System V IPC is refused only by seccomp")
    private_mounts = False  # mounts made below must never propagate to the grader's namespace
    if report["mount_namespace"]:
        try:
            _mount(None, "/", None, _MS_REC | _MS_PRIVATE)
            private_mounts = True
            _private_workdir(workdir, limits, report)
        except OSError as err:
            warnings.append(f"the working folder is not a private tmpfs ({err})")
    if not pid_namespace:
        warnings.append(
            "no PID namespace (a fresh interpreter, or the kernel refused it): the sandbox sees "
            "host pids; seccomp still limits kill to itself"
        )
    if not report["private_workdir"]:
        warnings.append(
            "the working folder's total size and file count are not bounded (no private tmpfs: "
            "needs a mount namespace); only each file's size is (RLIMIT_FSIZE)"
        )
    if not is_root and report["user_namespace"]:
        try:  # the user namespace gave this process every capability inside it: give them up
            _drop_all_capabilities()
        except OSError as err:
            warnings.append(f"capabilities of the user namespace could not be dropped ({err})")

    # 2. root -> a uid of its own, with no capability at all
    if is_root and "uid" in disable:
        warnings.append("student code runs as ROOT (uid switch disabled on purpose)")
    elif is_root:
        if private_mounts:
            try:
                report["exposed"] = _expose([p for p in read_paths if not p.startswith("/dev/")], workdir)
            except OSError as err:
                warnings.append(f"the Python installation could not be made readable without privilege ({err})")
        need_cap = not all(_readable_by_others(path) for path in read_paths if not path.startswith("/dev/"))
        if need_cap and abi < 1:
            warnings.append(
                "student code runs as ROOT: Python is not readable by other users and Landlock "
                "is unavailable to bound a read capability; run the grader as an unprivileged "
                "user or in a container (see SECURITY.md)"
            )
        else:
            try:
                report["uid"] = _drop_root(workdir, keep_read_search=need_cap, pid=_host_pid(pid_namespace))
                report["dropped_uid"] = True
            except OSError as err:
                warnings.append(f"student code runs as ROOT: could not switch to an unprivileged uid ({err})")
            if need_cap and report["dropped_uid"]:
                warnings.append(
                    "the sandbox keeps CAP_DAC_READ_SEARCH (bounded by Landlock) because Python is "
                    "not readable by other users and no mount namespace could expose it"
                )
    # not dumpable: other processes of the same uid cannot ptrace or read /proc/<pid>/mem
    _libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)

    # 3. no new privileges (required by Landlock and seccomp without CAP_SYS_ADMIN)
    if _libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0:
        report["no_new_privs"] = True
    else:
        warnings.append("PR_SET_NO_NEW_PRIVS failed; Landlock and seccomp are not applied")

    # 4. Landlock
    if "landlock" in disable:
        warnings.append("Landlock disabled on purpose: files are not restricted")
    elif abi < 1:
        warnings.append(
            "Landlock is unavailable (kernel < 5.13 or disabled): student code can read every "
            "file its uid can read and write where its uid may write"
        )
    elif report["no_new_privs"]:
        try:
            _landlock(abi, workdir, read_paths, report, list(deny_read_paths))
        except OSError as err:
            warnings.append(f"Landlock could not be applied ({err}); files are not restricted")
        if report["landlock"] and abi < 4:
            warnings.append(f"Landlock ABI {abi} < 4 cannot deny TCP; only the network namespace does")
        if report["landlock"] and abi < 6:
            warnings.append(f"Landlock ABI {abi} < 6 cannot scope signals; only the uid switch and seccomp do")

    if deny_read_paths and not report["landlock"]:
        warnings.append(
            "forbidden modules are refused only by an import hook, which student code can remove "
            "(Landlock, which keeps their files unreadable, is not applied)"
        )

    # 5. seccomp
    if "seccomp" in disable:
        warnings.append("seccomp disabled on purpose")
    elif os.uname().machine != "x86_64" and report["no_new_privs"]:
        try:  # the hand-assembled filter knows x86_64 only: libseccomp resolves the same names elsewhere
            report["seccomp"] = seccomp_with_libseccomp(os.getpid())
        except OSError as err:
            warnings.append(f"seccomp filter refused ({err}); new processes are limited by RLIMIT_NPROC only")
        if not report["seccomp"]:
            warnings.append(
                f"no seccomp filter on {os.uname().machine} (the built-in filter covers x86_64 only "
                "and libseccomp.so.2 was not found); new processes are limited by RLIMIT_NPROC only"
            )
    elif report["no_new_privs"]:
        try:
            _seccomp()
            report["seccomp"] = True
        except OSError as err:
            warnings.append(f"seccomp filter refused ({err}); new processes are limited by RLIMIT_NPROC only")

    # 6. rlimits
    cpu = max(1, int(-(-limits["cpu_seconds"] // 1)))
    _set_limit(resource.RLIMIT_CORE, 0)
    _set_limit(resource.RLIMIT_CPU, cpu, cpu + 1)
    _set_limit(resource.RLIMIT_FSIZE, limits["file_size_bytes"])
    _set_limit(resource.RLIMIT_NOFILE, limits["open_files"])
    if report["dropped_uid"]:
        _set_limit(resource.RLIMIT_NPROC, limits["max_threads"])
    elif not report["seccomp"]:
        if is_root:
            warnings.append("student code runs as root without seccomp: nothing stops it from forking")
        else:
            _set_limit(resource.RLIMIT_NPROC, 0)
            warnings.append("no seccomp: RLIMIT_NPROC=0 stops new processes but also new threads")
    _set_limit(resource.RLIMIT_AS, limits["memory_bytes"])
    report["uid"] = os.getuid() if not report["user_namespace"] else report["uid"]
    report["host_pid"] = _host_pid(pid_namespace)
    caps = held_capabilities()
    report["capabilities"] = sorted(set(caps["effective"] + caps["permitted"] + caps["inheritable"] + caps["ambient"]))
    if report["capabilities"]:
        warnings.append(f"student code keeps capabilities: {', '.join(report['capabilities'])}")
    report["warnings"] = warnings
    return report
