"""Exercise families: the registry, and drawing a variant from a seed.

A family is a function ``draw(rng, difficulty, options) -> Exercise | None``
registered under a name. :func:`generate` seeds a ``random.Random`` with the
variant seed, calls ``draw`` until it returns an acceptable variant, and
checks it (see :func:`accept`). Families never touch global random state.

Family modules register themselves when imported; they are listed in
``_MODULES`` and imported on first use of the registry.
"""

from __future__ import annotations

import dataclasses
import importlib
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy

from convmath.misconceptions import CATALOGUE

from convmath.errors import ConvMathError

from ..model import LOCALES, Exercise, Part

__all__ = ["Family", "FAMILIES", "register", "families", "generate", "accept"]

DrawFn = Callable[[random.Random, int, Mapping[str, Any]], "Exercise | None"]


@dataclass(frozen=True)
class Family:
    """A registered exercise family."""

    name: str
    """Registry key, e.g. ``"conv_output_size"``."""

    title: Mapping[str, str]
    """Locale -> one-line title (``convmath preview --list`` prints it)."""

    difficulties: tuple[int, ...]
    """The difficulty levels the family offers."""

    draw: DrawFn
    """Draw one candidate variant, or ``None`` to ask for another draw."""


FAMILIES: dict[str, Family] = {}

#: Modules that define families; each calls :func:`register` at import.
_MODULES: tuple[str, ...] = (
    # exercises-core families
    "exercises.families.output_size",
    "exercises.families.transposed",
    "exercises.families.pooling",
    "exercises.families.params",
    "exercises.families.macs",
    "exercises.families.receptive",
    "exercises.families.symbolic",
    # exercises-render families
    "exercises.families.by_hand",
    "exercises.families.flip",
    "exercises.families.conv1x1",
    "exercises.families.network_table",
    "exercises.families.digestion",
    "exercises.families.implement",
)
_loaded = False


def register(family: Family) -> Family:
    """Add ``family`` to the registry (a name may be registered once).

    Parameters
    ----------
    family : Family
        The family; its ``name`` is the registry key.

    Returns
    -------
    Family
        ``family`` itself (registering the same object again is a no-op).

    Examples
    --------
    Re-registering a registered family is harmless; another family under a
    taken name is refused:

    >>> from dataclasses import replace
    >>> macs = families()["conv_macs"]
    >>> register(macs) is macs
    True
    >>> register(replace(macs, difficulties=(1,)))
    Traceback (most recent call last):
    ...
    convmath.errors.ConvMathError: family='conv_macs' is registered twice
    """
    if family.name in FAMILIES and FAMILIES[family.name] is not family:
        raise ConvMathError(f"family={family.name!r} is registered twice")
    FAMILIES[family.name] = family
    return family


def families() -> dict[str, Family]:
    """The registry, with every family module imported.

    Returns
    -------
    dict[str, Family]
        Family name -> :class:`Family` (in import order of the family modules).

    Examples
    --------
    >>> registry = families()
    >>> "conv_output_size" in registry, registry["conv_output_size"].title["en"]
    (True, 'Output size of a convolution')
    >>> registry["conv_macs"].difficulties
    (1, 2, 3)
    """
    global _loaded
    if not _loaded:
        for module in _MODULES:
            importlib.import_module(module)
        _loaded = True
    return FAMILIES


