r"""Parse a student's expression string into sympy through a whitelist over ``ast``.

A student's string never reaches :func:`eval` or :func:`sympy.sympify`: it is
parsed by Python's own parser into a syntax tree (which runs nothing), every
node is checked against a short whitelist, and the sympy expression is built
node by node from the allowed ones.

What is allowed
---------------
- **numbers**: integer literals (at most 40 digits) and decimal literals.
  A decimal becomes the *exact* rational it spells (``0.5`` is ``1/2``,
  ``0.1`` is ``1/10``), so an answer never fails on binary rounding;
- **names**: the spec's symbol names only, plus the constants ``pi`` and
  ``E`` (unless the spec uses those names for symbols);
- **operators**: ``+ - * / // % **``, unary ``-`` and ``+``, parentheses.
  ``/`` is exact division, ``a // b`` is ``floor(a / b)``, ``a % b`` is
  ``Mod(a, b)``;
- **functions**: ``floor``, ``ceil`` (also ``ceiling``), ``max``, ``min``,
  ``abs``, ``sqrt``, ``exp``, ``log`` (natural; ``log(x, b)`` for base ``b``);
  each also under its sympy capitalisation (``Floor``, ``Ceil``, ``Max``,
  ``Min``, ``Abs``). Calls take positional arguments only.

Everything else is refused with a message that says what and why: attribute
access (``math.floor`` -- write ``floor``), subscripts, lambdas,
comprehensions, strings, keywords, starred arguments, comparisons, booleans,
complex numbers, ``^`` (``use ** for powers``), names with double
underscores, any other name; input longer than :data:`MAX_LENGTH` characters,
with more than :data:`MAX_NODES` syntax nodes or nested deeper than
:data:`MAX_DEPTH`. Powers of two numbers are bounded (no ``9**9**9``).

The typographic characters students paste from a PDF (``−``, ``×``, ``·``,
``÷``) are read as ``-``, ``*``, ``*``, ``/``.
"""

from __future__ import annotations

import ast
import functools
import math
import re
from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Any, NamedTuple, TypeAlias

import sympy

from convmath.errors import ConvMathError
from exercises.domains import DOMAINS  # the one definition, shared with the generator

__all__ = [
    "ExpressionError",
    "parse_expression",
    "make_symbols",
    "DOMAINS",
    "FUNCTIONS",
    "MAX_LENGTH",
    "MAX_NODES",
    "MAX_DEPTH",
    "compile_expression",
    "Enclosure",
    "Undecided",
    "TooLarge",
]

#: Longest accepted input, in characters.
MAX_LENGTH = 500
#: Most syntax nodes accepted (a 500-character formula has about 150).
MAX_NODES = 300
#: Deepest nesting of syntax nodes accepted.
MAX_DEPTH = 40
#: Most digits in an integer literal.
MAX_DIGITS = 40
#: Largest absolute value of the exponent of a power whose base and exponent are both numbers.
MAX_NUMERIC_EXPONENT = 256
#: Largest result, in bits, of a power of two numbers.
MAX_POWER_BITS = 4096

#: Allowed function names -> (sympy builder, allowed argument counts).
FUNCTIONS: dict[str, tuple[Callable[..., sympy.Expr], tuple[int, ...]]] = {
    "floor": (sympy.floor, (1,)),
    "Floor": (sympy.floor, (1,)),
    "ceil": (sympy.ceiling, (1,)),
    "Ceil": (sympy.ceiling, (1,)),
    "ceiling": (sympy.ceiling, (1,)),
    "max": (sympy.Max, (2, 3, 4)),
    "Max": (sympy.Max, (2, 3, 4)),
    "min": (sympy.Min, (2, 3, 4)),
    "Min": (sympy.Min, (2, 3, 4)),
    "abs": (sympy.Abs, (1,)),
    "Abs": (sympy.Abs, (1,)),
    "sqrt": (sympy.sqrt, (1,)),
    "exp": (sympy.exp, (1,)),
    "log": (sympy.log, (1, 2)),
}

