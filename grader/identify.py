r"""Find submitted notebooks and decide whose they are, the way learning platforms hand them over.

The submissions folder is student-influenced: file names, folder names and
even file types come from students (or from ``tar``/``unzip`` run on what
they uploaded). So:

* only regular files are read: a file is opened with ``O_NOFOLLOW |
  O_NONBLOCK``, checked with ``fstat`` *after* opening, and read up to a size
  limit, so a FIFO, a device or a symbolic link named ``s002.ipynb`` is
  refused with a reason instead of blocking the batch (:func:`read_regular`);
* a name that is not valid UTF-8 is kept losslessly as text
  (:func:`name_text` / :func:`name_bytes`) and shown escaped;
* a ``.zip`` is read in place (never unpacked to disk); members that climb
  out of the archive (``../``, absolute paths), links, encrypted members and
  archives that declare more than :data:`ZIP_MAX_TOTAL` bytes are refused.

Layouts recognised (tests build each from the platform's documented naming):

=====================  ==================================================  =========================
platform               layout                                              roster column used
=====================  ==================================================  =========================
plain                  ``<student_id>.ipynb``                              ``student_id``
per-student folders    ``<student_id>/anything.ipynb``                     ``student_id``
Canvas bulk download   ``<name>[_late]_<user id>_<file id>_<original>``    ``canvas_id``
                       (resubmissions end in ``-1``, ``-2``, ...)
Moodle "download all"  ``<Full Name>_<id>_assignsubmission_file_/<file>``  ``moodle_id`` (else ``name``)
                       (or the same prefix on a flat file name)
Gradescope export      ``submission_<id>/<file>`` next to                  ``sid`` → ``student_id``,
                       ``submission_metadata.yml`` (``:submitters:``)      else ``email``
=====================  ==================================================  =========================

A container (a platform's record, an upload folder) says who *uploaded* a
file; the file's own name says whom it claims to be. When they disagree the
uploader is graded, the file is flagged and its identification is *weak*
(:data:`WEAK_METHODS`): it never replaces a grade. A name that only looks like
an id (``s005 (2).ipynb``, ``Copy of s005.ipynb``) is never trusted alone.

Platform naming conventions are parsed by :mod:`grader.naming`.

Examples
--------
>>> Submission("up/s001/hw.ipynb", lambda limit: b"", "s001", "upload folder").worker_name
's001.ipynb'
"""

from __future__ import annotations

import csv
import os
import re
import stat
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from convmath.errors import ConvMathError

from .load import RESERVED_NAMES, SubmissionError, named_student
from .naming import (
    canvas_parts,
    loose_student,
    moodle_parts,
    name_text,
    parse_gradescope_metadata,
)

__all__ = [
    "WEAK_METHODS",
    "ZIP_MAX_MEMBERS",
    "ZIP_MAX_TOTAL",
    "Collection",
    "Roster",
    "Submission",
    "collect_submissions",
    "read_regular",
]

#: Identification methods that never replace a grade identified otherwise.
WEAK_METHODS = ("notebook metadata", "upload folder (a file named for another student)")
#: An archive with more members is refused whole.
ZIP_MAX_MEMBERS = 20_000
#: An archive that declares more uncompressed bytes than this is refused whole (a zip bomb).
ZIP_MAX_TOTAL = 4 * 2**30
#: A member whose compression ratio exceeds this (and is over 1 MB) is refused.
ZIP_MAX_RATIO = 200
#: Longest archive member name read (a path on disk is at most 4096 bytes).
_MAX_NAME = 4096
#: A Gradescope export's per-submission folder.
_GRADESCOPE_DIR = re.compile(r"submission_(?P<id>\d+)")

# -- reading ----------------------------------------------------------------------


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISLNK, "a symbolic link"),
    ):
        if test(mode):
            return name
    return "not a regular file"


