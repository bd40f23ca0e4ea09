"""Finite-difference weights, solved exactly in rational arithmetic.

The weights ``w`` for offsets ``o_0, ..., o_{n-1}`` and derivative order ``d`` satisfy
``sum_k w_k o_k**j = d! [j == d]`` for ``j = 0, ..., n - 1`` (the Taylor table), so that
``sum_k w_k f(x + o_k h) / h**d = f^(d)(x) + O(h**(n - d))`` (one order more for symmetric
offsets, whose next odd/even error term cancels).
"""

from __future__ import annotations

from fractions import Fraction
from functools import cache
from math import factorial


@cache
def weights(offsets: tuple[int, ...], order: int) -> tuple[float, ...]:
    """Return the finite-difference weights of derivative `order` for integer `offsets`.

    Parameters
    ----------
    offsets : tuple of int
        Distinct offsets, in units of the step.
    order : int
        Derivative order, ``0 <= order < len(offsets)``.

    Returns
    -------
    tuple of float
        One weight per offset.

    Examples
    --------
    >>> [round(w, 6) for w in weights((-1, 0, 1), 2)]
    [1.0, -2.0, 1.0]
    >>> [round(w, 6) for w in weights((-2, -1, 1, 2), 1)]
    [0.083333, -0.666667, 0.666667, -0.083333]
    """
    if len(set(offsets)) != len(offsets) or not 0 <= order < len(offsets):
        raise ValueError(
            f"`offsets` must be distinct and more than `order`; got {offsets} and {order}."
        )
    size = len(offsets)
    rows = [
        [Fraction(o) ** j for o in offsets] + [Fraction(factorial(order) * (j == order))]
        for j in range(size)
    ]
    for col in range(size):
        pivot = next(r for r in range(col, size) if rows[r][col] != 0)
        rows[col], rows[pivot] = rows[pivot], rows[col]
        rows[col] = [v / rows[col][col] for v in rows[col]]
        for r in range(size):
            if r != col and rows[r][col] != 0:
                factor = rows[r][col]
                rows[r] = [a - factor * b for a, b in zip(rows[r], rows[col], strict=True)]
    return tuple(float(row[-1]) for row in rows)
