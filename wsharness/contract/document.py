"""An AsyncAPI 3 document read as a contract: its messages, which way each travels, and
compiled validators for each payload.

The document describes the *server*: its ``receive`` operations' messages are what a client
may send; its ``send`` operations' messages and ``receive`` replies, what a client may
receive. ``contentType`` says the frame: JSON and ``text/*`` in text frames, the rest binary.
Each schema is compiled twice: jsonschema-rs decides (0.2 µs, ECMA-262 patterns as JSON
Schema's), jsonschema words why a frame matches nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import jsonschema
import jsonschema_rs
import yaml
from jsonschema.exceptions import SchemaError
from jsonschema.protocols import Validator
from referencing import Registry
from referencing.jsonschema import DRAFT7

Direction = Literal["sent", "received"]
"""From a client's side: ``sent`` to the server, ``received`` from it."""

Carrier = Literal["json", "text", "binary"]

_DOCUMENT_URI = "urn:wsharness:contract"
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's is ten times faster


class ContractError(ValueError):
    """The document cannot be used as a contract; the message is one line that says why."""


@dataclass(frozen=True)
class Message:
    """One message of the contract."""

    name: str
    """Its key in the channel's ``messages``."""
    title: str
    carrier: Carrier
    validator: Validator | None
    """None where any frame of its carrier matches (no schema, or any string)."""
    catch_all: bool
    """Admits any value of its type: counts only when no other message admits the frame."""
    prefix: str | None = None
    """The text every frame of a text message starts with, read off its schema (an index for
    the check: the schema decides); ``fixed`` is the index of a JSON message."""
    fixed: Mapping[str, Any] = field(default_factory=dict)
    """Required properties its schema fixes (``const``), which a step that sends it fills in."""
    correlation: str | None = None
    """The JSON pointer of its ``correlationId`` in the payload (``/ref``), if any."""
    field_types: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Each property's declared JSON types: what a step's text for that field is read as."""
    quick: jsonschema_rs.Validator | None = field(default=None, compare=False)
    """The schema compiled by jsonschema-rs, which decides (:meth:`admits`)."""

    def admits(self, instance: Any) -> bool:
        """Whether ``instance`` matches, as jsonschema-rs alone says: its patterns are
        ECMA-262's, as JSON Schema's are, unlike Python's ``re`` in jsonschema."""
        return self.quick is None or self.quick.is_valid(instance)

    @property
    def label(self) -> str:
        return self.title if self.title == self.name else f"{self.title} ({self.name})"


@dataclass(frozen=True)
class Operation:
    """One operation: its action from the server's side, and its messages and replies."""

    name: str
    action: Literal["send", "receive"]
    messages: tuple[str, ...]
    replies: tuple[str, ...] = ()


@dataclass(frozen=True, eq=False)
class Contract:
    """What a client may send and receive, by message name."""

    path: Path
    title: str
    messages: Mapping[str, Message]
    operations: tuple[Operation, ...]
    sent: tuple[str, ...] = field(default=())
    """Names of the messages a client may send (the server receives)."""
    received: tuple[str, ...] = field(default=())
    """Names of the messages a client may receive (the server sends)."""
    requests: Mapping[str, Operation] = field(default_factory=dict)
    """For each message sent with a ``correlationId``, the operation whose ``reply`` answers it."""


def load(path: Path | str) -> Contract:
    """Read the AsyncAPI 3 document at ``path``, or raise :class:`ContractError` saying why."""
    path = Path(path)
    try:
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=_SAFE_LOADER)
    except (OSError, UnicodeDecodeError) as exc:
        raise ContractError(f"cannot read the contract {path}: {exc}") from None
    except yaml.YAMLError as exc:
        raise ContractError(f"the contract {path} is not YAML: {_one_line(exc)}") from None
    if not isinstance(document, dict) or not str(document.get("asyncapi", "")).startswith("3."):
        raise ContractError(f"the contract {path} is not an AsyncAPI 3 document (no asyncapi: 3.x)")
    try:
        return _read(path, document)
    except (KeyError, TypeError, AttributeError) as exc:
        raise ContractError(f"the contract {path} is malformed near {exc}") from None


