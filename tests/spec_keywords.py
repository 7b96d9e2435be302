"""
Count the JSON-schema keywords the request bodies of Airbyte's specs use.

``python tests/spec_keywords.py [SPEC_DIR]`` walks every operation's ``requestBody`` schema (and,
with ``--params``, its parameters' schemas) in the four specs, following ``$ref``, and prints for
each keyword how many schemas reachable from a request body hold it, per spec. A schema reached
from several routes is counted once; ``--where KEYWORD`` lists the routes that reach it and the
value it holds. ``--emulated`` keeps the routes the emulator serves (``airbyte_async.testing``).
"""

from __future__ import annotations

import argparse
import collections
import os
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

SPECS = {
    "0.40": "config-api-0.40.yaml",
    "0.50": "config-api-0.50.yaml",
    "head": "config-api-head.yaml",
    "public": "public-api-head.yaml",
}
#: Keywords that hold schemas, and how they do: one schema, a list of them, a map of them.
_ONE = ("items", "additionalProperties", "not", "additionalItems", "propertyNames", "contains")
_LIST = ("allOf", "anyOf", "oneOf", "prefixItems")
_MAP = ("properties", "patternProperties")
_METHODS = ("get", "put", "post", "patch", "delete")


def _resolve(doc: Mapping[str, Any], ref: str) -> Any:
    node: Any = doc
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def _schemas(doc: Mapping[str, Any], schema: Any, where: str) -> Iterator[tuple[str, Any]]:
    """Each schema reachable from *schema*, once, with a path naming where it was met."""
    seen: set[int] = set()
    todo = [(where, schema)]
    while todo:
        path, node = todo.pop()
        if not isinstance(node, Mapping) or id(node) in seen:
            continue
        seen.add(id(node))
        yield path, node
        if isinstance(ref := node.get("$ref"), str):
            todo.append((ref.rsplit("/", 1)[-1], _resolve(doc, ref)))
        for key in _ONE:
            todo.append((f"{path}.{key}", node.get(key)))
        for key in _LIST:
            for i, sub in enumerate(node.get(key) or ()):
                todo.append((f"{path}.{key}[{i}]", sub))
        for key in _MAP:
            for name, sub in (node.get(key) or {}).items():
                todo.append((f"{path}.{name}", sub))


def emulated() -> frozenset[tuple[str, str]]:
    """The ``(METHOD, path)`` of every route the emulator serves, as its spec writes the path."""
    from airbyte_async.testing._public_routes import PUBLIC_ROUTES
    from airbyte_async.testing._routes import ROUTES

    config = {(r.method.upper(), path) for path, r in ROUTES.items()}
    return frozenset(config | {(r.method, r.path) for r in PUBLIC_ROUTES})


def _roots(
    doc: Mapping[str, Any], *, params: bool, only: frozenset[tuple[str, str]] | None
) -> Iterator[tuple[str, Any]]:
    for route, item in doc["paths"].items():
        for method, op in item.items():
            if method not in _METHODS:
                continue
            if only is not None and (method.upper(), route) not in only:
                continue
            body = op.get("requestBody") or {}
            if isinstance(ref := body.get("$ref"), str):
                body = _resolve(doc, ref)
            for media in (body.get("content") or {}).values():
                yield f"{method.upper()} {route}", media.get("schema")
            for param in [*op.get("parameters", ()), *item.get("parameters", ())] if params else ():
                if isinstance(ref := param.get("$ref"), str):
                    param = _resolve(doc, ref)
                yield f"{method.upper()} {route} ?{param.get('name')}", param.get("schema")


def count(
    doc: Mapping[str, Any],
    *,
    params: bool = False,
    only: frozenset[tuple[str, str]] | None = None,
) -> tuple[collections.Counter[str], dict[str, list[str]]]:
    """Each keyword's count over the schemas reachable from request bodies (of the routes
    *only* names), and where each is met."""
    counts: collections.Counter[str] = collections.Counter()
    where: dict[str, list[str]] = collections.defaultdict(list)
    seen: set[int] = set()
    for route, root in _roots(doc, params=params, only=only):
        for path, node in _schemas(doc, root, route):
            new = id(node) not in seen
            seen.add(id(node))
            for key in node:
                if new:
                    counts[key] += 1
                if key == "format":
                    counts[f"format: {node[key]}"] += new
                where[key].append(f"{route} :: {path} = {node[key]!r:.80}")
    return counts, where


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    default = os.environ.get("AIRBYTE_ASYNC_SPECS", "/work/shared/airbyte")
    parser.add_argument("specs", nargs="?", default=default, type=Path)
    parser.add_argument("--params", action="store_true", help="count parameter schemas too")
    parser.add_argument("--emulated", action="store_true", help="only the emulator's routes")
    parser.add_argument("--where", metavar="KEYWORD", help="list where KEYWORD is met")
    args = parser.parse_args()
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    only = emulated() if args.emulated else None
    results = {}
    for name, file in SPECS.items():
        with (args.specs / file).open() as f:
            results[name] = count(yaml.load(f, Loader=loader), params=args.params, only=only)
    if args.where:
        for name, (_, where) in results.items():
            for line in sorted(set(where.get(args.where, ()))):
                print(f"{name}: {line}")
        return
    keys = sorted({k for counts, _ in results.values() for k in counts})
    print(f"{'keyword':34}" + "".join(f"{n:>8}" for n in SPECS))
    for key in keys:
        print(f"{key:34}" + "".join(f"{results[n][0][key]:>8}" for n in SPECS))


if __name__ == "__main__":
    sys.exit(main())
