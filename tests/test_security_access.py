"""Who may connect, on a real server process: TLS, tokens, origins, and logs that
never show a token."""

from __future__ import annotations

import http.client
import os
import signal
import ssl
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from acceptance import testbed
from tests.security_support import TOKEN, Credentials, bearer
from tests.support import run_python
from wsharness import ConnectionFailed, ServerProcess, TestWebSocket

NO_TOKEN = 'a token is required: send "Authorization: Bearer <token>" or ?token=<token>'
WRONG_TOKEN = "the token was not accepted"


@pytest.fixture
def credentials(tmp_path: Path) -> Credentials:
    return Credentials.create(tmp_path)


@pytest.fixture
def secured(credentials: Credentials) -> Iterator[ServerProcess]:
    """TLS, a token file and one allowed origin."""
    options = [*credentials.tls_options(), "--auth-token-file", str(credentials.token_file)]
    options += ["--allowed-origin", "https://chat.example.com"]
    with testbed.start(*options).process as server:
        yield server


def _url(server: ServerProcess) -> str:
    assert server.url is not None
    return server.url


def _echo(client: TestWebSocket, text: str = "hello") -> None:
    client.send_json({"type": "ECHO", "value": text})
    client.wait_for_message(text)


def _refusal(url: str, **connect_options: Any) -> str:
    """Why a connection attempt failed, as the harness reports it."""
    client = TestWebSocket(url, name="Mallory", **connect_options)
    with pytest.raises(ConnectionFailed) as failed:
        client.wait_until("open")
    return str(failed.value)


# -- TLS --------------------------------------------------------------------------------


def test_with_a_certificate_the_url_printed_first_is_wss(
    secured: ServerProcess, credentials: Credentials
) -> None:
    """A client that trusts the certificate's authority chats over wss://."""
    url = _url(secured)
    assert url.startswith("wss://127.0.0.1:")
    context = credentials.client_context()
    with TestWebSocket(url, name="Alice", ssl=context, additional_headers=bearer(TOKEN)) as alice:
        _echo(alice)


def test_the_health_check_answers_over_https_without_a_token(
    secured: ServerProcess, credentials: Credentials
) -> None:
    parts = urlsplit(_url(secured))
    health = f"https://{parts.netloc}/healthz"
    with urllib.request.urlopen(health, context=credentials.client_context(), timeout=5) as ok:
        assert ok.status == 200
        assert ok.read() == b"OK\n"


def test_a_client_that_does_not_trust_the_certificate_cannot_connect(
    secured: ServerProcess,
) -> None:
    reason = _refusal(_url(secured), ssl=ssl.create_default_context())
    assert "the server's TLS certificate is not trusted" in reason


def test_a_plain_ws_client_cannot_talk_to_a_tls_server(secured: ServerProcess) -> None:
    plain = _url(secured).replace("wss://", "ws://")
    assert "could not connect" in _refusal(plain)


@pytest.mark.parametrize("broken", ["missing certificate", "key of another certificate"])
def test_unusable_certificate_files_are_one_line_and_exit_2(
    credentials: Credentials, tmp_path: Path, broken: str
) -> None:
    if broken == "missing certificate":
        options = ["--certfile", str(tmp_path / "nowhere.pem")]
        expected = f"server: cannot serve TLS with {tmp_path / 'nowhere.pem'}: "
    else:
        other = credentials.ca.issue_cert("127.0.0.1")
        other_key = tmp_path / "other.key"
        other.private_key_pem.write_to_path(str(other_key))
        options = ["--certfile", str(credentials.certfile), "--keyfile", str(other_key)]
        expected = f"server: cannot serve TLS with {credentials.certfile} and {other_key}: "
    result = run_python("-m", "server", "--port", "0", *options, timeout=30)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith(expected), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


# -- Tokens -----------------------------------------------------------------------------


@pytest.fixture
def with_tokens(credentials: Credentials) -> Iterator[ServerProcess]:
    """A token file only, debug logging on: every line the library logs is checked."""
    options = ["--auth-token-file", str(credentials.token_file), "--log-level", "debug"]
    with testbed.start(*options).process as server:
        yield server


