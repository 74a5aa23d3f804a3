"""Framing and the plain-data codec spoken between the grader and its sandbox.

A frame is a 4-byte big-endian length followed by that many bytes of UTF-8
JSON. Values travel as JSON with a few tagged objects (``{"$": ...}``) for what
JSON cannot say: tuples, dicts with non-string keys, non-finite floats, complex
numbers, numpy scalars and arrays (dtype + shape + base64 bytes, only the
bool/int/uint/float/complex kinds). Nothing is ever pickled.

The child loads this module before any student code runs and keeps private
references to everything it uses (a snapshot of the builtins, the C string
escaper, ``os.write``), so a submission that patches ``json``, ``builtins`` or
``numpy`` does not change what is sent. The encoder never calls a method that
student code could define: it dispatches on exact types (``type(x) is int``),
so an object with a malicious ``__eq__``, ``__len__``, ``__array__`` or
``__float__`` is refused as "unserializable" without being touched.

The parent trusts nothing it receives: :func:`decode` validates every tag,
dtype, shape and byte count, and refuses deep nesting.

Examples
--------
>>> import json
>>> enc = Encoder()
>>> text = enc.encode((1, 2.5, float("nan"), {"a": [True, None]}))
>>> text
'{"$":"tuple","v":[1,2.5,{"$":"float","v":"nan"},{"$":"dict","v":[["a",[true,null]]]}]}'
>>> decode(json.loads(text))
(1, 2.5, nan, {'a': [True, None]})
"""

from __future__ import annotations

import builtins as _builtins_module

# A private snapshot of the builtins: every function below looks names up here,
# so a submission that replaces builtins.len or builtins.type changes nothing.
__builtins__ = dict(vars(_builtins_module))

import binascii  # noqa: E402
import math  # noqa: E402
import os  # noqa: E402
import select  # noqa: E402
import struct  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402

try:
    from _json import encode_basestring_ascii as _escape  # the C escaper
except ImportError:  # pragma: no cover - CPython always has _json
    from json.encoder import py_encode_basestring_ascii as _escape

__all__ = [
    "ProtocolError",
    "FrameEOF",
    "FrameTimeout",
    "Unserializable",
    "write_frame",
    "read_frame",
    "Encoder",
    "decode",
    "ARRAY_KINDS",
    "MAX_DEPTH",
    "MAX_ELEMENTS",
    "count_elements",
    "short_name",
]

#: numpy dtype kinds that may cross the boundary: bool, signed, unsigned, float, complex
ARRAY_KINDS = "biufc"
#: deepest nesting of lists/tuples/dicts accepted either way
MAX_DEPTH = 64
#: integers wider than this many bits are refused (their decimal text would be huge)
MAX_INT_BITS = 10_000
#: most values (list items, dict entries, containers) in one message: the parent's memory for a
#: parsed reply stays near 100 bytes per element, so ~100 MB at most (a list of a million floats passes)
MAX_ELEMENTS = 1_000_000
#: longest class or function name the child reports (a student may define a 10 MB name)
MAX_NAME = 200

_HEADER = struct.Struct(">I")
_write = os.write
_read = os.read
_select = select.select
_monotonic = time.monotonic
_b64encode = binascii.b2a_base64
_b64decode = binascii.a2b_base64
_int_repr = int.__repr__
_float_repr = float.__repr__
_int_bit_length = int.bit_length
_isfinite = math.isfinite
_join = "".join
_type_name = type.__dict__["__name__"].__get__
#: Public spellings of two fast helpers the worker binds too: JSON string escaping, a type's own name.
escape_ascii, type_name = _escape, _type_name
_type_module = type.__dict__["__module__"].__get__


def count_elements(raw: bytes) -> int:
    """An upper bound of the values a JSON message holds, counted before parsing it.

    Every value after the first in a container follows a comma, and every
    container opens with a bracket; commas and brackets inside strings only
    make the bound larger. Counting runs at C speed and allocates nothing.

    Examples
    --------
    >>> count_elements(b'[[], [], [1, 2]]')
    8
    """
    return raw.count(b",") + raw.count(b"[") + raw.count(b"{") + 1


def short_name(name: object, limit: int = MAX_NAME) -> str:
    """``name`` if a str of at most ``limit`` characters, else its start and a visible cut.

    Examples
    --------
    >>> short_name("Box"), short_name("A" * 300)[-13:], short_name(3)
    ('Box', '… (truncated)', '?')
    """
    if type(name) is not str:
        return "?"
    return name if len(name) <= limit else name[:limit] + "… (truncated)"


class ProtocolError(Exception):
    """The other side sent something that is not a valid message."""


class FrameEOF(ProtocolError):
    """The pipe was closed (the other side died or closed it)."""


