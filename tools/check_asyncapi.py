"""Validate AsyncAPI 3.0 documents against AsyncAPI's official JSON Schema.

``python -m tools.check_asyncapi FILE...`` prints one line per problem (where in the file,
what rule) and exits 1 if any document is not a valid AsyncAPI 3.0.0 document, or has a
``$ref`` that points nowhere (the JSON Schema cannot see those). ``.ci/run`` runs it on every
contract of the repository. The schema is vendored (``vendor/asyncapi-specs/README.md``).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from jsonschema.exceptions import best_match

from acceptance.testbed import PROJECT_ROOT

ASYNCAPI_SCHEMA = PROJECT_ROOT / "vendor" / "asyncapi-specs" / "asyncapi-3.0.0.schema.json"


def problems(document_path: Path) -> list[str]:
    """Every reason ``document_path`` is not a valid AsyncAPI 3.0.0 document, each on one line."""
    try:
        document = yaml.safe_load(document_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        return [f"{document_path}: cannot be read as YAML: {exc}"]
    schema = json.loads(ASYNCAPI_SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft7Validator(schema)
    # An error under a oneOf (a $ref or the thing itself) is told by its most relevant cause.
    causes = [best_match([error]) for error in validator.iter_errors(document)]
    found = [
        f"{document_path}: at {_where(cause.absolute_path)}: {cause.message[:300]}"
        for cause in sorted(causes, key=lambda e: [str(part) for part in e.absolute_path])
    ]
    found += [
        f"{document_path}: at {_where(path)}: $ref {ref!r} points nowhere"
        for path, ref in _refs(document, [])
        if not _resolves(document, ref)
    ]
    return found


def _where(path: Sequence[object]) -> str:
    return "/".join(str(part) for part in path) or "the top"


def _refs(node: Any, path: list[object]) -> Iterator[tuple[list[object], str]]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield path, node["$ref"]
        for key, value in node.items():
            yield from _refs(value, [*path, key])
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _refs(value, [*path, index])


def _resolves(document: Any, ref: str) -> bool:
    if not ref.startswith("#/"):
        return True  # a reference to another file: not this tool's to follow
    node = document
    for part in ref[2:].split("/"):
        key = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or key not in node:
            return False
        node = node[key]
    return True


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("documents", nargs="+", type=Path, help="AsyncAPI 3.0 documents (YAML)")
    args = parser.parse_args(argv)
    failed = False
    for document in args.documents:
        found = problems(document)
        for line in found:
            print(line, file=sys.stderr)
        if not found:
            print(f"{document}: a valid AsyncAPI 3.0.0 document")
        failed = failed or bool(found)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
