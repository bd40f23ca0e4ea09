r"""Exact derivatives of SymPy expressions, and derivations whose every step is verified.

Every function takes the variables as an explicit, ordered sequence of Symbols (never
``expr.free_symbols``, a set whose order is arbitrary), so the i-th component of a gradient always
belongs to the i-th variable.

Layout convention
-----------------
Denominator layout: the gradient of a scalar with respect to a column vector
$a = (a_1, \dots, a_n)^T$ is a column vector shaped like $a$, an ``sp.Matrix`` of shape
``(n, 1)``. The Jacobian of $m$ functions of $n$ variables has shape ``(m, n)`` (row $i$ is the
transposed gradient of the $i$-th function), so the Jacobian of a scalar is the gradient
transposed. With this convention, for vectors $a, b, w, x \in \mathbb{R}^n$ and a matrix
$A \in \mathbb{R}^{n \times n}$:

$$
\begin{gathered}
\nabla_a (b^T a) = b, \quad \nabla_a (b^T A a) = A^T b, \\
\nabla_a \|a\|^2 = 2a, \\
\nabla_w (w^T x + b - y)^2 = 2 (w^T x + b - y)\, x, \\
\nabla_w\, \sigma(w^T x + b) = \sigma (1 - \sigma)\, x.
\end{gathered}
$$

Which variables are legal
-------------------------
* Differentiating with respect to a variable absent from the expression is legal and gives 0,
  as in mathematics: $f(x, y) = x^2$ is a function on $\mathbb{R}^2$ with
  $\nabla f = (2x, 0)^T$.
* Symbols of the expression that are not in `symbols` are parameters, held constant
  (``gradient(w*x + b, [w])`` is ``x``).
* A repeated variable, a set (no order), an empty list or a non-Symbol is an error, and so is a
  parameter left in an expression handed to `to_numeric`, which cannot give it a value.
"""

from __future__ import annotations

import importlib
import numbers
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp
from numpy.typing import ArrayLike

from calcref import _validation as v

__all__ = [
    "Derivation",
    "DerivationError",
    "Step",
    "derivative",
    "directional_derivative",
    "dot",
    "equivalent",
    "gradient",
    "hessian",
    "jacobian",
    "line_restriction",
    "matrix",
    "partial_derivative",
    "sigmoid",
    "to_numeric",
    "vector",
]


# --- derivatives ----------------------------------------------------------------------------


def derivative(expr: Any, var: sp.Symbol, /, order: int = 1) -> Any:
    """Differentiate a scalar expression with respect to one variable.

    Parameters
    ----------
    expr : sympy.Expr
        The function. A 1x1 ``sp.Matrix`` (such as ``b.T * a``) counts as a scalar.
    var : sympy.Symbol
        The variable. Other symbols of `expr` are held constant; a `var` absent from `expr`
        gives 0.
    order : int, optional
        Derivative order, at least 1. Default 1.

    Returns
    -------
    sympy.Expr

    Raises
    ------
    TypeError
        If `expr` is not a SymPy expression or `var` not a Symbol.
    ValueError
        If `order` is not a positive integer.

    Examples
    --------
    >>> import sympy as sp
    >>> from calcref import symbolic
    >>> x = sp.Symbol("x")
    >>> symbolic.derivative(x**3 - 2 * x, x)
    3*x**2 - 2
    >>> symbolic.derivative(x**3 - 2 * x, x, order=2)
    6*x
    """
    expr = v.as_sympy_scalar(expr)
    var = v.as_symbol(var)
    order = v.check_positive_int(order, "order")
    return sp.diff(expr, var, order)


def partial_derivative(expr: Any, symbols: Sequence[sp.Symbol], i: int | sp.Symbol, /) -> Any:
    r"""Partial derivative $\partial f / \partial x_i$ of a scalar function of ``symbols``.

    Mirrors ``numeric.partial_derivative(f, x, i)``: `i` picks the variable, either by its
    position in `symbols` or as the Symbol itself (which must be one of `symbols`).

    Parameters
    ----------
    expr : sympy.Expr
        The function $f(x_1, \dots, x_n)$.
    symbols : sequence of sympy.Symbol
        The variables $x_1, \dots, x_n$, in order.
    i : int or sympy.Symbol
        Index (0-based, negative allowed) into `symbols`, or one of its Symbols.

    Returns
    -------
    sympy.Expr

    Raises
    ------
    TypeError
        If `expr`, `symbols` or `i` has the wrong type.
    ValueError
        If `i` is out of range or not one of `symbols`, or `symbols` repeats a Symbol.

    Examples
    --------
    >>> import sympy as sp
    >>> from calcref import symbolic
    >>> x, y, z = sp.symbols("x y z")
    >>> f = (x + 2 * y - 3 * z) ** 2
    >>> symbolic.partial_derivative(f, [x, y, z], 2)
    -6*x - 12*y + 18*z
    >>> symbolic.partial_derivative(f, [x, y, z], y)
    4*x + 8*y - 12*z
    """
    expr = v.as_sympy_scalar(expr)
    variables = v.as_symbol_list(symbols)
    return sp.diff(expr, _pick_variable(variables, i))


