"""What is under test: one description, read by the hooks, the acceptance stage and every report.

A target is the server(s) a run tests and how people connect to them, from the settings
of :mod:`wsharness.bdd.registry` (``-D`` wins over the ``WS_*`` environment). With no URL
it is not *configured*, and a project may start its own server; with one, nothing is
started, ever. Its promises follow from it: a token given means one is required, an
origin given means other sites are refused, ``wss://`` means the certificate must verify;
``skip_checks`` switches checks off for a deployment that differs on purpose.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

from wsharness.bdd import registry
from wsharness.bdd.options import ConnectionOptions, parse_headers
from wsharness.bdd.registry import SettingError
from wsharness.records import describe_url

PROMISES = ("token", "origin", "tls", "health")
"""The checks a deployment's settings declare, by the names ``skip_checks`` takes."""

URL_SETTINGS = ("server_url", "server_urls")
TOKEN_SETTINGS = ("auth_token", "auth_token_file")


@dataclass(frozen=True)
class Target:
    """The server(s) under test, how to connect to them, and which promises to check."""

    urls: tuple[str, ...] = ()
    options: ConnectionOptions = field(default_factory=ConnectionOptions)
    token_given_as: str | None = None
    """Where the token came from, never the token: ``-D auth_token``,
    ``WS_AUTH_TOKEN``, or ``the file PATH``."""
    token_file: str | None = None
    skip_checks: frozenset[str] = frozenset()
    started_by_the_suite: bool = False
    started_by: str | None = None
    """Who started the servers named, when a tool did (the acceptance stage says so)."""
    software: tuple[str, ...] = ()
    """What each server says it is, in the order of ``urls``: its handshake's ``Server``
    header (``chat-server/0.1.0``), "" for one that says nothing; empty until asked
    (:meth:`reported`)."""

    @classmethod
    def from_settings(
        cls, userdata: Mapping[str, str], environ: Mapping[str, str] | None = None
    ) -> Target:
        """The target the settings describe; :class:`SettingError`, in one line, for
        settings that contradict each other or cannot work."""
        environ = os.environ if environ is None else environ
        urls_name, urls_text = _one_of(URL_SETTINGS, userdata, environ)
        urls = tuple(url.strip() for url in (urls_text or "").split(",") if url.strip())
        for url in urls:
            _check_url(urls_name, url)
        token_name, token_text = _one_of(TOKEN_SETTINGS, userdata, environ)
        token, token_given_as, token_file = None, None, None
        if token_name == "auth_token":
            token = token_text
            token_given_as = "-D auth_token" if userdata.get(token_name) else "WS_AUTH_TOKEN"
        elif token_name == "auth_token_file" and token_text is not None:
            token_file = os.path.abspath(token_text)
            token, token_given_as = read_token_file(token_file), f"the file {token_file}"
        ca_file = _ca_file(registry.value("ca_file", userdata, environ))
        subprotocols = registry.value("subprotocols", userdata, environ) or ""
        try:
            headers = parse_headers(registry.value("headers", userdata, environ) or "")
        except ValueError as exc:
            raise SettingError(f"headers: {exc}") from None
        options = ConnectionOptions(
            ca_file=ca_file,
            auth_token=token,
            origin=registry.value("origin", userdata, environ),
            subprotocols=tuple(part.strip() for part in subprotocols.split(",") if part.strip()),
            headers=headers,
        )
        if not urls and options != ConnectionOptions():
            raise SettingError(
                "how to connect is given (a CA file, token, origin, subprotocol or header) "
                "but no server to connect to: name it with server_url or server_urls"
            )
        started_by = registry.value("started_by", userdata, environ)
        return cls(
            urls=urls,
            options=options,
            token_given_as=token_given_as,
            token_file=token_file,
            skip_checks=_skip_checks(registry.value("skip_checks", userdata, environ)),
            started_by_the_suite=started_by is not None,
            started_by=started_by,
        )

    @property
    def configured(self) -> bool:
        """Whether the settings name a server; if not, a project may start its own."""
        return bool(self.urls)

    def started(self, urls: list[str], options: ConnectionOptions | None = None) -> Target:
        """This target, for servers the suite started itself at ``urls`` (reached with
        ``options``, by default the target's own)."""
        return replace(
            self, urls=tuple(urls), options=options or self.options, started_by_the_suite=True
        )

    def reported(self, software: tuple[str, ...]) -> Target:
        """This target, with what its servers said they are."""
        return replace(self, software=software)

    def software_line(self) -> str:
        """What the servers said they are, in one line: the one name when all agree,
        else node by node; "not reported" for servers that said nothing."""
        if not any(self.software):
            return "not reported"
        if len(set(self.software)) == 1:
            return self.software[0]
        return ", ".join(
            f"node {index} {name or 'not reported'}"
            for index, name in enumerate(self.software, start=1)
        )

    def node_name(self, index: int) -> str:
        """How a message names server ``index``: ``node 2 (ws://...)``, or ``the
        server (ws://...)`` when there is one."""
        url = describe_url(self.urls[index])
        return f"node {index + 1} ({url})" if len(self.urls) > 1 else f"the server ({url})"

    def declares(self, promise: str) -> str | None:
        """Why ``promise`` is not checked against this target, or None if it is."""
        if promise in self.skip_checks:
            return f"the {promise} check is switched off (skip_checks)"
        if promise == "token" and self.options.auth_token is None:
            return (
                "no token is declared: give auth_token or auth_token_file "
                "to check that one is required"
            )
        if promise == "origin" and self.options.origin is None:
            return "no origin is declared: give origin to check that other sites are refused"
        if promise == "tls" and not all(url.startswith("wss://") for url in self.urls):
            return "the target is plain ws://: no certificate to check"
        return None

    def facts(self) -> dict[str, str]:
        """What is under test, as the reports record it (never the token itself)."""
        secure = all(url.startswith("wss://") for url in self.urls)
        if any(url.startswith("wss://") for url in self.urls) and not secure:
            tls = "mixed: some servers ws://, some wss://"
        elif not secure:
            tls = "no (ws://)"
        elif self.options.ca_file:
            tls = f"yes, certificates checked against {self.options.ca_file}"
        else:
            tls = "yes, certificates checked against the system's CAs"
        return {
            "servers": ", ".join(describe_url(url) for url in self.urls),
            "nodes": str(len(self.urls)),
            "started_by": self._started_by(),
            "tls": tls,
            "token": f"sent (from {self.token_given_as})" if self.token_given_as else "none",
            "origin": self.options.origin or "none",
        } | ({"software": self.software_line()} if self.software else {})

    def describe(self) -> str:
        """The target in one line, as the run says it first thing."""
        facts = self.facts()
        count = len(self.urls)
        servers = f"{count} nodes" if count > 1 else "1 server"
        started = ""
        if self.started_by_the_suite or self.started_by:
            started = f", started by {self._started_by()}"
        return (
            f"testing {servers}{started}: {facts['servers']}; TLS: {facts['tls']}; "
            f"token: {facts['token']}; origin: {facts['origin']}"
        )

    def _started_by(self) -> str:
        if self.started_by:
            return self.started_by
        return "the suite, for this run" if self.started_by_the_suite else "nobody: a deployment"

    def environment(self) -> dict[str, str]:
        """The ``WS_*`` variables that describe this target to another process: the
        token by reference (its file), or as ``WS_AUTH_TOKEN`` when it was given so."""
        options = self.options
        optional = {
            "WS_CA_FILE": options.ca_file,
            "WS_AUTH_TOKEN_FILE": self.token_file,
            "WS_AUTH_TOKEN": options.auth_token if self.token_file is None else None,
            "WS_ORIGIN": options.origin,
            "WS_SUBPROTOCOLS": ",".join(options.subprotocols),
            "WS_HEADERS": "; ".join(f"{name}: {value}" for name, value in options.headers),
            "WS_SKIP_CHECKS": ",".join(sorted(self.skip_checks)),
        }
        given = {name: value for name, value in optional.items() if value}
        return {"WS_SERVER_URLS": ",".join(self.urls), **given}


