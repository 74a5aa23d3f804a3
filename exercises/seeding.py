"""Variant seeds: reproducible for the grader, unguessable for students.

A student's variant of a slot is drawn from ``random.Random(seed)`` where

.. code-block:: text

    seed = int.from_bytes(HMAC-SHA256(secret, message)[:8], "big")
    message = b"convmath-variant-v1" + field(assignment) + field(student) + field(slot)
    field(x) = len(utf8(x)).to_bytes(4, "big") + utf8(x)

Each field is length-prefixed, so the encoding is unambiguous: ``("ab", "c")``
and ``("a", "bc")`` give different messages, whatever characters the ids
contain. The version tag lets a future encoding coexist with this one.

The course secret is the HMAC key: without it a student cannot compute any
seed, so editing an id in the notebook metadata cannot pick a variant (the
grader regenerates from the roster's id anyway). With it the grader
regenerates every variant exactly. The seed has 64 bits.
"""

from __future__ import annotations

import hashlib
import hmac

from convmath.errors import ConvMathError

__all__ = ["variant_seed", "SEED_VERSION"]

#: Domain-separation tag prefixed to every HMAC message.
SEED_VERSION = b"convmath-variant-v1"


def _field(name: str, value: str) -> bytes:
    if not isinstance(value, str):
        raise ConvMathError(f"{name}={value!r} must be a string, not {type(value).__name__}")
    data = value.encode("utf-8")
    return len(data).to_bytes(4, "big") + data


def variant_seed(secret: bytes, assignment: str, student: str, slot: str) -> int:
    """The seed of one student's variant of one slot of an assignment.

    Parameters
    ----------
    secret : bytes
        The course secret (the HMAC key); must not be empty.
    assignment : str
        Assignment id.
    student : str
        Student id from the roster.
    slot : str
        Slot id within the assignment.

    Returns
    -------
    int
        An integer in ``[0, 2**64)``: the first 8 bytes of
        HMAC-SHA256(secret, version tag + length-prefixed UTF-8 fields), big-endian.

    Examples
    --------
    >>> a = variant_seed(b"course secret", "hw1", "s001", "q1")
    >>> a == variant_seed(b"course secret", "hw1", "s001", "q1")   # reproducible
    True
    >>> a != variant_seed(b"course secret", "hw1", "s002", "q1")   # per student
    True
    >>> variant_seed(b"k", "ab", "c", "q") != variant_seed(b"k", "a", "bc", "q")  # unambiguous
    True
    >>> 0 <= a < 2**64
    True
    >>> variant_seed(b"", "hw1", "s001", "q1")
    Traceback (most recent call last):
    ...
    convmath.errors.ConvMathError: secret=b'' must be non-empty bytes
    """
    if not isinstance(secret, (bytes, bytearray)) or not secret:
        raise ConvMathError(f"secret={secret!r} must be non-empty bytes")
    message = SEED_VERSION + _field("assignment", assignment) + _field("student", student) + _field("slot", slot)
    digest = hmac.new(bytes(secret), message, hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big")
