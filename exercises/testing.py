"""The contract every exercise family keeps, checked by machine before a student sees it.

:func:`check_family` draws many variants of a family -- built in, from a
course package, or a question file -- and reports every way it breaks the
contract, each as a :class:`Problem` with its reason:

- **draws**: constraints that are never or rarely satisfiable (with the
  rejection rate and the most common reason), a seed with no acceptable
  variant in the attempts :func:`~exercises.families.generate` makes;
- **key**: a key that cannot be computed, a template with an undefined
  placeholder (rendering is part of drawing), a variant :func:`accept` refuses;
- **reproducible**: the same seed must give the same variant;
- **locales**: every prompt, part and solution text in every locale;
- **misconceptions**: a catalogued mistake whose value equals the key or
  another mistake's (and how often), or that is never diagnosable; for every
  family (Python ones too) the stats say how often two mistakes of a part give
  the same value in the variants students get (``same value in``);
- **checks**: the grading-correctness self-tests of :mod:`exercises.selftest`
  (mutation, uniqueness, domain, distinct misconceptions) on the variants;
- **collisions**: over a 300-student roster, the chance that two students
  have the same variant (a failure above :data:`MAX_PAIR`, except for a
  question that draws nothing), and how many share theirs with someone.

The test suite runs it over :func:`~exercises.families.families`, so a
registered family is a tested family; ``convmath check-question`` runs it on
a question file or a family name.
"""

from __future__ import annotations

import dataclasses
import random
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from convmath.errors import ConvMathError

from .families import Family, accept, generate
from .model import LOCALES, Exercise

__all__ = ["Problem", "FamilyReport", "check_family", "plain_key", "MAX_REJECTION", "MAX_PAIR", "MAX_KEY_COLLISION"]

#: Above this fraction of rejected draws, the constraints are "rarely satisfiable".
MAX_REJECTION = 0.9
#: Above this chance that two students of a roster (neighbours, say) have the same variant, a failure.
MAX_PAIR = 0.05
#: Above this fraction of variants where a misconception gives the key (those draws are rejected), a failure.
MAX_KEY_COLLISION = 0.5
_ATTEMPTS = 200


@dataclass(frozen=True)
class Problem:
    """One way a family breaks the contract."""

    check: str
    """``draws``, ``key``, ``reproducible``, ``locales``, ``misconceptions``, ``checks`` or ``collisions``."""

    message: str
    """The reason, with the seed and difficulty where one variant shows it."""

    def __str__(self) -> str:
        return f"{self.check}: {self.message}"


@dataclass(frozen=True)
class FamilyReport:
    """What :func:`check_family` found, and what it measured."""

    family: str
    """The family's name."""

    problems: tuple[Problem, ...]
    """Every failure (empty: the family keeps the contract)."""

    stats: Mapping[str, Any] = field(default_factory=dict)
    """Measurements: draws, rejection rate and reasons per difficulty, misconception
    rates, distinct variants of the roster."""

    @property
    def ok(self) -> bool:
        """No problem found."""
        return not self.problems

    def lines(self) -> list[str]:
        """The report as text lines: the measurements (nested tables indented), then one line per problem.

        Examples
        --------
        >>> report = FamilyReport("demo", (Problem("key", "seed 3: no"),), {"difficulty 1": {"draws": 10}})
        >>> report.lines()
        ['demo: 1 problem', '  difficulty 1:', '    draws: 10', '  FAIL key: seed 3: no']
        """
        head = f"{self.family}: " + (
            "ok" if self.ok else f"{len(self.problems)} problem" + "s" * (len(self.problems) > 1)
        )
        return [head] + _stat_lines(self.stats, "  ") + [f"  FAIL {problem}" for problem in self.problems]


def _stat_lines(stats: Mapping[str, Any], indent: str) -> list[str]:
    out = []
    for key, value in stats.items():
        if isinstance(value, Mapping):
            if value:
                out += [f"{indent}{key}:"] + _stat_lines(value, indent + "  ")
        else:
            out.append(f"{indent}{key}: {value}")
    return out


def plain_key(value: Any) -> str:
    """A stable text key of a model object or parameters (equal values, equal keys).

    Examples
    --------
    >>> plain_key({"n": 3, "k": (1, 2)}) == plain_key({"n": 3, "k": [1, 2]})
    True
    """
    from .families._common import to_plain

    return repr(to_plain(value))


def _question_of(family: Family) -> Any:
    """The :class:`~exercises.questions.Question` behind a question-file family, else ``None``."""
    from .questions import Question

    owner = getattr(family.draw, "__self__", None)
    return owner if isinstance(owner, Question) else None


