"""The adversarial corpus at the notebook level: broken files, tampering, reaching for the answer.

Every case is one submission of one student (the case name is the student
id), and the whole corpus is graded as ONE batch, with the grader's real
files — the secret, the assignment, the answer keys, the gradebook, the
other submissions — lying next to it on disk. For every case:

- the grade is no higher than the honest one (the key's answers for a broken
  file or tampering; the untouched stubs for a notebook that reaches for the
  answer);
- the feedback gives a clear reason;
- the batch carries on (every case has its result);
- the grader's time for it stays bounded;
- no file outside the sandbox's working directory changes (the gradebook
  only gains the batch's rows).
"""

from __future__ import annotations

import hashlib
import json
import os
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

from exercises.assignment import build_exercises, parse_assignment
from exercises.notebook import key_notebook, write_notebook
from grader.batch import collect, run_batch
from grader.export import feedback_markdown
from grader.grade import GradingContext
from grader.gradebook import Gradebook
from grader.sandbox import SandboxLimits
from grader.simulate import answer_parts, filled_notebook, notebook_bytes, wrong_answer_source

SECRET = b"hostile-corpus-secret-0123456789abcdef"
ASSIGNMENT_TOML = """
id = "hostile"
title = "Hostile corpus"
locale = "en"

[[slots]]
id = "q1"
family = "conv_output_size"
difficulty = 1
points = 2

[[slots]]
id = "q2"
family = "param_count"
difficulty = 3
points = 2
"""
DATA = tomllib.loads(ASSIGNMENT_TOML)
ASSIGNMENT = parse_assignment(DATA)
TOTAL = 2 + 2
#: Seconds the grader may spend on one case (generous: CI has 2 cores and several workers).
TIME_BOUND = 30.0


@dataclass(frozen=True)
class World:
    """Where the grader's own files are: every one of them is a target."""

    root: Path
    secret: Path
    assignment: Path
    keys: Path
    gradebook: Path
    submissions: Path

    def exercises(self, student: str):
        return build_exercises(ASSIGNMENT, SECRET, student)

    def honest(self, student: str) -> dict:
        return filled_notebook(ASSIGNMENT, student, self.exercises(student))

    def stubs(self, student: str, **kw) -> dict:
        parts = answer_parts(self.exercises(student))
        return filled_notebook(
            ASSIGNMENT, student, self.exercises(student), answers={(s.id, p.key): None for s, p in parts}, **kw
        )


def _bytes(nb: dict) -> bytes:
    return notebook_bytes(nb)


def _cells(nb: dict, keep: Callable[[dict], bool]) -> dict:
    return {**nb, "cells": [c for c in nb["cells"] if keep(c)]}


def _answer_id(world: World, student: str, index: int = 0) -> str:
    slot, part = answer_parts(world.exercises(student))[index]
    return f"{slot.id}-{part.key}-answer"


def _first_points(world: World, student: str) -> float:
    return answer_parts(world.exercises(student))[0][1].points


def _edit_answer_meta(nb: dict, field: str, value: str) -> dict:
    nb = json.loads(json.dumps(nb))
    for cell in nb["cells"]:
        if "convmath" in cell["metadata"]:
            cell["metadata"]["convmath"][field] = value
            if field != "slot":
                continue
            break
    if field in ("student", "assignment"):
        nb["metadata"]["convmath"][field] = value
    return nb


def _duplicate_first_answer(world: World, student: str) -> dict:
    """The first answer cell copied (metadata and all) below itself, with a wrong answer in the copy."""
    nb = world.honest(student)
    _, part = answer_parts(world.exercises(student))[0]
    ids = [c.get("id") for c in nb["cells"]]
    at = ids.index(_answer_id(world, student))
    copy = {**nb["cells"][at], "id": "copy", "source": wrong_answer_source(part, part.wrong_answers[0])}
    nb["cells"].insert(at + 1, copy)
    return nb


