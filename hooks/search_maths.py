"""MkDocs hook: formulas in the search index as MathML a browser draws, not as TeX.

Material's search plugin indexes each page before hooks/katex.py renders its formulas, so
``search/search_index.json`` held their TeX source, and Material shows the index's text as HTML
in its result previews: a reader saw ``\\(\\nabla (\\mathbf a^\\top \\mathbf a) = 2\\mathbf a\\)``,
and a whole ``\\begin{aligned}`` derivation ahead of the paragraph that matched. After the build
this hook rewrites the index:

- an inline formula (``\\(...\\)``; ``$...$`` on notebook pages) becomes KaTeX's MathML-only
  output, which Chromium, Firefox and Safari draw with no stylesheet and no font of the site
  (see `mathml_for_search`);
- a display formula (``\\[...\\]``; ``$$...$$`` on notebook pages) is left out. It stands
  between paragraphs, and Material glued it to the start of the next paragraph's preview, where
  a matrix or a five-line derivation drowned the sentence that matched. The result links to the
  page, where the formula is drawn.

Text in ``<code>`` and ``<pre>`` is never touched, and everything else of the index stays as the
search plugin wrote it. The same formulas are rendered here as on the pages: the same
delimiters, dollars on notebook pages only (hooks/katex.py).

What it weighs (the whole index of the site when this was written, gzip -9): 416,086 bytes
before, 105,341 gzipped; 677,055 after, 116,441 gzipped, 11 KB more on the wire, fetched only
when a reader searches (overrides/partials/lazy-search-index.html). The alternatives measured
with display formulas left out: KaTeX's MathML as it comes, TeX annotation and all, 146 KB
gzipped; KaTeX's HTML, which also needs its stylesheet and fonts, 191 KB. Display formulas as
MathML too: 130 KB. Chromium's search worker got its first results no later than before.

Material highlights a matched word by wrapping it in ``<mark>``; a word inside a formula (an
``<mi>sin</mi>``, say) gets its ``<mark>`` inside the token element, which browsers draw.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from collections.abc import Callable, Collection
from functools import cache
from pathlib import Path
from typing import Any

# `katex` is hooks/katex.py: MkDocs puts a hook's folder on the path while it loads the hook,
# and pytest has hooks/ on its `pythonpath`.
import katex
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import Files

INDEX_IN_SITE = Path("search") / "search_index.json"

# Formulas as the search plugin leaves them in its (HTML) text: hooks/katex.py's inline and
# dollar patterns, and arithmatex's display delimiters, which that hook finds by their <div>.
# A display formula takes the white space around it, which leaves one space.
_DISPLAY = re.compile(r"\s*\\\[(?P<display>.*?)\\\]\s*", flags=re.DOTALL)
# A paragraph that held only a display formula (``<p>$$...$$</p>`` on notebook pages).
_EMPTY_PARAGRAPH = re.compile(r"<p>\s*</p>")

# KaTeX's MathML-only output of an inline formula: the TeX source goes (the index would hold it
# again, and search would match `frac`), and so does what HTML does not need.
_KATEX_MATHML = re.compile(
    r'<span class="katex"><math xmlns="http://www.w3.org/1998/Math/MathML"><semantics>'
    r'(?P<body>.*)<annotation encoding="application/x-tex">.*</annotation>'
    r"</semantics></math></span>",
    flags=re.DOTALL,
)
# KaTeX puts U+2061 (function application) after `\sin` and the like. TeX sets a thin space
# between such a function and an operand that follows it (`\sin u`), not an opening bracket
# (`\sin(u)`); Chromium draws U+2061 with no space, and ran them together: "sinu".
_FUNCTION_THEN_OPERAND = re.compile("<mo>\u2061</mo>(?=<m)(?!<mo[ >]|<mrow><mo[ >])")
_THIN_SPACE_AFTER = '<mo rspace="0.1667em">\u2061</mo>'
# KaTeX writes f' as f with a superscript prime. A prime glyph already sits high, and Chromium
# raised it again, to a speck above the letter: it is set beside the letter instead.
_PRIME = '<mo mathvariant="normal"(?: lspace="0em" rspace="0em")?>\u2032</mo>'
_PRIMED = re.compile(
    # The base: a letter, number or bracket, or a row with no row in it (`\sin'`).
    r"<msup>(?P<base><(?P<tag>mi|mn|mo)\b[^>]*>[^<]*</(?P=tag)>|<mrow>(?:(?!</?mrow>).)*</mrow>)"
    f"(?:<mrow>)?(?P<primes>(?:{_PRIME})+)(?:</mrow>)?</msup>"
)
# MathML Core, which Chromium implements, draws no `mathvariant` but "normal": a bold vector
# would be drawn as an italic letter, the double-struck R of the reals as an italic R. Unicode has
# each styled letter as a character of its own, which every browser draws. Only identifiers and
# numbers change: a word in <mtext> must stay the word a reader searches for.
_STYLED_TOKEN = re.compile(r'<(?P<tag>mi|mn) mathvariant="(?P<variant>[a-z-]+)">(?P<text>[^<]*)</')
_STYLES = {
    "bold": "BOLD",
    "italic": "ITALIC",
    "bold-italic": "BOLD ITALIC",
    "double-struck": "DOUBLE-STRUCK",
    "script": "SCRIPT",
    "bold-script": "BOLD SCRIPT",
    "fraktur": "FRAKTUR",
    "bold-fraktur": "BOLD FRAKTUR",
    "sans-serif": "SANS-SERIF",
    "bold-sans-serif": "SANS-SERIF BOLD",
    "sans-serif-italic": "SANS-SERIF ITALIC",
    "sans-serif-bold-italic": "SANS-SERIF BOLD ITALIC",
    "monospace": "MONOSPACE",
}


def styled(text: str, variant: str) -> str | None:
    r"""``text`` in the Unicode characters of a MathML ``mathvariant``, or None if one has none.

    >>> for text, variant in [("a", "bold"), ("0", "bold"), ("\N{NABLA}", "bold")]:
    ...     print(unicodedata.name(styled(text, variant)))
    MATHEMATICAL BOLD SMALL A
    MATHEMATICAL BOLD DIGIT ZERO
    MATHEMATICAL BOLD NABLA
    >>> [unicodedata.name(styled(letter, "double-struck")) for letter in "NR"]
    ['DOUBLE-STRUCK CAPITAL N', 'DOUBLE-STRUCK CAPITAL R']
    >>> print(styled("\N{DOWN TACK}", "bold"), styled("a", "normal"))
    None None
    """
    style = _STYLES.get(variant)
    if style is None:
        return None
    characters = []
    for character in text:
        # "LATIN SMALL LETTER A" -> "SMALL A"; "DIGIT ZERO" and "NABLA" stay.
        name = re.sub(
            r"^(?:LATIN|GREEK) (SMALL|CAPITAL) LETTER ", r"\1 ", unicodedata.name(character, "")
        )
        # Letters Unicode had before its mathematical block (the double-struck R, the script L,
        # the black-letter C, the italic h) are not in it again: they keep their old names.
        names = [
            f"MATHEMATICAL {style} {name}",
            f"{style} {name}".replace("FRAKTUR", "BLACK-LETTER"),
        ]
        if (style, name) == ("ITALIC", "SMALL H"):
            names.append("PLANCK CONSTANT")
        found = _character_named(names)
        if found is None:
            return None
        characters.append(found)
    return "".join(characters)


def _character_named(names: list[str]) -> str | None:
    """The character of the first of ``names`` Unicode has, if any."""
    for name in names:
        try:
            return unicodedata.lookup(name)
        except KeyError:
            continue
    return None


def mathml_for_search(rendered: str) -> str:
    r"""KaTeX's MathML-only rendering of an inline formula, as the index keeps it.

    KaTeX's wrapper, the ``<semantics>`` with its TeX annotation and the namespace go (HTML
    needs none), and so does the ``<mrow>`` around the whole formula, which ``<math>`` already
    is. A bold or double-struck letter becomes its Unicode character (see `styled`), a prime
    stands beside its letter, not above it, and a function such as ``\sin`` gets the thin space
    TeX sets before an operand (``\sin u``).

    >>> render = katex.KatexRenderer(output="mathml")
    >>> print(ascii(mathml_for_search(render(r"2\mathbf a", display=False))))
    '<math><mn>2</mn><mi>\U0001d41a</mi></math>'
    >>> print(ascii(mathml_for_search(render("f''(x)", display=False))))
    '<math><mi>f</mi><mo lspace="0em" rspace="0em">\u2032\u2032</mo><mo ...>(</mo>...</math>'
    >>> print(ascii(mathml_for_search(render(r"\sin u", display=False))))
    '<math><mi>sin</mi><mo rspace="0.1667em">\u2061</mo><mi>u</mi></math>'
    >>> print(ascii(mathml_for_search(render(r"\sin(u)", display=False))))  # no space
    '<math><mi>sin</mi><mo>\u2061</mo><mo stretchy="false">(</mo><mi>u</mi><mo ...>)</mo></math>'

    Raises ``ValueError`` for anything else: a KaTeX release that changed its output needs
    this looked at again.
    """
    match = _KATEX_MATHML.fullmatch(rendered)
    if match is None:
        raise ValueError(f"not KaTeX's MathML-only output of an inline formula: {rendered[:200]}")
    body = match["body"]
    # KaTeX puts one element in <semantics>: an <mrow> there spans the whole formula.
    if body.startswith("<mrow>") and body.endswith("</mrow>"):
        body = body[len("<mrow>") : -len("</mrow>")]
    body = _PRIMED.sub(_prime_beside, _STYLED_TOKEN.sub(_unstyle, body))
    body = _FUNCTION_THEN_OPERAND.sub(_THIN_SPACE_AFTER, body)
    return f"<math>{body}</math>"


def _prime_beside(match: re.Match[str]) -> str:
    primes = "\u2032" * match["primes"].count("\u2032")
    return f'{match["base"]}<mo lspace="0em" rspace="0em">{primes}</mo>'


def _unstyle(match: re.Match[str]) -> str:
    text = styled(html.unescape(match["text"]), match["variant"])
    if text is None:
        return match.group(0)  # kept for the browsers that draw it
    return f"<{match['tag']}>{html.escape(text, quote=False)}</"


def readable_maths(text: str, render: Callable[[str], str], *, dollar_delimiters: bool) -> str:
    r"""The index text ``text`` with each inline formula as ``render(tex)`` and no display one.

    ``text`` is HTML, as the search plugin writes it; ``render`` gets the TeX unescaped.
    ``dollar_delimiters`` also reads ``$...$`` and ``$$...$$`` (notebook pages).

    >>> def render(tex):
    ...     return f"<math>{html.escape(tex)}</math>"
    >>> text = r"<p>Slope \(f(x) &lt; 0\), so</p> \[ f(x) = \frac{1}{x} \] <p>and</p>"
    >>> print(readable_maths(text, render, dollar_delimiters=False))
    <p>Slope <math>f(x) &lt; 0</math>, so</p> <p>and</p>
    >>> text = "<p>For $x$:</p> <p>$$x^2$$</p> <pre><code>cost = '$5 or $6'</code></pre>"
    >>> print(readable_maths(text, render, dollar_delimiters=True))
    <p>For <math>x</math>:</p>  <pre><code>cost = '$5 or $6'</code></pre>
    """
    patterns = [_DISPLAY, katex.PAREN_MATH]
    if dollar_delimiters:
        patterns.append(katex.DOLLAR_MATH)

    def formula(match: re.Match[str]) -> str:
        if match.groupdict().get("display") is not None:
            return " "
        return render(html.unescape(match["inline"]).strip())

    def in_text(run: str) -> str:
        for pattern in patterns:
            run = pattern.sub(formula, run)
        return run

    rewritten = katex.map_text(text, in_text)
    return _EMPTY_PARAGRAPH.sub("", rewritten) if rewritten != text else text


def rewrite_search_index(
    index: str, render: Callable[[str], str], notebook_pages: Collection[str]
) -> str:
    r"""``index`` (Material's ``search_index.json``) with `readable_maths` on every title and
    text, written as Material writes it; ``notebook_pages`` are the URLs read with dollars.

    >>> index = (
    ...     '{"config":{"lang":["en"]},"docs":['
    ...     r'{"location":"a/","title":"A","text":"<p>\\(x\\) and $y$</p>"},'
    ...     '{"location":"b/#c","title":"C","text":"<p>$z$</p>"}]}'
    ... )
    >>> rewritten = rewrite_search_index(index, lambda tex: f"<math>{tex}</math>", {"b/"})
    >>> [entry["text"] for entry in json.loads(rewritten)["docs"]]
    ['<p><math>x</math> and $y$</p>', '<p><math>z</math></p>']

    Not a byte of the rest changes:

    >>> rewritten == index.replace(r"\\(x\\)", "<math>x</math>").replace("$z$", "<math>z</math>")
    True
    """
    data = json.loads(index)
    for entry in data["docs"]:
        dollars = entry["location"].partition("#")[0] in notebook_pages
        for field in ("title", "text"):
            if isinstance(entry.get(field), str):
                entry[field] = readable_maths(entry[field], render, dollar_delimiters=dollars)
    # Material's own call (material/plugins/search/plugin.py, generate_search_index).
    return json.dumps(data, separators=(",", ":"), default=str)


@cache
def _renderer() -> katex.KatexRenderer:
    # One for the process: it remembers each formula, and `mkdocs serve` rebuilds reuse it.
    return katex.KatexRenderer(output="mathml")


def _index_mathml(tex: str) -> str:
    return mathml_for_search(_renderer()(tex, display=False))


class _Build:
    """The URLs of this build's notebook pages, which hooks/katex.py renders dollars on."""

    notebook_pages: frozenset[str] = frozenset()


def on_files(files: Files, config: MkDocsConfig, **kwargs: Any) -> None:
    # Every file, even in a dirty build, whose index keeps the pages it did not rebuild.
    _Build.notebook_pages = frozenset(file.url for file in files if file.src_uri.endswith(".ipynb"))


def on_post_build(config: MkDocsConfig, **kwargs: Any) -> None:
    # Hooks come after the plugins named in mkdocs.yml: the search plugin has written the index.
    path = Path(config.site_dir) / INDEX_IN_SITE
    if not path.is_file():
        return
    try:
        rewritten = rewrite_search_index(
            path.read_text(encoding="utf-8"), _index_mathml, _Build.notebook_pages
        )
    except katex.MathError as error:
        raise PluginError(f"{INDEX_IN_SITE}: KaTeX cannot render `{error.tex}`: {error}") from None
    path.write_text(rewritten, encoding="utf-8")
