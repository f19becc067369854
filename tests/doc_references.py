"""What the project's documents name in this repository, and whether it is still there.

Only what a reader would copy is read: code spans and link targets in the prose, and the
lines of command (``sh``, ``console``) and Python blocks; quoted output (``text``) and
Gherkin are left alone. In those places, a *path* starts with one of the repository's
top-level folders (``server/app.py``, ``tests/test_x.py::test_name``, ``steps/*_steps.py``),
and a *name* with one of its packages (``wsharness.bdd.configure``). The project's names
are looked up by reading its modules with :mod:`ast`, never by importing them, so no
check runs the code it reads about; only a library's (a base class from websockets, say)
is imported to look.
"""

from __future__ import annotations

import ast
import builtins
import importlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from tests.support import PROJECT_ROOT

FOLDERS: tuple[str, ...] = (".ci", ".github", "acceptance", "bench", "docs", "examples")
FOLDERS += ("features", "scripts", "server", "steps", "tests", "tools", "wsharness")
PACKAGES = ("acceptance", "bench", "server", "steps", "tests", "tools", "wsharness")
# A dotted word ending so is a file's name (``server.pem``), not a module's attribute.
FILE_ENDINGS = {"cfg", "feature", "html", "ini", "json", "key", "log", "md", "pem", "py"}
FILE_ENDINGS |= {"toml", "tokens", "txt", "xml", "yaml", "yml"}
# Blocks whose lines a reader runs or copies; the rest (text, gherkin) is output or specs.
CHECKED_BLOCKS = {"sh", "console", "python"}

