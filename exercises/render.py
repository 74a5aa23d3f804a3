r"""Problem sheets and keys as Markdown and LaTeX (and PDF when a TeX engine exists).

The sheets show what the notebook shows: each exercise's prompt, its setup
code, the parts with their points and the name to define; the key adds each
part's answer code and the worked solution.

Prompts are Markdown with ``$...$`` math; :func:`markdown_to_latex` converts
the subset the families write (headings, paragraphs, bullet and numbered
lists, pipe tables, fenced code, ``$$...$$`` display math, ``**bold**``,
``*emphasis*``, ```code```), keeping math verbatim and escaping the rest.

Examples
--------
>>> print(markdown_to_latex("Compute $Y = X \\star K$ for **both** `X` & `K`."))
Compute $Y = X \star K$ for \textbf{both} \texttt{X} \& \texttt{K}.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from convmath._validate import check_choice
from convmath.errors import ConvMathError

from .model import LOCALES, Exercise
from .notebook import TEXT as _TEXT
from .notebook import part_markdown, solution_source
from .notebook import points_label as _fmt_points

if TYPE_CHECKING:
    from .assignment import Assignment, Slot

__all__ = ["markdown_sheet", "latex_sheet", "markdown_to_latex", "latex_escape", "tex_engine", "compile_pdf"]

_ANSWER = {"en": "Answer", "zh": "答案"}
_SETUP = {"en": "Given (already in the notebook):", "zh": "已知（笔记本中已给出）："}


def _intro(assignment: Assignment, student_id: str, student_name: str, locale: str, key: bool) -> tuple[str, str]:
    text = _TEXT[locale]
    who = f"{student_id} ({student_name})" if student_name else student_id
    meta = " · ".join(x for x in (assignment.course, assignment.id, f"{text['student']}: {who}") if x)
    return meta, (text["key"] if key else "")


def markdown_sheet(
    assignment: Assignment,
    student_id: str,
    exercises: Sequence[tuple[Slot, Exercise]],
    locale: str | None = None,
    *,
    key: bool = False,
    student_name: str = "",
) -> str:
    """One student's problem sheet (or key, ``key=True``) as Markdown.

    Parameters
    ----------
    assignment, student_id, exercises, locale, student_name
        As for :func:`exercises.notebook.student_notebook`.
    key
        Add the answers and worked solutions.

    Returns
    -------
    str
        Markdown with ``$...$`` math.

    Examples
    --------
    >>> from exercises.assignment import parse_assignment, build_exercises
    >>> a = parse_assignment({"id": "w1", "title": {"en": "Week 1", "zh": "第一周"}, "locales": ["en", "zh"],
    ...                       "slots": [{"id": "q1", "family": "conv_output_size"}]})
    >>> exercises = build_exercises(a, b"0123456789abcdef", "alice")
    >>> sheet = markdown_sheet(a, "alice", exercises, student_name="Alice")
    >>> print("\\n".join(sheet.splitlines()[:3]))
    # Week 1
    <BLANKLINE>
    w1 · Student: alice (Alice)
    >>> key = markdown_sheet(a, "alice", exercises, key=True)
    >>> "*Answer:*" in sheet, "*Answer:*" in key, "**Solution**" in key     # only the key has the answers
    (False, True, True)
    >>> markdown_sheet(a, "alice", exercises, "zh").splitlines()[0]
    '# 第一周'
    """
    from .families import families

    locale = assignment.locale if locale is None else locale
    check_choice("locale", locale, LOCALES)
    registry = families()
    meta, banner = _intro(assignment, student_id, student_name, locale, key)
    out = [f"# {assignment.title[locale]}", "", meta, ""]
    if banner:
        out += [banner, ""]
    for number, (_slot, exercise) in enumerate(exercises, 1):
        family = registry.get(exercise.family)
        title = family.title.get(locale, exercise.family) if family else exercise.family
        out += [f"## {number}. {title} ({_fmt_points(exercise.points, locale)})", "", exercise.prompt[locale], ""]
        if exercise.setup_code:
            out += [_SETUP[locale], "", "```python", exercise.setup_code, "```", ""]
        for part in exercise.parts:
            out += [part_markdown(part, locale), ""]
            if key:
                out += [f"*{_ANSWER[locale]}:*", "", "```python", solution_source(part), "```", ""]
        if key:
            steps = exercise.solution.get(locale) or exercise.solution.get("en") or ()
            out += [f"**{_TEXT[locale]['solution']}**", ""]
            out += [f"{i}. " + step.replace("\n", "\n   ") for i, step in enumerate(steps, 1)]
            out.append("")
    return "\n".join(out).rstrip() + "\n"


# --- Markdown -> LaTeX ------------------------------------------------------------

_ESCAPES = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
_ESCAPE_RE = re.compile(r"[\\&%$#_{}~^]")
_INLINE_RE = re.compile(r"(\$\$.+?\$\$|\$[^$\n]+?\$|`[^`\n]+`|\*\*[^*\n]+?\*\*|\*[^*\s][^*\n]*?\*)")


def latex_escape(text: str) -> str:
    r"""Escape LaTeX's special characters in plain text.

    Parameters
    ----------
    text : str
        Plain text (no math).

    Returns
    -------
    str
        The text with ``\ % _ & { } # $ ^ ~`` escaped.

    Examples
    --------
    >>> print(latex_escape("50% of a_b & {c}"))
    50\% of a\_b \& \{c\}
    """
    return _ESCAPE_RE.sub(lambda m: _ESCAPES[m.group()], text)


_SPECIAL = frozenset("\\&%$#_{}~^`*")


def _inline(text: str) -> str:
    if _SPECIAL.isdisjoint(text):
        return text
    out: list[str] = []
    for i, piece in enumerate(_INLINE_RE.split(text)):
        if i % 2 == 0:
            out.append(latex_escape(piece))
        elif piece.startswith("$$"):
            out.append(r"\[" + piece[2:-2] + r"\]")
        elif piece.startswith("$"):
            out.append(piece)
        elif piece.startswith("`"):
            out.append(r"\texttt{" + latex_escape(piece[1:-1]) + "}")
        elif piece.startswith("**"):
            out.append(r"\textbf{" + _inline(piece[2:-2]) + "}")
        else:
            out.append(r"\emph{" + _inline(piece[1:-1]) + "}")
    return "".join(out)


def _table(rows: list[str]) -> list[str]:
    cells = [[c.strip() for c in row.strip().strip("|").split("|")] for row in rows]
    body = [r for r in cells if not all(re.fullmatch(r":?-{2,}:?", c) for c in r if c)]
    width = max(len(r) for r in body)
    out = [r"\begin{center}", r"\begin{tabular}{" + "l" * width + "}", r"\hline"]
    for index, row in enumerate(body):
        row = row + [""] * (width - len(row))
        out.append(" & ".join(_inline(c) for c in row) + r" \\")
        if index == 0 and len(body) > 1:
            out.append(r"\hline")
    out += [r"\hline", r"\end{tabular}", r"\end{center}"]
    return out


_LIST_RE = re.compile(r"^(\s*)([-*]|\d+\.)\s+(.*)$")
_LIST_START = frozenset("-*0123456789")
_HEADING_RE = re.compile(r"^#{1,6}\s")
_HEADINGS = {1: "section*", 2: "subsection*", 3: "subsubsection*"}


def markdown_to_latex(markdown: str) -> str:
    r"""Convert the Markdown subset used by prompts and solutions to LaTeX.

    Parameters
    ----------
    markdown
        The text.

    Returns
    -------
    str
        LaTeX body text (no preamble).

    Examples
    --------
    >>> print(markdown_to_latex("- one\n- two $k$"))
    \begin{itemize}
    \item one
    \item two $k$
    \end{itemize}
    >>> print(markdown_to_latex("| a | b |\n|---|---|\n| 1 | 2 |"))
    \begin{center}
    \begin{tabular}{ll}
    \hline
    a & b \\
    \hline
    1 & 2 \\
    \hline
    \end{tabular}
    \end{center}
    """
    lines = markdown.splitlines()
    out: list[str] = []
    env: str | None = None
    i = 0

    def close() -> None:
        nonlocal env
        if env:
            out.append(rf"\end{{{env}}}")
            env = None

    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if stripped.startswith("```"):
            close()
            block = []
            i += 1
            while i < len(lines) and not lines[i].strip().startswith("```"):
                block.append(lines[i])
                i += 1
            out += [r"\begin{verbatim}", *block, r"\end{verbatim}"]
        elif stripped.startswith("$$") and (stripped == "$$" or not stripped.endswith("$$") or len(stripped) < 4):
            close()
            block = [stripped[2:]]
            i += 1
            while i < len(lines) and not lines[i].strip().endswith("$$"):
                block.append(lines[i])
                i += 1
            if i < len(lines):
                block.append(lines[i].strip()[:-2])
            out += [r"\[", *[b for b in block if b.strip()], r"\]"]
        elif stripped.startswith("|"):
            close()
            rows = []
            while i < len(lines) and lines[i].strip().startswith("|"):
                rows.append(lines[i])
                i += 1
            out += _table(rows)
            continue
        elif stripped.startswith("#") and _HEADING_RE.match(stripped):
            close()
            level = len(stripped) - len(stripped.lstrip("#"))
            out.append(rf"\{_HEADINGS.get(level, 'paragraph*')}{{{_inline(stripped[level:].strip())}}}")
        elif stripped in ("---", "***"):
            close()
            out.append(r"\medskip\hrule\medskip")
        elif stripped[:1] in _LIST_START and (match := _LIST_RE.match(line)) and not line.startswith("    "):
            kind = "enumerate" if match.group(2)[0].isdigit() else "itemize"
            if env != kind:
                close()
                out.append(rf"\begin{{{kind}}}")
                env = kind
            out.append(r"\item " + _inline(match.group(3)))
        elif not stripped:
            close()
            out.append("")
        elif env and line.startswith(" "):
            out.append(_inline(stripped))
        else:
            close()
            out.append(_inline(line))
        i += 1
    close()
    while out and not out[-1]:
        out.pop()
    return "\n".join(out)


_PREAMBLE = {
    "en": r"\documentclass[11pt]{article}",
    "zh": r"\documentclass[11pt,UTF8]{ctexart}",
}


def latex_sheet(
    assignment: Assignment,
    student_id: str,
    exercises: Sequence[tuple[Slot, Exercise]],
    locale: str | None = None,
    *,
    key: bool = False,
    student_name: str = "",
    markdown: str | None = None,
) -> str:
    r"""One student's problem sheet (or key) as a complete LaTeX document.

    Same parameters as :func:`markdown_sheet`; ``markdown`` is that sheet when
    the caller has it already. English sheets use ``article``, Chinese ones
    ``ctexart`` (compile with XeLaTeX or LuaLaTeX).

    Returns
    -------
    str
        A document from ``\documentclass`` to ``\end{document}``.

    Examples
    --------
    >>> from exercises.assignment import parse_assignment, build_exercises
    >>> a = parse_assignment({"id": "w1", "title": {"en": "Week 1", "zh": "第一周"}, "locales": ["en", "zh"],
    ...                       "slots": [{"id": "q1", "family": "conv_output_size"}]})
    >>> exercises = build_exercises(a, b"0123456789abcdef", "alice")
    >>> tex = latex_sheet(a, "alice", exercises)
    >>> print(tex.splitlines()[0], tex.splitlines()[-1], sep="\n")
    \documentclass[11pt]{article}
    \end{document}
    >>> r"\section*{Week 1}" in tex
    True
    >>> print(latex_sheet(a, "alice", exercises, "zh").splitlines()[0])    # Chinese: ctexart, for XeLaTeX
    \documentclass[11pt,UTF8]{ctexart}
    """
    locale = assignment.locale if locale is None else locale
    check_choice("locale", locale, LOCALES)
    if markdown is None:
        markdown = markdown_sheet(assignment, student_id, exercises, locale, key=key, student_name=student_name)
    body = markdown_to_latex(markdown)
    head = [
        _PREAMBLE[locale],
        r"\usepackage{amsmath,amssymb}",
        r"\usepackage[margin=2.2cm]{geometry}",
        r"\setlength{\parindent}{0pt}\setlength{\parskip}{0.5em}",
        r"\begin{document}",
    ]
    return "\n".join([*head, body, r"\end{document}", ""])


#: Engines tried in order; Chinese needs a Unicode engine.
_ENGINES = {"en": ("xelatex", "lualatex", "pdflatex", "tectonic"), "zh": ("xelatex", "lualatex", "tectonic")}


def tex_engine(locale: str = "en") -> str | None:
    """The first TeX engine on ``PATH`` able to typeset ``locale``, or ``None``.

    Examples
    --------
    >>> engine = tex_engine("zh")               # whatever this machine has, if anything
    >>> engine is None or engine in ("xelatex", "lualatex", "tectonic")
    True
    >>> import os, tempfile
    >>> saved = os.environ["PATH"]
    >>> with tempfile.TemporaryDirectory() as empty:
    ...     os.environ["PATH"] = empty          # a PATH with no TeX engine on it
    ...     try:
    ...         print(tex_engine("en"))
    ...     finally:
    ...         os.environ["PATH"] = saved
    None
    >>> tex_engine("fr")
    Traceback (most recent call last):
    ...
    convmath.errors.ConvMathError: locale='fr' is not allowed; use one of 'en', 'zh'
    """
    check_choice("locale", locale, LOCALES)
    for engine in _ENGINES[locale]:
        if shutil.which(engine):
            return engine
    return None


def compile_pdf(tex_path: str | Path, *, locale: str = "en", engine: str | None = None, timeout: float = 120) -> Path:
    r"""Typeset ``tex_path`` next to itself and return the PDF's path.

    Raises :class:`~convmath.ConvMathError` when no engine is installed or
    the run fails (the message ends with the log's last lines).

    Examples
    --------
    Without a TeX engine on ``PATH`` (emulated here with an empty folder, so
    the result is the same on every machine) the error says what to install:

    >>> import os, tempfile
    >>> tmp = tempfile.TemporaryDirectory()
    >>> tex = Path(tmp.name) / "sheet.tex"
    >>> _ = tex.write_text("\\documentclass{article}\\begin{document}Hi\\end{document}\n", encoding="utf-8")
    >>> saved = os.environ["PATH"]
    >>> os.environ["PATH"] = tmp.name
    >>> try:
    ...     compile_pdf(tex, locale="zh")
    ... finally:
    ...     os.environ["PATH"] = saved
    Traceback (most recent call last):
    ...
    convmath.errors.ConvMathError: locale='zh': no TeX engine found on PATH; install xelatex to get PDFs
    >>> sorted(p.name for p in Path(tmp.name).iterdir())      # nothing was written
    ['sheet.tex']
    >>> tmp.cleanup()
    """
    tex_path = Path(tex_path)
    engine = engine or tex_engine(locale)
    if engine is None:
        raise ConvMathError(f"locale={locale!r}: no TeX engine found on PATH; install xelatex to get PDFs")
    if engine == "tectonic":
        command = [engine, "--outdir", str(tex_path.parent), str(tex_path)]
    else:
        command = [
            engine,
            "-interaction=nonstopmode",
            "-halt-on-error",
            "-output-directory",
            str(tex_path.parent),
            str(tex_path),
        ]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as err:
        raise ConvMathError(f"{tex_path}: {engine} took more than {timeout} s") from err
    except OSError as err:
        raise ConvMathError(
            f"engine={engine!r} could not be run ({err.strerror}); install a TeX engine or pass another"
        ) from err
    pdf = tex_path.with_suffix(".pdf")
    if result.returncode != 0 or not pdf.exists():
        tail = "\n".join(result.stdout.splitlines()[-8:])
        raise ConvMathError(f"{tex_path}: {engine} failed (exit {result.returncode}):\n{tail}")
    for suffix in (".aux", ".log"):
        tex_path.with_suffix(suffix).unlink(missing_ok=True)
    return pdf
