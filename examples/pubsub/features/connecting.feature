Feature: Only clients with the token, speaking pubsub.v1, get in
  As the owner of a price feed
  I want a client to need the token and the protocol version we both speak
  So that nobody reads or writes the feed by accident

  Scenario: A client with the token agrees on pubsub.v1
    When Alice connects
    Then Alice is using the subprotocol "pubsub.v1"

  Scenario: Someone without a token is turned away
    When Mallory tries to connect without a token
    Then Mallory is turned away with HTTP 401

  Scenario: Someone with the wrong token is turned away
    When Mallory tries to connect with the token "let-me-in"
    Then Mallory is turned away with HTTP 401

  Scenario Outline: A client that does not speak pubsub.v1 is turned away
    When Trudy tries to connect <offering>
    Then Trudy is turned away with HTTP 400

    Examples:
      | offering                           |
      | without a subprotocol              |
      | with the subprotocol "pubsub.v0"   |
