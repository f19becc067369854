Feature: Each reply names the request it answers
  As a client developer with several requests under way at once
  I want each reply to carry the reference I gave its request
  So that my client knows which request succeeded and which one failed

  Scenario: Replies carry their requests' references
    Given Alice is connected
    When Alice sends a subscribe with topic "prices" and ref "first"
    And Alice sends an unsubscribe with topic "news" and ref "second"
    Then Alice receives a subscribe confirmation with topic "prices" and ref "first"
    And Alice receives an error with reason "not subscribed to 'news'" and ref "second"

  Scenario: A ping is answered with a pong carrying its reference
    Given Alice is connected
    When Alice sends a ping with ref "are you there?"
    Then Alice receives a pong with ref "are you there?"
    And Alice receives nothing else
