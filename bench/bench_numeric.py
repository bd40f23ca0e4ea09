"""Accuracy, cost and speed of calcref.numeric against scipy.differentiate, numdifftools and
plain central differences, side by side on one suite.

Run: ``uv run python bench/bench_numeric.py``

Two calcref columns: the default (real steps, accuracy first) and ``method="complex"`` (one
complex evaluation per direction plus two real ones to check them; second derivatives difference
complex-step slopes over real steps, ``1 + 2 n (n + 1)`` evaluations). The default is held to
"never less accurate than numdifftools", the complex step to "at most 1/10 of numdifftools'
evaluations"; each kind's verdict lines report both, for both columns.

Less accurate is reported raw (any larger error) and beyond a tie tolerance of 4 ulps of the
exact value (`tie_tolerance`): the exact values are float64 roundings of the true ones, half an
ulp off, and every method returns a float64, so a gap of a few ulps ranks nothing.

Time is per call, the fastest of `REPEATS` calls (the machine is shared with other jobs; note
the load when comparing runs). calcref before the weights and Taylor inverses were cached and the
wide round added (commit 374ee7d), measured the same way under a load of ~13 on 2 cores:
derivative 0.82 ms, gradient 110 ms, Hessian 118 ms per call (means over the cases). Before
each round's analysis was batched across lines (commit 116a740), the same script under a load
of ~2.4 gave gradient 55 ms and Hessian 40 ms per call, against numdifftools' 16 ms and 13 ms.

The oracle table is the cost floor: the best error a symmetric stencil of k points per line can
reach when an oracle picks the step (a scan judged by the exact value). It shows what 1/10 of
numdifftools' evaluations (3 per line, against its 30) can buy at best with real steps.

The honesty tables check calcref's error bound against mpmath's derivatives, for real steps
and for the complex step: derivatives of one-variable functions, then gradients and Hessians of
the test suite's fields of three variables, entry by entry. Each gives how often the bound
covers the error, the worst error / bound (honest below 1), and the median bound relative to
max(|exact|, 1), a measure of tightness (the smaller, the tighter).

Every test function is written "coordinate first": ``f(v)`` takes ``v`` of shape ``(n, ...)``
and returns shape ``(...)``, so the same code serves one point (``(n,)``, for calcref,
numdifftools and plain differences) and scipy's batches (``(n, k)``). Evaluations are counted
in points (a batch of ``k`` points counts ``k``), by the wrapper, not by the libraries.
Relative error is normwise: ``max |estimate - exact| / max |exact|``.
"""

from __future__ import annotations

import math
import statistics
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import mpmath as mp
import numdifftools as nd
import numpy as np
from scipy import differentiate as sd

from calcref import numeric
from calcref.stencils import weights

EPS = float(np.finfo(float).eps)
REPEATS = 3  # timed calls per method and case; the fastest counts (the machine is shared)
Fn = Callable[[Any], Any]
BIAS, TARGET = 0.3, 0.7  # b and y of the slides' (w^T x + b - y)^2 and sigmoid(w^T x + b)


@dataclass
class Case:
    kind: str  # "derivative", "gradient" or "hessian"
    name: str
    f: Fn
    x: Any
    exact: Any


def sigmoid(t: Any) -> Any:
    return 1 / (1 + np.exp(-t))


def dot(a: np.ndarray, v: Any) -> Any:
    """a^T v for v of shape (n, ...)."""
    return np.tensordot(a, v, axes=1)