class FrameTimeout(ProtocolError):
    """No complete frame arrived before the deadline."""


class Unserializable(Exception):
    """A value that is not plain data; the message says what it is."""


def write_frame(fd: int, payload: bytes, deadline: float | None = None) -> None:
    """Write one length-prefixed frame to ``fd``.

    With a ``deadline`` (a :func:`time.monotonic` value) the descriptor must be
    non-blocking: the write waits with ``select`` and raises
    :class:`FrameTimeout` instead of hanging on a child that stopped reading.

    Examples
    --------
    The frame is a 4-byte big-endian length and the payload (here 4 + 9
    bytes); :func:`read_frame` reads it back whole:

    >>> import os
    >>> r, w = os.pipe()
    >>> write_frame(w, b"[1, 2, 3]")
    >>> read_frame(r, 1 << 20)
    b'[1, 2, 3]'
    >>> os.close(r); os.close(w)
    """
    data = memoryview(_HEADER.pack(len(payload)) + payload)
    while len(data):
        if deadline is not None:
            remaining = deadline - _monotonic()
            if remaining <= 0:
                raise FrameTimeout("timed out writing to the sandbox")
            _, ready, _ = _select([], [fd], [], remaining)
            if not ready:
                continue
        try:
            written = _write(fd, data)
        except BlockingIOError:
            continue
        except (BrokenPipeError, OSError) as err:
            raise FrameEOF(f"pipe closed while writing ({err.__class__.__name__})") from None
        data = data[written:]


def _read_exactly(fd: int, size: int, deadline: float | None) -> bytes:
    chunks: list[bytes] = []
    missing = size
    while missing:
        if deadline is not None:
            remaining = deadline - _monotonic()
            if remaining <= 0:
                raise FrameTimeout("timed out waiting for the sandbox")
            ready, _, _ = _select([fd], [], [], remaining)
            if not ready:
                continue
        try:
            chunk = _read(fd, min(missing, 1 << 20))
        except BlockingIOError:
            continue
        except OSError as err:
            raise FrameEOF(f"pipe error while reading ({err.__class__.__name__})") from None
        if not chunk:
            raise FrameEOF("the pipe was closed")
        chunks.append(chunk)
        missing -= len(chunk)
    return b"".join(chunks)


def read_frame(fd: int, max_bytes: int, deadline: float | None = None) -> bytes:
    """Read one frame from ``fd``; refuse frames longer than ``max_bytes``.

    Examples
    --------
    A frame is a length header and the payload; a 10-byte frame is refused
    by a reader that accepts at most 4 bytes, and a closed pipe is
    :class:`FrameEOF`:

    >>> import os
    >>> r, w = os.pipe()
    >>> write_frame(w, b'{"op":"hello"}')
    >>> read_frame(r, 1024)
    b'{"op":"hello"}'
    >>> write_frame(w, b"0123456789")
    >>> read_frame(r, 4)
    Traceback (most recent call last):
    grader.sandbox.protocol.ProtocolError: a message of 10 bytes exceeds the limit of 4 bytes
    >>> os.close(r); os.close(w)
    >>> r, w = os.pipe(); os.close(w)
    >>> read_frame(r, 1024)
    Traceback (most recent call last):
    grader.sandbox.protocol.FrameEOF: the pipe was closed
    >>> os.close(r)
    """
    (size,) = _HEADER.unpack(_read_exactly(fd, _HEADER.size, deadline))
    if size > max_bytes:
        raise ProtocolError(f"a message of {size} bytes exceeds the limit of {max_bytes} bytes")
    return _read_exactly(fd, size, deadline)


