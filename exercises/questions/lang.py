r"""The expression language of question files: instructor text evaluated as data, never as code.

A question file computes its parameters, constraints, answers and
misconceptions with short expressions such as
``conv_output_size(n, k, stride=s, padding=p)``. They are parsed by
Python's own parser into a syntax tree (which runs nothing), every node is
checked against the whitelist below, and the value is computed node by node
by this module. Nothing in a file is passed to :func:`eval`, nothing is
imported, no attribute is read.

What is allowed
---------------
- **literals**: integers (at most 40 digits), decimals (floats), strings (at
  most 200 characters: choice keys, layer types), ``True``/``False``,
  tuples, lists and dicts with string keys (at most 10,000 items);
- **names**: the parameters drawn so far, the slot's options, ``level``, the
  symbols of an expression answer, and the functions of :data:`FUNCTIONS`;
- **operators**: ``+ - * / // % **``, unary ``-``/``+``/``not``,
  comparisons (chains too), ``and``/``or``, ``a if cond else b``,
  subscripts with indices and slices (``K[::-1, ::-1]``);
- **calls** of the functions of :data:`FUNCTIONS`, with positional and
  keyword arguments.

Refused: attribute access (``np.flip`` -- write ``flip``), lambdas,
comprehensions, assignments (``:=``), starred arguments, names with double
underscores, any other name; text longer than :data:`MAX_LENGTH`
characters, more than :data:`MAX_NODES` nodes or nesting deeper than
:data:`MAX_DEPTH`; a power of two numbers with ``|exponent| >`` 256 or more
than 4,096 bits, an integer result beyond ``10**60``, an array of more than
:data:`MAX_ARRAY` entries.

``/`` between two ints is exact: an int when it divides, else a
:class:`fractions.Fraction` (so ``(n + 2*p - k) / s`` is not rounded by
accident). With sympy symbols in play the operators build sympy expressions
(``floor``/``ceil`` become ``sympy.floor``/``sympy.ceiling``), which is how
an ``expression`` answer is written.

Relation to the grader's parser (``grader/expr.py``): that module parses a
*student's* answer string into sympy with a narrower whitelist (arithmetic and
a few functions over the answer's symbols), and the grader compares it with
the key. This module evaluates an *instructor's* file, so it also has
comparisons, conditionals, containers and convmath's formulas, and it
produces numbers and arrays as well as sympy expressions. The two share the
approach (``ast`` whitelist, bounded size and powers, no attribute access)
and the rule that ``//`` is floor division and ``ceil`` is ``ceiling``; an
``expression`` answer's key written here is checked by the grader's parser
like a student's answer, so a key that parser refuses is reported by
``convmath check-question``.
"""

from __future__ import annotations

import ast
import functools
import math
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import sympy

from convmath.errors import ConvMathError

__all__ = ["Expr", "compile_expr", "evaluate", "FUNCTIONS", "MAX_LENGTH", "MAX_NODES", "MAX_DEPTH", "MAX_ARRAY"]

#: Longest expression, in characters.
MAX_LENGTH = 1000
#: Most syntax nodes in one expression.
MAX_NODES = 400
#: Deepest nesting of syntax nodes.
MAX_DEPTH = 40
#: Most entries of an array or container built by an expression.
MAX_ARRAY = 10_000
#: Largest integer magnitude an operation may produce.
MAX_INT = 10**60
_MAX_DIGITS = 40
_MAX_EXPONENT = 256
_MAX_POWER_BITS = 4096
_MAX_STRING = 200


def _is_symbolic(*values: Any) -> bool:
    return any(isinstance(v, sympy.Basic) and not v.is_number for v in values)


def _rounding(
    exact: Callable[[Any], Any], symbolic: Callable[[Any], Any], array: Callable[[Any], Any]
) -> Callable[[Any], Any]:
    """``floor`` or ``ceil`` of a number (exact), a sympy expression or an array."""

    def run(x: Any) -> Any:
        if isinstance(x, sympy.Basic):
            return symbolic(x)
        if isinstance(x, np.ndarray):
            return array(x)
        return exact(x)

    return run


_floor = _rounding(math.floor, sympy.floor, np.floor)
_ceil = _rounding(math.ceil, sympy.ceiling, np.ceil)