TARGET_SETTINGS = (
    *URL_SETTINGS,
    *TOKEN_SETTINGS,
    *("ca_file", "origin", "subprotocols", "headers", "skip_checks"),
)
"""The settings that describe a target."""

TARGET_VARIABLES = tuple(
    setting.variable
    for setting in registry.LIBRARY_SETTINGS
    if setting.name in TARGET_SETTINGS and setting.variable is not None
)
"""Their environment variables."""


def read_token_file(path: str) -> str:
    """The first token in a token file, read as the chat server reads one (one a line,
    blank lines and ``#`` comments skipped); :class:`SettingError` if there is none."""
    try:
        with open(path, encoding="utf-8") as file:
            lines = file.read().splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "it is not UTF-8 text"
        raise SettingError(f"cannot read the token file {path}: {reason}") from None
    tokens = [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]
    if not tokens:
        raise SettingError(f"the token file {path} holds no token")
    return tokens[0]


def _one_of(
    names: tuple[str, ...], userdata: Mapping[str, str], environ: Mapping[str, str]
) -> tuple[str | None, str | None]:
    """The one setting of ``names`` given, and its text: from ``-D`` if any of them is
    given there, else from the environment. Two given in the same source contradict
    each other."""
    variables = {name: registry.known()[name].variable or name for name in names}
    sources = (
        {f"-D {name}": (name, userdata.get(name)) for name in names},
        {variables[name]: (name, environ.get(variables[name])) for name in names},
    )
    for source in sources:
        given = {shown: found for shown, found in source.items() if found[1] is not None}
        for shown, (_name, text) in given.items():
            if not (text or "").replace(",", "").strip():
                # An unset CI variable expanded into a flag: never a reason to test
                # something else.
                raise SettingError(f"{shown} is empty: give a value, or leave it out")
        if len(given) > 1:
            raise SettingError(f"{' and '.join(given)} contradict each other: give one of them")
        for name, text in given.values():
            return name, (text or "").strip()
    return None, None


