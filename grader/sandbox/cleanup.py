"""Remove what sandboxes leave on disk, whatever a submission did to it.

A working folder may hold folders nested thousands deep, folders of mode
000, many thousands of files and symbolic links pointing anywhere. Removal is
iterative (no recursion, so no ``RecursionError``), holds at most two
descriptors at a time (no ``EMFILE`` however deep the chain), never follows a
symbolic link, and gives each folder back its owner's permissions before
entering it. Nested folders are first moved up to the top folder (a rename
within one file system), so depth costs nothing.

Sandboxes create their working folders under :func:`sandbox_root`: a batch
points that at a folder of its own (``CONVMATH_SANDBOX_ROOT``) and removes
the whole folder when it ends (:func:`sweep`), which also catches what a
grading worker killed at a deadline could not clean up.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile

__all__ = ["remove_tree", "sandbox_root", "sweep", "ROOT_VARIABLE"]

#: environment variable naming the folder under which sandboxes create their working folders
ROOT_VARIABLE = "CONVMATH_SANDBOX_ROOT"

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def sandbox_root() -> str:
    """The folder sandboxes create their working folders in: ``$CONVMATH_SANDBOX_ROOT`` if it is a folder,
    else the system's temporary folder.

    Examples
    --------
    >>> import os, tempfile
    >>> os.environ.pop(ROOT_VARIABLE, None) and None
    >>> sandbox_root() == tempfile.gettempdir()
    True
    """
    root = os.environ.get(ROOT_VARIABLE, "")
    return root if root and os.path.isdir(root) else tempfile.gettempdir()


def _open_dir(name: str, dir_fd: int | None) -> int:
    """Open a folder without following links; give it back rwx for its owner if it was taken away."""
    try:
        fd = os.open(name, _DIR_FLAGS, dir_fd=dir_fd)
    except PermissionError:
        os.chmod(name, 0o700, dir_fd=dir_fd, follow_symlinks=False)
        return os.open(name, _DIR_FLAGS, dir_fd=dir_fd)
    if os.fstat(fd).st_mode & 0o700 != 0o700:  # readable but not writable: its entries could not go
        os.fchmod(fd, 0o700)
    return fd


def _is_dir(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


def remove_tree(path: str) -> bool:
    """Delete ``path`` and everything under it; return True when nothing is left.

    Never raises for what a submission did to the folder (deep nesting,
    modes of 000, many files); a path that does not exist counts as removed.
    A symbolic link is removed, never followed.

    Examples
    --------
    A chain 2,000 folders deep whose innermost folder has mode 000:

    >>> import os, tempfile
    >>> top = tempfile.mkdtemp()
    >>> fd = os.open(top, os.O_RDONLY)
    >>> for _ in range(2000):
    ...     os.mkdir("d", dir_fd=fd)
    ...     inner = os.open("d", os.O_RDONLY, dir_fd=fd)
    ...     os.close(fd)
    ...     fd = inner
    >>> os.chmod(fd, 0)
    >>> os.close(fd)
    >>> remove_tree(top), os.path.exists(top)
    (True, False)
    """
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return True
    except OSError:
        return False
    if not stat.S_ISDIR(st.st_mode):
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        except OSError:
            return False
        return True
    parent, name = os.path.split(os.path.abspath(path))
    try:
        parent_fd = os.open(parent, _DIR_FLAGS)
    except OSError:
        return False
    try:
        top = _open_dir(name, parent_fd)
        try:
            _empty(top)
        finally:
            os.close(top)
        os.rmdir(name, dir_fd=parent_fd)
    except FileNotFoundError:
        pass
    except OSError:
        return False
    finally:
        os.close(parent_fd)
    return True


def _empty(top: int) -> None:
    """Empty the folder open as ``top``: files go at once, nested folders are moved up into ``top``."""
    counter = 0
    while True:
        pending = []
        with os.scandir(top) as entries:
            for entry in entries:
                if _is_dir(entry):
                    pending.append(entry.name)
                else:
                    _unlink(entry.name, top)
        if not pending:
            return
        for name in pending:
            try:
                fd = _open_dir(name, top)
            except FileNotFoundError:
                continue
            try:
                with os.scandir(fd) as entries:
                    inner = [(e.name, _is_dir(e)) for e in entries]
                for child, is_dir in inner:
                    if not is_dir:
                        _unlink(child, fd)
                        continue
                    # moving a folder to another parent rewrites its "..": it needs write permission
                    os.chmod(child, 0o700, dir_fd=fd, follow_symlinks=False)
                    while True:
                        counter += 1
                        target = f".convmath-rm-{counter}"
                        try:
                            os.rename(child, target, src_dir_fd=fd, dst_dir_fd=top)
                            break
                        except OSError as err:
                            if err.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                                raise
            finally:
                os.close(fd)
            os.rmdir(name, dir_fd=top)


def _unlink(name: str, dir_fd: int) -> None:
    try:
        os.unlink(name, dir_fd=dir_fd)
    except FileNotFoundError:
        pass


def sweep(root: str) -> bool:
    """Remove ``root`` (a batch's folder of sandbox working folders) and everything in it.

    Examples
    --------
    >>> import os, tempfile
    >>> root = tempfile.mkdtemp()
    >>> os.makedirs(os.path.join(root, "convmath-sandbox-x", "a", "b"))
    >>> sweep(root), os.path.exists(root)
    (True, False)
    """
    return remove_tree(root)
