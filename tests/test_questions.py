"""Question files: the safe expression language, strict templates, parsing errors, every answer kind,
misconceptions applied to the same parameters, names passed to the texts, and the example files."""

from __future__ import annotations

import random
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st

from convmath import conv_output_size, conv_transpose_output_size
from convmath.counting import conv_params, depthwise_separable_params
from convmath.errors import ConvMathError
from convmath.misconceptions import CATALOGUE
from convmath.numeric import convolve, correlate
from exercises.assignment import build_exercises, parse_assignment
from exercises.families import accept, generate, register
from exercises.questions import load_question, parse_question
from exercises.questions.lang import compile_expr, evaluate
from exercises.questions.templates import render_template

EXAMPLES = Path(__file__).parents[1] / "examples" / "questions"
FILES = sorted(EXAMPLES.glob("*.toml"))


def minimal(**changes):
    data = {
        "id": "tq",
        "title": {"en": "T", "zh": "题"},
        "prompt": {"en": "n = {{ n }}", "zh": "n 为 {{ n }}"},
        "params": {"n": {"range": [3, 9]}},
        "parts": [{"name": "y", "answer": "n + 1"}],
    }
    data.update(changes)
    return data


# ----------------------------------------------------------------------------- the language

HOSTILE = {
    "attribute": ("np.flip(K)", "attribute access is not allowed"),
    "dunder-attr": ("(1).__class__", "attribute access is not allowed"),
    "import": ("__import__('os')", "name '__import__' is not allowed"),
    "lambda": ("(lambda: 1)()", "lambda is not allowed"),
    "comprehension": ("[x for x in range(9)]", "comprehensions are not allowed"),
    "walrus": ("(x := 3)", "assignment"),
    "starred": ("max(*[1, 2])", "starred arguments are not allowed"),
    "kwargs": ("max(**{'a': 1})", "keywords are not allowed"),
    "xor": ("2 ^ 3", "use \\*\\* for powers"),
    "call-of-call": ("max(1, 2)(3)", "only named functions may be called"),
    "too-long": ("1 + " * 400 + "1", "longer than"),
    "syntax": ("1 +", "is not valid"),
    "statement": ("import os", "is not valid"),
    "long-literal": ("1" * 41, "more than 40 digits"),
}


@pytest.mark.parametrize("text, message", HOSTILE.values(), ids=list(HOSTILE))
def test_the_language_refuses_code(text, message):
    with pytest.raises(ConvMathError, match=message):
        compile_expr(text)


BOUNDED = {
    "huge-power": ("9**9**9", "too large"),
    "big-exponent": ("2**300", "too large"),
    "power-bits": ("(10**30)**200", "too large"),
    "growing-int": ("10**40 * 10**40", "digits; at most 60"),
    "big-list": ("[0] * 100000", "larger than 10000"),
    "big-array": ("zeros((200, 200))", "more than 10000 entries"),
    "unknown-function": ("open('x')", "function 'open' is not allowed"),
    "undefined": ("q + 1", "name 'q' is not defined"),
    "division-by-zero": ("1 // (n - n)", "division by zero"),
    "string-index": ("'abc'[0]", "only lists, tuples, dicts and arrays can be indexed"),
    "formula-refuses": ("conv_output_size(2, 5)", "conv_output_size"),
}


@pytest.mark.parametrize("text, message", BOUNDED.values(), ids=list(BOUNDED))
def test_evaluation_is_bounded(text, message):
    with pytest.raises(ConvMathError, match=message):
        evaluate(text, {"n": 3})


@given(n=st.integers(1, 500), k=st.integers(1, 9), s=st.integers(1, 5), p=st.integers(0, 4))
def test_the_language_computes_convmaths_formula(n, k, s, p):
    env = {"n": n, "k": k, "s": s, "p": p}
    try:
        expected = conv_output_size(n, k, stride=s, padding=p)
    except ConvMathError:
        expected = None
    if expected is None:  # refused by convmath: refused by the language too
        with pytest.raises(ConvMathError):
            evaluate("conv_output_size(n, k, stride=s, padding=p)", env)
        return
    assert evaluate("conv_output_size(n, k, stride=s, padding=p)", env) == expected
    assert evaluate("(n + 2*p - k) // s + 1", env) == expected  # // is floor division, as in the grader
    exact = evaluate("(n + 2*p - k) / s + 1", env)  # / is exact
    assert exact == Fraction(n + 2 * p - k, s) + 1


