r"""Make student-controlled text inert where it is shown or stored.

Everything a student controls (file names, exception messages, printed
output, class names of answers, notebook metadata) passes through one of
these functions before it reaches a terminal, a file or a page:

* :func:`cap` bounds its length, with a visible ``… (truncated)`` marker;
* :func:`for_terminal` escapes control characters (ANSI escape sequences,
  carriage returns, backspaces), bidirectional overrides, zero-width and
  other format characters, line separators and undecodable bytes, so a file
  name cannot retitle the window, clear the screen or reorder what follows;
* :func:`for_markdown` does the same and escapes Markdown's punctuation and
  bare links, so a message cannot become a heading, a link or emphasis;
* :func:`for_html` does the same and escapes HTML.

Escapes are visible and unambiguous (``\x1b``, ``\u202e``), so an instructor
sees that something odd was there. Undecodable bytes of a file name (Python
keeps them as ``surrogateescape`` code points) are shown as ``\xNN`` of the
original byte.

Examples
--------
>>> for_terminal("s001\x1b]0;owned\x07.ipynb")
's001\\x1b]0;owned\\x07.ipynb'
>>> print(for_markdown("**all graded** see http://evil.example"))
\*\*all graded\*\* see http\:\/\/evil.example
>>> for_html("<b>hi</b>\u202e")
'&lt;b&gt;hi&lt;/b&gt;\\u202e'
>>> cap("x" * 10, limit=4)
'xxxx… (truncated, 10 characters in all)'
"""

from __future__ import annotations

import html
import re
import unicodedata

__all__ = [
    "DEFAULT_LIMIT",
    "MESSAGE_LIMIT",
    "MAX_ITEMS",
    "cap",
    "cap_items",
    "escape_controls",
    "for_terminal",
    "for_markdown",
    "for_html",
]

#: Default bound on one student-controlled string, in characters.
DEFAULT_LIMIT = 4096
#: Bound on one stored message, note or flag of a result (characters, before escaping).
MESSAGE_LIMIT = 2048
#: Most notes or flags kept per result; the rest are counted in one last item.
MAX_ITEMS = 50

#: Unicode categories never shown raw: controls, format characters (bidi
#: overrides, zero-width joiners), surrogates, private use, line/paragraph separators.
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Zl", "Zp"})

#: Characters Markdown (CommonMark / GFM, and Jupyter's ``$`` maths) gives a
#: meaning to anywhere in a line; all are ASCII punctuation, which CommonMark
#: lets a backslash escape.
_MARKDOWN_INLINE = re.compile(r"([\\`*_\[\]<>!|~&$])")
#: Block markers, which count only at the start of a line: headings, quotes,
#: list items, thematic breaks, setext underlines, tables.
_MARKDOWN_LINE_START = re.compile(r"^([ \t]*)([#>+=:-]|\d+[.)])", re.MULTILINE)
#: Bare links that GFM turns into anchors: ``scheme://``, ``www.``, e-mail.
_MARKDOWN_AUTOLINK = re.compile(r"(://|(?<![\w])www\.|@)", re.IGNORECASE)


def _escape_char(ch: str) -> str:
    cp = ord(ch)
    if 0xDC80 <= cp <= 0xDCFF:  # an undecodable byte kept by surrogateescape
        return f"\\x{cp - 0xDC00:02x}"
    if cp < 0x100:
        return f"\\x{cp:02x}"
    if cp < 0x10000:
        return f"\\u{cp:04x}"
    return f"\\U{cp:08x}"


def escape_controls(text: str, *, keep: str = "") -> str:
    r"""Replace every unsafe character of ``text`` by a visible escape.

    Parameters
    ----------
    text : str
        Any text; non-strings are converted with ``str``.
    keep : str, optional
        Characters to leave as they are (``"\n"`` to keep line breaks).

    Returns
    -------
    str
        ``text`` with control, format (bidi, zero-width), surrogate,
        private-use and separator characters written as ``\xNN``, ``\uNNNN``
        or ``\UNNNNNNNN``.

    Examples
    --------
    >>> escape_controls("a\rb\u202ec\n", keep="\n")
    'a\\x0db\\u202ec\n'
    >>> escape_controls("caf\udce9.ipynb")          # the byte 0xe9 of a Latin-1 name
    'caf\\xe9.ipynb'
    """
    text = text if isinstance(text, str) else str(text)
    if text.isascii() and text.isprintable():
        return text
    out = []
    for ch in text:
        if ch in keep or (ch.isprintable() and unicodedata.category(ch) not in _UNSAFE_CATEGORIES):
            out.append(ch)
        else:
            out.append(_escape_char(ch))
    return "".join(out)