class Encoder:
    """Encode plain data to the JSON wire text without running foreign code.

    Parameters
    ----------
    numpy : module, optional
        The genuine numpy module, captured before student code runs (None: no
        arrays). Its ``ndarray`` and scalar types are captured at construction.
    max_bytes : int
        Largest text produced; beyond it :class:`Unserializable` is raised.
    max_depth : int
        Deepest nesting of containers.

    Examples
    --------
    >>> Encoder().encode([1, "a", (None,)])
    '[1,"a",{"$":"tuple","v":[null]}]'
    >>> class Liar:
    ...     def __eq__(self, other):
    ...         return True
    >>> Encoder().encode(Liar())
    Traceback (most recent call last):
    ...
    grader.sandbox.protocol.Unserializable: a Liar object is not plain data
    """

    def __init__(
        self,
        numpy: Any = None,
        *,
        max_bytes: int = 64 << 20,
        max_depth: int = MAX_DEPTH,
        max_elements: int = MAX_ELEMENTS // 2,
    ) -> None:
        self.max_bytes = max_bytes
        self.max_depth = max_depth
        self.max_elements = max_elements
        self._ndarray = None
        self._scalars: dict[int, type] = {}
        if numpy is not None:
            self._ndarray = numpy.ndarray
            for code in "?bBhHiIlLqQefdgFDG":
                scalar = numpy.dtype(code).type
                self._scalars[id(scalar)] = scalar

    def encode(self, value: Any) -> str:
        """Return the wire text of ``value`` or raise :class:`Unserializable`."""
        out: list[str] = []
        self._size = 0
        self._count = 0
        self._encode(value, out, 0)
        return _join(out)

    def _emit(self, out: list[str], text: str) -> None:
        self._size += len(text)
        if self._size > self.max_bytes:
            raise Unserializable(f"the value is larger than the limit of {self.max_bytes} bytes")
        out.append(text)

    def _more(self, n: int) -> None:
        self._count += n
        if self._count > self.max_elements:
            raise Unserializable(
                f"the value holds more than {self.max_elements} items; return a numpy array or a smaller value"
            )

    def _encode(self, x: Any, out: list[str], depth: int) -> None:  # noqa: C901 - one dispatch table
        t = type(x)
        if x is None:
            out.append("null")
        elif x is True:
            out.append("true")
        elif x is False:
            out.append("false")
        elif t is int:
            if _int_bit_length(x) > MAX_INT_BITS:
                raise Unserializable(f"an integer of {_int_bit_length(x)} bits is too large")
            self._emit(out, _int_repr(x))
        elif t is float:
            self._emit(out, self._float(x))
        elif t is str:
            self._emit(out, _escape(x))
        elif t is complex:
            self._emit(out, '{"$":"complex","v":[' + self._float(x.real) + "," + self._float(x.imag) + "]}")
        elif t is list or t is tuple:
            if depth >= self.max_depth:
                raise Unserializable(f"the value is nested deeper than {self.max_depth} levels")
            self._more(len(x) + 1)
            out.append("[" if t is list else '{"$":"tuple","v":[')
            for i in range(len(x)):  # exact list/tuple: len() cannot be overridden
                if i:
                    out.append(",")
                self._encode(x[i], out, depth + 1)
            out.append("]" if t is list else "]}")
        elif t is dict:
            if depth >= self.max_depth:
                raise Unserializable(f"the value is nested deeper than {self.max_depth} levels")
            self._more(2 * len(x) + 1)
            out.append('{"$":"dict","v":[')
            for i, (key, item) in enumerate(dict.items(x)):
                out.append(",[" if i else "[")
                self._encode(key, out, depth + 1)
                out.append(",")
                self._encode(item, out, depth + 1)
                out.append("]")
            out.append("]}")
        elif self._ndarray is not None and t is self._ndarray:
            self._array(x, out)
        elif id(t) in self._scalars and self._scalars[id(t)] is t:
            self._emit(
                out,
                '{"$":"npscalar","dtype":'
                + _escape(x.dtype.str)
                + ',"data":"'
                + _b64encode(x.tobytes(), newline=False).decode("ascii")
                + '"}',
            )
        else:
            raise Unserializable(self._describe(x, t))

    @staticmethod
    def _float(x: float) -> str:
        if _isfinite(x):
            return _float_repr(x)
        return '{"$":"float","v":"' + ("nan" if x != x else "inf" if x > 0 else "-inf") + '"}'

    def _array(self, a: Any, out: list[str]) -> None:
        dtype = a.dtype
        if dtype.kind not in ARRAY_KINDS or dtype.fields is not None or dtype.subdtype is not None:
            raise Unserializable(
                f"an array of dtype {dtype.str} ({dtype.name}) is not numeric; "
                "only bool, int, uint, float and complex arrays are accepted"
            )
        if a.nbytes * 4 // 3 + 200 > self.max_bytes:
            raise Unserializable(
                f"an array of {a.nbytes} bytes is larger than the limit of {self.max_bytes * 3 // 4} bytes"
            )
        shape = ",".join(_int_repr(n) for n in a.shape)
        self._emit(out, '{"$":"ndarray","dtype":' + _escape(dtype.str) + ',"shape":[' + shape + '],"data":"')
        self._emit(out, _b64encode(a.tobytes(order="C"), newline=False).decode("ascii"))
        out.append('"}')

    def _describe(self, x: Any, t: type) -> str:
        # read the class's name through type's own descriptors: a metaclass
        # cannot intercept them
        name = short_name(_type_name(t))
        module = _type_module(t)
        module = short_name(module) if type(module) is str else ""
        for base in (int, float, complex, str, list, tuple, dict):
            if issubclass(t, base) and t is not bool:
                return f"a {name} object (a subclass of {base.__name__}) is not plain data; use a plain {base.__name__}"
        if self._ndarray is not None and issubclass(t, self._ndarray):
            return f"numpy subclass {module}.{name} is not accepted; return a plain numpy.ndarray (np.asarray)"
        if module.startswith("sympy"):
            return f"a sympy {name} is not accepted; write the expression as a string"
        return f"a {name} object is not plain data"


