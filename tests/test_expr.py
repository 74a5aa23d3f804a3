"""grader.expr: the whitelist parser of student expressions."""

from __future__ import annotations

import builtins

import pytest
import sympy

from grader import expr
from grader.expr import MAX_DEPTH, MAX_LENGTH, ExpressionError, make_symbols, parse_expression

DOMAINS = {"n": "positive_integer", "k": "positive_integer", "p": "nonnegative_integer", "s": "positive_integer"}
SYM = make_symbols(DOMAINS)
n, k, p, s = (SYM[name] for name in "nkps")


@pytest.mark.parametrize(
    "text, expected",
    [
        pytest.param("(n + 2*p - k)//s + 1", sympy.floor((n + 2 * p - k) / s) + 1, id="floordiv"),
        pytest.param("floor((n + 2*p - k)/s) + 1", sympy.floor((n + 2 * p - k) / s) + 1, id="floor"),
        pytest.param("Floor((n - k)/s)", sympy.floor((n - k) / s), id="Floor-alias"),
        pytest.param("ceil(n/s)", sympy.ceiling(n / s), id="ceil"),
        pytest.param("ceiling(n/s)", sympy.ceiling(n / s), id="ceiling"),
        pytest.param("max(n, k) - min(n, k)", sympy.Max(n, k) - sympy.Min(n, k), id="max-min"),
        pytest.param("abs(n - k)", sympy.Abs(n - k), id="abs"),
        pytest.param("n % s", sympy.Mod(n, s), id="mod"),
        pytest.param("n**2 - -k", n**2 + k, id="power-unary-minus"),
        pytest.param("+n", n, id="unary-plus"),
        pytest.param("0.5*n", n / 2, id="decimal-is-exact-rational"),
        pytest.param("0.1 + 0.2", sympy.Rational(3, 10), id="no-binary-rounding"),
        pytest.param("sqrt(n)*exp(k)*log(s)", sympy.sqrt(n) * sympy.exp(k) * sympy.log(s), id="sqrt-exp-log"),
        pytest.param("log(n, 2)", sympy.log(n) / sympy.log(2), id="log-base"),
        pytest.param("pi*n", sympy.pi * n, id="pi"),
        pytest.param("(n − k) × s ÷ 2", (n - k) * s / 2, id="typographic-operators"),
        pytest.param("  n  ", n, id="blanks"),
        pytest.param("1_000", sympy.Integer(1000), id="underscore-literal"),
    ],
)
def test_accepted_forms(text: str, expected: sympy.Expr) -> None:
    assert sympy.simplify(parse_expression(text, SYM) - expected) == 0


@pytest.mark.parametrize(
    "text, message",
    [
        pytest.param("n.__class__", r"attribute access \('\.'\) is not allowed", id="attribute"),
        pytest.param("math.floor(n/s)", r"write floor\(\.\.\.\) rather than math\.floor", id="math-floor-hint"),
        pytest.param("n[0]", r"a subscript \('\[\.\.\.\]'\) is not allowed", id="subscript"),
        pytest.param("lambda: n", r"a lambda is not allowed", id="lambda"),
        pytest.param("[n for n in k]", r"a comprehension is not allowed", id="list-comprehension"),
        pytest.param("sum(n for n in k)", r"function 'sum' is not allowed", id="generator-in-call"),
        pytest.param(
            "__import__('os')", r"names with double underscores \(__import__\) are not allowed", id="dunder-call"
        ),
        pytest.param("__builtins__", r"names with double underscores", id="dunder-name"),
        pytest.param("'n + 1'", r"strings are not allowed", id="string"),
        pytest.param("floor(x=n)", r"keyword arguments are not allowed", id="keyword"),
        pytest.param("max(*n)", r"starred arguments \('\*'\) are not allowed", id="starred"),
        pytest.param("n < k", r"a comparison is not allowed", id="comparison"),
        pytest.param("n and k", r"'and' / 'or' is not allowed", id="boolop"),
        pytest.param("n if k else p", r"'if \.\.\. else' is not allowed", id="ifexp"),
        pytest.param("(n := 1)", r"':=' is not allowed", id="walrus"),
        pytest.param("n, k", r"a tuple \(a comma\) is not allowed", id="tuple"),
        pytest.param("True", r"True is not allowed", id="bool"),
        pytest.param("2j", r"complex numbers are not allowed", id="complex"),
        pytest.param("n^2", r"'\^' is not allowed; use \*\* for powers", id="caret"),
        pytest.param("n & k", r"'&' is not allowed", id="bitand"),
        pytest.param("x + 1", r"name 'x' is not allowed; the expression may use only k, n, p, s", id="unknown-name"),
        pytest.param("open('f')", r"function 'open' is not allowed", id="unknown-function"),
        pytest.param("floor", r"floor is a function; call it", id="bare-function"),
        pytest.param("floor(n, k)", r"floor\(\.\.\.\) takes 1 argument\(s\), not 2", id="arity"),
        pytest.param("2n + 1", r"write products with '\*', e\.g\. 2\*n", id="implicit-product"),
        pytest.param("(n + k", r"the parentheses do not match", id="unbalanced"),
        pytest.param("n; k", r"one expression on one line", id="semicolon"),
        pytest.param("", r"the expression is empty", id="empty"),
        pytest.param("9**9**9", r"exponents of numbers may be at most", id="huge-power"),
        pytest.param("2**200**2", r"exponents of numbers may be at most", id="huge-power-2"),
        pytest.param("1" * 41, r"at most 40 digits", id="long-literal"),
        pytest.param("1e999", r"decimal literals must lie between", id="huge-decimal"),
        pytest.param("n + " * 130 + "n", rf"at most {MAX_LENGTH} are allowed", id="too-long"),
        pytest.param("-" * 60 + "n", rf"nested too deeply; at most {MAX_DEPTH} levels", id="deep-unary"),
        pytest.param("(n+" * 45 + "n" + ")" * 45, r"nested too deeply", id="deep-parentheses"),
        pytest.param("floor(" * 45 + "n" + ")" * 45, r"nested too deeply", id="deep-calls"),
        pytest.param("n % (n - n)", r"cannot be computed \(Modulo by zero\)", id="mod-by-zero"),
        pytest.param("max(n, log(0))", r"cannot be computed \(The argument 'zoo' is not comparable", id="max-of-zoo"),
    ],
)
def test_refused(text: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=message):
        parse_expression(text, SYM)


