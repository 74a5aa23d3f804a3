"""Snapshot of every built-in family's variants (keys and texts), to hold a refactoring to byte-identical output.

``python tests/_snapshot.py`` rewrites ``tests/data/family_snapshot.json`` from the current code: for every
family, level and seed in :data:`SEEDS`, the SHA-256 of the variant's keys (parameters, expected answers,
misconceptions' answers, key code, setup code) and of its texts (prompts, part prompts, worked solution, in
every locale). Regenerate it only for a change of keys or texts made on purpose, and say so in the commit.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

PATH = Path(__file__).parent / "data" / "family_snapshot.json"
SEEDS = range(24)


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:20]


def fingerprint(exercise: Any) -> dict[str, str]:
    """``{"keys": ..., "texts": ...}`` digests of one variant."""
    from exercises.families._common import to_plain

    plain = to_plain(exercise)
    keys = {
        "params": plain["params"],
        "setup": plain["setup_code"],
        "misconceptions": plain["misconceptions"],
        "parts": [{k: v for k, v in part.items() if k != "prompt"} for part in plain["parts"]],
    }
    texts = {"prompt": plain["prompt"], "solution": plain["solution"], "parts": [p["prompt"] for p in plain["parts"]]}
    return {"keys": _digest(keys), "texts": _digest(texts)}


def snapshot(names: list[str] | None = None) -> dict[str, dict[str, dict[str, str]]]:
    """family -> "level:seed" -> fingerprint, for the built-in families (or ``names``)."""
    from exercises.families import _MODULES, families, generate

    registry = families()
    builtin = [
        name
        for name, fam in registry.items()
        if fam.draw.__module__ in _MODULES or fam.source.split(":")[0] in _MODULES
    ]
    out: dict[str, dict[str, dict[str, str]]] = {}
    for name in names or builtin:
        out[name] = {
            f"{level}:{seed}": fingerprint(generate(name, seed, difficulty=level))
            for level in registry[name].difficulties
            for seed in SEEDS
        }
    return out


if __name__ == "__main__":  # pragma: no cover
    import sys

    sys.path.insert(0, str(Path(__file__).parents[1]))
    if sys.argv[1:] == ["--stdout"]:  # the test compares a fresh process's snapshot (no state left by other tests)
        print(json.dumps(snapshot(), sort_keys=True))
    else:
        PATH.parent.mkdir(exist_ok=True)
        PATH.write_text(json.dumps(snapshot(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
        print(f"wrote {PATH}")
