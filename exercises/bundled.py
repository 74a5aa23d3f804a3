"""The bundled example: an assignment, a roster and a course secret, shipped inside the package.

The files live in the source tree's ``examples/`` folder and are installed as
package data (``exercises/examples/``), so ``convmath demo`` and
``convmath examples DIR`` work the same from a source checkout and from a
wheel. Copy them out with :func:`copy_examples` (``convmath examples DIR``)
to edit them: never edit the installed copy.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from convmath.errors import ConvMathError

__all__ = ["examples_dir", "copy_examples", "EXAMPLE_FILES"]

#: The files every copy of convmath ships (more, such as question files, may sit beside them).
EXAMPLE_FILES = ("assignment.toml", "roster.csv", "secret.txt")


def examples_dir() -> Path:
    """The folder of the bundled example (``assignment.toml``, ``roster.csv``, ``secret.txt``).

    Returns
    -------
    pathlib.Path
        ``examples/`` of a source checkout, or the installed package data.

    Raises
    ------
    ConvMathError
        When this copy of convmath was installed without its package data.

    Examples
    --------
    >>> sorted(p.name for p in examples_dir().iterdir() if p.name in EXAMPLE_FILES)
    ['assignment.toml', 'roster.csv', 'secret.txt']
    """
    folder = Path(__file__).resolve().parent / "examples"
    if all((folder / name).is_file() for name in EXAMPLE_FILES):
        return folder
    raise ConvMathError(
        f"the bundled examples ({', '.join(EXAMPLE_FILES)}) are missing from {folder}: "
        "reinstall convmath from a wheel or a source checkout"
    )


def copy_examples(dest: str | Path, *, overwrite: bool = False) -> list[Path]:
    """Copy the bundled example files (and sub-folders) into ``dest``; return the files written.

    Parameters
    ----------
    dest : str or pathlib.Path
        Destination folder, created if missing.
    overwrite : bool, optional
        Replace files that already exist in ``dest`` (default: refuse, so an
        edited assignment is never lost).

    Returns
    -------
    list of pathlib.Path
        The files written, sorted.

    Raises
    ------
    ConvMathError
        When a file to write already exists and ``overwrite`` is false, or
        ``dest`` is a file.

    Examples
    --------
    >>> import tempfile
    >>> dest = Path(tempfile.mkdtemp()) / "week3"
    >>> [p.name for p in copy_examples(dest) if p.name in EXAMPLE_FILES]
    ['assignment.toml', 'roster.csv', 'secret.txt']
    >>> copy_examples(dest)
    Traceback (most recent call last):
    ...
    convmath.errors.ConvMathError: dest=.../week3 already holds assignment.toml, ...: choose an empty folder, ...
    >>> len(copy_examples(dest, overwrite=True)) >= 3
    True
    """
    source, dest = examples_dir(), Path(dest)
    if dest.exists() and not dest.is_dir():
        raise ConvMathError(f"dest={dest} is an existing file: give a folder")
    files = sorted(p for p in source.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    targets = [dest / p.relative_to(source) for p in files]
    clash = [t for t in targets if t.exists()]
    if clash and not overwrite:
        names = ", ".join(t.relative_to(dest).as_posix() for t in clash[:3])
        raise ConvMathError(f"dest={dest} already holds {names}: choose an empty folder, or overwrite (--force)")
    for src, target in zip(files, targets):
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, target)
    return targets