def _pick_variable(variables: list[sp.Symbol], i: object) -> sp.Symbol:
    if isinstance(i, v.variable_types()):
        if i not in variables:
            raise ValueError(f"`i` must be one of `symbols` {variables}; got {i}.")
        return i
    if isinstance(i, bool) or not isinstance(i, numbers.Integral):
        raise TypeError(f"`i` must be an int index or a Symbol; got {type(i).__name__} {i!r}.")
    n = len(variables)
    if not -n <= int(i) < n:
        raise ValueError(f"`i` must be an index into the {n} `symbols` (-{n} to {n - 1}); got {i}.")
    return variables[int(i)]


def line_restriction(
    expr: Any, symbols: Sequence[sp.Symbol], point: Any, direction: Any, t: sp.Symbol, /
) -> Any:
    r"""Restrict a function to a line: $g(t) = f(x_0 + t\,v)$.

    Parameters
    ----------
    expr : sympy.Expr
        The function $f$ of `symbols`.
    symbols : sequence of sympy.Symbol
        Its variables, in order.
    point : sequence or sympy.Matrix
        The point $x_0$, one entry per variable: numbers or expressions.
    direction : sequence or sympy.Matrix
        The direction $v$, one entry per variable.
    t : sympy.Symbol
        The line parameter; it must not occur in `expr`, `point` or `direction`.

    Returns
    -------
    sympy.Expr
        $g(t)$, with every variable replaced at once (so a point that mentions the
        variables themselves, ``point=symbols``, works).

    Examples
    --------
    >>> import sympy as sp
    >>> from calcref import symbolic
    >>> x, y, t = sp.symbols("x y t")
    >>> symbolic.line_restriction(x**2 * y, [x, y], [1, 2], [3, 4], t)
    (3*t + 1)**2*(4*t + 2)
    """
    expr = v.as_sympy_scalar(expr)
    variables = v.as_symbol_list(symbols)
    x0 = v.as_sympy_vector(point, len(variables), "point")
    vec = v.as_sympy_vector(direction, len(variables), "direction")
    t = v.as_symbol(t, "t")
    for name, entries in (("point", x0), ("direction", vec)):
        # float("nan") or inf would quietly turn the whole restriction into nan.
        if any(e.has(sp.nan, sp.oo, -sp.oo, sp.zoo) for e in entries):
            raise ValueError(f"`{name}` must be finite; got {entries}.")
    if any(t in e.free_symbols for e in [expr, *x0, *vec]):
        raise ValueError(
            f"`t` must be a new Symbol, absent from `expr`, `point` and `direction`; got {t}."
        )
    substitution = {s: p + t * d for s, p, d in zip(variables, x0, vec, strict=True)}
    return expr.subs(substitution, simultaneous=True)


def directional_derivative(
    expr: Any, symbols: Sequence[sp.Symbol], point: Any, direction: Any, /
) -> Any:
    r"""Directional derivative $D_v f(x_0) = g'(0)$ where $g(t) = f(x_0 + t\,v)$.

    Computed by the reduction to one variable used in the course, not from the gradient, so
    that comparing it with $\nabla f(x_0)^T v$ is a real check of the theorem.

    Parameters
    ----------
    expr : sympy.Expr
        The function $f$ of `symbols`.
    symbols : sequence of sympy.Symbol
        Its variables, in order.
    point : sequence or sympy.Matrix
        The point $x_0$: numbers, or expressions (``point=symbols`` gives $D_v f$ as a
        function of the point).
    direction : sequence or sympy.Matrix
        The direction $v$, used as given: it is not normalised. With a unit $v$ the result is
        the rate of change per unit of distance.

    Returns
    -------
    sympy.Expr

    Examples
    --------
    >>> import sympy as sp
    >>> from calcref import symbolic
    >>> x, y = sp.symbols("x y")
    >>> f = x**2 * y
    >>> symbolic.directional_derivative(f, [x, y], [1, 2], [3, 4])
    16
    >>> sp.expand(symbolic.directional_derivative(f, [x, y], [x, y], [3, 4]))
    4*x**2 + 6*x*y
    """
    t = sp.Dummy("t")
    g = line_restriction(expr, symbols, point, direction, t)
    return sp.diff(g, t).subs(t, 0)