def generate(
    name: str,
    seed: int,
    *,
    difficulty: int = 1,
    options: Mapping[str, Any] | None = None,
    max_attempts: int = 200,
) -> Exercise:
    """Draw the variant of family ``name`` for ``seed``: same seed, same exercise.

    Parameters
    ----------
    name : str
        A registered family (see :func:`families`).
    seed : int
        The variant seed (``exercises.seeding.variant_seed``); it seeds the
        one ``random.Random`` the family draws from.
    difficulty : int, optional
        One of the family's levels (default 1).
    options : mapping, optional
        Family options (each family documents its own; unknown ones are refused).
    max_attempts : int, optional
        Draws tried before giving up (default 200). A draw is discarded when
        the family returns ``None`` (numbers not pleasant, not well posed) or
        :func:`accept` refuses it.

    Returns
    -------
    Exercise
        With ``family``, ``difficulty`` and ``seed`` filled in.

    Examples
    --------
    >>> a = generate("conv_output_size", 12345, difficulty=2)
    >>> a == generate("conv_output_size", 12345, difficulty=2)
    True
    >>> accept(a) is None
    True
    >>> generate("conv_output_size", 1, difficulty=9)
    Traceback (most recent call last):
    ...
    convmath.errors.ConvMathError: difficulty=9 is not offered by family 'conv_output_size'; use one of 1, 2, 3
    """
    registry = families()
    if name not in registry:
        raise ConvMathError(f"family={name!r} is not allowed; use one of {', '.join(sorted(registry))}")
    family = registry[name]
    if isinstance(difficulty, bool) or difficulty not in family.difficulties:
        offered = ", ".join(str(level) for level in family.difficulties)
        raise ConvMathError(f"difficulty={difficulty!r} is not offered by family {name!r}; use one of {offered}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ConvMathError(f"seed={seed!r} must be an integer")
    options = dict(options or {})
    rng = random.Random(seed)
    reason = "every draw was discarded by the family"
    for attempt in range(max_attempts):
        candidate = family.draw(rng, difficulty, options)
        if candidate is None:
            continue
        candidate = dataclasses.replace(candidate, family=name, difficulty=difficulty, seed=seed)
        # prefer variants whose catalogued mistakes give distinct values (a diagnosis can then
        # name one); after half the attempts, one where two coincide is taken (both are named)
        reason = accept(candidate) or (_shared_wrongs(candidate) if attempt < max_attempts // 2 else None) or ""
        if not reason:
            return candidate
    raise ConvMathError(
        f"family {name!r} found no acceptable variant for seed={seed} in {max_attempts} draws (last: {reason})"
    )


def _json_plain(value: Any) -> bool:
    if value is None or isinstance(value, (bool, int, float, str)):
        return True
    if isinstance(value, (list, tuple)):
        return all(_json_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _json_plain(v) for k, v in value.items())
    return False


def _run_solution(exercise: Exercise, part: Part) -> Any:
    """Run the part's solution code (family code, trusted) and return the defined value."""
    namespace: dict[str, Any] = {}
    exec(compile(exercise.setup_code + "\n" + part.solution_code, f"<{exercise.family}:{part.key}>", "exec"), namespace)
    if part.answer.name not in namespace:
        raise KeyError(part.answer.name)
    return namespace[part.answer.name]


def _check_kind(part: Part) -> str | None:
    spec = part.answer
    value = spec.expected
    if spec.kind == "integer" and (isinstance(value, bool) or not isinstance(value, int)):
        return f"part {part.key}: expected={value!r} is not an int"
    if spec.kind == "shape" and not (isinstance(value, tuple) and all(isinstance(v, int) and v > 0 for v in value)):
        return f"part {part.key}: expected={value!r} is not a tuple of positive ints"
    if spec.kind == "expression" and not (isinstance(value, sympy.Expr) and spec.symbols):
        return f"part {part.key}: an expression answer needs a sympy expected value and its symbols"
    if spec.kind == "array" and not isinstance(value, np.ndarray):
        return f"part {part.key}: expected is not an array"
    if spec.kind == "choice" and value not in spec.choices:
        return f"part {part.key}: expected={value!r} is not one of the choices"
    if spec.kind == "function" and ":" not in spec.reference:
        return f"part {part.key}: a function answer needs reference='module:function'"
    return None


def _check_reference(exercise: Exercise, part: Part) -> str | None:
    """The part's solution code must produce its own expected answer."""
    from ._common import parse_expression, same_value

    spec = part.answer
    if spec.kind == "function":
        module, _, attr = spec.reference.partition(":")
        try:
            getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError):
            return f"part {part.key}: reference {spec.reference!r} cannot be imported"
        return None
    try:
        value = _run_solution(exercise, part)
    except Exception as err:  # the family's own code: any failure refuses the variant
        return f"part {part.key}: solution code fails: {type(err).__name__}: {err}"
    if spec.kind == "expression":
        if not isinstance(value, str):
            return f"part {part.key}: solution code must define {spec.name} as a string"
        value = parse_expression(value, spec.symbols)
    elif spec.kind == "array":
        ok = np.asarray(value).shape == spec.expected.shape and np.allclose(
            value, spec.expected, rtol=spec.rtol, atol=spec.atol)
        return None if ok else f"part {part.key}: solution code gives a different array"
    elif spec.kind == "shape":
        value = tuple(value) if isinstance(value, (tuple, list)) else value
    if not same_value(value, spec.expected, symbols=spec.symbols, bounds=spec.bounds):
        return f"part {part.key}: solution code gives {value!r}, expected {spec.expected!r}"
    return None


def _check_wrongs(part: Part) -> str | None:
    from ._common import same_value

    spec = part.answer
    for i, wrong in enumerate(part.wrong_answers):
        if wrong.label not in CATALOGUE:
            return f"part {part.key}: misconception {wrong.label!r} is not in the catalogue"
        if same_value(wrong.value, spec.expected, symbols=spec.symbols, bounds=spec.bounds):
            return f"part {part.key}: misconception {wrong.label!r} gives the right answer {wrong.value!r}"
    return None


def _shared_wrongs(exercise: Exercise) -> str | None:
    """Two misconceptions of a part that give the same value (allowed, but a variant without is preferred)."""
    from ._common import same_value

    for part in exercise.parts:
        spec = part.answer
        for i, wrong in enumerate(part.wrong_answers):
            for other in part.wrong_answers[:i]:
                try:
                    same = (np.asarray(wrong.value).shape == np.asarray(other.value).shape and bool(np.allclose(
                        np.asarray(wrong.value, dtype=float), np.asarray(other.value, dtype=float),
                        rtol=spec.rtol, atol=spec.atol))) if spec.kind == "array" else same_value(
                        wrong.value, other.value, symbols=spec.symbols, bounds=spec.bounds)
                except (TypeError, ValueError):
                    same = False
                if same:
                    return f"part {part.key}: misconceptions {other.label!r} and {wrong.label!r} both give {wrong.value!r}"
    return None


def accept(exercise: Exercise) -> str | None:
    """Why a variant is not acceptable, or ``None`` when it is.

    A variant is acceptable when it is complete (prompt, every part's prompt
    and the worked solution in every locale of :data:`~exercises.model.LOCALES`;
    at least one part; positive points; plain-data parameters), each part's
    expected answer has the type its kind requires, each part's solution code
    defines exactly its expected answer, and every wrong answer is a catalogue
    misconception whose value differs from the right answer and from the other
    wrong answers of that part (else the diagnosis could not tell them apart).
    Whether the numbers are pleasant for the difficulty is the family's test,
    made while drawing.

    Parameters
    ----------
    exercise : Exercise

    Returns
    -------
    str or None

    Examples
    --------
    >>> import dataclasses
    >>> ex = generate("conv_output_size", 7)
    >>> accept(ex) is None
    True
    >>> broken = dataclasses.replace(ex, prompt={"en": ex.prompt["en"]})
    >>> accept(broken)
    "prompt has no 'zh' text"
    """
    for locale in LOCALES:
        if not exercise.prompt.get(locale):
            return f"prompt has no {locale!r} text"
        if not exercise.solution.get(locale):
            return f"worked solution has no {locale!r} steps"
    if not exercise.parts:
        return "the exercise has no parts"
    if not _json_plain(dict(exercise.params)):
        return f"params={dict(exercise.params)!r} are not plain data"
    keys = [part.key for part in exercise.parts]
    if len(set(keys)) != len(keys):
        return f"part keys {keys} are not distinct"
    names = [part.answer.name for part in exercise.parts]
    if len(set(names)) != len(names):
        return f"answer names {names} are not distinct"
    for part in exercise.parts:
        for locale in LOCALES:
            if not part.prompt.get(locale):
                return f"part {part.key}: prompt has no {locale!r} text"
        if not part.points > 0:
            return f"part {part.key}: points={part.points} must be positive"
        reason = _check_kind(part) or _check_reference(exercise, part) or _check_wrongs(part)
        if reason:
            return reason
    labels = {wrong.label for part in exercise.parts for wrong in part.wrong_answers}
    if set(exercise.misconceptions) != labels:
        return f"misconceptions={exercise.misconceptions} do not match the parts' wrong answers"
    return None