_CONSTANTS: dict[str, sympy.Expr] = {"pi": sympy.pi, "E": sympy.E}
_TYPOGRAPHY = str.maketrans({"−": "-", "×": "*", "·": "*", "÷": "/"})

_BINARY: dict[type, Callable[[sympy.Expr, sympy.Expr], sympy.Expr]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.FloorDiv: lambda a, b: sympy.floor(a / b),
    ast.Mod: lambda a, b: sympy.Mod(a, b),
}

_REFUSED: dict[type, str] = {
    ast.Attribute: "attribute access ('.')",
    ast.Subscript: "a subscript ('[...]')",
    ast.Lambda: "a lambda",
    ast.ListComp: "a comprehension",
    ast.SetComp: "a comprehension",
    ast.DictComp: "a comprehension",
    ast.GeneratorExp: "a comprehension",
    ast.Starred: "a starred argument ('*')",
    ast.Compare: "a comparison",
    ast.BoolOp: "'and' / 'or'",
    ast.IfExp: "'if ... else'",
    ast.NamedExpr: "':='",
    ast.List: "a list",
    ast.Tuple: "a tuple (a comma)",
    ast.Set: "a set",
    ast.Dict: "a dict",
    ast.JoinedStr: "a string",
    ast.Await: "'await'",
    ast.Yield: "'yield'",
    ast.YieldFrom: "'yield'",
    ast.Slice: "a slice",
}


class ExpressionError(ConvMathError):
    """A student's expression that is not accepted; the message says why, for the student."""


def make_symbols(domains: Mapping[str, str]) -> dict[str, sympy.Symbol]:
    """Build one sympy symbol per name, with the assumptions of its domain.

    Parameters
    ----------
    domains : mapping of str to str
        Symbol name -> one of :data:`DOMAINS`.

    Returns
    -------
    dict
        Name -> :class:`sympy.Symbol`.

    Examples
    --------
    >>> syms = make_symbols({"n": "positive_integer", "t": "real"})
    >>> syms["n"].is_integer, syms["n"].is_positive, syms["t"].is_integer
    (True, True, None)
    >>> make_symbols({"x": "complex"})
    Traceback (most recent call last):
    ...
    grader.expr.ExpressionError: domain 'complex' of symbol x is not allowed;
    use one of 'positive_integer', 'nonnegative_integer', 'positive_real', 'real'
    """
    out = {}
    for name, domain in domains.items():
        if domain not in DOMAINS:
            allowed = ", ".join(repr(d) for d in DOMAINS)
            raise ExpressionError(f"domain {domain!r} of symbol {name} is not allowed; use one of {allowed}")
        if not name.isidentifier() or name.startswith("_"):
            raise ExpressionError(f"symbol name {name!r} must be a plain identifier")
        out[name] = sympy.Symbol(name, **DOMAINS[domain])
    return out


