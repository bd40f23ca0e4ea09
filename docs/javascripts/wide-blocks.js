// Keeps wide formulas and code blocks usable from the keyboard. A display formula (rendered at
// build time, hooks/katex.py) or a code block wider than the page scrolls sideways; a keyboard
// reader can scroll it only if it takes focus (WCAG 2.1.1, axe: scrollable-region-focusable).
// Widths change when fonts arrive, the window is resized or a collapsed block opens: check
// again then.
//
// Sections below the first screen are rendered only when the reader nears them
// (hooks/sections.py, content-visibility). Measuring a block there would force the browser to
// render its section at once, so such blocks are checked when their section is rendered.
// Material gives a scrollable code block the same tab stop, but only once the block scrolls
// into view (`content.lazy` in mkdocs.yml); a section can render before that.
(function () {
  "use strict";

  // A formula's box, and the element of a code block that scrolls (as in Material's CSS).
  const WIDE_BLOCKS = "div.arithmatex, .highlight pre > code";

  function isRendered(element) {
    return !element.checkVisibility || element.checkVisibility({ contentVisibilityAuto: true });
  }

  function updateTabStops(root) {
    root.querySelectorAll(WIDE_BLOCKS).forEach((element) => {
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
