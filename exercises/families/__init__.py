"""Exercise families: the registry, and drawing a variant from a seed.

A family is a function ``draw(rng, difficulty, options) -> Exercise | None``
registered under a name. :func:`generate` seeds a ``random.Random`` with the
variant seed, calls ``draw`` until it returns an acceptable variant, and
checks it (see :func:`accept`). Families never touch global random state.

Where families come from:

- the built-in modules listed in ``_MODULES`` (imported on first use of the
  registry), each registering its families with :func:`register`;
- course packages, through the entry-point group ``convmath.families``
  (:data:`ENTRY_POINT_GROUP`): an entry point names a module (importing it
  registers its families), a :class:`Family` or an iterable of them;
- an assignment slot's ``family = "pkg.module:NAME"`` (:func:`resolve_family`);
- question files (:mod:`exercises.questions`), which become a :class:`Family`.

:func:`register_misconception` adds a course's own mistake to the catalogue
that the grader's diagnosis reads.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.metadata
import random
import re
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy

from convmath.errors import ConvMathError
from convmath.misconceptions import CATALOGUE

from ..model import LOCALES, Exercise, Part

__all__ = [
    "Family",
    "FAMILIES",
    "ENTRY_POINT_GROUP",
    "register",
    "families",
    "resolve_family",
    "register_misconception",
    "generate",
    "accept",
]

#: The entry-point group through which a course package exposes its families.
ENTRY_POINT_GROUP = "convmath.families"

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

    options: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    """The options the family takes, each with its default (``convmath preview
    --list`` prints them); informative: ``draw`` validates what it is given."""

    source: str = ""
    """Where the family was defined: a module, an entry point or a question file."""

    draw_named: Callable[[random.Random, int, Mapping[str, Any], Mapping[str, str]], Exercise | None] | None = None
    """``draw`` that also takes the answer names to use (old name -> new name),
    passed to the texts instead of renaming afterwards; ``None`` when the
    family does not take them (its answers are then renamed in the text)."""


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
#: Entry points that failed to load: name -> reason (named when an assignment asks for one of their families).
_BROKEN: dict[str, str] = {}
_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
#: Draws made, after a variant whose mistakes coincide, to look for one where they differ.
_PREFER_DISTINCT = 2


def _add(family: Family) -> Family:
    if not isinstance(family, Family):
        raise ConvMathError(f"family={family!r} is not allowed; register an exercises.families.Family")
    if not isinstance(family.name, str) or not _NAME.fullmatch(family.name):
        raise ConvMathError(
            f"name={family.name!r} is not allowed; use 1-64 lowercase letters, digits or '_', starting with a letter"
        )
    missing = [locale for locale in LOCALES if not family.title.get(locale)]
    if missing:
        raise ConvMathError(f"family {family.name!r}: title has no {missing[0]!r} text")
    if not family.difficulties or not all(
        isinstance(d, int) and not isinstance(d, bool) and d >= 1 for d in family.difficulties
    ):
        raise ConvMathError(f"family {family.name!r}: difficulties={family.difficulties!r} must be positive ints")
    if family.name in FAMILIES and FAMILIES[family.name] is not family:
        old = FAMILIES[family.name]
        if not _same_definition(old, family):
            raise ConvMathError(f"family={family.name!r} is registered twice")
        return old
    FAMILIES[family.name] = family
    return family


def _same_definition(a: Family, b: Family) -> bool:
    """Two loads of one definition (a question file read twice makes two equal question objects)."""

    def owner(draw: Any) -> Any:
        return getattr(draw, "__self__", draw)

    return (a.title, a.difficulties, dict(a.options)) == (b.title, b.difficulties, dict(b.options)) and owner(
        a.draw
    ) == owner(b.draw)


def register(
    family: Family | None = None,
    /,
    *,
    name: str | None = None,
    title: Mapping[str, str] | None = None,
    difficulties: tuple[int, ...] = (1,),
    options: Mapping[str, Any] | None = None,
) -> Any:
    """Add a family to the registry; with keywords only, a decorator for a ``draw`` function.

    Parameters
    ----------
    family : Family, optional
        A family to register (a name may be registered once).
    name, title, difficulties, options
        Without ``family``: the fields of the :class:`Family` that the
        decorated ``draw(rng, difficulty, options)`` becomes (``title`` maps
        every locale to a one-line title; ``options`` the option defaults).

    Returns
    -------
    Family or decorator
        ``family`` itself (registering the same object again is a no-op), or
        a decorator that registers its function and returns the :class:`Family`.

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

    As a decorator (the course's own family, here removed again):

    >>> @register(name="demo_constant", title={"en": "A constant", "zh": "常数"})
    ... def demo_constant(rng, difficulty, options):
    ...     return None
    >>> demo_constant.name, demo_constant.difficulties, "demo_constant" in families()
    ('demo_constant', (1,), True)
    >>> del FAMILIES["demo_constant"]
    """
    if family is not None:
        if name is not None or title is not None or options is not None:
            raise ConvMathError("register(family) takes no keywords; give either a Family or keywords")
        return _add(family)
    if name is None or title is None:
        raise ConvMathError("register(...) as a decorator needs name= and title=")

    def decorate(draw: DrawFn) -> Family:
        source = f"{getattr(draw, '__module__', '')}:{getattr(draw, '__qualname__', name)}"
        return _add(Family(name, dict(title), tuple(difficulties), draw, dict(options or {}), source))

    return decorate


def _entry_points() -> list[Any]:
    return list(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP))


def _load_entry_points() -> None:
    """Register the families that installed course packages expose (a broken one is recorded, not fatal)."""
    for point in _entry_points():
        try:
            loaded = point.load()
            if isinstance(loaded, Family):
                _add(loaded)
            elif not hasattr(loaded, "__path__") and not hasattr(loaded, "__file__"):  # not a module
                for item in loaded:
                    _add(item)
        except Exception as err:  # a course package's code: report it, keep the built-ins usable
            reason = f"{type(err).__name__}: {err}"
            _BROKEN[point.name] = f"entry point {point.name!r} ({point.value}) failed to load: {reason}"
            warnings.warn(_BROKEN[point.name], stacklevel=2)


def families() -> dict[str, Family]:
    """The registry: the built-in families, then those of installed course packages.

    Returns
    -------
    dict[str, Family]
        Family name -> :class:`Family` (built-ins in import order of the
        family modules, then the entry points of :data:`ENTRY_POINT_GROUP`).

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
        _loaded = True
        for module in _MODULES:
            importlib.import_module(module)
        _load_entry_points()
    return FAMILIES


def resolve_family(ref: str) -> Family:
    """The family a slot names: a registered name, or ``"pkg.module:NAME"`` (imported and registered).

    Parameters
    ----------
    ref : str
        A registry name, or a module path and an attribute holding a :class:`Family`.

    Returns
    -------
    Family

    Examples
    --------
    >>> import sys, types
    >>> course = types.ModuleType("demo_course")
    >>> course.MACS = families()["conv_macs"]
    >>> sys.modules["demo_course"] = course
    >>> resolve_family("demo_course:MACS").name, resolve_family("conv_macs") is course.MACS
    ('conv_macs', True)
    >>> resolve_family("exercises.families:FAMILIES")
    Traceback (most recent call last):
    ...
    convmath.errors.ConvMathError: family='exercises.families:FAMILIES' is a dict, not an exercises.families.Family
    >>> resolve_family("no_such_family")
    Traceback (most recent call last):
    ...
    convmath.errors.ConvMathError: family='no_such_family' is not a known family; 'convmath preview --list' lists them
    >>> resolve_family("demo_course:nothing")
    Traceback (most recent call last):
    ...
    convmath.errors.ConvMathError: family='demo_course:nothing' cannot be loaded: module 'demo_course' has no ...
    >>> del sys.modules["demo_course"]
    """
    registry = families()
    if isinstance(ref, str) and ref in registry:
        return registry[ref]
    if isinstance(ref, str) and ":" in ref:
        module, _, attr = ref.partition(":")
        try:
            loaded = getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError) as err:
            raise ConvMathError(f"family={ref!r} cannot be loaded: {err}") from err
        if not isinstance(loaded, Family):
            raise ConvMathError(f"family={ref!r} is a {type(loaded).__name__}, not an exercises.families.Family")
        return _add(loaded)
    broken = "".join(f"; {reason}" for reason in _BROKEN.values())
    raise ConvMathError(f"family={ref!r} is not a known family; 'convmath preview --list' lists them{broken}")


