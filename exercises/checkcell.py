"""The locked last cell of a student notebook: check the form of every answer before handing in.

Like STACK's validation step and Otter's ``grader.check``, but revealing
nothing of the key: the cell reports, for every part, whether it is answered,
whether the value has the asked *form* (an integer; a tuple of the asked
length; an array with the asked number of dimensions, or the shape the prompt
states; a formula that parses with the allowed symbols; a function with the
asked parameters that runs on the prompt's own example; one of the offered
letters), and which answer cells raise. It never contains, computes or
compares an expected value.

The cell runs in the student's kernel with numpy and the standard library
alone (the student need not have convmath installed). To say why an answer is
undefined it runs again, on a copy of the namespace, the last cell of the
kernel's input history that defines it, and names the error; in a Jupyter
kernel on Unix that re-run and each call of a student function on the
prompt's example stop after 5 seconds. Cells that raise without leaving an
answer undefined are not seen in the kernel (it keeps no record of them):
``convmath check NOTEBOOK`` runs the whole notebook and lists them. Its source is one fixed
program, :data:`PROGRAM`, plus one line of data, ``_CONVMATH_FORMS = [...]``,
built by :func:`part_forms` from what each prompt already shows; two students
with different variants get the same program and differ only in that line.

Examples
--------
>>> from exercises.assignment import parse_assignment, build_exercises
>>> a = parse_assignment({"id": "w1", "title": "t", "slots": [{"id": "q1", "family": "conv_output_size"}]})
>>> source = check_cell_source(build_exercises(a, b"0123456789abcdef", "alice"))
>>> source.splitlines()[0]
'# Check before you hand in: the form of each answer, never whether it is right.'
>>> forms = [line for line in source.splitlines() if line.startswith(FORMS_PREFIX)]
>>> len(forms)
1
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from convmath._validate import check_choice

from .model import LOCALES, AnswerSpec, Exercise, Part

if TYPE_CHECKING:
    from .assignment import Slot

__all__ = [
    "CELL_ID",
    "TAG",
    "FORMS_PREFIX",
    "PROGRAM",
    "FUNCTION_NAMES",
    "TEXT_PREFIX",
    "hint_kind",
    "part_forms",
    "check_cell_source",
    "is_check_cell",
]

#: The check cell's id and tag (the grader recognises it by both, and by its source).
CELL_ID = "convmath-check"
TAG = "convmath-check"
#: The one line of the cell that differs between students.
FORMS_PREFIX = "_CONVMATH_FORMS = "
#: The line holding the report's texts (in the notebook's language).
TEXT_PREFIX = "_CONVMATH_TEXT = "
#: Function names a formula may call (the grader's whitelist, :data:`grader.expr.FUNCTIONS`).
FUNCTION_NAMES: tuple[str, ...] = (
    "floor",
    "Floor",
    "ceil",
    "Ceil",
    "ceiling",
    "max",
    "Max",
    "min",
    "Min",
    "abs",
    "Abs",
    "sqrt",
    "exp",
    "log",
)

_TEXT = {
    "en": {
        "title": "Check before you hand in (the form of each answer, not whether it is right):",
        "ok": "ok",
        "answered": "answered: {what}",
        "todo": "not answered yet",
        "undefined": "not defined: run its answer cell (Run > Run All Cells)",
        "raised": "not defined: its answer cell raises {error}",
        "problem": "PROBLEM: {what}",
        "integer": "an integer",
        "integral_float": "{value} is a float; write it as an integer ({int})",
        "not_integer": "expected an integer, got {what}",
        "shape": "a tuple of length {n}",
        "not_shape": "expected a tuple of {n} integer(s), got {what}",
        "number": "a number",
        "not_number": "expected a single number, got {what}",
        "array": "a {ndim}-D array",
        "array_shape": "an array of shape {shape}",
        "not_array": "expected an array of numbers, got {what}",
        "wrong_ndim": "expected a {want}-D array, got one of shape {shape}",
        "wrong_shape": "expected shape {want} (as the question states), got {shape}",
        "not_finite": "the array holds nan or inf",
        "expression": "a formula in {symbols}",
        "not_string": "expected the formula as a string in quotes, got {what}",
        "bad_formula": "the formula cannot be read: {why}",
        "choice": "one of {choices}",
        "not_choice": "{value} is not one of {choices}",
        "function": "a function; it ran on the question's example {call}",
        "function_no_example": "a function {signature}",
        "not_function": "expected a function {signature}, got {what}",
        "not_value": "expected a value, got a function",
        "signature": "expected the parameters {signature}, found {found}",
        "call_raised": "running {call} raised {error}",
        "call_slow": "running {call} took longer than {seconds} s",
        "summary": "{ok} of {total} parts answered in the asked form, {problems} with a problem, {todo} not answered.",
        "syntax": "a syntax error",
        "unknown_name": "the name {name!r} is not allowed (use {allowed})",
        "unknown_function": "the function {name!r} is not allowed (use {allowed})",
        "not_allowed": "{what} is not allowed in a formula",
    },
    "zh": {
        "title": "提交前检查（只检查每个答案的形式，不判断对错）：",
        "ok": "通过",
        "answered": "已作答：{what}",
        "todo": "尚未作答",
        "undefined": "未定义：请运行它的答案单元（运行 > 运行所有单元格）",
        "raised": "未定义：它的答案单元运行出错 {error}",
        "problem": "问题：{what}",
        "integer": "一个整数",
        "integral_float": "{value} 是浮点数，请写成整数（{int}）",
        "not_integer": "应为整数，实际是 {what}",
        "shape": "长度为 {n} 的整数元组",
        "not_shape": "应为 {n} 个整数组成的元组，实际是 {what}",
        "number": "一个数",
        "not_number": "应为一个数，实际是 {what}",
        "array": "{ndim} 维数组",
        "array_shape": "形状为 {shape} 的数组",
        "not_array": "应为数值数组，实际是 {what}",
        "wrong_ndim": "应为 {want} 维，实际数组形状为 {shape}",
        "wrong_shape": "题目给出的形状是 {want}，实际是 {shape}",
        "not_finite": "数组中有 nan 或 inf",
        "expression": "关于 {symbols} 的公式",
        "not_string": "公式应写成带引号的字符串，实际是 {what}",
        "bad_formula": "无法读取公式：{why}",
        "choice": "{choices} 之一",
        "not_choice": "{value} 不是 {choices} 之一",
        "function": "一个函数；已在题目的例子 {call} 上运行",
        "function_no_example": "一个函数 {signature}",
        "not_function": "应为函数 {signature}，实际是 {what}",
        "not_value": "应为一个值，实际是函数",
        "signature": "参数应为 {signature}，实际是 {found}",
        "call_raised": "运行 {call} 时出错 {error}",
        "call_slow": "运行 {call} 超过 {seconds} 秒",
        "summary": "共 {total} 小题：{ok} 题形式正确，{problems} 题有问题，{todo} 题尚未作答。",
        "syntax": "语法错误",
        "unknown_name": "不允许使用名字 {name!r}（可用：{allowed}）",
        "unknown_function": "不允许使用函数 {name!r}（可用：{allowed}）",
        "not_allowed": "公式中不允许使用 {what}",
    },
}

#: The program of the check cell (the same for every student of every assignment).
PROGRAM = r"""
def _convmath_check(forms, text, seconds=5):
    import ast, inspect, signal, threading
    import numpy as np

    space = globals()

    def what(value):
        if isinstance(value, str):
            return repr(value) if len(value) <= 40 else repr(value[:37]) + "..."
        return type(value).__name__

    def limited(run):
        # run() with a time limit in a Jupyter kernel on Unix (elsewhere, e.g. a grader's sandbox, as is)
        if "get_ipython" not in space:
            return run()
        if not hasattr(signal, "SIGALRM") or threading.current_thread() is not threading.main_thread():
            return run()
        def stop(signum, frame):
            raise TimeoutError
        old = signal.signal(signal.SIGALRM, stop)
        signal.alarm(seconds)
        try:
            return run()
        finally:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, old)

    def error(err):
        return f"{type(err).__name__}: {err}" if str(err) else type(err).__name__

    def defines(source, name):
        try:
            tree = ast.parse(source)
        except SyntaxError:
            return False
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
                return True
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store) and node.id == name:
                return True
        return False

    def why_undefined(name):
        # the last cell run that defines `name`: run it again on a copy of the namespace to see its error
        if "get_ipython" not in space:
            return None
        shell = space["get_ipython"]()
        for source in reversed(list(shell.user_ns.get("In", []))[:-1]):
            try:
                code = shell.transform_cell(source)
            except Exception:
                code = source
            if not defines(code, name):
                continue
            try:
                compiled = compile(code, "<answer cell>", "exec")
            except SyntaxError as err:
                return f"SyntaxError: {err.msg} (line {err.lineno})"
            try:
                limited(lambda: exec(compiled, dict(shell.user_ns)))
            except TimeoutError:
                return None
            except BaseException as err:
                return error(err)
            return None
        return None

    def as_shape(value):
        if isinstance(value, np.ndarray) and value.ndim == 1:
            value = value.tolist()
        if not isinstance(value, (tuple, list)):
            return None
        if not all(isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)) for v in value):
            return None
        return tuple(int(v) for v in value)

    def formula(source, symbols, functions):
        source = source.translate(str.maketrans({"\u2212": "-", "\u00d7": "*", "\u00b7": "*", "\u00f7": "/"}))
        try:
            tree = ast.parse(source.strip(), mode="eval")
        except SyntaxError:
            return text["syntax"]
        allowed = ", ".join(symbols) or "-"
        operators = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow, ast.USub, ast.UAdd)
        for node in ast.walk(tree):
            if isinstance(node, (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Load) + operators):
                continue
            if isinstance(node, ast.Constant) and type(node.value) in (int, float):
                continue
            if isinstance(node, ast.Name):
                if node.id in symbols or node.id in ("pi", "E") or node.id in functions:
                    continue
                return text["unknown_name"].format(name=node.id, allowed=allowed)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
                if node.func.id in functions:
                    continue
                return text["unknown_function"].format(name=node.func.id, allowed=", ".join(sorted(set(
                    f.lower() for f in functions))))
            shown = "'^' (use ** for powers)" if type(node).__name__ == "BitXor" else type(node).__name__
            return text["not_allowed"].format(what=shown)
        return None

    def params_of(signature):
        tree = ast.parse(f"def {signature}: pass").body[0].args
        return [a.arg for a in tree.posonlyargs + tree.args + tree.kwonlyargs]

    def check(form, value):
        kind = form["kind"]
        if kind == "function":
            signature = form["signature"]
            if not callable(value):
                return "problem", text["not_function"].format(signature=signature, what=what(value))
            try:
                found = list(inspect.signature(value).parameters)
            except (TypeError, ValueError):
                found = None
            wanted = params_of(signature)
            if found is not None and found != wanted:
                return "problem", text["signature"].format(signature=", ".join(wanted), found=", ".join(found))
            call = form.get("call")
            if not call:
                return "ok", text["function_no_example"].format(signature=signature)
            scope = {"np": np}
            exec(form.get("setup", ""), scope)
            scope[form["name"]] = value
            try:
                limited(lambda: eval(call, scope))
            except NotImplementedError:
                return "todo", text["todo"]
            except TimeoutError:
                return "problem", text["call_slow"].format(call=call, seconds=seconds)
            except BaseException as err:
                return "problem", text["call_raised"].format(call=call, error=error(err))
            return "ok", text["function"].format(call=call)
        if value is None:
            return "todo", text["todo"]
        if callable(value) and not isinstance(value, np.ndarray):
            return "problem", text["not_value"]
        if kind == "integer":
            if isinstance(value, np.ndarray) and value.ndim == 0:
                value = value.item()
            if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
                return "problem", text["not_integer"].format(what=what(value))
            if isinstance(value, (float, np.floating)):
                if float(value).is_integer():
                    return "problem", text["integral_float"].format(value=float(value), int=int(value))
                return "problem", text["not_integer"].format(what=f"{float(value)!r}")
            return "ok", text["integer"]
        if kind == "shape":
            shape = as_shape(value)
            if shape is None or len(shape) != form["length"]:
                return "problem", text["not_shape"].format(n=form["length"], what=what(value) if shape is None
                                                           else repr(tuple(shape)))
            return "ok", text["shape"].format(n=form["length"])
        if kind in ("array", "number"):
            try:
                array = np.asarray(value, dtype=float)
            except (TypeError, ValueError, OverflowError):
                return "problem", text["not_array" if kind == "array" else "not_number"].format(what=what(value))
            if kind == "number":
                if array.ndim != 0:
                    return "problem", text["not_number"].format(what=f"an array of shape {array.shape}")
            elif form.get("shape") is not None and list(array.shape) != form["shape"]:
                return "problem", text["wrong_shape"].format(want=tuple(form["shape"]), shape=array.shape)
            elif array.ndim != form["ndim"]:
                return "problem", text["wrong_ndim"].format(want=form["ndim"], shape=array.shape)
            if not np.all(np.isfinite(array)):
                return "problem", text["not_finite"]
            if kind == "number":
                return "ok", text["number"]
            if form.get("shape") is not None:
                return "ok", text["array_shape"].format(shape=tuple(form["shape"]))
            return "ok", text["array"].format(ndim=form["ndim"])
        if kind == "expression":
            if not isinstance(value, str):
                return "problem", text["not_string"].format(what=what(value))
            why = formula(value, form["symbols"], form["functions"])
            if why:
                return "problem", text["bad_formula"].format(why=why)
            return "ok", text["expression"].format(symbols=", ".join(form["symbols"]))
        if kind == "choice":
            shown = ", ".join(repr(c) for c in form["choices"])
            key = value.strip() if isinstance(value, str) else value
            if not isinstance(key, str) or key.casefold() not in [c.casefold() for c in form["choices"]]:
                return "problem", text["not_choice"].format(value=what(value), choices=shown)
            return "ok", text["choice"].format(choices=shown)
        return "ok", ""

    counts = {"ok": 0, "problem": 0, "todo": 0}
    width = max([len(f["label"]) + len(f["name"]) for f in forms] + [10]) + 3
    print(text["title"])
    for form in forms:
        name = form["name"]
        if name not in space:
            raised = why_undefined(name)
            status, message = "todo", text["raised"].format(error=raised) if raised else text["undefined"]
            if raised:
                status = "problem"
        else:
            try:
                status, message = check(form, space[name])
            except Exception as err:
                status, message = "problem", error(err)
        counts[status] += 1
        mark = {"ok": "[ok]", "problem": "[!!]", "todo": "[  ]"}[status]
        shown = text["problem"].format(what=message) if status == "problem" else message
        print(f"{mark} {(form['label'] + ' ' + name).ljust(width)} {shown}")
    print(text["summary"].format(total=len(forms), ok=counts["ok"], problems=counts["problem"], todo=counts["todo"]))