def parse_expression(text: str, symbols: Mapping[str, sympy.Symbol] | Mapping[str, str]) -> sympy.Expr:
    r"""Parse ``text`` into a sympy expression, allowing only the whitelist.

    Parameters
    ----------
    text : str
        The student's expression, e.g. ``"(n + 2*p - k)//s + 1"``.
    symbols : mapping
        The names the expression may use: name -> :class:`sympy.Symbol`, or
        name -> domain string (then :func:`make_symbols` builds them).

    Returns
    -------
    sympy.Expr

    Raises
    ------
    ExpressionError
        For anything outside the whitelist (see the module docstring); the
        message is meant for the student.

    Examples
    --------
    >>> syms = {"n": "positive_integer", "k": "positive_integer",
    ...         "p": "nonnegative_integer", "s": "positive_integer"}
    >>> parse_expression("(n + 2*p - k)//s + 1", syms)
    floor((-k + n + 2*p)/s) + 1
    >>> parse_expression("floor((n - k + 2 p)/s) + 1", syms)
    Traceback (most recent call last):
    ...
    grader.expr.ExpressionError: could not read the expression: write products with '*', e.g. 2*p
    >>> parse_expression("n^2", syms)
    Traceback (most recent call last):
    ...
    grader.expr.ExpressionError: '^' is not allowed; use ** for powers
    >>> parse_expression("0.5*n", syms)      # decimals are exact rationals
    n/2
    >>> parse_expression("math.floor(n/2)", syms)
    Traceback (most recent call last):
    ...
    grader.expr.ExpressionError: attribute access ('.') is not allowed; write floor(...) rather than math.floor(...)
    """
    if not isinstance(text, str):
        raise ExpressionError(f"the answer must be a string holding an expression, not {type(text).__name__}")
    if symbols and isinstance(next(iter(symbols.values())), str):
        symbols = make_symbols(symbols)  # type: ignore[arg-type]
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"the expression has {len(text)} characters; at most {MAX_LENGTH} are allowed")
    source = text.translate(_TYPOGRAPHY).strip()
    if not source:
        raise ExpressionError("the expression is empty")
    if "\n" in source or ";" in source:
        raise ExpressionError("write one expression on one line (no newlines or ';')")
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as err:
        raise ExpressionError(_syntax_hint(source, err)) from None
    except (RecursionError, MemoryError, ValueError):
        raise ExpressionError(f"the expression is nested too deeply; at most {MAX_DEPTH} levels are allowed") from None
    _check_size(tree)
    from .bounded import PARSE_SECONDS, mark_student, time_limit  # sympy evaluates numbers while building

    try:
        with time_limit(PARSE_SECONDS):
            return mark_student(_Builder(symbols, source).build(tree.body))  # type: ignore[arg-type]
    except ExpressionError:
        raise
    except (ArithmeticError, ValueError, TypeError) as err:  # sympy refuses e.g. Mod(n, 0), max(n, 1/0)
        raise ExpressionError(f"the expression cannot be computed ({err})") from None


def _syntax_hint(source: str, err: SyntaxError) -> str:
    if "too many nested" in str(err.msg):
        return f"the expression is nested too deeply; at most {MAX_DEPTH} levels are allowed"
    if re.search(r"\d\s*[A-Za-z_(]|\)\s*[\w(]", source):
        match = re.search(r"(\d)\s*([A-Za-z_(])", source)
        example = f"{match.group(1)}*{match.group(2)}" if match else "2*p"
        if example.endswith("("):
            example += "...)"
        return f"could not read the expression: write products with '*', e.g. {example}"
    if source.count("(") != source.count(")"):
        return "could not read the expression: the parentheses do not match"
    return f"could not read the expression ({err.msg}, at character {err.offset})"


def _check_size(tree: ast.AST) -> None:
    """Refuse too many nodes or too deep a nesting (iteratively: no recursion on input)."""
    count = 0
    stack: list[tuple[ast.AST, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise ExpressionError(f"the expression is too long; at most {MAX_NODES} terms and operators are allowed")
        if depth > MAX_DEPTH:
            raise ExpressionError(f"the expression is nested too deeply; at most {MAX_DEPTH} levels are allowed")
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))


