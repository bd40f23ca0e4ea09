"""MkDocs hook: render every formula to HTML at build time with the vendored KaTeX.

A reader's browser then runs no maths JavaScript: formulas are there on the first paint, the
page does not shift when they appear, and no KaTeX script is downloaded. KaTeX itself
(``docs/assets/vendor/katex/katex.min.js``) runs in V8 through the ``mini-racer`` wheel, so the
build needs no Node.js. Only its stylesheet and fonts reach the reader: each page preloads the
fonts its formulas draw with, and none is swapped in after the first paint ("Fonts that arrive
in time", below).

What is rendered, in each page's final HTML (after the search plugin has indexed the page, so
the index holds the short TeX source, not KaTeX's markup; hooks/search_maths.py then puts
MathML in the index for its inline formulas and leaves out its display ones):

- ``pymdownx.arithmatex`` (generic mode) output: ``\\(...\\)`` in ``span.arithmatex`` and
  ``\\[...\\]`` in ``div.arithmatex``;
- on notebook pages, ``$...$`` and ``$$...$$`` left as text in Markdown cells by mkdocs-jupyter;
- ``\\(...\\)`` left in navigation and table-of-contents links by a heading with maths.

A formula KaTeX cannot parse fails the build, naming the page, the line and KaTeX's message.

KaTeX's 20 fonts hold ~1,900 glyphs; the site draws about a tenth of them. After a full build the
fonts in the site are cut down (fontTools) to the characters its formulas show, which roughly
halves the bytes of maths fonts a reader downloads. ``render_page_math`` and ``subset_fonts`` are
plain functions, usable outside MkDocs.
"""

from __future__ import annotations

import hashlib
import html
import re
import shutil
import tempfile
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import fontTools
from fontTools import subset
from fontTools.ttLib import TTFont
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.pages import Page

ROOT = Path(__file__).resolve().parent.parent
KATEX_DIR = ROOT / "docs" / "assets" / "vendor" / "katex"
KATEX_JS = KATEX_DIR / "katex.min.js"
FONTS_IN_SITE = Path("assets") / "vendor" / "katex" / "fonts"
STYLESHEET_IN_SITE = FONTS_IN_SITE.parent / "katex.min.css"
FONT_CACHE = ROOT / ".cache" / "katex-fonts"  # git-ignored; keyed by content, safe to delete

# Same options the site used in the browser; `output` keeps MathML for screen readers.
KATEX_OPTIONS = {"throwOnError": True, "strict": "ignore", "output": "htmlAndMathml"}

_ARITHMATEX = re.compile(
    r'<(?P<tag>span|div) class="arithmatex">(?P<source>.*?)</(?P=tag)>', flags=re.DOTALL
)
# Text between tags, outside code, scripts, styles and the document's <head>.
_SKIPPED_ELEMENT = re.compile(
    r"<(?P<tag>pre|code|script|style|head|textarea)\b.*?</(?P=tag)>|<[^>]*>",
    flags=re.DOTALL | re.IGNORECASE,
)
# The formulas of a run of text (hooks/search_maths.py reads the search index with them too).
DOLLAR_MATH = re.compile(
    # An inline formula may wrap onto the next line of its paragraph, as in any Markdown.
    r"\$\$(?P<display>[^$]+?)\$\$|(?<![\\$])\$(?P<inline>[^$]+?)(?<!\\)\$"
)
PAREN_MATH = re.compile(r"\\\((?P<inline>.+?)\\\)", flags=re.DOTALL)
# KaTeX's MathML copy is read by screen readers, not drawn with KaTeX's fonts.
_MATHML = re.compile(r"<math\b.*?</math>", flags=re.DOTALL)
_TAG = re.compile(r"<[^>]*>")


class MathError(ValueError):
    """KaTeX could not parse a formula."""

    def __init__(self, tex: str, message: str) -> None:
        super().__init__(message)
        self.tex = tex