def read_regular(path: str | bytes | os.PathLike[str], limit: int) -> bytes:
    """Read a regular file of at most ``limit`` bytes, refusing anything else without blocking.

    Parameters
    ----------
    path
        The file.
    limit
        Bytes allowed; a larger file is refused after reading ``limit + 1``.

    Returns
    -------
    bytes

    Raises
    ------
    SubmissionError
        A symbolic link, FIFO, device, socket or folder; too large; unreadable.

    Examples
    --------
    >>> import os, tempfile
    >>> tmp = tempfile.mkdtemp()
    >>> os.mkfifo(f"{tmp}/s002.ipynb")
    >>> read_regular(f"{tmp}/s002.ipynb", 100)
    Traceback (most recent call last):
    grader.load.SubmissionError: the file is a FIFO, not a regular file; it was not read
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags | getattr(os, "O_NOCTTY", 0))
    except OSError as err:
        if err.errno == 40 or (os.path.islink(path)):  # ELOOP: O_NOFOLLOW met a link
            raise SubmissionError("the file is a symbolic link, not a regular file; it was not read") from None
        raise SubmissionError(f"the file cannot be read ({err.strerror})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise SubmissionError(f"the file is {_kind(info.st_mode)}, not a regular file; it was not read")
        if info.st_size > limit:
            raise SubmissionError(_too_big(info.st_size, limit))
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise SubmissionError(_too_big(size, limit))
        return b"".join(chunks)
    except OSError as err:
        raise SubmissionError(f"the file cannot be read ({err.strerror})") from None
    finally:
        os.close(fd)


def _too_big(size: int, limit: int) -> str:
    return (
        f"the file is {size / 2**20:.1f} MB; the limit is {limit / 2**20:.0f} MB "
        "(clear the outputs: Kernel > Restart & Clear Output, save, and hand it in again)"
    )


# -- the roster ---------------------------------------------------------------------


@dataclass(frozen=True)
class Roster:
    """A roster with every column kept (for the exports and for platform ids)."""

    header: tuple[str, ...]
    """Column names in file order (``student_id`` among them)."""

    rows: tuple[Mapping[str, str], ...]
    """One mapping per student, in file order."""

    @property
    def ids(self) -> frozenset[str]:
        """The student ids."""
        return frozenset(row["student_id"] for row in self.rows)

    def row(self, student: str) -> Mapping[str, str] | None:
        """The roster row of ``student`` (``None`` when absent)."""
        return next((r for r in self.rows if r["student_id"] == student), None)

    def lookup(self, columns: Sequence[str], value: str) -> tuple[str, str] | None:
        """``(student id, column)`` of the one row whose ``columns`` hold ``value`` (case-insensitive).

        Examples
        --------
        >>> r = Roster(("student_id", "canvas_id"), ({"student_id": "s001", "canvas_id": "4242"},))
        >>> r.lookup(("canvas_id",), "4242"), r.lookup(("canvas_id",), "1")
        (('s001', 'canvas_id'), None)
        """
        want = _norm(value)
        if not want:
            return None
        for column in columns:
            if column not in self.header:
                continue
            hits = [r["student_id"] for r in self.rows if _norm(r.get(column, "")) == want]
            if len(hits) == 1:
                return hits[0], column
        return None

    @classmethod
    def load(cls, path: str | Path) -> Roster:
        """Read a roster CSV (checked by :func:`exercises.assignment.load_roster`), keeping every column.

        Raises
        ------
        ConvMathError
            An invalid roster, or a student id that is an export's name.

        Examples
        --------
        >>> import tempfile
        >>> p = Path(tempfile.mkdtemp()) / "roster.csv"
        >>> _ = p.write_text("student_id,name,canvas_id\\ns001,Li Wei,4242\\n", encoding="utf-8")
        >>> r = Roster.load(p)
        >>> r.header, dict(r.rows[0])
        (('student_id', 'name', 'canvas_id'), {'student_id': 's001', 'name': 'Li Wei', 'canvas_id': '4242'})
        """
        from exercises.assignment import load_roster

        students = load_roster(path)
        text = Path(path).read_text(encoding="utf-8-sig")
        reader = csv.DictReader(text.splitlines())
        header = tuple(name.strip() for name in reader.fieldnames or ())
        reader.fieldnames = list(header)
        rows = []
        wanted = {s.student_id for s in students}
        for raw in reader:
            row = {k: (v or "").strip() for k, v in raw.items() if isinstance(k, str)}
            if row.get("student_id") in wanted:
                rows.append(row)
        for row in rows:
            if row["student_id"].lower() in RESERVED_NAMES:
                raise ConvMathError(
                    f"{path}: student_id={row['student_id']!r} is the name of an export file; "
                    f"ids may not be any of {', '.join(sorted(RESERVED_NAMES))}"
                )
        return cls(header, tuple(rows))


def _norm(value: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", value).casefold().split())


# -- what a batch grades -------------------------------------------------------------------


@dataclass(frozen=True)
class Submission:
    """One submitted file, where it came from, and whose it is as far as its container and name tell."""

    source: str
    """Where it is, as text (:func:`name_text`): relative to the folder or archive given, or the
    file's name when a file was given. This is the name stored and shown."""

    read: Callable[[int], bytes] = field(repr=False, compare=False)
    """``read(limit)``: the bytes, or :class:`SubmissionError` (not a regular file, too large, ...)."""

    student: str | None = None
    """The student the container or the exact file name identifies, or ``None`` (metadata decides)."""

    how: str = ""
    """How (``"file name"``, ``"upload folder"``, ``"Canvas download"``, ...; ``""`` when unknown)."""

    detail: str = ""
    """The evidence, for the instructor's summary (``"Canvas user id 4242 = roster canvas_id"``)."""

    flags: tuple[str, ...] = ()
    """Integrity findings about the name and container (a file named for someone else, ...)."""

    loose: str | None = None
    """The id the name only looks like (``s005 (2).ipynb``): accepted only when the metadata agrees."""

    origin: str = ""
    """The full location given (folder or archive included), for messages."""

    @property
    def name(self) -> str:
        """The file's own name (last part of :attr:`source`)."""
        return PurePosixPath(self.source).name

    @property
    def worker_name(self) -> str:
        """The name a grading worker receives: ``<student>.ipynb`` when identified here, else
        the file's own name (whose metadata then decides)."""
        return f"{self.student}.ipynb" if self.student else self.name


