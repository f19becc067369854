"""The shape of the code, read with ``ast``: short functions, and no reaching into
another module's private names, so later work cannot undo either."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import PROJECT_ROOT

CHECKED = ("server",)
"""The packages held to these rules."""

LONGEST_FUNCTION = 50
"""Lines, from ``def`` to the last line of the body, docstring included."""


def _modules() -> Iterator[Path]:
    for package in CHECKED:
        yield from sorted((PROJECT_ROOT / package).rglob("*.py"))


def _where(path: Path, node: ast.AST) -> str:
    return f"{path.relative_to(PROJECT_ROOT)}:{getattr(node, 'lineno', 0)}"


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


@pytest.mark.parametrize(
    "path", list(_modules()), ids=lambda path: str(path.relative_to(PROJECT_ROOT))
)
def test_no_function_is_longer_than_fifty_lines(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    long = [
        f"{_where(path, node)} {node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > LONGEST_FUNCTION
    ]
    assert not long, f"functions longer than {LONGEST_FUNCTION} lines: {long}"


@pytest.mark.parametrize(
    "path", list(_modules()), ids=lambda path: str(path.relative_to(PROJECT_ROOT))
)
def test_no_module_uses_another_s_private_names(path: Path) -> None:
    """A private name is used only through ``self`` or ``cls``, or where it is
    defined; never imported from, or looked up on, another module or object."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    reaches = [
        f"{_where(path, node)} {ast.unparse(node)}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and _private(node.attr)
        and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))
    ]
    reaches += [
        f"{_where(path, node)} from {node.module} import {alias.name}"
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
        if _private(alias.name)
    ]
    assert not reaches, f"private names of other modules used: {reaches}"
