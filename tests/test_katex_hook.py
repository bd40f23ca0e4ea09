"""hooks/katex.py: formulas rendered at build time, found where the site's pages put them."""

from __future__ import annotations

import html
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import pytest
from fontTools.ttLib import TTFont
from hook_modules import load_hook
from site_fixtures import BuiltSite, SchemeViews

hook = load_hook("katex")
_ANNOTATION = re.compile(r'<annotation encoding="application/x-tex">(.*?)</annotation>', re.S)


@pytest.fixture(scope="module")
def render() -> object:
    return hook.KatexRenderer()


def annotations(rendered: str) -> list[str]:
    """The TeX source KaTeX keeps in each formula's MathML, in page order."""
    return [html.unescape(tex) for tex in _ANNOTATION.findall(rendered)]


def test_arithmatex_output_is_rendered_inline_and_display(render: object) -> None:
    page = (
        '<p>Slope <span class="arithmatex">\\(f\'(x) &lt; 0\\)</span> here.</p>\n'
        '<div class="arithmatex">\\[\\nabla f = \\begin{bmatrix} 1 \\\\ 2 \\end{bmatrix}\\]</div>'
    )
    rendered = hook.render_page_math(page, render, dollar_delimiters=False)
    assert annotations(rendered) == [
        "f'(x) < 0",
        "\\nabla f = \\begin{bmatrix} 1 \\\\ 2 \\end{bmatrix}",
    ]
    assert rendered.count('class="katex-display"') == 1
    assert "\\(" not in rendered.replace("\\(f", "")  # only inside annotations
    assert rendered.startswith('<p>Slope <span class="arithmatex"><span class="katex">')


def test_dollar_math_in_notebook_text_but_never_in_code(render: object) -> None:
    page = (
        "<p>For $f(x) = x^2$ and\n$g = e^x$, the sum is</p>\n<p>$$f + g$$</p>\n"
        "<pre><code>cost = '$5 and $6'</code></pre><p>Inline <code>$x$</code> stays.</p>"
    )
    rendered = hook.render_page_math(page, render, dollar_delimiters=True)
    assert annotations(rendered) == ["f(x) = x^2", "g = e^x", "f + g"]
    assert "<pre><code>cost = '$5 and $6'</code></pre>" in rendered
    assert "<code>$x$</code>" in rendered


def test_dollars_are_text_on_pages_without_dollar_delimiters(render: object) -> None:
    page = "<p>It costs $5, not $6.</p>"
    assert hook.render_page_math(page, render, dollar_delimiters=False) == page


def test_math_left_in_navigation_links_is_rendered(render: object) -> None:
    page = '<a class="md-nav__link" href="#x"><span>The case \\(n = 1\\)</span></a>'
    rendered = hook.render_page_math(page, render, dollar_delimiters=False)
    assert annotations(rendered) == ["n = 1"]


def test_renderer_matches_katex_in_node_when_node_is_present(render: object) -> None:
    """Same KaTeX, same options: V8 in-process gives what Node gives (the reference build)."""
    node = subprocess.run(["which", "node"], capture_output=True, text=True).stdout.strip()
    if not node:
        pytest.skip("Node.js is not installed: nothing to compare the in-process KaTeX with")
    tex = "\\frac{\\partial^2 f}{\\partial x\\,\\partial y} = \\sigma(1-\\sigma)"
    script = (
        f"const katex = require({str(hook.KATEX_JS)!r});"
        f"process.stdout.write(katex.renderToString({tex!r}, "
        '{displayMode: true, throwOnError: true, strict: "ignore", output: "htmlAndMathml"}));'
    )
    expected = subprocess.run([node, "-e", script], capture_output=True, text=True, check=True)
    assert render(tex, display=True) == expected.stdout


def test_a_formula_katex_cannot_parse_fails_naming_page_and_line(render: object) -> None:
    source = "---\ndescription: x\n---\n# Title\n\nAn error: $\\frac{1}{$ here.\n"
    page = SimpleNamespace(
        file=SimpleNamespace(src_uri="section/page.md", abs_src_path="/x", content_string=source)
    )
    output = '<p>An error: <span class="arithmatex">\\(\\frac{1}{\\)</span> here.</p>'
    with pytest.raises(Exception, match=r"docs/section/page\.md:6: KaTeX cannot render") as error:
        hook.on_post_page(output, page, config=None)
    assert "KaTeX parse error" in str(error.value)
    assert type(error.value).__name__ == "PluginError"


