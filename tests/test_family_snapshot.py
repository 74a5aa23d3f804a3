"""The built-in families draw exactly what they drew before their restructuring into draw -> solve -> render:
keys and texts are compared, variant by variant, with the snapshot in ``tests/data/family_snapshot.json``
(made with the code before the change; ``python tests/_snapshot.py`` rewrites it after a change made on purpose)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from _snapshot import PATH

SAVED = json.loads(PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def current():
    """The snapshot of today's code, made in a fresh interpreter (as ``convmath generate`` and the grader run)."""
    script = Path(__file__).parent / "_snapshot.py"
    done = subprocess.run(
        [sys.executable, str(script), "--stdout"], capture_output=True, text=True, check=True, timeout=900
    )
    return json.loads(done.stdout)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SAVED))
def test_keys_and_texts_are_unchanged(name, current):
    now = current[name]
    keys = [variant for variant, saved in SAVED[name].items() if now.get(variant, {}).get("keys") != saved["keys"]]
    texts = [variant for variant, saved in SAVED[name].items() if now.get(variant, {}).get("texts") != saved["texts"]]
    assert not keys, f"{name}: the keys changed for level:seed {keys[:5]}"
    assert not texts, f"{name}: the texts changed for level:seed {texts[:5]}"
