"""Test helper: torchvision's model definitions, imported against a torch build its compiled ops do not match.

torchvision from the registry does not import beside the local CPU build of
torch: registering its compiled operators fails (``RuntimeError: operator
torchvision::nms does not exist``). Its model definitions need none of those
operators, so this helper imports torchvision with ``torch.library.register_fake``
replaced, for the duration of the import only, by a decorator that does nothing.
Nothing else in the test suite or in convmath does this.

``models()`` returns ``torchvision.models``, or skips the calling test when
torch or torchvision is not installed.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest


@contextlib.contextmanager
def _fake_registration_disabled(torch: Any) -> Iterator[None]:
    original = torch.library.register_fake

    def register_fake(*args: Any, **kwargs: Any) -> Callable[[Any], Any]:
        def decorate(fn: Any) -> Any:
            return fn

        return decorate

    torch.library.register_fake = register_fake
    try:
        yield
    finally:
        torch.library.register_fake = original


def models() -> Any:
    """``torchvision.models``, imported with the workaround above; skips without torch or torchvision."""
    torch = pytest.importorskip("torch")
    if "torchvision.models" in sys.modules:
        return sys.modules["torchvision.models"]
    try:
        with _fake_registration_disabled(torch):
            import torchvision.models as tv_models
    except ImportError as err:  # torchvision not installed (a RuntimeError would be a real failure)
        pytest.skip(f"torchvision is not installed: {err}")
    return tv_models


#: Constructors with the published configuration whose parameter count torchvision's weight metadata states.
BUILDERS: dict[str, Callable[[Any], Any]] = {
    "resnet18": lambda m: m.resnet18(),
    "resnet50": lambda m: m.resnet50(),
    "densenet121": lambda m: m.densenet121(),
    "googlenet": lambda m: m.googlenet(aux_logits=False, init_weights=False),
    "squeezenet1_0": lambda m: m.squeezenet1_0(),
    "mobilenet_v2": lambda m: m.mobilenet_v2(),
    "mobilenet_v3_small": lambda m: m.mobilenet_v3_small(),
}
