@secured
Feature: A chat that strangers can reach
  As the team that runs the chat on the open internet
  I want only invited people, on our own site's pages, to get in, and no one
  person to be able to hurt the others
  So that a stranger can neither read a group nor disturb it

  Against a deployment, this feature checks the promises its settings declare, on
  every node: a token given means one is required; an origin given means pages of
  other sites are refused; wss:// means the certificate must be trusted; and the
  health check answers without a token. A promise not declared is skipped, saying
  why. Without a deployment, the suite starts this feature's own server the way
  such a deployment runs it: over TLS with a throwaway certificate, with a file of
  tokens, letting in pages from https://chat.example only, and cutting off a
  member who falls 1 MB behind. Everyone in these scenarios trusts its
  certificate, presents a valid token and comes from the chat's own site, unless
  a step says otherwise.

  Scenario: Someone with a valid token gets in
    Given Alice is connected
    Then Alice can still chat

  @promise.token
  Scenario Outline: Mallory, without a valid token, is turned away everywhere
    When Mallory tries to connect to every node <how>
    Then every node turns Mallory away with HTTP 401

    Examples:
      | how                    |
      | without a token        |
      | with the token "guess" |

  @promise.token
  Scenario: A page in a browser sends its token in the address
    Given Alice is connected with the token in the address
    Then Alice can still chat

  @promise.origin
  Scenario: A page on another site cannot open a chat anywhere
    When Mallory tries to connect to every node from the origin "https://evil.example"
    Then every node turns Mallory away with HTTP 403

  @promise.origin
  Scenario: A page on the chat's own site can
    Given Alice is connected from the chat's own site
    Then Alice can still chat

  @promise.tls
  Scenario: Nobody talks to an impostor: an untrusted certificate is refused
    When Mallory tries to connect to every node without trusting its certificate
    Then no node lets Mallory in with a certificate she does not trust

  @promise.health
  Scenario: A monitor without a token learns that every node is healthy
    When a monitor asks every node whether it is healthy
    Then every node answers that it is healthy

  @own-server
  Scenario: A member who stops reading is cut off, and the group carries on
    Given Alice, Bob and Dave are connected
    And Alice has created the group "book club"
    And Bob has joined the group "book club"
    And Dave has joined the group "book club"
    And Dave has stopped reading
    When Alice posts 1600 messages of 8 KB to "book club"
    Then Alice and Bob hear every one of those messages
    And Dave was cut off before the end of them
    And Alice and Bob can still chat

  # How long the others wait during a flood is a figure, not a sentence: python -m bench
  # measures it, and tests/test_security_load.py holds it to a bound (README, "A server
  # strangers can reach"). This scenario states what holds whatever the timing.
  @own-server
  Scenario: During a flood from one person, the others are still answered
    Given Alice and Mallory are connected
    When Mallory floods the server with 10000 triple echoes
    And Alice asks for an echo of "still there?"
    Then Alice hears "still there?"
    And Mallory hears every reply to the flood
    And nobody hears anything else
