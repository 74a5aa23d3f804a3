r"""Strict text templates for question files (and families): Jinja2, sandboxed, no undefined name.

Templates are instructors' data: they are rendered in Jinja2's
:class:`~jinja2.sandbox.SandboxedEnvironment` (no attribute of a Python
object beyond plain data, no code) with :class:`~jinja2.StrictUndefined`, so
a misspelt placeholder is an error naming it instead of an empty string.
Output is Markdown with LaTeX, so nothing is HTML-escaped. Filters:

- ``latex``: a value as LaTeX (sympy expressions with :func:`sympy.latex`,
  arrays as a ``bmatrix``, fractions as ``\frac``);
- ``code``: a value as a Python literal (arrays as nested lists).

LaTeX's braces next to a placeholder need a space: ``\frac{ {{ a }} }{2}``
(``{{{`` would open the placeholder one brace early).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

import jinja2
import numpy as np
import sympy
from jinja2.sandbox import SandboxedEnvironment

from convmath.errors import ConvMathError

__all__ = ["render_template", "check_template", "to_latex", "to_code"]


def to_latex(value: Any) -> str:
    r"""A value as LaTeX.

    Examples
    --------
    >>> to_latex(Fraction(7, 2)), to_latex(np.array([[1, 2], [3, 4]]))
    ('\\frac{7}{2}', '\\begin{bmatrix} 1 & 2 \\\\ 3 & 4 \\end{bmatrix}')
    >>> to_latex(sympy.floor(sympy.Symbol("n") / 2))
    '\\left\\lfloor{\\frac{n}{2}}\\right\\rfloor'
    """
    if isinstance(value, Fraction):
        return sympy.latex(sympy.Rational(value.numerator, value.denominator))
    if isinstance(value, (list, tuple)) and value and isinstance(value[0], (list, tuple)):
        value = np.asarray(value)
    if isinstance(value, np.ndarray):
        rows = value.reshape(1, -1) if value.ndim == 1 else value
        body = r" \\ ".join(" & ".join(to_latex(x.item()) for x in row) for row in rows)
        return rf"\begin{{bmatrix}} {body} \end{{bmatrix}}"
    if isinstance(value, sympy.Basic):
        return sympy.latex(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def to_code(value: Any) -> str:
    """A value as a Python literal.

    Examples
    --------
    >>> to_code(np.array([[1, 2], [3, 4]])), to_code((3, 4)), to_code("max")
    ('[[1, 2], [3, 4]]', '(3, 4)', "'max'")
    """
    if isinstance(value, np.ndarray):
        return repr(value.tolist())
    if isinstance(value, Fraction):
        return f"{value.numerator}/{value.denominator}"
    if isinstance(value, sympy.Basic):
        return str(value)
    return repr(value)


def _display(value: Any) -> Any:
    """What a bare ``{{ x }}`` prints: fractions as a/b, integral floats as ints, arrays as nested lists."""
    if isinstance(value, Fraction):
        return f"{value.numerator}/{value.denominator}"
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value


#: Longest string or list a template may build with ``*``, and the largest exponent of ``**``.
MAX_REPEAT = 10_000
MAX_EXPONENT = 256


class _Sandbox(SandboxedEnvironment):
    """Jinja2's sandbox, with ``*`` and ``**`` bounded (no gigabyte string from ``'x' * 10**9``)."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**":
            if isinstance(right, (int, float)) and abs(right) > MAX_EXPONENT:
                raise jinja2.exceptions.SecurityError(f"the power {left}**{right} is too large")
            return left**right
        for seq, count in ((left, right), (right, left)):
            if isinstance(seq, (str, list, tuple)) and isinstance(count, int) and len(seq) * count > MAX_REPEAT:
                raise jinja2.exceptions.SecurityError(f"repeating {len(seq)} items {count} times is too long")
        return left * right


@functools.lru_cache(maxsize=1)
def _environment() -> SandboxedEnvironment:
    env = _Sandbox(undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=False, finalize=_display)
    env.filters["latex"] = to_latex
    env.filters["code"] = to_code
    return env


@functools.lru_cache(maxsize=1024)
def _compile(text: str) -> jinja2.Template:
    return _environment().from_string(text)


def check_template(text: str, where: str) -> None:
    """Refuse a template with a syntax error (undefined names are found when rendering).

    Examples
    --------
    >>> check_template("{{ n }", "prompt.en")
    Traceback (most recent call last):
    ...
    convmath.errors.ConvMathError: prompt.en: template syntax error on line 1: unexpected '}'
    """
    if not isinstance(text, str):
        raise ConvMathError(f"{where}={text!r} must be a string")
    try:
        _compile(text)
    except jinja2.TemplateSyntaxError as err:
        raise ConvMathError(f"{where}: template syntax error on line {err.lineno}: {err.message}") from err


def render_template(text: str, context: Mapping[str, Any], where: str = "template") -> str:
    r"""Render ``text`` with ``context``; an undefined placeholder is an error naming it.

    Parameters
    ----------
    text : str
        Jinja2 template (Markdown with LaTeX).
    context : mapping
        Name -> value.
    where : str, optional
        Named in error messages.

    Returns
    -------
    str

    Examples
    --------
    >>> render_template(r"$\frac{ {{ a }} }{2}$, {{ h | latex }}", {"a": 7, "h": Fraction(1, 2)})
    '$\\frac{ 7 }{2}$, \\frac{1}{2}'
    >>> render_template("{{ nn }}", {"n": 1}, "prompt.en")
    Traceback (most recent call last):
    ...
    convmath.errors.ConvMathError: prompt.en: 'nn' is undefined
    >>> render_template("{{ n.__class__ }}", {"n": 1}, "prompt.en")
    Traceback (most recent call last):
    ...
    convmath.errors.ConvMathError: prompt.en: access to attribute '__class__' of 'int' object is unsafe.
    """
    check_template(text, where)
    try:
        return _compile(text).render(dict(context)).strip()
    except jinja2.UndefinedError as err:
        raise ConvMathError(f"{where}: {err.message}") from err
    except jinja2.exceptions.SecurityError as err:
        raise ConvMathError(f"{where}: {err}") from err
    except (TypeError, ValueError, ArithmeticError, LookupError) as err:
        raise ConvMathError(f"{where}: {type(err).__name__}: {err}") from err
