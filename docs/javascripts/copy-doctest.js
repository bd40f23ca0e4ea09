// The copy button of a doctest block copies the code only, so that it runs when pasted: at
// Python's prompt, in IPython, in a notebook cell or in a script.
// Material copies the `data-copy` attribute of the nearest element that has one, else the text;
// for a block that starts with `>>>`, set that attribute to the statements without prompts or
// output. Parsing follows `doctest`: `...` lines right after a `>>>` line continue the statement,
// any other line up to the next `>>>` is expected output.
(function () {
  "use strict";

  function codeOfSession(text) {
    const statements = [];
    let statement = null;
    for (const line of text.split("\n")) {
      const source = line.match(/^(>>>|\.\.\.)( |$)(.*)$/);
      if (source && source[1] === ">>>") {
        statement = [source[3]];
        statements.push(statement);
      } else if (source && statement) {
        statement.push(source[3]);
      } else {
        statement = null;
      }
    }
    // A statement of several lines (a `def`, a `for`) is followed by a blank line, as typed at
    // Python's prompt: pasted there, the next statement would otherwise be read as part of it
    // (a SyntaxError). In a script or a notebook cell the blank line changes nothing.
    const last = statements.length - 1;
    return statements
      .map((lines, index) => lines.join("\n") + (lines.length > 1 && index < last ? "\n" : ""))
      .join("\n");
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
