"""calcref.symbolic against closed forms, SymPy's own calculus and random points."""

from __future__ import annotations

import math
import re
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sympy as sp
from doc_examples import docs_sybil
from sybil.example import SybilFailure

from calcref import symbolic

x, y, z, t = sp.symbols("x y z t")


def raises(kind: type[Exception], message: str) -> Any:
    return pytest.raises(kind, match=re.escape(message))


class TestDerivative:
    @pytest.mark.parametrize(
        ("expr", "order", "expected"),
        [
            (x**3 - 2 * x, 1, 3 * x**2 - 2),
            (x**3 - 2 * x, 2, 6 * x),
            (sp.sin(x**2), 1, 2 * x * sp.cos(x**2)),
            (sp.exp(3 * x), 4, 81 * sp.exp(3 * x)),
            (sp.log(x), 1, 1 / x),
        ],
    )
    def test_closed_forms(self, expr: Any, order: int, expected: Any) -> None:
        assert sp.simplify(symbolic.derivative(expr, x, order=order) - expected) == 0

    def test_other_symbols_are_constants(self) -> None:
        assert symbolic.derivative(y * x**2, x) == 2 * x * y

    def test_variable_absent_from_expression_gives_zero(self) -> None:
        assert symbolic.derivative(y**2, x) == 0

    def test_one_by_one_matrix_is_a_scalar(self) -> None:
        assert symbolic.derivative(sp.Matrix([[x**2]]), x) == 2 * x

    @pytest.mark.parametrize("order", [np.int64(2), sp.Integer(2)])
    def test_integer_order_of_any_kind(self, order: Any) -> None:
        # np.int64(2) was refused with "`order` must be a positive integer; got np.int64(2)".
        assert symbolic.derivative(x**3, x, order) == 6 * x

    @pytest.mark.parametrize(
        ("args", "kind", "message"),
        [
            (("x**2", x), TypeError, "`expr` must be a SymPy expression; got str 'x**2'."),
            ((x**2, "x"), TypeError, "`var` must be a SymPy Symbol"),
            ((x**2, 2 * x), TypeError, "`var` must be a SymPy Symbol"),
            ((x**2, x, 0), ValueError, "`order` must be a positive integer; got 0."),
            ((x**2, x, 1.5), ValueError, "`order` must be a positive integer; got 1.5."),
            ((sp.Matrix([x, y]), x), ValueError, "got a Matrix of shape (2, 1)"),
            ((lambda u: u, x), TypeError, "`expr` must be a SymPy expression; got function"),
        ],
    )
    def test_input_validation(self, args: tuple[Any, ...], kind: type, message: str) -> None:
        with raises(kind, message):
            symbolic.derivative(*args)


class TestPartialDerivative:
    f = (x + 2 * y - 3 * z) ** 2

    @pytest.mark.parametrize(("i", "var"), [(0, x), (1, y), (2, z), (-1, z), (y, y)])
    def test_matches_diff(self, i: Any, var: Any) -> None:
        assert symbolic.partial_derivative(self.f, [x, y, z], i) == sp.diff(self.f, var)

    def test_slides_example_is_times_minus_three_not_minus_three_z(self) -> None:
        result = symbolic.partial_derivative(self.f, [x, y, z], z)
        assert sp.expand(result - (-6) * (x + 2 * y - 3 * z)) == 0
        assert sp.expand(result - 2 * (x + 2 * y - 3 * z) * (-3 * z)) != 0

    @pytest.mark.parametrize(
        ("i", "kind", "message"),
        [
            (3, ValueError, "`i` must be an index into the 3 `symbols` (-3 to 2); got 3."),
            (-4, ValueError, "got -4."),
            (t, ValueError, "`i` must be one of `symbols` [x, y, z]; got t."),
            (1.0, TypeError, "`i` must be an int index or a Symbol; got float 1.0."),
            (True, TypeError, "`i` must be an int index or a Symbol; got bool True."),
        ],
    )
    def test_input_validation(self, i: Any, kind: type, message: str) -> None:
        with raises(kind, message):
            symbolic.partial_derivative(self.f, [x, y, z], i)

    @pytest.mark.parametrize("i", [np.int64(1), sp.Integer(1)])
    def test_integer_index_of_any_kind(self, i: Any) -> None:
        # sp.Integer(1) was refused as "got One 1".
        assert symbolic.partial_derivative(self.f, [x, y, z], i) == sp.diff(self.f, y)