def _fail(message: str) -> None:
    raise ProtocolError(message)


def decode(obj: Any, depth: int = 0) -> Any:
    """Turn parsed wire JSON into Python values, validating every part.

    Raises :class:`ProtocolError` for anything the encoder would not produce.

    Examples
    --------
    An ``int16`` array survives the round trip; an object array (``|O``) is
    never produced by the encoder and is refused:

    >>> import json
    >>> import numpy as np
    >>> a = np.arange(6, dtype=np.int16).reshape(2, 3)
    >>> b = decode(json.loads(Encoder(np).encode(a)))
    >>> b.dtype, b.shape, bool((a == b).all())
    (dtype('int16'), (2, 3), True)
    >>> decode({"$": "ndarray", "dtype": "|O", "shape": [1], "data": ""})
    Traceback (most recent call last):
    ...
    grader.sandbox.protocol.ProtocolError: array dtype '|O' is not allowed
    """
    if depth > MAX_DEPTH + 2:
        _fail("value nested too deeply")
    t = type(obj)
    if obj is None or t is bool or t is str:
        return obj
    if t is int:
        if obj.bit_length() > MAX_INT_BITS:
            _fail("integer too large")
        return obj
    if t is float:
        return obj
    if t is list:
        return [decode(item, depth + 1) for item in obj]
    if t is not dict:
        _fail(f"unexpected {t.__name__} in a value")
    tag = obj.get("$")
    if tag == "tuple" and set(obj) == {"$", "v"} and type(obj["v"]) is list:
        return tuple(decode(item, depth + 1) for item in obj["v"])
    if tag == "dict" and set(obj) == {"$", "v"} and type(obj["v"]) is list:
        result = {}
        for pair in obj["v"]:
            if type(pair) is not list or len(pair) != 2:
                _fail("malformed dict entry")
            key = decode(pair[0], depth + 1)
            try:
                hash(key)
            except TypeError:
                _fail("unhashable dict key")
            result[key] = decode(pair[1], depth + 1)
        return result
    if tag == "float" and set(obj) == {"$", "v"} and obj["v"] in ("nan", "inf", "-inf"):
        return float(obj["v"])
    if tag == "complex" and set(obj) == {"$", "v"} and type(obj["v"]) is list and len(obj["v"]) == 2:
        re, im = (decode(part, depth + 1) for part in obj["v"])
        if type(re) is not float or type(im) is not float:
            _fail("malformed complex number")
        return complex(re, im)
    if tag == "ndarray" and set(obj) == {"$", "dtype", "shape", "data"}:
        return _decode_array(obj["dtype"], obj["shape"], obj["data"])
    if tag == "npscalar" and set(obj) == {"$", "dtype", "data"}:
        return _decode_array(obj["dtype"], [], obj["data"])[()]
    _fail(f"unknown or malformed tagged value {str(tag)[:40]!r}")


_numpy: Any = None


def use_numpy(module: Any) -> None:
    """Decode arrays with this (genuine, captured) numpy module rather than importing it."""
    global _numpy
    _numpy = module


def _decode_array(dtype_str: Any, shape: Any, data: Any) -> Any:
    np = _numpy
    if np is None:
        import numpy as np

        use_numpy(np)

    if type(dtype_str) is not str or len(dtype_str) > 8:
        _fail("malformed array dtype")
    try:
        dtype = np.dtype(dtype_str)
    except TypeError:
        _fail(f"array dtype {dtype_str!r} is not allowed")
    if dtype.kind not in ARRAY_KINDS or dtype.fields is not None or dtype.subdtype is not None:
        _fail(f"array dtype {dtype_str!r} is not allowed")
    if type(shape) is not list or len(shape) > 32 or any(type(n) is not int or not 0 <= n < 1 << 31 for n in shape):
        _fail("malformed array shape")
    if math.prod(max(n, 1) for n in shape) >= 1 << 40:  # numpy refuses such shapes even when empty
        _fail(f"array shape {tuple(shape)} is too large")
    if type(data) is not str:
        _fail("malformed array data")
    try:
        raw = _b64decode(data, strict_mode=True)
    except (binascii.Error, ValueError):
        _fail("array data is not valid base64")
    count = math.prod(shape)
    if count * dtype.itemsize != len(raw):
        _fail(
            f"array of shape {tuple(shape)} and dtype {dtype_str} needs {count * dtype.itemsize} bytes, got {len(raw)}"
        )
    try:
        return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()
    except (ValueError, MemoryError) as err:
        _fail(f"array of shape {tuple(shape)} cannot be built ({type(err).__name__})")
