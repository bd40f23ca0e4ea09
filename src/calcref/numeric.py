"""Numerical derivatives you can trust: a value, an error estimate, and a warning when needed.

Every function differentiates ``f`` along straight lines through ``x``: a derivative, a partial
derivative and a directional derivative are one line each; a gradient or a Jacobian is one line
per coordinate; a Hessian adds one line per coordinate and, per pair of coordinates, the
difference of two lines (a cross stencil). Along each line calcref uses a symmetric 7-point
stencil (order 6) whose own values also give its error: truncation from the trend of the Taylor
coefficients they fix (and the nested 3- and 5-point estimates), round-off from the noise they
show. It checks the part of the stencil the estimate does not use for a kink, and takes another
round only when that error says so: a smaller step when the stencil is not resolved or meets
non-finite values, a larger one when only round-off shows. See the page "Computing derivatives
numerically".
"""

from __future__ import annotations

import contextlib
import functools
import math
import warnings
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from calcref import _validation as check
from calcref._typing import FloatArray, Method, ScalarFn, VectorFn
from calcref.stencils import taylor_matrix, weights

__all__ = [
    "Estimate",
    "UnreliableDerivativeWarning",
    "derivative",
    "directional_derivative",
    "gradient",
    "hessian",
    "jacobian",
    "partial_derivative",
]

_EPS = float(np.finfo(np.float64).eps)
# The spacing of float64 next to 0: an imaginary part h f' below ~ 2^-1022 keeps only this
# absolute precision, so a complex-step slope is known to no better than this over h.
_SUBNORMAL_SPACING = 2.0**-1074
_METHODS: tuple[Method, ...] = ("central", "forward", "backward", "complex")
# Initial steps, relative to the scale max(1, |x|): near the optimum of the order-6 stencils on
# functions of unit scale (truncation h**6 |f^(7)| / 140 against round-off ~ eps / h), and powers
# of two so that x + k h is exact for the small integers k of the stencil.
_FIRST_STEP = 2.0**-7
_SECOND_STEP = 2.0**-5
_COMPLEX_STEP = 2.0**-60
_GUARD_STEP = 2.0**-17  # real central difference checking a complex step: h ~ eps**(1/3)
# Real step of the complex-step second derivative (a 4-point difference of complex-step slopes).
# Its error is bounded by the gap to the 2-point one, ~ g^2 |f^(4)| / 2: at g = 2^-13 that bound
# is ~1e-8 relative, while the value itself, off by ~ g^4 + eps / g, stays near 1e-12.
_CROSS_STEP = 2.0**-13
_MAX_ROUNDS = 6
_SHRINK = 1.0 / 16.0
_PROBE = 64.0
# A probe stays within x's own scale: its step is at most this fraction of the line's scale
# max(1, |x|), so its stencil reaches 1.5 max(1, |x|). What f does further away says nothing
# about its slope at x (1 + 6e-36 t e^t is flat to round-off near 0 and 3e8 at t = 96).
_PROBE_LIMIT = 2.0**-1
_GROW = 16.0
_MAX_GROWTH = 2
_RELIABLE_RTOL = 1e-6  # an estimate is reliable when its error bound is below this, relatively
_ROUNDING_SAFETY = 1.0
# The bound reported to the user takes the round-off term four times (steering uses it as
# estimated): f made of a few rounded operations (log(1 + t^2)) can be several ulps off.
_REPORTED_ROUNDING = 4.0
_NOISY = 16.0
# Relative error bounds below which a line gets no further round: ten times below the accuracy
# the issue asks for, for first and second derivatives (the bounds are not tight); a few ulps
# where only round-off shows.
_GOOD_ENOUGH = {1: 1e-13, 2: 1e-10}
_EXACT_ENOUGH = 1e-15
# The wide (15-point) stencil and how far its step may grow: a round limited by round-off with
# a relative error bound above this target gets one wide round, whose step keeps f's Taylor
# coefficients falling by at least 1/_WIDE_RATE per step.
_WIDE_REACH = 7
_WIDE_TARGET = {1: 5e-14, 2: 1e-11}
_WIDE_RATE = 0.25
_WIDE_AFTER = 2  # at most two 7-point rounds before a wide one: 7 + 6 + 14 evaluations


class UnreliableDerivativeWarning(RuntimeWarning):
    """Issued when a numerical derivative cannot be trusted (kink, saturation, round-off)."""


@dataclass(frozen=True, slots=True)
class Estimate:
    """A numerical derivative with its estimated error.

    Attributes
    ----------
    value : float or ndarray of float64
        The estimate, as the function returns it without ``full_output``.
    error : float or ndarray of float64
        Estimated absolute error of `value`, with the same shape.
    evaluations : int
        Number of points at which ``f`` was evaluated (a batched call of ``k`` points counts
        ``k``).
    reliable : bool
        True when no problem showed (a kink, saturation, values that are not finite, rounds at
        different steps that disagree) and `error` is at most ``1e-6`` times the derivative's
        natural size, which depends on ``f`` and ``x`` only: the largest of the value itself,
        the largest entry of a gradient, Jacobian or Hessian, and how fast ``f`` changes near
        ``x``. For a first derivative that is the slope ``f`` shows over the stencil; for a
        second, its curvature, or that slope over the length on which ``f`` is assumed to
        vary, ``x``'s own scale ``max(1, |x_i|)`` (for ``H[i, j]``, ``∂f/∂x_j`` over that of
        ``x_i``, or the other way round). A second derivative of 0 at a saddle is reliable when
        its bound is small against those; a bound small only against ``|f'| / h``, which grows
        as the step shrinks, is not. Otherwise False, and an `UnreliableDerivativeWarning`
        says why.
    """

    value: float | FloatArray
    error: float | FloatArray
    evaluations: int
    reliable: bool


# --------------------------------------------------------------------------------------------
# Evaluating f


class _Sampler:
    """Calls ``f`` at many points, one by one or in one batch, counting points and checking."""

    def __init__(
        self, f: Any, *, scalar_input: bool, scalar_output: bool, vectorized: bool
    ) -> None:
        self.f = f
        self.scalar_input = scalar_input
        self.scalar_output = scalar_output
        self.vectorized = vectorized
        self.evaluations = 0
        self.out_size: int | None = 1 if scalar_output else None
        # Relative rounding of f's values: float64's, or coarser when f returns float32 or
        # float16 (a model evaluated in single precision is noisy at 6e-8, not 1e-16).
        self.resolution = _EPS

    def __call__(
        self, points: NDArray[Any], *, complex_ok: bool = False, stencil: bool = True
    ) -> NDArray[Any]:
        """Values of f at ``points`` (shape (P, n)), as an array of shape (P, m).

        At stencil points (not at x itself) f may be undefined (log, sqrt beyond 0): NumPy's
        floating-point warnings are silenced and math's domain errors read as NaN, which makes
        the step shrink.
        """
        self.evaluations += len(points)
        if not stencil:
            return self._evaluate(points, complex_ok, stencil)
        with np.errstate(all="ignore"):
            return self._evaluate(points, complex_ok, stencil)

    def _evaluate(self, points: NDArray[Any], complex_ok: bool, stencil: bool) -> NDArray[Any]:
        if self.vectorized:
            args = points[:, 0] if self.scalar_input else points
            return self._batch(self._call(args.copy(), complex_ok), len(points), complex_ok)
        if self.scalar_output and not (self.scalar_input or complex_ok):
            return self._scalars(points, stencil)
        rows = [self._point(p, complex_ok, stencil) for p in points]
        return np.concatenate(rows).reshape(len(rows), -1)

    def _scalars(self, points: NDArray[Any], stencil: bool) -> NDArray[Any]:
        """Values of a real scalar field at `points`, as `_point` gives them, in one loop.

        When f is cheap, Python calls per point are much of a gradient's time.
        """
        values: list[Any] = []
        for p in points:
            try:
                out = self.f(p.copy())
            except (ValueError, ArithmeticError):
                if not stencil:
                    raise
                out = math.nan
            values.append(out if type(out) is float else self._one(out, False)[0])
        return np.array(values, dtype=np.float64).reshape(-1, 1)

    def _point(self, p: NDArray[Any], complex_ok: bool, stencil: bool) -> NDArray[Any]:
        try:
            out = self._call(p[0] if self.scalar_input else p.copy(), complex_ok)
        except (ValueError, ArithmeticError):
            if not stencil or self.out_size is None:
                raise
            return np.full(self.out_size, np.nan)
        return self._one(out, complex_ok)

    def _call(self, arg: Any, complex_ok: bool) -> Any:
        if self.scalar_input and not isinstance(arg, np.ndarray):
            arg = complex(arg) if complex_ok else float(arg)
        if not complex_ok:
            return self.f(arg)
        try:
            return self.f(arg)
        except TypeError as error:
            raise TypeError(
                "`f` must accept complex input for `method='complex'`; it raised "
                f"TypeError: {error}. Use method='central'."
            ) from error

    def _as_numbers(self, out: Any, complex_ok: bool) -> NDArray[Any]:
        try:
            array = np.asarray(out)
        except (TypeError, ValueError) as error:
            raise TypeError(f"`f` must return real numbers; got {out!r}.") from error
        if array.dtype == object:
            # SymPy's Float, Fraction, Decimal, mpmath's mpf: numbers NumPy keeps as objects
            # (f written with sympy.sin). A SymPy expression with symbols left is refused below.
            with contextlib.suppress(TypeError, ValueError, OverflowError):
                array = check.object_numbers(array, complex if complex_ok else float)
        kinds = "biufc" if complex_ok else "biuf"
        if array.dtype.kind not in kinds:
            what = "real or complex" if complex_ok else "real"
            raise TypeError(
                f"`f` must return {what} numbers; got {type(out).__name__} {check._show(out)}."
            )
        if array.dtype.kind in "fc" and array.dtype.itemsize < (16 if complex_ok else 8):
            self.resolution = max(self.resolution, float(np.finfo(array.dtype).eps))
        return array.astype(np.complex128 if complex_ok else np.float64)

    def _one(self, out: Any, complex_ok: bool) -> NDArray[Any]:
        if self.scalar_output and type(out) is float and not complex_ok:
            return np.array([out])  # the common case, without NumPy's conversions
        array = self._as_numbers(out, complex_ok)
        if self.scalar_output:
            if array.ndim != 0:
                raise ValueError(f"`f` must return a scalar; got an array of shape {array.shape}.")
            return array.reshape(1)
        if array.ndim > 1 or array.size == 0:
            raise ValueError(f"`f` must return a non-empty 1-D array; got shape {array.shape}.")
        return self._same_size(array.reshape(-1))

    def _batch(self, out: Any, count: int, complex_ok: bool) -> NDArray[Any]:
        array = self._as_numbers(out, complex_ok)
        if self.scalar_output:
            if array.shape != (count,):
                raise ValueError(
                    f"`f` with `vectorized=True` must return shape ({count},) for {count} "
                    f"point(s); got shape {array.shape}."
                )
            return array.reshape(count, 1)
        if array.ndim == 1 and array.shape == (count,):
            array = array.reshape(count, 1)
        if array.ndim != 2 or array.shape[0] != count or array.shape[1] == 0:
            raise ValueError(
                f"`f` with `vectorized=True` must return shape ({count}, m) for {count} "
                f"point(s); got shape {array.shape}."
            )
        return np.stack([self._same_size(row) for row in array])

    def _same_size(self, row: NDArray[Any]) -> NDArray[Any]:
        if self.out_size is None:
            self.out_size = row.size
        elif row.size != self.out_size:
            raise ValueError(
                f"`f` must return arrays of one length; got {self.out_size} and then {row.size}."
            )
        return row


def _value_at(sampler: _Sampler, x: FloatArray) -> FloatArray:
    """f(x), which must be finite: there is no derivative to estimate otherwise."""
    return _finite_at(sampler, x, sampler(x.reshape(1, -1), stencil=False)[0])


def _finite_at(sampler: _Sampler, x: FloatArray, f0: NDArray[Any]) -> FloatArray:
    """Return `f0`, the value of f at x, as floats; raise if it is not finite."""
    if not np.all(np.isfinite(f0)):
        shown = float(x[0]) if sampler.scalar_input else x.tolist()
        got = float(f0[0]) if sampler.scalar_output else f0
        raise ValueError(f"`f` must return finite values; got {check._show(got)} at x = {shown}.")
    return np.asarray(f0, dtype=np.float64)


# --------------------------------------------------------------------------------------------
# Differentiating along lines t -> f(x + t u)


@dataclass(frozen=True)
class _Scheme:
    """Stencil offsets (0 first) and three nested sub-stencils of increasing accuracy.

    The value is the most accurate nested estimate, of truncation order ``power``; its error is
    extrapolated from the gaps between the three (an embedded estimate, like Gauss-Kronrod's:
    the same points give the value and its error).
    """

    offsets: tuple[int, ...]
    nested: tuple[tuple[int, ...], ...]
    symmetric: bool
    power: int

    def weights_of(self, order: int) -> NDArray[np.float64]:
        """Rows of weights, one per nested stencil, over all offsets (computed once)."""
        return _nested_weights(self, order)

    def taylor_inverse(self) -> NDArray[np.float64]:
        """Inverse of the Vandermonde matrix: values at the offsets -> Taylor coefficients."""
        return _taylor_inverse(self.offsets)


# Every line of every call analyses the same few stencils: their weights and inverses are
# computed once (a 7x7 solve per line was most of a gradient's wall time at n = 100).
@functools.cache
def _nested_weights(scheme: _Scheme, order: int) -> NDArray[np.float64]:
    rows = np.zeros((len(scheme.nested), len(scheme.offsets)))
    for r, sub in enumerate(scheme.nested):
        for offset, w in zip(sub, weights(sub, order), strict=True):
            rows[r, scheme.offsets.index(offset)] = w
    rows.flags.writeable = False
    return rows


