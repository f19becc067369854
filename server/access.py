"""Who may open a connection: bearer tokens and allowed origins, decided before the
handshake completes, in plain Python (tested without a network). Tokens are compared in
constant time and never logged: :func:`redact` and :class:`RedactSecrets` hide them.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from urllib.parse import parse_qsl, unquote_plus, urlsplit

from websockets.datastructures import Headers

TOKEN_PARAMETER = "token"


class TokenFileError(Exception):
    """The token file cannot be used; the message is one line and names the file."""


@dataclass(frozen=True)
class Refusal:
    """A handshake turned away: the HTTP status and why (for the log and the body)."""

    status: HTTPStatus
    reason: str
    challenge: str | None = None
    """The ``WWW-Authenticate`` header of a 401."""

    @property
    def body(self) -> str:
        """The response body: the reason, on one line."""
        return f"{self.reason}\n"


class TokenFile:
    """The tokens clients may present, one per line of a file (``#`` comments); only
    SHA-256 digests are kept, so comparing takes the same time whatever is presented."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._digests: tuple[bytes, ...] = ()

    def __len__(self) -> int:
        return len(self._digests)

    def load(self) -> int:
        """(Re)read the file and return how many tokens it holds; on
        :class:`TokenFileError` the tokens loaded before are kept."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise TokenFileError(f"cannot read the token file {self.path}: {reason}") from None
        lines = {line.strip() for line in text.splitlines()}
        tokens = {line for line in lines if line and not line.startswith("#")}
        if not tokens:
            raise TokenFileError(f"the token file {self.path} holds no token")
        self._digests = tuple(_digest(token) for token in sorted(tokens))
        return len(self._digests)

    def accepts(self, presented: str) -> bool:
        """Whether ``presented`` is one of the tokens, compared with every one of them
        in constant time."""
        digest = _digest(presented)
        accepted = False
        for known in self._digests:
            accepted |= hmac.compare_digest(digest, known)
        return accepted


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).digest()


class Gate:
    """The rules a handshake must pass, each off when not configured: one of
    ``tokens``, as ``Authorization: Bearer <token>`` or ``?token=<token>`` (browsers
    cannot set headers), and an ``Origin`` header, if any, among ``origins``."""

    def __init__(
        self, tokens: TokenFile | None = None, origins: Iterable[str] | None = None
    ) -> None:
        self.tokens = tokens
        self.origins = None if origins is None else frozenset(normal_origin(o) for o in origins)

    def check(self, path: str, headers: Headers) -> Refusal | None:
        """Why this handshake is refused, or None if it may go on."""
        if self.tokens is not None:
            refusal = self._check_token(path, headers, self.tokens)
            if refusal is not None:
                return refusal
        if self.origins is not None:
            return self._check_origin(headers, self.origins)
        return None

    @staticmethod
    def _check_token(path: str, headers: Headers, tokens: TokenFile) -> Refusal | None:
        authorization = headers.get_all("Authorization")
        if len(authorization) > 1:
            return _unauthorized("more than one Authorization header", "invalid_request")
        if authorization:
            scheme, _, presented = authorization[0].strip().partition(" ")
            if scheme.lower() != "bearer" or not presented.strip():
                return _unauthorized(
                    'the Authorization header must be "Bearer <token>"', "invalid_request"
                )
            presented = presented.strip()
        else:
            pairs = parse_qsl(urlsplit(path).query, keep_blank_values=True)
            query = [value for name, value in pairs if name == TOKEN_PARAMETER]
            if not query:
                return _unauthorized(
                    'a token is required: send "Authorization: Bearer <token>" or ?token=<token>',
                    None,
                )
            if len(query) > 1:
                return _unauthorized("more than one token parameter", "invalid_request")
            presented = query[0]
        if not tokens.accepts(presented):
            return _unauthorized("the token was not accepted", "invalid_token")
        return None

    @staticmethod
    def _check_origin(headers: Headers, allowed: frozenset[str]) -> Refusal | None:
        origins = headers.get_all("Origin")
        if not origins:
            return None
        if len(origins) > 1:
            return Refusal(HTTPStatus.FORBIDDEN, "more than one Origin header")
        if normal_origin(origins[0]) in allowed:
            return None
        return Refusal(HTTPStatus.FORBIDDEN, f"the origin {origins[0][:100]} is not allowed")


def _unauthorized(reason: str, error: str | None) -> Refusal:
    challenge = 'Bearer realm="chat"' + (f', error="{error}"' if error else "")
    return Refusal(HTTPStatus.UNAUTHORIZED, reason, challenge)


def normal_origin(origin: str) -> str:
    """An origin as browsers send it: lower case, no trailing slash."""
    return origin.strip().rstrip("/").lower()


def valid_origin(text: str) -> bool:
    """``scheme://host[:port]`` (what an ``Origin`` header holds), or ``null``."""
    if text == "null":
        return True
    parts = urlsplit(text)
    return bool(parts.scheme and parts.netloc) and parts.path in ("", "/") and not parts.query


_QUERY_PARAMETER = re.compile(r"(?<=[?&;])([^=&#;\s]*)=([^&#;\s]*)")
_AUTHORIZATION = re.compile(r"(?i)(authorization\s*[:=]\s*)[^\r\n]*")


def redact(text: str) -> str:
    """``text`` with every token hidden: ``?token=***`` (``?%74oken=`` too, as the gate
    decodes names) and ``Authorization: ***``."""
    text = _QUERY_PARAMETER.sub(_hide_token, text)
    return _AUTHORIZATION.sub(r"\1***", text)


def _hide_token(match: re.Match[str]) -> str:
    name = match[1]
    return f"{name}=***" if unquote_plus(name) == TOKEN_PARAMETER else match[0]


class RedactSecrets(logging.Filter):
    """Rewrites a log record whose message shows a token (the library's debug lines
    print the request line and every header), before any handler formats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        hidden = redact(message)
        if hidden != message:
            record.msg, record.args = hidden, None
        return True