def _ca_file(path: str | None) -> str | None:
    """The CA file's absolute path, once it has been read as PEM certificates."""
    if path is None:
        return None
    if not os.path.isfile(path):
        raise SettingError(f"ca_file {path!r} is not a readable file")
    try:
        ssl.create_default_context(cafile=path)
    except (ssl.SSLError, OSError) as exc:
        reason = getattr(exc, "reason", None) or exc.strerror or type(exc).__name__
        raise SettingError(f"ca_file {path!r} holds no PEM certificate ({reason})") from None
    return os.path.abspath(path)


def _check_url(setting: str | None, url: str) -> None:
    parts = urlsplit(url)
    if describe_url(url) != url:
        raise SettingError(
            f"{setting}: a token in the URL would be written into every report; "
            "give it as auth_token or auth_token_file instead"
        )
    if parts.scheme not in ("ws", "wss") or not parts.hostname:
        raise SettingError(
            f"{setting}: {describe_url(url)!r} is not a ws:// or wss:// URL with a host"
        )
    try:
        parts.port  # noqa: B018  (raises ValueError for a port out of range)
    except ValueError:
        raise SettingError(f"{setting}: {describe_url(url)!r} has a bad port") from None


def _skip_checks(text: str | None) -> frozenset[str]:
    names = frozenset(part.strip() for part in (text or "").split(",") if part.strip())
    unknown = sorted(names - set(PROMISES))
    if unknown:
        raise SettingError(
            f"skip_checks: {', '.join(unknown)} is not a check; the checks are "
            + ", ".join(PROMISES)
        )
    return names
