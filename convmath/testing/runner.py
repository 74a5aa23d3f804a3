"""Property-test a function against the reference, and name the mistake when it fails.

:func:`check_function` is the one piece of code that both the
``assert_*_like`` helpers (a course's CI) and the grader's function check
run. It draws calls with hypothesis (:func:`convmath.testing.functions.cases`),
sends each through ``call`` (a local call in CI; a call into the sandbox in
the grader), compares the result with the reference using
:func:`convmath.testing.comparison.compare`, and on a failure lets hypothesis
shrink it to the smallest failing call, then checks whether a known
misconception produces exactly the wrong result.

``call(args, kwargs)`` returns anything with ``status`` (``"ok"``,
``"error"``, ``"timeout"`` or ``"crashed"``), ``value`` and ``message``
attributes: the grader's sandbox ``CallResult``, or :class:`Outcome` from
:func:`local_call`.

With derandomized settings (the grader's, :func:`grader_settings`) hypothesis
draws the same cases for every function until one fails. So the first check of
a configuration records a *plan* (the cases drawn, and the reference result of
each), cached per process by (supports, reference, tolerances, settings), with
the cases that discriminate (:func:`discriminates`: not satisfied by zeros, a
constant, the input or the transposed result) first. Every later check replays
the plan (calls and comparisons only, within ``time_limit`` and ``max_calls``):
a function that fails is not searched again; its smallest failing case is
shrunk greedily within a small budget (:data:`SHRINK_TIME`, :data:`SHRINK_CALLS`,
:func:`convmath.testing.functions.shrink_candidates`) and diagnosed. A check
whose time budget runs out before every case ran is never a pass: it fails as
``slow`` ("too slow: 6 of 30 cases ran in the 20 s budget").
"""

from __future__ import annotations

import copy
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as Settings
from hypothesis.errors import Flaky, HypothesisException

from .comparison import Mismatch, compare, describe, fmt_value
from .functions import (
    Case,
    Supports,
    cases,
    expected_output,
    misconception_outputs,
    shrink_candidates,
)

__all__ = [
    "Outcome",
    "Failure",
    "FunctionReport",
    "local_call",
    "check_function",
    "misconception_text",
    "discriminates",
]


@dataclass(frozen=True)
class Outcome:
    """What one call of the function under test gave."""

    status: str
    """``ok``, ``error`` (it raised), ``timeout`` or ``crashed``."""

    value: Any = None
    """The returned value (``ok`` only)."""

    message: str = ""
    """The exception as ``Type: message`` (``error``), or why it stopped."""


@dataclass(frozen=True)
class Failure:
    """The smallest failing call found, and what went wrong on it."""

    call: str
    """The arguments of the call as text, e.g. ``X=[[0, 1]], K=[[1]]``."""

    status: str
    """``wrong`` (a result that differs), ``error``, ``timeout``, ``crashed``, or ``slow``
    (the time budget ran out before every case ran: never a pass)."""

    expected: Any
    """The reference result on that call."""

    actual: Any = None
    """The function's result (``wrong`` only)."""

    message: str = ""
    """The error message (``error``, ``crashed``)."""

    mismatch: Mismatch | None = None
    """How the result differs (``wrong`` only)."""

    misconception: str | None = None
    """Label of the misconception that gives exactly this wrong result, if one does."""

    size: int = 0
    """Size of the failing call (the smallest is reported)."""

    labels: tuple[str, ...] = ()
    """Every misconception that gives exactly this wrong result (``misconception`` is the one
    that also explains most of the other failing calls hypothesis met)."""

    contradicted: tuple[str, ...] = ()
    """The misconceptions whose model applies to this call and gives another result (one that does not
    apply, the mistake being undefined there, neither explains nor contradicts it)."""