class TestDirectionalDerivative:
    def test_equals_gradient_dot_direction_at_random_points(self) -> None:
        # The reduction g(t) = f(x0 + t v), g'(0) is computed independently of the gradient,
        # so agreeing with sp.diff-based grad f . v checks the theorem, not a tautology.
        f = sp.exp(x * y) + sp.sin(z) * x**2
        rng = np.random.default_rng(4)
        for _ in range(5):
            point = [sp.Rational(int(k), 7) for k in rng.integers(-20, 20, 3)]
            v = [sp.Rational(int(k), 5) for k in rng.integers(-10, 10, 3)]
            via_gradient = sum(
                sp.diff(f, s).subs(dict(zip([x, y, z], point, strict=True))) * c
                for s, c in zip([x, y, z], v, strict=True)
            )
            result = symbolic.directional_derivative(f, [x, y, z], point, v)
            assert sp.simplify(result - via_gradient) == 0

    def test_at_a_symbolic_point_gives_the_general_formula(self) -> None:
        a, b = sp.symbols("a b")
        result = symbolic.directional_derivative(x**2 * y, [x, y], [x, y], [a, b])
        assert sp.expand(result - (2 * x * y * a + x**2 * b)) == 0

    def test_direction_is_not_normalised(self) -> None:
        assert symbolic.directional_derivative(3 * x, [x], [1], [2]) == 6

    def test_uses_no_visible_t(self) -> None:
        # A user's own `t` must not collide with the line parameter.
        result = symbolic.directional_derivative(t * x**2, [x, t], [1, 2], [1, 0])
        assert result == 4

    def test_line_restriction(self) -> None:
        s = sp.Symbol("s")
        g = symbolic.line_restriction(x * y, [x, y], [1, 2], [3, -1], s)
        assert sp.expand(g - (1 + 3 * s) * (2 - s)) == 0

    def test_line_restriction_substitutes_simultaneously(self) -> None:
        # point (y, x): replacing x first and then y would give the wrong g.
        s = sp.Symbol("s")
        g = symbolic.line_restriction(x - y, [x, y], [y, x], [1, 0], s)
        assert sp.expand(g - (y + s - x)) == 0

    @pytest.mark.parametrize(
        ("point", "v", "kind", "message"),
        [
            ([1, 2], [1], ValueError, "`direction` must have one entry per variable (2); got 1"),
            ([1], [1, 2], ValueError, "`point` must have one entry per variable (2); got 1"),
            ("12", [1, 2], TypeError, "`point` must be a sequence of numbers"),
            ([1, "a"], [1, 2], TypeError, "`point` must contain only numbers or SymPy"),
            # Each gave nan (or a restriction full of oo) instead of an error.
            ([float("nan"), 1], [1, 2], ValueError, "`point` must be finite; got [nan, 1]."),
            ([1, 2], [math.inf, 0], ValueError, "`direction` must be finite; got [oo, 0]."),
        ],
    )
    def test_input_validation(self, point: Any, v: Any, kind: type, message: str) -> None:
        with raises(kind, message):
            symbolic.directional_derivative(x * y, [x, y], point, v)

    def test_line_parameter_must_be_new(self) -> None:
        with raises(ValueError, "`t` must be a new Symbol, absent from `expr`"):
            symbolic.line_restriction(x * t, [x], [1], [1], t)


class TestGradient:
    def test_is_a_column_in_the_order_given(self) -> None:
        g = symbolic.gradient(x**2 * y, [y, x])
        assert g.shape == (2, 1)
        assert list(g) == [x**2, 2 * x * y]

    def test_variable_absent_gives_zero_component(self) -> None:
        assert list(symbolic.gradient(x**2, [x, y])) == [2 * x, 0]

    def test_accepts_a_vector_of_symbols(self) -> None:
        a = symbolic.vector("a", 3)
        assert symbolic.gradient(symbolic.dot(a, a), a).shape == (3, 1)

    @pytest.mark.parametrize(
        ("symbols", "kind", "message"),
        [
            ({x, y}, TypeError, "`symbols` must be an ordered sequence of Symbols"),
            ([x, x], ValueError, "`symbols` must not repeat a Symbol"),
            ([], ValueError, "`symbols` must contain at least one Symbol; got []."),
            ([x, 2 * y], TypeError, "`symbols` must contain only SymPy Symbols; got Mul 2*y"),
            (x, TypeError, "got the single Symbol x. Write [x]."),
            ("xy", TypeError, "`symbols` must be an ordered sequence of Symbols; got str"),
            (sp.Matrix([[x, y], [z, t]]), ValueError, "must be a vector of Symbols"),
        ],
    )
    def test_input_validation(self, symbols: Any, kind: type, message: str) -> None:
        with raises(kind, message):
            symbolic.gradient(x * y, symbols)

    def test_numpy_input_is_refused(self) -> None:
        with raises(TypeError, "`expr` must be a SymPy expression; got ndarray"):
            symbolic.gradient(np.array([1.0]), [x])


