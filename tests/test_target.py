"""The target: one description of what a run tests, from settings that are known, not guessed."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.acceptance_stage import Reports, parse_args, rerun_command, target_of
from wsharness.bdd import registry
from wsharness.bdd.options import ConnectionOptions
from wsharness.bdd.registry import Setting, SettingError
from wsharness.bdd.target import Target, read_token_file

SECRET = "correct-horse-battery-staple"


@pytest.fixture
def token_file(tmp_path: Path) -> Path:
    """A token file written as the README shows: a comment first."""
    path = tmp_path / "chat.tokens"
    path.write_text(f"# who may chat\n\n  {SECRET}  \nsecond-token\n", "utf-8")
    return path


def test_d_wins_over_the_environment_for_the_same_setting() -> None:
    target = Target.from_settings(
        {"server_url": "ws://from-d:1", "origin": "https://d.example"},
        {"WS_SERVER_URLS": "ws://env-a:1,ws://env-b:1", "WS_ORIGIN": "https://env.example"},
    )
    assert target.urls == ("ws://from-d:1",)
    assert target.options.origin == "https://d.example"


@pytest.mark.parametrize(
    ("userdata", "environ", "said"),
    [
        (
            {"server_url": "ws://a:1", "server_urls": "ws://b:1"},
            {},
            "-D server_url and -D server_urls contradict each other: give one of them",
        ),
        (
            {},
            {"WS_SERVER_URL": "ws://a:1", "WS_SERVER_URLS": "ws://b:1"},
            "WS_SERVER_URL and WS_SERVER_URLS contradict each other: give one of them",
        ),
        (
            {"auth_token": "x", "auth_token_file": "/etc/hostname"},
            {},
            "-D auth_token and -D auth_token_file contradict each other: give one of them",
        ),
        (
            {"server_url": "http://a:1"},
            {},
            "server_url: 'http://a:1' is not a ws:// or wss:// URL with a host",
        ),
        (
            {"skip_checks": "origin,tokens"},
            {},
            "skip_checks: tokens is not a check; the checks are token, origin, tls, health",
        ),
    ],
    ids=["two URL settings in -D", "two in the environment", "two tokens", "http", "check"],
)
def test_settings_that_cannot_work_are_one_line(
    userdata: dict[str, str], environ: dict[str, str], said: str
) -> None:
    with pytest.raises(SettingError) as failure:
        Target.from_settings(userdata, environ)
    assert str(failure.value) == said


def test_the_token_file_is_read_as_the_server_reads_it(token_file: Path) -> None:
    """Blank lines and comments skipped, white space trimmed, the first token sent; the
    description says where it came from, never what it is."""
    assert read_token_file(str(token_file)) == SECRET
    target = Target.from_settings(
        {"server_url": "wss://a:1"}, {"WS_AUTH_TOKEN_FILE": str(token_file)}
    )
    assert target.options.auth_token == SECRET
    assert f"token: sent (from the file {token_file})" in target.describe()
    assert SECRET not in target.describe() and SECRET not in str(target.facts())
    assert target.environment()["WS_AUTH_TOKEN_FILE"] == str(token_file)
    assert SECRET not in target.environment().values()


def test_a_token_file_without_a_token_is_refused(tmp_path: Path) -> None:
    empty = tmp_path / "tokens"
    empty.write_text("# nobody yet\n\n", "utf-8")
    with pytest.raises(SettingError, match=f"^the token file {empty} holds no token$"):
        read_token_file(str(empty))


def test_the_promises_follow_from_the_settings() -> None:
    plain = Target.from_settings({"server_url": "ws://a:1"}, {})
    assert plain.declares("token") is not None and plain.declares("tls") is not None
    secured = Target.from_settings(
        {"server_url": "wss://a:1", "auth_token": "t", "origin": "https://o.example"}, {}
    )
    assert [secured.declares(p) for p in ("token", "origin", "tls")] == [None, None, None]
    switched_off = Target.from_settings(
        {"server_url": "wss://a:1", "auth_token": "t", "skip_checks": "token"}, {}
    )
    assert switched_off.declares("token") == "the token check is switched off (skip_checks)"


def test_an_unknown_setting_names_the_closest_known_ones() -> None:
    with pytest.raises(SettingError) as failure:
        registry.check_userdata({"sever_url": "ws://a:1"})
    assert str(failure.value).startswith(
        "unknown setting -D sever_url; did you mean server_url or server_urls?"
    )


def test_behave_and_its_tools_and_registered_settings_pass() -> None:
    registry.register([Setting("tenant_for_this_test", "WS_TENANT_FOR_THIS_TEST", "a tenant")])
    registry.check_userdata(
        {
            "behave.formatter.html-pretty.title_string": "x",
            "worker_id": "1",
            "tenant_for_this_test": "blue",
            "timeout": "3",
        }
    )


def test_a_misspelt_environment_variable_is_caught_and_others_are_left_alone() -> None:
    with pytest.raises(SettingError, match="WS_SEVER_URLS is not a setting; did you mean"):
        registry.check_environment({"WS_SEVER_URLS": "ws://a:1"})
    registry.check_environment({"WS_EVENT_LOOP": "asyncio", "WS_SERVER_URLS": "ws://a:1"})


def test_the_stage_refuses_target_settings_after_the_double_dash() -> None:
    with pytest.raises(SystemExit) as exit_status:
        parse_args(["--", "-D", "server_url=ws://a:1"])
    assert exit_status.value.code == 2


def test_the_rerun_names_the_same_target_and_the_token_by_reference(
    token_file: Path, tmp_path: Path
) -> None:
    reports = Reports(tmp_path / "reports")
    args, _ = parse_args(
        ["--server-urls", "wss://a:1,wss://b:1", "--auth-token-file", str(token_file)]
    )
    command = rerun_command(args, [], target_of(args, [], {}), reports)
    assert command == (
        "run the failures again: "
        f"scripts/acceptance-stage --server-urls wss://a:1,wss://b:1 --auth-token-file "
        f"{token_file} --reports {tmp_path}/reports/rerun-1 @{tmp_path}/reports/rerun.txt"
    )
    args, _ = parse_args(["--server-url", "wss://a:1"])
    from_environment = rerun_command(
        args, [], target_of(args, [], {"WS_AUTH_TOKEN": SECRET}), reports
    )
    assert SECRET not in from_environment
    assert from_environment.startswith(
        "run the failures again (with WS_AUTH_TOKEN set, as for this run): scripts/"
    )


def test_a_started_target_keeps_its_options_unless_given_others() -> None:
    """``Target.started`` is public API: its ``options`` argument still replaces the
    target's own, and leaving it out keeps them."""
    own = Target(options=ConnectionOptions(origin="https://own.example"))
    assert own.started(["ws://127.0.0.1:9"]).options.origin == "https://own.example"
    given = ConnectionOptions(origin="https://given.example")
    started = own.started(["ws://127.0.0.1:9"], given)
    assert started.options is given
    assert started.urls == ("ws://127.0.0.1:9",)
    assert started.started_by_the_suite
