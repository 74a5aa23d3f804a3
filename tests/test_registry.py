"""The family registry: the decorator, course packages' entry points, ``family = "pkg.module:NAME"`` in an
assignment, a course's own misconceptions, and the family contract run over every registered family."""

from __future__ import annotations

import importlib
import sys

import pytest

from convmath.errors import ConvMathError
from convmath.misconceptions import CATALOGUE
from exercises import families as registry_module
from exercises.assignment import build_exercises, parse_assignment
from exercises.families import FAMILIES, Family, families, generate, register, register_misconception, resolve_family
from exercises.families._common import bilingual, make_exercise, make_part
from exercises.model import AnswerSpec
from exercises.testing import check_family

COURSE_MODULE = """
from exercises.families import register, register_misconception
from exercises.families._common import bilingual, make_exercise, make_part, wrong_answers
from exercises.model import AnswerSpec

register_misconception(
    "course_doubled_stride", wrong=lambda n, s: n // (2 * s),
    feedback={"en": "{value} divides by the stride twice.", "zh": "{value} 是把步幅除了两次得到的结果。"})


@register(name="course_downsample", title={"en": "Downsampling", "zh": "下采样"}, difficulties=(1, 2),
          options={"factor": 2})
def draw(rng, difficulty, options):
    n = rng.randrange(8, 64, 2) * difficulty
    s = options.get("factor", 2)
    expected = n // s
    wrongs = wrong_answers(expected, {"course_doubled_stride": lambda: n // (2 * s)})
    part = make_part("a", bilingual("Define `down`.", "请赋给变量 `down`。"), AnswerSpec("integer", "down", expected),
                     f"down = {n} // {s}", wrongs)
    return make_exercise("course_downsample", difficulty, {"n": n, "s": s},
                         bilingual(f"Length {n}, stride {s}: the output length?", f"长度 {n}，步幅 {s}：输出长度？"),
                         [part], {"en": [f"{n} // {s} = {expected}"], "zh": [f"{n} // {s} = {expected}"]})
"""


@pytest.fixture
def course_package(tmp_path, monkeypatch):
    """A fake installed distribution exposing a family through the entry-point group ``convmath.families``."""
    families()
    before_f, before_c = dict(FAMILIES), dict(CATALOGUE)
    (tmp_path / "course_pkg").mkdir()
    (tmp_path / "course_pkg" / "__init__.py").write_text("")
    (tmp_path / "course_pkg" / "families.py").write_text(COURSE_MODULE)
    info = tmp_path / "course_pkg-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: course-pkg\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[convmath.families]\ndownsample = course_pkg.families\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    monkeypatch.setattr(registry_module, "_loaded", False)
    yield tmp_path
    for name in [m for m in sys.modules if m.startswith("course_pkg")]:
        del sys.modules[name]
    FAMILIES.clear()
    FAMILIES.update(before_f)
    CATALOGUE.clear()
    CATALOGUE.update(before_c)
    registry_module._BROKEN.clear()


def test_an_installed_course_package_adds_its_family(course_package):
    registry = families()
    family = registry["course_downsample"]
    assert family.difficulties == (1, 2) and family.options == {"factor": 2}
    assert "course_doubled_stride" in CATALOGUE
    ex = generate("course_downsample", 3, difficulty=2, options={"factor": 4})
    assert ex.parts[0].answer.expected == ex.params["n"] // 4
    assert check_family("course_downsample", seeds=10, roster=0).ok


def test_a_slot_names_a_family_by_module_path(course_package):
    data = {"id": "w1", "title": "t", "slots": [{"id": "q1", "family": "course_pkg.families:draw", "points": 2}]}
    assignment = parse_assignment(data)
    assert assignment.slots[0].family == "course_downsample"
    ((slot, ex),) = build_exercises(assignment, b"0123456789abcdef", "alice")
    assert ex.points == 2 and ex.family == "course_downsample"


def test_a_broken_entry_point_is_named_not_fatal(tmp_path, monkeypatch, course_package):
    (course_package / "course_pkg-1.0.dist-info" / "entry_points.txt").write_text(
        "[convmath.families]\nbroken = course_pkg.missing_module\n"
    )
    with pytest.warns(UserWarning, match="entry point 'broken'"):
        registry = families()
    assert "conv_output_size" in registry
    with pytest.raises(ConvMathError, match="entry point 'broken' .* failed to load: ModuleNotFoundError"):
        resolve_family("course_downsample")


BAD_REFS = {
    "unknown": ("no_family", "family='no_family' is not a known family"),
    "no-module": ("no_such_pkg.mod:X", "cannot be loaded: No module named 'no_such_pkg'"),
    "not-a-family": ("exercises.families:FAMILIES", "is a dict, not an exercises.families.Family"),
}


@pytest.mark.parametrize("ref, message", BAD_REFS.values(), ids=list(BAD_REFS))
def test_bad_family_references(ref, message):
    with pytest.raises(ConvMathError, match=message):
        parse_assignment({"id": "w1", "title": "t", "slots": [{"id": "q1", "family": ref}]})


