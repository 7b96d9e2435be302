"""The package's layout: no import cycle, and camelCase only where the wire format is spelled."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import airbyte_async

PACKAGE = Path(airbyte_async.__file__).parent

# camelCase belongs to the wire layer and the emulator, which speak the API's own names.
WIRE_LAYER = {"_serde.py", "_error_bodies.py", "models/_wire.py", "models/_public_wire.py"}
EMULATOR = "testing/"
CAMEL_CASE = re.compile(r"[a-z][a-z0-9]*(?:[A-Z][a-z0-9]+)+")
#: JSON Schema's own keywords, which connector specifications use (_secrets.flagged_paths):
#: the standard's words, not Airbyte's wire keys.
JSON_SCHEMA_WORDS = {
    *("oneOf", "anyOf", "allOf", "additionalProperties", "patternProperties"),
    *("exclusiveMinimum", "exclusiveMaximum", "multipleOf", "minLength", "maxLength"),
    *("minItems", "maxItems", "uniqueItems"),
    *("recursiveRef", "dynamicRef", "dependentRequired", "dependentSchemas", "propertyNames"),
    *("minProperties", "maxProperties", "additionalItems", "prefixItems"),
    *("unevaluatedProperties", "unevaluatedItems"),
}


def module_name(path: Path) -> str:
    """The dotted name of the module in *path* (a package's ``__init__`` is the package)."""
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    """Every module of airbyte_async by dotted name."""
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imports(name: str, path: Path, known: dict[str, Path]) -> Iterator[str]:
    """
    The airbyte_async modules that *path* imports anywhere in its body: at the top, inside
    functions and under ``if TYPE_CHECKING:``. ``from a import b`` names ``a.b`` when that is a
    module, else ``a``. Parent packages that Python also runs are not counted: every module
    would otherwise lead to ``airbyte_async/__init__.py``, which imports most of them.
    """
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names if alias.name in known)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            if target not in known:
                continue
            for alias in node.names:
                submodule = f"{target}.{alias.name}"
                yield submodule if submodule in known else target


def import_graph() -> dict[str, set[str]]:
    """Module name to the airbyte_async modules it imports."""
    known = modules()
    return {name: set(imports(name, path, known)) - {name} for name, path in known.items()}


def cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected components of *graph* with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in sorted(graph[node]):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(component)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_graph_sees_relative_lazy_and_type_checking_imports() -> None:
    """The import graph has the edges that each kind of import statement makes."""
    graph = import_graph()
    assert "airbyte_async._transport" in graph["airbyte_async._client"]  # from . import _transport
    assert "airbyte_async.models._wire" in graph["airbyte_async._serde"]  # .models import _wire
    assert "airbyte_async._client" in graph["airbyte_async.orchestrator"]  # under TYPE_CHECKING
    assert "airbyte_async._error_base" in graph["airbyte_async.models._jobs"]  # from .._error_base


def test_a_cycle_is_found() -> None:
    """The cycle finder reports a loop of three modules and leaves the chain beside it alone."""
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": {"e"}, "e": set()}
    assert cycles(graph) == [{"a", "b", "c"}]


def test_no_import_cycle_in_the_package() -> None:
    """No module of airbyte_async imports itself through others, TYPE_CHECKING imports included."""
    found = cycles(import_graph())
    assert found == []


def docstrings(tree: ast.AST) -> set[int]:
    """The ids of the string nodes that are docstrings in *tree*."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.body[0] if node.body else None
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def camel_case_words(path: Path) -> Iterator[tuple[int, str]]:
    """The line and word of each camelCase word in a string literal (not a docstring) of *path*."""
    tree = ast.parse(path.read_text(), str(path))
    skip = docstrings(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            for word in re.split(r"[^A-Za-z0-9_]+", node.value):
                if CAMEL_CASE.fullmatch(word):
                    yield node.lineno, word


def test_camel_case_words_are_found() -> None:
    """The scan finds a wire key alone or inside a text, and passes snake_case and prose."""
    words = [
        word
        for text in ["connectionId", "$.jobInfo.id", "sync_catalog", "A sync is running", "HTTP"]
        for word in re.split(r"[^A-Za-z0-9_]+", text)
        if CAMEL_CASE.fullmatch(word)
    ]
    assert words == ["connectionId", "jobInfo"]


def test_no_camel_case_outside_the_wire_layer() -> None:
    """No string literal in airbyte_async has a camelCase word, but the wire layer, the emulator
    and JSON Schema's keywords."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative in WIRE_LAYER or relative.startswith(EMULATOR):
            continue
        found += [
            f"{relative}:{line}: {word}"
            for line, word in camel_case_words(path)
            if word not in JSON_SCHEMA_WORDS
        ]
    assert found == []
