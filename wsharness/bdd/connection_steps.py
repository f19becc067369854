# mypy: disable-error-code="untyped-decorator"
# (behave's step decorators carry no types; the step functions are typed.)
"""Steps that connect people, turn them away, and close their connections, with the
run's connection options (:mod:`wsharness.bdd.options`) or, where a step names a token,
subprotocol, header or origin, that person's own.
"""

from behave import given, then, when
from behave.runner import Context
from hamcrest import assert_that, equal_to

from wsharness.bdd.step_types import server_number  # registers {name:Name} and {names:Names} too


@given("{names:Names} is connected")
@given("{names:Names} are connected")
@when("{names:Names} connects")
@when("{names:Names} connect")
def step_connected(context: Context, names: list[str]) -> None:
    """Open a connection for each person and wait until every one is open."""
    context.cast.connect(names)


@given('{name:Name} is connected with the token "{token}"')
@when('{name:Name} connects with the token "{token}"')
def step_connected_with_token(context: Context, name: str, token: str) -> None:
    """Connect presenting this bearer token instead of the run's."""
    context.cast.connect(
        [name], options=context.cast.options.but(auth_token=context.cast.fill(token))
    )


@given('{name:Name} is connected with the token "{token}" in the address')
@when('{name:Name} connects with the token "{token}" in the address')
def step_connected_with_token_in_url(context: Context, name: str, token: str) -> None:
    """Connect with this token as ``?token=`` in the URL, as a browser page must."""
    options = context.cast.options.but(auth_token=context.cast.fill(token), token_in_url=True)
    context.cast.connect([name], options=options)


@given("{name:Name} is connected with the token in the address")
@when("{name:Name} connects with the token in the address")
def step_connected_with_run_token_in_url(context: Context, name: str) -> None:
    """Connect with the run's token as ``?token=`` in the URL, as a browser page must."""
    context.cast.connect([name], options=context.cast.options.but(token_in_url=True))


@given('{name:Name} is connected with the subprotocol "{subprotocol}"')
@when('{name:Name} connects with the subprotocol "{subprotocol}"')
def step_connected_with_subprotocol(context: Context, name: str, subprotocol: str) -> None:
    """Connect offering only this subprotocol."""
    context.cast.connect([name], options=context.cast.options.but(subprotocols=(subprotocol,)))


@given('{name:Name} is connected with the header "{header}"')
@when('{name:Name} connects with the header "{header}"')
def step_connected_with_header(context: Context, name: str, header: str) -> None:
    """Connect sending one more handshake header, written "Name: value"."""
    context.cast.connect(
        [name], options=context.cast.options.with_header(context.cast.fill(header))
    )


@given('{name:Name} is connected from the origin "{origin}"')
@when('{name:Name} connects from the origin "{origin}"')
def step_connected_from_origin(context: Context, name: str, origin: str) -> None:
    """Connect as a page from this origin would (its ``Origin`` header)."""
    context.cast.connect([name], options=context.cast.options.but(origin=origin))


@given("{name:Name} is connected to the {ordinal:w} server")
@given("{name:Name} is connected to the {ordinal:w} node")
def step_connected_to_node(context: Context, name: str, ordinal: str) -> None:
    """Connect to one server of the suite's several ("the second node")."""
    context.cast.place(name, server_number(ordinal))
    context.cast.connect([name])


@when("{name:Name} tries to connect")
def step_tries_to_connect(context: Context, name: str) -> None:
    """Start connecting; a Then step says whether the server let the person in."""
    context.cast.start_connecting(name)


@when("{name:Name} tries to connect without a token")
def step_tries_without_token(context: Context, name: str) -> None:
    """Start connecting with no bearer token at all."""
    context.cast.start_connecting(name, options=context.cast.options.but(auth_token=None))


@when('{name:Name} tries to connect with the token "{token}"')
def step_tries_with_token(context: Context, name: str, token: str) -> None:
    """Start connecting with this bearer token."""
    context.cast.start_connecting(
        name, options=context.cast.options.but(auth_token=context.cast.fill(token))
    )


@when('{name:Name} tries to connect with the subprotocol "{subprotocol}"')
def step_tries_with_subprotocol(context: Context, name: str, subprotocol: str) -> None:
    """Start connecting offering only this subprotocol."""
    context.cast.start_connecting(
        name, options=context.cast.options.but(subprotocols=(subprotocol,))
    )


@when("{name:Name} tries to connect without a subprotocol")
def step_tries_without_subprotocol(context: Context, name: str) -> None:
    """Start connecting offering no subprotocol at all."""
    context.cast.start_connecting(name, options=context.cast.options.but(subprotocols=()))


@when('{name:Name} tries to connect from the origin "{origin}"')
def step_tries_from_origin(context: Context, name: str, origin: str) -> None:
    """Start connecting as a page from this origin would."""
    context.cast.start_connecting(name, options=context.cast.options.but(origin=origin))


@then("{name:Name} is turned away with HTTP {status:d}")
def step_turned_away(context: Context, name: str, status: int) -> None:
    """The server refused the opening handshake with this HTTP status."""
    assert_that(context.cast[name].refused_status(), equal_to(status), f"how {name} was refused")


@then('{name:Name} is using the subprotocol "{subprotocol}"')
def step_using_subprotocol(context: Context, name: str, subprotocol: str) -> None:
    """The server agreed on this subprotocol in the handshake."""
    client = context.cast[name].client
    client.wait_until("open")
    assert_that(client.subprotocol, equal_to(subprotocol), f"the subprotocol {name} agreed on")


@when("{name:Name} disconnects")
def step_disconnects(context: Context, name: str) -> None:
    """Close the person's connection politely, with a closing handshake."""
    context.cast.disconnect(name)


@when("{name:Name} loses the connection")
def step_loses_connection(context: Context, name: str) -> None:
    """Cut the person's connection without a closing handshake, like a crash."""
    context.cast.disconnect(name, abruptly=True)


@then("{name:Name}'s connection is closed with code {code:d}")
def step_closed_with_code(context: Context, name: str, code: int) -> None:
    """The server closes the person's connection with this close code."""
    close_code, _reason = context.cast[name].expect_close()
    assert_that(close_code, equal_to(code), f"the close code {name} received")


@then('{name:Name}\'s connection is closed with code {code:d} and the reason "{reason}"')
def step_closed_with_code_and_reason(context: Context, name: str, code: int, reason: str) -> None:
    """The server closes the person's connection with this code and reason."""
    closed = context.cast[name].expect_close()
    assert_that(closed, equal_to((code, reason)), f"the close code and reason {name} received")
