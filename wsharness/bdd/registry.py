"""The settings a run reads, known by name, so that a typo stops the run instead of passing.

behave accepts any ``-D name=value`` and ignores the names nobody reads: ``-D
sever_url=...`` would test some other server and pass. So every setting the library or a
project (:func:`wsharness.bdd.configure`) reads is registered here, and
:func:`check_userdata` stops the run on any other ``-D`` name, naming the closest known
ones; behave's own (``behave.*``) and behavex's ``worker_id`` pass.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Setting:
    """One setting: its ``-D`` name, its environment variable (if it has one), what it means."""

    name: str
    variable: str | None
    meaning: str


class SettingError(ValueError):
    """A setting is unknown, malformed or contradicts another; the message is one line."""


LIBRARY_SETTINGS = (
    Setting("server_url", "WS_SERVER_URL", "the server under test (ws:// or wss://)"),
    Setting("server_urls", "WS_SERVER_URLS", "several servers (a cluster's nodes), by comma"),
    Setting("ca_file", "WS_CA_FILE", "trust this CA (PEM) for wss://"),
    Setting("auth_token", "WS_AUTH_TOKEN", "send Authorization: Bearer <token>"),
    Setting("auth_token_file", "WS_AUTH_TOKEN_FILE", "read the token from this file"),
    Setting("origin", "WS_ORIGIN", "send this Origin header, as a page of that site would"),
    Setting("subprotocols", "WS_SUBPROTOCOLS", "offer these subprotocols, by comma"),
    Setting("headers", "WS_HEADERS", "more handshake headers: 'Name: value; Name: value'"),
    Setting("timeout", "WS_TIMEOUT", "seconds a wait may take"),
    Setting("timeout_scale", "WS_TIMEOUT_SCALE", "a factor applied to every wait"),
    Setting("quiet_window", "WS_QUIET_WINDOW", "seconds a 'nothing arrives' check watches"),
    Setting("late_window", "WS_LATE_WINDOW", "seconds more to watch for messages sent late"),
    Setting("max_message_size", "WS_MAX_MESSAGE_SIZE", "the largest message accepted (16MiB)"),
    Setting("skip_checks", "WS_SKIP_CHECKS", "promises not to check: token, origin, tls, health"),
    Setting("run_record", "WS_RUN_RECORD", "write how the run ended, as JSON, to this file"),
    Setting("contract", "WS_CONTRACT", "check every frame against this AsyncAPI 3 file; off"),
    Setting("contract_coverage", "WS_CONTRACT_COVERAGE", "write the contract coverage (JSON)"),
    Setting("conversations", "WS_CONVERSATIONS", "write each scenario's diagram (SVG) here"),
    Setting("diagrams", "WS_DIAGRAMS", "off: draw no conversation diagrams (on by default)"),
    # -D only: a variable left in an environment must not make a deployment the suite's own.
    Setting("started_by", None, "who started the servers named; they are the suite's own"),
)

PASSING_PREFIXES = ("behave.",)
"""userdata that behave and its formatters read (``behave.formatter.html-pretty.title``)."""

PASSING_NAMES = frozenset({"worker_id"})
"""userdata that behavex passes to each of its workers."""

_known: dict[str, Setting] = {setting.name: setting for setting in LIBRARY_SETTINGS}


def register(settings: Iterable[Setting]) -> None:
    """Make a project's own settings known (:func:`wsharness.bdd.configure` calls this)."""
    for setting in settings:
        _known[setting.name] = setting


def known() -> dict[str, Setting]:
    """Every registered setting, by name."""
    return dict(_known)


def check_userdata(userdata: Mapping[str, str]) -> None:
    """Raise :class:`SettingError` for the first ``-D`` name no one registered."""
    for name in userdata:
        if name in _known or name in PASSING_NAMES or name.startswith(PASSING_PREFIXES):
            continue
        close = difflib.get_close_matches(name, list(_known), n=3, cutoff=0.6)
        hint = f"; did you mean {' or '.join(close)}?" if close else ""
        raise SettingError(
            f"unknown setting -D {name}{hint} (the known settings are listed in "
            "the README, 'Options')"
        )


def check_environment(environ: Mapping[str, str]) -> None:
    """Raise :class:`SettingError` for a ``WS_*`` variable a letter or two away from a
    setting's (``WS_SEVER_URLS``), which would have a pipeline test something else; ones
    far from every setting's are left alone, for other tools."""
    variables = [setting.variable for setting in _known.values() if setting.variable]
    for name in environ:
        if not name.startswith("WS_") or name in variables or not environ[name].strip():
            continue
        close = difflib.get_close_matches(name, variables, n=2, cutoff=0.85)
        if close:
            raise SettingError(
                f"the environment variable {name} is not a setting; did you mean "
                f"{' or '.join(close)}?"
            )


def value(name: str, userdata: Mapping[str, str], environ: Mapping[str, str]) -> str | None:
    """The setting's text from ``-D`` if given, else from its environment variable."""
    text = userdata.get(name)
    if text is None or not text.strip():
        variable = _known[name].variable
        text = environ.get(variable) if variable else None
    if text is None or not text.strip():
        return None
    return text.strip()
