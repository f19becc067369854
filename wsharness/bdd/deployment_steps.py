# mypy: disable-error-code="untyped-decorator"
# (behave's step decorators carry no types; the step functions are typed.)
"""Steps that check a deployment's promises on every one of its servers.

The promises come from the run's target (:mod:`wsharness.bdd.target`); a ``@promise.*``
scenario is skipped, saying why, when the target does not declare its promise. A
failure names every server that broke it.
"""

from behave import then, when
from behave.runner import Context

import wsharness.bdd.step_types  # noqa: F401  (registers {name:Name})
from wsharness.bdd.setup import current


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
    context.cast.assert_turned_away_everywhere(name, status, context.target)


@then("no node lets {name:Name} in with a certificate {pronoun:w} does not trust")
@then("no server lets {name:Name} in with a certificate {pronoun:w} does not trust")
def step_no_node_untrusted(context: Context, name: str, pronoun: str) -> None:
    """Each server's certificate failed to verify, so no connection opened."""
    context.cast.assert_untrusted_everywhere(name, context.target)


@when("a monitor asks every node whether it is healthy")
@when("a monitor asks every server whether it is healthy")
@when("a monitor asks the server whether it is healthy")
def step_monitor_asks_every_node(context: Context) -> None:
    """Ask each server's declared health check, without a token, as a load balancer would."""
    context.cast.ask_health(context.target, current().health_check)


@then("every node answers that it is healthy")
@then("every server answers that it is healthy")
@then("the server answers that it is healthy")
def step_every_node_healthy(context: Context) -> None:
    """Each server's health check answered 200."""
    context.cast.assert_healthy()