_CJK = re.compile(r"[\u4e00-\u9fff]")


def register_misconception(
    label: str,
    *,
    wrong: Callable[..., Any],
    feedback: Mapping[str, str],
    title: Mapping[str, str] | None = None,
    quantity: str = "custom",
) -> Any:
    """Add a course's own misconception to :data:`convmath.misconceptions.CATALOGUE`.

    Parameters
    ----------
    label : str
        New label: lowercase letters, digits and ``_``, not a built-in one.
    wrong : callable
        The wrong formula, taking the arguments of the right one (for a
        question file, the part's answer expression gives the wrong value and
        ``wrong`` is not called by the family).
    feedback : mapping
        ``{"en": ..., "zh": ...}``, each with ``{value}`` (the student's
        answer); the Chinese text must be Chinese.
    title : mapping or str, optional
        Short names per locale, or one for every locale (default: the label).
    quantity : str, optional
        What it miscomputes (default ``"custom"``).

    Returns
    -------
    convmath.misconceptions.Misconception
        The entry (registering an equal entry again returns the existing one).

    Examples
    --------
    >>> from convmath.misconceptions import CATALOGUE
    >>> entry = register_misconception(
    ...     "demo_layers_times_kernel", wrong=lambda layers, k: layers * k,
    ...     feedback={"en": "{value} multiplies the kernel size by the depth.",
    ...               "zh": "{value} 是把卷积核大小乘以层数得到的结果。"})
    >>> CATALOGUE["demo_layers_times_kernel"] is entry
    True
    >>> del CATALOGUE["demo_layers_times_kernel"]
    >>> register_misconception("forgot_plus_one", wrong=len, feedback={"en": "{value}", "zh": "{value} 错"})
    Traceback (most recent call last):
    ...
    convmath.errors.ConvMathError: label='forgot_plus_one' is a built-in misconception; choose a new label
    >>> register_misconception("mine", wrong=len, feedback={"en": "wrong", "zh": "{value} 错"})
    Traceback (most recent call last):
    ...
    convmath.errors.ConvMathError: misconception 'mine': feedback['en']='wrong' must contain {value}
    """
    from convmath import misconceptions

    if not isinstance(label, str) or not re.fullmatch(r"[a-z][a-z0-9_]{0,63}", label):
        raise ConvMathError(
            f"label={label!r} is not allowed; use lowercase letters, digits and '_', starting with a letter"
        )
    if not callable(wrong):
        raise ConvMathError(f"misconception {label!r}: wrong={wrong!r} must be callable")
    if title is None or isinstance(title, str):
        title = {loc: title or label for loc in LOCALES}
    texts = {"feedback": feedback, "title": title}
    for field_name, mapping in texts.items():
        if not isinstance(mapping, Mapping):
            raise ConvMathError(f"misconception {label!r}: {field_name}={mapping!r} must be a table of locale = text")
        for locale in LOCALES:
            text = mapping.get(locale)
            if not isinstance(text, str) or not text.strip():
                raise ConvMathError(f"misconception {label!r}: {field_name} has no {locale!r} text")
        extra = sorted(set(mapping) - set(LOCALES))
        if extra:
            raise ConvMathError(
                f"misconception {label!r}: locale {extra[0]!r} is not allowed; use {', '.join(LOCALES)}"
            )
    for locale in LOCALES:
        text = feedback[locale]
        if "{value}" not in text:
            raise ConvMathError(f"misconception {label!r}: feedback[{locale!r}]={text!r} must contain {{value}}")
        try:
            text.format(value="1")
        except (KeyError, IndexError, ValueError) as err:
            raise ConvMathError(f"misconception {label!r}: feedback[{locale!r}] has a bad placeholder ({err})") from err
    if not _CJK.search(feedback["zh"]):
        raise ConvMathError(f"misconception {label!r}: feedback['zh']={feedback['zh']!r} is not Chinese text")
    if not isinstance(quantity, str) or not quantity:
        raise ConvMathError(f"misconception {label!r}: quantity={quantity!r} must be a non-empty string")
    entry = misconceptions.Misconception(label, dict(texts["title"]), dict(feedback), quantity, wrong)
    old = misconceptions.CATALOGUE.get(label)
    if old is not None:
        if label in _BUILTIN_LABELS:
            raise ConvMathError(f"label={label!r} is a built-in misconception; choose a new label")
        if (old.title, old.feedback, old.quantity) == (entry.title, entry.feedback, entry.quantity):
            return old
        raise ConvMathError(f"label={label!r} is registered twice with different texts")
    misconceptions.CATALOGUE[label] = entry
    return entry