class _Builder:
    """Turn an already size-checked ``ast`` expression into sympy, node by node."""

    def __init__(self, symbols: Mapping[str, sympy.Symbol], source: str) -> None:
        self.symbols = dict(symbols)
        self.source = source

    def build(self, node: ast.AST) -> sympy.Expr:
        method: Callable[[Any], sympy.Expr] | None = getattr(self, f"_{type(node).__name__}", None)
        if method is not None:
            return _bounded_number(method(node))
        what = _REFUSED.get(type(node), type(node).__name__)
        if isinstance(node, ast.Attribute):
            hint = f"; write {node.attr}(...) rather than {_dotted(node)}(...)" if node.attr in FUNCTIONS else ""
            raise ExpressionError(f"{what} is not allowed{hint}")
        raise ExpressionError(f"{what} is not allowed in an expression")

    def _Constant(self, node: ast.Constant) -> sympy.Expr:
        value = node.value
        if isinstance(value, bool) or value is None or value is Ellipsis:
            raise ExpressionError(f"{value!r} is not allowed in an expression")
        if isinstance(value, int):
            if len(str(abs(value))) > MAX_DIGITS:
                raise ExpressionError(f"integer literals may have at most {MAX_DIGITS} digits")
            return sympy.Integer(value)
        if isinstance(value, float):
            literal = (ast.get_source_segment(self.source, node) or repr(value)).replace("_", "")
            if not 1e-40 < abs(value) < 1e40 and value != 0:
                raise ExpressionError("decimal literals must lie between 1e-40 and 1e40 in size")
            return sympy.Rational(literal)
        if isinstance(value, complex):
            raise ExpressionError("complex numbers are not allowed in an expression")
        if isinstance(value, (str, bytes)):
            raise ExpressionError("strings are not allowed in an expression; write the formula without quotes")
        raise ExpressionError(f"{type(value).__name__} literals are not allowed in an expression")

    def _Name(self, node: ast.Name) -> sympy.Expr:
        name = node.id
        if name.startswith("__") or name.endswith("__"):
            raise ExpressionError(f"names with double underscores ({name}) are not allowed")
        if name in self.symbols:
            return self.symbols[name]
        if name in _CONSTANTS:
            return _CONSTANTS[name]
        if name in FUNCTIONS:
            raise ExpressionError(f"{name} is a function; call it, e.g. {name}(...)")
        allowed = ", ".join(sorted(self.symbols)) or "none"
        raise ExpressionError(f"name {name!r} is not allowed; the expression may use only {allowed}")

    def _UnaryOp(self, node: ast.UnaryOp) -> sympy.Expr:
        operand = self.build(node.operand)
        if isinstance(node.op, ast.USub):
            return -operand
        if isinstance(node.op, ast.UAdd):
            return operand
        symbol = "not" if isinstance(node.op, ast.Not) else "~"
        raise ExpressionError(f"'{symbol}' is not allowed in an expression")

    def _BinOp(self, node: ast.BinOp) -> sympy.Expr:
        if isinstance(node.op, ast.BitXor):
            raise ExpressionError("'^' is not allowed; use ** for powers")
        left = self.build(node.left)
        right = self.build(node.right)
        if isinstance(node.op, ast.Pow):
            return _power(left, right)
        builder = _BINARY.get(type(node.op))
        if builder is None:
            symbol = {ast.BitAnd: "&", ast.BitOr: "|", ast.LShift: "<<", ast.RShift: ">>", ast.MatMult: "@"}
            raise ExpressionError(f"'{symbol.get(type(node.op), '?')}' is not allowed in an expression")
        return builder(left, right)

    def _Call(self, node: ast.Call) -> sympy.Expr:
        if not isinstance(node.func, ast.Name):
            return self.build(node.func)  # an attribute or worse: refused with its own message
        name = node.func.id
        if name not in FUNCTIONS:
            if name.startswith("__") or name.endswith("__"):
                raise ExpressionError(f"names with double underscores ({name}) are not allowed")
            allowed = ", ".join(sorted({"floor", "ceil", "max", "min", "abs", "sqrt", "exp", "log"}))
            raise ExpressionError(f"function {name!r} is not allowed; use one of {allowed}")
        if node.keywords:
            raise ExpressionError(f"keyword arguments are not allowed; call {name}(...) with positional arguments")
        if any(isinstance(arg, ast.Starred) for arg in node.args):
            raise ExpressionError("starred arguments ('*') are not allowed")
        builder, counts = FUNCTIONS[name]
        if len(node.args) not in counts:
            want = " or ".join(str(c) for c in counts)
            raise ExpressionError(f"{name}(...) takes {want} argument(s), not {len(node.args)}")
        return builder(*(self.build(arg) for arg in node.args))


