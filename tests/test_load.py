"""Loading submitted bytes: limits, decoding, JSON, nbformat versions, structure, identity."""

from __future__ import annotations

import json

import nbformat
import pytest

from grader.load import MAX_BYTES, SubmissionError, identify, load_notebook, named_student


def nb_bytes(cells=None, *, major=4, minor=5, meta=None, **extra) -> bytes:
    cells = (
        [{"cell_type": "code", "source": "x = 1", "metadata": {}, "outputs": [], "execution_count": None, "id": "c1"}]
        if cells is None
        else cells
    )
    data = {"nbformat": major, "nbformat_minor": minor, "metadata": meta or {}, "cells": cells, **extra}
    return json.dumps(data, ensure_ascii=False).encode()


def code(source, **metadata):
    return {"cell_type": "code", "source": source, "metadata": metadata, "outputs": [], "execution_count": None}


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"", "not valid JSON"),
        (b'{"nbformat": 4, "cells": [', "not valid JSON"),
        (b"\x89PNG\r\n\x1a\n", "not valid JSON"),
        (b"[1, 2, 3]", "JSON but not a Jupyter notebook"),
        (b'{"cells": []}', "JSON but not a Jupyter notebook"),
        (b"[" * 200_000 + b"]" * 200_000, "not a readable notebook|not valid JSON"),
        (nb_bytes(major=5, minor=0), r"nbformat 5\.0 is not supported"),
        (nb_bytes(major=2, minor=0), r"nbformat 2\.0 is not supported"),
        (nb_bytes(major="4"), "nbformat='4' .* is not a notebook version"),
        (nb_bytes(cells={"a": 1}), "has no list of cells"),
        (nb_bytes(cells=[{"source": "x"}]), "cell 1 is not a code, markdown or raw cell"),
        (nb_bytes(cells=[code(["x", 3])]), "cell 1 has a source that is neither text nor a list of lines"),
        (nb_bytes(cells=[code("")] * 3), "has 3 cells; the limit is 2"),
    ],
    ids=[
        "empty",
        "truncated",
        "binary",
        "json-list",
        "no-nbformat",
        "deeply-nested",
        "future-major",
        "ancient",
        "string-version",
        "cells-not-list",
        "cell-without-type",
        "bad-source",
        "too-many-cells",
    ],
)
def test_unreadable_files_raise_a_reason(data, reason):
    with pytest.raises(SubmissionError, match=reason):
        load_notebook(data, max_cells=2)


def test_size_is_checked_before_parsing():
    with pytest.raises(SubmissionError, match=r"the file is 1\.0 MB; the limit is 0 MB \(clear the outputs"):
        load_notebook(b"x" * 2**20, max_bytes=1000)
    assert MAX_BYTES == 20 * 2**20


def test_outputs_and_attachments_are_dropped():
    cell = code("y = 2")
    cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "A" * 1000}]
    md = {
        "cell_type": "markdown",
        "source": "![x](attachment:x.png)",
        "metadata": {},
        "attachments": {"x.png": {"image/png": "AAAA"}},
    }
    loaded = load_notebook(nb_bytes([cell, md]))
    assert [(c.cell_type, c.source) for c in loaded.cells] == [
        ("code", "y = 2"),
        ("markdown", "![x](attachment:x.png)"),
    ]
    assert not hasattr(loaded.cells[0], "outputs")


@pytest.mark.parametrize(
    "minor, note",
    [
        (5, None),
        (4, "nbformat 4.4 was upgraded to 4.5"),
        (0, "nbformat 4.0 was upgraded to 4.5"),
        (9, "nbformat 4.9 is newer than this grader knows (4.5); it was read as 4.5"),
    ],
    ids=["current", "4.4", "4.0", "future-minor"],
)
def test_v4_minor_versions(minor, note):
    loaded = load_notebook(nb_bytes(minor=minor))
    assert loaded.version == f"4.{minor}"
    assert loaded.notes == (() if note is None else (note,))
    assert loaded.cells[0].source == "x = 1"


