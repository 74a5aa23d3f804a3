"""The pytest plugin in someone else's project: hands off unless asked.

Each case runs a small project of its own in a pytest subprocess (hypothesis
settings are process-global, so an in-process run would leak into ours),
with the plugin loaded as an installed convmath would load it. The project
has its own 5-example profile; the counts say which profile ran.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: This tree's plugin, as an installed convmath would load it (the entry point of an installed copy blocked).
PLUGIN = ("-p", "no:convmath", "-p", "convmath.testing.plugin")

CONFTEST = """
from hypothesis import settings

settings.register_profile("course", max_examples=5, deadline=None)
settings.load_profile("course")
"""

PROJECT = """
from hypothesis import given, settings, strategies as st
import pytest

COUNTS = {}

@given(st.integers())
def test_plain(x):
    COUNTS["plain"] = COUNTS.get("plain", 0) + 1

@pytest.mark.convmath
@given(st.integers())
def test_marked(x):
    COUNTS["marked"] = COUNTS.get("marked", 0) + 1

@pytest.mark.convmath(profile="convmath-dev")
@given(st.integers())
def test_marked_dev(x):
    COUNTS["named"] = COUNTS.get("named", 0) + 1

@given(st.integers())
def test_plain_after(x):
    COUNTS["after"] = COUNTS.get("after", 0) + 1

@pytest.mark.convmath
@settings(max_examples=3)
@given(st.integers())
def test_marked_with_own_settings(x):
    COUNTS["own"] = COUNTS.get("own", 0) + 1

def test_zz_report():
    print("COUNTS", sorted(COUNTS.items()))
"""


def _counts(pytester: pytest.Pytester, *args: str) -> tuple[dict[str, int], str]:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_course=PROJECT)
    result = pytester.runpytest_subprocess(*PLUGIN, "-s", "-p", "no:cacheprovider", *args)
    out = result.stdout.str()
    assert result.ret == 0, out + result.stderr.str()
    found = re.search(r"COUNTS (\[.*\])", out)
    assert found, out
    return dict(eval(found.group(1))), out  # our own printed list of (str, int) pairs


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.delenv("CONVMATH_HYPOTHESIS_PROFILE", raising=False)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    monkeypatch.setenv("CI", "true")  # a CI runner: the old plugin loaded its 'ci' profile on this alone
    return monkeypatch


@pytest.mark.slow
def test_unasked_the_plugin_leaves_the_projects_profile_alone(
    pytester: pytest.Pytester, env: pytest.MonkeyPatch
) -> None:
    counts, out = _counts(pytester)
    assert counts["plain"] == counts["after"] == 5
    assert counts["marked"] == 50  # the marker asks: convmath-ci (CI is set), for that test only
    assert counts["named"] == 100
    assert counts["own"] == 3  # a test's own @settings win over the marker's profile
    assert "convmath: hypothesis profile" not in out


@pytest.mark.slow
@pytest.mark.parametrize(
    ("how", "expected"),
    [
        (["--convmath-profile", "convmath-ci"], 50),
        (["--convmath-profile", "auto"], 50),
        ("dev", 100),
    ],
    ids=["option", "option-auto", "env-alias"],
)
def test_asked_the_plugin_loads_its_profile(
    pytester: pytest.Pytester, env: pytest.MonkeyPatch, how: list[str] | str, expected: int
) -> None:
    if isinstance(how, str):
        env.setenv("CONVMATH_HYPOTHESIS_PROFILE", how)
        how = []
    counts, out = _counts(pytester, *how)
    assert counts["plain"] == counts["after"] == counts["marked"] == expected
    assert counts["named"] == 100
    assert "convmath: hypothesis profile 'convmath-" in out


def test_the_profiles_cannot_clash_with_a_projects_own(env: pytest.MonkeyPatch) -> None:
    from hypothesis import settings

    from convmath.testing.plugin import PROFILES

    assert all(name.startswith("convmath-") for name in PROFILES)
    assert settings.get_profile("convmath-thorough").max_examples == 1000
    settings.register_profile("dev", max_examples=7)  # a course's own profile of a common name
    assert settings.get_profile("convmath-dev").max_examples == 100


def test_an_unknown_profile_is_a_one_line_usage_error(pytester: pytest.Pytester, env: pytest.MonkeyPatch) -> None:
    pytester.makepyfile(test_x="def test_x():\n    pass\n")
    env.setenv("CONVMATH_HYPOTHESIS_PROFILE", "fastest")
    result = pytester.runpytest_subprocess(*PLUGIN, "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "CONVMATH_HYPOTHESIS_PROFILE='fastest' is not a convmath profile" in result.stderr.str()
