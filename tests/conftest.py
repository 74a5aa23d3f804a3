"""Shared fixtures of the test suite."""

from __future__ import annotations

import pytest


@pytest.fixture
def clean_registry():
    """Families and misconceptions a test registers (question files, course packages) are removed afterwards."""
    from convmath.misconceptions import CATALOGUE
    from exercises.families import FAMILIES, families

    families()
    before_families, before_catalogue = dict(FAMILIES), dict(CATALOGUE)
    yield
    FAMILIES.clear()
    FAMILIES.update(before_families)
    CATALOGUE.clear()
    CATALOGUE.update(before_catalogue)