@dataclass(frozen=True)
class FunctionReport:
    """The verdict of :func:`check_function`."""

    passed: bool
    """No call failed."""

    calls: int
    """How many calls were made."""

    failure: Failure | None = None
    """The smallest failing call (``None`` when passed)."""

    stopped: str = ""
    """``"time"`` or ``"calls"`` when the budget ran out before hypothesis finished, else ``""``.
    A check stopped by time has not passed (its failure has status ``slow``)."""

    missing: bool = False
    """The function is still a stub (raised ``NotImplementedError`` on the first call)."""

    def message(self, name: str, *, locale: str = "en", reveal: str = "all") -> str:
        """The student-facing explanation (one template per kind of failure).

        ``reveal`` is ``"all"`` (the expected result and the misconception),
        ``"diagnosis"`` (the misconception, not the expected result) or
        ``"none"`` (neither).
        """
        loc = locale if locale in RUNNER_MESSAGES["passed"] else "en"
        if self.failure is None:
            return RUNNER_MESSAGES["passed"][loc].format(name=name, calls=self.calls)
        f = self.failure
        status = "wrong_hidden" if f.status == "wrong" and reveal != "all" else f.status
        text = (
            RUNNER_MESSAGES[status][loc]
            .format(
                name=name,
                call=f.call,
                message=f.message,
                expected=fmt_value(f.expected),
                actual=fmt_value(f.actual),
                detail=describe(f.mismatch, "result", locale=loc) if f.mismatch and f.mismatch.kind != "value" else "",
            )
            .replace(" ()", "")
            .replace("（）", "")
        )
        value = fmt_value(f.actual, limit=60)
        if reveal == "none":
            return text
        if f.misconception:
            text += RUNNER_MESSAGES["misconception"][loc].format(
                feedback=misconception_text(f.misconception, value, locale=loc)
            )
        elif len(f.labels) > 1:
            text += RUNNER_MESSAGES["misconceptions"][loc].format(
                feedback=RUNNER_MESSAGES["or"][loc].join(misconception_text(lab, value, locale=loc) for lab in f.labels)
            )
        return text


RUNNER_MESSAGES: dict[str, dict[str, str]] = {
    "passed": {
        "en": "{name} agrees with the reference on {calls} generated inputs",
        "zh": "{name} 在 {calls} 个随机生成的输入上与参考实现一致",
    },
    "wrong": {
        "en": "{name}({call}) returned {actual}, expected {expected} ({detail})",
        "zh": "{name}({call}) 返回了 {actual}，应为 {expected}（{detail}）",
    },
    "wrong_hidden": {
        "en": "{name}({call}) returned {actual}, which is not the right result",
        "zh": "{name}({call}) 返回了 {actual}，结果不正确",
    },
    "error": {
        "en": "{name}({call}) raised {message}",
        "zh": "{name}({call}) 抛出了异常 {message}",
    },
    "timeout": {
        "en": "{name}({call}) did not return in time",
        "zh": "{name}({call}) 超时未返回",
    },
    "slow": {
        "en": "{name} is too slow: {message}",
        "zh": "{name} 运行太慢：{message}",
    },
    "crashed": {
        "en": "{name}({call}) crashed the process running it: {message}",
        "zh": "{name}({call}) 使运行它的进程崩溃：{message}",
    },
    "misconception": {
        "en": ". This is what you get with a known mistake: {feedback}",
        "zh": "。这正是一个常见错误的结果：{feedback}",
    },
    "misconceptions": {
        "en": ". This is what you get with any of these known mistakes: {feedback}",
        "zh": "。以下几个常见错误都会得到这个结果：{feedback}",
    },
    "or": {"en": " Or: ", "zh": " 或者："},
}


def misconception_text(label: str, value: Any, *, locale: str = "en") -> str:
    """Feedback naming misconception ``label``, from :data:`convmath.misconceptions.CATALOGUE`.

    Parameters
    ----------
    label : str
        A misconception label (see :data:`convmath.testing.functions.LABELS`).
    value : Any
        The student's value, quoted by catalogue texts that show it.
    locale : str, optional
        ``"en"`` (default) or ``"zh"``.

    Returns
    -------
    str
        The feedback sentence; a label the catalogue does not have is returned as it is.

    Examples
    --------
    A student who answered 3 where the output size is 4 forgot the +1:

    >>> print(misconception_text("forgot_plus_one", 3))
    3 is what you get without the final +1: the first window position counts too, ...
    >>> misconception_text("no_such_label", 3)
    'no_such_label'
    """
    from convmath import misconceptions

    if label in misconceptions.CATALOGUE:
        return str(misconceptions.feedback(label, value, locale))
    return label


