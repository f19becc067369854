"""Thousands of random and malformed frames against a real server process, while two
bystanders keep chatting: they must hear each other, exactly, and nothing breaks.

It runs twice: against a server with its defaults, and against one with every
protection on at once (TLS, a token, an allowed origin, a request rate, small
outgoing queues, short keepalive and handshake timeouts)."""

from __future__ import annotations

import json
import os
import random
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from acceptance import testbed
from tests.security_support import Credentials, bearer
from tests.support import MS
from wsharness import TestWebSocket

FRAMES = 3000
SIZE_LIMIT = 4096
TYPES = ["ECHO", "ECHO_TIMES_3", "CREATE_GROUP", "JOIN_GROUP", "LEAVE_GROUP", "MESSAGE_GROUP"]
GROUPS = ["g1", "g2", "caf\u00e9", "cafe\u0301", "g\u200b1", "g\x001", "\u202eg2"]
"""Group names, among them one name in two spellings and names refused for an
invisible or control character."""


def _random_string(rng: random.Random) -> str:
    """Mostly ordinary text; sometimes a lone surrogate, which JSON can spell as \\udXXX."""
    top = 0xDFFF if rng.random() < 0.3 else 0x2FFF
    return "".join(chr(rng.randrange(32, top)) for _ in range(rng.randrange(12)))


def _random_json(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(8 if depth < 4 else 5)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False])
    if kind == 2:
        return rng.choice([0, -1, 2**70, 1.5, float("1e308")])
    if kind in (3, 4):
        return _random_string(rng)
    if kind == 5:
        return [_random_json(rng, depth + 1) for _ in range(rng.randrange(4))]
    keys = ["type", "value", "groupName", "groupMessage", "x"]
    return {rng.choice(keys): _random_json(rng, depth + 1) for _ in range(rng.randrange(4))}


def _random_frame(rng: random.Random) -> str | bytes:
    """One frame from a mix of garbage, near-misses and valid requests."""
    roll = rng.random()
    if roll < 0.15:
        return "".join(chr(rng.randrange(1, 0xD7FF)) for _ in range(rng.randrange(40)))
    if roll < 0.25:
        return rng.randbytes(rng.randrange(64))
    if roll < 0.30:
        depth = rng.choice([10, 1000, 100_000])
        return "[" * depth + "]" * depth if rng.random() < 0.5 else '{"a":' * depth
    if roll < 0.50:
        return json.dumps(_random_json(rng))
    envelope: dict[str, Any] = {"type": rng.choice([*TYPES, "NOPE", ""])}
    if rng.random() < 0.9:
        if envelope["type"] == "MESSAGE_GROUP" and rng.random() < 0.5:
            envelope["value"] = {
                "groupName": rng.choice(GROUPS),
                "groupMessage": _random_string(rng),
            }
        elif rng.random() < 0.5:
            envelope["value"] = rng.choice([*GROUPS, "", " ", "x" * 200, "\ud800"])
        else:
            envelope["value"] = _random_json(rng)
    return json.dumps(envelope)


@dataclass
class Deployment:
    """How the server under fuzzing is started and how clients reach it."""

    options: list[str]
    connect: dict[str, Any] = field(default_factory=dict)
    health: dict[str, Any] = field(default_factory=dict)
    """Options for urllib's urlopen of /healthz."""


@pytest.fixture(params=["plain", "secured"])
def deployment(request: pytest.FixtureRequest, tmp_path: Path) -> Deployment:
    """``secured``: TLS, a token, an allowed origin, a request rate, small outgoing
    queues and short keepalive and handshake timeouts, all at once."""
    options = ["--max-message-size", str(SIZE_LIMIT)]
    if request.param == "plain":
        return Deployment(options)
    credentials = Credentials.create(tmp_path)
    options += [*credentials.tls_options(), "--auth-token-file", str(credentials.token_file)]
    options += ["--allowed-origin", "https://chat.example.com", "--max-rate", "10000"]
    options += ["--max-queued-bytes", str(4 * SIZE_LIMIT)]
    options += ["--ping-interval", "1", "--ping-timeout", "1", "--open-timeout", "2"]
    context = credentials.client_context()
    connect = {
        "ssl": context,
        "additional_headers": bearer(credentials.token),
        "origin": "https://chat.example.com",
    }
    return Deployment(options, connect, {"context": context})


