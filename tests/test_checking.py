"""calcref.checking: catches small mistakes, stays quiet on correct but badly scaled claims."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import sympy as sp

from calcref import checking, numeric, symbolic

Fn = Callable[[np.ndarray], Any]


def raises(kind: type[Exception], message: str) -> Any:
    return pytest.raises(kind, match=re.escape(message))


def sigmoid(z: Any) -> Any:
    return 1 / (1 + np.exp(-z))


def stable_sigmoid_slope(z: float) -> float:
    # sigma(z) sigma(-z) = sigma (1 - sigma) without the cancellation of 1 - sigma near 1.
    return float(sigmoid(z) * sigmoid(-z))


W_X = np.array([3.0, -2.0, 5.0])

# (name, f, exact gradient, point): correct claims, several badly scaled on purpose.
CASES: list[tuple[str, Fn, Fn, list[float]]] = [
    (
        "smooth",
        lambda p: np.sin(p[0]) * p[1] ** 2,
        lambda p: np.array([np.cos(p[0]) * p[1] ** 2, 2 * np.sin(p[0]) * p[1]]),
        [0.5, 2.0],
    ),
    (
        "huge value, tiny gradient",
        lambda p: 1e12 + 1e-3 * np.sum(np.sin(p)),
        lambda p: 1e-3 * np.cos(p),
        [0.3, 0.7, -1.1],
    ),
    (
        "tiny function",
        lambda p: 1e-12 * (p[0] ** 2 + 3 * p[0] * p[1]),
        lambda p: 1e-12 * np.array([2 * p[0] + 3 * p[1], 3 * p[0]]),
        [0.4, -1.3],
    ),
    (
        "huge function",
        lambda p: 1e15 * np.exp(p[0] - p[1]),
        lambda p: 1e15 * np.exp(p[0] - p[1]) * np.array([1.0, -1.0]),
        [2.0, 0.5],
    ),
    (
        "saturated sigmoid",
        lambda w: sigmoid(W_X @ w + 1.0),
        lambda w: stable_sigmoid_slope(W_X @ w + 1.0) * W_X,
        [2.0, -3.0, 1.5],  # z = 20.5: sigma' ~ 1e-9 beside sigma ~ 1
    ),
    (
        "saturated tanh",
        lambda p: np.tanh(p[0] * p[1]),
        lambda p: 4 / (np.exp(p[0] * p[1]) + np.exp(-p[0] * p[1])) ** 2 * np.array([p[1], p[0]]),
        [3.0, 5.0],  # tanh' = sech^2(15) ~ 4e-13
    ),
    (
        "close to the kink of abs",
        lambda p: np.abs(p[0]) + p[1] ** 2,
        lambda p: np.array([np.sign(p[0]), 2 * p[1]]),
        [1e-5, 1.5],
    ),
    (
        "close to the kink of relu",
        lambda p: np.maximum(p[0] - 1.0, 0.0) * p[1],
        lambda p: np.array([p[1] * (p[0] > 1.0), max(p[0] - 1.0, 0.0)]),
        [1.0 + 1e-6, 2.0],
    ),
    (
        "exp of a large argument",
        lambda p: np.exp(p @ p),
        lambda p: 2 * np.exp(p @ p) * p,
        [4.0, -3.0],  # f ~ 7e10
    ),
]
IDS = [case[0] for case in CASES]


class TestCheckGradient:
    @pytest.mark.parametrize(("name", "f", "grad", "x"), CASES, ids=IDS)
    def test_correct_claim_passes(self, name: str, f: Fn, grad: Fn, x: list[float]) -> None:
        report = checking.check_gradient(f, grad, x)
        assert report.ok, report

    @pytest.mark.parametrize(("name", "f", "grad", "x"), CASES, ids=IDS)
    def test_one_component_wrong_by_1e_3_relative_is_caught(
        self, name: str, f: Fn, grad: Fn, x: list[float]
    ) -> None:
        for i in range(len(x)):
            factor = np.ones(len(x))
            factor[i] = 1 + 1e-3

            def wrong(p: np.ndarray, factor: np.ndarray = factor) -> Any:
                return grad(p) * factor

            report = checking.check_gradient(f, wrong, x)
            if grad(np.array(x))[i] == 0:
                assert report.ok  # 0 * (1 + 1e-3) is still right
            else:
                assert report.failures == ((i,),), report

    def test_numerical_value_matches_the_closed_form(self) -> None:
        _, f, grad, x = CASES[1]
        report = checking.check_gradient(f, grad, x)
        np.testing.assert_allclose(report.numerical, 1e-3 * np.cos(x), rtol=1e-12)
        assert report.method == "complex step"

    def test_tolerance_follows_the_stated_formula(self) -> None:
        _, f, grad, x = CASES[0]
        r = checking.check_gradient(f, grad, x, rtol=1e-7)
        eps = np.finfo(float).eps
        expected = (
            4 * r.estimate_error
            + 1e-7 * np.maximum(np.abs(r.claimed), np.abs(r.numerical))
            + 16 * eps * np.max(np.abs(r.numerical))
        )
        np.testing.assert_allclose(r.tolerance, expected, rtol=1e-12)
        assert r.difference.tolist() == np.abs(r.claimed - r.numerical).tolist()

    def test_central_differences_on_a_huge_value_widen_the_tolerance_not_false_alarm(
        self,
    ) -> None:
        # Finite differences of 1e12 + 1e-3 sin cannot resolve the gradient: the check must
        # then accept the right claim and say, through `resolution`, that it proves little.
        _, f, grad, x = CASES[1]
        report = checking.check_gradient(f, grad, x, method="central")
        assert report.ok
        assert not report.reliable
        assert report.resolution > 1e-3
        assert report.notes

    def test_function_without_complex_support_falls_back_to_central(self) -> None:
        def f(p: np.ndarray) -> float:
            if np.iscomplexobj(p):  # as a real-only routine (a C extension, say) would
                raise TypeError("real input only")
            return math.sin(p[0]) * p[1] ** 2

        def grad(p: np.ndarray) -> np.ndarray:
            return np.array([math.cos(p[0]) * p[1] ** 2, 2 * math.sin(p[0]) * p[1]])

        report = checking.check_gradient(f, grad, [0.5, 2.0])
        assert report.ok
        assert report.method == "central differences"
        assert "no complex step" in report.notes[0]
        wrong = checking.check_gradient(f, lambda p: grad(p) * [1, 1.001], [0.5, 2.0])
        assert wrong.failures == ((1,),)

    def test_non_analytic_function_rejects_the_complex_step(self) -> None:
        _, f, grad, x = CASES[6]
        report = checking.check_gradient(f, grad, x)
        assert report.method == "central differences"
        assert "complex step rejected" in report.notes[0]

    def test_cast_to_float_rejects_the_complex_step_silently(self) -> None:
        # float() on a complex NumPy scalar only warns and drops the imaginary part: the probe
        # must notice (and not leak NumPy's ComplexWarning, which it caused).
        def f(p: np.ndarray) -> float:
            return float(p[0]) ** 2

        report = checking.check_gradient(f, [2.0], [1.0])
        assert report.ok
        assert report.method == "central differences"

    def test_unreliable_estimate_asks_one_sided_differences_before_failing(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # A central stencil that straddles a kink can be wrong while its error bound is too
        # small. Simulate that: the one-sided difference on the claim's side must rescue the
        # right claim, and a wrong claim must still fail.
        def fake_gradient(f: Any, x: Any, /, *, method: str, full_output: bool) -> Any:
            values = {
                "complex": ([9.0, 9.0], [np.inf, np.inf], False),
                "central": ([0.5, 4.0], [0.01, 1e-12], False),
                "forward": ([1.0, 4.0], [1e-9, 1e-9], True),
                "backward": ([0.0, 4.0], [1e-9, 1e-9], True),
            }[method]
            return numeric.Estimate(np.array(values[0]), np.array(values[1]), 4, values[2])

        monkeypatch.setattr(numeric, "gradient", fake_gradient)
        right = checking.check_gradient(lambda p: p @ p, [1.0, 4.0], [1.0, 2.0])
        assert right.ok
        assert right.numerical.tolist() == [1.0, 4.0]
        assert "entries [(0,)] agree with a forward difference instead" in right.notes
        wrong = checking.check_gradient(lambda p: p @ p, [1.001, 4.0], [1.0, 2.0])
        assert wrong.failures == ((0,),)

    @pytest.mark.parametrize(
        "claim",
        [
            np.array([4.0, 6.0]),
            [4.0, 6.0],
            np.array([[4.0], [6.0]]),
            sp.Matrix([4, 6]),
            lambda p: np.array([[2 * p[0]], [3]]) * [[1], [2]],
        ],
        ids=["array", "list", "column", "sympy", "callable-column"],
    )
    def test_claim_forms(self, claim: Any) -> None:
        assert checking.check_gradient(lambda p: p[0] ** 2 + 6 * p[1], claim, [2.0, 1.0]).ok

    def test_nan_claim_fails(self) -> None:
        report = checking.check_gradient(lambda p: p @ p, [2.0, np.nan], [1.0, 1.0])
        assert report.failures == ((1,),)

    def test_repr_is_a_table_marking_the_wrong_entry(self) -> None:
        text = repr(checking.check_gradient(lambda p: p @ p, [2.0, 4.0], [1.0, 1.0]))
        lines = text.splitlines()
        assert lines[0] == "gradient check at x = [1, 1]: FAIL (1 wrong)"
        assert lines[1].split() == ["entry", "claimed", "numerical", "|difference|", "tolerance"]
        assert lines[2].split()[:3] == ["[0]", "2", "2"]
        assert lines[3].endswith("<-- wrong")
        assert "numerical value: complex step" in text
        assert "tolerance = 4 x its error bound" in text

    @pytest.mark.parametrize(
        ("f", "grad", "x", "kind", "message"),
        [
            (
                lambda p: p[0] * p[1] * p[2],
                [1.0, 1.0],
                [1.0, 1.0],
                ValueError,
                "`f` failed at `x` of shape (2,) with IndexError",
            ),
            (
                lambda p: p @ p,
                [1.0, 1.0, 1.0],
                [1.0, 1.0],
                ValueError,
                "`grad` must have the shape of `x`, (2,); got shape (3,).",
            ),
            (
                lambda p: p,
                [1.0, 1.0],
                [1.0, 1.0],
                ValueError,
                "`f` must return one real number; got an array of shape (2,).",
            ),
            (
                lambda p: p @ p,
                [1.0, 1.0],
                [[1.0, 1.0]],
                ValueError,
                "`x` must be a non-empty 1-D array; got shape (1, 2).",
            ),
            (
                lambda p: p @ p,
                [1.0],
                [np.nan],
                ValueError,
                "`x` must be finite; got [nan].",
            ),
            (
                lambda p: p @ p,
                ["a", "b"],
                [1.0, 1.0],
                TypeError,
                "`grad` must give real numbers; got ['a', 'b'].",
            ),
            ("p @ p", [1.0], [1.0], TypeError, "`f` must be callable; got str 'p @ p'."),
            (
                lambda p: p @ p,
                lambda p: p[:1],
                [1.0, 1.0],
                ValueError,
                "`grad` must have the shape of `x`, (2,); got shape (1,).",
            ),
            (
                lambda p: math.log(p[0]),
                [1.0],
                [-1.0],
                ValueError,
                "`f` failed at `x` of shape (1,) with ValueError: math domain error.",
            ),
            (
                lambda p: np.log(p[0]) * 0 + np.nan,
                [1.0],
                [1.0],
                ValueError,
                "`f(x)` must be finite at the point checked; got nan.",
            ),
        ],
    )
    def test_input_validation(self, f: Any, grad: Any, x: Any, kind: type, message: str) -> None:
        with raises(kind, message):
            checking.check_gradient(f, grad, x)

    @pytest.mark.parametrize(
        ("options", "message"),
        [
            ({"method": "forward"}, "`method` must be one of 'auto', 'complex', 'central'"),
            ({"rtol": 0.0}, "`rtol` must be a number between 0 and 1; got 0.0."),
            ({"rtol": -1e-6}, "`rtol` must be a number between 0 and 1; got -1e-06."),
        ],
    )
    def test_option_validation(self, options: dict[str, Any], message: str) -> None:
        with raises(ValueError, message):
            checking.check_gradient(lambda p: p @ p, [2.0], [1.0], **options)


class TestCheckDirectional:
    f = staticmethod(lambda p: np.exp(p[0]) * np.sin(p[1]) + p[2] ** 3)

    @staticmethod
    def grad(p: np.ndarray) -> np.ndarray:
        return np.array([np.exp(p[0]) * np.sin(p[1]), np.exp(p[0]) * np.cos(p[1]), 3 * p[2] ** 2])

    def test_theorem_holds_in_random_directions(self) -> None:
        rng = np.random.default_rng(7)
        for _ in range(10):
            x, v = rng.uniform(-2, 2, 3), rng.normal(size=3)
            report = checking.check_directional(self.f, self.grad, x, v)
            assert report.ok, report
            assert float(report.claimed) == pytest.approx(self.grad(x) @ v, rel=1e-15)

    def test_wrong_component_is_caught_along_that_axis(self) -> None:
        def wrong(p: np.ndarray) -> np.ndarray:
            return self.grad(p) * [1, 1 + 1e-3, 1]

        x = [0.3, 0.9, -0.4]
        assert not checking.check_directional(self.f, wrong, x, [0.0, 1.0, 0.0]).ok
        assert checking.check_directional(self.f, wrong, x, [1.0, 0.0, 0.0]).ok

    def test_direction_orthogonal_to_the_gradient(self) -> None:
        # D_v f = 0 exactly; the claim's dot product cancels, so its rounding is judged against
        # the size of the terms, not against 0.
        x = np.array([0.3, 0.9, -0.4])
        g = self.grad(x)
        v = np.array([g[1], -g[0], 0.0])
        assert checking.check_directional(self.f, self.grad, x, v).ok

    @pytest.mark.parametrize(
        ("direction", "message"),
        [
            ([1.0, 0.0], "`direction` must have the shape of `x`, (3,); got shape (2,)."),
            ([0.0, 0.0, 0.0], "`direction` must be a non-zero direction; got [0. 0. 0.]."),
        ],
    )
    def test_input_validation(self, direction: Any, message: str) -> None:
        with raises(ValueError, message):
            checking.check_directional(self.f, self.grad, [0.1, 0.2, 0.3], direction)


class TestCheckHessian:
    @staticmethod
    def f(p: np.ndarray) -> Any:
        return np.exp(p[0] * p[1]) + p[0] ** 3

    @staticmethod
    def hess(p: np.ndarray) -> np.ndarray:
        e = np.exp(p[0] * p[1])
        return np.array(
            [
                [p[1] ** 2 * e + 6 * p[0], e * (1 + p[0] * p[1])],
                [e * (1 + p[0] * p[1]), p[0] ** 2 * e],
            ]
        )

    def test_correct_hessian_passes(self) -> None:
        report = checking.check_hessian(self.f, self.hess, [0.7, -0.4])
        assert report.ok, report
        assert report.quantity == "Hessian"

    @pytest.mark.parametrize("entry", [(0, 0), (0, 1), (1, 1)])
    def test_one_entry_wrong_by_1e_3_relative_is_caught(self, entry: tuple[int, int]) -> None:
        def wrong(p: np.ndarray) -> np.ndarray:
            h = self.hess(p)
            h[entry] *= 1 + 1e-3
            return h

        assert entry in checking.check_hessian(self.f, wrong, [0.7, -0.4]).failures

    def test_shape_must_be_n_by_n(self) -> None:
        with raises(ValueError, "`hess` must have shape (n, n) for `x` of length n, (2, 2)"):
            checking.check_hessian(self.f, np.eye(3), [0.7, -0.4])


x, y, z = sp.symbols("x y z")


class TestCheckHessianOfOneVariable:
    @pytest.mark.parametrize("claim", [6.0, [6.0], lambda p: 6 * p[0]])
    def test_a_number_is_a_one_by_one_claim(self, claim: Any) -> None:
        # f'' as a plain number was refused: "must have shape (n, n) ... (1, 1); got shape ()".
        assert checking.check_hessian(lambda p: p[0] ** 3, claim, [1.0]).ok
        assert not checking.check_hessian(lambda p: p[0] ** 3, 6.01, [1.0]).ok


class TestCheckSymbolic:
    f = (x + 2 * y - 3 * z) ** 2

    def test_slides_mistake_is_caught_both_ways(self) -> None:
        report = checking.check_symbolic(self.f, [z], 2 * (x + 2 * y - 3 * z) * (-3 * z))
        assert not report.ok
        assert report.equal == (False,)
        assert len(report.spot_checks) == 3
        assert not any(check.ok for check in report.spot_checks)
        assert "DIFFERENT" in repr(report)

    def test_correct_partial_passes_both_ways(self) -> None:
        report = checking.check_symbolic(self.f, [z], -6 * (x + 2 * y - 3 * z))
        assert report.ok, report
        assert report.equal == (True,)
        assert all(set(values) == {"x", "y", "z"} for values in report.values)

    def test_gradient_claim_with_parameters(self) -> None:
        n = 3
        a, b, A = symbolic.vector("a", n), symbolic.vector("b", n), symbolic.matrix("A", n, n)
        expr = symbolic.dot(b, A * a)
        assert checking.check_symbolic(expr, a, A.T * b).ok
        wrong = checking.check_symbolic(expr, a, A * b)
        assert not wrong.ok
        assert not all(wrong.equal)

    def test_hessian_claim(self) -> None:
        g = x**3 * y + sp.exp(y)
        right = sp.Matrix([[6 * x * y, 3 * x**2], [3 * x**2, sp.exp(y)]])
        assert checking.check_symbolic(g, [x, y], right, order=2).ok
        wrong = right.copy()
        wrong[1, 1] = sp.exp(y) * 1.001
        report = checking.check_symbolic(g, [x, y], wrong, order=2)
        assert report.equal == (True, True, True, False)
        assert not report.ok

    def test_repr_names_each_entry_and_the_failing_points(self) -> None:
        report = checking.check_symbolic(x**3, [x], 5 * x, order=2)
        lines = repr(report).splitlines()
        assert lines[0] == "symbolic second derivative check w.r.t. [x]: FAIL"
        assert lines[1] == "  d2/dxdx: claimed 5*x"
        assert lines[2].split() == ["sympy", "6*x", "->", "DIFFERENT"]
        assert lines[3] == "  numerical spot checks: 0 of 3 random points pass"
        x0 = report.values[0]["x"]
        assert lines[4] == (
            f"    fails at x={x0:.4g}: claimed {5 * x0:.6g}, "
            f"numerical {report.spot_checks[0].numerical[0, 0]:.6g}"
        )
        assert report.spot_checks[0].numerical[0, 0] == pytest.approx(6 * x0, rel=1e-6)

    def test_points_outside_the_domain_are_skipped(self) -> None:
        report = checking.check_symbolic(sp.log(x) * y, [x, y], [y / x, sp.log(x)], points=4)
        assert report.ok, report
        assert len(report.spot_checks) == 4
        assert all(values["x"] > 0 for values in report.values)
        assert report.notes and report.notes[0].startswith("skipped")

    def test_reproducible(self) -> None:
        first = checking.check_symbolic(self.f, [x, z], [2 * self.f.diff(x), self.f.diff(z)])
        second = checking.check_symbolic(self.f, [x, z], [2 * self.f.diff(x), self.f.diff(z)])
        assert first.values == second.values
        assert first.equal == (False, True)

    @pytest.mark.parametrize(
        ("claimed", "kwargs", "kind", "message"),
        [
            ([1, 2], {}, ValueError, "`claimed` must be a gradient of shape (1, 1) for 1"),
            (sp.eye(2), {"order": 2}, ValueError, "`claimed` must be a Hessian of shape (1, 1)"),
            ("2*x", {}, TypeError, "`claimed` must be a SymPy expression; got str '2*x'."),
            (2 * x, {"order": 3}, ValueError, "`order` must be 1 or 2; got 3."),
            (2 * x, {"points": 0}, ValueError, "`points` must be a positive integer; got 0."),
            # 2.0 passed `order in (1, 2)` and failed later on the claim's shape.
            (2 * x, {"order": 2.0}, ValueError, "`order` must be 1 or 2; got 2.0."),
            # NumPy's own "expected non-negative integer" named no argument.
            (2 * x, {"seed": -1}, ValueError, "`seed` must be a non-negative int"),
            (2 * x, {"seed": 1.5}, TypeError, "`seed` must be an int; got 1.5."),
        ],
    )
    def test_input_validation(
        self, claimed: Any, kwargs: dict[str, Any], kind: type, message: str
    ) -> None:
        with raises(kind, message):
            checking.check_symbolic(x**2, [x], claimed, **kwargs)

    def test_numpy_integer_options(self) -> None:
        report = checking.check_symbolic(x**3, [x], 3 * x**2, points=np.int64(2), seed=np.int64(5))
        assert report.ok and len(report.spot_checks) == 2

    def test_indexed_variables(self) -> None:
        # lambdify failed inside ("'float' object is not subscriptable") for w[0] as a variable.
        w = sp.IndexedBase("w")
        assert checking.check_symbolic(
            w[0] ** 2 * w[1], [w[0], w[1]], [2 * w[0] * w[1], w[0] ** 2]
        ).ok
        assert not checking.check_symbolic(w[0] ** 2, [w[0]], 2 * w[0] + 1).ok

    @pytest.mark.parametrize(
        ("expr", "claimed"),
        [
            # Right formulas that float64 evaluates as exactly 0 at the random points, where
            # the derivative is 1e-18 to 1e-58: the spot checks failed them.
            (sp.tanh(40 * x), 40 * (1 - sp.tanh(40 * x) ** 2)),
            (
                symbolic.sigmoid(30 * x),
                30 * symbolic.sigmoid(30 * x) * (1 - symbolic.sigmoid(30 * x)),
            ),
        ],
    )
    def test_saturated_right_formula_passes(self, expr: sp.Expr, claimed: sp.Expr) -> None:
        report = checking.check_symbolic(expr, [x], claimed)
        assert report.ok, report
        wrong = checking.check_symbolic(expr, [x], claimed * sp.Rational(1001, 1000))
        assert not wrong.ok and not any(c.ok for c in wrong.spot_checks)
