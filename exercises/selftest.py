"""Self-tests that every check tests exactly what its prompt asks, over many seeds.

A family (or a question an instructor writes) passes when, for every variant
drawn:

1. **mutation** -- for a function part, the reference with an argument
   ignored or fixed to one value, or with its result transposed, flipped or
   off by one, fails the function check the grader runs
   (:func:`convmath.testing.runner.check_function` with the grader's settings,
   on the :class:`~convmath.testing.functions.Supports` built by
   :func:`convmath.testing.functions.supports_for`);
2. **uniqueness** -- for a choice part, exactly one option passes the grader's
   comparison (options that stand for values, ``AnswerSpec.option_values``,
   compared as an ``array`` answer would be);
3. **domain** -- for an expression part, a form equal to the key only on the
   stated domain (``symbols`` and ``bounds``) is accepted, and forms that differ
   from the key somewhere in that domain (also only at large values, or only
   at its edge) are refused, by the comparison of :mod:`exercises.domains`
   (the grader's points and decision rule);
4. **distinct misconceptions** -- a part's catalogued mistakes give values
   different from the key, each listed once (two that give the same value
   are both named by the grader; :func:`exercises.families.generate` prefers
   variants where they differ).

Each function returns a list of :class:`Finding` (empty: passed).
:func:`check_family` runs them all over seeds and difficulties.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy

from .domains import differs, sample_points
from .model import Exercise, Part

__all__ = [
    "Finding",
    "check_choices",
    "check_distinct",
    "check_domains",
    "check_exercise",
    "check_family",
    "check_mutations",
    "function_mutants",
]


@dataclass(frozen=True)
class Finding:
    """One way a check does not test what its prompt asks."""

    family: str
    """The exercise family."""

    seed: int
    """The variant seed."""

    difficulty: int
    """The difficulty of the variant."""

    part: str
    """The part key."""

    test: str
    """``mutation``, ``uniqueness``, ``domain`` or ``distinct``."""

    message: str
    """What went wrong, e.g. ``mutant 'mode fixed to max' passes the check``."""

    def __str__(self) -> str:
        where = f"{self.family} seed={self.seed} difficulty={self.difficulty} part {self.part}"
        return f"{where}: {self.test}: {self.message}"


def _finding(exercise: Exercise, part: Part, test: str, message: str) -> Finding:
    return Finding(exercise.family, exercise.seed, exercise.difficulty, part.key, test, message)


# ----------------------------------------------------------------- mutation


def _solution_function(part: Part) -> Callable[..., Any]:
    """The function the part's (trusted) solution code defines."""
    namespace: dict[str, Any] = {}
    exec(compile(part.solution_code, f"<solution of part {part.key}>", "exec"), namespace)  # noqa: S102 - family code
    return namespace[part.answer.name]


def _fixed_values(value: Any) -> list[tuple[str, Any]]:
    """Constants an argument may be fixed to (a mutant that ignores it)."""
    if isinstance(value, str):
        return [(repr(v), v) for v in ("max", "avg")] if value in ("max", "avg") else [(repr(value), value)]
    if isinstance(value, bool):
        return [("False", False), ("True", True)]
    if isinstance(value, (int, np.integer)):
        return [("0", 0), ("1", 1), ("2", 2)]
    if isinstance(value, tuple) and all(isinstance(v, (int, np.integer)) for v in value):
        return [(str((1,) * len(value)), (1,) * len(value)), (str((2,) * len(value)), (2,) * len(value))]
    if isinstance(value, np.ndarray):
        return [("zeros", np.zeros_like(value)), ("ones", np.ones_like(value))]
    if isinstance(value, float):
        return [("0.0", 0.0), ("1.0", 1.0)]
    return []