def local_call(fn: Callable[..., Any]) -> Callable[[tuple[Any, ...], Mapping[str, Any]], Outcome]:
    """Wrap a Python function as a ``call``: arguments deep-copied, exceptions caught.

    Parameters
    ----------
    fn : Callable
        The function under test.

    Returns
    -------
    Callable[[tuple, Mapping], Outcome]
        ``call(args, kwargs)``: an ``ok`` :class:`Outcome` with the value,
        or an ``error`` one whose message names the exception.

    Examples
    --------
    7 // 2 = 3; dividing by zero is reported, not raised:

    >>> call = local_call(lambda a, b: a // b)
    >>> call((7, 2), {}), call((1, 0), {}).message
    (Outcome(status='ok', value=3, message=''), 'ZeroDivisionError: integer division or modulo by zero')
    """

    def call(args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> Outcome:
        try:
            return Outcome("ok", fn(*copy.deepcopy(args), **copy.deepcopy(dict(kwargs))))
        except Exception as err:  # the function under test may raise anything
            return Outcome("error", None, f"{type(err).__name__}: {err}")

    return call


class _Stop(Exception):
    """Raised inside the property to make hypothesis shrink a failure."""


def grader_settings(max_examples: int = 50) -> Settings:
    """Settings for grading: derandomized (same inputs for every student), no database, no health checks."""
    return Settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
        phases=(Phase.generate, Phase.shrink),
        print_blob=False,
    )


def check_function(
    call: Callable[[tuple[Any, ...], Mapping[str, Any]], Any],
    supports: Supports,
    *,
    reference: Callable[..., Any] | None = None,
    rtol: float = 1e-9,
    atol: float = 1e-9,
    settings: Settings | None = None,
    time_limit: float = 30.0,
    max_calls: int = 500,
) -> FunctionReport:
    """Property-test ``call`` against the reference for the configurations ``supports`` claims.

    Parameters
    ----------
    call : callable
        ``call(args, kwargs)`` -> an object with ``status``, ``value``, ``message``.
    supports : Supports
        What the function computes and how it is called.
    reference : callable, optional
        A reference with the *same* signature as the function; by default the
        result comes from :func:`convmath.testing.functions.expected_output`.
    rtol, atol : float, optional
        Tolerances of the comparison (default 1e-9; the inputs hold small
        integers, so correct results are exact up to rounding).
    settings : hypothesis.settings, optional
        Defaults to the current profile with no deadline and one bug reported.
    time_limit : float, optional
        Seconds after which no more calls are made (generation and shrinking stop).
    max_calls : int, optional
        Most calls made, shrinking included.

    Returns
    -------
    FunctionReport

    Notes
    -----
    With derandomized settings and no example database the cases come from a
    cached plan (see the module docstring): a function that passes makes the
    same calls, in the same order, as under the search; one that fails is
    searched again from the start (so it is called again), and still fails
    if the search no longer finds the failure the replay met.

    Examples
    --------
    >>> report = check_function(local_call(lambda n, k: n - k + 1),
    ...                         Supports(op="output_size", args=("n", "kernel_size")),
    ...                         settings=grader_settings(10))
    >>> report.passed, report.calls
    (True, 10)
    """
    if settings is None:
        settings = Settings(
            deadline=None,
            report_multiple_bugs=False,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
        )
    # The explain phase re-runs the test many times to annotate a traceback we never show.
    settings = Settings(
        settings, report_multiple_bugs=False, phases=tuple(ph for ph in settings.phases if ph != Phase.explain)
    )
    reference_of = _reference_of(supports, reference)
    plan = _plan(supports, reference, reference_of, rtol, atol, settings, time_limit, max_calls)
    if plan is None:
        return _search(call, supports, reference_of, rtol, atol, settings, time_limit, max_calls)
    return _replay(call, supports, plan, reference_of, rtol, atol, time_limit, max_calls)


