"""The gate tests exactly the deployment it is given, checks its promises, and reports a
broken deployment once.

Real processes throughout: a Redis, three chat nodes over TLS with a token file and one
allowed origin (started as an operator would start them, apart from the code under
test), the acceptance stage and behave in their own processes.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from acceptance import testbed
from acceptance.testbed import Bed, Credentials
from tests import cluster_checks
from tests.support import MS, PROJECT_ROOT, STAGE, run_behave
from wsharness import ServerProcess

cluster_checks.need_redis_server()

ORIGIN = "https://chat.example"
SECURED = "--tags", "@secured"
PROMISES_CHECKED = {
    "Someone with a valid token gets in",
    "Mallory, without a valid token, is turned away everywhere",
    "A page in a browser sends its token in the address",
    "A page on another site cannot open a chat anywhere",
    "A page on the chat's own site can",
    "Nobody talks to an impostor: an untrusted certificate is refused",
    "A monitor without a token learns that every node is healthy",
}
NEEDS_OWN_SERVER = {
    "A member who stops reading is cut off, and the group carries on",
    "During a flood from one person, the others are still answered",
}


@dataclass
class Deployment:
    """Three secured nodes on one Redis, as the README starts them by hand."""

    cluster: Bed
    credentials: Credentials

    @property
    def urls(self) -> list[str]:
        return self.cluster.urls

    def flags(self) -> list[str]:
        """The stage's flags that name this deployment."""
        return [
            *("--server-urls", ",".join(self.urls)),
            *("--ca-file", str(self.credentials.ca_file)),
            *("--auth-token-file", str(self.credentials.token_file)),
            *("--origin", ORIGIN),
        ]

    def environment(self) -> dict[str, str]:
        """The same, as the environment variables a pipeline sets."""
        return {
            "WS_SERVER_URLS": ",".join(self.urls),
            "WS_CA_FILE": str(self.credentials.ca_file),
            "WS_AUTH_TOKEN_FILE": str(self.credentials.token_file),
            "WS_ORIGIN": ORIGIN,
        }


def secured_options(
    credentials: Credentials, *, token: bool = True, origin: bool = True
) -> list[str]:
    tokens = ["--auth-token-file", str(credentials.token_file)] if token else []
    origins = ["--allowed-origin", ORIGIN] if origin else []
    return [*tokens, *credentials.tls_options(), *origins]


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[Deployment]:
    credentials = Credentials.create(tmp_path)
    with testbed.start(*secured_options(credentials), nodes=3, node_timeout=1) as cluster:
        yield Deployment(cluster, credentials)


