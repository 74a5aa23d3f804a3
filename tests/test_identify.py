"""Submissions as platforms hand them over, and the submissions folder as an attacker shapes it.

Every layout is built in the test from the platform's documented naming
(Canvas' ContentZipper: ``<sortable name>[_late]_<user id>_<attachment id>_<display name>``,
a re-uploaded file ``name-1.ext``; Moodle's "download all submissions":
``<Full Name>_<participant id>_assignsubmission_file_/``; Gradescope's
"Export Submissions": ``submission_<id>/`` folders beside a
``submission_metadata.yml`` listing ``:submitters:``). The workers run a
stand-in grading function: a file holding ``for:<id>`` is identified (as by
its notebook metadata) as that student, any other content by the name the
worker is given.
"""

from __future__ import annotations

import functools
import json
import os
import stat
import time
import tomllib
import zipfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import grader.batch
from convmath.errors import ConvMathError
from grader.batch import run_batch
from grader.cli.grade import main as grade_main
from grader.grade import GradingContext
from grader.gradebook import Gradebook
from grader.identify import Roster, collect_submissions, read_regular
from grader.load import SubmissionError
from grader.naming import (
    canvas_parts,
    loose_student,
    moodle_parts,
    name_bytes,
    name_text,
)
from grader.results import SubmissionResult

DATA = tomllib.loads('id = "b"\ntitle = "t"\n[[slots]]\nid = "q1"\nfamily = "conv_output_size"\npoints = 2\n')
CONTEXT = GradingContext(DATA, b"batch-secret-0123456789", roster=frozenset({"s001", "s002", "s003", "s005"}))


def fake_grade(context_data, source, data):
    """Stand-in worker: ``for:<id>`` is identified by metadata, anything else by the name it is given."""
    text = data.decode("utf-8", "replace")
    if text.startswith("for:"):
        return SubmissionResult(source, "h", text[4:], "notebook metadata", "b", "graded", 1.0, 10.0).to_dict()
    return SubmissionResult(
        source, "h", source.removesuffix(".ipynb"), "file name", "b", "graded", float(len(text)), 10.0
    ).to_dict()


def roster(
    tmp_path: Path,
    text: str = "student_id,name,canvas_id,moodle_id\ns001,Li Wei,4242,1804\n"
    "s002,Wang Fang,4343,1805\ns003,Zhang Min,4444,1806\ns005,Bob Okafor,4545,1807\n",
) -> Roster:
    (tmp_path / "roster.csv").write_text(text, encoding="utf-8")
    return Roster.load(tmp_path / "roster.csv")


def build(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)
    return root


def grade(tmp_path: Path, paths: list[Path], *, ros: Roster | None = None, jobs: int = 1, context=CONTEXT):
    with collect_submissions(paths, roster=ros) as found, Gradebook(tmp_path / "g.db") as book:
        summary = run_batch(found.items, context, book, jobs=jobs, grade_fn=fake_grade)
        return summary, {r.student: r for r in book.current("b")}, found.warnings


# -- platforms -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, parts",
    [
        ("weili_4242_99001_week3.ipynb", ("weili", False, "4242", "99001", "week3.ipynb")),
        ("weili_late_4242_99001_week3.ipynb", ("weili", True, "4242", "99001", "week3.ipynb")),
        ("weili_LATE_4242_99001_week3-2.ipynb", ("weili", True, "4242", "99001", "week3.ipynb")),
        ("4242_99001_s001.ipynb", ("", False, "4242", "99001", "s001.ipynb")),  # anonymous grading
        ("late_4242_99001_s001.ipynb", ("", True, "4242", "99001", "s001.ipynb")),
        ("s001.ipynb", None),
        ("s001_notes.ipynb", None),
    ],
    ids=["plain", "late", "late-upper-resubmitted", "anonymous", "anonymous-late", "not-canvas", "underscore"],
)
def test_canvas_names(name, parts):
    assert canvas_parts(name) == parts


def test_moodle_names():
    assert moodle_parts("Bob Okafor_1807_assignsubmission_file_") == ("Bob Okafor", "1807", "")
    assert moodle_parts("Bob Okafor_1807_assignsubmission_file_hw_3.ipynb") == ("Bob Okafor", "1807", "hw_3.ipynb")
    assert moodle_parts("s001.ipynb") is None


