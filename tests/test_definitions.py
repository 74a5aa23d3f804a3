"""convmath.definitions: statements render, relations hold, and the sums agree with independent witnesses."""

from __future__ import annotations

import numpy as np
import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st

from convmath import ConvMathError
from convmath import definitions as D
from convmath.definitions import (
    CONV1D_VALID,
    CONV2D_VALID,
    CONVOLUTION_1D,
    CONVOLUTION_2D,
    CORR1D_VALID,
    CORR2D_VALID,
    CROSS_CORRELATION_1D,
    DEFINITIONS,
    RELATIONS,
    Relation,
    Statement,
    evaluate_discrete,
    fc_to_conv_derivation,
    render_statements,
    verify_derivation,
)

ints = st.integers(-5, 5)


def vectors(min_size: int = 1, max_size: int = 6) -> st.SearchStrategy[list[int]]:
    return st.lists(ints, min_size=min_size, max_size=max_size)


def matrices(rows: int, cols: int) -> st.SearchStrategy[np.ndarray]:
    return st.lists(ints, min_size=rows * cols, max_size=rows * cols).map(lambda v: np.array(v).reshape(rows, cols))


# --- rendering ------------------------------------------------------------------
@pytest.mark.parametrize("statement", DEFINITIONS, ids=lambda s: s.key)
def test_every_definition_renders_in_both_locales_and_formats(statement: Statement) -> None:
    assert statement.title("en") and statement.title("zh") and statement.title("en") != statement.title("zh")
    assert " = " in statement.latex()
    assert " = " in statement.text()
    for fmt in ("markdown", "latex", "text"):
        for locale in ("en", "zh"):
            block = statement.render(locale=locale, format=fmt)
            assert statement.title(locale) in block


@pytest.mark.parametrize(
    "statement, text",
    [
        (CONVOLUTION_1D, "(x * w)[i] = Sum(w[-a + i]*x[a], (a, -oo, oo))"),
        (CROSS_CORRELATION_1D, "(w ⋆ x)[i] = Sum(w[a]*x[a + i], (a, -oo, oo))"),
        (CORR2D_VALID, "Y[i, j] = Sum(K[a, b]*X[a + i, b + j], (a, 0, k_h - 1), (b, 0, k_w - 1))"),
        (D.CROSS_CORRELATION_CONTINUOUS, "(f ⋆ g)(t) = Integral(f(tau)*g(t + tau), (tau, -oo, oo))"),
    ],
    ids=["conv1d", "corr1d", "corr2d-valid", "corr-continuous"],
)
def test_text_form(statement: Statement, text: str) -> None:
    assert statement.text() == text


@pytest.mark.parametrize(
    "statement, latex",
    [
        (CONVOLUTION_1D, r"\left(x \ast w\right)\left[i\right] = \sum_{a=-\infty}^{\infty} {w}_{- a + i} {x}_{a}"),
        (
            D.CONVOLUTION_CONTINUOUS,
            r"\left(f \ast g\right)\left(t\right) = \int\limits_{-\infty}^{\infty} f{\left(\tau \right)} "
            r"g{\left(t - \tau \right)}\, d\tau",
        ),
    ],
    ids=["conv1d", "conv-continuous"],
)
def test_latex_form(statement: Statement, latex: str) -> None:
    assert statement.latex() == latex


def test_keys_are_unique() -> None:
    keys = [s.key for s in DEFINITIONS] + [r.statement.key for r in RELATIONS]
    keys += [s.key for s in fc_to_conv_derivation()]
    assert len(keys) == len(set(keys))


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: CONVOLUTION_1D.title("fr"), r"locale='fr' is not allowed; use one of 'en', 'zh'"),
        (lambda: CONVOLUTION_1D.render(format="html"), r"format='html' is not allowed; use one of 'markdown'"),
        (lambda: evaluate_discrete(CONVOLUTION_1D, {"x": [1], "w": [1]}, q=1), r"q=1 is not a free symbol"),
        (lambda: evaluate_discrete(CONVOLUTION_1D, {"x": [1], "w": [1]}, i=0.5), r"i=0.5 must be an integer"),
        (lambda: evaluate_discrete(CONVOLUTION_1D, {"x": [1]}, i=0), r"lacks \['w'\]"),
        (lambda: evaluate_discrete(CONVOLUTION_1D, {"x": [1], "w": [1]}), r"i has no value; pass i=\.\.\."),
        (lambda: evaluate_discrete(CONVOLUTION_1D, {"x": [[1]], "w": [1]}, i=0), r"x has 2 dimensions"),
    ],
    ids=["locale", "format", "unknown-symbol", "float-index", "missing-array", "missing-index", "wrong-ndim"],
)
def test_invalid_calls(call, message: str) -> None:
    with pytest.raises(ConvMathError, match=message):
        call()


