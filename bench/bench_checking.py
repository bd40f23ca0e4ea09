"""Mutation benchmark: does a gradient checker catch plausible wrong claims, and only those?

For every identity on the site and more (several badly scaled on purpose), at random points and
dimensions, the correct gradient and plausible wrong ones (sign flip, missing factor 2, A for
A^T, dropped chain-rule factor, 1e-3 relative error in one component, wrong variable) are checked
by three checkers:

* calcref: ``checking.check_gradient(f, grad, x).ok``;
* scipy: ``scipy.optimize.check_grad`` (forward difference, step sqrt(eps)), claim accepted when
  the returned error norm is below ``1e-6 * max(1, |grad|)`` (a common rule of thumb; there is
  no official threshold);
* numdifftools: ``np.allclose(claim, nd.Gradient(f)(x))`` with NumPy's defaults
  (rtol 1e-5, atol 1e-8).

A wrong claim that passes is a miss; a correct claim that fails is a false alarm.
Run: ``uv run python bench/bench_checking.py [trials]`` (default 20 random points per identity).
"""

from __future__ import annotations

import sys
import time
import warnings
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numdifftools as nd
import numpy as np
from scipy.optimize import check_grad

from calcref import checking

Vector = np.ndarray
Fn = Callable[[Vector], Any]


@dataclass(frozen=True)
class Problem:
    """One function at one random point: its correct gradient and named wrong ones."""

    family: str
    f: Fn
    x: Vector
    grad: Fn
    wrong: dict[str, Fn]


def sigmoid(z: Any) -> Any:
    return 1 / (1 + np.exp(-z))


def one_component(grad: Fn, i: int) -> Fn:
    def wrong(p: Vector) -> Any:
        g = np.array(grad(p), dtype=complex if np.iscomplexobj(p) else float)
        g[i] *= 1 + 1e-3
        return g

    return wrong


# --- the identities -------------------------------------------------------------------------


def linear(rng: np.random.Generator, n: int) -> Problem:
    a = rng.uniform(-2, 2, n)
    return Problem(
        "b^T a (grad wrt b)",
        lambda b: b @ a,
        rng.uniform(-2, 2, n),
        lambda b: a,
        {"sign flip": lambda b: -a, "wrong variable": lambda b: b},
    )


def quadratic_form(rng: np.random.Generator, n: int) -> Problem:
    A = rng.uniform(-2, 2, (n, n))
    b = rng.uniform(-2, 2, n)
    return Problem(
        "b^T A a (grad wrt a)",
        lambda a: b @ A @ a,
        rng.uniform(-2, 2, n),
        lambda a: A.T @ b,
        {
            "A for A^T": lambda a: A @ b,
            "sign flip": lambda a: -(A.T @ b),
            "wrong variable": lambda a: A @ a,
        },
    )


def squared_norm(rng: np.random.Generator, n: int) -> Problem:
    return Problem(
        "||a||^2",
        lambda a: a @ a,
        rng.uniform(-2, 2, n),
        lambda a: 2 * a,
        {"missing factor 2": lambda a: a, "sign flip": lambda a: -2 * a},
    )


def squared_residual(rng: np.random.Generator, n: int) -> Problem:
    x, b, y = rng.uniform(-2, 2, n), rng.uniform(-1, 1), rng.uniform(-1, 1)

    def r(w: Vector) -> Any:
        return w @ x + b - y

    return Problem(
        "(w^T x + b - y)^2",
        lambda w: r(w) ** 2,
        rng.uniform(-2, 2, n),
        lambda w: 2 * r(w) * x,
        {
            "missing factor 2": lambda w: r(w) * x,
            "dropped chain factor": lambda w: 2 * r(w) * np.ones(n),
            "sign flip": lambda w: -2 * r(w) * x,
            "wrong variable": lambda w: 2 * r(w) * w,
        },
    )