def _reference_of(supports: Supports, reference: Callable[..., Any] | None) -> Callable[[Case], Any]:
    """The reference result of a case: ``reference`` called like the function, else the canonical computation."""

    def reference_of(case: Case) -> Any:
        if reference is None:
            return expected_output(supports, case)
        return reference(*copy.deepcopy(case.args), **copy.deepcopy(dict(case.kwargs)))

    return reference_of


def _search(
    call: Callable[..., Any],
    supports: Supports,
    reference_of: Callable[[Case], Any],
    rtol: float,
    atol: float,
    settings: Settings,
    time_limit: float,
    max_calls: int,
) -> FunctionReport:
    """Draw calls with hypothesis, shrink the first failure, and name its misconception."""
    state: dict[str, Any] = {"calls": 0, "failures": [], "stopped": "", "dead": False, "missing": False}
    start = time.monotonic()

    # The source of ``prop`` seeds the derandomized draws (hypothesis hashes it): the
    # plan of :func:`_plan` is recorded by this same function, so keep them one.
    @settings
    @given(cases(supports))
    def prop(case: Case) -> None:
        if state["dead"] or state["missing"]:
            return
        if time.monotonic() - start > time_limit:
            state["stopped"] = state["stopped"] or "time"
            return
        if state["calls"] >= max_calls:
            state["stopped"] = state["stopped"] or "calls"
            return
        failure = _run_case(call, supports, case, reference_of, rtol, atol, state)
        if failure is not None:
            state["failures"].append(failure)
            raise _Stop

    try:
        prop()
    except (_Stop, Flaky):
        pass
    except HypothesisException as err:  # e.g. Unsatisfiable: report, do not crash the caller
        if not state["failures"]:
            raise RuntimeError(f"hypothesis could not test the function: {err}") from err
    failures = list(state["failures"])
    if failures and not state["dead"] and len(min(failures, key=lambda f: f.size).labels) > 1:
        # the smallest call may not tell two mistakes apart (p instead of 2p and a forgotten +1
        # both give 4 on n=3, k=1, p=1): a few more calls, to keep the labels that explain them all
        failures += _more_failures(
            call, supports, reference_of, rtol, atol, state, deadline=start + time_limit, max_calls=max_calls
        )
    if failures:
        return FunctionReport(False, state["calls"], _diagnosed(failures), state["stopped"], state["missing"])
    if state["stopped"] == "time" and not state["missing"]:
        return FunctionReport(False, state["calls"], _slow(state["calls"], settings.max_examples, time_limit), "time")
    return FunctionReport(not state["missing"], state["calls"], None, state["stopped"], state["missing"])


# ---------------------------------------------------------------- the cached plan


@dataclass(frozen=True)
class _Plan:
    """The calls a derandomized search makes on a function that passes, with the reference results."""

    cases: tuple[Case, ...]
    """Every case, in the order hypothesis draws it."""

    expected: tuple[Any, ...]
    """The reference result of each case."""

    stopped: str
    """``"calls"`` when ``max_calls`` cut the search short, else ``""``."""


#: Plans by (supports, reference, rtol, atol, settings); the oldest is dropped first.
_PLANS: OrderedDict[Any, _Plan] = OrderedDict()
_MAX_PLANS = 64
_PLANS_LOCK = threading.Lock()
#: Seconds the recording of a plan may take (the reference's and hypothesis's time).
_PLAN_TIME = 60.0  # graders may check in threads (e.g. a Dask worker)


