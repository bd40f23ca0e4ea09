"""Every Python-looking fence on every page runs, and every skip says why."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from doc_examples import docs_sybil
from fence_guard import (
    fences,
    looks_like_python,
    names_imported_out_of_sight,
    skips_without_reason,
    uncollected_python_fences,
)

ROOT = Path(__file__).parent.parent
SAMPLES = Path(__file__).parent / "samples" / "fences"
docs = docs_sybil(ROOT)
PAGES = sorted((ROOT / "docs").rglob("*.md"))


def test_there_are_pages_to_guard() -> None:
    assert len(PAGES) >= 2


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_python_fence_on_the_site_runs(page: Path) -> None:
    problems = uncollected_python_fences(docs, page)
    assert not problems, "\n".join(map(str, problems))


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_skip_on_the_site_gives_a_reason(page: Path) -> None:
    problems = skips_without_reason(page)
    assert not problems, "\n".join(map(str, problems))


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_shown_example_needs_an_import_the_page_hides(page: Path) -> None:
    """A reader who copies a page's blocks in order gets what the page shows."""
    problems = names_imported_out_of_sight(page)
    assert not problems, "\n".join(map(str, problems))


class TestGuardOnSamples:
    def test_clean_page_passes(self) -> None:
        page = SAMPLES / "good.md"
        assert uncollected_python_fences(docs, page) == []
        assert skips_without_reason(page) == []
        assert names_imported_out_of_sight(page) == []

    def test_what_only_an_invisible_block_defines_is_named_at_its_first_use(self) -> None:
        page = SAMPLES / "hidden_import.md"
        problems = names_imported_out_of_sight(page)
        # `math` at its first use (line 12), never imported where it shows; the hidden helper
        # (line 18); `numeric` used before the block's own import (line 44). Not reported: `np`,
        # imported by the block that uses it; `numeric` as a parameter or a comprehension's
        # variable; the skipped block, which is not Python; the block shown inside a fence.
        assert [(problem.line, problem.message.split("`")[1]) for problem in problems] == [
            (12, "math"),
            (18, "helper"),
            (44, "numeric"),
        ]
        assert all(problem.path == page for problem in problems)
        assert "only in an invisible block" in problems[0].message

    @pytest.mark.parametrize(
        ("name", "line", "info"),
        [
            ("py_fence.md", 3, "py"),
            ("titled_fence.md", 3, 'python title="example.py"'),
            ("pycon_fence.md", 3, "pycon"),
        ],
    )
    def test_uncollected_fence_is_named_with_its_line(
        self, name: str, line: int, info: str
    ) -> None:
        page = SAMPLES / name
        [problem] = uncollected_python_fences(docs, page)
        assert (problem.path, problem.line) == (page, line)
        assert repr(info) in problem.message
        assert f"{page}:{line}:" in str(problem)

    def test_skip_without_reason_is_named_with_its_line(self) -> None:
        page = SAMPLES / "skip_without_reason.md"
        [problem] = skips_without_reason(page)
        assert problem.line == 3
        assert "gives no reason" in problem.message


class TestFenceScanner:
    def test_finds_indented_and_tilde_fences_with_their_spans(self) -> None:
        text = textwrap.dedent(
            """\
            intro
            ```python
            a = 1
            ```
            !!! note
                ~~~~py
                b = 2
                ~~~~
            """
        )
        assert [(f.info, f.first_line, f.last_line) for f in fences(text)] == [
            ("python", 2, 4),
            ("py", 6, 8),
        ]

    @pytest.mark.parametrize(
        ("info", "expected"),
        [
            ("python", True),
            ("py", True),
            ("Python3", True),
            ('python title="a.py"', True),
            ("{.python .annotate}", True),
            ("pycon", True),
            ("text", False),
            ("markdown", False),
            ("", False),
            ("bash", False),
        ],
    )
    def test_recognises_python_info_strings(self, info: str, expected: bool) -> None:
        assert looks_like_python(info) is expected


def test_a_wrong_expected_output_fails_naming_file_and_line(pytester: pytest.Pytester) -> None:
    """Change one printed number on the real 1D page: the test run must fail and say where."""
    page = ROOT / "docs" / "derivatives" / "derivative-1d.md"
    original = page.read_text(encoding="utf-8")
    expected_line = "h = 1e-02   quotient = 10.060100   error = 6.0e-02"
    assert expected_line in original
    broken = original.replace(expected_line, expected_line.replace("10.060100", "10.070100"))
    pytester.makeconftest(
        f"import sys\nfrom pathlib import Path\nsys.path.insert(0, {str(ROOT / 'tests')!r})\n"
        "from doc_examples import docs_sybil\n"
        "pytest_collect_file = docs_sybil(Path(__file__).parent).pytest()\n"
    )
    (pytester.path / "docs").mkdir()
    (pytester.path / "docs" / "derivative-1d.md").write_text(broken, encoding="utf-8")
    # Sybil names the line of the `>>>` statement whose output differs.
    lines = broken.splitlines()
    example_line = next(i for i, line in enumerate(lines, 1) if line.startswith(">>> for h in"))
    result = pytester.runpytest_inprocess("-p", "no:doctest", "-p", "no:randomly")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines([f"*derivative-1d.md, line {example_line}, column 1*"])
    result.stdout.fnmatch_lines(["*10.070100*", "*10.060100*", "*1 failed*"])