def _bounded_number(value: sympy.Expr) -> sympy.Expr:
    """``value`` if it is no number or a number below ``2**MAX_POWER_BITS`` in magnitude, checked before
    sympy may evaluate it further (``floor(exp(10**40))`` would ask for 10**40 digits)."""
    if not value.is_number:
        return value
    if value.is_Rational:
        bits = max(int(value.p).bit_length(), int(value.q).bit_length())
    else:
        try:
            parts = value.evalf(15).as_real_imag()
        except ExpressionError:
            raise
        except Exception:  # noqa: BLE001 - no magnitude to bound (zoo, nan): sympy's own checks follow
            return value
        bits = 0
        for part in parts:
            if part.is_Float and part._mpf_[1]:  # (sign, mantissa, exponent, bits)
                bits = max(bits, part._mpf_[2] + part._mpf_[3], -part._mpf_[2] - part._mpf_[3])
    if bits > MAX_POWER_BITS:
        raise ExpressionError(f"a number in the expression is too large (more than 2**{MAX_POWER_BITS})")
    return value


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    if isinstance(node, ast.Name):
        return node.id
    return "..."


def _power(base: sympy.Expr, exponent: sympy.Expr) -> sympy.Expr:
    """``base ** exponent``, refusing powers of numbers too large to compute."""
    if base.is_number and exponent.is_number:
        if exponent.is_Integer or exponent.is_Rational:
            e = abs(sympy.Rational(exponent))
            if e > MAX_NUMERIC_EXPONENT:
                raise ExpressionError(f"exponents of numbers may be at most {MAX_NUMERIC_EXPONENT}")
            if base.is_Rational:
                bits = max(sympy.Rational(base).p.bit_length(), sympy.Rational(base).q.bit_length(), 1)
                if bits * e > MAX_POWER_BITS:
                    raise ExpressionError("the power is too large to compute")
    return base**exponent


# ----------------------------------------------------------------- fast evaluation at points


class Enclosure(NamedTuple):
    """An interval ``[lo, hi]`` of floats known to hold an irrational (or not exactly computed) value."""

    lo: float
    """Lower bound."""

    hi: float
    """Upper bound."""

    @classmethod
    def of(cls, value: Fraction | Enclosure) -> Enclosure:
        """``value`` itself if an enclosure, else the tightest float interval around the rational.

        >>> Enclosure.of(Fraction(3)), Enclosure.of(Fraction(1, 10)).lo < 0.1 < Enclosure.of(Fraction(1, 10)).hi
        (Enclosure(lo=3.0, hi=3.0), True)
        """
        if isinstance(value, Enclosure):
            return value
        try:
            f = float(value)  # int / int: correctly rounded
        except OverflowError:
            raise Undecided("too large for a float") from None
        if value.denominator == 1 and abs(value.numerator) <= 2**53:
            return cls(f, f)
        return cls(_down(f), _up(f))


class Undecided(ArithmeticError):
    """The fast evaluation cannot settle this point (a division by zero, a domain edge, an overflow,
    an interval across an integer under ``floor``): evaluate it with sympy."""


class TooLarge(Undecided):
    """An exact power with more than a million bits (``n**(n**n)`` at ``n = 40``): sympy would not
    return either; the grader takes the value as undefined."""


Value: TypeAlias = Fraction | Enclosure