def test_a_canvas_download_is_mapped_through_canvas_id(tmp_path):
    subs = build(
        tmp_path / "subs",
        {
            "weili_4242_99001_week3.ipynb": "li's answers",
            "wangfang_late_4343_99002_week3-1.ipynb": "fang's",
            "nobody_9999_99003_week3.ipynb": "for:s003",
        },
    )
    summary, current, _ = grade(tmp_path, [subs], ros=roster(tmp_path))
    assert (current["s001"].source, current["s001"].identified_by) == (
        "weili_4242_99001_week3.ipynb",
        "Canvas download",
    )
    assert current["s002"].score == len("fang's")
    how = {source: how for source, _, how in summary.identified}
    assert (
        how["wangfang_late_4343_99002_week3-1.ipynb"]
        == "Canvas download (Canvas user id 4343 = roster canvas_id (late))"
    )
    # a user id the roster lacks is flagged; its metadata still places it, weakly
    assert current["s003"].identified_by == "notebook metadata"
    assert any("Canvas user id 9999 is not in the roster's canvas_id column" in f for f in current["s003"].flags)


def test_canvas_without_a_canvas_id_column_falls_back_to_the_original_name(tmp_path):
    subs = build(tmp_path / "subs", {"weili_4242_99001_s001-1.ipynb": "resubmitted"})
    _, current, warnings = grade(tmp_path, [subs], ros=roster(tmp_path, "student_id\ns001\ns002\n"))
    assert current["s001"].identified_by == "file name" and current["s001"].score == len("resubmitted")
    assert any("no canvas_id column" in w for w in warnings)


@pytest.mark.parametrize("layout", ["folders", "flat"])
def test_a_moodle_download_is_mapped_by_participant_id_or_full_name(tmp_path, layout):
    sep = "/" if layout == "folders" else ""
    subs = build(
        tmp_path / "subs",
        {
            f"Li Wei_1804_assignsubmission_file_{sep}week3.ipynb": "li",
            f"Wang Fang_77_assignsubmission_file_{sep}week3.ipynb": "fang!",  # unknown id: the full name decides
        },
    )
    summary, current, _ = grade(tmp_path, [subs], ros=roster(tmp_path))
    assert {s: (r.identified_by, r.score) for s, r in current.items()} == {
        "s001": ("Moodle download", 2.0),
        "s002": ("Moodle download", 5.0),
    }
    hows = sorted(how for _, _, how in summary.identified)
    assert hows == [
        "Moodle download (Moodle full name 'Wang Fang' = roster name)",
        "Moodle download (Moodle participant id 1804 = roster moodle_id)",
    ]


GRADESCOPE_META = """\
submission_11:
  :submitters:
  - :name: Li Wei
    :sid: 's001'
    :email: li.wei@example.edu
  :created_at: 2026-01-05 10:00:00.000000000 -08:00
  :score: 0.0
submission_12:
  :submitters:
  - :name: Wang Fang
    :sid: '999'
    :email: wang.fang@example.edu
  - :name: Zhang Min
    :sid: 's003'
    :email: zhang.min@example.edu
"""


@pytest.mark.parametrize("as_zip", [False, True], ids=["folder", "zip"])
def test_a_gradescope_export_is_read_from_its_metadata(tmp_path, as_zip):
    files = {
        "assignment_7_export/submission_metadata.yml": GRADESCOPE_META,
        "assignment_7_export/submission_11/week3.ipynb": "li",
        "assignment_7_export/submission_12/s005.ipynb": "group",  # named for someone else: weak, flagged
    }
    ros = roster(tmp_path, "student_id,email\ns001,\ns002,wang.fang@example.edu\ns003,\ns005,\n")
    if as_zip:
        with zipfile.ZipFile(tmp_path / "export.zip", "w") as archive:
            for name, text in files.items():
                archive.writestr(name, text)
        paths = [tmp_path / "export.zip"]
    else:
        paths = [build(tmp_path / "subs", files)]
    _, current, _ = grade(tmp_path, paths, ros=ros)
    assert current["s001"].identified_by == "Gradescope export" and current["s001"].score == 2.0
    # sid 999 is unknown but the e-mail is on the roster: Wang Fang (s002) uploaded the group's file
    group = current["s002"]
    assert group.identified_by == "upload folder (a file named for another student)"
    assert any("group submission" in f for f in group.flags)
    assert any("named for s005 but was uploaded by s002" in f for f in group.flags)
    assert "s005" not in current


