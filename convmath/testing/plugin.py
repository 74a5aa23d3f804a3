"""pytest plugin (entry point ``pytest11``): hypothesis profiles and a marker for convmath users.

Installed with convmath, it is active in every pytest run of a project that
has convmath installed (a course's repository, a GitHub Classroom template):
nothing to import or configure.

Profiles:

``ci``
    50 examples, no deadline (a noisy 2-core runner must not fail on timing),
    ``too_slow`` health check off, derandomized so a CI failure reproduces.
``dev``
    100 examples, no deadline.
``thorough``
    1000 examples, for a nightly run.

The profile is chosen by ``--convmath-profile NAME`` on the pytest command
line, else by ``CONVMATH_HYPOTHESIS_PROFILE``, else ``ci`` when ``CI`` is set
(as GitHub Actions and our ``.ci/run`` do), else ``dev``. The header of the
pytest run says which one is active.

Marker: ``@pytest.mark.convmath`` labels a test that checks code against
convmath's reference (select them with ``pytest -m convmath``);
``@pytest.mark.convmath(profile="thorough")`` runs that one test under
another profile.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

PROFILES = ("ci", "dev", "thorough")

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

_active = {"profile": ""}


def chosen_profile() -> str:
    """The profile name selected by the environment.

    Examples
    --------
    ``with_env`` runs ``chosen_profile()`` with only the given variables of
    the two set, and restores ``os.environ`` afterwards:

    >>> def with_env(**env):
    ...     names = ("CI", "CONVMATH_HYPOTHESIS_PROFILE")
    ...     saved = {name: os.environ.pop(name, None) for name in names}
    ...     try:
    ...         os.environ.update(env)
    ...         return chosen_profile()
    ...     finally:
    ...         for name, value in saved.items():
    ...             os.environ.pop(name, None)
    ...             if value is not None:
    ...                 os.environ[name] = value
    >>> with_env(), with_env(CI="true"), with_env(CI="false"), with_env(CI="0")
    ('dev', 'ci', 'dev', 'dev')
    >>> with_env(CI="true", CONVMATH_HYPOTHESIS_PROFILE="thorough")     # the explicit variable wins
    'thorough'
    """
    explicit = os.environ.get("CONVMATH_HYPOTHESIS_PROFILE")
    if explicit:
        return explicit
    return "ci" if os.environ.get("CI", "").lower() not in ("", "0", "false") else "dev"


def pytest_addoption(parser: Any) -> None:
    group = parser.getgroup("convmath")
    group.addoption("--convmath-profile", choices=PROFILES, default=None,
                    help="hypothesis profile for convmath property tests (default: from the environment)")


def pytest_configure(config: Any) -> None:
    config.addinivalue_line(
        "markers",
        "convmath(profile=None): a test that checks code against convmath's reference; "
        "profile= runs it under another hypothesis profile",
    )
    name = config.getoption("convmath_profile", default=None) or chosen_profile()
    settings.load_profile(name)
    _active["profile"] = name


def pytest_report_header(config: Any) -> str:
    return f"convmath: hypothesis profile {_active['profile']!r}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: Any) -> Iterator[None]:
    marker = item.get_closest_marker("convmath")
    profile = marker.kwargs.get("profile") if marker is not None else None
    if profile is None:
        yield
        return
    settings.load_profile(profile)
    try:
        yield
    finally:
        settings.load_profile(_active["profile"] or chosen_profile())
