"""grader.safetext: student text is inert on a terminal, in Markdown and in HTML."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from grader.safetext import cap, escape_controls, for_html, for_markdown, for_terminal

HOSTILE = [
    pytest.param("s001\x1b]0;owned\x07.ipynb", id="osc-retitle"),
    pytest.param("\x1b[2J\x1b[HAll graded", id="clear-screen"),
    pytest.param("ok\rFAKE", id="carriage-return"),
    pytest.param("abc\u202edcba", id="bidi-override"),
    pytest.param("a\u2066b\u2069c", id="bidi-isolate"),
    pytest.param("zero\u200bwidth", id="zero-width"),
    pytest.param("line\u2028sep", id="line-separator"),
    pytest.param("\x9b31m", id="c1-csi"),
    pytest.param("bad\udcffname", id="undecodable-byte"),
]


def _unsafe(ch: str) -> bool:
    return not ch.isprintable() or unicodedata.category(ch) in {"Cc", "Cf", "Cs", "Co", "Zl", "Zp"}


@pytest.mark.parametrize("text", HOSTILE)
@pytest.mark.parametrize("show", [for_terminal, for_markdown, for_html], ids=lambda f: f.__name__)
def test_hostile_characters_are_escaped_visibly(text: str, show) -> None:
    shown = show(text)
    assert not any(_unsafe(ch) for ch in shown), repr(shown)
    assert "\\x" in shown or "\\u" in shown


@given(st.text())
def test_no_unsafe_character_survives(text: str) -> None:
    for show in (for_terminal, for_markdown, for_html):
        assert not any(_unsafe(ch) for ch in show(text, limit=10**6))


@given(st.text(alphabet=st.characters(categories=["L", "N", "P"], include_characters=" "), max_size=50))
def test_plain_text_is_unchanged_on_the_terminal(text: str) -> None:
    assert for_terminal(text) == text


def test_undecodable_byte_is_shown_as_that_byte() -> None:
    name = b"caf\xe9.ipynb".decode("utf-8", "surrogateescape")
    assert for_terminal(name) == "caf\\xe9.ipynb"


def test_multiline_keeps_line_breaks_only_when_asked() -> None:
    assert for_terminal("a\nb") == "a\\x0ab"
    assert for_terminal("a\nb", multiline=True) == "a\nb"
    assert escape_controls("a\tb") == "a\\x09b"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("**bold** _em_", "\\*\\*bold\\*\\* \\_em\\_"),
        ("# heading", "\\# heading"),
        ("  - item", "  \\- item"),
        ("3. item", "3\\. item"),
        ("[x](y)", "\\[x\\](y)"),
        ("<script>", "\\<script\\>"),
        ("&#x202e;", "\\&#x202e;"),
        ("$x^2$", "\\$x^2\\$"),
        ("`code`", "\\`code\\`"),
        ("https://evil.example/a", "https\\:\\/\\/evil.example/a"),
        ("go to www.evil.example", "go to www\\.evil.example"),
        ("mail a@b.example", "mail a\\@b.example"),
        ("3.14 is fine mid-line", "3\\.14 is fine mid-line"),
        ("shape (2, 3) mid-line", "shape (2, 3) mid-line"),
    ],
)
def test_markdown_is_escaped(text: str, shown: str) -> None:
    assert for_markdown(text) == shown


def test_markdown_multiline_escapes_every_line_start() -> None:
    assert for_markdown("ok\n# no\n> quote", multiline=True) == "ok\n\\# no\n\\> quote"


def test_html_is_escaped() -> None:
    assert for_html("<a href='x'>&</a>") == "&lt;a href=&#x27;x&#x27;&gt;&amp;&lt;/a&gt;"


@pytest.mark.parametrize("show", [for_terminal, for_markdown, for_html], ids=lambda f: f.__name__)
def test_every_view_is_bounded(show) -> None:
    shown = show("<" * 10_000_000)
    assert len(shown) < 6 * 4096 + 100
    assert "truncated, 10000000 characters in all" in shown


def test_cap() -> None:
    assert cap("abc", limit=3) == "abc"
    assert cap("abcd", limit=3) == "abc… (truncated, 4 characters in all)"
    assert re.fullmatch(r"1{5}… \(truncated, 6 characters in all\)", cap(111111, limit=5))
