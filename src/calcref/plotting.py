"""Figure builders: every concept of the course, drawn from calcref's own numbers.

Each figure has a ``*_data()`` function that computes what is drawn (with
:mod:`calcref.numeric`) and returns it as a frozen dataclass, and a ``plot_*()`` builder that
draws that data and returns a Matplotlib :class:`~matplotlib.figure.Figure`. Builders use the
object-oriented API only (no pyplot state, no ``savefig``), take the colour theme as a keyword,
and draw into a given ``ax`` (one-panel figures) or ``fig`` (several panels) when one is passed.

The site's figures, their file names and alt text are listed in :mod:`calcref.figures`, which
renders them to SVG.

Examples
--------
>>> from calcref import plotting
>>> data = plotting.secant_to_tangent_data()
>>> print(round(data.tangent_slope, 6))
10.0
>>> fig = plotting.plot_secant_to_tangent(theme="dark")
>>> [line.get_gid() for line in fig.axes[0].lines][:2]
['curve', 'tangent']
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import matplotlib as mpl
import numpy as np
from cycler import cycler
from matplotlib.axes import Axes
from matplotlib.figure import Figure, SubFigure
from matplotlib.lines import Line2D
from mpl_toolkits.mplot3d import Axes3D
from numpy.typing import NDArray

from calcref import numeric

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

__all__ = [
    "DARK",
    "LIGHT",
    "THEMES",
    "CupAndCapData",
    "DifferenceErrorData",
    "DirectionalCosineData",
    "DirectionalSliceData",
    "GradientContoursData",
    "PartialSlicesData",
    "SaddleHessianData",
    "SecantToTangentData",
    "SigmoidDerivativeData",
    "TangentPlaneData",
    "Theme",
    "ZoomToTangentData",
    "cup_and_cap_data",
    "difference_error_data",
    "directional_cosine_data",
    "directional_slice_data",
    "gradient_contours_data",
    "partial_slices_data",
    "plot_cup_and_cap",
    "plot_difference_error",
    "plot_directional_cosine",
    "plot_directional_slice",
    "plot_gradient_contours",
    "plot_partial_slices",
    "plot_saddle_hessian",
    "plot_secant_to_tangent",
    "plot_sigmoid_derivative",
    "plot_tangent_plane",
    "plot_zoom_to_tangent",
    "saddle_hessian_data",
    "secant_to_tangent_data",
    "sigmoid_derivative_data",
    "tangent_plane_data",
    "zoom_to_tangent_data",
]

FloatArray = NDArray[np.float64]

# --------------------------------------------------------------------------------------------
# Themes
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Theme:
    """Colours of one site palette; figures are transparent and drawn over ``background``.

    Attributes
    ----------
    name : str
        ``"light"`` or ``"dark"``.
    background : str
        The page colour of Material's palette the figure is shown on (not painted).
    foreground, muted : str
        Text and axes colours (contrast >= 4.5:1 with ``background``).
    grid : str
        Grid lines: decoration, deliberately faint.
    primary, accent, tertiary, quaternary : str
        Data colours (contrast >= 3:1 with ``background``, told apart by line style too).
    surface : str
        Colour of 3D surfaces, shaded by Matplotlib's light source.
    """

    name: str
    background: str
    foreground: str
    muted: str
    grid: str
    primary: str
    accent: str
    tertiary: str
    quaternary: str
    surface: str

    @property
    def data_colors(self) -> tuple[str, str, str, str]:
        """The four data colours, in the order builders use them."""
        return (self.primary, self.accent, self.tertiary, self.quaternary)

    def rc(self) -> dict[RcKeyType, Any]:
        """Matplotlib rcParams for this theme: fonts readable on a phone, no backgrounds."""
        return {
            "font.family": "DejaVu Sans",
            "mathtext.fontset": "dejavusans",
            "font.size": FONT_SIZE,
            "axes.titlesize": FONT_SIZE,
            "axes.labelsize": FONT_SIZE,
            "xtick.labelsize": FONT_SIZE,
            "ytick.labelsize": FONT_SIZE,
            "legend.fontsize": FONT_SIZE,
            "legend.frameon": False,
            "legend.handlelength": 1.6,
            "text.color": self.foreground,
            "axes.labelcolor": self.foreground,
            "axes.titlecolor": self.foreground,
            "axes.edgecolor": self.muted,
            "axes.facecolor": "none",
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": False,
            "xtick.color": self.muted,
            "ytick.color": self.muted,
            "xtick.labelcolor": self.foreground,
            "ytick.labelcolor": self.foreground,
            "grid.color": self.grid,
            "grid.linewidth": 0.6,
            "figure.facecolor": "none",
            "figure.edgecolor": "none",
            "savefig.facecolor": "none",
            "savefig.edgecolor": "none",
            "savefig.transparent": True,
            "lines.linewidth": 2.0,
            "axes.prop_cycle": cycler(color=list(self.data_colors)),
            "axes3d.xaxis.panecolor": (0.0, 0.0, 0.0, 0.0),
            "axes3d.yaxis.panecolor": (0.0, 0.0, 0.0, 0.0),
            "axes3d.zaxis.panecolor": (0.0, 0.0, 0.0, 0.0),
            # Byte-identical SVG from build to build, and text as paths so it never depends
            # on the reader's fonts (see calcref.figures for the measured trade-off).
            "svg.hashsalt": "calcref",
            "svg.fonttype": "path",
            "path.simplify": True,
        }


#: Smallest text in every figure, in points. Figures are at most 6 in wide, so on a phone whose
#: content column is 328 CSS px this text is still >= 9 px tall.
FONT_SIZE = 12.0

#: Material's ``default`` scheme with the indigo palette.
LIGHT = Theme(
    name="light",
    background="#ffffff",
    foreground="#212121",
    muted="#5f6368",
    grid="#dcdcdc",
    primary="#3f51b5",
    accent="#c75300",
    tertiary="#00805d",
    quaternary="#a8327a",
    surface="#7986cb",
)

#: Material's ``slate`` scheme with the indigo palette.
DARK = Theme(
    name="dark",
    background="#1e2029",
    foreground="#e3e5ee",
    muted="#a9adbf",
    grid="#3b3f4d",
    primary="#8c9eff",
    accent="#ffa657",
    tertiary="#4fd1a5",
    quaternary="#f28cc6",
    surface="#5c6bc0",
)

THEMES: tuple[Theme, Theme] = (LIGHT, DARK)


def _theme(theme: Theme | str) -> Theme:
    if isinstance(theme, Theme):
        return theme
    if isinstance(theme, str):
        for candidate in THEMES:
            if candidate.name == theme:
                return candidate
        raise ValueError(f"`theme` must be 'light' or 'dark'; got {theme!r}.")
    raise TypeError(f"`theme` must be a Theme or 'light' or 'dark'; got {type(theme).__name__}.")


@contextmanager
def _style(theme: Theme) -> Iterator[None]:
    with mpl.rc_context(theme.rc()):
        yield


def _root_figure(artist_parent: Axes | Figure | SubFigure) -> Figure:
    figure = artist_parent if isinstance(artist_parent, Figure) else artist_parent.figure
    while isinstance(figure, SubFigure):
        figure = figure.figure
    assert isinstance(figure, Figure)  # a SubFigure chain always ends at a Figure
    return figure


def _axes(ax: Axes | None, figsize: tuple[float, float], *, three_d: bool = False) -> Axes:
    """Check ``ax``, or make a new figure of ``figsize`` inches with one axes on it."""
    if ax is None:
        figure = Figure(figsize=figsize, layout="constrained")
        return figure.add_subplot(projection="3d" if three_d else None)
    kind = Axes3D if three_d else Axes
    if not isinstance(ax, kind) or (not three_d and isinstance(ax, Axes3D)):
        wanted = "3D Axes (projection='3d')" if three_d else "2D matplotlib Axes"
        raise TypeError(f"`ax` must be a {wanted}; got {type(ax).__name__}.")
    return ax


def _figure(fig: Figure | None, figsize: tuple[float, float]) -> Figure:
    if fig is None:
        return Figure(figsize=figsize, layout="constrained")
    if not isinstance(fig, Figure):
        raise TypeError(f"`fig` must be a matplotlib Figure; got {type(fig).__name__}.")
    return fig


# --------------------------------------------------------------------------------------------
# Derivatives: the numbers every figure draws.
# --------------------------------------------------------------------------------------------

ScalarFn = Callable[[float], float]
FieldFn = Callable[[FloatArray], float]


def _derivative(f: ScalarFn, x: float, order: Literal[1, 2] = 1) -> float:
    return float(numeric.derivative(f, x, order=order))


def _gradient(f: FieldFn, x: FloatArray) -> FloatArray:
    return np.asarray(numeric.gradient(f, x), dtype=np.float64)


def _directional(f: FieldFn, x: FloatArray, v: FloatArray) -> float:
    return float(numeric.directional_derivative(f, x, v))


def _hessian(f: FieldFn, x: FloatArray) -> FloatArray:
    return np.asarray(numeric.hessian(f, x), dtype=np.float64)


# --------------------------------------------------------------------------------------------
# The functions drawn. Chosen so each concept shows clearly; the alt text names them.
# --------------------------------------------------------------------------------------------


def _cubic(x: float) -> float:
    return x**3 - 2 * x


def _bowl(p: FloatArray) -> float:
    return float(p[0] ** 2 + p[1] ** 2)


def _bowl_grid(x: FloatArray, y: FloatArray) -> FloatArray:
    return np.asarray(x**2 + y**2, dtype=np.float64)


def _dome(p: FloatArray) -> float:
    return float(4 - p[0] ** 2 - p[1] ** 2)


def _ellipses(p: FloatArray) -> float:
    return float(p[0] ** 2 + 3 * p[1] ** 2)


def _saddle(p: FloatArray) -> float:
    return float(p[0] ** 2 - p[1] ** 2)


def _cup_cap(x: float) -> float:
    return x**3 - 3 * x


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _array(values: Any) -> FloatArray:
    return np.asarray(values, dtype=np.float64)


def _number(value: float) -> str:
    """Format a tick or label number as Matplotlib's ticks do, with a true minus sign."""
    return f"{value:.3g}".replace("-", "\N{MINUS SIGN}")


