# mypy: disable-error-code="untyped-decorator"
# (behave's step decorators carry no types; the step functions are typed.)
"""Steps for a server that strangers can reach: its own site, slow readers and floods
(tokens, origins, TLS and health are :mod:`wsharness.bdd.deployment_steps`)."""

from behave import given, then, when
from behave.runner import Context

import wsharness.bdd.step_types  # noqa: F401


@given("{name:Name} is connected from the chat's own site")
def step_connected_from_own_site(context: Context, name: str) -> None:
    """Connect as a page of the site the target allows (its declared origin)."""
    context.cast.connect_from_site(name, context.target.options.origin)


@given("{name:Name} has stopped reading")
def step_stopped_reading(context: Context, name: str) -> None:
    """The person's client stops reading its socket, as a hung or overloaded app would."""
    context.cast.stop_reading(name)


@when('{name:Name} posts {count:d} messages of {size:d} KB to "{group}"')
def step_posts_many(context: Context, name: str, count: int, size: int, group: str) -> None:
    """Send that many different posts of that size, at the pace the readers keep up with."""
    context.cast.post_many(name, group, count, size)


@then("{names:Names} hear every one of those messages")
def step_hear_every_post(context: Context, names: list[str]) -> None:
    """Each person hears each of the posts once."""
    context.cast.take_every_post(names)


@then("{name:Name} was cut off before the end of them")
def step_cut_off(context: Context, name: str) -> None:
    """The server closed the slow reader's connection before sending everything."""
    context.cast.was_cut_off(name)


@when("{name:Name} floods the server with {count:d} triple echoes")
def step_floods(context: Context, name: str, count: int) -> None:
    """Send that many triple-echo requests in one burst, without waiting for replies."""
    context.cast.flood(name, count)


@then("{name:Name} hears every reply to the flood")
def step_hears_the_flood(context: Context, name: str) -> None:
    """The flooder still gets all three copies of every request."""
    context.cast.take_flood_replies(name)
