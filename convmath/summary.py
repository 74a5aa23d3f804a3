r"""Network summaries: one row per layer, rendered as text, Markdown, LaTeX or JSON.

The text table follows torchinfo's layout (layer, output shape, "Param #",
"Mult-Adds", then totals); the receptive-field columns ``r``, ``S``, ``P``
(Araujo et al., see :mod:`convmath.receptive`) are added where defined. A
size that is the same in every spatial dimension prints once (``5``), else
per dimension (``5x3``); ``--`` marks what is not defined or zero, as in
torchinfo.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import layers as _layers
from ._validate import check_choice
from .counting import CONVENTIONS
from .receptive import HasLayers, receptive_field

if TYPE_CHECKING:  # pragma: no cover
    from .network import Network

__all__ = ["Summary", "SummaryRow", "build_summary", "FORMATS"]

FORMATS: tuple[str, ...] = ("text", "markdown", "latex", "json")
"""Accepted values of :meth:`Summary.render`'s ``format``."""

_MACS_TITLE = {"torchinfo": "Mult-Adds", "macs": "MACs", "flops": "FLOPs"}


@dataclass(frozen=True)
class SummaryRow:
    """One layer of a :class:`Summary`."""

    index: int
    """Position of the layer, counting from 1."""
    name: str
    """``<type>-<index>``, e.g. ``"Conv2d-1"``."""
    type: str
    """PyTorch class name."""
    output_shape: tuple[Any, ...]
    """Shape after the layer (with the batch size first when the input had one)."""
    params: Any
    """Trainable parameters."""
    macs: Any
    """Multiply-accumulates in the summary's convention (for the whole batch)."""
    r: tuple[Any, ...] | None
    """Receptive-field size per spatial dimension, None where not defined."""
    S: tuple[Any, ...] | None
    """Effective stride per spatial dimension, None where not defined."""
    P: tuple[Any, ...] | None
    """Effective padding per spatial dimension, None where not defined."""
    block: str = ""
    """Dotted path of the layer in a network with blocks (``"layer1.0.body.0"``), empty in a plain sequence."""
    depth: int = 0
    """Nesting depth of the block (0 at the top): the text table indents by it."""
    aligned: bool = True
    """False where paths through branches disagree on the receptive field's centre (Araujo et al.)."""