def logistic(rng: np.random.Generator, n: int, saturated: bool = False) -> Problem:
    x = rng.uniform(0.5, 2, n) * rng.choice([-1, 1], n)
    w = rng.uniform(-1, 1, n)
    # Saturated: put w^T x + b between 12 and 25, where sigma' is 1e-5 to 1e-11.
    b = (rng.uniform(12, 25) - w @ x) if saturated else rng.uniform(-1, 1)

    def slope(v: Vector) -> Any:
        z = v @ x + b
        return sigmoid(z) * sigmoid(-z)  # = sigma (1 - sigma), without cancellation

    return Problem(
        "sigma(w^T x + b), saturated" if saturated else "sigma(w^T x + b)",
        lambda v: sigmoid(v @ x + b),
        w,
        lambda v: slope(v) * x,
        {
            "dropped chain factor": lambda v: slope(v) * np.ones(n),
            "sigma x for sigma(1-sigma) x": lambda v: sigmoid(v @ x + b) * x,
            "wrong variable": lambda v: slope(v) * v,
        },
    )


def slides_3d(rng: np.random.Generator, n: int) -> Problem:
    c = np.array([1.0, 2.0, -3.0])
    return Problem(
        "(x + 2y - 3z)^2 (slides)",
        lambda p: (p @ c) ** 2,
        rng.uniform(-2, 2, 3),
        lambda p: 2 * (p @ c) * c,
        {
            "slides' -3z for -3": lambda p: 2 * (p @ c) * c * np.array([1, 1, p[2]]),
            "missing factor 2": lambda p: (p @ c) * c,
            "dropped chain factor": lambda p: 2 * (p @ c) * np.ones(3),
        },
    )


def log_sum_exp(rng: np.random.Generator, n: int) -> Problem:
    def softmax(p: Vector) -> Any:
        e = np.exp(p - p.real.max())
        return e / e.sum()

    return Problem(
        "log-sum-exp",
        lambda p: np.log(np.sum(np.exp(p))),
        rng.uniform(-3, 3, n),
        softmax,
        {"unnormalised exp": lambda p: np.exp(p), "sign flip": lambda p: -softmax(p)},
    )


def rosenbrock(rng: np.random.Generator, n: int) -> Problem:
    def f(p: Vector) -> Any:
        return np.sum(100 * (p[1:] - p[:-1] ** 2) ** 2 + (1 - p[:-1]) ** 2)

    def grad(p: Vector, two: float = 2.0) -> Any:
        g = np.zeros(p.shape, dtype=p.dtype)
        g[:-1] += -4 * 100 / 2 * two * p[:-1] * (p[1:] - p[:-1] ** 2) - two * (1 - p[:-1])
        g[1:] += 100 * two * (p[1:] - p[:-1] ** 2)
        return g

    return Problem(
        "Rosenbrock",
        f,
        rng.uniform(-1.5, 1.5, max(n, 2)),
        grad,
        {"missing factor 2": lambda p: grad(p, 1.0), "sign flip": lambda p: -grad(p)},
    )


def huge_offset(rng: np.random.Generator, n: int) -> Problem:
    return Problem(
        "1e12 + 1e-3 sum sin (badly scaled)",
        lambda p: 1e12 + 1e-3 * np.sum(np.sin(p)),
        rng.uniform(-2, 2, n),
        lambda p: 1e-3 * np.cos(p),
        {
            "dropped chain factor 1e-3": lambda p: np.cos(p),
            "sign flip": lambda p: -1e-3 * np.cos(p),
            "wrong derivative (-sin)": lambda p: -1e-3 * np.sin(p),
        },
    )


def huge_exp(rng: np.random.Generator, n: int) -> Problem:
    return Problem(
        "exp(||a||^2), f up to 1e17 (badly scaled)",
        lambda a: np.exp(a @ a),
        rng.uniform(-2, 2, n) * np.sqrt(36 / (4 * n)),
        lambda a: 2 * np.exp(a @ a) * a,
        {
            "missing factor 2": lambda a: np.exp(a @ a) * a,
            "dropped chain factor": lambda a: np.exp(a @ a) * np.ones(n),
        },
    )


def tiny_scale(rng: np.random.Generator, n: int) -> Problem:
    A = rng.uniform(-1, 1, (n, n))
    return Problem(
        "1e-9 a^T A a (badly scaled)",
        lambda a: 1e-9 * (a @ A @ a),
        rng.uniform(-2, 2, n),
        lambda a: 1e-9 * (A + A.T) @ a,
        {"A for A + A^T": lambda a: 1e-9 * A @ a, "missing 1e-9": lambda a: (A + A.T) @ a},
    )