def _sqrt(x: Any) -> Any:
    if isinstance(x, (sympy.Basic, int, Fraction)):
        return sympy.sqrt(sympy.nsimplify(x)) if not isinstance(x, sympy.Basic) else sympy.sqrt(x)
    return np.sqrt(x)


def _minmax(pick: Callable[..., Any], symbolic: Callable[..., Any]) -> Callable[..., Any]:
    def run(*args: Any) -> Any:
        values = args[0] if len(args) == 1 else args
        if _is_symbolic(*values):
            return symbolic(*values)
        return pick(values)

    return run


def _array(value: Any, dtype: str | None = None) -> np.ndarray:
    array = np.asarray(value, dtype=None if dtype is None else {"int": np.int64, "float": float}[dtype])
    if array.dtype == object:
        raise ConvMathError(f"array({value!r}) is not a rectangular array of numbers")
    return _bounded(array)


def _zeros(shape: Any) -> np.ndarray:
    shape = tuple(shape) if isinstance(shape, (tuple, list)) else (shape,)
    if math.prod(shape) > MAX_ARRAY:
        raise ConvMathError(f"zeros({shape}) has more than {MAX_ARRAY} entries")
    return np.zeros(shape, dtype=np.int64)


def _receptive_field(layers: Any) -> Any:
    from convmath.receptive import receptive_field

    typed = [{"type": "Conv1d", **dict(layer)} for layer in layers]
    return receptive_field(typed)[-1].r[0]