@functools.lru_cache(maxsize=2048)
def compile_expression(expr: sympy.Basic) -> Callable[[Mapping[str, Fraction]], Value] | None:
    r"""Compile a parsed expression into a fast, exact evaluator; ``None`` if it uses anything else.

    The evaluator takes the symbols' values as :class:`fractions.Fraction`
    (by name) and returns a :class:`~fractions.Fraction` when the value is
    rational and computed exactly (``+ - * /``, integer powers, ``floor``,
    ``ceil``, ``Mod``, ``max``, ``min``, ``abs``, exact roots), else an
    :class:`Enclosure`: float bounds rounded outwards at every step, so the
    true value is always inside. Where it cannot decide (a division by zero,
    ``log`` of a non-positive value, an overflow, ``floor`` of an interval
    across an integer) it raises :class:`Undecided`, and the caller asks sympy;
    an exact power of more than a million bits raises :class:`TooLarge`.
    Compiled evaluators are cached per expression.

    Parameters
    ----------
    expr : sympy.Expr
        An expression as :func:`parse_expression` builds it (or a trusted one).

    Returns
    -------
    callable or None

    Examples
    --------
    >>> n, s = sympy.symbols("n s", integer=True, positive=True)
    >>> f = compile_expression(sympy.floor((n + 1) / s) + sympy.Rational(1, 3))
    >>> f({"n": Fraction(8), "s": Fraction(2)})          # floor(9/2) + 1/3, exactly
    Fraction(13, 3)
    >>> e = compile_expression(sympy.exp(-n))({"n": Fraction(1)})
    >>> e.lo <= 0.36787944117144233 <= e.hi                # exp(-1) inside its enclosure
    True
    >>> compile_expression(sympy.sin(n)) is None            # not in the whitelist
    True
    """
    try:
        return _compile(expr)
    except _Unsupported:
        return None


class _Unsupported(Exception):
    pass


def _down(x: float) -> float:
    return math.nextafter(x, -math.inf)


def _up(x: float) -> float:
    return math.nextafter(x, math.inf)


def _checked(lo: float, hi: float) -> Enclosure:
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise Undecided("overflow")
    return Enclosure(lo, hi)


_PI = Enclosure(_down(math.pi), _up(math.pi))
_E = Enclosure(_down(math.e), _up(math.e))
#: Largest exact power computed, in bits of the result (beyond it: :class:`TooLarge`).
_MAX_EXACT_BITS = 1_000_000


def _compile(e: sympy.Basic) -> Callable[[Mapping[str, Fraction]], Value]:
    if e.is_Rational:
        const = Fraction(int(e.p), int(e.q))
        return lambda pt: const
    if e.is_Float:
        enclosure = Enclosure.of(Fraction(*sympy.Rational(e).as_numer_denom()))
        enclosure = Enclosure(_down(enclosure.lo), _up(enclosure.hi))  # a float is never exact here
        return lambda pt: enclosure
    if e is sympy.pi or e is sympy.E:
        constant = _PI if e is sympy.pi else _E
        return lambda pt: constant
    if e.is_Symbol:
        name = e.name

        def symbol(pt: Mapping[str, Fraction]) -> Value:
            try:
                return pt[name]
            except KeyError:
                raise Undecided(f"no value for {name}") from None

        return symbol
    args = [_compile(a) for a in e.args]
    if e.is_Add:
        return lambda pt: _add([f(pt) for f in args])
    if e.is_Mul:
        return lambda pt: _mul([f(pt) for f in args])
    if e.is_Pow:
        base, exponent = args
        if e.exp.is_Rational:
            power = Fraction(int(e.exp.p), int(e.exp.q))
            return lambda pt: _pow(base(pt), power)
        return lambda pt: _pow(base(pt), exponent(pt))
    unary = {sympy.exp: _exp, sympy.log: _log, sympy.floor: _floor, sympy.ceiling: _ceiling, sympy.Abs: _abs}
    if e.func in unary and len(args) == 1:
        op, (arg,) = unary[e.func], args
        return lambda pt: op(arg(pt))
    if e.func in (sympy.Max, sympy.Min):
        pick = _max if e.func is sympy.Max else _min
        return lambda pt: pick([f(pt) for f in args])
    if e.func is sympy.Mod and len(args) == 2:
        a, b = args
        return lambda pt: _mod(a(pt), b(pt))
    raise _Unsupported(type(e).__name__)


