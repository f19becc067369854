# mypy: disable-error-code="untyped-decorator"
# (behave's step decorators carry no types; the step functions are typed.)
"""Steps that check a deployment's promises on every one of its servers.

The promises come from the run's target (:mod:`wsharness.bdd.target`); a ``@promise.*``
scenario is skipped, saying why, when the target does not declare its promise. A
failure names every server that broke it.
"""

from collections.abc import Callable

from behave import then, when
from behave.runner import Context

import wsharness.bdd.step_types  # noqa: F401  (registers {name:Name})
from wsharness import settings
from wsharness.bdd.cast import Participant
from wsharness.bdd.health import ask_every_node, assert_every_node_healthy
from wsharness.bdd.setup import current
from wsharness.client import UNTRUSTED_CERTIFICATE

Problem = Callable[[Participant], str | None]
"""What is wrong with one person's connection to one server, or None (or it fails)."""


@when("{name:Name} tries to connect to every node without a token")
@when("{name:Name} tries to connect to every server without a token")
def step_tries_everywhere_without_token(context: Context, name: str) -> None:
    """Start connecting to each server with no bearer token at all."""
    context.cast.try_everywhere(name, options=context.cast.options.but(auth_token=None))


@when('{name:Name} tries to connect to every node with the token "{token}"')
@when('{name:Name} tries to connect to every server with the token "{token}"')
def step_tries_everywhere_with_token(context: Context, name: str, token: str) -> None:
    """Start connecting to each server with this bearer token instead of the run's."""
    options = context.cast.options.but(auth_token=context.cast.fill(token))
    context.cast.try_everywhere(name, options=options)


@when('{name:Name} tries to connect to every node from the origin "{origin}"')
@when('{name:Name} tries to connect to every server from the origin "{origin}"')
def step_tries_everywhere_from_origin(context: Context, name: str, origin: str) -> None:
    """Start connecting to each server as a page from this origin would."""
    context.cast.try_everywhere(name, options=context.cast.options.but(origin=origin))


@when("{name:Name} tries to connect to every node without trusting its certificate")
@when("{name:Name} tries to connect to every server without trusting its certificate")
def step_tries_everywhere_untrusting(context: Context, name: str) -> None:
    """Start connecting to each server trusting no certificate authority at all."""
    context.cast.try_everywhere(name, options=context.cast.options.but(trusts_no_one=True))


@then("every node turns {name:Name} away with HTTP {status:d}")
@then("every server turns {name:Name} away with HTTP {status:d}")
def step_every_node_turns_away(context: Context, name: str, status: int) -> None:
    """Each server refused the person's opening handshake with this HTTP status."""
    _every_node(context, name, f"turned {name} away with HTTP {status}", _refused_with(status))


@then("no node lets {name:Name} in with a certificate {pronoun:w} does not trust")
@then("no server lets {name:Name} in with a certificate {pronoun:w} does not trust")
def step_no_node_untrusted(context: Context, name: str, pronoun: str) -> None:
    """Each server's certificate failed to verify, so no connection opened."""
    _every_node(context, name, "refused as untrusted", _untrusted)


@when("a monitor asks every node whether it is healthy")
@when("a monitor asks every server whether it is healthy")
@when("a monitor asks the server whether it is healthy")
def step_monitor_asks_every_node(context: Context) -> None:
    """Ask each server's declared health check, without a token, as a load balancer would."""
    context.health = ask_every_node(
        context.target, current().health_check, context.cast.options, timeout=settings.timing().wait
    )


@then("every node answers that it is healthy")
@then("every server answers that it is healthy")
@then("the server answers that it is healthy")
def step_every_node_healthy(context: Context) -> None:
    """Each server's health check answered 200."""
    assert_every_node_healthy(context.health)


def _every_node(context: Context, name: str, promise: str, problem: Problem) -> None:
    """Fail naming every server where ``problem`` finds one, or fails itself."""
    problems = []
    for index, person in enumerate(context.cast.everywhere(name)):
        try:
            found = problem(person)
        except AssertionError as error:
            found = str(error)
        if found is not None:
            problems.append(f"{context.target.node_name(index)}: {found}")
    if problems:
        raise AssertionError(f"not every server {promise}:\n  " + "\n  ".join(problems))


def _refused_with(status: int) -> Problem:
    def problem(person: Participant) -> str | None:
        got = person.refused_status()
        return None if got == status else f"turned {person.name} away with HTTP {got}"

    return problem


def _untrusted(person: Participant) -> str | None:
    refusal = person.refusal()
    return None if UNTRUSTED_CERTIFICATE in refusal else f"refused for another reason: {refusal}"