@dataclass
class Collection:
    """The submissions found, what was skipped, and the archives to close afterwards."""

    items: list[Submission] = field(default_factory=list)
    """Notebooks to grade, sorted by :attr:`Submission.source`."""

    warnings: list[str] = field(default_factory=list)
    """What was skipped or refused, and why (student-controlled names already made inert)."""

    refused: list[tuple[str, str]] = field(default_factory=list)
    """``(source, reason)`` of archive members refused unread (traversal, links, bombs)."""

    _archives: list[zipfile.ZipFile] = field(default_factory=list, repr=False)

    def close(self) -> None:
        """Close the archives read in place."""
        for archive in self._archives:
            archive.close()
        self._archives.clear()

    def __enter__(self) -> Collection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass(frozen=True)
class _Entry:
    parts: tuple[str, ...]  # path parts as text, relative to the given root
    read: Callable[[int], bytes]
    prefix: str  # shown before the parts ("" for a folder's own files)
    origin: str = ""  # the full location, for messages


def _walk_folder(root: Path, warnings: list[str]) -> list[_Entry]:
    from .safetext import for_terminal

    entries = []
    root_b = os.fsencode(root)
    for folder, dirs, names in os.walk(root_b):
        dirs[:] = sorted(d for d in dirs if not d.startswith(b".") and not os.path.islink(os.path.join(folder, d)))
        rel = os.path.relpath(folder, root_b)
        rel_parts = () if rel == b"." else tuple(name_text(p) for p in rel.split(os.sep.encode()))
        for raw in sorted(names):
            text = name_text(raw)
            if raw.startswith(b"."):
                continue
            full = os.path.join(folder, raw)
            if raw.lower().endswith(b".zip"):
                warnings.append(
                    f"{for_terminal('/'.join((*rel_parts, text)))}: an archive inside a folder is "
                    "not opened; give it to convmath grade directly"
                )
                continue
            if not raw.lower().endswith(b".ipynb"):
                if raw == b"submission_metadata.yml":
                    entries.append(_Entry((*rel_parts, text), _file_reader(full), ""))
                continue
            entries.append(_Entry((*rel_parts, text), _file_reader(full), "", name_text(full)))
    return entries


def _file_reader(path: bytes | str | os.PathLike[str]) -> Callable[[int], bytes]:
    return lambda limit: read_regular(path, limit)