# -- per-student upload folders (an attack: s002 uploads a file named for s001) ---------------------


@pytest.mark.parametrize("jobs", [1, 2], ids=["one-worker", "two-workers"])
def test_a_file_named_for_another_student_in_an_upload_folder_never_replaces_their_grade(tmp_path, jobs):
    subs = build(
        tmp_path / "subs",
        {
            "s001/s001.ipynb": "honest work of s001",
            "s002/s001.ipynb": "x",  # s002 tries to overwrite s001's grade
            "s003/s001.ipynb": "yy",  # s003 too, and has nothing else
            "s003/notes.ipynb": "s003's own",
        },
    )
    for _ in range(2):  # graded, then unchanged: the same outcome
        _, current, _ = grade(tmp_path, [subs], ros=roster(tmp_path), jobs=jobs)
        assert (current["s001"].source, current["s001"].score) == ("s001/s001.ipynb", len("honest work of s001"))
        assert current["s002"].source == "s002/s001.ipynb"
        assert "never counts for s001" in current["s002"].flags[0]
        assert current["s003"].source == "s003/notes.ipynb"  # its own file beats the one named for s001


def test_without_a_roster_upload_folders_still_stop_a_file_named_for_a_neighbour(tmp_path):
    subs = build(
        tmp_path / "subs",
        {
            "s001/s001.ipynb": "honest work of s001",
            "s002/s001.ipynb": "x",
            "section1/s007.ipynb": "filed by section",  # a folder of notebooks, not an upload: the name decides
            "s008/my notebook.ipynb": "s008's",  # a name that is no id: the folder is the uploader
        },
    )
    _, current, _ = grade(tmp_path, [subs], context=GradingContext(DATA, b"batch-secret-0123456789"))
    assert current["s001"].source == "s001/s001.ipynb" and "never counts for s001" in current["s002"].flags[0]
    assert (current["s007"].source, current["s007"].identified_by) == ("section1/s007.ipynb", "file name")
    assert (current["s008"].source, current["s008"].identified_by) == ("s008/my notebook.ipynb", "upload folder")


# -- hostile files in the folder ---------------------------------------------------------------------


def test_a_fifo_named_like_a_notebook_does_not_block_the_batch(tmp_path):
    subs = build(tmp_path / "subs", {"s001.ipynb": "fine"})
    os.mkfifo(subs / "s002.ipynb")
    start = time.monotonic()
    _, current, _ = grade(tmp_path, [subs])
    assert time.monotonic() - start < 30
    assert current["s001"].status == "graded"
    assert current["s002"].status == "error" and "a FIFO, not a regular file" in current["s002"].message
    again, _, _ = grade(tmp_path, [subs])  # refused once, not again and again
    assert (again.errors, again.unchanged) == (0, 2)


def test_a_character_device_and_a_symbolic_link_are_refused_unread(tmp_path):
    with pytest.raises(SubmissionError, match="a character device, not a regular file"):
        read_regular("/dev/zero", 100)
    subs = build(tmp_path / "subs", {"s001.ipynb": "fine"})
    (subs / "s003.ipynb").symlink_to("/dev/zero")
    _, current, _ = grade(tmp_path, [subs])
    assert "symbolic link" in current["s003"].message


def test_a_large_file_is_refused_after_reading_at_most_the_limit(tmp_path):
    (tmp_path / "big.ipynb").write_bytes(b"x" * 5000)
    with pytest.raises(SubmissionError, match="the limit is"):
        read_regular(tmp_path / "big.ipynb", 4096)
    assert read_regular(tmp_path / "big.ipynb", 5000) == b"x" * 5000


@given(st.binary(min_size=1, max_size=40))
def test_file_names_are_stored_losslessly(raw):
    text = name_text(raw)
    text.encode("utf-8")  # storable as SQLite TEXT
    assert name_bytes(text) == raw


def test_a_name_that_is_not_utf8_is_graded_shown_escaped_and_stored_losslessly(tmp_path, monkeypatch, capsys):
    raw = b"\xd6\xd0\xce\xc4\x1b[2J.ipynb"  # GBK bytes, then a clear-screen escape
    subs = tmp_path / "subs"
    subs.mkdir()
    with open(os.path.join(os.fsencode(subs), raw), "wb") as handle:
        handle.write(b"for:s002")
    monkeypatch.setattr(grader.batch, "run_batch", functools.partial(grader.batch.run_batch, grade_fn=fake_grade))
    args = cli_args(tmp_path, subs)
    assert grade_main(args) == 0
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\\xd6\\xd0\\xce\\xc4" in err
    with Gradebook(tmp_path / "g.db") as book:
        (stored,) = book.current("b")
    assert stored.student == "s002" and name_bytes(stored.source) == raw


