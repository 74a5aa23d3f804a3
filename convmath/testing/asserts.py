"""One-line property tests of a course's own convolution code.

Each helper draws valid calls with hypothesis (using the active profile: in a
test marked ``@pytest.mark.convmath``, ``convmath-ci`` on a CI runner, see
:mod:`convmath.testing.plugin`), compares the
function with convmath's reference, and on failure raises
:class:`ConvMathAssertionError` whose message shows the smallest failing call,
the expected and the actual result, and the misconception that explains the
difference when one does::

    from convmath.testing import assert_correlates_like
    from student import corr2d

    def test_corr2d():
        assert_correlates_like(corr2d)        # corr2d(X, K), 2-D, valid, stride 1

The options restrict the configurations the function claims to support (the
calling conventions are in :mod:`convmath.testing.functions`). The grader's
function check runs exactly the same code (:func:`convmath.testing.runner.check_function`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import settings as Settings

from .functions import Supports
from .runner import FunctionReport, check_function, local_call

__all__ = [
    "ConvMathAssertionError",
    "assert_correlates_like",
    "assert_convolves_like",
    "assert_pools_like",
    "assert_output_size_like",
]


class ConvMathAssertionError(AssertionError):
    """A function disagreed with the reference; ``report`` holds the details."""

    def __init__(self, message: str, report: FunctionReport) -> None:
        super().__init__(message)
        self.report = report


def _padding_forms(padding: bool | str | tuple[str, ...]) -> tuple[str, ...]:
    if padding is False or padding == "valid":
        return ()
    if padding is True:
        return ("int",)
    if isinstance(padding, str):
        return (padding,)
    return tuple(padding)


def _run(fn: Callable[..., Any], supports: Supports, *, rtol: float, atol: float, settings: Settings | None) -> None:
    __tracebackhide__ = True  # pytest shows the caller's line, not convmath's internals
    name = getattr(fn, "__name__", "fn")
    if name == "<lambda>":
        name = "fn"
    report = check_function(
        local_call(fn), supports, rtol=rtol, atol=atol, settings=settings, time_limit=float("inf"), max_calls=10_000
    )
    if report.missing:
        raise ConvMathAssertionError(f"{name} raises NotImplementedError", report)
    if not report.passed:
        raise ConvMathAssertionError(report.message(name), report)


def _conv(
    op: str,
    fn: Callable[..., Any],
    layout: str,
    ndim: int,
    stride: bool,
    padding: Any,
    dilation: bool,
    groups: bool,
    bias: bool,
    max_size: int,
    rtol: float,
    atol: float,
    settings: Settings | None,
    option_form: str,
) -> None:
    __tracebackhide__ = True
    supports = Supports(
        op=op,
        layout=layout,
        ndim=ndim,
        stride=stride,
        padding=_padding_forms(padding),
        dilation=dilation,
        groups=groups,
        bias=bias,
        max_size=max_size,
        option_form=option_form,
    )
    _run(fn, supports, rtol=rtol, atol=atol, settings=settings)


def assert_correlates_like(
    fn: Callable[..., Any],
    *,
    layout: str = "single",
    ndim: int = 2,
    stride: bool = False,
    padding: bool | str | tuple[str, ...] = False,
    dilation: bool = False,
    groups: bool = False,
    bias: bool = False,
    max_size: int = 6,
    option_form: str = "int",
    rtol: float = 1e-9,
    atol: float = 1e-9,
    settings: Settings | None = None,
) -> None:
    """Assert that ``fn`` computes a cross-correlation (deep learning's "convolution").

    Parameters
    ----------
    fn : callable
        ``fn(X, K[, b], **options)`` in the chosen layout.
    layout : {"single", "multi_in", "multi_in_out", "batch"}, optional
        ``single`` (default): ``X`` and ``K`` are plain matrices (d2l's ``corr2d``);
        ``multi_in``: ``X (C, H, W)``, ``K (C, kh, kw)``, channels summed;
        ``multi_in_out``: ``K (C_out, C, kh, kw)``; ``batch``: PyTorch's layout.
    ndim : int, optional
        Spatial dimensions (default 2).
    stride, dilation, groups : bool, optional
        Whether ``fn`` takes ``stride=``, ``dilation=``, ``groups=`` (else they stay 1).
    padding : bool, str or tuple of str, optional
        ``False`` (default): ``fn`` takes no padding (valid mode). ``True``: it
        takes ``padding=`` as an int per side; or name the forms it takes,
        from ``"int", "per_dim", "pair", "valid", "same", "full"``.
    bias : bool, optional
        ``fn`` takes a bias as third positional argument.
    max_size : int, optional
        Largest input size drawn per dimension (default 6).
    option_form : {"int", "tuple"}, optional
        ``stride=``/``dilation=`` passed as one int (default) or a tuple per dimension.
    rtol, atol : float, optional
        Tolerances of the comparison.
    settings : hypothesis.settings, optional
        Override the active profile.

    Raises
    ------
    ConvMathAssertionError
        With the smallest failing call, expected and actual results, and the
        misconception that explains the difference if one does.

    Examples
    --------
    >>> from convmath import numeric
    >>> assert_correlates_like(numeric.corr2d)
    >>> assert_correlates_like(lambda X, K: numeric.corr2d(X, K[::-1, ::-1]))
    Traceback (most recent call last):
    ...
    convmath.testing.asserts.ConvMathAssertionError: fn(X=..., K=...) returned ... a known mistake: ...
    """
    __tracebackhide__ = True
    _conv(
        "correlate",
        fn,
        layout,
        ndim,
        stride,
        padding,
        dilation,
        groups,
        bias,
        max_size,
        rtol,
        atol,
        settings,
        option_form,
    )


def assert_convolves_like(
    fn: Callable[..., Any],
    *,
    layout: str = "single",
    ndim: int = 2,
    stride: bool = False,
    padding: bool | str | tuple[str, ...] = False,
    dilation: bool = False,
    groups: bool = False,
    bias: bool = False,
    max_size: int = 6,
    option_form: str = "int",
    rtol: float = 1e-9,
    atol: float = 1e-9,
    settings: Settings | None = None,
) -> None:
    """Assert that ``fn`` computes a true convolution (the kernel flipped along every spatial axis).

    The options are those of :func:`assert_correlates_like`.

    Examples
    --------
    >>> from scipy.signal import convolve2d
    >>> assert_convolves_like(lambda X, K: convolve2d(X, K, mode="valid"))
    """
    __tracebackhide__ = True
    _conv(
        "convolve",
        fn,
        layout,
        ndim,
        stride,
        padding,
        dilation,
        groups,
        bias,
        max_size,
        rtol,
        atol,
        settings,
        option_form,
    )


def assert_pools_like(
    fn: Callable[..., Any],
    *,
    mode: str = "max",
    layout: str = "single",
    ndim: int = 2,
    kernel_arg: str = "tuple",
    stride: bool = False,
    implied_stride: str = "kernel",
    padding: bool = False,
    ceil_mode: bool = False,
    mode_arg: bool = False,
    max_size: int = 6,
    rtol: float = 1e-9,
    atol: float = 1e-9,
    settings: Settings | None = None,
) -> None:
    """Assert that ``fn`` computes max or average pooling with PyTorch's rules.

    Parameters
    ----------
    fn : callable
        ``fn(X, kernel_size, **options)``.
    mode : {"max", "avg"}, optional
        Which pooling.
    layout : {"single", "multi_in", "batch"}, optional
        ``X`` is ``(H, W)``, ``(C, H, W)`` or ``(N, C, H, W)``.
    kernel_arg : {"tuple", "int"}, optional
        ``kernel_size`` passed as a tuple (default) or an int (square windows).
    stride, padding, ceil_mode : bool, optional
        Whether ``fn`` takes ``stride=``, ``padding=`` (an int or tuple, at most
        half the window) and ``ceil_mode=``.
    implied_stride : {"kernel", "one"}, optional
        The stride when ``fn`` takes none: the window (PyTorch, default) or 1
        (d2l's ``pool2d``).
    mode_arg : bool, optional
        ``fn`` takes ``mode="max"``/``"avg"`` (d2l's ``pool2d(X, pool_size, mode)``).

    Examples
    --------
    >>> from convmath import numeric
    >>> assert_pools_like(lambda X, k: numeric.max_pool(X[None], k)[0])
    """
    if mode not in ("max", "avg"):
        from convmath.errors import ConvMathError

        raise ConvMathError(f"mode={mode!r} is not allowed; use one of 'max', 'avg'")
    __tracebackhide__ = True
    supports = Supports(
        op=f"{mode}_pool",
        layout=layout,
        ndim=ndim,
        kernel_arg=kernel_arg,
        stride=stride,
        implied_stride=implied_stride,
        padding=("int",) if padding else (),
        ceil_mode=ceil_mode,
        mode_arg=mode_arg,
        max_size=max_size,
    )
    _run(fn, supports, rtol=rtol, atol=atol, settings=settings)


def assert_output_size_like(
    fn: Callable[..., Any],
    *,
    args: tuple[str, ...] = ("n", "kernel_size", "padding", "stride"),
    formula: str = "conv",
    padding_convention: str = "per_side",
    settings: Settings | None = None,
) -> None:
    """Assert that ``fn`` computes an output size exactly.

    Parameters
    ----------
    fn : callable
        ``fn(*ints)`` taking the arguments named by ``args``, in that order.
    args : tuple of str, optional
        From ``"n", "kernel_size", "padding", "stride", "dilation"``; must start
        with ``"n", "kernel_size"``.
    formula : {"conv", "pool"}, optional
        Convolution or pooling (padding at most half the window).
    padding_convention : {"per_side", "total"}, optional
        PyTorch's per-side ``padding`` or d2l's total ``p_h``.

    Examples
    --------
    >>> assert_output_size_like(lambda n, k, p, s: (n + 2*p - k) // s + 1)
    >>> assert_output_size_like(lambda n, k, p, s: (n + p - k) // s + 1)
    Traceback (most recent call last):
    ...
    convmath.testing.asserts.ConvMathAssertionError: fn(n=..., ...) returned ... padding counted once...
    """
    __tracebackhide__ = True
    supports = Supports(op="output_size", args=tuple(args), formula=formula, padding_convention=padding_convention)
    _run(fn, supports, rtol=0.0, atol=0.0, settings=settings)
