"""The exercises-core families: valid, reproducible, right by an independent recomputation, diagnosable."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
import sympy

from convmath import conv_output_size, conv_transpose_output_size, d2l_output_size, pool_output_size
from convmath.counting import conv_macs, conv_params, depthwise_separable_params, linear_params
from convmath.errors import ConvMathError
from convmath.misconceptions import CATALOGUE
from convmath.receptive import receptive_field
from exercises.families import accept, families, generate
from exercises.families._common import parse_expression, same_value, sympy_symbols, to_plain
from exercises.model import Exercise
from exercises.seeding import variant_seed

SEEDS = range(30)


def _output_size(ex: Exercise) -> list[Any]:
    values = []
    for dim in ex.params["dims"]:
        if dim["form"] == "total":
            values.append(d2l_output_size(dim["n"], dim["k"], stride=dim["s"], total_padding=dim["ph"]))
        else:
            pad = tuple(dim["padding"]) if isinstance(dim["padding"], list) else dim["padding"]
            values.append(conv_output_size(dim["n"], dim["k"], stride=dim["s"], padding=pad, dilation=dim["d"]))
    return [values[0] if len(values) == 1 else tuple(values)]


def _inverse(ex: Exercise) -> list[Any]:
    q = dict(ex.params)
    unknown, answer = q.pop("unknown"), ex.parts[0].answer.expected
    q.pop("ndim")
    target = q.pop("output")
    q[unknown] = answer
    assert conv_output_size(q.pop("n"), q.pop("kernel_size"), **q) == target  # the answer gives the size
    return [answer]


def _pool(ex: Exercise) -> list[Any]:
    q = ex.params
    outs = [
        pool_output_size(n, q["kernel_size"], stride=q["stride"], padding=q["padding"], ceil_mode=q["ceil_mode"])
        for n in q["sizes"]
    ]
    return [outs[0] if len(outs) == 1 else tuple(outs)]


def _transpose(ex: Exercise) -> list[Any]:
    q = dict(ex.params)
    q.pop("ndim")
    return [conv_transpose_output_size(q.pop("n"), q.pop("kernel_size"), **q)]


def _param_count(ex: Exercise) -> list[Any]:
    q = ex.params
    k = tuple(q["kernel_size"]) if isinstance(q["kernel_size"], list) else q["kernel_size"]
    if ex.difficulty == 3:
        return [
            depthwise_separable_params(q["in_channels"], q["out_channels"], k, bias=q["bias"], ndim=q["ndim"]),
            conv_params(q["in_channels"], q["out_channels"], k, bias=q["bias"], ndim=q["ndim"]),
        ]
    return [conv_params(q["in_channels"], q["out_channels"], k, groups=q["groups"], bias=q["bias"], ndim=q["ndim"])]


def _fc_vs_conv(ex: Exercise) -> list[Any]:
    q = ex.params
    conv = conv_params(q["channels"], q["out_channels"], q["kernel_size"])
    if ex.difficulty < 3:
        return [linear_params(q["channels"] * q["height"] * q["width"], q["hidden"]), conv]
    o = conv_output_size(q["height"], q["kernel_size"], stride=q["stride"])
    return [conv, q["out_channels"] * o * o, linear_params(q["out_channels"] * o * o, q["hidden"])]


def _macs(ex: Exercise) -> list[Any]:
    q = ex.params
    size = (q["height"], q["width"])
    return [
        conv_output_size(size, q["kernel_size"], stride=q["stride"], padding=q["padding"]),
        conv_macs(
            q["in_channels"],
            q["out_channels"],
            q["kernel_size"],
            size,
            stride=q["stride"],
            padding=q["padding"],
            groups=q["groups"],
            convention="macs",
        ),
    ]


def _receptive(ex: Exercise) -> list[Any]:
    last = receptive_field(ex.params["layers"][: ex.params["layer"]])[-1]
    return [last.r[0], last.S[0]][: len(ex.parts)]


_SIZE_OF = {"Conv2d": conv_output_size, "MaxPool2d": pool_output_size, "ConvTranspose2d": conv_transpose_output_size}
#: integer points for the symbols (by letter), each valid for every drawn layer (kernels fit, output padding < stride)
_POINTS = ({"n": 997, "k": 3, "p": 1, "s": 2, "d": 2, "op": 1}, {"n": 1500, "k": 5, "p": 2, "s": 3, "d": 1, "op": 0})


def _at(point: dict[str, int], value: Any) -> Any:
    """A layer argument at ``point``: a symbol name takes the value of its letter, a number stays."""
    return point[value.rstrip("0123456789")] if isinstance(value, str) else value


def _output_formula(ex: Exercise) -> list[Any]:
    """Evaluate the expected expression at integer points against the numeric formulas, layer by layer."""
    spec = ex.parts[0].answer
    table = sympy_symbols(spec.symbols)
    for point in _POINTS:
        size = point["n"]
        for layer in ex.params["layers"]:
            args = {arg: _at(point, v) for arg, v in layer.items() if arg != "type"}
            size = _SIZE_OF[layer["type"]](size, args.pop("kernel_size"), **args)
        assert spec.expected.xreplace({table[name]: _at(point, name) for name in spec.symbols}) == size
    return [spec.expected]


def _rf_formula(ex: Exercise) -> list[Any]:
    spec = ex.parts[0].answer
    table = sympy_symbols(spec.symbols)
    point = {name: 2 + i for i, name in enumerate(sorted(spec.symbols))}
    layers = [
        {arg: (v if arg == "type" else point.get(v, v)) for arg, v in layer.items()} for layer in ex.params["layers"]
    ]
    numeric = receptive_field(layers)[-1].r[0]
    assert spec.expected.xreplace({table[name]: v for name, v in point.items()}) == numeric
    return [spec.expected]


RECOMPUTE: dict[str, Callable[[Exercise], list[Any]]] = {
    "conv_output_size": _output_size,
    "conv_inverse": _inverse,
    "conv_transpose_output_size": _transpose,
    "pool_output_size": _pool,
    "param_count": _param_count,
    "fc_vs_conv": _fc_vs_conv,
    "conv_macs": _macs,
    "receptive_field": _receptive,
    "output_size_formula": _output_formula,
    "receptive_field_formula": _rf_formula,
}
CORE = sorted(RECOMPUTE)
CASES = [(name, level) for name in CORE for level in (1, 2, 3)]


def test_core_families_are_registered() -> None:
    registry = families()
    for name in CORE:
        assert registry[name].difficulties == (1, 2, 3)
        assert registry[name].title["en"] and registry[name].title["zh"]


@pytest.mark.parametrize("name, level", CASES, ids=[f"{n}-{lvl}" for n, lvl in CASES])
def test_variants(name: str, level: int) -> None:
    for seed in SEEDS:
        ex = generate(name, seed, difficulty=level)
        assert (ex.family, ex.difficulty, ex.seed) == (name, level, seed)
        assert accept(ex) is None
        # reproducible, also as stable JSON
        again = generate(name, seed, difficulty=level)
        assert again == ex
        assert json.dumps(to_plain(again), sort_keys=True) == json.dumps(to_plain(ex), sort_keys=True)
        # the expected answers equal an independent recomputation from the parameters
        expected = RECOMPUTE[name](ex)
        assert len(expected) == len(ex.parts)
        for part, value in zip(ex.parts, expected):
            symbols = part.answer.symbols
            assert same_value(part.answer.expected, value, symbols=symbols)
            # the part's solution code defines exactly that answer
            namespace: dict[str, Any] = {}
            exec(ex.setup_code + "\n" + part.solution_code, namespace)
            answer = namespace[part.answer.name]
            if part.answer.kind == "expression":
                answer = parse_expression(answer, symbols)
            assert same_value(answer, value, symbols=symbols), (part.solution_code, value)
            for wrong in part.wrong_answers:
                assert wrong.label in CATALOGUE
                assert not same_value(wrong.value, value, symbols=symbols), wrong
            assert len({wrong.label for wrong in part.wrong_answers}) == len(part.wrong_answers)
        # both locales, and Chinese really is Chinese
        for text in (ex.prompt, *(part.prompt for part in ex.parts)):
            assert text["en"] and re.search(r"[\u4e00-\u9fff]", text["zh"])
        assert len(ex.solution["en"]) == len(ex.solution["zh"]) >= 2


@pytest.mark.parametrize("name", CORE)
def test_wrong_answers_are_the_catalogue_formulas(name: str) -> None:
    """A variant's misconceptions are the labels of its wrong answers, and some variants have them."""
    labels = Counter()
    for seed in SEEDS:
        ex = generate(name, seed, difficulty=2)
        assert set(ex.misconceptions) == {w.label for part in ex.parts for w in part.wrong_answers}
        labels.update(ex.misconceptions)
    assert labels