def function_mutants(
    base: Callable[..., Any], sample_args: Sequence[Any], sample_kwargs: dict[str, Any], names: Sequence[str]
) -> list[tuple[str, Callable[..., Any]]]:
    """Wrong versions of ``base``: each argument ignored (fixed to a constant), the result transposed,
    flipped or off by one.

    Parameters
    ----------
    base : callable
        A right implementation, called like the student's function.
    sample_args, sample_kwargs : sequence, dict
        One call of the check (the types of the arguments choose the constants).
    names : sequence of str
        Display names of the positional arguments.

    Returns
    -------
    list of (str, callable)
        A description and the mutant.

    Examples
    --------
    >>> mutants = dict(function_mutants(lambda n, k: n - k + 1, (5, 3), {}, ("n", "k")))
    >>> sorted(mutants)[:3]
    ['k fixed to 0', 'k fixed to 1', 'k fixed to 2']
    >>> mutants["result + 1"](5, 3), mutants["n fixed to 1"](5, 3)
    (4, -1)
    """
    out: list[tuple[str, Callable[..., Any]]] = []
    for i, (name, value) in enumerate(zip(names, sample_args)):
        for label, constant in _fixed_values(value):

            def fixed(*args: Any, _i: int = i, _c: Any = constant, **kwargs: Any) -> Any:
                args = list(args)
                args[_i] = copy.deepcopy(_c)
                return base(*args, **kwargs)

            out.append((f"{name} fixed to {label}", fixed))
    for name, value in sample_kwargs.items():

        def dropped(*args: Any, _n: str = name, **kwargs: Any) -> Any:
            kwargs.pop(_n, None)
            return base(*args, **kwargs)

        out.append((f"{name} ignored (default used)", dropped))
        for label, constant in _fixed_values(value):

            def fixed_kw(*args: Any, _n: str = name, _c: Any = constant, **kwargs: Any) -> Any:
                kwargs[_n] = copy.deepcopy(_c)
                return base(*args, **kwargs)

            out.append((f"{name} fixed to {label}", fixed_kw))

    def transform(how: str, fn: Callable[[Any], Any]) -> None:
        def mutant(*args: Any, **kwargs: Any) -> Any:
            return fn(base(*args, **kwargs))

        out.append((how, mutant))

    transform("result + 1", lambda r: r + 1)
    transform("result - 1", lambda r: r - 1)
    ndim = np.ndim(base(*copy.deepcopy(tuple(sample_args)), **copy.deepcopy(dict(sample_kwargs))))
    if ndim >= 2:
        transform("result transposed", lambda r: np.swapaxes(r, -1, -2))
    if ndim >= 1:
        transform("result flipped", np.flip)
        crop = (Ellipsis,) + (slice(0, -1),) * min(2, ndim)
        transform("result one row and column short", lambda r: np.asarray(r)[crop])
    return out


def check_mutations(exercise: Exercise, *, max_examples: int = 30, time_limit: float = 20.0) -> list[Finding]:
    """Mutation test of every function part of ``exercise`` (see the module docstring).

    Parameters
    ----------
    exercise : Exercise
        A generated variant.
    max_examples : int, optional
        Generated calls per check (the grader's default, 30).
    time_limit : float, optional
        Seconds per check.

    Returns
    -------
    list of Finding
        One per mutant that passes (a right-answer mutant, e.g. a transposed
        result of a symmetric case, never passes all generated calls).

    Examples
    --------
    >>> from exercises.families import generate
    >>> check_mutations(generate("implement_function", 3, difficulty=3))
    []
    """
    from convmath.testing.functions import cases, same_signature_reference, supports_for
    from convmath.testing.runner import check_function, grader_settings, local_call

    findings: list[Finding] = []
    for part in exercise.parts:
        spec = part.answer
        if spec.kind != "function":
            continue
        supports = supports_for(spec.config, spec.reference, spec.signature)
        reference = same_signature_reference(spec.reference)
        base = _solution_function(part)
        settings = grader_settings(max_examples)
        drawn = _drawn_cases(cases(supports))
        # the fullest of the simplest calls (some calls leave defaulted arguments out)
        sample = min(drawn, key=lambda c: (-(len(c.args) + len(c.kwargs)), c.size))
        passed = {name for c in drawn for name in [*c.kwargs, *list(_parameters(base))[: len(c.args)]]}
        for name in _parameters(base):
            if name not in passed:
                findings.append(
                    _finding(
                        exercise,
                        part,
                        "mutation",
                        f"argument {name!r} of {spec.signature or spec.name} is never passed by the check",
                    )
                )
        right = check_function(
            local_call(base),
            supports,
            reference=reference,
            settings=settings,
            time_limit=time_limit,
            rtol=spec.rtol or 1e-9,
            atol=spec.atol or 1e-9,
        )
        if not right.passed:
            findings.append(
                _finding(exercise, part, "mutation", f"the solution fails its own check: {right.message(spec.name)}")
            )
            continue
        for how, mutant in function_mutants(base, sample.args, dict(sample.kwargs), sample.names):
            report = check_function(
                local_call(mutant),
                supports,
                reference=reference,
                settings=settings,
                time_limit=time_limit,
                rtol=spec.rtol or 1e-9,
                atol=spec.atol or 1e-9,
            )
            if report.passed:
                findings.append(_finding(exercise, part, "mutation", f"mutant {how!r} passes the check"))
    return findings


