"""The CI acceptance stage: the features against a server in its own process, with reports.

Usage (``scripts/acceptance-stage`` runs this module with the project's venv)::

    scripts/acceptance-stage [--server-url URL] [--tags EXPR]... [--reports DIR]
                             [--timeout-scale N] [--server-command CMD]
                             [--ca-file PEM] [--auth-token-file FILE] [--origin ORIGIN]
                             [PATH ...] [-- BEHAVE_OPTION ...]

A secured deployment: ``--ca-file``, ``--auth-token-file`` and ``--origin`` (or the
``WS_CA_FILE``, ``WS_AUTH_TOKEN`` and ``WS_ORIGIN`` variables) reach the server
check and every person behave connects.

What a pipeline does, in one command:

1. start the server (the chat server on a free port, or ``--server-command``) as a
   separate process, and wait until it has printed its URL and accepted a
   WebSocket connection; with ``--server-url`` (or ``WS_SERVER_URL``) start
   nothing and check that the deployed server answers. A server started here
   goes away with the stage, however the stage ends (:mod:`wsharness.runtime.children`);
2. run behave on the features (``PATH``, default: ``paths`` in behave.ini) with
   ``-D server_url=URL``, writing into the reports folder (default ``reports/``):
   ``junit/*.xml``, ``html/index.html``, ``behave.json`` and ``rerun.txt``;
3. stop the server with SIGTERM and keep its log in ``server.log``;
4. exit 0 only if at least one scenario ran and every one passed.

``scripts/acceptance-stage @reports/rerun.txt`` runs only the scenarios that
failed last time (behave's rerun formatter wrote the list).

Exit status: 0 passed; 1 a scenario failed, or the server did not stop cleanly;
2 nothing could be tested: bad arguments (one line on stderr, before anything
starts; tag expressions are checked with behave's own parser), the server did
not start or answer, or the selection ran no scenario (behave itself exits 0
then); 130 interrupted (Ctrl-C or SIGTERM), after stopping behave and the server.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from behave.tag_expression import make_tag_expression

from acceptance.servers import PROJECT_ROOT, STARTUP_TIMEOUT, server_under_test
from wsharness.bdd.options import ConnectionOptions
from wsharness.bdd.setup import ENV_SERVER_URL, ServerUnavailable, SuiteServer
from wsharness.runtime.children import parent_death_signal
from wsharness.runtime.signals import interrupt_on_signals, interrupted_by

PASSED, FAILED, NOT_TESTED = 0, 1, 2
INTERRUPTED = 130

NOT_RUN = frozenset({"skipped", "untested"})
"""Scenario statuses in behave's JSON output that mean the scenario did not run."""


@dataclass(frozen=True)
class Reports:
    """Where one run writes its reports, all under one folder."""

    folder: Path

    @property
    def junit(self) -> Path:
        return self.folder / "junit"

    @property
    def html(self) -> Path:
        return self.folder / "html" / "index.html"

    @property
    def json(self) -> Path:
        return self.folder / "behave.json"

    @property
    def rerun(self) -> Path:
        return self.folder / "rerun.txt"

    @property
    def server_log(self) -> Path:
        return self.folder / "server.log"

    def prepare(self) -> None:
        """Create the folders and remove this stage's reports of an earlier run,
        so that nothing stale is read as a result of this one."""
        self.junit.mkdir(parents=True, exist_ok=True)
        self.html.parent.mkdir(parents=True, exist_ok=True)
        for old in [*self.junit.glob("*.xml"), self.html, self.json, self.rerun, self.server_log]:
            old.unlink(missing_ok=True)


