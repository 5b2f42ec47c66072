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

Each one-way table is protected on its own. A cross table is then protected *within* what its
one-way tables (its margins) publish, hiding only inner cells; where that cannot work it is
coarsened (small categories merged) or withheld, so a published margin is never hidden for its
sake (``protect_cross``).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
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
    primary = frozenset(i for i, v in enumerate(network.values) if 0 < v < threshold)
    if not primary:
        return Protection(frozenset(), primary, withheld=False)
    found = _secondary(network, primary, frozenset(), threshold)
    if found is None:
        return _withhold(network, primary, threshold)
    return Protection(found, primary, withheld=False)


def _secondary(
    network: Network, primary: frozenset[int], fixed: frozenset[int], threshold: int
) -> frozenset[int] | None:
    """Hide further cells until every primary cell is protected; None if even hiding every
    cell that may be hidden does not do it. ``fixed`` cells are hidden already (by another
    table) and stay hidden."""
    values = network.values
    suppressed = set(primary | fixed)

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
            return None
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
    for extra in sorted(suppressed - primary - fixed, key=cost, reverse=True):
        suppressed.discard(extra)
        if not _all_safe(network, suppressed, primary, threshold):
            suppressed.add(extra)
    return frozenset(suppressed)


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


# --- cross tables within published margins -----------------------------------------------------


# The original categories behind each published row (or column) of a cross table.
Groups = list[tuple[int, ...]]


@dataclass(frozen=True)
class CrossProtection:
    """A cross table protected *within* the margins its one-way tables publish on their own.

    ``rows`` and ``columns`` list the original categories behind each published row and column
    (more than one after coarsening); ``matrix`` holds the counts after merging and ``hidden``
    the hidden inner cells as (published row, published column). A withheld cross table hides
    every inner cell, zeros too; its margins stay as the one-way tables publish them."""

    rows: tuple[tuple[int, ...], ...]
    columns: tuple[tuple[int, ...], ...]
    matrix: tuple[tuple[int, ...], ...]
    hidden: frozenset[tuple[int, int]]
    withheld: bool

    @property
    def coarsened(self) -> bool:
        return any(len(group) > 1 for group in (*self.rows, *self.columns))


@dataclass
class _CrossNetwork:
    network: Network
    inner: list[list[int]]
    row_cells: dict[int, int]
    column_cells: dict[int, int]
    primary: frozenset[int]
    fixed: frozenset[int]


def _merged(
    matrix: list[list[int]], rows: list[tuple[int, ...]], columns: list[tuple[int, ...]]
) -> list[list[int]]:
    return [[sum(matrix[i][j] for i in g for j in h) for h in columns] for g in rows]


def _cross_network(
    matrix: list[list[int]],
    rows: list[tuple[int, ...]],
    columns: list[tuple[int, ...]],
    row_hidden: frozenset[int],
    column_hidden: frozenset[int],
    total_hidden: bool,
    threshold: int,
) -> _CrossNetwork:
    """The cross table as one network with the one-way margins: every original margin is its
    own edge (published ones locked, hidden ones hidden already), merged categories share a
    node, so a merged row's total is only ever the sum of its members."""
    merged = _merged(matrix, rows, columns)
    row_totals = [sum(row) for row in matrix]
    column_totals = [sum(row[j] for row in matrix) for j in range(len(matrix[0]))]
    net = Network()
    start = net.node()
    row_nodes = [net.node() for _ in rows]
    column_nodes = [net.node() for _ in columns]
    grand = sum(row_totals)
    total = net.cell(0, start, grand, locked=not total_hidden)
    row_cells = {
        i: net.cell(start, row_nodes[g], row_totals[i], locked=i not in row_hidden)
        for g, group in enumerate(rows)
        for i in group
    }
    inner = [
        [net.cell(row_nodes[g], column_nodes[h], merged[g][h]) for h in range(len(columns))]
        for g in range(len(rows))
    ]
    column_cells = {
        j: net.cell(column_nodes[h], 1, column_totals[j], locked=j not in column_hidden)
        for h, group in enumerate(columns)
        for j in group
    }
    fixed = {row_cells[i] for i in row_hidden} | {column_cells[j] for j in column_hidden}
    if total_hidden:
        fixed.add(total)
    primary = {i for i in fixed if 0 < net.values[i] < threshold}
    primary |= {i for row in inner for i in row if 0 < net.values[i] < threshold}
    return _CrossNetwork(net, inner, row_cells, column_cells, frozenset(primary), frozenset(fixed))


