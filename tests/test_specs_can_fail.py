"""The acceptance specs judge the protocol: they fail on broken servers and pass
on correct ones, including a slow one and an independent implementation."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from acceptance import testbed
from tests.support import TIMEOUT_SCALE, behave_duration, run_behave
from wsharness import ServerProcess

BROKEN_RULES = {
    "echo-four-times": "A triple echo repeats the message exactly three times",
    "echo-to-everyone": "An echo reaches only its sender",
    "group-message-to-everyone": "People outside a group hear none of its messages",
    "sender-left-out": "Every member hears a group message exactly once, the sender included",
    "delivered-twice": "Every member hears a group message exactly once, the sender included",
    "non-member-post-delivered": "A post from outside a group reaches no one in it",
    "duplicate-group-accepted": "A group name can be taken only once",
    "unknown-group-joined": "A group that does not exist cannot be joined",
    "first-group-kept": "Joining a second group leaves the first",
    "group-dies-with-creator": "A group lives on after its creator leaves",
    "bad-reply-format": "Creating a group",
    "group-name-ignored": "A member who moved on can no longer post to the old group",
    "create-keeps-old-group": "Creating a new group leaves the old one",
    "refused-but-added": "Someone refused a group name is not in that group",
    "echo-twice": "A message comes back to its sender",
    "rejoin-refused": "Joining one's own group again is confirmed again",
    "rejoin-leaves-group": "Joining one's own group again changes nothing",
    "extra-keys-refused": 'Keys other than "type" and "value" are ignored',
}
"""Each broken rule of the article's protocol and a @core scenario that must catch it."""

BROKEN_RULES_BEYOND_CORE = {
    "leave-value-refused": ("protocol", "A value sent with LEAVE_GROUP is ignored"),
    "close-answered-as-going-away": (
        "protocol",
        "Closing a connection is answered with the normal close code",
    ),
    "blank-is-not-json": ("bad_input", "An empty or blank message is answered"),
    "error-twice": ("bad_input", "A refusal is one reply, to the sender alone"),
    "long-type-uncut": ("bad_input", "A malformed request is answered with its reason"),
    "lone-surrogate-replaced": ("bad_input", "A malformed request is answered with its reason"),
    "booleans-as-numbers": ("bad_input", "A malformed request is answered with its reason"),
    "wrong-field-named": ("bad_input", "A malformed request is answered with its reason"),
    "invisible-characters-accepted": (
        "group_names",
        "A name with an invisible or control character is refused",
    ),
    "names-not-normalised": ("group_names", "Two spellings of one name are one group"),
    "replies-normalised": ("group_names", "Leaving names the group as the member wrote it"),
}
"""Each broken rule that only this server states (not the article), the feature
that states it, and the scenario that must catch it."""


def _server(*args: str) -> ServerProcess:
    return testbed.start(command=[sys.executable, "-m", *args, "--port", "0"]).process


@pytest.fixture
def reports(tmp_path: Path) -> Path:
    return tmp_path / "reports"


@pytest.fixture(scope="module")
def core_scenario_count(tmp_path_factory: pytest.TempPathFactory) -> int:
    """How many @core scenarios there are, counted by a dry run."""
    run = run_behave("--dry-run", "--tags=@core", report_dir=tmp_path_factory.mktemp("dry"))
    assert run.statuses, run.output
    return len(run.statuses)


@pytest.mark.parametrize("fault", sorted(BROKEN_RULES))
def test_core_specs_fail_on_a_server_that_breaks_one_rule(fault: str, reports: Path) -> None:
    """Against a server with one rule broken, behave fails, and the scenario about
    that rule is among the failures."""
    with _server("tests.servers.broken", "--fault", fault) as server:
        assert server.url is not None
        run = run_behave(
            "--tags=@core",
            "-D",
            f"server_url={server.url}",
            *behave_duration("timeout", 1000),
            report_dir=reports,
        )
    assert run.returncode != 0, run.output
    failed = [name.split(" -- @")[0] for name in run.with_status("failed")]
    assert BROKEN_RULES[fault] in failed, run.output


@pytest.mark.parametrize("fault", sorted(BROKEN_RULES_BEYOND_CORE))
def test_specs_fail_on_a_server_that_breaks_one_rule_beyond_the_core(
    fault: str, reports: Path
) -> None:
    """The same for the rules this server adds to the article's: the feature that
    states the rule fails, and the scenario about it is among the failures."""
    feature, scenario = BROKEN_RULES_BEYOND_CORE[fault]
    with _server("tests.servers.broken", "--fault", fault) as server:
        assert server.url is not None
        run = run_behave(
            "-D",
            f"server_url={server.url}",
            "-D",
            "timeout=1",
            f"features/{feature}.feature",
            report_dir=reports,
        )
    assert run.returncode != 0, run.output
    failed = [name.split(" -- @")[0] for name in run.with_status("failed")]
    assert scenario in failed, run.output


def test_a_late_extra_message_is_caught_with_a_late_window(reports: Path) -> None:
    """Round trips cannot see a copy a server sends later from background work;
    -D late_window makes the "nothing else" steps watch for it."""
    with _server("tests.servers.broken", "--fault", "late-fourth-echo") as server:
        run = run_behave(
            "--tags=@core",
            "-D",
            f"server_url={server.url}",
            *behave_duration("late_window", 500),
            "features/echo.feature",
            "features/protocol.feature",
            report_dir=reports,
        )
    assert run.returncode != 0, run.output
    failed = {name.split(" -- @")[0] for name in run.with_status("failed")}
    # Every step that says "nothing else" goes through the same proof, the
    # exact-list step included.
    assert failed == {
        "A triple echo repeats the message exactly three times",
        "A request sent as raw text",
    }, run.output


@pytest.mark.timeout(240 * TIMEOUT_SCALE)  # 300 ms on every message, by design: about 70 s
def test_core_specs_pass_on_a_server_that_answers_300_ms_late(
    reports: Path, core_scenario_count: int
) -> None:
    """Slowness is not a failure: every reply 300 ms late still passes, every scenario."""
    with _server("tests.servers.broken", "--fault", "none", "--delay", "0.3") as server:
        run = run_behave("-D", f"server_url={server.url}", report_dir=reports)
    assert run.returncode == 0, run.output
    assert not run.with_status("failed")
    assert len(run.with_status("passed")) >= core_scenario_count


def test_the_suite_passes_on_a_jittery_server(reports: Path) -> None:
    """Every message 0 to 50 ms late, at random: proven waits still wait for what is on
    its way, and the whole default suite passes."""
    with _server("tests.servers.broken", "--fault", "none", "--jitter", "0.05") as server:
        run = run_behave("-D", f"server_url={server.url}", report_dir=reports)
    assert run.returncode == 0, run.output
    assert run.with_status("passed") and not run.with_status("failed"), run.output


def test_core_specs_pass_twice_on_an_independent_implementation(
    reports: Path, core_scenario_count: int
) -> None:
    """A separate port of the article's server passes every @core scenario, twice in a
    row against the same running process (unique names keep the runs apart). It has
    no health check, which skip_checks says."""
    with _server("tests.servers.article") as server:
        for _ in range(2):
            run = run_behave(
                "--tags=@core",
                *("-D", f"server_url={server.url}", "-D", "skip_checks=health"),
                report_dir=reports,
            )
            assert run.returncode == 0, run.output
            assert len(run.with_status("passed")) == core_scenario_count