def saturated_tanh(rng: np.random.Generator, n: int) -> Problem:
    x = rng.uniform(0.5, 2, n)
    shift = rng.uniform(8, 14) - 0.0

    def z(w: Vector) -> Any:
        return w @ x + shift

    def sech2(w: Vector) -> Any:
        return 4 / (np.exp(z(w)) + np.exp(-z(w))) ** 2

    return Problem(
        "tanh(w^T x + c), saturated",
        lambda w: np.tanh(z(w)),
        rng.uniform(-0.2, 0.2, n),
        lambda w: sech2(w) * x,
        {
            "dropped chain factor": lambda w: sech2(w) * np.ones(n),
            "tanh for 1 - tanh^2": lambda w: np.tanh(z(w)) * x,
        },
    )


def near_kink(rng: np.random.Generator, n: int) -> Problem:
    def f(p: Vector) -> Any:
        return np.abs(p[0]) + np.sum(p[1:] ** 2)

    def grad(p: Vector) -> Any:
        return np.concatenate([[np.sign(p[0].real)], 2 * p[1:]])

    x = rng.uniform(-2, 2, max(n, 2))
    x[0] = rng.choice([-1, 1]) * 10 ** rng.uniform(-6, -3)  # 1e-6 to 1e-3 from the kink
    return Problem(
        "|a_0| + sum a_i^2, near the kink",
        f,
        x,
        grad,
        {
            "sign flip at the kink": lambda p: grad(p) * np.array([-1] + [1] * (len(p) - 1)),
            "missing factor 2": lambda p: np.concatenate([[np.sign(p[0].real)], p[1:]]),
        },
    )


def relu_unit(rng: np.random.Generator, n: int) -> Problem:
    x = rng.uniform(-2, 2, n)
    w = rng.uniform(-1, 1, n)
    b = 10 ** rng.uniform(-6, -3) - w @ x  # w^T x + b just above the kink

    def grad(v: Vector) -> Any:
        return (v @ x + b > 0) * x

    return Problem(
        "relu(w^T x + b), near the kink",
        lambda v: np.maximum(v @ x + b, 0.0),
        w,
        grad,
        {"wrong variable": lambda v: (v @ x + b > 0) * v, "sign flip": lambda v: -grad(v)},
    )


FAMILIES: list[Callable[[np.random.Generator, int], Problem]] = [
    linear,
    quadratic_form,
    squared_norm,
    squared_residual,
    logistic,
    lambda rng, n: logistic(rng, n, saturated=True),
    slides_3d,
    log_sum_exp,
    rosenbrock,
    huge_offset,
    huge_exp,
    tiny_scale,
    saturated_tanh,
    near_kink,
    relu_unit,
]


# --- the checkers ---------------------------------------------------------------------------


def calcref_accepts(f: Fn, grad: Fn, x: Vector) -> bool:
    return checking.check_gradient(f, grad, x).ok


def scipy_accepts(f: Fn, grad: Fn, x: Vector) -> bool:
    claim = np.asarray(grad(x), dtype=float)
    err = check_grad(lambda p: float(f(p)), lambda p: np.asarray(grad(p), float), x)
    return bool(err <= 1e-6 * max(1.0, float(np.linalg.norm(claim))))


def numdifftools_accepts(f: Fn, grad: Fn, x: Vector) -> bool:
    estimate = nd.Gradient(lambda p: float(f(p)))(x)
    return bool(np.allclose(np.asarray(grad(x), dtype=float), estimate))


CHECKERS = {
    "calcref": calcref_accepts,
    "scipy check_grad": scipy_accepts,
    "numdifftools+allclose": numdifftools_accepts,
}


# --- the run --------------------------------------------------------------------------------


