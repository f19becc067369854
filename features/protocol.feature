@protocol
Feature: The wire protocol, message by message
  As a developer writing a client for the chat server
  I want to see the exact frames that go over the wire
  So that my client sends and expects the same bytes

  This feature and the one on bad input spell out the frames; they are the
  low-level features, both tagged @protocol. Requests are JSON objects with a
  "type" and a "value", and replies are plain text.

  Background:
    Given Alice is connected

  @core
  Scenario: An echo request in JSON
    When Alice sends this JSON:
      """
      {"type": "ECHO", "value": "ping"}
      """
    Then Alice receives exactly these messages, in order:
      | message |
      | ping    |

  @core
  Scenario: A request sent as raw text
    When Alice sends the text "{"type": "ECHO_TIMES_3", "value": "raw"}"
    Then Alice receives exactly these messages, in order:
      | message |
      | raw     |
      | raw     |
      | raw     |

  @core
  Scenario: Group replies name the group
    When Alice sends this JSON:
      """
      {"type": "CREATE_GROUP", "value": "book club"}
      """
    And Alice sends this JSON:
      """
      {"type": "MESSAGE_GROUP", "value": {"groupName": "book club", "groupMessage": "hi"}}
      """
    Then Alice receives exactly these messages, in order:
      | message                    |
      | GROUP_CREATED: book club   |
      | hi                         |

  @core
  Scenario: Echoed JSON can be checked by the parts that matter
    When Alice asks for an echo of "{"event": "joined", "who": {"name": "Alice"}, "seats": 3}"
    Then Alice receives a JSON message containing:
      """
      {"who": {"name": "Alice"}, "seats": 3}
      """

  @core
  Scenario: Keys other than "type" and "value" are ignored
    When Alice sends this JSON:
      """
      {"type": "ECHO", "value": "ping", "id": 42, "sentAt": "2024-05-01T12:00:00Z"}
      """
    Then Alice receives exactly these messages, in order:
      | message |
      | ping    |

  Scenario: A value sent with LEAVE_GROUP is ignored
    Given Alice has created the group "book club"
    When Alice sends this JSON:
      """
      {"type": "LEAVE_GROUP", "value": "bye"}
      """
    Then Alice receives exactly these messages, in order:
      | message               |
      | GROUP_LEFT: book club |

  Scenario: Closing a connection is answered with the normal close code
    When Alice disconnects
    Then Alice's connection is closed with code 1000
