"""Worked examples of the catalogued misconceptions, for the class report.

For each misconception the report explains, :func:`worked_example` finds a
small input on which the catalogue's wrong formula gives a different answer
from the right one, and returns both, so an instructor can put the mistake on
the board on Monday: "n = 7, k = 3, s = 2, p = 1: right 4, with padding
counted once 3". Inputs are fixed tables, tried in order: the result is the
same on every run.

Examples
--------
>>> ex = worked_example("padding_once")
>>> (ex.inputs, ex.right, ex.wrong)
('n = 7, kernel_size = 3, stride = 2, padding = 1', '4', '3')
>>> worked_example("not_a_label") is None
True
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from convmath.errors import ConvMathError
from convmath.misconceptions import CATALOGUE

__all__ = ["WorkedExample", "worked_example"]


@dataclass(frozen=True)
class WorkedExample:
    """One input on which a misconception's answer differs from the right one."""

    label: str
    """The misconception's catalogue label."""

    inputs: str
    """The input, as the student would read it (``n = 7, kernel_size = 3, ...``)."""

    right: str
    """The right answer on that input."""

    wrong: str
    """The answer the misconception gives."""


_X = np.arange(9).reshape(3, 3)
_K = np.array([[1, 2], [3, 4]])
_STAGE = [{"type": "Conv2d", "kernel_size": 3, "stride": 2}, {"type": "Conv2d", "kernel_size": 3, "dilation": 2}]

#: quantity -> (right formula, names of its positional arguments, candidate inputs as (args, kwargs), tried in order)
_CANDIDATES: dict[str, tuple[Callable[..., Any], tuple[str, ...], list[tuple[tuple[Any, ...], dict[str, Any]]]]] = {}


def _fill() -> None:
    from convmath.counting import conv_macs, conv_params, depthwise_separable_params
    from convmath.numeric import corr2d, max_pool
    from convmath.receptive import receptive_field
    from convmath.sizes import conv_output_size, conv_transpose_output_size, d2l_output_size, pool_output_size

    def rf_size(layers: Any) -> Any:
        last = receptive_field(layers)[-1]
        return None if last is None else last.r[0]

    sizes = [
        ((7, 3), dict(stride=2, padding=1)),
        ((9, 3), dict(stride=2, padding=1, dilation=2)),
        ((8, 3), dict(stride=3, padding=1)),
        ((6, 2), dict(stride=2)),
    ]

    def correlate2d(x: Any, k: Any, *, stride: int = 1, padding: int = 0) -> Any:
        return corr2d(np.pad(np.asarray(x), padding), k)[::stride, ::stride]

    def pool2d(x: Any, pool_size: int, *, mode: str = "max") -> Any:
        return max_pool(np.asarray(x)[None], pool_size, stride=1)[0]

    size_args, count_args = ("n", "kernel_size"), ("in_channels", "out_channels", "kernel_size")
    _CANDIDATES.update(
        {
            "conv_output_size": (conv_output_size, size_args, sizes),
            "d2l_output_size": (
                d2l_output_size,
                size_args,
                [((8, 3), dict(stride=2, total_padding=2)), ((7, 3), dict(total_padding=1))],
            ),
            "conv_transpose_output_size": (
                conv_transpose_output_size,
                size_args,
                [((3, 3), dict(stride=2, padding=1, output_padding=1)), ((4, 3), dict(stride=2))],
            ),
            "pool_output_size": (
                pool_output_size,
                size_args,
                [
                    ((5, 2), dict(padding=1, ceil_mode=True)),
                    ((5, 2), dict(ceil_mode=True)),
                    ((6, 2), {}),
                    ((7, 3), dict(stride=2, padding=1)),
                ],
            ),
            "conv_params": (
                conv_params,
                count_args,
                [((16, 32, 3), dict(groups=4)), ((3, 16, 3), {}), ((32, 64, 3), dict(bias=False))],
            ),
            "depthwise_separable_params": (
                depthwise_separable_params,
                count_args,
                [((16, 32, 3), {}), ((8, 16, 3), dict(bias=False))],
            ),
            "conv_macs": (
                conv_macs,
                count_args + ("n",),
                [((3, 10, 3, 10), dict(convention="macs")), ((3, 10, 1, 10), dict(convention="macs"))],
            ),
            "receptive_field": (rf_size, ("layers",), [((_STAGE,), {}), ((_STAGE + _STAGE,), {})]),
            "correlate2d": (correlate2d, ("X", "K"), [((_X, _K), {}), ((_X, _K), dict(padding=1))]),
            "convolve2d": (lambda x, k: corr2d(x, np.asarray(k)[::-1, ::-1]), ("X", "K"), [((_X, _K), {})]),
            "correlate2d_multichannel": (
                lambda x, k: sum(corr2d(a, b) for a, b in zip(x, k)),
                ("X", "K"),
                [((np.stack([_X, _X + 1]), np.stack([_K, _K])), {})],
            ),
            "pool2d": (pool2d, ("X", "pool_size"), [((_X, 2), {})]),
        }
    )


def _show(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return np.array2string(value, separator=", ")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _inputs(names: tuple[str, ...], args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> str:
    shown = [f"{name} = {_layers(a) if isinstance(a, list) else _show(a)}" for name, a in zip(names, args)]
    shown += [f"{key} = {value!r}" if isinstance(value, str) else f"{key} = {value}" for key, value in kwargs.items()]
    return ", ".join(shown)


def _layers(layers: list[Any]) -> str:
    return " → ".join(
        f"{layer['type']}({', '.join(f'{k}={v}' for k, v in layer.items() if k != 'type')})" for layer in layers
    )


def worked_example(label: str) -> WorkedExample | None:
    """A small input on which misconception ``label`` gives a wrong answer.

    Parameters
    ----------
    label : str
        A catalogue label.

    Returns
    -------
    WorkedExample or None
        ``None`` for an unknown label, or a quantity with no example table
        (the continuous food-digestion model), or when no candidate input
        separates the mistake from the right answer.

    Examples
    --------
    >>> ex = worked_example("forgot_bias")
    >>> ex.inputs, ex.right, ex.wrong       # 16*3*3*32/4 + 32 against no bias
    ('in_channels = 16, out_channels = 32, kernel_size = 3, groups = 4', '1184', '1152')
    """
    entry = CATALOGUE.get(label)
    if entry is None:
        return None
    if not _CANDIDATES:
        _fill()
    if entry.quantity not in _CANDIDATES:
        return None
    right_fn, names, candidates = _CANDIDATES[entry.quantity]
    for args, kwargs in candidates:
        try:
            right, wrong = right_fn(*args, **kwargs), entry.wrong(*args, **kwargs)
        except (ConvMathError, TypeError, ValueError):
            continue
        if _show(right) != _show(wrong):
            return WorkedExample(label, _inputs(names, args, kwargs), _show(right), _show(wrong))
    return None