class KatexRenderer:
    """Render TeX to KaTeX's HTML, remembering each formula it has seen (pages repeat many)."""

    def __init__(self, script: Path = KATEX_JS, *, output: str = "htmlAndMathml") -> None:
        # Imported here so importing the module (e.g. to read its docs) needs no V8.
        from py_mini_racer import MiniRacer

        self._context = MiniRacer()
        self._context.eval(script.read_text(encoding="utf-8"))
        # "mathml": MathML alone, as the search index has its inline formulas (search_maths.py).
        self._options = {**KATEX_OPTIONS, "output": output}
        self._rendered: dict[tuple[str, bool], str] = {}

    def __call__(self, tex: str, *, display: bool) -> str:
        key = (tex, display)
        if key not in self._rendered:
            self._rendered[key] = self._render(tex, display)
        return self._rendered[key]

    def _render(self, tex: str, display: bool) -> str:
        from py_mini_racer import JSEvalException

        options = {**self._options, "displayMode": display}
        try:
            rendered = self._context.call("katex.renderToString", tex, options)
        except JSEvalException as error:
            raise MathError(tex, _katex_message(str(error))) from None
        return str(rendered)


def _katex_message(error: str) -> str:
    # V8's message starts with the JS location and ends with a stack trace: keep KaTeX's line.
    for line in error.splitlines():
        if "KaTeX parse error" in line:
            return line[line.index("KaTeX parse error") :]
    return error.splitlines()[0] if error else "unknown KaTeX error"


Render = Callable[..., str]


def render_page_math(page_html: str, render: Render, *, dollar_delimiters: bool) -> str:
    """Return ``page_html`` with every formula rendered by ``render(tex, display=...)``.

    ``dollar_delimiters`` also renders ``$...$`` and ``$$...$$`` in text (notebook pages, whose
    Markdown cells are not processed by arithmatex). Text inside ``pre``, ``code``, ``script``
    and ``style`` is never touched.
    """
    page_html = _ARITHMATEX.sub(lambda match: _render_arithmatex(match, render), page_html)
    patterns = [PAREN_MATH, DOLLAR_MATH] if dollar_delimiters else [PAREN_MATH]
    return map_text(page_html, lambda text: _render_delimited(text, patterns, render))


def _render_arithmatex(match: re.Match[str], render: Render) -> str:
    source = html.unescape(match.group("source")).strip()
    display = match.group("tag") == "div"
    opening, closing = ("\\[", "\\]") if display else ("\\(", "\\)")
    tex = source.removeprefix(opening).removesuffix(closing)
    tag = match.group("tag")
    return f'<{tag} class="arithmatex">{render(tex, display=display)}</{tag}>'


def map_text(page_html: str, transform: Callable[[str], str]) -> str:
    """Apply ``transform`` to each run of text between tags, skipping code and scripts."""
    pieces: list[str] = []
    position = 0
    for element in _SKIPPED_ELEMENT.finditer(page_html):
        pieces.append(transform(page_html[position : element.start()]))
        pieces.append(element.group(0))
        position = element.end()
    pieces.append(transform(page_html[position:]))
    return "".join(pieces)


def _render_delimited(text: str, patterns: list[re.Pattern[str]], render: Render) -> str:
    if "$" not in text and "\\(" not in text:
        return text
    for pattern in patterns:
        text = pattern.sub(lambda match: _render_match(match, render), text)
    return text


def _render_match(match: re.Match[str], render: Render) -> str:
    display = match.groupdict().get("display") is not None
    tex = html.unescape(match.group("display") if display else match.group("inline")).strip()
    element = "div" if display else "span"
    return f'<{element} class="arithmatex">{render(tex, display=display)}</{element}>'


def drawn_characters(rendered: str) -> set[str]:
    """The characters KaTeX draws with its fonts in one rendered formula."""
    return set(html.unescape(_TAG.sub("", _MATHML.sub("", rendered))))


def subset_fonts(characters: set[str], source: Path, target: Path) -> dict[str, tuple[int, int]]:
    """Write to ``target`` each WOFF2 font of ``source`` cut down to ``characters``.

    A font that draws none of them is copied whole (no page asks for it, so no reader downloads
    it). Returns, per font file, its size before and after, in bytes.
    """
    target.mkdir(parents=True, exist_ok=True)
    sizes = {}
    for font_path in sorted(source.glob("*.woff2")):
        in_font = {chr(code) for code in TTFont(font_path).getBestCmap()} & characters
        destination = target / font_path.name
        if in_font:
            _subset_font(font_path, destination, in_font)
        else:
            destination.write_bytes(font_path.read_bytes())
        sizes[font_path.name] = (font_path.stat().st_size, destination.stat().st_size)
    return sizes


def _subset_font(font_path: Path, destination: Path, characters: set[str]) -> None:
    options = subset.Options()
    options.flavor = "woff2"
    options.layout_features = ["*"]  # keep kerning and ligatures KaTeX relies on
    font = subset.load_font(str(font_path), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[ord(character) for character in characters])
    subsetter.subset(font)
    subset.save_font(font, str(destination), options)


