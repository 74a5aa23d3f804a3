"""Lazy exports for a package (PEP 562), written once for every package that uses them.

A package lists ``name -> module path`` and gets a module ``__getattr__`` that
imports the module the first time one of its names is used, and a matching
``__dir__``. ``import convmath`` therefore imports neither sympy nor numpy,
loading the pytest plugin stays cheap, and ``grader.sandbox`` does not pull its
parent-side machinery into code that only needs one type.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, exports: Mapping[str, str], namespace: dict[str, Any], *, submodules: tuple[str, ...] = ()
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Return ``(__getattr__, __dir__)`` for ``package``.

    Parameters
    ----------
    package : str
        The package's ``__name__`` (used in messages and for submodules).
    exports : mapping
        Exported name -> dotted path of the module that defines it.
    namespace : dict
        The package's ``globals()``; a resolved name is cached there, so the
        hook runs once per name.
    submodules : tuple of str, optional
        Submodules reachable as attributes without an explicit import.

    Returns
    -------
    tuple
        The two functions to assign to ``__getattr__`` and ``__dir__``.

    Examples
    --------
    >>> import types
    >>> ns = {}
    >>> getattr_, dir_ = lazy_exports("pkg", {"floor": "math"}, ns)
    >>> getattr_("floor")(2.5), "floor" in ns          # imported, then cached
    (2, True)
    >>> getattr_("ceil")
    Traceback (most recent call last):
    ...
    AttributeError: module 'pkg' has no attribute 'ceil'
    """

    def __getattr__(name: str) -> Any:
        if name in submodules:
            return importlib.import_module(f"{package}.{name}")
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(exports) | set(submodules))

    return __getattr__, __dir__
