"""``convmath explain``: an output size, computed step by step."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

import sympy

from .. import sizes, symbols

_LAYERS: dict[str, tuple[Callable[..., Any], str]] = {
    "conv": (sizes.conv_output_size, "convolution / cross-correlation"),
    "conv_transpose": (sizes.conv_transpose_output_size, "transposed convolution"),
    "pool": (sizes.pool_output_size, "pooling"),
}


def explain(
    layer: str,
    n: int,
    kernel_size: int,
    *,
    stride: int | None = 1,
    padding: int = 0,
    dilation: int = 1,
    output_padding: int = 0,
    ceil_mode: bool = False,
) -> str:
    """Return the formula, the substitution and the result as text.

    Examples
    --------
    >>> print(explain("conv", 32, 5, stride=2, padding=1))
    conv output size (convolution / cross-correlation)
      formula : floor((-d*(k - 1) + n + 2*p - 1)/s) + 1
      numbers : n=32, k=5, s=2, p=1, d=1
      compute : floor((32 + 2*1 - 1*(5 - 1) - 1)/2) + 1 = floor(29/2) + 1
      result  : 15
    """
    fn, title = _LAYERS[layer]
    options: dict[str, object] = {"padding": symbols.p, "dilation": symbols.d}
    numbers: dict[str, object] = {"padding": padding, "dilation": dilation}
    stride_value: int = (kernel_size if layer == "pool" else 1) if stride is None else stride
    options["stride"] = symbols.s
    numbers["stride"] = stride_value
    if layer == "conv_transpose":
        options["output_padding"] = symbols.op
        numbers["output_padding"] = output_padding
    if layer == "pool":
        options["ceil_mode"] = ceil_mode
        numbers["ceil_mode"] = ceil_mode
    formula = fn(symbols.n, symbols.k, **options)
    result = fn(n, kernel_size, **numbers)
    lines = [f"{layer} output size ({title})", f"  formula : {formula}"]
    names = f"n={n}, k={kernel_size}, s={stride_value}, p={padding}, d={dilation}"
    if layer == "conv_transpose":
        names += f", op={output_padding}"
    lines.append(f"  numbers : {names}")
    if layer in ("conv", "pool"):
        extra = f" + {stride_value} - 1" if ceil_mode else ""
        num = n + 2 * padding - dilation * (kernel_size - 1) - 1 + (stride_value - 1 if ceil_mode else 0)
        lines.append(
            f"  compute : floor(({n} + 2*{padding} - {dilation}*({kernel_size} - 1) - 1{extra})/{stride_value}) + 1"
            f" = floor({sympy.Rational(num, stride_value)}) + 1"
        )
    lines.append(f"  result  : {result}")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    """``convmath explain LAYER --n N --kernel-size K [options]``: print :func:`explain`.

    Parameters
    ----------
    argv : list[str]
        The arguments after ``convmath explain``.

    Returns
    -------
    int
        0; invalid numbers raise :class:`~convmath.errors.ConvMathError`
        (``convmath`` turns it into status 2) and argparse exits on
        malformed arguments.

    Examples
    --------
    Max pooling 7 pixels with a 2x2 window: the stride defaults to the
    window, and ``--ceil-mode`` keeps the last partial window,
    ceil((7 - 2) / 2) + 1 = 4 (floor would give 3):

    >>> main(["pool", "--n", "7", "--kernel-size", "2", "--ceil-mode"])
    pool output size (pooling)
    ...
      numbers : n=7, k=2, s=2, p=0, d=1
    ...
      result  : 4
    0
    """
    parser = argparse.ArgumentParser(
        prog="convmath explain",
        description="Explain an output size step by step: the formula, the numbers substituted into it, "
        "and the result (PyTorch's definitions).",
        epilog="Example: convmath explain conv --n 32 --kernel-size 5 --stride 2 --padding 1",
    )
    parser.add_argument(
        "layer",
        choices=sorted(_LAYERS),
        help="the layer: conv (convolution), conv_transpose (transposed convolution) or pool (pooling)",
    )
    parser.add_argument("--n", type=int, required=True, help="input size along one axis, in pixels")
    parser.add_argument("--kernel-size", type=int, required=True, help="kernel (window) size along that axis")
    parser.add_argument(
        "--stride", type=int, default=None, help="step between windows (default: 1; for pool, the kernel size)"
    )
    parser.add_argument("--padding", type=int, default=0, help="zeros added on each side (default: 0)")
    parser.add_argument(
        "--dilation", type=int, default=1, help="spacing between kernel elements; 1 means adjacent (default: 1)"
    )
    parser.add_argument(
        "--output-padding",
        type=int,
        default=0,
        help="conv_transpose only: extra size added on one side of the output (default: 0)",
    )
    parser.add_argument(
        "--ceil-mode",
        action="store_true",
        help="pool only: round up, keeping a last partial window (default: round down)",
    )
    args = parser.parse_args(argv)
    stride = args.stride if args.stride is not None else (None if args.layer == "pool" else 1)
    print(
        explain(
            args.layer,
            args.n,
            args.kernel_size,
            stride=stride,
            padding=args.padding,
            dilation=args.dilation,
            output_padding=args.output_padding,
            ceil_mode=args.ceil_mode,
        )
    )
    return 0
