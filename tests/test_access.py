"""Who may connect, decided without a network: tokens, origins, and hiding tokens in logs."""

from __future__ import annotations

import logging
from http import HTTPStatus
from pathlib import Path

import pytest
from websockets.datastructures import Headers

from server.access import Gate, RedactSecrets, TokenFile, TokenFileError, redact, valid_origin

TOKENS = "# the chat's tokens\n\n  alpha-token  \nbeta-token\n# retired-token\n"


@pytest.fixture
def tokens(tmp_path: Path) -> TokenFile:
    path = tmp_path / "tokens"
    path.write_text(TOKENS)
    token_file = TokenFile(path)
    assert token_file.load() == 2
    return token_file


def test_the_token_file_skips_comments_blank_lines_and_white_space(tokens: TokenFile) -> None:
    """Each line is one token, stripped; # lines and blank lines are not tokens."""
    assert tokens.accepts("alpha-token")
    assert tokens.accepts("beta-token")
    assert not tokens.accepts("retired-token")
    assert not tokens.accepts("# retired-token")
    assert not tokens.accepts("")
    assert not tokens.accepts("alpha")
    assert not tokens.accepts("alpha-token ")


def test_a_token_file_with_no_token_is_refused_and_the_old_tokens_kept(
    tokens: TokenFile,
) -> None:
    """Emptying the file is more likely a mistake than a wish to refuse everyone."""
    tokens.path.write_text("# nothing here\n\n")
    with pytest.raises(TokenFileError, match=r"holds no token$"):
        tokens.load()
    assert tokens.accepts("alpha-token")
    assert len(tokens) == 2


def test_an_unreadable_token_file_is_one_line_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "missing"
    with pytest.raises(TokenFileError) as raised:
        TokenFile(missing).load()
    assert str(raised.value) == f"cannot read the token file {missing}: No such file or directory"


def _headers(**fields: str | list[str]) -> Headers:
    headers = Headers()
    for name, value in fields.items():
        for one in value if isinstance(value, list) else [value]:
            headers[name] = one
    return headers


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/", _headers(Authorization="Bearer alpha-token")),
        ("/", _headers(Authorization="bearer   beta-token ")),
        ("/?token=alpha-token", _headers()),
        ("/chat?room=1&token=beta-token", _headers()),
        ("/?token=alpha%2Dtoken", _headers()),
    ],
)
def test_a_valid_token_passes_as_a_header_or_a_query_parameter(
    tokens: TokenFile, path: str, headers: Headers
) -> None:
    assert Gate(tokens).check(path, headers) is None


@pytest.mark.parametrize(
    ("path", "headers", "body"),
    [
        (
            "/",
            _headers(),
            'a token is required: send "Authorization: Bearer <token>" or ?token=<token>\n',
        ),
        ("/", _headers(Authorization="Bearer nope"), "the token was not accepted\n"),
        ("/?token=nope", _headers(), "the token was not accepted\n"),
        ("/?token=", _headers(), "the token was not accepted\n"),
        (
            "/?token=alpha-token",
            _headers(Authorization="Bearer nope"),
            "the token was not accepted\n",
        ),
        (
            "/",
            _headers(Authorization="Basic YWxwaGEtdG9rZW4="),
            'the Authorization header must be "Bearer <token>"\n',
        ),
        (
            "/",
            _headers(Authorization=["Bearer alpha-token", "Bearer beta-token"]),
            "more than one Authorization header\n",
        ),
        ("/?token=alpha-token&token=x", _headers(), "more than one token parameter\n"),
    ],
)
def test_a_missing_or_wrong_token_gets_401_with_one_line(
    tokens: TokenFile, path: str, headers: Headers, body: str
) -> None:
    """The header, when present, is the token checked; the body never repeats a token."""
    refusal = Gate(tokens).check(path, headers)
    assert refusal is not None
    assert refusal.status == HTTPStatus.UNAUTHORIZED
    assert refusal.body == body
    assert refusal.challenge is not None and refusal.challenge.startswith('Bearer realm="chat"')
    assert "alpha-token" not in refusal.body + refusal.reason


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        (None, True),
        ("https://chat.example.com", True),
        ("HTTPS://Chat.Example.com", True),
        ("http://localhost:8080", True),
        ("https://evil.example", False),
        ("http://chat.example.com", False),
        ("https://chat.example.com:8443", False),
        ("null", False),
    ],
)
def test_only_listed_origins_pass_and_no_origin_is_not_a_browser(
    origin: str | None, allowed: bool
) -> None:
    gate = Gate(origins=["https://chat.example.com/", "http://localhost:8080"])
    headers = _headers() if origin is None else _headers(Origin=origin)
    refusal = gate.check("/", headers)
    if allowed:
        assert refusal is None
    else:
        assert refusal is not None and refusal.status == HTTPStatus.FORBIDDEN
        assert refusal.body == f"the origin {origin} is not allowed\n"


def test_two_origin_headers_are_refused() -> None:
    gate = Gate(origins=["https://chat.example.com"])
    refusal = gate.check("/", _headers(Origin=["https://chat.example.com", "https://evil"]))
    assert refusal is not None and refusal.body == "more than one Origin header\n"


def test_the_token_is_checked_before_the_origin(tokens: TokenFile) -> None:
    """Someone without a token learns nothing about the origins allowed."""
    gate = Gate(tokens, ["https://chat.example.com"])
    refusal = gate.check("/", _headers(Origin="https://evil.example"))
    assert refusal is not None and refusal.status == HTTPStatus.UNAUTHORIZED


def test_no_rules_let_everyone_in() -> None:
    assert Gate().check("/anything", _headers(Origin="https://evil.example")) is None


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("https://chat.example.com", True),
        ("http://127.0.0.1:8000", True),
        ("null", True),
        ("chat.example.com", False),
        ("https://chat.example.com/path", False),
        ("*", False),
    ],
)
def test_origins_on_the_command_line_must_be_origins(text: str, valid: bool) -> None:
    assert valid_origin(text) is valid


@pytest.mark.parametrize(
    ("line", "shown"),
    [
        ("refused: x; path /?token=s3cret", "refused: x; path /?token=***"),
        ("GET /chat?room=1&token=s3cret&x=2 HTTP/1.1", "GET /chat?room=1&token=***&x=2 HTTP/1.1"),
        ("refused: x; path /?%74oken=s3cret", "refused: x; path /?%74oken=***"),
        ("< Authorization: Bearer s3cret", "< Authorization: ***"),
        ("< authorization: bearer s3cret", "< authorization: ***"),
        ("nothing secret /?tokens=1", "nothing secret /?tokens=1"),
    ],
)
def test_redact_hides_tokens_in_urls_and_headers(line: str, shown: str) -> None:
    assert redact(line) == shown


def test_the_log_filter_rewrites_records_before_they_are_formatted() -> None:
    """The library's debug lines pass the header as an argument, not in the format."""
    record = logging.LogRecord(
        "websockets.server",
        logging.DEBUG,
        __file__,
        1,
        "< %s: %s",
        ("Authorization", "Bearer s3cret"),
        None,
    )
    assert RedactSecrets().filter(record)
    assert record.getMessage() == "< Authorization: ***"
