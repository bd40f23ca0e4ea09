// Formulas are rendered at build time (hooks/katex.py); this script only keeps wide ones usable.
// A formula wider than the page scrolls sideways (extra.css); a keyboard reader can scroll it
// only if it takes focus (WCAG 2.1.1, axe: scrollable-region-focusable). Widths change when
// KaTeX's fonts arrive, the window is resized or a collapsed block opens: check again then.
//
// Sections below the first screen are rendered only when the reader nears them
// (hooks/sections.py, content-visibility). Measuring a formula there would force the browser to
// render its section at once, so such formulas are checked when their section is rendered.
(function () {
  "use strict";

  function isRendered(element) {
    return !element.checkVisibility || element.checkVisibility({ contentVisibilityAuto: true });
  }

  function updateTabStops(root) {
    root.querySelectorAll("div.arithmatex").forEach((element) => {
      if (!isRendered(element)) {
        return;
      }
      if (element.scrollWidth > element.clientWidth) {
        element.tabIndex = 0;
      } else {
        element.removeAttribute("tabindex");
      }
    });
  }

  // Fired on a deferred section when the browser starts or stops rendering it; it does not
  // bubble, so listen in the capture phase.
  document.addEventListener(
    "contentvisibilityautostatechange",
    (event) => {
      if (!event.skipped) {
        updateTabStops(event.target);
      }
    },
    true,
  );
  document.fonts.addEventListener("loadingdone", () => updateTabStops(document.body));
  window.addEventListener("resize", () => updateTabStops(document.body));
  document.addEventListener("toggle", () => updateTabStops(document.body), true);
  // Material's `document$` emits on the first load and after every instant navigation.
  document$.subscribe(({ body }) => updateTabStops(body));
})();
