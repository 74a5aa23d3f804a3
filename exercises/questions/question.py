r"""A question file: TOML data that becomes an exercise family.

:func:`parse_question` checks a question's data (every problem is one line
naming the field, its value and what is allowed) and returns a
:class:`Question`; :meth:`Question.family` is the
:class:`~exercises.families.Family` that the rest of the pipeline
(notebooks, keys, sheets, grading) uses like any built-in family. Drawing a
variant is three steps, as for every family:

1. **draw**: parameters in file order (integer ranges, choices, random
   integer arrays, values derived from earlier ones), redrawn until every
   ``require`` holds;
2. **solve**: each part's answer, and the answer of each misconception the
   part names, from the same parameters;
3. **render**: prompt, hints, parts and worked solution per locale from
   their templates, with the answer names passed in.

``docs/authoring.md`` is the reference of every field.
"""

from __future__ import annotations

import json
import random
import re
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import sympy

from convmath.errors import ConvMathError

from ..domains import DOMAINS  # the one definition of the symbol domains, shared with the grader
from ..model import LOCALES, AnswerSpec, Exercise, Points, as_points
from .lang import Expr, compile_expr, evaluate
from .templates import check_template, render_template, to_code

__all__ = ["Question", "ParamSpec", "PartSpec", "parse_question", "load_question", "Attempt", "KINDS", "DOMAINS"]

#: Answer kinds a part may have.
KINDS = ("integer", "shape", "array", "expression", "choice", "function")
_IDENT = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,31}")
_ID = re.compile(r"[a-z][a-z0-9_]{0,63}")
_RESERVED = frozenset({"level", "answer", "name", "points", "True", "False", "None"})
_TOP = (
    "id",
    "title",
    "levels",
    "options",
    "params",
    "require",
    "setup",
    "prompt",
    "hints",
    "solution",
    "parts",
    "misconceptions",
    "source",
)
_PART = (
    "key",
    "name",
    "kind",
    "answer",
    "points",
    "prompt",
    "symbols",
    "bounds",
    "choices",
    "rtol",
    "atol",
    "signature",
    "op",
    "config",
    "reference",
    "solution_code",
    "forbidden_imports",
    "misconceptions",
)
_PARAM = ("range", "step", "choices", "array", "value")
_OWN = ("label", "title", "feedback")


@dataclass(frozen=True)
class ParamSpec:
    """One parameter: how it is drawn or derived."""

    name: str
    """Variable name used by the expressions and templates."""

    kind: str
    """``"range"``, ``"choices"``, ``"array"``, ``"derived"`` or ``"const"``."""

    low: Expr | None = None
    """``range``/``array``: the smallest value (an expression)."""

    high: Expr | None = None
    """``range``/``array``: the largest value (an expression)."""

    step: int = 1
    """``range``: the step between values."""

    choices: tuple[Any, ...] = ()
    """``choices``: the values drawn from, equally likely."""

    shape: tuple[Expr, ...] = ()
    """``array``: the shape (expressions)."""

    expr: Expr | None = None
    """``derived``: the expression."""

    value: Any = None
    """``const``: the value."""


@dataclass(frozen=True)
class PartSpec:
    """One part of a question: what the student defines, its key, its misconceptions."""

    key: str
    """Part id: ``"a"``, ``"b"``, ..."""

    name: str
    """Answer variable (or function) name."""

    kind: str
    """One of :data:`KINDS`."""

    answer: Expr | None
    """The key (every kind but ``function``)."""

    points: Points
    """Points of the part (exact)."""

    prompt: Mapping[str, str]
    """Locale -> template asking for this part."""

    symbols: Mapping[str, str] = field(default_factory=dict)
    """``expression``: symbol name -> domain."""

    bounds: Mapping[str, tuple[Expr | None, Expr | None]] = field(default_factory=dict)
    """``expression``: where the prompt says the answer holds, symbol -> (min, max) expressions
    (``None``: open); the grader compares only there."""

    choices: tuple[str, ...] = ()
    """``choice``: the option keys."""

    rtol: float = 0.0
    """``array``: relative tolerance."""

    atol: float = 0.0
    """``array``: absolute tolerance."""

    signature: str = ""
    """``function``: the signature shown, e.g. ``"out_size(n, kernel_size)"``."""

    args: tuple[str, ...] = ()
    """``function``: the argument names (from the signature)."""

    config: Mapping[str, Any] = field(default_factory=dict)
    """``function``: what the function check draws (``op``, ``args``, ...)."""

    reference: Expr | None = None
    """``function``: the reference, an expression in the arguments."""

    solution_code: str = ""
    """``function``: the key's code (default: generated from a simple reference)."""

    forbidden_imports: tuple[str, ...] = ()
    """``function``: modules the student may not import."""

    misconceptions: tuple[tuple[str, Expr | None], ...] = ()
    """(label, wrong answer expression or ``None`` to apply the catalogue's wrong formula)."""


@dataclass(frozen=True)
class Attempt:
    """The outcome of one draw: a variant, or why the draw was rejected."""

    exercise: Exercise | None
    """The variant (``None`` when rejected)."""

    reason: str = ""
    """Why it was rejected: a ``require`` that failed, a formula undefined for the draw, ..."""

    env: Mapping[str, Any] = field(default_factory=dict)
    """The values drawn when they satisfy every ``require`` (for the self-test), else empty."""


def _where(qid: str, path: str) -> str:
    return f"question {qid!r}: {path}"