def _single(fn: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
    """A one-channel 2-D operation of :mod:`convmath.numeric` on ``(H, W)`` arrays."""

    def run(x: Any, kernel: Any, **options: Any) -> np.ndarray:
        x, kernel = np.asarray(x), np.asarray(kernel)
        return fn(x[np.newaxis], kernel[np.newaxis, np.newaxis], **options)[0]

    return run


def _pool2d(x: Any, pool_size: Any, mode: str = "max") -> np.ndarray:
    from convmath.numeric import avg_pool, max_pool

    if mode not in ("max", "avg"):
        raise ConvMathError(f"mode={mode!r} is not allowed; use 'max' or 'avg'")
    x = np.asarray(x)
    size = tuple(pool_size) if isinstance(pool_size, (tuple, list)) else (pool_size,) * x.ndim
    return (max_pool if mode == "max" else avg_pool)(x[np.newaxis], size, stride=1)[0]


def _functions() -> dict[str, Callable[..., Any]]:
    from convmath import counting, numeric, sizes

    return {
        # convmath's formulas (ints exactly, sympy symbols symbolically)
        "conv_output_size": sizes.conv_output_size,
        "conv_transpose_output_size": sizes.conv_transpose_output_size,
        "pool_output_size": sizes.pool_output_size,
        "d2l_output_size": sizes.d2l_output_size,
        "conv_params": counting.conv_params,
        "conv_transpose_params": counting.conv_transpose_params,
        "depthwise_separable_params": counting.depthwise_separable_params,
        "linear_params": counting.linear_params,
        "conv_macs": counting.conv_macs,
        "receptive_field": _receptive_field,
        # convmath's numeric backend (arrays)
        "correlate": numeric.correlate,
        "convolve": numeric.convolve,
        "corr2d": numeric.corr2d,
        "correlate2d": _single(numeric.correlate),
        "convolve2d": _single(numeric.convolve),
        "max_pool": numeric.max_pool,
        "avg_pool": numeric.avg_pool,
        "pool2d": _pool2d,
        # arithmetic
        "floor": _floor,
        "ceil": _ceil,
        "ceiling": _ceil,
        "min": _minmax(min, sympy.Min),
        "max": _minmax(max, sympy.Max),
        "abs": abs,
        "sqrt": _sqrt,
        "gcd": math.gcd,
        "int": int,
        "round": round,
        "len": len,
        "sum": lambda values, start=0: sum(values, start),
        "prod": lambda values: math.prod(values),
        "sorted": sorted,
        "tuple": tuple,
        "list": list,
        # arrays
        "array": _array,
        "zeros": _zeros,
        "flip": np.flip,
        "rot90": np.rot90,
        "transpose": np.transpose,
        "shape": np.shape,
        "array_sum": np.sum,
    }


#: What each function of :data:`FUNCTIONS` does, in one line (``docs/authoring.md`` lists them).
DESCRIPTIONS: dict[str, str] = {
    "conv_output_size": (
        "output size of a convolution: `conv_output_size(n, kernel_size, stride=1, padding=0, dilation=1)`"
    ),
    "conv_transpose_output_size": "output size of a transposed convolution (`output_padding=` too)",
    "pool_output_size": "output size of pooling (`stride=None` is the window, `ceil_mode=`)",
    "d2l_output_size": "output size with d2l's total padding `total_padding=`",
    "conv_params": (
        "parameters of a convolution: `conv_params(in_channels, out_channels, kernel_size, groups=1, bias=True)`"
    ),
    "conv_transpose_params": "parameters of a transposed convolution",
    "depthwise_separable_params": "parameters of a depthwise then pointwise block",
    "linear_params": "parameters of a fully connected layer",
    "conv_macs": "multiply-accumulates of a convolution on one sample",
    "receptive_field": "receptive field (1-D) of a stack: a list of dicts with `kernel_size`, `stride`, `dilation`",
    "correlate": "convmath's cross-correlation in PyTorch's layout `(C, H, W)` with a `(O, C, kh, kw)` weight",
    "convolve": "convmath's true convolution (kernel flipped), PyTorch's layout",
    "corr2d": "d2l's valid 2-D cross-correlation of one matrix with one kernel",
    "correlate2d": "2-D cross-correlation of one `(H, W)` array with one kernel (`stride=`, `padding=`)",
    "convolve2d": "2-D true convolution (valid) of one `(H, W)` array with one kernel",
    "max_pool": "convmath's max pooling, PyTorch's layout",
    "avg_pool": "convmath's average pooling, PyTorch's layout",
    "pool2d": "d2l's `pool2d(X, pool_size, mode='max')`: stride 1, no padding",
    "floor": "round down (`sympy.floor` on symbols)",
    "ceil": "round up (`sympy.ceiling` on symbols)",
    "ceiling": "the same as `ceil`",
    "min": "the smallest argument (`sympy.Min` on symbols)",
    "max": "the largest argument (`sympy.Max` on symbols)",
    "abs": "absolute value",
    "sqrt": "square root (exact on integers: `sqrt(8)` is `2*sqrt(2)`)",
    "gcd": "greatest common divisor",
    "int": "an integer (truncates a float)",
    "round": "round to the nearest integer (or to digits)",
    "len": "the number of items",
    "sum": "the sum of a list",
    "prod": "the product of a list",
    "sorted": "a sorted list",
    "tuple": "a tuple (a shape answer is a tuple)",
    "list": "a list",
    "array": "a numpy array from nested lists (`dtype='int'` or `'float'`)",
    "zeros": "an integer array of zeros of a shape",
    "flip": "an array reversed on every axis (or on `axis=`)",
    "rot90": "an array turned by 90 degrees (`k=` times)",
    "transpose": "an array transposed",
    "shape": "the shape of an array",
    "array_sum": "the sum of an array's entries (or along `axis=`)",
}

#: Functions an expression may call, by name (built on first use).
FUNCTIONS: dict[str, Callable[..., Any]] = {}


def language_functions() -> dict[str, Callable[..., Any]]:
    """The functions a question file's expressions may call, by name (built on first use).

    Returns
    -------
    dict
        Name -> function: convmath's formulas and the language's helpers.

    Examples
    --------
    >>> "conv_output_size" in language_functions()
    True
    """
    if not FUNCTIONS:
        FUNCTIONS.update(_functions())
    return FUNCTIONS


_get_functions = language_functions  # the module's own spelling (kept so that edits in flight merge cleanly)

_BINARY: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
}
_COMPARE: dict[type, Callable[[Any, Any], Any]] = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
}
_ALLOWED = (
    ast.Expression,
    ast.Constant,
    ast.Name,
    ast.Load,
    ast.BinOp,
    ast.UnaryOp,
    ast.BoolOp,
    ast.Compare,
    ast.IfExp,
    ast.Call,
    ast.keyword,
    ast.Tuple,
    ast.List,
    ast.Dict,
    ast.Subscript,
    ast.Slice,
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Div,
    ast.FloorDiv,
    ast.Mod,
    ast.Pow,
    ast.USub,
    ast.UAdd,
    ast.Not,
    ast.And,
    ast.Or,
    ast.Lt,
    ast.LtE,
    ast.Gt,
    ast.GtE,
    ast.Eq,
    ast.NotEq,
)
_WHY = {
    ast.Attribute: "attribute access is not allowed (write flip(K), not np.flip(K))",
    ast.Lambda: "lambda is not allowed",
    ast.ListComp: "comprehensions are not allowed",
    ast.GeneratorExp: "comprehensions are not allowed",
    ast.DictComp: "comprehensions are not allowed",
    ast.SetComp: "comprehensions are not allowed",
    ast.NamedExpr: "assignment (:=) is not allowed",
    ast.Starred: "starred arguments are not allowed",
    ast.BitXor: "^ is not allowed; use ** for powers",
}