_EDGE = r"(?<![\w./~-])"
PATH = re.compile(
    _EDGE + r"(?P<path>(?:" + "|".join(re.escape(f) for f in FOLDERS) + r")/[\w.*/-]*)"
    r"(?P<names>(?:::\w+)*)"
)
NAME = re.compile(_EDGE + r"(?:" + "|".join(PACKAGES) + r")(?:\.\w+)+")
MEMBER = re.compile(_EDGE + r"[A-Z]\w*\.\w+")  # ChatServer.deliver, of a class of ours
FILE_IN_ROW = re.compile(_EDGE + r"[\w*-]+(?:/[\w*-]+)*\.(?:py|feature|md)\b")
CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)", re.S)
LINK = re.compile(r"\]\((?P<target>[^)\s]+)(?:\s+\"[^\"]*\")?\)")
FENCE = re.compile(r"^\s*(```+|~~~+)\s*(\w*)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
ROLE = re.compile(r":(?:mod|class|func|meth|attr|data|exc|obj):`~?(?P<target>[\w.]+)`")


@dataclass(frozen=True)
class Reference:
    """One thing a document names, where it names it, and what it is relative to."""

    document: Path
    line: int
    # "path", "name" (dotted, from a package), "member" (Class.member), "link", or "row"
    # (a file named in a table row about a folder, relative to that folder)
    kind: str
    text: str
    base: Path = PROJECT_ROOT

    def __str__(self) -> str:
        return f"{_shown(self.document)}:{self.line}: {self.text}"


@dataclass(frozen=True)
class Block:
    """A run of lines of a document: prose (``language`` None) or a fenced block."""

    first_line: int
    text: str
    language: str | None


def blocks(text: str) -> Iterator[Block]:
    """The document cut into prose paragraphs and fenced blocks, with their first line."""
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if opening:
            end = index + 1
            while end < len(lines) and not lines[end].strip().startswith(opening.group(1)):
                end += 1
            yield Block(index + 2, "\n".join(lines[index + 1 : end]), opening.group(2))
            index = end + 1
        elif lines[index].strip():
            end = index
            while end < len(lines) and lines[end].strip() and not FENCE.match(lines[end]):
                end += 1
            yield Block(index + 1, "\n".join(lines[index:end]), None)
            index = end
        else:
            index += 1


def prose(text: str) -> str:
    """The document without its fenced blocks: what a reader reads as sentences."""
    return "\n\n".join(block.text for block in blocks(text) if block.language is None)


def references(document: Path) -> Iterator[Reference]:
    """Every path, name and link the document names, in order."""
    for block in blocks(document.read_text(encoding="utf-8")):
        if block.language is None:
            yield from _in_prose(document, block)
        elif block.language in CHECKED_BLOCKS:
            yield from _in_block(document, block)


def docstring_references(file: Path) -> Iterator[Reference]:
    """The modules and attributes a module's docstrings name by a Sphinx role, in full
    (``:class:`server.chat.Chat```) or from its own package (a name with a leading dot)."""
    module = file.relative_to(PROJECT_ROOT).with_suffix("").parts
    package = module if module[-1] == "__init__" else module[:-1]
    text = file.read_text(encoding="utf-8")
    for role in ROLE.finditer(text):
        target = role.group("target")
        if target.startswith("."):
            target = ".".join(part for part in package if part != "__init__") + target
        if target.split(".")[0] in PACKAGES:
            yield Reference(file, text.count("\n", 0, role.start()) + 1, "name", target)


def _in_prose(document: Path, block: Block) -> Iterator[Reference]:
    lines = block.text.splitlines()

    def line_of(offset: int) -> int:
        return block.first_line + block.text.count("\n", 0, offset)

    for span in CODE_SPAN.finditer(block.text):
        line = line_of(span.start())
        code = span.group(2).replace("\n", " ")  # a code span may run over a line break
        yield from _in_code(document, line, code)
        folder = _row_folder(lines[line - block.first_line])
        if folder is not None:
            for file in FILE_IN_ROW.finditer(code):
                if not PATH.match(file.group()):
                    yield Reference(document, line, "row", file.group(), folder)
    for link in LINK.finditer(block.text):
        target = link.group("target")
        if not re.match(r"^[a-z][a-z0-9+.-]*:", target):
            yield Reference(document, line_of(link.start()), "link", target, document.parent)


def _in_block(document: Path, block: Block) -> Iterator[Reference]:
    if block.language == "python":
        for node in ast.walk(ast.parse(block.text)):
            at = block.first_line + getattr(node, "lineno", 1) - 1
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    if alias.name != "*":
                        yield from _in_code(document, at, f"{node.module}.{alias.name}")
                yield from _in_code(document, at, node.module)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    yield from _in_code(document, at, alias.name)
        return
    for offset, line in enumerate(block.text.splitlines()):
        yield from _in_code(document, block.first_line + offset, line)


def _in_code(document: Path, line: int, code: str) -> Iterator[Reference]:
    for path in PATH.finditer(code):
        yield Reference(document, line, "path", path.group("path").rstrip(".") + path["names"])
    for name in NAME.finditer(code):
        if name.group().rsplit(".", 1)[1] not in FILE_ENDINGS:
            yield Reference(document, line, "name", name.group())
    for member in MEMBER.finditer(code):
        if member.group().split(".")[0] in classes():
            yield Reference(document, line, "member", member.group())


def _row_folder(line: str) -> Path | None:
    """The folder a table row is about, when its first cell is one, as `server/`."""
    cells = line.strip().strip("|").split("|")
    if not line.lstrip().startswith("|") or len(cells) < 2:
        return None
    first = re.fullmatch(r"\s*`([\w./-]+/)`\s*", cells[0])
    return PROJECT_ROOT / first.group(1) if first else None


# ---------------------------------------------------------------------------
# Whether a reference names something that exists


def problem(reference: Reference) -> str | None:
    """What is wrong with the reference, or None when what it names exists."""
    if reference.kind == "name":
        return missing_name(reference.text)
    if reference.kind == "member":
        cls, _, member = reference.text.partition(".")
        found = [missing_name(f"{module}.{cls}.{member}") for module in classes()[cls]]
        return None if None in found else f"no class {cls} of the project has {member}"
    if reference.kind == "row":
        there = any(reference.base.rglob(reference.text))
        return None if there else f"no {reference.text} under {_shown(reference.base)}/"
    if reference.kind == "link":
        return _missing_link(reference)
    path, *names = reference.text.split("::")
    return _missing_path(path) or (_missing_in_file(PROJECT_ROOT / path, names) if names else None)


def _shown(path: Path) -> str:
    return str(path.relative_to(PROJECT_ROOT)) if path.is_relative_to(PROJECT_ROOT) else str(path)


def _missing_path(path: str) -> str | None:
    if "*" in path:
        return None if list(PROJECT_ROOT.glob(path)) else f"nothing matches {path}"
    where = PROJECT_ROOT / path
    if path.endswith("/"):
        return None if where.is_dir() else f"there is no folder {path}"
    return None if where.exists() else f"there is no {path}"


def _missing_link(reference: Reference) -> str | None:
    target, _, anchor = reference.text.partition("#")
    where = (reference.base / target).resolve() if target else reference.document
    if not where.exists():
        return f"the link points at {_shown(where)}, which does not exist"
    if anchor and where.suffix == ".md" and anchor not in anchors(where):
        return f"{_shown(where)} has no heading whose anchor is #{anchor}"
    return None


def anchors(document: Path) -> set[str]:
    """The anchors GitHub gives the document's headings (``## A server`` is #a-server)."""
    seen: dict[str, int] = {}
    for block in blocks(document.read_text(encoding="utf-8")):
        for line in block.text.splitlines() if block.language is None else ():
            heading = HEADING.match(line)
            if heading:
                slug = re.sub(r"[^\w\- ]", "", heading.group(2).strip().lower()).replace(" ", "-")
                seen[slug] = seen.get(slug, -1) + 1
                if seen[slug]:
                    seen[f"{slug}-{seen[slug]}"] = 0
    return set(seen)


def missing_name(dotted: str) -> str | None:
    """What is missing of ``package.module.Attribute...``, or None when it all exists."""
    parts = dotted.split(".")
    for end in range(len(parts), 0, -1):
        where = PROJECT_ROOT.joinpath(*parts[:end])
        file = _module_file(where)
        if file is not None:
            return _missing_in_module(tuple(parts[:end]), parts[end:])
        if where.is_dir():  # a folder of modules without __init__.py, such as steps/
            return f"{'.'.join(parts[:end])} has no module {parts[end]}" if parts[end:] else None
    return f"there is no module {parts[0]}"


@cache
def classes() -> dict[str, list[str]]:
    """The project's top-level classes, by name: the modules that define each."""
    found: dict[str, list[str]] = {}
    for package in PACKAGES:
        for file in sorted((PROJECT_ROOT / package).rglob("*.py")):
            module = file.relative_to(PROJECT_ROOT).with_suffix("").parts
            dotted = ".".join(module[:-1] if module[-1] == "__init__" else module)
            for node in ast.parse(file.read_text(encoding="utf-8")).body:
                if isinstance(node, ast.ClassDef):
                    found.setdefault(node.name, []).append(dotted)
    return found


def _module_file(where: Path) -> Path | None:
    for file in (where.with_suffix(".py"), where / "__init__.py"):
        if file.is_file():
            return file
    return None


def _missing_in_file(file: Path, names: list[str]) -> str | None:
    if file.suffix != ".py":
        return f"{_shown(file)} is not a Python module"
    module = file.relative_to(PROJECT_ROOT).with_suffix("").parts
    return _missing_in_module(module[:-1] if module[-1] == "__init__" else module, names)


def _missing_in_module(module: tuple[str, ...], names: list[str]) -> str | None:
    if not names:
        return None
    found = _bindings(module).get(names[0])
    if found is None:
        return f"{'.'.join(module)} has no {names[0]}"
    if isinstance(found, str) and names[0] not in _reexported(module):
        return f"{'.'.join(module)} only imports {names[0]}, from {found.rsplit('.', 1)[0]}"
    return _missing_beyond(found, module, names)


def _missing_beyond(found: ast.AST | str, module: tuple[str, ...], names: list[str]) -> str | None:
    """Whether names[1:] exist on what names[0] is bound to in the module."""
    if isinstance(found, str):  # imported: look where it comes from
        dotted = ".".join([found, *names[1:]])
        is_ours = found.split(".")[0] in PACKAGES
        return missing_name(dotted) if is_ours else _missing_elsewhere(dotted)
    if len(names) == 1:
        return None
    if isinstance(found, ast.ClassDef):
        return _missing_in_class(found, module, names)
    if isinstance(found, ast.FunctionDef | ast.AsyncFunctionDef):
        return f"{'.'.join([*module, names[0]])} is a function, with no {names[1]}"
    return None  # a value: what it holds is known only when the code runs


def _missing_in_class(cls: ast.ClassDef, module: tuple[str, ...], names: list[str]) -> str | None:
    """Whether names[1:] exist on the class, or on one of its bases."""
    members = _class_members(cls)
    if names[1] in members:
        return _missing_beyond(members[names[1]], module, names[1:])
    for base in cls.bases:
        head, *tail = ast.unparse(base).split("[")[0].split(".")
        bound = _bindings(module).get(head)
        if isinstance(bound, str):
            bound = ".".join([bound, *tail])
        elif bound is None and hasattr(builtins, head):
            bound = f"builtins.{head}"
        if bound is not None and _missing_beyond(bound, module, [head, *names[1:]]) is None:
            return None
    return f"{'.'.join([*module, *names[:2]])} does not exist"


def _missing_elsewhere(dotted: str) -> str | None:
    """A name outside the project: import its module (a library) and look."""
    parts = dotted.split(".")
    for end in range(len(parts), 0, -1):
        try:
            found: object = importlib.import_module(".".join(parts[:end]))
        except ImportError:
            continue
        for name in parts[end:]:
            if not hasattr(found, name):
                return f"{'.'.join(parts[:end])} has no {name}"
            found = getattr(found, name)
        return None
    return None  # an optional library that is not installed: nothing to check against


@cache
def _bindings(module: tuple[str, ...]) -> dict[str, ast.AST | str]:
    """The module's top-level names: a definition, or the dotted name it was imported as."""
    file = _module_file(PROJECT_ROOT.joinpath(*module))
    if file is None:
        return {}
    package = _package(module, file)
    bindings: dict[str, ast.AST | str] = {}
    starred: list[str] = []
    for node in _top_level(ast.parse(file.read_text(encoding="utf-8")).body):
        if isinstance(node, ast.ImportFrom):
            source = _source(node, package)
            for alias in node.names:
                if alias.name == "*":
                    starred.append(source)
                else:
                    bindings[alias.asname or alias.name] = f"{source}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                first = alias.name.split(".")[0]
                bindings[alias.asname or first] = alias.name if alias.asname else first
        else:
            bindings.update(dict.fromkeys(_bound_names(node), node))
    for source in starred:
        for name, bound in _bindings(tuple(source.split("."))).items():
            bindings.setdefault(name, bound)
    return bindings


@cache
def _reexported(module: tuple[str, ...]) -> set[str]:
    """The names the module imports for others: all of them in a package's
    ``__init__.py``; elsewhere those in ``__all__``, those brought in by ``*`` and
    those imported as themselves (``import x as x``)."""
    file = _module_file(PROJECT_ROOT.joinpath(*module))
    if file is None:
        return set()
    names: set[str] = set()
    for node in _top_level(ast.parse(file.read_text(encoding="utf-8")).body):
        if isinstance(node, ast.Import | ast.ImportFrom):
            everything = file.name == "__init__.py"
            for alias in node.names:
                if alias.name == "*" and isinstance(node, ast.ImportFrom):
                    star = _source(node, _package(module, file))
                    names |= set(_bindings(tuple(star.split("."))))
                elif everything or alias.asname == alias.name:
                    names.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, ast.Assign | ast.AnnAssign) and "__all__" in _bound_names(node):
            names |= set(ast.literal_eval(node.value)) if node.value is not None else set()
    return names


