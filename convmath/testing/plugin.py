"""pytest plugin (entry point ``pytest11``): hypothesis profiles for convmath users.

Profiles:

``ci``
    50 examples, no deadline (a noisy 2-core runner must not fail on timing),
    ``too_slow`` health check off, derandomized so a CI failure reproduces.
``dev``
    100 examples, no deadline.
``thorough``
    1000 examples, for a nightly run.

The profile is chosen by ``CONVMATH_HYPOTHESIS_PROFILE``; without it, ``ci``
when ``CI`` is set (as GitHub Actions and our ``.ci/run`` do), else ``dev``.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    max_examples=50,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
settings.register_profile("dev", max_examples=100, deadline=None)
settings.register_profile("thorough", max_examples=1000, deadline=None)


def chosen_profile() -> str:
    """The profile name selected by the environment."""
    explicit = os.environ.get("CONVMATH_HYPOTHESIS_PROFILE")
    if explicit:
        return explicit
    return "ci" if os.environ.get("CI", "").lower() not in ("", "0", "false") else "dev"


def pytest_configure(config) -> None:  # type: ignore[no-untyped-def]
    config.addinivalue_line("markers", "convmath: a test that checks code against convmath's reference")
    settings.load_profile(chosen_profile())
