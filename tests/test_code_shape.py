"""Two rules of the code's shape, held by reading the code with :mod:`ast` so that later
work cannot undo them: no function in server/, wsharness/, acceptance/ or steps/ is longer
than 50 lines, and no step function has a branch, a loop, a ``try`` or a comprehension
(what a step means lives in the driver or the harness, where it is unit-tested).

The code broke both rules when they were written down (issue 17). Those exceptions are
listed below, each as it stood then: a listed function may not grow, a listed step may
not gain another kind of logic, and an entry that no longer breaks its rule fails the
test until it is taken off the list. So the lists only shrink.
"""

from __future__ import annotations

import ast
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import PROJECT_ROOT

MAX_LINES = 50
CHECKED = ("server", "wsharness", "acceptance", "steps")
STEP_DECORATORS = {"given", "when", "then", "step", "Given", "When", "Then", "Step"}
LOGIC: dict[type[ast.AST], str] = {
    ast.If: "branch",
    ast.IfExp: "branch",
    ast.Match: "branch",
    ast.For: "loop",
    ast.AsyncFor: "loop",
    ast.While: "loop",
    ast.Try: "try",
    ast.TryStar: "try",
    ast.ListComp: "comprehension",
    ast.SetComp: "comprehension",
    ast.DictComp: "comprehension",
    ast.GeneratorExp: "comprehension",
}

# Functions over MAX_LINES lines (from ``def`` to the last line) when the rule was
# written, with their length then. Split them, then take them off this list.
LONG_FUNCTIONS: dict[str, int] = {}

# Step functions with logic when the rule was written, with the kinds they had then.
# Move the logic into the driver (acceptance/) or the library, then take them off.
STEPS_WITH_LOGIC: dict[str, set[str]] = {}


Function = ast.FunctionDef | ast.AsyncFunctionDef


def functions(tree: ast.Module) -> Iterator[tuple[str, Function]]:
    """Every function of a module, methods and nested functions too, by dotted name."""

    def walk(node: ast.AST, prefix: str) -> Iterator[tuple[str, Function]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                yield prefix + child.name, child
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                yield from walk(child, f"{prefix}{child.name}.")
            else:
                yield from walk(child, prefix)

    yield from walk(tree, "")


def long_functions(source: str) -> dict[str, int]:
    """The functions longer than MAX_LINES, with their length in lines."""
    lengths = {
        name: (function.end_lineno or function.lineno) - function.lineno + 1
        for name, function in functions(ast.parse(source))
    }
    return {name: length for name, length in lengths.items() if length > MAX_LINES}


def steps_with_logic(source: str) -> dict[str, set[str]]:
    """The step functions (registered by a behave decorator, or by calling one on the
    function) that contain logic, with its kinds."""
    tree = ast.parse(source)
    registered = {
        node.args[0].id
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and _is_step_decorator(node.func)
        and node.args
        and isinstance(node.args[0], ast.Name)
    }
    found: dict[str, set[str]] = {}
    for name, function in functions(tree):
        decorated = any(_is_step_decorator(d) for d in function.decorator_list)
        kinds = {LOGIC[type(node)] for node in ast.walk(function) if type(node) in LOGIC}
        if (decorated or name in registered) and kinds:
            found[name] = kinds
    return found


def _is_step_decorator(node: ast.expr) -> bool:
    """``@then("...")``: a call of behave's given, when, then or step."""
    if not isinstance(node, ast.Call):
        return False
    called = node.func
    name = called.attr if isinstance(called, ast.Attribute) else getattr(called, "id", "")
    return name in STEP_DECORATORS


def _modules() -> Iterator[tuple[str, str]]:
    """Each module of the checked folders: its path and its source."""
    for file in sorted(
        path for folder in CHECKED for path in PROJECT_ROOT.glob(f"{folder}/**/*.py")
    ):
        yield str(file.relative_to(PROJECT_ROOT)), file.read_text(encoding="utf-8")


def test_no_function_is_longer_than_50_lines() -> None:
    """A function over 50 lines fails, unless listed; a listed one may not grow, and one
    that is short now (or gone) must be taken off the list."""
    found = {
        f"{path}::{name}": length
        for path, source in _modules()
        for name, length in long_functions(source).items()
    }
    new = {name: length for name, length in found.items() if name not in LONG_FUNCTIONS}
    grown = {
        name: f"{LONG_FUNCTIONS[name]} -> {length}"
        for name, length in found.items()
        if name in LONG_FUNCTIONS and length > LONG_FUNCTIONS[name]
    }
    fixed = sorted(set(LONG_FUNCTIONS) - set(found))
    assert not new, f"functions over {MAX_LINES} lines: split them: {new}"
    assert not grown, f"listed long functions grew: split them instead: {grown}"
    assert not fixed, f"no longer over {MAX_LINES} lines: take them off LONG_FUNCTIONS: {fixed}"


def test_no_step_has_a_branch_a_loop_a_try_or_a_comprehension() -> None:
    """A step is one call: logic in a step fails, unless listed; a listed step may not
    gain another kind, and one without logic now (or gone) must be taken off the list."""
    found = {
        f"{path}::{name}": kinds
        for path, source in _modules()
        if path.startswith(("steps/", "wsharness/bdd/"))
        for name, kinds in steps_with_logic(source).items()
    }
    new = {name: kinds for name, kinds in found.items() if name not in STEPS_WITH_LOGIC}
    more = {
        name: kinds - STEPS_WITH_LOGIC[name]
        for name, kinds in found.items()
        if name in STEPS_WITH_LOGIC and not kinds <= STEPS_WITH_LOGIC[name]
    }
    fixed = sorted(set(STEPS_WITH_LOGIC) - set(found))
    assert not new, f"steps with logic: move it into the driver or the library: {new}"
    assert not more, f"listed steps gained logic: move it out instead: {more}"
    assert not fixed, f"these steps have no logic now: take them off STEPS_WITH_LOGIC: {fixed}"


def steps_not_one_driver_call(source: str) -> list[str]:
    """The step functions of a module whose body (after the docstring) is not exactly one
    call on ``context.cast`` with nothing called in its arguments."""
    found = []
    for name, function in functions(ast.parse(source)):
        if not any(_is_step_decorator(d) for d in function.decorator_list):
            continue
        body = [
            node
            for node in function.body
            if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))
        ]
        call = body[0].value if len(body) == 1 and isinstance(body[0], ast.Expr) else None
        if not (isinstance(call, ast.Call) and _on_the_driver(call.func)) or any(
            isinstance(node, ast.Call)
            for argument in [*call.args, *(keyword.value for keyword in call.keywords)]
            for node in ast.walk(argument)
        ):
            found.append(name)
    return found