def _plan(
    supports: Supports,
    reference: Callable[..., Any] | None,
    reference_of: Callable[[Case], Any],
    rtol: float,
    atol: float,
    settings: Settings,
    time_limit: float,
    max_calls: int,
) -> _Plan | None:
    """The cached plan of these settings; ``None`` when the draws are not reproducible (not derandomized,
    a database) or the recording run did not finish in ``time_limit``.

    The plan is recorded by :func:`_search` itself, with the reference standing in
    for the function: with derandomized settings hypothesis draws the same cases
    for every function until one fails, so a function that passes every case of
    the plan is exactly one that passes the search, and the first case it fails
    is the first failure the search would meet.
    """
    if not settings.derandomize or settings.database is not None:
        return None
    key = (supports, reference, rtol, atol, repr(settings))
    try:
        with _PLANS_LOCK:
            plan = _PLANS.get(key)
            if plan is not None:
                _PLANS.move_to_end(key)
                return plan
    except TypeError:  # an unhashable reference
        return None
    drawn: list[Case] = []
    results: list[Any] = []

    def record(case: Case) -> Any:
        value = reference_of(case)
        drawn.append(case)
        results.append(value)
        return value

    def echo(args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> Outcome:
        return Outcome("ok", results[-1])

    # the grader's own cost, not the student's: its own budget, and every case hypothesis draws
    # (the replay applies the student's ``time_limit`` and ``max_calls``)
    report = _search(echo, supports, record, rtol, atol, settings, max(time_limit, _PLAN_TIME), 10**6)
    if not report.passed or report.stopped == "time" or report.calls != len(drawn):
        return None
    for value in results:
        if isinstance(value, np.ndarray):
            value.setflags(write=False)  # shared by every replay
    order = sorted(range(len(drawn)), key=lambda i: not discriminates(drawn[i], results[i]))
    plan = _Plan(tuple(drawn[i] for i in order), tuple(results[i] for i in order), report.stopped)
    with _PLANS_LOCK:
        _PLANS[key] = plan
        while len(_PLANS) > _MAX_PLANS:
            _PLANS.popitem(last=False)
    return plan


def discriminates(case: Case, expected: Any) -> bool:
    """Whether a case tells a right function from a trivial one.

    A case does not discriminate when its expected result is also what
    returning zeros or a constant, the input, or the transposed result gives
    (an all-zero output, a constant array, an output equal to an input array,
    a symmetric square output), or, for a number, one of the arguments, 0 or 1.
    The plan runs the discriminating cases first, so a function that stalls
    after a few cases has met some.

    Parameters
    ----------
    case : Case
        One call.
    expected : Any
        Its reference result.

    Returns
    -------
    bool

    Examples
    --------
    >>> case = Case((np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[1.0]])), {}, ("X", "K"))
    >>> discriminates(case, np.array([[1.0, 2.0], [3.0, 4.0]]))      # the input itself
    False
    >>> discriminates(case, np.array([[2.0, 4.0], [6.0, 9.0]]))
    True
    >>> discriminates(Case((8, 3, 1, 2), {}, ("n", "k", "p", "s")), 4)
    True
    """
    if not isinstance(expected, np.ndarray):
        values = [a for a in case.args if isinstance(a, (int, np.integer))]
        return expected not in (0, 1) and all(expected != v for v in values)
    if expected.size < 2 or not np.all(np.isfinite(expected)):
        return False
    flat = expected.ravel()
    if np.all(flat == flat[0]):
        return False
    for arg in case.args:
        if isinstance(arg, np.ndarray) and arg.shape == expected.shape and np.allclose(arg, expected):
            return False
    if (
        expected.ndim >= 2
        and expected.shape[-1] == expected.shape[-2]
        and np.allclose(expected, np.swapaxes(expected, -1, -2))
    ):
        return False
    return True


#: Failing calls (the smallest) on which the smallest one's misconceptions are confirmed.
_CONFIRM = 5
#: Most failing calls collected by a replay (to pick the smallest and tell misconceptions apart).
_MAX_FAILURES = 12


def _replay(
    call: Callable[..., Any],
    supports: Supports,
    plan: _Plan,
    reference_of: Callable[[Case], Any],
    rtol: float,
    atol: float,
    time_limit: float,
    max_calls: int,
) -> FunctionReport:
    """Call the function on the plan's cases (the discriminating ones first), collecting the failures.

    A function that fails is not searched again: the smallest failing case of
    the plan is reported (the plan holds hypothesis's smallest draws, so it is
    small), and the misconception is the catalogue entry that explains every
    wrong result met. A budget that runs out before every case ran is a
    failure (``slow``), never a pass.
    """
    start = time.monotonic()
    calls = 0
    failures: list[tuple[Case, Any, Any]] = []
    for case, expected in zip(plan.cases, plan.expected):
        if time.monotonic() - start > time_limit:
            if failures:
                break
            return FunctionReport(False, calls, _slow(calls, len(plan.cases), time_limit), "time")
        if calls >= max_calls:
            break
        result = call(copy.deepcopy(tuple(case.args)), copy.deepcopy(dict(case.kwargs)))
        calls += 1
        status = getattr(result, "status", "error")
        if status == "ok" and compare(expected, result.value, rtol=rtol, atol=atol) is None:
            continue
        if calls == 1 and status == "error" and str(getattr(result, "message", "")).startswith("NotImplementedError"):
            return FunctionReport(False, calls, None, "", True)
        if status in ("timeout", "crashed"):  # no more calls into a stuck or dead process
            return FunctionReport(False, calls, _judge(supports, case, copy.deepcopy(expected), result, rtol, atol))
        failures.append((case, expected, result))
        if len(failures) >= _MAX_FAILURES:
            break
    if not failures:
        return FunctionReport(True, calls, None, plan.stopped if calls == len(plan.cases) else "calls")
    # the smallest failure, shrunk a little more, is judged in full; the others only against its
    # candidate misconceptions
    case, expected, result = min(failures, key=lambda f: f[0].size)
    case, expected, result, spent = _shrink(
        call,
        supports,
        reference_of,
        case,
        expected,
        result,
        rtol,
        atol,
        deadline=min(time.monotonic() + SHRINK_TIME, start + time_limit),
        max_calls=max(0, min(SHRINK_CALLS, max_calls - calls)),
    )
    calls += spent
    smallest = _judge(supports, case, copy.deepcopy(expected), result, rtol, atol)
    assert smallest is not None
    if smallest.status != "wrong":
        return FunctionReport(False, calls, smallest)
    others = [
        _explained(supports, c, r.value, smallest.labels, rtol, atol)
        for c, e, r in sorted(failures, key=lambda f: f[0].size)[:_CONFIRM]
        if getattr(r, "status", "") == "ok" and c is not case
    ]
    common = tuple(lab for lab in smallest.labels if all(lab in found for found in others))
    return FunctionReport(
        False, calls, replace(smallest, misconception=common[0] if len(common) == 1 else None, labels=common)
    )


#: Seconds and calls a replay spends shrinking its smallest failing case further.
SHRINK_TIME = 0.03
SHRINK_CALLS = 40


def _shrink(
    call: Callable[..., Any],
    supports: Supports,
    reference_of: Callable[[Case], Any],
    case: Case,
    expected: Any,
    result: Any,
    rtol: float,
    atol: float,
    *,
    deadline: float,
    max_calls: int,
) -> tuple[Case, Any, Any, int]:
    """Greedy shrink of a failing case within a small budget: keep each simpler case that still fails
    the same way (a wrong result stays wrong, an error stays an error)."""
    calls = 0
    kind = getattr(result, "status", "error")
    progress = True
    while progress and calls < max_calls and time.monotonic() < deadline:
        progress = False
        for candidate in shrink_candidates(supports, case):
            if calls >= max_calls or time.monotonic() >= deadline:
                break
            try:
                want = reference_of(candidate)
            except Exception:  # noqa: BLE001 - a candidate the reference refuses is not a call to make
                continue
            got = call(copy.deepcopy(tuple(candidate.args)), copy.deepcopy(dict(candidate.kwargs)))
            calls += 1
            status = getattr(got, "status", "error")
            if status in ("timeout", "crashed"):
                return case, expected, result, calls
            still = (status == kind == "ok" and compare(want, got.value, rtol=rtol, atol=atol) is not None) or (
                status == kind == "error"
            )
            if still:
                case, expected, result, progress = candidate, want, got, True
                break
    return case, expected, result, calls


def _explained(
    supports: Supports, case: Case, actual: Any, labels: Sequence[str], rtol: float, atol: float
) -> set[str]:
    """Which of ``labels`` do not contradict ``actual`` on ``case``: they give exactly it, or their
    model does not apply there (the mistake would crash, or needs an option the case does not set)."""
    contradicted: set[str] = set()
    explained: set[str] = set()
    for label, value in misconception_outputs(supports, case, only=labels):
        if label in explained:
            continue  # a label with several models (padding on the left or on the right)
        if _same_shape(value, actual) and compare(value, actual, rtol=rtol, atol=atol) is None:
            explained.add(label)
        else:
            contradicted.add(label)
    return (set(labels) - contradicted) | explained


def _same_shape(a: Any, b: Any) -> bool:
    """A cheap first test before :func:`compare` (most models differ from the result in shape)."""
    return not isinstance(a, np.ndarray) or not isinstance(b, np.ndarray) or a.shape == b.shape


def _slow(ran: int, total: int, budget: float) -> Failure:
    return Failure("", "slow", None, message=f"{ran} of {total} cases ran in the {budget:g} s budget")


def _diagnosed(failures: Sequence[Failure]) -> Failure:
    """The smallest failure, naming the misconceptions that explain *every* wrong result met.

    One label is named (``misconception``) only when it is the only one; when
    several explain every result, all are kept in ``labels`` and none is chosen.
    """
    stuck = [f for f in failures if f.status in ("timeout", "crashed")]
    if stuck:
        return stuck[0]
    smallest = min(failures, key=lambda f: f.size)
    wrong = [f for f in failures if f.status == "wrong"]
    if smallest.status != "wrong" or not wrong:
        return replace(smallest, misconception=None, labels=())
    # the rule of _explained: a label is kept unless a failing call contradicts it
    common = [lab for lab in smallest.labels if not any(lab in f.contradicted for f in wrong)]
    return replace(smallest, misconception=common[0] if len(common) == 1 else None, labels=tuple(common))


def _more_failures(
    call: Callable[..., Any],
    supports: Supports,
    reference_of: Callable[[Case], Any],
    rtol: float,
    atol: float,
    state: dict[str, Any],
    *,
    deadline: float,
    max_calls: int,
    examples: int = 20,
) -> list[Failure]:
    """Up to ``examples`` more calls, to tell apart misconceptions the smallest failure cannot."""
    found: list[Failure] = []

    @Settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        phases=(Phase.generate,),
        suppress_health_check=list(HealthCheck),
    )
    @given(cases(supports))
    def more(case: Case) -> None:
        if state["calls"] >= max_calls or time.monotonic() > deadline or state["dead"]:
            return
        failure = _run_case(call, supports, case, reference_of, rtol, atol, state)
        if failure is not None and failure.status == "wrong":
            found.append(failure)

    more()
    return found


