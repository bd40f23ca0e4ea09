"""Find Python code on doc pages that Sybil would silently not run, or a reader could not.

Sybil collects a fence only when its info string is exactly ``python``: ``py``, ``pycon``,
``python title="x.py"`` and friends are shown on the page but never executed. A skip without
a reason hides a block with no record of why. An import made only in an invisible block
(``<!-- invisible-code-block: python``) runs in the tests, but a reader who copies the blocks
the page shows gets a ``NameError``. All are reported here, with file and line.
"""

from __future__ import annotations

import ast
import doctest
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

from sybil import Sybil

FENCE_OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<marker>`{3,}|~{3,})[ \t]*(?P<info>[^\n]*?)[ \t]*$")
# First word of an info string that announces Python, in any spelling Markdown renderers accept.
PYTHON_WORDS = {"py", "py3", "python", "python3", "pycon", "ipython", "ipython3", "pyi", "pytb"}
INVISIBLE_BLOCK = re.compile(r"<!--\s*invisible-code-block:\s*python[ \t]*\n(?P<code>.*?)-->", re.S)
SKIP_DIRECTIVE = re.compile(r"<!--\s*skip:\s*(?P<action>next|start)\b(?P<rest>.*?)-->", re.S)
REASON = re.compile(r"""(["']).*\S.*\1|reason\s*=""")


@dataclass(frozen=True, slots=True)
class Problem:
    """One offending line of a doc page."""

    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass(frozen=True, slots=True)
class Fence:
    """A fenced code block: its info string and the lines it spans (1-based, inclusive)."""

    info: str
    first_line: int
    last_line: int


def fences(text: str) -> list[Fence]:
    """Return the top-level fenced code blocks of a Markdown text."""
    found: list[Fence] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        opening = FENCE_OPEN.match(lines[index])
        if not opening:
            index += 1
            continue
        marker = opening["marker"]
        close = re.compile(rf"^[ \t]*{re.escape(marker[0])}{{{len(marker)},}}[ \t]*$")
        end = index + 1
        while end < len(lines) and not close.match(lines[end]):
            end += 1
        found.append(Fence(opening["info"], index + 1, min(end, len(lines) - 1) + 1))
        index = end + 1
    return found


def looks_like_python(info: str) -> bool:
    """Whether a fence's info string announces Python code."""
    words = re.split(r"[\s{}.=]+", info.strip().lower())
    return any(word in PYTHON_WORDS for word in words[:2] if word)


def uncollected_python_fences(sybil: Sybil, path: Path) -> list[Problem]:
    """Python-looking fences of ``path`` in which ``sybil`` finds no example to run."""
    example_lines = [example.line for example in sybil.parse(path)]
    problems = []
    for fence in fences(path.read_text(encoding="utf-8")):
        if not looks_like_python(fence.info):
            continue
        if not any(fence.first_line <= line <= fence.last_line for line in example_lines):
            problems.append(
                Problem(
                    path,
                    fence.first_line,
                    f"fence with info string {fence.info!r} is not run by the tests; "
                    "use exactly `python` (or `text` for code that must not run)",
                )
            )
    return problems


def skips_without_reason(path: Path) -> list[Problem]:
    """``<!-- skip: next -->`` or ``skip: start`` directives that give no reason."""
    text = path.read_text(encoding="utf-8")
    problems = []
    for match in SKIP_DIRECTIVE.finditer(text):
        if not REASON.search(match["rest"]):
            line = text.count("\n", 0, match.start()) + 1
            problems.append(
                Problem(
                    path,
                    line,
                    f"`skip: {match['action']}` gives no reason; "
                    'write `<!-- skip: next "why it cannot run" -->`',
                )
            )
    return problems


def names_imported_out_of_sight(path: Path) -> list[Problem]:
    """Names that a shown ``python`` block uses but only an invisible block defines (imports,
    assigns), before anything shown defines them: the first shown block that uses each one is
    named. Statements are read in order, so a use before an import in one block counts."""
    text = path.read_text(encoding="utf-8")
    blocks = fences(text)
    hidden = set()
    for match in INVISIBLE_BLOCK.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        if not any(block.first_line <= line <= block.last_line for block in blocks):
            hidden |= _module_names(_parsed(match["code"]))  # not an example shown in a fence
    lines = text.splitlines()
    shown: set[str] = set()
    problems = []
    for fence in blocks:
        if fence.info != "python":
            continue
        block = _parsed(_as_code("\n".join(lines[fence.first_line : fence.last_line - 1])))
        for statement in block:
            for name in sorted(_free_names(statement) & hidden - shown):
                problems.append(
                    Problem(
                        path,
                        fence.first_line,
                        f"`{name}` is imported or defined only in an invisible block: a reader "
                        "who copies the shown blocks gets a NameError; define it in a shown block",
                    )
                )
                shown.add(name)  # each name is reported once, at its first use
            shown |= _module_names([statement])
    return problems


def _parsed(code: str) -> list[ast.stmt]:
    """The statements of ``code``; none if it is not Python. A block under `skip: next` need
    not be, and Sybil reports a syntax error in any block it runs."""
    try:
        return ast.parse(textwrap.dedent(code)).body
    except SyntaxError:
        return []


def _as_code(source: str) -> str:
    """A block's Python: the statements of its ``>>>`` examples, or the block itself."""
    source = textwrap.dedent(source)
    if not source.lstrip().startswith(">>>"):
        return source
    return "\n".join(example.source for example in doctest.DocTestParser().get_examples(source))


_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)  # each binds its name
_SCOPES = (*_DEFINITIONS, ast.Lambda)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def _module_names(statements: list[ast.stmt]) -> set[str]:
    """Names the statements bind where they run (not inside the functions they define)."""
    names: set[str] = set()
    for statement in statements:
        if isinstance(statement, _DEFINITIONS):
            names.add(statement.name)
            continue
        for node in _walk_outside_scopes(statement):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names |= {(alias.asname or alias.name).split(".")[0] for alias in node.names}
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif isinstance(node, _DEFINITIONS):
                names.add(node.name)
    return names


def _free_names(statement: ast.stmt) -> set[str]:
    """Names ``statement`` reads that it does not bind itself: a function's parameters and
    locals, and a comprehension's variables, are its own."""
    used = {
        node.id
        for node in ast.walk(statement)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)
    }
    own = set()
    for node in ast.walk(statement):
        if isinstance(node, ast.arg):
            own.add(node.arg)
        elif isinstance(node, (*_SCOPES, *_COMPREHENSIONS)):
            own |= {
                inner.id
                for inner in ast.walk(node)
                if isinstance(inner, ast.Name) and isinstance(inner.ctx, ast.Store)
            }
    return used - own


def _walk_outside_scopes(node: ast.AST) -> list[ast.AST]:
    """``node`` and what it contains, except the insides of the functions, classes and
    comprehensions in it (whose names stay inside)."""
    found = [node]
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (*_SCOPES, *_COMPREHENSIONS)):
            found.append(child)  # a function's or class's name is bound here; the rest is not
        else:
            found += _walk_outside_scopes(child)
    return found
