"""exercises.seeding: HMAC-SHA256 variant seeds."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from convmath.errors import ConvMathError
from exercises.seeding import SEED_VERSION, variant_seed


def _documented(secret: bytes, *fields: str) -> int:
    """The construction the module docstring states, written out independently."""
    message = SEED_VERSION
    for field in fields:
        data = field.encode("utf-8")
        message += len(data).to_bytes(4, "big") + data
    return int.from_bytes(hmac.new(secret, message, hashlib.sha256).digest()[:8], "big")


@pytest.mark.parametrize(
    "secret, assignment, student, slot",
    [
        pytest.param(b"course secret", "hw1", "s001", "q1", id="ascii"),
        pytest.param(b"\x00\xff", "作业一", "学生-07", "第2题", id="utf8-ids"),
        pytest.param(b"k", "", "", "", id="empty-fields"),
    ],
)
def test_seed_is_the_documented_hmac(secret: bytes, assignment: str, student: str, slot: str) -> None:
    seed = variant_seed(secret, assignment, student, slot)
    assert seed == _documented(secret, assignment, student, slot)
    assert 0 <= seed < 2**64
    assert seed == variant_seed(secret, assignment, student, slot)


@pytest.mark.parametrize(
    "a, b",
    [
        pytest.param(("ab", "c", "q"), ("a", "bc", "q"), id="field-boundary-1"),
        pytest.param(("a", "b", "cq"), ("a", "bc", "q"), id="field-boundary-2"),
        pytest.param(("hw1", "s1", "q1"), ("hw1", "s1", "q2"), id="slot"),
        pytest.param(("hw1", "s1", "q1"), ("hw2", "s1", "q1"), id="assignment"),
        pytest.param(("hw1", "s1", "q1"), ("hw1", "s2", "q1"), id="student"),
    ],
)
def test_every_field_matters_unambiguously(a: tuple[str, str, str], b: tuple[str, str, str]) -> None:
    assert variant_seed(b"secret", *a) != variant_seed(b"secret", *b)


def test_secret_matters() -> None:
    assert variant_seed(b"secret-1", "hw", "s", "q") != variant_seed(b"secret-2", "hw", "s", "q")


def test_roster_seeds_are_distinct() -> None:
    seeds = {variant_seed(b"secret", "hw1", f"s{i:04d}", "q1") for i in range(2000)}
    assert len(seeds) == 2000


@pytest.mark.parametrize(
    "args, message",
    [
        pytest.param((b"", "hw", "s", "q"), r"secret=b'' must be non-empty bytes", id="empty-secret"),
        pytest.param(("text", "hw", "s", "q"), r"secret='text' must be non-empty bytes", id="str-secret"),
        pytest.param((b"k", "hw", 7, "q"), r"student=7 must be a string, not int", id="int-student"),
        pytest.param((b"k", None, "s", "q"), r"assignment=None must be a string, not NoneType", id="none-assignment"),
    ],
)
def test_invalid_arguments(args: tuple, message: str) -> None:
    with pytest.raises(ConvMathError, match=message):
        variant_seed(*args)