def test_built_pages_have_no_maths_script(built_site: BuiltSite) -> None:
    """Readers download KaTeX's CSS and fonts, never its JavaScript."""
    directory = built_site.directory
    pages = list(directory.rglob("*.html"))
    assert pages
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert "katex.min.js" not in text, page
        assert "auto-render" not in text, page
    assert not (directory / "assets" / "vendor" / "katex" / "katex.min.js").exists()


class _KatexTextCollector(HTMLParser):
    """Text inside ``.katex-html`` elements: what KaTeX draws with its own fonts."""

    def __init__(self) -> None:
        super().__init__()
        self.characters: set[str] = set()
        self._depth = 0  # open elements inside the current .katex-html, 0 when outside

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in VOID_ELEMENTS:
            return
        classes = (dict(attrs).get("class") or "").split()
        if self._depth or "katex-html" in classes:
            self._depth += 1

    def handle_endtag(self, tag: str) -> None:
        if self._depth and tag not in VOID_ELEMENTS:
            self._depth -= 1

    def handle_data(self, data: str) -> None:
        if self._depth:
            self.characters |= set(data)


VOID_ELEMENTS = {"br", "img", "hr", "input", "meta", "link", "wbr", "source", "col", "area"}


def test_site_fonts_keep_every_glyph_its_formulas_draw(built_site: BuiltSite) -> None:
    collector = _KatexTextCollector()
    for page in built_site.directory.rglob("*.html"):
        collector.feed(page.read_text(encoding="utf-8"))
    drawn = collector.characters - {" ", "\n", "\u200b"}
    assert len(drawn) > 50  # the site's formulas draw letters, digits, operators, Greek
    original_bytes = subset_bytes = 0
    for original in sorted((hook.KATEX_DIR / "fonts").glob("*.woff2")):
        in_site = built_site.directory / hook.FONTS_IN_SITE / original.name
        needed = {chr(code) for code in TTFont(original).getBestCmap()} & drawn
        kept = {chr(code) for code in TTFont(in_site).getBestCmap()}
        assert needed <= kept, f"{original.name} lost {sorted(needed - kept)}"
        original_bytes += original.stat().st_size
        subset_bytes += in_site.stat().st_size
    assert subset_bytes < 0.6 * original_bytes


def test_pages_with_formulas_preload_the_fonts_their_formulas_use(built_site: BuiltSite) -> None:
    preloads_checked = 0
    for page in built_site.directory.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        preloads = re.findall(r'<link rel="preload" href="([^"]+)" as="font"[^>]*>', text)
        if 'class="katex"' not in text:
            assert preloads == [], page
            continue
        fonts = [Path(href).name for href in preloads]
        assert fonts[0] == hook.BASE_FONT, page  # the font of every formula, asked for first
        assert ("KaTeX_Math-Italic.woff2" in fonts) == ("mathnormal" in text), page
        for href in preloads:
            # The same address the stylesheet asks for, or the browser downloads it twice.
            assert (page.parent / href).resolve() == (
                built_site.directory / hook.FONTS_IN_SITE / Path(href).name
            ), (page, href)
            preloads_checked += 1
    assert preloads_checked > 10


@pytest.mark.parametrize("page_views", ["light"], indirect=True)
def test_each_page_preloads_exactly_the_maths_fonts_it_draws_with(
    built_site: BuiltSite, page_views: SchemeViews
) -> None:
    """What a page preloads (read off KaTeX's stylesheet at build time) against the fonts
    Chromium loaded to draw it, every section shown. A font missing arrives after the first
    paint, and that visit draws its formulas without it; one too many costs a download."""
    mismatches = {}
    for page, view in page_views.items():
        text = built_site.page_file(page).read_text(encoding="utf-8")
        preloaded = {Path(href).name for href in re.findall(r'href="([^"]+)" as="font"', text)}
        drawn = set(view.maths_fonts or ())
        if preloaded != drawn:
            mismatches[page] = {"not preloaded": drawn - preloaded, "unused": preloaded - drawn}
    assert mismatches == {}
    assert sum(bool(view.maths_fonts) for view in page_views.values()) > 10


