"""``convmath shape``: the shape / parameter / MAC / receptive-field table of a network.

SPEC is a ``.toml`` or ``.json`` spec file (``input_shape = [...]`` and
``[[layer]]`` tables, blocks with branches included), or the name of a
bundled spec (``lenet5``, ``alexnet``, ``vgg16``, and the branched
``resnet18``, ``resnet50``, ``densenet121``, ``googlenet``, ``squeezenet1_0``,
``mobilenet_v2``, ``mobilenet_v3_small``).
"""

from __future__ import annotations

import argparse

from ..counting import CONVENTIONS
from ..network import Network, bundled_specs
from ..summary import FORMATS


def main(argv: list[str]) -> int:
    """Print the summary table of SPEC; return the exit status.

    Examples
    --------
    >>> main(["lenet5", "--format", "json"])  # doctest: +ELLIPSIS
    {
      "name": "LeNet-5 (d2l)",
      "input_shape": [
        1,
        28,
        28
      ],
      "convention": "torchinfo",
      "rows": [
    ...
      "total_params": 61706,
      "total_macs": 423038
    }
    0
    """
    parser = argparse.ArgumentParser(
        prog="convmath shape",
        description="Print the shape, parameter, multiply-accumulate and receptive-field table of a layer stack. "
        "SPEC is a .toml or .json spec file (input_shape = [...] and [[layer]] tables) "
        "or the name of a bundled spec.",
        epilog="Example: convmath shape lenet5 --format markdown",
    )
    parser.add_argument("spec", metavar="SPEC", help=f"spec file, or one of: {', '.join(bundled_specs())}")
    parser.add_argument("--format", choices=FORMATS, default="text", help="output format (default: text)")
    parser.add_argument(
        "--convention",
        choices=CONVENTIONS,
        default="torchinfo",
        help="how multiply-accumulates are counted (default: torchinfo's Mult-Adds)",
    )
    args = parser.parse_args(argv)
    network = Network.load(args.spec)
    print(network.summary(convention=args.convention).render(args.format))
    return 0