def protect_cross(
    matrix: list[list[int]],
    row_hidden: set[int] | frozenset[int],
    column_hidden: set[int] | frozenset[int],
    threshold: int,
    *,
    total_hidden: bool = False,
) -> CrossProtection:
    """Protect a cross table without touching its margins.

    The margins are the cells of the one-way tables (already protected on their own): the ones
    they publish stay published, the ones they hide stay hidden. The cross table may only hide
    inner cells, and its hidden cells must keep every small cell protected — the margins' own
    small cells too, since a reader combines the tables. When that is impossible, a category
    (row or column) behind a cell that cannot be protected is merged with another category of
    the same variable — the merge that leaves the fewest such cells, then the smallest merged
    total — and so on; when no merge is left that keeps two non-empty categories of the
    variable, the cross table is withheld instead (every inner cell hidden)."""
    check_threshold(threshold)
    rows_hidden, columns_hidden = frozenset(row_hidden), frozenset(column_hidden)
    rows: list[tuple[int, ...]] = [(i,) for i in range(len(matrix))]
    columns: list[tuple[int, ...]] = [(j,) for j in range(len(matrix[0]))]

    def network_for(rows: Groups, columns: Groups) -> _CrossNetwork:
        return _cross_network(
            matrix, rows, columns, rows_hidden, columns_hidden, total_hidden, threshold
        )

    while True:
        cross = network_for(rows, columns)
        found = _secondary(cross.network, cross.primary, cross.fixed, threshold)
        if found is not None:
            hidden = frozenset(
                (g, h)
                for g, line in enumerate(cross.inner)
                for h, i in enumerate(line)
                if i in found
            )
            merged = tuple(tuple(line) for line in _merged(matrix, rows, columns))
            return CrossProtection(tuple(rows), tuple(columns), merged, hidden, withheld=False)
        step = _coarsen(cross, matrix, rows, columns, threshold, network_for)
        if step is None:
            return withheld_cross(matrix)
        rows, columns = step


def withheld_cross(matrix: list[list[int]]) -> CrossProtection:
    """Every inner cell hidden, zeros too: then the cross table says nothing beyond its
    margins (any margins with equal totals fit some table)."""
    return CrossProtection(
        tuple((i,) for i in range(len(matrix))),
        tuple((j,) for j in range(len(matrix[0]))),
        tuple(tuple(line) for line in matrix),
        frozenset((i, j) for i in range(len(matrix)) for j in range(len(matrix[0]))),
        withheld=True,
    )


def _unprotectable(cross: _CrossNetwork, threshold: int) -> set[int]:
    # Hiding more cells only widens what a reader must consider, so the cells that fail with
    # every inner cell hidden are exactly the ones no suppression pattern can protect.
    net = cross.network
    everything = set(cross.fixed) | {i for line in cross.inner for i in line if net.values[i] > 0}
    return {p for p in cross.primary if not can_reach(net, everything, p, threshold, 1)}


def _coarsen(
    cross: _CrossNetwork,
    matrix: list[list[int]],
    rows: Groups,
    columns: Groups,
    threshold: int,
    network_for: Callable[[Groups, Groups], _CrossNetwork],
) -> tuple[Groups, Groups] | None:
    """One merge: a category (row or column) behind a cell that cannot be protected, with
    another category of the same variable. Preferred: the merge that leaves the fewest
    unprotectable cells, then the one with the smallest merged total."""
    unsafe = _unprotectable(cross, threshold)
    row_of = {cell: i for i, cell in cross.row_cells.items()}
    column_of = {cell: j for j, cell in cross.column_cells.items()}
    row_group = {i: g for g, group in enumerate(rows) for i in group}
    column_group = {j: h for h, group in enumerate(columns) for j in group}
    culprits: set[tuple[int, int]] = set()  # (0, row group) or (1, column group)
    for g, line in enumerate(cross.inner):
        for h, cell in enumerate(line):
            if cell in unsafe:
                culprits |= {(0, g), (1, h)}
    culprits |= {(0, row_group[row_of[c]]) for c in unsafe if c in row_of}
    culprits |= {(1, column_group[column_of[c]]) for c in unsafe if c in column_of}
    merged = _merged(matrix, rows, columns)
    sizes = (
        [sum(line) for line in merged],
        [sum(line[h] for line in merged) for h in range(len(columns))],
    )
    groups = (rows, columns)
    best: tuple[tuple[int, int, int, int, int], tuple[Groups, Groups]] | None = None
    for axis, k in sorted(culprits):
        for m in range(len(groups[axis])):
            filled = sum(1 for n, size in enumerate(sizes[axis]) if size and n not in (k, m))
            if m == k or filled + bool(sizes[axis][k] + sizes[axis][m]) < 2:
                continue  # one filled category left would make it a copy of the other table
            first, second = sorted((k, m))
            merged_groups = list(groups[axis])
            merged_groups[first] = tuple(sorted(merged_groups[first] + merged_groups[second]))
            del merged_groups[second]
            step = (merged_groups, columns) if axis == 0 else (rows, merged_groups)
            left = len(_unprotectable(network_for(*step), threshold))
            key = (left, sizes[axis][k] + sizes[axis][m], axis, first, second)
            if best is None or key < best[0]:
                best = (key, step)
    return None if best is None else best[1]