def _locale_table(raw: Any, where: str, *, required: bool = True, steps: bool = False) -> dict[str, Any]:
    """``{en = ..., zh = ...}`` (every locale), or one string for every locale; steps: lists of strings."""
    if raw is None and not required:
        return {}
    if isinstance(raw, str) or (steps and isinstance(raw, list)):
        raw = {locale: raw for locale in LOCALES}
    if not isinstance(raw, dict):
        raise ConvMathError(f"{where}={raw!r} must be a string or a table with {', '.join(LOCALES)}")
    out = {}
    for locale in LOCALES:
        if locale not in raw:
            raise ConvMathError(f"{where} has no {locale!r} text")
        value = raw[locale]
        items = [value] if isinstance(value, str) else value
        if (
            not isinstance(items, list)
            or not items
            or not all(isinstance(v, str) for v in items)
            or (not steps and len(items) != 1)
        ):
            shape = "a string or a list of strings" if steps else "a string"
            raise ConvMathError(f"{where}.{locale}={value!r} must be {shape}")
        for i, text in enumerate(items):
            check_template(text, f"{where}.{locale}" + (f"[{i}]" if steps and len(items) > 1 else ""))
        out[locale] = tuple(items) if steps else items[0]
    extra = sorted(set(raw) - set(LOCALES))
    if extra:
        raise ConvMathError(f"{where}: locale {extra[0]!r} is not allowed; use {', '.join(LOCALES)}")
    return out


def _table(raw: Any, where: str, allowed: Sequence[str]) -> dict[str, Any]:
    """``raw`` as a table with only ``allowed`` keys."""
    if not isinstance(raw, dict):
        raise ConvMathError(f"{where} must be a table with {', '.join(allowed)}")
    unknown = sorted(set(raw) - set(allowed))
    if unknown:
        raise ConvMathError(f"{where}: key {unknown[0]!r} is not allowed; use {', '.join(allowed)}")
    return raw


def _expr(raw: Any, where: str) -> Expr:
    if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
        raise ConvMathError(f"{where}={raw!r} must be an expression (a string) or a number")
    try:
        return compile_expr(str(raw))
    except ConvMathError as err:
        raise ConvMathError(f"{where}: {err}") from err


def _param(name: str, raw: Any, where: str) -> ParamSpec:
    if isinstance(raw, str):
        return ParamSpec(name, "derived", expr=_expr(raw, where))
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return ParamSpec(name, "const", value=raw)
    if not isinstance(raw, dict):
        raise ConvMathError(f"{where}={raw!r} must be a number, an expression, or a table with range, choices or array")
    raw = _table(raw, where, _PARAM)
    if "choices" in raw:
        choices = raw["choices"]
        if not isinstance(choices, list) or not choices:
            raise ConvMathError(f"{where}.choices={choices!r} must be a non-empty list")
        return ParamSpec(name, "choices", choices=tuple(tuple(c) if isinstance(c, list) else c for c in choices))
    bounds = raw.get("range")
    if not isinstance(bounds, list) or len(bounds) != 2:
        raise ConvMathError(f"{where}.range={bounds!r} must be [low, high] (both included)")
    low, high = (_expr(b, f"{where}.range") for b in bounds)
    if "array" in raw:
        shape = raw["array"]
        if not isinstance(shape, list) or not 1 <= len(shape) <= 3:
            raise ConvMathError(f"{where}.array={shape!r} must be a shape of 1 to 3 sizes, e.g. [4, 4]")
        return ParamSpec(name, "array", low=low, high=high, shape=tuple(_expr(s, f"{where}.array") for s in shape))
    step = raw.get("step", 1)
    if isinstance(step, bool) or not isinstance(step, int) or step < 1:
        raise ConvMathError(f"{where}.step={step!r} must be a positive integer")
    return ParamSpec(name, "range", low=low, high=high, step=step)


def _name_of(raw: Any, where: str) -> str:
    if not isinstance(raw, str) or not _IDENT.fullmatch(raw) or raw in _RESERVED:
        raise ConvMathError(
            f"{where}={raw!r} is not allowed; use a Python identifier (letter first, at most 32), "
            "not level, answer, name or points"
        )
    return raw


def _function_part(raw: Mapping[str, Any], where: str) -> dict[str, Any]:
    from convmath.testing.functions import Supports

    signature = raw.get("signature")
    match = (
        re.fullmatch(r"\s*([A-Za-z_]\w*)\s*\(([^()]*)\)\s*", signature or "") if isinstance(signature, str) else None
    )
    if match is None:
        raise ConvMathError(f"{where}.signature={signature!r} must look like 'name(arg1, arg2, ...)'")
    args = tuple(a.strip() for a in match.group(2).split(",") if a.strip())
    for arg in args:
        _name_of(arg, f"{where}.signature argument")
    config = raw.get("config", {})
    if not isinstance(config, dict):
        raise ConvMathError(f"{where}.config={config!r} must be a table")
    config = dict(config)
    if "op" in raw:
        config["op"] = raw["op"]
    config.setdefault("op", "output_size")
    if config["op"] == "output_size":
        config.setdefault("args", list(args))
    try:
        Supports.from_config(config)
    except ConvMathError as err:
        raise ConvMathError(f"{where}.config: {err}") from err
    if "reference" not in raw:
        raise ConvMathError(f"{where}: a function part needs reference = an expression in {', '.join(args)}")
    reference = _expr(raw["reference"], f"{where}.reference")
    solution = raw.get("solution_code", "")
    if not isinstance(solution, str):
        raise ConvMathError(f"{where}.solution_code={solution!r} must be a string")
    simple = {"floor", "ceil", "min", "max", "abs"}
    called = reference.calls() - simple
    if not solution and called:
        raise ConvMathError(
            f"{where}: reference calls {sorted(called)[0]!r}; give solution_code (the key's Python "
            "code), since only floor, ceil, min, max and abs are written into a key automatically"
        )
    forbidden = raw.get("forbidden_imports", [])
    if not isinstance(forbidden, list) or not all(isinstance(m, str) for m in forbidden):
        raise ConvMathError(f"{where}.forbidden_imports={forbidden!r} must be a list of module names")
    return {
        "name": match.group(1),
        "signature": signature.strip(),
        "args": args,
        "config": config,
        "reference": reference,
        "solution_code": solution,
        "forbidden_imports": tuple(forbidden),
    }


