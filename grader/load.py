"""Load a submitted notebook: size limit, decoding, JSON, nbformat version, structure.

Everything here reads bytes, never a path: a worker (possibly on another
machine) receives the submission's bytes and its file name. A file that
cannot be graded raises :class:`SubmissionError` with a reason the student
can act on; anything merely odd (an older format, bytes that are not UTF-8,
schema deviations Jupyter tolerates) becomes a note and grading goes on.

Outputs and attachments are dropped as soon as the JSON is parsed: nothing a
student's kernel printed is ever trusted, and they can be huge.

Examples
--------
>>> import json
>>> nb = {"nbformat": 4, "nbformat_minor": 2, "metadata": {"convmath": {"student": "bob"}},
...       "cells": [{"cell_type": "code", "source": ["x = 1\\n", "y = 2"], "metadata": {},
...                  "outputs": [{"output_type": "stream", "name": "stdout", "text": "big"}],
...                  "execution_count": 3}]}
>>> loaded = load_notebook(json.dumps(nb).encode())
>>> loaded.cells[0].source
'x = 1\\ny = 2'
>>> loaded.version, loaded.meta_student
('4.2', 'bob')
>>> load_notebook(b'{"cells": [')
Traceback (most recent call last):
...
grader.load.SubmissionError: the file is not valid JSON (truncated or edited by hand?):
Expecting value: line 1 column 12
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from convmath.errors import ConvMathError

__all__ = [
    "SubmissionError",
    "Cell",
    "LoadedNotebook",
    "Identity",
    "load_notebook",
    "identify",
    "named_student",
    "content_hash",
    "MAX_BYTES",
    "MAX_CELLS",
    "RESERVED_NAMES",
]

#: Default size limit of a submitted file, checked before parsing.
MAX_BYTES = 20 * 1024 * 1024
#: Default limit on the number of cells.
MAX_CELLS = 2000
#: Export names a student id may never take (compared case-insensitively: some
#: file systems are). The exports write ``OUT/<student>/``, next to these.
RESERVED_NAMES = frozenset({"grades.csv", "grades.json", "identified.csv"})
#: Student ids: as in :data:`exercises.assignment.SAFE_ID` (safe file names).
_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_CELL_TYPES = ("code", "markdown", "raw")


class SubmissionError(ConvMathError):
    """A submission that cannot be graded; the message is the reason shown to the student."""


@dataclass(frozen=True)
class Cell:
    """One cell of a loaded notebook (outputs and attachments dropped)."""

    index: int
    """Position in the notebook, from 0."""

    cell_type: str
    """``code``, ``markdown`` or ``raw``."""

    source: str
    """The cell's text."""

    id: str
    """The cell id (``""`` when the notebook has none)."""

    tags: tuple[str, ...]
    """Cell tags (only strings kept)."""

    convmath: Mapping[str, str] | None
    """``metadata["convmath"]`` with its string values, or ``None`` when absent."""


@dataclass(frozen=True)
class LoadedNotebook:
    """A parsed, upgraded, checked notebook."""

    version: str
    """The nbformat version the file was written in, e.g. ``"4.5"``."""

    cells: tuple[Cell, ...]
    """The cells in order."""

    meta: Mapping[str, str]
    """Notebook-level ``metadata["convmath"]`` (string values only; ``{}`` when absent)."""

    notes: tuple[str, ...]
    """What was odd but tolerated (upgrades, replaced bytes, schema deviations)."""

    @property
    def meta_student(self) -> str | None:
        """The student id the notebook's metadata names, if any."""
        return self.meta.get("student")


@dataclass(frozen=True)
class Identity:
    """Whose submission this is, and how we know."""

    student: str
    """The student id."""

    how: str
    """``"file name"`` or ``"notebook metadata"``."""

    flags: tuple[str, ...] = ()
    """Disagreements between the file name and the metadata."""


def content_hash(data: bytes) -> str:
    """SHA-256 of the submitted bytes, hex.

    Examples
    --------
    The well-known digest of the empty file (64 hex digits in all):

    >>> content_hash(b"")[:12]
    'e3b0c44298fc'
    """
    return hashlib.sha256(data).hexdigest()


def _decode(data: bytes, notes: list[str]) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        notes.append(
            f"the file is not valid UTF-8 (byte 0x{data[err.start]:02x} at offset {err.start}); "
            "undecodable bytes were replaced by U+FFFD"
        )
        return data.decode("utf-8", errors="replace")