def sigma(u: Any) -> Any:
    return 1 / (1 + sp.exp(-u))


class TestOrderedSymbolContainers:
    @pytest.mark.parametrize(
        "symbols", [np.array([x, y]), sp.Tuple(x, y)], ids=["ndarray", "Tuple"]
    )
    def test_ordered_containers_are_accepted(self, symbols: Any) -> None:
        # Both are ordered; they were refused as "must be an ordered sequence of Symbols".
        assert symbolic.gradient(x**2 * y, symbols) == sp.Matrix([2 * x * y, x**2])
        assert symbolic.hessian(x**2 * y, symbols) == sp.Matrix([[2 * y, 2 * x], [2 * x, 0]])

    def test_two_dimensional_array_is_refused(self) -> None:
        with raises(TypeError, "`symbols` must be an ordered sequence of Symbols; got ndarray"):
            symbolic.gradient(x * y, np.array([[x, y]]))


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5])
class TestVectorIdentities:
    """The gradients of the course, in denominator layout, for each dimension tried."""

    def test_gradient_of_b_transpose_a_is_b(self, n: int) -> None:
        a, b = symbolic.vector("a", n), symbolic.vector("b", n)
        assert symbolic.gradient(b.T * a, a) == b

    def test_gradient_of_quadratic_form_is_a_transpose_b(self, n: int) -> None:
        a, b, A = symbolic.vector("a", n), symbolic.vector("b", n), symbolic.matrix("A", n, n)
        g = symbolic.gradient(b.T * A * a, a)
        assert (g - A.T * b).expand() == sp.zeros(n, 1)
        if n > 1:  # A^T b differs from A b unless A is symmetric: the layout matters.
            assert (g - A * b).expand() != sp.zeros(n, 1)

    def test_gradient_of_squared_norm_is_two_a(self, n: int) -> None:
        a = symbolic.vector("a", n)
        assert symbolic.gradient(symbolic.dot(a, a), a) == 2 * a

    def test_gradient_of_squared_residual(self, n: int) -> None:
        w, xs = symbolic.vector("w", n), symbolic.vector("x", n)
        b, target = sp.symbols("b y", real=True)
        residual = symbolic.dot(w, xs) + b - target
        g = symbolic.gradient(residual**2, w)
        assert (g - 2 * residual * xs).expand() == sp.zeros(n, 1)

    def test_gradient_of_logistic_unit(self, n: int) -> None:
        w, xs = symbolic.vector("w", n), symbolic.vector("x", n)
        b = sp.Symbol("b", real=True)
        s = symbolic.sigmoid(symbolic.dot(w, xs) + b)
        g = symbolic.gradient(s, w)
        assert (g - s * (1 - s) * xs).applyfunc(sp.simplify) == sp.zeros(n, 1)

    def test_hessian_of_quadratic_form_is_a_plus_a_transpose(self, n: int) -> None:
        a, A = symbolic.vector("a", n), symbolic.matrix("A", n, n)
        assert symbolic.hessian(a.T * A * a, a) == A + A.T


class TestMatrixSymbolAgreement:
    """SymPy's own matrix calculus (MatrixSymbol) gives the same identities, for symbolic n."""

    n = sp.Symbol("n", integer=True, positive=True)

    def test_linear_and_quadratic(self) -> None:
        a, b = sp.MatrixSymbol("a", self.n, 1), sp.MatrixSymbol("b", self.n, 1)
        A = sp.MatrixSymbol("A", self.n, self.n)
        assert sp.diff(b.T * a, a) == b
        assert sp.diff(b.T * A * a, a) == A.T * b
        assert sp.diff(a.T * a, a) == 2 * a

    @pytest.mark.parametrize("n", [2, 3])
    def test_explicit_entries_match_matrix_symbol_for_fixed_n(self, n: int) -> None:
        a, b = sp.MatrixSymbol("a", n, 1), sp.MatrixSymbol("b", n, 1)
        A = sp.MatrixSymbol("A", n, n)
        ours = symbolic.gradient((b.T * A * a).as_explicit(), list(a.as_explicit()))
        theirs = sp.diff(b.T * A * a, a).as_explicit()
        assert ours == sp.Matrix(theirs)

    def test_matrix_expression_is_refused_with_advice(self) -> None:
        a = sp.MatrixSymbol("a", 3, 1)
        with raises(TypeError, "`expr` must be an explicit SymPy expression"):
            symbolic.gradient(a.T * a, [x])