def _part(index: int, raw: Any, qid: str, own: set[str], derived_calls: frozenset[str]) -> PartSpec:
    from convmath.misconceptions import CATALOGUE

    where = _where(qid, f"parts[{index}]")
    raw = _table(raw, where, _PART)
    kind = raw.get("kind", "integer")
    if kind not in KINDS:
        raise ConvMathError(f"{where}.kind={kind!r} is not allowed; use one of {', '.join(KINDS)}")
    key = raw.get("key", "abcdefghijklmnopqrstuvwxyz"[index] if index < 26 else f"p{index}")
    if not isinstance(key, str) or not re.fullmatch(r"[a-z0-9]{1,8}", key):
        raise ConvMathError(f"{where}.key={key!r} is not allowed; use 1-8 lowercase letters or digits")
    points = raw.get("points", 1)
    try:
        points = as_points(points) if isinstance(points, (int, float, str)) else None
    except (ValueError, ZeroDivisionError):
        points = None
    if points is None or not 0 < points <= 1000:
        raise ConvMathError(f'{where}.points={raw.get("points")!r} must be a positive number (e.g. 2, 1.5 or "4/3")')
    extra: dict[str, Any] = {}
    if kind == "function":
        extra = _function_part(raw, where)
        name = extra.pop("name")
        if "name" in raw and raw["name"] != name:
            raise ConvMathError(f"{where}.name={raw['name']!r} differs from the signature's name {name!r}")
        answer = None
    else:
        name = _name_of(raw.get("name"), f"{where}.name")
        if "answer" not in raw:
            raise ConvMathError(f"{where}: no answer (the key, an expression)")
        answer = _expr(raw["answer"], f"{where}.answer")
    if kind == "expression":
        symbols = raw.get("symbols")
        if not isinstance(symbols, dict) or not symbols:
            raise ConvMathError(f"{where}.symbols={symbols!r} must be a table of symbol = domain")
        for symbol, domain in symbols.items():
            _name_of(symbol, f"{where}.symbols")
            if domain not in DOMAINS:
                raise ConvMathError(
                    f"{where}.symbols.{symbol}={domain!r} is not allowed; use one of {', '.join(DOMAINS)}"
                )
        extra["symbols"] = dict(symbols)
        bounds = raw.get("bounds", {})
        if not isinstance(bounds, dict):
            raise ConvMathError(f"{where}.bounds={bounds!r} must be a table of symbol = {{ min = ..., max = ... }}")
        extra["bounds"] = {}
        for symbol, limits in bounds.items():
            if symbol not in symbols:
                raise ConvMathError(f"{where}.bounds: {symbol!r} is not one of the symbols {', '.join(symbols)}")
            limits = _table(limits, f"{where}.bounds.{symbol}", ("min", "max"))
            extra["bounds"][symbol] = tuple(
                None if key not in limits else _expr(limits[key], f"{where}.bounds.{symbol}.{key}")
                for key in ("min", "max")
            )
    if kind == "choice":
        choices = raw.get("choices")
        if (
            not isinstance(choices, list)
            or len(choices) < 2
            or not all(isinstance(c, str) and c for c in choices)
            or len(set(choices)) != len(choices)
        ):
            raise ConvMathError(f"{where}.choices={choices!r} must list at least two distinct option keys")
        extra["choices"] = tuple(choices)
    if kind == "array":
        for tol in ("rtol", "atol"):
            value = raw.get(tol, 0.0)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
                raise ConvMathError(f"{where}.{tol}={value!r} must be a number in [0, 1)")
            extra[tol] = float(value)
    prompt_default = {"en": f"Define `{{{{ name.{name} }}}}`.", "zh": f"请把结果赋给变量 `{{{{ name.{name} }}}}`。"}
    if kind == "function":
        prompt_default = {
            "en": f"Write the function `{{{{ signature.{name} }}}}`.",
            "zh": f"编写函数 `{{{{ signature.{name} }}}}`。",
        }
    prompt = _locale_table(raw.get("prompt", prompt_default), f"{where}.prompt")
    wrongs = []
    raw_wrongs = raw.get("misconceptions", [])
    if not isinstance(raw_wrongs, list):
        raise ConvMathError(f"{where}.misconceptions={raw_wrongs!r} must be a list")
    if raw_wrongs and kind == "function":
        raise ConvMathError(
            f"{where}: a function part's misconceptions are found by the function check; remove misconceptions"
        )
    for j, item in enumerate(raw_wrongs):
        label, expr = item, None
        if isinstance(item, dict):
            item = _table(item, f"{where}.misconceptions[{j}]", ("label", "answer"))
            label = item.get("label")
            expr = _expr(item["answer"], f"{where}.misconceptions[{j}].answer") if "answer" in item else None
        if not isinstance(label, str) or (label not in CATALOGUE and label not in own):
            raise ConvMathError(
                f"{where}.misconceptions[{j}]: label={label!r} is not in the catalogue nor among this "
                "question's [[misconceptions]] (docs/authoring.md lists the catalogue)"
            )
        if expr is None:
            if label in own:
                raise ConvMathError(f"{where}.misconceptions[{j}]: the course's own {label!r} needs answer = ...")
            quantity = CATALOGUE[label].quantity
            assert answer is not None
            if quantity not in answer.calls() | derived_calls:
                raise ConvMathError(
                    f"{where}.misconceptions[{j}]: {label!r} miscomputes {quantity}, which neither the answer "
                    f'{answer.text!r} nor a derived parameter calls; give {{ label = {label!r}, answer = "..." }}'
                )
        wrongs.append((label, expr))
    if kind == "choice" and any(e is None for _, e in wrongs):
        raise ConvMathError(f"{where}: a choice part's misconceptions need answer = the option they pick")
    extra["misconceptions"] = tuple(wrongs)
    return PartSpec(key=key, name=name, kind=kind, answer=answer, points=points, prompt=prompt, **extra)