def _texts(exercise: Exercise) -> list[tuple[str, str, str]]:
    out = []
    for locale in LOCALES:
        out.append((locale, "prompt", exercise.prompt.get(locale, "")))
        out += [(locale, f"part {part.key}", part.prompt.get(locale, "")) for part in exercise.parts]
        out += [(locale, "solution", step) for step in exercise.solution.get(locale, ())]
    return out


def _check_texts(exercise: Exercise, where: str) -> list[Problem]:
    problems = []
    for locale, what, text in _texts(exercise):
        if not text.strip():
            problems.append(Problem("locales", f"{where}: {what} has no {locale!r} text"))
        elif "{{" in text or "{%" in text:
            problems.append(Problem("locales", f"{where}: {what} ({locale}) still has a template tag: {text[:60]!r}"))
    return problems


def _draw_stats(
    family: Family, level: int, seeds: Iterable[int], options: Mapping[str, Any], problems: list[Problem]
) -> tuple[list[Exercise], dict[str, Any]]:
    """Replay :func:`generate`'s loop for each seed, counting rejected draws and their reasons."""
    question = _question_of(family)
    accepted: list[Exercise] = []
    draws = rejected = 0
    reasons: Counter[str] = Counter()
    envs: list[Mapping[str, Any]] = []
    failed: list[int] = []
    refusals: Counter[str] = Counter()
    seeds = list(seeds)
    for seed in seeds:
        rng = random.Random(seed)
        for _ in range(_ATTEMPTS):
            draws += 1
            try:
                if question is not None:
                    drawn = question.attempt(rng, level, options)
                    candidate, reason = drawn.exercise, drawn.reason
                    envs.append(drawn.env)
                else:
                    candidate = family.draw(rng, level, options)
                    reason = "the family discarded the draw"
            except ConvMathError as err:
                problems.append(Problem("key", f"seed {seed}, difficulty {level}: {err}"))
                return accepted, {"draws": draws}
            if candidate is not None:
                candidate = dataclasses.replace(candidate, family=family.name, difficulty=level, seed=seed)
                reason = accept(candidate) or ""
                if reason and question is not None:  # a question's variant must always be acceptable
                    refusals[reason] += 1
            if not reason:
                # the variant a student gets: generate's own choice (it may prefer a later draw whose
                # mistakes give distinct values), counted here as the first acceptable draw
                accepted.append(generate(family.name, seed, difficulty=level, options=options))
                break
            rejected += 1
            reasons[reason] += 1
        else:
            failed.append(seed)
    for refused, count in refusals.items():
        problems.append(Problem("key", f"difficulty {level}: {count} variants refused: {refused}"))
    if failed and accepted:
        top = reasons.most_common(1)[0][0] if reasons else "?"
        problems.append(
            Problem(
                "draws",
                f"difficulty {level}: {len(failed)} of {len(seeds)} seeds found no acceptable "
                f"variant in {_ATTEMPTS} draws (first: seed {failed[0]}; most often: {top})",
            )
        )
    rate = rejected / draws if draws else 0.0
    stats: dict[str, Any] = {
        "draws": draws,
        "rejected": f"{rate:.1%}",
        "reasons of rejection": {reason: f"{count}x" for reason, count in reasons.most_common(3)},
    }
    if accepted and rate > MAX_REJECTION:
        top = reasons.most_common(1)[0]
        problems.append(
            Problem(
                "draws",
                f"difficulty {level}: constraints rarely satisfiable: {rate:.1%} of "
                f"{draws} draws rejected (most often {top[1]}x: {top[0]})",
            )
        )
    if not accepted and draws:
        top = reasons.most_common(1)[0][0] if reasons else "?"
        problems.append(
            Problem("draws", f"difficulty {level}: constraints never satisfiable in {draws} draws (most often: {top})")
        )
    if question is not None and envs:
        stats["misconceptions"] = _misconception_stats(question, envs, level, problems)
    if accepted:
        present = Counter(
            f"{part.key}.{wrong.label}" for ex in accepted for part in ex.parts for wrong in part.wrong_answers
        )
        stats["diagnosable in"] = {
            label: f"{count / len(accepted):.0%} of variants" for label, count in present.items()
        }
        same = _same_mistakes(accepted)
        if same:
            stats["same value in"] = same
    return accepted, stats


