"""The site's figures: a registry of names, builders and alt text, rendered to SVG with a cache.

Every figure is drawn twice, for Material's light (``default``) and dark (``slate``) palettes,
to ``figures/NAME.svg`` and ``figures/NAME-dark.svg``. A page embeds both, light then dark::

    ![ALT](../figures/NAME.svg#only-light)
    ![ALT](../figures/NAME-dark.svg#only-dark)

The MkDocs hook (``hooks/figures.py``) and the command ``python -m calcref.figures OUT_DIR``
both call :func:`generate`, so the figures do not depend on the site generator.

Rendering is cached by content: the key of an SVG hashes calcref's source, the figure's name,
alt text and theme, and the versions of Matplotlib and NumPy. Matplotlib is imported only on a
cache miss (importing it costs about a second), so an unchanged rebuild only hashes and reads.

Examples
--------
>>> from calcref import figures
>>> spec = figures.get("secant-to-tangent")
>>> figures.site_paths(spec)
('figures/secant-to-tangent.svg', 'figures/secant-to-tangent-dark.svg')
>>> "tangent" in spec.alt
True
"""

# The alt text is typeset for people: true minus signs, en dashes and Greek letters.
# ruff: noqa: RUF001

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Literal

__all__ = [
    "REGISTRY",
    "THEME_NAMES",
    "FigureSpec",
    "cache_key",
    "generate",
    "get",
    "minify_svg",
    "render_svg",
    "site_path",
    "site_paths",
    "write_all",
]

Kind = Literal["2d", "3d"]
ThemeName = Literal["light", "dark"]
THEME_NAMES: tuple[ThemeName, ThemeName] = ("light", "dark")

#: Largest SVG allowed for each kind of figure, in bytes (page weight on a phone).
SIZE_BUDGET: dict[Kind, int] = {"2d": 40_000, "3d": 150_000}

_PACKAGE_DIR = Path(__file__).resolve().parent.parent


@dataclass(frozen=True, slots=True)
class FigureSpec:
    """One figure of the site.

    Attributes
    ----------
    name : str
        File name without extension: the site paths are ``figures/NAME.svg`` and
        ``figures/NAME-dark.svg``.
    builder : str
        Name of the ``calcref.plotting`` function that draws it (resolved only when rendering,
        so the registry is cheap to import).
    alt : str
        Alt text: what the figure shows, for a reader who cannot see it.
    kind : {"2d", "3d"}
        Sets the size budget.
    """

    name: str
    builder: str
    alt: str
    kind: Kind

    @property
    def size_budget(self) -> int:
        """Largest SVG size allowed for this figure, in bytes."""
        return SIZE_BUDGET[self.kind]


