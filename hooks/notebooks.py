"""Make mkdocs-jupyter's notebook pages light, script-free and themed like every other page.

mkdocs-jupyter renders a notebook with nbconvert's ``lab`` template, which brings ~600 KB of
inline JupyterLab CSS, a MathJax 2 block (it throws after Material's instant navigation), a
Mermaid module and a clipboard custom element. Every page of this site already has what a
notebook needs: Material's code styles (light and dark) and copy button, KaTeX for ``$...$``
(``hooks/katex.py`` renders notebook Markdown cells at build time), and
``docs/stylesheets/notebooks.css`` for the few cell rules left. So this hook keeps only the
cells, rewrites code cells to Material's code-block markup, and adds the reader's two actions:
download the ``.ipynb`` and open it in Colab.

``slim_notebook_html`` and ``notebook_actions`` are plain functions, usable outside MkDocs.
"""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import urlparse

from mkdocs.utils import get_relative_url

_WRAPPER = re.compile(
    r'<div class="jupyter-wrapper">.*</div>\s*<!-- jupyter-wrapper -->', flags=re.DOTALL
)
# Output cells may carry HTML with their own scripts or styles (pandas, widgets).
_SCRIPT_OR_STYLE = re.compile(r"<(script|style)\b.*?</\1\s*>", flags=re.DOTALL | re.IGNORECASE)
_CLIPBOARD_BUTTON = re.compile(
    r'<div class="zeroclipboard-container">.*?</clipboard-copy>\s*</div>', flags=re.DOTALL
)
_CLIPBOARD_TEXT = re.compile(r'<div class="clipboard-copy-txt"[^>]*>.*?</div>', flags=re.DOTALL)
_EMPTY_COLLAPSER = re.compile(r'<div class="jp-Collapser[^"]*">\s*</div>')
_CODE_BLOCK = re.compile(
    r'<div class="highlight-ipynb hl-(?P<language>[\w-]+)[^"]*"><pre>(?P<code>.*?)</pre></div>',
    flags=re.DOTALL,
)
_HTML_COMMENT = re.compile(r"<!--.*?-->", flags=re.DOTALL)


def slim_notebook_html(content: str) -> str:
    """Keep the cells of mkdocs-jupyter's HTML; drop its scripts, styles and clipboard widget.

    Code cells become Material's own markup (``div.highlight > pre > code``), so they get the
    site's syntax colours in both schemes and Material's copy button.
    """
    wrapper = _WRAPPER.search(content)
    if wrapper is None:
        raise ValueError("mkdocs-jupyter's HTML has no `jupyter-wrapper`: did its template change?")
    cells = wrapper.group(0)
    for pattern in (_SCRIPT_OR_STYLE, _CLIPBOARD_BUTTON, _CLIPBOARD_TEXT, _EMPTY_COLLAPSER):
        cells = pattern.sub("", cells)
    cells = _HTML_COMMENT.sub("", cells)
    cells = _CODE_BLOCK.sub(_material_code_block, cells)
    cells = cells.replace(' tabindex="0"', "")
    # Material's own permalink style: hidden until the heading is hovered.
    return cells.replace('class="anchor-link"', 'class="headerlink" title="Permanent link"')


def _material_code_block(match: re.Match[str]) -> str:
    code = match.group("code").removeprefix("<span></span>")
    language = match.group("language")
    # Out of the search index: the chapter pages index the same code, and the index is
    # downloaded on every first view.
    return (
        f'<div class="language-{language} highlight" data-search-exclude>'
        f"<pre><span></span><code>{code}</code></pre></div>"
    )


def colab_url(repo_url: str, edit_uri: str, src_uri: str) -> str | None:
    """Colab's address for a notebook in the GitHub repository, or None for another host.

    ``edit_uri`` (``edit/main/docs/``) names the branch and docs folder; Colab reads ``blob/``.
    """
    repository = urlparse(repo_url)
    if repository.netloc != "github.com" or not edit_uri.startswith("edit/"):
        return None
    blob = "blob/" + edit_uri.removeprefix("edit/")
    owner_and_name = repository.path.strip("/")
    return f"https://colab.research.google.com/github/{owner_and_name}/{blob.rstrip('/')}/{src_uri}"


def published_site(repo_url: str) -> str | None:
    """The GitHub Pages address of the repository (the default ``site_url``), or None.

    Notebooks link their chapters there, so that the links also work in Colab and in a
    downloaded copy.
    """
    repository = urlparse(repo_url)
    parts = repository.path.strip("/").split("/")
    if repository.netloc != "github.com" or len(parts) != 2:
        return None
    owner, name = parts
    return f"https://{owner.lower()}.github.io/{name}/"


def site_relative_links(cells: str, published: str, page_url: str) -> str:
    """Turn links to pages of the published site into links relative to ``page_url``.

    On the site itself they then stay on whatever origin serves it (a local preview, the
    tests' server), Material's instant navigation follows them, and link checkers see them.
    """
    pattern = re.compile(r'href="' + re.escape(published) + r'(?P<path>[^"#]*)(?P<anchor>#[^"]*)?"')

    def relative(match: re.Match[str]) -> str:
        target = get_relative_url(match.group("path"), page_url)
        if match.group("path") in ("", "/") or target.endswith(".."):
            target += "/"
        return f'href="{target}{match.group("anchor") or ""}"'

    return pattern.sub(relative, cells)


def notebook_actions(download_name: str, colab: str | None) -> str:
    """The download button, the Colab link and a note on outputs, under a notebook's title."""
    name = html.escape(download_name, quote=True)
    buttons = [
        f'<a class="md-button md-button--primary" href="{name}" download="{name}" '
        f'title="{name}">Download notebook</a>'
    ]
    if colab is not None:
        href = html.escape(colab, quote=True)
        buttons.append(f'<a class="md-button" href="{href}">Open in Colab</a>')
    return f'<p class="notebook-actions">{" ".join(buttons)}</p>' + _NOT_RUN_NOTE


# The build does not execute notebooks (the tests do), so a page shows code without outputs:
# say so where the reader starts, rather than let them wait for results.
_NOT_RUN_NOTE = (
    '<p class="notebook-note">This page shows the code only: the outputs appear when you run '
    "the notebook. The project's tests run every cell on each change, so each one runs as "
    "shown.</p>"
)


def _insert_after_title(cells: str, block: str) -> str:
    title_end = cells.find("</h1>")
    if title_end == -1:
        return block + cells
    cut = title_end + len("</h1>")
    return cells[:cut] + block + cells[cut:]


def on_page_content(html_content: str, page: Any, config: Any, files: Any) -> str:
    if not page.file.src_uri.endswith(".ipynb"):
        return html_content
    cells = slim_notebook_html(html_content)
    published = published_site(config["repo_url"] or "")
    if published is not None:
        cells = site_relative_links(cells, published, page.url)
    download_name = page.file.src_uri.rsplit("/", 1)[-1]
    colab = colab_url(config["repo_url"] or "", config["edit_uri"] or "", page.file.src_uri)
    return _insert_after_title(cells, notebook_actions(download_name, colab))