# --- relations: symbolic --------------------------------------------------------
@pytest.mark.parametrize("relation", RELATIONS, ids=lambda r: r.statement.key)
def test_relation_holds_symbolically(relation: Relation) -> None:
    assert relation.holds()
    assert relation.statement.title("zh") and relation.statement.note("en")


def test_a_false_relation_does_not_hold() -> None:
    i, a, b = D.i, D.a, D.b
    wrong = Relation(  # cross-correlation is NOT commutative: (w ⋆ x)[i] != (x ⋆ w)[i]
        Statement(
            "wrong",
            sympy.Eq(D.CrossCorrelation("w", "x", i), sympy.Sum(D.x[a] * D.w[i + a], (a, -sympy.oo, sympy.oo))),
            "wrong",
            "错",
        ),
        CROSS_CORRELATION_1D.expr.rhs,
        ((a, b - i, b),),
    )
    assert not wrong.holds()


def test_derivation_links_verify() -> None:
    assert verify_derivation() == {
        "reindexed": True,
        "translation_invariance": True,
        "locality": True,
        "cross_correlation": True,
    }


def test_derivation_kernel_has_2_delta_plus_1_taps() -> None:
    last = fc_to_conv_derivation()[-1].expr.rhs
    sizes = [hi - lo + 1 for _, lo, hi in last.limits]
    assert sizes == [2 * D.Delta + 1, 2 * D.Delta + 1]


@pytest.mark.parametrize("locale", ["en", "zh"])
@pytest.mark.parametrize("fmt", ["markdown", "latex", "text"])
def test_derivation_renders_as_a_worked_solution(locale: str, fmt: str) -> None:
    steps = fc_to_conv_derivation()
    out = render_statements(steps, locale=locale, format=fmt)
    for step in steps:
        assert step.title(locale) in out and step.note(locale) in out
    if fmt == "markdown":
        assert out.count("$$") == 2 * len(steps)


# --- seed / d2l worked examples ---------------------------------------------------
def test_d2l_corr2d_example() -> None:
    X = np.arange(9).reshape(3, 3)
    K = np.arange(4).reshape(2, 2)
    got = [
        [evaluate_discrete(CORR2D_VALID, {"X": X, "K": K}, i=r, j=c, k_h=2, k_w=2) for c in range(2)] for r in range(2)
    ]
    assert got == [
        [0 * 0 + 1 * 1 + 3 * 2 + 4 * 3, 1 * 0 + 2 * 1 + 4 * 2 + 5 * 3],
        [3 * 0 + 4 * 1 + 6 * 2 + 7 * 3, 4 * 0 + 5 * 1 + 7 * 2 + 8 * 3],
    ]  # 19, 25 / 37, 43


def test_seed_002_vertical_edge_rows() -> None:
    image = np.array([[10] * 3 + [-3] * 3] * 6)
    kernel = np.array([[1, 0, -1]] * 3)
    row = [evaluate_discrete(CORR2D_VALID, {"X": image, "K": kernel}, i=0, j=c, k_h=3, k_w=3) for c in range(4)]
    assert row == [0, 3 * (10 - (-3)), 3 * (10 - (-3)), 0]  # [0, 39, 39, 0]


# --- relations: numeric, each side evaluated on its own ----------------------------
@given(x=vectors(), w=vectors())
def test_convolution_1d_matches_numpy(x: list[int], w: list[int]) -> None:
    full = np.convolve(x, w)
    assert [evaluate_discrete(CONVOLUTION_1D, {"x": x, "w": w}, i=i) for i in range(len(full))] == full.tolist()


@given(x=vectors(), w=vectors())
def test_cross_correlation_1d_matches_numpy(x: list[int], w: list[int]) -> None:
    full = np.correlate(x, w, "full")  # index n corresponds to i = n - (len(w) - 1)
    got = [evaluate_discrete(CROSS_CORRELATION_1D, {"w": w, "x": x}, i=n - (len(w) - 1)) for n in range(len(full))]
    assert got == full.tolist()