_convmath_check(_CONVMATH_FORMS, _CONVMATH_TEXT)
del _convmath_check, _CONVMATH_FORMS, _CONVMATH_TEXT
"""


def hint_kind(spec: AnswerSpec) -> str:
    """The kind of value a part asks for, as its hint names it: ``spec.kind``, or
    ``"number"`` for an ``array`` answer that is a single number.

    Examples
    --------
    >>> hint_kind(AnswerSpec("array", "content_at", expected=12.5)), hint_kind(AnswerSpec("array", "Y", [[1, 2]]))
    ('number', 'array')
    """
    if spec.kind == "array" and spec.expected is not None:
        if np.ndim(spec.expected) == 0:
            return "number"
    return spec.kind


def _required(signature: str) -> list[str]:
    args = ast.parse(f"def {signature}: pass").body[0].args  # type: ignore[attr-defined]
    positional = args.posonlyargs + args.args
    return [a.arg for a in positional[: len(positional) - len(args.defaults)]]


def _example_call(exercise: Exercise, part: Part) -> str:
    """The call of ``part``'s function that a prompt shows (``corr2d(X, K)``), runnable on the setup code."""
    name, signature = part.answer.name, part.answer.signature or f"{part.answer.name}()"
    texts = [exercise.prompt.get("en", "")] + [p.prompt.get("en", "") for p in exercise.parts]
    calls = [c for text in texts for c in re.findall(r"`([^`\n]+)`", text) if c.startswith(name + "(")]
    defined = set(re.findall(r"^([A-Za-z_]\w*)\s*=", exercise.setup_code, re.M))
    for call in [c for c in calls if c != signature] + [signature]:
        try:
            tree = ast.parse(call, mode="eval").body
        except SyntaxError:
            continue
        if not isinstance(tree, ast.Call) or not isinstance(tree.func, ast.Name) or tree.func.id != name:
            continue
        names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} - {name, "np"}
        if call == signature and not set(_required(signature)) <= defined:
            continue
        if names <= defined:
            return call
    return ""