REGISTRY: tuple[FigureSpec, ...] = (
    FigureSpec(
        "secant-to-tangent",
        "plot_secant_to_tangent",
        "The curve f(x) = x³ − 2x with three secant lines through the point (2, 4), for steps "
        "h = 1, 0.5 and 0.2, whose slopes 17, 13.25 and 11.24 approach the slope 10 of the "
        "dashed tangent line at x = 2.",
        "2d",
    ),
    FigureSpec(
        "zoom-to-tangent",
        "plot_zoom_to_tangent",
        "Three panels zooming in on f(x) = x³ − 2x and its tangent line at x = 2, in windows "
        "of half-width 1, 0.1 and 0.01: the gap between curve and tangent falls from about 7 "
        "to 6e-4, a hundred times smaller for each tenfold zoom, until the curve looks straight.",
        "2d",
    ),
    FigureSpec(
        "difference-error",
        "plot_difference_error",
        "Log–log plot of the error of the forward and central difference quotients of sin at "
        "x = 1 against the step h from 1e-16 to 1. For large h the errors fall along guide "
        "lines of slope 1 (forward) and 2 (central); for small h round-off makes both grow "
        "like 1/h. The forward error is smallest near h = 6e-9, the central near h = 6e-6.",
        "2d",
    ),
    FigureSpec(
        "tangent-plane",
        "plot_tangent_plane",
        "3D surface of the dome z = 4 − x² − y² with its tangent plane at the point "
        "(1, 0.5, 2.75): the plane rests on the dome, touching it only at that point, and "
        "falls with slope −2 in x and −1 in y.",
        "3d",
    ),
    FigureSpec(
        "directional-slice",
        "plot_directional_slice",
        "Left: the bowl z = x² + y² cut along the line through p = (1, 0.5) in the direction "
        "v = (1, 1)/√2, the cut traced on the surface. Right: the slice g(t) = f(p + tv), a "
        "parabola, with its tangent at t = 0 of slope 2.12, the directional derivative D_v f(p).",
        "3d",
    ),
    FigureSpec(
        "partial-slices",
        "plot_partial_slices",
        "The bowl z = x² + y² sliced through (1, 0.5) along the x-axis direction (y held at "
        "0.5) and the y-axis direction (x held at 1). Beside it the two slices as curves with "
        "their tangents: slope ∂f/∂x = 2 and ∂f/∂y = 1.",
        "3d",
    ),
    FigureSpec(
        "gradient-contours",
        "plot_gradient_contours",
        "Contour lines of f(x, y) = x² + 3y², nested ellipses at levels 0.25 to 4.5, with "
        "gradient arrows starting on two of them: each arrow crosses its ellipse at a right "
        "angle and points outward, toward higher levels, longer where the ellipses are closer.",
        "2d",
    ),
    FigureSpec(
        "directional-cosine",
        "plot_directional_cosine",
        "The directional derivative of f(x, y) = x² + y² at (1, 0.5) against the angle of the "
        "unit vector v, from −180° to 180°: a cosine wave of amplitude |∇f| = √5 ≈ 2.24, "
        "largest at 26.6°, the direction of the gradient (2, 1), and zero at right angles to it.",
        "2d",
    ),
    FigureSpec(
        "cup-and-cap",
        "plot_cup_and_cap",
        "The curve f(x) = x³ − 3x with its quadratic approximations at x = −1 and x = 1: at −1 "
        "the second derivative is −6 and the parabola opens downward, a cap on the local "
        "maximum; at 1 it is 6 and the parabola opens upward, a cup in the local minimum.",
        "2d",
    ),
    FigureSpec(
        "saddle-hessian",
        "plot_saddle_hessian",
        "3D saddle surface z = x² − y² with the eigenvectors of its Hessian at the origin as "
        "arrows: along (1, 0), eigenvalue 2, the surface curves up; along (0, 1), eigenvalue "
        "−2, it curves down.",
        "3d",
    ),
    FigureSpec(
        "sigmoid-derivative",
        "plot_sigmoid_derivative",
        "The sigmoid σ(x) = 1/(1 + e^(−x)) rising from 0 to 1 on −6 ≤ x ≤ 6, and its "
        "derivative, a bell curve peaking at 1/4 at x = 0, computed numerically and matching "
        "the formula σ(1 − σ), shown as dots.",
        "2d",
    ),
)


def get(name: str) -> FigureSpec:
    """Return the registered figure called `name`.

    Raises
    ------
    ValueError
        If no figure has that name.
    """
    for spec in REGISTRY:
        if spec.name == name:
            return spec
    known = ", ".join(spec.name for spec in REGISTRY)
    raise ValueError(f"`name` must be a registered figure ({known}); got {name!r}.")


def site_path(spec: FigureSpec, theme: ThemeName) -> str:
    """Site path of one variant: ``figures/NAME.svg`` or ``figures/NAME-dark.svg``."""
    _check_theme(theme)
    suffix = "" if theme == "light" else "-dark"
    return f"figures/{spec.name}{suffix}.svg"


def site_paths(spec: FigureSpec) -> tuple[str, str]:
    """Site paths of the light and dark variants, in that order."""
    return site_path(spec, "light"), site_path(spec, "dark")


def _check_theme(theme: str) -> None:
    if theme not in THEME_NAMES:
        raise ValueError(f"`theme` must be 'light' or 'dark'; got {theme!r}.")


def render_svg(spec: FigureSpec, theme: ThemeName) -> bytes:
    """Draw one variant of a figure and return its SVG, byte-identical from run to run."""
    _check_theme(theme)
    import matplotlib as mpl

    from calcref import plotting

    palette = plotting.LIGHT if theme == "light" else plotting.DARK
    builder = getattr(plotting, spec.builder)
    figure = builder(theme=palette)
    buffer = io.BytesIO()
    with mpl.rc_context(palette.rc()):
        figure.savefig(
            buffer,
            format="svg",
            # No date and no creator string: the bytes depend on the drawing alone.
            metadata={"Date": None, "Creator": None, "Title": spec.alt},
        )
    return minify_svg(buffer.getvalue())


