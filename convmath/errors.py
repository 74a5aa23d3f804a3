"""The one exception type of convmath."""

from __future__ import annotations

__all__ = ["ConvMathError"]


class ConvMathError(ValueError):
    """Raised for any invalid argument, layer spec, exercise or submission.

    A subclass of :class:`ValueError`, so code that already catches
    ``ValueError`` keeps working. Messages follow one form: they name the
    argument, repeat its value and say what is allowed, e.g.
    ``stride=0 must be a positive integer``.

    Examples
    --------
    >>> from convmath import conv_output_size, ConvMathError
    >>> try:
    ...     conv_output_size(32, 3, stride=0)
    ... except ConvMathError as err:
    ...     print(err)
    stride=0 must be a positive integer
    """