def build_suite() -> list[Case]:
    rng = np.random.default_rng(2026)
    cases: list[Case] = []

    def derivative_case(name: str, f: Fn, x: float, exact: float) -> None:
        cases.append(Case("derivative", name, f, x, exact))

    derivative_case("x^2 at 3", lambda t: t**2, 3.0, 6.0)
    derivative_case("sin at 1", np.sin, 1.0, math.cos(1.0))
    derivative_case("exp at 10", np.exp, 10.0, math.exp(10.0))
    derivative_case("sigmoid at 2", sigmoid, 2.0, float(sigmoid(2.0) * (1 - sigmoid(2.0))))
    derivative_case("log at 1e-3 (near 0)", np.log, 1e-3, 1e3)
    derivative_case("x^3 at 1e-5 (near 0)", lambda t: t**3, 1e-5, 3e-10)
    derivative_case(
        "1e8 + 1e-3 sin (flat, large)", lambda t: 1e8 + 1e-3 * np.sin(t), 1.0, 1e-3 * math.cos(1)
    )
    derivative_case("atan at 1e4 (large x)", np.arctan, 1e4, 1 / (1 + 1e8))

    def gradient_case(name: str, f: Fn, x: Any, exact: Any, hess: Any = None) -> None:
        cases.append(Case("gradient", name, f, np.asarray(x, float), np.asarray(exact, float)))
        if hess is not None:
            cases.append(Case("hessian", name, f, np.asarray(x, float), np.asarray(hess, float)))

    p = np.array([1.0, 2.0])
    gradient_case("x^2 - y^2", lambda v: v[0] ** 2 - v[1] ** 2, p, [2.0, -4.0], [[2, 0], [0, -2]])
    q = np.array([1.0, 2.0, 3.0])
    c = np.array([1.0, 2.0, -3.0])
    gradient_case(
        "(x + 2y - 3z)^2", lambda v: dot(c, v) ** 2, q, 2 * (c @ q) * c, 2 * np.outer(c, c)
    )
    for n in (10, 100):
        a, b, w, xs = (rng.normal(size=n) for _ in range(4))
        A = rng.normal(size=(n, n))
        small = n <= 10
        gradient_case(f"b^T a (n={n})", lambda v, b=b: dot(b, v), a, b)
        gradient_case(
            f"b^T A a (n={n})",
            lambda v, b=b, A=A: np.tensordot(b @ A, v, axes=1),
            a,
            A.T @ b,
        )
        gradient_case(
            f"||a||^2 (n={n})",
            lambda v: np.sum(v * v, axis=0),
            a,
            2 * a,
            2 * np.eye(n) if small else None,
        )
        r = xs @ w + BIAS - TARGET
        gradient_case(
            f"(w^T x + b - y)^2 in w (n={n})",
            lambda v, xs=xs: (dot(xs, v) + BIAS - TARGET) ** 2,
            w,
            2 * r * xs,
            2 * np.outer(xs, xs) if small else None,
        )
        z = xs @ w + BIAS
        s = float(sigmoid(z))
        gradient_case(
            f"sigmoid(w^T x + b) in w (n={n})",
            lambda v, xs=xs: sigmoid(dot(xs, v) + BIAS),
            w,
            s * (1 - s) * xs,
            s * (1 - s) * (1 - 2 * s) * np.outer(xs, xs) if small else None,
        )
        k = np.arange(1, n + 1) / n
        gradient_case(
            f"sum k sin(x_k) (n={n})",
            lambda v, k=k: dot(k, np.sin(v)),
            a,
            k * np.cos(a),
            np.diag(-k * np.sin(a)) if small else None,
        )
    # Badly scaled: variables from 1e-6 to 1e6, each term of the same size at the point.
    scales = 10.0 ** np.arange(-6, 7, 2)
    xb = scales * 1.5
    gradient_case(
        "sum (x_k/s_k)^3, x_k from 1e-6 to 1e6",
        lambda v: np.sum((v / scales.reshape(-1, *([1] * (np.ndim(v) - 1)))) ** 3, axis=0),
        xb,
        3 * (xb / scales) ** 2 / scales,
        np.diag(6 * (xb / scales) / scales**2),
    )
    xl = np.array([1.0, 2.0])
    gradient_case(
        "1e8 + x^2 + xy (large values)",
        lambda v: 1e8 + v[0] ** 2 + v[0] * v[1],
        xl,
        [2 * xl[0] + xl[1], xl[0]],
        [[2, 1], [1, 0]],
    )
    return cases


class Counter:
    """Counts the points f is evaluated at: a batch whose trailing shape is (k,) counts k."""

    def __init__(self, f: Fn, point_ndim: int) -> None:
        self.f, self.point_ndim, self.points = f, point_ndim, 0

    def __call__(self, v: Any) -> Any:
        v = np.asarray(v)
        self.points += int(np.prod(v.shape[self.point_ndim :], dtype=int))
        return self.f(v)


def run_calcref(case: Case, f: Fn) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", numeric.UnreliableDerivativeWarning)
        if case.kind == "derivative":
            return numeric.derivative(lambda t: float(f(t)), case.x)
        if case.kind == "gradient":
            return numeric.gradient(lambda v: float(f(v)), case.x)
        return numeric.hessian(lambda v: float(f(v)), case.x)