class TestJacobian:
    def test_polar_coordinates(self) -> None:
        r, theta = sp.symbols("r theta", positive=True)
        J = symbolic.jacobian([r * sp.cos(theta), r * sp.sin(theta)], [r, theta])
        assert J.shape == (2, 2)
        assert sp.simplify(J.det()) == r

    def test_shape_m_by_n_and_matches_sympy(self) -> None:
        exprs = [x * y * z, x + y, sp.sin(z)]
        J = symbolic.jacobian(exprs, [x, y])
        assert J.shape == (3, 2)
        assert sp.Matrix(exprs).jacobian([x, y]) == J

    def test_jacobian_of_a_gradient_is_the_hessian(self) -> None:
        f = sp.exp(x) * y**3 + x * z
        vs = [x, y, z]
        assert symbolic.jacobian(symbolic.gradient(f, vs), vs) == symbolic.hessian(f, vs)

    @pytest.mark.parametrize(
        ("exprs", "kind", "message"),
        [
            (x * y, TypeError, "`exprs` must be a sequence or vector Matrix"),
            ([], ValueError, "`exprs` must contain at least one expression; got []."),
            ([x, "y"], TypeError, "`exprs` must be a SymPy expression; got str 'y'."),
            (sp.eye(2), ValueError, "got a Matrix of shape (2, 2)"),
        ],
    )
    def test_input_validation(self, exprs: Any, kind: type, message: str) -> None:
        with raises(kind, message):
            symbolic.jacobian(exprs, [x, y])


class TestHessian:
    def test_matches_sympy_and_is_symmetric(self) -> None:
        f = sp.exp(x * y) + sp.sin(z) * x**2
        H = symbolic.hessian(f, [x, y, z])
        assert sp.hessian(f, [x, y, z]) == H
        assert H == H.T

    def test_saddle(self) -> None:
        assert symbolic.hessian(x**2 - y**2, [x, y]) == sp.diag(2, -2)


class TestToNumeric:
    def test_scalar_returns_float(self) -> None:
        f = symbolic.to_numeric(sp.exp(x) * sp.sin(y), [x, y])
        value = f(np.array([0.5, 1.25]))
        assert isinstance(value, float)
        assert value == pytest.approx(math.exp(0.5) * math.sin(1.25), rel=1e-15)

    def test_column_becomes_one_dimensional(self) -> None:
        g = symbolic.to_numeric(symbolic.gradient(x**2 * y, [x, y]), [x, y])
        out = g([3.0, 2.0])
        assert out.shape == (2,)
        assert out.tolist() == [12.0, 9.0]

    def test_constant_components_broadcast(self) -> None:
        g = symbolic.to_numeric(symbolic.gradient(x**2, [x, y]), [x, y])
        assert g([1.5, 7.0]).tolist() == [3.0, 0.0]

    def test_matrix_keeps_its_shape(self) -> None:
        H = symbolic.to_numeric(symbolic.hessian(x**3 * y, [x, y]), [x, y])
        assert H([1.0, 2.0]).tolist() == [[12.0, 3.0], [3.0, 0.0]]

    def test_parameter_left_in_is_an_error(self) -> None:
        with raises(ValueError, "`expr` must depend only on `symbols` [x]; it also has b, y."):
            symbolic.to_numeric(x * y + sp.Symbol("b"), [x])

    def test_wrong_point_shape(self) -> None:
        f = symbolic.to_numeric(x * y, [x, y])
        with raises(ValueError, "`x` must have shape (2,), one entry per symbol of [x, y]; got"):
            f([1.0, 2.0, 3.0])

    def test_point_that_is_not_numbers(self) -> None:
        # NumPy's own "could not convert string to float: 'a'" named no argument.
        f = symbolic.to_numeric(x * y, [x, y])
        with raises(TypeError, "`x` must be an array of 2 numbers, one per symbol of [x, y]"):
            f(["a", "b"])

    def test_indexed_and_matrix_entries_as_variables(self) -> None:
        # The symbol lists accept w[0] and A[0, 0], but their free symbols include the base w
        # or A: to_numeric refused them ("it also has w"), and check_symbolic failed inside
        # lambdify ("'float' object is not subscriptable").
        w, A = sp.IndexedBase("w"), sp.MatrixSymbol("A", 2, 1)
        f = symbolic.to_numeric(w[0] ** 2 * w[1], [w[0], w[1]])
        assert f([3.0, 2.0]) == 18.0
        g = symbolic.to_numeric(sp.sin(A[0, 0]) * A[1, 0], [A[0, 0], A[1, 0]])
        assert g([0.5, 2.0]) == pytest.approx(2 * math.sin(0.5), rel=1e-15)
        with raises(ValueError, "it also has w, w[2]."):
            symbolic.to_numeric(w[0] * w[2], [w[0]])