def test_nbformat3_is_upgraded():
    v3 = nbformat.v3.new_notebook(
        worksheets=[
            nbformat.v3.new_worksheet(
                cells=[
                    nbformat.v3.new_code_cell(input="answer = 42"),
                    nbformat.v3.new_text_cell("markdown", source="hi"),
                ]
            )
        ]
    )
    loaded = load_notebook(json.dumps(v3).encode())
    assert loaded.version == "3"
    assert [(c.cell_type, c.source) for c in loaded.cells] == [("code", "answer = 42"), ("markdown", "hi")]
    assert "nbformat 3 was upgraded" in loaded.notes[0]


def test_non_utf8_bytes_are_replaced_with_a_note():
    data = nb_bytes([code("x = 1  # café")]).replace("é".encode(), b"\xe9")
    loaded = load_notebook(data)
    assert loaded.cells[0].source == "x = 1  # caf\ufffd"
    assert loaded.notes[0].startswith("the file is not valid UTF-8 (byte 0xe9 at offset ")


def test_bom_is_accepted():
    assert load_notebook(b"\xef\xbb\xbf" + nb_bytes()).cells[0].source == "x = 1"


def test_metadata_only_keeps_strings():
    cell = code("n = 3", convmath={"slot": "q1", "part": "a", "evil": {"x": 1}}, tags=["convmath-answer", 7])
    loaded = load_notebook(nb_bytes([cell], meta={"convmath": {"student": "bob", "version": 3}}))
    assert loaded.meta == {"student": "bob"}
    assert loaded.cells[0].convmath == {"slot": "q1", "part": "a"}
    assert loaded.cells[0].tags == ("convmath-answer",)


@pytest.mark.parametrize(
    "source, meta, roster, expected",
    [
        ("alice.ipynb", "alice", None, ("alice", "file name", 0)),
        ("dir/sub/alice.ipynb", None, None, ("alice", "file name", 0)),
        ("alice.ipynb", "bob", None, ("alice", "file name", 1)),
        ("Notebook (1).ipynb", "bob", None, ("bob", "notebook metadata", 0)),
        ("homework.ipynb", "bob", {"alice", "bob"}, ("bob", "notebook metadata", 0)),
        ("alice.ipynb", "bob", {"alice", "bob"}, ("alice", "file name", 1)),
    ],
    ids=[
        "name-and-meta-agree",
        "folders-ignored",
        "meta-names-someone-else",
        "unsafe-name-uses-meta",
        "name-not-on-roster",
        "roster-other-student",
    ],
)
def test_identify(source, meta, roster, expected):
    ident = identify(source, meta, roster=roster)
    assert (ident.student, ident.how, len(ident.flags)) == expected


@pytest.mark.parametrize(
    "source, meta, roster",
    [
        ("Notebook (1).ipynb", None, None),
        ("x y.ipynb", "../etc", None),
        ("mallory.ipynb", "eve", {"alice"}),
        (".hidden.ipynb", "", None),
    ],
    ids=["no-id-anywhere", "path-in-metadata", "not-on-roster", "dotfile-and-empty"],
)
def test_identify_refuses(source, meta, roster):
    with pytest.raises(SubmissionError, match="cannot tell whose notebook .* is"):
        identify(source, meta, roster=roster)


@pytest.mark.parametrize(
    "source, roster, expected",
    [
        ("s002.ipynb", None, "s002"),
        ("subs/2024/s002.ipynb", None, "s002"),
        ("s002.IPYNB", None, "s002"),
        ("s002.ipynb", {"s002"}, "s002"),
        ("s002.ipynb", {"s001"}, None),
        ("Notebook (1).ipynb", None, None),
        (".ipynb", None, None),
        ("../s002.ipynb/x.ipynb", None, "x"),
    ],
    ids=[
        "plain",
        "folders-ignored",
        "extension-any-case",
        "on-roster",
        "not-on-roster",
        "unsafe-name",
        "empty-stem",
        "only-the-last-component",
    ],
)
def test_named_student_is_the_file_name_identity(source, roster, expected):
    assert named_student(source, roster=roster) == expected
    if expected is not None:  # identify trusts exactly these names over any metadata
        known = None if roster is None else roster | {"someone-else"}
        assert identify(source, "someone-else", roster=known).student == expected