def _member_parts(info: zipfile.ZipInfo) -> tuple[str, ...]:
    """The member's path parts as lossless text (``/`` and ``\\`` both separate, as archivers write them)."""
    raw = info.filename.replace("\\", "/")
    parts = raw.split("/")
    if not info.flag_bits & 0x800:  # not flagged UTF-8: zipfile decoded the raw bytes as cp437
        try:
            parts = [name_text(p.encode("cp437")) for p in parts]
        except UnicodeEncodeError:
            pass
    return tuple(parts)


def _walk_zip(path: Path, collection: Collection) -> list[_Entry]:
    from .safetext import for_terminal

    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as err:
        raise ConvMathError(f"submission={str(path)!r} is not a readable zip archive ({err})") from None
    infos = archive.infolist()
    total = sum(i.file_size for i in infos)
    if len(infos) > ZIP_MAX_MEMBERS or total > ZIP_MAX_TOTAL:
        archive.close()
        raise ConvMathError(
            f"submission={str(path)!r} holds {len(infos)} members declaring {total / 2**30:.1f} GB uncompressed; "
            f"the limits are {ZIP_MAX_MEMBERS} members and {ZIP_MAX_TOTAL / 2**30:.0f} GB (a zip bomb?)"
        )
    collection._archives.append(archive)
    label = name_text(os.fsencode(path.name))
    entries = []
    for info in infos:
        raw_parts = _member_parts(info)
        name = "/".join(raw_parts)
        shown = f"{label}/{name}"
        if info.is_dir():
            continue
        parts = tuple(p for p in raw_parts if p not in ("", "."))
        base = parts[-1] if parts else ""
        if (
            base.startswith(".")
            or "__MACOSX" in parts
            or not (base.lower().endswith(".ipynb") or base == "submission_metadata.yml")
        ):
            continue
        why = None
        if len(name) > _MAX_NAME:
            why = f"its name is {len(name)} characters long (the limit is {_MAX_NAME}); it was not read"
            shown = shown[:200] + "…"
        elif name.startswith("/") or re.match(r"[A-Za-z]:", name) or ".." in parts:
            why = "its path leaves the archive (absolute or '..'); it was not read"
        elif stat.S_ISLNK(info.external_attr >> 16):
            why = "it is a symbolic link; it was not read"
        elif info.flag_bits & 0x1:
            why = "it is encrypted; it was not read"
        elif info.file_size > 2**20 and info.file_size > ZIP_MAX_RATIO * max(1, info.compress_size):
            why = f"it expands {info.file_size // max(1, info.compress_size)} times (a zip bomb?); it was not read"
        if why:
            collection.refused.append((shown, why))
            collection.warnings.append(f"{for_terminal(shown)}: {why}")
            continue
        entries.append(_Entry(parts, _member_reader(archive, info), label + "/", shown))
    return entries


def _member_reader(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Callable[[int], bytes]:
    def read(limit: int) -> bytes:
        if info.file_size > limit:
            raise SubmissionError(_too_big(info.file_size, limit))
        try:
            with archive.open(info) as handle:
                data = handle.read(limit + 1)
        except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, EOFError) as err:
            raise SubmissionError(f"the archive member cannot be read ({err})") from None
        if len(data) > limit:
            raise SubmissionError(_too_big(len(data), limit))
        return data

    return read


# -- deciding ------------------------------------------------------------------------------


@dataclass
class _Claim:
    student: str | None
    how: str
    detail: str
    flags: list[str] = field(default_factory=list)


