"""How people connect: the handshake options of a run, and of one person.

Every person a scenario connects uses the run's options, which come from
behave's userdata (``-D name=value``) or else the environment:

===================  ======================  ==========================================
userdata             environment             meaning
===================  ======================  ==========================================
``ca_file``          ``WS_CA_FILE``          trust this CA (PEM) for ``wss://``
``auth_token``       ``WS_AUTH_TOKEN``       send ``Authorization: Bearer <token>``
``origin``           ``WS_ORIGIN``           send this ``Origin`` header
``subprotocols``     ``WS_SUBPROTOCOLS``     offer these subprotocols (comma-separated)
``headers``          ``WS_HEADERS``          more headers, ``Name: value; Name: value``
===================  ======================  ==========================================

A step can change them for one person ("Mallory connects without a token").
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

SETTINGS = {
    "ca_file": "WS_CA_FILE",
    "auth_token": "WS_AUTH_TOKEN",
    "origin": "WS_ORIGIN",
    "subprotocols": "WS_SUBPROTOCOLS",
    "headers": "WS_HEADERS",
}
"""Each option's userdata key and environment variable."""


@dataclass(frozen=True)
class ConnectionOptions:
    """What a client sends and trusts in its opening handshake."""

    ca_file: str | None = None
    auth_token: str | None = None
    origin: str | None = None
    subprotocols: tuple[str, ...] = ()
    headers: tuple[tuple[str, str], ...] = field(default=())
    token_in_url: bool = False
    """Send the token as ``?token=`` in the URL, as a browser must, instead of a header."""

    @classmethod
    def from_settings(
        cls, userdata: Mapping[str, str], environ: Mapping[str, str] | None = None
    ) -> ConnectionOptions:
        """The run's options from userdata, else the environment; raise ValueError,
        in one line, for a value that cannot work."""
        environ = os.environ if environ is None else environ
        values: dict[str, str] = {}
        for key, variable in SETTINGS.items():
            text = (userdata.get(key) or environ.get(variable) or "").strip()
            if text:
                values[key] = text
        ca_file = values.get("ca_file")
        if ca_file is not None and not os.path.isfile(ca_file):
            raise ValueError(f"ca_file {ca_file!r} is not a readable file")
        return cls(
            ca_file=ca_file,
            auth_token=values.get("auth_token"),
            origin=values.get("origin"),
            subprotocols=tuple(
                part.strip() for part in values.get("subprotocols", "").split(",") if part.strip()
            ),
            headers=parse_headers(values.get("headers", "")),
        )

    def but(self, **changes: Any) -> ConnectionOptions:
        """A copy with some options changed, for one person."""
        return replace(self, **changes)

    def with_header(self, line: str) -> ConnectionOptions:
        """A copy that also sends the header ``Name: value``."""
        return replace(self, headers=(*self.headers, *parse_headers(line)))

    def address(self, url: str) -> str:
        """The URL to connect to: ``url``, with ``?token=`` when the token goes there."""
        if not self.token_in_url or self.auth_token is None:
            return url
        parts = urlsplit(url)
        query = urlencode([*parse_qsl(parts.query), ("token", self.auth_token)])
        return urlunsplit(parts._replace(query=query))

    def connect_arguments(self, url: str) -> dict[str, Any]:
        """Keyword arguments for :class:`~wsharness.TestWebSocket` and websockets' ``connect``."""
        arguments: dict[str, Any] = {}
        headers = list(self.headers)
        if self.auth_token is not None and not self.token_in_url:
            headers.append(("Authorization", f"Bearer {self.auth_token}"))
        if headers:
            arguments["additional_headers"] = headers
        if self.origin is not None:
            arguments["origin"] = self.origin
        if self.subprotocols:
            arguments["subprotocols"] = list(self.subprotocols)
        if self.ca_file is not None and url.startswith("wss://"):
            arguments["ssl"] = self.tls_context()
        return arguments

    def tls_context(self) -> ssl.SSLContext:
        """What a client trusts over TLS: the CA file if one was given, else the system's."""
        return ssl.create_default_context(cafile=self.ca_file)


def parse_headers(text: str) -> tuple[tuple[str, str], ...]:
    """``"X-A: 1; X-B: 2"`` as pairs; raise ValueError for a part without a colon."""
    headers = []
    for part in text.split(";"):
        if not part.strip():
            continue
        name, colon, value = part.partition(":")
        if not colon or not name.strip():
            raise ValueError(f"a header must read 'Name: value', not {part.strip()!r}")
        headers.append((name.strip(), value.strip()))
    return tuple(headers)
