"""References of question files' function parts, importable by ``module:attribute``.

The grader imports a function part's reference as ``module:attribute``. A
question's reference is an expression, not a Python function, so its
attribute here is the JSON that
:func:`exercises.questions.question.reference_path` wrote (argument names,
expression, the parameters it reads); this module's ``__getattr__`` turns it
back into a function that evaluates the expression with the safe language of
:mod:`exercises.questions.lang`. Nothing is imported or executed from the text.

Examples
--------
>>> import importlib
>>> module, _, attr = 'exercises.questions.refs:{"args": ["k", "d"], "env": {}, "expr": "d*(k-1)+1"}'.partition(":")
>>> span = getattr(importlib.import_module(module), attr)
>>> span(3, 2), span(k=5, d=1)        # 2*(3-1)+1, 1*(5-1)+1
(5, 5)
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from convmath.errors import ConvMathError

from .lang import compile_expr, evaluate

__all__: list[str] = []


@functools.lru_cache(maxsize=256)
def _reference(attr: str) -> Callable[..., Any]:
    try:
        payload = json.loads(attr)
        args, env, text = list(payload["args"]), dict(payload["env"]), str(payload["expr"])
    except (ValueError, KeyError, TypeError) as err:
        raise AttributeError(f"{attr!r} is not a question reference") from err
    expr = compile_expr(text)

    def reference(*values: Any, **named: Any) -> Any:
        if len(values) > len(args):
            raise ConvMathError(f"the reference takes {len(args)} arguments ({', '.join(args)}), got {len(values)}")
        bound = dict(zip(args, values))
        for key, value in named.items():
            if key not in args or key in bound:
                raise ConvMathError(f"argument {key!r} is not allowed; use {', '.join(args)}")
            bound[key] = value
        missing = [a for a in args if a not in bound]
        if missing:
            raise ConvMathError(f"argument {missing[0]!r} is missing")
        return evaluate(expr, {**env, **bound})

    reference.__name__ = reference.__qualname__ = "question_reference"
    return reference


def __getattr__(attr: str) -> Callable[..., Any]:
    if attr.startswith("__"):
        raise AttributeError(attr)
    return _reference(attr)
