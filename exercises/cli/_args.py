"""Shared pieces of the exercise commands: a one-line-error argument parser, and FILE_OR_FAMILY."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, NoReturn

from convmath.errors import ConvMathError

__all__ = ["Parser", "parse_option", "family_from_arg"]


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one-line :class:`ConvMathError` (exit 2 through ``convmath``).

    Examples
    --------
    >>> Parser(prog="demo").parse_args(["--nope"])
    Traceback (most recent call last):
    ...
    convmath.errors.ConvMathError: unrecognized arguments: --nope
    """

    def error(self, message: str) -> NoReturn:
        raise ConvMathError(message)


def parse_option(text: str) -> tuple[str, Any]:
    """``key=value`` (value read as JSON, else as a string).

    Examples
    --------
    >>> parse_option("channels=2"), parse_option("function=corr2d")
    (('channels', 2), ('function', 'corr2d'))
    >>> parse_option("channels")
    Traceback (most recent call last):
    ...
    convmath.errors.ConvMathError: option='channels' is not allowed; use key=value (value as JSON, e.g. channels=2)
    """
    key, sep, raw = text.partition("=")
    if not sep or not key:
        raise ConvMathError(f"option={text!r} is not allowed; use key=value (value as JSON, e.g. channels=2)")
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    return key, value


def family_from_arg(arg: str) -> Any:
    """The family an argument names: a question file (``*.toml``), a registered name, or ``pkg.module:NAME``.

    A question file's family is registered, so generating it by name works.

    Examples
    --------
    >>> family_from_arg("conv_macs").name
    'conv_macs'
    >>> family_from_arg("missing.toml")
    Traceback (most recent call last):
    ...
    convmath.errors.ConvMathError: missing.toml: cannot read the question (No such file or directory)
    """
    from ..families import register, resolve_family
    from ..questions import load_question

    if arg.endswith(".toml") or Path(arg).is_file():
        return register(load_question(arg).family())
    return resolve_family(arg)
