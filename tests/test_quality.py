"""Lint, format, types and workflow checks, run as part of the one test command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
BIN = Path(sys.executable).parent
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


def run(*command: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(part) for part in command], cwd=ROOT, capture_output=True, text=True, check=False
    )


@pytest.mark.parametrize(
    "command",
    [
        pytest.param(("-m", "ruff", "check", "."), id="ruff-check"),
        pytest.param(("-m", "ruff", "format", "--check", "."), id="ruff-format"),
        pytest.param(("-m", "mypy"), id="mypy-strict"),
    ],
)
def test_code_is_clean(command: tuple[str, ...]) -> None:
    result = run(sys.executable, *command)
    assert result.returncode == 0, result.stdout + result.stderr


def test_workflows_exist() -> None:
    assert {path.name for path in WORKFLOWS} >= {"ci.yml", "pages.yml"}


def test_workflows_match_the_github_schema() -> None:
    result = run(
        BIN / "check-jsonschema", "--builtin-schema", "vendor.github-workflows", *WORKFLOWS
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_workflows_pass_zizmor() -> None:
    result = run(BIN / "zizmor", "--offline", "--no-progress", *WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_pages_workflow_deploys_with_least_privilege() -> None:
    text = (ROOT / ".github" / "workflows" / "pages.yml").read_text(encoding="utf-8")
    assert "permissions: {}" in text
    assert "actions/upload-pages-artifact@" in text
    assert "actions/deploy-pages@" in text