def _add(values: list[Value]) -> Value:
    if all(isinstance(v, Fraction) for v in values):
        return sum(values[1:], values[0])  # type: ignore[arg-type]
    lo = hi = 0.0
    for v in values:
        b = Enclosure.of(v)
        lo, hi = _down(lo + b.lo), _up(hi + b.hi)
    return _checked(lo, hi)


def _mul(values: list[Value]) -> Value:
    if all(isinstance(v, Fraction) for v in values):
        out = values[0]
        for v in values[1:]:
            out = out * v
        return out
    if any(isinstance(v, Fraction) and v == 0 for v in values):
        return Fraction(0)  # sympy: 0 times a finite number is exactly 0
    acc = Enclosure.of(values[0])
    for v in values[1:]:
        acc = _imul(acc, Enclosure.of(v))
    return acc


def _imul(a: Enclosure, b: Enclosure) -> Enclosure:
    p = (a.lo * b.lo, a.lo * b.hi, a.hi * b.lo, a.hi * b.hi)
    return _checked(_down(min(p)), _up(max(p)))


def _reciprocal(a: Enclosure) -> Enclosure:
    if a.lo <= 0.0 <= a.hi:
        raise Undecided("division by an interval holding 0")
    return _checked(_down(1.0 / a.hi), _up(1.0 / a.lo))


def _ipow(a: Enclosure, n: int) -> Enclosure:
    """``a ** n`` for an integer ``n``, by squaring with outward rounding."""
    if n < 0:
        return _reciprocal(_ipow(a, -n))
    if n == 0:
        return Enclosure(1.0, 1.0)
    if a.lo >= 0.0:
        return _checked(_pow_bound(a.lo, n, _down), _pow_bound(a.hi, n, _up))
    if a.hi <= 0.0:
        lo, hi = _pow_bound(-a.hi, n, _down), _pow_bound(-a.lo, n, _up)
        return _checked(lo, hi) if n % 2 == 0 else _checked(-hi, -lo)
    top = _pow_bound(max(-a.lo, a.hi), n, _up)
    return _checked(0.0, top) if n % 2 == 0 else _checked(-_pow_bound(-a.lo, n, _up), _pow_bound(a.hi, n, _up))


def _pow_bound(x: float, n: int, rounded: Callable[[float], float]) -> float:
    """A bound of ``x ** n`` for ``x >= 0`` (``rounded`` = ``_down`` or ``_up``)."""
    result, base = 1.0, x
    while n:
        if n & 1:
            result = max(0.0, rounded(result * base))
        n >>= 1
        if n:
            base = max(0.0, rounded(base * base))
    return result


