"""The quality bar, enforced: public functions are typed and carry runnable Examples.

"Public" means listed in a public module's ``__all__`` (or, without one, not
starting with ``_``) and defined there. Private modules (``_validate``,
``numeric/_args``, ``families/_common``...) and pytest's hook functions are
exempt; classes are documented per field and exempt from the Examples rule.
The examples themselves run as doctests (``--doctest-modules``).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re

import pytest

PACKAGES = ("convmath", "exercises", "grader")
EXAMPLES = re.compile(r"^Examples\n-{8}", re.M)


def _public_functions():
    for package in PACKAGES:
        root = importlib.import_module(package)
        for info in pkgutil.walk_packages(root.__path__, package + "."):
            if any(part.startswith("_") for part in info.name.split(".")):
                continue
            module = importlib.import_module(info.name)
            names = getattr(module, "__all__", None)
            if names is None:
                names = [name for name in vars(module) if not name.startswith("_")]
            for name in names:
                obj = getattr(module, name, None)
                if inspect.isfunction(obj) and obj.__module__ == module.__name__ and not name.startswith("pytest_"):
                    yield pytest.param(obj, id=f"{module.__name__}.{name}")


FUNCTIONS = list(_public_functions())


def test_the_audit_sees_the_api():
    names = {param.id for param in FUNCTIONS}
    assert {"convmath.sizes.conv_output_size", "exercises.seeding.variant_seed", "grader.checks.check_part"} <= names


@pytest.mark.parametrize("fn", FUNCTIONS)
def test_public_function_has_examples(fn):
    assert EXAMPLES.search(inspect.getdoc(fn) or ""), f"{fn.__module__}.{fn.__name__} has no Examples section"


@pytest.mark.parametrize("fn", FUNCTIONS)
def test_public_function_is_typed(fn):
    signature = inspect.signature(fn)
    missing = [p.name for p in signature.parameters.values() if p.annotation is inspect.Parameter.empty]
    if signature.return_annotation is inspect.Signature.empty:
        missing.append("return")
    assert not missing, f"{fn.__module__}.{fn.__name__} lacks annotations for {missing}"
