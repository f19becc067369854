"""The worked example, run as a new user would: examples/pubsub on an installed library.

A fresh virtual environment outside the checkout gets the library's wheel, built
as it would be published (:mod:`tools.package`), and nothing else: the real
dependencies come from the package index (pip's cache makes a second run quick).
examples/pubsub is copied out of the checkout too, and its features run with that
environment's Python alone: green against the example server (over TLS with ``-D``
options, and over plain ws:// with the ``WS_*`` variables), red with transcripts
against each deliberately broken variant of it.

Run only these with ``pytest -m worked_example``.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
import trustme

from acceptance import testbed
from tests.support import PROJECT_ROOT
from tools import package
from wsharness import ConnectionFailed, ServerProcess, TestWebSocket

pytestmark = pytest.mark.worked_example

EXAMPLE = PROJECT_ROOT / "examples" / "pubsub"
TOKEN = "correct-horse-battery-staple"
SUBPROTOCOL = "pubsub.v1"
INSTALL_TIMEOUT = 300.0
"""Seconds for creating the environment and installing into it (the index may be slow)."""
RUN_TIMEOUT = 60.0
"""Seconds for one behave run of the example's features."""

BROKEN_RULES = {
    "delivered-twice": "A subscriber gets a message once, with the id its publisher was given",
    "publisher-left-out": "A publisher subscribed to its own topic gets its own message",
    "unsubscribe-ignored": "After unsubscribing, nothing more arrives",
    "undeclared-field": "A subscriber gets a message once, with the id its publisher was given",
    "wrong-typed-field": "Nobody else hears a topic they did not subscribe to",
    "wrong-reply": "Replies carry their requests' references",
}
"""Each of the example server's faults and a scenario that must catch it."""

CAUGHT_BY_THE_CONTRACT = {
    "undeclared-field": (
        "not a valid subscribe confirmation (subscribed): Additional properties are not "
        "allowed ('subscribers' was unexpected)"
    ),
    "wrong-typed-field": "not a valid publish receipt (published): at id: ",
    "wrong-reply": (
        'the reply with the correlation id "first" is unsubscribe confirmation '
        "(unsubscribed), but the request with that id, "
        """'{"op": "subscribe", "topic": "prices", "ref": "first"}' (subscribe, operation """
        "receiveSubscribe), declares only these replies: subscribe confirmation (subscribed), "
        "error"
    ),
}
"""Faults the example's contract (asyncapi.yaml) sees, and how it says so: fields no step
looks at (which field breaks which rule), and a reply of the wrong kind under its
request's correlation id (the ``ref`` the request gave)."""

NOT_INSTALLED = ("server", "acceptance", "tools", "steps", "tests", "bench", "examples")
"""The project's own folders, which must not become importable top-level names."""

PUBLIC_MODULES = ("wsharness", "wsharness.bdd", "wsharness.bdd.environment")
"""The library's modules whose ``__all__`` is its public API (the README lists it)."""