def _same_mistakes(exercises: list[Exercise]) -> dict[str, str]:
    """How often two mistakes of a part give the same value (the grader then names both): per pair, the share
    of the variants (:func:`~exercises.families.generate` prefers variants where they differ).

    Examples
    --------
    >>> from exercises.model import AnswerSpec, Part, WrongAnswer
    >>> part = Part("a", {}, AnswerSpec("integer", "y", 5), 1.0, (WrongAnswer("m1", 4), WrongAnswer("m2", 4)), "")
    >>> other = Part("a", {}, AnswerSpec("integer", "y", 5), 1.0, (WrongAnswer("m1", 4), WrongAnswer("m2", 6)), "")
    >>> ex = Exercise("f", 1, 0, {}, {}, (part,), {}, "", ("m1", "m2"))
    >>> _same_mistakes([ex, dataclasses.replace(ex, parts=(other,))])
    {'a.m1 = a.m2': '50% of variants'}
    """
    from .families._common import same_value

    pairs: Counter[str] = Counter()
    for exercise in exercises:
        for part in exercise.parts:
            spec, wrongs = part.answer, part.wrong_answers
            for i, wrong in enumerate(wrongs):
                for other in wrongs[:i]:
                    try:
                        same = same_value(wrong.value, other.value, symbols=spec.symbols, bounds=spec.bounds)
                    except (TypeError, ValueError):
                        same = False
                    if same:
                        pairs[f"{part.key}.{other.label} = {part.key}.{wrong.label}"] += 1
    return {pair: f"{count / len(exercises):.0%} of variants" for pair, count in pairs.most_common()}


def _misconception_stats(
    question: Any, envs: list[Mapping[str, Any]], level: int, problems: list[Problem]
) -> dict[str, str]:
    """How often each misconception of a question gives the key, another's value, or applies at all."""
    from .families._common import same_value

    out: dict[str, str] = {}
    for part in question.parts:
        if not part.misconceptions:
            continue
        equal_key: Counter[str] = Counter()
        equal_other: Counter[str] = Counter()
        undefined: Counter[str] = Counter()
        evaluated = 0
        for env in envs:
            if not {p.name for p in question.params} <= set(env):
                continue  # the draw stopped before every parameter had a value
            try:
                expected = question.solve(env)[part.name]
            except ConvMathError:
                continue
            evaluated += 1
            values = question.misconception_values(part, env)
            seen: list[tuple[str, Any]] = []
            for label, value in values.items():
                if isinstance(value, ConvMathError):
                    undefined[label] += 1
                    continue
                if same_value(value, expected, symbols=part.symbols):
                    equal_key[label] += 1
                elif any(same_value(value, other, symbols=part.symbols) for _, other in seen):
                    equal_other[label] += 1
                seen.append((label, value))
        if not evaluated:
            continue
        for label, _ in part.misconceptions:
            key_rate, other_rate = equal_key[label] / evaluated, equal_other[label] / evaluated
            never = undefined[label] == evaluated
            out[f"{part.key}.{label}"] = (
                f"gives the key {key_rate:.0%}, another's value {other_rate:.0%}, "
                f"undefined {undefined[label] / evaluated:.0%}"
            )
            if key_rate > MAX_KEY_COLLISION:
                problems.append(
                    Problem(
                        "misconceptions",
                        f"difficulty {level}, part {part.key}: {label!r} gives the "
                        f"key in {key_rate:.0%} of draws (those draws are rejected)",
                    )
                )
            if never or key_rate + other_rate + undefined[label] / evaluated >= 1:
                problems.append(
                    Problem(
                        "misconceptions",
                        f"difficulty {level}, part {part.key}: {label!r} is never "
                        "diagnosable (undefined, or equal to the key or another "
                        "mistake in every draw)",
                    )
                )
    return out


def _selftest(exercises: list[Exercise], level: int, problems: list[Problem], mutation: bool) -> None:
    """The grading-correctness self-tests (mutation, uniqueness, domain, distinct) of :mod:`exercises.selftest`,
    one problem per finding with the seeds that show it."""
    from .selftest import check_exercise

    seeds: dict[str, list[int]] = {}
    for exercise in exercises:
        for finding in check_exercise(exercise, mutation=mutation):
            seeds.setdefault(f"part {finding.part}: {finding.test}: {finding.message}", []).append(finding.seed)
    for what, where in seeds.items():
        problems.append(Problem("checks", f"difficulty {level}, {what} (seeds {', '.join(map(str, where))})"))


def _collisions(family: Family, level: int, options: Mapping[str, Any], roster: int) -> tuple[float, float, int]:
    """Over a roster: the chance two students have the same variant (parameters), the fraction of students
    whose variant another student also has, and the number of distinct variants."""
    from .seeding import variant_seed

    keys = []
    for i in range(roster):
        seed = variant_seed(b"convmath check-question roster", "check", f"s{i:04d}", "q1")
        keys.append(plain_key(generate(family.name, seed, difficulty=level, options=options).params))
    counts = Counter(keys)
    shared = sum(c for c in counts.values() if c > 1) / roster
    pair = sum(c * (c - 1) for c in counts.values()) / (roster * (roster - 1)) if roster > 1 else 0.0
    return pair, shared, len(counts)


