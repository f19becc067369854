"""The CI acceptance stage: the features against the target it is given, with reports.

``scripts/acceptance-stage`` runs it (``--help`` lists the options). It checks the
arguments, the target (each flag, or else its ``WS_*`` variable: one
:class:`wsharness.bdd.target.Target`, which behave gets too) and the selection before
anything starts; checks a named target's health, or else starts the chat server (or
``--server-command``) for the run; runs behave with every report in ``--reports``; and
prints how to run the failures again. docs/reports-and-ci.md says each step.

Exit status: 0 passed; 1 a scenario failed, or the server did not stop cleanly; 2 not
run, a setting is wrong or the selection is empty; 3 not run, the target does not work
(or the server did not start); 4 stopped, the deployment broke during the run; 130
aborted (Ctrl-C or SIGTERM), after stopping behave and the server.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, NoReturn

from behave.tag_expression import make_tag_expression

from acceptance import testbed
from acceptance.chat import CHAT_SETTINGS, ENV_NODES, HEALTH_CHECK
from acceptance.testbed import PROJECT_ROOT, STARTUP_TIMEOUT
from wsharness import HarnessError, settings
from wsharness.bdd import registry
from wsharness.bdd.health import ServerUnavailable, check_target, health_check_for
from wsharness.bdd.registry import SettingError
from wsharness.bdd.reports import read_run_record, write_run_record
from wsharness.bdd.setup import SuiteServer
from wsharness.bdd.target import PROMISES, TARGET_SETTINGS, TARGET_VARIABLES, Target
from wsharness.runtime.children import parent_death_signal
from wsharness.runtime.signals import interrupt_on_signals, interrupted_by

PASSED, FAILED, NOT_RUN_SETTINGS, NOT_RUN_TARGET, DEPLOYMENT_BROKE = 0, 1, 2, 3, 4
ABORTED = 130

STOPPED_EARLY = {
    "interrupted": ("ABORTED", ABORTED, True),
    "setting": ("NOT RUN, a setting is wrong", NOT_RUN_SETTINGS, False),
    "unreachable": ("NOT RUN, the target does not work", NOT_RUN_TARGET, False),
    "deployment": ("STOPPED", DEPLOYMENT_BROKE, True),
}
"""Why the run record says behave stopped early: the stage's line, its exit status, and
whether scenarios ran to be counted."""

STARTED_BY_THE_STAGE = "the acceptance stage, for this run"

TARGET_FLAGS = {
    "server_url": ("URL", "test this server ($WS_SERVER_URL)"),
    "server_urls": ("URL,URL", "test these servers, such as a cluster's nodes ($WS_SERVER_URLS)"),
    "ca_file": ("PEM", "trust this CA for wss:// ($WS_CA_FILE)"),
    "auth_token_file": (
        "FILE",
        "send the first token in FILE (blank lines and # comments skipped) as a bearer "
        "token ($WS_AUTH_TOKEN_FILE; or the token itself in $WS_AUTH_TOKEN)",
    ),
    "origin": ("ORIGIN", "send this Origin, as a page of that site ($WS_ORIGIN)"),
    "subprotocols": ("A,B", "offer these subprotocols ($WS_SUBPROTOCOLS)"),
    "headers": ("'N: v; N: v'", "more handshake headers ($WS_HEADERS)"),
    "skip_checks": (
        "CHECKS",
        f"promises not to check, of {','.join(PROMISES)} ($WS_SKIP_CHECKS)",
    ),
}
"""Each target setting the stage takes as a flag (``--server-url``): its metavar and
help. The token itself has none: on a command line every process can read it."""


class Reports:
    """Where one run writes its reports, all under one folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.junit = folder / "junit"
        self.html = folder / "html" / "index.html"
        self.json = folder / "behave.json"
        self.rerun = folder / "rerun.txt"
        self.run_record = folder / "run.json"
        self.conversations = folder / "conversations"
        """One SVG sequence diagram per scenario that ran."""
        self.server_log = folder / "server.log"
        self.contract_coverage = folder / "contract-coverage.json"

    def prepare(self) -> None:
        """Create the folders; remove an earlier run's reports and reruns, so that nothing
        stale is read as this run's."""
        self.junit.mkdir(parents=True, exist_ok=True)
        self.html.parent.mkdir(parents=True, exist_ok=True)
        old = [self.html, self.json, self.rerun, self.run_record, self.server_log]
        old.append(self.contract_coverage)
        for path in [*self.junit.glob("*.xml"), *self.conversations.glob("*.svg"), *old]:
            path.unlink(missing_ok=True)
        for rerun in self.folder.glob("rerun-*"):
            if rerun.is_dir() and re.fullmatch(r"rerun-\d+", rerun.name):
                Reports(rerun).remove()

    def remove(self) -> None:
        """Remove every report of this folder, and the folder if nothing else is in it."""
        self.prepare()
        for folder in (self.junit, self.html.parent, self.conversations, self.folder):
            if folder.exists() and not any(folder.iterdir()):
                folder.rmdir()

    def next_rerun(self) -> Reports:
        """Where a rerun of this run's failures writes: ``reports/rerun-1``, then ``-2``..."""
        match = re.fullmatch(r"rerun-(\d+)", self.folder.name)
        parent, number = (self.folder.parent, int(match[1]) + 1) if match else (self.folder, 1)
        while (parent / f"rerun-{number}").exists():
            number += 1
        return Reports(parent / f"rerun-{number}")