@dataclass(frozen=True)
class Installed:
    """A virtual environment with the library's wheel installed, and the example beside it."""

    python: Path
    example: Path
    home: Path

    def run(
        self, *args: str, env: Mapping[str, str] | None = None, timeout: float = RUN_TIMEOUT
    ) -> subprocess.CompletedProcess[str]:
        """Run the environment's Python in the example's folder, with no trace of the checkout."""
        return subprocess.run(
            [str(self.python), *args],
            cwd=self.example,
            env={**clean_environment(), **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def server(self, *args: str) -> ServerProcess:
        """The example server from the copied folder, on a free port."""
        command = [str(self.python), "server.py", "--port", "0", "--token", TOKEN, *args]
        return testbed.start(command=command, cwd=self.example, env={"PYTHONPATH": ""}).process


def clean_environment() -> dict[str, str]:
    """This process's environment without what could point into the checkout or
    preset the options under test."""
    dropped = ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")
    return {
        key: value
        for key, value in os.environ.items()
        if key not in dropped and not key.startswith("WS_")
    }


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """``pip install`` of the library's wheel, built from its sdist, into a new environment."""
    home = tmp_path_factory.mktemp("new-user")
    wheel = package.build(home / "dist").wheel
    example = home / "pubsub"
    shutil.copytree(EXAMPLE, example, ignore=package.LEFTOVERS)
    venv = home / "venv"
    steps = [
        [sys.executable, "-m", "venv", str(venv)],
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)],
    ]
    for command in steps:
        result = subprocess.run(
            command,
            cwd=home,
            env={**clean_environment(), "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT,
            check=False,
        )
        assert result.returncode == 0, f"{' '.join(command)} failed:\n{result.stderr}"
    return Installed(python=venv / "bin" / "python", example=example, home=home)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A throwaway CA's PEM file, and a PEM file with the server's key and certificate."""
    folder = tmp_path_factory.mktemp("tls")
    authority = trustme.CA()
    authority.cert_pem.write_to_path(str(folder / "ca.pem"))
    issued = authority.issue_cert("127.0.0.1", "localhost")
    issued.private_key_and_cert_chain_pem.write_to_path(str(folder / "server.pem"))
    return folder / "ca.pem", folder / "server.pem"


@pytest.fixture
def example_server(installed: Installed) -> Iterator[ServerProcess]:
    with installed.server() as server:
        yield server


def behave(installed: Installed, *args: str, env: Mapping[str, str] | None = None) -> str:
    """Run behave on the example's features; return what it printed, with its exit code."""
    result = installed.run("-m", "behave", "--no-color", "-f", "plain", *args, env=env)
    return f"exit code {result.returncode}\n{result.stdout}{result.stderr}"


def test_installs_the_harness_and_library_and_no_project_folders(installed: Installed) -> None:
    """The environment imports wsharness, wsharness.bdd, its hooks and steps, and
    wsharness.runtime from its own site-packages, and none of the project's folders as
    top-level names."""
    probe = (
        "import importlib.util, wsharness.bdd.environment, wsharness.bdd.steps\n"
        "import wsharness.runtime.signals\n"
        "print(wsharness.__file__)\n"
        f"print([n for n in {NOT_INSTALLED!r} if importlib.util.find_spec(n)])\n"
    )
    result = installed.run("-I", "-c", probe, timeout=30)  # -I: not the folder it runs in
    assert result.returncode == 0, result.stderr
    location, found = result.stdout.splitlines()
    assert Path(location).is_relative_to(installed.home / "venv"), location
    assert found == "[]", f"installed as top-level names: {found}"


def test_the_public_api_imports_as_the_readme_shows_without_a_warning(
    installed: Installed,
) -> None:
    """Every name in the ``__all__`` of wsharness, wsharness.bdd and its hooks' module
    imports from the installed wheel, as do the README's import lines, with warnings
    made errors: no documented name is a deprecated alias."""
    probe = (
        "from wsharness import TestWebSocket, json_containing\n"
        "from wsharness.bdd import ProtocolAdapter, RoundTrip, configure\n"
        "from wsharness.bdd.environment import *\n"
        "from wsharness.bdd.steps import *\n"
        "import importlib\n"
        f"for name in {PUBLIC_MODULES!r}:\n"
        "    module = importlib.import_module(name)\n"
        "    print(name, len([getattr(module, n) for n in module.__all__]))\n"
    )
    result = installed.run("-I", "-W", "error", "-c", probe, timeout=30)
    assert result.returncode == 0, result.stderr
    counts = dict(line.split() for line in result.stdout.splitlines())
    assert set(counts) == set(PUBLIC_MODULES) and all(int(n) > 0 for n in counts.values())


def test_features_pass_over_tls_with_options_given_by_userdata(
    installed: Installed, certificate: tuple[Path, Path]
) -> None:
    """Green over wss://, with the server, token, subprotocol and CA passed as -D options."""
    ca_file, server_pem = certificate
    with installed.server("--certfile", str(server_pem)) as server:
        assert server.url is not None and server.url.startswith("wss://"), server.url
        output = behave(
            installed,
            *("-D", f"server_url={server.url}", "-D", f"auth_token={TOKEN}"),
            *("-D", f"subprotocols={SUBPROTOCOL}", "-D", f"ca_file={ca_file}"),
        )
    assert output.startswith("exit code 0"), output
    assert "0 failed" in output and " passed" in output, output


def test_features_pass_with_options_given_by_the_environment(
    installed: Installed, example_server: ServerProcess
) -> None:
    """Green over ws://, with every option in the WS_* environment variables."""
    assert example_server.url is not None
    output = behave(
        installed,
        env={
            "WS_SERVER_URL": example_server.url,
            "WS_AUTH_TOKEN": TOKEN,
            "WS_SUBPROTOCOLS": SUBPROTOCOL,
        },
    )
    assert output.startswith("exit code 0"), output


def test_the_features_exercise_every_message_of_the_contract(
    installed: Installed, example_server: ServerProcess, tmp_path: Path
) -> None:
    """The run's contract coverage, added up as CI adds up the chat's, leaves no message
    or operation of asyncapi.yaml unexercised (the adapter's pings do not count)."""
    coverage = tmp_path / "coverage.json"
    output = behave(
        installed,
        *("-D", f"server_url={example_server.url}", "-D", f"auth_token={TOKEN}"),
        *("-D", f"subprotocols={SUBPROTOCOL}", "-D", f"contract_coverage={coverage}"),
    )
    assert output.startswith("exit code 0"), output
    result = installed.run("-m", "wsharness.contract.coverage", str(coverage))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "every message and operation exercised" in result.stdout, result.stdout


def test_a_run_without_the_token_stops_before_any_scenario(
    installed: Installed, example_server: ServerProcess
) -> None:
    """The server check uses the run's options, so a missing token stops the run in one line."""
    output = behave(
        installed, "-D", f"server_url={example_server.url}", "-D", f"subprotocols={SUBPROTOCOL}"
    )
    assert output.startswith("exit code 1"), output
    assert "the server (ws://" in output and "cannot be reached" in output, output
    assert "HTTP 401" in output, output


@pytest.mark.parametrize("fault", sorted(BROKEN_RULES))
def test_features_fail_with_transcripts_on_a_broken_server(
    installed: Installed, fault: str
) -> None:
    """Against a variant that breaks one rule, the scenario about it fails and the
    output shows what each person sent and received."""
    with installed.server("--fault", fault) as server:
        output = behave(
            installed,
            *("-D", f"server_url={server.url}", "-D", f"auth_token={TOKEN}"),
            *("-D", f"subprotocols={SUBPROTOCOL}", "-D", "timeout=1"),
        )
    assert output.startswith("exit code 1"), output
    failing = output.partition("Failing scenarios:")[2]
    assert BROKEN_RULES[fault] in failing, output
    assert "What each person sent (→) and received (←)" in output, output
    if fault in CAUGHT_BY_THE_CONTRACT:
        assert "a frame outside the contract" in output, output
        assert CAUGHT_BY_THE_CONTRACT[fault] in output, output


def test_every_fault_of_the_example_server_is_caught() -> None:
    """BROKEN_RULES above names a scenario for every fault the server has."""
    spec = importlib.util.spec_from_file_location("pubsub_server", EXAMPLE / "server.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert set(module.FAULTS) == set(BROKEN_RULES)


def test_the_token_may_travel_in_the_url() -> None:
    """Browsers cannot set an Authorization header: ?token= works too, and a wrong one
    is refused with HTTP 401."""
    command = [sys.executable, str(EXAMPLE / "server.py"), "--port", "0", "--token", TOKEN]
    with testbed.start(command=command).process as server:
        with TestWebSocket(
            f"{server.url}/?token={TOKEN}", name="Alice", subprotocols=[SUBPROTOCOL]
        ) as alice:
            alice.wait_until("open")
            assert alice.subprotocol == SUBPROTOCOL
        with TestWebSocket(
            f"{server.url}/?token=guess", name="Mallory", subprotocols=[SUBPROTOCOL]
        ) as mallory:
            with pytest.raises(ConnectionFailed, match="missing or wrong token"):
                mallory.wait_until("open")
            assert mallory.handshake_status == 401
