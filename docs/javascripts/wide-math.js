// Formulas are rendered at build time (hooks/katex.py); this script only keeps wide ones usable.
// A formula wider than the page scrolls sideways (extra.css); a keyboard reader can scroll it
// only if it takes focus (WCAG 2.1.1, axe: scrollable-region-focusable). Widths change when
// KaTeX's fonts arrive, the window is resized or a collapsed block opens: check again then.
(function () {
  "use strict";

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
  // Material's `document$` emits on the first load and after every instant navigation.
  document$.subscribe(({ body }) => updateTabStops(body));
})();
