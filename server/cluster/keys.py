"""Names in Redis and the format of a post on the wire between nodes.

Every key and channel starts with one prefix (``chat:`` by default), so the
chat can share a Redis database with other data:

=============================  ====================================================
``chat:group:<key>``           set of member ids; the group exists while it is not
                               empty (Redis deletes an empty set)
``chat:node:<node>``           hash member id -> group key: what that node holds
``chat:alive:<node>``          the node's heartbeat, a key that expires
``chat:nodes``                 set of node ids that hold or held members
``chat:posts:<key>``           pub/sub channel of the group's posts
=============================  ====================================================

A group's key is its name in NFC (:class:`server.chat.GroupName`); a member id is
``<node>:<n>``. A post starts with the sending node's id, so that node, which has
delivered it to its own members already, can skip its copy.
"""

from __future__ import annotations

import secrets

NODE_ID_LENGTH = 8


def new_node_id() -> str:
    """A short random id for a node, new at every start (8 hex digits)."""
    return secrets.token_hex(NODE_ID_LENGTH // 2)


class Keys:
    """The Redis key and channel names for one chat, each starting with ``prefix``."""

    def __init__(self, prefix: str = "chat:") -> None:
        self.prefix = prefix
        self.group_prefix = f"{prefix}group:"
        self.node_prefix = f"{prefix}node:"
        self.alive_prefix = f"{prefix}alive:"
        self.nodes = f"{prefix}nodes"
        self.channel_prefix = f"{prefix}posts:".encode()

    def group(self, key: str) -> str:
        return self.group_prefix + key

    def node(self, node_id: str) -> str:
        return self.node_prefix + node_id

    def alive(self, node_id: str) -> str:
        return self.alive_prefix + node_id

    def channel(self, key: str) -> bytes:
        return self.channel_prefix + key.encode()

    def group_of_channel(self, channel: bytes) -> str | None:
        """The key of the group a channel carries posts for, or None for another channel."""
        if not channel.startswith(self.channel_prefix):
            return None
        return channel[len(self.channel_prefix) :].decode()


def encode_post(node_id: str, message: str) -> bytes:
    """A post as published: the sending node's id, then the message in UTF-8."""
    return node_id.encode() + message.encode()


def decode_post(payload: bytes) -> tuple[str, str]:
    """``(sending node id, message)`` from a published post."""
    return payload[:NODE_ID_LENGTH].decode(), payload[NODE_ID_LENGTH:].decode()