# --------------------------------------------------------------------------------------------
# 1. Secant lines converging to the tangent
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SecantToTangentData:
    """Secants of ``f(x) = x**3 - 2x`` through ``(x0, f(x0))`` and the tangent they approach.

    Attributes
    ----------
    x, y : ndarray, shape (n,)
        The curve.
    x0, y0 : float
        The point of tangency, ``x0 = 2``.
    steps : tuple of float
        The steps ``h`` of the secants, largest first.
    secant_slopes : tuple of float
        ``(f(x0 + h) - f(x0)) / h`` for each step.
    tangent_slope : float
        ``f'(x0)`` from :mod:`calcref.numeric`.
    """

    x: FloatArray
    y: FloatArray
    x0: float
    y0: float
    steps: tuple[float, ...]
    secant_slopes: tuple[float, ...]
    tangent_slope: float


def secant_to_tangent_data() -> SecantToTangentData:
    """Compute the curve, secants and tangent of the secant-to-tangent figure.

    Returns
    -------
    SecantToTangentData
    """
    x0 = 2.0
    steps = (1.0, 0.5, 0.2)
    x = np.linspace(0.4, 3.2, 200)
    return SecantToTangentData(
        x=x,
        y=_array([_cubic(v) for v in x]),
        x0=x0,
        y0=_cubic(x0),
        steps=steps,
        secant_slopes=tuple((_cubic(x0 + h) - _cubic(x0)) / h for h in steps),
        tangent_slope=_derivative(_cubic, x0),
    )


def plot_secant_to_tangent(*, theme: Theme | str = LIGHT, ax: Axes | None = None) -> Figure:
    """Draw secants of ``x**3 - 2x`` through ``x0 = 2`` turning into the tangent as h shrinks.

    Parameters
    ----------
    theme : Theme or {"light", "dark"}, optional
        Colour theme.
    ax : matplotlib.axes.Axes, optional
        Axes to draw in; a new 5.5 x 3.6 in figure by default.

    Returns
    -------
    matplotlib.figure.Figure
        Lines carry gids ``curve``, ``tangent`` and ``secant-0``, ``secant-1``, ...

    Raises
    ------
    TypeError
        If `ax` is not a 2D Axes or `theme` is not a theme.
    """
    palette = _theme(theme)
    data = secant_to_tangent_data()
    with _style(palette):
        axes = _axes(ax, (5.5, 3.6))
        axes.plot(data.x, data.y, color=palette.primary, gid="curve", label=r"$f(x)=x^3-2x$")
        span = np.array([0.9, 3.2])
        axes.plot(
            span,
            data.y0 + data.tangent_slope * (span - data.x0),
            color=palette.foreground,
            linestyle="--",
            gid="tangent",
            label=f"tangent, slope {data.tangent_slope:.0f}",
        )
        dashes = [(1, 2), (4, 2), (7, 2)]
        for index, (h, slope) in enumerate(zip(data.steps, data.secant_slopes, strict=True)):
            axes.plot(
                span,
                data.y0 + slope * (span - data.x0),
                color=palette.accent,
                linewidth=1.6,
                dashes=dashes[index % len(dashes)],
                gid=f"secant-{index}",
                label=f"secant, $h={h:g}$: slope {slope:.2f}",
            )
            axes.plot([data.x0 + h], [_cubic(data.x0 + h)], "o", color=palette.accent, ms=5)
        axes.plot([data.x0], [data.y0], "o", color=palette.foreground, ms=6, zorder=5)
        axes.annotate(
            r"$(x_0, f(x_0))$", (data.x0, data.y0), xytext=(-88, 6), textcoords="offset points"
        )
        axes.set(xlim=(0.4, 3.2), ylim=(-4, 30), xlabel="$x$", ylabel="$y$")
        axes.legend(loc="upper left")
    return _root_figure(axes)