def test_symbols_make_sympy_expressions():
    n = sympy.Symbol("n", positive=True, integer=True)
    value = evaluate("conv_output_size(n, 3, stride=2, padding=1)", {"n": n})
    assert value == sympy.floor((n - 1) / 2) + 1
    assert evaluate("ceil(n / 2)", {"n": n}) == sympy.ceiling(n / 2)


def test_conditionals_containers_and_arrays():
    env = {"K": np.array([[1, 2], [3, 4]]), "a": 5}
    assert evaluate("'big' if a > 3 else 'small'", env) == "big"
    assert evaluate("1 < a <= 5 and not a == 4", env) is True
    assert evaluate("flip(K)[0, 0] + K[::-1, ::-1][0][1]", env) == 4 + 3
    assert evaluate("{'kernel_size': a}['kernel_size']", env) == 5
    assert evaluate("not (K == flip(K))", env) is True


# ----------------------------------------------------------------------------- templates


def test_templates_are_strict_and_sandboxed():
    assert render_template("{{ a }} and {{ b | latex }}", {"a": 2, "b": Fraction(3, 4)}) == r"2 and \frac{3}{4}"
    with pytest.raises(ConvMathError, match="'typo' is undefined"):
        render_template("{{ typo }}", {"a": 1}, "prompt.en")
    with pytest.raises(ConvMathError, match="unsafe"):
        render_template("{{ a.__class__.__mro__ }}", {"a": 1})
    with pytest.raises(ConvMathError, match="template syntax error"):
        render_template("{% for %}", {})


HOSTILE_TEMPLATES = {
    "mro": ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "unsafe"),
    "globals": ("{{ lipsum.__globals__ }}", "undefined|unsafe"),
    "huge-string": ("{{ 'x' * 1000000000 }}", "too long"),
    "huge-power": ("{{ 9 ** 999999 }}", "too large"),
    "huge-range": ("{% for i in range(10**9) %}{% endfor %}", "Range too big"),
}


@pytest.mark.parametrize("text, message", HOSTILE_TEMPLATES.values(), ids=list(HOSTILE_TEMPLATES))
def test_hostile_templates_are_refused(text, message):
    with pytest.raises(ConvMathError, match=message):
        render_template(text, {})


# ----------------------------------------------------------------------------- parsing errors

BAD = {
    "unknown-top-key": (minimal(colour="red"), "key 'colour' is not allowed"),
    "bad-id": (minimal(id="Bad Id"), "question id='Bad Id' is not allowed"),
    "no-zh-prompt": (minimal(prompt={"en": "x"}), "prompt has no 'zh' text"),
    "undefined-placeholder-syntax": (minimal(prompt={"en": "{{ n }", "zh": "x"}), "template syntax error"),
    "param-uses-later": (minimal(params={"a": "b + 1", "b": 2}), "uses 'b', which is not defined before it"),
    "bad-range": (minimal(params={"n": {"range": [3]}}), r"range=\[3\] must be \[low, high\]"),
    "bad-kind": (minimal(parts=[{"name": "y", "answer": "1", "kind": "matrix"}]), "kind='matrix' is not allowed"),
    "no-answer": (minimal(parts=[{"name": "y"}]), "no answer"),
    "reserved-name": (minimal(parts=[{"name": "level", "answer": "1"}]), "name='level' is not allowed"),
    "duplicate-names": (minimal(parts=[{"name": "y", "answer": "1"}, {"name": "y", "answer": "2"}]), "not distinct"),
    "hostile-answer": (minimal(parts=[{"name": "y", "answer": "os.system('rm')"}]), "attribute access"),
    "unknown-label": (
        minimal(parts=[{"name": "y", "answer": "n", "misconceptions": ["made_up"]}]),
        "label='made_up' is not in the catalogue",
    ),
    "label-not-applicable": (
        minimal(parts=[{"name": "y", "answer": "n + 1", "misconceptions": ["forgot_plus_one"]}]),
        "miscomputes conv_output_size, which neither the answer",
    ),
    "expression-no-symbols": (minimal(parts=[{"name": "y", "kind": "expression", "answer": "n"}]), "symbols=None"),
    "bad-domain": (
        minimal(parts=[{"name": "y", "kind": "expression", "answer": "m", "symbols": {"m": "complex"}}]),
        "domain|'complex' is not allowed",
    ),
    "bound-not-a-symbol": (
        minimal(
            parts=[
                {
                    "name": "y",
                    "kind": "expression",
                    "answer": "m",
                    "symbols": {"m": "real"},
                    "bounds": {"t": {"min": 1}},
                }
            ]
        ),
        "'t' is not one of the symbols m",
    ),
    "bound-bad-key": (
        minimal(
            parts=[
                {
                    "name": "y",
                    "kind": "expression",
                    "answer": "m",
                    "symbols": {"m": "real"},
                    "bounds": {"m": {"low": 1}},
                }
            ]
        ),
        "key 'low' is not allowed; use min, max",
    ),
    "choice-one-option": (
        minimal(parts=[{"name": "y", "kind": "choice", "answer": "'A'", "choices": ["A"]}]),
        "at least two distinct option keys",
    ),
    "function-bad-signature": (
        minimal(parts=[{"kind": "function", "signature": "f x", "reference": "1"}]),
        "must look like 'name",
    ),
    "function-needs-code": (
        minimal(
            parts=[
                {"kind": "function", "signature": "f(n, kernel_size)", "reference": "conv_output_size(n, kernel_size)"}
            ]
        ),
        "give solution_code",
    ),
    "function-bad-config": (
        minimal(
            parts=[{"kind": "function", "signature": "f(n, kernel_size)", "reference": "n", "config": {"colour": 1}}]
        ),
        "config key 'colour' is not allowed",
    ),
    "own-misconception-no-zh": (
        minimal(
            misconceptions=[
                {"label": "mine", "title": "m", "feedback": {"en": "{value} x", "zh": "no chinese {value}"}}
            ]
        ),
        "is not Chinese text",
    ),
}