def _container(
    parts: tuple[str, ...],
    roster: Roster | None,
    gradescope: Mapping[tuple[str, ...], Mapping[str, list[dict[str, str]]]],
    warned: set[str],
    warnings: list[str],
    folders: frozenset[str],
) -> tuple[_Claim | None, str]:
    """Who uploaded the file at ``parts`` according to its container, and the file's original name."""
    name = parts[-1]
    ids = roster.ids if roster is not None else None
    # Gradescope: .../submission_<id>/<file> with submission_metadata.yml beside submission_<id>/
    for depth in range(len(parts) - 1):
        folder = parts[depth]
        if _GRADESCOPE_DIR.fullmatch(folder) and parts[:depth] in gradescope:
            submitters = gradescope[parts[:depth]].get(folder)
            if submitters is None:
                return _Claim(
                    None,
                    "",
                    f"Gradescope {folder} is not in submission_metadata.yml",
                    [f"{folder} is not listed in the export's submission_metadata.yml"],
                ), name
            found = []
            for person in submitters:
                hit = None
                sid, email = person.get("sid", ""), person.get("email", "")
                if ids is None:
                    hit = (sid, "sid") if named_student(sid + ".ipynb") else None
                elif sid in ids:
                    hit = (sid, "student_id")
                else:
                    hit = (
                        roster.lookup(("gradescope_sid", "sid"), sid) or roster.lookup(("email",), email)
                        if roster is not None
                        else None
                    )
                found.append((person, hit))
            known = [(p, h) for p, h in found if h is not None]
            if not known:
                who = ", ".join(f"{p.get('name', '?')} (sid {p.get('sid', '?')})" for p in submitters) or "nobody"
                return _Claim(
                    None,
                    "",
                    f"Gradescope {folder}: {who}",
                    [f"Gradescope lists {who} for {folder}, who is not on the roster"],
                ), name
            (person, (student, column)) = known[0]
            claim = _Claim(
                student, "Gradescope export", f"Gradescope {folder} sid {person.get('sid', '')!r} = roster {column}"
            )
            if len(submitters) > 1:
                others = ", ".join(h[0] if h else p.get("name", "?") for p, h in found[1:])
                claim.flags.append(f"a group submission ({folder}, also {others}); graded as {student}'s only")
            return claim, name
    # Moodle: <Full Name>_<id>_assignsubmission_file_/<file>, or the same prefix on the file itself
    for depth, part in enumerate(parts):
        moodle = moodle_parts(part)
        if moodle is None:
            continue
        full, pid, rest = moodle
        original = rest if depth == len(parts) - 1 and rest else name
        if roster is None:
            return _Claim(None, "", f"Moodle participant {pid} ({full}); no roster"), original
        hit = roster.lookup(("moodle_id",), pid)
        how = f"Moodle participant id {pid} = roster moodle_id"
        if hit is None:
            hit = roster.lookup(("name",), full)
            how = f"Moodle full name {full!r} = roster name"
        if hit is None:
            return _Claim(
                None,
                "",
                f"Moodle participant {pid} ({full})",
                [f"Moodle participant {pid} ({full}) matches no roster moodle_id or name"],
            ), original
        return _Claim(hit[0], "Moodle download", how), original
    # Canvas: <name>[_late]_<user id>_<file id>_<original>
    canvas = canvas_parts(name)
    if canvas is not None:
        _, late, user, _, original = canvas
        extra = " (late)" if late else ""
        if roster is not None and "canvas_id" in roster.header:
            hit = roster.lookup(("canvas_id",), user)
            if hit is None:
                return _Claim(
                    None,
                    "",
                    f"Canvas user id {user}{extra}",
                    [f"Canvas user id {user} is not in the roster's canvas_id column"],
                ), original
            return _Claim(hit[0], "Canvas download", f"Canvas user id {user} = roster canvas_id{extra}"), original
        if "canvas" not in warned:
            warned.add("canvas")
            warnings.append(
                "Canvas download names were found but the roster has no canvas_id column: "
                "those files are identified by their original names or their notebook metadata"
            )
        return None, original
    # per-student upload folders: <root>/<student>/... (a roster student's; without a roster, a folder
    # named like an id unless the file names someone whose own folder is not beside it)
    if len(parts) > 1:
        folder = parts[0]
        if named_student(folder + ".ipynb", roster=ids) is not None:
            named = named_student(name)
            if ids is not None or named in (None, folder) or named in folders:
                return _Claim(folder, "upload folder", f"upload folder {folder}/"), name
    return None, name