# --------------------------------------------------------------------------------------------
# 2. Zooming in until the curve looks like its tangent
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ZoomToTangentData:
    """``f(x) = x**3 - 2x`` and its tangent at ``x0 = 2`` in shrinking windows.

    Attributes
    ----------
    x0, y0, slope : float
        Point of tangency and ``f'(x0)`` from :mod:`calcref.numeric`.
    half_widths : tuple of float
        Half-width ``w`` of each window ``[x0 - w, x0 + w]``.
    xs, curves, tangents : tuple of ndarray
        Per window: abscissae, ``f`` and the tangent line on them.
    max_gaps : tuple of float
        Largest ``|f - tangent|`` in each window: it shrinks like ``w**2``.
    """

    x0: float
    y0: float
    slope: float
    half_widths: tuple[float, ...]
    xs: tuple[FloatArray, ...]
    curves: tuple[FloatArray, ...]
    tangents: tuple[FloatArray, ...]
    max_gaps: tuple[float, ...]


def zoom_to_tangent_data() -> ZoomToTangentData:
    """Compute the windows of the zoom-to-tangent figure.

    Returns
    -------
    ZoomToTangentData
    """
    x0 = 2.0
    y0 = _cubic(x0)
    slope = _derivative(_cubic, x0)
    half_widths = (1.0, 0.1, 0.01)
    xs = tuple(np.linspace(x0 - w, x0 + w, 101) for w in half_widths)
    curves = tuple(_array([_cubic(v) for v in x]) for x in xs)
    tangents = tuple(y0 + slope * (x - x0) for x in xs)
    gaps = tuple(float(np.max(np.abs(c - t))) for c, t in zip(curves, tangents, strict=True))
    return ZoomToTangentData(x0, y0, slope, half_widths, xs, curves, tangents, gaps)


def plot_zoom_to_tangent(*, theme: Theme | str = LIGHT, fig: Figure | None = None) -> Figure:
    """Draw ``x**3 - 2x`` and its tangent at 2 in three windows, each ten times narrower.

    Parameters
    ----------
    theme : Theme or {"light", "dark"}, optional
    fig : matplotlib.figure.Figure, optional
        Figure to add the three panels to; a new 6 x 2.8 in figure by default.

    Returns
    -------
    matplotlib.figure.Figure
        In each panel, lines with gids ``curve`` and ``tangent``.
    """
    palette = _theme(theme)
    data = zoom_to_tangent_data()
    with _style(palette):
        figure = _figure(fig, (6.0, 2.8))
        panels = figure.subplots(1, len(data.half_widths))
        for axes, w, x, curve, tangent, gap in zip(
            panels,
            data.half_widths,
            data.xs,
            data.curves,
            data.tangents,
            data.max_gaps,
            strict=True,
        ):
            axes.plot(x, tangent, color=palette.foreground, linestyle="--", gid="tangent")
            axes.plot(x, curve, color=palette.primary, gid="curve")
            axes.set_title(rf"$x_0 \pm {w:g}$")
            axes.set_xticks([data.x0 - w, data.x0 + w])
            axes.set_xticklabels([_number(data.x0 - w), _number(data.x0 + w)])
            low, high = data.y0 - data.slope * w, data.y0 + data.slope * w
            axes.set_yticks([low, high])
            axes.set_yticklabels([_number(low), _number(high)])
            axes.text(
                0.05,
                0.96,
                f"gap\n{gap:.1g}",
                transform=axes.transAxes,
                va="top",
                color=palette.accent,
            )
        legend_handles = [
            Line2D([], [], color=palette.primary, label=r"$f(x)=x^3-2x$"),
            Line2D([], [], color=palette.foreground, linestyle="--", label="tangent at 2"),
        ]
        figure.legend(handles=legend_handles, loc="outside lower center", ncols=2)
    return figure


# --------------------------------------------------------------------------------------------
# 3. Error of forward and central differences against h
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DifferenceErrorData:
    """Errors of the forward and central quotients of ``sin`` at ``x0 = 1`` against the step.

    Attributes
    ----------
    steps : ndarray, shape (n,)
        Steps ``h``, log-spaced from ``1e-16`` to ``1``.
    forward_error, central_error : ndarray, shape (n,)
        ``|quotient - cos(1)|``; exact zeros (rounding luck) are NaN so log axes skip them.
    forward_truncation, central_truncation, roundoff : ndarray, shape (n,)
        The guide lines: ``h |f''| / 2``, ``h**2 |f'''| / 6`` and ``eps |f| / h``.
    """

    steps: FloatArray
    forward_error: FloatArray
    central_error: FloatArray
    forward_truncation: FloatArray
    central_truncation: FloatArray
    roundoff: FloatArray


#: Guide lines sit this factor above the error they model, so they never hide the data.
GUIDE_OFFSET = 4.0


def _forward_quotient(f: ScalarFn, x: float, h: float) -> float:
    return (f(x + h) - f(x)) / h


def _central_quotient(f: ScalarFn, x: float, h: float) -> float:
    return (f(x + h) - f(x - h)) / (2 * h)


def difference_error_data() -> DifferenceErrorData:
    """Compute the error curves of the difference-error figure.

    Returns
    -------
    DifferenceErrorData
    """
    x0 = 1.0
    exact = math.cos(x0)
    steps = np.logspace(-16, 0, 129)
    forward = _array([abs(_forward_quotient(math.sin, x0, h) - exact) for h in steps])
    central = _array([abs(_central_quotient(math.sin, x0, h) - exact) for h in steps])
    eps = float(np.finfo(np.float64).eps)
    return DifferenceErrorData(
        steps=steps,
        forward_error=np.where(forward > 0, forward, np.nan),
        central_error=np.where(central > 0, central, np.nan),
        forward_truncation=steps * abs(math.sin(x0)) / 2,
        central_truncation=steps**2 * abs(math.cos(x0)) / 6,
        roundoff=eps * abs(math.sin(x0)) / steps,
    )


