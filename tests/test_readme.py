"""The README's signposts stay true: its layout names every module of explorer/ and training/ (and its page's
scripts), and names nothing that is gone; its two commands are the ones the repository has."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SOURCES = ("explorer", "training")


def _layout() -> set[str]:
    """The paths the README's layout block names (a folder line ends in '/'; its files are indented under it)."""
    text = (REPO / "README.md").read_text()
    block = text.split("## Layout", 1)[1].split("```", 2)[1]
    folders: list[tuple[int, str]] = []
    named = set()
    for line in block.splitlines():
        if not line.strip():
            continue
        indent, token = len(line) - len(line.lstrip()), line.split()[0]
        if indent >= 20:  # a description's second line
            continue
        while folders and folders[-1][0] >= indent:
            folders.pop()
        path = "/".join([f for _, f in folders] + [token.rstrip("/").rstrip(",")])
        if token.endswith("/"):
            folders.append((indent, token.rstrip("/")))
        named.add(path)
    return named


def test_the_layout_names_every_module_and_nothing_that_is_gone():
    named = _layout()
    files = {
        str(p.relative_to(REPO))
        for source in SOURCES
        for p in (REPO / source).rglob("*")
        if p.suffix in (".py", ".js", ".css") and p.name != "__init__.py" and "__pycache__" not in p.parts
    }
    assert files - named == set(), f"modules the README's layout does not name: {sorted(files - named)}"
    gone = {n for n in named if re.search(r"\.(py|js|css)$", n) and not (REPO / n).exists()}
    assert gone == set(), f"the README's layout names modules that are gone: {sorted(gone)}"


def test_the_readme_gives_the_two_commands_and_ci_runs_the_test_one():
    text = (REPO / "README.md").read_text()
    assert "bash scripts/run" in text and "bash scripts/test" in text
    assert "bash scripts/test" in (REPO / ".ci" / "run").read_text()