def _strings(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        return {}
    return {str(k): v for k, v in value.items() if isinstance(v, str)}


def _source(raw: Any, where: str) -> str:
    if isinstance(raw, str):
        return raw
    if isinstance(raw, list) and all(isinstance(line, str) for line in raw):
        return "".join(raw)
    raise SubmissionError(f"{where} has a source that is neither text nor a list of lines")


def _upgrade(nb: dict[str, Any], notes: list[str]) -> dict[str, Any]:
    major, minor = nb.get("nbformat"), nb.get("nbformat_minor", 0)
    if isinstance(major, bool) or not isinstance(major, int) or isinstance(minor, bool) or not isinstance(minor, int):
        raise SubmissionError(
            f"nbformat={major!r} (minor {minor!r}) is not a notebook version; save the notebook with Jupyter"
        )
    if major == 4:
        if minor > 5:
            notes.append(f"nbformat 4.{minor} is newer than this grader knows (4.5); it was read as 4.5")
        elif minor < 5:
            notes.append(f"nbformat 4.{minor} was upgraded to 4.5")
        return nb
    if major == 3:
        import nbformat

        try:
            upgraded = nbformat.convert(nbformat.from_dict(nb), 4)
        except Exception as err:  # nbformat raises many types on malformed v3 input
            raise SubmissionError(f"this nbformat 3 notebook cannot be upgraded to nbformat 4: {err}") from None
        notes.append("nbformat 3 was upgraded to 4.5; re-save the notebook with a current Jupyter")
        return dict(upgraded)
    raise SubmissionError(
        f"nbformat {major}.{minor} is not supported (this grader reads 3 and 4); save the notebook with Jupyter 4.x"
    )


def load_notebook(data: bytes, *, max_bytes: int = MAX_BYTES, max_cells: int = MAX_CELLS) -> LoadedNotebook:
    """Parse submitted bytes into a :class:`LoadedNotebook`.

    Parameters
    ----------
    data
        The file's bytes.
    max_bytes
        Files larger than this are refused before parsing.
    max_cells
        Notebooks with more cells are refused.

    Returns
    -------
    LoadedNotebook

    Raises
    ------
    SubmissionError
        Too large, not JSON, not a notebook, an unsupported nbformat, cells
        without a type or source.

    Notes
    -----
    Accepted with a note: a byte-order mark, bytes that are not UTF-8
    (replaced), nbformat 3 (upgraded), 4.0-4.4 (upgraded), 4.6+ (read as
    4.5). Outputs, execution counts and attachments are dropped.

    Examples
    --------
    An nbformat 4.4 notebook with one code cell is upgraded (with a note);
    a file that is not JSON is refused:

    >>> nb = load_notebook(b'{"nbformat": 4, "nbformat_minor": 4, "metadata": {}, '
    ...                    b'"cells": [{"cell_type": "code", "source": ["x = ", "1"], "metadata": {}}]}')
    >>> nb.cells[0].source, nb.notes
    ('x = 1', ('nbformat 4.4 was upgraded to 4.5',))
    >>> load_notebook(b"hello")
    Traceback (most recent call last):
    grader.load.SubmissionError: the file is not valid JSON (truncated or edited by hand?):
    Expecting value: line 1 column 1
    """
    if len(data) > max_bytes:
        raise SubmissionError(
            f"the file is {len(data) / 2**20:.1f} MB; the limit is {max_bytes / 2**20:.0f} MB "
            "(clear the outputs: Kernel > Restart & Clear Output, save, and hand it in again)"
        )
    notes: list[str] = []
    text = _decode(data, notes)
    try:
        nb = json.loads(text)
    except json.JSONDecodeError as err:
        raise SubmissionError(
            f"the file is not valid JSON (truncated or edited by hand?): {err.msg}: "
            f"line {err.lineno} column {err.colno}"
        ) from None
    except (RecursionError, ValueError) as err:
        raise SubmissionError(f"the file is not a readable notebook: {type(err).__name__}: {err}") from None
    if not isinstance(nb, dict) or "nbformat" not in nb:
        raise SubmissionError("the file is JSON but not a Jupyter notebook (it has no 'nbformat' field)")
    nb = _upgrade(nb, notes)
    raw_cells = nb.get("cells")
    if not isinstance(raw_cells, list):
        raise SubmissionError("the notebook has no list of cells")
    if len(raw_cells) > max_cells:
        raise SubmissionError(f"the notebook has {len(raw_cells)} cells; the limit is {max_cells}")
    cells = []
    for index, raw in enumerate(raw_cells):
        where = f"cell {index + 1}"
        if not isinstance(raw, dict) or raw.get("cell_type") not in _CELL_TYPES:
            raise SubmissionError(f"{where} is not a code, markdown or raw cell")
        metadata = raw.get("metadata") if isinstance(raw.get("metadata"), dict) else {}
        tags = metadata.get("tags") if isinstance(metadata.get("tags"), list) else []
        convmath = metadata.get("convmath")
        cells.append(
            Cell(
                index=index,
                cell_type=raw["cell_type"],
                source=_source(raw.get("source", ""), where),
                id=raw["id"] if isinstance(raw.get("id"), str) else "",
                tags=tuple(t for t in tags if isinstance(t, str)),
                convmath=_strings(convmath) if isinstance(convmath, dict) else None,
            )
        )
    metadata = nb.get("metadata") if isinstance(nb.get("metadata"), dict) else {}
    version = str(metadata.get("orig_nbformat", nb["nbformat"]))
    if version == "4":
        version = f"4.{nb.get('nbformat_minor', 0)}"
    return LoadedNotebook(
        version=version, cells=tuple(cells), meta=_strings(metadata.get("convmath")), notes=tuple(notes)
    )


def named_student(source: str, *, roster: Collection[str] | None = None) -> str | None:
    """The student a file is named for (``<student_id>.ipynb``), or ``None``.

    This is the identification that :func:`identify` trusts most: a file named
    for a student is theirs, whatever its metadata says, and a file that names
    a student only in its metadata never replaces it (see :mod:`grader.batch`).

    Parameters
    ----------
    source
        The submitted file's name (folders are ignored).
    roster
        Known student ids; when given, the name must be in it.

    Returns
    -------
    str or None
        The student id, or ``None`` when the name is not a (known) student id.

    A name that is an export's (``grades.json.ipynb``) names no one.

    Examples
    --------
    >>> named_student("subs/s002.ipynb"), named_student("notebook (1).ipynb"), named_student("grades.json.ipynb")
    ('s002', None, None)
    >>> named_student("s002.ipynb", roster={"s001"}) is None
    True
    """
    stem = PurePath(source).name
    stem = stem[: -len(".ipynb")] if stem.lower().endswith(".ipynb") else stem
    if stem and _SAFE_ID.fullmatch(stem) and stem.lower() not in RESERVED_NAMES and (roster is None or stem in roster):
        return stem
    return None


def identify(
    source: str,
    meta_student: str | None,
    *,
    roster: Collection[str] | None = None,
) -> Identity:
    """Decide whose submission a file is: by its name ``<student_id>.ipynb``, else its metadata.

    Parameters
    ----------
    source
        The submitted file's name (folders are ignored).
    meta_student
        ``metadata["convmath"]["student"]`` of the notebook, if readable.
    roster
        Known student ids; when given, an id must be in it.

    Returns
    -------
    Identity

    Raises
    ------
    SubmissionError
        Neither the file name nor the metadata names a (known) student.

    Notes
    -----
    The file name is the stronger claim: metadata travels with a copied
    notebook, so a file identified only by its metadata never replaces a
    grade that came from a file named for the student (the gradebook's
    current submission and the batch both apply this order).

    Examples
    --------
    >>> identify("subs/alice.ipynb", "alice")
    Identity(student='alice', how='file name', flags=())
    >>> identify("notebook (1).ipynb", "bob").how
    'notebook metadata'
    >>> identify("alice.ipynb", "bob").flags[0]
    "the notebook was generated for student 'bob' but submitted as 'alice': it is graded against alice's exercises"
    """
    stem = named_student(source, roster=roster)
    if stem is not None:
        flags: tuple[str, ...] = ()
        if meta_student is not None and meta_student != stem:
            flags = (
                f"the notebook was generated for student {meta_student!r} but submitted as {stem!r}: "
                f"it is graded against {stem}'s exercises",
            )
        return Identity(stem, "file name", flags)
    if (
        meta_student
        and _SAFE_ID.fullmatch(meta_student)
        and meta_student.lower() not in RESERVED_NAMES
        and (roster is None or meta_student in roster)
    ):
        return Identity(meta_student, "notebook metadata")
    where = " on the roster" if roster is not None else ""
    raise SubmissionError(
        f"cannot tell whose notebook {PurePath(source).name!r} is: neither its file name nor its metadata "
        f"names a student{where}; name it <student_id>.ipynb"
    )