def _decide(
    entry: _Entry,
    roster: Roster | None,
    gradescope: Mapping[tuple[str, ...], Mapping[str, list[dict[str, str]]]],
    warned: set[str],
    warnings: list[str],
    folders: frozenset[str],
) -> Submission:
    from .safetext import for_terminal

    ids = roster.ids if roster is not None else None
    source = entry.prefix + "/".join(entry.parts)
    claim, original = _container(entry.parts, roster, gradescope, warned, warnings, folders)
    exact = named_student(original, roster=ids)
    loose = loose_student(original, roster=ids) if exact is None else None
    if claim is not None and claim.student is not None:
        named = exact or loose
        if named is not None and named != claim.student:
            flag = (
                f"{for_terminal(source)} is named for {named} but was uploaded by {claim.student} "
                f"({claim.detail}): it is graded as {claim.student}'s and never counts for {named}"
            )
            return Submission(
                source,
                entry.read,
                claim.student,
                WEAK_METHODS[1],
                claim.detail,
                (*claim.flags, flag),
                origin=entry.origin,
            )
        return Submission(
            source, entry.read, claim.student, claim.how, claim.detail, tuple(claim.flags), origin=entry.origin
        )
    flags = tuple(claim.flags) if claim is not None else ()
    detail = claim.detail + "; " if claim is not None and claim.detail else ""
    if exact is not None:
        return Submission(source, entry.read, exact, "file name", detail.rstrip("; "), flags, origin=entry.origin)
    return Submission(source, entry.read, None, "", detail.rstrip("; "), flags, loose=loose, origin=entry.origin)


def collect_submissions(paths: Iterable[str | Path], *, roster: Roster | None = None) -> Collection:
    """Find every notebook under ``paths`` (files, folders, ``.zip`` archives) and identify it.

    Parameters
    ----------
    paths
        Notebook files (taken whatever their extension), folders (searched
        recursively for ``*.ipynb``, skipping hidden entries and symbolic links)
        and ``.zip`` archives (read in place).
    roster
        The class (ids and platform id columns); ``None`` accepts any safe id.

    Returns
    -------
    Collection
        Close it (or use ``with``) when the batch is done: archives stay open.

    Raises
    ------
    ConvMathError
        A path that does not exist; an unreadable or oversized archive.

    Examples
    --------
    A Canvas download mapped through the roster's ``canvas_id`` column, next
    to a per-student folder:

    >>> import tempfile
    >>> tmp = Path(tempfile.mkdtemp())
    >>> _ = (tmp / "roster.csv").write_text("student_id,canvas_id\\ns001,4242\\ns002,4343\\n")
    >>> (tmp / "subs" / "s002").mkdir(parents=True)
    >>> _ = (tmp / "subs" / "weili_late_4242_99_week3-1.ipynb").write_text("{}")
    >>> _ = (tmp / "subs" / "s002" / "mine.ipynb").write_text("{}")
    >>> with collect_submissions([tmp / "subs"], roster=Roster.load(tmp / "roster.csv")) as found:
    ...     for s in found.items:
    ...         print(s.source, s.student, s.how, "|", s.detail)
    s002/mine.ipynb s002 upload folder | upload folder s002/
    weili_late_4242_99_week3-1.ipynb s001 Canvas download | Canvas user id 4242 = roster canvas_id (late)
    """
    collection = Collection()
    entries: list[_Entry] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            entries += _walk_folder(path, collection.warnings)
        elif path.is_file() and path.suffix.lower() == ".zip" and zipfile.is_zipfile(path):
            entries += _walk_zip(path, collection)
        elif path.exists() or path.is_symlink():
            entries.append(
                _Entry((name_text(os.fsencode(path.name)),), _file_reader(path), "", name_text(os.fsencode(path)))
            )
        else:
            collection.close()
            raise ConvMathError(f"submission={str(path)!r} does not exist")
    gradescope: dict[tuple[str, ...], dict[str, list[dict[str, str]]]] = {}
    for entry in entries:
        if entry.parts[-1] == "submission_metadata.yml":
            try:
                text = entry.read(16 * 2**20).decode("utf-8", errors="replace")
            except SubmissionError as err:
                collection.warnings.append(f"submission_metadata.yml cannot be read: {err}")
                continue
            gradescope[entry.parts[:-1]] = parse_gradescope_metadata(text)
    warned: set[str] = set()
    folders = frozenset(e.parts[0] for e in entries if len(e.parts) > 1)
    items = [
        _decide(e, roster, gradescope, warned, collection.warnings, folders)
        for e in entries
        if e.parts[-1] != "submission_metadata.yml"
    ]
    collection.items = sorted(items, key=lambda s: s.source)
    return collection
