"""Grade one submission: load, identify, regenerate, run, extract, check.

:func:`grade_submission` takes the submission's *bytes* and file name and a
:class:`GradingContext` (assignment, secret, roster, limits) and returns a
:class:`~grader.results.SubmissionResult`. It never raises for anything a
submission contains: a file that cannot be graded gets a zero with a reason,
and a failure of the grader itself becomes a ``failed`` result.

The secret, the regenerated exercises and the expected values stay in this
process. The sandbox receives only the student's code cells, one at a time,
and sends back plain data; student functions are called through it.

A :class:`GradingContext` travels to worker processes (or Dask workers) as
plain data: :meth:`GradingContext.to_data` / :meth:`GradingContext.from_data`;
:func:`grade_payload` is the function a worker runs.
"""

from __future__ import annotations

import ast
import dataclasses
import hashlib
import hmac
import json
import re
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from functools import cached_property
from pathlib import PurePath
from typing import Any

from exercises.assignment import Assignment, Slot, build_exercises, parse_assignment
from exercises.checkcell import check_cell_source
from exercises.model import LOCALES, Exercise, Part

from .bounded import TooCostly
from .load import MAX_BYTES, Cell, SubmissionError, content_hash, identify, load_notebook
from .messages import CellPlaces, part_label, shorten
from .regenerate import regenerate
from .results import PartOutcome, SubmissionResult, error_result
from .safetext import MESSAGE_LIMIT, cap, cap_items
from .sandbox import Sandbox, SandboxLimits, find_forbidden_imports, strip_magics

__all__ = [
    "GradingContext",
    "grade_submission",
    "grade_payload",
    "refuse",
    "assignment_version",
    "exact_points",
    "key_cell_timeout",
    "with_key_cell_timeout",
    "cell_timeout",
]

#: Notes kept per submission (a hostile notebook can produce thousands).
_MAX_NOTES = 30
#: Times a notebook is run again without the cell that killed its sandbox.
RERUNS = 1
_RERUNS = RERUNS  # the module's own spelling (kept so that edits in flight merge cleanly)
#: Cell statuses after which the sandbox process is gone.
FATAL = ("timeout", "killed", "crashed")
_FATAL = FATAL  # the module's own spelling (kept so that edits in flight merge cleanly)


def _grader_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("convmath")
    except PackageNotFoundError:  # pragma: no cover - bare checkout
        return "0+unknown"


def assignment_version(assignment_data: Mapping[str, Any], secret: bytes) -> str:
    """Fingerprint of what a grade depends on: the assignment, the secret, the grader version.

    The secret enters only as an HMAC key, so the fingerprint (stored in the
    gradebook) reveals nothing about it.

    Examples
    --------
    >>> v = assignment_version({"id": "hw1"}, b"0123456789abcdef")
    >>> len(v), v == assignment_version({"id": "hw1"}, b"0123456789abcdeX")
    (16, False)
    """
    payload = json.dumps(assignment_data, sort_keys=True, default=str) + "\0" + _grader_version()
    return hmac.new(secret, b"convmath-gradebook-v1\0" + payload.encode(), hashlib.sha256).hexdigest()[:16]