@dataclass(frozen=True, eq=False)
class Expr:
    """A checked expression: its text, its syntax tree and the names it reads (equal when the texts are)."""

    text: str
    """The source text."""

    tree: ast.Expression
    """The whitelisted syntax tree."""

    names: frozenset[str]
    """Names read (variables and functions)."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Expr) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)

    def calls(self) -> frozenset[str]:
        """Names called as functions.

        Examples
        --------
        >>> sorted(compile_expr("conv_output_size(n, k) + max(1, p)").calls())
        ['conv_output_size', 'max']
        """
        return frozenset(
            node.func.id
            for node in ast.walk(self.tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
        )

    def __call__(self, env: Mapping[str, Any], *, functions: Mapping[str, Callable[..., Any]] | None = None) -> Any:
        """Evaluate with ``env`` (see :func:`evaluate`)."""
        return evaluate(self, env, functions=functions)


def _depth(node: ast.AST) -> int:
    children = list(ast.iter_child_nodes(node))
    return 1 + max((_depth(child) for child in children), default=0)


@functools.lru_cache(maxsize=2048)
def compile_expr(text: str) -> Expr:
    """Parse and check an expression of a question file.

    Parameters
    ----------
    text : str
        The expression.

    Returns
    -------
    Expr

    Raises
    ------
    ConvMathError
        Not valid Python syntax, or a construct outside the whitelist, or too long/deep.

    Examples
    --------
    >>> sorted(compile_expr("conv_output_size(n, k, stride=s, padding=p)").names)
    ['conv_output_size', 'k', 'n', 'p', 's']
    >>> compile_expr("np.flip(K)")
    Traceback (most recent call last):
    ...
    convmath.errors.ConvMathError: expression 'np.flip(K)': attribute access is not allowed (write flip(K), not ...)
    >>> compile_expr("__import__('os')")
    Traceback (most recent call last):
    ...
    convmath.errors.ConvMathError: expression "__import__('os')": name '__import__' is not allowed
    """
    where = f"expression {text!r}"
    if not isinstance(text, str):
        raise ConvMathError(f"expression={text!r} must be a string")
    if len(text) > MAX_LENGTH:
        raise ConvMathError(f"expression of {len(text)} characters is longer than {MAX_LENGTH}")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as err:
        raise ConvMathError(f"{where} is not valid: {err.msg}") from err
    nodes = list(ast.walk(tree))
    if len(nodes) > MAX_NODES:
        raise ConvMathError(f"{where} has {len(nodes)} syntax nodes; at most {MAX_NODES}")
    if _depth(tree) > MAX_DEPTH:
        raise ConvMathError(f"{where} is nested deeper than {MAX_DEPTH}")
    for node in nodes:
        if not isinstance(node, _ALLOWED):
            why = _WHY.get(type(node), f"{type(node).__name__} is not allowed")
            raise ConvMathError(f"{where}: {why}")
    names = set()
    for node in nodes:
        if isinstance(node, ast.Name):
            if "__" in node.id:
                raise ConvMathError(f"{where}: name {node.id!r} is not allowed")
            names.add(node.id)
        elif isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, (complex, bytes)) or value is Ellipsis:
                raise ConvMathError(f"{where}: the constant {value!r} is not allowed")
            if isinstance(value, int) and not isinstance(value, bool) and len(str(abs(value))) > _MAX_DIGITS:
                raise ConvMathError(f"{where}: an integer literal has more than {_MAX_DIGITS} digits")
            if isinstance(value, str) and len(value) > _MAX_STRING:
                raise ConvMathError(f"{where}: a string literal is longer than {_MAX_STRING} characters")
        elif isinstance(node, ast.Call) and not isinstance(node.func, ast.Name):
            why = _WHY[ast.Attribute] if isinstance(node.func, ast.Attribute) else "only named functions may be called"
            raise ConvMathError(f"{where}: {why}")
        elif isinstance(node, ast.keyword) and node.arg is None:
            raise ConvMathError(f"{where}: **keywords are not allowed")
        elif isinstance(node, ast.Dict) and any(key is None for key in node.keys):
            raise ConvMathError(f"{where}: ** in a dict is not allowed")
    return Expr(text, tree, frozenset(names))


def _bounded(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and abs(value) > MAX_INT:
        raise ConvMathError(f"an intermediate value has {len(str(abs(value)))} digits; at most 60")
    if isinstance(value, np.ndarray) and value.size > MAX_ARRAY:
        raise ConvMathError(f"an array of {value.size} entries is larger than {MAX_ARRAY}")
    if isinstance(value, (list, tuple, dict)) and len(value) > MAX_ARRAY:
        raise ConvMathError(f"a container of {len(value)} items is larger than {MAX_ARRAY}")
    return value


def _divide(a: Any, b: Any) -> Any:
    if _is_symbolic(a, b) or isinstance(a, sympy.Basic) or isinstance(b, sympy.Basic):
        return sympy.sympify(a) / sympy.sympify(b)
    if isinstance(a, (int, Fraction)) and isinstance(b, (int, Fraction)) and not isinstance(a, bool):
        if b == 0:
            raise ConvMathError("division by zero")
        q = Fraction(a) / Fraction(b)
        return int(q) if q.denominator == 1 else q
    return a / b


def _power(a: Any, b: Any) -> Any:
    if isinstance(a, (int, Fraction)) and isinstance(b, int) and not _is_symbolic(a, b):
        if abs(b) > _MAX_EXPONENT or (
            a not in (0, 1, -1) and abs(b) * max(1, abs(int(a))).bit_length() > _MAX_POWER_BITS
        ):
            raise ConvMathError(f"the power {a}**{b} is too large")
        if b < 0:
            return _divide(1, Fraction(a) ** -b)
    return a**b


class _Evaluator:
    def __init__(self, env: Mapping[str, Any], functions: Mapping[str, Callable[..., Any]], where: str) -> None:
        self.env = env
        self.functions = functions
        self.where = where

    def run(self, node: ast.AST) -> Any:
        return _bounded(getattr(self, f"_{type(node).__name__}")(node))

    def _Expression(self, node: ast.Expression) -> Any:
        return self.run(node.body)

    def _Constant(self, node: ast.Constant) -> Any:
        return node.value

    def _Name(self, node: ast.Name) -> Any:
        if node.id in self.env:
            return self.env[node.id]
        if node.id in ("True", "False", "None"):
            return {"True": True, "False": False, "None": None}[node.id]
        if node.id in self.functions:
            raise ConvMathError(f"{self.where}: {node.id!r} is a function; call it")
        raise ConvMathError(f"{self.where}: name {node.id!r} is not defined here")

    def _BinOp(self, node: ast.BinOp) -> Any:
        a, b = self.run(node.left), self.run(node.right)
        if isinstance(node.op, ast.Div):
            return _divide(a, b)
        if isinstance(node.op, ast.Pow):
            return _power(a, b)
        if isinstance(node.op, (ast.FloorDiv, ast.Mod)) and not _is_symbolic(a, b) and b == 0:
            raise ConvMathError(f"{self.where}: division by zero")
        return _BINARY[type(node.op)](a, b)

    def _UnaryOp(self, node: ast.UnaryOp) -> Any:
        value = self.run(node.operand)
        if isinstance(node.op, ast.Not):
            return not value
        return -value if isinstance(node.op, ast.USub) else +value

    def _BoolOp(self, node: ast.BoolOp) -> Any:
        if isinstance(node.op, ast.And):
            result: Any = True
            for item in node.values:
                result = self.run(item)
                if not result:
                    return result
            return result
        result = False
        for item in node.values:
            result = self.run(item)
            if result:
                return result
        return result

    def _Compare(self, node: ast.Compare) -> Any:
        left = self.run(node.left)
        for op, item in zip(node.ops, node.comparators):
            right = self.run(item)
            outcome = _COMPARE[type(op)](left, right)
            if isinstance(outcome, np.ndarray):
                outcome = bool(outcome.all()) if isinstance(op, ast.Eq) else bool(outcome.any())
            if not outcome:
                return False
            left = right
        return True

    def _IfExp(self, node: ast.IfExp) -> Any:
        return self.run(node.body) if self.run(node.test) else self.run(node.orelse)

    def _Call(self, node: ast.Call) -> Any:
        name = node.func.id  # type: ignore[attr-defined]
        if name not in self.functions:
            raise ConvMathError(
                f"{self.where}: function {name!r} is not allowed; use one of the functions "
                "of exercises.questions.lang.FUNCTIONS"
            )
        args = [self.run(arg) for arg in node.args]
        kwargs = {kw.arg: self.run(kw.value) for kw in node.keywords}
        try:
            return self.functions[name](*args, **kwargs)
        except ConvMathError as err:
            raise ConvMathError(f"{self.where}: {name}: {err}") from err
        except (TypeError, ValueError, ArithmeticError, IndexError, KeyError) as err:
            raise ConvMathError(f"{self.where}: {name}: {type(err).__name__}: {err}") from err

    def _Tuple(self, node: ast.Tuple) -> Any:
        return tuple(self.run(item) for item in node.elts)

    def _List(self, node: ast.List) -> Any:
        return [self.run(item) for item in node.elts]

    def _Dict(self, node: ast.Dict) -> Any:
        keys = [self.run(key) for key in node.keys if key is not None]
        if not all(isinstance(key, str) for key in keys):
            raise ConvMathError(f"{self.where}: dict keys must be strings")
        return dict(zip(keys, (self.run(value) for value in node.values)))

    def _Subscript(self, node: ast.Subscript) -> Any:
        value = self.run(node.value)
        index = self.run(node.slice)
        if isinstance(value, str) or not isinstance(value, (list, tuple, dict, np.ndarray)):
            raise ConvMathError(f"{self.where}: only lists, tuples, dicts and arrays can be indexed")
        return value[index]

    def _Slice(self, node: ast.Slice) -> Any:
        parts = [None if part is None else self.run(part) for part in (node.lower, node.upper, node.step)]
        return slice(*parts)


def evaluate(
    expr: Expr | str, env: Mapping[str, Any], *, functions: Mapping[str, Callable[..., Any]] | None = None
) -> Any:
    """The value of an expression with the variables of ``env``.

    Parameters
    ----------
    expr : Expr or str
        A compiled expression, or text (compiled and cached).
    env : mapping
        Variable name -> value (ints, floats, strings, containers, arrays,
        sympy symbols).
    functions : mapping, optional
        The callable names (default :data:`FUNCTIONS`); a misconception
        replaces one formula by its wrong one here.

    Returns
    -------
    object

    Raises
    ------
    ConvMathError
        An undefined name, a disallowed function, a failing formula, a bound exceeded.

    Examples
    --------
    >>> evaluate("conv_output_size(n, k, stride=s, padding=p)", {"n": 32, "k": 5, "s": 2, "p": 1})  # (32+2-5)//2+1
    15
    >>> evaluate("(n + 2*p - k) / s + 1", {"n": 32, "k": 5, "s": 2, "p": 1})   # 29/2 + 1, exact
    Fraction(31, 2)
    >>> import sympy
    >>> evaluate("floor((n - k) / s) + 1", {"n": sympy.Symbol("n", positive=True, integer=True), "k": 3, "s": 2})
    floor(n/2 - 3/2) + 1
    >>> evaluate("9**9**9", {})
    Traceback (most recent call last):
    ...
    convmath.errors.ConvMathError: the power 9**387420489 is too large
    >>> evaluate("flip(K)[0, 0]", {"K": [[1, 2], [3, 4]]}) == 4
    True
    """
    compiled = compile_expr(expr) if isinstance(expr, str) else expr
    table = _get_functions() if functions is None else functions
    return _Evaluator(env, table, f"expression {compiled.text!r}").run(compiled.tree)