def plot_difference_error(*, theme: Theme | str = LIGHT, ax: Axes | None = None) -> Figure:
    """Draw the error of forward and central differences of ``sin`` at 1 against h, log-log.

    Parameters
    ----------
    theme : Theme or {"light", "dark"}, optional
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
        Lines with gids ``forward``, ``central``, ``guide-h``, ``guide-h2`` and ``guide-roundoff``.
    """
    palette = _theme(theme)
    data = difference_error_data()
    with _style(palette):
        axes = _axes(ax, (5.5, 3.8))
        axes.loglog(
            data.steps, data.forward_error, color=palette.accent, gid="forward", label="forward"
        )
        axes.loglog(
            data.steps, data.central_error, color=palette.primary, gid="central", label="central"
        )
        # Slope guides, drawn a factor of 4 above the errors over the regime each describes.
        guides = [
            (data.forward_truncation, (1e-6, 1e-1), "guide-h", r"$\propto h$"),
            (data.central_truncation, (1e-4, 1e-1), "guide-h2", r"$\propto h^2$"),
            (data.roundoff, (1e-15, 1e-10), "guide-roundoff", r"$\propto 1/h$"),
        ]
        for values, (start, stop), gid, label in guides:
            inside = (data.steps >= start) & (data.steps <= stop)
            axes.loglog(
                data.steps[inside],
                GUIDE_OFFSET * values[inside],
                color=palette.muted,
                linestyle=":",
                linewidth=1.6,
                gid=gid,
            )
            middle = math.sqrt(start * stop)
            height = GUIDE_OFFSET * float(np.interp(np.log(middle), np.log(data.steps), values))
            # Above the line on the side it falls away from: up and to the left of a rising
            # guide, up and to the right of a falling one (1/h), whose line the label would cross.
            falling = values[inside][-1] < values[inside][0]
            axes.annotate(
                label,
                (middle, height),
                xytext=(6, 6) if falling else (-6, 6),
                textcoords="offset points",
                ha="left" if falling else "right",
                color=palette.muted,
            )
        axes.text(0.97, 0.06, "truncation", transform=axes.transAxes, ha="right")
        axes.text(0.03, 0.06, "round-off", transform=axes.transAxes, ha="left")
        axes.set(
            xlim=(1e-16, 1),
            ylim=(1e-13, 1e1),
            xticks=[1e-16, 1e-12, 1e-8, 1e-4, 1],
            yticks=[1e-12, 1e-8, 1e-4, 1],
            xlabel="step $h$",
            ylabel="absolute error",
        )
        axes.minorticks_off()
        axes.legend(loc="upper center", ncols=2)
    return _root_figure(axes)


# --------------------------------------------------------------------------------------------
# 3D helpers
# --------------------------------------------------------------------------------------------

# Every 3D figure draws its surfaces as one collection of small polygons, so Matplotlib sorts
# them by depth together: with one collection per surface, a plane and a bowl are painted
# whole, one over the other, whatever is really in front.

#: Samples of the disc-shaped surfaces: radially and around. Smooth when shaded, and small
#: enough as SVG (each polygon is one path).
DISC_RINGS, DISC_SPOKES = 12, 40

#: Direction the light comes from (upper left, in front), for flat shading of polygons.
_LIGHT_DIRECTION = np.array([-0.5, -0.6, 1.0]) / np.linalg.norm([-0.5, -0.6, 1.0])


def _disc_mesh(radius: float, center: tuple[float, float] = (0.0, 0.0)) -> tuple[FloatArray, ...]:
    """Sample a disc on a polar grid: a surface over a disc has no corners leaving the box."""
    r, theta = np.meshgrid(
        np.linspace(0.0, radius, DISC_RINGS), np.linspace(0.0, 2 * np.pi, DISC_SPOKES + 1)
    )
    return center[0] + r * np.cos(theta), center[1] + r * np.sin(theta)


def _quads(x: FloatArray, y: FloatArray, z: FloatArray) -> FloatArray:
    """Cells of a grid surface as quadrilaterals, shape ``(cells, 4, 3)``."""
    corners = [
        (slice(None, -1), slice(None, -1)),
        (slice(None, -1), slice(1, None)),
        (slice(1, None), slice(1, None)),
        (slice(1, None), slice(None, -1)),
    ]
    return np.stack([np.stack([x[c], y[c], z[c]], axis=-1).reshape(-1, 3) for c in corners], axis=1)


def _shaded(quads: FloatArray, color: str, alpha: float) -> FloatArray:
    """RGBA per quad: the colour darkened by how far the quad turns away from the light."""
    from matplotlib.colors import to_rgb

    normals = np.cross(quads[:, 2] - quads[:, 0], quads[:, 3] - quads[:, 1])
    lengths = np.linalg.norm(normals, axis=1, keepdims=True)
    normals = np.divide(normals, lengths, out=np.zeros_like(normals), where=lengths > 0)
    brightness = 0.62 + 0.38 * np.abs(normals @ _LIGHT_DIRECTION)
    rgb = np.clip(np.outer(brightness, to_rgb(color)), 0.0, 1.0)
    return np.column_stack([rgb, np.full(len(quads), alpha)])


@dataclass(frozen=True, slots=True)
class _Surface:
    quads: FloatArray
    color: str
    alpha: float


def _draw_surfaces(
    axes: Axes3D, surfaces: list[_Surface], *, gid: str = "surfaces", zorder: float = 1
) -> None:
    from mpl_toolkits.mplot3d.art3d import Poly3DCollection

    faces = np.concatenate([s.quads for s in surfaces])
    colors = np.concatenate([_shaded(s.quads, s.color, s.alpha) for s in surfaces])
    # Opaque cells get a hairline in their own colour to hide anti-aliasing seams; translucent
    # ones none, or the overlaps would draw a grid.
    widths = np.concatenate([np.full(len(s.quads), 0.4 if s.alpha == 1 else 0.0) for s in surfaces])
    collection = Poly3DCollection(
        faces, facecolors=colors, edgecolors=colors, linewidths=widths, zorder=zorder
    )
    collection.set_gid(gid)
    axes.add_collection3d(collection, autolim=False)


def _axes_3d(
    axes: Axes3D,
    palette: Theme,
    limits: tuple[tuple[float, float], ...],
    ticks: tuple[list[float], ...],
    *,
    zoom: float = 1.0,
    z_label: bool = True,
) -> None:
    """Limits, few ticks and labels of a 3D axes, in the theme's colours."""
    axes.computed_zorder = False  # artists drawn in zorder: curves and points over surfaces
    for setter, (low, high) in zip(
        (axes.set_xlim, axes.set_ylim, axes.set_zlim), limits, strict=True
    ):
        setter(low, high)
    for axis, axis_ticks in zip((axes.xaxis, axes.yaxis, axes.zaxis), ticks, strict=True):
        axis.line.set_color(palette.muted)
        axis.set_ticks(axis_ticks, labels=[_number(t) for t in axis_ticks])
        axis.set_pane_color((0.0, 0.0, 0.0, 0.0))
    axes.tick_params(colors=palette.muted, labelcolor=palette.foreground, pad=0)
    axes.set_xlabel("$x$", labelpad=0)
    axes.set_ylabel("$y$", labelpad=0)
    # Beside another panel a rotated z reads as an N in that panel's label: leave it out there.
    if z_label:
        axes.set_zlabel("$z$", labelpad=-2)
    # Constrained layout ignores the 3D box's labels: zoom in only where there is room.
    axes.set_box_aspect(None, zoom=zoom)


def _point_3d(axes: Axes3D, point: FloatArray, z: float, color: str) -> None:
    axes.plot([point[0]], [point[1]], [z], "o", color=color, ms=6, zorder=5, gid="point")


# --------------------------------------------------------------------------------------------
# 4. Tangent plane
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TangentPlaneData:
    """The dome ``f(x, y) = 4 - x**2 - y**2`` and its tangent plane at ``(1, 0.5)``.

    Attributes
    ----------
    point : ndarray, shape (2,)
    value : float
        ``f(point)``.
    gradient : ndarray, shape (2,)
        ``grad f(point)`` from :mod:`calcref.numeric`: the slopes of the plane.
    x, y, z : ndarray, shape (m, k)
        The surface, over a disc of radius 2.
    plane_x, plane_y, plane_z : ndarray, shape (2, 2)
        Corners of the tangent plane ``z = f(p) + grad f(p) . ((x, y) - p)`` on a square
        around ``p``.
    """

    point: FloatArray
    value: float
    gradient: FloatArray
    x: FloatArray
    y: FloatArray
    z: FloatArray
    plane_x: FloatArray
    plane_y: FloatArray
    plane_z: FloatArray


