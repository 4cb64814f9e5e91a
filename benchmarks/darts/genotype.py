"""DARTS-space genotypes in the literature's form, printable and parseable.

`Genotype(normal=[(op, input), ...], normal_concat=[2, 3, 4, 5], reduce=[...], reduce_concat=[...])`:
two (op, input) pairs per intermediate node, node by node; inputs numbered as in `cell_edges`.
`skip_count` / `param_free_count` count the normal cell only (ALGORITHMS.md §3).
`str()` of a Genotype is the form papers and reference code print, and `parse_genotype` reads it
back (also with `range(2, 6)` for the concat lists, as DARTS prints them), without `eval`.
"""

from __future__ import annotations

import ast
from typing import NamedTuple

from benchmarks.darts.cell_edges import CONCAT, NUM_NODES, edge_index
from benchmarks.darts.ops import ALL_OPS, PARAMETER_FREE_OPS
from benchmarks.errors import NashError

CellGenes = tuple[tuple[str, int], ...]
_FIELDS = ("normal", "normal_concat", "reduce", "reduce_concat")
# A printed genotype is ~400 characters (2 cells x 8 genes + concat lists); 2,000 leaves room for spacing and
# quoting styles while a string of thousands of genes or concat entries is refused before it is parsed.
GENOTYPE_TEXT_LIMIT = 2000


class Genotype(NamedTuple):
    normal: CellGenes
    normal_concat: tuple[int, ...]
    reduce: CellGenes
    reduce_concat: tuple[int, ...]

    def __str__(self) -> str:
        def cell(genes: CellGenes) -> str:
            return "[" + ", ".join(f"({op!r}, {source})" for op, source in genes) + "]"

        return (
            f"Genotype(normal={cell(self.normal)}, normal_concat={list(self.normal_concat)}, "
            f"reduce={cell(self.reduce)}, reduce_concat={list(self.reduce_concat)})"
        )

    def to_string(self) -> str:
        return str(self)

    @property
    def skip_count(self) -> int:
        """`skip_connect` genes of the normal cell (the collapse measure; reduction cells are not counted)."""
        return sum(1 for op, _ in self.normal if op == "skip_connect")

    @property
    def param_free_count(self) -> int:
        """Parameter-free genes of the normal cell (skip, pooling, none, noise): the ROME paper's "#pf"."""
        return sum(1 for op, _ in self.normal if op in PARAMETER_FREE_OPS)

    def edges(self, cell: str) -> list[tuple[int, str]]:
        """(edge index, op) of every gene of the 'normal' or 'reduce' cell."""
        genes = self.normal if cell == "normal" else self.reduce
        return [(edge_index(k // 2, source), op) for k, (op, source) in enumerate(genes)]


def make_genotype(normal, reduce, normal_concat=CONCAT, reduce_concat=CONCAT) -> Genotype:
    """A checked Genotype: 2 genes per node, known ops, inputs that exist, concat of existing nodes."""
    try:
        genotype = Genotype(
            _genes(normal, "normal"), tuple(normal_concat), _genes(reduce, "reduce"), tuple(reduce_concat)
        )
    except TypeError:  # e.g. `normal=5` or a gene that is a number: parsed text of the wrong shape
        raise NashError("a genotype's cells must be lists of (op, input) pairs, its concats lists of nodes") from None
    for name in ("normal_concat", "reduce_concat"):
        concat = getattr(genotype, name)
        if not concat or any(type(n) is not int or not 2 <= n < 2 + NUM_NODES for n in concat):
            raise NashError(f"genotype {name} must list intermediate nodes 2..{1 + NUM_NODES}, got {list(concat)[:8]}")
        if len(set(concat)) != len(concat):  # a repeat would concatenate a node's channels again, per repeat
            raise NashError(f"genotype {name} lists a node twice; each intermediate node at most once")
    return genotype


def _genes(genes, cell: str) -> CellGenes:
    genes = tuple(tuple(g) for g in genes)
    if len(genes) != 2 * NUM_NODES:
        raise NashError(f"genotype {cell} cell needs {2 * NUM_NODES} (op, input) pairs, 2 per node; got {len(genes)}")
    for k, gene in enumerate(genes):
        node = k // 2
        if len(gene) != 2 or gene[0] not in ALL_OPS or not isinstance(gene[1], int):
            raise NashError(f"genotype {cell} gene {k} must be (op, input) with op one of {', '.join(ALL_OPS)}")
        if not 0 <= gene[1] < 2 + node:
            raise NashError(
                f"genotype {cell} gene {k} (node {node}) takes input {gene[1]}; node {node} can take 0..{node + 1}"
            )
    return genes  # type: ignore[return-value]


def parse_genotype(text: str) -> Genotype:
    """Read `Genotype(normal=..., normal_concat=..., reduce=..., reduce_concat=...)` (keyword form)."""
    text = str(text).strip()
    if len(text) > GENOTYPE_TEXT_LIMIT:
        raise NashError(f"genotype {text[:40]!r}... has {len(text):,} characters, over the limit of "
                        f"{GENOTYPE_TEXT_LIMIT:,}; a DARTS genotype has ~400")  # fmt: skip
    try:
        call = ast.parse(text, mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):  # ValueError: a NUL byte
        raise NashError(f"cannot parse genotype {text[:100]!r}; expected Genotype(normal=[...], ...)") from None
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "Genotype"):
        raise NashError(f"cannot parse genotype {text[:100]!r}; expected Genotype(normal=[...], ...)")
    values = {kw.arg: _literal(kw.value, kw.arg) for kw in call.keywords}
    if call.args or sorted(values) != sorted(_FIELDS):
        raise NashError(f"a genotype needs exactly the keyword fields {', '.join(_FIELDS)}")
    return make_genotype(values["normal"], values["reduce"], values["normal_concat"], values["reduce_concat"])


def _literal(node: ast.expr, field: str):
    # range(a, b) is how DARTS prints its concat lists; everything else must be a plain literal.
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "range":
        bounds = [_literal(arg, field) for arg in node.args]
        if not 1 <= len(bounds) <= 2 or any(type(b) is not int or not 0 <= b <= 2 + NUM_NODES for b in bounds):
            raise NashError(f"genotype field {field}: range() takes node numbers 0..{2 + NUM_NODES}, "
                            f"got {ast.unparse(node)[:60]}")  # fmt: skip
        return list(range(*bounds))
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
        raise NashError(f"genotype field {field} must be a literal list, got {ast.unparse(node)[:60]}") from None
