"""Speed of convmath.numeric.correlate and corr2d against PyTorch and SciPy.

Prints, for each case, the median wall time of repeated runs (ms) of
convmath and of the reference it is compared with, measured in the same run
and interleaved (so load on the machine hits both alike), and their ratio.
Targets (issue 2): ``correlate`` within 3x of PyTorch's CPU convolution.
PyTorch and SciPy are optional; a missing one is reported and skipped.

Usage::

    python bench/bench_correlate.py [--repeat 25] [--dtype float32|float64|both] [--threads N]

``--threads N`` limits both BLAS (numpy's OpenBLAS) and PyTorch to N threads;
without it each library uses its own default. On a shared or loaded machine
``--threads 1`` gives the steadier comparison.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any


def _threads_from_argv(argv: list[str]) -> str | None:
    """``--threads N`` must act before numpy and torch start their thread pools."""
    for i, arg in enumerate(argv):
        if arg == "--threads" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--threads="):
            return arg.split("=", 1)[1]
    return None


_THREADS = _threads_from_argv(sys.argv[1:])
if _THREADS is not None:
    for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[_var] = _THREADS

import numpy as np  # noqa: E402

from convmath.numeric import corr2d, correlate  # noqa: E402

try:
    import torch
    import torch.nn.functional as F

    if _THREADS is not None:
        torch.set_num_threads(int(_THREADS))
except ImportError:  # pragma: no cover - optional
    torch = None
try:
    from scipy.signal import correlate2d
except ImportError:  # pragma: no cover - optional
    correlate2d = None

CONV_CASES = [
    # name, x shape, weight shape, stride, padding
    ("1x64x56x56, 64 3x3, pad 1", (1, 64, 56, 56), (64, 64, 3, 3), 1, 1),
    ("1x3x224x224, 64 7x7, stride 2, pad 3", (1, 3, 224, 224), (64, 3, 7, 7), 2, 3),
]
CORR2D_CASES = [
    ("224x224, 3x3", (224, 224), (3, 3)),
    ("512x512, 5x5", (512, 512), (5, 5)),
]


def medians(functions: dict[str, Callable[[], Any]], repeat: int) -> dict[str, float]:
    """Median milliseconds of each function, runs interleaved after one warm-up each."""
    for f in functions.values():
        f()
    times: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(repeat):
        for name, f in functions.items():
            start = time.perf_counter()
            f()
            times[name].append((time.perf_counter() - start) * 1e3)
    return {name: statistics.median(ts) for name, ts in times.items()}


def row(label: str, ours: float, theirs: float | None, against: str) -> str:
    if theirs is None:
        return f"  {label:<44} convmath {ours:8.2f} ms   {against}: not installed"
    return f"  {label:<44} convmath {ours:8.2f} ms   {against} {theirs:8.2f} ms   ratio {ours / theirs:5.2f}x"


def bench_conv(dtype: Any, repeat: int) -> None:
    rng = np.random.default_rng(0)
    print(f"correlate vs torch.nn.functional.conv2d ({np.dtype(dtype).name}):")
    for name, xs, ws, stride, padding in CONV_CASES:
        x = rng.standard_normal(xs).astype(dtype)
        w = rng.standard_normal(ws).astype(dtype)
        functions: dict[str, Callable[[], Any]] = {"ours": lambda: correlate(x, w, stride=stride, padding=padding)}
        if torch is not None:
            xt, wt = torch.from_numpy(x), torch.from_numpy(w)

            def theirs() -> Any:
                with torch.no_grad():
                    return F.conv2d(xt, wt, stride=stride, padding=padding)

            functions["torch"] = theirs
            tol = 1e-3 if dtype == np.float32 else 1e-9
            np.testing.assert_allclose(functions["ours"](), theirs().numpy(), rtol=tol, atol=tol)
        result = medians(functions, repeat)
        print(row(name, result["ours"], result.get("torch"), "torch"))


def bench_corr2d(dtype: Any, repeat: int) -> None:
    rng = np.random.default_rng(1)
    print(f"corr2d vs scipy.signal.correlate2d(mode='valid') ({np.dtype(dtype).name}):")
    for name, xs, ks in CORR2D_CASES:
        X = rng.standard_normal(xs).astype(dtype)
        K = rng.standard_normal(ks).astype(dtype)
        functions: dict[str, Callable[[], Any]] = {"ours": lambda: corr2d(X, K)}
        if correlate2d is not None:
            functions["scipy"] = lambda: correlate2d(X, K, mode="valid")
            tol = 1e-3 if dtype == np.float32 else 1e-9
            np.testing.assert_allclose(functions["ours"](), functions["scipy"](), rtol=tol, atol=tol)
        result = medians(functions, repeat)
        print(row(name, result["ours"], result.get("scipy"), "scipy"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=25, help="timed runs per function (median reported)")
    parser.add_argument("--dtype", choices=["float32", "float64", "both"], default="both")
    parser.add_argument("--threads", type=int, default=None, help="threads for BLAS and torch (default: theirs)")
    args = parser.parse_args()

    blas = os.environ.get("OPENBLAS_NUM_THREADS", "default")
    print(
        f"numpy {np.__version__} (BLAS threads: {blas}), torch {getattr(torch, '__version__', 'absent')}"
        f" ({torch.get_num_threads() if torch else '-'} threads), {os.cpu_count()} CPUs, median of {args.repeat}"
    )
    dtypes = [np.float32, np.float64] if args.dtype == "both" else [np.dtype(args.dtype).type]
    for dtype in dtypes:
        bench_conv(dtype, args.repeat)
    for dtype in dtypes:
        bench_corr2d(dtype, args.repeat)


if __name__ == "__main__":
    main()