def _read(path: Path, document: dict[str, Any]) -> Contract:
    registry: Registry[Any] = Registry().with_resource(
        _DOCUMENT_URI, DRAFT7.create_resource(document)
    )
    quick_registry = jsonschema_rs.Registry([(_DOCUMENT_URI, document)])
    default_type = str(document.get("defaultContentType", "application/json"))
    messages: dict[str, Message] = {}
    pointers: dict[str, str] = {}
    for channel_name, channel in (document.get("channels") or {}).items():
        channel_pointer = f"/channels/{_escape(channel_name)}"
        channel = _resolve(document, channel, channel_pointer)[0]
        for name, message in (channel.get("messages") or {}).items():
            message, pointer = _resolve(document, message, f"{channel_pointer}/messages/{name}")
            messages[name] = _message(
                name, message, default_type, (registry, quick_registry), path, document
            )
            pointers[f"{channel_pointer}/messages/{_escape(name)}"] = name
            pointers[pointer] = name
    operations = tuple(
        _operation(name, operation, document, pointers, path)
        for name, operation in (document.get("operations") or {}).items()
    )
    sent = _unique(m for op in operations if op.action == "receive" for m in op.messages)
    received = _unique(
        m for op in operations for m in (op.messages if op.action == "send" else op.replies)
    )
    title = str((document.get("info") or {}).get("title", path.name))
    requests = {
        name: op
        for op in operations
        if op.action == "receive" and op.replies
        for name in op.messages
        if messages[name].correlation is not None
    }
    return Contract(path, title, messages, operations, sent, received, requests)


def _message(
    name: str,
    message: dict[str, Any],
    default_type: str,
    registries: tuple[Registry[Any], jsonschema_rs.Registry],
    path: Path,
    document: dict[str, Any],
) -> Message:
    content_type = str(message.get("contentType", default_type)).lower()
    carrier: Carrier = "text" if content_type.startswith("text/") else "binary"
    if content_type.endswith(("/json", "+json")):
        carrier = "json"
    payload = message.get("payload")
    validator = quick = None
    catch_all = payload is None
    if payload is not None:
        explaining, deciding = _DIALECTS[7]
        if isinstance(payload, dict) and "schemaFormat" in payload and "schema" in payload:
            explaining, deciding = _dialect(name, payload["schemaFormat"], path)
            payload = payload["schema"]
        catch_all = isinstance(payload, dict) and set(payload) <= _NOT_CONSTRAINING
        schema = _absolute_refs(payload)
        try:
            explaining.check_schema(payload)
        except SchemaError as exc:
            raise ContractError(
                f"the contract {path}: message {name}'s payload is not a JSON Schema: "
                f"{_one_line(exc.message)}"
            ) from None
        validator = explaining(schema, registry=registries[0])
        quick = deciding(schema, registry=registries[1], validate_formats=False, offline=True)
        if catch_all and carrier == "text" and payload.get("type", "string") == "string":
            validator = quick = None  # a text frame is a string: nothing to validate
    title = str(message.get("title") or message.get("name") or name)
    fixed = _fixed(payload) if isinstance(payload, dict) and carrier == "json" else {}
    prefix = _prefix(payload) if isinstance(payload, dict) and carrier == "text" else None
    correlation = _correlation(name, message.get("correlationId"), document, path)
    types = _field_types(document, payload) if carrier == "json" else {}
    return Message(
        name, title, carrier, validator, catch_all, prefix, fixed, correlation, types, quick
    )


def _field_types(document: dict[str, Any], schema: Any) -> dict[str, tuple[str, ...]]:
    """Each property's declared ``type`` (a name or a list), its local ``$ref`` followed."""
    schema = _resolve(document, schema, "")[0]
    properties = schema.get("properties") if isinstance(schema, dict) else None
    types: dict[str, tuple[str, ...]] = {}
    for key, rule in (properties if isinstance(properties, dict) else {}).items():
        declared = _resolve(document, rule, "")[0]
        kind = declared.get("type") if isinstance(declared, dict) else None
        if isinstance(kind, str):
            types[key] = (kind,)
        elif isinstance(kind, list) and all(isinstance(k, str) for k in kind):
            types[key] = tuple(kind)
    return types


_DIALECTS: Mapping[int | str, tuple[type[Validator], type[jsonschema_rs.Validator]]] = {
    # Each JSON Schema dialect: the validator that words a mismatch, the one that decides.
    4: (jsonschema.Draft4Validator, jsonschema_rs.Draft4Validator),
    6: (jsonschema.Draft6Validator, jsonschema_rs.Draft6Validator),
    7: (jsonschema.Draft7Validator, jsonschema_rs.Draft7Validator),
    "2019-09": (jsonschema.Draft201909Validator, jsonschema_rs.Draft201909Validator),
    "2020-12": (jsonschema.Draft202012Validator, jsonschema_rs.Draft202012Validator),
}

_ASYNCAPI_SCHEMA = re.compile(r"application/vnd\.aai\.asyncapi(?:\+json|\+yaml)?;version=3\.[\d.]+")
_JSON_SCHEMA = re.compile(
    r"application/schema(?:\+json|\+yaml)?;version=(draft-0[467]|2019-09|2020-12)"
)


