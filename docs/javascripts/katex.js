// Render every formula with the vendored KaTeX: no CDN, no MathJax.
// Material's `document$` emits on the first load and after every instant navigation,
// so formulas on pages reached by instant navigation are rendered too.
(function () {
  "use strict";

  const options = { throwOnError: false, strict: "ignore", output: "htmlAndMathml" };

  // pymdownx.arithmatex (generic) wraps TeX in \( \) or \[ \] inside .arithmatex elements.
  function renderArithmatex(root) {
    root.querySelectorAll(".arithmatex").forEach((element) => {
      if (element.dataset.katexRendered) return;
      const source = element.textContent.trim();
      const display = source.startsWith("\\[");
      const tex = source.replace(/^\\[([]/, "").replace(/\\[)\]]$/, "");
      katex.render(tex, element, { ...options, displayMode: display });
      element.dataset.katexRendered = "true";
    });
    updateTabStops(root);
  }

  // A formula wider than the page scrolls sideways (extra.css); a keyboard reader can scroll it
  // only if it takes focus (WCAG 2.1.1, axe: scrollable-region-focusable). Widths change when
  // KaTeX's fonts arrive, the window is resized or a collapsed block opens: check again then.
  function updateTabStops(root) {
    root.querySelectorAll("div.arithmatex").forEach((element) => {
      if (element.scrollWidth > element.clientWidth) {
        element.tabIndex = 0;
      } else {
        element.removeAttribute("tabindex");
      }
    });
  }
  document.fonts.addEventListener("loadingdone", () => updateTabStops(document.body));
  window.addEventListener("resize", () => updateTabStops(document.body));
  document.addEventListener("toggle", () => updateTabStops(document.body), true);

  // Notebook pages (mkdocs-jupyter) leave $...$ in plain markdown cells.
  function renderNotebookMarkdown(root) {
    root.querySelectorAll(".jp-RenderedMarkdown, .jp-MarkdownOutput").forEach((cell) => {
      renderMathInElement(cell, {
        ...options,
        delimiters: [
          { left: "$$", right: "$$", display: true },
          { left: "$", right: "$", display: false },
          { left: "\\(", right: "\\)", display: false },
          { left: "\\[", right: "\\]", display: true },
        ],
      });
    });
  }

  // A heading with math is listed in the navigation and table of contents as plain text,
  // `\(...\)` included: render it there too.
  function renderNavigation(root) {
    root.querySelectorAll(".md-nav__link").forEach((link) => {
      if (!link.textContent.includes("\\(")) return;
      renderMathInElement(link, {
        ...options,
        delimiters: [{ left: "\\(", right: "\\)", display: false }],
      });
    });
  }

  document$.subscribe(({ body }) => {
    renderArithmatex(body);
    renderNotebookMarkdown(body);
    renderNavigation(body);
  });
})();
