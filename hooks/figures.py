"""MkDocs hook: add every calcref figure to the site as a generated file (nothing in docs/).

The figures are drawn by `calcref.figures.generate`, which also runs outside MkDocs
(`python -m calcref.figures OUT_DIR`); this hook only hands its output to MkDocs.

Each figure is embedded twice, light then dark, and CSS hides one of them. The hook marks every
figure `loading="lazy"`, so the hidden variant is never downloaded and figures far down a page
wait until the reader scrolls near them, and gives it its intrinsic `width` and `height`, so
the browser reserves its box before it arrives and the text does not jump.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

from calcref import figures

ROOT = Path(__file__).resolve().parent.parent
CACHE_DIR = ROOT / ".cache" / "figures"  # git-ignored; keyed by content, safe to delete


# CSS pixels per SVG point: Matplotlib writes sizes in points (1/72 in), CSS pixels are 1/96 in.
PIXELS_PER_POINT = 96 / 72
_SVG_SIZE = re.compile(rb'<svg\b[^>]*?\bwidth="(?P<width>[\d.]+)pt" height="(?P<height>[\d.]+)pt"')
_FIGURE_IMG = re.compile(
    r'<img (?P<attributes>[^>]*?src="[^"]*figures/(?P<file>[\w-]+\.svg)#[^"]*"[^>]*?)\s*/?>'
)

# Figure file name -> (width, height) in CSS pixels, filled by on_files for on_post_page.
_sizes: dict[str, tuple[int, int]] = {}


def on_files(files: Files, config: MkDocsConfig) -> Files:
    for path, content in figures.generate(CACHE_DIR).items():
        if files.get_file_from_path(path) is not None:
            raise PluginError(f"docs/{path} exists, but figures are generated: delete it.")
        files.append(File.generated(config, path, content=content))
        _sizes[Path(path).name] = svg_size(content)
    return files


def svg_size(svg: bytes) -> tuple[int, int]:
    """Width and height of a Matplotlib SVG in CSS pixels."""
    match = _SVG_SIZE.search(svg[:2000])
    if match is None:
        raise PluginError(
            "a figure's SVG has no width and height in points: did Matplotlib change?"
        )
    return (
        round(float(match["width"]) * PIXELS_PER_POINT),
        round(float(match["height"]) * PIXELS_PER_POINT),
    )


def lazy_figures(page_html: str, sizes: dict[str, tuple[int, int]]) -> str:
    """Add `loading`, `decoding`, `width` and `height` to every figure's `<img>`."""

    def add_attributes(match: re.Match[str]) -> str:
        width, height = sizes[match["file"]]
        return (
            f'<img {match["attributes"]} loading="lazy" decoding="async" '
            f'width="{width}" height="{height}" />'
        )

    return _FIGURE_IMG.sub(add_attributes, page_html)


def on_page_content(html: str, page: Page, config: MkDocsConfig, **kwargs: Any) -> str:
    return lazy_figures(html, _sizes)


def on_serve(server: Any, config: MkDocsConfig, builder: Any) -> None:
    # Editing a figure's builder redraws it while `mkdocs serve` runs.
    server.watch(str(ROOT / "src" / "calcref"))