def parse_args(argv: Sequence[str]) -> tuple[argparse.Namespace, list[str]]:
    """Our options, and the behave options given after ``--``."""
    argv = list(argv)
    behave_options: list[str] = []
    if "--" in argv:
        split = argv.index("--")
        argv, behave_options = argv[:split], argv[split + 1 :]
    parser = _OneLineErrors(
        prog="scripts/acceptance-stage",
        description="Run the acceptance features against the target given by the flags "
        "below or their WS_* variables (or against a server started here when no target is "
        "given), write JUnit, HTML and JSON reports, and fail on any failure, on a target "
        "that does not answer, or on an empty selection.",
    )
    parser.add_argument(
        "paths",
        nargs="*",
        help="feature files, folders, FILE:LINE, or @FILE listing them, such as "
        "@reports/rerun.txt to run the last run's failures again (default: paths in behave.ini)",
    )
    target = parser.add_argument_group("the target (each flag wins over its environment variable)")
    for name, (metavar, text) in TARGET_FLAGS.items():
        target.add_argument(_flag(name), metavar=metavar, help=text)
    parser.add_argument(
        "--server-command",
        type=_command,
        metavar="COMMAND",
        help="without a target: the command that starts the server and prints its ws:// URL "
        "as its first line (default: the project's chat server on a free port)",
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
        "--timeout-scale",
        type=_positive_float,
        metavar="N",
        help="multiply every wait, and the server's startup time, by N on slow machines",
    )
    args = parser.parse_args(argv)
    for option in [name for name in _defines(behave_options) if name in STAGE_DECIDES]:
        parser.error(
            f"-D {option} after -- would change the target behind the stage's back; "
            f"give it as {_flag(option)}"
        )
    return args, behave_options


def expand_rerun_files(paths: list[str]) -> list[str]:
    """Paths made absolute (behave runs in the project's folder), each ``@FILE`` replaced
    by its locations, read before :meth:`Reports.prepare` removes the old list; ValueError
    for a list of none, since behave would then run every feature."""
    expanded: list[str] = []
    for path in paths:
        if not path.startswith("@"):
            where, colon, line = path.partition(":")
            expanded.append(f"{os.path.abspath(where)}{colon}{line}")
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


def target_of(
    args: argparse.Namespace, behave_options: list[str], environ: Mapping[str, str]
) -> Target:
    """The target the flags describe (each winning over its variable); SettingError now
    for anything that would make behave stop later, after a server started for nothing."""
    registry.check_environment(environ)
    registry.check_userdata(_defines(behave_options))
    # A flag given empty counts: an unset CI variable must not mean "start a server here".
    flags = {name: getattr(args, name) for name in TARGET_FLAGS if getattr(args, name) is not None}
    target = Target.from_settings(flags, environ)
    if target.configured and args.server_command is not None:
        raise SettingError(
            "--server-command starts a server, but the target names the servers to test: "
            "give one or the other"
        )
    if not target.configured and (environ.get(ENV_NODES) or "nodes" in _defines(behave_options)):
        raise SettingError(
            f"{ENV_NODES} or -D nodes asks for a cluster, but the stage starts one server: "
            "name a running cluster with --server-urls, or leave nodes out"
        )
    return target