def stage(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The stage with only ``env`` added to a clean environment's WS_* variables."""
    clean = {key: value for key, value in os.environ.items() if not key.startswith("WS_")}
    if "WS_TIMEOUT_SCALE" in os.environ:
        clean["WS_TIMEOUT_SCALE"] = os.environ["WS_TIMEOUT_SCALE"]
    return subprocess.run(
        ["bash", str(STAGE), *args],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=180_000 * MS,
        check=False,
        env={**clean, "PYTHON": sys.executable, **(env or {})},
    )


def statuses(report: Path) -> dict[str, str]:
    """Scenario name (an outline's rows folded into one) -> its worst status."""
    found: dict[str, str] = {}
    for feature in json.loads(report.read_text("utf-8")):
        for element in feature.get("elements", []):
            if element.get("type") == "scenario":
                name = element["name"].split(" -- @")[0]
                status = element.get("status", "untested")
                found[name] = status if found.get(name, "passed") == "passed" else found[name]
    return found


def connections_opened(node: ServerProcess, since: int) -> int:
    return sum("connection opened" in line for line in node.log_lines(since))


@pytest.mark.parametrize("given_as", ["flags", "environment"])
def test_the_stage_tests_a_secured_three_node_deployment(
    deployment: Deployment, tmp_path: Path, given_as: str
) -> None:
    """Given only flags, or only environment variables, the stage starts nothing, says what
    it tests, checks the deployment's promises on every node, and every node serves the
    scenarios; every report records the target, never the token."""
    marks = [node.log_mark() for node in deployment.cluster.processes]
    reports = tmp_path / "reports"
    if given_as == "flags":
        result = stage(*deployment.flags(), "--reports", str(reports))
    else:
        result = stage("--reports", str(reports), env=deployment.environment())
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "started the server" not in output
    said = f"acceptance stage: testing 3 nodes: {', '.join(deployment.urls)}; TLS: yes, "
    assert said in result.stdout, output
    assert f"token: sent (from the file {deployment.credentials.token_file})" in output
    assert deployment.credentials.token not in output
    found = statuses(reports / "behave.json")
    assert {name for name in PROMISES_CHECKED if found.get(name) == "passed"} == PROMISES_CHECKED
    assert {found[name] for name in NEEDS_OWN_SERVER} == {"skipped"}, found
    assert "runs only when no target is given" in output
    for number, (node, mark) in enumerate(zip(deployment.cluster.processes, marks, strict=True)):
        assert connections_opened(node, mark) > 20, f"node {number + 1} served no scenario"
    suite = ElementTree.parse(reports / "junit" / "TESTS-echo.xml").getroot()
    properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert properties["target.nodes"] == "3"
    assert (properties["target.tls"] or "").startswith("yes")
    record = json.loads((reports / "run.json").read_text("utf-8"))
    assert record["stopped"] is None and record["target"]["nodes"] == "3"
    html = (reports / "html" / "index.html").read_text("utf-8")
    assert f"3 nodes: {', '.join(deployment.urls)}; TLS: yes" in html
    assert deployment.credentials.token not in html


@pytest.mark.parametrize(
    ("left_out", "scenario", "complaint"),
    [
        (
            "token",
            "Mallory, without a valid token, is turned away everywhere",
            "Mallory at node 3 was let in",
        ),
        (
            "origin",
            "A page on another site cannot open a chat anywhere",
            "Mallory at node 3 was let in",
        ),
    ],
    ids=["node without its token file", "node without its allowed origin"],
)
def test_a_node_that_breaks_a_promise_fails_the_run_and_is_named(
    deployment: Deployment, tmp_path: Path, left_out: str, scenario: str, complaint: str
) -> None:
    """One node of the deployment started without its token file, or without its allowed
    origin: the run goes red in the scenario of that promise, naming that node only."""
    options = secured_options(
        deployment.credentials, token=left_out != "token", origin=left_out != "origin"
    )
    assert deployment.cluster.redis is not None
    with testbed.start("--broker", deployment.cluster.redis.url, *options).process as odd_node:
        assert odd_node.url is not None
        urls = [*deployment.urls[:2], odd_node.url]
        flags = deployment.flags()
        flags[1] = ",".join(urls)
        result = stage(*flags, *SECURED, "--reports", str(tmp_path))
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert f"node 3 ({odd_node.url}): {complaint}" in output, output
    assert f"node 1 ({urls[0]}): Mallory" not in output
    found = statuses(tmp_path / "behave.json")
    assert [name for name, status in found.items() if status == "failed"] == [scenario], found


@pytest.mark.parametrize(
    ("arguments", "environment", "status", "line"),
    [
        (
            ["--tags", "@core"],
            {"WS_SERVER_URLS": "ws://127.0.0.1:9,ws://127.0.0.1:10"},
            3,
            "acceptance stage: NOT RUN, the target does not work: node 1 (ws://127.0.0.1:9) "
            "cannot be reached: connection refused (is the server running?)",
        ),
        (
            ["--server-url", "ws://127.0.0.1:9", "--server-urls", "ws://127.0.0.1:10"],
            {},
            2,
            "acceptance stage: NOT RUN, a setting is wrong: -D server_url and -D server_urls "
            "contradict each other: give one of them",
        ),
        (
            ["--tags", "@nonexistent"],
            {},
            2,
            "acceptance stage: NOT RUN, a setting is wrong: the selection selects no "
            "scenario: --tags @nonexistent; check the paths and --tags",
        ),
        (
            ["--skip-checks", "tokens"],
            {},
            2,
            "acceptance stage: NOT RUN, a setting is wrong: skip_checks: tokens is not a "
            "check; the checks are token, origin, tls, health",
        ),
        (
            ["--server-urls", ""],
            {},
            2,
            "acceptance stage: NOT RUN, a setting is wrong: -D server_urls is empty: give a "
            "value, or leave it out",
        ),
        (
            [],
            {"WS_SERVER_URLS": " , "},
            2,
            "acceptance stage: NOT RUN, a setting is wrong: WS_SERVER_URLS is empty: give a "
            "value, or leave it out",
        ),
        (
            ["--server-url", "wss://127.0.0.1:9/?token=s3cret"],
            {},
            2,
            "acceptance stage: NOT RUN, a setting is wrong: server_url: a token in the URL "
            "would be written into every report; give it as auth_token or auth_token_file "
            "instead",
        ),
        (
            ["--origin", "https://chat.example"],
            {},
            2,
            "acceptance stage: NOT RUN, a setting is wrong: how to connect is given (a CA "
            "file, token, origin, subprotocol or header) but no server to connect to: name "
            "it with server_url or server_urls",
        ),
        (
            ["--server-url", "wss://127.0.0.1:9", "--ca-file", "README.md"],
            {},
            2,
            "acceptance stage: NOT RUN, a setting is wrong: ca_file 'README.md' holds no "
            "PEM certificate (NO_CERTIFICATE_OR_CRL_FOUND)",
        ),
        (
            [],
            {"WS_NODES": "3"},
            2,
            "acceptance stage: NOT RUN, a setting is wrong: WS_NODES or -D nodes asks for a "
            "cluster, but the stage starts one server: name a running cluster with "
            "--server-urls, or leave nodes out",
        ),
    ],
    ids=[
        "dead nodes from the environment",
        "two URL settings",
        "empty selection",
        "bad check",
        "empty flag",
        "blank variable",
        "token in the URL",
        "no server",
        "not a CA",
        "nodes",
    ],
)
def test_a_wrong_target_is_one_line_and_nothing_starts(
    tmp_path: Path, arguments: list[str], environment: dict[str, str], status: int, line: str
) -> None:
    """Every way of naming the wrong target, or nothing at all, stops the stage in one
    line before it starts a server or behave."""
    result = stage(*arguments, "--reports", str(tmp_path), env=environment)
    assert result.returncode == status, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1] == line
    assert "started the server" not in result.stdout and "running:" not in result.stdout


