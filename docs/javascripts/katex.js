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
  }

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

  document$.subscribe(({ body }) => {
    renderArithmatex(body);
    renderNotebookMarkdown(body);
  });
})();