def test_every_catalogue_label_is_used_by_some_family() -> None:
    """Every family generates at every level (an exception fails the test), and together with the function-check
    models (which diagnose mistakes in students' implementations) they use every built-in label."""
    from convmath.testing.functions import LABELS
    from exercises.families import BUILTIN_LABELS

    used: set[str] = set(LABELS)
    for name, family in sorted(families().items()):
        for level in family.difficulties:
            for seed in range(40):
                used.update(generate(name, seed, difficulty=level).misconceptions)
    missing = sorted(BUILTIN_LABELS - used)  # labels a question file registers are that file's business
    assert not missing, f"unused misconceptions {missing}"


# Collision rates measured over a roster of 300 students (levels 1, 2, 3), plus headroom (about 0.05, rounded up).
# Measured: conv_inverse .027/.053/.067, conv_macs .133/.047/.007, conv_output_size .070/.137/.000,
# conv_transpose_output_size .073/.020/.007, fc_vs_conv .160/.160/.120, output_size_formula .250/.073/.027,
# param_count .083/.053/.113, pool_output_size .090/.013/.080, receptive_field .087/.063/.007,
# receptive_field_formula .273/.217/.007. The level-1 formula families are the tightest: stride-1 formulas in a
# few symbols have few distinct forms, so most of their variety comes from stacks with some arguments fixed.
COLLISION_LIMIT = {
    "conv_output_size": (0.15, 0.2, 0.05),
    "conv_inverse": (0.1, 0.1, 0.1),
    "conv_transpose_output_size": (0.15, 0.1, 0.05),
    "pool_output_size": (0.15, 0.1, 0.15),
    "param_count": (0.15, 0.1, 0.2),
    "fc_vs_conv": (0.25, 0.25, 0.2),
    "conv_macs": (0.2, 0.1, 0.05),
    "receptive_field": (0.15, 0.15, 0.05),
    "output_size_formula": (0.3, 0.15, 0.1),
    "receptive_field_formula": (0.35, 0.3, 0.05),
}