def test_a_misspelt_setting_stops_behave_before_anything_starts(tmp_path: Path) -> None:
    """``-D sever_url=...`` is not ignored: the run stops, naming the closest settings."""
    run = run_behave(
        "-D", "sever_url=ws://127.0.0.1:9", "features/echo.feature", report_dir=tmp_path
    )
    assert run.returncode != 0
    assert (
        "ABORTED: cannot run the acceptance suite: bad setting: unknown setting -D sever_url; "
        "did you mean server_url or server_urls?"
    ) in run.stderr
    assert "testing 1 server" not in run.stderr  # no server was started
    assert not run.with_status("passed")


def test_the_rerun_keeps_the_target_and_the_first_reports(tmp_path: Path) -> None:
    """After a failure against a secured deployment (two nodes that fan posts out to their
    own members only), the printed rerun names the same target, the token by its file;
    run as it stands, it tests that deployment and writes beside the first reports."""
    credentials = Credentials.create(tmp_path)
    options = [*secured_options(credentials), "--fault", "local-fan-out-only"]
    with testbed.start(*options, nodes=2, module="tests.servers.broken_cluster") as cluster:
        reports = tmp_path / "reports"
        flags = [
            *("--server-urls", ",".join(cluster.urls), "--ca-file", str(credentials.ca_file)),
            *("--auth-token-file", str(credentials.token_file), "--origin", ORIGIN),
        ]
        first = stage(*flags, "--tags", "@core", "--reports", str(reports))
        assert first.returncode == 1, first.stdout + first.stderr
        printed = re.search(r"run the failures again: (.*)$", first.stdout, re.M)
        assert printed, first.stdout
        command = printed[1]
        assert credentials.token not in command
        assert f"--auth-token-file {credentials.token_file}" in command
        assert f"--server-urls {','.join(cluster.urls)}" in command
        marks = [node.log_mark() for node in cluster.processes]
        again = subprocess.run(
            command,
            shell=True,
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=180_000 * MS,
            check=False,
            env={**os.environ, "PYTHON": sys.executable},
        )
        assert again.returncode == 1, again.stdout + again.stderr
        for node, mark in zip(cluster.processes, marks, strict=True):
            assert connections_opened(node, mark) > 0
    listed = (reports / "rerun.txt").read_text("utf-8").splitlines()
    failed = len([line for line in listed if line.startswith("features/")])
    assert f"0 scenarios passed, {failed} failed" in again.stdout
    assert (reports / "behave.json").exists() and (reports / "rerun-1" / "behave.json").exists()


def stage_with_a_node_killed(
    cluster: Bed,
    arguments: list[str],
    *,
    reports: Path,
    watched: int,
    connections: int,
    killed: int,
) -> tuple[int, str]:
    """Run the stage against ``cluster``; once node ``watched`` has logged
    ``connections`` more connections, SIGKILL node ``killed``; return the stage's exit
    status and output."""
    command = [
        *("bash", str(STAGE), "--server-urls", ",".join(cluster.urls)),
        *("--reports", str(reports), *arguments),
    ]
    mark = cluster.processes[watched].log_mark()
    with subprocess.Popen(
        command,
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHON": sys.executable},
    ) as run:
        for _ in range(connections):
            mark = cluster.processes[watched].wait_for_log(
                "connection opened", since=mark, timeout=60_000 * MS
            )
        cluster.take_node_down(killed)
        output, _ = run.communicate(timeout=120_000 * MS)
    return run.returncode, output