KATEX_RULES = """
@font-face{font-display:block;font-family:KaTeX_Main;src:url(fonts/KaTeX_Main-Regular.woff2)}
.katex{font:normal 1.21em KaTeX_Main,Times New Roman,serif}
.katex .mathbf{font-family:KaTeX_Main;font-weight:700}
.katex .textit{font-style:italic}
.katex .amsrm,.katex .mathbb{font-family:KaTeX_AMS}
.katex .delimsizing.size1{font-family:KaTeX_Size1}
.katex .delimsizing.mult .delim-size4>span{font-family:KaTeX_Size4}
.katex .mathfoo{font-family:KaTeX_Foo}
.katex .mathrm{font-style:normal}
"""
KATEX_FONTS = {
    "KaTeX_Main-Regular.woff2",
    "KaTeX_Main-Bold.woff2",
    "KaTeX_Main-Italic.woff2",
    "KaTeX_AMS-Regular.woff2",
    "KaTeX_Size1-Regular.woff2",
    "KaTeX_Size4-Regular.woff2",
}


def test_fonts_are_read_off_the_classes_katex_styles() -> None:
    def selector(*elements: set[str]) -> frozenset[frozenset[str]]:
        return frozenset(frozenset(classes) for classes in elements)

    assert hook.fonts_by_classes(KATEX_RULES, KATEX_FONTS) == {
        selector({"mathbf"}): "KaTeX_Main-Bold.woff2",
        # No family: the element inherits KaTeX_Main from `.katex`.
        selector({"textit"}): "KaTeX_Main-Italic.woff2",
        selector({"amsrm"}): "KaTeX_AMS-Regular.woff2",
        selector({"mathbb"}): "KaTeX_AMS-Regular.woff2",
        selector({"delimsizing", "size1"}): "KaTeX_Size1-Regular.woff2",
        selector({"delimsizing", "mult"}, {"delim-size4"}): "KaTeX_Size4-Regular.woff2",
    }


@pytest.mark.parametrize(
    ("page", "fonts"),
    [
        ("<p>no formula</p>", []),
        ('<span class="katex"><span class="mord">1</span></span>', ["KaTeX_Main-Regular.woff2"]),
        # `size1` is also KaTeX's class of a small font size: alone it draws with no Size font.
        ('<span class="katex"><span class="sizing size1">x</span></span>', [hook.BASE_FONT]),
        (
            '<span class="katex"><span class="delimsizing size1">(</span>'
            '<span class="mord mathbb">R</span><span class="mathbf">x</span></span>',
            [
                hook.BASE_FONT,
                "KaTeX_AMS-Regular.woff2",
                "KaTeX_Main-Bold.woff2",
                "KaTeX_Size1-Regular.woff2",
            ],
        ),
        (
            '<span class="katex"><span class="delimsizing mult">'
            '<span class="delim-size4"><span>(</span></span></span></span>',
            [hook.BASE_FONT, "KaTeX_Size4-Regular.woff2"],
        ),
    ],
)
def test_a_page_draws_with_the_fonts_of_the_classes_on_its_elements(
    page: str, fonts: list[str]
) -> None:
    assert hook.fonts_drawn_with(page, hook.fonts_by_classes(KATEX_RULES, KATEX_FONTS)) == fonts


def test_the_site_stylesheet_lets_no_late_font_swap_in(built_site: BuiltSite) -> None:
    vendored = (hook.KATEX_DIR / "katex.min.css").read_text(encoding="utf-8")
    in_site = (built_site.directory / hook.STYLESHEET_IN_SITE).read_text(encoding="utf-8")
    faces = re.findall(r"@font-face\{[^}]*\}", in_site)
    assert len(faces) == len(list((hook.KATEX_DIR / "fonts").glob("*.woff2")))
    assert all("font-display:optional" in face for face in faces)
    assert in_site == vendored.replace("font-display:block", "font-display:optional")


def test_a_katex_stylesheet_that_does_not_block_on_every_font_is_refused() -> None:
    with pytest.raises(ValueError, match=r"2 @font-face rules and 1 `font-display:block`"):
        hook.optional_font_display(
            "@font-face{font-display:block;font-family:A}@font-face{font-display:swap;font-family:B}"
        )