def _own_misconceptions(raw: Any, qid: str) -> tuple[dict[str, Any], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise ConvMathError(f"{_where(qid, 'misconceptions')}={raw!r} must be an array of tables")
    out = []
    for i, item in enumerate(raw):
        item = _table(item, _where(qid, f"misconceptions[{i}]"), _OWN)
        out.append({"label": item.get("label"), "title": item.get("title"), "feedback": item.get("feedback")})
    return tuple(out)


def _register_own(own: Sequence[Mapping[str, Any]], qid: str) -> None:
    from ..families import register_misconception

    for i, item in enumerate(own):
        try:
            register_misconception(
                item["label"], wrong=_no_formula, feedback=item["feedback"], title=item["title"], quantity="question"
            )
        except ConvMathError as err:
            raise ConvMathError(f"{_where(qid, f'misconceptions[{i}]')}: {err}") from err


def _no_formula(*args: Any, **kwargs: Any) -> Any:
    """A question's own misconception has its wrong value in the question file, not a formula."""
    raise ConvMathError("this misconception's wrong answer is given by its question file")


def parse_question(data: Mapping[str, Any], *, source: str = "", default_id: str = "") -> Question:
    """Check a question's data and build the :class:`Question`.

    Parameters
    ----------
    data : mapping
        The TOML document.
    source : str, optional
        Where it came from (named in messages and in the family's ``source``).
    default_id : str, optional
        The id when the data has none (the file name's stem).

    Returns
    -------
    Question

    Examples
    --------
    >>> q = parse_question({
    ...     "id": "demo_span", "title": {"en": "Span", "zh": "跨度"},
    ...     "params": {"k": {"range": [2, 5]}, "d": {"choices": [2, 3]}},
    ...     "prompt": {"en": "Kernel {{ k }}, dilation {{ d }}: span?", "zh": "卷积核 {{ k }}，膨胀率 {{ d }}：跨度？"},
    ...     "parts": [{"name": "span", "answer": "d*(k - 1) + 1",
    ...                "misconceptions": [{"label": "dilated_kernel_dk", "answer": "d*k"}]}]})
    >>> ex = q.family().draw(random.Random(0), 1, {})
    >>> ex.params, ex.parts[0].answer.expected, ex.parts[0].wrong_answers   # 3*(5 - 1) + 1
    ({'k': 5, 'd': 3}, 13, (WrongAnswer(label='dilated_kernel_dk', value=15),))
    >>> parse_question({"id": "x", "title": "t", "prompt": "p",  # doctest: +ELLIPSIS
    ...                 "parts": [{"name": "y", "answer": "os.system('')"}]})
    Traceback (most recent call last):
    ...
    convmath.errors.ConvMathError: question 'x': parts[0].answer: expression ...: attribute access is not allowed ...
    """
    if not isinstance(data, Mapping):
        raise ConvMathError(f"question={data!r} must be a table")
    qid = data.get("id", default_id)
    if not isinstance(qid, str) or not _ID.fullmatch(qid):
        raise ConvMathError(f"question id={qid!r} is not allowed; use lowercase letters, digits and '_', letter first")
    unknown = sorted(set(data) - set(_TOP))
    if unknown:
        raise ConvMathError(f"{_where(qid, '')}key {unknown[0]!r} is not allowed; use {', '.join(_TOP)}")
    title = _locale_table(data.get("title", qid), _where(qid, "title"))
    levels = data.get("levels", [1])
    if (
        not isinstance(levels, list)
        or not levels
        or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in levels)
        or len(set(levels)) != len(levels)
    ):
        raise ConvMathError(f"{_where(qid, 'levels')}={levels!r} must be a list of distinct positive integers")
    options = data.get("options", {})
    if not isinstance(options, dict):
        raise ConvMathError(f"{_where(qid, 'options')}={options!r} must be a table of option = default")
    names: set[str] = {"level"}
    for key, value in options.items():
        _name_of(key, _where(qid, "options"))
        if not isinstance(value, (int, float, str, bool)):
            raise ConvMathError(f"{_where(qid, f'options.{key}')}={value!r} must be a number, a string or a boolean")
        names.add(key)
    raw_params = data.get("params", {})
    if not isinstance(raw_params, dict):
        raise ConvMathError(f"{_where(qid, 'params')}={raw_params!r} must be a table of name = definition")
    params = []
    for key, raw in raw_params.items():
        _name_of(key, _where(qid, "params"))
        if key in names:
            raise ConvMathError(f"{_where(qid, f'params.{key}')} is defined twice (an option or level has that name)")
        spec = _param(key, raw, _where(qid, f"params.{key}"))
        for expr in (spec.low, spec.high, spec.expr, *spec.shape):
            if expr is not None:
                _check_names(expr, names, _where(qid, f"params.{key}"))
        params.append(spec)
        names.add(key)
    require = data.get("require", [])
    if isinstance(require, str):
        require = [require]
    if not isinstance(require, list):
        raise ConvMathError(f"{_where(qid, 'require')}={require!r} must be a list of conditions")
    conditions = tuple(_expr(r, _where(qid, f"require[{i}]")) for i, r in enumerate(require))
    for i, cond in enumerate(conditions):
        _check_names(cond, names, _where(qid, f"require[{i}]"))
    setup = data.get("setup", [])
    if not isinstance(setup, list) or not all(isinstance(s, str) and s in names for s in setup):
        raise ConvMathError(f"{_where(qid, 'setup')}={setup!r} must list parameters shown to the student as code")
    own = _own_misconceptions(data.get("misconceptions"), qid)
    own_labels = {item["label"] for item in own if isinstance(item["label"], str)}
    raw_parts = data.get("parts")
    if not isinstance(raw_parts, list) or not raw_parts:
        raise ConvMathError(f"{_where(qid, 'parts')} must be a non-empty array of tables ([[parts]])")
    derived_calls = frozenset().union(*(p.expr.calls() for p in params if p.expr is not None))
    parts = tuple(_part(i, raw, qid, own_labels, derived_calls) for i, raw in enumerate(raw_parts))
    for field_name, values in (("key", [p.key for p in parts]), ("name", [p.name for p in parts])):
        if len(set(values)) != len(values):
            raise ConvMathError(f"{_where(qid, 'parts')}: the part {field_name}s {values} are not distinct")
    for i, part in enumerate(parts):
        symbols = set(part.symbols) | set(part.args)
        bound_exprs = [e for pair in part.bounds.values() for e in pair if e is not None]
        for expr in (part.answer, part.reference, *(e for _, e in part.misconceptions), *bound_exprs):
            if expr is not None:
                _check_names(expr, names | symbols, _where(qid, f"parts[{i}]"))
    question = Question(
        id=qid,
        title=title,
        levels=tuple(levels),
        options=dict(options),
        params=tuple(params),
        require=conditions,
        setup=tuple(setup),
        prompt=_locale_table(data.get("prompt"), _where(qid, "prompt")),
        hints=_locale_table(data.get("hints"), _where(qid, "hints"), required=False, steps=True),
        solution=_locale_table(data.get("solution"), _where(qid, "solution"), required=False, steps=True),
        parts=parts,
        own=own,
        source=source or str(data.get("source", "")),
    )
    _register_own(own, qid)
    return question


