"""Checks of user input, shared by the public modules.

Every message names the argument in backticks, states the rule, then shows the value received.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixElement

# What can be differentiated against: a Symbol, an indexed entry x[i], or an entry a[i, 0] of a
# MatrixSymbol (so the explicit form of a MatrixSymbol expression can be compared entry by entry).
VARIABLE_TYPES = (sp.Symbol, sp.Indexed, MatrixElement)

# --- symbolic and checking ------------------------------------------------------------------


def _short(value: object, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def as_sympy_scalar(expr: object, name: str = "expr") -> Any:
    """Return `expr` as a scalar SymPy expression; a 1x1 Matrix (``b.T * a``) is unwrapped."""
    if isinstance(expr, sp.MatrixBase):
        if expr.shape == (1, 1):
            return expr[0, 0]
        raise ValueError(
            f"`{name}` must be a scalar expression (a 1x1 Matrix is accepted); "
            f"got a Matrix of shape {expr.shape}."
        )
    if isinstance(expr, sp.MatrixExpr):
        raise TypeError(
            f"`{name}` must be an explicit SymPy expression, not a matrix expression; "
            f"got {_short(expr)}. Build it from `symbolic.vector`/`symbolic.matrix`, "
            "or use `sympy.diff` on MatrixSymbol expressions."
        )
    if isinstance(expr, bool) or not isinstance(expr, sp.Basic | numbers.Number):
        raise TypeError(
            f"`{name}` must be a SymPy expression; got {type(expr).__name__} {_short(expr)}."
        )
    value = sp.sympify(expr)
    if not isinstance(value, sp.Expr):
        raise TypeError(
            f"`{name}` must be a SymPy expression; got {type(value).__name__} {_short(value)}."
        )
    return value


def as_symbol(var: object, name: str = "var") -> sp.Symbol:
    """Return `var` if it is a SymPy Symbol (or indexed entry), else raise a TypeError."""
    if not isinstance(var, VARIABLE_TYPES):
        raise TypeError(
            f"`{name}` must be a SymPy Symbol (e.g. `sympy.Symbol('x')`); "
            f"got {type(var).__name__} {_short(var)}."
        )
    return var


def as_symbol_list(symbols: object, name: str = "symbols") -> list[sp.Symbol]:
    """Return `symbols` as a non-empty list of distinct Symbols, in the order given.

    A set is refused because it has no order: the i-th gradient component must belong to the
    i-th variable, every time.
    """
    if isinstance(symbols, set | frozenset):
        raise TypeError(
            f"`{name}` must be an ordered sequence of Symbols (list, tuple or Matrix), "
            f"not a set, whose order is arbitrary; got {_short(symbols)}."
        )
    if isinstance(symbols, sp.MatrixBase):
        if 1 not in symbols.shape:
            raise ValueError(
                f"`{name}` must be a vector of Symbols; got a Matrix of shape {symbols.shape}."
            )
        items = list(symbols)
    elif isinstance(symbols, sp.Symbol):
        raise TypeError(
            f"`{name}` must be a sequence of Symbols; got the single Symbol {symbols}. "
            f"Write [{symbols}]."
        )
    elif isinstance(symbols, Sequence) and not isinstance(symbols, str):
        items = list(symbols)
    else:
        raise TypeError(
            f"`{name}` must be an ordered sequence of Symbols; "
            f"got {type(symbols).__name__} {_short(symbols)}."
        )
    if not items:
        raise ValueError(f"`{name}` must contain at least one Symbol; got {_short(symbols)}.")
    for item in items:
        if not isinstance(item, VARIABLE_TYPES):
            raise TypeError(
                f"`{name}` must contain only SymPy Symbols; "
                f"got {type(item).__name__} {_short(item)} in {_short(symbols)}."
            )
    duplicates = sorted({str(s) for s in items if items.count(s) > 1})
    if duplicates:
        raise ValueError(
            f"`{name}` must not repeat a Symbol (each is one coordinate of the point); "
            f"got {', '.join(duplicates)} more than once in {_short(items)}."
        )
    return items


def as_sympy_vector(values: object, length: int, name: str) -> list[Any]:
    """Return `values` as a list of `length` SymPy scalars (numbers or expressions)."""
    if isinstance(values, sp.MatrixBase):
        if 1 not in values.shape:
            raise ValueError(f"`{name}` must be a vector; got a Matrix of shape {values.shape}.")
        items = list(values)
    elif isinstance(values, Sequence) and not isinstance(values, str):
        items = list(values)
    elif hasattr(values, "tolist") and hasattr(values, "ndim") and values.ndim == 1:
        items = list(values.tolist())
    else:
        raise TypeError(
            f"`{name}` must be a sequence of numbers or SymPy expressions; "
            f"got {type(values).__name__} {_short(values)}."
        )
    if len(items) != length:
        raise ValueError(
            f"`{name}` must have one entry per variable ({length}); "
            f"got {len(items)}: {_short(items)}."
        )
    try:
        return [as_sympy_scalar(item, name) for item in items]
    except TypeError:
        raise TypeError(
            f"`{name}` must contain only numbers or SymPy expressions; got {_short(items)}."
        ) from None


def check_positive_int(value: object, name: str) -> int:
    """Return `value` if it is an int >= 1."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"`{name}` must be a positive integer; got {_short(value)}.")
    return value