def gradient(expr: Any, symbols: Sequence[sp.Symbol], /) -> Any:
    r"""Gradient of a scalar expression: a column ``sp.Matrix`` of shape ``(n, 1)``.

    Parameters
    ----------
    expr : sympy.Expr
        The function (a 1x1 Matrix counts as a scalar).
    symbols : sequence of sympy.Symbol, or an (n, 1) sympy.Matrix of Symbols
        The variables, in order (for instance from `vector`).

    Returns
    -------
    sympy.Matrix, shape (n, 1)
        $(\partial f/\partial x_1, \dots, \partial f/\partial x_n)^T$.

    Raises
    ------
    TypeError
        If `expr` is not a scalar SymPy expression, or `symbols` is a set or holds a
        non-Symbol.
    ValueError
        If `symbols` is empty or repeats a Symbol.

    Examples
    --------
    >>> import sympy as sp
    >>> from calcref import symbolic
    >>> x, y = sp.symbols("x y")
    >>> symbolic.gradient(x**2 * y, [x, y])
    Matrix([
    [2*x*y],
    [ x**2]])
    >>> a = symbolic.vector("a", 3)
    >>> symbolic.gradient(symbolic.dot(a, a), a) == 2 * a
    True
    """
    expr = v.as_sympy_scalar(expr)
    variables = v.as_symbol_list(symbols)
    return sp.Matrix([sp.diff(expr, s) for s in variables])


def jacobian(exprs: Any, symbols: Sequence[sp.Symbol], /) -> Any:
    r"""Jacobian of $m$ functions of $n$ variables: an ``sp.Matrix`` of shape ``(m, n)``.

    Parameters
    ----------
    exprs : sequence of sympy.Expr, or a column or row sympy.Matrix
        The functions $f_1, \dots, f_m$.
    symbols : sequence of sympy.Symbol
        The variables $x_1, \dots, x_n$, in order.

    Returns
    -------
    sympy.Matrix, shape (m, n)
        Entry ``(i, j)`` is $\partial f_i / \partial x_j$.

    Examples
    --------
    >>> import sympy as sp
    >>> from calcref import symbolic
    >>> r, theta = sp.symbols("r theta")
    >>> J = symbolic.jacobian([r * sp.cos(theta), r * sp.sin(theta)], [r, theta])
    >>> J
    Matrix([
    [cos(theta), -r*sin(theta)],
    [sin(theta),  r*cos(theta)]])
    >>> sp.simplify(J.det())
    r
    """
    variables = v.as_symbol_list(symbols)
    functions = _as_function_list(exprs)
    return sp.Matrix([[sp.diff(f, s) for s in variables] for f in functions])


def _as_function_list(exprs: object) -> list[Any]:
    if isinstance(exprs, sp.MatrixBase):
        if 1 not in exprs.shape:
            raise ValueError(
                f"`exprs` must be a vector of expressions; got a Matrix of shape {exprs.shape}."
            )
        items = list(exprs)
    elif isinstance(exprs, Sequence) and not isinstance(exprs, str):
        items = list(exprs)
    else:
        raise TypeError(
            "`exprs` must be a sequence or vector Matrix of SymPy expressions; "
            f"got {type(exprs).__name__} {exprs!r}. For one function use `gradient`."
        )
    if not items:
        raise ValueError("`exprs` must contain at least one expression; got [].")
    return [v.as_sympy_scalar(item, "exprs") for item in items]


def hessian(expr: Any, symbols: Sequence[sp.Symbol], /) -> Any:
    r"""Hessian of a scalar expression: a symmetric ``sp.Matrix`` of shape ``(n, n)``.

    Parameters
    ----------
    expr : sympy.Expr
        The function (a 1x1 Matrix counts as a scalar).
    symbols : sequence of sympy.Symbol
        The variables, in order.

    Returns
    -------
    sympy.Matrix, shape (n, n)
        Entry ``(i, j)`` is $\partial^2 f / \partial x_i \partial x_j$.

    Examples
    --------
    >>> import sympy as sp
    >>> from calcref import symbolic
    >>> x, y = sp.symbols("x y")
    >>> symbolic.hessian(x**3 + x * y**2, [x, y])
    Matrix([
    [6*x, 2*y],
    [2*y, 2*x]])
    """
    expr = v.as_sympy_scalar(expr)
    variables = v.as_symbol_list(symbols)
    first = [sp.diff(expr, s) for s in variables]
    return sp.Matrix([[sp.diff(df, s) for s in variables] for df in first])


