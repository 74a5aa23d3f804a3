"""What a function under test claims to compute, its test inputs, and the misconceptions it may hold.

A :class:`Supports` says which operation a function computes
(cross-correlation, convolution, max or average pooling, an output-size
formula), how it is called (array layout, which options it takes) and so which
configurations it must get right. :func:`cases` draws valid calls for it,
:func:`expected_output` computes the right answer with :mod:`convmath.numeric`
or :mod:`convmath.sizes`, and :func:`misconception_outputs` asks the catalogue
(:data:`convmath.misconceptions.CATALOGUE`, each entry's model of the kind of
function) what each typical mistake (kernel flipped, forgot the +1, padding on
one side, stride ignored, channels not summed, bias per input channel, ...)
would return on the same call, so a wrong answer can be named.

The same :class:`Supports` is built from an exercise's ``AnswerSpec.config``
(:meth:`Supports.from_config`) by the grader, and from the keyword arguments
of the ``assert_*_like`` helpers in a course's CI.

Calling conventions
-------------------
Convolutions (``op="correlate"`` or ``"convolve"``): ``fn(X, K)``, then the
bias as a third positional argument when ``bias=True``, then the options it
takes as keywords (``stride=``, ``padding=``, ``dilation=``, ``groups=``).
The layout fixes the shapes:

=================  ======================  =========================  ===================
layout             ``X``                   ``K``                      result
=================  ======================  =========================  ===================
``single``         ``(H, W)``              ``(kh, kw)``               ``(H', W')``
``multi_in``       ``(C, H, W)``           ``(C, kh, kw)``            ``(H', W')``
``multi_in_out``   ``(C, H, W)``           ``(C_out, C, kh, kw)``     ``(C_out, H', W')``
``batch``          ``(N, C, H, W)``        ``(C_out, C/g, kh, kw)``   ``(N, C_out, H', W')``
=================  ======================  =========================  ===================

(two spatial dimensions shown; ``ndim`` sets how many). The bias is one
number for ``single``/``multi_in`` and one per output channel otherwise.

Pooling (``op="max_pool"`` or ``"avg_pool"``): ``fn(X, kernel_size)`` with
``kernel_size`` an int or a tuple (``kernel_arg``), then ``stride=``,
``padding=``, ``ceil_mode=``, ``mode=`` as claimed; ``X`` is ``(H, W)``
(``single``), ``(C, H, W)`` (``multi_in``) or ``(N, C, H, W)`` (``batch``).
Without ``stride`` the stride is the window (PyTorch) or 1 (d2l's
``pool2d``): ``implied_stride``.

Output sizes (``op="output_size"``): ``fn(*ints)`` with the arguments named
by ``args`` in that order, from ``n, kernel_size, padding, stride, dilation``.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np
from hypothesis import strategies as st

from convmath.errors import ConvMathError

from . import strategies as cs

__all__ = [
    "OPS",
    "LAYOUTS",
    "Supports",
    "Case",
    "cases",
    "expected_output",
    "misconception_outputs",
    "LABELS",
    "supports_for",
    "shrink_candidates",
    "same_signature_reference",
]

OPS = ("correlate", "convolve", "max_pool", "avg_pool", "output_size")
LAYOUTS = ("single", "multi_in", "multi_in_out", "batch")
_OUTPUT_SIZE_ARGS = ("n", "kernel_size", "padding", "stride", "dilation")
#: ``(scale, shift)`` applied to the drawn input values (small integers): as drawn (readable, what
#: shrinking reaches), quarters (``x/2 + 1/4``: an integer accumulator or cast truncates them) and
#: thousands (a clip or a narrow integer type fails). Every sum stays exact in binary floats.
VALUE_SCALES = ((1.0, 0.0), (0.5, 0.25), (1000.0, 0.0))

#: The array mistakes a function check models, in the order they are named: each is computed by its catalogue
#: entry's model for the kind of function (``CATALOGUE[label].models["conv"]`` or ``["pool"]``).
CONV_LABELS = (
    "kernel_flipped",
    "kernel_not_flipped",
    "forgot_plus_one",
    "padding_once",
    "padding_one_side",
    "ignored_stride",
    "ignored_dilation",
    "channels_not_summed",
    "bias_per_input_channel",
    "forgot_bias",
)
POOL_LABELS = (
    "pool_stride_one",
    "pool_stride_default_kernel",
    "forgot_plus_one",
    "ceil_mode_ignored",
    "pool_padding_one_side",
)
#: The output-size mistakes, each computed by its catalogue entry's ``wrong``.
SIZE_LABELS = (
    "forgot_plus_one",
    "padding_once",
    "padding_total_doubled",
    "ceil_not_floor",
    "no_floor",
    "ignored_stride",
    "ignored_dilation",
)


#: Every catalogue label (:data:`convmath.misconceptions.CATALOGUE`) a function check may name: one
#: misconception model, the catalogue's, so a mistake is written once.
LABELS: frozenset[str] = frozenset(CONV_LABELS + POOL_LABELS + SIZE_LABELS)


@dataclass(frozen=True)
class Supports:
    """What a function under test computes, how it is called, and what it must support."""

    op: str = "correlate"
    """``correlate``, ``convolve``, ``max_pool``, ``avg_pool`` or ``output_size``."""

    layout: str = "single"
    """Array layout of arguments and result (see the module docstring)."""

    ndim: int = 2
    """Spatial dimensions."""

    stride: bool = False
    """The function takes ``stride=``; otherwise stride 1 (or the pooling default)."""

    padding: tuple[str, ...] = ()
    """Forms of ``padding=`` it takes (from :data:`strategies.PADDING_FORMS`);
    empty: it takes no ``padding=`` and computes a valid (unpadded) result."""

    dilation: bool = False
    """The function takes ``dilation=``."""

    groups: bool = False
    """The function takes ``groups=`` (layouts ``multi_in_out`` and ``batch``)."""

    bias: bool = False
    """The function takes a bias as its third positional argument."""

    max_size: int = 6
    """Largest input size per dimension drawn."""

    max_channels: int = 3
    """Largest channel count drawn."""

    kernel_arg: str = "tuple"
    """Pooling: ``kernel_size`` passed as an ``int`` (square windows) or a ``tuple``."""

    implied_stride: str = "kernel"
    """Pooling without ``stride``: ``"kernel"`` (PyTorch) or ``"one"`` (d2l's ``pool2d``)."""

    ceil_mode: bool = False
    """Pooling: the function takes ``ceil_mode=``."""

    mode_arg: bool = False
    """Pooling: the function takes ``mode="max"``/``"avg"`` (d2l's ``pool2d``); it is then
    called in both modes (``op`` is only the mode the plan starts with)."""

    args: tuple[str, ...] = ("n", "kernel_size", "padding", "stride")
    """Output size: the positional arguments, in order."""

    formula: str = "conv"
    """Output size: ``"conv"`` or ``"pool"``."""

    max_value: int = 10**6
    """Output size: the largest kernel, stride, padding (and about the largest input) drawn: the
    domain the check samples, far beyond a prompt's sizes (a third of the cases stay at most 4,
    a third at most 40)."""

    padding_convention: str = "per_side"
    """Output size: ``padding`` is ``"per_side"`` (PyTorch) or ``"total"`` (d2l's ``p_h``)."""

    option_form: str = "int"
    """Convolutions: ``stride=`` and ``dilation=`` passed as one ``int`` (the same in
    every dimension) or as a ``tuple`` (one per dimension)."""

    defaults: tuple[tuple[str, Any], ...] = ()
    """Arguments the function may be called without, with the value they then have (the signature's
    defaults): ``(("padding", 0), ("stride", 1))`` for ``out_size(n, k, p=0, s=1)`` (names of ``args``),
    ``(("mode", "max"),)`` for ``pool2d(X, pool_size, mode="max")``. Some calls leave them out, so a
    default that differs from the prompt's fails (output sizes: the trailing arguments; pooling: ``mode``)."""

    def __post_init__(self) -> None:
        _check_in("op", self.op, OPS)
        layouts = ("single", "multi_in", "batch") if self.is_pool else LAYOUTS
        _check_in("layout", self.layout, layouts)
        if not isinstance(self.ndim, int) or not 1 <= self.ndim <= 3:
            raise ConvMathError(f"ndim={self.ndim!r} must be 1, 2 or 3")
        for form in self.padding:
            _check_in("padding", form, cs.PADDING_FORMS)
        if self.groups and self.layout not in ("multi_in_out", "batch"):
            raise ConvMathError(f"groups=True requires layout 'multi_in_out' or 'batch', not layout={self.layout!r}")
        _check_in("kernel_arg", self.kernel_arg, ("int", "tuple"))
        _check_in("implied_stride", self.implied_stride, ("kernel", "one"))
        _check_in("formula", self.formula, ("conv", "pool"))
        _check_in("padding_convention", self.padding_convention, ("per_side", "total"))
        _check_in("option_form", self.option_form, ("int", "tuple"))
        for name in self.args:
            _check_in("args", name, _OUTPUT_SIZE_ARGS)
        for name, _ in self.defaults:
            _check_in("defaults", name, (*self.args, "mode") if self.op == "output_size" or self.mode_arg else ())
        if self.op == "output_size" and self.args[:2] != ("n", "kernel_size"):
            raise ConvMathError(f"args={self.args} must start with 'n', 'kernel_size'")

    @property
    def is_pool(self) -> bool:
        """Whether the operation is a pooling."""
        return self.op in ("max_pool", "avg_pool")

    @classmethod
    def from_config(cls, config: Mapping[str, Any], **defaults: Any) -> Supports:
        """Build from an ``AnswerSpec.config`` mapping (plain data: str, int, bool, lists).

        ``channels: 1`` is read as ``layout: "single"``; a ``padding`` given
        as one string becomes a one-form tuple; ``padding: "valid"`` means
        the function takes no padding.

        >>> Supports.from_config({"channels": 1, "padding": "valid"}).layout
        'single'
        >>> Supports.from_config({"colour": "red"})
        Traceback (most recent call last):
        ...
        convmath.errors.ConvMathError: config key 'colour' is not allowed; use one of 'op', 'layout', ...
        """
        names = [f.name for f in fields(cls)]
        data = {**defaults, **dict(config)}
        if "channels" in data:
            channels = data.pop("channels")
            if channels not in (1, "1", "single"):
                raise ConvMathError(f"channels={channels!r} is not allowed; use channels=1 or a layout")
            data.setdefault("layout", "single")
        for key in data:
            if key not in names:
                raise ConvMathError(f"config key {key!r} is not allowed; use one of 'op', 'layout', ...")
        padding = data.get("padding", ())
        if isinstance(padding, str):
            padding = () if padding == "valid" else (padding,)
        data["padding"] = tuple(padding)
        if "args" in data:
            data["args"] = tuple(data["args"])
        defaults = data.get("defaults", ())
        data["defaults"] = tuple(defaults.items() if isinstance(defaults, Mapping) else defaults)
        return cls(**data)


_CANONICAL = {
    "correlate": "correlate",
    "corr2d": "correlate",
    "convolve": "convolve",
    "max_pool": "max_pool",
    "avg_pool": "avg_pool",
    "conv_output_size": "output_size",
    "pool_output_size": "output_size",
    "d2l_output_size": "output_size",
}


def supports_for(config: Mapping[str, Any], reference: str = "", signature: str = "") -> Supports:
    """The :class:`Supports` of a function answer: its ``config``, with ``op`` read from a convmath reference's name
    and the defaults of the ``signature`` shown to the student.

    The grader's function check and the self-tests (:mod:`exercises.selftest`)
    both build the check this way, so they test the same thing.

    Parameters
    ----------
    config : mapping
        ``AnswerSpec.config`` (see :meth:`Supports.from_config`).
    reference : str, optional
        ``"module:function"`` of the reference.
    signature : str, optional
        ``AnswerSpec.signature``, e.g. ``"out_size(n, k, p=0, s=1)"``: its defaults become
        :attr:`Supports.defaults` (positional ones by position in ``args``, ``mode`` by name).

    Returns
    -------
    Supports

    Examples
    --------
    >>> supports_for({"layout": "single"}, "convmath.numeric:corr2d").op
    'correlate'
    >>> supports_for({}, "convmath.sizes:d2l_output_size").padding_convention
    'total'
    >>> supports_for({"op": "output_size"}, "", "out_size(n, k, p=0, s=1)").defaults
    (('padding', 0), ('stride', 1))
    """
    extra: dict[str, Any] = {}
    if signature and "defaults" not in config:
        extra["defaults"] = _signature_defaults(config, signature)
    if "op" not in config and ":" in reference:
        fn = reference.rsplit(":", 1)[1]
        op = _CANONICAL.get(fn)
        if op is not None:
            extra["op"] = op
            if fn == "pool_output_size":
                extra["formula"] = "pool"
            if fn == "d2l_output_size":
                extra["padding_convention"] = "total"
    return Supports.from_config(config, **extra)


def _signature_defaults(config: Mapping[str, Any], signature: str) -> tuple[tuple[str, Any], ...]:
    """``(argument, default)`` of a signature such as ``pool2d(X, pool_size, mode="max")``, named as in
    :class:`Supports` (output sizes: the names of ``args`` by position); defaults the check cannot vary are left
    out."""
    import ast

    try:
        tree = ast.parse(f"def {signature.strip()}: pass")
        fn = tree.body[0]
        assert isinstance(fn, ast.FunctionDef)
        params = fn.args.args
        values = [ast.literal_eval(d) for d in fn.args.defaults]
    except (SyntaxError, ValueError, AssertionError):
        raise ConvMathError(f"signature={signature!r} is not a Python signature with literal defaults") from None
    named = dict(zip((p.arg for p in params[len(params) - len(values) :]), values))
    if config.get("op") == "output_size":
        args = tuple(config.get("args", Supports.args))
        positions = {p.arg: i for i, p in enumerate(params)}
        return tuple((args[positions[name]], value) for name, value in named.items() if positions[name] < len(args))
    return tuple((name, value) for name, value in named.items() if name == "mode" and config.get("mode_arg"))


def same_signature_reference(reference: str) -> Any:
    """The reference function when it takes the student's arguments; ``None`` for convmath's
    PyTorch-layout functions and formulas (then :func:`expected_output` is the reference).

    Parameters
    ----------
    reference : str
        ``"module:function"`` (empty: none).

    Returns
    -------
    callable or None

    Examples
    --------
    >>> same_signature_reference("convmath.numeric:corr2d").__name__
    'corr2d'
    >>> same_signature_reference("convmath.sizes:conv_output_size") is None
    True
    """
    import importlib

    if not reference:
        return None
    module, _, attr = reference.partition(":")
    if module.startswith("convmath.") and attr in _CANONICAL and attr != "corr2d":
        return None
    return getattr(importlib.import_module(module), attr)


def _check_in(name: str, value: Any, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        choices = ", ".join(repr(a) for a in allowed)
        raise ConvMathError(f"{name}={value!r} is not allowed; use one of {choices}")


@dataclass(frozen=True)
class Case:
    """One call of the function under test, with the data to recompute it."""

    args: tuple[Any, ...]
    """Positional arguments, in the function's layout."""

    kwargs: Mapping[str, Any]
    """Keyword arguments (the options the function claims to take)."""

    names: tuple[str, ...]
    """Display names of the positional arguments (``X``, ``K``, ``b``, ...)."""

    data: Mapping[str, Any] = field(default_factory=dict)
    """The canonical (PyTorch-layout) inputs and every option, for the reference and the misconception models."""

    def render(self, name: str, *, limit: int = 400) -> str:
        """The call as text, e.g. ``corr2d(X=[[0, 1]], K=[[1]])``."""
        from .comparison import fmt_value

        parts = [
            f"{n}={a if isinstance(a, tuple) else fmt_value(a, limit=limit)}" for n, a in zip(self.names, self.args)
        ]
        parts += [f"{k}={fmt_value(v) if not isinstance(v, tuple) else v}" for k, v in self.kwargs.items()]
        return f"{name}({', '.join(parts)})"

    @property
    def size(self) -> int:
        """How big the case is (smaller reads better in a failure report): array entries, keywords, and the
        magnitude of integer arguments (output sizes)."""
        arrays = sum(int(np.size(a)) for a in self.args if isinstance(a, np.ndarray))
        ints = sum(abs(a) for a in self.args if isinstance(a, int) and not isinstance(a, bool))
        return arrays + ints + len(self.kwargs)


# ---------------------------------------------------------------- drawing cases


def cases(supports: Supports) -> st.SearchStrategy[Case]:
    """Valid calls of a function that claims ``supports``, as :class:`Case` values.

    Parameters
    ----------
    supports : Supports
        What the function computes and which options it takes.

    Returns
    -------
    hypothesis.strategies.SearchStrategy[Case]
        Calls in the function's layout, with the canonical inputs in
        ``Case.data``.

    Notes
    -----
    Shrinks as :func:`convmath.testing.strategies.conv_configs` and
    :func:`~convmath.testing.strategies.pool_configs` do, then towards zero values.

    Examples
    --------
    An output-size function ``fn(n, kernel_size, padding, stride)``; the
    first call hypothesis draws is the simplest, n=1, k=1, p=0, s=1 (no
    shrink phase: in a long test session hypothesis's shrink of these cases
    was seen to run for minutes):

    >>> from hypothesis import Phase, find, settings
    >>> DET = settings(derandomize=True, database=None, max_examples=1000, phases=(Phase.generate,))
    >>> sup = Supports(op="output_size", args=("n", "kernel_size", "padding", "stride"))
    >>> find(cases(sup), lambda case: True, settings=DET).args
    (1, 1, 0, 1)

    A single-channel cross-correlation ``corr2d(X, K)``: a 1x1 input and
    kernel of zeros:

    >>> find(cases(Supports(op="correlate", layout="single")), lambda case: True, settings=DET).render("corr2d")
    'corr2d(X=[[0]], K=[[0]])'
    """
    if supports.op == "output_size":
        return _output_size_cases(supports)
    if supports.is_pool:
        return _pool_cases(supports)
    return _conv_cases(supports)


@st.composite
def _conv_cases(draw: Any, sup: Supports) -> Case:
    single_in = sup.layout == "single"
    single_out = sup.layout in ("single", "multi_in")
    config = draw(
        cs.conv_configs(
            ndim=sup.ndim,
            max_size=sup.max_size,
            max_kernel=min(4, sup.max_size),
            max_in_channels=1 if single_in else sup.max_channels,
            max_out_channels=1 if single_out else sup.max_channels,
            max_groups=2 if sup.groups else 1,
            batch=sup.layout == "batch",
            padding_forms=sup.padding or ("valid",),
            max_stride=3 if sup.stride else 1,
            max_dilation=2 if sup.dilation else 1,
            bias=sup.bias,
            square_options=sup.option_form == "int",
        ),
        label="config",
    )
    x, weight, bias = draw(cs.conv_arrays(config), label="arrays")
    # values beyond small integers (the prompt allows any numbers): halves catch an integer
    # accumulator, thousands a clip or a narrow integer type; sums stay exact (shrinks to 1)
    scale, shift = draw(st.sampled_from(VALUE_SCALES), label="value scale")
    if (scale, shift) != (1.0, 0.0):
        x = x * scale + shift
        bias = None if bias is None else bias * scale + shift
        if shift:
            weight = weight * scale + shift
    return _conv_case(sup, config, x, weight, bias)


def _conv_case(sup: Supports, config: Any, x: np.ndarray, weight: np.ndarray, bias: Any) -> Case:
    """The call of a conv function (in its layout) on canonical inputs."""
    single_out = sup.layout in ("single", "multi_in")
    X, K = x, weight
    if sup.layout == "single":
        X, K = x[0], weight[0, 0]
    elif sup.layout == "multi_in":
        K = weight[0]
    args: tuple[Any, ...] = (X, K)
    names: tuple[str, ...] = ("X", "K")
    if sup.bias:
        args += (float(bias[0]) if single_out else bias,)  # type: ignore[index]
        names += ("b",)
    kwargs: dict[str, Any] = {}
    one = sup.option_form == "int"
    if sup.stride:
        kwargs["stride"] = config.stride[0] if one else config.stride
    if sup.padding:
        kwargs["padding"] = config.padding
    if sup.dilation:
        kwargs["dilation"] = config.dilation[0] if one else config.dilation
    if sup.groups:
        kwargs["groups"] = config.groups
    data = {"x": x, "weight": weight, "bias": bias, "config": config}
    return Case(args, kwargs, names, data)


@st.composite
def _pool_cases(draw: Any, sup: Supports) -> Case:
    config = draw(
        cs.pool_configs(
            ndim=sup.ndim,
            max_size=sup.max_size,
            max_channels=1 if sup.layout == "single" else sup.max_channels,
            batch=sup.layout == "batch",
            stride=sup.stride,
            padding="int" in sup.padding or "per_dim" in sup.padding,
            dilation=sup.dilation,
            ceil_mode=sup.ceil_mode,
            square=sup.kernel_arg == "int",
        ),
        label="config",
    )
    if not sup.stride and sup.implied_stride == "one":
        config = replace(config, stride=(1,) * config.ndim)
    x = draw(cs.int_arrays(config.input_shape, min_value=-4, max_value=9), label="x").astype(np.float64)
    scale, shift = draw(st.sampled_from(VALUE_SCALES), label="value scale")
    x = x * scale + shift
    mode = None
    given = True
    if sup.mode_arg:  # a function that takes mode= is tested in every mode (its op is the first one shown)
        first = "max" if sup.op == "max_pool" else "avg"
        mode = draw(st.sampled_from((first, "avg" if first == "max" else "max")), label="mode")
        if "mode" in dict(sup.defaults):  # and without it, where the signature has a default (always drawn: the
            left_out = draw(st.booleans(), label="mode left out")  # simplest call then passes it)
            given = not (left_out and dict(sup.defaults)["mode"] == mode)
    return _pool_case(sup, config, x, mode, mode_given=given)


def _pool_case(sup: Supports, config: Any, x: np.ndarray, mode: str | None, *, mode_given: bool = True) -> Case:
    """The call of a pooling function (in its layout) on canonical inputs (``mode`` left out unless ``mode_given``)."""
    X = x[0] if sup.layout == "single" else x

    def squash(v: tuple[int, ...]) -> Any:
        return v[0] if sup.kernel_arg == "int" else v

    kwargs: dict[str, Any] = {}
    if sup.stride and config.stride is not None:
        kwargs["stride"] = squash(config.stride)
    if sup.padding:
        kwargs["padding"] = squash(config.padding)
    if sup.dilation:
        kwargs["dilation"] = squash(config.dilation)
    if sup.ceil_mode:
        kwargs["ceil_mode"] = config.ceil_mode
    data: dict[str, Any] = {"x": x, "config": config}
    if mode is not None:
        if mode_given:
            kwargs["mode"] = mode
        data["op"] = "max_pool" if mode == "max" else "avg_pool"
    return Case((X, squash(config.kernel_size)), kwargs, ("X", "kernel_size"), data)


@st.composite
def _output_size_cases(draw: Any, sup: Supports) -> Case:
    # the whole domain: the sizes of a prompt, then larger, then up to max_value (shrinks to the smallest)
    top = draw(st.sampled_from((4, 40, sup.max_value)), label="scale")
    # trailing arguments with a default (the signature's) are left out of some calls, and then have it
    trailing: list[tuple[str, Any]] = []
    for name in reversed(sup.args):
        if name not in dict(sup.defaults):
            break
        trailing.append((name, dict(sup.defaults)[name]))
    left_out = draw(st.integers(0, len(trailing)), label="defaults left out") if trailing else 0
    fixed = dict(trailing[:left_out])
    total = sup.padding_convention == "total"

    def value(name: str, strategy: st.SearchStrategy[int], otherwise: int) -> int:
        drawn = draw(strategy, label=name) if name in sup.args else otherwise  # drawn even if left out: the
        if name in fixed:  # simplest call then passes every argument
            return int(fixed[name]) // (2 if total and name == "padding" else 1)
        return drawn

    k = value("kernel_size", st.integers(1, min(top, 7) if top == 4 else top), 1)
    s = value("stride", st.integers(1, top), 1)
    d = value("dilation", st.integers(1, min(top, 3)), 1)
    limit = k // 2 if sup.formula == "pool" else top
    p = value("padding", st.integers(0, min(limit, top)), 0)
    smallest = max(1, d * (k - 1) + 1 - 2 * p)
    n = smallest + draw(st.integers(0, max(0, top * 16 - smallest) if top == 4 else top), label="n")
    a = {"n": n, "kernel_size": k, "stride": s, "padding": p, "dilation": d}
    if total:
        odd = draw(st.integers(0, 1), label="odd total padding")
        odd = int(fixed["padding"]) % 2 if "padding" in fixed else odd
        a["padding"] = 2 * a["padding"] + odd
    given = sup.args[: len(sup.args) - left_out]
    return Case(tuple(a[name] for name in given), {}, given, dict(a))


# ---------------------------------------------------------------- shrinking a failing case


def _drop(nd: int, axis: int, first: bool) -> tuple[Any, ...]:
    """The index that drops the first (or last) entry of one of the ``nd`` trailing axes."""
    keep = slice(1, None) if first else slice(0, -1)
    return (Ellipsis,) + tuple(keep if i == axis else slice(None) for i in range(nd))


def shrink_candidates(supports: Supports, case: Case) -> Iterator[Case]:
    """Simpler versions of ``case``, the most simplifying first: the last or first row or column of the input (or
    the kernel) fewer, then one value set to 0; for output sizes, each argument made smaller (set to its
    smallest, then halved, then less one: the biggest cuts first; the arguments a call leaves out stay out).

    The function check tries them on a failing case, within a small budget, and
    keeps each one that still fails (a greedy shrink that needs no new search).

    Parameters
    ----------
    supports : Supports
        What the function under test claims to compute.
    case : Case
        A case drawn by :func:`cases` (or yielded here).

    Yields
    ------
    Case
        Valid calls, each simpler than ``case``.

    Examples
    --------
    >>> sup = Supports(op="output_size", args=("n", "kernel_size"))
    >>> [c.args for c in shrink_candidates(sup, Case((5, 3), {}, sup.args, {"n": 5, "kernel_size": 3,
    ...     "padding": 0, "stride": 1, "dilation": 1}))]
    [(5, 1), (4, 3), (5, 2)]
    """
    d = case.data
    if supports.op == "output_size":
        lowest = {"n": 1, "kernel_size": 1, "padding": 0, "stride": 1, "dilation": 1}
        given = case.names  # the arguments left out (at their defaults) stay out
        tried: set[tuple[str, int]] = set()
        for step in (lambda v, low: low, lambda v, low: v // 2, lambda v, low: v - 1):  # the biggest cuts first
            for name in given:
                smaller = step(d[name], lowest[name])
                if not lowest[name] <= smaller < d[name] or (name, smaller) in tried:
                    continue
                tried.add((name, smaller))
                a = {**d, name: smaller}
                if _size_valid(supports, a):
                    yield Case(tuple(a[n] for n in given), {}, given, a)
        return
    config, x = d["config"], d["x"]
    nd = config.ndim
    rebuild = (
        (lambda cfg, xx, w: _pool_case(supports, cfg, xx, _mode_of(d), mode_given="mode" in case.kwargs))
        if supports.is_pool
        else (lambda cfg, xx, w: _conv_case(supports, cfg, xx, w, d["bias"]))
    )
    weight = d.get("weight")
    for axis, first in itertools.product(range(nd), (False, True)):  # the input's last or first row/column
        spatial = tuple(v - (i == axis) for i, v in enumerate(config.spatial))
        yield from _valid(rebuild, replace(config, spatial=spatial), x[_drop(nd, axis, first)].copy(), weight)
    if weight is not None:
        for axis, first in itertools.product(range(nd), (False, True)):  # then the kernel's
            kernel = tuple(v - (i == axis) for i, v in enumerate(config.kernel_size))
            if min(kernel) < 1:
                continue
            yield from _valid(rebuild, replace(config, kernel_size=kernel), x, weight[_drop(nd, axis, first)].copy())
    for which, array in (("x", x), ("weight", weight)):
        if array is None:
            continue
        for index in zip(*np.nonzero(array)):
            smaller = array.copy()
            smaller[index] = 0
            yield rebuild(config, smaller if which == "x" else x, smaller if which == "weight" else weight)


def _mode_of(data: Mapping[str, Any]) -> str | None:
    """The ``mode=`` of a pooling case (``None``: the function takes none)."""
    op = data.get("op")
    return None if op is None else "max" if op == "max_pool" else "avg"


def _valid(rebuild: Any, config: Any, x: np.ndarray, weight: Any) -> Iterator[Case]:
    try:
        if min(config.spatial) >= 1 and min(config.output_spatial) >= 1:
            yield rebuild(config, x, weight)
    except (ConvMathError, ValueError):
        return


def _size_valid(sup: Supports, a: Mapping[str, int]) -> bool:
    if sup.formula == "pool" and a["padding"] > a["kernel_size"] // 2:
        return False
    p = a["padding"] if sup.padding_convention == "total" else 2 * a["padding"]
    return a["n"] + p >= a["dilation"] * (a["kernel_size"] - 1) + 1


# ---------------------------------------------------------------- the right answer


def _numeric() -> Any:
    from convmath import numeric

    return numeric


def _conv(sup: Supports, op: str, x: np.ndarray, w: np.ndarray, b: np.ndarray | None, **options: Any) -> np.ndarray:
    fn = getattr(_numeric(), op)
    return fn(x, w, b, **options)


def _unwrap(sup: Supports, out: np.ndarray) -> np.ndarray:
    """Canonical output -> the function's layout."""
    if sup.layout in ("single", "multi_in") and not sup.is_pool:
        return out[0]
    if sup.layout == "single":
        return out[0]
    return out


def expected_output(supports: Supports, case: Case) -> Any:
    """The right result of ``case``, from :mod:`convmath.numeric` / :mod:`convmath.sizes`.

    Parameters
    ----------
    supports : Supports
        What the function under test claims to compute.
    case : Case
        One call, as drawn by :func:`cases`.

    Returns
    -------
    Any
        The result in the function's layout (an int for output sizes, an
        array otherwise).

    Examples
    --------
    n=8, k=3, p=1, s=2 gives (8 + 2*1 - 3) // 2 + 1 = 4:

    >>> sup = Supports(op="output_size", args=("n", "kernel_size", "padding", "stride"))
    >>> case = Case((8, 3, 1, 2), {}, sup.args, {"n": 8, "kernel_size": 3, "padding": 1, "stride": 2, "dilation": 1})
    >>> expected_output(sup, case)
    4
    """
    d = case.data
    if supports.op == "output_size":
        return _size(supports, d)
    if supports.is_pool:
        return _unwrap(supports, _pool(_mode(supports, case), d["x"], d["config"]))
    cfg = d["config"]
    return _unwrap(supports, _conv(supports, supports.op, d["x"], d["weight"], d["bias"], **cfg.options()))


def _mode(sup: Supports, case: Case) -> Supports:
    """``sup`` with the pooling op of this case (a ``mode=`` function is called in every mode)."""
    op = case.data.get("op", sup.op)
    return sup if op == sup.op else replace(sup, op=op)


def _pool(sup: Supports, x: np.ndarray, cfg: cs.PoolConfig) -> np.ndarray:
    numeric = _numeric()
    if sup.op == "max_pool":
        return numeric.max_pool(
            x, cfg.kernel_size, stride=cfg.stride, padding=cfg.padding, dilation=cfg.dilation, ceil_mode=cfg.ceil_mode
        )
    return numeric.avg_pool(x, cfg.kernel_size, stride=cfg.stride, padding=cfg.padding, ceil_mode=cfg.ceil_mode)


def _size(sup: Supports, a: Mapping[str, int]) -> int:
    n, k, p, s, d = a["n"], a["kernel_size"], a["padding"], a["stride"], a["dilation"]
    padded = n + (p if sup.padding_convention == "total" else 2 * p)
    return (padded - d * (k - 1) - 1) // s + 1


# ---------------------------------------------------------------- misconceptions


def misconception_outputs(
    supports: Supports, case: Case, *, only: Iterable[str] | None = None
) -> Iterator[tuple[str, Any]]:
    """``(label, output)`` for every modelled misconception that applies to ``case``.

    Each output is what a function holding that misconception returns on the
    same call, in the function's layout. Several models may share a label
    (padding on the left or on the right are both "padding on one side").
    Models that cannot run on a case (the mistake would crash) are skipped.

    Parameters
    ----------
    supports : Supports
        What the function under test claims to compute.
    case : Case
        One call, as drawn by :func:`cases`.
    only : iterable of str, optional
        Compute only these labels' outputs (default: every model).

    Yields
    ------
    tuple[str, Any]
        A misconception label (one of :data:`LABELS`) and the
        output that mistake gives.

    Examples
    --------
    For n=8, k=3, p=1, s=2 (right answer 4): without the +1 it is
    (8 + 2 - 3) // 2 = 3, rounding up gives 5, no floor 7/2 + 1 = 4.5 and
    ignoring the stride 8 + 2 - 3 + 1 = 8; padding one side only,
    (8 + 1 - 3) // 2 + 1 = 4, happens to agree here:

    >>> sup = Supports(op="output_size", args=("n", "kernel_size", "padding", "stride"))
    >>> case = Case((8, 3, 1, 2), {}, sup.args, {"n": 8, "kernel_size": 3, "padding": 1, "stride": 2, "dilation": 1})
    >>> list(misconception_outputs(sup, case))
    [('forgot_plus_one', 3), ('padding_once', 4), ('ceil_not_floor', 5), ('no_floor', 4.5), ('ignored_stride', 8)]
    """
    models = _size_models if supports.op == "output_size" else _pool_models if supports.is_pool else _conv_models
    wanted = None if only is None else set(only)
    for label, compute in models(supports, case):
        if wanted is not None and label not in wanted:
            continue
        try:
            values = compute()
        except (ConvMathError, ValueError, IndexError, ZeroDivisionError):
            continue  # the mistake does not apply (or would crash) here
        for value in values:
            yield label, value


def _catalogue_models(
    sup: Supports, kind: str, labels: tuple[str, ...], args: tuple[Any, ...], options: Mapping[str, Any]
) -> Iterator[tuple[str, Any]]:
    """``(label, compute)`` for each mistake of ``labels``: ``compute()`` lists its outputs (one per way of making
    it) from the catalogue entry's model of ``kind``, in the function's layout."""
    from convmath.misconceptions import CATALOGUE

    for label in labels:
        model = CATALOGUE[label].models.get(kind)
        if model is not None:
            yield label, (lambda model=model: [_unwrap(sup, out) for out in model(*args, **options)])


def _conv_models(sup: Supports, case: Case) -> Iterator[tuple[str, Any]]:
    d = case.data
    labels = tuple(lab for lab in CONV_LABELS if sup.layout != "single" or lab != "channels_not_summed")
    options = {"op": sup.op, **d["config"].options()}
    return _catalogue_models(sup, "conv", labels, (d["x"], d["weight"], d["bias"]), options)


def _pool_models(sup: Supports, case: Case) -> Iterator[tuple[str, Any]]:
    sup = _mode(sup, case)
    cfg = case.data["config"]
    options = {
        "op": sup.op,
        "stride": cfg.stride,
        "padding": cfg.padding,
        "dilation": cfg.dilation,
        "ceil_mode": cfg.ceil_mode,
    }
    return _catalogue_models(sup, "pool", POOL_LABELS, (case.data["x"], cfg.kernel_size), options)


def _size_models(sup: Supports, case: Case) -> Iterator[tuple[str, Any]]:
    """The catalogue's output-size mistakes, each computed by its entry's ``wrong``."""
    from convmath.misconceptions import CATALOGUE

    a = case.data
    n, k, p, s, d = a["n"], a["kernel_size"], a["padding"], a["stride"], a["dilation"]
    total = sup.padding_convention == "total"
    options = {"stride": s, "padding": (p // 2, p - p // 2) if total else p, "dilation": d}

    def wrong(label: str, **kwargs: Any) -> Any:
        return lambda: [CATALOGUE[label].wrong(n, k, **(kwargs or options))]

    yield "forgot_plus_one", wrong("forgot_plus_one")
    if p:
        if total and d == 1:
            yield "padding_total_doubled", wrong("padding_total_doubled", stride=s, total_padding=p)
        elif not total:
            yield "padding_once", wrong("padding_once")
    if s > 1:
        yield "ceil_not_floor", wrong("ceil_not_floor")
        yield "no_floor", wrong("no_floor")
        yield "ignored_stride", wrong("ignored_stride")
    if d > 1:
        yield "ignored_dilation", wrong("ignored_dilation")
