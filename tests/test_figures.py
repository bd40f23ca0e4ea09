"""The site's figures: the registry, rendering, cache, CLI, hook and how pages embed them.

What each figure *draws* is checked in test_plotting.py; here, how figures reach the site.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree

import numpy as np
import pytest
from mkdocs.config import load_config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files
from site_fixtures import BuiltSite, CleanBuild, SchemeViews

from calcref import figures, plotting

ROOT = Path(__file__).parent.parent
DOCS = ROOT / "docs"
# Names the course pages were promised (PROTOCOL.md); more are welcome, none may go missing.
PROMISED = {
    "secant-to-tangent",
    "zoom-to-tangent",
    "difference-error",
    "tangent-plane",
    "directional-slice",
    "partial-slices",
    "gradient-contours",
    "directional-cosine",
    "cup-and-cap",
    "saddle-hessian",
    "sigmoid-derivative",
}
VARIANTS = [
    pytest.param(spec, theme, id=f"{spec.name}-{theme}")
    for spec in figures.REGISTRY
    for theme in figures.THEME_NAMES
]


@pytest.fixture(scope="session")
def rendered(clean_build: CleanBuild) -> dict[str, bytes]:
    """Every figure, light and dark, as the clean build drew them from an empty cache.

    The clean build (tests/site_fixtures.py) draws every figure anyway, in its own process;
    drawing them all again here would double the suite's figure work. These are the files the
    site serves: ``figures/NAME.svg`` and ``figures/NAME-dark.svg``.
    """
    assert clean_build.build.returncode == 0, clean_build.build.stderr
    folder = clean_build.site / "figures"
    return {f"figures/{path.name}": path.read_bytes() for path in sorted(folder.glob("*.svg"))}


class TestRegistry:
    def test_every_promised_figure_is_registered(self) -> None:
        assert {spec.name for spec in figures.REGISTRY} >= PROMISED

    def test_names_are_unique_file_names(self) -> None:
        names = [spec.name for spec in figures.REGISTRY]
        assert len(names) == len(set(names))
        assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", name) for name in names)
        assert not any(name.endswith("-dark") for name in names)

    @pytest.mark.parametrize("spec", figures.REGISTRY, ids=lambda spec: spec.name)
    def test_builder_is_a_public_plotting_function(self, spec: figures.FigureSpec) -> None:
        assert spec.builder in plotting.__all__
        assert callable(getattr(plotting, spec.builder))

    @pytest.mark.parametrize("spec", figures.REGISTRY, ids=lambda spec: spec.name)
    def test_alt_text_says_what_is_shown(self, spec: figures.FigureSpec) -> None:
        alt = spec.alt
        assert len(alt) >= 80, "too short to say what the figure shows"
        assert not re.fullmatch(r"(figure|image|plot|graph|chart)\s*\d*\.?", alt, re.I)
        assert not alt[0].islower()
        assert alt.endswith(".")
        # Alt text sits inside Markdown `![...]` and is read aloud: no brackets, no TeX.
        assert not set(alt) & set("[]$\\")

    def test_alt_texts_are_distinct(self) -> None:
        alts = [spec.alt for spec in figures.REGISTRY]
        assert len(alts) == len(set(alts))

    def test_get_names_the_known_figures_when_asked_for_another(self) -> None:
        with pytest.raises(ValueError, match=r"`name` must be a registered figure \(secant"):
            figures.get("secant")

    def test_site_paths(self) -> None:
        spec = figures.get("cup-and-cap")
        assert figures.site_paths(spec) == (
            "figures/cup-and-cap.svg",
            "figures/cup-and-cap-dark.svg",
        )
        with pytest.raises(
            ValueError, match=re.escape("`theme` must be 'light' or 'dark'; got 'dim'.")
        ):
            figures.site_path(spec, "dim")  # type: ignore[arg-type]


class TestRenderedSvg:
    def test_every_figure_has_a_light_and_a_dark_file(self, rendered: dict[str, bytes]) -> None:
        expected = {path for spec in figures.REGISTRY for path in figures.site_paths(spec)}
        assert set(rendered) == expected

    @pytest.mark.parametrize(("spec", "theme"), VARIANTS)
    def test_size_is_within_budget(
        self, rendered: dict[str, bytes], spec: figures.FigureSpec, theme: figures.ThemeName
    ) -> None:
        size = len(rendered[figures.site_path(spec, theme)])
        assert size <= spec.size_budget, f"{size} bytes > {spec.size_budget}"

    @pytest.mark.parametrize(("spec", "theme"), VARIANTS)
    def test_svg_is_self_contained_and_transparent(
        self, rendered: dict[str, bytes], spec: figures.FigureSpec, theme: figures.ThemeName
    ) -> None:
        svg = rendered[figures.site_path(spec, theme)].decode()
        palette = plotting.LIGHT if theme == "light" else plotting.DARK
        assert svg.startswith('<?xml version="1.0" encoding="utf-8"')
        root = ElementTree.fromstring(rendered[figures.site_path(spec, theme)])
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
        # Text is drawn as paths: it looks the same whatever fonts the reader has.
        assert "<text" not in svg
        assert "font-family" not in svg
        # No background painted: the page's own colour shows through.
        assert palette.background not in svg.lower()
        assert "http://" not in svg.replace("http://www.w3.org/", "").replace(
            "http://purl.org/dc/", ""
        ).replace("http://creativecommons.org/ns#", "")
        assert f"<title>{spec.alt}</title>" in svg

    @pytest.mark.parametrize("spec", figures.REGISTRY, ids=lambda spec: spec.name)
    def test_dark_variant_uses_the_dark_palette(
        self, rendered: dict[str, bytes], spec: figures.FigureSpec
    ) -> None:
        light, dark = (rendered[path].decode().lower() for path in figures.site_paths(spec))
        assert plotting.LIGHT.foreground in light
        assert plotting.DARK.foreground in dark
        assert plotting.LIGHT.foreground not in dark
        assert plotting.DARK.foreground not in light

    def test_same_bytes_when_rendered_again(self, rendered: dict[str, bytes]) -> None:
        """Drawn in this process: the bytes the clean build's process drew."""
        spec = figures.get("gradient-contours")
        for theme in figures.THEME_NAMES:
            assert figures.render_svg(spec, theme) == rendered[figures.site_path(spec, theme)]

    def test_cli_writes_every_figure_with_the_same_bytes_in_another_process(
        self, rendered: dict[str, bytes], tmp_path: Path
    ) -> None:
        """The CLI writes every figure; two of them it draws itself, in its own process.

        The others come from a cache filled with the clean build's figures: drawing all of them
        again would prove nothing more, since the clean build draws every figure from scratch
        in another process and must match the session's build byte for byte
        (tests/test_reproducible.py). The two drawn here are a 3D surface and a contour plot
        with mathtext.
        """
        drawn = [figures.get("tangent-plane"), figures.get("gradient-contours")]
        cache = tmp_path / "cache"
        for spec in figures.REGISTRY:
            if spec not in drawn:
                _put_in_cache(cache, spec, rendered)
        result = subprocess.run(
            [sys.executable, "-m", "calcref.figures", str(tmp_path / "out"), "--cache-dir", cache],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        written = {path.name: path.read_bytes() for path in (tmp_path / "out").iterdir()}
        assert written == {PurePosixPath(site).name: svg for site, svg in rendered.items()}
        assert f"{len(rendered)} files" in result.stderr
        # The CLI drew the two itself: it added them to the cache.
        assert len(list(cache.glob("*.svg"))) == len(rendered)


def _put_in_cache(cache: Path, spec: figures.FigureSpec, rendered: dict[str, bytes]) -> None:
    """Put the rendering of ``spec`` in ``cache``, as `figures.generate` files it."""
    cache.mkdir(exist_ok=True)
    for theme in figures.THEME_NAMES:
        key = figures.cache_key(spec, theme)
        path = figures.site_path(spec, theme)
        (cache / f"{PurePosixPath(path).stem}.{key[:20]}.svg").write_bytes(rendered[path])


def _numbers(text: str) -> list[float]:
    return [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", text)]


@pytest.fixture(scope="module")
def raw_and_minified() -> tuple[str, str]:
    import io

    import matplotlib as mpl

    fig = plotting.plot_partial_slices(theme="dark")  # 2D, 3D and mathtext
    buffer = io.BytesIO()
    with mpl.rc_context(plotting.DARK.rc()):
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    raw = buffer.getvalue()
    return raw.decode(), figures.minify_svg(raw).decode()


class TestMinify:
    def test_only_coordinates_change_and_by_less_than_a_hundredth_of_a_point(
        self, raw_and_minified: tuple[str, str]
    ) -> None:
        raw, minified = raw_and_minified
        attribute = re.compile(r' ([\w:-]+)="([^"]*)"')
        before = attribute.findall(re.sub(r"<!--.*?-->", "", raw, flags=re.S))
        after = attribute.findall(minified)
        assert [name for name, _ in before] == [name for name, _ in after]
        for (name, old), (_, new) in zip(before, after, strict=True):
            if name in ("d", "x", "y"):
                assert np.allclose(_numbers(old), _numbers(new), rtol=0, atol=0.005001)
            else:
                assert old == new, name

    def test_xml_declaration_is_kept(self, raw_and_minified: tuple[str, str]) -> None:
        raw, minified = raw_and_minified
        assert minified.split("?>")[0] == raw.split("?>")[0]

    def test_saves_at_least_a_fifth(self, raw_and_minified: tuple[str, str]) -> None:
        raw, minified = raw_and_minified
        assert len(minified) < 0.8 * len(raw)


class TestCache:
    def test_unchanged_rebuild_reads_the_cache_and_draws_nothing(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        specs = [figures.get("cup-and-cap")]
        first = figures.generate(tmp_path, specs=specs)

        def no_drawing(spec: figures.FigureSpec, theme: str) -> bytes:
            raise AssertionError(f"{spec.name} ({theme}) was drawn again")

        monkeypatch.setattr(figures, "render_svg", no_drawing)
        assert figures.generate(tmp_path, specs=specs) == first

    def test_key_changes_with_everything_the_svg_depends_on(self) -> None:
        spec = figures.get("cup-and-cap")
        key = figures.cache_key(spec, "light", source_digest=b"source")
        assert figures.cache_key(spec, "light", source_digest=b"source") == key
        assert figures.cache_key(spec, "dark", source_digest=b"source") != key
        assert figures.cache_key(spec, "light", source_digest=b"edited source") != key
        other = figures.FigureSpec(spec.name, spec.builder, spec.alt + " Changed.", spec.kind)
        assert figures.cache_key(other, "light", source_digest=b"source") != key

    def test_key_follows_calcref_source(self) -> None:
        # The real digest covers the builders and the numeric code they call.
        spec = figures.get("cup-and-cap")
        assert figures.cache_key(spec, "light") != figures.cache_key(
            spec, "light", source_digest=b""
        )

    def test_stale_entries_are_removed(self, tmp_path: Path, rendered: dict[str, bytes]) -> None:
        stale = tmp_path / "cup-and-cap.0123456789abcdef0123.svg"
        stale.write_bytes(b"<svg/>")
        for spec in figures.REGISTRY:
            _put_in_cache(tmp_path, spec, rendered)
        assert figures.generate(tmp_path) == rendered
        assert not stale.exists()
        assert len(list(tmp_path.glob("*.svg"))) == len(rendered)


@pytest.fixture
def site_config(monkeypatch: pytest.MonkeyPatch, rendered: dict[str, bytes]) -> MkDocsConfig:
    """The site's configuration, whose hook hands out the clean build's figures."""
    # The hook's own cache is the project's; the clean build's figures are the same content.
    monkeypatch.setattr(figures, "generate", lambda cache_dir: dict(rendered))
    return load_config(str(ROOT / "mkdocs.yml"))


class TestHook:
    def test_mkdocs_config_loads_the_hook(self, site_config: MkDocsConfig) -> None:
        assert "hooks/figures.py" in site_config.plugins

    def test_adds_every_figure_as_a_generated_file_without_touching_docs(
        self, site_config: MkDocsConfig, rendered: dict[str, bytes]
    ) -> None:
        before = sorted(DOCS.rglob("*"))
        files = site_config.plugins.on_files(Files([]), config=site_config)
        added = {file.src_uri: file for file in files}
        assert set(added) == set(rendered)
        for path, file in added.items():
            assert file.generated_by == "hooks/figures.py"
            assert file.content_bytes == rendered[path]
            assert file.abs_src_path is None
        assert sorted(DOCS.rglob("*")) == before
        assert not (DOCS / "figures").exists()

    def test_refuses_a_committed_file_in_the_way(self, site_config: MkDocsConfig) -> None:
        in_the_way = File("figures/cup-and-cap.svg", str(DOCS), site_config.site_dir, False)
        with pytest.raises(PluginError, match=re.escape("docs/figures/cup-and-cap.svg exists")):
            site_config.plugins.on_files(Files([in_the_way]), config=site_config)


# Any Markdown image whose target mentions figures/ is a figure embed.
IMAGE = re.compile(r"!\[(?P<alt>[^\]]*)\]\((?P<target>[^)\s]*figures/[^)\s]*)\)")
TARGET = re.compile(
    r"(?P<prefix>.*)figures/(?P<name>[a-z0-9-]+?)(?P<dark>-dark)?\.svg#only-(?P<mode>light|dark)"
)


FENCE = re.compile(r"^\s*(```|~~~)")


def _embeds() -> list[tuple[Path, int, str, str]]:
    found = []
    for page in sorted(DOCS.rglob("*.md")):
        in_fence = False
        for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
            if FENCE.match(line):
                in_fence = not in_fence
            # Code blocks show the pattern to copy (NAME, ALT); only real images count.
            for match in () if in_fence else IMAGE.finditer(line):
                found.append((page, number, match["alt"], match["target"]))
    return found


class TestPagesEmbedFiguresFromTheRegistry:
    def test_some_page_embeds_a_figure(self) -> None:
        assert _embeds(), "no page embeds a figure: this test would check nothing"

    @pytest.mark.parametrize(
        ("page", "line", "alt", "target"),
        _embeds(),
        ids=[f"{page.relative_to(DOCS)}:{line}" for page, line, _, _ in _embeds()],
    )
    def test_embed_uses_a_registered_name_its_alt_text_and_the_right_variant(
        self, page: Path, line: int, alt: str, target: str
    ) -> None:
        match = TARGET.fullmatch(target)
        assert match, f"write ../figures/NAME.svg#only-light or NAME-dark.svg#only-dark: {target}"
        spec = figures.get(match["name"])
        assert alt == spec.alt, "use the registry's alt text (calcref.figures)"
        assert (match["dark"] is not None) == (match["mode"] == "dark")
        depth = len(page.relative_to(DOCS).parts) - 1
        assert match["prefix"] == "../" * depth, "the link must reach docs/figures/"

    @pytest.mark.parametrize("page", sorted({page for page, *_ in _embeds()}), ids=str)
    def test_each_figure_comes_as_a_light_then_dark_pair(self, page: Path) -> None:
        embeds = [(line, target) for p, line, _, target in _embeds() if p == page]
        variants = []
        for line, target in embeds:
            match = TARGET.fullmatch(target)
            assert match
            variants.append((line, match["name"], match["mode"]))
        for index, (line, name, mode) in enumerate(variants):
            if mode == "light":
                following = variants[index + 1] if index + 1 < len(variants) else None
                assert following is not None and following[1:] == (name, "dark"), (
                    f"line {line}: {name}.svg#only-light must be followed by its -dark variant"
                )
            else:
                assert index > 0 and variants[index - 1][1:] == (name, "light"), (
                    f"line {line}: {name}-dark.svg#only-dark must follow its light variant"
                )


def _site_page(source: Path) -> str:
    """The URL path, from the site's root, of the page built from ``docs/`` file ``source``."""
    page = source.relative_to(DOCS).with_suffix("")
    folder = page.parent if page.name == "index" else page
    return "" if folder == Path() else folder.as_posix() + "/"


def test_figures_load_as_images_in_a_browser(page_views: SchemeViews) -> None:
    """Every figure on the pages that embed one decodes in Chromium (a bad SVG shows nothing).

    `page_views` loaded every image of every page, both colour variants, and noted the ones
    that did not decode (``naturalWidth`` 0).
    """
    pages = sorted({_site_page(page) for page, *_ in _embeds()})
    figures_seen = [
        image for page in pages for image in page_views[page].images if "/figures/" in image
    ]
    broken = [
        image for page in pages for image in page_views[page].broken_images if "/figures/" in image
    ]
    assert len(figures_seen) >= 2
    assert broken == []


def test_built_figures_are_lazy_and_sized_as_drawn(built_site: BuiltSite) -> None:
    """The hidden colour variant is never fetched, and the box is reserved before the image."""
    embedded = 0
    for page in built_site.directory.rglob("*.html"):
        for img in re.findall(r'<img [^>]*src="[^"]*figures/[^"]+"[^>]*>', page.read_text("utf-8")):
            embedded += 1
            name = re.search(r"figures/([\w-]+\.svg)", img)
            assert name, img
            root = ElementTree.parse(built_site.directory / "figures" / name[1]).getroot()
            width_pt, height_pt = (
                float(root.get(side, "").removesuffix("pt")) for side in ("width", "height")
            )
            assert 'loading="lazy"' in img, (page, img)
            assert f'width="{round(width_pt * 4 / 3)}"' in img, (page, img)
            assert f'height="{round(height_pt * 4 / 3)}"' in img, (page, img)
    assert embedded >= 2 * len(figures.REGISTRY)