@given(x=vectors(), w=vectors())
def test_convolution_is_cross_correlation_with_reversed_kernel(x: list[int], w: list[int]) -> None:
    shift = len(w) - 1  # w~[a] = w[-a] stored from index 0 is w[::-1] shifted by len(w) - 1
    for i in range(-2, len(x) + len(w)):
        conv = evaluate_discrete(CONVOLUTION_1D, {"x": x, "w": w}, i=i)
        corr = evaluate_discrete(CROSS_CORRELATION_1D, {"w": w[::-1], "x": x}, i=i - shift)
        assert conv == corr


@given(x=vectors(), w=vectors())
def test_convolution_commutes_cross_correlation_reverses(x: list[int], w: list[int]) -> None:
    for i in range(-len(w) - 1, len(x) + len(w)):
        assert evaluate_discrete(CONVOLUTION_1D, {"x": x, "w": w}, i=i) == evaluate_discrete(
            CONVOLUTION_1D, {"x": w, "w": x}, i=i
        )
        assert evaluate_discrete(CROSS_CORRELATION_1D, {"w": w, "x": x}, i=i) == evaluate_discrete(
            CROSS_CORRELATION_1D, {"w": x, "x": w}, i=-i
        )


@given(x=vectors(3, 7), w=vectors(1, 3))
def test_valid_1d_forms_match_numpy_valid(x: list[int], w: list[int]) -> None:
    k = len(w)
    corr = [evaluate_discrete(CORR1D_VALID, {"x": x, "K": w}, i=i, k_h=k) for i in range(len(x) - k + 1)]
    conv = [evaluate_discrete(CONV1D_VALID, {"x": x, "K": w}, i=i, k_h=k) for i in range(len(x) - k + 1)]
    assert corr == np.correlate(x, w, "valid").tolist()
    assert conv == np.convolve(x, w, "valid").tolist()


@given(X=matrices(4, 5), K=matrices(2, 3))
def test_conv2d_is_corr2d_with_kernel_turned_180(X: np.ndarray, K: np.ndarray) -> None:
    for r in range(4 - 2 + 1):
        for c in range(5 - 3 + 1):
            conv = evaluate_discrete(CONV2D_VALID, {"X": X, "K": K}, i=r, j=c, k_h=2, k_w=3)
            rotated = evaluate_discrete(CORR2D_VALID, {"X": X, "K": np.rot90(K, 2)}, i=r, j=c, k_h=2, k_w=3)
            full = evaluate_discrete(CONVOLUTION_2D, {"x": X, "K": K}, i=r + 2 - 1, j=c + 3 - 1)
            assert conv == rotated == full


def _numeric():
    from convmath import numeric

    return numeric


@given(X=matrices(4, 5), K=matrices(3, 2))
def test_statements_agree_with_numeric_backend(X: np.ndarray, K: np.ndarray) -> None:
    numeric = _numeric()
    x4 = X.astype(float)[None, None]
    k4 = K.astype(float)[None, None]
    corr = np.asarray(numeric.correlate(x4, k4))[0, 0]
    conv = np.asarray(numeric.convolve(x4, k4))[0, 0]
    for r in range(4 - 3 + 1):
        for c in range(5 - 2 + 1):
            assert corr[r, c] == evaluate_discrete(CORR2D_VALID, {"X": X, "K": K}, i=r, j=c, k_h=3, k_w=2)
            assert conv[r, c] == evaluate_discrete(CONV2D_VALID, {"X": X, "K": K}, i=r, j=c, k_h=3, k_w=2)


# --- the derivation, numerically ----------------------------------------------------
@given(x=matrices(5, 5), v=matrices(3, 3))
def test_translation_invariant_local_fc_layer_is_the_cross_correlation(x: np.ndarray, v: np.ndarray) -> None:
    delta, n = 1, 5
    # a fully connected layer whose weights obey both principles: W[i,j,k,l] = v[k-i, l-j] inside the window
    W = np.zeros((n, n, n, n), dtype=int)
    for i in range(n):
        for j in range(n):
            for a in range(-delta, delta + 1):
                for b in range(-delta, delta + 1):
                    if 0 <= i + a < n and 0 <= j + b < n:
                        W[i, j, i + a, j + b] = v[a + delta, b + delta]
    dense = np.einsum("ijkl,kl->ij", W, x)
    last = fc_to_conv_derivation()[-1]
    for i in range(n):
        for j in range(n):
            assert dense[i, j] == evaluate_discrete(last, {"K": v, "x": x}, i=i, j=j, Delta=delta)
