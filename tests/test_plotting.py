"""What each figure draws, checked against closed forms and calcref's numbers, not pixels.

Each builder draws the data of its ``*_data()`` function; these tests check that data against
an independent reference (the closed form of the function drawn), then that the builder
really draws it (the lines with known gids carry those numbers).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.quiver import Quiver
from matplotlib.text import Text

from calcref import figures, numeric, plotting

EPS = float(np.finfo(float).eps)
BUILDERS = [getattr(plotting, spec.builder) for spec in figures.REGISTRY]


def line(fig: Figure, gid: str, axes_index: int | None = None) -> Line2D:
    axes = fig.axes if axes_index is None else [fig.axes[axes_index]]
    found = [item for ax in axes for item in ax.lines if item.get_gid() == gid]
    assert len(found) == 1, f"expected one line {gid!r}, found {len(found)}"
    return found[0]


def slope_of(item: Line2D) -> float:
    x, y = (np.asarray(values, dtype=float) for values in item.get_data())
    return float((y[-1] - y[0]) / (x[-1] - x[0]))


def cubic(x: Any) -> Any:
    return x**3 - 2 * x


class TestSecantToTangent:
    def test_tangent_slope_is_the_derivative(self) -> None:
        data = plotting.secant_to_tangent_data()
        assert data.tangent_slope == pytest.approx(3 * 2.0**2 - 2, abs=1e-7)

    def test_secant_slopes_follow_the_expansion(self) -> None:
        # (f(2 + h) - f(2)) / h = 10 + 6h + h**2 exactly for this cubic.
        data = plotting.secant_to_tangent_data()
        expected = [10 + 6 * h + h**2 for h in data.steps]
        assert data.secant_slopes == pytest.approx(expected, rel=1e-12)
        assert list(data.secant_slopes) == sorted(data.secant_slopes, reverse=True)

    def test_drawn_lines_carry_those_slopes(self) -> None:
        data = plotting.secant_to_tangent_data()
        fig = plotting.plot_secant_to_tangent()
        assert slope_of(line(fig, "tangent")) == pytest.approx(data.tangent_slope)
        for index, slope in enumerate(data.secant_slopes):
            secant = line(fig, f"secant-{index}")
            assert slope_of(secant) == pytest.approx(slope)
            x, y = secant.get_data()
            # Each secant passes through (x0, f(x0)).
            assert np.interp(data.x0, x, y) == pytest.approx(cubic(data.x0))
        curve_x, curve_y = line(fig, "curve").get_data()
        np.testing.assert_allclose(curve_y, cubic(np.asarray(curve_x)))


class TestZoomToTangent:
    def test_gap_to_the_tangent_shrinks_like_the_square_of_the_window(self) -> None:
        # f(2 + h) - (4 + 10h) = 6h**2 + h**3: largest at h = w on [-w, w].
        data = plotting.zoom_to_tangent_data()
        expected = [6 * w**2 + w**3 for w in data.half_widths]
        assert data.max_gaps == pytest.approx(expected, rel=1e-6)

    def test_each_panel_draws_curve_and_tangent(self) -> None:
        data = plotting.zoom_to_tangent_data()
        fig = plotting.plot_zoom_to_tangent()
        assert len(fig.axes) == len(data.half_widths)
        for index, w in enumerate(data.half_widths):
            tangent = line(fig, "tangent", index)
            assert slope_of(tangent) == pytest.approx(10.0, abs=1e-6)
            x, _ = line(fig, "curve", index).get_data()
            assert (min(x), max(x)) == pytest.approx((2 - w, 2 + w))


class TestDifferenceError:
    def test_truncation_errors_match_the_taylor_terms(self) -> None:
        data = plotting.difference_error_data()
        at = int(np.argmin(np.abs(np.log10(data.steps) + 3)))
        h = data.steps[at]
        assert data.forward_error[at] == pytest.approx(h * math.sin(1) / 2, rel=0.01)
        assert data.central_error[at] == pytest.approx(h**2 * math.cos(1) / 6, rel=0.01)

    @pytest.mark.parametrize(
        ("scheme", "window", "order"),
        [("forward", (1e-6, 1e-2), 1.0), ("central", (1e-4, 1e-1), 2.0)],
    )
    def test_log_log_slope_is_the_order(
        self, scheme: str, window: tuple[float, float], order: float
    ) -> None:
        data = plotting.difference_error_data()
        inside = (data.steps >= window[0]) & (data.steps <= window[1])
        errors = getattr(data, f"{scheme}_error")[inside]
        fitted = np.polyfit(np.log(data.steps[inside]), np.log(errors), 1)[0]
        assert fitted == pytest.approx(order, abs=0.05)

    def test_roundoff_grows_like_one_over_h(self) -> None:
        data = plotting.difference_error_data()
        inside = (data.steps >= 1e-15) & (data.steps <= 1e-11)
        errors = data.forward_error[inside]
        keep = np.isfinite(errors)
        fitted = np.polyfit(np.log(data.steps[inside][keep]), np.log(errors[keep]), 1)[0]
        assert fitted == pytest.approx(-1.0, abs=0.3)

    def test_best_steps_are_near_the_textbook_optima(self) -> None:
        # Balancing h |f''| / 2 against 2 eps |f| / h gives h ~ sqrt(eps); central, eps**(1/3).
        data = plotting.difference_error_data()
        best_forward = data.steps[np.nanargmin(data.forward_error)]
        best_central = data.steps[np.nanargmin(data.central_error)]
        assert math.sqrt(EPS) / 30 < best_forward < math.sqrt(EPS) * 30
        assert EPS ** (1 / 3) / 30 < best_central < EPS ** (1 / 3) * 30

    def test_text_alternative_states_the_drawn_best_steps(self) -> None:
        data = plotting.difference_error_data()
        alt = figures.get("difference-error").alt
        stated = re.search(
            r"forward error is smallest near h = (\S+), the central near h = (\S+)\.$", alt
        )
        assert stated, alt
        for scheme, said in zip(("forward", "central"), stated.groups(), strict=True):
            best = data.steps[np.nanargmin(getattr(data, f"{scheme}_error"))]
            assert float(said) == float(f"{best:.0e}"), (scheme, best)

    def test_guide_labels_stay_clear_of_their_lines(self) -> None:
        fig = plotting.plot_difference_error()
        fig.draw_without_rendering()
        axes = fig.axes[0]
        labels = {text.get_text(): text for text in axes.texts if "propto" in text.get_text()}
        for gid, label in [("guide-h", "h"), ("guide-h2", "h^2"), ("guide-roundoff", "1/h")]:
            box = labels[rf"$\propto {label}$"].get_window_extent()
            points = axes.transData.transform(np.column_stack(line(fig, gid).get_data()))
            assert not box.count_contains(points), gid
            # Between the points drawn, too: the guide is straight on the log-log axes.
            ends = points[[0, -1]]
            along = ends[0] + np.linspace(0, 1, 400)[:, None] * (ends[1] - ends[0])
            assert not box.count_contains(along), gid

    def test_drawn_curves_are_the_errors_and_guides_sit_above_them(self) -> None:
        data = plotting.difference_error_data()
        fig = plotting.plot_difference_error()
        for scheme in ("forward", "central"):
            _, y = line(fig, scheme).get_data()
            np.testing.assert_array_equal(y, getattr(data, f"{scheme}_error"))
        x, y = line(fig, "guide-h").get_data()
        model = np.asarray(x) * math.sin(1) / 2
        np.testing.assert_allclose(np.asarray(y) / model, plotting.GUIDE_OFFSET)


class TestTangentPlane:
    def test_gradient_of_the_dome(self) -> None:
        data = plotting.tangent_plane_data()
        np.testing.assert_allclose(data.gradient, -2 * data.point, atol=1e-9)
        assert data.value == pytest.approx(2.75)

    def test_plane_touches_the_dome_from_above(self) -> None:
        # plane - (4 - x**2 - y**2) = |q - p|**2 for the tangent plane at p.
        data = plotting.tangent_plane_data()
        q = np.stack([data.plane_x, data.plane_y], axis=-1)
        dome = 4 - data.plane_x**2 - data.plane_y**2
        np.testing.assert_allclose(
            data.plane_z - dome, np.sum((q - data.point) ** 2, axis=-1), atol=1e-8
        )

    def test_camera_is_on_the_planes_side_away_from_the_bowl(self) -> None:
        # The plane is drawn over the dome; that is right only from this side.
        data = plotting.tangent_plane_data()
        elevation, azimuth = np.radians(plotting.TANGENT_PLANE_VIEW)
        camera = np.array(
            [
                np.cos(elevation) * np.cos(azimuth),
                np.cos(elevation) * np.sin(azimuth),
                np.sin(elevation),
            ]
        )
        toward_dome = np.array([data.gradient[0], data.gradient[1], -1.0])
        assert camera @ toward_dome < 0
        fig = plotting.plot_tangent_plane()
        assert fig.axes[0].elev == pytest.approx(np.degrees(elevation))
        assert fig.axes[0].azim == pytest.approx(np.degrees(azimuth))

    def test_draws_bowl_plane_and_point(self) -> None:
        data = plotting.tangent_plane_data()
        fig = plotting.plot_tangent_plane()
        fig.draw_without_rendering()
        gids = {c.get_gid(): c for c in fig.axes[0].collections}
        assert len(gids["surfaces"].get_paths()) == (data.x.shape[0] - 1) * (data.x.shape[1] - 1)
        assert len(gids["plane"].get_paths()) == 1
        assert gids["plane"].get_zorder() > gids["surfaces"].get_zorder()
        x, y, z = (float(v[0]) for v in line(fig, "point").get_data_3d())
        assert (x, y, z) == pytest.approx((*data.point, data.value))


class TestDirectionalSlice:
    def test_slope_is_gradient_dot_direction(self) -> None:
        data = plotting.directional_slice_data()
        assert np.linalg.norm(data.direction) == pytest.approx(1.0)
        assert data.slope == pytest.approx(float(2 * data.point @ data.direction), abs=1e-7)

    def test_slice_is_the_function_along_the_line(self) -> None:
        data = plotting.directional_slice_data()
        along = data.point[:, None] + data.direction[:, None] * data.t
        np.testing.assert_allclose(data.g, along[0] ** 2 + along[1] ** 2)

    def test_drawn_tangent_has_the_directional_derivative_as_slope(self) -> None:
        data = plotting.directional_slice_data()
        fig = plotting.plot_directional_slice()
        assert slope_of(line(fig, "tangent")) == pytest.approx(data.slope)
        x, y, z = line(fig, "cut").get_data_3d()
        np.testing.assert_allclose(z, np.asarray(x) ** 2 + np.asarray(y) ** 2)


class TestPartialSlices:
    def test_partials_of_the_bowl(self) -> None:
        data = plotting.partial_slices_data()
        np.testing.assert_allclose(data.partials, [2.0, 1.0], atol=1e-7)

    def test_drawn_tangents_have_the_partials_as_slopes(self) -> None:
        data = plotting.partial_slices_data()
        fig = plotting.plot_partial_slices()
        assert slope_of(line(fig, "tangent-x")) == pytest.approx(data.partials[0])
        assert slope_of(line(fig, "tangent-y")) == pytest.approx(data.partials[1])
        x, y = line(fig, "slice-x").get_data()
        np.testing.assert_allclose(y, np.asarray(x) ** 2 + data.point[1] ** 2)


def ellipses(p: np.ndarray) -> float:
    return float(p[0] ** 2 + 3 * p[1] ** 2)


class TestGradientContours:
    def test_arrows_are_the_gradient(self) -> None:
        data = plotting.gradient_contours_data()
        expected = np.column_stack([2 * data.points[:, 0], 6 * data.points[:, 1]])
        np.testing.assert_allclose(data.gradients, expected, atol=1e-6)

    def test_arrows_point_uphill_and_across_the_level_set(self) -> None:
        data = plotting.gradient_contours_data()
        delta = 1e-4
        for point, grad in zip(data.points, data.gradients, strict=True):
            unit = grad / np.linalg.norm(grad)
            across = np.array([-unit[1], unit[0]])
            assert ellipses(point + delta * unit) - ellipses(point) > 0.9 * delta * np.linalg.norm(
                grad
            )
            # Along the level set f changes only at second order.
            assert abs(ellipses(point + delta * across) - ellipses(point)) < 10 * delta**2

    def test_drawn_quiver_is_the_scaled_gradient_at_equal_aspect(self) -> None:
        data = plotting.gradient_contours_data()
        fig = plotting.plot_gradient_contours()
        ax = fig.axes[0]
        (quiver,) = [c for c in ax.collections if isinstance(c, Quiver)]
        assert quiver.get_gid() == "gradient"
        np.testing.assert_allclose(quiver.U, data.arrow_scale * data.gradients[:, 0])
        np.testing.assert_allclose(quiver.V, data.arrow_scale * data.gradients[:, 1])
        np.testing.assert_allclose(quiver.get_offsets(), data.points)
        # Right angles only look right at equal aspect.
        assert ax.get_aspect() == 1.0


class TestDirectionalCosine:
    def test_peak_is_along_calcrefs_gradient(self) -> None:
        data = plotting.directional_cosine_data()
        grad = numeric.gradient(lambda p: p[0] ** 2 + p[1] ** 2, [1.0, 0.5])
        assert data.gradient_angle == pytest.approx(math.degrees(math.atan2(grad[1], grad[0])))

    def test_values_are_a_cosine_of_amplitude_the_gradient_norm(self) -> None:
        data = plotting.directional_cosine_data()
        phi = math.atan2(1.0, 2.0)
        expected = math.sqrt(5) * np.cos(np.radians(data.angles) - phi)
        np.testing.assert_allclose(data.values, expected, atol=1e-7)

    def test_peak_is_along_the_gradient(self) -> None:
        data = plotting.directional_cosine_data()
        step = data.angles[1] - data.angles[0]
        peak = data.angles[int(np.argmax(data.values))]
        assert abs(peak - data.gradient_angle) <= step / 2
        assert data.gradient_angle == pytest.approx(math.degrees(math.atan2(1, 2)), abs=1e-6)

    def test_drawn_curve_and_peak(self) -> None:
        data = plotting.directional_cosine_data()
        fig = plotting.plot_directional_cosine()
        np.testing.assert_array_equal(line(fig, "directional").get_ydata(), data.values)
        x, y = line(fig, "peak").get_data()
        assert (x[0], y[0]) == pytest.approx((data.gradient_angle, math.sqrt(5)), abs=1e-6)


class TestCupAndCap:
    def test_signs_of_the_second_derivative(self) -> None:
        data = plotting.cup_and_cap_data()
        assert data.centers == (-1.0, 1.0)
        assert data.second == pytest.approx((-6.0, 6.0), abs=1e-4)
        assert data.first == pytest.approx((0.0, 0.0), abs=1e-7)

    def test_quadratics_miss_the_cubic_by_exactly_the_cubic_term(self) -> None:
        # x**3 - 3x minus its second-order Taylor polynomial at a is (x - a)**3.
        data = plotting.cup_and_cap_data()
        for a, qx, qy in zip(data.centers, data.quadratic_x, data.quadratic_y, strict=True):
            np.testing.assert_allclose(qx**3 - 3 * qx - qy, (qx - a) ** 3, atol=1e-4)

    def test_drawn_quadratics_open_the_right_way(self) -> None:
        fig = plotting.plot_cup_and_cap()
        for index, sign in enumerate((-1, 1)):
            x, y = (np.asarray(v) for v in line(fig, f"quadratic-{index}").get_data())
            curvature = np.polyfit(x, y, 2)[0]
            assert np.sign(curvature) == sign


class TestSaddleHessian:
    def test_eigen_directions_are_those_of_calcrefs_hessian(self) -> None:
        data = plotting.saddle_hessian_data()
        values, vectors = np.linalg.eigh(numeric.hessian(lambda p: p[0] ** 2 - p[1] ** 2, [0, 0]))
        np.testing.assert_allclose(data.eigenvalues, values)
        np.testing.assert_allclose(np.abs(vectors.T @ data.eigenvectors), np.eye(2), atol=1e-9)

    def test_hessian_and_its_eigen_directions(self) -> None:
        data = plotting.saddle_hessian_data()
        np.testing.assert_allclose(data.hessian, [[2.0, 0.0], [0.0, -2.0]], atol=1e-5)
        np.testing.assert_allclose(data.eigenvalues, [-2.0, 2.0], atol=1e-5)
        for index, expected in enumerate(([0.0, 1.0], [1.0, 0.0])):
            vector = data.eigenvectors[:, index]
            assert abs(vector @ expected) == pytest.approx(1.0, abs=1e-6)
            np.testing.assert_allclose(
                data.hessian @ vector, data.eigenvalues[index] * vector, atol=1e-5
            )

    def test_curves_along_eigenvectors_bend_by_the_eigenvalue(self) -> None:
        data = plotting.saddle_hessian_data()
        for index in range(2):
            np.testing.assert_allclose(
                data.curves[index], data.eigenvalues[index] / 2 * data.t**2, atol=1e-5
            )

    def test_drawn_curves_lie_on_the_saddle(self) -> None:
        fig = plotting.plot_saddle_hessian()
        for index in range(2):
            x, y, z = (np.asarray(v) for v in line(fig, f"eigen-{index}").get_data_3d())
            np.testing.assert_allclose(z, x**2 - y**2, atol=1e-12)


class TestSigmoidDerivative:
    def test_numeric_derivative_is_sigma_times_one_minus_sigma(self) -> None:
        data = plotting.sigmoid_derivative_data()
        sigma = 1 / (1 + np.exp(-data.x))
        np.testing.assert_allclose(data.sigma, sigma)
        np.testing.assert_allclose(data.derivative, sigma * (1 - sigma), atol=1e-9)
        assert float(np.max(data.derivative)) == pytest.approx(0.25, abs=1e-9)

    def test_drawn_curves(self) -> None:
        data = plotting.sigmoid_derivative_data()
        fig = plotting.plot_sigmoid_derivative()
        np.testing.assert_array_equal(line(fig, "derivative").get_ydata(), data.derivative)
        np.testing.assert_array_equal(line(fig, "closed-form").get_ydata(), data.closed_form[::6])


# ------------------------------------------------------------------------------------------
# Every builder
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("builder", BUILDERS, ids=lambda b: b.__name__)
@pytest.mark.parametrize("theme", plotting.THEMES, ids=lambda t: t.name)
def test_text_is_readable_on_a_phone(builder: Callable[..., Figure], theme: plotting.Theme) -> None:
    # On a 360 px phone Material's text column is about 328 CSS px wide; the SVG scales to it.
    fig = builder(theme=theme)
    fig.draw_without_rendering()
    width_px = fig.get_size_inches()[0] * 96
    scale = min(1.0, 328 / width_px)
    texts = [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]
    assert texts
    smallest = min(t.get_fontsize() for t in texts) * 96 / 72 * scale
    assert smallest >= 9.0, f"smallest text is {smallest:.1f} px on a phone"


@pytest.mark.parametrize("builder", BUILDERS, ids=lambda b: b.__name__)
def test_colours_come_from_the_theme(builder: Callable[..., Figure]) -> None:
    fig = builder(theme="dark")
    allowed = {
        c.lower()
        for c in (*plotting.DARK.data_colors, plotting.DARK.foreground, plotting.DARK.muted)
    }
    used = {
        _hex(item.get_color())
        for item in fig.findobj(Line2D)
        if item.get_visible() and len(item.get_xdata()) > 0
    }
    assert used <= allowed, used - allowed


def _hex(colour: Any) -> str:
    from matplotlib.colors import to_hex

    return to_hex(colour).lower()


def _luminance(colour: str) -> float:
    from matplotlib.colors import to_rgb

    channels = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in to_rgb(colour)]
    return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]


def _contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("theme", plotting.THEMES, ids=lambda t: t.name)
def test_theme_colours_meet_wcag_contrast_on_their_page(theme: plotting.Theme) -> None:
    # WCAG 2.1: text 4.5:1 (1.4.3), graphical objects 3:1 (1.4.11).
    for text in (theme.foreground, theme.muted):
        assert _contrast(text, theme.background) >= 4.5, text
    for data in theme.data_colors:
        assert _contrast(data, theme.background) >= 3.0, data


def test_themes_match_materials_palettes() -> None:
    # Material's default scheme is white; slate is hsl(232, 15%, 14%).
    assert _hex(plotting.LIGHT.background) == "#ffffff"
    red, green, blue = (int(plotting.DARK.background[i : i + 2], 16) for i in (1, 3, 5))
    assert (red, green, blue) == pytest.approx((30, 32, 41), abs=1)


class TestBuilderArguments:
    def test_draws_into_a_given_axes(self) -> None:
        fig = Figure()
        ax = fig.add_subplot()
        assert plotting.plot_cup_and_cap(ax=ax) is fig
        assert any(item.get_gid() == "curve" for item in ax.lines)

    def test_draws_into_a_given_figure(self) -> None:
        fig = Figure()
        assert plotting.plot_zoom_to_tangent(fig=fig) is fig
        assert len(fig.axes) == 3

    def test_3d_builder_needs_3d_axes(self) -> None:
        ax = Figure().add_subplot()
        with pytest.raises(
            TypeError, match=re.escape("`ax` must be a 3D Axes (projection='3d'); got Axes.")
        ):
            plotting.plot_tangent_plane(ax=ax)

    def test_2d_builder_refuses_3d_axes(self) -> None:
        ax = Figure().add_subplot(projection="3d")
        with pytest.raises(
            TypeError, match=re.escape("`ax` must be a 2D matplotlib Axes; got Axes3D.")
        ):
            plotting.plot_sigmoid_derivative(ax=ax)

    @pytest.mark.parametrize(
        ("theme", "error", "message"),
        [
            ("sepia", ValueError, "`theme` must be 'light' or 'dark'; got 'sepia'."),
            (3, TypeError, "`theme` must be a Theme or 'light' or 'dark'; got int."),
        ],
    )
    def test_theme_validation(self, theme: Any, error: type[Exception], message: str) -> None:
        with pytest.raises(error, match=re.escape(message)):
            plotting.plot_cup_and_cap(theme=theme)

    def test_fig_must_be_a_figure(self) -> None:
        with pytest.raises(
            TypeError, match=re.escape("`fig` must be a matplotlib Figure; got Axes.")
        ):
            plotting.plot_zoom_to_tangent(fig=Figure().add_subplot())  # type: ignore[arg-type]

    def test_builders_leave_global_style_untouched(self) -> None:
        import matplotlib as mpl

        before = dict(mpl.rcParams)
        plotting.plot_tangent_plane(theme="dark")
        assert dict(mpl.rcParams) == before
