Feature: Publishing to a topic
  As a trader watching prices
  I want every subscriber of a topic to get each message published there, once
  So that no price is missed and none is counted twice

  Scenario: A subscriber gets a message once, with the id its publisher was given
    Given Alice and Bob are connected
    When Bob sends this JSON:
      """
      {"op": "subscribe", "topic": "prices"}
      """
    Then Bob receives a JSON message containing:
      """
      {"op": "subscribed", "topic": "prices"}
      """
    When Alice sends this JSON:
      """
      {"op": "publish", "topic": "prices", "data": "ACME 191.20"}
      """
    Then Alice receives a JSON message containing:
      """
      {"op": "published", "topic": "prices"}
      """
    And Alice notes the `id` of that message as tick
    And Bob receives a JSON message containing:
      """
      {"op": "message", "topic": "prices", "id": "{tick}", "data": "ACME 191.20"}
      """
    And nobody receives anything else

  Scenario: Messages arrive in the order they were published
    Given Alice and Bob are connected
    When Bob sends this JSON:
      """
      {"op": "subscribe", "topic": "prices"}
      """
    Then Bob receives a JSON message containing:
      """
      {"op": "subscribed", "topic": "prices"}
      """
    When Alice sends this JSON:
      """
      {"op": "publish", "topic": "prices", "data": "ACME 191.20"}
      """
    And Alice sends this JSON:
      """
      {"op": "publish", "topic": "prices", "data": "ACME 191.25"}
      """
    Then Alice receives 1 message
    And Alice notes the `id` of that message as first
    And Alice receives 1 message
    And Alice notes the `id` of that message as second
    And Bob receives exactly these messages, in order:
      | message                                                                           |
      | {"op": "message", "topic": "prices", "id": "{first}", "data": "ACME 191.20"}  |
      | {"op": "message", "topic": "prices", "id": "{second}", "data": "ACME 191.25"} |

  Scenario: A publisher subscribed to its own topic gets its own message
    Given Carol is connected
    When Carol sends this JSON:
      """
      {"op": "subscribe", "topic": "prices"}
      """
    And Carol sends this JSON:
      """
      {"op": "publish", "topic": "prices", "data": "ACME 191.30"}
      """
    Then Carol receives a JSON message containing:
      """
      {"op": "message", "topic": "prices", "data": "ACME 191.30"}
      """

  Scenario: Nobody else hears a topic they did not subscribe to
    Given Alice and Bob are connected
    When Alice sends this JSON:
      """
      {"op": "publish", "topic": "prices", "data": "ACME 191.35"}
      """
    Then Alice receives a JSON message containing:
      """
      {"op": "published", "topic": "prices"}
      """
    And Bob receives nothing
