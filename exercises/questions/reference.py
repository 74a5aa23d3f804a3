"""Generated parts of ``docs/authoring.md``: the misconception catalogue and the functions of the language.

The document holds each generated block between ``<!-- NAME:start -->`` and
``<!-- NAME:end -->``; :func:`sync` rewrites them from the code, and a test
checks that the document equals ``sync(document)``, so it cannot go stale.
Regenerate with ``python -m exercises.questions.reference docs/authoring.md``.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

__all__ = ["catalogue_table", "functions_table", "blocks", "sync"]


def catalogue_table() -> str:
    """The built-in misconceptions as a Markdown table (label, quantity, title in each locale).

    Examples
    --------
    >>> print(catalogue_table().splitlines()[2])
    | `forgot_plus_one` | `conv_output_size` | forgot the +1 | 漏掉了 +1 |
    """
    from convmath.misconceptions import CATALOGUE

    from ..families import BUILTIN_LABELS as _BUILTIN_LABELS

    rows = ["| label | miscomputes | title | 标题 |", "|---|---|---|---|"]
    for label, entry in CATALOGUE.items():
        if label in _BUILTIN_LABELS:
            rows.append(f"| `{label}` | `{entry.quantity}` | {entry.title['en']} | {entry.title['zh']} |")
    return "\n".join(rows)


def functions_table() -> str:
    """The functions an expression may call, one line each, with what they compute.

    Examples
    --------
    >>> "`conv_output_size`" in functions_table()
    True
    """
    from .lang import DESCRIPTIONS
    from .lang import language_functions as _get_functions

    rows = ["| function | what it computes |", "|---|---|"]
    rows += [f"| `{name}` | {DESCRIPTIONS[name]} |" for name in _get_functions()]
    return "\n".join(rows)


def blocks() -> dict[str, str]:
    """Name -> generated text of each block.

    Examples
    --------
    >>> sorted(blocks())
    ['catalogue', 'functions']
    """
    return {"catalogue": catalogue_table(), "functions": functions_table()}


def sync(text: str) -> str:
    """``text`` with every generated block rewritten from the code.

    Examples
    --------
    >>> sync("a\\n<!-- catalogue:start -->\\nold\\n<!-- catalogue:end -->\\nb").splitlines()[2]
    '| label | miscomputes | title | 标题 |'
    >>> sync("<!-- functions:start -->\\n<!-- functions:end -->").splitlines()[1]
    '| function | what it computes |'
    """
    for name, body in blocks().items():
        pattern = re.compile(rf"(<!-- {name}:start -->\n)(?:.*?\n)?(<!-- {name}:end -->)", re.S)
        text = pattern.sub(lambda m, body=body: m.group(1) + body + "\n" + m.group(2), text)
    return text


if __name__ == "__main__":  # pragma: no cover
    for arg in sys.argv[1:]:
        path = Path(arg)
        path.write_text(sync(path.read_text(encoding="utf-8")), encoding="utf-8")