def test_redundant_parentheses_are_harmless() -> None:
    """Parentheses make no syntax nodes: 100 of them around a name is just the name."""
    assert parse_expression("(" * 100 + "n" + ")" * 100, SYM) == n


def test_too_many_nodes() -> None:
    text = "+".join(["n*k"] * 120)  # 480 characters, well over MAX_NODES nodes
    assert len(text) <= MAX_LENGTH
    with pytest.raises(ExpressionError, match=r"too long; at most \d+ terms"):
        parse_expression(text, SYM)


def test_non_string_refused() -> None:
    with pytest.raises(ExpressionError, match="must be a string holding an expression, not list"):
        parse_expression(["n"], SYM)  # type: ignore[arg-type]


def test_domains_give_assumptions() -> None:
    parsed = parse_expression("n + p", DOMAINS)
    (nn, pp) = sorted(parsed.free_symbols, key=str)
    assert (nn.is_integer, nn.is_positive, pp.is_nonnegative) == (True, True, True)


def test_only_spec_symbols_and_no_eval(monkeypatch: pytest.MonkeyPatch) -> None:
    """The student's string never reaches eval, exec or sympify."""

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("a student string reached eval/sympify")

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    monkeypatch.setattr(sympy, "sympify", forbidden)
    monkeypatch.setattr(expr.sympy, "sympify", forbidden)
    assert parse_expression("floor((n + 2*p - k)/s) + 1", SYM) == sympy.floor((n + 2 * p - k) / s) + 1
    with pytest.raises(ExpressionError, match="name 't' is not allowed"):
        parse_expression("t", {"n": SYM["n"]})


def test_symbol_named_like_constant_wins() -> None:
    e = make_symbols({"E": "real"})
    assert parse_expression("E", e) == e["E"]


# ------------------------------------------------------------------ compile_expression: fast exact evaluation

from fractions import Fraction  # noqa: E402

from hypothesis import assume, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from grader.expr import Enclosure, Undecided, compile_expression  # noqa: E402

t = sympy.Symbol("t", positive=True, real=True)
EXACT = {"n": Fraction(7), "k": Fraction(3), "p": Fraction(0), "s": Fraction(2), "t": Fraction(5, 2)}