@pytest.mark.parametrize("data, message", BAD.values(), ids=list(BAD))
def test_bad_questions_are_refused_with_the_field_named(data, message, clean_registry):
    with pytest.raises(ConvMathError, match=message):
        parse_question(data)


def test_a_key_that_cannot_be_computed_names_the_part_and_values():
    q = parse_question(minimal(parts=[{"name": "y", "answer": "n / 2"}]))  # 7/2 is no integer
    with pytest.raises(ConvMathError, match=r"part a: the key cannot be computed for .*'n': \d+.*is not an integer"):
        for seed in range(20):
            q.draw(random.Random(seed), 1, {})


def test_options_are_checked_and_override_defaults():
    q = parse_question(minimal(options={"extra": 10}, parts=[{"name": "y", "answer": "n + extra"}]))
    ex = q.draw(random.Random(0), 1, {"extra": 100})
    assert ex.parts[0].answer.expected == ex.params["n"] + 100
    with pytest.raises(ConvMathError, match="option 'other' is not allowed for question 'tq'; use 'extra'"):
        q.draw(random.Random(0), 1, {"other": 1})
    with pytest.raises(ConvMathError, match="must be like its default 10"):
        q.draw(random.Random(0), 1, {"extra": "ten"})


# ----------------------------------------------------------------------------- examples


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_example_questions_generate_acceptable_variants(path, clean_registry):
    family = register(load_question(path).family())
    for level in family.difficulties:
        for seed in range(8):
            ex = generate(family.name, seed, difficulty=level)
            assert accept(ex) is None
            assert ex.prompt["en"] != ex.prompt["zh"]
            assert "{{" not in ex.prompt["en"] + ex.prompt["zh"]


def test_the_examples_cover_every_answer_kind():
    kinds = {part.kind for path in FILES for part in load_question(path).parts}
    assert kinds == {"integer", "shape", "array", "expression", "choice", "function"}
    assert len(FILES) >= 5


def _draws(name, count=15):
    q = load_question(EXAMPLES / f"{name}.toml")
    return [ex for ex in (q.draw(random.Random(seed), q.levels[-1], {}) for seed in range(count)) if ex is not None]