def _stated_shape(exercise: Exercise, part: Part, shape: tuple[int, ...]) -> list[int] | None:
    """``shape`` when the part's own prompt states it, as ``(3, 3, 3)``; else ``None`` (the key is not read)."""
    text = part.prompt.get("en", "")
    if len(shape) > 1 and str(tuple(shape)) in text:
        return list(shape)
    return None


def part_forms(exercises: Sequence[tuple[Slot, Exercise]]) -> list[dict[str, Any]]:
    """The form of every part: what the check cell may know, built from what the prompts show.

    Parameters
    ----------
    exercises
        ``build_exercises(assignment, secret, student)``.

    Returns
    -------
    list of dict
        One dict per part, in notebook order: ``label`` (``"2(b)"``), ``name``,
        ``kind`` (the hint's kind: ``integer``, ``shape``, ``array``, ``number``,
        ``expression``, ``choice`` or ``function``) and per kind ``length``
        (of a shape tuple), ``ndim`` and ``shape`` (of an array; the shape only
        when the prompt states it), ``symbols`` and ``functions`` (of a
        formula), ``choices``, or ``signature``, ``call`` and ``setup`` (of a
        function: its example call and the setup code that defines its
        arguments). Never an expected value.

    Examples
    --------
    >>> from exercises.assignment import parse_assignment, build_exercises
    >>> a = parse_assignment({"id": "w1", "title": "t", "slots": [
    ...     {"id": "q1", "family": "cross_correlation_by_hand"}]})
    >>> for form in part_forms(build_exercises(a, b"0123456789abcdef", "alice")):
    ...     print(form)
    {'label': '1(a)', 'name': 'out_shape', 'kind': 'shape', 'length': 2}
    {'label': '1(b)', 'name': 'Y', 'kind': 'array', 'ndim': 2, 'shape': None}
    """
    forms: list[dict[str, Any]] = []
    for number, (_slot, exercise) in enumerate(exercises, 1):
        for part in exercise.parts:
            spec = part.answer
            kind = hint_kind(spec)
            form: dict[str, Any] = {"label": f"{number}({part.key})", "name": spec.name, "kind": kind}
            if kind == "shape":
                form["length"] = len(spec.expected)
            elif kind == "array":
                shape = tuple(int(n) for n in np.shape(spec.expected))
                form["ndim"] = len(shape)
                form["shape"] = _stated_shape(exercise, part, shape)
            elif kind == "expression":
                form["symbols"] = list(spec.symbols)
                form["functions"] = list(FUNCTION_NAMES)
            elif kind == "choice":
                form["choices"] = list(spec.choices)
            elif kind == "function":
                form["signature"] = spec.signature or f"{spec.name}(*args)"
                call = _example_call(exercise, part)
                if call:
                    form["call"] = call
                    form["setup"] = exercise.setup_code
            forms.append(form)
    return forms


