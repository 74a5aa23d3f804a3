"""The public surface: every exported name resolves, errors share one base."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import convmath


@pytest.mark.parametrize("name", convmath.__all__)
def test_every_exported_name_resolves(name):
    assert getattr(convmath, name) is not None


@pytest.mark.parametrize("name", convmath._SUBMODULES)
def test_submodules_are_attributes(name):
    assert getattr(convmath, name) is importlib.import_module(f"convmath.{name}")


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'conv_size'"):
        convmath.conv_size  # noqa: B018


def test_import_is_lazy():
    """``import convmath`` must not pull in sympy or numpy (the CLI and grader start fast)."""
    code = "import sys, convmath; print('sympy' in sys.modules, 'numpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_convmath_error_is_a_value_error():
    assert issubclass(convmath.ConvMathError, ValueError)


def test_no_export_is_shadowed_by_a_submodule() -> None:
    """Importing a package's submodule binds it as the package's attribute: an exported name equal to a submodule's
    name would then be the module, not the function (``convmath.testing.compare`` was both)."""
    import pkgutil

    for package in ("convmath", "convmath.testing", "convmath.numeric", "convmath.digestion"):
        module = importlib.import_module(package)
        submodules = {info.name for info in pkgutil.iter_modules(module.__path__)}
        for name in getattr(module, "__all__", ()):
            if name in submodules:
                value = getattr(module, name)
                assert value is importlib.import_module(f"{package}.{name}"), f"{package}.{name}: export or module?"