@functools.cache
def _taylor_inverse(offsets: tuple[int, ...]) -> NDArray[np.float64]:
    # Row j holds the weights of the j-th derivative over j!, solved exactly: the Vandermonde
    # matrix of the 15-point stencil is too ill-conditioned to invert in floating point.
    inverse = np.array(taylor_matrix(offsets))
    inverse.flags.writeable = False
    return inverse


def _scheme(method: Method, order: int, *, wide: bool = False) -> _Scheme:
    offsets: tuple[int, ...]
    if method == "central":
        reach = _WIDE_REACH if wide else 3
        offsets = (0, *(sign * k for k in range(1, reach + 1) for sign in (1, -1)))
        # Nested 3-, 5-, 7-point stencils; 7-, 11-, 15-point ones for the wide stencil.
        halves = (3, 5, 7) if wide else (1, 2, 3)
        nested = tuple(tuple(range(-k, k + 1)) for k in halves)
        return _Scheme(offsets, nested, symmetric=True, power=2 * reach)
    sign = 1 if method == "forward" else -1
    offsets = tuple(sign * k for k in range(order + 6))
    nested = tuple(offsets[: order + extra] for extra in (2, 4, 6))
    return _Scheme(offsets, nested, symmetric=False, power=6)


@dataclass(frozen=True)
class _Line:
    """The line t -> f(x + t u), or, with `w`, the difference t -> f(x + t u) - f(x + t w).

    A difference of two lines is how a Hessian gets its off-diagonal entries: with
    ``u = a e_i + b e_j`` and ``w = a e_i - b e_j`` its second derivative at 0 is
    ``u^T H u - w^T H w = 4 a b H_ij``, the classic four-point cross stencil
    ``f(x + a e_i + b e_j) - f(x + a e_i - b e_j) - f(x - a e_i + b e_j) + f(x - a e_i - b e_j)``
    at three step sizes at once.
    """

    u: FloatArray
    w: FloatArray | None = None

    def directions(self) -> list[FloatArray]:
        return [self.u] if self.w is None else [self.u, self.w]


@dataclass(slots=True)
class _Round:
    """What one stencil evaluation says about one line (arrays over output components)."""

    step: float
    value: FloatArray
    error: FloatArray
    scale: FloatArray  # the derivative's natural size, which `reliable` judges its error by
    size: FloatArray  # the natural size of the derivative (see _scale_of_change)
    magnitude: float  # max |f| over the stencil
    truncation: FloatArray
    rounding: FloatArray
    power: int
    order: int
    finite: bool
    smooth: bool
    flat: bool
    noise_limited: bool = False  # the stencil cannot see truncation: only round-off
    noisy: bool = False  # the values show far more noise than f's rounding explains
    margin: FloatArray | None = None  # added to `error` in the bound reported to the user
    rate: float = 0.0  # how fast f's Taylor coefficients fall per step (0: none above noise)
    steepness: float = 0.0  # the power of t that f(x + t) - f(x) grows like over the stencil
    wide: bool = False  # the 15-point stencil (a round that only round-off limited asked for)
    largest_error: float = math.inf  # max(error), inf if it is not finite
    # Maxima over the outputs that the choice of the next step compares (nan if not finite).
    largest_truncation: float = math.nan
    largest_rounding: float = math.nan
    largest_untruncated: float = math.nan  # max(error - truncation)
    resolved_scale: float = math.nan  # max(|value|, size)

    def score(self) -> float:
        """Largest error bound: rounds of one line estimate the same numbers, so compare this."""
        return self.largest_error


@dataclass(slots=True)
class _LineResult:
    """The chosen estimate of one line; `problem` says why it cannot be trusted, if it cannot."""

    value: FloatArray
    error: FloatArray
    scale: FloatArray
    problem: str = ""
    step: float = math.nan  # step of the best trusted 7-point round (nan if none)


@dataclass(slots=True)
class _LineState:
    step: float
    local: float  # distance to x's own scale along the line (|x_i| per unit step)
    reach: float  # distance of x from 0 along the line (the largest |x_i| per unit step)
    lengths: tuple[float, ...]  # over which f is assumed to vary (see `_variation_length`)
    rounds: list[_Round] = field(default_factory=list)
    probes: int = 0
    limit: float = math.inf  # the largest step a probe may take (see _PROBE_LIMIT)
    wide: bool = False  # whether the next round uses the wide stencil

    def trusted(self) -> list[_Round]:
        return [r for r in self.rounds if r.finite and r.smooth and not r.flat]

    def largest(self, part: Literal["scale", "size"]) -> FloatArray:
        """Return the largest `scale` or `size` a trusted round saw (the last round's if none).

        A derivative is judged against this, not only against itself: 0 is a well-determined
        derivative of x^7 at 0 once its error is tiny against the slopes f shows nearby.
        """
        # A wide round reaches 7 steps of a 16 times larger step, far beyond the neighbourhood
        # the others judge x by (it sees the steep part of a sigmoid from x = 30).
        rounds = [r for r in self.trusted() if not r.wide] or self.rounds[-1:]
        return functools.reduce(np.maximum, [getattr(r, part) for r in rounds])

    def relative_score(self, last: _Round) -> float:
        """Relative error bound of `last` (what refinement tries to lower).

        A derivative near 0 is judged against how fast f changes over the stencil, but only
        while the stencil stays within x's own scale: beyond it (x^3 at 1e-5, h = 2^-7) that
        change says nothing about the size of f' at x, and a smaller step will do better.
        """
        size = np.abs(last.value)
        within = [r.size for r in self.trusted() if 3 * r.step <= self.local and not r.wide]
        if 3 * last.step <= self.local:
            size = np.maximum(size, functools.reduce(np.maximum, within, last.size))
        return float(np.max(last.error / np.maximum(size, 1e-300)))


# Taylor models of the odd and even parts of t -> f(x + t) on t = h, 2h, 3h (in units of h):
# odd part f' t + f''' t^3 / 6 + f^(5) t^5 / 120, even part f'' t^2 / 2 + ... (to t^6).
_ODD_MODEL = np.array([[k ** (1 + 2 * j) for j in range(3)] for k in (1, 2, 3)], dtype=float)
_EVEN_MODEL = np.array([[k ** (2 + 2 * j) for j in range(3)] for k in (1, 2, 3)], dtype=float)
_ODD_FIT, _EVEN_FIT = np.linalg.inv(_ODD_MODEL), np.linalg.inv(_EVEN_MODEL)
# A smooth, resolved part is fitted by terms of about its own size; a kink (|t|-like) or an
# unresolved part needs terms that cancel each other: 14.5x for |t|, 4.6x for a kink half a
# step from x, 1x for t^2, t^4, t^6, sin and cos, 2.2x for t^7 and t^8 (beyond the model),
# 1.2x for sin(30 t) at h = 2^-7.
_CANCELLATION_LIMIT = 4.0
_NOISE_MARGIN = 1000.0
_NOISE_CAP = 65536.0
# The smooth trend of the differences is a rough prediction (up to 5x off for a sigmoid):
# only what stands above this multiple of it is read as noise.
_SMOOTH_SLACK = 2.0
# A gap between nested estimates is truncation only when it stands this far above the gap
# round-off alone can make.
_GAP_MARGIN = 2.0
# The terms beyond the stencil scatter about their prediction: up to 1.4 times it for atan,
# tanh, 1/(1 + t^2) and sigmoid (orders 1 and 2, steps 2^-7 to 2^-4, 0 < x < 3), 13 times for
# atan from the rate alone, before the recurrence.
_TRUNCATION_SAFETY = 8.0
# How far below its neighbours' geometric mean a Taylor coefficient may sit before it counts as
# a node, whose rate is capped (`_off_node`). Where the cap changes the truncation, the error
# stays below 0.51 of it at 4 (0.96 at 2, 7.0 at 1): atan, atan(3t), tanh, tanh(3t), sigmoid,
# 1/(1 + t^2), 1/(2 + sin t), log(t^2 + c), sin, exp(-t^2), exp(t/2) sin(5t) at 0 <= x <= 3
# and at the nodes of f'' to f^(5), orders 1 and 2, steps 2^-7 to 2^-4.
_NODE_DEPTH = 4.0


def _cancellation(
    part: FloatArray, model: FloatArray, fit: FloatArray, noise: FloatArray
) -> FloatArray:
    """How much the Taylor terms fitted to ``part`` (L, 3, m) cancel, where they rise above noise.

    `fit` is the inverse of `model`; `noise` has shape (L, m), like the result.
    """
    coefficients = np.matmul(fit, part)
    terms = np.abs(model[None, :, :, None] * coefficients[:, None, :, :]).sum(axis=2)
    size = np.abs(part).max(axis=1)
    ratio = terms.max(axis=1) / np.maximum(np.maximum(size, noise), 1e-300)
    # A part at round-off level (a linear f's even part) is no evidence either way.
    return np.where(size > _NOISE_MARGIN * noise, ratio, 1.0)


def _noise(scheme: _Scheme, stencil: FloatArray, floor: FloatArray) -> FloatArray:
    """Round-off level of the values of f: at least `floor`, more when the stencil shows it.

    f may lose digits to cancellation inside its own code (0.72 - 0.69), so eps |f| can be
    far too small. The k-th difference of equally spaced values with independent round-off of
    standard deviation s has standard deviation sqrt(binomial(2k, k)) s (as in Moré and Wild's
    ECnoise). The highest difference also holds f's smooth variation, h^k f^(k), which falls
    geometrically with k: what it holds beyond the trend of the two below it is noise.
    `stencil` has shape (L, len(offsets), m), `floor` and the result (L, m).
    """
    values = stencil[:, _sorted_offsets(scheme)]
    k = values.shape[1] - 1
    highest, middle, lowest = (
        np.abs(np.diff(values, n=j, axis=1)).max(axis=1) / math.sqrt(math.comb(2 * j, j))
        for j in (k, k - 2, k - 4)
    )
    # Smooth variation makes the differences fall geometrically with their order, so the
    # highest one is predicted by the two below it; round-off makes it stand out above that.
    smooth = np.where(lowest > 0, middle * middle / lowest, middle)
    # The cap keeps truncation from posing as noise while still allowing f to lose 16 bits to
    # its own cancellations (log(1 + x^2) near 0 is noisy at eps, not at eps x^2).
    measured = highest - np.minimum(_SMOOTH_SLACK * smooth, highest)
    return np.asarray(np.clip(measured, floor, _NOISE_CAP * floor), dtype=np.float64)


@functools.cache
def _sorted_offsets(scheme: _Scheme) -> NDArray[np.intp]:
    order = np.argsort(scheme.offsets)
    order.flags.writeable = False
    return order


def _truncation(gaps: FloatArray) -> FloatArray:
    """Estimate the truncation error of the best of three nested estimates from their two gaps.

    The gaps (L, 2, m) estimate the errors of the two coarser estimates; while they shrink, the
    error shrinks at the same rate once more (``last**2 / previous``, Richardson's error
    estimate). Gaps that do not shrink mean the stencil is not resolved: then their sum bounds
    the error.
    """
    previous, last = gaps[:, 0], gaps[:, 1]
    extrapolated = np.where(previous > 0, last * last / previous, last)
    return np.asarray(np.where(last < previous, extrapolated, previous + last), dtype=np.float64)