def test_a_token_is_accepted_as_a_bearer_header_or_as_a_query_parameter(
    with_tokens: ServerProcess,
) -> None:
    url = _url(with_tokens)
    with TestWebSocket(url, name="Alice", additional_headers=bearer(TOKEN)) as alice:
        _echo(alice)
    with TestWebSocket(f"{url}/?token={TOKEN}", name="Bob") as bob:
        _echo(bob)


@pytest.mark.parametrize(
    ("how", "body"),
    [("no token", NO_TOKEN), ("wrong header", WRONG_TOKEN), ("wrong query", WRONG_TOKEN)],
)
def test_a_missing_or_wrong_token_is_turned_away_with_401_and_one_line(
    with_tokens: ServerProcess, how: str, body: str
) -> None:
    url = _url(with_tokens)
    if how == "no token":
        reason = _refusal(url)
    elif how == "wrong header":
        reason = _refusal(url, additional_headers=bearer("guess"))
    else:
        reason = _refusal(f"{url}/?token=guess")
    assert reason.endswith(f"the server answered HTTP 401 ({body})"), reason


def test_a_401_comes_before_any_websocket_traffic(with_tokens: ServerProcess) -> None:
    """Plain HTTP: 401, a bearer challenge and the one-line body; no upgrade."""
    parts = urlsplit(_url(with_tokens))
    assert parts.hostname is not None
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
    upgrade = {
        "Upgrade": "websocket",
        "Connection": "Upgrade",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version": "13",
        "Authorization": "Bearer guess",
    }
    connection.request("GET", "/", headers=upgrade)
    response = connection.getresponse()
    assert response.status == 401
    assert response.getheader("WWW-Authenticate") == 'Bearer realm="chat", error="invalid_token"'
    assert response.getheader("Upgrade") is None
    assert response.read() == f"{WRONG_TOKEN}\n".encode()
    connection.close()


def test_the_health_check_needs_no_token(with_tokens: ServerProcess) -> None:
    parts = urlsplit(_url(with_tokens))
    with urllib.request.urlopen(f"http://{parts.netloc}/healthz", timeout=5) as ok:
        assert ok.status == 200


def test_no_token_ever_reaches_the_log(with_tokens: ServerProcess) -> None:
    """At debug level the library logs request lines and headers: tokens are hidden,
    however the parameter's name is spelled."""
    url = _url(with_tokens)
    with TestWebSocket(url, name="Alice", additional_headers=bearer(TOKEN)) as alice:
        _echo(alice)
    with TestWebSocket(f"{url}/?token={TOKEN}", name="Bob") as bob:
        _echo(bob)
    _refusal(f"{url}/?token=guessed-secret")
    _refusal(url, additional_headers=bearer("guessed-secret"))
    # The parameter's name percent-encoded, as the gate decodes it: still hidden.
    with TestWebSocket(f"{url}/?%74oken={TOKEN}", name="Carol") as carol:
        _echo(carol)
    _refusal(f"{url}/?t%6Fken=guessed-secret")
    assert with_tokens.stop() == 0
    log = "\n".join(with_tokens.log_lines())
    assert TOKEN not in log
    assert "guessed-secret" not in log
    assert "token=***" in log, "the refused request's path is logged, token hidden"
    assert "Authorization: ***" in log, "the library's debug lines show the header, hidden"
    assert "connections need a token: 1 loaded from" in log