def tangent_plane_data() -> TangentPlaneData:
    """Compute the surface and the tangent plane of the tangent-plane figure.

    Returns
    -------
    TangentPlaneData
    """
    point = _array([1.0, 0.5])
    value = _dome(point)
    grad = _gradient(_dome, point)
    x, y = _disc_mesh(2.0)
    corners = np.array([-0.8, 0.8])
    px, py = np.meshgrid(point[0] + corners, point[1] + corners)
    pz = value + grad[0] * (px - point[0]) + grad[1] * (py - point[1])
    return TangentPlaneData(point, value, grad, x, y, 4 - _bowl_grid(x, y), px, py, pz)


#: Camera (elevation, azimuth) in degrees. It must stay on the side of the tangent plane away
#: from the dome (tested): from there the plane hides the dome, never the other way round.
TANGENT_PLANE_VIEW = (22.0, -35.0)


def plot_tangent_plane(*, theme: Theme | str = LIGHT, ax: Axes | None = None) -> Figure:
    """Draw the dome ``4 - x**2 - y**2`` with its tangent plane at ``(1, 0.5)``.

    Parameters
    ----------
    theme : Theme or {"light", "dark"}, optional
    ax : mpl_toolkits.mplot3d.Axes3D, optional

    Returns
    -------
    matplotlib.figure.Figure
        The dome is the collection ``surfaces``, the plane ``plane``, the point ``point``.
    """
    palette = _theme(theme)
    data = tangent_plane_data()
    with _style(palette):
        axes = _axes(ax, (5.0, 4.0), three_d=True)
        assert isinstance(axes, Axes3D)
        _draw_surfaces(axes, [_Surface(_quads(data.x, data.y, data.z), palette.surface, 1.0)])
        # The dome lies below its tangent plane and the camera above it, so the plane is in
        # front of the dome wherever they overlap: drawn after it, it is right.
        _draw_surfaces(
            axes,
            [_Surface(_quads(data.plane_x, data.plane_y, data.plane_z), palette.accent, 0.75)],
            gid="plane",
            zorder=2,
        )
        _point_3d(axes, data.point, data.value, palette.foreground)
        axes.view_init(elev=TANGENT_PLANE_VIEW[0], azim=TANGENT_PLANE_VIEW[1])
        _axes_3d(
            axes, palette, ((-2, 2), (-2, 2), (0, 5.5)), ([-1, 1], [-1, 1], [0, 2, 4]), zoom=1.05
        )
        axes.set_title(r"$z=4-x^2-y^2$ and its tangent plane at $(1, 0.5)$")
    return _root_figure(axes)


# --------------------------------------------------------------------------------------------
# 5. Directional slice
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DirectionalSliceData:
    """``f(x, y) = x**2 + y**2`` cut along ``p + t v`` and the slice ``g(t) = f(p + t v)``.

    Attributes
    ----------
    point, direction : ndarray, shape (2,)
        ``p = (1, 0.5)`` and the unit vector ``v = (1, 1) / sqrt(2)``.
    t, g : ndarray, shape (n,)
        The slice.
    slope : float
        ``g'(0) = D_v f(p)`` from :mod:`calcref.numeric`.
    x, y, z : ndarray, shape (m, k)
        The surface.
    """

    point: FloatArray
    direction: FloatArray
    t: FloatArray
    g: FloatArray
    slope: float
    x: FloatArray
    y: FloatArray
    z: FloatArray


def directional_slice_data() -> DirectionalSliceData:
    """Compute the slice of the directional-slice figure.

    Returns
    -------
    DirectionalSliceData
    """
    point = _array([1.0, 0.5])
    direction = _array([1.0, 1.0]) / math.sqrt(2.0)
    t = np.linspace(-2.4, 0.8, 121)
    g = _array([_bowl(point + s * direction) for s in t])
    x, y = _disc_mesh(2.0)
    return DirectionalSliceData(
        point, direction, t, g, _directional(_bowl, point, direction), x, y, _bowl_grid(x, y)
    )


def plot_directional_slice(*, theme: Theme | str = LIGHT, fig: Figure | None = None) -> Figure:
    """Draw the bowl cut along ``p + t v`` beside the slice ``g(t)`` and its slope at 0.

    Parameters
    ----------
    theme : Theme or {"light", "dark"}, optional
    fig : matplotlib.figure.Figure, optional

    Returns
    -------
    matplotlib.figure.Figure
        The 3D panel has the line ``cut``; the 2D panel ``slice`` and ``tangent``.
    """
    palette = _theme(theme)
    data = directional_slice_data()
    g0 = _bowl(data.point)
    with _style(palette):
        figure = _figure(fig, (6.0, 3.2))
        left = figure.add_subplot(1, 2, 1, projection="3d")
        right = figure.add_subplot(1, 2, 2)
        assert isinstance(left, Axes3D)
        line = data.point[:, None] + data.direction[:, None] * data.t[None, :]
        # The vertical plane that cuts the bowl, as a translucent wall along the line.
        wall_t, wall_z = np.meshgrid(data.t[::20], np.linspace(0.0, 4.5, 4))
        wall_x = data.point[0] + data.direction[0] * wall_t
        wall_y = data.point[1] + data.direction[1] * wall_t
        _draw_surfaces(
            left,
            [
                _Surface(_quads(data.x, data.y, data.z), palette.surface, 1.0),
                _Surface(_quads(wall_x, wall_y, wall_z), palette.accent, 0.25),
            ],
        )
        left.plot(
            line[0], line[1], data.g, color=palette.accent, linewidth=2.5, zorder=3, gid="cut"
        )
        _point_3d(left, data.point, g0, palette.foreground)
        left.view_init(elev=18, azim=-40)
        _axes_3d(
            left,
            palette,
            ((-2, 2), (-2, 2), (0, 4.5)),
            ([-1, 1], [-1, 1], [0, 2, 4]),
            zoom=1.12,
            z_label=False,
        )

        right.plot(data.t, data.g, color=palette.accent, gid="slice", label=r"$g(t)=f(p+tv)$")
        t_line = np.array([-1.0, 0.8])
        right.plot(
            t_line,
            g0 + data.slope * t_line,
            color=palette.foreground,
            linestyle="--",
            gid="tangent",
            label=f"slope {data.slope:.2f}",
        )
        right.plot([0.0], [g0], "o", color=palette.foreground, ms=5)
        right.set(
            xlabel="$t$",
            ylabel="$g(t)$",
            xticks=[-2, -1, 0],
            yticks=[0, 1, 2, 3, 4],
            ylim=(-0.1, 4.6),
        )
        right.legend(loc="upper center")
    return figure


