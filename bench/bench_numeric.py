"""Accuracy, cost and speed of calcref.numeric against scipy.differentiate, numdifftools and
plain central differences, side by side on one suite.

Run: ``uv run python bench/bench_numeric.py``

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

import numdifftools as nd
import numpy as np
from scipy import differentiate as sd

from calcref import numeric

EPS = float(np.finfo(float).eps)
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
    counter = Counter(case.f, 0 if case.kind == "derivative" else 1)
    start = time.perf_counter()
    estimate = METHODS[method](case, counter)
    elapsed = time.perf_counter() - start
    return relative_error(estimate, case.exact), counter.points, elapsed


def main() -> None:
    suite = build_suite()
    results = {(i, m): measure(case, m) for i, case in enumerate(suite) for m in METHODS}
    names = list(METHODS)
    for kind in ("derivative", "gradient", "hessian"):
        rows = [(i, c) for i, c in enumerate(suite) if c.kind == kind]
        print(f"\n## {kind}: relative error (evaluations)\n")
        header = f"| {'case':40} | " + " | ".join(f"{m:>22}" for m in names) + " |"
        print(header)
        print("|" + "-" * 42 + "|" + "|".join("-" * 24 for _ in names) + "|")
        for i, case in rows:
            cells = []
            for m in names:
                err, evals, _ = results[(i, m)]
                cells.append(f"{err:9.1e} ({evals:>7})")
            print(f"| {case.name:40} | " + " | ".join(f"{c:>22}" for c in cells) + " |")
        print(f"\n## {kind}: summary over {len(rows)} cases\n")
        print(
            "| method              | worst rel. err | median rel. err | evaluations "
            "| evals / numdifftools | time (s) |"
        )
        print("|---|---|---|---|---|---|")
        nd_evals = sum(results[(i, "numdifftools")][1] for i, _ in rows)
        for m in names:
            errs = [results[(i, m)][0] for i, _ in rows]
            evals = sum(results[(i, m)][1] for i, _ in rows)
            seconds = sum(results[(i, m)][2] for i, _ in rows)
            print(
                f"| {m:19} | {max(errs):14.1e} | {statistics.median(errs):15.1e} "
                f"| {evals:11d} | {evals / nd_evals:20.3f} | {seconds:8.3f} |"
            )
        worse = [
            case.name
            for i, case in rows
            if results[(i, "calcref")][0] > max(results[(i, "numdifftools")][0], 4 * EPS)
        ]
        print(f"\ncalcref less accurate than numdifftools on: {', '.join(worse) or 'none'}")


if __name__ == "__main__":
    main()
