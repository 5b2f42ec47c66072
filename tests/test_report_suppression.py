"""Disclosure control: no suppressed small cell can be recovered from what is published.

The attacker model: they see every published cell and total, know the rules from the method
section (so they know a hidden cell is at least 1, or at least 0 in a withheld table) and can
solve integer programs. For each hidden small cell we ask an independent solver (scipy's MILP,
with constraints written from the table's meaning, not from the production flow network) for
its largest possible value given the published figures. It must reach the threshold: then the
attacker can neither pin the value down nor even tell that it is small.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, milp

from baken.reports.suppression import (
    Protection,
    ThresholdError,
    Tree,
    check_threshold,
    one_way,
    protect,
    protect_cross,
    tree,
    two_way,
)

Equation = tuple[int, list[int]]  # total cell == sum of these cells
BIG = 1_000_000


def largest_possible(
    values: list[int],
    protection: Protection,
    equations: list[Equation],
    target: int,
) -> float:
    """Max of cell ``target`` over all non-negative integer tables that agree with every
    published cell and every sum relation (BIG stands for "no limit")."""
    n = len(values)
    floor = 0 if protection.withheld else 1
    low = np.array(
        [floor if i in protection.suppressed else values[i] for i in range(n)], dtype=float
    )
    high = np.array(
        [BIG if i in protection.suppressed else values[i] for i in range(n)], dtype=float
    )
    rows = []
    for total, parts in equations:
        row = np.zeros(n)
        row[total] = -1
        for part in parts:
            row[part] += 1
        rows.append(row)
    objective = np.zeros(n)
    objective[target] = -1
    constraints = [LinearConstraint(np.array(rows), 0, 0)] if rows else []
    result = milp(
        objective,
        integrality=np.ones(n, dtype=np.int64),
        bounds=Bounds(low, high),
        constraints=constraints,
    )
    assert result.status == 0, result.message  # the true table is always feasible
    return -float(result.fun)


def check(
    values: list[int], protection: Protection, equations: list[Equation], threshold: int
) -> None:
    for i, v in enumerate(values):
        if 0 < v < threshold:
            assert i in protection.suppressed, f"small cell {i}={v} published"
        if v == 0 and not protection.withheld:
            assert i not in protection.suppressed, "zeros are shown"
    for i in protection.primary:
        best = largest_possible(values, protection, equations, i)
        assert best >= threshold, f"cell {i}={values[i]} can be bounded below {threshold}: {best}"


thresholds = st.integers(min_value=2, max_value=6)
small = st.integers(min_value=0, max_value=14)


@settings(max_examples=120, deadline=None)
@given(st.lists(small, min_size=2, max_size=8), thresholds)
def test_one_way_tables_with_a_total(values: list[int], threshold: int) -> None:
    shape = one_way(values)
    assert shape.total is not None
    protection = protect(shape.network, threshold)
    check(shape.network.values, protection, [(shape.total, shape.cells)], threshold)


@settings(max_examples=40, deadline=None)
@given(st.lists(small, min_size=1, max_size=8), thresholds)
def test_independent_counts_only_hide_small_cells(values: list[int], threshold: int) -> None:
    shape = one_way(values, with_total=False)
    protection = protect(shape.network, threshold)
    assert protection.suppressed == {i for i, v in enumerate(values) if 0 < v < threshold}
    check(values, protection, [], threshold)


matrices = st.integers(min_value=2, max_value=4).flatmap(
    lambda rows: st.integers(min_value=2, max_value=4).flatmap(
        lambda cols: st.lists(
            st.lists(small, min_size=cols, max_size=cols), min_size=rows, max_size=rows
        )
    )
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(matrices, thresholds)
def test_cross_tables_with_all_their_margins(matrix: list[list[int]], threshold: int) -> None:
    shape = two_way(matrix)
    protection = protect(shape.network, threshold)
    equations: list[Equation] = [(shape.total, shape.row_totals)]
    equations += [(shape.row_totals[i], row) for i, row in enumerate(shape.cells)]
    equations += [
        (shape.column_totals[j], [row[j] for row in shape.cells]) for j in range(len(matrix[0]))
    ]
    check(shape.network.values, protection, equations, threshold)


leaves = st.lists(small, min_size=8, max_size=8)


@settings(max_examples=80, deadline=None)
@given(leaves, thresholds)
def test_nested_groups_with_subtotals(values: list[int], threshold: int) -> None:
    u12, a12, a15, mu, a18, a23, a30, au = values
    shape = Tree(
        {
            "minor": Tree({"under15": Tree({"u12": u12, "12": a12}), "15": a15, "mu": mu}),
            "adult": Tree({"18": a18, "23": a23, "30": a30, "au": au}),
            "unknown": 3,
        }
    )
    network, index, total = tree(shape)
    protection = protect(network, threshold)
    equations: list[Equation] = [
        (total, [index["minor"], index["adult"], index["unknown"]]),
        (index["minor"], [index["under15"], index["15"], index["mu"]]),
        (index["under15"], [index["u12"], index["12"]]),
        (index["adult"], [index["18"], index["23"], index["30"], index["au"]]),
    ]
    check(network.values, protection, equations, threshold)


def test_a_single_small_cell_takes_a_partner_with_it() -> None:
    shape = one_way([250, 20, 3, 12])
    protection = protect(shape.network, 5)
    hidden = {shape.network.values[i] for i in protection.suppressed}
    assert hidden == {3, 12}  # the smallest cell that can hide the 3 among the totals


def test_two_tiny_cells_are_not_enough_to_hide_each_other() -> None:
    # Hiding only 1 and 1 would let a reader compute 2 for both together: each is then 1.
    shape = one_way([40, 1, 1])
    protection = protect(shape.network, 5)
    assert {shape.network.values[i] for i in protection.suppressed} == {40, 1}
    assert not protection.withheld


def test_a_table_that_cannot_be_protected_is_withheld_whole() -> None:
    shape = one_way([2, 0, 3])
    protection = protect(shape.network, 5)
    assert protection.withheld
    assert set(shape.cells) <= protection.suppressed  # the zero too
    assert shape.total not in protection.suppressed  # the headline total stays


def test_threshold_one_hides_nothing_and_below_one_is_refused() -> None:
    shape = two_way([[1, 2], [3, 0]])
    assert protect(shape.network, 1).suppressed == frozenset()
    for bad in (0, -5):
        with pytest.raises(ThresholdError):
            check_threshold(bad)
        with pytest.raises(ThresholdError):
            protect(shape.network, bad)


# --- cross tables within margins that their one-way tables publish ------------------------------


def one_way_hidden(values: list[int], threshold: int) -> tuple[set[int], bool, bool]:
    shape = one_way(values)
    guard = protect(shape.network, threshold)
    hidden = {k for k, i in enumerate(shape.cells) if i in guard.suppressed}
    return hidden, guard.withheld, shape.total in guard.suppressed


def cross_leaks(matrix: list[list[int]], threshold: int) -> list[str]:
    """The attacker's view of gender, type and their (possibly coarsened) cross table: unknowns
    are the original cells, so merged cells and margins are sums of them."""
    rows, columns = len(matrix), len(matrix[0])
    row_totals = [sum(r) for r in matrix]
    column_totals = [sum(r[j] for r in matrix) for j in range(columns)]
    row_hidden, row_withheld, total_hidden = one_way_hidden(row_totals, threshold)
    column_hidden, column_withheld, _ = one_way_hidden(column_totals, threshold)
    if row_withheld or column_withheld:
        return []  # the report then withholds the cross table whole (tests/test_report_attacker.py)
    guard = protect_cross(matrix, row_hidden, column_hidden, threshold, total_hidden=total_hidden)
    # The merged table agrees with the original one.
    for g, group in enumerate(guard.rows):
        for h, cols in enumerate(guard.columns):
            assert guard.matrix[g][h] == sum(matrix[i][j] for i in group for j in cols)
    # What is published, each as (sum over original cells, value or None, floor).
    facts: list[tuple[str, list[tuple[int, int]], int | None, int]] = []
    for i in range(rows):
        cells = [(i, j) for j in range(columns)]
        facts.append((f"row {i}", cells, None if i in row_hidden else row_totals[i], 1))
    for j in range(columns):
        cells = [(i, j) for i in range(rows)]
        facts.append((f"column {j}", cells, None if j in column_hidden else column_totals[j], 1))
    grand = [(i, j) for i in range(rows) for j in range(columns)]
    facts.append(("total", grand, None if total_hidden else sum(row_totals), 1))
    for g, group in enumerate(guard.rows):
        for h, cols in enumerate(guard.columns):
            cells = [(i, j) for i in group for j in cols]
            hidden = (g, h) in guard.hidden
            value = guard.matrix[g][h]
            if not hidden:
                assert not 0 < value < threshold, "a small inner cell is published"
            facts.append(
                (f"cell {g},{h}", cells, None if hidden else value, 0 if guard.withheld else 1)
            )
    n = rows * columns
    constraints = []
    for _, cells, known, floor in facts:
        row = np.zeros(n)
        for i, j in cells:
            row[i * columns + j] = 1
        if known is None:
            constraints.append(LinearConstraint(row, floor, np.inf))
        else:
            constraints.append(LinearConstraint(row, known, known))
    found: list[str] = []
    for name, cells, known, _ in facts:
        if known is not None:
            continue
        objective = np.zeros(n)
        for i, j in cells:
            objective[i * columns + j] = -1
        result = milp(
            objective,
            integrality=np.ones(n, dtype=np.int64),
            bounds=Bounds(0, BIG),
            constraints=constraints,
        )
        assert result.status == 0, result.message
        best = -float(result.fun)
        if 0 < best < threshold:
            found.append(f"{name} at most {best:g}")
    return found


skewed = st.sampled_from([0, 0, 0, 1, 1, 2, 3, 4, 6, 9])
cross_matrices = st.tuples(st.integers(2, 4), st.integers(2, 6)).flatmap(
    lambda shape: st.lists(
        st.lists(skewed, min_size=shape[1], max_size=shape[1]),
        min_size=shape[0],
        max_size=shape[0],
    )
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cross_matrices, st.integers(0, 60), st.sampled_from([3, 5, 10]))
def test_cross_tables_within_published_margins(
    matrix: list[list[int]], big: int, threshold: int
) -> None:
    matrix[0][0] += big  # a dominant cell, as in most real years
    assert cross_leaks(matrix, threshold) == []


def test_a_cross_table_merges_categories_instead_of_hiding_a_margin() -> None:
    matrix = [[10, 6, 0, 9, 1, 1], [0, 1, 2, 1, 1, 2], [0, 0, 0, 2, 0, 0], [3, 0, 6, 0, 0, 0]]
    row_hidden, _, _ = one_way_hidden([sum(r) for r in matrix], 5)
    assert row_hidden == {1, 2}  # 7 and 2: the other rows (27 and 9) are published
    guard = protect_cross(matrix, row_hidden, {1, 4, 5}, 5)
    assert not guard.withheld and guard.coarsened
    assert guard.rows == ((0,), (1,), (2,), (3,))
    assert guard.columns == ((0,), (1,), (2,), (3,), (4, 5))  # the 1 + 1 and 1 + 2 columns
    assert cross_leaks(matrix, 5) == []


def test_a_cross_table_that_cannot_be_coarsened_enough_is_withheld() -> None:
    # Row 0 is 25 + 3 = 28 with the 25 published as its column: the 3 is pinned, and merging
    # its column with either other one leaves it pinned (28 − 25 again).
    matrix = [[25, 3, 0], [0, 0, 9]]
    guard = protect_cross(matrix, set(), {1, 2}, 5)
    assert guard.withheld
    assert guard.hidden == {(i, j) for i in range(2) for j in range(3)}
    assert cross_leaks(matrix, 5) == []
