r"""A family in three steps: ``draw`` -> ``solve`` -> ``render``, with its texts as templates per locale.

- ``draw(rng, level, options) -> params | None``: the only step that uses the
  random generator; ``params`` is a dict (keys starting with ``_`` are working
  values, left out of ``Exercise.params``); ``None`` asks for another draw.
- ``solve(params) -> Solved | None``: the keys (:class:`Answer`, one per part)
  and the answers of the misconceptions; ``None`` when the variant cannot be
  diagnosed (a misconception gives the key) and must be drawn again.
- ``render(params, solved, names) -> dict``: the values the templates show
  (TeX of matrices, substituted formulas...), computed once for every locale.

The texts live in ``exercises/families/texts/<family>.toml`` (a course's own
family names its file with ``staged(..., texts=path)``): a table per
locale with ``prompt``, ``parts.<answer name>`` and ``solution`` (a list of steps),
rendered by the strict templates of :mod:`exercises.questions.templates`
with the parameters, the values ``render`` returned, ``answer.<name>`` (the
keys), and ``name.<name>`` -- the name each answer has in this assignment,
passed in rather than renamed in the text afterwards. Parts of one kind (the
cells of a table) may share one template (:attr:`Answer.text`), which also
sees the part's own :attr:`Answer.values` and ``this``, its answer's name. A step that renders to
an empty string is left out (conditional steps); a line ``---`` in a rendered
step starts another step (a loop over the sizes writes one step per size; after
the last one, or before the first, it is left out).
"""

from __future__ import annotations

import functools
import random
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from convmath.errors import ConvMathError

from ..model import LOCALES, AnswerSpec, Exercise, Part, WrongAnswer, as_points
from . import Family, register

__all__ = ["Answer", "Solved", "staged", "texts_of"]

TEXTS = Path(__file__).parent / "texts"
#: A line of its own in a rendered solution template that starts another step (a loop may write several).
STEP_BREAK = "\n---\n"


@dataclass(frozen=True)
class Answer:
    """One part's key, before its texts are rendered."""

    key: str
    """Part id (``"a"``...)."""

    spec: AnswerSpec
    """What is checked; ``spec.name`` is the default answer name."""

    code: str
    """The key's code with ``{name}`` where the answer name goes."""

    wrongs: tuple[WrongAnswer, ...] = ()
    """The misconceptions' answers."""

    points: float = 1.0
    """Points of the part."""

    text: str = ""
    """The part's template in ``parts`` (default: ``spec.name``); parts of one kind may share one."""

    values: Mapping[str, Any] = field(default_factory=dict)
    """Values only this part's template sees (besides ``this``, the answer's name in this assignment)."""

    carry_forward: Mapping[str, Any] = field(default_factory=dict)
    """How the part follows from the student's earlier answers (see :attr:`exercises.model.Part.carry_forward`)."""


@dataclass(frozen=True)
class Solved:
    """The keys of a variant."""

    answers: tuple[Answer, ...]
    """One per part, in order."""

    setup_code: str = ""
    """Code given to the student before the answers."""

    values: Mapping[str, Any] = field(default_factory=dict)
    """Intermediate results the texts may show."""


def texts_of(name: str, path: str | Path | None = None) -> dict[str, Any]:
    """The templates of family ``name`` (``path``, by default ``texts/<name>.toml``), checked for every locale.

    Examples
    --------
    >>> sorted(texts_of("conv_transpose_output_size")), sorted(texts_of("conv_transpose_output_size")["en"]["parts"])
    (['en', 'zh'], ['out_size'])
    >>> texts_of("course_family", "no/such/texts.toml")
    Traceback (most recent call last):
    ...
    convmath.errors.ConvMathError: no/such/texts.toml: cannot read the texts of family 'course_family' (...)
    """
    return _texts_of(name, TEXTS / f"{name}.toml" if path is None else Path(path))


@functools.lru_cache(maxsize=64)
def _texts_of(name: str, path: Path) -> dict[str, Any]:
    from ..questions.templates import check_template

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise ConvMathError(f"{path}: cannot read the texts of family {name!r} ({err})") from err
    for locale in LOCALES:
        table = data.get(locale)
        if not isinstance(table, dict) or "prompt" not in table:
            raise ConvMathError(f"{path}: no [{locale}] table with a prompt")
        for where, text in _templates(table):
            check_template(text, f"{path.name} {locale}.{where}")
    return data