@dataclass(frozen=True)
class Summary:
    """Rows and totals of a network; ``str()`` gives the text table."""

    name: str | None
    """The network's label."""
    input_shape: tuple[Any, ...]
    """Input shape (batch first when given)."""
    convention: str
    """How ``macs`` are counted: ``"torchinfo"``, ``"macs"`` or ``"flops"``."""
    rows: tuple[SummaryRow, ...]
    """One row per layer."""
    total_params: Any
    """Sum of the rows' parameters."""
    total_macs: Any
    """Sum of the rows' MACs."""

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        name = f"{self.name!r}, " if self.name else ""
        return (
            f"<Summary {name}{len(self.rows)} layers, params={self.total_params}, {self.convention}={self.total_macs}>"
        )

    # Jupyter and IPython: the table, not the dataclass fields.
    def _repr_html_(self) -> str:
        from html import escape

        right = {2, 3}  # the counts
        head = "".join(f"<th>{escape(title)}</th>" for title in self._header())
        body = "".join(
            "<tr>"
            + "".join(
                f'<td style="text-align:{"right" if i in right else "left"}">{escape(cell)}</td>'
                for i, cell in enumerate(cells)
            )
            + "</tr>"
            for cells in self._cells()
        )
        caption = f"<caption>{escape(self.name)}</caption>" if self.name else ""
        totals = "<br>".join(escape(line) for line in self._totals())
        return f"<table>{caption}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table><p>{totals}</p>"

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def _repr_latex_(self) -> str:
        return self.to_latex()

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(self.to_text())

    def render(self, format: str = "text") -> str:
        """The table in one of :data:`FORMATS`."""
        check_choice("format", format, FORMATS)
        return {"text": self.to_text, "markdown": self.to_markdown, "latex": self.to_latex, "json": self.to_json}[
            format
        ]()

    @property
    def has_blocks(self) -> bool:
        """True when some row sits in a named block: the tables then add a ``Block`` column."""
        return any(row.block for row in self.rows)

    def _cells(self, *, indent: bool = False) -> list[list[str]]:
        cells = []
        for row in self.rows:
            name = ("  " * row.depth if indent else "") + row.name
            r = _dims(row.r) + ("" if row.aligned else " (misaligned)")
            cells.append(
                [
                    name,
                    _shape(row.output_shape),
                    _count(row.params),
                    _count(row.macs),
                    r,
                    _dims(row.S),
                    _dims(row.P),
                    *([row.block] if self.has_blocks else []),
                ]
            )
        return cells

    def _header(self) -> list[str]:
        return [
            "Layer (type-idx)",
            "Output Shape",
            "Param #",
            _MACS_TITLE[self.convention],
            "r",
            "S",
            "P",
            *(["Block"] if self.has_blocks else []),
        ]

    def _totals(self) -> list[str]:
        return [
            f"Input shape: {_shape(self.input_shape)}",
            f"Total params: {_count(self.total_params, zero='0')}",
            f"Total {_MACS_TITLE[self.convention].lower()}: {_count(self.total_macs, zero='0')}",
        ]

    def to_text(self) -> str:
        """A torchinfo-like fixed-width table.

        Examples
        --------
        >>> from convmath import Network
        >>> layers = [{"type": "Conv2d", "out_channels": 2, "kernel_size": 3}, {"type": "ReLU"}]
        >>> print(Network(layers, (1, 5, 5)).summary())
        ========================================================================
        Layer (type-idx)  Output Shape  Param #  Mult-Adds  r  S  P
        ========================================================================
        Conv2d-1          [2, 3, 3]     20       180        3  1  0
        ReLU-2            [2, 3, 3]     --       --         3  1  0
        ========================================================================
        Input shape: [1, 5, 5]
        Total params: 20
        Total mult-adds: 180
        ========================================================================
        """
        table = [self._header(), *self._cells(indent=True)]
        widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
        lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in table]
        rule = "=" * max(72, max(len(line) for line in lines))
        title = [self.name] if self.name else []
        return "\n".join([*title, rule, lines[0], rule, *lines[1:], rule, *self._totals(), rule])

    def to_markdown(self) -> str:
        """A GitHub-flavoured Markdown table followed by the totals."""
        header = self._header()
        aligns = ["---", "---", "---:", "---:", "---:", "---:", "---:", *(["---"] if self.has_blocks else [])]
        lines = ["| " + " | ".join(header) + " |", "|" + "|".join(aligns) + "|"]
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in self._cells()]
        title = [f"**{self.name}**", ""] if self.name else []
        return "\n".join([*title, *lines, "", *(f"- {t}" for t in self._totals())])

    def to_latex(self) -> str:
        r"""A ``tabular`` (plain ``\hline`` rules, no package needed).

        Examples
        --------
        >>> from convmath import Network
        >>> print(Network([{"type": "Linear", "out_features": 2}], (3,)).summary().to_latex())
        \begin{tabular}{llrrlll}
        \hline
        Layer (type-idx) & Output Shape & Param \# & Mult-Adds & $r$ & $S$ & $P$ \\
        \hline
        Linear-1 & $2$ & 8 & 8 & -- & -- & -- \\
        \hline
        \multicolumn{7}{l}{Input shape: $3$; total params: 8; total mult-adds: 8} \\
        \hline
        \end{tabular}
        """

        def tex_shape(shape: Any) -> str:
            return "$" + r" \times ".join(str(v) for v in shape) + "$"

        def esc(text: str) -> str:
            return (
                text.replace("\\", r"\textbackslash{}")
                .replace("&", r"\&")
                .replace("%", r"\%")
                .replace("#", r"\#")
                .replace("_", r"\_")
            )

        head = [esc(h) if h not in ("r", "S", "P") else f"${h}$" for h in self._header()]
        columns = "llrrlll" + ("l" if self.has_blocks else "")
        lines = [rf"\begin{{tabular}}{{{columns}}}", r"\hline", " & ".join(head) + r" \\", r"\hline"]
        for row, cells in zip(self.rows, self._cells()):
            cells = [esc(cells[0]), tex_shape(row.output_shape), *(esc(c) for c in cells[2:])]
            lines.append(" & ".join(cells) + r" \\")
        totals = (
            f"Input shape: {tex_shape(self.input_shape)}; total params: {esc(_count(self.total_params, zero='0'))}; "
            f"total {_MACS_TITLE[self.convention].lower()}: {esc(_count(self.total_macs, zero='0'))}"
        )
        lines += [r"\hline", rf"\multicolumn{{{len(columns)}}}{{l}}{{{totals}}} \\", r"\hline", r"\end{tabular}"]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """Plain data with the same names as the attributes (sympy values as strings)."""
        rows = [
            {
                "index": r.index,
                "name": r.name,
                "type": r.type,
                "output_shape": _plain(r.output_shape),
                "params": _plain(r.params),
                "macs": _plain(r.macs),
                "r": _plain(r.r),
                "S": _plain(r.S),
                "P": _plain(r.P),
                "block": r.block,
                "depth": r.depth,
                "aligned": r.aligned,
            }
            for r in self.rows
        ]
        return {
            "name": self.name,
            "input_shape": _plain(self.input_shape),
            "convention": self.convention,
            "rows": rows,
            "total_params": _plain(self.total_params),
            "total_macs": _plain(self.total_macs),
        }

    def to_json(self) -> str:
        """:meth:`to_dict` as indented JSON."""
        return json.dumps(self.to_dict(), indent=2)


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    try:
        return int(value)
    except (TypeError, ValueError):
        return str(value)