def parse_args(argv: Sequence[str]) -> tuple[argparse.Namespace, list[str]]:
    """Our options, and the behave options given after ``--``."""
    argv = list(argv)
    behave_options: list[str] = []
    if "--" in argv:
        split = argv.index("--")
        argv, behave_options = argv[:split], argv[split + 1 :]
    parser = _OneLineErrors(
        prog="scripts/acceptance-stage",
        description="Run the acceptance features against a server in its own process, "
        "write JUnit and HTML reports, and fail on any failure or on an empty selection.",
    )
    parser.add_argument(
        "paths",
        nargs="*",
        help="feature files, folders, FILE:LINE, or @FILE listing them, such as "
        "@reports/rerun.txt to run the last run's failures again (default: paths in behave.ini)",
    )
    parser.add_argument(
        "--server-url",
        default=os.environ.get(ENV_SERVER_URL) or None,
        help=f"test this deployed server and start none (default: ${ENV_SERVER_URL})",
    )
    parser.add_argument(
        "--server-command",
        type=_command,
        default=None,
        metavar="COMMAND",
        help="command that starts the server and prints its ws:// URL as its first line "
        "(default: the project's chat server on a free port)",
    )
    parser.add_argument(
        "--tags",
        "-t",
        type=_tag_expression,
        action="append",
        default=[],
        metavar="EXPR",
        help="behave tag expression; repeat for AND (e.g. --tags=@core --tags='not @slow')",
    )
    parser.add_argument(
        "--reports", type=Path, default=Path("reports"), help="report folder (default: reports)"
    )
    parser.add_argument(
        "--ca-file",
        metavar="PEM",
        help="trust this CA for a wss:// server (default: $WS_CA_FILE)",
    )
    parser.add_argument(
        "--auth-token-file",
        metavar="FILE",
        type=Path,
        help="send the token in FILE (its first line) as a bearer token; "
        "or set $WS_AUTH_TOKEN, which keeps it off the command line",
    )
    parser.add_argument(
        "--origin",
        metavar="ORIGIN",
        help="send this Origin header, as a page of that site would (default: $WS_ORIGIN)",
    )
    parser.add_argument(
        "--timeout-scale",
        type=_positive_float,
        default=None,
        metavar="N",
        help="multiply every wait, and the server's startup time, by N on slow machines",
    )
    return parser.parse_args(argv), behave_options


def expand_rerun_files(paths: list[str]) -> list[str]:
    """Paths with each ``@FILE`` (the rerun formatter's list) replaced by its locations.

    Read here, before :meth:`Reports.prepare` removes the old ``rerun.txt``.
    Raises ValueError for a list with no location, since behave would then run
    every feature instead of none.
    """
    expanded: list[str] = []
    for path in paths:
        if not path.startswith("@"):
            expanded.append(path)
            continue
        listed = Path(path[1:])
        try:
            lines = listed.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise ValueError(f"cannot read {listed}: {exc.strerror}") from None
        locations = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
        if not locations:
            raise ValueError(f"{listed} lists no scenario to run again")
        expanded.extend(locations)
    return expanded


def main(argv: Sequence[str] | None = None) -> int:
    args, behave_options = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        args.paths = expand_rerun_files(args.paths)
    except ValueError as exc:
        say(f"FAILED, nothing was tested: {exc}")
        return NOT_TESTED
    reports = Reports(args.reports)
    reports.prepare()
    scale = args.timeout_scale or 1.0

    # Ctrl-C, or the SIGTERM of a CI job that times out: stop the server and behave on
    # the way out, and report the run as interrupted even if the interrupt was swallowed.
    interrupt_on_signals()
    server: SuiteServer | None = None
    stopped = False
    try:
        try:
            environment = connection_environment(args)
            server = server_under_test(
                args.server_url,
                server_command=args.server_command,
                startup_timeout=STARTUP_TIMEOUT * scale,
                options=ConnectionOptions.from_settings({}, environment),
            )
        except (ServerUnavailable, ValueError) as exc:
            say(f"FAILED, nothing was tested: {exc}")
            return NOT_TESTED
        if not server.processes:
            say(f"testing the deployed server at {server.url}")
        else:
            say(f"started the server at {server.url}: {server.processes[0].command}")
        behave_status = run_behave(server.url, args, behave_options, reports, environment)
        stopped, stopped_cleanly = True, _stop(server, reports)
        if interrupted_by() is not None:
            raise KeyboardInterrupt
        return verdict(behave_status, reports, stopped_cleanly=stopped_cleanly)
    except KeyboardInterrupt:
        say("interrupted: stopped behave and the server")
        return INTERRUPTED
    finally:
        if not stopped:
            _stop(server, reports)


def connection_environment(args: argparse.Namespace) -> dict[str, str]:
    """The stage's environment with the connection options given as flags, as the
    ``WS_*`` variables that both the server check and behave read; raises ValueError
    in one line for a token file that cannot be read."""
    environment = dict(os.environ)
    if args.ca_file:
        environment["WS_CA_FILE"] = args.ca_file
    if args.origin:
        environment["WS_ORIGIN"] = args.origin
    if args.auth_token_file is not None:
        try:
            lines = args.auth_token_file.read_text(encoding="utf-8").split()
        except OSError as exc:
            raise ValueError(f"cannot read {args.auth_token_file}: {exc.strerror}") from None
        if not lines:
            raise ValueError(f"{args.auth_token_file} holds no token")
        environment["WS_AUTH_TOKEN"] = lines[0]
    return environment