class _Build:
    """What this build has drawn so far (reset at the start of every build)."""

    characters: set[str] = set()  # noqa: RUF012 - one build at a time per process
    dirty = False


@cache
def _renderer() -> KatexRenderer:
    return KatexRenderer()


def _recording_renderer(tex: str, *, display: bool) -> str:
    rendered = _renderer()(tex, display=display)
    _Build.characters |= _drawn_characters_cached(rendered)
    return rendered


@cache
def _drawn_characters_cached(rendered: str) -> frozenset[str]:
    return frozenset(drawn_characters(rendered))


def on_startup(command: str, dirty: bool, **kwargs: Any) -> None:
    # A dirty build re-renders only changed pages: it cannot know every character in use.
    _Build.dirty = dirty


def on_pre_build(config: MkDocsConfig, **kwargs: Any) -> None:
    _Build.characters = set()


def on_post_build(config: MkDocsConfig, **kwargs: Any) -> None:
    stylesheet = Path(config.site_dir) / STYLESHEET_IN_SITE
    if stylesheet.is_file():
        source = (KATEX_DIR / "katex.min.css").read_text(encoding="utf-8")
        stylesheet.write_text(optional_font_display(source), encoding="utf-8")
    if _Build.dirty or not _Build.characters:
        return
    # Subsetting costs ~1 s; an unchanged set of characters reuses the last result.
    cached = FONT_CACHE / _font_cache_key(_Build.characters)
    if not cached.is_dir():
        scratch = Path(
            tempfile.mkdtemp(dir=FONT_CACHE.parent if FONT_CACHE.parent.is_dir() else None)
        )
        subset_fonts(_Build.characters, KATEX_DIR / "fonts", scratch)
        FONT_CACHE.mkdir(parents=True, exist_ok=True)
        try:
            scratch.rename(cached)
        except OSError:  # another build stored the same fonts first
            shutil.rmtree(scratch, ignore_errors=True)
    shutil.copytree(cached, Path(config.site_dir) / FONTS_IN_SITE, dirs_exist_ok=True)


def _font_cache_key(characters: set[str]) -> str:
    digest = hashlib.sha256("".join(sorted(characters)).encode())
    digest.update(fontTools.version.encode())
    for font_path in sorted((KATEX_DIR / "fonts").glob("*.woff2")):
        digest.update(font_path.name.encode() + font_path.read_bytes())
    return digest.hexdigest()[:24]


# --- Fonts that arrive in time, and never move text --------------------------------------------
#
# A font that lands after the first paint changes the width of every formula it draws: the text
# around them reflows (0.1 of layout shift on the 3D page with the fonts 0.6 s late, 0.16 on a
# phone). So a page preloads every KaTeX font its formulas draw with, and the site's KaTeX
# stylesheet says `font-display: optional`: Chromium holds the first paint for preloaded fonts
# still on their way, and a font later than that is not swapped in, so that visit draws those
# formulas in a fallback font and nothing moves (the next page finds the font cached). KaTeX's
# own stylesheet says `block`: text hidden until the font comes, then moved by it.
_FONT_DISPLAY = "font-display:block"
_SITE_FONT_DISPLAY = "font-display:optional"
_CSS_RULE = re.compile(r"(?P<selectors>[^{}]+)\{(?P<body>[^{}]*)\}")
_CLASS = re.compile(r"\.(?P<name>[\w-]+)")
_CLASS_ATTRIBUTE = re.compile(r'class="(?P<names>[^"]*)"')
_KATEX_STYLESHEET = re.compile(r'<link rel="stylesheet" href="(?P<base>[^"]*)katex\.min\.css">')
BASE_FONT = "KaTeX_Main-Regular.woff2"  # `.katex` itself: every formula draws with it
# The classes of each element a CSS selector names, ``.a.b .c`` -> {{a, b}, {c}}.
Selector = frozenset[frozenset[str]]


