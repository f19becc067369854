# mypy: disable-error-code="untyped-decorator"
# (behave's step decorators carry no types; the step functions are typed.)
"""Steps for group chat: creating, joining and posting to groups (whose names the
driver makes unique and spells out: :class:`acceptance.chat.GroupNames`), and the
``@load`` feature's crowd, as many people as ``-D load_clients=N`` says (default 1,000)."""

from behave import given, then, when
from behave.runner import Context

import wsharness.bdd.step_types  # noqa: F401


@when('{name:Name} creates the group "{group}"')
def step_creates_group(context: Context, name: str, group: str) -> None:
    """Ask to create a group; the reply is checked by a Then step. In any group name,
    ``<zero-width space>`` (a Unicode name) or ``<U+200B>`` stands for that character."""
    context.cast.create_group(name, group)


@when('{name:Name} joins the group "{group}" again')
@when('{name:Name} joins the group "{group}"')
def step_joins_group(context: Context, name: str, group: str) -> None:
    """Ask to join a group; the reply is checked by a Then step."""
    context.cast.join_group(name, group)


@when('{name:Name} posts "{message}" to "{group}"')
def step_posts(context: Context, name: str, message: str, group: str) -> None:
    """Send a message to a group."""
    context.cast.post(name, message, group)


@given('{name:Name} has created the group "{group}"')
def step_has_created_group(context: Context, name: str, group: str) -> None:
    """Create a group and wait for the confirmation."""
    context.cast.has_created(name, group)


@given('{name:Name} has joined the group "{group}" again')
@given('{name:Name} has joined the group "{group}"')
def step_has_joined_group(context: Context, name: str, group: str) -> None:
    """Join a group and wait for the confirmation."""
    context.cast.has_joined(name, group)


@then('{name:Name} is told the group "{group}" was created')
def step_told_created(context: Context, name: str, group: str) -> None:
    """The server confirms the new group; its creator is now in it."""
    context.cast.told_created(name, group)


@then('{name:Name} is told {pronoun:w} has joined "{group}"')
def step_told_joined(context: Context, name: str, pronoun: str, group: str) -> None:
    """The server confirms that the person is now in the group."""
    context.cast.told_joined(name, group)


@then('{name:Name} is told the group "{group}" is unavailable')
def step_told_unavailable(context: Context, name: str, group: str) -> None:
    """The server refuses: the name is taken (create) or unknown (join)."""
    context.cast.told_unavailable(name, group)


@given('{name:Name} has been refused the group "{group}"')
def step_has_been_refused(context: Context, name: str, group: str) -> None:
    """Try to create a group whose name is taken, and be told it is unavailable."""
    context.cast.has_been_refused(name, group)


@when("{name:Name} leaves {pronoun:w} group")
def step_leaves_group(context: Context, name: str, pronoun: str) -> None:
    """Ask to leave the group one is in; the reply is checked by a Then step."""
    context.cast.leave_group(name)


@given("{name:Name} has left {pronoun:w} group")
def step_has_left_group(context: Context, name: str, pronoun: str) -> None:
    """Leave one's group and wait for the confirmation."""
    context.cast.has_left(name)


@then('{name:Name} is told {pronoun:w} has left "{group}"')
def step_told_left(context: Context, name: str, pronoun: str, group: str) -> None:
    """The server confirms that the person is no longer in the group."""
    context.cast.told_left(name, group)


@then('{name:Name} is told {pronoun:w} is not a member of "{group}"')
def step_told_not_member(context: Context, name: str, pronoun: str, group: str) -> None:
    """A post to a group one is not in is refused, and the sender is told."""
    context.cast.told_not_a_member(name, group)


@then('{name:Name} can soon create the group "{group}"')
def step_can_soon_create(context: Context, name: str, group: str) -> None:
    """The name becomes free: creating it succeeds within the timeout."""
    context.cast.create_group_once_free(name, group)


@when("{name:Name} creates a group with a {length:d}-character name")
def step_creates_long_named_group(context: Context, name: str, length: int) -> None:
    """Ask to create a group whose (unique) name has exactly this many characters."""
    context.cast.create_sized_group(name, length)


@then("{name:Name} is told that group was created")
def step_told_sized_group_created(context: Context, name: str) -> None:
    """The server confirms the group made by the step before."""
    context.cast.told_sized_group_created(name)


@given('a crowd has joined the group "{group}"')
def step_crowd_joined(context: Context, group: str) -> None:
    """Connect the crowd and have every one of them join the group."""
    context.cast.gather_crowd(group, context.config.userdata)