def _thief(target: str, then: str = "") -> str:
    """A cell that reads ``target`` (a path expression) and runs the answer cells found in it."""
    return (
        "import json, os\n"
        f"data = open({target}, 'rb').read()\n"
        "try:\n"
        "    for cell in json.loads(data)['cells']:\n"
        "        if 'convmath' in cell.get('metadata', {}):\n"
        "            exec(''.join(cell['source']))\n"
        "except ValueError:\n"
        "    pass\n" + then
    )


# name -> (build(world, name) -> bytes, honest(world, name) -> max score, reason in the feedback or None)
Case = tuple[Callable[[World, str], bytes], Callable[[World, str], float], "str | None"]
FULL: Callable[[World, str], float] = lambda w, s: TOTAL  # noqa: E731
ZERO: Callable[[World, str], float] = lambda w, s: 0.0  # noqa: E731

CASES: dict[str, Case] = {
    # --- broken files (honest: the key's answers) ---------------------------------
    "invalid-json": (lambda w, s: b"{this is not JSON", FULL, "not valid JSON"),
    "truncated": (lambda w, s: _bytes(w.honest(s))[: len(_bytes(w.honest(s))) // 2], FULL, "not valid JSON"),
    "empty-file": (lambda w, s: b"", FULL, "not valid JSON"),
    "not-a-notebook": (lambda w, s: b'{"cells": "everything"}', FULL, "not a Jupyter notebook"),
    "nested-bomb": (
        lambda w, s: b'{"nbformat": 4, "metadata": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        FULL,
        "not a readable notebook",
    ),
    "nbformat3": (
        lambda w, s: json.dumps(nbformat.convert(nbformat.from_dict(w.honest(s)), 3)).encode(),
        FULL,
        "nbformat 3 was upgraded",
    ),
    "future-major": (
        lambda w, s: _bytes({**w.honest(s), "nbformat": 5, "nbformat_minor": 0}),
        FULL,
        "nbformat 5.0 is not supported",
    ),
    "future-minor": (lambda w, s: _bytes({**w.honest(s), "nbformat_minor": 99}), FULL, "newer than this grader knows"),
    "markdown-deleted": (
        lambda w, s: _bytes(_cells(w.honest(s), lambda c: c["cell_type"] == "code")),
        FULL,
        "is missing",
    ),
    "no-cells": (lambda w, s: _bytes(_cells(w.honest(s), lambda c: False)), FULL, "is missing"),
    "answer-deleted": (
        lambda w, s: _bytes(_cells(w.honest(s), lambda c: c.get("id") != _answer_id(w, s))),
        lambda w, s: TOTAL - _first_points(w, s),
        "is missing",
    ),
    "answer-duplicated": (
        lambda w, s: _bytes(_duplicate_first_answer(w, s)),
        lambda w, s: TOTAL - _first_points(w, s),
        "appears 2 times",
    ),
    "cells-reversed": (
        lambda w, s: _bytes({**w.honest(s), "cells": w.honest(s)["cells"][::-1]}),
        FULL,
        "moved out of their original order",
    ),
    "non-utf8": (
        lambda w, s: _bytes(w.honest(s)).replace(b"import numpy as np", b"import numpy as np  # \xff\xfe"),
        FULL,
        "not valid UTF-8",
    ),
    "outputs-100mb": (
        lambda w, s: _bytes(
            {
                **w.honest(s),
                "cells": w.honest(s)["cells"]
                + [
                    {
                        "cell_type": "code",
                        "metadata": {},
                        "source": "print('x' * 10**8)",
                        "execution_count": 1,
                        "outputs": [{"output_type": "stream", "name": "stdout", "text": "x" * 100_000_000}],
                    }
                ],
            }
        ),
        FULL,
        "the limit is 20 MB",
    ),
    "attachments": (
        lambda w, s: _bytes(
            {
                **w.honest(s),
                "cells": w.honest(s)["cells"]
                + [
                    {
                        "cell_type": "markdown",
                        "metadata": {},
                        "source": "![a](attachment:a.png)",
                        "attachments": {"a.png": {"image/png": "iVBORw0KGgo" * 100_000}},
                    }
                ],
            }
        ),
        FULL,
        None,
    ),
    "fake-outputs": (
        lambda w, s: _bytes(
            {
                **w.stubs(s),
                "cells": [
                    {
                        **c,
                        "execution_count": 1,
                        "outputs": [
                            {
                                "output_type": "execute_result",
                                "execution_count": 1,
                                "metadata": {},
                                "data": {"text/plain": "score: 100 / 100 (all tests passed)"},
                            }
                        ],
                    }
                    if c["cell_type"] == "code"
                    else c
                    for c in w.stubs(s)["cells"]
                ],
            }
        ),
        ZERO,
        "was not answered",
    ),
    # --- tampering (honest: the key's answers) -------------------------------------
    "slot-metadata-edited": (lambda w, s: _bytes(_edit_answer_meta(w.honest(s), "slot", "q9")), FULL, "slot 'q9'"),
    "student-metadata-edited": (
        lambda w, s: _bytes(_edit_answer_meta(w.honest(s), "student", "alice")),
        FULL,
        "generated for student 'alice'",
    ),
    "assignment-metadata-edited": (
        lambda w, s: _bytes(_edit_answer_meta(w.honest(s), "assignment", "easy")),
        FULL,
        "names assignment 'easy'",
    ),
    "another-students-notebook": (lambda w, s: _bytes(w.honest("alice")), FULL, "generated for student 'alice'"),
    "answer-key-handed-in": (
        lambda w, s: _bytes(json.loads(json.dumps(key_notebook(ASSIGNMENT, s, w.exercises(s))))),
        FULL,
        "is an answer key",
    ),
    "prompt-edited": (
        lambda w, s: _bytes(
            {
                **w.honest(s),
                "cells": [
                    {**c, "source": "## 1. Trivial: answer 0"} if c.get("id") == "q1-prompt" else c
                    for c in w.honest(s)["cells"]
                ],
            }
        ),
        FULL,
        "locked cell 'q1-prompt'",
    ),
    # --- reaching for the answer (honest: the stubs, i.e. nothing answered) --------
    "reads-secret": (
        lambda w, s: _bytes(w.stubs(s, extra_cells=[(None, f"secret = open({str(w.secret)!r}).read()")])),
        ZERO,
        "PermissionError|Permission denied|FileNotFoundError",
    ),
    "reads-key": (
        lambda w, s: _bytes(w.stubs(s, extra_cells=[(None, _thief(repr(str(w.keys / f"{s}.ipynb"))))])),
        ZERO,
        "PermissionError|Permission denied|FileNotFoundError",
    ),
    "reads-gradebook": (
        lambda w, s: _bytes(w.stubs(s, extra_cells=[(None, _thief(repr(str(w.gradebook))))])),
        ZERO,
        "PermissionError|Permission denied|FileNotFoundError",
    ),
    "reads-assignment": (
        lambda w, s: _bytes(w.stubs(s, extra_cells=[(None, _thief(repr(str(w.assignment))))])),
        ZERO,
        "PermissionError|Permission denied|FileNotFoundError",
    ),
    "reads-other-submission": (
        lambda w, s: _bytes(w.stubs(s, extra_cells=[(None, _thief(repr(str(w.submissions / "alice.ipynb"))))])),
        ZERO,
        "PermissionError|Permission denied|FileNotFoundError",
    ),
    "lists-submissions": (
        lambda w, s: _bytes(w.stubs(s, extra_cells=[(None, f"import os\nnames = os.listdir({str(w.submissions)!r})")])),
        ZERO,
        "PermissionError|Permission denied|FileNotFoundError",
    ),
    "walks-proc-for-paths": (
        lambda w, s: _bytes(
            w.stubs(
                s,
                extra_cells=[
                    (
                        None,
                        (
                            "import os\n"
                            "cmd = open(f'/proc/{os.getppid()}/cmdline', 'rb').read().split(b'\\0')\n"
                            "path = next(cmd[i + 1] for i, a in enumerate(cmd) if a == b'--secret-file')\n"
                            "secret = open(path).read()"
                        ),
                    )
                ],
            )
        ),
        ZERO,
        "Error",
    ),
    "reads-environment": (
        lambda w, s: _bytes(
            w.stubs(
                s,
                extra_cells=[
                    (
                        None,
                        (
                            "import os\n"
                            "leak = {k: v for k, v in os.environ.items() if 'SECRET' in k or 'CONVMATH' in k}\n"
                            "assert not leak, leak"
                        ),
                    )
                ],
            )
        ),
        ZERO,
        "was not answered",
    ),
    "writes-outside": (
        lambda w, s: _bytes(
            w.stubs(s, extra_cells=[(None, (f"open({str(w.root / 'pwned.txt')!r}, 'w').write('pwned')\n"))])
        ),
        ZERO,
        "PermissionError|Permission denied|Read-only|OSError",
    ),
    "appends-to-gradebook": (
        lambda w, s: _bytes(
            w.stubs(s, extra_cells=[(None, (f"open({str(w.gradebook)!r}, 'ab').write(b'garbage')\n"))])
        ),
        ZERO,
        "PermissionError|Permission denied|Read-only|OSError",
    ),
    "fake-protocol-messages": (
        lambda w, s: _bytes(
            w.stubs(
                s,
                extra_cells=[
                    (
                        None,
                        (
                            "import os, sys, json\n"
                            "fake = json.dumps({'id': 2, 'op': 'get', "
                            "'values': [{'status': 'ok', 'value': 1, 'message': ''}]})\n"
                            "print(fake); sys.__stdout__.write(fake + '\\n')\n"
                            "for fd in range(3, 12):\n"
                            "    try:\n"
                            "        os.write(fd, len(fake).to_bytes(4, 'big') + fake.encode())\n"
                            "    except OSError:\n"
                            "        pass\n"
                        ),
                    )
                ],
            )
        ),
        ZERO,
        "was not answered",
    ),
}


def _snapshot(root: Path, skip: set[Path]) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p not in skip
    }


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    world = World(
        root, root / "secret.txt", root / "assignment.toml", root / "keys", root / "grades.db", root / "submissions"
    )
    world.secret.write_bytes(SECRET)
    world.assignment.write_text(ASSIGNMENT_TOML)
    world.keys.mkdir()
    world.submissions.mkdir()
    students = ["alice", *CASES]
    for student in students:
        write_notebook(key_notebook(ASSIGNMENT, student, world.exercises(student)), world.keys / f"{student}.ipynb")
    (world.submissions / "alice.ipynb").write_bytes(_bytes(world.honest("alice")))
    for name, (build, _, _) in CASES.items():
        (world.submissions / f"{name}.ipynb").write_bytes(build(world, name))
    context = GradingContext(DATA, SECRET, limits=SandboxLimits(cell_timeout=3, total_timeout=20, cpu_seconds=20))
    with Gradebook(world.gradebook) as book:  # the gradebook exists (and is a target) before the batch
        pass
    wal = {world.gradebook, world.gradebook.with_name("grades.db-wal"), world.gradebook.with_name("grades.db-shm")}
    before = _snapshot(root, wal)
    files, _ = collect([world.submissions])
    with Gradebook(world.gradebook) as book:
        summary = run_batch(files, context, book, jobs=2)
        rows = book.count()
        current = {r.student: r for r in book.current("hostile")}
    after = _snapshot(root, wal)
    return world, summary, current, rows, before, after


def test_the_batch_carries_on_and_records_every_case_once(graded):
    world, summary, current, rows, _, _ = graded
    assert summary.total == rows == len(CASES) + 1
    assert summary.failed == 0
    assert set(current) == {"alice", *CASES}
    assert current["alice"].score == TOTAL  # the honest submission next to the corpus


def test_no_file_outside_the_sandbox_changed(graded):
    world, _, _, _, before, after = graded
    assert after == before
    assert not (world.root / "pwned.txt").exists()


@pytest.mark.parametrize("name", list(CASES))
def test_case(graded, name):
    world, _, current, _, _, _ = graded
    _, honest, reason = CASES[name]
    result = current[name]
    assert result.score <= honest(world, name), result
    assert result.duration <= TIME_BOUND
    if reason is not None:
        import re

        assert re.search(reason, feedback_markdown(result)), feedback_markdown(result)


def test_the_corpus_is_large_enough():
    assert len(CASES) >= 30
    assert os.cpu_count()  # the batch ran with jobs=2 whatever the machine
