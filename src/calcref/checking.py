r"""Check a claimed derivative against an independent numerical estimate, with a reasoned tolerance.

Each ``check_*`` function returns a frozen report whose ``repr`` is a small table for a page:
the claimed and numerical value of every entry, their difference, the tolerance and the verdict.

How the tolerance is chosen
---------------------------
The numerical value comes from `calcref.numeric` with ``full_output=True``, which also returns an
estimated bound on its own error. For entry $i$ the claim passes when

$$
|c_i - g_i| \le 4\,e_i + \mathrm{rtol}\,\max(|c_i|, |g_i|) + 16\,\varepsilon\,\max_j |g_j|
$$

* $e_i$ is the estimate's own error bound; the factor 4 is a margin because the bound is itself
  an estimate, not a proof.
* $\mathrm{rtol} = 10^{-6}$ (by default) is the room given to the claim for its own float64
  rounding (a correct formula evaluated with cancellation, such as $\sigma(1-\sigma)$ for a
  saturated sigmoid, is not exact). It is a thousand times below the smallest error the checker
  promises to catch, $10^{-3}$ relative.
* $16\,\varepsilon\,\max_j|g_j|$ ($\varepsilon$ the float64 machine epsilon) lets an entry
  that should be 0 come out as a rounding-sized number in the claim.

There is no fixed absolute tolerance: every term scales with the values or with the estimate's
own error. A badly scaled function (a huge value and a tiny gradient) makes finite differences
useless, so by default the gradient is estimated with a complex step (no subtractive
cancellation, exact to rounding), which `numeric` cross-checks against a real central
difference; when ``f`` does not accept complex input or is not analytic there (``abs``,
``maximum`` at a kink), central differences are used and their larger error bound widens the
tolerance instead of raising a false alarm. The report then says how small an error the check
could still detect (`Check.resolution`).
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, Literal

import numpy as np
import sympy as sp
from numpy.typing import ArrayLike

from calcref import _validation as v
from calcref import numeric, symbolic
from calcref._typing import FloatArray

__all__ = [
    "Check",
    "SymbolicCheck",
    "check_directional",
    "check_gradient",
    "check_hessian",
    "check_symbolic",
]

_EPS = float(np.finfo(np.float64).eps)
_SAFETY = 4.0
_ZERO_FLOOR = 16 * _EPS
_DEFAULT_RTOL = 1e-6

Method = Literal["auto", "complex", "central"]


@dataclass(frozen=True, slots=True)
class Check:
    r"""The verdict on one claimed derivative at one point.

    Attributes
    ----------
    quantity : str
        ``"gradient"``, ``"Hessian"`` or ``"directional derivative"``.
    ok : bool
        True when every entry agrees within its tolerance.
    x : ndarray, shape (n,)
        The point.
    claimed, numerical : ndarray
        The claim and the numerical estimate, same shape: ``(n,)`` for a gradient, ``(n, n)``
        for a Hessian, ``()`` for a directional derivative.
    difference : ndarray
        ``|claimed - numerical|``.
    tolerance : ndarray
        The largest difference accepted for each entry (see the module notes).
    estimate_error : ndarray
        The numerical estimate's own error bound, from `calcref.numeric`.
    rtol : float
        The relative room given to the claim's own rounding.
    scale : float
        The size of the values (largest entry), for entries that should be 0.
    method : str
        How the estimate was computed, and why that way.
    reliable : bool
        Whether `numeric` trusted its estimate; when False the tolerance is wide and `notes`
        say why.
    notes : tuple of str
        Warnings from the numerical estimate, and fallbacks taken.
    evaluations : int
        Calls of ``f`` made by the estimate.
    """

    quantity: str
    ok: bool
    x: FloatArray
    claimed: FloatArray
    numerical: FloatArray
    difference: FloatArray
    tolerance: FloatArray
    estimate_error: FloatArray
    rtol: float
    scale: float
    method: str
    reliable: bool
    notes: tuple[str, ...]
    evaluations: int

    @property
    def failures(self) -> tuple[tuple[int, ...], ...]:
        """Indices of the entries whose difference exceeds the tolerance."""
        bad = ~(self.difference <= self.tolerance)
        return tuple(tuple(int(i) for i in index) for index in np.argwhere(bad))

    @property
    def resolution(self) -> float:
        """The smallest relative error this check could detect in the worst entry.

        ``max_i tolerance_i / |numerical_i|``: about 1e-6 with a complex step, larger where
        finite differences struggle. A claim wrong by less than this may pass.
        """
        scale = np.maximum(np.abs(self.numerical), np.finfo(np.float64).tiny)
        return float(np.max(self.tolerance / scale))

    def __repr__(self) -> str:
        verdict = "PASS" if self.ok else f"FAIL ({len(self.failures)} wrong)"
        lines = [
            f"{self.quantity} check at x = {_fmt_vector(self.x)}: {verdict}",
            f"  {'entry':<8}{'claimed':>18}{'numerical':>18}{'|difference|':>14}{'tolerance':>11}",
        ]
        for index in np.ndindex(self.claimed.shape):
            label = "".join(f"[{i}]" for i in index) or "-"
            flag = "" if self.difference[index] <= self.tolerance[index] else "  <-- wrong"
            lines.append(
                f"  {label:<8}{self.claimed[index]:>18.10g}{self.numerical[index]:>18.10g}"
                f"{self.difference[index]:>14.1e}{self.tolerance[index]:>11.1e}{flag}"
            )
        lines.append(f"  numerical value: {self.method}, {self.evaluations} evaluations of f")
        lines.append(
            f"  tolerance = {_SAFETY:g} x its error bound (up to {np.max(self.estimate_error):.1e})"
            f" + {self.rtol:g} x |value| (the claim's rounding) + 16 eps x {self.scale:.3g}"
            " (largest |value|)"
        )
        lines.extend(f"  note: {note}" for note in self.notes)
        return "\n".join(lines)


def _fmt_vector(x: FloatArray) -> str:
    return "[" + ", ".join(f"{value:.6g}" for value in x) + "]"


# --- gradient -------------------------------------------------------------------------------


def check_gradient(
    f: Callable[[FloatArray], Any],
    grad: Callable[[FloatArray], ArrayLike] | ArrayLike,
    x: ArrayLike,
    /,
    *,
    method: Method = "auto",
    rtol: float = _DEFAULT_RTOL,
) -> Check:
    r"""Check a claimed gradient of ``f`` at ``x`` against a numerical estimate.

    Parameters
    ----------
    f : callable
        ``f(x) -> float`` for ``x`` of shape ``(n,)``.
    grad : callable or array_like
        The claim: ``grad(x)`` returning shape ``(n,)`` (or ``(n, 1)``), or its value at `x`.
    x : array_like, shape (n,)
        The point.
    method : {"auto", "complex", "central"}, optional
        How the numerical gradient is computed. ``"auto"`` (default) tries a complex step and
        falls back to central differences when ``f`` rejects complex input or the complex
        step disagrees with a real difference (``f`` not analytic there).
    rtol : float, optional
        Relative room for the claim's own rounding, default 1e-6 (see the module notes).

    Returns
    -------
    Check
        ``ok``, and per component the claimed and numerical values, difference and tolerance.

    Raises
    ------
    TypeError
        If `f` is not callable, or `x` or the claim are not real numbers.
    ValueError
        If the shapes of `x`, the claim and ``f``'s input disagree, or ``f(x)`` is not one
        finite number.

    Examples
    --------
    >>> import numpy as np
    >>> from calcref import checking
    >>> f = lambda p: np.sin(p[0]) * p[1] ** 2
    >>> right = lambda p: np.array([np.cos(p[0]) * p[1] ** 2, 2 * np.sin(p[0]) * p[1]])
    >>> checking.check_gradient(f, right, [0.5, 2.0]).ok
    True
    >>> wrong = lambda p: np.array([np.cos(p[0]) * p[1] ** 2, np.sin(p[0]) * p[1]])
    >>> report = checking.check_gradient(f, wrong, [0.5, 2.0])
    >>> report.ok, report.failures
    (False, ((1,),))
    """
    v.check_claim_options(method, rtol)
    point = v.as_vector_point(x)
    _value_of(f, point)
    claimed = _claimed_array(grad, point, (point.size,), "grad")
    return _judge(
        "gradient",
        point,
        claimed,
        lambda m: numeric.gradient(f, point, method=m, full_output=True),
        method,
        rtol,
        lambda numerical: float(np.max(np.abs(numerical))),
    )


def check_directional(
    f: Callable[[FloatArray], Any],
    grad: Callable[[FloatArray], ArrayLike] | ArrayLike,
    x: ArrayLike,
    direction: ArrayLike,
    /,
    *,
    method: Method = "auto",
    rtol: float = _DEFAULT_RTOL,
) -> Check:
    r"""Check $D_v f(x) = \nabla f(x)^T v$: a numerical directional derivative against a claim.

    The directional derivative is estimated along the line $t \mapsto f(x + t v)$ alone (one
    line, not $n$ coordinate lines), so it is independent of the claimed gradient.

    Parameters
    ----------
    f : callable
        ``f(x) -> float`` for ``x`` of shape ``(n,)``.
    grad : callable or array_like
        The claimed gradient, ``grad(x)`` of shape ``(n,)``, or its value at `x`.
    x : array_like, shape (n,)
        The point.
    direction : array_like, shape (n,)
        The direction $v$, non-zero; used as given (not normalised).
    method : {"auto", "complex", "central"}, optional
        As in `check_gradient`.
    rtol : float, optional
        Relative room for the claim's own rounding, default 1e-6.

    Returns
    -------
    Check
        With scalar ``claimed`` ($\nabla f(x)^T v$) and ``numerical`` ($D_v f(x)$). The
        rounding room scales with $\sum_i |\partial_i f\, v_i|$, the size of the terms of
        the dot product, so a direction almost orthogonal to the gradient is judged fairly.

    Examples
    --------
    >>> import numpy as np
    >>> from calcref import checking
    >>> f = lambda p: p[0] ** 2 * p[1]
    >>> grad = lambda p: np.array([2 * p[0] * p[1], p[0] ** 2])
    >>> report = checking.check_directional(f, grad, [1.0, 2.0], [0.6, 0.8])
    >>> report.ok, float(report.claimed)
    (True, 3.2)
    """
    v.check_claim_options(method, rtol)
    point = v.as_vector_point(x)
    along = v.as_direction(direction, point.size, "direction")
    _value_of(f, point)
    gradient_claim = _claimed_array(grad, point, (point.size,), "grad")
    claimed = np.asarray(gradient_claim @ along, dtype=np.float64)
    # Rounding in the claim's dot product is relative to its terms, not to their sum.
    terms = float(np.sum(np.abs(gradient_claim * along)))
    return _judge(
        "directional derivative",
        point,
        claimed,
        lambda m: numeric.directional_derivative(f, point, along, method=m, full_output=True),
        method,
        rtol,
        lambda numerical: max(terms, float(np.max(np.abs(numerical)))),
    )


def check_hessian(
    f: Callable[[FloatArray], Any],
    hess: Callable[[FloatArray], ArrayLike] | ArrayLike,
    x: ArrayLike,
    /,
    *,
    rtol: float = _DEFAULT_RTOL,
) -> Check:
    """Check a claimed Hessian of ``f`` at ``x`` against a numerical estimate.

    Parameters
    ----------
    f : callable
        ``f(x) -> float`` for ``x`` of shape ``(n,)``.
    hess : callable or array_like
        The claim: ``hess(x)`` of shape ``(n, n)``, or its value at `x` (for ``n == 1`` a
        single number will do).
    x : array_like, shape (n,)
        The point.
    rtol : float, optional
        Relative room for the claim's own rounding, default 1e-6.

    Returns
    -------
    Check
        Entries indexed ``[i][j]``. Second differences lose more digits than first ones, so
        the tolerance (from the estimate's error bound) is wider than for a gradient: see
        `Check.resolution`.

    Examples
    --------
    >>> import numpy as np
    >>> from calcref import checking
    >>> f = lambda p: p[0] ** 3 + p[0] * p[1] ** 2
    >>> hess = lambda p: np.array([[6 * p[0], 2 * p[1]], [2 * p[1], 2 * p[0]]])
    >>> checking.check_hessian(f, hess, [1.0, 2.0]).ok
    True
    >>> checking.check_hessian(f, lambda p: hess(p) * [[1, 1], [1, 2]], [1.0, 2.0]).failures
    ((1, 1),)
    """
    v.check_claim_options("central", rtol)
    point = v.as_vector_point(x)
    _value_of(f, point)
    claimed = _claimed_array(hess, point, (point.size, point.size), "hess")
    return _judge(
        "Hessian",
        point,
        claimed,
        lambda m: numeric.hessian(f, point, method=_real(m), full_output=True),
        "central",
        rtol,
        lambda numerical: float(np.max(np.abs(numerical))),
    )


# --- shared machinery -----------------------------------------------------------------------


NumericMethod = Literal["complex", "central", "forward", "backward"]


def _judge(
    quantity: str,
    point: FloatArray,
    claimed: FloatArray,
    compute: Callable[[NumericMethod], Any],
    method: Method,
    rtol: float,
    scale_of: Callable[[FloatArray], float],
) -> Check:
    """Compare `claimed` with ``compute(method)``; ask one-sided differences when in doubt."""
    estimate, how, notes = _estimate(compute, method)
    numerical = np.asarray(estimate.value, dtype=np.float64).reshape(claimed.shape)
    error = np.asarray(estimate.error, dtype=np.float64).reshape(claimed.shape)
    scale = scale_of(numerical)
    report = _verdict(quantity, point, claimed, numerical, error, scale, rtol, how, estimate, notes)
    if report.ok or estimate.reliable:
        return report
    # `numeric` distrusts its own estimate (typically: the central stencil straddles a kink, and
    # its error bound may then be too small). A disagreement is then weak evidence, so before
    # calling an entry wrong, ask the one-sided differences, one of which stays on one side of
    # the kink: an entry is accepted if it agrees with either, within that estimate's own bound.
    for side in ("forward", "backward"):
        opinion, _ = _quietly(partial(compute, side))
        other = np.asarray(opinion.value, dtype=np.float64).reshape(claimed.shape)
        other_error = np.asarray(opinion.error, dtype=np.float64).reshape(claimed.shape)
        agrees = np.abs(claimed - other) <= _tolerance(claimed, other, other_error, scale, rtol)
        rescued = ~(report.difference <= report.tolerance) & agrees
        if np.any(rescued):
            numerical, error = numerical.copy(), error.copy()
            numerical[rescued], error[rescued] = other[rescued], other_error[rescued]
            entries = [tuple(int(i) for i in index) for index in np.argwhere(rescued)]
            notes = (*notes, f"entries {entries} agree with a {side} difference instead")
            report = _verdict(
                quantity, point, claimed, numerical, error, scale, rtol, how, estimate, notes
            )
        if report.ok:
            break
    return report


def _real(method: NumericMethod) -> Literal["central", "forward", "backward"]:
    """Map a method to a finite-difference one: a Hessian has no complex step."""
    return "central" if method == "complex" else method


def _tolerance(
    claimed: FloatArray, numerical: FloatArray, error: FloatArray, scale: float, rtol: float
) -> FloatArray:
    tolerance: FloatArray = (
        _SAFETY * error
        + rtol * np.maximum(np.abs(claimed), np.abs(numerical))
        + _ZERO_FLOOR * scale
    )
    return tolerance


def _estimate(
    compute: Callable[[NumericMethod], Any], method: Method
) -> tuple[Any, str, tuple[str, ...]]:
    """Run `compute` with a complex step if allowed and trustworthy, else central differences."""
    notes: list[str] = []
    if method in ("auto", "complex"):
        try:
            estimate, warned = _quietly(lambda: compute("complex"), probing_complex=True)
        except TypeError as error:
            if method == "complex":
                raise
            notes.append(f"no complex step ({_first_line(error)}); used central differences")
        else:
            if estimate.reliable or method == "complex":
                return estimate, "complex step", warned
            notes.append(
                "complex step rejected (" + "; ".join(warned) + "); used central differences"
            )
    estimate, warned = _quietly(lambda: compute("central"))
    return estimate, "central differences", (*notes, *warned)


def _quietly(
    compute: Callable[[], Any], *, probing_complex: bool = False
) -> tuple[Any, tuple[str, ...]]:
    """Call `compute`, turning `numeric`'s unreliability warnings into notes for the report.

    The report states reliability itself, so these warnings would only repeat it. While the
    complex step is being tried, NumPy's ComplexWarning (``f`` casting to float) is the probe's
    own doing: `numeric` then rejects the complex step and says why. Any other warning (from
    ``f`` itself, say) is passed on unchanged.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = compute()
    notes = []
    for warning in caught:
        if issubclass(warning.category, numeric.UnreliableDerivativeWarning):
            notes.append(_first_line(warning.message))
        elif probing_complex and issubclass(warning.category, np.exceptions.ComplexWarning):
            continue
        else:
            warnings.warn_explicit(
                warning.message, warning.category, warning.filename, warning.lineno
            )
    return result, tuple(notes)


def _first_line(message: object) -> str:
    return str(message).strip().splitlines()[0] if str(message).strip() else repr(message)


def _verdict(
    quantity: str,
    point: FloatArray,
    claimed: FloatArray,
    numerical: FloatArray,
    error: FloatArray,
    scale: float,
    rtol: float,
    how: str,
    estimate: Any,
    notes: tuple[str, ...],
) -> Check:
    difference = np.abs(claimed - numerical)
    tolerance = _tolerance(claimed, numerical, error, scale, rtol)
    # A NaN difference (a claim that is NaN) must fail: `<=` is False for NaN.
    ok = bool(np.all(difference <= tolerance))
    return Check(
        quantity=quantity,
        ok=ok,
        x=point,
        claimed=claimed,
        numerical=numerical,
        difference=difference,
        tolerance=tolerance,
        estimate_error=error,
        rtol=rtol,
        scale=scale,
        method=how,
        reliable=bool(estimate.reliable),
        notes=notes,
        evaluations=int(estimate.evaluations),
    )


def _value_of(f: Callable[[FloatArray], Any], point: FloatArray) -> float:
    """``f(x)``, with a clear error when ``f`` does not take a point of this shape."""
    if not callable(f):
        raise TypeError(f"`f` must be callable; got {type(f).__name__} {f!r}.")
    try:
        out = f(point.copy())
    except (IndexError, ValueError, TypeError) as error:
        kind = TypeError if isinstance(error, TypeError) else ValueError
        raise kind(
            f"`f` failed at `x` of shape {point.shape} with {type(error).__name__}: {error}. "
            f"Does `f` take a point with {point.size} entries?"
        ) from error
    value = np.asarray(out)
    if value.dtype.kind not in "biuf":
        raise TypeError(f"`f` must return a real number; got {out!r}.")
    if value.ndim != 0:
        raise ValueError(f"`f` must return one real number; got an array of shape {value.shape}.")
    if not np.isfinite(value):
        raise ValueError(f"`f(x)` must be finite at the point checked; got {float(value)}.")
    return float(value)


def _claimed_array(claim: Any, point: FloatArray, shape: tuple[int, ...], name: str) -> FloatArray:
    """Return the claim at `point` as a float array of `shape` (a column (n, 1) counts)."""
    if callable(claim):
        try:
            value = claim(point.copy())
        except (IndexError, ValueError, TypeError) as error:
            raise ValueError(
                f"`{name}` failed at `x` of shape {point.shape} with {type(error).__name__}: "
                f"{error}."
            ) from error
    else:
        value = claim
    try:
        array = np.array(value, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise TypeError(f"`{name}` must give real numbers; got {value!r}.") from error
    if len(shape) == 1 and array.shape in ((shape[0], 1), (1, shape[0])):
        array = array.reshape(shape)
    if shape == (1, 1) and array.size == 1:  # f'' of a function of one variable, as a number
        array = array.reshape(shape)
    if array.shape != shape:
        what = "the shape of `x`" if len(shape) == 1 else "shape (n, n) for `x` of length n"
        raise ValueError(f"`{name}` must have {what}, {shape}; got shape {array.shape}.")
    return array


# --- symbolic claims ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SymbolicCheck:
    """The verdict on a claimed derivative formula: proved symbolically and spot-checked.

    Attributes
    ----------
    ok : bool
        True when SymPy proves every entry equal to the true derivative and every numerical
        spot check passes.
    order : int
        1 for a gradient (or a derivative), 2 for a Hessian.
    symbols : tuple of sympy.Symbol
        The variables, in order.
    claimed, reference : sympy.ImmutableMatrix
        The claim and SymPy's derivative, shape ``(n, 1)`` or ``(n, n)``.
    equal : tuple of bool
        Per entry (row by row), whether ``claimed`` equals ``reference`` symbolically.
    spot_checks : tuple of Check
        `check_gradient` or `check_hessian` of the claim's value, computed by SymPy to 30
        digits (so a right formula that loses its digits in float64, sigma (1 - sigma) for a
        saturated sigmoid, is not failed), at random points; other symbols (parameters) get
        random values too, listed in `values`.
    values : tuple of dict
        For each spot check, the value given to every symbol.
    notes : tuple of str
        Disagreements between the two kinds of check, or points skipped.
    """

    ok: bool
    order: int
    symbols: tuple[Any, ...]
    claimed: Any
    reference: Any
    equal: tuple[bool, ...]
    spot_checks: tuple[Check, ...]
    values: tuple[dict[str, float], ...]
    notes: tuple[str, ...]

    def __repr__(self) -> str:
        what = "derivative" if self.order == 1 else "second derivative"
        verdict = "PASS" if self.ok else "FAIL"
        lines = [f"symbolic {what} check w.r.t. {list(self.symbols)}: {verdict}"]
        for k, index in enumerate(np.ndindex(self.claimed.shape)):
            if self.order == 1:
                label = f"d/d{self.symbols[index[0]]}"
            else:
                label = f"d2/d{self.symbols[index[0]]}d{self.symbols[index[1]]}"
            mark = "equal" if self.equal[k] else "DIFFERENT"
            lines.append(f"  {label}: claimed {self.claimed[index]}")
            lines.append(f"  {' ' * len(label)}  sympy   {self.reference[index]}   -> {mark}")
        passed = sum(check.ok for check in self.spot_checks)
        lines.append(
            f"  numerical spot checks: {passed} of {len(self.spot_checks)} random points pass"
        )
        for check, values in zip(self.spot_checks, self.values, strict=True):
            if not check.ok:
                shown = ", ".join(f"{name}={value:.4g}" for name, value in values.items())
                index = check.failures[0]
                lines.append(
                    f"    fails at {shown}: claimed {check.claimed[index]:.6g}, "
                    f"numerical {check.numerical[index]:.6g}"
                )
        lines.extend(f"  note: {note}" for note in self.notes)
        return "\n".join(lines)


def check_symbolic(
    expr: Any,
    symbols: Sequence[Any],
    claimed: Any,
    /,
    *,
    order: Literal[1, 2] = 1,
    points: int = 3,
    seed: int = 0,
) -> SymbolicCheck:
    r"""Check a claimed derivative formula two ways: SymPy, then numbers at random points.

    Parameters
    ----------
    expr : sympy.Expr
        The function.
    symbols : sequence of sympy.Symbol
        The variables the claim differentiates with respect to, in order. Other symbols are
        parameters, held constant (and given random values for the spot checks).
    claimed : sympy.Expr, sequence or sympy.Matrix
        With ``order=1``, the claimed gradient: ``n`` entries (a single expression when
        there is one variable, e.g. a partial derivative). With ``order=2``, the claimed
        Hessian, ``(n, n)`` (an expression when ``n == 1``).
    order : {1, 2}, optional
        1 (default) for a gradient, 2 for a Hessian.
    points : int, optional
        Number of random points for the numerical checks, default 3.
    seed : int, optional
        Seed of the random points, default 0 (reports are reproducible).

    Returns
    -------
    SymbolicCheck

    Raises
    ------
    TypeError, ValueError
        For a non-SymPy `expr` or `claimed`, bad `symbols`, or a claim of the wrong shape.

    Notes
    -----
    Symbolic equality is decided by `calcref.symbolic.equivalent` (cancel, simplify, then a
    high-precision spot check). The numerical checks do not use SymPy's derivative at all:
    ``expr`` is differentiated by `calcref.numeric` and compared with the claim, so the two
    verdicts are independent. Random values are drawn with magnitudes in [0.5, 2] and random
    signs (positive for symbols declared positive); points where ``expr`` or the claim is not
    finite are skipped.

    Examples
    --------
    The slides' mistake: $\partial_z (x + 2y - 3z)^2$ is not $2(x + 2y - 3z)\cdot(-3z)$.

    >>> import sympy as sp
    >>> from calcref import checking
    >>> x, y, z = sp.symbols("x y z")
    >>> f = (x + 2 * y - 3 * z) ** 2
    >>> checking.check_symbolic(f, [z], 2 * (x + 2 * y - 3 * z) * (-3)).ok
    True
    >>> report = checking.check_symbolic(f, [z], 2 * (x + 2 * y - 3 * z) * (-3 * z))
    >>> report.ok, report.equal, [c.ok for c in report.spot_checks]
    (False, (False,), [False, False, False])
    """
    expr = v.as_sympy_scalar(expr)
    variables = v.as_symbol_list(symbols)
    # 2.0 == 2, but an order is a count: a float is refused like 3.
    if isinstance(order, bool) or not isinstance(order, numbers.Integral) or order not in (1, 2):
        raise ValueError(f"`order` must be 1 or 2; got {order!r}.")
    order = 1 if order == 1 else 2
    points = v.check_positive_int(points, "points")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"`seed` must be an int; got {seed!r}.")
    if seed < 0:
        raise ValueError(f"`seed` must be a non-negative int (a NumPy seed); got {seed!r}.")
    n = len(variables)
    if order == 1:
        reference = symbolic.gradient(expr, variables)
        claim = _claimed_matrix(claimed, (n, 1), "gradient")
    else:
        reference = symbolic.hessian(expr, variables)
        claim = _claimed_matrix(claimed, (n, n), "Hessian")
    equal = tuple(symbolic.equivalent(c, r) for c, r in zip(claim, reference, strict=True))
    spot_checks, values, notes = _spot_checks(expr, variables, claim, order, points, seed)
    numeric_ok = len(spot_checks) == points and all(check.ok for check in spot_checks)
    if all(equal) != numeric_ok:
        notes = (
            *notes,
            "the symbolic and numerical verdicts disagree: read both before trusting either",
        )
    return SymbolicCheck(
        ok=all(equal) and numeric_ok,
        order=order,
        symbols=tuple(variables),
        claimed=sp.ImmutableMatrix(claim),
        reference=sp.ImmutableMatrix(reference),
        equal=equal,
        spot_checks=spot_checks,
        values=values,
        notes=notes,
    )


def _claimed_matrix(claimed: Any, shape: tuple[int, int], what: str) -> Any:
    if isinstance(claimed, sp.MatrixBase):
        matrix = sp.Matrix(claimed)
    elif isinstance(claimed, Sequence) and not isinstance(claimed, str):
        matrix = sp.Matrix(list(claimed))
    else:
        matrix = sp.Matrix([[v.as_sympy_scalar(claimed, "claimed")]])
    if shape[1] == 1 and matrix.shape == (1, shape[0]):
        matrix = matrix.T
    if matrix.shape != shape:
        raise ValueError(
            f"`claimed` must be a {what} of shape {shape} for {shape[0]} `symbols`; "
            f"got shape {matrix.shape}."
        )
    return matrix.applyfunc(lambda entry: v.as_sympy_scalar(entry, "claimed"))


def _spot_checks(
    expr: Any, variables: list[Any], claim: Any, order: int, points: int, seed: int
) -> tuple[tuple[Check, ...], tuple[dict[str, float], ...], tuple[str, ...]]:
    # An indexed variable w[0] brings its base w among the free symbols: w is not a parameter.
    own = set(variables).union(*(variable.free_symbols for variable in variables))
    parameters = sorted((expr.free_symbols | claim.free_symbols) - own, key=lambda s: str(s))
    rng = np.random.default_rng(seed)
    checks: list[Check] = []
    values: list[dict[str, float]] = []
    skipped = 0
    while len(checks) < points and skipped < 10 * points:
        sample = {s: _random_value(s, rng) for s in [*variables, *parameters]}
        fixed = {s: sample[s] for s in parameters}
        f = symbolic.to_numeric(expr.subs(fixed), variables)
        x = np.array([sample[s] for s in variables])
        claimed = _exact_value(claim, {**sample})
        with np.errstate(all="ignore"):
            usable = claimed is not None and np.isfinite(f(x))
        if claimed is None or not usable:
            skipped += 1
            continue
        claimed = claimed.reshape(claim.shape if order == 2 else (len(variables),))
        check = check_gradient(f, claimed, x) if order == 1 else check_hessian(f, claimed, x)
        checks.append(check)
        values.append({str(s): value for s, value in sample.items()})
    notes = (f"skipped {skipped} random points where the function was not finite",) * bool(skipped)
    return tuple(checks), tuple(values), notes


def _exact_value(claim: Any, values: dict[Any, float]) -> FloatArray | None:
    """Return the claim at a point, evaluated by SymPy to 30 digits (None if not finite, real).

    A right formula evaluated in float64 can lose every digit to cancellation: 40 (1 - tanh^2)
    and sigma (1 - sigma) are 0 for a saturated tanh or sigmoid, whose derivative is 1e-20.
    The spot check tests the formula, not its float64 rounding.
    """
    exact = {symbol: sp.Rational(value) for symbol, value in values.items()}
    entries = [sp.sympify(entry).xreplace(exact).evalf(30) for entry in claim]
    if not all(entry.is_number and entry.is_real and entry.is_finite for entry in entries):
        return None
    return np.array([float(entry) for entry in entries], dtype=np.float64)


def _random_value(symbol: Any, rng: np.random.Generator) -> float:
    magnitude = float(rng.uniform(0.5, 2.0))
    if symbol.is_positive or symbol.is_nonnegative:
        return magnitude
    return magnitude if rng.random() < 0.5 else -magnitude