def _check_names(expr: Expr, known: set[str], where: str) -> None:
    from .lang import language_functions as _get_functions

    functions = _get_functions()
    for name in sorted(expr.names - known - {"True", "False", "None"}):
        if name not in functions:
            raise ConvMathError(
                f"{where}: {expr.text!r} uses {name!r}, which is not defined before it "
                "(parameters are defined in file order)"
            )


def load_question(path: str | Path) -> Question:
    """Read a question file (TOML).

    Parameters
    ----------
    path : str or Path
        The file; its stem is the question's id unless the file sets ``id``.

    Returns
    -------
    Question

    Examples
    --------
    >>> q = load_question(Path(__file__).parents[2] / "examples" / "questions" / "receptive_dilated.toml")
    >>> q.id, q.family().name
    ('receptive_dilated', 'receptive_dilated')
    """
    path = Path(path)
    data = read_toml(path, "question")
    try:
        return parse_question(data, source=str(path), default_id=file_id(path))
    except ConvMathError as err:
        raise ConvMathError(f"{path}: {err}") from err


def read_toml(path: Path, what: str) -> dict[str, Any]:
    """A TOML file (an assignment or a question: ``what``) as data; any reason it cannot be read is a one-line error.

    Examples
    --------
    >>> import tempfile
    >>> bad = Path(tempfile.mkdtemp()) / "q.toml"
    >>> _ = bad.write_bytes("title = 'caf\xe9'".encode("latin-1"))
    >>> read_toml(bad, "question")
    Traceback (most recent call last):
    ...
    convmath.errors.ConvMathError: .../q.toml: the question must be UTF-8 text (TOML is UTF-8); save it as UTF-8
    """
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except OSError as err:
        raise ConvMathError(f"{path}: cannot read the {what} ({err.strerror})") from err
    except UnicodeDecodeError as err:  # Latin-1, UTF-16, binary: TOML is UTF-8
        raise ConvMathError(f"{path}: the {what} must be UTF-8 text (TOML is UTF-8); save it as UTF-8") from err
    except tomllib.TOMLDecodeError as err:
        raise ConvMathError(f"{path}: not valid TOML ({err})") from err


def file_id(path: Path) -> str:
    """The id of a question file that sets none: its stem, lowercase, other characters as ``_``.

    >>> file_id(Path("questions/Receptive-Dilated.toml"))
    'receptive_dilated'
    """
    return re.sub(r"[^a-z0-9_]", "_", path.stem.lower())


