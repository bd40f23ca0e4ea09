"""MkDocs hook: add every calcref figure to the site as a generated file (nothing in docs/).

The figures are drawn by `calcref.figures.generate`, which also runs outside MkDocs
(`python -m calcref.figures OUT_DIR`); this hook only hands its output to MkDocs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

from calcref import figures

ROOT = Path(__file__).resolve().parent.parent
CACHE_DIR = ROOT / ".cache" / "figures"  # git-ignored; keyed by content, safe to delete


def on_files(files: Files, config: MkDocsConfig) -> Files:
    for path, content in figures.generate(CACHE_DIR).items():
        if files.get_file_from_path(path) is not None:
            raise PluginError(f"docs/{path} exists, but figures are generated: delete it.")
        files.append(File.generated(config, path, content=content))
    return files


def on_serve(server: Any, config: MkDocsConfig, builder: Any) -> None:
    # Editing a figure's builder redraws it while `mkdocs serve` runs.
    server.watch(str(ROOT / "src" / "calcref"))