class TestVectorAndMatrix:
    def test_vector(self) -> None:
        a = symbolic.vector("a", 3)
        assert a.shape == (3, 1)
        assert [str(s) for s in a] == ["a_1", "a_2", "a_3"]
        assert all(s.is_real for s in a)
        assert sp.latex(a[1]) == "a_{2}"

    def test_matrix(self) -> None:
        A = symbolic.matrix("A", 2, 3)
        assert A.shape == (2, 3)
        assert sp.latex(A[1, 2]) == "A_{2,3}"
        assert len(set(A)) == 6

    @pytest.mark.parametrize(
        ("call", "message"),
        [
            (lambda: symbolic.vector("a", 0), "`n` must be a positive integer; got 0."),
            (lambda: symbolic.vector("1a", 2), "`name` must be a letter followed by"),
            (lambda: symbolic.matrix("A", 2, -1), "`n` must be a positive integer; got -1."),
            (lambda: symbolic.vector("a", 2.0), "`n` must be a positive integer; got 2.0."),
        ],
    )
    def test_input_validation(self, call: Any, message: str) -> None:
        with raises(ValueError, message):
            call()

    @pytest.mark.parametrize(
        ("assumptions", "kind", "message"),
        [
            # SymPy took both silently, and the entries were then not real.
            ({"real": "yes"}, TypeError, "`assumptions` must be True or False; got real='yes'."),
            ({"bogus": True}, ValueError, "`assumptions` must be SymPy assumptions such as real"),
        ],
    )
    def test_assumptions_are_checked(
        self, assumptions: dict[str, Any], kind: type, message: str
    ) -> None:
        with raises(kind, message):
            symbolic.vector("a", 2, **assumptions)
        with raises(kind, message):
            symbolic.matrix("A", 2, 2, **assumptions)

    def test_assumptions_reach_every_entry(self) -> None:
        assert all(s.is_positive for s in symbolic.vector("a", 3, positive=True))
        assert not any(s.is_real for s in symbolic.matrix("A", 2, 2, real=False))

    def test_numpy_integer_sizes(self) -> None:
        assert symbolic.vector("a", np.int64(3)).shape == (3, 1)
        assert symbolic.matrix("A", np.int32(2), np.int64(3)).shape == (2, 3)

    def test_dot_length_mismatch(self) -> None:
        with raises(ValueError, "`w` must have one entry per variable (2); got 3"):
            symbolic.dot(symbolic.vector("a", 2), symbolic.vector("b", 3))


