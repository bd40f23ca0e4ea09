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

__all__ = ["taylor_matrix", "weights"]


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
    return tuple(float(factorial(order) * row[order]) for row in _lagrange(offsets))


@cache
def taylor_matrix(offsets: tuple[int, ...]) -> tuple[tuple[float, ...], ...]:
    """Return the matrix taking values at the offsets to Taylor coefficients (rounded once).

    Row ``j``, column ``k`` is ``[t^j] L_k(t)``: the Taylor coefficient ``a_j`` of the
    polynomial through values ``f_k`` at offsets ``o_k`` is ``sum_k [t^j] L_k(t) f_k``. Row
    ``j`` is also the weights of the ``j``-th derivative over ``j!``.

    Parameters
    ----------
    offsets : tuple of int
        Distinct offsets, in units of the step.

    Returns
    -------
    tuple of tuple of float
        Square, one row per power ``j = 0, ..., len(offsets) - 1``.

    Examples
    --------
    >>> [list(row) for row in taylor_matrix((-1, 0, 1))]
    [[0.0, 1.0, 0.0], [-0.5, 0.0, 0.5], [0.5, -1.0, 0.5]]
    """
    basis = _lagrange(offsets)
    return tuple(
        tuple(float(basis[k][j]) for k in range(len(offsets))) for j in range(len(offsets))
    )


@cache
def _lagrange(offsets: tuple[int, ...]) -> tuple[tuple[Fraction, ...], ...]:
    """Coefficients of the Lagrange basis polynomials ``L_k(t)``, lowest power first, exactly.

    ``L_k(t) = prod_{m != k} (t - o_m) / (o_k - o_m)``: a product of integer linear factors over
    an integer, so the whole basis costs O(n^3) integer operations (15 points: about 2 ms),
    where solving the Taylor table per derivative order in fractions cost 100 ms on the first
    call of `calcref.numeric`.
    """
    if len(set(offsets)) != len(offsets):
        raise ValueError(f"`offsets` must be distinct; got {offsets}.")
    basis = []
    for k, ok in enumerate(offsets):
        numerator = [1]  # coefficients of prod (t - o_m), lowest power first
        denominator = 1
        for m, om in enumerate(offsets):
            if m == k:
                continue
            shifted = [0, *numerator]
            numerator = [a - om * b for a, b in zip(shifted, [*numerator, 0], strict=True)]
            denominator *= ok - om
        basis.append(tuple(Fraction(c, denominator) for c in numerator))
    return tuple(basis)