def _run_case(
    call: Callable[..., Any],
    supports: Supports,
    case: Case,
    reference_of: Callable[[Case], Any],
    rtol: float,
    atol: float,
    state: dict[str, Any],
) -> Failure | None:
    expected = reference_of(case)
    result = call(tuple(case.args), dict(case.kwargs))
    state["calls"] += 1
    failure = _judge(supports, case, expected, result, rtol, atol)
    if failure is None or failure.status == "wrong":
        return failure
    if state["calls"] == 1 and failure.status == "error" and failure.message.startswith("NotImplementedError"):
        state["missing"] = True
        return None
    if failure.status in ("timeout", "crashed"):
        state["dead"] = True  # no more calls into a dead or stuck process
    return failure


def _judge(supports: Supports, case: Case, expected: Any, result: Any, rtol: float, atol: float) -> Failure | None:
    """What went wrong in ``result`` (a call's outcome) on ``case``; ``None`` when it agrees with ``expected``."""
    status = getattr(result, "status", "error")
    if status != "ok":
        return Failure(
            case.render("f")[2:-1], status, expected, None, str(getattr(result, "message", "")), size=case.size
        )
    actual = result.value
    mismatch = compare(expected, actual, rtol=rtol, atol=atol)
    if mismatch is None:
        return None
    labels: list[str] = []
    others: list[str] = []
    for candidate, value in misconception_outputs(supports, case):
        if candidate not in labels and compare(value, actual, rtol=rtol, atol=atol) is None:
            labels.append(candidate)
        elif candidate not in others:
            others.append(candidate)
    return Failure(
        case.render("f")[2:-1],
        "wrong",
        expected,
        actual,
        "",
        mismatch,
        labels[0] if labels else None,
        case.size,
        tuple(labels),
        tuple(lab for lab in others if lab not in labels),  # a label with several models: one that gives it is enough
    )