def _plain(value: Any) -> Any:
    """Plain JSON data for ``Exercise.params``."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, Fraction):
        return f"{value.numerator}/{value.denominator}"
    if isinstance(value, sympy.Basic):
        return str(value)
    if isinstance(value, np.generic):
        return value.item()
    return value


class _Rejected(Exception):
    """A draw that does not fit (a require failed, a formula is undefined for it)."""


@dataclass(frozen=True)
class Question:
    """A parsed question file (see :func:`parse_question`); :meth:`family` makes it a family."""

    id: str
    """The family name of the question."""
    title: Mapping[str, str]
    """Locale -> title."""
    levels: tuple[int, ...]
    """Difficulty levels offered (``level`` in the expressions)."""
    options: Mapping[str, Any]
    """Option -> default (a slot's ``options`` override them)."""
    params: tuple[ParamSpec, ...]
    """Parameters, in file order."""
    require: tuple[Expr, ...]
    """Conditions every variant satisfies."""
    setup: tuple[str, ...]
    """Parameters given to the student as code."""
    prompt: Mapping[str, str]
    """Locale -> prompt template."""
    hints: Mapping[str, tuple[str, ...]]
    """Locale -> hint templates."""
    solution: Mapping[str, tuple[str, ...]]
    """Locale -> worked-solution step templates."""
    parts: tuple[PartSpec, ...]
    """The parts."""
    own: tuple[Mapping[str, Any], ...] = ()
    """The question's own misconceptions (label, title, feedback)."""
    source: str = field(default="", compare=False)
    """The file it was read from (not part of equality: the same question read from two paths is one)."""

    # ---------------------------------------------------------------- the family

    def family(self) -> Any:
        """This question as a :class:`~exercises.families.Family` (not registered).

        Examples
        --------
        >>> q = load_question(Path(__file__).parents[2] / "examples" / "questions" / "receptive_dilated.toml")
        >>> f = q.family()
        >>> f.title["en"], f.difficulties == q.levels, f.source.endswith("receptive_dilated.toml")
        ('Receptive field of dilated convolutions', True, True)
        """
        from ..families import Family

        return Family(
            self.id,
            dict(self.title),
            self.levels,
            self.draw,
            dict(self.options),
            self.source or f"question {self.id}",
            self.draw_named,
        )

    def draw(self, rng: random.Random, level: int, options: Mapping[str, Any]) -> Exercise | None:
        """One candidate variant, or ``None`` when the draw is rejected (the family protocol).

        Examples
        --------
        >>> q = load_question(Path(__file__).parents[2] / "examples" / "questions" / "receptive_dilated.toml")
        >>> q.draw(random.Random(1), 1, {"colour": 1})
        Traceback (most recent call last):
        ...
        convmath.errors.ConvMathError: option 'colour' is not allowed for question 'receptive_dilated'; use 'max_layers'
        """
        return self.attempt(rng, level, options).exercise

    def draw_named(
        self, rng: random.Random, level: int, options: Mapping[str, Any], names: Mapping[str, str]
    ) -> Exercise | None:
        """:meth:`draw` with the answer names this assignment uses (they reach the templates).

        Examples
        --------
        >>> q = load_question(Path(__file__).parents[2] / "examples" / "questions" / "receptive_dilated.toml")
        >>> q.draw_named(random.Random(1), 1, {}, {"rf": "rf_q3"}).parts[0].prompt["en"]
        'Define `rf_q3`.'
        """
        return self.attempt(rng, level, options, names).exercise

    def attempt(
        self, rng: random.Random, level: int, options: Mapping[str, Any], names: Mapping[str, str] | None = None
    ) -> Attempt:
        """One draw with the reason it was rejected (the self-test counts them).

        Parameters
        ----------
        rng : random.Random
            The variant's generator.
        level : int
            The difficulty.
        options : mapping
            The slot's options.
        names : mapping, optional
            Answer name -> the name used in this assignment (passed to the templates).

        Returns
        -------
        Attempt

        Raises
        ------
        ConvMathError
            A bad option, or a key that cannot be computed (an error of the question, not of the draw).

        Examples
        --------
        >>> q = load_question(Path(__file__).parents[2] / "examples" / "questions" / "receptive_dilated.toml")
        >>> a = q.attempt(random.Random(3), 1, {})
        >>> a.reason, a.exercise.parts[0].answer.name
        ('', 'rf')
        """
        env = self._options(options)
        env["level"] = level
        try:
            self._draw_params(rng, env)
        except _Rejected as why:
            return Attempt(None, str(why))
        answers = self.solve(env)
        wrongs = {}
        for part in self.parts:
            found = self.wrong_answers(part, env, answers[part.name])
            if isinstance(found, str):
                return Attempt(None, found, env)
            wrongs[part.name] = found
        exercise = self.render(env, answers, wrongs, names or {})
        return Attempt(exercise, "", env)

    def _options(self, options: Mapping[str, Any]) -> dict[str, Any]:
        for key, value in options.items():
            if key not in self.options:
                use = ", ".join(repr(o) for o in self.options) or "none"
                raise ConvMathError(f"option {key!r} is not allowed for question {self.id!r}; use {use}")
            if type(value) is not type(self.options[key]) and not (
                isinstance(value, (int, float))
                and isinstance(self.options[key], (int, float))
                and not isinstance(value, bool)
            ):
                raise ConvMathError(
                    f"option {key}={value!r} of question {self.id!r} must be like its default {self.options[key]!r}"
                )
        return {**self.options, **options}

    def _draw_params(self, rng: random.Random, env: dict[str, Any]) -> None:
        for param in self.params:
            try:
                env[param.name] = self._draw_one(rng, param, env)
            except ConvMathError as err:
                raise _Rejected(f"params.{param.name}: {err}") from err
        for cond in self.require:
            try:
                ok = evaluate(cond, env)
            except ConvMathError as err:
                raise _Rejected(f"require {cond.text!r}: {err}") from err
            if not ok:
                raise _Rejected(f"require {cond.text!r}")

    @staticmethod
    def _draw_one(rng: random.Random, param: ParamSpec, env: Mapping[str, Any]) -> Any:
        if param.kind == "const":
            return param.value
        if param.kind == "derived":
            assert param.expr is not None
            return evaluate(param.expr, env)
        if param.kind == "choices":
            return rng.choice(param.choices)
        assert param.low is not None and param.high is not None
        low, high = evaluate(param.low, env), evaluate(param.high, env)
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (low, high)):
            raise ConvMathError(f"range [{low!r}, {high!r}] must have integer bounds")
        if low > high:
            raise ConvMathError(f"range [{low}, {high}] is empty")
        if param.kind == "range":
            return rng.randrange(low, high + 1, param.step)
        shape = tuple(evaluate(s, env) for s in param.shape)
        if not all(isinstance(s, int) and 1 <= s <= 64 for s in shape):
            raise ConvMathError(f"array shape {shape} must be sizes from 1 to 64")
        count = int(np.prod(shape))
        return np.array([rng.randint(low, high) for _ in range(count)], dtype=np.int64).reshape(shape)

    def _symbols(self, part: PartSpec) -> dict[str, sympy.Symbol]:
        return {name: sympy.Symbol(name, **DOMAINS[domain]) for name, domain in part.symbols.items()}

    def _value(
        self,
        part: PartSpec,
        env: Mapping[str, Any],
        functions: Mapping[str, Callable[..., Any]] | None = None,
        expr: Expr | None = None,
    ) -> Any:
        """A part's answer (or a wrong one) as a value of the part's kind; ``ConvMathError`` when it is not one."""
        expr = expr or part.answer
        assert expr is not None
        value = evaluate(expr, {**env, **self._symbols(part)}, functions=functions)
        return _as_kind(part, value)

    def solve(self, env: Mapping[str, Any]) -> dict[str, Any]:
        """Each part's key, by answer name (``None`` for a function part: its reference is an expression).

        Raises
        ------
        ConvMathError
            A key that cannot be computed, or is not of the part's kind, for these parameters.

        Examples
        --------
        >>> q = load_question(Path(__file__).parents[2] / "examples" / "questions" / "receptive_dilated.toml")
        >>> q.solve({"level": 1, "layers": 2, "k": 3, "d": 2, "rf": 9})   # 1 + 2 * 2 * (3 - 1)
        {'rf': 9}
        """
        answers = {}
        for part in self.parts:
            if part.kind == "function":
                answers[part.name] = None
                continue
            try:
                answers[part.name] = self._value(part, env)
            except ConvMathError as err:
                shown = {k: _plain(v) for k, v in env.items()}
                raise ConvMathError(
                    f"question {self.id!r}: part {part.key}: the key cannot be computed for {shown}: {err}"
                ) from err
        return answers

    def misconception_values(self, part: PartSpec, env: Mapping[str, Any]) -> dict[str, Any]:
        """Each misconception's answer for these parameters (a ``ConvMathError`` where it is undefined).

        A catalogue label without ``answer`` evaluates the derived parameters
        and the part's answer again with the formula it miscomputes replaced
        by the catalogue's wrong one.

        Examples
        --------
        >>> q = load_question(Path(__file__).parents[2] / "examples" / "questions" / "receptive_dilated.toml")
        >>> env = {"level": 1, "max_layers": 4, "layers": 2, "k": 3, "d": 2, "rf": 9}
        >>> q.misconception_values(q.parts[0], env)   # 1 + 2*(3-1), 3 + 3, 2*(3-1) + 1
        {'rf_ignored_dilation': 5, 'rf_sum_of_kernels': 6, 'rf_one_layer_only': 5}
        """
        from convmath.misconceptions import CATALOGUE

        from .lang import language_functions as _get_functions

        values: dict[str, Any] = {}
        for label, expr in part.misconceptions:
            try:
                if expr is not None:
                    values[label] = self._value(part, env, expr=expr)
                    continue
                entry = CATALOGUE[label]
                wrong_functions = {**_get_functions(), entry.quantity: entry.wrong}
                wrong_env = dict(env)
                for param in self.params:  # derived values recomputed with the wrong formula
                    if param.expr is not None:
                        wrong_env[param.name] = evaluate(param.expr, wrong_env, functions=wrong_functions)
                values[label] = self._value(part, wrong_env, wrong_functions)
            except ConvMathError as err:
                values[label] = err
        return values

    def wrong_answers(self, part: PartSpec, env: Mapping[str, Any], expected: Any) -> Any:
        """The part's misconceptions' answers for these parameters, or the reason the draw is rejected.

        A misconception undefined here does not apply; one equal to an earlier
        one is left to the earlier; one equal to the key rejects the draw (it
        could not be diagnosed). See :meth:`misconception_values`.
        """
        from ..families._common import wrong_answers

        if part.kind == "function" or not part.misconceptions:
            return ()
        values = self.misconception_values(part, env)

        def thunk(label: str) -> Callable[[], Any]:
            def run() -> Any:
                if isinstance(values[label], ConvMathError):
                    raise values[label]
                return values[label]

            return run

        bounds = _bounds(part, env)  # compared where the grader compares: the stated domain
        found = wrong_answers(
            expected, {label: thunk(label) for label, _ in part.misconceptions}, symbols=part.symbols, bounds=bounds
        )
        if found is None:
            equal = [
                label
                for label, _ in part.misconceptions
                if not isinstance(values[label], ConvMathError) and _same(values[label], expected, part, bounds)
            ]
            return f"part {part.key}: misconception {equal[0] if equal else '?'} gives the key"
        return found

    # ---------------------------------------------------------------- render

    def render(
        self, env: Mapping[str, Any], answers: Mapping[str, Any], wrongs: Mapping[str, Any], names: Mapping[str, str]
    ) -> Exercise:
        """The exercise: texts from the templates, answer names passed in (not renamed afterwards).

        Examples
        --------
        >>> q = load_question(Path(__file__).parents[2] / "examples" / "questions" / "receptive_dilated.toml")
        >>> env = {"level": 1, "max_layers": 4, "layers": 2, "k": 3, "d": 2, "rf": 9}
        >>> ex = q.render(env, q.solve(env), {"rf": ()}, {"rf": "rf_q2"})
        >>> ex.parts[0].answer.name, "`rf_q2`" in ex.parts[0].prompt["en"], ex.parts[0].solution_code
        ('rf_q2', True, 'rf_q2 = 9')
        """
        from ..families._common import make_exercise, make_part

        final = {part.name: names.get(part.name, part.name) for part in self.parts}
        signature = {part.name: _renamed_signature(part, final[part.name]) for part in self.parts}
        context = {**env, "answer": dict(answers), "name": final, "signature": signature}
        parts = []
        for part in self.parts:
            name = final[part.name]
            prompt = {
                loc: render_template(part.prompt[loc], context, f"parts.{part.key}.prompt.{loc}") for loc in LOCALES
            }
            spec, code = self._spec(part, name, answers[part.name], env)
            parts.append(make_part(part.key, prompt, spec, code, wrongs.get(part.name, ()), points=part.points))
        prompt = {}
        for loc in LOCALES:
            text = render_template(self.prompt[loc], context, f"prompt.{loc}")
            hints = [render_template(h, context, f"hints.{loc}") for h in self.hints.get(loc, ())]
            if hints:
                head = {"en": "**Hint.**", "zh": "**提示：**"}[loc]
                text += "\n\n" + "\n\n".join(f"> {head} {h}" for h in hints)
            prompt[loc] = text
        solution = {
            loc: [render_template(step, context, f"solution.{loc}") for step in self.solution.get(loc, ())]
            for loc in LOCALES
        }
        for loc in LOCALES:
            word, stop, code = {"en": ("Answer", ".", "A reference solution"), "zh": ("答案", "。", "参考实现")}[loc]
            for part in parts:
                if part.answer.kind == "function":
                    solution[loc].append(f"{code} ({part.key}):\n\n```python\n{part.solution_code}\n```")
                else:
                    solution[loc].append(f"{word} ({part.key}): `{part.solution_code}`{stop}")
        return make_exercise(
            self.id,
            int(env["level"]),
            {k: _plain(v) for k, v in env.items() if k != "level"},
            prompt,
            parts,
            solution,
            setup_code=self._setup_code(env),
        )

    def _setup_code(self, env: Mapping[str, Any]) -> str:
        lines = []
        for name in self.setup:
            value = env[name]
            if isinstance(value, np.ndarray):
                lines.append(f"{name} = np.array({value.tolist()!r})")
            else:
                lines.append(f"{name} = {to_code(value)}")
        if any(isinstance(env[name], np.ndarray) for name in self.setup):
            lines.insert(0, "import numpy as np\n")
        return "\n".join(lines)

    def _spec(self, part: PartSpec, name: str, expected: Any, env: Mapping[str, Any]) -> tuple[AnswerSpec, str]:
        from ..notebook import answer_code

        if part.kind == "function":
            reference = reference_path(part, env)
            code = _function_code(part, name)
            spec = AnswerSpec(
                "function",
                name,
                signature=_renamed_signature(part, name),
                reference=reference,
                config=dict(part.config),
                forbidden_imports=part.forbidden_imports,
                rtol=part.rtol,
                atol=part.atol,
            )
            return spec, code
        if part.kind == "expression":
            bounds = _bounds(part, env)
            spec = AnswerSpec("expression", name, expected, symbols=dict(part.symbols), bounds=bounds)
            return spec, answer_code(spec, str(expected))
        spec = AnswerSpec(part.kind, name, expected, rtol=part.rtol, atol=part.atol, choices=part.choices)
        return spec, answer_code(spec, expected)