def main(argv: Sequence[str] | None = None) -> int:
    args, behave_options = parse_args(sys.argv[1:] if argv is None else argv)
    registry.register(CHAT_SETTINGS)
    reports = Reports(args.reports.resolve())
    scale = args.timeout_scale or 1.0
    if args.timeout_scale is not None:
        settings.configure(scale=args.timeout_scale)
    # Ctrl-C, or the SIGTERM of a CI job that times out: stop the server and behave on
    # the way out, and report the run as aborted even if the interrupt was swallowed.
    interrupt_on_signals()
    server: SuiteServer | None = None
    stopped = False
    try:
        try:
            args.paths = expand_rerun_files(args.paths)
            target = target_of(args, behave_options, os.environ)
            selected = check_selection(args, behave_options)
        except ValueError as exc:  # SettingError included
            say(f"NOT RUN, a setting is wrong: {exc}")
            return NOT_RUN_SETTINGS
        reports.prepare()
        if target.configured:
            say(target.describe())
            try:
                check_target(
                    target, health_check_for(target, HEALTH_CHECK), timeout=settings.timing().wait
                )
            except ServerUnavailable as exc:
                write_run_record(
                    str(reports.run_record),
                    target.facts(),
                    {"why": "unreachable", "reason": str(exc)},
                )
                say(f"NOT RUN, the target does not work: {exc}")
                return NOT_RUN_TARGET
        else:
            try:
                server = testbed.start(
                    command=args.server_command, startup_timeout=STARTUP_TIMEOUT * scale
                )
            except HarnessError as exc:
                say(f"NOT RUN: the server did not start: {exc}")
                return NOT_RUN_TARGET
            target = replace(target.started(server.urls), started_by=STARTED_BY_THE_STAGE)
            say(f"started the server at {server.url}: {server.processes[0].command}")
            say(target.describe())
        behave_status = run_behave(target, args, behave_options, reports)
        stopped, stopped_cleanly = True, _stop(server, reports)
        if interrupted_by() is not None:
            raise KeyboardInterrupt
        return verdict(
            behave_status,
            reports,
            selected=selected,
            stopped_cleanly=stopped_cleanly,
            rerun=rerun_command(args, behave_options, target, reports),
        )
    except KeyboardInterrupt:
        started = " and the server it started" if server is not None else ""
        say(f"ABORTED: interrupted; stopped behave{started}")
        return ABORTED
    finally:
        if not stopped:
            _stop(server, reports)


def check_selection(args: argparse.Namespace, behave_options: list[str]) -> int:
    """How many scenarios the paths and tags select, by behave's dry run; ValueError if none."""
    with tempfile.TemporaryDirectory(prefix="selection-") as folder:
        listing = Path(folder) / "selected.json"
        command = [
            *(sys.executable, "-m", "behave", "--dry-run", "--no-summary", "--no-snippets"),
            *args.paths,
            *(option for expression in args.tags for option in ("--tags", expression)),
            *("--format=json", f"--outfile={listing}"),
            *behave_options,
        ]
        done = subprocess.run(
            command, cwd=PROJECT_ROOT, capture_output=True, text=True, check=False
        )
        try:
            counts = scenario_counts(listing)
        except (OSError, ValueError):
            last = (done.stderr.strip() or done.stdout.strip() or "no output").splitlines()[-1]
            raise ValueError(f"behave cannot read the selection: {last}") from None
    selected = counts.total() - counts["skipped"]
    if selected == 0:
        tags = " ".join(f"--tags {shlex.quote(t)}" for t in args.tags) or "(no --tags)"
        raise ValueError(f"the selection selects no scenario: {tags}; check the paths and --tags")
    return selected


def run_behave(
    target: Target, args: argparse.Namespace, behave_options: list[str], reports: Reports
) -> int:
    """Run behave in its own process against ``target``; return its exit status."""
    command = [sys.executable, "-m", "behave", *args.paths]
    if args.timeout_scale is not None:
        command += ["-D", f"timeout_scale={args.timeout_scale:g}"]
    if target.started_by is not None:
        command += ["-D", f"started_by={target.started_by}"]
    command += [option for expression in args.tags for option in ("--tags", expression)]
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
    # The target goes to behave as the WS_* variables, never on its command line.
    environment = {k: v for k, v in os.environ.items() if k not in TARGET_VARIABLES}
    environment.update(target.environment())
    environment["WS_RUN_RECORD"] = str(reports.run_record.resolve())
    environment["WS_CONTRACT_COVERAGE"] = str(reports.contract_coverage.resolve())
    environment["WS_CONVERSATIONS"] = str(reports.conversations.resolve())

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