def collision_rate(name: str, level: int, students: int = 300) -> float:
    """Fraction of students whose variant (its parameters) is also some other student's."""
    keys = [
        json.dumps(
            to_plain(generate(name, variant_seed(b"course secret", "hw1", f"s{i:03d}", "q1"), difficulty=level).params),
            sort_keys=True,
        )
        for i in range(students)
    ]
    counts = Counter(keys)
    return sum(c for c in counts.values() if c > 1) / students


@pytest.mark.slow  # about 30 s: deselect with -m "not slow" while developing; CI runs it
def test_collision_rates(record_property: Callable[[str, object], None]) -> None:
    """Every core family and level stays under its limit; prints the table (run with ``-s`` to see it)."""
    rates = {name: tuple(collision_rate(name, level) for level in (1, 2, 3)) for name in CORE}
    record_property("collision_rates", rates)
    width = max(map(len, CORE))
    lines = [f"{'family':<{width}}  level 1  level 2  level 3   (share of 300 students sharing a variant; limits)"]
    for name in CORE:
        cells = "  ".join(f"{rate:7.3f}" for rate in rates[name])
        lines.append(f"{name:<{width}}  {cells}   {COLLISION_LIMIT[name]}")
    print("\n" + "\n".join(lines))
    over = [
        f"{name} level {level}: {rate:.3f} > {limit}"
        for name in CORE
        for level, rate, limit in zip((1, 2, 3), rates[name], COLLISION_LIMIT[name])
        if rate > limit
    ]
    assert not over, over


@pytest.mark.parametrize(
    "call, message",
    [
        pytest.param(lambda: generate("nope", 1), r"family='nope' is not allowed; use one of", id="family"),
        pytest.param(
            lambda: generate("conv_output_size", 1, difficulty=4),
            r"difficulty=4 is not offered by family 'conv_output_size'; use one of 1, 2, 3",
            id="difficulty",
        ),
        pytest.param(lambda: generate("conv_output_size", "1"), r"seed='1' must be an integer", id="seed"),
        pytest.param(
            lambda: generate("pool_output_size", 1, options={"colour": 1}),
            r"option 'colour' is not allowed for family 'pool_output_size'; use none",
            id="option",
        ),
    ],
)
def test_generate_invalid(call: Callable[[], object], message: str) -> None:
    with pytest.raises(ConvMathError, match=message):
        call()


def test_accept_refuses_broken_variants() -> None:
    import dataclasses

    ex = generate("conv_output_size", 3)
    part = ex.parts[0]
    right = part.answer.expected
    cases = {
        "solution code gives": dataclasses.replace(part, solution_code=f"out_size = {right} + 1"),
        "gives the right answer": dataclasses.replace(
            part, wrong_answers=(dataclasses.replace(part.wrong_answers[0], value=right),)
        ),
        "is not in the catalogue": dataclasses.replace(
            part, wrong_answers=(dataclasses.replace(part.wrong_answers[0], label="made_up"),)
        ),
    }
    for reason, broken in cases.items():
        assert reason in accept(dataclasses.replace(ex, parts=(broken,)))
    assert "no 'zh' steps" in accept(dataclasses.replace(ex, solution={"en": ex.solution["en"]}))


def test_symbolic_answers_are_sympy_with_their_symbols() -> None:
    ex = generate("output_size_formula", 5, difficulty=2)
    spec = ex.parts[0].answer
    assert isinstance(spec.expected, sympy.Expr)
    assert {str(sym) for sym in spec.expected.free_symbols} <= set(spec.symbols)
