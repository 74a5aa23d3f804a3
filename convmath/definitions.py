r"""Convolution and cross-correlation, stated exactly as sympy expressions.

Deep learning's "convolution" is cross-correlation: the kernel slides over the
input unflipped. Mathematical convolution flips it. This module states both,
discrete (``sympy.Sum`` over symbolic index ranges) and continuous
(``sympy.Integral``), proves the relations between them by a change of
variables that sympy performs, and writes out the lecture's derivation of a
convolution layer from a fully connected one as renderable steps.

Every statement is a :class:`Statement`: a sympy expression (usually an
``Eq``), a title in English and Chinese, and renderers to LaTeX and text.

Notation (d2l section 7.1 [1] and the notes [2]): ``x`` is the input, ``w`` (1-D) or ``K`` (2-D,
finite, indexed from 0) the kernel, ``f, g`` continuous functions; ``i, j, a,
b`` are integers, ``t, tau`` reals; ``(x * w)`` is convolution and
``(w ⋆ x)`` cross-correlation with the convention

.. math:: (w \star x)[i] = \sum_a w[a]\, x[i + a],

which is exactly what a deep-learning "convolution" layer computes.

References
----------
1. A. Zhang, Z. C. Lipton, M. Li, A. J. Smola, *Dive into Deep Learning*,
   sections 7.1 "From Fully Connected Layers to Convolutions" and 7.2
   "Convolutions for Images".
2. 學習筆記-李沐動手學深度學習(七), study notes on Mu Li's d2l lectures 19-21
   (the food-digestion example, the kernel turned 180 degrees, the
   derivation from a fully connected layer).

Examples
--------
>>> print(CONVOLUTION_1D.text())
(x * w)[i] = Sum(w[-a + i]*x[a], (a, -oo, oo))
>>> print(CROSS_CORRELATION_2D.latex())
\left(K \star x\right)\left[i, j\right] = \sum_{a=-\infty}^{\infty}
\sum_{b=-\infty}^{\infty} {K}_{a,b} {x}_{a + i,b + j}
>>> all(relation.holds() for relation in RELATIONS)
True
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import sympy
from sympy.printing.latex import LatexPrinter
from sympy.printing.precedence import PRECEDENCE
from sympy.printing.str import StrPrinter

from ._validate import check_choice, fmt
from .errors import ConvMathError

__all__ = [
    "Statement",
    "Relation",
    "Convolution",
    "CrossCorrelation",
    "CONVOLUTION_1D",
    "CROSS_CORRELATION_1D",
    "CONVOLUTION_2D",
    "CROSS_CORRELATION_2D",
    "CONVOLUTION_CONTINUOUS",
    "CROSS_CORRELATION_CONTINUOUS",
    "CORR1D_VALID",
    "CONV1D_VALID",
    "CORR2D_VALID",
    "CONV2D_VALID",
    "DEFINITIONS",
    "RELATIONS",
    "fc_to_conv_derivation",
    "verify_derivation",
    "evaluate_discrete",
    "render_statements",
]

Locale = Literal["en", "zh"]
LOCALES = ("en", "zh")
FORMATS = ("markdown", "latex", "text")

# --- symbols ----------------------------------------------------------------
i, j, a, b, k, l = sympy.symbols("i j a b k l", integer=True)
t, tau, u = sympy.symbols("t tau u", real=True)
k_h, k_w = sympy.symbols("k_h k_w", integer=True, positive=True)
Delta = sympy.Symbol("Delta", integer=True, nonnegative=True)
x, w, K, X, h, v, W, V = (sympy.IndexedBase(name) for name in ("x", "w", "K", "X", "h", "v", "W", "V"))
f, g = sympy.Function("f"), sympy.Function("g")
_oo = sympy.oo


# --- the operator symbols on the left-hand sides ------------------------------
class _BinaryOp(sympy.Expr):
    """``(f op g)[i]`` or ``(f op g)(t)``: the name of a result, printed as such.

    Arguments are the two operand names (sympy Symbols) followed by the
    index or time arguments; integer arguments print in brackets, real ones
    in parentheses.
    """

    is_commutative = True
    _text_op = "?"
    _latex_op = "?"

    def __new__(cls, first: Any, second: Any, *at: Any) -> _BinaryOp:
        first = sympy.Symbol(first) if isinstance(first, str) else first
        second = sympy.Symbol(second) if isinstance(second, str) else second
        return super().__new__(cls, first, second, *map(sympy.sympify, at))

    @property
    def at(self) -> tuple[sympy.Expr, ...]:
        return tuple(self.args[2:])

    def _discrete(self) -> bool:
        return all(arg.is_integer for arg in self.at)

    def _sympystr(self, printer: Any) -> str:
        inner = ", ".join(printer._print(arg) for arg in self.at)
        where = f"[{inner}]" if self._discrete() else f"({inner})"
        return f"({self.args[0]} {self._text_op} {self.args[1]}){where}"

    def _latex(self, printer: Any) -> str:
        inner = ", ".join(printer._print(arg) for arg in self.at)
        where = rf"\left[{inner}\right]" if self._discrete() else rf"\left({inner}\right)"
        first, second = (printer._print(arg) for arg in self.args[:2])
        return rf"\left({first} {self._latex_op} {second}\right){where}"

    def _pretty(self, printer: Any) -> Any:
        return printer._print(sympy.Symbol(self._sympystr(StrPrinter())))


class Convolution(_BinaryOp):
    """The name ``(f * g)(t)`` or ``(x * w)[i]`` of a convolution."""

    _text_op = "*"
    _latex_op = r"\ast"


class CrossCorrelation(_BinaryOp):
    """The name ``(f ⋆ g)(t)`` or ``(w ⋆ x)[i]`` of a cross-correlation."""

    _text_op = "⋆"
    _latex_op = r"\star"


# --- statements ------------------------------------------------------------------
@dataclass(frozen=True)
class Statement:
    """One renderable mathematical statement with an English and a Chinese title.

    Examples
    --------
    >>> print(CORR2D_VALID.title("zh"))
    二维互相关（有效区域，核下标从 0 开始）
    >>> print(CONVOLUTION_CONTINUOUS.text())
    (f * g)(t) = Integral(f(tau)*g(t - tau), (tau, -oo, oo))
    """

    key: str
    """Identifier, unique among the statements of this module."""
    expr: sympy.Basic
    """The statement itself, usually ``sympy.Eq(lhs, rhs)``."""
    title_en: str
    """Title in English."""
    title_zh: str
    """Title in Chinese (simplified)."""
    note_en: str = ""
    """What the statement says or why it holds, in English (may be empty)."""
    note_zh: str = ""
    """The same note in Chinese (may be empty)."""

    def title(self, locale: Locale = "en") -> str:
        """The title in ``locale`` (``"en"`` or ``"zh"``)."""
        return getattr(self, f"title_{_locale(locale)}")

    def note(self, locale: Locale = "en") -> str:
        """The note in ``locale`` (``"en"`` or ``"zh"``)."""
        return getattr(self, f"note_{_locale(locale)}")

    def latex(self) -> str:
        """The statement as LaTeX (math mode, no delimiters)."""
        return _latex(self.expr)

    def text(self) -> str:
        """The statement as plain text (sympy's string form; ``=`` for ``Eq``)."""
        return _text(self.expr)

    # Jupyter: the formula typeset, with its title and note.
    def _repr_markdown_(self) -> str:
        return self.render(format="markdown")

    def _repr_latex_(self) -> str:
        return f"$$ {self.latex()} $$"

    def render(self, *, locale: Locale = "en", format: str = "markdown") -> str:
        """Title, note and formula as one block of ``markdown``, ``latex`` or ``text``.

        >>> print(CROSS_CORRELATION_1D.render(format="text"))
        1-D cross-correlation (what deep learning calls convolution)
          (w ⋆ x)[i] = Sum(w[a]*x[a + i], (a, -oo, oo))
          The kernel is not flipped: output i looks at x[i + a].
        """
        check_choice("format", format, FORMATS)
        title, note = self.title(locale), self.note(locale)
        if format == "text":
            lines = [title, f"  {self.text()}"] + ([f"  {note}"] if note else [])
        elif format == "latex":
            lines = [rf"\paragraph{{{title}}}", rf"\[ {self.latex()} \]"] + ([note] if note else [])
        else:
            lines = [f"**{title}**", "", f"$$ {self.latex()} $$"] + (["", note] if note else [])
        return "\n".join(lines)


def render_statements(statements: Sequence[Statement], *, locale: Locale = "en", format: str = "markdown") -> str:
    """Render several statements (e.g. a derivation) one after another, numbered.

    Parameters
    ----------
    statements : sequence of Statement
        What to render, in order.
    locale : {"en", "zh"}, optional
        Language of the titles and notes.
    format : {"markdown", "latex", "text"}, optional
        Markdown and text number the statements (``1. ...``); LaTeX does not.

    Returns
    -------
    str
        The blocks, separated by a blank line (one newline in text).

    Examples
    --------
    >>> print(render_statements(fc_to_conv_derivation()[:1], format="text", locale="zh"))
    1. 全连接层（二维输入与输出）
      h[i, j] = Sum(W[i, j, k, l]*x[k, l], (k, -oo, oo), (l, -oo, oo))
      输入和输出都保留二维形状，权重因此是四维张量 W[i,j,k,l]。
    >>> render_statements(fc_to_conv_derivation()[:1], format="html")
    Traceback (most recent call last):
    ...
    convmath.errors.ConvMathError: format='html' is not allowed; use one of 'markdown', 'latex', 'text'
    """
    check_choice("format", format, FORMATS)
    blocks = []
    for number, statement in enumerate(statements, 1):
        block = statement.render(locale=locale, format=format)
        blocks.append(f"{number}. {block}" if format != "latex" else block)
    return "\n\n".join(blocks) if format != "text" else "\n".join(blocks)


def _locale(locale: str) -> str:
    return check_choice("locale", locale, LOCALES)


class _LatexPrinter(LatexPrinter):
    """sympy's LaTeX with one ``\\sum`` per index, in the order of the limits."""

    def _print_Sum(self, expr: sympy.Sum) -> str:
        sums = "".join(
            rf"\sum_{{{self._print(var)}={self._print(lo)}}}^{{{self._print(hi)}}} " for var, lo, hi in expr.limits
        )
        return sums + self.parenthesize(expr.function, PRECEDENCE["Mul"], strict=True)


def _latex(expr: sympy.Basic) -> str:
    return _LatexPrinter().doprint(expr)


def _text(expr: sympy.Basic) -> str:
    if isinstance(expr, sympy.Eq):
        return f"{sympy.sstr(expr.lhs)} = {sympy.sstr(expr.rhs)}"
    return sympy.sstr(expr)


def _sum(term: sympy.Expr, *limits: tuple[Any, Any, Any]) -> sympy.Sum:
    return sympy.Sum(term, *limits)


_ALL = (-_oo, _oo)

CONVOLUTION_1D = Statement(
    "convolution_1d",
    sympy.Eq(Convolution("x", "w", i), _sum(x[a] * w[i - a], (a, *_ALL))),
    "1-D convolution (discrete)",
    "一维卷积（离散）",
    "The kernel is flipped: x[a] meets w[i - a].",
    "卷积核被翻转：x[a] 与 w[i - a] 相乘。",
)
CROSS_CORRELATION_1D = Statement(
    "cross_correlation_1d",
    sympy.Eq(CrossCorrelation("w", "x", i), _sum(w[a] * x[i + a], (a, *_ALL))),
    "1-D cross-correlation (what deep learning calls convolution)",
    "一维互相关（深度学习中所说的“卷积”）",
    "The kernel is not flipped: output i looks at x[i + a].",
    "卷积核不翻转：输出 i 看的是 x[i + a]。",
)
CONVOLUTION_2D = Statement(
    "convolution_2d",
    sympy.Eq(Convolution("x", "K", i, j), _sum(x[a, b] * K[i - a, j - b], (a, *_ALL), (b, *_ALL))),
    "2-D convolution (discrete)",
    "二维卷积（离散）",
    "Both kernel axes are flipped: the kernel turned 180 degrees.",
    "核的两个轴都翻转，即核旋转 180°。",
)
CROSS_CORRELATION_2D = Statement(
    "cross_correlation_2d",
    sympy.Eq(CrossCorrelation("K", "x", i, j), _sum(K[a, b] * x[i + a, j + b], (a, *_ALL), (b, *_ALL))),
    "2-D cross-correlation (a deep-learning convolution layer)",
    "二维互相关（深度学习的卷积层）",
    "The kernel is laid on the input as it is, multiplied element-wise and summed.",
    "把核原样扣在输入上，对应相乘再相加。",
)
CONVOLUTION_CONTINUOUS = Statement(
    "convolution_continuous",
    sympy.Eq(Convolution("f", "g", t), sympy.Integral(f(tau) * g(t - tau), (tau, *_ALL))),
    "Continuous convolution",
    "连续卷积",
    "Food digestion: f(tau) is eaten at time tau, g(t - tau) of it is left at time t.",
    "消化的例子：f(tau) 是 tau 时刻吃下的量，g(t - tau) 是到 t 时刻还剩下的比例。",
)
CROSS_CORRELATION_CONTINUOUS = Statement(
    "cross_correlation_continuous",
    sympy.Eq(CrossCorrelation("f", "g", t), sympy.Integral(f(tau) * g(t + tau), (tau, *_ALL))),
    "Continuous cross-correlation",
    "连续互相关",
    "No flip: g is shifted by t and compared with f.",
    "不翻转：把 g 平移 t 后与 f 相乘积分。",
)
_VALID_NOTE_EN = "Valid positions only: 0 <= i <= n - k, as d2l's corr2d computes."
_VALID_NOTE_ZH = "只取有效位置 0 <= i <= n - k，与 d2l 的 corr2d 相同。"
CORR1D_VALID = Statement(
    "corr1d_valid",
    sympy.Eq(sympy.Indexed(sympy.IndexedBase("y"), i), _sum(x[i + a] * K[a], (a, 0, k_h - 1))),
    "1-D cross-correlation (valid positions, kernel indexed from 0)",
    "一维互相关（有效区域，核下标从 0 开始）",
    _VALID_NOTE_EN,
    _VALID_NOTE_ZH,
)
CONV1D_VALID = Statement(
    "conv1d_valid",
    sympy.Eq(sympy.Indexed(sympy.IndexedBase("y"), i), _sum(x[i + a] * K[k_h - 1 - a], (a, 0, k_h - 1))),
    "1-D convolution (valid positions, kernel indexed from 0)",
    "一维卷积（有效区域，核下标从 0 开始）",
    "numpy.convolve(x, K, 'valid'): the kernel read backwards.",
    "numpy.convolve(x, K, 'valid')：核倒过来读。",
)
CORR2D_VALID = Statement(
    "corr2d_valid",
    sympy.Eq(
        sympy.Indexed(sympy.IndexedBase("Y"), i, j),
        _sum(X[i + a, j + b] * K[a, b], (a, 0, k_h - 1), (b, 0, k_w - 1)),
    ),
    "2-D cross-correlation (valid positions, kernel indexed from 0)",
    "二维互相关（有效区域，核下标从 0 开始）",
    _VALID_NOTE_EN,
    _VALID_NOTE_ZH,
)
CONV2D_VALID = Statement(
    "conv2d_valid",
    sympy.Eq(
        sympy.Indexed(sympy.IndexedBase("Y"), i, j),
        _sum(X[i + a, j + b] * K[k_h - 1 - a, k_w - 1 - b], (a, 0, k_h - 1), (b, 0, k_w - 1)),
    ),
    "2-D convolution (valid positions, kernel indexed from 0)",
    "二维卷积（有效区域，核下标从 0 开始）",
    "The cross-correlation with the kernel turned 180 degrees.",
    "即核旋转 180° 后的互相关。",
)

DEFINITIONS: tuple[Statement, ...] = (
    CONVOLUTION_1D,
    CROSS_CORRELATION_1D,
    CONVOLUTION_2D,
    CROSS_CORRELATION_2D,
    CONVOLUTION_CONTINUOUS,
    CROSS_CORRELATION_CONTINUOUS,
    CORR1D_VALID,
    CONV1D_VALID,
    CORR2D_VALID,
    CONV2D_VALID,
)
"""Every definition of this module, in reading order."""


# --- relations, proved by a change of variables -----------------------------------
@dataclass(frozen=True)
class Relation:
    r"""An identity ``left = right`` and the change of variables that proves it.

    :meth:`derive` applies the substitutions to ``left`` with sympy
    (``Sum.change_index`` / ``Integral.transform``); :meth:`holds` checks that
    the result is ``right`` up to the names of the bound variables.

    Examples
    --------
    >>> rel = RELATIONS[0]
    >>> print(rel.statement.text())
    (x * w)[i] = Sum(w[-a]*x[a + i], (a, -oo, oo))
    >>> rel.derive()
    Sum(w[-b]*x[b + i], (b, -oo, oo))
    >>> rel.holds()
    True
    """

    statement: Statement
    """``Eq(name, right)`` with titles; ``statement.expr.rhs`` is ``right``."""
    left: sympy.Expr
    """The defining sum or integral the derivation starts from."""
    substitutions: tuple[tuple[sympy.Symbol, sympy.Expr, sympy.Symbol], ...]
    """``(old, expression, new)``: replace the bound variable ``old`` by ``expression`` in ``new``, in order."""

    @property
    def right(self) -> sympy.Expr:
        """The expression the relation claims ``left`` equals."""
        return self.statement.expr.rhs

    def derive(self) -> sympy.Expr:
        """Apply the substitutions to :attr:`left`, as sympy does them."""
        expr = self.left
        for old, new_expr, new in self.substitutions:
            expr = _substitute(expr, old, new_expr, new)
        return expr

    def holds(self) -> bool:
        """True when :meth:`derive` gives :attr:`right` up to bound-variable names."""
        return _alpha_equal(self.derive(), self.right)


def _substitute(expr: sympy.Expr, old: sympy.Symbol, new_expr: sympy.Expr, new: sympy.Symbol) -> sympy.Expr:
    """Change the bound variable ``old = new_expr(new)`` in a Sum or an Integral."""
    tmp = sympy.Dummy(new.name, **new.assumptions0)
    new_expr = new_expr.xreplace({new: tmp})
    if isinstance(expr, sympy.Integral):
        return expr.transform(old, (new_expr, tmp)).xreplace({tmp: new})
    if isinstance(expr, sympy.Sum):
        inverse = sympy.solve(sympy.Eq(old, new_expr), tmp)
        if len(inverse) != 1:  # pragma: no cover - substitutions here are linear
            raise ConvMathError(f"substitution {old} = {new_expr} is not invertible")
        return expr.change_index(old, inverse[0], tmp).xreplace({tmp: new})
    raise ConvMathError(f"expr={expr} must be a Sum or an Integral")


def _alpha_equal(first: sympy.Basic, second: sympy.Basic) -> bool:
    """Structural equality after renaming bound variables to canonical ones."""
    return _canonical(first) == _canonical(second)


def _canonical(expr: sympy.Basic) -> sympy.Basic:
    if isinstance(expr, (sympy.Sum, sympy.Integral)):
        names = {}
        for number, limit in enumerate(expr.limits):
            var = limit[0]
            names[var] = sympy.Symbol(f"_bound{number}", **var.assumptions0)
        return expr.xreplace(names)
    return expr


def _relation(
    key: str,
    name: sympy.Expr,
    left: sympy.Expr,
    right: sympy.Expr,
    substitutions: Sequence[tuple[Any, Any, Any]],
    titles: tuple[str, str, str, str],
) -> Relation:
    statement = Statement(key, sympy.Eq(name, right), *titles)
    return Relation(statement, left, tuple(substitutions))


RELATIONS: tuple[Relation, ...] = (
    _relation(
        "convolution_is_flipped_cross_correlation_1d",
        Convolution("x", "w", i),
        CONVOLUTION_1D.expr.rhs,
        _sum(w[-a] * x[i + a], (a, *_ALL)),
        [(a, i + b, b)],
        (
            "Convolution is cross-correlation with the kernel reversed",
            "卷积就是核反转后的互相关",
            "Substitute a = i + b: (x * w)[i] = (w~ ⋆ x)[i] with w~[a] = w[-a].",
            "令 a = i + b：(x * w)[i] = (w~ ⋆ x)[i]，其中 w~[a] = w[-a]。",
        ),
    ),
    _relation(
        "convolution_is_commutative_1d",
        Convolution("x", "w", i),
        CONVOLUTION_1D.expr.rhs,
        _sum(w[a] * x[i - a], (a, *_ALL)),
        [(a, i - b, b)],
        (
            "Discrete convolution is commutative",
            "离散卷积满足交换律",
            "Substitute a = i - b: x * w = w * x.",
            "令 a = i - b：x * w = w * x。",
        ),
    ),
    _relation(
        "cross_correlation_swapped_1d",
        CrossCorrelation("w", "x", i),
        CROSS_CORRELATION_1D.expr.rhs,
        _sum(x[a] * w[a - i], (a, *_ALL)),
        [(a, b - i, b)],
        (
            "Swapping the operands of a cross-correlation reverses it",
            "交换互相关的两个操作数会使结果反转",
            "Substitute a = b - i: (w ⋆ x)[i] = (x ⋆ w)[-i]; cross-correlation is not commutative.",
            "令 a = b - i：(w ⋆ x)[i] = (x ⋆ w)[-i]；互相关不满足交换律。",
        ),
    ),
    _relation(
        "convolution_is_flipped_cross_correlation_2d",
        Convolution("x", "K", i, j),
        CONVOLUTION_2D.expr.rhs,
        _sum(K[-a, -b] * x[i + a, j + b], (a, *_ALL), (b, *_ALL)),
        [(a, i + a, a), (b, j + b, b)],
        (
            "2-D convolution is cross-correlation with the kernel turned 180 degrees",
            "二维卷积就是核旋转 180° 后的互相关",
            "Substitute a -> i + a, b -> j + b: K[-a, -b] is K turned 180 degrees.",
            "令 a -> i + a，b -> j + b：K[-a, -b] 就是旋转 180° 的 K。",
        ),
    ),
    _relation(
        "conv2d_valid_is_rotated_corr2d",
        sympy.Indexed(sympy.IndexedBase("Y"), i, j),
        _sum(K[a, b] * X[i + k_h - 1 - a, j + k_w - 1 - b], (a, 0, k_h - 1), (b, 0, k_w - 1)),
        CONV2D_VALID.expr.rhs,
        [(a, k_h - 1 - a, a), (b, k_w - 1 - b, b)],
        (
            "Valid 2-D convolution is corr2d with the kernel rotated by 180 degrees",
            "有效区域的二维卷积就是核旋转 180° 后的 corr2d",
            "Reindex a -> k_h - 1 - a, b -> k_w - 1 - b in the full convolution at (i + k_h - 1, j + k_w - 1).",
            "在完整卷积的 (i + k_h - 1, j + k_w - 1) 处令 a -> k_h - 1 - a，b -> k_w - 1 - b。",
        ),
    ),
    _relation(
        "convolution_is_commutative_continuous",
        Convolution("f", "g", t),
        CONVOLUTION_CONTINUOUS.expr.rhs,
        sympy.Integral(g(tau) * f(t - tau), (tau, *_ALL)),
        [(tau, t - u, u), (u, tau, tau)],
        (
            "Continuous convolution is commutative",
            "连续卷积满足交换律",
            "Substitute tau = t - u: f * g = g * f (the arguments tau + (t - tau) = t add up).",
            "令 tau = t - u：f * g = g * f（两个自变量 tau 与 t - tau 相加消去 tau）。",
        ),
    ),
    _relation(
        "cross_correlation_swapped_continuous",
        CrossCorrelation("f", "g", t),
        CROSS_CORRELATION_CONTINUOUS.expr.rhs,
        sympy.Integral(g(tau) * f(tau - t), (tau, *_ALL)),
        [(tau, u - t, u), (u, tau, tau)],
        (
            "Swapping the operands of a cross-correlation reverses it (continuous)",
            "交换连续互相关的操作数会使结果反转",
            "Substitute tau = u - t: (f ⋆ g)(t) = (g ⋆ f)(-t).",
            "令 tau = u - t：(f ⋆ g)(t) = (g ⋆ f)(-t)。",
        ),
    ),
)
"""The relations between the definitions; each :meth:`Relation.holds`."""


# --- from a fully connected layer to a convolution ---------------------------------
def fc_to_conv_derivation() -> tuple[Statement, ...]:
    r"""The lecture's derivation of a convolution layer from a fully connected one.

    Five steps, each a :class:`Statement` with English and Chinese text:

    1. a fully connected layer between 2-D input and output,
       :math:`h_{i,j} = \sum_{k,l} W_{i,j,k,l} x_{k,l}`;
    2. re-indexing :math:`V_{i,j,a,b} = W_{i,j,i+a,j+b}`, so
       :math:`h_{i,j} = \sum_{a,b} V_{i,j,a,b} x_{i+a,j+b}`;
    3. translation invariance: :math:`V` does not depend on :math:`i, j`;
    4. locality: :math:`v_{a,b} = 0` unless :math:`|a|, |b| \le \Delta`;
    5. a 2-D cross-correlation with a :math:`(2\Delta+1)\times(2\Delta+1)`
       kernel :math:`K_{a,b} = v_{a-\Delta,b-\Delta}` indexed from 0.

    Returns
    -------
    tuple of Statement
        The steps in order; :func:`verify_derivation` checks each link.

    Examples
    --------
    >>> steps = fc_to_conv_derivation()
    >>> [step.key for step in steps]
    ['fully_connected', 'reindexed', 'translation_invariance', 'locality', 'cross_correlation']
    >>> print(steps[3].text())
    h[i, j] = Sum(v[a, b]*x[a + i, b + j], (a, -Delta, Delta), (b, -Delta, Delta))
    >>> print(steps[4].latex())
    {h}_{i,j} = \sum_{a=0}^{2 \Delta} \sum_{b=0}^{2 \Delta} {K}_{a,b} {x}_{- \Delta + a + i,- \Delta + b + j}
    """
    hij = h[i, j]
    return (
        Statement(
            "fully_connected",
            sympy.Eq(hij, _sum(W[i, j, k, l] * x[k, l], (k, *_ALL), (l, *_ALL))),
            "Fully connected layer with 2-D input and output",
            "全连接层（二维输入与输出）",
            "Input and output keep their 2-D shape, so the weight is a 4-D tensor W[i,j,k,l].",
            "输入和输出都保留二维形状，权重因此是四维张量 W[i,j,k,l]。",
        ),
        Statement(
            "reindexed",
            sympy.Eq(hij, _sum(V[i, j, a, b] * x[i + a, j + b], (a, *_ALL), (b, *_ALL))),
            "Re-index the weights relative to the output position",
            "以输出位置为参照重新索引权重",
            "Put k = i + a, l = j + b and V[i,j,a,b] = W[i,j,i+a,j+b]: only a change of names.",
            "令 k = i + a，l = j + b，V[i,j,a,b] = W[i,j,i+a,j+b]：只是换了下标。",
        ),
        Statement(
            "translation_invariance",
            sympy.Eq(hij, _sum(v[a, b] * x[i + a, j + b], (a, *_ALL), (b, *_ALL))),
            "Translation invariance: the weights do not depend on the position",
            "平移不变性：权重不随位置变化",
            "A shift of the input should shift the output, so V[i,j,a,b] = v[a,b]: one kernel slides everywhere.",
            "输入平移只应使输出平移，因此 V[i,j,a,b] = v[a,b]：同一个核在各处滑动。",
        ),
        Statement(
            "locality",
            sympy.Eq(hij, _sum(v[a, b] * x[i + a, j + b], (a, -Delta, Delta), (b, -Delta, Delta))),
            "Locality: only the neighbourhood |a|, |b| <= Delta matters",
            "局部性：只看 |a|、|b| <= Delta 的邻域",
            "Set v[a,b] = 0 for |a| > Delta or |b| > Delta: far pixels are ignored.",
            "当 |a| > Delta 或 |b| > Delta 时令 v[a,b] = 0：不看离得太远的像素。",
        ),
        Statement(
            "cross_correlation",
            sympy.Eq(hij, _sum(K[a, b] * x[i - Delta + a, j - Delta + b], (a, 0, 2 * Delta), (b, 0, 2 * Delta))),
            "A 2-D cross-correlation with a (2*Delta + 1) x (2*Delta + 1) kernel",
            "核大小为 (2*Delta + 1) x (2*Delta + 1) 的二维互相关",
            "With K[a,b] = v[a - Delta, b - Delta] this is corr2d; strictly it is a cross-correlation, "
            "not a convolution.",
            "令 K[a,b] = v[a - Delta, b - Delta]，这就是 corr2d；严格地说是互相关而不是卷积。",
        ),
    )


def verify_derivation() -> dict[str, bool]:
    """Check each link of :func:`fc_to_conv_derivation` with sympy.

    Returns
    -------
    dict
        ``{step key: True/False}`` for each step after the first: the
        re-indexing by ``change_index`` plus the definition of ``V``;
        translation invariance by substituting ``V[i,j,a,b] -> v[a,b]``;
        locality by restricting the limits; the kernel by ``change_index``
        ``a -> a - Delta`` plus the definition of ``K``.

    Examples
    --------
    >>> verify_derivation()
    {'reindexed': True, 'translation_invariance': True, 'locality': True, 'cross_correlation': True}
    """
    steps = {step.key: step.expr.rhs for step in fc_to_conv_derivation()}
    check: dict[str, bool] = {}
    # 1 -> 2: k = i + a, l = j + b, then W[i, j, i + a, j + b] is named V[i, j, a, b]
    moved = _substitute(_substitute(steps["fully_connected"], k, i + a, a), l, j + b, b)
    moved = moved.replace(
        lambda e: isinstance(e, sympy.Indexed) and e.base == W,
        lambda e: V[e.indices[0], e.indices[1], e.indices[2] - e.indices[0], e.indices[3] - e.indices[1]],
    )
    check["reindexed"] = _alpha_equal(moved, steps["reindexed"])
    # 2 -> 3: V independent of i, j
    shared = steps["reindexed"].replace(
        lambda e: isinstance(e, sympy.Indexed) and e.base == V, lambda e: v[e.indices[2], e.indices[3]]
    )
    check["translation_invariance"] = _alpha_equal(shared, steps["translation_invariance"])
    # 3 -> 4: v vanishes outside the window, so only the limits change
    limited = sympy.Sum(steps["translation_invariance"].function, (a, -Delta, Delta), (b, -Delta, Delta))
    check["locality"] = _alpha_equal(limited, steps["locality"])
    # 4 -> 5: a = a' - Delta, b = b' - Delta, then v[a' - Delta, b' - Delta] is named K[a', b']
    shifted = _substitute(_substitute(steps["locality"], a, a - Delta, a), b, b - Delta, b)
    shifted = shifted.replace(
        lambda e: isinstance(e, sympy.Indexed) and e.base == v,
        lambda e: K[e.indices[0] + Delta, e.indices[1] + Delta],
    )
    check["cross_correlation"] = _alpha_equal(shifted, steps["cross_correlation"])
    return check


# --- evaluating a discrete statement on arrays ----------------------------------
def evaluate_discrete(statement: Statement | sympy.Expr, arrays: Mapping[str, Any], **values: Any) -> Any:
    """Evaluate the right-hand side of a discrete statement on concrete arrays.

    Parameters
    ----------
    statement : Statement or sympy.Expr
        A discrete definition (a ``Sum`` of products of ``Indexed``), or an
        ``Eq`` / expression.
    arrays : mapping
        ``{name: array}`` for every ``IndexedBase`` in the statement. Each
        array is a signal that is zero outside its index range (indices from
        0, no wrap-around), so infinite sums are finite.
    **values : int
        The free integer symbols by name (``i=2``, ``j=0``, ``k_h=3``).

    Returns
    -------
    number
        The value, exact when the arrays hold ints.

    Notes
    -----
    The sum is done by brute force over every index value for which some
    array is non-zero: it is an independent witness for the numeric backend,
    not a fast implementation.

    Examples
    --------
    >>> evaluate_discrete(CONVOLUTION_1D, {"x": [1, 2, 3], "w": [0, 1, 10]}, i=2)  # 1*10 + 2*1 + 3*0
    12
    >>> evaluate_discrete(CORR2D_VALID, {"X": [[0, 1, 2], [3, 4, 5], [6, 7, 8]], "K": [[0, 1], [2, 3]]},
    ...                   i=0, j=0, k_h=2, k_w=2)  # 0*0 + 1*1 + 3*2 + 4*3 (d2l's 19)
    19
    """
    expr = statement.expr if isinstance(statement, Statement) else statement
    if isinstance(expr, sympy.Eq):
        expr = expr.rhs
    data = {name: np.asarray(array) for name, array in arrays.items()}
    free = {sym.name: sym for sym in expr.free_symbols if not isinstance(sym, sympy.Indexed)}
    env: dict[sympy.Symbol, int] = {}
    for name, value in values.items():
        if name not in free:
            raise ConvMathError(f"{fmt(name, value)} is not a free symbol of the statement; use {sorted(free)}")
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise ConvMathError(f"{fmt(name, value)} must be an integer")
        env[free[name]] = int(value)
    bases = {base.name for base in expr.atoms(sympy.IndexedBase)}
    missing = sorted(bases - set(data) - set(values))
    if missing:
        raise ConvMathError(f"arrays={sorted(data)} lacks {missing}; give every array of the statement")
    span = sum(int(np.prod(arr.shape)) + sum(arr.shape) for arr in data.values()) + sum(abs(v) for v in env.values())
    return _eval(expr, data, env, span)


def _eval(expr: sympy.Basic, data: Mapping[str, np.ndarray], env: dict[sympy.Symbol, int], span: int) -> Any:
    if isinstance(expr, sympy.Sum):
        return _eval_sum(expr.function, list(expr.limits), data, env, span)
    if isinstance(expr, sympy.Indexed):
        array = data[expr.base.name]
        index = tuple(int(_eval(idx, data, env, span)) for idx in expr.indices)
        if len(index) != array.ndim:
            raise ConvMathError(f"{expr.base.name} has {array.ndim} dimensions; the statement uses {len(index)}")
        if any(n < 0 or n >= size for n, size in zip(index, array.shape)):
            return 0
        return array[index].item()
    if isinstance(expr, sympy.Symbol):
        if expr not in env:
            raise ConvMathError(f"{expr.name} has no value; pass {expr.name}=...")
        return env[expr]
    if isinstance(expr, sympy.Integer):
        return int(expr)
    if isinstance(expr, sympy.Add):
        return sum(_eval(arg, data, env, span) for arg in expr.args)
    if isinstance(expr, sympy.Mul):
        out: Any = 1
        for arg in expr.args:
            out = out * _eval(arg, data, env, span)
        return out
    raise ConvMathError(f"cannot evaluate {expr} on arrays")  # pragma: no cover - statements here are sums


def _eval_sum(
    term: sympy.Expr,
    limits: list[tuple[Any, ...]],
    data: Mapping[str, np.ndarray],
    env: dict[sympy.Symbol, int],
    span: int,
) -> Any:
    if not limits:
        return _eval(term, data, env, span)
    var, lo, hi = limits[0]
    lo_n = -span if lo == -_oo else int(_eval(sympy.sympify(lo), data, env, span))
    hi_n = span if hi == _oo else int(_eval(sympy.sympify(hi), data, env, span))
    for low, high in _support(term, var, data, env):  # terms outside an array's support are zero
        lo_n, hi_n = max(lo_n, low), min(hi_n, high)
    total: Any = 0
    for value in range(lo_n, hi_n + 1):
        total = total + _eval_sum(term, limits[1:], data, {**env, var: value}, span)
    return total


def _support(
    term: sympy.Expr, var: sympy.Symbol, data: Mapping[str, np.ndarray], env: dict[sympy.Symbol, int]
) -> list[tuple[int, int]]:
    """Ranges of ``var`` outside which some array of ``term`` is indexed out of range (so the term is 0)."""
    factors = term.args if isinstance(term, sympy.Mul) else (term,)
    ranges = []
    for factor in factors:
        if not isinstance(factor, sympy.Indexed):
            continue
        size = data[factor.base.name].shape
        for axis, index in enumerate(factor.indices):
            coeff = index.coeff(var)
            rest = index - coeff * var
            if coeff not in (1, -1) or rest.has(var) or not rest.free_symbols <= set(env) or axis >= len(size):
                continue
            offset = int(rest.xreplace(env))
            low, high = -offset, size[axis] - 1 - offset
            ranges.append((low, high) if coeff == 1 else (-high, -low))
    return ranges