def test_a_slot_gives_family_or_question_not_both():
    with pytest.raises(ConvMathError, match="give either family"):
        parse_assignment(
            {"id": "w1", "title": "t", "slots": [{"id": "q1", "family": "conv_macs", "question": "x.toml"}]}
        )


def _draw(rng, difficulty, options):
    part = make_part("a", bilingual("Define `x`.", "请赋给变量 `x`。"), AnswerSpec("integer", "x", 1), "x = 1")
    return make_exercise("demo_dec", difficulty, {}, bilingual("x?", "x？"), [part], {"en": ["1"], "zh": ["1"]})


BAD_FAMILIES = {
    "name": (dict(name="Bad Name", title=bilingual("t", "题")), "name='Bad Name' is not allowed"),
    "title": (dict(name="demo_dec", title={"en": "t"}), "title has no 'zh' text"),
    "levels": (dict(name="demo_dec", title=bilingual("t", "题"), difficulties=(0,)), "must be positive ints"),
    "no-title": (dict(name="demo_dec"), "needs name= and title="),
}


@pytest.mark.parametrize("kwargs, message", BAD_FAMILIES.values(), ids=list(BAD_FAMILIES))
def test_the_decorator_validates_the_family(kwargs, message):
    with pytest.raises(ConvMathError, match=message):
        register(**kwargs)(_draw)
    assert "demo_dec" not in FAMILIES


def test_the_decorator_registers_and_returns_the_family():
    family = register(name="demo_dec", title=bilingual("t", "题"))(_draw)
    try:
        assert isinstance(family, Family) and families()["demo_dec"] is family
        assert family.source.endswith(":_draw")
        with pytest.raises(ConvMathError, match="registered twice"):
            register(name="demo_dec", title=bilingual("t", "题"))(lambda rng, d, o: None)
    finally:
        del FAMILIES["demo_dec"]


GOOD_FEEDBACK = {"en": "{value} is off.", "zh": "{value} 不对。"}
BAD_MISCONCEPTIONS = {
    "label": (dict(label="Bad-Label", wrong=len, feedback=GOOD_FEEDBACK), "label='Bad-Label' is not allowed"),
    "builtin": (dict(label="forgot_plus_one", wrong=len, feedback=GOOD_FEEDBACK), "is a built-in misconception"),
    "not-callable": (dict(label="mine", wrong=3, feedback=GOOD_FEEDBACK), "wrong=3 must be callable"),
    "no-value": (dict(label="mine", wrong=len, feedback={"en": "off", "zh": "{value} 不对"}), "must contain {value}"),
    "no-zh": (dict(label="mine", wrong=len, feedback={"en": "{value}"}), "feedback has no 'zh' text"),
    "not-chinese": (dict(label="mine", wrong=len, feedback={"en": "{value}", "zh": "{value} wrong"}), "not Chinese"),
    "bad-placeholder": (
        dict(label="mine", wrong=len, feedback={"en": "{value} {x}", "zh": "{value} 不对"}),
        "bad placeholder",
    ),
    "extra-locale": (
        dict(label="mine", wrong=len, feedback={**GOOD_FEEDBACK, "fr": "{value}"}),
        "locale 'fr' is not allowed",
    ),
}


@pytest.mark.parametrize("kwargs, message", BAD_MISCONCEPTIONS.values(), ids=list(BAD_MISCONCEPTIONS))
def test_a_course_misconception_is_validated_like_the_builtins(kwargs, message):
    label = kwargs.pop("label")
    with pytest.raises(ConvMathError, match=message):
        register_misconception(label, **kwargs)
    assert "mine" not in CATALOGUE


def test_every_builtin_misconception_passes_the_course_validation():
    """The rules a course's misconception must meet are the ones the catalogue's own entries meet."""
    builtin = dict(CATALOGUE)
    try:
        for label, entry in builtin.items():
            copy = register_misconception(
                f"copy_of_{label}",
                wrong=entry.wrong,
                feedback=entry.feedback,
                title=entry.title,
                quantity=entry.quantity,
            )
            assert copy.feedback == entry.feedback and copy.title == entry.title
    finally:
        CATALOGUE.clear()
        CATALOGUE.update(builtin)


def test_a_course_misconception_reaches_the_feedback():
    from convmath.misconceptions import feedback

    try:
        register_misconception("demo_mine", wrong=len, feedback=GOOD_FEEDBACK, title={"en": "mine", "zh": "我的"})
        assert feedback("demo_mine", 7, "zh") == "7 不对。"
        assert (
            register_misconception("demo_mine", wrong=len, feedback=GOOD_FEEDBACK, title={"en": "mine", "zh": "我的"})
            is CATALOGUE["demo_mine"]
        )
        with pytest.raises(ConvMathError, match="registered twice with different texts"):
            register_misconception("demo_mine", wrong=len, feedback={"en": "{value}!", "zh": "{value} 错"})
    finally:
        CATALOGUE.pop("demo_mine", None)


# ----------------------------------------------------------------------------- the contract, for every family


@pytest.mark.parametrize("name", list(families()))
def test_every_registered_family_keeps_the_contract(name):
    report = check_family(name, seeds=6, roster=0, selftest_seeds=1, mutation=False)
    assert report.ok, "\n".join(report.lines())