def run_behave(
    url: str,
    args: argparse.Namespace,
    behave_options: list[str],
    reports: Reports,
    environment: dict[str, str],
) -> int:
    """Run behave in its own process against ``url``; return its exit status."""
    command = [sys.executable, "-m", "behave", *args.paths, "-D", f"server_url={url}"]
    if args.timeout_scale is not None:
        command += ["-D", f"timeout_scale={args.timeout_scale:g}"]
    for expression in args.tags:
        command += ["--tags", expression]
    command += [
        "--junit",
        f"--junit-directory={reports.junit}",
        # progress3 shows each failure with every person's transcript.
        *("--format=progress3", "--outfile=-", "--no-color"),
        *("--format=html-pretty", f"--outfile={reports.html}"),
        *("--format=json", f"--outfile={reports.json}"),
        *("--format=rerun", f"--outfile={reports.rerun}"),
        *behave_options,
    ]
    say("running: " + shlex.join(command[1:]))
    sys.stdout.flush()
    # behave stays in the stage's process group, so a terminal's Ctrl-C reaches it too.
    behave = subprocess.Popen(
        command, cwd=PROJECT_ROOT, env=environment, preexec_fn=parent_death_signal()
    )
    try:
        if interrupted_by() is not None:
            # Swallowed on the way: a fork runs logging's at-fork hooks, and an
            # interrupt that lands in one is only printed ("Exception ignored in").
            raise KeyboardInterrupt
        return behave.wait()
    finally:
        if behave.poll() is None:
            behave.kill()
            behave.wait()


def scenario_counts(report: Path) -> Counter[str]:
    """How many scenarios behave's JSON report gives each status, e.g. {"passed": 3}."""
    counts: Counter[str] = Counter()
    for feature in json.loads(report.read_text(encoding="utf-8")):
        for element in feature.get("elements", []):
            if element.get("type") == "scenario":
                counts[element.get("status", "untested")] += 1
    return counts


def verdict(behave_status: int, reports: Reports, *, stopped_cleanly: bool) -> int:
    """The stage's exit status, said in one line with where the reports are."""
    try:
        counts = scenario_counts(reports.json)
    except (OSError, ValueError) as exc:
        say(f"FAILED: behave exited with {behave_status} and wrote no readable report ({exc})")
        return FAILED if behave_status else NOT_TESTED
    ran = sum(count for status, count in counts.items() if status not in NOT_RUN)
    passed = counts["passed"]
    summary = f"{passed} scenarios passed, {ran - passed} failed; reports in {reports.folder}/"
    if ran == 0:
        say(
            "FAILED: the selection ran no scenario; check the paths and --tags "
            f"(behave exited with {behave_status}); {summary}"
        )
        return NOT_TESTED
    if behave_status != 0 or passed != ran:
        rerun = f"; run the failures again: scripts/acceptance-stage @{reports.rerun}"
        say(f"FAILED: {summary}{rerun if reports.rerun.exists() else ''}")
        return FAILED
    if not stopped_cleanly:
        say(f"FAILED: the server did not stop cleanly (see {reports.server_log}); {summary}")
        return FAILED
    say(f"PASSED: {summary}")
    return PASSED


def _stop(server: SuiteServer | None, reports: Reports) -> bool:
    """Stop the server we started, keep its log; True if it stopped as asked."""
    if server is None or not server.processes:
        return True
    (process,) = server.processes
    code = process.stop()
    lines = process.log_lines()
    reports.server_log.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    if code in (0, -signal.SIGTERM):
        return True
    say(f"the server exited with code {code}; its last words: {lines[-1] if lines else '-'}")
    return False


def say(line: str) -> None:
    """One line of the stage's own output, told apart from behave's."""
    print(f"acceptance stage: {line}", flush=True)


class _OneLineErrors(argparse.ArgumentParser):
    """Bad arguments: one line on stderr, and exit status 2, before anything starts."""

    def error(self, message: str) -> NoReturn:
        self.exit(NOT_TESTED, f"{self.prog}: error: {message} (see --help)\n")


def _tag_expression(text: str) -> str:
    """``text`` if behave accepts it as a tag expression; the reason, in one line, if not."""
    if not text.strip():
        raise argparse.ArgumentTypeError(
            "the tag expression is empty; leave --tags out to run every scenario"
        )
    try:
        # As a list, the way behave combines the --tags options it is given.
        make_tag_expression([text])
    except Exception as exc:  # behave raises TagExpressionError, and others for odd input
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise argparse.ArgumentTypeError(f"bad tag expression {text!r}: {reason}") from None
    return text


def _command(text: str) -> list[str]:
    try:
        command = shlex.split(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"cannot split {text!r} into words: {exc}") from None
    if not command:
        raise argparse.ArgumentTypeError("the command is empty")
    return command


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, not {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0, not {text}")
    return value


if __name__ == "__main__":
    sys.exit(main())