def to_numeric(expr: Any, symbols: Sequence[sp.Symbol], /) -> Callable[[ArrayLike], Any]:
    """Turn an expression into a NumPy function of one point array, for `calcref.numeric`.

    Parameters
    ----------
    expr : sympy.Expr or sympy.Matrix
        A scalar, a column vector (such as a gradient) or a matrix (a Jacobian or Hessian).
        Every free symbol must be in `symbols`: substitute parameters first (``expr.subs``).
    symbols : sequence of sympy.Symbol
        The variables, in the order of the point's entries.

    Returns
    -------
    callable
        ``f(x)`` for ``x`` of shape ``(n,)``, returning a ``float`` for a scalar, an array of
        shape ``(n,)`` for a column vector (the shape of ``numeric.gradient``), and an array of
        the Matrix's shape otherwise. A complex ``x`` gives complex values, so the function
        works with complex-step differentiation (``numeric.gradient(..., method="complex")``).

    Raises
    ------
    ValueError
        If `expr` has a free symbol that is not in `symbols`; the returned function raises it
        for a point of the wrong shape.

    Examples
    --------
    >>> import sympy as sp
    >>> from calcref import symbolic
    >>> x, y = sp.symbols("x y")
    >>> f = symbolic.to_numeric(x**2 * y, [x, y])
    >>> f([3.0, 2.0])
    18.0
    >>> grad = symbolic.to_numeric(symbolic.gradient(x**2 * y, [x, y]), [x, y])
    >>> grad([3.0, 2.0]).tolist()
    [12.0, 9.0]
    """
    variables = v.as_symbol_list(symbols)
    if isinstance(expr, sp.MatrixBase):
        shape: tuple[int, ...] = expr.shape
        if shape[1] == 1:
            shape = (shape[0],)
        target = sp.Matrix(expr)
        entries = list(target)
        for entry in entries:
            v.as_sympy_scalar(entry, "expr")
    else:
        shape = ()
        target = v.as_sympy_scalar(expr)
        entries = [target]
    # An indexed entry w[0] or a MatrixSymbol entry A[0, 0] is not a Symbol lambdify can take as
    # an argument, and its free symbols include the base w or A: stand-in Dummies replace them.
    stand_ins = [sp.Dummy(str(s)) for s in variables]
    entries = [e.xreplace(dict(zip(variables, stand_ins, strict=True))) for e in entries]
    extra = set().union(*(e.free_symbols for e in entries)) - set(stand_ins)
    if extra:
        names = ", ".join(sorted(map(str, extra)))
        raise ValueError(
            f"`expr` must depend only on `symbols` {variables}; it also has {names}. "
            "Give them values first, e.g. `expr.subs({...})`."
        )
    flat = sp.lambdify(stand_ins, entries, modules="numpy")
    n = len(variables)

    def evaluate(x: ArrayLike) -> Any:
        # Complex points stay complex, so that complex-step differentiation works on the result.
        dtype = np.complex128 if np.iscomplexobj(x) else np.float64
        try:
            point = np.asarray(x, dtype=dtype)
        except (TypeError, ValueError) as error:
            raise TypeError(
                f"`x` must be an array of {n} numbers, one per symbol of {variables}; got {x!r}."
            ) from error
        if point.shape != (n,):
            raise ValueError(
                f"`x` must have shape ({n},), one entry per symbol of {variables}; "
                f"got shape {point.shape}."
            )
        values = np.array(flat(*point), dtype=dtype)
        if shape == ():
            return values[0].item()
        return values.reshape(shape)

    return evaluate


# --- vectors and matrices of symbols --------------------------------------------------------

# The names SymPy's Symbol understands (real, positive, integer, ...); it ignores any other.
_ASSUMPTIONS = frozenset(importlib.import_module("sympy.core.assumptions")._assume_defined)


def vector(name: str, n: int, /, **assumptions: bool) -> Any:
    r"""Make a column vector of `n` real Symbols ``name_1, ..., name_n``, shape ``(n, 1)``.

    Parameters
    ----------
    name : str
        Base name; entry ``i`` is printed $\mathrm{name}_i$.
    n : int
        Dimension, at least 1.
    **assumptions
        SymPy assumptions for every entry; ``real=True`` unless given.

    Returns
    -------
    sympy.Matrix, shape (n, 1)

    Examples
    --------
    >>> from calcref import symbolic
    >>> a = symbolic.vector("a", 3)
    >>> a.T
    Matrix([[a_1, a_2, a_3]])
    """
    n = v.check_positive_int(n, "n")
    _check_name(name)
    _check_assumptions(assumptions)
    assumptions.setdefault("real", True)
    return sp.Matrix([sp.Symbol(f"{name}_{i}", **assumptions) for i in range(1, n + 1)])