# --------------------------------------------------------------------------------------------
# 6. Partial derivatives as slices
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PartialSlicesData:
    """Slices of ``f(x, y) = x**2 + y**2`` through ``p = (1, 0.5)`` along the two axes.

    Attributes
    ----------
    point : ndarray, shape (2,)
    s : ndarray, shape (n,)
        Offsets along each axis.
    slice_x, slice_y : ndarray, shape (n,)
        ``f(p + s e_x)`` and ``f(p + s e_y)``.
    partials : ndarray, shape (2,)
        ``(df/dx, df/dy)`` at ``p`` from :mod:`calcref.numeric`.
    x, y, z : ndarray, shape (m, k)
        The surface.
    """

    point: FloatArray
    s: FloatArray
    slice_x: FloatArray
    slice_y: FloatArray
    partials: FloatArray
    x: FloatArray
    y: FloatArray
    z: FloatArray


def partial_slices_data() -> PartialSlicesData:
    """Compute the slices of the partial-slices figure.

    Returns
    -------
    PartialSlicesData
    """
    point = _array([1.0, 0.5])
    s = np.linspace(-1.5, 0.8, 101)
    slice_x = _array([_bowl(point + np.array([v, 0.0])) for v in s])
    slice_y = _array([_bowl(point + np.array([0.0, v])) for v in s])
    x, y = _disc_mesh(2.0)
    return PartialSlicesData(
        point, s, slice_x, slice_y, _gradient(_bowl, point), x, y, _bowl_grid(x, y)
    )


def plot_partial_slices(*, theme: Theme | str = LIGHT, fig: Figure | None = None) -> Figure:
    """Draw the bowl with its two axis slices through ``(1, 0.5)`` and their slopes.

    Parameters
    ----------
    theme : Theme or {"light", "dark"}, optional
    fig : matplotlib.figure.Figure, optional

    Returns
    -------
    matplotlib.figure.Figure
        2D panels carry lines ``slice-x``/``tangent-x`` and ``slice-y``/``tangent-y``.
    """
    palette = _theme(theme)
    data = partial_slices_data()
    value = _bowl(data.point)
    with _style(palette):
        figure = _figure(fig, (6.0, 4.2))
        grid = figure.add_gridspec(2, 2, width_ratios=(1.25, 1))
        surface_axes = figure.add_subplot(grid[:, 0], projection="3d")
        assert isinstance(surface_axes, Axes3D)
        _draw_surfaces(
            surface_axes, [_Surface(_quads(data.x, data.y, data.z), palette.surface, 1.0)]
        )
        px, py = data.point
        surface_axes.plot(
            px + data.s,
            np.full_like(data.s, py),
            data.slice_x,
            color=palette.accent,
            linewidth=2.5,
            zorder=3,
        )
        surface_axes.plot(
            np.full_like(data.s, px),
            py + data.s,
            data.slice_y,
            color=palette.tertiary,
            linewidth=2.5,
            zorder=3,
        )
        _point_3d(surface_axes, data.point, value, palette.foreground)
        surface_axes.view_init(elev=18, azim=-30)
        _axes_3d(
            surface_axes,
            palette,
            ((-2, 2), (-2, 2), (0, 4.5)),
            ([-1, 1], [-1, 1], [0, 2, 4]),
            zoom=1.12,
            z_label=False,
        )
        panels = [
            (grid[0, 1], "x", px, data.slice_x, data.partials[0], palette.accent, "y=0.5"),
            (grid[1, 1], "y", py, data.slice_y, data.partials[1], palette.tertiary, "x=1"),
        ]
        for cell, name, origin, values, slope, color, fixed in panels:
            axes = figure.add_subplot(cell)
            coords = origin + data.s
            axes.plot(coords, values, color=color, gid=f"slice-{name}")
            span = np.array([origin - 0.8, origin + 0.8])
            axes.plot(
                span,
                value + slope * (span - origin),
                color=palette.foreground,
                linestyle="--",
                gid=f"tangent-{name}",
            )
            axes.plot([origin], [value], "o", color=palette.foreground, ms=4)
            axes.set_xlabel(f"${name}$  (with ${fixed}$)", labelpad=1)
            axes.set_title(rf"$\partial f/\partial {name} = {slope:.0f}$", color=color, pad=2)
            axes.set_yticks([0, 2, 4])
            axes.set_ylim(-0.3, 4.5)
    return figure


# --------------------------------------------------------------------------------------------
# 7. Gradient arrows over contour lines
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GradientContoursData:
    """Level sets of ``f(x, y) = x**2 + 3 y**2`` and its gradient at grid points.

    Attributes
    ----------
    x, y, z : ndarray, shape (m, m)
        The field for the contour lines.
    levels : ndarray
        Contour levels.
    points : ndarray, shape (k, 2)
        Where arrows start.
    gradients : ndarray, shape (k, 2)
        ``grad f`` at each point, from :mod:`calcref.numeric`.
    arrow_scale : float
        Arrows are drawn as ``arrow_scale * gradient`` in data units.
    """

    x: FloatArray
    y: FloatArray
    z: FloatArray
    levels: FloatArray
    points: FloatArray
    gradients: FloatArray
    arrow_scale: float


def gradient_contours_data() -> GradientContoursData:
    """Compute the contour field and gradient arrows of the gradient-contours figure.

    Returns
    -------
    GradientContoursData
    """
    x, y = np.meshgrid(np.linspace(-2.2, 2.2, 121), np.linspace(-1.6, 1.6, 89))
    z = x**2 + 3 * y**2
    angles = np.linspace(0, 2 * np.pi, 12, endpoint=False) + np.pi / 12
    # Arrows start on two level sets, so each one visibly crosses a contour at a right angle.
    points = np.concatenate(
        [
            np.column_stack([r * np.cos(angles), r / math.sqrt(3) * np.sin(angles)])
            for r in (math.sqrt(1.0), math.sqrt(3.0))
        ]
    )
    gradients = np.array([_gradient(_ellipses, p) for p in points])
    levels = np.array([0.25, 1.0, 2.0, 3.0, 4.5])
    return GradientContoursData(x, y, z, levels, points, gradients, 0.08)


def plot_gradient_contours(*, theme: Theme | str = LIGHT, ax: Axes | None = None) -> Figure:
    """Draw gradient arrows of ``x**2 + 3y**2`` over its contour lines, at equal aspect.

    Parameters
    ----------
    theme : Theme or {"light", "dark"}, optional
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
        The arrows are the quiver with gid ``gradient``; the contours have gid ``contours``.
    """
    palette = _theme(theme)
    data = gradient_contours_data()
    with _style(palette):
        axes = _axes(ax, (5.5, 4.2))
        contours = axes.contour(
            data.x, data.y, data.z, levels=data.levels, colors=palette.primary, linewidths=1.4
        )
        contours.set_gid("contours")
        axes.clabel(
            contours,
            fmt="%g",
            fontsize=FONT_SIZE,
            inline_spacing=4,
            manual=[(0.0, math.sqrt(level / 3)) for level in data.levels],
        )
        arrows = data.arrow_scale * data.gradients
        axes.quiver(
            data.points[:, 0],
            data.points[:, 1],
            arrows[:, 0],
            arrows[:, 1],
            angles="xy",
            scale_units="xy",
            scale=1.0,
            color=palette.accent,
            width=0.006,
            gid="gradient",
        )
        axes.set(aspect="equal", xlim=(-2.2, 2.2), ylim=(-1.6, 1.6), xlabel="$x$", ylabel="$y$")
        axes.set_title(r"$\nabla f$ (arrows) across level sets of $f=x^2+3y^2$")
    return _root_figure(axes)