def test_sighup_reloads_the_token_file(
    with_tokens: ServerProcess, credentials: Credentials
) -> None:
    """The new token works and the old one no longer does; the log counts tokens.

    The reload needs no wait: a signal is delivered before the server runs any more
    code, and its handler runs before a later connection completes its handshake.
    """
    url = _url(with_tokens)
    credentials.token_file.write_text("# rotated\nfresh-token-1\nfresh-token-2\n")
    assert with_tokens.pid is not None
    os.kill(with_tokens.pid, signal.SIGHUP)
    with TestWebSocket(url, name="Alice", additional_headers=bearer("fresh-token-2")) as alice:
        _echo(alice)
    assert WRONG_TOKEN in _refusal(url, additional_headers=bearer(TOKEN))
    credentials.token_file.write_text("# oops, emptied\n")
    os.kill(with_tokens.pid, signal.SIGHUP)
    with TestWebSocket(url, name="Bob", additional_headers=bearer("fresh-token-1")) as bob:
        _echo(bob)
    assert with_tokens.stop() == 0
    log = "\n".join(with_tokens.log_lines())
    assert "tokens reloaded: 2 from" in log
    assert "tokens not reloaded: the token file" in log
    assert "still accepting the 2 loaded before" in log
    assert "fresh-token" not in log


def test_a_token_file_with_no_token_stops_the_start(tmp_path: Path) -> None:
    empty = tmp_path / "tokens"
    empty.write_text("# nobody yet\n")
    result = run_python("-m", "server", "--port", "0", "--auth-token-file", str(empty), timeout=30)
    assert result.returncode == 2
    assert result.stderr == f"server: the token file {empty} holds no token\n"


# -- Origins ----------------------------------------------------------------------------


@pytest.fixture
def with_origins() -> Iterator[ServerProcess]:
    options = ["--allowed-origin", "https://chat.example.com"]
    with testbed.start(*options, "--allowed-origin", "http://localhost:8080").process as server:
        yield server


@pytest.mark.parametrize("origin", ["https://chat.example.com", "http://localhost:8080", None])
def test_listed_origins_and_clients_without_an_origin_connect(
    with_origins: ServerProcess, origin: str | None
) -> None:
    """A handshake without Origin is not from a browser page, so it passes."""
    with TestWebSocket(_url(with_origins), name="Alice", origin=origin) as alice:
        _echo(alice)


def test_a_page_on_another_site_is_turned_away_with_403(with_origins: ServerProcess) -> None:
    reason = _refusal(_url(with_origins), origin="https://evil.example")
    assert reason.endswith(
        "the server answered HTTP 403 (the origin https://evil.example is not allowed)"
    ), reason
    assert with_origins.stop() == 0
    refused = [line for line in with_origins.log_lines() if "refused connection" in line]
    assert len(refused) == 1
    assert "the origin https://evil.example is not allowed (HTTP 403)" in refused[0]


def test_without_allowed_origins_any_page_may_connect_and_the_start_says_so() -> None:
    with testbed.start().process as server:
        with TestWebSocket(_url(server), name="Alice", origin="https://anywhere.example") as a:
            _echo(a)
        assert server.stop() == 0
        warnings = [line for line in server.log_lines() if "WARNING" in line]
    assert len(warnings) == 1
    assert "any web page may open a connection: no --allowed-origin given" in warnings[0]


def test_with_allowed_origins_the_start_names_them(with_origins: ServerProcess) -> None:
    assert with_origins.stop() == 0
    log = with_origins.log_lines()
    assert any(
        "web pages may connect only from http://localhost:8080, https://chat.example.com" in line
        for line in log
    )
    assert not any("WARNING" in line for line in log)


# -- Options ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "complaint"),
    [
        (["--allowed-origin", "chat.example.com"], "must be an origin like"),
        (["--keyfile", "server.key"], "--keyfile needs --certfile"),
        (
            ["--max-queued-bytes", "1000", "--max-message-size", "2000"],
            "--max-queued-bytes (1000) must be at least --max-message-size (2000)",
        ),
        (["--max-rate", "0"], "must be a positive number, not 0"),
        (["--ping-interval", "-1"], "must be a number of seconds, 0 or more, not -1"),
        (["--open-timeout", "0"], "must be a positive number of seconds, not 0"),
        (["--receive-buffer", "lots"], "must be a number, 0 or more, not lots"),
    ],
)
def test_bad_security_options_are_usage_errors(options: list[str], complaint: str) -> None:
    result = run_python("-m", "server", "--port", "0", *options, timeout=30)
    assert result.returncode == 2
    assert complaint in result.stderr
    assert "Traceback" not in result.stderr