def _program(source: str) -> tuple[str, list[str]]:
    """The program of a check cell (its data lines left out), and the data lines' values."""
    program, data = [], []
    for line in source.strip().splitlines():
        if line.startswith((FORMS_PREFIX, TEXT_PREFIX)):
            data.append(line.split(" = ", 1)[1])
        else:
            program.append(line)
    return "\n".join(program), data


def is_check_cell(source: str) -> bool:
    """Is ``source`` a check cell as generated (any forms, any locale), its program unedited?

    Its two data lines must be plain literals: no code can hide in them.

    Examples
    --------
    >>> source = check_cell_source([], "zh")
    >>> is_check_cell(source), is_check_cell(source.replace("print(", "input("))
    (True, False)
    >>> is_check_cell(source.replace(FORMS_PREFIX + "[]", FORMS_PREFIX + "__import__('os')"))
    False
    """
    program, data = _program(source)
    if len(data) != 2 or program not in {_program(check_cell_source([], locale))[0] for locale in LOCALES}:
        return False
    try:
        for value in data:
            ast.literal_eval(value)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return False
    return True


def check_cell_source(exercises: Sequence[tuple[Slot, Exercise]], locale: str = "en") -> str:
    """The source of the check cell: a comment, the forms of the parts, the texts and :data:`PROGRAM`.

    Parameters
    ----------
    exercises
        ``build_exercises(assignment, secret, student)``.
    locale
        Language of the report the cell prints.

    Returns
    -------
    str
        Python source needing only numpy and the standard library.

    Examples
    --------
    >>> from exercises.assignment import parse_assignment, build_exercises
    >>> a = parse_assignment({"id": "w1", "title": "t", "slots": [{"id": "q1", "family": "conv_output_size"}]})
    >>> source = check_cell_source(build_exercises(a, b"0123456789abcdef", "alice"))
    >>> namespace = {"out_size": 5}                  # run it where out_size is answered
    >>> exec(source, namespace)
    Check before you hand in (the form of each answer, not whether it is right):
    [ok] 1(a) out_size   an integer
    1 of 1 parts answered in the asked form, 0 with a problem, 0 not answered.
    """
    check_choice("locale", locale, LOCALES)
    forms = repr(part_forms(exercises))  # a Python literal of str, int, list and None
    header = {
        "en": [
            "# Check before you hand in: the form of each answer, never whether it is right.",
            "# Run it after all the cells above (Run > Run All Cells). This cell is locked.",
        ],
        "zh": [
            "# 提交前检查：只检查每个答案的形式，从不判断对错。",
            "# 请在运行完上面所有单元之后运行本单元（运行 > 运行所有单元格）。本单元已锁定。",
        ],
    }[locale]
    text = repr(_TEXT[locale])
    return "\n".join([*header, FORMS_PREFIX + forms, TEXT_PREFIX + text, PROGRAM.rstrip("\n"), ""])