def _bounds(part: PartSpec, env: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    """The part's bounds for these parameters: where the grader compares its expression answer."""
    return {
        symbol: tuple(None if e is None else _bound(evaluate(e, env), symbol) for e in pair)  # type: ignore[misc]
        for symbol, pair in part.bounds.items()
    }


def _bound(value: Any, symbol: str) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, Fraction, float)):
        raise ConvMathError(f"the bound of {symbol} is {_shown(value)}, not a number")
    return value


def _renamed_signature(part: PartSpec, name: str) -> str:
    return f"{name}({', '.join(part.args)})" if part.kind == "function" else ""


def _function_code(part: PartSpec, name: str) -> str:
    if part.solution_code:
        return re.sub(rf"\bdef\s+{re.escape(part.name)}\s*\(", f"def {name}(", part.solution_code.strip("\n"))
    assert part.reference is not None
    return f"def {name}({', '.join(part.args)}):\n    from math import ceil, floor\n    return {part.reference.text}"


def reference_path(part: PartSpec, env: Mapping[str, Any]) -> str:
    """``module:attribute`` of a function part's reference, importable in the grader (see :mod:`.refs`).

    The attribute is JSON: the argument names, the expression and the
    parameters it may read, so the grader rebuilds the same reference.

    Examples
    --------
    >>> from exercises.questions.lang import compile_expr
    >>> part = PartSpec("a", "span", "function", None, 1.0, {}, args=("k", "d"), reference=compile_expr("d*(k-1)+1"))
    >>> reference_path(part, {"level": 1})
    'exercises.questions.refs:{"args": ["k", "d"], "env": {"level": 1}, "expr": "d*(k-1)+1"}'
    """
    assert part.reference is not None
    used = {k: _plain(v) for k, v in env.items() if k in part.reference.names and k not in part.args}
    used["level"] = env.get("level", 1)
    payload = {"args": list(part.args), "env": dict(sorted(used.items())), "expr": part.reference.text}
    return "exercises.questions.refs:" + json.dumps(payload, sort_keys=True)