def _templates(table: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    out = []
    for key, value in table.items():
        if isinstance(value, str):
            out.append((prefix + key, value))
        elif isinstance(value, list):
            out += [(f"{prefix}{key}[{i}]", v) for i, v in enumerate(value)]
        elif isinstance(value, dict):
            out += _templates(value, f"{prefix}{key}.")
    return out


def staged(
    name: str,
    *,
    title: Mapping[str, str],
    difficulties: tuple[int, ...],
    draw: Callable[[random.Random, int, Mapping[str, Any]], dict[str, Any] | None],
    solve: Callable[[Mapping[str, Any]], Solved | None],
    render: Callable[[Mapping[str, Any], Solved, Mapping[str, str]], Mapping[str, Any]],
    options: Mapping[str, Any] | None = None,
    texts: str | Path | None = None,
) -> Family:
    """Register a family made of the three steps (see the module docstring).

    Parameters
    ----------
    name, title, difficulties, options
        As for :class:`~exercises.families.Family`.
    draw, solve, render
        The three steps.
    texts : str or Path, optional
        The family's text file (default: ``texts/<name>.toml`` beside this
        module, where the built-in families keep theirs); read and checked now,
        so a broken file fails at registration.

    Returns
    -------
    Family
        Registered, with ``draw_named`` (answer names reach the templates).

    Examples
    --------
    >>> from exercises.families import generate
    >>> ex = generate("conv_transpose_output_size", 5, difficulty=2, names={"out_size": "out_size_q4"})
    >>> ex.parts[0].answer.name, ex.parts[0].prompt["en"], ex.parts[0].solution_code.split(" = ")[0]
    ('out_size_q4', 'Define `out_size_q4`.', 'out_size_q4')
    >>> ex.solution["en"][-1].startswith("Answer: `out_size_q4 = ")
    True
    """

    def run(rng: random.Random, level: int, opts: Mapping[str, Any], names: Mapping[str, str]) -> Exercise | None:
        params = draw(rng, level, opts)
        if params is None:
            return None
        solved = solve(params)
        if solved is None:
            return None
        final = {a.spec.name: names.get(a.spec.name, a.spec.name) for a in solved.answers}
        context = {
            **params,
            **solved.values,
            **render(params, solved, final),
            "answer": {a.spec.name: a.spec.expected for a in solved.answers},
            "name": final,
            "level": level,
        }
        return _exercise(name, level, params, solved, final, context, texts_file)

    def plain_draw(rng: random.Random, level: int, opts: Mapping[str, Any]) -> Exercise | None:
        return run(rng, level, opts, {})

    texts_file = TEXTS / f"{name}.toml" if texts is None else Path(texts)
    if texts is not None:
        texts_of(name, texts_file)
    return register(
        Family(
            name, dict(title), tuple(difficulties), plain_draw, dict(options or {}), f"{draw.__module__}:{name}", run
        )
    )


def _exercise(
    family: str,
    level: int,
    params: Mapping[str, Any],
    solved: Solved,
    names: Mapping[str, str],
    context: Mapping[str, Any],
    path: Path,
) -> Exercise:
    from ..questions.templates import render_template
    from ._common import make_exercise

    texts = texts_of(family, path)
    prompt: dict[str, str] = {}
    steps: dict[str, list[str]] = {}
    part_texts: dict[str, dict[str, str]] = {a.key: {} for a in solved.answers}
    for locale in LOCALES:
        table = texts[locale]
        where = f"{family} {locale}"
        prompt[locale] = render_template(table["prompt"], context, f"{where}.prompt")
        for answer in solved.answers:
            text = answer.text or answer.spec.name
            template = table.get("parts", {}).get(text)
            if template is None:
                raise ConvMathError(f"{where}: no text {text!r} for the part that defines {answer.spec.name!r}")
            local = {**context, **answer.values, "this": names[answer.spec.name]}
            part_texts[answer.key][locale] = render_template(template, local, f"{where}.parts.{answer.key}")
        rendered = (render_template(step, context, f"{where}.solution") for step in table.get("solution", ()))
        pieces = (piece.strip() for step in rendered for piece in f"\n{step}\n".split(STEP_BREAK))
        steps[locale] = [piece for piece in pieces if piece]
    parts = []
    for answer in solved.answers:
        old, new = answer.spec.name, names[answer.spec.name]
        signature = answer.spec.signature  # a function's stub is written from it: it carries the new name too
        if signature.startswith(old + "("):
            signature = new + signature[len(old) :]
        spec = replace(answer.spec, name=new, signature=signature)
        parts.append(
            Part(
                answer.key,
                part_texts[answer.key],
                spec,
                as_points(float(answer.points)),
                tuple(answer.wrongs),
                answer.code.replace("{name}", new),
                answer.carry_forward,
            )
        )
    plain = {key: value for key, value in params.items() if not key.startswith("_")}
    return make_exercise(family, level, plain, prompt, parts, steps, setup_code=solved.setup_code)