def rerun_command(
    args: argparse.Namespace, behave_options: list[str], target: Target, reports: Reports
) -> str:
    """The command that runs this run's failures again against the same target, with
    reports beside this run's; the token by reference (a file, or ``WS_AUTH_TOKEN``)."""
    words = ["scripts/acceptance-stage"]
    if not target.started_by_the_suite:
        # The variables that describe the target to behave, each given back as its flag.
        variables, known = target.environment(), registry.known()
        for name in TARGET_FLAGS:
            value = variables.get(known[name].variable or "")
            if value:
                words += [_flag(name), value]
    elif args.server_command is not None:
        words += ["--server-command", shlex.join(args.server_command)]
    if args.timeout_scale is not None:
        words += ["--timeout-scale", f"{args.timeout_scale:g}"]
    words += ["--reports", str(reports.next_rerun().folder), f"@{reports.rerun}"]
    if behave_options:
        words += ["--", *behave_options]
    note = (
        " (with WS_AUTH_TOKEN set, as for this run)"
        if target.token_given_as == "WS_AUTH_TOKEN"
        else ""
    )
    return f"run the failures again{note}: {shlex.join(words)}"


def scenario_counts(report: Path) -> Counter[str]:
    """How many scenarios behave's JSON report gives each status, e.g. {"passed": 3}."""
    counts: Counter[str] = Counter()
    for feature in json.loads(report.read_text(encoding="utf-8")):
        for element in feature.get("elements", []):
            if element.get("type") == "scenario":
                counts[element.get("status", "untested")] += 1
    return counts


def verdict(
    behave_status: int, reports: Reports, *, selected: int, stopped_cleanly: bool, rerun: str
) -> int:
    """The stage's exit status, said in one line with where the reports are."""
    record = read_run_record(reports.run_record) or {}
    stopped = record.get("stopped") or {}
    counts = _counts(record, reports.json, selected)
    ran = _ran(counts)
    passed = counts["passed"]
    summary = f"{_said(counts)}; reports in {reports.folder}/"
    if stopped.get("why") in STOPPED_EARLY:
        said, status, counted = STOPPED_EARLY[stopped["why"]]
        say(f"{said}: {stopped.get('reason', '')}" + (f"; {summary}" if counted else ""))
        return status
    if not counts:
        say(f"FAILED: behave exited with {behave_status} and wrote no readable report")
        return FAILED
    if ran == 0:
        say(
            "NOT RUN, a setting is wrong: every selected scenario was skipped (the console "
            f"says why, such as @cluster against one server); {summary}"
        )
        return NOT_RUN_SETTINGS
    if behave_status != 0 or passed != ran:
        again = f"; {rerun}" if reports.rerun.exists() else ""
        say(f"FAILED: {summary}{again}")
        return FAILED
    if not stopped_cleanly:
        say(f"FAILED: the server did not stop cleanly (see {reports.server_log}); {summary}")
        return FAILED
    say(f"PASSED: {summary}")
    return PASSED


def _counts(record: dict[str, Any], report: Path, selected: int) -> Counter[str]:
    """How many scenarios ended in each status, as behave's console counted them (in the
    run record), else from its JSON report, which leaves out the ones never reached."""
    counted = record.get("scenarios")
    if isinstance(counted, dict):
        return Counter({str(k): int(v) for k, v in counted.items() if isinstance(v, int)})
    try:
        counts = scenario_counts(report)
    except (OSError, ValueError):
        return Counter()
    counts["untested"] = max(selected - _ran(counts) - counts["skipped"], counts["untested"])
    return counts


def _ran(counts: Counter[str]) -> int:
    """How many scenarios ran: all but the skipped and the untested."""
    return counts.total() - counts["skipped"] - counts["untested"]


def _said(counts: Counter[str]) -> str:
    """The counts in the words of behave's summary line, untested said as "not run"."""
    others = [
        f"{count} {status.replace('_', ' ')}, "
        for status, count in sorted(counts.items())
        if count and status not in ("passed", "failed", "skipped", "untested")
    ]
    return (
        f"{counts['passed']} scenarios passed, {counts['failed']} failed, {''.join(others)}"
        f"{counts['skipped']} skipped, {counts['untested']} not run"
    )


STAGE_DECIDES = frozenset({*TARGET_SETTINGS, "started_by", "run_record"})
"""What no ``-D`` after ``--`` may set: the stage decides them."""


def _flag(name: str) -> str:
    """The stage's flag for a setting: ``--server-url`` for ``server_url``."""
    return "--" + name.replace("_", "-")


def _defines(behave_options: list[str]) -> dict[str, str]:
    """The ``-D name=value`` settings among behave's options."""
    defines = {}
    for index, option in enumerate(behave_options):
        if option in ("-D", "--define") and index + 1 < len(behave_options):
            text = behave_options[index + 1]
        elif option.startswith("--define="):
            text = option[len("--define=") :]
        elif option.startswith("-D") and len(option) > 2:
            text = option[2:]
        else:
            continue
        name, _, value = text.partition("=")
        defines[name.strip()] = value
    return defines


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
        self.exit(NOT_RUN_SETTINGS, f"{self.prog}: error: {message} (see --help)\n")


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
