"""MkDocs hook: drop Material's rule that turns off transitions while the colour scheme switches.

Material's palette stylesheet holds ``[data-md-color-switching] * {transition-duration: 0s}``,
and its script sets that attribute on the body, then removes it one task later, each time the
palette is applied: on every page load, not only when a reader switches schemes. A rule of the
form ``[attribute] *`` makes each change of the attribute restyle every element of the page, so
every load paid two full restyles in Material's first tasks. On a chapter, without them, the
bundle's first task took 128 ms instead of 145 ms, and style and layout 233 ms instead of 269 ms
over the load (phone viewport, median of seven traced loads on the build machine).

Without the rule, the attribute matches nothing and its changes cost nothing. What a reader
sees instead: when the scheme switches (their click on the toggle, or their system's change under
the automatic palette), links, code, tables, the navigation and the search field ease into their
new colours over Material's 125-250 ms transitions instead of changing in the same frame as the
rest. A page load must not fade anything: every colour is right before Material starts
(overrides/partials/javascripts/palette.html), which tests/test_first_load.py checks.

The stylesheet stays where Material puts it; the rule is blanked with spaces, not cut out, so
that Material's source map still points at the right place for every rule after it.
``drop_switching_rules`` is a plain function, usable outside MkDocs.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig

log = logging.getLogger("mkdocs.hooks.palette_switch")

# A whole rule whose selector list reads the attribute: it starts after the end of the rule or
# statement before it (Material's CSS is minified: no nesting in selectors or declarations).
SWITCHING_RULE = re.compile(
    r"(?:(?<=[{};])|^)(?P<selectors>[^{};]*\[data-md-color-switching\][^{}]*)"
    r"\{(?P<declarations>[^{}]*)\}"
)
MATERIAL_STYLESHEETS = "assets/stylesheets/*.css"


def _only_turns_off_transitions(rule: re.Match[str]) -> bool:
    """Whether every selector of ``rule`` reads the attribute and it only sets
    ``transition-duration``: what Material's rule does, so blanking it takes nothing else."""
    selectors = rule["selectors"].split(",")
    declarations = [part for part in rule["declarations"].split(";") if part.strip()]
    return all("[data-md-color-switching]" in selector for selector in selectors) and all(
        part.strip().startswith("transition-duration:") for part in declarations
    )


def drop_switching_rules(css: str) -> tuple[str, int, list[str]]:
    """``css`` with Material's rule that reads ``data-md-color-switching`` blanked; how many
    rules were blanked; and any other rule that reads the attribute, left as it was.

    >>> css = "a{color:red}[data-md-color-switching] *{transition-duration:0s!important}b{c:d}"
    >>> dropped, count, others = drop_switching_rules(css)
    >>> count, others, dropped.split(), len(dropped) == len(css)
    (1, [], ['a{color:red}', 'b{c:d}'], True)

    A rule that does more, or that other selectors share, is not Material's: it stays, and is
    named so that the build can say so.

    >>> drop_switching_rules("a,[data-md-color-switching] p{color:red}")[1:]
    (0, ['a,[data-md-color-switching] p{color:red}'])
    """
    others: list[str] = []

    def blank(rule: re.Match[str]) -> str:
        if _only_turns_off_transitions(rule):
            return " " * len(rule[0])
        others.append(rule[0])
        return rule[0]

    dropped, matched = SWITCHING_RULE.subn(blank, css)
    return dropped, matched - len(others), others


class _Build:
    dirty = False


def on_startup(command: str, dirty: bool, **kwargs: Any) -> None:
    # A dirty build copies only the theme's files that changed: Material's stylesheet may still
    # be the one this hook blanked last time.
    _Build.dirty = dirty


def on_post_build(config: MkDocsConfig, **kwargs: Any) -> None:
    dropped = 0
    for stylesheet in sorted(Path(config.site_dir).glob(MATERIAL_STYLESHEETS)):
        css, count, others = drop_switching_rules(stylesheet.read_text(encoding="utf-8"))
        if count:
            stylesheet.write_text(css, encoding="utf-8")
            dropped += count
        for rule in others:
            log.warning(
                "hooks/palette_switch.py: %s has a rule reading `data-md-color-switching` that "
                "does more than turn off transitions; left as it is: %s",
                stylesheet.name,
                rule.strip()[:200],
            )
    if not dropped and not _Build.dirty:
        # A warning fails the strict build: an upgrade of Material that renames the attribute
        # must be looked at, not silently bring the restyles back.
        log.warning(
            "hooks/palette_switch.py: no rule reading `data-md-color-switching` in %s; "
            "did Material change how it switches colour schemes?",
            MATERIAL_STYLESHEETS,
        )