def _iroot(n: int, q: int) -> int:
    """The integer part of the ``q``-th root of ``n >= 0`` (Newton's method on integers)."""
    if n < 2:
        return n
    x = 1 << -(-n.bit_length() // q)
    while True:
        y = ((q - 1) * x + n // x ** (q - 1)) // q
        if y >= x:
            return x
        x = y


def _pow(base: Value, exponent: Value) -> Value:
    if isinstance(exponent, Fraction):
        p, q = exponent.numerator, exponent.denominator
        if isinstance(base, Fraction):
            if base == 0:
                if exponent > 0:
                    return Fraction(0)
                raise Undecided("0 to a power <= 0")
            if base == 1:
                return base
            if q > 1:
                if base < 0:
                    raise Undecided("root of a negative number")
                num, den = _iroot(base.numerator, q), _iroot(base.denominator, q)
                if num**q != base.numerator or den**q != base.denominator:
                    return _ipow(_root(Enclosure.of(base), q), p)
                base = Fraction(num, den)
            bits = max(base.numerator.bit_length(), base.denominator.bit_length())
            if bits * abs(p) > _MAX_EXACT_BITS:
                raise TooLarge("power too large to compute exactly")
            return base**p
        if q == 1:
            return _ipow(base, p)
        if base.lo < 0.0:
            raise Undecided("root of a possibly negative number")
        return _ipow(_root(base, q), p)
    if isinstance(base, Fraction) and base == 1:
        return base
    b = Enclosure.of(base)
    if b.lo <= 0.0:
        raise Undecided("a power of a possibly non-positive number")
    return _exp(_imul(exponent, _log(b)))


def _root(a: Enclosure, q: int) -> Enclosure:
    """The ``q``-th root of an enclosure with ``lo >= 0``."""
    lo = max(a.lo, 0.0)
    if q == 2:  # math.sqrt is correctly rounded
        return _checked(max(0.0, _down(math.sqrt(lo))), _up(math.sqrt(a.hi)))
    if lo == 0.0:
        raise Undecided("root of an interval touching 0")
    return _exp(_imul(Enclosure(_down(1.0 / q), _up(1.0 / q)), _log(Enclosure(lo, a.hi))))


def _widen(x: float, rounded: Callable[[float], float]) -> float:
    """Four units in the last place towards ``rounded``: libm's exp and log are within one."""
    for _ in range(4):
        x = rounded(x)
    return x


def _exp(x: Value) -> Value:
    if isinstance(x, Fraction) and x == 0:
        return Fraction(1)
    a = Enclosure.of(x)
    if a.hi > 709.0:
        raise Undecided("exp overflows a float")
    return _checked(max(0.0, _widen(math.exp(a.lo), _down)), _widen(math.exp(a.hi), _up))


def _log(x: Value) -> Value:
    if isinstance(x, Fraction) and x == 1:
        return Fraction(0)
    a = Enclosure.of(x)
    if a.lo <= 0.0:
        raise Undecided("log of a possibly non-positive number")
    return _checked(_widen(math.log(a.lo), _down), _widen(math.log(a.hi), _up))


def _rounding(to_int: Callable[[Any], int], name: str) -> Callable[[Value], Value]:
    """``floor`` or ``ceiling`` of an exact value, or of an interval that does not cross an integer."""

    def rounded(x: Value) -> Value:
        if isinstance(x, Fraction):
            return Fraction(to_int(x))
        lo, hi = to_int(x.lo), to_int(x.hi)
        if lo != hi:
            raise Undecided(f"{name} of an interval across an integer")
        return Fraction(lo)

    return rounded


_floor = _rounding(math.floor, "floor")
_ceiling = _rounding(math.ceil, "ceiling")


def _abs(x: Value) -> Value:
    if isinstance(x, Fraction):
        return abs(x)
    if x.lo >= 0.0:
        return x
    if x.hi <= 0.0:
        return Enclosure(-x.hi, -x.lo)
    return Enclosure(0.0, max(-x.lo, x.hi))


def _max(values: list[Value]) -> Value:
    if all(isinstance(v, Fraction) for v in values):
        return max(values)  # type: ignore[type-var]
    bounds = [Enclosure.of(v) for v in values]
    for v, b in zip(values, bounds):  # one argument certainly the largest: it is the value
        if all(b.lo >= o.hi for o in bounds if o is not b):
            return v
    return Enclosure(max(b.lo for b in bounds), max(b.hi for b in bounds))


def _min(values: list[Value]) -> Value:
    if all(isinstance(v, Fraction) for v in values):
        return min(values)  # type: ignore[type-var]
    bounds = [Enclosure.of(v) for v in values]
    for v, b in zip(values, bounds):
        if all(b.hi <= o.lo for o in bounds if o is not b):
            return v
    return Enclosure(min(b.lo for b in bounds), min(b.hi for b in bounds))


def _mod(a: Value, b: Value) -> Value:
    if isinstance(a, Fraction) and isinstance(b, Fraction) and b != 0:
        return a % b  # the sign of b, as sympy.Mod
    raise Undecided("Mod of an irrational or by 0")