def _parameters(fn: Callable[..., Any]) -> list[str]:
    import inspect

    return [
        p.name
        for p in inspect.signature(fn).parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    ]


def _drawn_cases(strategy: Any, count: int = 20) -> list[Any]:
    """The first ``count`` cases the check's strategy draws, the same on every run (no shrinking: a search for
    the simplest case could run for minutes where a strategy's values are large)."""
    from hypothesis import HealthCheck, Phase, given, settings

    drawn: list[Any] = []

    @settings(
        derandomize=True,
        database=None,
        max_examples=count,
        phases=(Phase.generate,),
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def draw(case: Any) -> None:
        drawn.append(case)

    draw()
    return drawn


# ----------------------------------------------------------------- uniqueness


def check_choices(exercise: Exercise) -> list[Finding]:
    """Exactly one option of every choice part passes the comparison (see the module docstring).

    Examples
    --------
    >>> from exercises.families import generate
    >>> check_choices(generate("convolution_vs_correlation", 1, difficulty=2))
    []
    """
    from convmath.testing.comparison import compare

    findings: list[Finding] = []
    for part in exercise.parts:
        spec = part.answer
        if spec.kind != "choice":
            continue
        keys = [c.strip().casefold() for c in spec.choices]
        if len(set(keys)) != len(keys) or spec.expected not in spec.choices:
            findings.append(
                _finding(
                    exercise,
                    part,
                    "uniqueness",
                    f"choices {spec.choices} are not distinct keys or miss {spec.expected!r}",
                )
            )
            continue
        if not spec.option_values:
            continue
        right = np.asarray(spec.option_values[spec.expected], dtype=float)
        passing = [
            key
            for key, value in spec.option_values.items()
            if compare(right, np.asarray(value, dtype=float), rtol=spec.rtol, atol=spec.atol) is None
        ]
        if passing != [spec.expected]:
            findings.append(
                _finding(
                    exercise, part, "uniqueness", f"options {passing} pass the comparison; only {spec.expected!r} may"
                )
            )
    return findings


# ----------------------------------------------------------------- domain


def _domain_forms(
    expected: sympy.Expr, symbols: dict[str, sympy.Symbol], domains: dict[str, str], bounds: dict[str, tuple[Any, Any]]
) -> tuple[list[tuple[str, sympy.Expr]], list[tuple[str, sympy.Expr]]]:
    """(forms equal to the key on the domain only, forms that differ from it somewhere in the domain)."""
    same: list[tuple[str, sympy.Expr]] = []
    other: list[tuple[str, sympy.Expr]] = []
    points = sample_points(domains, bounds)
    for name, sym in symbols.items():
        if sym not in expected.free_symbols:
            continue
        low = bounds.get(name, (None, None))[0]
        if low is not None:
            edge = sympy.Rational(str(low))
            same.append((f"{name} replaced by max({name}, {edge})", expected.xreplace({sym: sympy.Max(sym, edge)})))
        elif domains[name] in ("positive_integer", "nonnegative_integer", "positive_real"):
            same.append((f"{name} replaced by abs({name})", expected.xreplace({sym: sympy.Abs(sym)})))
        large = max(abs(sympy.sympify(p[name])) for p in points)
        integer = "integer" in domains[name]
        step = sympy.floor(sym / (large // 2 + 1)) if integer else sympy.Heaviside(sym - large / 2, 0)
        other.append((f"+ a term nonzero only for large {name}", expected + step))
        start = sympy.sympify(points[0][name])
        other.append(
            (
                f"wrong only at {name} = {start}",
                expected + sympy.KroneckerDelta(sym, start)
                if integer
                else expected + sympy.Piecewise((1, sympy.Eq(sym, start)), (0, True)),
            )
        )
    other.append(("+ 1", expected + 1))
    return same, other


def check_domains(exercise: Exercise) -> list[Finding]:
    """Expression parts compared exactly on their stated domain (see the module docstring).

    Examples
    --------
    >>> from exercises.families import generate
    >>> check_domains(generate("food_digestion", 2, difficulty=2))
    []
    """
    from .families._common import sympy_symbols

    findings: list[Finding] = []
    for part in exercise.parts:
        spec = part.answer
        if spec.kind != "expression":
            continue
        domains, bounds = dict(spec.symbols), dict(spec.bounds)
        symbols = sympy_symbols(domains)
        expected = sympy.sympify(spec.expected).xreplace(
            {s: symbols[s.name] for s in sympy.sympify(spec.expected).free_symbols if s.name in symbols}
        )
        same, other = _domain_forms(expected, symbols, domains, bounds)
        for how, form in same:
            where = differs(form, expected, domains, bounds)
            if where is not None:
                findings.append(
                    _finding(
                        exercise, part, "domain", f"the key with {how} (equal on the domain) is refused at {where}"
                    )
                )
        for how, form in other:
            if differs(form, expected, domains, bounds) is None:
                findings.append(
                    _finding(exercise, part, "domain", f"the key {how} (different on the domain) is accepted")
                )
    return findings


# ----------------------------------------------------------------- distinct misconceptions


def check_distinct(exercise: Exercise) -> list[Finding]:
    """Every part's catalogued mistakes give values distinct from the key, each listed once.

    Examples
    --------
    >>> from exercises.families import generate
    >>> check_distinct(generate("conv_output_size", 5))
    []
    """
    from .families._common import same_value

    findings: list[Finding] = []
    for part in exercise.parts:
        spec = part.answer

        def same(a: Any, b: Any, spec: Any = spec) -> bool:
            if spec.kind == "array":
                a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
                return a.shape == b.shape and bool(np.allclose(a, b, rtol=spec.rtol, atol=spec.atol))
            return same_value(a, b, symbols=spec.symbols, bounds=spec.bounds)

        labels = [w.label for w in part.wrong_answers]
        for i, wrong in enumerate(part.wrong_answers):
            if same(wrong.value, spec.expected):
                findings.append(_finding(exercise, part, "distinct", f"{wrong.label!r} gives the right answer"))
            if wrong.label in labels[:i]:
                findings.append(_finding(exercise, part, "distinct", f"{wrong.label!r} is listed twice"))
        # two mistakes that give the same value are allowed (the grader then names both); generate()
        # prefers variants where they differ
    return findings


# ----------------------------------------------------------------- all of them


def check_exercise(exercise: Exercise, *, mutation: bool = True) -> list[Finding]:
    """All the self-tests of one variant (``mutation=False`` skips the slower mutation test).

    Examples
    --------
    >>> from exercises.families import generate
    >>> check_exercise(generate("conv_output_size", 1))
    []
    """
    found = check_choices(exercise) + check_domains(exercise) + check_distinct(exercise)
    return (check_mutations(exercise) if mutation else []) + found


def check_family(
    name: str,
    seeds: Iterable[int] = range(20),
    *,
    difficulties: Iterable[int] | None = None,
    options: dict[str, Any] | None = None,
    mutation_seeds: int = 3,
) -> list[Finding]:
    """Run :func:`check_exercise` on family ``name`` over ``seeds`` and its difficulties.

    Parameters
    ----------
    name : str
        A registered family.
    seeds : iterable of int, optional
        Variant seeds (default 0..19).
    difficulties : iterable of int, optional
        Default: every difficulty the family offers.
    options : dict, optional
        Family options.
    mutation_seeds : int, optional
        The mutation test (slow: a function check per mutant) runs on this many of the seeds.

    Returns
    -------
    list of Finding

    Examples
    --------
    >>> check_family("convolution_vs_correlation", range(5))
    []
    """
    from .families import families, generate

    family = families()[name]
    findings: list[Finding] = []
    for difficulty in difficulties or family.difficulties:
        for i, seed in enumerate(seeds):
            exercise = generate(name, seed, difficulty=difficulty, options=options)
            findings += check_exercise(exercise, mutation=i < mutation_seeds)
    return findings