def cli_args(tmp_path, *subs, extra=()):
    (tmp_path / "a.toml").write_text('id = "b"\ntitle = "t"\n[[slots]]\nid = "q1"\nfamily = "conv_output_size"\n')
    (tmp_path / "s").write_bytes(b"batch-secret-0123456789")
    return [
        *map(str, subs),
        "--assignment",
        str(tmp_path / "a.toml"),
        "--secret-file",
        str(tmp_path / "s"),
        "--gradebook",
        str(tmp_path / "g.db"),
        "--out",
        str(tmp_path / "out"),
        "--quiet",
        "--jobs",
        "1",
        *extra,
    ]


@pytest.mark.parametrize("name", ["grades.json.ipynb", "GRADES.CSV.ipynb", "identified.csv.ipynb"])
def test_a_student_id_never_collides_with_an_export(tmp_path, monkeypatch, name):
    subs = build(tmp_path / "subs", {name: "x", "s001.ipynb": "ok"})
    monkeypatch.setattr(grader.batch, "run_batch", functools.partial(grader.batch.run_batch, grade_fn=fake_grade))
    assert grade_main(cli_args(tmp_path, subs)) == 0
    assert [r["student"] for r in json.loads((tmp_path / "out" / "grades.json").read_text())] == ["s001"]
    assert (tmp_path / "out" / "grades.csv").is_file()


def test_a_roster_naming_an_export_is_refused(tmp_path):
    with pytest.raises(ConvMathError, match="student_id='grades.json' is the name of an export file"):
        roster(tmp_path, "student_id\ngrades.json\n")


# -- names that only look like an id ------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, student",
    [
        ("s005 (2).ipynb", "s005"),
        ("s005-1.ipynb", "s005"),
        ("s005_copy.ipynb", "s005"),
        ("Copy of s005.ipynb", "s005"),
        ("s005.ipynb", None),
        ("s009 (2).ipynb", None),
        ("notes.ipynb", None),
    ],
    ids=["browser-copy", "dash-number", "underscore-copy", "copy-of", "exact", "not-on-roster", "no-id"],
)
def test_names_that_only_look_like_an_id(name, student):
    assert loose_student(name, roster={"s001", "s005"}) == student


def test_a_copy_of_another_students_notebook_under_a_decorated_name_is_flagged_not_credited(tmp_path):
    subs = build(tmp_path / "subs", {"s005 (2).ipynb": "for:s001", "s002 (1).ipynb": "for:s002"})
    _, current, _ = grade(tmp_path, [subs])
    assert "s005" not in current  # never credited to s005 on the strength of its name
    assert current["s001"].identified_by == "notebook metadata"
    assert "looks like a copy of s005's file but the notebook was generated for s001" in current["s001"].flags[0]
    # the same decoration with metadata that agrees is the student's own re-download
    assert current["s002"].identified_by == "file name with a copy suffix, confirmed by the notebook metadata"
    assert current["s002"].flags == ()


# -- archives ----------------------------------------------------------------------------------------


def test_a_zip_is_read_in_place_and_its_traps_are_refused(tmp_path, monkeypatch):
    path = tmp_path / "subs.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("s001.ipynb", "inside")
        archive.writestr("../s002.ipynb", "climbs out")
        archive.writestr("/etc/s003.ipynb", "absolute")
        link = zipfile.ZipInfo("s005.ipynb")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
        archive.writestr("bomb/s002.ipynb", b"\0" * (30 * 2**20))  # 30 MB of zeros, ~30 kB compressed
        archive.writestr("a" * 60_000 + ".ipynb", "for:s001")  # a name that would land whole in every file
    before = sorted(p.name for p in tmp_path.iterdir())
    with collect_submissions([path]) as found:
        assert [s.source for s in found.items] == ["subs.zip/s001.ipynb"]
        refused = dict(found.refused)
        assert "leaves the archive" in refused["subs.zip/../s002.ipynb"]
        assert "leaves the archive" in refused["subs.zip//etc/s003.ipynb"]
        assert "symbolic link" in refused["subs.zip/s005.ipynb"]
        assert "zip bomb" in refused["subs.zip/bomb/s002.ipynb"]
        assert [why for shown, why in found.refused if "characters long" in why] and max(
            len(shown) for shown, _ in found.refused
        ) < 300
        with Gradebook(tmp_path / "g.db") as book:
            run_batch(found.items, CONTEXT, book, jobs=1, grade_fn=fake_grade)
            assert [(r.student, r.source) for r in book.current("b")] == [("s001", "subs.zip/s001.ipynb")]
    after = {p.name for p in tmp_path.iterdir()} - {"g.db", "g.db-wal", "g.db-shm"}
    assert sorted(after) == before  # nothing unpacked to disk
    monkeypatch.setattr("grader.identify.ZIP_MAX_TOTAL", 1000)
    with pytest.raises(ConvMathError, match="a zip bomb"):
        collect_submissions([path])