# --------------------------------------------------------------------------------------------
# 8. Directional derivative against the angle
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DirectionalCosineData:
    """``D_v f(p)`` of ``f = x**2 + y**2`` at ``p = (1, 0.5)`` for unit ``v`` at each angle.

    Attributes
    ----------
    point : ndarray, shape (2,)
    gradient : ndarray, shape (2,)
        ``grad f(p) = (2, 1)``, from :mod:`calcref.numeric`.
    angles : ndarray, shape (n,)
        Angle of ``v = (cos a, sin a)`` in degrees, from -180 to 180.
    values : ndarray, shape (n,)
        ``D_v f(p)`` from :mod:`calcref.numeric`: ``|grad f| cos(a - angle of grad f)``.
    gradient_angle : float
        Angle of ``grad f`` in degrees, where ``values`` peaks.
    """

    point: FloatArray
    gradient: FloatArray
    angles: FloatArray
    values: FloatArray
    gradient_angle: float


def directional_cosine_data() -> DirectionalCosineData:
    """Compute the directional derivatives of the directional-cosine figure.

    Returns
    -------
    DirectionalCosineData
    """
    point = _array([1.0, 0.5])
    grad = _gradient(_bowl, point)
    angles = np.linspace(-180.0, 180.0, 145)
    radians = np.radians(angles)
    values = _array(
        [_directional(_bowl, point, np.array([math.cos(a), math.sin(a)])) for a in radians]
    )
    gradient_angle = math.degrees(math.atan2(grad[1], grad[0]))
    return DirectionalCosineData(point, grad, angles, values, gradient_angle)


def plot_directional_cosine(*, theme: Theme | str = LIGHT, ax: Axes | None = None) -> Figure:
    """Draw ``D_v f`` against the angle of the unit vector v: a cosine peaking along grad f.

    Parameters
    ----------
    theme : Theme or {"light", "dark"}, optional
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
        The curve has gid ``directional``; the peak marker ``peak``.
    """
    palette = _theme(theme)
    data = directional_cosine_data()
    norm = float(np.linalg.norm(data.gradient))
    with _style(palette):
        axes = _axes(ax, (5.5, 3.6))
        axes.axhline(0, color=palette.muted, linewidth=0.8)
        axes.plot(data.angles, data.values, color=palette.primary, gid="directional")
        peak = data.gradient_angle
        axes.plot([peak], [norm], "o", color=palette.accent, ms=7, gid="peak")
        axes.axvline(peak, color=palette.accent, linestyle="--", linewidth=1.2)
        axes.annotate(
            rf"along $\nabla f$: {peak:.1f}°" "\n" rf"$D_v f=|\nabla f|={norm:.2f}$",
            (peak, norm),
            xytext=(12, -34),
            textcoords="offset points",
            color=palette.accent,
        )
        for zero in (peak - 90, peak + 90):
            axes.plot([zero], [0], "o", color=palette.muted, ms=5)
        axes.annotate(
            r"$v\perp\nabla f$: 0",
            (peak + 90, 0),
            xytext=(8, 8),
            textcoords="offset points",
            color=palette.muted,
        )
        axes.set_xticks([-180, -90, 0, 90, 180])
        axes.set_xticklabels(["\N{MINUS SIGN}180°", "\N{MINUS SIGN}90°", "0°", "90°", "180°"])
        axes.set(
            xlim=(-180, 180),
            ylim=(-2.8, 3.4),
            xlabel=r"angle of the unit vector $v$",
            ylabel=r"$D_v f(1, 0.5)$",
        )
    return _root_figure(axes)


# --------------------------------------------------------------------------------------------
# 9. Cup and cap
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CupAndCapData:
    """``f(x) = x**3 - 3x`` with its quadratic approximations at ``x = -1`` and ``x = 1``.

    Attributes
    ----------
    x, y : ndarray, shape (n,)
        The curve.
    centers : tuple of float
        ``(-1.0, 1.0)``.
    first, second : tuple of float
        ``f'`` and ``f''`` at each centre, from :mod:`calcref.numeric`.
    quadratic_x, quadratic_y : tuple of ndarray
        ``f(a) + f'(a)(x - a) + f''(a)(x - a)**2 / 2`` near each centre ``a``.
    """

    x: FloatArray
    y: FloatArray
    centers: tuple[float, ...]
    first: tuple[float, ...]
    second: tuple[float, ...]
    quadratic_x: tuple[FloatArray, ...]
    quadratic_y: tuple[FloatArray, ...]


def cup_and_cap_data() -> CupAndCapData:
    """Compute the curve and quadratic approximations of the cup-and-cap figure.

    Returns
    -------
    CupAndCapData
    """
    x = np.linspace(-2.3, 2.3, 161)
    centers = (-1.0, 1.0)
    first = tuple(_derivative(_cup_cap, a) for a in centers)
    second = tuple(_derivative(_cup_cap, a, order=2) for a in centers)
    quad_x = tuple(np.linspace(a - 0.9, a + 0.9, 61) for a in centers)
    quad_y = tuple(
        _cup_cap(a) + d1 * (qx - a) + d2 * (qx - a) ** 2 / 2
        for a, d1, d2, qx in zip(centers, first, second, quad_x, strict=True)
    )
    return CupAndCapData(
        x, _array([_cup_cap(v) for v in x]), centers, first, second, quad_x, quad_y
    )


def plot_cup_and_cap(*, theme: Theme | str = LIGHT, ax: Axes | None = None) -> Figure:
    """Draw ``x**3 - 3x`` with its quadratic approximations: a cap where f'' < 0, a cup where > 0.

    Parameters
    ----------
    theme : Theme or {"light", "dark"}, optional
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
        Lines with gids ``curve``, ``quadratic-0`` (cap) and ``quadratic-1`` (cup).
    """
    palette = _theme(theme)
    data = cup_and_cap_data()
    with _style(palette):
        axes = _axes(ax, (5.5, 3.6))
        axes.plot(data.x, data.y, color=palette.primary, gid="curve", label=r"$f(x)=x^3-3x$")
        colors = (palette.accent, palette.tertiary)
        for index, (a, d2, qx, qy, color) in enumerate(
            zip(data.centers, data.second, data.quadratic_x, data.quadratic_y, colors, strict=True)
        ):
            shape = "cap" if d2 < 0 else "cup"
            axes.plot(
                qx,
                qy,
                color=color,
                linestyle="--",
                linewidth=2.2,
                gid=f"quadratic-{index}",
                label=f"quadratic at {_number(a)}: $f''={d2:.0f}$, {shape}",
            )
            axes.plot([a], [_cup_cap(a)], "o", color=color, ms=6)
        axes.set(xlim=(-2.3, 2.3), ylim=(-4.2, 4.2), xlabel="$x$", ylabel="$y$")
        axes.legend(loc="lower right")
    return _root_figure(axes)