def _count(value: Any, *, zero: str = "--") -> str:
    if isinstance(value, int):
        return f"{value:,}" if value else zero
    return str(value)


def _shape(shape: tuple[Any, ...]) -> str:
    return "[" + ", ".join(str(v) for v in shape) + "]"


def _dims(values: tuple[Any, ...] | None) -> str:
    if values is None:
        return "--"
    if all(v == values[0] for v in values):
        return str(values[0])
    return _layers.shape_str(values)


def _display_paths(network: HasLayers) -> list[str]:
    """Each layer's block, for the Block column: its dotted path without the last part (its own name)."""
    return [layer.path.rpartition(".")[0] for layer in network.layers]


def build_summary(network: Network, *, convention: str = "torchinfo") -> Summary:
    """Rows and totals for ``network`` (see :meth:`convmath.Network.summary`).

    Parameters
    ----------
    network : Network
        The network, its shapes resolved.
    convention : {"torchinfo", "macs", "flops"}, optional
        How MACs are counted (see :mod:`convmath.counting`).

    Returns
    -------
    Summary
        One :class:`SummaryRow` per layer and the totals.

    Examples
    --------
    The "PyTorch deep learning in practice (11)" tutorial's Conv2d(1, 1, 3) and 2 x 2 max pooling on a 1 x 4 x 4 input:

    >>> from convmath import Network
    >>> net = Network([{"type": "Conv2d", "in_channels": 1, "out_channels": 1, "kernel_size": 3},
    ...                {"type": "MaxPool2d", "kernel_size": 2}], input_shape=(1, 4, 4))
    >>> s = build_summary(net)
    >>> s.total_params, s.total_macs       # 1*3*3 + 1;  2*2 outputs * (3*3 + 1 for the bias)
    (10, 40)
    >>> build_summary(net, convention="macs").total_macs   # 2*2 * 3*3
    36
    >>> s.rows[1].r                        # 3 + (2 - 1)*1: the pooled unit sees 4 x 4
    (4, 4)
    """
    convention = check_choice("convention", convention, CONVENTIONS)
    fields = receptive_field(network)
    batch = network.batch_size
    paths = _display_paths(network)
    rows = []
    for layer, in_shape, out_shape, rf in zip(network.layers, network.in_shapes, network.out_shapes, fields):
        macs = _layers.layer_macs(layer, in_shape, convention=convention)
        rows.append(
            SummaryRow(
                index=layer.index,
                name=f"{layer.type}-{layer.index}",
                type=layer.type,
                output_shape=out_shape if batch is None else (batch, *out_shape),
                params=_layers.layer_params(layer),
                macs=macs if batch is None else batch * macs,
                r=None if rf is None else rf.r,
                S=None if rf is None else rf.S,
                P=None if rf is None else rf.P,
                block=paths[layer.index - 1],
                depth=layer.path.count("."),
                aligned=True if rf is None else rf.aligned,
            )
        )
    input_shape = network.input_shape if batch is None else (batch, *network.input_shape)
    return Summary(
        name=network.name,
        input_shape=input_shape,
        convention=convention,
        rows=tuple(rows),
        total_params=sum(row.params for row in rows),
        total_macs=sum(row.macs for row in rows),
    )