def matrix(name: str, m: int, n: int, /, **assumptions: bool) -> Any:
    r"""Make an ``(m, n)`` matrix of real Symbols, entry ``(i, j)`` printed $\mathrm{name}_{i,j}$.

    Parameters
    ----------
    name : str
        Base name, a letter followed by letters or digits.
    m, n : int
        Numbers of rows and columns, at least 1.
    **assumptions
        SymPy assumptions for every entry; ``real=True`` unless given.

    Returns
    -------
    sympy.Matrix, shape (m, n)

    Examples
    --------
    >>> from calcref import symbolic
    >>> symbolic.matrix("A", 2, 2)
    Matrix([
    [A_{1,1}, A_{1,2}],
    [A_{2,1}, A_{2,2}]])
    """
    m = v.check_positive_int(m, "m")
    n = v.check_positive_int(n, "n")
    _check_name(name)
    _check_assumptions(assumptions)
    assumptions.setdefault("real", True)
    return sp.Matrix(
        m,
        n,
        lambda i, j: sp.Symbol(f"{name}_{{{i + 1},{j + 1}}}", **assumptions),
    )


def _check_assumptions(assumptions: dict[str, Any]) -> None:
    # SymPy takes real="yes" or an unknown keyword silently, and the symbol is then not real.
    for key, value in assumptions.items():
        if key not in _ASSUMPTIONS:
            raise ValueError(
                "`assumptions` must be SymPy assumptions such as real, positive, integer; "
                f"got {key}={value!r}."
            )
        if not isinstance(value, bool):
            raise TypeError(f"`assumptions` must be True or False; got {key}={value!r}.")


def _check_name(name: object) -> None:
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z]\w*", name):
        raise ValueError(f"`name` must be a letter followed by letters or digits; got {name!r}.")


def dot(u: Any, w: Any, /) -> Any:
    r"""Return the scalar $u^T w$ of two column (or row) vectors of the same length.

    ``u.T * w`` is a 1x1 Matrix in SymPy; this is its entry, a plain expression.

    Parameters
    ----------
    u, w : sequence or sympy.Matrix
        Vectors of the same length: a column or row Matrix, or a list of numbers or
        expressions.

    Returns
    -------
    sympy.Expr

    Raises
    ------
    TypeError
        If `u` or `w` is not a vector.
    ValueError
        If their lengths differ, or a Matrix is not a single row or column.

    Examples
    --------
    >>> from calcref import symbolic
    >>> a, b = symbolic.vector("a", 2), symbolic.vector("b", 2)
    >>> symbolic.dot(b, a)
    a_1*b_1 + a_2*b_2
    """
    first = sp.Matrix(v.as_sympy_vector(u, _length(u, "u"), "u"))
    second = sp.Matrix(v.as_sympy_vector(w, len(first), "w"))
    return (first.T * second)[0, 0]


def _length(u: object, name: str) -> int:
    if isinstance(u, sp.MatrixBase):
        return max(u.shape) if 1 in u.shape else -1
    if isinstance(u, Sequence) and not isinstance(u, str):
        return len(u)
    raise TypeError(f"`{name}` must be a vector; got {type(u).__name__} {u!r}.")


def sigmoid(z: Any, /) -> Any:
    r"""Return the logistic function $\sigma(z) = 1 / (1 + e^{-z})$.

    Its derivative is $\sigma(1 - \sigma)$.

    Parameters
    ----------
    z : sympy.Expr or number
        The argument.

    Returns
    -------
    sympy.Expr

    Examples
    --------
    >>> import sympy as sp
    >>> from calcref import symbolic
    >>> z = sp.Symbol("z")
    >>> s = symbolic.sigmoid(z)
    >>> sp.simplify(sp.diff(s, z) - s * (1 - s))
    0
    """
    z = v.as_sympy_scalar(z, "z")
    return 1 / (1 + sp.exp(-z))


# --- equality: symbolic first, numeric spot checks as a fallback -----------------------------

# Most identities a derivation states are rational in the functions they contain (exp, log,
# sin... taken as independent variables): over a common denominator their difference cancels to
# 0, which `sp.cancel` finds in a fraction of simplify's time (simplify tries it among many other
# rewritings). A 0 from cancel is a proof: it only rewrites, so a - b is 0 wherever both sides
# are defined. When cancel leaves something, simplify gets its turn.
# simplify(a - b) == 0 proves a == b, but simplify is not a decision procedure: it can fail to
# reduce a true identity to 0 (nested radicals, some trig/exp forms). A step that is right must
# not be rejected because of that, so when simplify does not reach 0 the difference is evaluated
# at random points with 30 significant digits. Evaluating at 30 digits makes cancellation harmless
# and keeps the threshold far below any real mistake (a wrong step differs by O(1) relative at
# almost every point). This is the classic probabilistic identity test (Schwartz-Zippel).
_SPOT_CHECK_POINTS = 12
_SPOT_CHECK_DIGITS = 30
_SPOT_CHECK_RTOL = 1e-20