#: The labels convmath ships (a course may not redefine them).
BUILTIN_LABELS = frozenset(CATALOGUE)
_BUILTIN_LABELS = BUILTIN_LABELS  # the module's own spelling (kept so that edits in flight merge cleanly)


def generate(
    name: str,
    seed: int,
    *,
    difficulty: int = 1,
    options: Mapping[str, Any] | None = None,
    max_attempts: int = 200,
    names: Mapping[str, str] | None = None,
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
    names : mapping, optional
        Answer name -> the name this assignment uses, for a family with
        ``draw_named`` (the same seed draws the same numbers either way).

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
    fallback: Exercise | None = None
    fallback_at = 0
    for attempt in range(max_attempts):
        if fallback is not None and attempt >= fallback_at + _PREFER_DISTINCT:
            return fallback
        if names and family.draw_named is not None:
            candidate = family.draw_named(rng, difficulty, options, names)
        else:
            candidate = family.draw(rng, difficulty, options)
        if candidate is None:
            continue
        candidate = dataclasses.replace(candidate, family=name, difficulty=difficulty, seed=seed)
        reason = accept(candidate) or ""
        if reason:
            continue
        # prefer variants whose catalogued mistakes give distinct values (a diagnosis can then name
        # one): a variant where two coincide is kept aside while a few more draws look for one where
        # they differ (not many: a configuration where they always coincide stays in the mix)
        if fallback is None and _shared_wrongs(candidate):
            fallback, fallback_at = candidate, attempt
            continue
        return candidate
    if fallback is not None:
        return fallback
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
            value, spec.expected, rtol=spec.rtol, atol=spec.atol
        )
        return None if ok else f"part {part.key}: solution code gives a different array"
    elif spec.kind == "shape":
        value = tuple(value) if isinstance(value, (tuple, list)) else value
    if not same_value(value, spec.expected, symbols=spec.symbols, bounds=spec.bounds):
        return f"part {part.key}: solution code gives {value!r}, expected {spec.expected!r}"
    return None


def _check_wrongs(part: Part) -> str | None:
    from ._common import same_value

    spec = part.answer
    for wrong in part.wrong_answers:
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
                    same = (
                        (
                            np.asarray(wrong.value).shape == np.asarray(other.value).shape
                            and bool(
                                np.allclose(
                                    np.asarray(wrong.value, dtype=float),
                                    np.asarray(other.value, dtype=float),
                                    rtol=spec.rtol,
                                    atol=spec.atol,
                                )
                            )
                        )
                        if spec.kind == "array"
                        else same_value(wrong.value, other.value, symbols=spec.symbols, bounds=spec.bounds)
                    )
                except (TypeError, ValueError):
                    same = False
                if same:
                    return (
                        f"part {part.key}: misconceptions {other.label!r} and {wrong.label!r} both give {wrong.value!r}"
                    )
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