def claims(problem: Problem, rng: np.random.Generator) -> list[tuple[str, Fn, bool]]:
    """(mutation name, claim, is it correct), including a 1e-3 error in a random component."""
    i = int(rng.integers(len(problem.x)))
    listed = [("correct", problem.grad, True)]
    listed += [(name, wrong, False) for name, wrong in problem.wrong.items()]
    listed.append(("1e-3 relative in one component", one_component(problem.grad, i), False))
    return listed


def counts() -> dict[str, dict[str, list[int]]]:
    return defaultdict(lambda: defaultdict(lambda: [0, 0]))


def run(trials: int) -> None:
    rng = np.random.default_rng(2026)
    # counts[checker][(family or mutation)] = [flagged, total]
    wrong_by_kind: dict[str, dict[str, list[int]]] = defaultdict(
        lambda: defaultdict(lambda: [0, 0])
    )
    wrong_by_family: dict[str, dict[str, list[int]]] = defaultdict(
        lambda: defaultdict(lambda: [0, 0])
    )
    alarms_by_family: dict[str, dict[str, list[int]]] = defaultdict(
        lambda: defaultdict(lambda: [0, 0])
    )
    seconds: dict[str, float] = defaultdict(float)
    misses: list[str] = []
    for make in FAMILIES:
        for _ in range(trials):
            problem = make(rng, int(rng.integers(2, 6)))
            for kind, claim, correct in claims(problem, rng):
                truth_differs = not correct and not np.allclose(
                    claim(problem.x), problem.grad(problem.x), rtol=1e-12, atol=0
                )
                if not correct and not truth_differs:
                    continue  # the "mutation" happens to equal the truth here (e.g. a 0 entry)
                for name, accepts in CHECKERS.items():
                    start = time.perf_counter()
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        ok = accepts(problem.f, claim, problem.x)
                    seconds[name] += time.perf_counter() - start
                    if correct:
                        if name == "calcref" and not ok:
                            misses.append(f"false alarm, {problem.family} at x={problem.x!r}")
                        alarms_by_family[name][problem.family][0] += not ok
                        alarms_by_family[name][problem.family][1] += 1
                    else:
                        wrong_by_kind[name][kind][0] += not ok
                        wrong_by_kind[name][kind][1] += 1
                        wrong_by_family[name][problem.family][0] += not ok
                        wrong_by_family[name][problem.family][1] += 1
                        if name == "calcref" and ok:
                            misses.append(f"missed, {problem.family}: {kind} at x={problem.x!r}")
    report(wrong_by_kind, wrong_by_family, alarms_by_family, seconds, misses)


def total(table: dict[str, list[int]]) -> tuple[int, int]:
    return sum(v[0] for v in table.values()), sum(v[1] for v in table.values())


def report(
    wrong_by_kind: Any, wrong_by_family: Any, alarms_by_family: Any, seconds: Any, misses: Any
) -> None:
    names = list(CHECKERS)
    width = 24
    print("Summary (detection: wrong claims flagged; false alarms: correct claims flagged)")
    print(f"{'checker':<{width}}{'detection':>20}{'false alarms':>20}{'time (s)':>10}")
    for name in names:
        caught, wrong = total(wrong_by_kind[name])
        alarms, right = total(alarms_by_family[name])
        print(
            f"{name:<{width}}{f'{caught}/{wrong} ({100 * caught / wrong:.1f}%)':>20}"
            f"{f'{alarms}/{right} ({100 * alarms / right:.1f}%)':>20}{seconds[name]:>10.1f}"
        )
    print()
    print("Detection by kind of mistake")
    print(f"{'mistake':<32}" + "".join(f"{n:>24}" for n in names))
    for kind in sorted(wrong_by_kind["calcref"]):
        cells = "".join(f"{'{}/{}'.format(*wrong_by_kind[n][kind]):>24}" for n in names)
        print(f"{kind:<32}{cells}")
    print()
    print("By function: wrong claims caught | false alarms on the correct claim")
    print(f"{'function':<44}" + "".join(f"{n:>24}" for n in names))
    for family in alarms_by_family["calcref"]:
        cells = "".join(
            "{:>24}".format(
                "{}/{} | {}/{}".format(*wrong_by_family[n][family], *alarms_by_family[n][family])
            )
            for n in names
        )
        print(f"{family:<44}{cells}")
    if misses:
        print("\ncalcref's misses and false alarms:")
        for line in misses:
            print("  " + line)