def test_an_undecodable_zip_member_name_is_kept_losslessly(tmp_path):
    path = tmp_path / "win.zip"
    with zipfile.ZipFile(path, "w") as archive:
        info = zipfile.ZipInfo("x.ipynb")
        archive.writestr(info, "for:s001")
    raw = path.read_bytes().replace(b"x.ipynb", b"\xd7.ipynb")  # a cp936 byte, flag 0x800 unset
    path.write_bytes(raw)
    with collect_submissions([path]) as found:
        (item,) = found.items
        assert name_bytes(item.name) == b"\xd7.ipynb"


def flagging_grade(context_data, source, data):
    """Stand-in worker: a file holding ``key`` is an answer key (flagged, full marks)."""
    out = fake_grade(context_data, source, data)
    if data == b"key":
        out.update(score=10.0, flags=["the notebook is an answer key (metadata role 'key'), not a student notebook"])
    return out


def test_flags_absences_and_identification_reach_the_terminal_and_the_csv(tmp_path, monkeypatch, capsys):
    import csv

    subs = build(tmp_path / "subs", {"s005.ipynb": "key", "s001.ipynb": "mine", "weili_4242_99_hw\x1b[2J.ipynb": "x"})
    (tmp_path / "roster.csv").write_text(
        "student_id,name,email,section,canvas_id\ns001,Li Wei,li@x,A,4242\n"
        "s002,Wang Fang,wf@x,B,4343\ns005,Bob Okafor,bo@x,A,4545\n"
    )
    monkeypatch.setattr(grader.batch, "run_batch", functools.partial(grader.batch.run_batch, grade_fn=flagging_grade))
    assert grade_main(cli_args(tmp_path, subs, extra=("--roster", str(tmp_path / "roster.csv")))) == 0
    err = capsys.readouterr().err
    assert "convmath grade: FLAGGED s005: the notebook is an answer key" in err
    assert "convmath grade: absent (no submission): s002" in err
    assert "identified: 2 by file name, 1 by Canvas download" in err
    assert "weili_4242_99_hw\\x1b[2J.ipynb -> s001: Canvas download (Canvas user id 4242 = roster canvas_id)" in err
    assert "\x1b" not in err
    rows = {r["student"]: r for r in csv.DictReader((tmp_path / "out" / "grades.csv").open())}
    assert (rows["s005"]["status"], rows["s005"]["section"], rows["s005"]["email"]) == ("graded", "A", "bo@x")
    assert rows["s005"]["flags"].startswith("the notebook is an answer key")
    assert (rows["s002"]["status"], rows["s002"]["name"]) == ("absent", "Wang Fang")
    ident = list(csv.DictReader((tmp_path / "out" / "identified.csv").open()))
    assert {r["student"] for r in ident} == {"s001", "s005"} and len(ident) == 3


@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_gradescope_metadata_with_either_line_ending_and_quoting(newline):
    from grader.naming import parse_gradescope_metadata

    text = newline.join(
        [
            "submission_5:",
            "  :submitters:",
            '  - :name: "Li, Wei"',
            "    :sid: 's001'",
            "    :email: li@x",
            "  :score: 1.0",
            "submission_6:",
            "  :submitters: []",
            "",
        ]
    )
    assert parse_gradescope_metadata(text) == {
        "submission_5": [{"name": "Li, Wei", "sid": "s001", "email": "li@x"}],
        "submission_6": [],
    }
