r"""Check one answer against its part, and name the misconception behind a wrong one.

:func:`check_part` dispatches on the part's :class:`~exercises.model.AnswerSpec`
kind. Every wrong answer is then compared, *with the same comparison*, to the
answer each of the part's :class:`~exercises.model.WrongAnswer` s gives; a
match names the mistake through :func:`convmath.misconceptions.feedback`
("15 is what you get with padding counted once, p instead of 2p").

Kinds
-----
``integer``
    Exact. Python and numpy ints; an integral float (``110592.0``) is accepted
    with a note unless ``CheckOptions(accept_integral_float=False)``; ``bool``
    is refused; a non-integral number is wrong (and may match ``no_floor``).
``shape``
    A tuple or list of ints, compared exactly; integral floats (``(6.0, 34.0, 34.0)``)
    follow the rule of ``integer`` parts (accepted with a note unless refused by the option).
``array``
    Numbers compared with the spec's ``rtol``/``atol`` by
    :func:`convmath.testing.comparison.compare` (NaN equals NaN; shapes must
    agree, and a shape mismatch is explained).
``expression``
    A string parsed by :func:`grader.expr.parse_expression` (never ``eval``),
    equal to the expected expression if it agrees at random points of the
    symbols' domains (integers for integer symbols, so floors are exercised;
    the same points for every student), unless, for small expressions,
    ``sympy`` simplifies the difference to a nonzero constant. Values at the
    points come from :func:`grader.expr.compile_expression`: exact rationals,
    or float enclosures of irrational values, and sympy wherever those cannot
    decide; the expected expression's values are computed once per process.
``function``
    Property-tested through ``call`` by :func:`convmath.testing.runner.check_function`,
    the code a course's CI runs through :mod:`convmath.testing`.
``choice``
    One of the spec's keys (surrounding blanks and case ignored).
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import inspect
import math
import numbers
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Literal

import numpy as np
import sympy

from convmath.errors import ConvMathError
from convmath.testing.comparison import Mismatch, compare, describe, fmt_value
from convmath.testing.functions import same_signature_reference, supports_for
from convmath.testing.runner import check_function, grader_settings, misconception_text
from exercises.domains import POINTS, SEED, close, sample_points
from exercises.model import Part

from .bounded import simplify_unequal, sympy_value
from .expr import Enclosure, ExpressionError, TooLarge, Undecided, compile_expression, make_symbols, parse_expression
from .messages import shorten

__all__ = ["CheckOptions", "PartResult", "check_part", "check_carried", "MESSAGES"]

Status = Literal["correct", "incorrect", "partial", "missing", "error"]


@dataclass(frozen=True)
class CheckOptions:
    """How strictly answers are checked; one instance per assignment."""

    accept_integral_float: bool = True
    """Accept ``110592.0`` for ``110592`` (with a note)."""

    reveal_expected: bool = True
    """Say the expected value in messages about a wrong value (with ``reveal="always"`` only)."""

    reveal: str = "always"
    """What feedback reveals (the assignment's ``reveal``): ``"always"`` the expected value and
    the misconception; ``"diagnosis"`` the misconception without the expected value; ``"never"``
    correct or not and the kind of reason only (no expected value, no misconception)."""

    @property
    def show_expected(self) -> bool:
        """Whether messages may say the expected value."""
        return self.reveal_expected and self.reveal == "always"

    misconception_credit: float = 0.0
    """Fraction of the points given for a wrong answer that matches a misconception
    (``> 0`` makes such answers ``partial``)."""

    expression_points: int = POINTS
    """Random points at which two expressions are compared (:func:`exercises.domains.sample_points`)."""

    simplify_max_ops: int = 40
    """Largest expression (``sympy.count_ops``) on which ``simplify`` is also tried."""

    max_examples: int = 30
    """Generated calls of a function answer (before shrinking)."""

    function_time_limit: float = 20.0
    """Seconds of calls for one function answer, shrinking included."""

    max_calls: int = 300
    """Most calls of one function answer, shrinking included."""

    seed: int = SEED
    """Seed of the random points of expression checks (fixed: every student gets the same points)."""


@dataclass(frozen=True)
class PartResult:
    """The verdict on one answer."""

    score: Fraction
    """Points earned, exact."""

    max_score: Fraction
    """Points the part is worth, exact."""

    status: Status
    """``correct``, ``incorrect``, ``partial``, ``missing`` or ``error`` (could not be evaluated)."""

    message: str
    """What the student reads, in the requested locale."""

    misconception: str | None = None
    """Label of the matched misconception, if any."""

    details: Mapping[str, Any] = field(default_factory=dict)
    """Plain data for the instructor (the failing call, the matched points, notes)."""


#: Student-facing templates, one per kind of outcome.
MESSAGES: dict[str, dict[str, str]] = {
    "correct": {"en": "'{name}' is correct", "zh": "'{name}' 正确"},
    "missing": {"en": "'{name}' was not answered", "zh": "'{name}' 没有作答"},
    "integral_float": {
        "en": "'{name}' is correct (given as the float {value}; an integer was expected)",
        "zh": "'{name}' 正确（给出的是浮点数 {value}，应为整数）",
    },
    "integral_float_shape": {
        "en": "'{name}' is correct (given with floats, {value}; a tuple of integers was expected)",
        "zh": "'{name}' 正确（给出的是浮点数 {value}，应为整数元组）",
    },
    "not_integer": {"en": "'{name}' must be an integer, not {what}", "zh": "'{name}' 应当是整数，而不是 {what}"},
    "wrong_integer": {"en": "'{name}' = {value} is not correct", "zh": "'{name}' = {value} 不正确"},
    "wrong_integer_reveal": {
        "en": "'{name}' = {value} is not correct; expected {expected}",
        "zh": "'{name}' = {value} 不正确，应为 {expected}",
    },
    "not_shape": {
        "en": "'{name}' must be a tuple of integers such as (3, 3), not {what}",
        "zh": "'{name}' 应当是整数元组，例如 (3, 3)，而不是 {what}",
    },
    "wrong_shape": {
        "en": "'{name}' does not have correct shape--got: {value}",
        "zh": "'{name}' 的形状不正确——得到：{value}",
    },
    "wrong_shape_reveal": {
        "en": "'{name}' does not have correct shape--got: {value}, expected: {expected}",
        "zh": "'{name}' 的形状不正确——得到：{value}，应为：{expected}",
    },
    "not_expression": {"en": "'{name}' could not be read: {reason}", "zh": "无法读取 '{name}'：{reason}"},
    "wrong_expression": {
        "en": "'{name}' = {value} differs from the right expression, e.g. at {point}",
        "zh": "'{name}' = {value} 与正确的表达式不同，例如在 {point} 处",
    },
    "wrong_choice": {"en": "'{name}' = {value} is not the right choice", "zh": "'{name}' = {value} 不是正确选项"},
    "unknown_choice": {
        "en": "'{name}' = {value} is not one of the choices {choices}",
        "zh": "'{name}' = {value} 不是选项 {choices} 之一",
    },
    "function_missing": {
        "en": "'{name}' is not defined yet (it still raises NotImplementedError)",
        "zh": "'{name}' 还没有实现（仍然抛出 NotImplementedError）",
    },
    "function_unavailable": {"en": "'{name}' could not be called: {reason}", "zh": "无法调用 '{name}'：{reason}"},
    "misconception": {"en": " — {feedback}", "zh": "——{feedback}"},
    "carried": {
        "en": "'{name}' = {value} follows from your earlier answers (error carried forward)",
        "zh": "'{name}' = {value} 与你前面的答案一致（误差传递，不重复扣分）",
    },
    "misconceptions": {
        "en": " — {value} is what you get with any of these mistakes: {titles}",
        "zh": "——以下任一错误都会得到 {value}：{titles}",
    },
    "or": {"en": "; or ", "zh": "；或"},
}


def _msg(key: str, locale: str, **values: Any) -> str:
    texts = MESSAGES[key]
    return texts.get(locale, texts["en"]).format(**values)


def check_part(
    part: Part,
    answer: Any,
    *,
    locale: str = "en",
    call: Callable[..., Any] | None = None,
    options: CheckOptions = CheckOptions(),
) -> PartResult:
    """Check ``answer`` for ``part``.

    Parameters
    ----------
    part : exercises.model.Part
        The regenerated part (never read from the notebook).
    answer : Any
        The plain data the sandbox extracted for ``part.answer.name``; ``None``
        means not answered. Ignored for ``function`` parts, which use ``call``.
    locale : {"en", "zh"}, optional
        Language of the message.
    call : callable, optional
        For ``function`` parts: ``call(args, kwargs)`` (or ``call(args)``) runs
        the student's function in the sandbox and returns an object with
        ``status`` (``ok``/``error``/``timeout``/``crashed``), ``value`` and
        ``message``. ``None`` means the function is not defined.
    options : CheckOptions, optional

    Returns
    -------
    PartResult

    Examples
    --------
    >>> from exercises.model import AnswerSpec, Part, WrongAnswer
    >>> part = Part("a", {"en": "Output size?"}, AnswerSpec("integer", "n_out", expected=16),
    ...             2.0, (WrongAnswer("padding_once", 15),))
    >>> check_part(part, 16).status
    'correct'
    >>> print(check_part(part, 15).message)  # doctest: +ELLIPSIS
    'n_out' = 15 is not correct; expected 16 — 15 is what you get with padding counted once, p instead of 2p: ...
    """
    spec = part.answer
    checker = _CHECKERS.get(spec.kind)
    if checker is None:
        raise ConvMathError(f"kind={spec.kind!r} is not allowed; use one of {', '.join(repr(k) for k in _CHECKERS)}")
    if spec.kind != "function" and answer is None:
        return PartResult(Fraction(0), part.points, "missing", _msg("missing", locale, name=spec.name))
    return checker(part, answer, locale, call, options)


def _result(
    part: Part,
    ok: bool,
    message: str,
    *,
    locale: str,
    options: CheckOptions,
    labels: tuple[str, ...] = (),
    value: Any = None,
    error: bool = False,
    details: Mapping[str, Any] | None = None,
) -> PartResult:
    """The verdict; a wrong answer names its misconception when exactly one catalogued mistake explains
    it, and all of them ("... or ...") when several do (``reveal="never"`` names none)."""
    details = dict(details or {})
    if ok:
        return PartResult(part.points, part.points, "correct", message, None, details)
    label = labels[0] if len(labels) == 1 else None
    if labels:
        details["misconceptions"] = list(labels)
    if options.reveal != "never":
        if label is not None:
            message += _msg("misconception", locale, feedback=misconception_text(label, value, locale=locale))
        elif labels:
            titles = _msg("or", locale).join(_title(lab, locale) for lab in labels)
            message += _msg("misconceptions", locale, value=value, titles=titles)
    if labels and _credit(options) > 0:
        return PartResult(part.points * _credit(options), part.points, "partial", message, label, details)
    return PartResult(Fraction(0), part.points, "error" if error else "incorrect", message, label, details)


def _title(label: str, locale: str) -> str:
    from convmath.misconceptions import CATALOGUE

    entry = CATALOGUE.get(label)
    return label if entry is None else str(entry.title.get(locale, entry.title["en"]))


def _credit(options: CheckOptions) -> Fraction:
    """The misconception credit as an exact fraction in [0, 1]."""
    return min(Fraction(1), max(Fraction(0), Fraction(repr(float(options.misconception_credit)))))


def _diagnose(part: Part, matches: Callable[[Any], bool]) -> tuple[str, ...]:
    """Every catalogued mistake of the part whose answer ``matches`` (one: it is named; several: all are)."""
    found: list[str] = []
    for wrong in part.wrong_answers:
        try:
            if matches(wrong.value) and wrong.label not in found:
                found.append(wrong.label)
        except (ConvMathError, TypeError, ValueError, ArithmeticError):
            continue
    return tuple(found)


# ----------------------------------------------------------------- integer


def _check_integer(part: Part, answer: Any, locale: str, call: Any, options: CheckOptions) -> PartResult:
    spec, name = part.answer, part.answer.name
    note = ""
    value = answer
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        return _result(
            part, False, _msg("not_integer", locale, name=name, what=_what(value)), locale=locale, options=options
        )
    whole, was_float = _integral(value)
    if was_float:
        if not options.accept_integral_float:
            return _result(
                part,
                False,
                _msg("not_integer", locale, name=name, what=f"the float {float(value)}"),
                locale=locale,
                options=options,
            )
        note = _msg("integral_float", locale, name=name, value=fmt_value(float(value)))
        value = whole
    # a non-integral number is never the integer (close is not equal: 17 + 1e-9 is not 17)
    same = isinstance(value, numbers.Integral) and _numbers_equal(value, spec.expected)
    if same:
        return _result(
            part,
            True,
            note or _msg("correct", locale, name=name),
            locale=locale,
            options=options,
            details={"note": note} if note else None,
        )
    labels = _diagnose(part, lambda w: _numbers_equal(value, w))
    key = "wrong_integer_reveal" if options.show_expected else "wrong_integer"
    return _result(
        part,
        False,
        _msg(key, locale, name=name, value=fmt_value(value), expected=spec.expected),
        locale=locale,
        options=options,
        labels=labels,
        value=fmt_value(value),
    )


def _numbers_equal(value: Any, expected: Any) -> bool:
    """Exact for ints and rationals; relative 1e-9 as soon as a float is involved."""

    def exact(v: Any) -> Fraction | None:
        if isinstance(v, numbers.Integral):
            return Fraction(int(v))
        if isinstance(v, sympy.Rational):
            return Fraction(int(v.p), int(v.q))
        if isinstance(v, Fraction):
            return v
        return None

    a, b = exact(value), exact(expected)
    if a is not None and b is not None:
        return a == b
    return math.isclose(float(value), float(expected), rel_tol=1e-9, abs_tol=1e-12)


def _what(value: Any) -> str:
    if isinstance(value, str):
        return shorten(f"the string {value!r}", 80)
    return type(value).__name__


# ----------------------------------------------------------------- shape


def _integral(value: Any) -> tuple[int | None, bool]:
    """The one rule for integer-valued answers (integers and the entries of shapes): ``(int, was_float)``.

    Python and numpy ints are ints; an integral float (``168.0``, ``np.float64(6.0)``) is its int,
    flagged; ``bool``, non-integral and non-finite numbers and anything else are ``(None, False)``.
    """
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        return None, False
    if isinstance(value, numbers.Integral):
        return int(value), False
    if math.isfinite(value) and float(value).is_integer():
        return int(value), True
    return None, False


def _check_shape(part: Part, answer: Any, locale: str, call: Any, options: CheckOptions) -> PartResult:
    spec, name = part.answer, part.answer.name
    shape, floats = _shape_of(answer)
    if shape is None or (floats and not options.accept_integral_float):
        what = "floats" if shape is not None else _what_shape(answer)
        return _result(part, False, _msg("not_shape", locale, name=name, what=what), locale=locale, options=options)
    shown = tuple(answer.tolist()) if isinstance(answer, np.ndarray) else tuple(answer)
    note = _msg("integral_float_shape", locale, name=name, value=str(tuple(float(v) for v in shown))) if floats else ""
    expected = tuple(int(v) for v in spec.expected)
    if shape == expected:
        return _result(
            part,
            True,
            note or _msg("correct", locale, name=name),
            locale=locale,
            options=options,
            details={"note": note} if note else None,
        )
    labels = _diagnose(part, lambda w: _as_shape(w) == shape)
    key = "wrong_shape_reveal" if options.show_expected else "wrong_shape"
    return _result(
        part,
        False,
        _msg(key, locale, name=name, value=shape, expected=expected),
        locale=locale,
        options=options,
        labels=labels,
        value=shape,
    )


def _shape_of(value: Any) -> tuple[tuple[int, ...] | None, bool]:
    """A tuple/list (or 1-D array) of integer-valued entries as ``(shape, some entry was a float)``."""
    if isinstance(value, np.ndarray) and value.ndim == 1 and value.dtype.kind in "iuf":
        value = value.tolist()
    if not isinstance(value, (tuple, list)):
        return None, False
    entries = [_integral(v) for v in value]
    if any(v is None for v, _ in entries):
        return None, False
    return tuple(v for v, _ in entries), any(f for _, f in entries)  # type: ignore[misc]


def _what_shape(value: Any) -> str:
    if isinstance(value, (tuple, list)):
        bad = next((v for v in value if _integral(v)[0] is None), None)
        return f"a {type(value).__name__} holding {fmt_value(bad, limit=40)!s}"[:80]
    return _what(value)


def _as_shape(value: Any) -> tuple[int, ...] | None:
    return _shape_of(value)[0]


# ----------------------------------------------------------------- array


def _check_array(part: Part, answer: Any, locale: str, call: Any, options: CheckOptions) -> PartResult:
    spec, name = part.answer, part.answer.name
    rtol, atol = spec.rtol, spec.atol
    mismatch = compare(spec.expected, answer, rtol=rtol, atol=atol)
    if mismatch is None:
        return _result(part, True, _msg("correct", locale, name=name), locale=locale, options=options)
    message = describe(mismatch, name, locale=locale, reveal=options.show_expected)
    labels = (
        () if mismatch.kind == "type" else _diagnose(part, lambda w: compare(w, answer, rtol=rtol, atol=atol) is None)
    )
    return _result(
        part,
        False,
        message,
        locale=locale,
        options=options,
        labels=labels,
        value=fmt_value(answer, limit=60),
        details={"mismatch": _plain(mismatch)},
    )


def _plain(m: Mismatch) -> dict[str, Any]:
    return {"kind": m.kind, "got": str(m.got), "expected": str(m.expected), "index": m.index, "count": m.count}


# ----------------------------------------------------------------- expression


def _check_expression(part: Part, answer: Any, locale: str, call: Any, options: CheckOptions) -> PartResult:
    spec, name = part.answer, part.answer.name
    symbols = make_symbols(spec.symbols)
    text = str(answer) if isinstance(answer, (int, float)) and not isinstance(answer, bool) else answer
    try:
        student = parse_expression(text, symbols)
    except ExpressionError as err:
        return _result(
            part,
            False,
            _msg("not_expression", locale, name=name, reason=err),
            locale=locale,
            options=options,
            error=True,
        )
    expected = _rebind(sympy.sympify(spec.expected), symbols)
    points = _points(spec, options)
    counter, exact = _compare_at(student, expected, points)
    if counter is None and not exact and _provably_unequal(student, expected, options):
        counter = {}
    if counter is None:
        return _result(
            part,
            True,
            _msg("correct", locale, name=name),
            locale=locale,
            options=options,
            details={"points": len(points)},
        )
    labels = _diagnose(part, lambda w: _differs(student, _rebind(sympy.sympify(w), symbols), points) is None)
    point = ", ".join(f"{k} = {v}" for k, v in counter.items()) or "general"
    return _result(
        part,
        False,
        _msg("wrong_expression", locale, name=name, value=text, point=point),
        locale=locale,
        options=options,
        labels=labels,
        value=text,
        details={"counterexample": counter},
    )


def _rebind(expr: sympy.Expr, symbols: Mapping[str, sympy.Symbol]) -> sympy.Expr:
    """Replace the expected expression's symbols by the spec's, matched by name."""
    return expr.xreplace({s: symbols[s.name] for s in expr.free_symbols if s.name in symbols})


class _Points(tuple):  # type: ignore[type-arg]
    """The sample points of one (domains, seed, count): dicts of ints and sympy Rationals, plus, for the
    fast evaluators, the same values as Fractions. Hashable by ``key``: evaluations are cached per key."""

    key: tuple[Any, ...]
    fractions: tuple[dict[str, Fraction], ...]

    def __hash__(self) -> int:
        return hash(self.key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Points) and self.key == other.key


def _points(spec: Any, options: CheckOptions) -> _Points:
    """The points of :func:`exercises.domains.sample_points` (the generator's), cached per (domains, bounds, seed,
    count)."""
    return _point_set(
        tuple(spec.symbols.items()),
        tuple(sorted(getattr(spec, "bounds", {}).items())),
        options.seed,
        options.expression_points,
    )


@functools.lru_cache(maxsize=64)
def _point_set(
    domains: tuple[tuple[str, str], ...], bounds: tuple[tuple[str, Any], ...], seed: int, count: int
) -> _Points:
    out = _Points(sample_points(dict(domains), dict(bounds), seed=seed, count=count))
    out.key = (domains, bounds, seed, count)
    out.fractions = tuple(
        {k: Fraction(v) if isinstance(v, int) else Fraction(int(v.p), int(v.q)) for k, v in p.items()} for p in out
    )
    return out


class _Slow:
    """A point the fast evaluation could not settle: sympy's value there (``None``: undefined)."""

    __slots__ = ("value",)

    def __init__(self, value: sympy.Expr | None) -> None:
        self.value = value


@functools.lru_cache(maxsize=512)
def _values(expr: sympy.Expr, points: _Points) -> tuple[Fraction | Enclosure | _Slow, ...]:
    """``expr`` at every point: fast (exact Fraction, or an Enclosure) where that decides, else sympy's
    value. Cached per (expression, points), so the key is evaluated once per process."""
    run = compile_expression(expr)
    out: list[Fraction | Enclosure | _Slow] = []
    for point, fractions in zip(points, points.fractions):
        if run is not None:
            try:
                out.append(run(fractions))
                continue
            except TooLarge:  # sympy would not finish either: undefined there
                out.append(_Slow(None))
                continue
            except Undecided:
                pass
        out.append(_Slow(_value(expr, _at(expr, point))))
    return tuple(out)


def _at(expr: sympy.Expr, point: Mapping[str, Any]) -> dict[sympy.Symbol, Any]:
    return {s: point[s.name] for s in expr.free_symbols if s.name in point}


def _differs(student: sympy.Expr, expected: sympy.Expr, points: _Points) -> dict[str, Any] | None:
    """The first point where the two differ (both defined, or only the student's undefined), else ``None``."""
    return _compare_at(student, expected, points)[0]


def _compare_at(student: sympy.Expr, expected: sympy.Expr, points: _Points) -> tuple[dict[str, Any] | None, bool]:
    """``(counterexample or None, exact)``: ``exact`` when at some point both values are rationals,
    computed exactly and equal (then ``student - expected`` is no nonzero constant)."""
    mine, theirs = _values(student, points), _values(expected, points)
    exact = False
    for point, v, e in zip(points, mine, theirs):
        if isinstance(e, _Slow) and e.value is None:
            continue  # the key is undefined there
        same = None if isinstance(v, _Slow) or isinstance(e, _Slow) else _same(v, e)
        if same is None:
            values = _at(student, point) | _at(expected, point)
            ev = e.value if isinstance(e, _Slow) else _value(expected, values)
            if ev is None:
                continue
            sv = v.value if isinstance(v, _Slow) else _value(student, values)
            same = sv is not None and _close(sv, ev)
            exact = exact or (same and sv.is_Rational and ev.is_Rational)
        else:
            exact = exact or (same and isinstance(v, Fraction) and isinstance(e, Fraction))
        if not same:
            return {k: (int(x) if isinstance(x, int) else str(x)) for k, x in point.items()}, exact
    return None, exact


def _same(v: Fraction | Enclosure, e: Fraction | Enclosure) -> bool | None:
    """:func:`_close` on fast values: exact for two rationals, else decided on the enclosures
    (``None`` when they cannot tell, e.g. a difference right at the tolerance)."""
    if isinstance(v, Fraction) and isinstance(e, Fraction):
        return v == e
    try:
        a, b = Enclosure.of(v), Enclosure.of(e)
    except Undecided:
        return None
    dlo, dhi = math.nextafter(a.lo - b.hi, -math.inf), math.nextafter(a.hi - b.lo, math.inf)
    biggest = max(-dlo, dhi)
    smallest = 0.0 if dlo <= 0.0 <= dhi else min(abs(dlo), abs(dhi))
    low = 0.0 if b.lo <= 0.0 <= b.hi else min(abs(b.lo), abs(b.hi))
    high = max(abs(b.lo), abs(b.hi))
    if biggest <= math.nextafter(1e-9 * max(1.0, low), 0.0):
        return True
    if smallest > math.nextafter(1e-9 * max(1.0, high), math.inf):
        return False
    return None


def _value(expr: sympy.Expr, values: Mapping[sympy.Symbol, Any]) -> sympy.Expr | None:
    return sympy_value(expr, values)  # in a limited child process: never a stall (grader.bounded)


_close = close


def _provably_unequal(student: sympy.Expr, expected: sympy.Expr, options: CheckOptions) -> bool:
    """Points agree; when both are small, let ``simplify`` disagree only if it proves a nonzero constant.

    Cheap proofs of a zero difference come first (sympy's own canonical form,
    then ``expand``): ``simplify`` of 0 cannot be a nonzero constant.
    """
    diff = student - expected
    if diff == 0:
        return False
    if sympy.count_ops(student) + sympy.count_ops(expected) > options.simplify_max_ops:
        return False
    return simplify_unequal(diff)  # in a limited child; False when sympy cannot tell in time


# ----------------------------------------------------------------- choice


def _check_choice(part: Part, answer: Any, locale: str, call: Any, options: CheckOptions) -> PartResult:
    spec, name = part.answer, part.answer.name
    choices = tuple(spec.choices)
    key = answer.strip() if isinstance(answer, str) else answer
    if isinstance(key, str) and key not in choices:
        folded = [c for c in choices if c.casefold() == key.casefold()]
        key = folded[0] if len(folded) == 1 else key
    if not isinstance(key, str) or key not in choices:  # `in` would compare an array elementwise
        shown = ", ".join(repr(c) for c in choices)
        return _result(
            part,
            False,
            _msg("unknown_choice", locale, name=name, value=repr(answer), choices=shown),
            locale=locale,
            options=options,
        )
    if key == spec.expected:
        return _result(part, True, _msg("correct", locale, name=name), locale=locale, options=options)
    labels = _diagnose(part, lambda w: w == key)
    return _result(
        part,
        False,
        _msg("wrong_choice", locale, name=name, value=repr(key)),
        locale=locale,
        options=options,
        labels=labels,
        value=repr(key),
    )


# ----------------------------------------------------------------- function


def _check_function(part: Part, answer: Any, locale: str, call: Any, options: CheckOptions) -> PartResult:
    spec, name = part.answer, part.answer.name
    if call is None:
        return PartResult(Fraction(0), part.points, "missing", _msg("missing", locale, name=name))
    supports = supports_for(spec.config, spec.reference, spec.signature)
    reference = same_signature_reference(spec.reference)
    report = check_function(
        _adapt(call),
        supports,
        reference=reference,
        rtol=spec.rtol or 1e-9,
        atol=spec.atol or 1e-9,
        settings=grader_settings(options.max_examples),
        time_limit=options.function_time_limit,
        max_calls=options.max_calls,
    )
    if report.missing:
        return PartResult(Fraction(0), part.points, "missing", _msg("function_missing", locale, name=name))
    details = {"calls": report.calls, "stopped": report.stopped}
    if report.passed:
        return _result(part, True, report.message(name, locale=locale), locale=locale, options=options, details=details)
    shown = "none" if options.reveal == "never" else "all" if options.show_expected else "diagnosis"
    failure = report.failure
    assert failure is not None
    details.update(call=failure.call, status=failure.status, misconceptions=list(failure.labels))
    message = report.message(name, locale=locale, reveal=shown)
    label = failure.misconception
    if label is not None and _credit(options) > 0:
        return PartResult(part.points * _credit(options), part.points, "partial", message, label, details)
    status: Status = "incorrect" if failure.status in ("wrong", "slow") else "error"
    return PartResult(Fraction(0), part.points, status, message, label, details)


def _adapt(call: Callable[..., Any]) -> Callable[[tuple[Any, ...], Mapping[str, Any]], Any]:
    """Accept ``call(args, kwargs)`` or ``call(args)`` from the pipeline."""
    try:
        params = [
            p
            for p in inspect.signature(call).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)
        ]
        two = len(params) >= 2 or any(p.kind == p.VAR_POSITIONAL for p in params)
    except (TypeError, ValueError):
        two = True
    if two:
        return call

    def one(args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> Any:
        if kwargs:
            raise ConvMathError("call(args) cannot pass keyword arguments; give call(args, kwargs)")
        return call(args)

    return one


def check_carried(
    part: Part,
    answer: Any,
    earlier: Mapping[str, Any],
    *,
    credit: Fraction | float = 1,
    locale: str = "en",
    options: CheckOptions = CheckOptions(),
) -> PartResult | None:
    """Error carried forward: credit for a wrong ``answer`` that follows from the student's own earlier answers.

    Parameters
    ----------
    part : exercises.model.Part
        A part with ``carry_forward`` (``{"compute": "module:function", "args": {...}}``).
    answer : Any
        The student's answer to ``part``.
    earlier : mapping
        Part key -> the student's answer, for the parts of the same exercise.
    credit : Fraction or float, optional
        Fraction of the points awarded (the slot's ``carry_forward``; default 1).
    locale : str, optional
        Language of the message.
    options : CheckOptions, optional

    Returns
    -------
    PartResult or None
        ``correct`` (full credit) or ``partial`` with a note, when ``answer`` is
        what the earlier answers imply (and that differs from the key); else ``None``.

    Examples
    --------
    >>> from exercises.families import generate
    >>> ex = generate("network_table", 3, difficulty=2)
    >>> first, pool = ex.parts[0], ex.parts[2]
    >>> first.answer.expected, pool.answer.expected
    ((4, 36, 36), (4, 18, 18))
    >>> check_carried(pool, (4, 19, 19), {first.key: (4, 38, 38)}).message
    "'shape_3' = (4, 19, 19) follows from your earlier answers (error carried forward)"
    >>> check_carried(pool, (4, 20, 20), {first.key: (4, 38, 38)}) is None
    True
    """
    spec = part.carry_forward
    if not spec or answer is None:
        return None
    module, _, attr = str(spec["compute"]).partition(":")
    try:
        compute = getattr(importlib.import_module(module), attr)
        implied = compute(dict(earlier), target=part.key, **dict(spec.get("args", {})))
    except (ConvMathError, ValueError, TypeError, ArithmeticError, KeyError, StopIteration):
        return None
    if implied is None:
        return None
    rebased = dataclasses.replace(part, answer=dataclasses.replace(part.answer, expected=implied), wrong_answers=())
    if check_part(part, implied, locale=locale, options=options).status == "correct":
        return None  # the earlier answers imply the key: nothing carried
    if check_part(rebased, answer, locale=locale, options=options).status != "correct":
        return None
    credit = min(
        Fraction(1), max(Fraction(0), Fraction(repr(float(credit))) if isinstance(credit, float) else Fraction(credit))
    )
    shown = tuple(answer) if isinstance(answer, list) else answer
    message = _msg(
        "carried", locale, name=part.answer.name, value=shown if isinstance(shown, tuple) else fmt_value(shown)
    )
    status: Status = "correct" if credit == 1 else "partial"
    return PartResult(
        part.points * credit,
        part.points,
        status,
        message,
        None,
        {"carried_forward": True, "implied": fmt_value(implied)},
    )


_CHECKERS: dict[str, Callable[[Part, Any, str, Any, CheckOptions], PartResult]] = {
    "integer": _check_integer,
    "shape": _check_shape,
    "array": _check_array,
    "expression": _check_expression,
    "function": _check_function,
    "choice": _check_choice,
}