def _dialect(
    name: str, schema_format: Any, path: Path
) -> tuple[type[Validator], type[jsonschema_rs.Validator]]:
    """The validators for a payload's ``schemaFormat``: AsyncAPI's (draft 7) or a JSON Schema
    draft; any other format (Avro, Protobuf) cannot be checked, and is said at once."""
    written = "".join(str(schema_format).split()).lower()
    if _ASYNCAPI_SCHEMA.fullmatch(written):
        return _DIALECTS[7]
    draft = _JSON_SCHEMA.fullmatch(written)
    if draft is not None:
        version = draft.group(1)
        return _DIALECTS[int(version[-1]) if version.startswith("draft") else version]
    raise ContractError(
        f"the contract {path}: message {name}'s payload is in {schema_format}, which the "
        "library cannot check (it reads JSON Schema: AsyncAPI's schema format, "
        "draft-04 to 2020-12)"
    )


_PAYLOAD = "$message.payload#"


def _correlation(name: str, declared: Any, document: dict[str, Any], path: Path) -> str | None:
    """The JSON pointer of a message's ``correlationId`` in its payload."""
    if declared is None:
        return None
    location = _resolve(document, declared, "")[0].get("location")
    if not isinstance(location, str) or not location.startswith(_PAYLOAD):
        raise ContractError(
            f"the contract {path}: message {name}'s correlationId is at {location!r}; "
            f"a WebSocket frame has only a payload, so it must be at {_PAYLOAD}/..."
        )
    return location[len(_PAYLOAD) :]


def _fixed(schema: dict[str, Any]) -> dict[str, Any]:
    required = schema.get("required") or []
    return {
        key: rule["const"]
        for key, rule in (schema.get("properties") or {}).items()
        if key in required and isinstance(rule, dict) and "const" in rule
    }


_REGEX_SYNTAX = frozenset("\\.^$*+?()[]{}|")


def _alternatives(pattern: str) -> bool:
    """Whether ``pattern`` has a ``|`` outside every group: ``^a|b`` is not anchored."""
    depth, escaped = 0, False
    for character in pattern:
        if escaped:
            escaped = False
        elif character == "\\":
            escaped = True
        elif character in "([":
            depth += 1
        elif character in ")]":
            depth -= 1
        elif character == "|" and depth == 0:
            return True
    return False


def _prefix(schema: dict[str, Any]) -> str | None:
    """The text every string ``schema`` admits starts with, when it says so plainly."""
    if isinstance(schema.get("const"), str):
        return str(schema["const"])
    pattern = schema.get("pattern")
    if isinstance(pattern, str) and pattern.startswith("^") and not _alternatives(pattern):
        literal = ""
        for character in pattern[1:]:
            if character in _REGEX_SYNTAX:
                break
            literal += character
        if pattern[1 + len(literal) : 2 + len(literal)] in ("?", "*", "{"):
            literal = literal[:-1]  # the last character is optional or repeated
        return literal or None
    return None


_NOT_CONSTRAINING = frozenset({"type", "title", "description", "examples", "$comment"})


def _operation(
    name: str, operation: dict[str, Any], document: Any, pointers: Mapping[str, str], path: Path
) -> Operation:
    action = operation.get("action")
    if action not in ("send", "receive"):
        raise ContractError(f"the contract {path}: operation {name} has no action send or receive")
    reply = _resolve(document, operation.get("reply") or {}, "")[0]
    return Operation(
        name,
        action,
        tuple(_message_name(ref, pointers, name, path) for ref in operation.get("messages", [])),
        tuple(_message_name(ref, pointers, name, path) for ref in reply.get("messages", [])),
    )


def _message_name(ref: Any, pointers: Mapping[str, str], operation: str, path: Path) -> str:
    target = ref.get("$ref", "") if isinstance(ref, dict) else ""
    name = pointers.get(target.removeprefix("#"))
    if name is None:
        raise ContractError(
            f"the contract {path}: operation {operation} names {target or ref!r}, "
            "which is not a message of a channel"
        )
    return name


def _resolve(document: Any, node: Any, pointer: str) -> tuple[Any, str]:
    """``node``, or what its local ``$ref`` points at, with its JSON pointer."""
    seen = 0
    while isinstance(node, dict) and isinstance(node.get("$ref"), str):
        ref = node["$ref"]
        if not ref.startswith("#/") or seen > 20:
            raise ContractError(f"cannot follow $ref {ref!r}: only local references are read")
        pointer, node, seen = ref[1:], document, seen + 1
        for part in ref[2:].split("/"):
            key = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, dict) or key not in node:
                raise ContractError(f"$ref {ref!r} points nowhere")
            node = node[key]
    return node, pointer


def _absolute_refs(schema: Any) -> Any:
    """A copy of ``schema`` whose local ``$ref`` name the document: a payload validated on its
    own is four times faster than through a ``$ref`` to it."""
    if isinstance(schema, dict):
        return {
            key: f"{_DOCUMENT_URI}{value}"
            if key == "$ref" and isinstance(value, str) and value.startswith("#")
            else _absolute_refs(value)
            for key, value in schema.items()
        }
    if isinstance(schema, list):
        return [_absolute_refs(value) for value in schema]
    return schema


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _unique(names: Iterator[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(names))


def _one_line(error: object) -> str:
    return " ".join(str(error).split())