def equivalent(a: Any, b: Any, /) -> bool:
    """Whether two expressions (or matrices of the same shape) are equal as functions.

    Unevaluated objects (``sp.Derivative``, ``sp.Limit``...) are evaluated first. Equality is
    proved by ``a - b`` cancelling to 0 over a common denominator (``sp.cancel``), else by
    ``simplify(a - b) == 0``; when simplify cannot decide, the difference is evaluated
    at 12 random real points with 30 digits (random signs and magnitudes in [0.25, 2], positive
    where a Symbol is declared positive): equal then means equal as functions of real
    variables. Non-commuting symbols are equal only if SymPy proves it.

    Parameters
    ----------
    a, b : sympy.Expr, number or sympy.Matrix
        The two sides. A Matrix equals only a Matrix of the same shape.

    Returns
    -------
    bool

    Raises
    ------
    TypeError
        If `a` or `b` is not a SymPy expression, a number or a Matrix (a string, a list, an
        equation ``sp.Eq``, a function).

    Examples
    --------
    >>> import sympy as sp
    >>> from calcref import symbolic
    >>> x = sp.Symbol("x")
    >>> symbolic.equivalent(sp.sin(x) ** 2 + sp.cos(x) ** 2, 1)
    True
    >>> symbolic.equivalent(sp.Derivative(x**2, x), 2 * x), symbolic.equivalent(x**2, 2 * x)
    (True, False)
    """
    return _how_equal(_comparable(a, "a"), _comparable(b, "b")) is not None


def _comparable(value: object, name: str) -> Any:
    """Return `value` if it is a Matrix, else as a scalar SymPy expression (or raise)."""
    return value if isinstance(value, sp.MatrixBase) else v.as_sympy_scalar(value, name)


def _how_equal(a: Any, b: Any) -> str | None:
    """``"symbolic"`` or ``"spot check"`` when ``a == b``, ``None`` when they differ."""
    left, right = _evaluated(a), _evaluated(b)
    if isinstance(left, sp.MatrixBase) or isinstance(right, sp.MatrixBase):
        if not (isinstance(left, sp.MatrixBase) and isinstance(right, sp.MatrixBase)):
            return None
        if left.shape != right.shape:
            return None
        ways = [_how_equal_scalar(p, q) for p, q in zip(left, right, strict=True)]
        if any(way is None for way in ways):
            return None
        return "spot check" if "spot check" in ways else "symbolic"
    return _how_equal_scalar(left, right)


def _evaluated(expr: Any) -> Any:
    if isinstance(expr, sp.MatrixBase):
        return sp.Matrix(expr).applyfunc(lambda e: sp.sympify(e).doit())
    return sp.sympify(expr).doit()


def _how_equal_scalar(a: Any, b: Any) -> str | None:
    difference = a - b
    if difference == 0 or _cancels(difference) or sp.simplify(difference) == 0:
        return "symbolic"
    if not difference.is_commutative:
        return None  # numbers commute: at any point A*B and B*A would agree
    return "spot check" if _spot_check(a, b) else None


def _cancels(difference: Any) -> bool:
    """Whether `difference`, over a common denominator, cancels to 0."""
    return bool(sp.cancel(sp.together(difference)) == 0)


def _spot_check(a: Any, b: Any) -> bool:
    symbols = sorted((a - b).free_symbols, key=str)
    # A fixed seed keeps verification reproducible: the same page verifies the same way each run.
    rng = random.Random(20261126)
    usable = 0
    for _ in range(4 * _SPOT_CHECK_POINTS):
        values = {s: _sample(s, rng) for s in symbols}
        left = _evaluate_at(a, values)
        right = _evaluate_at(b, values)
        if left is None or right is None:
            continue  # a pole or a branch cut at this point: it says nothing either way
        scale = max(abs(left), abs(right), sp.Float(1e-300))
        if abs(left - right) > _SPOT_CHECK_RTOL * scale:
            return False
        usable += 1
        if usable == _SPOT_CHECK_POINTS:
            return True
    return False


def _sample(symbol: sp.Symbol, rng: random.Random) -> Any:
    magnitude = rng.uniform(0.25, 2.0)
    positive = symbol.is_positive or symbol.is_nonnegative
    sign = 1 if positive or rng.random() < 0.5 else -1
    return sp.Float(sign * magnitude, _SPOT_CHECK_DIGITS)


def _evaluate_at(expr: Any, values: dict[Any, Any]) -> Any:
    value = sp.sympify(expr).evalf(_SPOT_CHECK_DIGITS, subs=values)
    if not value.is_number or value.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
        return None
    real, imaginary = value.as_real_imag()
    if not (real.is_Float or real.is_zero) or not (imaginary.is_Float or imaginary.is_zero):
        return None  # something evalf could not reduce to a number
    return value