def run_calcref_complex(case: Case, f: Fn) -> Any:
    """calcref's opt-in complex step: f is called with complex points (and real ones to check)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", numeric.UnreliableDerivativeWarning)
        if case.kind == "derivative":
            return numeric.derivative(f, case.x, method="complex")
        if case.kind == "gradient":
            return numeric.gradient(f, case.x, method="complex")
        return numeric.hessian(f, case.x, method="complex")


def run_scipy(case: Case, f: Fn) -> Any:
    with np.errstate(all="ignore"):
        if case.kind == "derivative":
            return sd.derivative(f, case.x).df
        if case.kind == "gradient":
            return sd.jacobian(f, case.x).df
        return sd.hessian(f, case.x).ddf


def run_numdifftools(case: Case, f: Fn) -> Any:
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if case.kind == "derivative":
            return nd.Derivative(f)(case.x)
        if case.kind == "gradient":
            return nd.Gradient(f)(case.x)
        return nd.Hessian(f)(case.x)


def run_plain(case: Case, f: Fn) -> Any:
    """Textbook central differences: h = eps^(1/3) max(1, |x|), eps^(1/4) for Hessians."""
    if case.kind == "derivative":
        h = EPS ** (1 / 3) * max(1.0, abs(case.x))
        return (f(case.x + h) - f(case.x - h)) / (2 * h)
    x = case.x
    n = x.size
    if case.kind == "gradient":
        g = np.empty(n)
        for i in range(n):
            h = EPS ** (1 / 3) * max(1.0, abs(x[i]))
            e = np.zeros(n)
            e[i] = h
            g[i] = (f(x + e) - f(x - e)) / (2 * h)
        return g
    H = np.empty((n, n))
    steps = EPS**0.25 * np.maximum(1.0, np.abs(x))
    for i in range(n):
        for j in range(i, n):
            ei, ej = np.zeros(n), np.zeros(n)
            ei[i], ej[j] = steps[i], steps[j]
            H[i, j] = H[j, i] = (
                f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej) + f(x - ei - ej)
            ) / (4 * steps[i] * steps[j])
    return H


METHODS = {
    "calcref": run_calcref,
    "calcref complex": run_calcref_complex,
    "scipy.differentiate": run_scipy,
    "numdifftools": run_numdifftools,
    "plain central": run_plain,
}


def relative_error(estimate: Any, exact: Any) -> float:
    estimate, exact = np.asarray(estimate, float), np.asarray(exact, float)
    if estimate.shape != exact.shape:
        estimate = estimate.reshape(exact.shape)
    return float(np.max(np.abs(estimate - exact)) / np.max(np.abs(exact)))


def measure(case: Case, method: str) -> tuple[float, int, float]:
    """Relative error, evaluations and seconds per call (the best of `REPEATS` timed calls)."""
    counter = Counter(case.f, 0 if case.kind == "derivative" else 1)
    estimate = METHODS[method](case, counter)
    seconds = math.inf
    for _ in range(REPEATS):
        start = time.perf_counter()
        METHODS[method](case, case.f)
        seconds = min(seconds, time.perf_counter() - start)
    return relative_error(estimate, case.exact), counter.points, seconds


def tie_tolerance(case: Case) -> float:
    """Relative error below which two estimates count as equally good: 4 ulps of the exact value.

    The exact values are float64 roundings of the true ones (half an ulp off), and each method
    returns a float64: a gap of a few ulps says nothing about which method is better.
    """
    largest = float(np.max(np.abs(case.exact)))
    return 4 * math.ulp(largest) / largest


def ratio(a: float, b: float) -> str:
    if b == 0:
        return "inf" if a > 0 else "1"
    return f"{a / b:.2g}"


def print_kind(kind: str, suite: list[Case], results: dict[tuple[int, str], Any]) -> None:
    names = list(METHODS)
    rows = [(i, c) for i, c in enumerate(suite) if c.kind == kind]
    print(f"\n## {kind}: relative error (evaluations)\n")
    header = f"| {'case':38} | " + " | ".join(f"{m:>20}" for m in names)
    print(header + " | evals / nd | error / nd |")
    print("|" + "-" * 40 + "|" + "|".join("-" * 22 for _ in names) + "|---|---|")
    for i, case in rows:
        cells = [f"{results[(i, m)][0]:8.1e} ({results[(i, m)][1]:>6})" for m in names]
        (err, evals, _), (nd_err, nd_evals, _) = (
            results[(i, "calcref")],
            results[(i, "numdifftools")],
        )
        print(
            f"| {case.name:38} | "
            + " | ".join(f"{c:>20}" for c in cells)
            + f" | {evals / nd_evals:10.2f} | {ratio(err, nd_err):>10} |"
        )
    print(f"\n## {kind}: summary over {len(rows)} cases\n")
    print(
        "| method              | worst rel. err | median rel. err | evaluations "
        "| evals / nd (total) | evals / nd (per case, min-max) | ms / call (mean) |"
    )
    print("|---|---|---|---|---|---|---|")
    nd_evals = sum(results[(i, "numdifftools")][1] for i, _ in rows)
    for m in names:
        errs = [results[(i, m)][0] for i, _ in rows]
        evals = sum(results[(i, m)][1] for i, _ in rows)
        per_case = [results[(i, m)][1] / results[(i, "numdifftools")][1] for i, _ in rows]
        milliseconds = 1000 * statistics.mean(results[(i, m)][2] for i, _ in rows)
        print(
            f"| {m:19} | {max(errs):14.1e} | {statistics.median(errs):15.1e} "
            f"| {evals:11d} | {evals / nd_evals:18.3f} "
            f"| {min(per_case):14.2f} - {max(per_case):<13.2f} | {milliseconds:16.2f} |"
        )
    for m in ("calcref", "calcref complex"):
        print(f"\n{m}: {verdict(m, rows, results)}")


def verdict(method: str, rows: list[tuple[int, Case]], results: dict[tuple[int, str], Any]) -> str:
    """Cases where `method` is less accurate than numdifftools, raw and beyond the tie tolerance;
    how many cases it meets at most 1/10 of numdifftools' evaluations on."""
    raw, beyond = [], []
    for i, case in rows:
        (err, _, _), (nd_err, _, _) = results[(i, method)], results[(i, "numdifftools")]
        if err > nd_err:
            raw.append(f"{case.name} ({ratio(err, nd_err)}x)")
            if err > nd_err + tie_tolerance(case):
                beyond.append(case.name)
    tenth = sum(results[(i, method)][1] <= results[(i, "numdifftools")][1] / 10 for i, _ in rows)
    return (
        f"less accurate than numdifftools on: {', '.join(raw) or 'none'}; beyond 4 ulps: "
        f"{', '.join(beyond) or 'none'}; at most 1/10 of its evaluations on {tenth} of "
        f"{len(rows)} cases"
    )


