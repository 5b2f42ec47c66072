"""Small-cell suppression that published totals cannot undo.

A table is modelled as a flow network: every published number (cell, subtotal, total) is an edge,
and every "this is the sum of those" is flow conservation at a node. One-way tables, two-way
tables with their margins and age groups with subtotals are all such networks, which makes the
question an attacker would ask — "what values can this hidden cell have, given everything that is
published?" — a flow feasibility question with an exact answer.

Rules:

* Primary suppression: every cell with 0 < count < threshold is hidden. Zeros are shown.
* Protection: a primary cell counts as protected only if the published figures are also
  consistent with that cell being at least the threshold, assuming (like an attacker who reads
  the method section) that every hidden cell is at least 1. So nobody can tell from the totals
  even whether a hidden cell is small, let alone its value.
* Secondary suppression: while some primary cell is unprotected, hide the smallest further cell
  that protects it (or, if no single cell does, the smallest one next to it) and check again.
* If that still fails, the whole table is withheld: every cell hidden, zeros too, and then a
  hidden cell can be anything from 0 up to the published total.

Locked cells (a table's grand total that is also a headline count elsewhere) are never chosen
for secondary suppression; they are hidden only when they are small themselves.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

DEFAULT_THRESHOLD = 5
MARGIN_WEIGHT = 4
PAIR_SEARCH = 14
_INFINITE = 1 << 40


class ThresholdError(ValueError):
    pass


def check_threshold(threshold: int) -> int:
    if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 1:
        raise ThresholdError("the suppression threshold must be a whole number of at least 1")
    return threshold


@dataclass
class Network:
    """Cells as edges between numbered nodes. Node 0 is the source, node 1 the sink; flow is
    conserved at every other node."""

    values: list[int] = field(default_factory=list)
    ends: list[tuple[int, int]] = field(default_factory=list)
    locked: set[int] = field(default_factory=set)
    # How much readers lose when this cell is hidden (totals weigh more than inner cells).
    weights: list[int] = field(default_factory=list)
    nodes: int = 2

    def node(self) -> int:
        self.nodes += 1
        return self.nodes - 1

    def cell(
        self, tail: int, head: int, value: int, *, locked: bool = False, weight: int = 1
    ) -> int:
        if value < 0:
            raise ValueError("counts cannot be negative")
        self.values.append(value)
        self.weights.append(weight)
        self.ends.append((tail, head))
        if locked:
            self.locked.add(len(self.values) - 1)
        return len(self.values) - 1


@dataclass(frozen=True)
class Protection:
    suppressed: frozenset[int]
    primary: frozenset[int]
    withheld: bool

    def hidden(self, index: int) -> bool:
        return index in self.suppressed


def _max_flow(capacity: list[dict[int, int]], source: int, sink: int) -> int:
    total = 0
    while True:
        parent: dict[int, int] = {source: source}
        queue = deque([source])
        while queue and sink not in parent:
            here = queue.popleft()
            for there, cap in capacity[here].items():
                if cap > 0 and there not in parent:
                    parent[there] = here
                    queue.append(there)
        if sink not in parent:
            return total
        push = _INFINITE
        there = sink
        while there != source:
            here = parent[there]
            push = min(push, capacity[here][there])
            there = here
        there = sink
        while there != source:
            here = parent[there]
            capacity[here][there] -= push
            capacity[there][here] = capacity[there].get(here, 0) + push
            there = here
        total += push


def feasible(network: Network, bounds: list[tuple[int, int]]) -> bool:
    """Is there a flow with every edge within its (low, high) bounds and conservation at every
    inner node? (Circulation with lower bounds, reduced to one max-flow.)"""
    n = network.nodes
    super_source, super_sink = n, n + 1
    capacity: list[dict[int, int]] = [{} for _ in range(n + 2)]
    excess = [0] * n

    def add(a: int, b: int, cap: int) -> None:
        capacity[a][b] = capacity[a].get(b, 0) + cap
        capacity[b].setdefault(a, 0)

    for (tail, head), (low, high) in zip(network.ends, bounds, strict=True):
        if high < low:
            return False
        add(tail, head, high - low)
        excess[head] += low
        excess[tail] -= low
    add(1, 0, _INFINITE)  # sink back to source: the grand total itself is free
    needed = 0
    for node in range(n):
        if excess[node] > 0:
            add(super_source, node, excess[node])
            needed += excess[node]
        elif excess[node] < 0:
            add(node, super_sink, -excess[node])
    return _max_flow(capacity, super_source, super_sink) == needed


def attacker_bounds(
    network: Network, suppressed: frozenset[int] | set[int], floor: int
) -> list[tuple[int, int]]:
    return [(floor, _INFINITE) if i in suppressed else (v, v) for i, v in enumerate(network.values)]


def can_reach(
    network: Network, suppressed: frozenset[int] | set[int], index: int, target: int, floor: int
) -> bool:
    """Could hidden cell ``index`` be ``target`` or more, given what is published?"""
    bounds = attacker_bounds(network, suppressed, floor)
    bounds[index] = (max(target, floor), _INFINITE)
    return feasible(network, bounds)


def _touches(network: Network, a: int, b: int) -> bool:
    inner = {network.ends[a][0], network.ends[a][1]} - {0, 1}
    return bool(inner & {network.ends[b][0], network.ends[b][1]})


def _all_safe(network: Network, suppressed: set[int], primary: frozenset[int], t: int) -> bool:
    return all(can_reach(network, suppressed, p, t, 1) for p in primary)


def protect(network: Network, threshold: int) -> Protection:
    check_threshold(threshold)
    values = network.values
    primary = frozenset(i for i, v in enumerate(values) if 0 < v < threshold)
    suppressed = set(primary)
    if not primary:
        return Protection(frozenset(), primary, withheld=False)

    def cost(i: int) -> tuple[int, int]:
        return (values[i] * network.weights[i], i)

    while True:
        unsafe = [p for p in sorted(primary) if not can_reach(network, suppressed, p, threshold, 1)]
        if not unsafe:
            break
        target = unsafe[0]
        candidates = sorted(
            (
                i
                for i, v in enumerate(values)
                if i not in suppressed and v > 0 and i not in network.locked
            ),
            key=cost,
        )
        if not candidates:
            return _withhold(network, primary, threshold)
        chosen: tuple[int, ...] | None = next(
            (
                (c,)
                for c in candidates
                if can_reach(network, suppressed | {c}, target, threshold, 1)
            ),
            None,
        )
        if chosen is None:
            # Cross tables often need two more cells at once (the corners of a rectangle).
            cheapest = candidates[:PAIR_SEARCH]
            pairs = sorted(
                ((a, b) for n, a in enumerate(cheapest) for b in cheapest[n + 1 :]),
                key=lambda pair: cost(pair[0])[0] + cost(pair[1])[0],
            )
            chosen = next(
                (
                    pair
                    for pair in pairs
                    if can_reach(network, suppressed | set(pair), target, threshold, 1)
                ),
                None,
            )
        if chosen is None:
            near = [c for c in candidates if _touches(network, c, target)]
            chosen = ((near or candidates)[0],)
        suppressed.update(chosen)
    # Greedy choices can turn out unnecessary once later ones are made: give back every
    # secondary cell (most informative first) that the protection does not need.
    for extra in sorted(suppressed - primary, key=cost, reverse=True):
        suppressed.discard(extra)
        if not _all_safe(network, suppressed, primary, threshold):
            suppressed.add(extra)
    return Protection(frozenset(suppressed), primary, withheld=False)


def _withhold(network: Network, primary: frozenset[int], threshold: int) -> Protection:
    # Hide everything that may be hidden, zeros included, so not even which categories are
    # empty is shown.
    everything = frozenset(
        i for i, v in enumerate(network.values) if i not in network.locked or 0 < v < threshold
    )
    return Protection(everything, primary, withheld=True)


# --- table shapes -------------------------------------------------------------------------------


@dataclass
class OneWay:
    network: Network
    cells: list[int]
    total: int | None


def one_way(values: list[int], *, with_total: bool = True, lock_total: bool = True) -> OneWay:
    """Categories of one variable; with their total (a published sum) or without (independent
    counts, such as 'mentioned' counts of a multiple-answer question)."""
    net = Network()
    if not with_total:
        cells = [net.cell(0, 1, v) for v in values]
        return OneWay(net, cells, None)
    hub = net.node()
    total = net.cell(0, hub, sum(values), locked=lock_total)
    cells = [net.cell(hub, 1, v) for v in values]
    return OneWay(net, cells, total)


@dataclass
class TwoWay:
    network: Network
    cells: list[list[int]]
    row_totals: list[int]
    column_totals: list[int]
    total: int


def two_way(matrix: list[list[int]], *, lock_total: bool = True) -> TwoWay:
    """A cross table with row totals, column totals and a grand total."""
    net = Network()
    rows, columns = len(matrix), len(matrix[0])
    start = net.node()
    row_nodes = [net.node() for _ in range(rows)]
    column_nodes = [net.node() for _ in range(columns)]
    total = net.cell(0, start, sum(map(sum, matrix)), locked=lock_total)
    row_totals = [
        net.cell(start, row_nodes[i], sum(matrix[i]), weight=MARGIN_WEIGHT) for i in range(rows)
    ]
    cells = [
        [net.cell(row_nodes[i], column_nodes[j], matrix[i][j]) for j in range(columns)]
        for i in range(rows)
    ]
    column_totals = [
        net.cell(column_nodes[j], 1, sum(matrix[i][j] for i in range(rows))) for j in range(columns)
    ]
    return TwoWay(net, cells, row_totals, column_totals, total)


@dataclass
class Tree:
    """Groups with published subtotals: ``{"label": int}`` for a leaf, ``{"label": Tree}``
    for a subtotal over its own children."""

    children: dict[str, int | Tree]

    def sum(self) -> int:
        return sum(c if isinstance(c, int) else c.sum() for c in self.children.values())


def tree(shape: Tree, *, lock_total: bool = True) -> tuple[Network, dict[str, int], int]:
    """A hierarchy of groups and subtotals; returns the network, cell index per label and the
    index of the grand total."""
    net = Network()
    index: dict[str, int] = {}

    def walk(node_tree: Tree, node: int) -> None:
        for label, child in node_tree.children.items():
            if isinstance(child, int):
                index[label] = net.cell(node, 1, child)
            else:
                inner = net.node()
                index[label] = net.cell(node, inner, child.sum(), weight=MARGIN_WEIGHT)
                walk(child, inner)

    top = net.node()
    total = net.cell(0, top, shape.sum(), locked=lock_total)
    walk(shape, top)
    return net, index, total