# --- derivations ----------------------------------------------------------------------------


class DerivationError(ValueError):
    """A step of a `Derivation` that does not equal the line before it, or a wrong result."""


@dataclass(frozen=True, slots=True)
class Step:
    """One verified line of a `Derivation`.

    Attributes
    ----------
    expr : sympy.Expr or sympy.Matrix
        The expression on this line, exactly as given (unevaluated forms are kept for display).
    rule : str
        The rule that turns the previous line into this one.
    verified_by : str
        ``"symbolic"`` (the difference cancels or simplifies to 0) or ``"spot check"`` (SymPy
        could not decide; the two lines agree to 20 digits at 12 random points).
    """

    expr: Any
    rule: str
    verified_by: str


class Derivation:
    r"""A derivation: a start expression and steps, each naming its rule, each verified.

    Every `step` is compared with the line before it (see `equivalent`) when it is added; a step
    that does not follow raises `DerivationError` naming the step number, its rule and both
    expressions. `latex` renders the derivation as an ``aligned`` block for a page.

    Parameters
    ----------
    start : sympy.Expr or sympy.Matrix
        The first line, usually an unevaluated derivative, ``sp.Derivative(f, x)``, so the page
        shows $\frac{d}{dx}(\dots) = \dots$.

    Examples
    --------
    >>> import sympy as sp
    >>> from calcref import symbolic
    >>> x = sp.Symbol("x")
    >>> d = symbolic.Derivation(sp.Derivative(x**2 * sp.sin(x), x))
    >>> _ = d.step(sp.Derivative(x**2, x) * sp.sin(x) + x**2 * sp.Derivative(sp.sin(x), x),
    ...            "product rule")
    >>> _ = d.step(2 * x * sp.sin(x) + x**2 * sp.cos(x), "power rule, derivative of sin")
    >>> d.result
    x**2*cos(x) + 2*x*sin(x)
    >>> d.check(x * (2 * sp.sin(x) + x * sp.cos(x)))
    >>> print(d.latex())
    \begin{aligned}
    & \frac{d}{d x} \left(x^{2} \sin x\right) \\
      &= x^{2} \frac{d}{d x} \sin x
        + \sin x \frac{d}{d x} x^{2} \\
      &\qquad {\small\text{(product rule)}} \\[0.2em]
      &= x^{2} \cos x + 2 x \sin x \\
      &\qquad {\small\text{(power rule, derivative of sin)}}
    \end{aligned}

    A wrong step fails at once:

    >>> d.step(2 * x * sp.cos(x), "chain rule")
    Traceback (most recent call last):
    ...
    calcref.symbolic.DerivationError: Step 3 (chain rule) does not follow from step 2:
      step 2: x**2*cos(x) + 2*x*sin(x)
      step 3: 2*x*cos(x)
      step 2 - step 3 = x**2*cos(x) + 2*x*sin(x) - 2*x*cos(x), which is not 0.
    """

    __slots__ = ("_start", "_steps")

    def __init__(self, start: Any, /) -> None:
        self._start = _as_line(start, "start")
        self._steps: list[Step] = []

    @property
    def start(self) -> Any:
        """The first line, as given."""
        return self._start

    @property
    def steps(self) -> tuple[Step, ...]:
        """The verified steps after the start, numbered 1, 2, ... in messages."""
        return tuple(self._steps)

    @property
    def result(self) -> Any:
        """The last line, evaluated (``sp.Derivative`` and other unevaluated forms done)."""
        last = self._steps[-1].expr if self._steps else self._start
        return _evaluated(last)

    def step(self, expr: Any, rule: str, /) -> Derivation:
        """Append a line, verified equal to the previous one; return the derivation (chainable).

        Parameters
        ----------
        expr : sympy.Expr or sympy.Matrix
            The new line. Build it with ``sp.Derivative(...)`` or ``evaluate=False`` to keep an
            intermediate form that SymPy would otherwise simplify away.
        rule : str
            The rule applied, shown on the page: "power rule", "chain rule", "linearity", ...

        Raises
        ------
        DerivationError
            If `expr` does not equal the previous line; the message names the step number
            (the start is step 0), its rule and both expressions.
        """
        if not isinstance(rule, str) or not rule.strip():
            raise ValueError(f"`rule` must be a non-empty string naming the rule; got {rule!r}.")
        line = _as_line(expr, "expr")
        number = len(self._steps) + 1
        previous = self._steps[-1].expr if self._steps else self._start
        way = _how_equal(previous, line)
        if way is None:
            raise DerivationError(_mismatch_message(number, rule, previous, line))
        self._steps.append(Step(line, rule.strip(), way))
        return self

    def check(self, expected: Any, /) -> None:
        """Raise `DerivationError` unless the derivation ends at `expected` (up to algebra).

        Parameters
        ----------
        expected : sympy.Expr or sympy.Matrix
            The result the derivation should reach, such as ``sp.diff`` of its start.
        """
        wanted = _as_line(expected, "expected")
        if _how_equal(self.result, wanted) is None:
            raise DerivationError(
                f"The derivation ends at {self.result}, which is not the expected {wanted}."
            )

    def latex(self, **settings: Any) -> str:
        r"""Render the derivation as a LaTeX ``aligned`` environment.

        The start stands on a line of its own; each step follows as ``= step`` on the next
        line, with its rule in small type, indented, on the line under it. A derivation is then
        as wide as its widest expression (not that plus its longest rule), so it fits a phone.
        A named function of a single letter is written without brackets, ``\sin t``.
        Math in a rule is written between dollar signs: ``"cancel the common factor $h$"``.

        Parameters
        ----------
        **settings
            Passed to ``sympy.latex`` (for instance ``order="none"``).

        Returns
        -------
        str
        """
        head = f"& {_latex_line(self._start, settings)}"
        steps = [
            f"  &= {_latex_line(s.expr, settings)} \\\\\n"
            f"  &\\qquad {{\\small\\text{{({_latex_text(s.rule)})}}}}"
            for s in self._steps
        ]
        body = head
        if steps:
            # A little air after each rule, so that it reads as belonging to the step above it.
            body += " \\\\\n" + " \\\\[0.2em]\n".join(steps)
        return "\\begin{aligned}\n" + body + "\n\\end{aligned}"

    def __repr__(self) -> str:
        lines = [f"Derivation({self._start}"]
        for number, s in enumerate(self._steps, start=1):
            lines.append(f"  {number}. = {s.expr}    [{s.rule}; {s.verified_by}]")
        return "\n".join(lines) + ")"