_DECIMAL = re.compile(rb"-?\d+\.\d+")
# Only coordinates, in points, are rounded: path data and positions. Transforms hold scales
# such as a glyph's 0.015625, which rounding would distort.
_COORDINATES = re.compile(rb' (d|x|y)="([^"]*)"')


def _round_decimal(match: re.Match[bytes]) -> bytes:
    text = f"{float(match.group()):.2f}".rstrip("0").rstrip(".")
    return b"0" if text == "-0" else text.encode()


def _minify_coordinates(match: re.Match[bytes]) -> bytes:
    # A hundredth of a point is far below a screen pixel.
    value = _DECIMAL.sub(_round_decimal, match.group(2))
    return b" " + match.group(1) + b'="' + b" ".join(value.split()) + b'"'


def minify_svg(svg: bytes) -> bytes:
    """Shrink Matplotlib's SVG without changing the picture.

    Coordinates (path data, ``x``, ``y``) are rounded to 0.01 pt and lose their line breaks;
    comments and indentation go. Everything else, the title included, is left as it is.
    """
    # The XML declaration is left alone: its version="1.0" is not a number to round.
    prolog, end, body = svg.partition(b"?>")
    body = re.sub(rb"<!--.*?-->", b"", body, flags=re.DOTALL)
    body = _COORDINATES.sub(_minify_coordinates, body)
    return prolog + end + re.sub(rb">\s+<", b"><", body)


def _source_digest() -> bytes:
    digest = hashlib.sha256()
    for path in sorted(_PACKAGE_DIR.rglob("*.py")):
        digest.update(path.relative_to(_PACKAGE_DIR).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.digest()


def cache_key(spec: FigureSpec, theme: ThemeName, *, source_digest: bytes | None = None) -> str:
    """Hex digest naming one rendered variant: it changes whenever the SVG could change."""
    digest = hashlib.sha256(source_digest if source_digest is not None else _source_digest())
    for part in (
        spec.name,
        spec.builder,
        spec.alt,
        theme,
        metadata.version("matplotlib"),
        metadata.version("numpy"),
    ):
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()


def _write_atomically(path: Path, content: bytes) -> None:
    # Another build may read the cache at the same time: never let it see half a file.
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(handle, "wb") as stream:
        stream.write(content)
    os.replace(temporary, path)


def generate(
    cache_dir: str | os.PathLike[str] | None = None,
    *,
    specs: Iterable[FigureSpec] = REGISTRY,
) -> dict[str, bytes]:
    """Render every figure in light and dark, reusing cached SVGs whose key is unchanged.

    Parameters
    ----------
    cache_dir : path-like, optional
        Folder for the cache (created if missing). ``None`` renders everything afresh.
    specs : iterable of FigureSpec, optional
        The figures; the whole registry by default.

    Returns
    -------
    dict of str to bytes
        SVG content by site path (``figures/NAME.svg``, ``figures/NAME-dark.svg``).
    """
    cache = Path(cache_dir) if cache_dir is not None else None
    source_digest = _source_digest()
    result: dict[str, bytes] = {}
    kept: set[str] = set()
    for spec in specs:
        for theme in THEME_NAMES:
            path = site_path(spec, theme)
            if cache is None:
                result[path] = render_svg(spec, theme)
                continue
            key = cache_key(spec, theme, source_digest=source_digest)
            cached = cache / f"{Path(path).stem}.{key[:20]}.svg"
            kept.add(cached.name)
            if cached.is_file():
                result[path] = cached.read_bytes()
            else:
                result[path] = render_svg(spec, theme)
                _write_atomically(cached, result[path])
    if cache is not None and specs is REGISTRY:
        for stale in cache.glob("*.svg"):
            if stale.name not in kept:
                stale.unlink(missing_ok=True)
    return result


def write_all(
    out_dir: str | os.PathLike[str], *, cache_dir: str | os.PathLike[str] | None = None
) -> list[Path]:
    """Write every figure, light and dark, as ``OUT_DIR/NAME.svg`` and ``OUT_DIR/NAME-dark.svg``.

    Returns
    -------
    list of pathlib.Path
        The files written, in registry order.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for site, content in generate(cache_dir).items():
        target = out / Path(site).name
        target.write_bytes(content)
        written.append(target)
    return written