def _refuse_bad_options(family: Family, level: int, options: Mapping[str, Any]) -> None:
    """Options the family refuses are the caller's mistake (one error line), not a broken key: the first draw
    fails with them and not without them."""
    if not options:
        return
    try:
        family.draw(random.Random(0), level, options)
        return
    except ConvMathError as err:
        refused = err
    try:
        family.draw(random.Random(0), level, {})
    except ConvMathError:
        return  # it fails either way: a problem of the family, reported with the draws
    raise refused


def check_family(
    family: Family | str,
    *,
    seeds: int = 200,
    difficulties: Iterable[int] | None = None,
    options: Mapping[str, Any] | None = None,
    roster: int = 300,
    selftest_seeds: int = 5,
    mutation: bool = True,
) -> FamilyReport:
    """Run the family contract (see the module docstring) over many seeds.

    Parameters
    ----------
    family : Family or str
        A family, or the name of a registered one.
    seeds : int, optional
        Variants drawn per difficulty (default 200).
    difficulties : iterable of int, optional
        Default: every level the family offers.
    options : mapping, optional
        Family options (default none: the family's defaults).
    roster : int, optional
        Students of the collision measure (default 300; 0 skips it).
    selftest_seeds : int, optional
        Variants per difficulty put through :mod:`exercises.selftest` (default 5:
        the mutation test grades many functions).
    mutation : bool, optional
        Include the mutation test (default true).

    Returns
    -------
    FamilyReport

    Examples
    --------
    >>> report = check_family("conv_output_size", seeds=5, roster=20, selftest_seeds=1)
    >>> report.ok, sorted(report.stats)
    (True, ['difficulty 1', 'difficulty 2', 'difficulty 3'])
    >>> sorted(report.stats["difficulty 1"])
    ['diagnosable in', 'draws', 'reasons of rejection', 'rejected', 'roster', 'same value in']
    >>> report.stats["difficulty 1"]["same value in"]  # seed 0 (padding 1, stride 2): both give 32
    {'a.padding_once = a.forgot_plus_one': '20% of variants'}
    >>> check_family("no_such_family")
    Traceback (most recent call last):
    ...
    convmath.errors.ConvMathError: family='no_such_family' is not a known family; 'convmath preview --list' lists them
    >>> check_family("conv_macs", options={"colour": "red"})
    Traceback (most recent call last):
    ...
    convmath.errors.ConvMathError: option 'colour' is not allowed for family 'conv_macs'; use none
    """
    from .families import register, resolve_family

    family = resolve_family(family) if isinstance(family, str) else register(family)
    options = dict(options or {})
    levels = tuple(family.difficulties if difficulties is None else difficulties)
    for level in levels:
        if level not in family.difficulties:
            offered = ", ".join(map(str, family.difficulties))
            raise ConvMathError(f"difficulty={level!r} is not offered by family {family.name!r}; use one of {offered}")
        _refuse_bad_options(family, level, options)
    problems: list[Problem] = []
    stats: dict[str, Any] = {}
    collisions = []
    for level in levels:
        accepted, level_stats = _draw_stats(family, level, range(seeds), options, problems)
        stats[f"difficulty {level}"] = level_stats
        for exercise in accepted[:3]:
            again = generate(family.name, exercise.seed, difficulty=level, options=options)
            if plain_key(again) != plain_key(exercise):
                problems.append(Problem("reproducible", f"seed {exercise.seed}, difficulty {level}: two draws differ"))
        for exercise in accepted:
            found = _check_texts(exercise, f"seed {exercise.seed}, difficulty {level}")
            if found:
                problems += found
                break
        _selftest(accepted[:selftest_seeds], level, problems, mutation)
        if roster and accepted:
            try:
                pair, shared, distinct = _collisions(family, level, options, roster)
            except ConvMathError as err:
                problems.append(Problem("draws", f"difficulty {level}: a student of the roster gets no variant: {err}"))
                continue
            collisions.append(
                f"difficulty {level}: {distinct} distinct variants for {roster} students, "
                f"{shared:.0%} share theirs, two students have the same one with chance {pair:.1%}"
            )
            stats[f"difficulty {level}"]["roster"] = collisions[-1].split(": ", 1)[1]
            question = _question_of(family)
            fixed = question is not None and not any(p.kind in ("range", "choices", "array") for p in question.params)
            if pair > MAX_PAIR and not fixed:  # a question that draws nothing is the same for all, on purpose
                problems.append(
                    Problem(
                        "collisions",
                        f"difficulty {level}: two students have the same variant with "
                        f"chance {pair:.1%} (at most {MAX_PAIR:.0%}; {distinct} distinct "
                        f"variants for {roster} students): draw from wider ranges",
                    )
                )
    return FamilyReport(family.name, tuple(problems), stats)