def fonts_by_classes(stylesheet: str, fonts: set[str]) -> dict[Selector, str]:
    """``{selector: font file}`` from KaTeX's stylesheet: an element the selector matches
    draws with that font, one of ``fonts`` (KaTeX's file names, ``KaTeX_Main-Bold.woff2``).

    A selector is read as the classes of each of its elements (``.delimsizing.mult
    .delim-size1>span``: one element with both ``delimsizing`` and ``mult``, one with
    ``delim-size1``). A rule that sets a weight or a style but no family (``.katex .textbf``)
    inherits KaTeX_Main from ``.katex``.
    """
    found = {}
    for rule in _CSS_RULE.finditer(stylesheet):
        if rule["selectors"].lstrip().startswith("@"):
            continue  # @font-face: where a font is, not who draws with it
        font = _font_file(rule["body"])
        if font is None or font not in fonts:
            continue
        for selector in rule["selectors"].split(","):
            elements = (frozenset(_CLASS.findall(part)) for part in re.split(r"[\s>+~]+", selector))
            compounds = frozenset(classes for classes in elements if classes - {"katex"})
            if compounds:
                found[compounds] = font
    return found


def _font_file(declarations: str) -> str | None:
    """The KaTeX font file a rule's declarations ask for, if they choose one."""
    family = re.search(r"font-family:\s*(KaTeX_\w+)", declarations)
    bold = re.search(r"font-weight:\s*(700|bold)", declarations) is not None
    italic = re.search(r"font-style:\s*italic", declarations) is not None
    if family is None and not (bold or italic):
        return None
    variant = ("Bold" if bold else "") + ("Italic" if italic else "") or "Regular"
    return f"{family[1] if family else 'KaTeX_Main'}-{variant}.woff2"


@cache
def _site_fonts_by_classes() -> dict[Selector, str]:
    fonts = {path.name for path in (KATEX_DIR / "fonts").glob("*.woff2")}
    return fonts_by_classes((KATEX_DIR / "katex.min.css").read_text(encoding="utf-8"), fonts)


def fonts_drawn_with(page_html: str, by_selector: dict[Selector, str]) -> list[str]:
    """The KaTeX fonts a page's formulas draw with: the base font first, then by name.

    A selector counts when each of its elements' classes are all on one element of the page
    (where in the page is not checked: a page may preload a font it does not use, and the
    browser tests say whether it does).
    """
    if 'class="katex"' not in page_html:
        return []
    elements = {frozenset(match["names"].split()) for match in _CLASS_ATTRIBUTE.finditer(page_html)}
    drawn = {
        font
        for selector, font in by_selector.items()
        if all(any(classes <= element for element in elements) for classes in selector)
    }
    return [BASE_FONT, *sorted(drawn - {BASE_FONT})]


def preload_fonts(page_html: str, fonts: list[str]) -> str:
    """Add ``<link rel="preload">`` for ``fonts`` before the page's KaTeX stylesheet."""
    stylesheet = _KATEX_STYLESHEET.search(page_html)
    if stylesheet is None or not fonts:
        return page_html
    links = "".join(
        f'<link rel="preload" href="{stylesheet["base"]}fonts/{font}" as="font" '
        'type="font/woff2" crossorigin>'
        for font in fonts
    )
    return page_html[: stylesheet.start()] + links + page_html[stylesheet.start() :]


def optional_font_display(stylesheet: str) -> str:
    """KaTeX's stylesheet with every font ``font-display: optional`` (see above).

    Raises ``ValueError`` when a ``@font-face`` does not say ``block``: a KaTeX release that
    changed it needs this looked at again.
    """
    faces = stylesheet.count("@font-face")
    if faces == 0 or stylesheet.count(_FONT_DISPLAY) != faces:
        raise ValueError(
            f"KaTeX's stylesheet has {faces} @font-face rules and "
            f"{stylesheet.count(_FONT_DISPLAY)} `{_FONT_DISPLAY}`: expected one per rule."
        )
    return stylesheet.replace(_FONT_DISPLAY, _SITE_FONT_DISPLAY)


def on_post_page(output: str, page: Page, config: MkDocsConfig, **kwargs: Any) -> str:
    notebook = page.file.src_uri.endswith(".ipynb")
    try:
        output = render_page_math(output, _recording_renderer, dollar_delimiters=notebook)
        return preload_fonts(output, fonts_drawn_with(output, _site_fonts_by_classes()))
    except MathError as error:
        where = f"docs/{page.file.src_uri}{_line_of(page, error.tex)}"
        raise PluginError(f"{where}: KaTeX cannot render `{error.tex}`: {error}") from None


def _line_of(page: Page, tex: str) -> str:
    """``:LINE`` of the first line of the page's source holding ``tex``, if it can be found."""
    source = page.file.content_string if page.file.abs_src_path else ""
    first_line = tex.strip().splitlines()[0] if tex.strip() else ""
    for number, line in enumerate(source.splitlines(), start=1):
        if first_line and first_line in line:
            return f":{number}"
    return ""