@dataclass(frozen=True)
class GradingContext:
    """What grading any submission of one batch needs (the same for every submission)."""

    assignment_data: Mapping[str, Any]
    """The assignment TOML document, as parsed by ``tomllib`` (plain data)."""

    secret: bytes = field(repr=False)
    """The course secret; never leaves the grader processes."""

    roster: frozenset[str] | None = None
    """Known student ids (``None``: any safe id is accepted)."""

    limits: SandboxLimits = field(default_factory=SandboxLimits)
    """Resource limits of each submission's sandbox."""

    max_bytes: int = MAX_BYTES
    """Submitted files larger than this are refused unread."""

    compare: bool = True
    """Compare each submission with the notebook the student was given (tamper report)."""

    call_timeout: float = 5.0
    """Wall-clock seconds for one call of a student function during checking."""

    import_cell_timeout: float | None = None
    """Seconds a cell that imports a package (beyond the standard library and numpy) gets when that is more
    than ``limits.cell_timeout``; ``None``: no more. With the cell timeout derived from the key
    (:func:`with_key_cell_timeout`), importing sympy, scipy, matplotlib or torch (0.7-2.6 s measured on a
    loaded machine) is then not cut."""

    sandbox_mode: str = "auto"
    """How sandboxes start: ``"zygote"`` (forked from a pre-started interpreter
    that has imported numpy), ``"fresh"`` (a new interpreter each) or ``"auto"``."""

    reveal: str | None = None
    """What feedback reveals, overriding the assignment's ``reveal`` (``--reveal``):
    ``"never"``, ``"diagnosis"`` or ``"always"``; ``None`` keeps the assignment's."""

    @property
    def reveal_level(self) -> str:
        """The ``reveal`` in force: this context's, else the assignment's."""
        return self.reveal or self.assignment.reveal

    @cached_property
    def assignment(self) -> Assignment:
        """The parsed assignment."""
        return parse_assignment(self.assignment_data, check_options=False)

    @cached_property
    def version(self) -> str:
        """See :func:`assignment_version`."""
        return assignment_version(self.assignment_data, self.secret)

    @cached_property
    def max_score(self) -> float:
        """Points of the assignment (of a probe variant: slots have fixed totals)."""
        return float(sum((ex.points for _, ex in build_exercises(self.assignment, self.secret, "probe")), Fraction(0)))

    @property
    def locale(self) -> str:
        """Language of the feedback."""
        return self.assignment.locale

    def to_data(self) -> dict[str, Any]:
        """Plain data for a worker (the secret as hex)."""
        return {
            "assignment": dict(self.assignment_data),
            "secret": self.secret.hex(),
            "roster": None if self.roster is None else sorted(self.roster),
            "limits": self.limits.to_config(),
            "max_bytes": self.max_bytes,
            "compare": self.compare,
            "call_timeout": self.call_timeout,
            "import_cell_timeout": self.import_cell_timeout,
            "sandbox_mode": self.sandbox_mode,
            "reveal": self.reveal,
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> GradingContext:
        """Inverse of :meth:`to_data`."""
        roster = data.get("roster")
        return cls(
            assignment_data=data["assignment"],
            secret=bytes.fromhex(data["secret"]),
            roster=None if roster is None else frozenset(roster),
            limits=SandboxLimits(**data.get("limits", {})),
            max_bytes=int(data.get("max_bytes", MAX_BYTES)),
            compare=bool(data.get("compare", True)),
            call_timeout=float(data.get("call_timeout", 5.0)),
            import_cell_timeout=None if data.get("import_cell_timeout") is None else float(data["import_cell_timeout"]),
            sandbox_mode=str(data.get("sandbox_mode", "auto")),
            reveal=data.get("reveal"),
        )


def refuse(
    source: str, digest: str, reason: str, context: GradingContext, *, duration: float = 0.0, notes: Sequence[str] = ()
) -> SubmissionResult:
    """A zero with ``reason`` for a file that cannot be graded, identified by its name if possible.

    Examples
    --------
    ``carol.ipynb`` is Carol's (by its file name) even though it was not read;
    the zero is out of the assignment's 1 point:

    >>> ctx = GradingContext({"id": "w1", "title": "t", "slots": [{"id": "q1", "family": "conv_output_size"}]},
    ...                      b"0123456789abcdef")
    >>> r = refuse("uploads/carol.ipynb", "00", "the file is empty", ctx)
    >>> r.source, r.student, r.status, r.score, r.max_score, r.message
    ('carol.ipynb', 'carol', 'error', 0.0, 1.0, 'the file is empty')
    """
    try:
        ident = identify(source, None, roster=context.roster)
        student, how = ident.student, ident.how
    except SubmissionError:
        student, how = None, ""
    return error_result(
        PurePath(source).name,
        digest,
        assignment=context.assignment.id,
        max_score=context.max_score,
        message=reason,
        student=student,
        identified_by=how,
        notes=tuple(notes),
        duration=duration,
    )


def exact_points(value: float) -> Fraction:
    """The exact points a part's float score stands for.

    Part points are rationals with small denominators (a slot's total split
    among its parts, times a credit); a float holds such a rational to 16
    digits, so the nearest fraction with a denominator up to a million is it.

    Examples
    --------
    >>> exact_points(4 / 3), exact_points(0.5), sum(exact_points(4 / 3) for _ in range(3)) == 4
    (Fraction(4, 3), Fraction(1, 2), True)
    """
    return Fraction(value).limit_denominator(10**6)


#: Seconds a cell always gets, and the multiple of the key's slowest cell it gets beyond that.
CELL_TIMEOUT_FLOOR = 2.0
CELL_TIMEOUT_FACTOR = 20.0


def key_cell_timeout(
    context: GradingContext, *, floor: float = CELL_TIMEOUT_FLOOR, factor: float = CELL_TIMEOUT_FACTOR
) -> float:
    """A cell timeout derived from what the answer key's own cells need: ``max(floor, factor * slowest)``.

    The key notebook of a probe student is run once in a sandbox and its
    slowest cell timed. A cell that never ends then costs ``floor`` seconds
    (2 s) rather than the 10 s default, while a correct but slow answer (a
    pure-Python loop instead of NumPy, on the prompt's sizes) keeps a
    margin of ``factor`` (20x) over the key. ``convmath grade --cell-timeout``
    overrides it.

    Parameters
    ----------
    context : GradingContext
        The batch's context (assignment, secret, limits).
    floor, factor : float, optional
        The smallest timeout, and the margin over the key's slowest cell.

    Returns
    -------
    float
        Seconds.

    Examples
    --------
    >>> ctx = GradingContext({"id": "w1", "title": "t", "slots": [{"id": "q1", "family": "conv_output_size"}]},
    ...                      b"0123456789abcdef")
    >>> key_cell_timeout(ctx)        # the key's cells take milliseconds: the floor
    2.0
    """
    from exercises.notebook import key_notebook

    from .load import load_notebook

    exercises = build_exercises(context.assignment, context.secret, "probe")
    nb = key_notebook(context.assignment, "probe", exercises)
    loaded = load_notebook(json.dumps(nb).encode("utf-8"), max_bytes=context.max_bytes)
    cells = [cell for cell in loaded.cells if cell.cell_type == "code" and cell.source.strip()]
    slowest = 0.0
    with Sandbox(context.limits, mode=context.sandbox_mode) as sandbox:  # type: ignore[arg-type]
        for cell in cells:
            result = sandbox.run_cell(cell.source, index=cell.index + 1)
            slowest = max(slowest, float(result.duration or 0.0))
    return float(max(floor, factor * slowest))


def with_key_cell_timeout(context: GradingContext) -> GradingContext:
    """``context`` with the cell timeout derived from the key (:func:`key_cell_timeout`), what ``convmath grade``
    does without ``--cell-timeout``; a cell that imports a package keeps the timeout it had (see
    :attr:`GradingContext.import_cell_timeout`).

    Examples
    --------
    >>> ctx = GradingContext({"id": "w1", "title": "t", "slots": [{"id": "q1", "family": "conv_output_size"}]},
    ...                      b"0123456789abcdef")
    >>> derived = with_key_cell_timeout(ctx)
    >>> derived.limits.cell_timeout, derived.import_cell_timeout   # the key's floor; the default for imports
    (2.0, 10.0)
    """
    limits = replace(context.limits, cell_timeout=key_cell_timeout(context))
    return replace(context, limits=limits, import_cell_timeout=float(context.limits.cell_timeout))


def cell_timeout(context: GradingContext, source: str) -> float | None:
    """The timeout of one cell when it is not ``limits.cell_timeout`` (``None``): a cell that imports a package
    beyond the standard library and numpy gets ``import_cell_timeout`` if that is longer.

    Examples
    --------
    >>> ctx = GradingContext({"id": "w", "title": "t", "slots": []}, b"0" * 16, limits=SandboxLimits(cell_timeout=2))
    >>> ctx = replace(ctx, import_cell_timeout=10.0)
    >>> cell_timeout(ctx, "import torch\\nx = torch.ones(3)"), cell_timeout(ctx, "import numpy as np, math")
    (10.0, None)
    >>> cell_timeout(ctx, "from matplotlib import pyplot as plt"), cell_timeout(ctx, "while True: pass")
    (10.0, None)
    """
    allowance = context.import_cell_timeout
    if allowance is None or allowance <= context.limits.cell_timeout:
        return None
    code = strip_magics(source).code
    try:
        tree = ast.parse(code or "")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            tops = [alias.name.partition(".")[0] for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            tops = [node.module.partition(".")[0]]
        else:
            continue
        if any(top not in sys.stdlib_module_names and top != "numpy" for top in tops):
            return allowance
    return None


def _clip(notes: list[str]) -> tuple[str, ...]:
    if len(notes) <= _MAX_NOTES:
        return tuple(notes)
    return (*notes[:_MAX_NOTES], f"... and {len(notes) - _MAX_NOTES} more")


@dataclass
class _Run:
    """What running the notebook produced (internal)."""

    outcomes: list[PartOutcome]
    notes: list[str]
    warnings: tuple[str, ...] = ()
    raised: list[tuple[int, str]] = field(default_factory=list)
    """(cell number, exception message) of each cell that raised."""


_NOT_DEFINED = {
    "en": "'{name}' is not defined: {place} raised {error}",
    "zh": "'{name}' 未定义：{place}运行时出错 {error}",
}


def _why_missing(
    name: str,
    slot: Slot,
    part: Part,
    cells: Sequence[Cell],
    raised: Sequence[tuple[int, str]],
    places: CellPlaces,
    locale: str,
) -> str:
    """Why ``name`` is undefined when a cell meant to define it raised, else ``""``."""
    errors = dict(raised)
    for cell in cells:
        number = cell.index + 1
        if number not in errors:
            continue
        meta = cell.convmath or {}
        if (meta.get("slot"), meta.get("part")) == (slot.id, part.key) or _defines(cell.source, name):
            error = shorten(places.rewrite(errors[number], number), 300)
            return _NOT_DEFINED.get(locale, _NOT_DEFINED["en"]).format(
                name=name, place=places.describe(number), error=error
            )
    return ""


def _outcome(
    slot: Slot,
    part: Part,
    score: float,
    status: str,
    message: str,
    label: str | None = None,
    example: str | None = None,
) -> PartOutcome:
    return PartOutcome(
        slot=slot.id,
        part=part.key,
        name=part.answer.name,
        score=float(score),
        max_score=float(part.points),
        status=status,
        message=message,
        misconception=label,
        example=example,
    )


def _check(slot: Slot, part: Part, value: Any, sandbox: Any, context: GradingContext) -> PartOutcome:
    """Check one part from the sandbox's :class:`~grader.sandbox.Value` of its name."""
    from .checks import CheckOptions, check_part

    options = CheckOptions(reveal=context.reveal_level)
    name = part.answer.name
    status = getattr(value, "status", "missing")
    if part.answer.kind == "function":

        def call(args: Sequence[Any], kwargs: Mapping[str, Any] | None = None) -> Any:
            return sandbox.call(name, tuple(args), dict(kwargs or {}), timeout=context.call_timeout)

        if status in ("ok", "unserializable"):  # defined, but not as a function
            return _outcome(slot, part, 0, "incorrect", f"'{name}' must be a function, not a value")
        result = check_part(
            part, None, locale=context.locale, call=call if status == "function" else None, options=options
        )
    elif status == "unserializable":
        return _outcome(slot, part, 0, "error", f"'{name}' could not be read as plain data: {value.message}")
    elif status == "function":
        return _outcome(slot, part, 0, "incorrect", f"'{name}' must be a value, not a function")
    else:
        result = check_part(part, value.value if status == "ok" else None, locale=context.locale, options=options)
    label = None if options.reveal == "never" else result.misconception  # the label is shown in the exports
    call_text = result.details.get("call") if part.answer.kind == "function" else None
    example = f"{name}({call_text})" if isinstance(call_text, str) else None
    return _outcome(slot, part, min(result.score, part.points), result.status, result.message, label, example)


def _execute(
    cells: Sequence[Cell],
    parts: Sequence[tuple[Slot, Exercise, Part]],
    context: GradingContext,
    forbidden: frozenset[str],
    refused: Mapping[tuple[str, str], list[str]],
    places: CellPlaces,
) -> _Run:
    notes: list[str] = []
    skip: set[int] = set()
    names = sorted({part.answer.name for _, _, part in parts})
    for attempt in range(_RERUNS + 1):
        with Sandbox(context.limits, forbidden_imports=forbidden, mode=context.sandbox_mode) as sandbox:  # type: ignore[arg-type]
            warnings = tuple(sandbox.isolation.warnings)
            dead = None
            raised: list[tuple[int, str]] = []
            for cell in cells:
                if cell.index in skip:
                    continue
                number = cell.index + 1  # numbered as Jupyter users count
                result = sandbox.run_cell(cell.source, index=number, timeout=cell_timeout(context, cell.source))
                if result.status == "error":
                    raised.append((number, result.message))
                if result.message or result.status not in ("ok", "skipped"):
                    notes.append(places.note(number, result.status, result.message))
                if result.status in _FATAL:
                    dead = cell
                    break
            if dead is not None and attempt < _RERUNS:
                skip.add(dead.index)
                notes.append(f"the notebook was run again without {places.describe(dead.index + 1)}")
                continue
            if dead is not None:
                reason = (
                    f"the notebook could not run to the end ({places.describe(dead.index + 1)} stopped it); "
                    "no answer could be read"
                )
                return _Run([_outcome(s, p, 0, "error", reason) for s, _, p in parts], notes, warnings, raised)
            values = sandbox.get(names)
            outcomes: list[PartOutcome] = []
            for slot, _, part in parts:
                found = refused.get((slot.id, part.key))
                if found:
                    message = f"importing {', '.join(found)} is not allowed in this exercise; implement it yourself"
                    outcomes.append(_outcome(slot, part, 0, "error", message))
                    continue
                value = values.get(part.answer.name)
                if getattr(value, "status", "missing") == "missing":
                    why = _why_missing(part.answer.name, slot, part, cells, raised, places, context.locale)
                    if why:
                        outcomes.append(_outcome(slot, part, 0, "error", why))
                        continue
                try:
                    outcome = _check(slot, part, value, sandbox, context)
                    outcomes.append(replace(outcome, message=places.rewrite(outcome.message, 0)))
                except TooCostly as err:  # the student's answer is past the grader's bounds: wrong, with why
                    outcomes.append(_outcome(slot, part, 0, "incorrect", f"'{part.answer.name}': {err}"))
                except Exception as err:  # noqa: BLE001 - one answer the checker chokes on costs only that part
                    why = f"{type(err).__name__}: {shorten(str(err), 200)}"
                    outcomes.append(_outcome(slot, part, 0, "error", f"this answer could not be checked ({why})"))
                    notes.append(
                        f"{_label(context, slot, part)}: the checker failed ({why}); please tell your instructor"
                    )
            return _Run(_carry_forward(parts, outcomes, values, context), notes, warnings, raised)
    raise AssertionError("unreachable")  # pragma: no cover


def _carry_forward(
    parts: Sequence[tuple[Slot, Exercise, Part]],
    outcomes: list[PartOutcome],
    values: Mapping[str, Any],
    context: GradingContext,
) -> list[PartOutcome]:
    """Credit wrong answers that follow from the student's own earlier answers (parts with
    ``carry_forward``, in slots where it is not off); see :func:`grader.checks.check_carried`."""
    from .checks import CheckOptions, check_carried

    out = list(outcomes)
    for i, ((slot, ex, part), outcome) in enumerate(zip(parts, outcomes)):
        credit = 1 if slot.carry_forward is None else slot.carry_forward
        if not part.carry_forward or credit <= 0 or outcome.status != "incorrect":
            continue
        answers = {}
        for other in ex.parts:
            value = values.get(other.answer.name)
            if getattr(value, "status", "") == "ok":
                answers[other.key] = value.value
        if part.key not in answers:
            continue
        try:
            result = check_carried(
                part,
                answers[part.key],
                answers,
                credit=credit,
                locale=context.locale,
                options=CheckOptions(reveal=context.reveal_level),
            )
        except Exception:  # noqa: BLE001 - a student's values the family's compute chokes on: no carry
            result = None
        if result is not None:
            out[i] = _outcome(
                slot, part, result.score, result.status, f"{result.message} ({outcome.message})", outcome.misconception
            )
    return out


def _defines(source: str, name: str) -> bool:
    """Does the cell bind ``name`` (def, class, assignment, import, loop or ``with`` target)?"""
    code = strip_magics(source).code
    try:
        tree = ast.parse(code) if code is not None else None
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    for node in ast.walk(tree) if tree is not None else ():
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == name:
            return True
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store) and node.id == name:
            return True
        if isinstance(node, ast.alias) and (node.asname or node.name.split(".")[0]) == name:
            return True
    return False


def _outermost(names: Sequence[str]) -> list[str]:
    """``scipy.signal`` for ``scipy.signal`` and ``scipy.signal.correlate2d``."""
    return sorted(n for n in set(names) if not any(n.startswith(o + ".") for o in names))


_REFUSED = re.compile(r"ImportError: import of ([\w.]+) is not allowed in this exercise")
_DENIED = re.compile(r"\w+Error: \[Errno 13\] Permission denied: '([^']+)'")
_NOT_FOUND = re.compile(r"ModuleNotFoundError: No module named '([\w.]+)'")


def _refusals(raised: Sequence[tuple[int, str]], forbidden: frozenset[str]) -> list[tuple[int, str]]:
    """(cell number, module) of each forbidden import the sandbox refused, by hook or by Landlock."""
    found = set()
    for n, message in raised:
        if match := _REFUSED.match(message):
            found.add((n, match.group(1)))
        if (match := _NOT_FOUND.match(message)) and any(
            match.group(1) == m or match.group(1).startswith(m + ".") for m in forbidden
        ):
            found.add((n, match.group(1)))  # unreadable in the sandbox: refused even with the hook removed
        if match := _DENIED.match(message):
            path = match.group(1)
            found.update(
                (n, m) for m in forbidden if f"/{m.replace('.', '/')}/" in path or f"/{m.replace('.', '/')}." in path
            )
    return sorted(found)


def _label(context: GradingContext, slot: Slot, part: Part) -> str:
    """``2(b)``: the part as the notebook labels it."""
    number = next((i for i, s in enumerate(context.assignment.slots, 1) if s.id == slot.id), 0)
    return part_label(number, part.key) if number else f"{slot.id}.{part.key}"


def _guarded_runs(
    cells: Sequence[Cell],
    parts: Sequence[tuple[Slot, Exercise, Part]],
    context: GradingContext,
    refused: Mapping[tuple[str, str], list[str]],
    places: CellPlaces,
) -> _Run:
    """Run the notebook once per set of forbidden modules, checking each part in the run that guards it.

    A part with ``forbidden_imports`` is checked in a sandbox that refuses
    those modules (import hook, unreadable files); the other parts in one with
    no such refusal, so another slot of the notebook may import them. When no
    cell imports a forbidden module where the static check can see it, one
    guarded run checks every part (the usual case: no extra cost; an import
    the static check cannot see, such as a computed name, is then refused in
    the whole notebook).
    """
    groups: dict[frozenset[str], list[tuple[Slot, Exercise, Part]]] = {}
    for item in parts:
        groups.setdefault(frozenset(item[2].answer.forbidden_imports), []).append(item)
    every = frozenset(m for key in groups for m in key)
    if not every or not any(find_forbidden_imports(cell.source, every) for cell in cells):
        runs = [(every, list(parts), "")]
    else:
        runs = [
            (forbidden, group, ", ".join(_label(context, slot, part) for slot, _, part in group) if forbidden else "")
            for forbidden, group in sorted(groups.items(), key=lambda g: sorted(g[0]))
        ]
    outcomes: dict[tuple[str, str], PartOutcome] = {}
    notes: list[str] = []
    warnings: list[str] = []
    for forbidden, group, where in runs:
        run = _execute(cells, group, context, forbidden, refused, places)
        refusals = _refusals(run.raised, forbidden)
        for (slot, _, part), outcome in zip(group, run.outcomes):
            key = (slot.id, part.key)
            own = [
                (n, m)
                for n, m in refusals
                if any(m == f or m.startswith(f + ".") for f in part.answer.forbidden_imports)
            ]
            if own and outcome.score < outcome.max_score and key not in refused:
                told = "; ".join(f"{places.describe(n)} imports {m}" for n, m in own)
                outcome = _outcome(
                    slot,
                    part,
                    outcome.score,
                    outcome.status,
                    f"{outcome.message} (the notebook's forbidden import was refused: {told}; implement it yourself)",
                    outcome.misconception,
                )
            outcomes[key] = outcome
        notes += [f"while checking {where}: {note}" if where else note for note in run.notes if note not in notes]
        warnings += [w for w in run.warnings if w not in warnings]
    return _Run([outcomes[(slot.id, part.key)] for slot, _, part in parts], notes, tuple(warnings))


def _grade(data: bytes, source: str, context: GradingContext, digest: str, start: float) -> SubmissionResult:
    name = PurePath(source).name
    try:
        loaded = load_notebook(data, max_bytes=context.max_bytes)
    except SubmissionError as err:
        return refuse(name, digest, str(err), context, duration=time.monotonic() - start)
    try:
        ident = identify(name, loaded.meta_student, roster=context.roster)
    except SubmissionError as err:
        return refuse(name, digest, str(err), context, duration=time.monotonic() - start, notes=loaded.notes)
    regen = regenerate(loaded, context.assignment, context.secret, ident.student, compare=context.compare)
    flags = list(ident.flags) + list(regen.flags)
    notes = list(loaded.notes) + list(regen.notes)
    parts = [(slot, ex, part) for slot, ex in regen.exercises for part in ex.parts]
    check = {check_cell_source(regen.exercises, locale).strip() for locale in LOCALES}
    cells = [
        cell
        for cell in loaded.cells
        if cell.cell_type == "code" and cell.source.strip() and cell.source.strip() not in check
    ]  # the unedited check cell only prints; an edited one runs
    refused: dict[tuple[str, str], list[str]] = {}
    for slot, _, part in parts:
        if part.answer.forbidden_imports:
            # the cells that define the answer may not import a forbidden module; an import in
            # another cell is refused at run time while this part is checked (see _guarded_runs)
            found = _outermost(
                [
                    m
                    for cell in cells
                    if _defines(cell.source, part.answer.name)
                    for m in find_forbidden_imports(cell.source, part.answer.forbidden_imports)
                ]
            )
            if found:
                refused[(slot.id, part.key)] = found
                flags.append(
                    f"{slot.id}.{part.key}: the notebook imports {', '.join(found)}, which this exercise forbids"
                )
    places = CellPlaces(loaded.cells, [slot.id for slot in context.assignment.slots], context.locale)
    run = _guarded_runs(cells, parts, context, refused, places)
    # totals are exact sums of the parts' exact points (see exact_points), so a correct notebook's
    # score equals its maximum exactly
    score = sum((exact_points(o.score) for o in run.outcomes), Fraction(0))
    return SubmissionResult(
        source=name,
        content_hash=digest,
        student=ident.student,
        identified_by=ident.how,
        assignment=context.assignment.id,
        status="graded",
        score=float(score),
        max_score=float(sum((exact_points(o.max_score) for o in run.outcomes), Fraction(0))),
        parts=tuple(run.outcomes),
        notes=_clip(notes + run.notes),
        flags=_clip(flags),
        duration=time.monotonic() - start,
        sandbox_warnings=run.warnings,
    )


def grade_submission(data: bytes, source: str, context: GradingContext) -> SubmissionResult:
    """Grade one submitted notebook.

    Parameters
    ----------
    data
        The file's bytes.
    source
        Its file name (``<student_id>.ipynb``); folders are ignored.
    context
        The batch's assignment, secret, roster and limits.

    Returns
    -------
    SubmissionResult
        ``graded`` with a score per part; ``error`` with a reason for a file
        that cannot be graded; ``failed`` when the grader itself failed.

    Examples
    --------
    Alice's notebook filled in from the key gets the single part's point
    (this starts a real sandbox); empty bytes get a zero with the reason:

    >>> from exercises.assignment import build_exercises
    >>> from grader.simulate import filled_notebook, notebook_bytes
    >>> secret = b"0123456789abcdef"
    >>> ctx = GradingContext({"id": "w1", "title": "t", "slots": [{"id": "q1", "family": "conv_output_size"}]},
    ...                      secret)
    >>> nb = filled_notebook(ctx.assignment, "alice", build_exercises(ctx.assignment, secret, "alice"))
    >>> r = grade_submission(notebook_bytes(nb), "alice.ipynb", ctx)
    >>> r.status, r.student, r.score, r.max_score, r.parts[0].message
    ('graded', 'alice', 1.0, 1.0, "'out_size' is correct")
    >>> r = grade_submission(b"", "bob.ipynb", ctx)
    >>> r.status, r.score, r.message
    ('error', 0.0, 'the file is not valid JSON (truncated or edited by hand?): Expecting value: line 1 column 1')
    """
    start = time.monotonic()
    digest = content_hash(data)
    try:
        return bounded_result(_grade(data, source, context, digest, start))
    except (RecursionError, MemoryError) as err:  # the submission's size or nesting, not a grader bug
        try:
            max_score, assignment = context.max_score, context.assignment.id
        except Exception:  # noqa: BLE001 - the context itself is broken
            max_score, assignment = 0.0, str(context.assignment_data.get("id", ""))
        return error_result(
            PurePath(source).name,
            digest,
            assignment=assignment,
            max_score=max_score,
            status="error",
            message=f"the submission is too large or too deeply nested for the grader to read ({type(err).__name__})",
            duration=time.monotonic() - start,
        )
    except Exception as err:  # a grader bug must not stop the batch
        try:
            max_score, assignment = context.max_score, context.assignment.id
        except Exception:  # the context itself is broken
            max_score, assignment = 0.0, str(context.assignment_data.get("id", ""))
        return error_result(
            PurePath(source).name,
            digest,
            assignment=assignment,
            max_score=max_score,
            status="failed",
            message=cap(f"the grader failed on this submission ({type(err).__name__}: {err})", MESSAGE_LIMIT),
            duration=time.monotonic() - start,
        )


def bounded_result(result: SubmissionResult) -> SubmissionResult:
    """``result`` with every student-derived string capped (:data:`grader.safetext.MESSAGE_LIMIT` each,
    :data:`grader.safetext.MAX_ITEMS` notes and flags), so what is stored and exported per student is bounded.

    Examples
    --------
    >>> from grader.results import error_result
    >>> r = bounded_result(error_result("a.ipynb", "00", assignment="hw1", max_score=1, message="x" * 10**7,
    ...                                 notes=tuple("n" for _ in range(1000))))
    >>> len(r.message) < 2100, len(r.notes), r.notes[-1]
    (True, 51, '… (950 more truncated)')
    """
    return dataclasses.replace(
        result,
        message=cap(result.message, MESSAGE_LIMIT),
        notes=cap_items(result.notes),
        flags=cap_items(result.flags),
        sandbox_warnings=cap_items(result.sandbox_warnings),
        parts=tuple(dataclasses.replace(p, message=cap(p.message, MESSAGE_LIMIT)) for p in result.parts),
    )


_CONTEXTS: dict[str, GradingContext] = {}


def grade_payload(context_data: Mapping[str, Any], source: str, data: bytes) -> dict[str, Any]:
    """Worker entry point: plain data in, plain data out (no shared disk needed).

    Parameters
    ----------
    context_data
        :meth:`GradingContext.to_data` of the batch (cached per process).
    source
        The submission's file name.
    data
        The submission's bytes.

    Returns
    -------
    dict
        :meth:`SubmissionResult.to_dict`.

    Notes
    -----
    On Dask distributed (:mod:`grader.distributed`), each task is this
    function with ``context_data`` bound in (a small dict, sent with the task),
    called with the submission's name and bytes; the coordinator records each
    returned dict in its gradebook.

    Examples
    --------
    The context crosses as plain data (the secret as hex); the result comes
    back as a dict. Alice's notebook with a wrong answer scores 0 of 1:

    >>> from exercises.assignment import build_exercises
    >>> from grader.simulate import filled_notebook, notebook_bytes
    >>> secret = b"0123456789abcdef"
    >>> ctx = GradingContext({"id": "w1", "title": "t", "slots": [{"id": "q1", "family": "conv_output_size"}]},
    ...                      secret)
    >>> nb = filled_notebook(ctx.assignment, "alice", build_exercises(ctx.assignment, secret, "alice"),
    ...                      answers={("q1", "a"): "out_size = -1"})
    >>> d = grade_payload(ctx.to_data(), "alice.ipynb", notebook_bytes(nb))
    >>> d["student"], d["score"], d["max_score"], d["parts"][0]["status"]
    ('alice', 0.0, 1.0, 'incorrect')
    """
    key = hashlib.sha256(json.dumps(context_data, sort_keys=True, default=str).encode()).hexdigest()
    context = _CONTEXTS.get(key)
    if context is None:
        _CONTEXTS.clear()
        context = _CONTEXTS[key] = GradingContext.from_data(context_data)
    return grade_submission(data, source, context).to_dict()