def _as_line(expr: Any, name: str) -> Any:
    if isinstance(expr, sp.MatrixBase):
        if expr.shape == (1, 1):
            return expr[0, 0]
        return sp.ImmutableMatrix(expr)
    return v.as_sympy_scalar(expr, name)


def _mismatch_message(number: int, rule: str, previous: Any, line: Any) -> str:
    shape_note = ""
    if isinstance(previous, sp.MatrixBase) != isinstance(line, sp.MatrixBase) or (
        isinstance(line, sp.MatrixBase) and previous.shape != line.shape
    ):
        shape_note = "  they do not even have the same shape.\n"
        difference = "not defined"
    else:
        difference = str(_evaluated(previous) - _evaluated(line))
    return (
        f"Step {number} ({rule}) does not follow from step {number - 1}:\n"
        f"  step {number - 1}: {previous}\n"
        f"  step {number}: {line}\n"
        + shape_note
        + f"  step {number - 1} - step {number} = {difference}, which is not 0."
    )


def _latex_line(expr: Any, settings: dict[str, Any]) -> str:
    text: str = sp.latex(expr, **settings)
    # SymPy prints d/dx (x^2 sin x) without parentheses, which reads as (d/dx x^2) sin x.
    if isinstance(expr, sp.Derivative) and isinstance(expr.expr, sp.Mul):
        inner: str = sp.latex(expr.expr, **settings)
        if text.endswith(" " + inner):
            text = text[: -len(inner)] + "\\left(" + inner + "\\right)"
    return _FUNCTION_OF_A_LETTER.sub(r"\\\g<name>\g<power> \g<arg>", text)


# SymPy writes sin(t) as \sin{\left(t \right)}; books and the pages' prose write \sin t, which
# is also narrower on a phone. Only a single-letter argument, and only when no letter or digit
# follows (\sin t \, x would read as sin(tx)). SymPy's fold_func_brackets also folds sin(x^2).
_FUNCTION_OF_A_LETTER = re.compile(
    r"\\(?P<name>sin|cos|tan|cot|sec|csc|sinh|cosh|tanh|log|ln)(?P<power>\^\{\w+\})?"
    r"\{\\left\((?P<arg>[A-Za-z]) \\right\)\}(?!\s*[A-Za-z0-9])"
)


def _latex_text(rule: str) -> str:
    # Rules are words, with math between dollar signs (KaTeX and LaTeX both read $...$ inside
    # \text). Outside the math, the characters special in LaTeX text mode are escaped.
    pieces = re.split(r"(\$[^$]+\$)", rule)  # math at the odd positions
    return "".join(
        piece if index % 2 else re.sub(r"([{}$&#%_])", r"\\\1", piece)
        for index, piece in enumerate(pieces)
    )
