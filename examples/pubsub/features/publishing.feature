Feature: Publishing to a topic
  As a trader watching prices
  I want every subscriber of a topic to get each message published there, once
  So that no price is missed and none is counted twice

  Scenario: A subscriber gets a message once, with the id its publisher was given
    Given Alice and Bob are connected
    When Bob sends a subscribe with topic "prices"
    Then Bob receives a subscribe confirmation with topic "prices"
    When Alice sends a publish with topic "prices" and data "ACME 191.20"
    Then Alice receives a publish receipt with topic "prices"
    And Alice notes the `id` of that message as tick
    And Bob receives a message with topic "prices", id "{tick}" and data "ACME 191.20"
    And nobody receives anything else

  Scenario: Messages arrive in the order they were published
    Given Alice and Bob are connected
    When Bob sends a subscribe with topic "prices"
    Then Bob receives a subscribe confirmation with topic "prices"
    When Alice sends a publish with topic "prices" and data "ACME 191.20"
    And Alice sends a publish with topic "prices" and data "ACME 191.25"
    Then Alice receives 1 message
    And Alice notes the `id` of that message as first
    And Alice receives 1 message
    And Alice notes the `id` of that message as second
    And Bob receives these messages, in order:
      | topic  | id       | data        |
      | prices | {first}  | ACME 191.20 |
      | prices | {second} | ACME 191.25 |

  Scenario: A publisher subscribed to its own topic gets its own message
    Given Carol is connected
    When Carol sends a subscribe with topic "prices"
    And Carol sends a publish with topic "prices" and data "ACME 191.30"
    Then Carol receives a message with topic "prices" and data "ACME 191.30"

  Scenario: Nobody else hears a topic they did not subscribe to
    Given Alice and Bob are connected
    When Alice sends a publish with topic "prices" and data "ACME 191.35"
    Then Alice receives a publish receipt with topic "prices"
    And Bob receives nothing