def _package(module: tuple[str, ...], file: Path) -> tuple[str, ...]:
    return module if file.name == "__init__.py" else module[:-1]


def _source(node: ast.ImportFrom, package: tuple[str, ...]) -> str:
    """The dotted module an import takes from, relative imports resolved."""
    if not node.level:
        return node.module or ""
    start = package[: len(package) - node.level + 1]
    return ".".join([*start, *([node.module] if node.module else [])])


def _top_level(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """The statements run at import, inside ``if``, ``try`` and ``with`` blocks too."""
    for node in body:
        yield node
        for inner in ("body", "orelse", "finalbody"):
            if isinstance(node, ast.If | ast.Try | ast.With) and hasattr(node, inner):
                yield from _top_level(getattr(node, inner))
        if isinstance(node, ast.Try):
            for handler in node.handlers:
                yield from _top_level(handler.body)


def _bound_names(node: ast.stmt) -> list[str]:
    """The names a statement binds: a definition's, or an assignment's."""
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return [node.name]
    return [n.id for target in _targets(node) for n in ast.walk(target) if isinstance(n, ast.Name)]


def _targets(node: ast.AST) -> list[ast.expr]:
    if isinstance(node, ast.Assign):
        return node.targets
    if isinstance(node, ast.AnnAssign | ast.AugAssign):
        return [node.target]
    return []


def _class_members(cls: ast.ClassDef) -> dict[str, ast.AST | str]:
    """A class's own members: its body's names and what its methods set on ``self``."""
    members: dict[str, ast.AST | str] = {}
    for node in _top_level(cls.body):
        members.update(dict.fromkeys(_bound_names(node), node))
    for method in cls.body:
        if isinstance(method, ast.FunctionDef | ast.AsyncFunctionDef):
            for inner in ast.walk(method):
                for target in _targets(inner):
                    if isinstance(target, ast.Attribute) and ast.unparse(target.value) == "self":
                        members.setdefault(target.attr, inner)
    return members
