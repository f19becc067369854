@cluster
Feature: One chat across many nodes
  As the team that runs the chat on several servers behind a load balancer
  I want people on different nodes to chat as if they were on one
  So that a node can be added, lost or restarted without anyone noticing

  These scenarios need a cluster: run the suite with -D nodes=3 (it starts Redis
  and three nodes), or point it at yours with -D server_urls=ws://A,ws://B,ws://C.
  People are spread over the nodes in the order they first connect: the first on
  the first node, the second on the second, and so on, round again.
  The ones that take a node or the broker down run only on a cluster the suite
  started itself.

  Scenario: People on different nodes chat as if on one
    Given Alice is connected to the first node
    And Bob is connected to the second node
    And Alice has created the group "book club"
    And Bob has joined the group "book club"
    When Bob posts "hello from the second node" to "book club"
    Then everyone in "book club" hears "hello from the second node"
    And nobody hears anything else

  Scenario: A name taken on one node is taken on every node
    Given Alice is connected to the first node
    And Bob is connected to the second node
    And Alice has created the group "book club"
    When Bob creates the group "book club"
    Then Bob is told the group "book club" is unavailable
    And nobody hears anything else

  Scenario Outline: People on different nodes racing for one name: only one gets it
    Given Alice, Bob and Carol are connected
    When Alice, Bob and Carol create the group "<group>" at the same moment
    Then only one of Alice, Bob and Carol is told the group "<group>" was created
    And nobody hears anything else

    Examples:
      | group      |
      | book club  |
      | chess      |
      | choir      |
      | hiking     |
      | film night |

  @disruptive
  Scenario: When a node goes down, its people drop out of their groups
    Given Alice is connected to the first node
    And Bob is connected to the second node
    And Bob has created the group "book club"
    When the second node goes down
    Then Alice can soon create the group "book club"
    And Alice can still chat

  @disruptive
  Scenario: When the broker restarts, the groups come back
    Given Alice, Bob and Carol are connected
    And Alice has created the group "book club"
    And Bob has joined the group "book club"
    When the broker restarts
    And Carol creates the group "book club"
    And Alice posts "still there?" to "book club"
    Then Carol is told the group "book club" is unavailable
    And everyone in "book club" hears "still there?"
    And nobody hears anything else
