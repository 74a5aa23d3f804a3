"""pytest configuration of convmath's own suite (the tests and the doctests of every package).

convmath's pytest plugin (:mod:`convmath.testing.plugin`) changes nothing
unless asked. When convmath is installed (``pip install -e '.[dev]'``, as
``.ci/run`` does) pytest loads it through its ``pytest11`` entry point; from a
plain checkout it is loaded here. Our suite then asks for a profile in
``pyproject.toml`` (``--convmath-profile=auto``: ``CONVMATH_HYPOTHESIS_PROFILE``
if set, else ``convmath-ci`` under CI, else ``convmath-dev``).
"""

from importlib.metadata import entry_points

_installed = any(ep.value == "convmath.testing.plugin" for ep in entry_points(group="pytest11"))
pytest_plugins = ["pytester"] + ([] if _installed else ["convmath.testing.plugin"])