def test_random_frames_leave_the_server_up_and_bystanders_unaffected(
    deployment: Deployment,
) -> None:
    """No 1011 anywhere, no handler crash in the log, every bystander message delivered."""
    seed = int(os.environ.get("FUZZ_SEED", random.randrange(2**32)))
    rng = random.Random(seed)
    server = testbed.start(*deployment.options).process
    assert server.url is not None
    url = server.url
    connect = deployment.connect
    try:
        alice = TestWebSocket(url, name="Alice", **connect)
        bob = TestWebSocket(url, name="Bob", **connect)
        alice.send_json({"type": "CREATE_GROUP", "value": "bystanders"})
        alice.wait_for_message("GROUP_CREATED: bystanders")
        bob.send_json({"type": "JOIN_GROUP", "value": "bystanders"})
        bob.wait_for_message("GROUP_JOINED: bystanders")

        fuzzers = [TestWebSocket(url, name="Mallory 1", **connect)]
        ticks: list[str] = []
        for n in range(FRAMES):
            mallory = fuzzers[-1]
            if mallory.state == "closed":
                assert mallory.close_code in (1007, 1009), f"seed {seed}: {mallory.close_code}"
                mallory = TestWebSocket(url, name=f"Mallory {len(fuzzers) + 1}", **connect)
                fuzzers.append(mallory)
            special = rng.random()
            if special < 0.005:
                frame: str | bytes = "x" * (SIZE_LIMIT + 1)
            elif special < 0.01:
                frame = b"\xc3\x28"  # not UTF-8, sent as text below
            else:
                frame = _random_frame(rng)
            not_utf8 = isinstance(frame, bytes) and special < 0.01
            mallory.send(frame, text=True if not_utf8 else None)
            size = len(frame) if isinstance(frame, bytes) else len(frame.encode())
            if not_utf8 or size > SIZE_LIMIT:
                # The server closes this connection (1007 or 1009): wait for it, so no
                # later frame is sent into a closing socket and lost.
                mallory.wait_until("close")
            if n % 100 == 99:
                tick = f"tick {n + 1}"
                alice.send_json(
                    {
                        "type": "MESSAGE_GROUP",
                        "value": {"groupName": "bystanders", "groupMessage": tick},
                    }
                )
                alice.wait_for_message(tick)
                bob.wait_for_message(tick)
                ticks.append(tick)

        assert alice.messages == ["GROUP_CREATED: bystanders", *ticks], f"seed {seed}"
        assert bob.messages == ["GROUP_JOINED: bystanders", *ticks], f"seed {seed}"
        for client in (alice, bob, *fuzzers):
            client.close()
            assert client.close_code != 1011, f"seed {seed}: {client.name} got 1011"
        parts = urlsplit(url)
        scheme = "https" if parts.scheme == "wss" else "http"
        health_url = f"{scheme}://{parts.netloc}/healthz"
        with urllib.request.urlopen(health_url, timeout=5000 * MS, **deployment.health) as health:
            assert health.status == 200
    finally:
        assert server.stop() == 0
    log = "\n".join(server.log_lines())
    assert "code 1011" not in log, f"seed {seed}"
    assert "Traceback" not in log and " ERROR " not in log, f"seed {seed}:\n{log[-3000:]}"
    rejected = log.count("rejected message")
    assert rejected > FRAMES / 2, (
        f"seed {seed}: only {rejected} rejected; the fuzzer mostly sends bad input"
    )
