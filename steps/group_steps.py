# mypy: disable-error-code="untyped-decorator"
# (behave's step decorators carry no types; the step functions are typed.)
"""Steps for group chat: creating, joining and posting to groups.

Group names in feature text are made unique to the scenario before they go on
the wire (see :class:`acceptance.cast.UniqueNames`).
"""

from behave import given, then, when
from behave.runner import Context

import acceptance.step_types  # noqa: F401
from acceptance import chat


@when('{name:Name} creates the group "{group}"')
def step_creates_group(context: Context, name: str, group: str) -> None:
    """Ask to create a group; the reply is checked by a Then step."""
    context.cast[name].request(chat.create_group(context.cast.names(group)))


@when('{name:Name} joins the group "{group}"')
def step_joins_group(context: Context, name: str, group: str) -> None:
    """Ask to join a group; the reply is checked by a Then step."""
    context.cast[name].request(chat.join_group(context.cast.names(group)))


@when('{name:Name} posts "{message}" to "{group}"')
def step_posts(context: Context, name: str, message: str, group: str) -> None:
    """Send a message to a group."""
    context.cast[name].request(chat.message_group(context.cast.names(group), message))


@given('{name:Name} has created the group "{group}"')
def step_has_created_group(context: Context, name: str, group: str) -> None:
    """Create a group and wait for the confirmation."""
    step_creates_group(context, name, group)
    step_told_created(context, name, group)


@given('{name:Name} has joined the group "{group}"')
def step_has_joined_group(context: Context, name: str, group: str) -> None:
    """Join a group and wait for the confirmation."""
    step_joins_group(context, name, group)
    step_told_joined(context, name, "they", group)


@then('{name:Name} is told the group "{group}" was created')
def step_told_created(context: Context, name: str, group: str) -> None:
    """The server confirms the new group; its creator is now in it."""
    context.cast[name].hear(chat.group_created(context.cast.names(group)))
    context.cast.join(name, group)


@then('{name:Name} is told {pronoun:w} has joined "{group}"')
def step_told_joined(context: Context, name: str, pronoun: str, group: str) -> None:
    """The server confirms that the person is now in the group."""
    context.cast[name].hear(chat.group_joined(context.cast.names(group)))
    context.cast.join(name, group)


@then('{name:Name} is told the group "{group}" is unavailable')
def step_told_unavailable(context: Context, name: str, group: str) -> None:
    """The server refuses: the name is taken (create) or unknown (join)."""
    context.cast[name].hear(chat.group_unavailable(context.cast.names(group)))


@given('{name:Name} has been refused the group "{group}"')
def step_has_been_refused(context: Context, name: str, group: str) -> None:
    """Try to create a group whose name is taken, and be told it is unavailable."""
    step_creates_group(context, name, group)
    step_told_unavailable(context, name, group)
