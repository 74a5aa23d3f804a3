r"""File names as learning platforms write them, and names kept losslessly as text.

Canvas, Moodle and Gradescope each name a bulk download their own way; this
module splits those names (no file is read here: see :mod:`grader.identify`).
A name that is not valid UTF-8 is carried as text by :func:`name_text`,
which :func:`name_bytes` inverts exactly.

Examples
--------
>>> canvas_parts("smithjohn_late_4242_99001_week3-1.ipynb")
('smithjohn', True, '4242', '99001', 'week3.ipynb')
>>> loose_student("s005 (2).ipynb"), loose_student("s005.ipynb")
('s005', None)
>>> name_bytes(name_text(b"caf\xe9.ipynb")) == b"caf\xe9.ipynb"
True
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import PurePosixPath

from .load import named_student

__all__ = [
    "canvas_parts",
    "loose_student",
    "moodle_parts",
    "name_bytes",
    "name_text",
    "parse_gradescope_metadata",
]

_CANVAS = re.compile(
    r"(?:(?P<name>\w+?)_)??(?:(?P<late>late)_)?(?P<user>\d+)_(?P<file>\d+)_(?P<orig>.+)", re.IGNORECASE
)
_CANVAS_RESUBMIT = re.compile(r"(?P<stem>.+)-(?P<n>\d+)(?P<ext>\.[^.]+)$")
_MOODLE = re.compile(r"(?P<name>.+)_(?P<id>\d+)_assignsubmission_(?P<plugin>file|onlinetext)_(?P<rest>.*)", re.DOTALL)
#: Copy decorations that browsers, file managers and platforms add to a name.
_LOOSE = (
    re.compile(r"(?P<id>.+?) ?\(\d+\)"),  # s005 (2)
    re.compile(r"(?P<id>.+?)[-_ ]\d{1,2}"),  # s005-1, s005_2
    re.compile(r"(?P<id>.+?)[-_ ]?(?:copy|kopie|副本)(?: ?\d+)?", re.IGNORECASE),  # s005 copy, s005-副本
    re.compile(r"(?:copy of|kopie von) (?P<id>.+)", re.IGNORECASE),  # Copy of s005
)


# -- names ----------------------------------------------------------------------


def name_text(raw: bytes | str) -> str:
    r"""A file name as text that is valid UTF-8 and maps back to the exact bytes.

    A name that is valid UTF-8 and holds no backslash is kept as it is.
    Otherwise each backslash is doubled and each byte that is not valid UTF-8
    is written ``\xNN``; :func:`name_bytes` inverts this. (A ``str`` from
    :mod:`os` carries undecodable bytes as ``surrogateescape`` code points.)

    Parameters
    ----------
    raw
        The name as bytes, or as a ``str`` from :mod:`os`.

    Returns
    -------
    str

    Examples
    --------
    >>> name_text(b"s001.ipynb"), name_text(b"\xd6\xd0\xce\xc4.ipynb")
    ('s001.ipynb', '\\xd6\\xd0\\xce\\xc4.ipynb')
    >>> name_text("a\\b.ipynb")
    'a\\\\b.ipynb'
    """
    data = os.fsencode(raw) if isinstance(raw, str) else bytes(raw)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None and "\\" not in text:
        return text
    out: list[str] = []
    rest = data
    while rest:
        try:
            out.append(rest.decode("utf-8").replace("\\", "\\\\"))
            break
        except UnicodeDecodeError as err:
            out.append(rest[: err.start].decode("utf-8").replace("\\", "\\\\"))
            out.extend(f"\\x{b:02x}" for b in rest[err.start : err.end])
            rest = rest[err.end :]
    return "".join(out)


_UNESCAPE = re.compile(r"\\(\\|x[0-9a-f]{2})")


def name_bytes(text: str) -> bytes:
    r"""The exact bytes of a name written by :func:`name_text`.

    Examples
    --------
    >>> name_bytes("s001.ipynb"), name_bytes("\\xff.ipynb"), name_bytes("a\\\\b")
    (b's001.ipynb', b'\xff.ipynb', b'a\\b')
    """
    if "\\" not in text:
        return text.encode("utf-8")
    out = bytearray()
    pos = 0
    for match in _UNESCAPE.finditer(text):
        out += text[pos : match.start()].encode("utf-8")
        token = match.group(1)
        out += b"\\" if token == "\\" else bytes([int(token[1:], 16)])
        pos = match.end()
    out += text[pos:].encode("utf-8")
    return bytes(out)


def _stem(name: str) -> str:
    base = PurePosixPath(name).name
    return base[: -len(".ipynb")] if base.lower().endswith(".ipynb") else base


def loose_student(name: str, *, roster: Iterable[str] | None = None) -> str | None:
    """The student id a name only *looks* like, behind a copy decoration (``s005 (2).ipynb``).

    Such a name is never trusted alone: the batch accepts it only when the
    notebook's metadata names the same student, and flags it otherwise.

    Parameters
    ----------
    name
        The file name.
    roster
        Known ids; when given, the id must be one of them.

    Returns
    -------
    str or None
        ``None`` for an exact ``<id>.ipynb`` (that is :func:`grader.load.named_student`'s)
        and for names that look like no id.

    Examples
    --------
    Without a roster ``s005-1`` is itself a valid id; with one it is a copy of s005's:

    >>> names = ["s005 (2).ipynb", "s005-1.ipynb", "Copy of s005.ipynb", "s005.ipynb"]
    >>> [loose_student(n) for n in names], [loose_student(n, roster={"s005"}) for n in names]
    (['s005', None, 's005', None], ['s005', 's005', 's005', None])
    >>> loose_student("s009 (1).ipynb", roster={"s001"}) is None
    True
    """
    known = None if roster is None else set(roster)
    stem = _stem(name)
    if named_student(name, roster=known) is not None:
        return None
    for pattern in _LOOSE:
        match = pattern.fullmatch(stem)
        if match:
            candidate = match.group("id").strip()
            if named_student(candidate + ".ipynb", roster=known) is not None:
                return candidate
    return None


def canvas_parts(name: str) -> tuple[str, bool, str, str, str] | None:
    """Split a Canvas bulk-download name: ``(name, late, user id, file id, original name)``.

    Canvas writes ``<sortable name>[_late]_<user id>_<attachment id>_<display name>``
    (the name lower-cased and stripped of punctuation; anonymous grading drops
    it), and a file a student uploaded again gets ``-1``, ``-2``, ... before
    its extension; that suffix is removed from the original name.

    Examples
    --------
    >>> canvas_parts("smithjohn_4242_99001_s001.ipynb")
    ('smithjohn', False, '4242', '99001', 's001.ipynb')
    >>> canvas_parts("late_4242_99001_hw.ipynb")
    ('', True, '4242', '99001', 'hw.ipynb')
    >>> canvas_parts("s001.ipynb") is None
    True
    """
    match = _CANVAS.fullmatch(PurePosixPath(name).name)
    if match is None:
        return None
    orig = match.group("orig")
    again = _CANVAS_RESUBMIT.fullmatch(orig)
    if again:
        orig = again.group("stem") + again.group("ext")
    return match.group("name") or "", bool(match.group("late")), match.group("user"), match.group("file"), orig


def moodle_parts(name: str) -> tuple[str, str, str] | None:
    """Split a Moodle "download all submissions" name: ``(full name, participant id, rest)``.

    Moodle writes ``<Full Name>_<participant id>_assignsubmission_file_`` as a
    folder (the student's files inside) or as a prefix of each file name.

    Examples
    --------
    >>> moodle_parts("Li Wei_1804_assignsubmission_file_")
    ('Li Wei', '1804', '')
    >>> moodle_parts("Li Wei_1804_assignsubmission_file_week3.ipynb")
    ('Li Wei', '1804', 'week3.ipynb')
    """
    match = _MOODLE.fullmatch(name)
    if match is None:
        return None
    return match.group("name"), match.group("id"), match.group("rest")


def parse_gradescope_metadata(text: str) -> dict[str, list[dict[str, str]]]:
    """The submitters of each submission folder in Gradescope's ``submission_metadata.yml``.

    Reads the part of the file this grader needs (``submission_<id>:`` →
    ``:submitters:`` → ``:name:``, ``:sid:``, ``:email:``) without a YAML
    library; anything else is ignored.

    Examples
    --------
    >>> meta = '''submission_11:
    ...   :submitters:
    ...   - :name: Li Wei
    ...     :sid: 's001'
    ...     :email: li.wei@example.edu
    ...   :score: 3.0
    ... '''
    >>> parse_gradescope_metadata(meta)
    {'submission_11': [{'name': 'Li Wei', 'sid': 's001', 'email': 'li.wei@example.edu'}]}
    """
    out: dict[str, list[dict[str, str]]] = {}
    current: list[dict[str, str]] | None = None
    in_submitters = False
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        indent = len(line) - len(line.lstrip(" "))
        body = line.strip()
        if indent == 0:
            key = body.rstrip(":").strip("'\"")
            current = out.setdefault(key, []) if body.endswith(":") else None
            in_submitters = False
            continue
        if current is None:
            continue
        if body.startswith(":submitters:"):
            in_submitters = True
            continue
        if body.startswith("- "):
            if not in_submitters:
                continue
            current.append({})
            body = body[2:].strip()
        elif indent <= 2 and body.startswith(":"):
            in_submitters = False
            continue
        if in_submitters and current and body.startswith(":") and ":" in body[1:]:
            key, _, value = body[1:].partition(":")
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            current[-1][key.strip()] = value
    return out
