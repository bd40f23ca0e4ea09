"""hooks/search_maths.py: the search index holds MathML for inline formulas, no TeX at all."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest
from hook_modules import load_hook
from site_fixtures import BuiltSite, site_pages

hook = load_hook("search_maths")

_CODE = re.compile(r"<(pre|code)\b[^>]*>.*?</\1>", flags=re.DOTALL)
# What TeX looks like in text: its delimiters, and a control sequence such as `\frac`.
_TEX = re.compile(r"\\[()[\]]|\$\$|\\[A-Za-z]+")
_ARTICLE = re.compile(r"<article\b.*</article>", flags=re.DOTALL)
# An inline formula as hooks/katex.py leaves it in a page (a display one is in a <div>).
_PAGE_INLINE_FORMULA = '<span class="arithmatex"><span class="katex">'


def index_entries(built_site: BuiltSite) -> list[dict[str, str]]:
    index = json.loads((built_site.directory / hook.INDEX_IN_SITE).read_text(encoding="utf-8"))
    entries: list[dict[str, str]] = index["docs"]
    return entries


def test_the_search_index_holds_no_tex_outside_code(built_site: BuiltSite) -> None:
    """Material shows the index's text as HTML in its result previews."""
    entries = index_entries(built_site)
    assert len(entries) > 100
    tex = {}
    for entry in entries:
        for field in ("title", "text"):
            found = _TEX.findall(_CODE.sub("", entry[field]))
            if found:
                tex[f"{entry['location']} ({field})"] = found[:5]
    assert tex == {}
    # Code is left as it is, TeX and all: the page on derivation blocks shows `$$` in code.
    in_code = [code for entry in entries for code in _CODE.finditer(entry["text"])]
    assert any(_TEX.search(code.group(0)) for code in in_code)


def test_every_inline_formula_of_a_page_is_in_its_search_entries(built_site: BuiltSite) -> None:
    """Nothing is dropped: each page's entries hold as many ``<math>`` as the page's article
    has inline formulas (notebook pages, whose formulas are ``$...$``, too)."""
    in_index: Counter[str] = Counter()
    for entry in index_entries(built_site):
        page = entry["location"].partition("#")[0]
        in_index[page] += entry["title"].count("<math>") + entry["text"].count("<math>")
    on_pages: Counter[str] = Counter()
    for page in site_pages(built_site.directory):
        article = _ARTICLE.search(built_site.html(page))
        if article is not None:
            on_pages[page] = article.group(0).count(_PAGE_INLINE_FORMULA)
    assert +in_index == +on_pages
    assert sum(on_pages.values()) > 1000
    assert any(page.startswith("notebooks/") for page in +in_index)


def test_index_formulas_are_mathml_a_browser_draws(built_site: BuiltSite) -> None:
    """No TeX annotation, no KaTeX wrapper, and no bold or double-struck `mathvariant`, which
    Chromium does not draw: those letters are Unicode's bold and double-struck characters."""
    formulas = [
        formula
        for entry in index_entries(built_site)
        for formula in re.findall(r"<math\b.*?</math>", entry["text"], flags=re.DOTALL)
    ]
    assert formulas
    assert not [formula for formula in formulas if not formula.startswith("<math><")]
    text = "".join(formulas)
    for left_out in ("<annotation", "<semantics", "katex", 'mathvariant="bold"'):
        assert left_out not in text
    assert "\N{MATHEMATICAL BOLD SMALL X}" in text  # the site's vectors, \mathbf x
    assert "\N{DOUBLE-STRUCK CAPITAL R}" in text  # \mathbb R


def test_katex_output_of_another_form_is_refused() -> None:
    """A KaTeX release that changes its MathML must be looked at, not half rewritten."""
    with pytest.raises(ValueError, match="not KaTeX's MathML-only output"):
        hook.mathml_for_search('<span class="katex"><span class="katex-html">x</span></span>')
