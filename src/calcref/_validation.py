"""Checks of user input, shared by the public modules.

Every message names the argument in backticks, states the rule, then shows the value received.
"""

from __future__ import annotations

import functools
import math
import numbers
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from calcref._typing import FloatArray

if TYPE_CHECKING:
    import sympy as sp

# --- symbolic and checking ------------------------------------------------------------------
# SymPy is imported inside these checks, not at the top: `calcref.numeric` uses this module too,
# and importing SymPy (about 1.5 s) is a cost a student using only numeric should not pay.


@functools.cache
def variable_types() -> tuple[type, ...]:
    """Return the types that can be differentiated against.

    A Symbol, an indexed entry x[i], or an entry a[i, 0] of a MatrixSymbol (so the explicit form
    of a MatrixSymbol expression can be compared entry by entry).
    """
    import sympy as sp
    from sympy.matrices.expressions.matexpr import MatrixElement

    return (sp.Symbol, sp.Indexed, MatrixElement)


def _short(value: object, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def as_sympy_scalar(expr: object, name: str = "expr") -> Any:
    """Return `expr` as a scalar SymPy expression; a 1x1 Matrix (``b.T * a``) is unwrapped."""
    import sympy as sp

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
    if not isinstance(var, variable_types()):
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
    import sympy as sp

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
    elif isinstance(symbols, Sequence | sp.Tuple) and not isinstance(symbols, str):
        items = list(symbols)
    elif isinstance(symbols, np.ndarray) and symbols.ndim == 1:
        # np.array(sp.symbols("x y")): an ordered vector of Symbols too.
        items = list(symbols)
    else:
        raise TypeError(
            f"`{name}` must be an ordered sequence of Symbols; "
            f"got {type(symbols).__name__} {_short(symbols)}."
        )
    if not items:
        raise ValueError(f"`{name}` must contain at least one Symbol; got {_short(symbols)}.")
    for item in items:
        if not isinstance(item, variable_types()):
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
    import sympy as sp

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
    """Return `value` as an int if it is an integer >= 1 (``np.int64(2)``, ``Integer(2)`` too)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"`{name}` must be a positive integer; got {_short(value)}.")
    return int(value)


# --- numeric --------------------------------------------------------------------------------


def _show(value: Any) -> str:
    text = np.array2string(value, threshold=6) if isinstance(value, np.ndarray) else repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def check_callable(f: Any, name: str = "f") -> None:
    """Raise `TypeError` unless `f` is callable."""
    if not callable(f):
        raise TypeError(f"`{name}` must be callable; got {_show(f)}.")


def as_real_array(value: Any, name: str) -> FloatArray:
    """Convert to a float64 array, or raise `TypeError` naming `name`."""
    if isinstance(value, str | bytes) or value is None:
        raise TypeError(f"`{name}` must be an array of real numbers; got {_show(value)}.")
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as error:  # ragged nested sequences
        raise ValueError(
            f"`{name}` must be a regular array of real numbers; got {_show(value)}."
        ) from error
    if array.dtype == object:
        # Numbers NumPy keeps as objects (SymPy's Float and Integer, Fraction, Decimal, mpmath's
        # mpf: a point found by sympy.solve) are real numbers too, if float() takes them.
        try:
            return object_numbers(array, float)
        except (TypeError, ValueError, OverflowError):
            pass
    if array.dtype == object or array.dtype.kind not in "biuf":
        raise TypeError(f"`{name}` must be an array of real numbers; got {_show(value)}.")
    return array.astype(np.float64, copy=True)


def object_numbers(array: NDArray[Any], kind: type[float] | type[complex]) -> NDArray[Any]:
    """Convert an object array entry by entry with ``float`` (or ``complex``), or raise.

    Entry by entry, because NumPy's own cast turns None into NaN.
    """
    if any(isinstance(item, str | bytes) for item in array.flat):
        raise TypeError("strings are not numbers")
    dtype = np.float64 if kind is float else np.complex128
    return np.array([kind(item) for item in array.flat], dtype=dtype).reshape(array.shape)


def as_scalar_point(x: ArrayLike, name: str = "x") -> float:
    """Return `x` as a finite real number."""
    array = as_real_array(x, name)
    if array.ndim != 0:
        raise ValueError(f"`{name}` must be a real number; got an array of shape {array.shape}.")
    value = float(array)
    if not math.isfinite(value):
        raise ValueError(f"`{name}` must be finite; got {value}.")
    return value


def as_vector_point(x: ArrayLike, name: str = "x") -> FloatArray:
    """Return `x` as a non-empty 1-D array of finite reals (a scalar is a point of ℝ¹)."""
    array = as_real_array(x, name)
    if array.ndim == 0:
        array = array.reshape(1)
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f"`{name}` must be a non-empty 1-D array; got shape {array.shape}.")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"`{name}` must be finite; got {_show(array)}.")
    return array


def as_direction(v: ArrayLike, size: int, name: str = "v") -> FloatArray:
    """Return `v` as a finite, non-zero 1-D array of length `size`."""
    array = as_real_array(v, name)
    if array.ndim == 0:
        array = array.reshape(1)
    if array.shape != (size,):
        raise ValueError(
            f"`{name}` must have the shape of `x`, ({size},); got shape {array.shape}."
        )
    if not np.all(np.isfinite(array)):
        raise ValueError(f"`{name}` must be finite; got {_show(array)}.")
    if not np.any(array):
        raise ValueError(f"`{name}` must be a non-zero direction; got {_show(array)}.")
    return array


def check_index(i: Any, size: int, name: str = "i") -> int:
    """Return `i` as an index into a vector of length `size` (negative: from the end)."""
    if isinstance(i, bool) or not isinstance(i, int | np.integer):
        raise TypeError(f"`{name}` must be an integer; got {_show(i)}.")
    if not -size <= int(i) < size:
        raise ValueError(f"`{name}` must be in range({size}) for `x` of length {size}; got {i}.")
    return int(i) % size


def check_step(step: Any, name: str = "step") -> float | None:
    """Return the step: `None` (automatic) or a positive finite real number."""
    if step is None:
        return None
    if isinstance(step, bool) or not isinstance(step, int | float | np.integer | np.floating):
        raise TypeError(f"`{name}` must be a real number or None; got {_show(step)}.")
    value = float(step)
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"`{name}` must be positive and finite; got {value}.")
    return value


def check_choice(value: Any, choices: Sequence[Any], name: str) -> None:
    """Raise `ValueError` unless `value` is one of `choices`."""
    if isinstance(value, bool) or value not in choices:
        listed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"`{name}` must be one of {listed}; got {_show(value)}.")


def check_flag(value: Any, name: str) -> bool:
    """Return a plain boolean option."""
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"`{name}` must be True or False; got {_show(value)}.")
    return bool(value)


# --- checking -------------------------------------------------------------------------------


def check_claim_options(method: object, rtol: object) -> None:
    """Check the options shared by the ``checking.check_*`` functions."""
    if method not in ("auto", "complex", "central"):
        raise ValueError(f"`method` must be one of 'auto', 'complex', 'central'; got {method!r}.")
    if isinstance(rtol, bool) or not isinstance(rtol, int | float) or not 0 < rtol < 1:
        raise ValueError(f"`rtol` must be a number between 0 and 1; got {_short(rtol)}.")
