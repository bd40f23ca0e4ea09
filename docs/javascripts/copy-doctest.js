// The copy button of a doctest block copies the code only, so that it runs when pasted.
// Material copies the `data-copy` attribute of the nearest element that has one, else the text;
// for a block that starts with `>>>`, set that attribute to the statements without prompts or
// output. Parsing follows `doctest`: `...` lines right after a `>>>` line continue the statement,
// any other line up to the next `>>>` is expected output.
(function () {
  "use strict";

  function codeOfSession(text) {
    const code = [];
    let inStatement = false;
    for (const line of text.split("\n")) {
      const source = line.match(/^(>>>|\.\.\.)( |$)(.*)$/);
      if (source && (source[1] === ">>>" || inStatement)) {
        code.push(source[3]);
        inStatement = true;
      } else {
        inStatement = false;
      }
    }
    return code.join("\n");
  }

  document$.subscribe(({ body }) => {
    body.querySelectorAll(".language-python.highlight pre > code").forEach((code) => {
      const text = code.textContent;
      if (text.trimStart().startsWith(">>>")) {
        code.dataset.copy = codeOfSession(text);
      }
    });
  });
})();
