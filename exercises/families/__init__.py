"""Exercise families: the registry, and drawing a variant from a seed.

A family is a function ``draw(rng, difficulty, options) -> Exercise | None``
registered under a name. :func:`generate` seeds a ``random.Random`` with the
variant seed, calls ``draw`` until it returns an acceptable variant, and
checks it (see :func:`accept`). Families never touch global random state.

Family modules register themselves when imported; they are listed in
``_MODULES`` and imported on first use of the registry.
"""

from __future__ import annotations

import importlib
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from convmath.errors import ConvMathError

from ..model import Exercise

__all__ = ["Family", "FAMILIES", "register", "families", "generate"]

DrawFn = Callable[[random.Random, int, Mapping[str, Any]], "Exercise | None"]


@dataclass(frozen=True)
class Family:
    """A registered exercise family."""

    name: str
    """Registry key, e.g. ``"conv_output_size"``."""

    title: Mapping[str, str]
    """Locale -> one-line title (``convmath preview --list`` prints it)."""

    difficulties: tuple[int, ...]
    """The difficulty levels the family offers."""

    draw: DrawFn
    """Draw one candidate variant, or ``None`` to ask for another draw."""


FAMILIES: dict[str, Family] = {}

#: Modules that define families; each calls :func:`register` at import.
_MODULES: tuple[str, ...] = (
    # exercises-core families
    # exercises-render families
)
_loaded = False


def register(family: Family) -> Family:
    """Add ``family`` to the registry (a name may be registered once)."""
    if family.name in FAMILIES and FAMILIES[family.name] is not family:
        raise ConvMathError(f"family={family.name!r} is registered twice")
    FAMILIES[family.name] = family
    return family


def families() -> dict[str, Family]:
    """The registry, with every family module imported."""
    global _loaded
    if not _loaded:
        for module in _MODULES:
            importlib.import_module(module)
        _loaded = True
    return FAMILIES