def _as_kind(part: PartSpec, value: Any) -> Any:
    """``value`` as an answer of the part's kind, or ``ConvMathError`` saying why it is not one."""
    kind = part.kind
    if kind == "integer":
        if isinstance(value, Fraction) and value.denominator == 1:
            value = int(value)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, sympy.Integer):
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConvMathError(f"{_shown(value)} is not an integer")
        return value
    if kind == "shape":
        if not isinstance(value, (tuple, list)):
            raise ConvMathError(f"{_shown(value)} is not a shape (a tuple of positive integers)")
        items = tuple(int(v) if isinstance(v, (int, np.integer)) and not isinstance(v, bool) else v for v in value)
        if not items or not all(isinstance(v, int) and v > 0 for v in items):
            raise ConvMathError(f"{_shown(value)} is not a shape (a tuple of positive integers)")
        return items
    if kind == "array":
        array = np.asarray(value)
        if array.dtype.kind not in "iuf" or array.size == 0:
            raise ConvMathError(f"{_shown(value)} is not a non-empty array of numbers")
        return array
    if kind == "expression":
        try:
            expr = (
                sympy.sympify(value)
                if not isinstance(value, Fraction)
                else sympy.Rational(value.numerator, value.denominator)
            )
        except (sympy.SympifyError, TypeError) as err:
            raise ConvMathError(f"{_shown(value)} is not an expression") from err
        if not isinstance(expr, sympy.Expr):
            raise ConvMathError(f"{_shown(value)} is not an expression")
        return expr
    if kind == "choice":
        if not isinstance(value, str) or value not in part.choices:
            raise ConvMathError(f"{_shown(value)} is not one of the choices {list(part.choices)}")
        return value
    raise ConvMathError(f"kind={kind!r} has no value")  # pragma: no cover - function parts have no key value


def _same(a: Any, b: Any, part: PartSpec, bounds: Mapping[str, tuple[Any, Any]]) -> bool:
    from ..families._common import same_value

    return same_value(a, b, symbols=part.symbols, bounds=bounds)


def _shown(value: Any) -> str:
    text = repr(_plain(value))
    return text if len(text) < 80 else text[:77] + "..."
