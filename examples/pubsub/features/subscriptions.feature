Feature: Subscriptions and mistakes
  As a client developer
  I want to stop a subscription, and to be told plainly what I got wrong
  So that my client can recover without reconnecting

  Scenario: After unsubscribing, nothing more arrives
    Given Alice and Bob are connected
    When Bob sends a subscribe with topic "prices"
    And Bob sends an unsubscribe with topic "prices"
    Then Bob receives a subscribe confirmation with topic "prices"
    And Bob receives an unsubscribe confirmation with topic "prices"
    When Alice sends a publish with topic "prices" and data "ACME 191.40"
    Then Alice receives 1 message
    And Bob receives nothing

  @breaks-contract
  Scenario Outline: A mistake is answered with its reason, and the connection stays open
    Given Alice is connected
    When Alice sends the text "<request>"
    Then Alice receives an error with reason "<reason>"
    And Alice receives nothing else

    Examples:
      | request                                | reason                        |
      | hello                                  | not JSON                      |
      | [1, 2]                                 | not a JSON object             |
      | {"op": "shout"}                        | unknown op 'shout'            |
      | {"op": "publish", "data": 1}           | publish needs a topic         |
      | {"op": "publish", "topic": "prices"}   | publish needs data            |
      | {"op": "unsubscribe", "topic": "news"} | not subscribed to 'news'      |

  @breaks-contract
  Scenario: A binary message closes the connection
    Given Alice is connected
    When Alice sends the binary message "ACME 191.45"
    Then Alice's connection is closed with code 1003 and the reason "pubsub.v1 is JSON text"