def oracle_error(case: Case, points: int) -> float:
    """Best error of the symmetric ``points``-point first-derivative stencil over 200 steps."""
    offsets = tuple(k for j in range(1, points // 2 + 1) for k in (j, -j))
    w = np.array(weights(offsets, 1))
    x = np.atleast_1d(np.asarray(case.x, float))
    exact = np.atleast_1d(np.asarray(case.exact, float))
    best = np.full(x.size, np.inf)
    for i in range(x.size):
        for h in np.logspace(-9, -0.5, 200) * max(1.0, abs(x[i])):
            moved = [x.copy() for _ in offsets]
            for point, k in zip(moved, offsets, strict=True):
                point[i] += k * h
            with np.errstate(all="ignore"):
                values = np.array(
                    [float(case.f(p[0] if case.kind == "derivative" else p)) for p in moved]
                )
            best[i] = min(best[i], abs(float(w @ values) / h - exact[i]))
    return float(np.max(best) / np.max(np.abs(exact)))


def print_cost_floor(suite: list[Case]) -> None:
    cases = [
        c for c in suite if c.kind == "derivative" or (c.kind == "gradient" and c.x.size <= 10)
    ]
    cases = [c for c in cases if np.all(np.isfinite(np.atleast_1d(c.exact)))]
    print(f"\n## Cost floor: oracle-step symmetric stencils, {len(cases)} first-derivative cases\n")
    print("| points per line | evals / nd | worst rel. err | median rel. err | cases above 1e-12 |")
    print("|---|---|---|---|---|")
    for points in (2, 4, 6):
        errs = [oracle_error(c, points) for c in cases]
        above = sum(e > 1e-12 for e in errs)
        print(
            f"| {points:15d} | {points / 30:10.3f} | {max(errs):14.1e} "
            f"| {statistics.median(errs):15.1e} | {above:17d} |"
        )


# One-variable functions whose Taylor coefficients oscillate (atan, 1/(1+t^2)), fall slowly
# (tanh(3t), sin(5t)) or whose values lose digits inside f (log(1+t^2) near 0, sin(5t)): math
# versions for real steps, NumPy versions (which take complex numbers) for the complex step, and
# mpmath versions for the exact derivatives.
HONESTY = {
    "sin": (math.sin, np.sin, mp.sin),
    "exp": (math.exp, np.exp, mp.exp),
    "atan": (math.atan, np.arctan, mp.atan),
    "sigmoid": (
        lambda t: 1 / (1 + math.exp(-t)),
        lambda t: 1 / (1 + np.exp(-t)),
        lambda t: 1 / (1 + mp.exp(-t)),
    ),
    "log(1+t^2)": (
        lambda t: math.log(1 + t * t),
        lambda t: np.log(1 + t * t),
        lambda t: mp.log(1 + t * t),
    ),
    "1/(1+t^2)": (lambda t: 1 / (1 + t * t),) * 3,
    "tanh(3t)": (
        lambda t: math.tanh(3 * t),
        lambda t: np.tanh(3 * t),
        lambda t: mp.tanh(3 * t),
    ),
    "exp(t/2) sin(5t)": (
        lambda t: math.exp(t / 2) * math.sin(5 * t),
        lambda t: np.exp(t / 2) * np.sin(5 * t),
        lambda t: mp.exp(t / 2) * mp.sin(5 * t),
    ),
    "sqrt(1+t^2)": (
        lambda t: math.sqrt(1 + t * t),
        lambda t: np.sqrt(1 + t * t),
        lambda t: mp.sqrt(1 + t * t),
    ),
    "cos^3": (lambda t: math.cos(t) ** 3, lambda t: np.cos(t) ** 3, lambda t: mp.cos(t) ** 3),
    "exp(-t^2)": (
        lambda t: math.exp(-t * t),
        lambda t: np.exp(-t * t),
        lambda t: mp.exp(-t * t),
    ),
    "atan(10t)": (
        lambda t: math.atan(10 * t),
        lambda t: np.arctan(10 * t),
        lambda t: mp.atan(10 * t),
    ),
}


def print_honesty() -> None:
    """How often calcref's error bound covers its actual error, against mpmath's derivatives."""
    mp.mp.dps = 40
    points = np.random.default_rng(1).uniform(-3, 3, 40)
    cases = f"{len(HONESTY)} functions x {len(points)} points"
    print(f"\n## Honesty: calcref's error bound against its error ({cases})\n")
    print(
        "| method | order | cases | bound covers error | worst error / bound | worst rel. err "
        "| median bound (relative) | unreliable | mean evals |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for method in ("central", "complex"):
        for order in (1, 2):
            ratios, rel, bounds, evals, unreliable = [], [], [], [], 0
            for real_f, complex_f, exact_f in HONESTY.values():
                f = complex_f if method == "complex" else real_f
                for x in points:
                    exact = float(mp.diff(exact_f, mp.mpf(float(x)), order))
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore", numeric.UnreliableDerivativeWarning)
                        est = numeric.derivative(
                            f, float(x), order=order, method=method, full_output=True
                        )
                    gap = abs(est.value - exact)
                    ratios.append(gap / est.error if est.error else math.inf if gap else 0.0)
                    rel.append(gap / max(abs(exact), 1.0))
                    bounds.append(est.error / max(abs(exact), 1.0))
                    evals.append(est.evaluations)
                    unreliable += not est.reliable
            covered = sum(r <= 1 for r in ratios)
            print(
                f"| {method} | {order} | {len(ratios)} | {covered} | {max(ratios):.2f} "
                f"| {max(rel):.1e} | {statistics.median(bounds):.1e} | {unreliable} "
                f"| {statistics.mean(evals):.1f} |"
            )


# Fields of three variables (those of tests/test_numeric.py): NumPy versions (which take complex
# numbers) for calcref, mpmath versions for the exact derivatives.
FIELDS: dict[str, tuple[Fn, Fn]] = {
    "sin(x) e^y + z^2": (
        lambda v: np.sin(v[0]) * np.exp(v[1]) + v[2] ** 2,
        lambda x, y, z: mp.sin(x) * mp.exp(y) + z**2,
    ),
    "log(1 + x^2 + y^2) cos(z)": (
        lambda v: np.log(1 + v[0] ** 2 + v[1] ** 2) * np.cos(v[2]),
        lambda x, y, z: mp.log(1 + x**2 + y**2) * mp.cos(z),
    ),
    "x y z + atan(x - y)": (
        lambda v: v[0] * v[1] * v[2] + np.arctan(v[0] - v[1]),
        lambda x, y, z: x * y * z + mp.atan(x - y),
    ),
    "sigmoid(x + 2y - 3z)": (
        lambda v: sigmoid(v[0] + 2 * v[1] - 3 * v[2]),
        lambda x, y, z: 1 / (1 + mp.exp(-(x + 2 * y - 3 * z))),
    ),
    "(x + 2y - 3z)^2": (
        lambda v: (v[0] + 2 * v[1] - 3 * v[2]) ** 2,
        lambda x, y, z: (x + 2 * y - 3 * z) ** 2,
    ),
}


def exact_field_derivative(f: Fn, point: Any, kind: str) -> Any:
    """Gradient or Hessian of an mpmath field at `point`, as floats."""
    p = [mp.mpf(float(c)) for c in point]
    if kind == "gradient":
        orders = [tuple(int(k == i) for k in range(3)) for i in range(3)]
        return np.array([float(mp.diff(f, p, o)) for o in orders])
    return np.array(
        [
            [float(mp.diff(f, p, tuple((k == i) + (k == j) for k in range(3)))) for j in range(3)]
            for i in range(3)
        ]
    )


def honesty_row(label: str, ratios: list[float], bounds: list[float], unreliable: int) -> None:
    """One line of an honesty table: coverage, worst error / bound, median relative bound."""
    covered = sum(r <= 1 for r in ratios)
    print(
        f"| {label} | {len(ratios)} | {covered} | {max(ratios):.2f} "
        f"| {statistics.median(bounds):.1e} | {unreliable} |"
    )


def print_field_honesty() -> None:
    """Honesty and tightness of calcref's bounds on gradients and Hessians of 3-variable fields."""
    mp.mp.dps = 30
    rng = np.random.default_rng(2)
    # Coordinates as in the tests: 0 or of order one (a third of them 0).
    points = rng.uniform(-2, 2, (30, 3)) * (rng.uniform(size=(30, 3)) > 1 / 3)
    cases = f"{len(FIELDS)} fields x {len(points)} points, entries counted one by one"
    print(f"\n## Honesty on fields of three variables ({cases})\n")
    print(
        "Tightness is the median error bound relative to max(|exact entry|, 1): the smaller, "
        "the tighter.\n"
    )
    print(
        "| method, kind | entries | bound covers error | worst error / bound "
        "| median bound (relative) | unreliable calls |"
    )
    print("|---|---|---|---|---|---|")
    exact = {
        (name, kind, i): exact_field_derivative(mp_f, point, kind)
        for name, (_, mp_f) in FIELDS.items()
        for kind in ("gradient", "hessian")
        for i, point in enumerate(points)
    }
    for method in ("central", "complex"):
        for kind in ("gradient", "hessian"):
            ratios, bounds, unreliable = [], [], 0
            function = numeric.gradient if kind == "gradient" else numeric.hessian
            for name, (np_f, _) in FIELDS.items():
                f = np_f if method == "complex" else (lambda v, g=np_f: float(g(v)))
                for i, point in enumerate(points):
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore", numeric.UnreliableDerivativeWarning)
                        est = function(f, point, method=method, full_output=True)
                    truth = exact[(name, kind, i)]
                    gap = np.abs(est.value - truth).ravel()
                    error = np.asarray(est.error).ravel()
                    ratios += [
                        g / e if e else math.inf if g else 0.0
                        for g, e in zip(gap.tolist(), error.tolist(), strict=True)
                    ]
                    bounds += (error / np.maximum(np.abs(truth).ravel(), 1.0)).tolist()
                    unreliable += not est.reliable
            honesty_row(f"{method}, {kind}", ratios, bounds, unreliable)


def main() -> None:
    suite = build_suite()
    results = {(i, m): measure(case, m) for i, case in enumerate(suite) for m in METHODS}
    for kind in ("derivative", "gradient", "hessian"):
        print_kind(kind, suite, results)
    print_cost_floor(suite)
    print_honesty()
    print_field_honesty()


if __name__ == "__main__":
    main()