# --------------------------------------------------------------------------------------------
# 10. Saddle and the Hessian's eigen-directions
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SaddleHessianData:
    """The saddle ``f(x, y) = x**2 - y**2`` at the origin and its Hessian's eigen-directions.

    Attributes
    ----------
    point : ndarray, shape (2,)
    hessian : ndarray, shape (2, 2)
        From :mod:`calcref.numeric`.
    eigenvalues : ndarray, shape (2,)
        Ascending.
    eigenvectors : ndarray, shape (2, 2)
        Column ``i`` is the unit eigenvector of ``eigenvalues[i]``.
    t : ndarray, shape (n,)
    curves : ndarray, shape (2, n)
        ``f(point + t * eigenvector_i)``: a parabola opening by the sign of ``eigenvalues[i]``.
    x, y, z : ndarray, shape (m, k)
        The surface, over a disc of radius 1.5.
    """

    point: FloatArray
    hessian: FloatArray
    eigenvalues: FloatArray
    eigenvectors: FloatArray
    t: FloatArray
    curves: FloatArray
    x: FloatArray
    y: FloatArray
    z: FloatArray


def saddle_hessian_data() -> SaddleHessianData:
    """Compute the Hessian and eigen-directions of the saddle-hessian figure.

    Returns
    -------
    SaddleHessianData
    """
    point = _array([0.0, 0.0])
    hess = _hessian(_saddle, point)
    eigenvalues, eigenvectors = np.linalg.eigh(hess)
    t = np.linspace(-1.5, 1.5, 61)
    curves = np.array([[_saddle(point + s * eigenvectors[:, i]) for s in t] for i in range(2)])
    x, y = _disc_mesh(1.5)
    return SaddleHessianData(point, hess, eigenvalues, eigenvectors, t, curves, x, y, x**2 - y**2)


def plot_saddle_hessian(*, theme: Theme | str = LIGHT, ax: Axes | None = None) -> Figure:
    """Draw the saddle ``x**2 - y**2`` with curves along its Hessian's eigen-directions.

    Parameters
    ----------
    theme : Theme or {"light", "dark"}, optional
    ax : mpl_toolkits.mplot3d.Axes3D, optional

    Returns
    -------
    matplotlib.figure.Figure
        The curves along the eigenvectors have gids ``eigen-0`` and ``eigen-1``; the
        eigenvectors themselves are arrows in the plane z = 0 (``arrow-0``, ``arrow-1``).
    """
    palette = _theme(theme)
    data = saddle_hessian_data()
    with _style(palette):
        axes = _axes(ax, (5.0, 4.2), three_d=True)
        assert isinstance(axes, Axes3D)
        _draw_surfaces(axes, [_Surface(_quads(data.x, data.y, data.z), palette.surface, 1.0)])
        colors = (palette.primary, palette.accent)
        handles = []
        for index in range(2):
            vector = data.eigenvectors[:, index]
            value = data.eigenvalues[index]
            path = data.point[:, None] + vector[:, None] * data.t[None, :]
            color = colors[index]
            axes.plot(
                path[0],
                path[1],
                data.curves[index],
                color=color,
                linewidth=2.8,
                zorder=3,
                gid=f"eigen-{index}",
            )
            arrow = axes.quiver(
                *data.point,
                0.0,
                *(1.2 * vector),
                0.0,
                color=color,
                linewidth=2.2,
                arrow_length_ratio=0.22,
                zorder=4,
            )
            arrow.set_gid(f"arrow-{index}")
            bend = "curves up" if value > 0 else "curves down"
            direction = f"({_number(vector[0] + 0.0)}, {_number(vector[1] + 0.0)})"
            handles.append(
                Line2D(
                    [],
                    [],
                    color=color,
                    linewidth=2.8,
                    label=rf"$\lambda={value:.0f}$ along {direction}: {bend}",
                )
            )
        _point_3d(axes, data.point, 0.0, palette.foreground)
        axes.view_init(elev=24, azim=-55)
        _axes_3d(
            axes,
            palette,
            ((-1.5, 1.5), (-1.5, 1.5), (-2.2, 2.2)),
            ([-1, 0, 1], [-1, 0, 1], [-2, 0, 2]),
        )
        axes.legend(handles=handles[::-1], loc="upper center", bbox_to_anchor=(0.5, 1.06))
    return _root_figure(axes)


# --------------------------------------------------------------------------------------------
# 11. Sigmoid and its derivative
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SigmoidDerivativeData:
    """The logistic sigmoid and its derivative, numerically and as ``sigma (1 - sigma)``.

    Attributes
    ----------
    x : ndarray, shape (n,)
    sigma : ndarray, shape (n,)
    derivative : ndarray, shape (n,)
        ``sigma'`` from :mod:`calcref.numeric`.
    closed_form : ndarray, shape (n,)
        ``sigma (1 - sigma)``.
    """

    x: FloatArray
    sigma: FloatArray
    derivative: FloatArray
    closed_form: FloatArray


def sigmoid_derivative_data() -> SigmoidDerivativeData:
    """Compute the curves of the sigmoid-derivative figure.

    Returns
    -------
    SigmoidDerivativeData
    """
    x = np.linspace(-6.0, 6.0, 121)
    sigma = _array([_sigmoid(v) for v in x])
    derivative = _array([_derivative(_sigmoid, v) for v in x])
    return SigmoidDerivativeData(x, sigma, derivative, sigma * (1 - sigma))


def plot_sigmoid_derivative(*, theme: Theme | str = LIGHT, ax: Axes | None = None) -> Figure:
    """Draw the sigmoid and its derivative, with ``sigma (1 - sigma)`` marked on it.

    Parameters
    ----------
    theme : Theme or {"light", "dark"}, optional
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
        Lines with gids ``sigmoid``, ``derivative`` and ``closed-form``.
    """
    palette = _theme(theme)
    data = sigmoid_derivative_data()
    with _style(palette):
        axes = _axes(ax, (5.5, 3.4))
        axes.plot(
            data.x,
            data.sigma,
            color=palette.primary,
            gid="sigmoid",
            label=r"$\sigma(x)=1/(1+e^{-x})$",
        )
        axes.plot(
            data.x,
            data.derivative,
            color=palette.accent,
            gid="derivative",
            label=r"$\sigma'(x)$, numerically",
        )
        axes.plot(
            data.x[::6],
            data.closed_form[::6],
            "o",
            color=palette.foreground,
            ms=3.5,
            gid="closed-form",
            label=r"$\sigma(1-\sigma)$",
        )
        axes.annotate(
            "max 1/4 at 0",
            (0, 0.25),
            xytext=(14, 10),
            textcoords="offset points",
            color=palette.accent,
        )
        axes.set(xlim=(-6, 6), ylim=(-0.02, 1.05), yticks=[0, 0.25, 0.5, 0.75, 1], xlabel="$x$")
        axes.legend(loc="center left", bbox_to_anchor=(0.0, 0.62))
    return _root_figure(axes)