def test_keys_agree_with_convmath_computed_independently():
    for ex in _draws("transposed_upsample"):
        q = ex.params
        size = [
            conv_transpose_output_size(v, q["k"], stride=q["s"], padding=q["p"], output_padding=q["op"])
            for v in (q["h"], q["w"])
        ]
        assert ex.parts[0].answer.expected == (q["c_in"] // 2, *size)
    for ex in _draws("depthwise_saving"):
        q = ex.params
        std, sep = conv_params(q["c_in"], q["c_out"], q["k"]), depthwise_separable_params(q["c_in"], q["c_out"], q["k"])
        assert [p.answer.expected for p in ex.parts] == [std, sep, std - sep]
    for ex in _draws("correlate_by_formula"):
        x, k = np.array(ex.params["X"]), np.array(ex.params["K"])
        assert np.array_equal(ex.parts[0].answer.expected, correlate(x[None], k[None, None])[0])
        assert np.array_equal(ex.parts[1].answer.expected, convolve(x[None], k[None, None])[0])
        assert "X = np.array(" in ex.setup_code and "K = np.array(" in ex.setup_code
    for ex in _draws("receptive_dilated"):
        q = ex.params
        assert ex.parts[0].answer.expected == 1 + q["layers"] * q["d"] * (q["k"] - 1)
    for ex in _draws("same_padding_choice"):
        q = ex.params
        letter = ex.parts[0].answer.expected
        assert q["opts"]["ABCD".index(letter)] == q["d"] * (q["k"] - 1) // 2


def test_catalogue_misconceptions_are_applied_to_the_same_parameters():
    for ex in _draws("two_layer_formula"):
        q = ex.params
        n = sympy.Symbol("n", integer=True, positive=True)
        wrong = {w.label: w.value for w in ex.parts[0].wrong_answers}
        once = CATALOGUE["forgot_plus_one"].wrong
        # the wrong formula replaces the right one in both layers
        expect = once(once(n, q["k"], stride=q["s"], padding=q["p"]), q["k"], stride=q["s"], padding=q["p"])
        assert sympy.simplify(wrong["forgot_plus_one"] - expect) == 0
    for ex in _draws("receptive_dilated"):
        q = ex.params
        wrong = {w.label: w.value for w in ex.parts[0].wrong_answers}
        assert wrong["rf_ignored_dilation"] == 1 + q["layers"] * (q["k"] - 1)


def test_answer_names_reach_the_texts_of_a_second_slot(clean_registry):
    data = {
        "id": "names",
        "title": "t",
        "slots": [
            {"id": "q1", "question": str(EXAMPLES / "depthwise_saving.toml")},
            {"id": "q2", "question": str(EXAMPLES / "depthwise_saving.toml")},
        ],
    }
    built = build_exercises(parse_assignment(data), b"0123456789abcdef", "alice")
    second = built[1][1]
    assert [p.answer.name for p in second.parts] == ["standard_params_q2", "separable_params_q2", "saving_q2"]
    for part in second.parts:
        assert f"`{part.answer.name}`" in part.prompt["en"] and f"`{part.answer.name}`" in part.prompt["zh"]
        assert part.solution_code.startswith(f"{part.answer.name} = ")
    first = built[0][1]
    assert [p.answer.name for p in first.parts] == ["standard_params", "separable_params", "saving"]


def test_a_changed_question_under_the_same_id_is_refused(clean_registry):
    register(parse_question(minimal(), source="a.toml").family())
    register(parse_question(minimal(), source="a.toml").family())  # the same file read again: fine
    with pytest.raises(ConvMathError, match="family='tq' is registered twice"):
        register(parse_question(minimal(parts=[{"name": "y", "answer": "n + 2"}]), source="a.toml").family())


def test_expression_bounds_reach_the_answer_spec():
    q = parse_question(
        minimal(
            parts=[
                {
                    "name": "y",
                    "kind": "expression",
                    "answer": "floor(m / n) + 1",
                    "symbols": {"m": "positive_integer"},
                    "bounds": {"m": {"min": "n", "max": "10*n"}},
                }
            ]
        )
    )
    ex = q.draw(random.Random(0), 1, {})
    n = ex.params["n"]
    assert ex.parts[0].answer.bounds == {"m": (n, 10 * n)}


def test_a_question_s_mistakes_are_compared_on_the_stated_domain_as_the_grader_does():
    """A "mistake" equal to the key wherever the prompt says the answer holds (``m >= n``) is the key for the
    grader, so the question generator (the same comparison, the same bounds) refuses the draw rather than
    listing a wrong answer the grader would mark right."""
    from exercises.domains import differs

    part = {
        "name": "y",
        "kind": "expression",
        "answer": "m + 1",
        "symbols": {"m": "positive_integer"},
        "bounds": {"m": {"min": "n"}},
        "misconceptions": [{"label": "forgot_plus_one", "answer": "max(m, n) + 1"}],
    }
    q = parse_question(minimal(parts=[part]))
    attempt = q.attempt(random.Random(0), 1, {})
    assert attempt.exercise is None and "forgot_plus_one gives the key" in attempt.reason
    outside = dict(part, misconceptions=[{"label": "forgot_plus_one", "answer": "m"}])
    ex = parse_question(minimal(parts=[outside])).draw(random.Random(0), 1, {})
    ((wrong,),) = [p.wrong_answers for p in ex.parts]
    spec = ex.parts[0].answer
    assert differs(wrong.value, spec.expected, dict(spec.symbols), dict(spec.bounds)) is not None
