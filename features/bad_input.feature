@protocol
Feature: Bad input gets a clear answer
  As a developer whose client sends something the server cannot use
  I want to be told exactly what is wrong, on a connection that stays open
  So that I can fix my client without guessing, and nobody else is disturbed

  Every refusal is one text reply, "ERROR: " followed by the reason.

  What these scenarios send is outside the chat's contract (docs/asyncapi.yaml) on
  purpose, so they are tagged @breaks-contract; the replies they get are in it.

  Background:
    Given Alice and Bob are connected

  Scenario Outline: A malformed request is answered with its reason
    When Alice sends the text "<request>"
    Then Alice is told "<reason>"
    And Alice can still chat
    And Bob hears nothing

    @breaks-contract
    Examples: Not a request at all
      | request   | reason                                                                             |
      | hello     | message is not valid JSON (Expecting value: line 1 column 1 (char 0))              |
      | {"type":  | message is not valid JSON (Expecting value: line 1 column 9 (char 8))              |
      | [1, 2, 3] | message must be a JSON object like {"type": "ECHO", "value": "hi"}, not a list     |
      | 42        | message must be a JSON object like {"type": "ECHO", "value": "hi"}, not a number   |
      | null      | message must be a JSON object like {"type": "ECHO", "value": "hi"}, not null       |
      | true      | message must be a JSON object like {"type": "ECHO", "value": "hi"}, not true/false |

    @breaks-contract
    Examples: No usable type
      | request                          | reason                                                                                                      |
      | {"value": "hi"}                  | message has no "type"                                                                                       |
      | {"type": 1, "value": "hi"}       | "type" must be a string, not a number                                                                       |
      | {"type": "SHOUT", "value": "hi"} | unknown type 'SHOUT'; known types: ECHO, ECHO_TIMES_3, CREATE_GROUP, JOIN_GROUP, LEAVE_GROUP, MESSAGE_GROUP |

    @breaks-contract
    Examples: An unknown type too long to quote whole, cut to 40 characters
      | request                                                        | reason                                                                                                                                         |
      | {"type": "SHOUTSHOUTSHOUTSHOUTSHOUTSHOUTSHOUTSHOUTSHOUTSHOUT"} | unknown type 'SHOUTSHOUTSHOUTSHOUTSHOUTSHOUTSHOUTSH...'; known types: ECHO, ECHO_TIMES_3, CREATE_GROUP, JOIN_GROUP, LEAVE_GROUP, MESSAGE_GROUP |

    @breaks-contract
    Examples: A value of the wrong shape
      | request                                                                    | reason                                                                                    |
      | {"type": "ECHO"}                                                           | ECHO needs a "value"                                                                      |
      | {"type": "ECHO", "value": 3}                                               | ECHO "value" must be a string, not a number                                               |
      | {"type": "ECHO_TIMES_3", "value": ["a"]}                                   | ECHO_TIMES_3 "value" must be a string, not a list                                         |
      | {"type": "CREATE_GROUP", "value": {"name": "x"}}                           | CREATE_GROUP "value" must be a string, not an object                                      |
      | {"type": "JOIN_GROUP", "value": null}                                      | JOIN_GROUP "value" must be a string, not null                                             |
      | {"type": "CREATE_GROUP", "value": "   "}                                   | group name must not be blank                                                              |
      | {"type": "MESSAGE_GROUP", "value": "hi"}                                   | MESSAGE_GROUP "value" must be an object with "groupName" and "groupMessage", not a string |
      | {"type": "MESSAGE_GROUP", "value": {"groupName": "g"}}                     | MESSAGE_GROUP "value" has no "groupMessage"                                               |
      | {"type": "MESSAGE_GROUP", "value": {"groupMessage": "hi"}}                 | MESSAGE_GROUP "value" has no "groupName"                                                  |
      | {"type": "MESSAGE_GROUP", "value": {"groupName": "g", "groupMessage": 5}}  | MESSAGE_GROUP "groupMessage" must be a string, not a number                               |
      | {"type": "MESSAGE_GROUP", "value": {"groupName": 5, "groupMessage": "hi"}} | MESSAGE_GROUP "groupName" must be a string, not a number                                  |

    Examples: Half of a surrogate pair, spelled with a JSON escape, is not Unicode
      | request                                                                          | reason                                                                                             |
      | {"type": "ECHO", "value": "\ud800"}                                              | ECHO "value" contains an unpaired surrogate ('\ud800'), which is not valid Unicode                 |
      | {"type": "MESSAGE_GROUP", "value": {"groupName": "g", "groupMessage": "\udc00"}} | MESSAGE_GROUP "groupMessage" contains an unpaired surrogate ('\udc00'), which is not valid Unicode |

  @breaks-contract
  Scenario Outline: An empty or blank message is answered
    When Alice sends <nothing>
    Then Alice is told "message is empty; send a JSON object"
    And Alice can still chat

    Examples:
      | nothing                       |
      | an empty message              |
      | a message of only white space |

  @breaks-contract
  Scenario: A refusal is one reply, to the sender alone
    When Alice sends the text "hello"
    Then Alice is told "message is not valid JSON (Expecting value: line 1 column 1 (char 0))"
    And nobody hears anything else

  @breaks-contract
  Scenario: Absurdly nested JSON is answered, not choked on
    When Alice sends JSON nested 100000 levels deep
    Then Alice is told "message is nested too deeply"
    And Alice and Bob can still chat

  @breaks-contract
  Scenario: Binary messages are refused
    When Alice sends the binary message "{"type": "ECHO", "value": "hi"}"
    Then Alice is told "binary frames are not supported; send JSON as text"
    And Alice can still chat

  Scenario: An empty group name is refused
    When Alice sends the text "{"type": "CREATE_GROUP", "value": ""}"
    Then Alice is told "group name must not be blank"

  Scenario: A group name over 100 characters is refused
    When Alice creates a group with a 101-character name
    Then Alice is told "group name is longer than 100 characters"

  Scenario: A group name of exactly 100 characters is fine
    When Alice creates a group with a 100-character name
    Then Alice is told that group was created

  Scenario: A message of exactly the size limit is fine
    When Alice asks for an echo of a message of exactly 1 MiB
    Then Alice hears that message echoed back

  @breaks-contract
  Scenario: A message over the size limit closes that connection only
    When Alice sends a message one byte over 1 MiB
    Then Alice's connection is closed with code 1009
    And Bob can still chat

  @breaks-contract
  Scenario: Text that is not UTF-8 closes that connection only
    When Alice sends text that is not valid UTF-8
    Then Alice's connection is closed with code 1007
    And Bob can still chat