def _on_the_driver(func: ast.expr) -> bool:
    """``context.cast.<method>``."""
    owner = func.value if isinstance(func, ast.Attribute) else None
    return (
        isinstance(owner, ast.Attribute)
        and owner.attr == "cast"
        and isinstance(owner.value, ast.Name)
        and owner.value.id == "context"
    )


def test_every_chat_step_is_one_call_on_the_driver() -> None:
    """A chat step says its sentence in one call on the chat's driver, ``context.cast``
    (acceptance/chat.py), with nothing computed in the step: not even a nested call."""
    found = {
        f"{path}::{name}"
        for path, source in _modules()
        if path.startswith("steps/")
        for name in steps_not_one_driver_call(source)
    }
    assert not found, f"steps that are not one call on context.cast: {sorted(found)}"


def test_the_reading_finds_steps_that_are_not_one_driver_call() -> None:
    source = textwrap.dedent(
        """
        @when("{who} posts")
        def step_posts(context, who):
            \"\"\"A docstring is allowed.\"\"\"
            context.cast.post(who)

        @when("{who} leaves")
        def step_leaves(context, who):
            context.cast.leave(number(who))

        @when("{who} waits")
        def step_waits(context, who):
            context.server.wait(who)

        @when("{who} goes")
        def step_goes(context, who):
            context.cast.go(who)
            context.cast.log(who)
        """
    )
    assert steps_not_one_driver_call(source) == ["step_leaves", "step_waits", "step_goes"]


# ---------------------------------------------------------------------------
# The reading itself, on code written for it

SAMPLE = """
from behave import given, then


class Chat:
    def short(self):
        return 1

    def long(self):
{long_body}


@given("{{who}} is connected")
def step_connected(context, who):
    context.cast.connect(who)


@then("{{who}} hears nothing")
def step_hears_nothing(context, who):
    for person in who:
        context.cast.assert_nothing_else(person if person else [])


def step_registered_by_a_call(context):
    return [name for name in context.names]


then("everyone is quiet")(step_registered_by_a_call)


def not_a_step(context):
    for name in context.names:
        pass
"""


def test_the_reading_measures_functions_and_finds_logic_in_steps() -> None:
    """A method of 51 lines is long and one of 2 is not; steps decorated or registered
    by a call are read for logic, other functions are not."""
    source = textwrap.dedent(SAMPLE).format(long_body="        x = 1\n" * 49 + "        return x")
    assert long_functions(source) == {"Chat.long": 51}
    assert steps_with_logic(source) == {
        "step_hears_nothing": {"loop", "branch"},
        "step_registered_by_a_call": {"comprehension"},
    }


def test_files_of_the_checked_folders_are_read() -> None:
    """The rules read the modules of each folder, packages within them included."""
    paths = [path for path, _ in _modules()]
    assert {path.split("/")[0] for path in paths} == set(CHECKED)
    assert "server/cluster/node.py" in paths and "wsharness/bdd/receiving_steps.py" in paths


PRIVATE_NAMES_CHECKED = ("server",)
"""The packages where no module uses another's private names."""


def _private_names_checked() -> list[Path]:
    return sorted(
        path for package in PRIVATE_NAMES_CHECKED for path in (PROJECT_ROOT / package).rglob("*.py")
    )


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


@pytest.mark.parametrize(
    "path",
    sorted(
        path for package in PRIVATE_NAMES_CHECKED for path in (PROJECT_ROOT / package).rglob("*.py")
    ),
    ids=lambda path: str(path.relative_to(PROJECT_ROOT)),
)
def test_no_module_uses_another_s_private_names(path: Path) -> None:
    """A private name is used only through ``self`` or ``cls``, or where it is
    defined; never imported from, or looked up on, another module or object."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    where = str(path.relative_to(PROJECT_ROOT))
    reaches = [
        f"{where}:{node.lineno} {ast.unparse(node)}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and _private(node.attr)
        and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))
    ]
    reaches += [
        f"{where}:{node.lineno} from {node.module} import {alias.name}"
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
        if _private(alias.name)
    ]
    assert not reaches, f"private names of other modules used: {reaches}"