# --- Hessians (calcref against numdifftools; SciPy has no Hessian checker) ------------------


def hessian_problems(rng: np.random.Generator) -> list[tuple[str, Fn, Vector, Fn, dict[str, Fn]]]:
    n = int(rng.integers(2, 5))
    A = rng.uniform(-2, 2, (n, n))
    xs, b = rng.uniform(-2, 2, n), rng.uniform(-1, 1)

    def logistic_hessian(w: Vector) -> Any:
        s = sigmoid(w @ xs + b)
        return s * (1 - s) * (1 - 2 * s) * np.outer(xs, xs)

    def rosen_hessian(p: Vector) -> Any:
        return np.array([[1200 * p[0] ** 2 - 400 * p[1] + 2, -400 * p[0]], [-400 * p[0], 200.0]])

    def one_entry(h: Fn, i: int, j: int) -> Fn:
        def wrong(p: Vector) -> Any:
            m = np.array(h(p), dtype=float)
            m[i, j] *= 1 + 1e-3
            return m

        return wrong

    i, j = (int(k) for k in rng.integers(n, size=2))
    return [
        (
            "a^T A a",
            lambda a: a @ A @ a,
            rng.uniform(-2, 2, n),
            lambda a: A + A.T,
            {
                "2A for A + A^T": lambda a: 2 * A,
                "1e-3 in one entry": one_entry(lambda a: A + A.T, i, j),
            },
        ),
        (
            "sigma(w^T x + b)",
            lambda w: sigmoid(w @ xs + b),
            rng.uniform(-1, 1, n),
            logistic_hessian,
            {
                "missing (1 - 2 sigma)": lambda w: (
                    logistic_hessian(w) / (1 - 2 * sigmoid(w @ xs + b))
                ),
                "1e-3 in one entry": one_entry(logistic_hessian, i, j),
            },
        ),
        (
            "1e-9 a^T A a (badly scaled)",
            lambda a: 1e-9 * (a @ A @ a),
            rng.uniform(-2, 2, n),
            lambda a: 1e-9 * (A + A.T),
            {
                "2A for A + A^T": lambda a: 2e-9 * A,
                "1e-3 in one entry": one_entry(lambda a: 1e-9 * (A + A.T), i, j),
            },
        ),
        (
            "Rosenbrock (n = 2)",
            lambda p: 100 * (p[1] - p[0] ** 2) ** 2 + (1 - p[0]) ** 2,
            rng.uniform(-1.5, 1.5, 2),
            rosen_hessian,
            {
                "1e-3 in one entry": one_entry(rosen_hessian, 0, 0),
                "sign of the mixed term": lambda p: rosen_hessian(p) * [[1, -1], [-1, 1]],
            },
        ),
    ]


def run_hessians(trials: int) -> None:
    rng = np.random.default_rng(7)
    tallies = {name: [0, 0, 0, 0] for name in ("calcref", "numdifftools+allclose")}
    for _ in range(trials):
        for _family, f, x, hess, wrong in hessian_problems(rng):
            for claim, correct in [(hess, True), *((w, False) for w in wrong.values())]:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    verdicts = {
                        "calcref": checking.check_hessian(f, claim, x).ok,
                        "numdifftools+allclose": bool(
                            np.allclose(claim(x), nd.Hessian(lambda p, f=f: float(f(p)))(x))
                        ),
                    }
                for name, ok in verdicts.items():
                    if correct:
                        tallies[name][2] += not ok
                        tallies[name][3] += 1
                    else:
                        tallies[name][0] += not ok
                        tallies[name][1] += 1
    print("\nHessians (a^T A a, 1e-9 a^T A a, logistic unit, Rosenbrock: wrong factor,")
    print("sign or term, and 1e-3 in one entry)")
    print(f"{'checker':<24}{'detection':>20}{'false alarms':>20}")
    for name, (caught, wrong, alarms, right) in tallies.items():
        print(f"{name:<24}{f'{caught}/{wrong}':>20}{f'{alarms}/{right}':>20}")


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    run(count)
    run_hessians(count)