@pytest.mark.parametrize(
    "text, value",
    [
        pytest.param("(n + 2*p - k)//s + 1", Fraction((7 + 2 * 0 - 3) // 2 + 1), id="floordiv"),
        pytest.param("ceil((n + 2*p - k + 1)/s)", Fraction(-(-(7 - 3 + 1) // 2)), id="ceil"),
        pytest.param("n % s - k/s", Fraction(7 % 2) - Fraction(3, 2), id="mod"),
        pytest.param("max(n, k) - min(n, k, s)", Fraction(7 - 2), id="max-min"),
        pytest.param("abs(k - n)**3", Fraction(abs(3 - 7) ** 3), id="abs-power"),
        pytest.param("sqrt(n + 2)", Fraction(3), id="exact-square-root"),
        pytest.param("(n + 1)**(2/3)", Fraction(4), id="exact-cube-root"),
        pytest.param("exp(p)*log(k - s)", Fraction(1 * 0), id="exp-0-log-1"),
        pytest.param("0.1*n", Fraction(7, 10), id="decimal"),
    ],
)
def test_compiled_exact_values(text: str, value: Fraction) -> None:
    syms = {**SYM, "t": t}
    assert compile_expression(parse_expression(text, syms))(EXACT) == value


@pytest.mark.parametrize(
    "text, true_value",
    [
        pytest.param("exp(-t)*(1 - t)**2", 0.0820849986238988 * (1 - 2.5) ** 2, id="exp"),
        pytest.param("log(t)/t", 0.9162907318741551 / 2.5, id="log"),
        pytest.param("sqrt(n)", 7**0.5, id="irrational-root"),
        pytest.param("pi*k", 3.141592653589793 * 3, id="pi"),
        pytest.param("t**t", 2.5**2.5, id="symbolic-exponent"),
        pytest.param("floor(10*exp(-t))", 0.0 + 0, id="floor-of-enclosure-is-exact"),
    ],
)
def test_compiled_enclosures_hold_the_value(text: str, true_value: float) -> None:
    value = compile_expression(parse_expression(text, {**SYM, "t": t}))(EXACT)
    box = Enclosure.of(value)
    assert box.lo <= true_value * (1 + 1e-15) and true_value * (1 - 1e-15) <= box.hi
    assert box.hi - box.lo <= 1e-13 * max(1.0, abs(true_value))


@pytest.mark.parametrize(
    "text, point",
    [
        pytest.param("n/p", EXACT, id="division-by-zero"),
        pytest.param("1/(1 + 1/p)", EXACT, id="sympy-says-0-here"),
        pytest.param("log(p)", EXACT, id="log-0"),
        pytest.param("sqrt(k - n)", EXACT, id="root-of-negative"),
        pytest.param("exp(1000*n)", EXACT, id="overflow"),
        pytest.param("n", {"k": Fraction(1)}, id="no-value"),
    ],
)
def test_compiled_undecided_points(text: str, point: dict[str, Fraction]) -> None:
    with pytest.raises(Undecided):
        compile_expression(parse_expression(text, SYM))(point)


def test_compile_refuses_what_it_does_not_know() -> None:
    assert compile_expression(sympy.sin(n)) is None and compile_expression(sympy.zoo * n) is None


_LEAVES = st.sampled_from(["n", "k", "p", "s", "t", "1", "2", "3", "0.5", "pi"])
_UNARY = ["floor({})", "ceil({})", "abs({})", "exp(-{})", "log({})", "sqrt({})", "-{}", "({})**2", "({})**-1"]
_BINARY = [
    "({}) + ({})",
    "({}) - ({})",
    "({})*({})",
    "({})/({})",
    "({})//({})",
    "({}) % ({})",
    "max({}, {})",
    "min({}, {})",
    "({})**({})",
]
EXPRESSIONS = st.recursive(
    _LEAVES,
    lambda inner: st.one_of(
        st.tuples(st.sampled_from(_UNARY), inner).map(lambda u: u[0].format(u[1])),
        st.tuples(st.sampled_from(_BINARY), inner, inner).map(lambda b: b[0].format(b[1], b[2])),
    ),
    max_leaves=6,
)


@settings(deadline=None)
@given(
    text=EXPRESSIONS,
    values=st.tuples(
        st.integers(1, 9),
        st.integers(1, 9),
        st.integers(0, 3),
        st.integers(1, 4),
        st.fractions(min_value=Fraction(1, 20), max_value=40, max_denominator=20),
    ),
)
def test_compiled_value_agrees_with_sympy(text: str, values: tuple[int, int, int, int, Fraction]) -> None:
    """Exact results equal sympy's rationals; enclosures hold sympy's 50-digit value; else Undecided."""
    syms = {**SYM, "t": t}
    try:
        parsed = parse_expression(text, syms)
    except ExpressionError:
        assume(False)
    run = compile_expression(parsed)
    if run is None:
        return
    point = dict(zip("nkpst", (Fraction(v) for v in values)))
    try:
        fast = run(point)
    except Undecided:  # a valid outcome: the fast path declines and the grader falls back to sympy
        fast = None
    if fast is None:
        return
    at = parsed.xreplace({syms[name]: sympy.Rational(v.numerator, v.denominator) for name, v in point.items()})
    if isinstance(fast, Fraction):
        rational = sympy.Rational(fast.numerator, fast.denominator)
        assert at == rational if at.is_Rational else abs(sympy.N(at - rational, 60)) < 1e-50, (text, point, fast)
    else:
        exact = sympy.N(at, 50)
        assert exact.is_real and sympy.Float(fast.lo, 50) <= exact <= sympy.Float(fast.hi, 50), (text, point, fast)