def cap(text: str, limit: int = DEFAULT_LIMIT) -> str:
    """Bound ``text`` to ``limit`` characters, marking the cut visibly.

    Parameters
    ----------
    text : str
        Any text; non-strings are converted with ``str``.
    limit : int, optional
        The most characters kept before the marker (default 4096).

    Returns
    -------
    str
        ``text`` itself when short enough, else its first ``limit`` characters
        followed by ``… (truncated, N characters in all)``.

    Examples
    --------
    >>> cap("short")
    'short'
    >>> cap("abcdef", limit=3)
    'abc… (truncated, 6 characters in all)'
    """
    text = text if isinstance(text, str) else str(text)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… (truncated, {len(text)} characters in all)"


def cap_items(
    items: tuple[str, ...] | list[str], *, limit: int = MESSAGE_LIMIT, max_items: int = MAX_ITEMS
) -> tuple[str, ...]:
    """Each of ``items`` capped to ``limit`` characters, and at most ``max_items`` of them plus a count.

    Parameters
    ----------
    items : sequence of str
        Messages, notes or flags.
    limit : int, optional
        Bound of each, as in :func:`cap`.
    max_items : int, optional
        Most items kept; when there are more, one last item says how many were left out.

    Returns
    -------
    tuple of str

    Examples
    --------
    >>> cap_items(["a" * 5, "b", "c", "d"], limit=3, max_items=2)
    ('aaa… (truncated, 5 characters in all)', 'b', '… (2 more truncated)')
    """
    kept = tuple(cap(item, limit) for item in list(items)[:max_items])
    if len(items) > max_items:
        kept += (f"… ({len(items) - max_items} more truncated)",)
    return kept


def for_terminal(text: str, *, multiline: bool = False, limit: int = DEFAULT_LIMIT) -> str:
    r"""Student text made safe to print on an instructor's terminal.

    Parameters
    ----------
    text : str
        Student-controlled text (a file name, a message).
    multiline : bool, optional
        Keep line breaks (default: escape them, so one item stays on one line).
    limit : int, optional
        Length bound, as in :func:`cap`.

    Returns
    -------
    str
        Capped text with every control, bidi and format character escaped.

    Examples
    --------
    >>> print(for_terminal("s002\x1b[2J\x1b[HAll graded\n.ipynb"))
    s002\x1b[2J\x1b[HAll graded\x0a.ipynb
    """
    return escape_controls(cap(text, limit), keep="\n" if multiline else "")


def for_markdown(text: str, *, multiline: bool = False, limit: int = DEFAULT_LIMIT) -> str:
    r"""Student text made inert inside a Markdown document.

    Control and bidi characters are escaped as in :func:`for_terminal`; every
    punctuation character Markdown interprets is backslash-escaped, so
    emphasis, headings, links, raw HTML, entities and bare URLs
    (``http://``, ``www.``) stay plain text.

    Parameters
    ----------
    text : str
        Student-controlled text.
    multiline : bool, optional
        Keep line breaks (each line is escaped; default: escape them).
    limit : int, optional
        Length bound, as in :func:`cap`.

    Returns
    -------
    str
        Text that renders as exactly the characters the student wrote.

    Examples
    --------
    >>> print(for_markdown("# Grade: 100 [claim](http://x) *bold*"))
    \# Grade: 100 \[claim\](http\:\/\/x) \*bold\*
    >>> print(for_markdown("see www.example.com or me@example.com"))
    see www\.example.com or me\@example.com
    >>> print(for_markdown("1. first\n- second", multiline=True))
    1\. first
    \- second
    """
    text = _MARKDOWN_INLINE.sub(r"\\\1", for_terminal(text, multiline=multiline, limit=limit))
    text = _MARKDOWN_AUTOLINK.sub(lambda m: "".join("\\" + c if not c.isalnum() else c for c in m.group(1)), text)
    return _MARKDOWN_LINE_START.sub(lambda m: m.group(1) + m.group(2)[:-1] + "\\" + m.group(2)[-1], text)


def for_html(text: str, *, multiline: bool = False, limit: int = DEFAULT_LIMIT) -> str:
    r"""Student text made inert inside an HTML page.

    Parameters
    ----------
    text : str
        Student-controlled text.
    multiline : bool, optional
        Keep line breaks (default: escape them).
    limit : int, optional
        Length bound, as in :func:`cap`.

    Returns
    -------
    str
        Capped text with controls escaped visibly and ``& < > " '`` as entities.

    Examples
    --------
    >>> for_html('<img src=x onerror="alert(1)">')
    '&lt;img src=x onerror=&quot;alert(1)&quot;&gt;'
    """
    return html.escape(for_terminal(text, multiline=multiline, limit=limit), quote=True)