class TestEquivalent:
    def test_true_and_false_identities(self) -> None:
        assert symbolic.equivalent(sp.sin(x) ** 2 + sp.cos(x) ** 2, 1)
        assert symbolic.equivalent(sp.Derivative(sp.exp(2 * x), x), 2 * sp.exp(2 * x))
        assert not symbolic.equivalent(sp.Derivative(sp.exp(2 * x), x), sp.exp(2 * x))

    def test_matrices(self) -> None:
        assert symbolic.equivalent(sp.Matrix([x + x, 0]), sp.Matrix([2 * x, 0]))
        assert not symbolic.equivalent(sp.Matrix([x, 0]), sp.Matrix([x, 0, 0]))
        assert not symbolic.equivalent(sp.Matrix([x]).T, x + 1)

    def test_spot_check_rescues_an_identity_simplify_misses(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # Make simplify give up, as it does on some true identities: the random-point fallback
        # must still accept the right step and reject a wrong one.
        monkeypatch.setattr(symbolic.sp, "simplify", lambda e: e)
        d = symbolic.Derivation(sp.Derivative(sp.sin(x) ** 2, x))
        d.step(2 * sp.sin(x) * sp.cos(x), "chain rule")  # exactly what diff gives: no simplify
        d.step(sp.sin(2 * x), "double-angle formula")
        assert [s.verified_by for s in d.steps] == ["symbolic", "spot check"]
        with pytest.raises(symbolic.DerivationError, match="Step 3"):
            d.step(sp.sin(2 * x) + sp.Rational(1, 10**12), "algebra")

    def test_a_difference_that_cancels_is_proved_without_simplify(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # The sigmoid's derivative is rational in exp(-x): over a common denominator, the
        # difference from s (1 - s) cancels to 0, a proof on its own.
        def simplify_not_wanted(expr: Any) -> Any:
            raise AssertionError(f"simplify was asked about {expr}")

        monkeypatch.setattr(symbolic.sp, "simplify", simplify_not_wanted)
        s = symbolic.sigmoid(x)
        d = symbolic.Derivation(sp.Derivative(s, x)).step(s * (1 - s), "sigmoid rule")
        assert [step.verified_by for step in d.steps] == ["symbolic"]
        assert symbolic.equivalent(sp.Matrix([(x**2 - 1) / (x - 1)]), sp.Matrix([x + 1]))

    def test_non_commuting_products_are_not_spot_checked(self) -> None:
        # Numbers commute, so at every point A*B and B*A agree: only a proof may say equal.
        a, b = sp.symbols("A B", commutative=False)
        assert not symbolic.equivalent(a * b, b * a)
        assert symbolic.equivalent(a * (b + a), a * b + a**2)

    def test_what_does_not_cancel_is_not_taken_as_equal(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(symbolic.sp, "simplify", lambda e: e)
        s = symbolic.sigmoid(x)
        assert not symbolic.equivalent(sp.diff(s, x), s * (1 + s))
        assert not symbolic.equivalent((x**2 - 1) / (x - 1), x - 1)

    @pytest.mark.parametrize(
        ("a", "message"),
        [
            # Each raised from deep inside: AttributeError (None, list), SympifyError, and a
            # TypeError about subtracting two Equality objects.
            (None, "`a` must be a SymPy expression; got NoneType None."),
            ([x], "`a` must be a SymPy expression; got list [x]."),
            (lambda u: u, "`a` must be a SymPy expression; got function"),
            (sp.Eq(x, 1), "`a` must be a SymPy expression; got Equality Eq(x, 1)."),
            ("x", "`a` must be a SymPy expression; got str 'x'."),
        ],
    )
    def test_input_validation(self, a: Any, message: str) -> None:
        with raises(TypeError, message):
            symbolic.equivalent(a, x)
        with raises(TypeError, message.replace("`a`", "`b`")):
            symbolic.equivalent(x, a)

    def test_spot_check_respects_branches(self, monkeypatch: pytest.MonkeyPatch) -> None:
        # sqrt(x**2) = x only for x >= 0: random signs must catch it unless x is positive.
        monkeypatch.setattr(symbolic.sp, "simplify", lambda e: e)
        assert not symbolic.equivalent(sp.sqrt(x**2), x)
        p = sp.Symbol("p", positive=True)
        assert symbolic.equivalent(sp.sqrt(p**2 + 0 * x), p)


class TestDerivation:
    inner = x + 2 * y - 3 * z

    def chain(self) -> symbolic.Derivation:
        # sp.Mul(..., evaluate=False) keeps 2 * (inner) from being distributed by SymPy.
        return (
            symbolic.Derivation(sp.Derivative(self.inner**2, z))
            .step(sp.Mul(2, self.inner, sp.Derivative(self.inner, z), evaluate=False), "chain rule")
            .step(sp.Mul(2, self.inner, -3, evaluate=False), "linearity")
            .step(-6 * x - 12 * y + 18 * z, "algebra")
        )

    def test_steps_rules_and_result(self) -> None:
        d = self.chain()
        assert [s.rule for s in d.steps] == ["chain rule", "linearity", "algebra"]
        assert sp.expand(d.result - sp.diff((x + 2 * y - 3 * z) ** 2, z)) == 0
        d.check(-6 * (x + 2 * y - 3 * z))

    def test_wrong_step_names_number_rule_and_both_expressions(self) -> None:
        d = symbolic.Derivation(sp.Derivative(self.inner**2, z))
        d.step(sp.Mul(2, self.inner, sp.Derivative(self.inner, z), evaluate=False), "chain rule")
        wrong = sp.Mul(2, self.inner, -3 * z, evaluate=False)
        with pytest.raises(symbolic.DerivationError) as caught:
            d.step(wrong, "linearity")
        message = str(caught.value)
        assert message.startswith("Step 2 (linearity) does not follow from step 1:")
        assert f"step 2: {wrong}" in message
        assert "step 1: 2*(x + 2*y - 3*z)*Derivative(x + 2*y - 3*z, z)" in message
        assert len(d.steps) == 1  # the wrong step was not recorded
        assert isinstance(caught.value, ValueError)

    def test_wrong_first_step_is_step_one(self) -> None:
        with pytest.raises(symbolic.DerivationError, match=r"^Step 1 \(power rule\)"):
            symbolic.Derivation(sp.Derivative(x**3, x)).step(3 * x**3, "power rule")

    def test_check_fails_on_a_different_result(self) -> None:
        with raises(symbolic.DerivationError, "The derivation ends at 3*x**2, which is not"):
            symbolic.Derivation(sp.Derivative(x**3, x)).step(3 * x**2, "power rule").check(3 * x)

    def test_definition_by_a_limit(self) -> None:
        h = sp.Symbol("h")
        d = symbolic.Derivation(sp.Derivative(x**2, x)).step(
            sp.Limit(((x + h) ** 2 - x**2) / h, h, 0), "definition"
        )
        d.step(sp.Limit(2 * x + h, h, 0), "algebra").step(2 * x, "limit")
        assert d.result == 2 * x

    def test_matrix_steps(self) -> None:
        a = symbolic.vector("a", 2)
        d = symbolic.Derivation(symbolic.gradient(symbolic.dot(a, a), a)).step(2 * a, "power")
        assert d.result == 2 * a
        with pytest.raises(symbolic.DerivationError, match="same shape"):
            d.step(2 * a.T, "transpose")

    def test_latex_puts_each_step_on_a_line_and_its_rule_under_it(self) -> None:
        lines = self.chain().latex().splitlines()
        assert lines[0] == r"\begin{aligned}"
        assert lines[-1] == r"\end{aligned}"
        # The start on a line of its own, then (step, rule) pairs: a line is never as wide as
        # an expression and a rule side by side.
        assert lines[1] == r"& \frac{\partial}{\partial z} \left(x + 2 y - 3 z\right)^{2} \\"
        steps, rules = lines[2:-1:2], lines[3:-1:2]
        assert len(steps) == len(rules) == 3
        assert all(line.startswith(r"  &= ") and line.endswith(r" \\") for line in steps)
        assert rules == [
            r"  &\qquad {\small\text{(chain rule)}} \\[0.2em]",
            r"  &\qquad {\small\text{(linearity)}} \\[0.2em]",
            r"  &\qquad {\small\text{(algebra)}}",  # no row break after the last
        ]
        # The unevaluated product keeps the factor -3 visible, as on the slide.
        assert r"2 \left(x + 2 y - 3 z\right) \left(-3\right)" in steps[1]

    def test_latex_of_a_bare_start(self) -> None:
        assert symbolic.Derivation(x**2).latex() == "\\begin{aligned}\n& x^{2}\n\\end{aligned}"

    def test_latex_parenthesises_a_product_under_d_dx(self) -> None:
        d = symbolic.Derivation(sp.Derivative(x**2 * sp.sin(x), x))
        assert d.latex().splitlines()[1] == (r"& \frac{d}{d x} \left(x^{2} \sin x\right)")

    @pytest.mark.parametrize(
        ("expr", "shown"),
        [
            (sp.sin(x) * sp.cos(x) ** 2, r"\sin x \cos^{2} x"),
            (sp.log(x), r"\log x"),
            # Only a single letter loses its brackets: sin x^2 would read as (sin x)^2.
            (sp.sin(x**2), r"\sin{\left(x^{2} \right)}"),
            (sp.cos(2 * x), r"\cos{\left(2 x \right)}"),
            # A user's function keeps them: sigma(z) is not an operator name.
            (sp.Function("sigma")(x), r"\sigma{\left(x \right)}"),
        ],
    )
    def test_latex_writes_a_function_of_one_letter_without_brackets(
        self, expr: sp.Expr, shown: str
    ) -> None:
        assert symbolic.Derivation(expr).latex().splitlines()[1] == "& " + shown

    def test_latex_escapes_rule_text(self) -> None:
        d = symbolic.Derivation(x + x).step(2 * x, "collect x_1 & x_2 {50%}")
        assert r"\text{(collect x\_1 \& x\_2 \{50\%\})}" in d.latex()

    @pytest.mark.parametrize(
        ("rule", "text"),
        [
            ("cancel the common factor $h$", r"\text{(cancel the common factor $h$)}"),
            (r"$\sigma' = \sigma (1 - \sigma)$", r"\text{($\sigma' = \sigma (1 - \sigma)$)}"),
            ("the $x_i$ are constants, b_0 too", r"\text{(the $x_i$ are constants, b\_0 too)}"),
            ("a lone $ sign", r"\text{(a lone \$ sign)}"),
        ],
    )
    def test_latex_keeps_math_between_dollars_in_a_rule(self, rule: str, text: str) -> None:
        assert text in symbolic.Derivation(x + x).step(2 * x, rule).latex()

    def test_repr_lists_steps_with_rules(self) -> None:
        text = repr(self.chain())
        assert text.startswith("Derivation(Derivative((x + 2*y - 3*z)**2, z)")
        assert "  3. = -6*x - 12*y + 18*z    [algebra; symbolic]" in text

    @pytest.mark.parametrize(
        ("rule", "message"), [("", "`rule` must be a non-empty string"), (3, "got 3.")]
    )
    def test_rule_validation(self, rule: Any, message: str) -> None:
        with raises(ValueError, message):
            symbolic.Derivation(x).step(x, rule)

    def test_start_must_be_sympy(self) -> None:
        with raises(TypeError, "`start` must be a SymPy expression; got str 'x'."):
            symbolic.Derivation("x")


PAGE = textwrap.dedent(
    """\
    # A page

    ```python
    >>> import sympy as sp
    >>> from calcref import symbolic
    >>> x = sp.Symbol("x")
    >>> d = symbolic.Derivation(sp.Derivative(x**3, x)).step(3 * x**2, "power rule")
    ```

    <!-- derivation: d -->
    $$
    MATH
    $$
    """
)
GOOD_MATH = r"""\begin{aligned}
& \frac{d}{d x} x^{3} \\
  &= 3 x^{2} \\   &\qquad {\small\text{(power rule)}}
\end{aligned}"""


class TestDerivationBlocksOnPages:
    """The math a page shows for a derivation must be the derivation the code verified."""

    def run_page(self, tmp_path: Path, text: str) -> None:
        (tmp_path / "docs").mkdir()
        page = tmp_path / "docs" / "page.md"
        page.write_text(text, encoding="utf-8")
        document = docs_sybil(tmp_path).parse(page)
        examples = list(document)
        assert examples[-1].line == 10  # the derivation marker is an example of its own
        for example in examples:
            example.evaluate()

    def test_matching_math_passes_whatever_the_spacing(self, tmp_path: Path) -> None:
        self.run_page(tmp_path, PAGE.replace("MATH", GOOD_MATH))

    def test_drifted_math_fails_and_prints_the_latex_to_paste(self, tmp_path: Path) -> None:
        drifted = GOOD_MATH.replace("3 x^{2}", "3 x^{3}")
        with pytest.raises(SybilFailure) as caught:
            self.run_page(tmp_path, PAGE.replace("MATH", drifted))
        message = str(caught.value)
        assert "<!-- derivation: d --> (line 10)" in message
        assert "the math on the page is not d.latex()" in message
        assert (
            symbolic.Derivation(sp.Derivative(x**3, x)).step(3 * x**2, "power rule").latex()
            in message
        )

    def test_marker_without_math_fails(self, tmp_path: Path) -> None:
        page = PAGE.replace("$$\nMATH\n$$\n", "Some prose instead.\n")
        with pytest.raises(SybilFailure, match=r"must be followed by a \$\$ \.\.\. \$\$ block"):
            self.run_page(tmp_path, page)

    def test_unknown_name_fails(self, tmp_path: Path) -> None:
        page = PAGE.replace("derivation: d", "derivation: e").replace("MATH", GOOD_MATH)
        with pytest.raises(SybilFailure, match="no Derivation named 'e'"):
            self.run_page(tmp_path, page)

    def test_marker_quoted_in_prose_is_not_a_marker(self, tmp_path: Path) -> None:
        page = PAGE.replace("MATH", GOOD_MATH) + "\nWrite `<!-- derivation: d -->` before it.\n"
        self.run_page(tmp_path, page)
