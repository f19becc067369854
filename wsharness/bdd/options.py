"""How people connect: the handshake options of a run (part of its
:class:`~wsharness.bdd.target.Target`), which a step can change for one person
("Mallory connects without a token").
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit


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
    trusts_no_one: bool = False
    """Trust no certificate authority at all, so a ``wss://`` server's certificate
    cannot verify: how a check proves that an untrusted certificate is refused."""

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
        if (self.ca_file is not None or self.trusts_no_one) and url.startswith("wss://"):
            arguments["ssl"] = self.tls_context()
        return arguments

    def tls_context(self) -> ssl.SSLContext:
        """What a client trusts over TLS: the CA file if one was given, else the system's
        (nothing at all with ``trusts_no_one``)."""
        if self.trusts_no_one:
            return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # verifies, with no CA loaded
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