def test_a_node_killed_mid_run_stops_the_run_once(tmp_path: Path) -> None:
    """A node that dies during the run, without a step asking for it: one line naming
    it and the scenario, the step in progress ends at once, the rest are not run."""
    with testbed.start(nodes=3, node_timeout=1) as cluster:
        waits = PROJECT_ROOT / "tests" / "fixtures" / "waits_forever.feature"
        # Node 1 sees the stage's check, behave's check, then Alice, who waits there:
        # once her connection is open, node 2 goes.
        returncode, output = stage_with_a_node_killed(
            cluster,
            [str(waits), "features/echo.feature", "--", "-D", "timeout=60"],
            reports=tmp_path,
            watched=0,
            connections=3,
            killed=1,
        )
    assert returncode == 4, output
    aborted = [line for line in output.splitlines() if line.startswith("ABORTED: the deploy")]
    stopped = [line for line in output.splitlines() if line.startswith("acceptance stage: STOP")]
    assert len(aborted) == len(stopped) == 1, output
    assert (
        "the deployment broke while 'Alice waits for a message that never comes' was "
        f"running: node 2 ({cluster.urls[1]}) stopped answering"
    ) in stopped[-1]
    assert "0 scenarios passed, 1 failed, 0 skipped, 6 not run" in stopped[-1]
    assert list(statuses(tmp_path / "behave.json").values()) == ["failed"]


def test_a_node_killed_between_short_scenarios_stops_the_run_at_the_first_failure(
    tmp_path: Path,
) -> None:
    """A node killed while the whole suite runs, scenario after short scenario: the
    first step that fails for it stops the run, instead of one failure per scenario."""
    with testbed.start(nodes=3, node_timeout=1) as cluster:
        returncode, output = stage_with_a_node_killed(
            cluster,
            ["--", "-D", "late_window=0.1"],
            reports=tmp_path,
            watched=2,
            connections=20,  # node 3 has served some scenarios
            killed=2,
        )
    assert returncode == 4, output
    stopped = [line for line in output.splitlines() if line.startswith("acceptance stage: STOP")]
    assert len(stopped) == 1, output
    assert f"node 3 ({cluster.urls[2]}) stopped answering" in stopped[0]
    failed = [
        name for name, status in statuses(tmp_path / "behave.json").items() if status == "failed"
    ]
    assert len(failed) <= 1, failed
    assert re.search(r"[1-9]\d* not run", stopped[0]), stopped[0]


def test_a_deployment_whose_broker_is_down_stops_before_the_first_scenario(
    tmp_path: Path,
) -> None:
    """Every node says 503 when Redis is gone: the run stops before any scenario."""
    with testbed.start(nodes=3, node_timeout=1) as cluster:
        assert cluster.redis is not None
        cluster.redis.stop()
        result = stage("--server-urls", ",".join(cluster.urls), "--reports", str(tmp_path))
    assert result.returncode == 3, result.stdout + result.stderr
    line = result.stdout.splitlines()[-1]
    assert line.startswith(
        f"acceptance stage: NOT RUN, the target does not work: node 1 ({cluster.urls[0]}) "
        "is not healthy: GET /healthz answered 503 (broker unreachable: "
    ), line


def test_ctrl_c_during_start_up_aborts_and_fails_nothing(tmp_path: Path) -> None:
    """Ctrl-C while behave's start-up hook starts a cluster: aborted, no feature failed
    (bad_input.feature, first, starts with an outline, which behave would call failed)."""
    fifo = tmp_path / "starting"
    os.mkfifo(fifo)
    command = [
        *(sys.executable, "-m", "behave", "features/", "-D", "nodes=1"),
        *("-D", "node_module=tests.servers.never_ready", "-f", "json", "-o"),
        str(tmp_path / "behave.json"),
    ]
    with subprocess.Popen(
        command,
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        env={**os.environ, "NEVER_READY_FIFO": str(fifo)},
    ) as behave:
        with fifo.open() as starting:  # opens once the node has opened it to write
            said, pid = starting.readline().split()
        assert said == "starting"
        os.killpg(behave.pid, signal.SIGINT)  # a terminal's Ctrl-C reaches the group
        os.kill(int(pid), signal.SIGTERM)  # the node that would never be ready goes
        output, _ = behave.communicate(timeout=30_000 * MS)
    assert "ABORTED: interrupted by SIGINT" in output, output
    assert "HOOK-ERROR" not in output and "Traceback" not in output, output
    assert re.search(r"^0 features passed, 0 failed, 0 skipped, \d+ untested$", output, re.M)