def _taylor_truncation(
    scheme: _Scheme, order: int, stencil: FloatArray, noise: FloatArray, h_power: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Estimate the truncation error of the best estimate from f's Taylor coefficients.

    The stencil's values fix the Taylor polynomial ``a_0 + a_1 t + ... + a_{P-1} t^{P-1}`` (t in
    steps); the estimate errs by the next terms, ``c_j a_j`` for the first ``j >= P`` the
    weights do not cancel. ``a_j`` is extrapolated from the two highest coefficients that
    matter (those of the derivative's parity, for a symmetric stencil) at the rate the top
    coefficients fall, ``rho^2 = max(a_{P-1} / a_{P-3}, a_{P-2} / a_{P-4})``: analytic
    functions' coefficients of both parities fall at one rate, so a coefficient that vanishes
    by accident (f^(5) of sin at a point) does not pass for fast convergence, and the lowest
    ones, which vanish wherever f' or f'' does, are not used. A coefficient that vanishes by
    accident in a denominator inflates the rate instead, and the max takes it, at every step,
    since the node is f's at x (f''' = 0 of log(t^2 + c) at ``t = sqrt(3 c)``: f'' got a bound
    of 9.7e-5 for an error of 1.3e-9). The other parity's pair, there only to guard the rate
    (the estimate cancels its terms), has such a denominator raised to a floor its neighbours
    set (`_off_node`). The derivative's own pair keeps its rate: it may be the only sign of
    its parity falling slowly (sin t + 1e-10 cos 20t, whose even part the floor would hide,
    missed f''(0.001) by 4 times), and where its inflated rate says the stencil is not
    resolved, the gaps that then bound the error are made of its own coefficients, which are
    small at its node. Where the coefficients oscillate (complex poles, as atan's) and the top
    ones sit near a node, that rate is far too low: the terms carried past the node by the
    recurrence the coefficients follow (`_recurrence_terms`) are taken when larger. The safety
    factor covers how far they still scatter about either prediction. Coefficients within
    round-off count as zero and give no rate; coefficients that do not fall mean the stencil
    is not resolved (infinite result). Also returns the largest rate ``rho`` per step (how
    fast f's Taylor coefficients fall: 0 when none rise above noise). `stencil` has shape
    (L, len(offsets), m); `h_power` holds ``h**order`` per line.
    """
    size = len(scheme.offsets)
    inverse = scheme.taylor_inverse()
    signed = np.matmul(inverse, stencil)
    coefficients = np.abs(signed)
    coefficient_noise = np.abs(inverse).sum(axis=1)[None, :, None] * noise[:, None, :]
    known_well = coefficients > _GAP_MARGIN * coefficient_noise
    a = np.where(known_well, coefficients, 0.0)
    rho = np.zeros_like(noise)
    for i in (size - 1, size - 2):
        # A node of the other parity's denominator says nothing about the rate (see above).
        guard = scheme.symmetric and i % 2 != order % 2
        below = _off_node(a, i - 2) if guard else a[:, i - 2]
        rate = np.where(below > 0, np.sqrt(a[:, i] / below), 0.0)
        rho = np.maximum(rho, rate)
    known, first, constants = _truncation_terms(scheme, order)
    # Where the coefficients do not fall (rho >= 1) the stencil is not resolved.
    resolved = rho < 1
    rho = np.where(resolved, rho, 0.0)
    top = np.max([a[:, i] * rho ** (first - i) for i in known], axis=0)
    total = sum(constant * top * rho**power for power, constant in constants)
    total = np.maximum(total, _recurrence_terms(scheme, order, signed, known_well))
    truncation = _TRUNCATION_SAFETY * total / h_power[:, None]
    return np.asarray(np.where(resolved, truncation, np.inf), dtype=np.float64), _rate(a)


def _off_node(a: FloatArray, k: int) -> FloatArray:
    """Return ``a_k`` as the denominator of a guard rate: raised to a floor at a node of f.

    f's Taylor coefficients (in steps) fall about geometrically, so ``a_k`` is about the
    geometric mean of its neighbours, ``sqrt(a_(k-1) a_(k+1))``. Where f's k-th derivative
    vanishes near x (a node, a property of f at x that no step removes), ``a_k`` sits far below
    that, and ``a_(k+2) / a_k`` is no rate at all: ``log(t^2 + c)`` has ``f''' = 0`` at
    ``t = sqrt(3 c)``, and at ``x = 1.8388`` (1.6e-4 past it, ``c = 1.1269``) the coefficients
    at ``h = 2^-4`` are 1.5, 5.1e-2, 4.3e-4, 2.1e-9, 1.9e-7, 7.7e-9, 2.2e-10: a_3 sits 4300
    times below its neighbours' mean, ``sqrt(a_5 / a_3) = 1.9`` called the stencil not
    resolved, and f'' got a bound of 9.7e-5 for an error of 1.3e-9 (0.506 per step at
    ``h = 2^-6``: 5.2e-4 for 1e-12), while the coefficients fall at 0.03 per step. (a_3 is of
    the other parity than f'', whose gaps, made of a_4 and a_6, then bounded the error.)

    The floor ``sqrt(a_(k-1) a_(k+1)) / _NODE_DEPTH`` leaves a geometric sequence alone and
    caps the rate at ``sqrt(_NODE_DEPTH)`` times the one the neighbours show. Coefficients
    that oscillate as they fall at rate r (complex poles at angle phi from the real axis,
    ``a_j ~ r^j |sin(j phi + theta)|``) get ``r sqrt(8 |cos(phi)|)`` at a node, at least r
    unless phi is within 7 degrees of 90, where ``a_(k+2)`` sits at a node too and the other
    parity's pair gives the rate. A coefficient within round-off (0) stays 0: its pair gives
    no rate, as before, and the other parity's does (at f''' = 0 exactly that was accurate).
    Neighbours within round-off set no floor. `a` has shape (L, len(offsets), m); the result
    (L, m).
    """
    neighbours = np.sqrt(a[:, k - 1] * a[:, k + 1])
    floor = neighbours / _NODE_DEPTH
    return np.asarray(np.where(a[:, k] > 0, np.maximum(a[:, k], floor), 0.0), dtype=np.float64)


def _recurrence_terms(
    scheme: _Scheme, order: int, signed: FloatArray, known_well: NDArray[np.bool_]
) -> FloatArray:
    """Return the truncation terms of the best estimate from a recurrence of f's coefficients.

    A pair of complex-conjugate singularities at distance ``r`` and angle ``phi`` (atan's at
    ``+-i``) makes the Taylor coefficients ``c_k`` (in steps) follow
    ``c_(k+1) = p c_k - q c_(k-1)``, with ``p = 2 cos(phi) h / r`` and ``q = (h / r)^2``: they
    oscillate as they fall, and near a node the top ones are small and their ratios fall far
    faster than the coefficients beyond (13 times at atan(1.587 + t), second derivative at
    ``h = 2^-5``). Fitted to the four highest signed coefficients, the recurrence carries the
    oscillation past the node. A line gives 0 (no prediction) where one of those four is within
    round-off (`known_well` is False), the fit is ill-conditioned, or the recurrence does not
    decay (``|q| < 1`` and ``|p| < 1 + q`` fail). `signed` has shape (L, len(offsets), m).
    """
    size = len(scheme.offsets)
    c3, c4, c5, c6 = (signed[:, size - 4 + i] for i in range(4))
    determinant = c4 * c4 - c3 * c5
    fitted = np.all(known_well[:, size - 4 :], axis=1) & (
        np.abs(determinant) > 1e-3 * np.maximum(c4 * c4, np.abs(c3 * c5))
    )
    safe = np.where(fitted, determinant, 1.0)
    p = np.where(fitted, (c5 * c4 - c6 * c3) / safe, 0.0)
    q = np.where(fitted, (c5 * c5 - c4 * c6) / safe, 0.0)
    decaying = fitted & (np.abs(q) < 1) & (np.abs(p) < 1 + q)
    _, first, constants = _truncation_terms(scheme, order)
    previous, last = c5, c6
    extrapolated = {}
    for j in range(size, first + constants[-1][0] + 1):
        previous, last = last, p * last - q * previous
        extrapolated[j] = last
    total = sum(constant * np.abs(extrapolated[first + power]) for power, constant in constants)
    return np.asarray(np.where(decaying, total, 0.0), dtype=np.float64)


@functools.cache
def _truncation_terms(
    scheme: _Scheme, order: int
) -> tuple[list[int], int, list[tuple[int, float]]]:
    """Return what `_taylor_truncation` needs of the stencil alone (computed once).

    The indices of the known coefficients to extrapolate from, the first power ``j`` the
    weights do not cancel, and for the two terms the estimate errs by, their power beyond ``j``
    and constant ``|sum_k w_k o_k^j|`` (the second a parity further for a symmetric stencil,
    which cancels the other parity exactly).
    """
    offsets = np.array(scheme.offsets, dtype=float)
    size = len(offsets)
    stride = 2 if scheme.symmetric else 1
    known = [i for i in range(1, size) if not scheme.symmetric or i % 2 == order % 2][-2:]
    weights_top = scheme.weights_of(order)[-1]
    # (A symmetric stencil's constant for the other parity is 0 up to rounding of the weights.)
    first = next(j for j in range(size, size + 3) if _moment(weights_top, offsets, j) > 1e-9)
    constants = [(j - first, abs(float(weights_top @ offsets**j))) for j in (first, first + stride)]
    return known, first, constants


def _rate(a: FloatArray) -> FloatArray:
    """Largest rate per step at which the known Taylor coefficients fall, sqrt(a_j / a_(j-2)).

    Every pair from (a_1, a_3) up counts (a_0 holds f's constant part, which says nothing about
    its variation): the largest is the most cautious guess of how far f stays polynomial-like.
    A denominator at a node of f inflates it, and is left so (unlike the guard rate of
    `_taylor_truncation`, see `_off_node`): the rate only bounds how far a wide round's step
    may grow, so an inflated one costs at most that round's gain, never honesty (f'' of
    log(t^2 + 1.25) at sqrt(3.75) + 1e-4: 5.9e-8 instead of 5.8e-12, for -0.2). Floored, it
    changed no warning and no missed bound in scans of nodes and random points, and moved
    bounds both ways, up to 6 times larger. One rate per line of `a` (L, len(offsets), m).
    """
    ratios = np.where((a[:, 1:-2] > 0) & (a[:, 3:] > 0), np.sqrt(a[:, 3:] / a[:, 1:-2]), 0.0)
    return np.asarray(ratios.max(axis=(1, 2)), dtype=np.float64)


def _moment(w: FloatArray, offsets: FloatArray, j: int) -> float:
    """|sum w_k o_k^j| relative to the sizes of its terms (a cancelled moment rounds to ~eps)."""
    powers = offsets**j
    return abs(float(w @ powers)) / float(np.abs(w) @ np.abs(powers))


def _kink_gap(
    order: int, odd: FloatArray, even: FloatArray, h: FloatArray, h_power: FloatArray
) -> FloatArray:
    """Gap between the one-sided (order-3) estimates, built from the part the value ignores.

    Zero for a smooth f up to O(h^3); the jump in slope (or curvature) at a kink. Both
    one-sided values are plausible answers, so an error bound must span the whole gap.
    `odd` and `even` have shape (L, 3, m); `h` and `h_power` (``h**order``) one entry per line.
    """
    if order == 1:
        gap = 2 * np.abs(3 * even[:, 0] - 1.5 * even[:, 1] + even[:, 2] / 3) / h[:, None]
    else:
        gap = 2 * np.abs(-5 * odd[:, 0] + 4 * odd[:, 1] - odd[:, 2]) / h_power[:, None]
    return np.asarray(gap, dtype=np.float64)


def _scale_of_change(
    scheme: _Scheme, order: int, of_f: FloatArray, h: FloatArray, *, curvature: bool
) -> FloatArray:
    """How fast f changes over the stencil, in units of the derivative (one row per line).

    The whole change, ``|f(x + kh) - f(x)| / |kh|^order``, is not 0 where the derivative is (a
    saddle), which makes it the scale a first derivative is judged reliable against. For a
    second derivative it is dominated by f' / kh when the step is small, so its natural size
    (what refinement aims at) is the `curvature`: the even part
    ``(f(x + kh) + f(x - kh) - 2 f(x)) / (kh)^2``; it is judged reliable against that and
    `_natural_second`.
    """
    moving = np.array(scheme.offsets[1:], dtype=float)
    lines, _, outputs = of_f.shape
    blocks = (of_f[:, 1:] - of_f[:, :1]).reshape(lines, -1, len(moving), outputs)
    if curvature and order == 2 and scheme.symmetric:
        # Offsets run 1, -1, 2, -2, ...: pair each point with its mirror image.
        blocks = blocks[:, :, 0::2] + blocks[:, :, 1::2]
        moving = moving[0::2] / math.sqrt(2.0)  # (kh)^2 / 2 per unit of the even part
    reach = (np.abs(moving)[None, :] * h[:, None]) ** order
    return np.asarray((np.abs(blocks) / reach[:, None, :, None]).max(axis=(1, 2)), dtype=np.float64)


def _natural_second(
    scheme: _Scheme, of_f: FloatArray, h: FloatArray, lengths: FloatArray
) -> FloatArray:
    """Return the second derivative f would have if its slope changed by itself over f's length.

    calcref assumes f varies on x's own scale (T, `_variation_length`, in units of t): over T
    its slope changes by about itself, so a second derivative of 0 (an inflection, a Hessian
    entry at a saddle) is well determined once its error is small against |f'| / T, the scale
    a second derivative is judged reliable against. The slope is the stencil's,
    |f(x + kh) - f(x)| / |kh|; over a stencil wider than T the length is the stencil's. (The
    change over the stencil, |f(x + kh) - f(x)| / (kh)^2 ~ |f'| / kh, grows without bound as
    the step shrinks: it called a bound of 1e-5 on Hessian entries of 1e-9, where f's slope
    is 1, reliable at a step of 1e-9, and sin''(1) at a given step of 1e-7, off by 5e-3.)

    A difference of two lines (`_Line` with w) has the second derivative ``4 c^T H d``, with
    ``c = (u + w) / 2`` and ``d = (u - w) / 2``: c^T H d is judged against how f's slope along
    d changes over c's length, or along c over d's, the larger. The sum and the difference of
    the two lines' values give those slopes, ``2 kh ∇f·c`` and ``2 kh ∇f·d``. `of_f` has
    shape (L, points, m), f(x) first; `lengths` (L, 1), or (L, 2) for c's and d's.
    """
    moving = np.abs(np.array(scheme.offsets[1:], dtype=float))
    lines, _, outputs = of_f.shape
    kh = moving[None, :] * h[:, None]
    blocks = (of_f[:, 1:] - of_f[:, :1]).reshape(lines, -1, len(moving), outputs)

    def rate(change: FloatArray, length: FloatArray) -> FloatArray:
        per_length = np.abs(change) / (kh * np.maximum(kh, length[:, None]))[:, :, None]
        return np.asarray(per_length, dtype=np.float64)

    if blocks.shape[1] == 1:
        rates = rate(blocks[:, 0], lengths[:, 0])
    else:
        along_c, along_d = blocks[:, 0] + blocks[:, 1], blocks[:, 0] - blocks[:, 1]
        rates = 2 * np.maximum(rate(along_c, lengths[:, 1]), rate(along_d, lengths[:, 0]))
    return np.asarray(rates.max(axis=1), dtype=np.float64)


def _failed_round(h: float, shape: tuple[int, ...], scheme: _Scheme, order: int) -> _Round:
    nan = np.full(shape, np.nan)
    return _Round(
        h, nan, nan, nan, nan, math.inf, nan, nan, scheme.power, order, False, False, False
    )


def _analyse(
    scheme: _Scheme,
    order: int,
    stencil: FloatArray,
    h: FloatArray,
    reach: FloatArray,
    lengths: FloatArray,
    raw: FloatArray | None = None,
    eps: float = _EPS,
) -> list[_Round]:
    """Estimate, error and diagnosis of each of L lines from one round of their stencils.

    `stencil` (L, len(offsets), m) holds the values at the offsets, f(x) first; `h` the steps.
    `reach` is how far x is from 0 along each line, in units of t: f is computed at arguments
    rounded to about eps of that, which moves its values by eps * reach * |slope| (sin(5 t) at
    t = 2.5 is noisy at 50 eps |f|). `lengths` holds, per line, the lengths over which f is
    assumed to vary (see `_natural_second`). `raw` holds the values of f itself, f(x) first,
    when the lines are differences of two lines (their round-off, saturation and scale are
    f's). `eps` is the relative rounding of f's values. The work is done on all lines at once; every
    line's numbers are what it alone would give.
    """
    of_f = stencil if raw is None else raw
    finite = np.all(np.isfinite(of_f), axis=(1, 2)).tolist()
    h_power = np.array([step**order for step in h.tolist()])
    # Lines with non-finite values give NaN here, and fail below.
    with np.errstate(all="ignore"):
        parts = _diagnose(scheme, order, stencil, of_f, h, h_power, reach, lengths, eps)
    rounds = []
    for line in range(len(stencil)):
        if not finite[line]:
            rounds.append(_failed_round(float(h[line]), stencil.shape[2:], scheme, order))
            continue
        rounds.append(
            _Round(
                step=float(h[line]),
                power=scheme.power,
                order=order,
                finite=True,
                wide=scheme.power > 6,
                **{name: part[line] for name, part in parts.items()},
            )
        )
    return rounds


def _diagnose(
    scheme: _Scheme,
    order: int,
    stencil: FloatArray,
    of_f: FloatArray,
    h: FloatArray,
    h_power: FloatArray,
    reach: FloatArray,
    lengths: FloatArray,
    eps: float,
) -> dict[str, Any]:
    """Return the fields of `_Round` that depend on the values, per line (see `_analyse`)."""
    w = scheme.weights_of(order)
    estimates = np.matmul(w, stencil) / h_power[:, None, None]
    value = estimates[:, -1]
    gaps = np.abs(np.diff(estimates, axis=1))
    magnitude = np.abs(of_f).max(axis=1)
    moving = np.abs(np.array(scheme.offsets[1:], dtype=float))
    repeats = (of_f.shape[1] - 1) // len(moving)
    steps = np.tile(moving, repeats)[None, :, None] * h[:, None, None]
    change = np.abs(of_f[:, 1:] - of_f[:, :1])
    slope = (change / steps).max(axis=1)
    floor = eps * (magnitude + reach[:, None] * slope)
    noise = _noise(scheme, stencil, floor)
    amplification = np.abs(w[-1]).sum() / h_power
    rounding = _ROUNDING_SAFETY * noise * amplification[:, None]
    # The gaps are made of truncation and round-off; where even the coarsest gap is within
    # what round-off can make, the step is too small to see truncation at all.
    gap_weights = np.abs(np.diff(w, axis=0)).sum(axis=1)
    gap_noise = (gap_weights[None, :] / h_power[:, None])[:, :, None] * noise[:, None, :]
    taylor, rate = _taylor_truncation(scheme, order, stencil, noise, h_power)
    truncation = np.maximum(_truncation(gaps), taylor)
    truncation = np.where(np.isfinite(truncation), truncation, gaps.sum(axis=1))
    smooth = np.ones(len(stencil), dtype=bool)
    kink = np.zeros_like(value)
    if scheme.symmetric:
        plus, minus = stencil[:, 1::2], stencil[:, 2::2]
        odd, even = (plus - minus) / 2, (plus + minus) / 2 - stencil[:, :1]
        # The models fit the three inner pairs of points. In a wide stencil a kink further out
        # shows in the gaps between its 7-, 11- and 15-point estimates and in Taylor
        # coefficients that stop falling: its error bound grows and an inner round wins.
        odd, even = np.ascontiguousarray(odd[:, :3]), np.ascontiguousarray(even[:, :3])
        jumpy = np.maximum(
            _cancellation(odd, _ODD_MODEL, _ODD_FIT, noise),
            _cancellation(even, _EVEN_MODEL, _EVEN_FIT, noise),
        )
        smooth = np.all(jumpy <= _CANCELLATION_LIMIT, axis=1)
        kink = _kink_gap(order, odd, even, h, h_power)
    # Not smooth: no error model holds, so add every gap the stencil shows.
    error = np.where(smooth[:, None], truncation + rounding, gaps.sum(axis=1) + kink + rounding)
    size = _scale_of_change(scheme, order, of_f, h, curvature=True)
    if order == 1:
        scale = _scale_of_change(scheme, order, of_f, h, curvature=False)
    else:
        scale = _natural_second(scheme, of_f, h, lengths)
        if lengths.shape[1] == 1:
            # f's curvature along the line is a natural size too (x^2 - y^2 at its saddle);
            # the curvatures along a difference's two lines are not its own (`value` is).
            scale = np.maximum(scale, size)
    rounding_model = floor * amplification[:, None]
    return {
        "value": value,
        "error": error,
        "scale": scale,
        "size": size,
        "magnitude": magnitude.max(axis=1).tolist(),
        "steepness": _steepness(scheme, change),
        "truncation": truncation,
        # The step is steered by the model of round-off (the floor): the measured noise also
        # holds truncation when the step is large, which would pull the step the wrong way.
        "rounding": rounding_model,
        "smooth": smooth.tolist(),
        "flat": np.all(change <= 2 * eps * np.abs(of_f[:, :1]), axis=(1, 2)).tolist(),
        "noise_limited": np.all(gaps[:, 0] <= _GAP_MARGIN * gap_noise[:, 0], axis=1).tolist(),
        "noisy": np.any(noise > _NOISY * floor, axis=1).tolist(),
        "margin": (_REPORTED_ROUNDING - 1) * rounding,
        "rate": rate.tolist(),
        "largest_error": [
            largest if math.isfinite(largest) else math.inf
            for largest in error.max(axis=1).tolist()
        ],
        "largest_truncation": truncation.max(axis=1).tolist(),
        "largest_rounding": rounding_model.max(axis=1).tolist(),
        "largest_untruncated": (error - truncation).max(axis=1).tolist(),
        "resolved_scale": np.maximum(np.abs(value), size).max(axis=1).tolist(),
    }


def _next_step(state: _LineState, last: _Round, f0_size: float, adaptive: bool) -> float | None:
    """Return the step of the next round for this line, or None when the line is done.

    A line gets one round when its embedded error estimate is good enough; further rounds only
    when the estimate says the first one was not (unresolved, kinked, undefined, or drowned in
    round-off). `f0_size` is max |f(x)|.
    """
    if not adaptive or len(state.rounds) >= _MAX_ROUNDS:
        return None
    if last.wide:
        return None
    if not (last.finite and last.smooth) and _grew_into_trouble(state):
        return _smaller_after_growth(state)
    if not last.finite:
        # Undefined beyond some distance (log, sqrt near 0): jump to the point's own scale.
        return _shrunk(last.step, state.local)
    if not last.smooth:
        # A kink near x (relu at 1e-12) leaves the stencil once it is x's own scale.
        return _shrunk(last.step, state.local)
    if last.flat:
        probe = min(last.step * _PROBE, state.limit)
        if probe <= last.step or not state.rounds[0].flat:
            return None
        state.probes += 1
        return probe
    if state.probes:
        return None
    if not _improved(state):
        return _smaller_after_growth(state)
    score = state.relative_score(last)
    if last.noise_limited:
        # Only round-off is visible: a larger step divides it by GROW**order; the next round
        # shows whether truncation stays invisible, and the better round is kept. Twice at
        # most: a line along which f is linear never shows truncation.
        steep = last.steepness > last.order + 0.5
        first = all(r.step > last.step for r in state.rounds[:-1])
        if first and steep and _reach_dominates(last, f0_size) and 3 * last.step > state.local:
            # Round-off ~ eps max|f| / h^order with max|f| ~ h^p from the stencil's reach
            # (x^3 seen from x = 1e-6 with h = 2^-5, p = 3): for p > order a step at x's own
            # scale lowers it.
            return _shrunk(last.step, state.local)
        grown = sum(r.noise_limited for r in state.rounds)
        if score <= _EXACT_ENOUGH or grown > _MAX_GROWTH:
            return None
        return last.step * _GROW
    if score <= _GOOD_ENOUGH[last.order]:
        return _wide_step(state, last, score)
    if last.noisy and not any(r.noisy for r in state.rounds[:-1]):
        # Noise far above f's rounding is as often truncation the trend failed to predict
        # (tanh(3t), whose Taylor coefficients oscillate) as real noise (log(1 + t^2) near 0):
        # a 4 times smaller step tells them apart, and the better round is kept.
        return last.step / 4
    factor = _rebalancing_factor(last, f0_size, state.local)
    if factor is None or factor > 1:
        # Round-off dominates: a larger 7-point step trades it for truncation, the wide
        # stencil lowers it at almost no truncation.
        wide = _wide_step(state, last, score)
        if wide is not None:
            return wide
    return None if factor is None else last.step * factor


def _wide_step(state: _LineState, last: _Round, score: float) -> float | None:
    """Step of a last, wide round when round-off alone keeps the 7-point error up; else None.

    A 7-point stencil limited by round-off (~ eps |f| / h) cannot do better at any step: a
    larger one brings in its truncation (~ h^6). The 15-point stencil, of order 14, can take
    a step up to 16 times larger while its truncation stays invisible, dividing round-off by
    about 10: how much larger is bounded by the rate at which f's Taylor coefficients fall
    (per step, rho: at rho = 1/4 per new step the 15th coefficient is 4^-15 of the first).
    """
    if last.order not in _WIDE_TARGET or score <= _WIDE_TARGET[last.order]:
        return None
    if not (last.finite and last.smooth) or last.flat or last.power != 6:
        return None
    if last.largest_truncation > last.largest_untruncated:
        return None
    if len(state.rounds) > _WIDE_AFTER:
        return None
    # Round-off falls like 1 / h^order: a second derivative gains as much from a 4-fold step.
    most = _GROW ** (1 / last.order)
    growth = most if last.rate <= 0 else min(most, _WIDE_RATE / last.rate)
    if growth < 1:
        return None
    state.wide = True
    return last.step * 2.0 ** math.floor(math.log2(growth))


def _grew_into_trouble(state: _LineState) -> bool:
    """Whether a larger step, tried because round-off hid truncation, left f's smooth range."""
    if len(state.rounds) < 2:
        return False
    before, last = state.rounds[-2:]
    return before.noise_limited and before.smooth and not before.flat and last.step > before.step


def _smaller_after_growth(state: _LineState) -> float | None:
    """Return the step of the smaller round a noisy line still needs after a larger one failed.

    Gaps within the noise a round measured made it grow the step, as if only round-off limited
    it. Noise far above f's rounding may instead be smooth variation the trend failed to
    predict, which the 4 times smaller step tells apart (as after any noisy round); a larger
    step that did no better leaves that test to do. None when it is done or not needed.
    (x y z + atan(x - y) along x at x - y = -1: bounds of 8e-6 at h = 2^-5, 0.07 at 2^-1,
    4e-8 at 2^-7.)
    """
    if len(state.rounds) < 2:
        return None
    before, last = state.rounds[-2:]
    tested = any(r.step < before.step for r in state.rounds)
    if before.noisy and before.noise_limited and last.step > before.step and not tested:
        return before.step / 4
    return None


def _shrunk(step: float, local: float) -> float:
    """Return a step at least 16 times smaller, down to x's own scale, but not to nothing."""
    return max(min(step * _SHRINK, _FIRST_STEP * local), step * 2.0**-40)


def _improved(state: _LineState) -> bool:
    """Whether the last round beat every earlier trusted round (else stop refining)."""
    *earlier, last = state.rounds
    scores = [r.score() for r in earlier if r.finite and r.smooth and not r.flat]
    return not scores or last.score() < min(scores)


def _steepness(scheme: _Scheme, change: FloatArray) -> list[float]:
    """Return p in |f(x + kh) - f(x)| ~ k^p, from offsets 1 and 3 (0 when f does not move).

    One p per line of `change` (L, points - 1, m), which holds |f(x + kh) - f(x)| at the
    offsets after 0.
    """
    if not scheme.symmetric:
        return [0.0] * len(change)
    near = change[:, 0:2].max(axis=(1, 2)).tolist()
    far = change[:, 4:6].max(axis=(1, 2)).tolist()
    return [
        math.log(b / a) / math.log(3.0) if a > 0 and b > 0 else 0.0
        for a, b in zip(near, far, strict=True)
    ]


def _reach_dominates(last: _Round, f0_size: float) -> bool:
    """Whether max|f| over the stencil comes from its reach rather than from f(x)."""
    return last.magnitude > 4 * f0_size


def _rebalancing_factor(last: _Round, f0_size: float, local: float) -> float | None:
    """Step factor towards the balance of truncation (~ h^6) and round-off (~ 1 / h^order)."""
    truncation, rounding = last.largest_truncation, last.largest_rounding
    # Round-off ~ eps max|f| / h: when max|f| over the stencil comes from its reach rather
    # than from f(x) (f(x) = x^2 near 0), a smaller step lowers max|f| faster than 1/h grows.
    if rounding > 4 * truncation and _reach_dominates(last, f0_size):
        return _shrunk(last.step, local) / last.step
    # Judge resolution against how much f changes over the stencil too, not only against the
    # value: a derivative that happens to be ~0 (a Hessian entry at 1e-10 of a saddle) is
    # resolved once it is small against f's own scale, and shrinking to x's scale would drown it.
    if truncation > 1e-3 * last.resolved_scale:
        # Not resolved at all (sqrt(x) at 1e-6 with h = 2^-7): go to x's own scale.
        return _shrunk(last.step, local) / last.step
    # At the optimum truncation ~ (order / p) round-off; truncation ~ h^p, round-off ~ h^-order.
    order, power = last.order, last.power
    ratio = (order / power) * rounding / max(truncation, 1e-300)
    factor = min(max(ratio ** (1 / (power + order)), _SHRINK), _GROW)
    predicted = truncation * factor**power + rounding / factor**order
    # Near the balance already: another round would cost as much as this one and gain little.
    return factor if predicted < 0.5 * (truncation + rounding) else None


def _finish(state: _LineState) -> _LineResult:
    rounds = state.rounds
    if all(r.finite and r.flat for r in rounds) and rounds[-1].step >= state.limit:
        zero = np.zeros_like(rounds[0].value)
        return _LineResult(zero, zero, zero)
    # A flat round says only that f did not change at its own resolution, which f(x) does
    # not reveal (log(1 + t^2) is exactly 0 for tiny t): use it when nothing better exists,
    # and distrust it when a round at another step saw f change.
    trusted = state.trusted()
    if not trusted:
        trusted = [r for r in rounds if r.finite and r.smooth]
        moved = [r for r in rounds if r.finite and not r.flat]
        if trusted and moved:
            # Neither kind is trusted: the flat round (whose bound of 0 can be a lie) nor the
            # moved ones (not smooth). The best bound wins, stretched to reach every round it
            # contradicts.
            candidates = trusted + moved
            best = min(candidates, key=_Round.score)
            reach = [
                np.where(np.abs(r.value - best.value) > best.error + r.error, gap, 0.0)
                for r in candidates
                for gap in [np.abs(r.value - best.value) + r.error]
            ]
            error = functools.reduce(np.maximum, reach, best.error)
            return _LineResult(best.value, error, best.scale, _FLAT_HERE)
    if trusted:
        best = min(trusted, key=_Round.score)
        error = best.error if best.margin is None else best.error + best.margin
        narrow = min((r for r in trusted if not r.wide), key=_Round.score)
        conflict = _disagreement(best, [r for r in trusted if r.step < best.step])
        if np.any(conflict > error):
            # A smaller step, which sees f's variation better, disagrees beyond both bounds: one
            # bound is wrong, and nothing says which (a step far beyond f's scale of variation
            # aliases: sin(5e7 t) at h = 2^-7 looks smooth). The bound spans both, and the
            # estimate is not trusted. (A larger step that disagrees is expected: it was not
            # resolved, which is why the step shrank.)
            return _LineResult(
                best.value,
                np.maximum(error, conflict),
                state.largest("scale"),
                _INCONSISTENT,
                step=narrow.step,
            )
        return _LineResult(best.value, error, state.largest("scale"), step=narrow.step)
    finite = [r for r in rounds if r.finite]
    if not finite:
        nan = np.full_like(rounds[0].value, np.nan)
        return _LineResult(nan, np.full_like(nan, np.inf), nan, "f is not finite near x")
    best = min(finite, key=_Round.score)
    if best.flat:
        error = np.maximum(best.error, _EPS * np.abs(best.value))
        return _LineResult(
            best.value, error, best.scale, "f is flat to round-off near x (saturation)"
        )
    return _LineResult(
        best.value, best.error, best.scale, "f is not smooth inside the stencil (a kink?)"
    )


_FLAT_HERE = (
    "f is flat to round-off at the smallest step, where the larger steps saw it change "
    "(it may lose its variation to rounding inside its own code, as log(1 + t^2) near 0)"
)
_INCONSISTENT = (
    "rounds at different steps disagree beyond their error bounds "
    "(f may vary on a scale much smaller than x's, or be noisy)"
)


def _disagreement(best: _Round, others: list[_Round]) -> FloatArray:
    """Per output, how far `best` lies from the rounds it contradicts.

    A round contradicts `best` when their gap exceeds best's bound plus the other's bound times
    its safety factor: a bound is an estimate, and one a few times too small (round-off at a
    tiny step) is no contradiction, while an aliased stencil misses by thousands of times.
    Zero where none does; else the gap plus the other round's bound, which a bound covering
    both must reach.
    """
    conflict = np.zeros_like(best.value)
    for other in others:
        gap = np.abs(other.value - best.value)
        beyond = gap > best.error + _TRUNCATION_SAFETY * other.error
        conflict = np.maximum(conflict, np.where(beyond, gap + other.error, 0.0))
    return conflict


def _round_points(
    x: FloatArray, directions: FloatArray, scheme: _Scheme, steps: FloatArray
) -> FloatArray:
    """Stencil points (L, d * (len(offsets) - 1), n) of L lines of d directions (L, d, n) each."""
    moving = np.array(scheme.offsets[1:], dtype=float)
    moves = (moving[None, :] * steps[:, None])[:, None, :, None] * directions[:, :, None, :]
    return np.asarray((x + moves).reshape(len(steps), -1, x.size), dtype=np.float64)


def _analyse_lines(
    scheme: _Scheme,
    order: int,
    values: FloatArray,
    f0: FloatArray,
    states: list[_LineState],
    difference: bool,
    eps: float,
) -> list[_Round]:
    """Analyse one round of several lines from their values (L, points, m), at once."""
    h = np.array([state.step for state in states])
    reach = np.array([state.reach for state in states])
    lengths = np.array([state.lengths for state in states])
    first = np.broadcast_to(f0, (len(states), 1, f0.size))
    if not difference:
        stencil = np.concatenate([first, values], axis=1)
        return _analyse(scheme, order, stencil, h, reach, lengths, eps=eps)
    along_u, along_w = np.split(values, 2, axis=1)
    raw = np.concatenate([first, along_u, along_w], axis=1)
    stencil = np.concatenate([np.zeros_like(first), along_u - along_w], axis=1)
    return _analyse(scheme, order, stencil, h, reach, lengths, raw, eps)


def _differentiate_lines(
    sampler: _Sampler,
    x: FloatArray,
    f0: FloatArray,
    lines: list[_Line],
    steps: FloatArray,
    limits: FloatArray,
    *,
    order: int,
    method: Method,
    adaptive: bool,
) -> list[_LineResult]:
    """Differentiate each line at t = 0, `order` times, every round's points in one call.

    `limits` holds the largest step a probe may take along each line. Each round analyses all
    lines that share a stencil at once; only the choice of the next step is made line by line.
    """
    if not lines:  # the cross lines of a Hessian in one variable
        return []
    schemes = {wide: _scheme(method, order, wide=wide) for wide in (False, True)}
    # (L, d, n): the lines of one call all have d = 1 direction, or all d = 2 (a Hessian's).
    directions = np.array([line.directions() for line in lines])
    if directions.shape[1] == 2:
        # A difference of lines varies along the common part of u and w and along their
        # difference, each over its own length (see `_natural_second`).
        u, w = directions[:, 0], directions[:, 1]
        parts = np.stack([(u + w) / 2, (u - w) / 2], axis=1)
    else:
        parts = directions
    states = [
        _LineState(step=h, local=local, reach=reach, lengths=tuple(lengths), limit=limit)
        for h, local, reach, lengths, limit in zip(
            steps.tolist(),
            _local_scale(x, directions).min(axis=1).tolist(),
            _reach(x, directions).max(axis=1).tolist(),
            _variation_length(x, parts).tolist(),
            limits.tolist(),
            strict=True,
        )
    ]
    f0_size = float(np.max(np.abs(f0)))
    active = list(range(len(states)))
    while active:
        groups: dict[tuple[bool, int], list[int]] = {}
        for i in active:
            groups.setdefault((states[i].wide, len(directions[i])), []).append(i)
        points = {
            key: _round_points(
                x,
                directions[members],
                schemes[key[0]],
                np.array([states[i].step for i in members]),
            )
            for key, members in groups.items()
        }
        values = _sample_in_order(sampler, active, groups, points)
        last: dict[int, _Round] = {}
        for key, members in groups.items():
            group = [states[i] for i in members]
            analysed = _analyse_lines(
                schemes[key[0]], order, values[key], f0, group, key[1] > 1, sampler.resolution
            )
            last.update(zip(members, analysed, strict=True))
        still = []
        for line in active:
            state = states[line]
            state.rounds.append(last[line])
            state.wide = False  # only a decision for a wide round makes the next one wide
            step = _next_step(state, last[line], f0_size, adaptive)
            if step is not None:
                # A power of two keeps every stencil point x + k h exact in binary.
                nearest = _power_of_two_at_least(step / math.sqrt(2.0))
                if nearest == state.step and not state.wide:
                    # A step within a factor sqrt(2) of this one would repeat this round, at
                    # the same points: the next power of two on the side asked for instead.
                    # (sigmoid(2.74 - 6t) asked for 0.71 h at h = 2^-7, where noise the trend
                    # misread kept its bound at 1.7e-6 for an error of 7e-12; 2^-8 gives 1.1e-7.)
                    nearest = nearest / 2 if step < state.step else nearest * 2
                state.step = nearest
                still.append(line)
        active = still
    return [_finish(state) for state in states]


def _sample_in_order(
    sampler: _Sampler,
    active: list[int],
    groups: dict[tuple[bool, int], list[int]],
    points: dict[tuple[bool, int], FloatArray],
) -> dict[tuple[bool, int], FloatArray]:
    """Evaluate f at every group's points in one call, lines in `active` order.

    Returns each group's values, shaped like its points (L, points per line, m).
    """
    if len(groups) == 1:
        ((key, block),) = points.items()
        flat = sampler(block.reshape(-1, block.shape[2]))
        return {key: flat.reshape(block.shape[0], block.shape[1], -1)}
    rows = {i: block[k] for key, block in points.items() for k, i in enumerate(groups[key])}
    sizes = np.array([len(rows[i]) for i in active])
    starts = dict(zip(active, (np.cumsum(sizes) - sizes).tolist(), strict=True))
    flat = sampler(np.concatenate([rows[i] for i in active]))
    return {
        key: flat[np.array([starts[i] for i in members])[:, None] + np.arange(block.shape[1])]
        for (key, block), members in ((item, groups[item[0]]) for item in points.items())
    }


def _local_scale(x: FloatArray, directions: FloatArray) -> FloatArray:
    """Distance to x's own scale along each direction (rows, shape (..., n)): min |x_i / u_i|.

    Infinite along a direction that moves no non-zero coordinate of x.
    """
    moved = (directions != 0) & (x != 0)
    # A tiny direction component overflows the ratio: that coordinate is far.
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        ratios = np.where(moved, np.abs(x / directions), np.inf)
    return np.asarray(ratios.min(axis=-1), dtype=np.float64)


def _variation_length(x: FloatArray, directions: FloatArray) -> FloatArray:
    """Length in units of t over which f is assumed to vary along each row of `directions`.

    The smallest max(1, |x_i|) / |u_i| over the coordinates u moves: the length the default
    step is scaled to (`_scale`, there rounded to a power of two). Infinite for a zero row.
    """
    moved = directions != 0
    # A tiny direction component overflows the ratio: that coordinate barely moves, so far.
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        ratios = np.where(moved, np.maximum(np.abs(x), 1.0) / np.abs(directions), np.inf)
    return np.asarray(ratios.min(axis=-1), dtype=np.float64)


def _reach(x: FloatArray, directions: FloatArray) -> FloatArray:
    """Distance of x from 0 along each line, per unit of t (the size of its moving coordinates).

    Each coordinate counts in proportion to how far the line moves it: f's rounding at x_0 = 1e6
    says nothing about its slope along u = (1e-30, 1), which barely moves x_0. One distance per
    row of `directions` (shape (..., n)).
    """
    largest = np.abs(directions).max(axis=-1)
    return np.asarray(np.abs(x * directions).max(axis=-1) / largest**2, dtype=np.float64)


def _own_scale(x: FloatArray, directions: FloatArray) -> FloatArray:
    """Return x's own scale along each direction, in units of t: max(1, |x_i|) per |u_i|.

    The length over which f is assumed to vary (see `_scale`), for rows of `directions`.
    """
    largest = np.abs(directions).max(axis=-1)
    return np.asarray(np.maximum(_reach(x, directions), 1.0 / largest), dtype=np.float64)


def _complex_lines(
    sampler: _Sampler, x: FloatArray, directions: FloatArray, steps: FloatArray
) -> list[_LineResult]:
    """Complex-step first derivatives: one evaluation per line, two more to check them all.

    ``Im f(x + i h u) / h`` has no subtraction, so ``h = 2^-60`` is exact to round-off for
    analytic code, and ``Re f(x + i h u)`` is ``f(x)`` up to ``h^2``: f(x) costs nothing. One
    real central difference along ``d = sum_k s_k g_k u_k`` (signs ``s_k`` in an irregular
    pattern) must then match ``sum_k s_k g_k f'_k``: code that drops the imaginary part (abs,
    conj, real, comparisons) makes the sum wrong unless its errors cancel across lines. When it
    does not match, each line gets its own real difference (two evaluations) to find which.
    """
    tiny = steps * (_COMPLEX_STEP / _FIRST_STEP)
    points = x[None, :] + 1j * tiny[:, None] * directions
    values = sampler(points.astype(np.complex128), complex_ok=True)
    f0 = _finite_at(sampler, x, values[0].real)
    slopes = values.imag / tiny[:, None]
    # The checking difference stays well inside x's own scale (log at 1e-3, x^3 at 1e-5), where
    # its truncation is far below the tolerance.
    local = _local_scale(x, directions)
    guard = np.minimum(steps * (_GUARD_STEP / _FIRST_STEP), _GUARD_STEP * 2.0**5 * local)
    finite = np.all(np.isfinite(values), axis=1)
    if np.all(finite):
        signed = _guard_signs(len(directions)) * guard
        delta = signed @ directions
        agrees, curvature = _agrees(
            sampler, x, f0, delta, signed @ slopes, np.abs(signed) @ np.abs(slopes)
        )
        if agrees:
            # The curvature along the check's mix of directions stands in for each line's.
            return [
                _complex_result(s, np.zeros_like(s), True, x, u, curvature * float(u @ u), h)
                for s, u, h in zip(slopes, directions, tiny.tolist(), strict=True)
            ]
    gaps, curvatures = _line_gaps(sampler, x, f0, directions, guard, slopes)
    return [
        _complex_result(s, gap, bool(ok), x, u, c * float(u @ u), h)
        for s, gap, ok, u, c, h in zip(
            slopes, gaps, finite, directions, curvatures, tiny.tolist(), strict=True
        )
    ]


def _guard_signs(count: int) -> FloatArray:
    """Signs +-1 in an irregular pattern (the golden-ratio sequence) that sums rarely cancel."""
    return np.where((np.arange(count) * 0.6180339887498949) % 1.0 < 0.5, 1.0, -1.0)


def _agrees(
    sampler: _Sampler,
    x: FloatArray,
    f0: FloatArray,
    delta: FloatArray,
    predicted: FloatArray,
    size: FloatArray,
) -> tuple[bool, FloatArray]:
    """Whether ``(f(x + delta) - f(x - delta)) / 2`` matches `predicted` (units of f).

    Also returns f's curvature along `delta`, per unit of its length squared (see `_curvature`).
    """
    plus, minus = sampler(np.stack([x + delta, x - delta]))
    central = (plus - minus) / 2
    magnitude = np.abs(np.vstack([plus, minus, f0])).max(axis=0)
    step = float(np.max(np.abs(delta)))
    tolerance = _guard_tolerance(size + np.abs(central), magnitude, step)
    curvature = _curvature(plus, minus, f0, delta)
    return bool(np.all(np.abs(predicted - central) <= tolerance)), curvature


def _curvature(
    plus: FloatArray, minus: FloatArray, f0: FloatArray, delta: FloatArray
) -> FloatArray:
    """|f''| along a check's displacement d, per |d|^2, from f(x + d), f(x - d) and f(x).

    Only the part of the second difference above its own round-off counts: with f near 1e8
    the difference is all rounding, and says nothing about f's curvature. |d| is taken without
    squaring its entries, which underflow at a subnormal x.
    """
    second = np.abs(plus + minus - 2 * f0)
    rounding = 4 * _EPS * (np.abs(plus) + np.abs(minus) + 2 * np.abs(f0))
    excess = np.maximum(second - rounding, 0.0)
    largest = float(np.max(np.abs(delta)))
    if largest == 0:  # the check did not move: it says nothing about curvature
        return np.zeros_like(excess)
    length = largest * float(np.linalg.norm(delta / largest))
    with np.errstate(over="ignore"):  # an infinite curvature makes an infinite, honest bound
        return np.asarray(excess / length / length, dtype=np.float64)


def _guard_tolerance(size: FloatArray, magnitude: FloatArray, step: float) -> FloatArray:
    """Return the gap allowed (units of f) between a complex-step prediction and a real one.

    A real difference over `step` is good to ~ step^3 |f'''| + eps |f|: a millionth of the
    change, plus a millionth of |f| times the step, plus 100 eps |f| is loose for smooth f,
    while a lost imaginary part is off by the whole change.
    """
    return np.asarray(1e-6 * (size + magnitude * min(step, 1.0)) + 100 * _EPS * magnitude)


def _line_gaps(
    sampler: _Sampler,
    x: FloatArray,
    f0: FloatArray,
    directions: FloatArray,
    guard: FloatArray,
    slopes: FloatArray,
) -> tuple[list[FloatArray], list[FloatArray]]:
    """Per line, the gap between its complex slope and a real central difference, and f''.

    The gap is 0 where they agree within the tolerance; f's curvature along the line is per
    unit of length squared (see `_curvature`).
    """
    moves = guard[:, None] * directions
    plus, minus = np.split(sampler(np.concatenate([x + moves, x - moves])), 2)
    gaps, curvatures = [], []
    for k in range(len(directions)):
        central = (plus[k] - minus[k]) / 2
        predicted = guard[k] * slopes[k]
        magnitude = np.abs(np.vstack([plus[k], minus[k], f0])).max(axis=0)
        size = np.abs(predicted) + np.abs(central)
        gap = np.abs(predicted - central)
        within = gap <= _guard_tolerance(size, magnitude, float(guard[k]))
        # A check step that underflows to 0 (x_k subnormal) moves nothing and agrees.
        with np.errstate(invalid="ignore", divide="ignore"):
            gaps.append(np.where(within, 0.0, gap / guard[k]))
        curvatures.append(_curvature(plus[k], minus[k], f0, moves[k]))
    return gaps, curvatures


def _complex_result(
    slope: FloatArray,
    gap: FloatArray,
    finite: bool,
    x: FloatArray,
    direction: FloatArray,
    curvature: FloatArray,
    tiny: float,
) -> _LineResult:
    """Return one line's complex-step slope with its error bound and problem, if any.

    No subtraction, but the slope is computed by the chain rule in complex arithmetic, as a sum
    of terms that each round at eps of their own size, which is far above |slope| where they
    cancel (near a zero of f', as exp(t/2) sin(5t) at 2.21) and at rounded arguments (5 t is off
    by eps |5 t|). A term changes with t at about the rate f' does, |f''|, so over x's own
    scale along the line, max(1, |x|), where f is assumed to vary, it reaches about that scale
    times |f''|: the rounding is bounded by 16 eps (|slope| + max(1, |x|) |f''|), with |f''|
    from the real check (`curvature`, per unit of t squared), and by 16 subnormal spacings
    over the complex step `tiny`, where h f' underflows. (Not by f's size: a constant 1e8 added
    to f does not touch the imaginary part.)
    """
    if not finite:
        infinite = np.full_like(slope, np.inf)
        return _LineResult(slope, infinite, np.abs(slope), _NOT_FINITE)
    if np.all(gap == 0):
        # How much the slope changes over x's own scale is also what a slope of 0 is judged
        # reliable against (as `_scale_of_change` for real steps).
        change = float(_own_scale(x, direction)) * curvature
        resolution = 16 * _SUBNORMAL_SPACING / tiny
        rounding = 16 * _EPS * (np.abs(slope) + change) + resolution
        # A line flat to that resolution (f constant along it) keeps a bound of the resolution
        # alone, no reason to distrust a derivative of 0: it is judged against the resolution.
        size = np.maximum(np.maximum(np.abs(slope), change), resolution / _RELIABLE_RTOL)
        return _LineResult(slope, rounding, size)
    return _LineResult(slope, gap, np.abs(slope), _NOT_ANALYTIC)


_NOT_FINITE = "f is not finite at the complex step"
_NOT_ANALYTIC = (
    "the complex step disagrees with a real difference: f is not complex-analytic "
    "(abs, conj, real, comparisons or float() drop the imaginary part)"
)


def _complex_second(
    sampler: _Sampler, x: FloatArray, directions: FloatArray, steps: FloatArray
) -> list[_LineResult]:
    """Second derivatives ``u_i^T H u_j`` (i <= j) for the rows ``u_i`` of `directions`.

    ``Im f(x + i h u_i + t u_j) / h`` is the derivative along ``u_i`` at ``x + t u_j``, exact to
    round-off for analytic code. Its central difference over ``t = +-g, +-2g`` (order
    ``g^4``; the one over ``+-g`` alone, of order ``g^2``, gives its error) is the second
    derivative, without the cancellation of a second difference of f (``g = 2^-13``). The real
    parts are ``f(x + t u_j)``: for ``i = j`` they give a real first and second derivative that
    check each diagonal line at no cost. Results come in the order ``(0, 0), (0, 1), ...,
    (1, 1), ...``.
    """
    f0 = _value_at(sampler, x)
    n = len(directions)
    pairs = [(i, j) for i in range(n) for j in range(i, n)]
    shifts = np.array([1.0, -1.0, 2.0, -2.0])
    tiny = steps * 2.0**-50
    points = np.concatenate(
        [
            x[None, :] + 1j * tiny[i] * directions[i] + steps[j] * shifts[:, None] * directions[j]
            for i, j in pairs
        ]
    )
    values = sampler(points.astype(np.complex128), complex_ok=True)
    values = values.reshape(len(pairs), len(shifts), -1)
    g = np.array([steps[j] for _, j in pairs])[:, None]
    slopes = values.imag / np.array([tiny[i] for i, _ in pairs])[:, None, None]
    near = (slopes[:, 0] - slopes[:, 1]) / (2 * g)
    far = (slopes[:, 2] - slopes[:, 3]) / (4 * g)
    value = (4 * near - far) / 3
    # A slope is the sum of terms that round at eps of their own size, which can be far above
    # |slope| when they cancel (x z - 1 / (1 + x^2) ~ 0.006 from terms ~ 0.7). Terms that do
    # not involve x_j round alike at all four points and cancel in the differences; those that
    # do change by H_ij per unit of x_j, so over x_j's own scale, max(1, |x_j|), where f is
    # assumed to vary (the steps assume it too), they reach about that scale times |H_ij|
    # (x z: |z| |H_yz|; e^z: |H|). (The rounding of x + t u_j itself moves a slope by
    # eps |x_j| |H_ij|, within that.) An imaginary part that underflows keeps only an absolute
    # precision, a few subnormal spacings.
    own = _own_scale(x, directions)[[j for _, j in pairs]][:, None]
    resolution = _SUBNORMAL_SPACING / np.array([tiny[i] for i, _ in pairs])[:, None]
    noise = _EPS * (np.abs(slopes).max(axis=1) + own * np.abs(value)) + 16 * resolution
    # Slopes off by at most `noise` move the order-g^4 estimate by 1.5 noise / g; the bound
    # takes 4 times that (as _REPORTED_ROUNDING), plus the gap to the order-g^2 estimate, which
    # bounds the truncation (the order-g^2 estimate errs by about gap / 3).
    error = np.abs(far - near) + 6 * noise / g
    # An entry is judged against the resolution of its slopes, as a first derivative is.
    size = np.maximum(np.abs(value), 6 * 16 * resolution / g / _RELIABLE_RTOL)
    finite = np.all(np.isfinite(values), axis=(1, 2))
    checks = [
        _diagonal_gap(values[k].real, slopes[k], value[k], f0, float(g[k, 0]))
        if i == j and finite[k]
        else None
        for k, (i, j) in enumerate(pairs)
    ]
    analytic = all(gap is None for gap in checks)
    results = []
    for k, (i, j) in enumerate(pairs):
        if not finite[k]:
            infinite = np.full_like(value[k], np.inf)
            results.append(_LineResult(value[k], infinite, np.abs(value[k]), _NOT_FINITE))
        elif analytic:
            results.append(_LineResult(value[k], error[k], size[k]))
        else:
            # Only the diagonal has a real check: without analyticity nothing bounds the rest.
            gap = checks[k]
            bound = gap if gap is not None else error[k] if i == j else np.inf
            results.append(
                _LineResult(value[k], np.maximum(error[k], bound), np.abs(value[k]), _NOT_ANALYTIC)
            )
    return results


def _diagonal_gap(
    real: FloatArray, slopes: FloatArray, second: FloatArray, f0: FloatArray, g: float
) -> FloatArray | None:
    """Compare a diagonal line's complex slope and curvature with real differences of f.

    `real` and `slopes` hold f and its complex-step slope at ``t = g, -g, 2g, -2g``. Returns
    None when both agree, else the gap between the curvatures (the second derivative's error).
    """
    f1, fm1, f2, fm2 = real
    s1, sm1, s2, sm2 = slopes
    slope_real = (8 * (f1 - fm1) - (f2 - fm2)) / (12 * g)
    slope_complex = (4 * (s1 + sm1) - (s2 + sm2)) / 6
    curvature_real = (16 * (f1 + fm1) - (f2 + fm2) - 30 * f0) / (12 * g * g)
    magnitude = np.abs(np.vstack([real, f0[None, :]])).max(axis=0)
    slope_ok = np.abs(slope_real - slope_complex) * g <= _guard_tolerance(
        (np.abs(slope_real) + np.abs(slope_complex)) * g, magnitude, g
    )
    gap = np.abs(curvature_real - second)
    curvature_ok = gap * g * g <= _guard_tolerance(
        (np.abs(curvature_real) + np.abs(second)) * g * g, magnitude, g
    )
    return None if np.all(slope_ok & curvature_ok) else np.asarray(gap)


# --------------------------------------------------------------------------------------------
# Shared front end


# The default step grows with |x|, and a second derivative divides by its square: beyond
# this the arithmetic of the stencil itself overflows.
_LARGEST_X = 1e150


def _check_point_size(point: FloatArray, order: int, moved: FloatArray | None = None) -> None:
    """Refuse a second derivative at a point whose moved coordinates are too large to square."""
    reach = point if moved is None else point[moved != 0]
    if order == 2 and float(np.max(np.abs(reach))) > _LARGEST_X:
        shown = float(point[0]) if point.size == 1 else point
        raise ValueError(
            f"`x` must have entries of magnitude at most {_LARGEST_X:g} for a second derivative "
            f"(the step grows with |x|, and its square must stay finite); got {check._show(shown)}."
        )


def _check_options(order: int, method: Any, step: Any, orders: tuple[int, ...] = (1, 2)) -> None:
    # 2.0 == 2, but an order is a count: a float is refused as clearly as 3 is.
    if isinstance(order, bool) or not isinstance(order, int | np.integer) or order not in orders:
        listed = ", ".join(str(o) for o in orders)
        raise ValueError(f"`order` must be one of {listed}; got {check._show(order)}.")
    check.check_choice(method, _METHODS, "method")
    check.check_step(step)


def _line_results(
    sampler: _Sampler,
    x: FloatArray,
    lines: list[_Line],
    scales: FloatArray,
    *,
    order: int,
    method: Method,
    step: float | None,
    f0: FloatArray | None = None,
) -> list[_LineResult]:
    initial = _SECOND_STEP if order == 2 else _FIRST_STEP
    steps = scales * initial if step is None else np.full(len(lines), step)
    if method == "complex":
        directions = np.array([line.u for line in lines])
        if order == 1:
            return _complex_lines(sampler, x, directions, steps)
        crossed = scales * _CROSS_STEP if step is None else steps
        return _complex_second(sampler, x, directions, crossed)
    f0 = _value_at(sampler, x) if f0 is None else f0
    limits = scales * _PROBE_LIMIT
    return _differentiate_lines(
        sampler, x, f0, lines, steps, limits, order=order, method=method, adaptive=step is None
    )


def _seed(step: float) -> float:
    """Return a diagonal line's settled step per initial step, at most 1 (1 if it has none).

    Only smaller steps carry over: a coordinate whose curvature needed a step at its own tiny
    scale keeps it in the cross lines; one whose diagonal grew a step because it saw only
    round-off (f linear in it) says nothing about the cross term.
    """
    return min(step / _SECOND_STEP, 1.0) if math.isfinite(step) else 1.0


def _power_of_two_at_least(value: float) -> float:
    """Return the smallest power of two >= `value`, at most the largest finite one (2^1023)."""
    mantissa, exponent = math.frexp(value)
    return math.ldexp(1.0, min(exponent - (mantissa == 0.5), 1023))


def _scale(x: FloatArray, direction: FloatArray) -> float:
    """Step scale along t -> x + t u: the t that moves some coordinate by its own max(1, |x_i|).

    Each moved coordinate has its own scale, max(1, |x_i|) / |u_i| in units of t; the line's is
    the smallest. A coordinate that u barely moves (u_0 = 6e-36 at x_0 = 1e6) must not set the
    step of the others: the largest |x_i| over |u|, as here before, moved x_1 by 2^13 times its
    own scale.
    """
    moved = direction != 0
    own = [_power_of_two_at_least(max(1.0, abs(float(c)))) for c in x[moved]]
    per_unit = [_power_of_two_at_least(abs(float(u))) for u in direction[moved]]
    return min(c / u for c, u in zip(own, per_unit, strict=True))


def _report(
    value: Any,
    error: Any,
    scale: Any,
    sampler: _Sampler,
    results: list[_LineResult],
    full_output: bool,
) -> Any:
    """Warn if the estimate cannot be trusted; return the value or the `Estimate`.

    An entry is trusted when its line showed no problem and its error bound is below
    ``_RELIABLE_RTOL`` relative to the largest of: itself, its natural size along the line
    (`_Round.scale`: for a first derivative how fast f changes over the stencil, for a second
    its curvature or its slope over x's own scale, `_natural_second`), and the largest entry
    (gradients, Jacobians and Hessians are judged as a whole, so a component that is zero up
    to round-off is not a failure). See `Estimate.reliable`.
    """
    # A line's problem matters when its error does: a jump of 1e-133 in one line of a Hessian
    # of unit size is no reason to distrust the Hessian.
    # A NaN bound (inf - inf inside the stencil) bounds nothing: it is infinite.
    error = np.where(np.isnan(error), np.inf, error)
    if np.ndim(error) == 0:
        error = float(error)
    values, scales = (np.array([getattr(r, part) for r in results]) for part in ("value", "scale"))
    line_size = float(np.max(np.nan_to_num(np.maximum(np.abs(values), scales))))
    problems = sorted(
        {
            r.problem
            for r in results
            if r.problem and not np.all(r.error <= _RELIABLE_RTOL * line_size)
        }
    )
    magnitude = np.maximum(np.abs(value), np.nan_to_num(scale))
    if np.ndim(value):
        magnitude = np.maximum(magnitude, np.max(np.abs(np.nan_to_num(value))))
    if not np.all(np.isfinite(value)):
        problems.append("the estimate is not finite (f or its derivative overflows float64?)")
    elif not np.all(error <= _RELIABLE_RTOL * magnitude):
        problems.append(
            "round-off or saturation: the error bound exceeds "
            f"{_RELIABLE_RTOL:g} relative to the derivative"
        )
    reliable = not problems
    if not reliable:
        warnings.warn(
            "numerical derivative may be wrong: "
            + "; ".join(problems)
            + f". Estimated error up to {float(np.max(error)):.3g}.",
            UnreliableDerivativeWarning,
            stacklevel=3,
        )
    if full_output:
        return Estimate(value, error, sampler.evaluations, reliable)
    return value


def _scalar(result: _LineResult) -> tuple[float, float, float]:
    return float(result.value[0]), float(result.error[0]), float(result.scale[0])


# --------------------------------------------------------------------------------------------
# Public functions


def _along_one_line(
    sampler: _Sampler,
    point: FloatArray,
    direction: FloatArray,
    order: int,
    method: Method,
    step: float | None,
    full_output: bool,
    factor: float = 1.0,
) -> Any:
    """Differentiate along the single line t -> point + t direction (1-D, partial, directional).

    The result is multiplied by `factor` (``s**order`` when `direction` is ``v / s``).
    """
    results = _line_results(
        sampler,
        point,
        [_Line(direction)],
        np.array([_scale(point, direction)]),
        order=order,
        method=method,
        step=step,
    )
    if factor != 1.0:
        with np.errstate(over="ignore"):
            results = [
                _LineResult(r.value * factor, r.error * factor, r.scale * factor, r.problem, r.step)
                for r in results
            ]
    value, error, scale = _scalar(results[0])
    return _report(value, error, scale, sampler, results, full_output)


def derivative(
    f: ScalarFn,
    x: float,
    /,
    *,
    order: Literal[1, 2] = 1,
    step: float | None = None,
    method: Method = "central",
    vectorized: bool = False,
    full_output: bool = False,
) -> Any:
    """Approximate the first or second derivative of a function of one variable.

    Parameters
    ----------
    f : callable
        ``f(x) -> float`` for a float ``x``. With ``vectorized=True``, ``f`` is called with a
        1-D array of points and must return the array of values, same shape.
    x : float
        The point.
    order : {1, 2}, optional
        Derivative order.
    step : float, optional
        Absolute step ``h`` of the stencil (points ``x + k h``, ``k = -3..3``). Default:
        chosen from ``max(1, |x|)`` and adapted to ``f`` (see Notes).
    method : {"central", "forward", "backward", "complex"}, optional
        ``"central"`` (default) is the symmetric 7-point stencil; ``"forward"`` and
        ``"backward"`` use points on one side only (for functions defined on one side of ``x``);
        ``"complex"`` is the complex step ``Im f(x + i h) / h`` (``f`` must accept complex
        numbers and be complex-analytic, see Notes).
    vectorized : bool, optional
        Whether ``f`` accepts a 1-D array of points (one call per round of the stencil).
    full_output : bool, optional
        Return an `Estimate` instead of the value.

    Returns
    -------
    float or Estimate
        The derivative; with ``full_output=True`` an `Estimate` of it.

    Raises
    ------
    TypeError
        If `f` is not callable or returns something that is not a real number.
    ValueError
        If `x` is not a finite real number (of magnitude at most 1e150 for ``order=2``), `f`
        returns a non-scalar or a non-finite value at `x`, `step` is not positive and finite,
        or `order` or `method` is not one listed above.

    Warns
    -----
    UnreliableDerivativeWarning
        When the estimate cannot be trusted: a kink inside the stencil, saturation (``f`` flat
        to round-off), non-finite values near ``x``, or an error bound above ``1e-6`` relative
        to the derivative's natural size (see `Estimate.reliable`).

    See Also
    --------
    partial_derivative, directional_derivative, gradient

    Notes
    -----
    The central estimate is the 7-point stencil of order 6,
    ``(45 (f_1 - f_-1) - 9 (f_2 - f_-2) + (f_3 - f_-3)) / (60 h)``, at ``h = 2^-7 max(1, |x|)``
    (``2^-5`` for the second derivative) rounded up to a power of two. Its error bound adds the
    truncation error, extrapolated from the Taylor coefficients the seven values fix (at the
    rate they fall, or by the recurrence they follow where they oscillate, as atan's) and from
    the gaps between the nested 3-, 5- and 7-point estimates, to the round-off: the weights
    times the noise of f, at least ``eps (|f| + |x f'|)`` and more where the values show it.
    When that bound is not small, the step moves towards the balance of the two errors (or
    grows 16-fold, at most twice, when only round-off shows, as for a polynomial of low
    degree), and the round with the smallest bound wins. When round-off alone keeps the bound
    above ``5e-14`` relative, a last round uses the 15-point stencil (order 14) at a step up
    to 16 times larger (4 for a second derivative), bounded by how fast the Taylor
    coefficients fall: it divides round-off by about ten for 14 more evaluations, and is kept
    only if its own bound is smaller. The even part of the stencil, unused
    by a first derivative, shows a kink: where it is not a smooth function of ``h^2``, the step
    shrinks, and if that does not help the estimate is reported unreliable with the gap between
    one-sided slopes as its error. A round at a smaller step checks the chosen one: when they
    disagree beyond both bounds (a step far beyond the scale on which ``f`` varies aliases,
    ``sin(5e7 t)`` near 0), the estimate is reported unreliable with a bound spanning both.
    Round-off is modelled from float64's ``eps``, or float32's (float16's) when ``f`` returns
    values of those types. The step assumes ``f`` varies on the scale ``max(1, |x|)``: give a
    function that varies much faster its own `step`, or rescale its variable. With `step`
    given, one round is evaluated, with no adaptation.

    The complex step is exact to round-off for code made of analytic operations, but silently
    wrong for code that uses ``abs``, ``conj``, ``real``, ``float()`` or comparisons on the
    variable; calcref checks it against a real central difference and warns when they disagree
    by more than a millionth. A first derivative costs 3 evaluations: ``f(x + i h)`` with
    ``h = 2^-60 max(1, |x|)`` (its real part is ``f(x)``) and two real ones for the check. Its
    error bound is the round-off of the chain rule's terms, which near a zero of ``f'`` are
    far larger than ``f'``: ``16 eps (|f'| + max(1, |x|) |f''|)``, with ``f''`` from the real
    values of the check. A second derivative differences complex-step slopes over real steps
    ``+-g, +-2g`` with ``g = 2^-13 max(1, |x|)`` (5 evaluations, the real parts checking it
    too); its error bound is the gap to the order-``g^2`` difference plus the slopes'
    round-off, ``6 eps (max |f'| + max(1, |x|) |f''|) / g``: safe, and often 1000 times the
    actual error. Both assume that ``f`` itself is computed to a few ulps: what ``f`` loses to
    cancellation inside its own code (``log(1 + s)`` for tiny ``s``) its derivative loses too,
    and no real check shows it.

    Examples
    --------
    >>> import math
    >>> from calcref import numeric
    >>> print(round(numeric.derivative(math.sin, 1.0), 12))
    0.540302305868
    >>> print(round(numeric.derivative(math.exp, 0.0, order=2), 9))
    1.0
    >>> est = numeric.derivative(lambda t: t**3, 2.0, full_output=True)
    >>> print(round(est.value, 12), est.evaluations, est.reliable)
    12.0 21 True
    """
    check.check_callable(f)
    point = check.as_scalar_point(x)
    _check_point_size(np.array([point]), order)
    _check_options(order, method, step)
    check.check_flag(vectorized, "vectorized")
    check.check_flag(full_output, "full_output")
    sampler = _Sampler(f, scalar_input=True, scalar_output=True, vectorized=vectorized)
    return _along_one_line(sampler, np.array([point]), np.ones(1), order, method, step, full_output)


def partial_derivative(
    f: ScalarFn,
    x: ArrayLike,
    i: int,
    /,
    *,
    order: Literal[1, 2] = 1,
    step: float | None = None,
    method: Method = "central",
    vectorized: bool = False,
    full_output: bool = False,
) -> Any:
    """Approximate the partial derivative of a scalar field along coordinate `i`.

    Parameters
    ----------
    f : callable
        ``f(x) -> float`` for ``x`` of shape ``(n,)``. With ``vectorized=True``, ``f`` is called
        with an array of shape ``(k, n)`` (one point per row) and returns shape ``(k,)``.
    x : array_like, shape (n,)
        The point.
    i : int
        The coordinate (negative values count from the end).
    order, step, method, vectorized, full_output
        As in `derivative`; `step` moves coordinate `i` only.

    Returns
    -------
    float or Estimate
        ``∂f/∂x_i`` (or ``∂²f/∂x_i²`` with ``order=2``) at `x`.

    Raises
    ------
    TypeError
        If `f` is not callable or returns a non-number, or `i` is not an integer.
    ValueError
        If `x` is not a finite 1-D array, `i` is out of range, `f` returns a non-scalar or a
        non-finite value at `x`, or an option is invalid.

    Warns
    -----
    UnreliableDerivativeWarning
        When the estimate cannot be trusted (see `derivative`).

    See Also
    --------
    derivative, gradient, directional_derivative

    Examples
    --------
    >>> from calcref import numeric
    >>> f = lambda v: v[0] ** 2 * v[1]
    >>> print(round(numeric.partial_derivative(f, [3.0, 2.0], 0), 10))
    12.0
    >>> print(round(numeric.partial_derivative(f, [3.0, 2.0], 1), 10))
    9.0
    """
    check.check_callable(f)
    point = check.as_vector_point(x)
    index = check.check_index(i, point.size)
    _check_options(order, method, step)
    check.check_flag(vectorized, "vectorized")
    check.check_flag(full_output, "full_output")
    sampler = _Sampler(f, scalar_input=False, scalar_output=True, vectorized=vectorized)
    axis = np.zeros(point.size)
    axis[index] = 1.0
    _check_point_size(point, order, axis)
    return _along_one_line(sampler, point, axis, order, method, step, full_output)


def directional_derivative(
    f: ScalarFn,
    x: ArrayLike,
    v: ArrayLike,
    /,
    *,
    order: Literal[1, 2] = 1,
    step: float | None = None,
    method: Method = "central",
    vectorized: bool = False,
    full_output: bool = False,
) -> Any:
    """Approximate the derivative of a scalar field along a direction `v`.

    This is ``d/dt f(x + t v)`` at ``t = 0``, which equals ``∇f(x) · v`` for differentiable
    ``f``. `v` is used as given (not normalised): scale it to unit length for the slope per unit
    distance.

    Parameters
    ----------
    f : callable
        ``f(x) -> float`` for ``x`` of shape ``(n,)`` (``(k, n) -> (k,)`` when vectorized).
    x : array_like, shape (n,)
        The point.
    v : array_like, shape (n,)
        The direction, finite and non-zero.
    order, step, method, vectorized, full_output
        As in `derivative`; the stencil points are ``x + k step v``. The default step is
        ``2^-7`` (``2^-5`` for ``order=2``) times the smallest ``max(1, |x_i|) / |v_i|`` over
        the coordinates `v` moves, so that no coordinate moves beyond its own scale.

    Returns
    -------
    float or Estimate
        The directional derivative (second directional derivative with ``order=2``).

    Raises
    ------
    TypeError
        If `f` is not callable or returns a non-number.
    ValueError
        If `x` or `v` is not a finite 1-D array of the same length, `v` is zero, `f` returns
        a non-scalar or a non-finite value at `x`, or an option is invalid.

    Warns
    -----
    UnreliableDerivativeWarning
        When the estimate cannot be trusted (see `derivative`).

    See Also
    --------
    gradient, partial_derivative

    Examples
    --------
    >>> from calcref import numeric
    >>> f = lambda p: p[0] ** 2 - p[1] ** 2
    >>> print(round(numeric.directional_derivative(f, [1.0, 2.0], [0.6, 0.8]), 10))
    -2.0
    """
    check.check_callable(f)
    point = check.as_vector_point(x)
    direction = check.as_direction(v, point.size)
    _check_point_size(point, order, direction)
    _check_options(order, method, step)
    check.check_flag(vectorized, "vectorized")
    check.check_flag(full_output, "full_output")
    sampler = _Sampler(f, scalar_input=False, scalar_output=True, vectorized=vectorized)
    if step is not None:
        return _along_one_line(sampler, point, direction, order, method, step, full_output)
    # D_(s u) f = s^order D_u f: dividing v by a power of two s moves no stencil point, and
    # keeps a tiny or huge v (1e-300, 5e-324, 1e300) from overflowing the step along it.
    size = _power_of_two_at_least(float(np.max(np.abs(direction))))
    with np.errstate(over="ignore"):  # a derivative beyond float64 is reported, not raised
        factor = float(np.float64(size) ** order)
    return _along_one_line(
        sampler, point, direction / size, order, method, None, full_output, factor
    )


def _coordinate_derivatives(
    sampler: _Sampler, point: FloatArray, method: Method, step: float | None, full_output: bool
) -> Any:
    """Differentiate along every axis: the columns (m, n) of a Jacobian, or a gradient."""
    directions = np.eye(point.size)
    scales = np.array([_scale(point, u) for u in directions])
    lines = [_Line(u) for u in directions]
    results = _line_results(sampler, point, lines, scales, order=1, method=method, step=step)
    value, error, scale = (
        np.stack([getattr(r, part) for r in results], axis=1)
        for part in ("value", "error", "scale")
    )
    if sampler.scalar_output:
        value, error, scale = value[0], error[0], scale[0]
    return _report(value, error, scale, sampler, results, full_output)


def gradient(
    f: ScalarFn,
    x: ArrayLike,
    /,
    *,
    step: float | None = None,
    method: Method = "central",
    vectorized: bool = False,
    full_output: bool = False,
) -> Any:
    """Approximate the gradient of a scalar field.

    Parameters
    ----------
    f : callable
        ``f(x) -> float`` for ``x`` of shape ``(n,)``. With ``vectorized=True``, ``f`` is called
        with an array of shape ``(k, n)``, one point per row, and returns shape ``(k,)``: the
        stencils of all coordinates go in one call per round.
    x : array_like, shape (n,)
        The point.
    step, method, vectorized, full_output
        As in `derivative`; each coordinate ``i`` gets its own step from ``max(1, |x_i|)``.

    Returns
    -------
    ndarray of float64, shape (n,), or Estimate
        The gradient ``[∂f/∂x_1, ..., ∂f/∂x_n]``.

    Raises
    ------
    TypeError
        If `f` is not callable or returns a non-number.
    ValueError
        If `x` is not a finite 1-D array, `f` returns a non-scalar or a non-finite value at
        `x`, or an option is invalid.

    Warns
    -----
    UnreliableDerivativeWarning
        When any component cannot be trusted (see `derivative`).

    See Also
    --------
    jacobian, hessian, partial_derivative

    Examples
    --------
    >>> import numpy as np
    >>> from calcref import numeric
    >>> numeric.gradient(lambda v: v @ v, [1.0, 2.0]).round(10).tolist()
    [2.0, 4.0]
    >>> est = numeric.gradient(lambda v: np.sin(v[0]) * v[1], [0.5, 2.0], full_output=True)
    >>> est.value.round(10).tolist(), est.evaluations
    ([1.7551651238, 0.4794255386], 39)

    One round is 6 evaluations per coordinate plus 1 at ``x``. Along ``v[0]`` the first round
    is limited by round-off, so a wide 15-point round follows (14 more); ``f`` is linear in
    ``v[1]``, whose first round shows only round-off, so it tries two larger steps (6 each).
    """
    check.check_callable(f)
    point = check.as_vector_point(x)
    _check_options(1, method, step)
    check.check_flag(vectorized, "vectorized")
    check.check_flag(full_output, "full_output")
    sampler = _Sampler(f, scalar_input=False, scalar_output=True, vectorized=vectorized)
    return _coordinate_derivatives(sampler, point, method, step, full_output)


def jacobian(
    f: VectorFn,
    x: ArrayLike,
    /,
    *,
    step: float | None = None,
    method: Method = "central",
    vectorized: bool = False,
    full_output: bool = False,
) -> Any:
    """Approximate the Jacobian matrix of a vector-valued function.

    Parameters
    ----------
    f : callable
        ``f(x) -> array of shape (m,)`` for ``x`` of shape ``(n,)``. With ``vectorized=True``,
        ``f`` is called with shape ``(k, n)`` and returns shape ``(k, m)``.
    x : array_like, shape (n,)
        The point.
    step, method, vectorized, full_output
        As in `gradient`. The step of each column is adapted to all ``m`` outputs at once.

    Returns
    -------
    ndarray of float64, shape (m, n), or Estimate
        ``J[k, i] = ∂f_k/∂x_i``.

    Raises
    ------
    TypeError
        If `f` is not callable or returns a non-number.
    ValueError
        If `x` is not a finite 1-D array, `f` returns an array that is empty, not 1-D, of varying
        length, or non-finite at `x`, or an option is invalid.

    Warns
    -----
    UnreliableDerivativeWarning
        When any column cannot be trusted (see `derivative`).

    See Also
    --------
    gradient, hessian

    Examples
    --------
    >>> import numpy as np
    >>> from calcref import numeric
    >>> polar = lambda p: np.array([p[0] * np.cos(p[1]), p[0] * np.sin(p[1])])
    >>> numeric.jacobian(polar, [2.0, 0.0]).round(10).tolist()
    [[1.0, 0.0], [0.0, 2.0]]
    """
    check.check_callable(f)
    point = check.as_vector_point(x)
    _check_options(1, method, step)
    check.check_flag(vectorized, "vectorized")
    check.check_flag(full_output, "full_output")
    sampler = _Sampler(f, scalar_input=False, scalar_output=False, vectorized=vectorized)
    return _coordinate_derivatives(sampler, point, method, step, full_output)


def _complex_hessian(
    sampler: _Sampler, point: FloatArray, scales: FloatArray, step: float | None, full_output: bool
) -> Any:
    """Hessian from complex-step slopes at points moved along each axis (i <= j)."""
    n = point.size
    crossed = scales * _CROSS_STEP if step is None else np.full(n, step)
    results = _complex_second(sampler, point, np.eye(n), crossed)
    value, error, scale = np.zeros((n, n)), np.zeros((n, n)), np.zeros((n, n))
    entries = [(i, j) for i in range(n) for j in range(i, n)]
    for (i, j), result in zip(entries, results, strict=True):
        for matrix, part in ((value, result.value), (error, result.error), (scale, result.scale)):
            matrix[i, j] = matrix[j, i] = part[0]
    return _report(value, error, scale, sampler, results, full_output)


def hessian(
    f: ScalarFn,
    x: ArrayLike,
    /,
    *,
    step: float | None = None,
    method: Method = "central",
    vectorized: bool = False,
    full_output: bool = False,
) -> Any:
    """Approximate the Hessian matrix of a scalar field.

    Parameters
    ----------
    f : callable
        ``f(x) -> float`` for ``x`` of shape ``(n,)`` (``(k, n) -> (k,)`` when vectorized).
    x : array_like, shape (n,)
        The point.
    step, method, vectorized, full_output
        As in `derivative` (second order). With ``method="complex"`` entry ``(i, j)`` is the
        difference of complex-step slopes along ``x_i`` over real steps along ``x_j``
        (``1 + 2 n (n + 1)`` evaluations), and `step` is that real step.

    Returns
    -------
    ndarray of float64, shape (n, n), or Estimate
        The symmetric matrix ``H[i, j] = ∂²f/∂x_i∂x_j``.

    Raises
    ------
    TypeError
        If `f` is not callable or returns a non-number.
    ValueError
        If `x` is not a finite 1-D array (entries of magnitude at most 1e150), `f` returns a
        non-scalar or a non-finite value at `x`, or an option is invalid.

    Warns
    -----
    UnreliableDerivativeWarning
        When any entry cannot be trusted (see `derivative`).

    See Also
    --------
    gradient, jacobian

    Notes
    -----
    The diagonal is the second derivative along each scaled axis ``s_i e_i`` (6 evaluations a
    round). An off-diagonal entry is the second derivative of the difference
    ``t -> f(x + t u) - f(x + t w)`` with ``u = s_i e_i + s_j e_j`` and ``w = s_i e_i - s_j e_j``,
    which is ``4 s_i s_j H_ij``: the four-point cross stencil
    ``f(x + a + b) - f(x + a - b) - f(x - a + b) + f(x - a - b)`` at three step sizes at once
    (12 evaluations a round), measured directly rather than as a small difference of large
    curvatures. One round costs ``1 + 6 n + 6 n (n - 1)`` evaluations.

    Examples
    --------
    >>> from calcref import numeric
    >>> f = lambda p: p[0] ** 2 - p[1] ** 2 + p[0] * p[1]
    >>> numeric.hessian(f, [1.0, 2.0]).round(8).tolist()
    [[2.0, 1.0], [1.0, -2.0]]
    """
    check.check_callable(f)
    point = check.as_vector_point(x)
    _check_point_size(point, 2)
    _check_options(2, method, step, orders=(2,))
    check.check_flag(vectorized, "vectorized")
    check.check_flag(full_output, "full_output")
    sampler = _Sampler(f, scalar_input=False, scalar_output=True, vectorized=vectorized)
    n = point.size
    # With a given step the stencil moves each coordinate by exactly k * step.
    scales = np.array([_scale(point, u) for u in np.eye(n)]) if step is None else np.ones(n)
    if method == "complex":
        return _complex_hessian(sampler, point, scales, step, full_output)
    f0 = _value_at(sampler, point)
    options: dict[str, Any] = {"order": 2, "method": method, "step": step, "f0": f0}
    diagonal = _line_results(
        sampler, point, [_Line(u) for u in np.diag(scales)], np.ones(n), **options
    )
    # Each coordinate of a cross line moves by the step its own curvature settled on: x_1 at
    # 1e-6 and x_2 at 1 need steps a million apart, which one shared step cannot serve.
    cross = scales * np.array([_seed(r.step) for r in diagonal]) if step is None else scales
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    axes = np.diag(cross)
    lines = [_Line(axes[i] + axes[j], axes[i] - axes[j]) for i, j in pairs]
    results = diagonal + _line_results(sampler, point, lines, np.ones(len(lines)), **options)
    # Line i gives s_i^2 H_ii; the difference line of pair (i, j) gives 4 c_i c_j H_ij.
    divisor = np.outer(cross, cross) * 4
    divisor[np.diag_indices(n)] = scales**2
    value, error, scale = np.zeros((n, n)), np.zeros((n, n)), np.zeros((n, n))
    entries = [(i, i) for i in range(n)] + pairs
    for (i, j), result in zip(entries, results, strict=True):
        for matrix, part in ((value, result.value), (error, result.error), (scale, result.scale)):
            matrix[i, j] = matrix[j, i] = part[0] / divisor[i, j]
    return _report(value, error, scale, sampler, results, full_output)
