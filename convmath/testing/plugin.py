"""pytest plugin (entry point ``pytest11``): opt-in hypothesis profiles and a marker for convmath users.

Installed with convmath, the plugin is present in every pytest run of an
environment that has convmath installed, so it **changes nothing unless
asked**: a course's own hypothesis profile, or hypothesis' defaults, stay
in force. It is asked in one of three ways:

- ``pytest --convmath-profile NAME`` loads profile NAME for the whole run;
  ``--convmath-profile auto`` picks one from the environment (below);
- the environment variable ``CONVMATH_HYPOTHESIS_PROFILE=NAME`` does the same;
- ``@pytest.mark.convmath`` on a test runs that test alone under a convmath
  profile (``@pytest.mark.convmath(profile="convmath-thorough")`` names it;
  without a name: the run's profile if one was asked for, else the one
  ``auto`` picks), and labels it (select such tests with ``pytest -m convmath``).

Profiles (names prefixed so they cannot clash with a project's own; the
short names ``ci``, ``dev``, ``thorough`` are accepted as aliases by the
option and the variable):

``convmath-ci``
    50 examples, no deadline (a noisy 2-core runner must not fail on
    timing), ``too_slow`` and ``data_too_large`` health checks off,
    derandomized so a CI failure reproduces.
``convmath-dev``
    100 examples, no deadline.
``convmath-thorough``
    1000 examples, no deadline, for a nightly run.

``auto`` means: ``CONVMATH_HYPOTHESIS_PROFILE`` if set, else ``convmath-ci``
when the ``CI`` variable is set to something other than ``0``/``false`` (as
GitHub Actions does), else ``convmath-dev``. When a profile is loaded the
pytest header says which.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

__all__ = ["PROFILES", "ALIASES", "ENV_VAR", "chosen_profile", "resolve_profile"]

#: The profiles this plugin registers with hypothesis.
PROFILES = ("convmath-ci", "convmath-dev", "convmath-thorough")
#: Short names accepted for them on the command line and in the environment variable.
ALIASES = {name.removeprefix("convmath-"): name for name in PROFILES}
#: The environment variable that asks for a profile.
ENV_VAR = "CONVMATH_HYPOTHESIS_PROFILE"

settings.register_profile(
    "convmath-ci",
    max_examples=50,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
settings.register_profile("convmath-dev", max_examples=100, deadline=None)
settings.register_profile("convmath-thorough", max_examples=1000, deadline=None)

_active = {"profile": ""}  # the profile this plugin loaded for the run ("" = none: hands off)


def resolve_profile(name: str, *, source: str = "profile") -> str:
    """The registered name of profile ``name`` (a full name or a short alias).

    Parameters
    ----------
    name : str
        ``"convmath-ci"``, ``"ci"``, ... (case-insensitive).
    source : str, optional
        What gave the name, for the error message.

    Returns
    -------
    str
        One of :data:`PROFILES`.

    Raises
    ------
    pytest.UsageError
        For any other name (one line naming the allowed ones).

    Examples
    --------
    >>> resolve_profile("ci"), resolve_profile("convmath-thorough"), resolve_profile(" Dev ")
    ('convmath-ci', 'convmath-thorough', 'convmath-dev')
    >>> resolve_profile("fast", source="CONVMATH_HYPOTHESIS_PROFILE")
    Traceback (most recent call last):
    ...
    pytest.UsageError: CONVMATH_HYPOTHESIS_PROFILE='fast' is not a convmath profile: ...
    """
    key = name.strip().lower()
    if key in PROFILES:
        return key
    if key in ALIASES:
        return ALIASES[key]
    allowed = ", ".join([*PROFILES, *ALIASES])
    raise pytest.UsageError(f"{source}={name!r} is not a convmath profile: use one of {allowed}")


def chosen_profile() -> str:
    """The profile ``auto`` picks from the environment.

    Returns
    -------
    str
        ``CONVMATH_HYPOTHESIS_PROFILE`` (resolved) if set, else
        ``"convmath-ci"`` when ``CI`` is set and not ``0``/``false``, else
        ``"convmath-dev"``.

    Examples
    --------
    ``with_env`` runs ``chosen_profile()`` with only the given variables of
    the two set, and restores ``os.environ`` afterwards:

    >>> def with_env(**env):
    ...     names = ("CI", ENV_VAR)
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
    ('convmath-dev', 'convmath-ci', 'convmath-dev', 'convmath-dev')
    >>> with_env(CI="true", CONVMATH_HYPOTHESIS_PROFILE="thorough")     # the explicit variable wins
    'convmath-thorough'
    """
    explicit = os.environ.get(ENV_VAR, "").strip()
    if explicit:
        return resolve_profile(explicit, source=ENV_VAR)
    return "convmath-ci" if os.environ.get("CI", "").strip().lower() not in ("", "0", "false") else "convmath-dev"


def _current_profile() -> str:
    getter = getattr(settings, "get_current_profile_name", None)  # hypothesis >= 6.101
    return getter() if getter is not None else str(getattr(settings, "_current_profile", "default"))


def pytest_addoption(parser: Any) -> None:
    """Add ``--convmath-profile`` (pytest hook)."""
    group = parser.getgroup("convmath")
    group.addoption(
        "--convmath-profile",
        default=None,
        metavar="NAME",
        help="load a convmath hypothesis profile for this run: convmath-ci, convmath-dev, convmath-thorough "
        "(or ci, dev, thorough), or auto (from CONVMATH_HYPOTHESIS_PROFILE, else CI). Default: none, "
        "hypothesis settings are left alone",
    )


def pytest_configure(config: Any) -> None:
    """Register the marker; load a profile only when the option or the variable asks for one (pytest hook)."""
    config.addinivalue_line(
        "markers",
        "convmath(profile=None): a test that checks code against convmath's reference; it runs under a "
        "convmath hypothesis profile (profile= names one)",
    )
    option = config.getoption("convmath_profile", default=None)
    if option is not None and option.strip().lower() == "auto":
        name = chosen_profile()
    elif option is not None:
        name = resolve_profile(option, source="--convmath-profile")
    elif os.environ.get(ENV_VAR, "").strip():
        name = chosen_profile()
    else:
        _active["profile"] = ""
        return
    settings.load_profile(name)
    _active["profile"] = name


def pytest_report_header(config: Any) -> str | None:
    """Say which profile the plugin loaded, if any (pytest hook)."""
    return f"convmath: hypothesis profile {_active['profile']!r}" if _active["profile"] else None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: Any) -> Iterator[None]:
    """Run a ``@pytest.mark.convmath`` test under its profile, then restore what was there (pytest hook).

    hypothesis fixes a ``@given`` test's settings when the test is decorated
    (the profile loaded at import time), so the marker swaps the settings the
    test holds for the duration of the call; a test's own ``@settings(...)``
    still wins over the profile.
    """
    marker = item.get_closest_marker("convmath")
    if marker is None:
        yield
        return
    wanted = marker.kwargs.get("profile")
    name = resolve_profile(wanted, source="convmath(profile)") if wanted else (_active["profile"] or chosen_profile())
    profile = settings.get_profile(name)
    test = getattr(item, "obj", None)
    held = getattr(test, "_hypothesis_internal_use_settings", None)
    explicit = getattr(test, "_hypothesis_internal_settings_applied", False)
    before = _current_profile()
    settings.load_profile(name)  # for settings read at run time (find(), nested @given)
    if held is not None and not explicit:
        test._hypothesis_internal_use_settings = profile  # type: ignore[union-attr]
    try:
        yield
    finally:
        if held is not None and not explicit:
            test._hypothesis_internal_use_settings = held  # type: ignore[union-attr]
        settings.load_profile(before)
