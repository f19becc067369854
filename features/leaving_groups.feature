Feature: Leaving groups
  As someone in a group chat
  I want to leave a group when I am done, and have empty groups cleared away
  So that I hear no more of it and its name can be used again

  Background:
    Given Alice, Bob and Carol are connected

  Scenario: Leaving a group is confirmed
    Given Alice has created the group "book club"
    When Alice leaves her group
    Then Alice is told she has left "book club"

  Scenario: Someone who left hears no more of the group
    Given Alice has created the group "book club"
    And Bob has joined the group "book club"
    And Bob has left his group
    When Alice posts "Still there, Bob?" to "book club"
    Then Bob hears nothing

  Scenario: Leaving when in no group is refused
    When Carol leaves her group
    Then Carol is told "you are not in a group"

  Scenario: The last member leaving frees the group's name
    Given Alice has created the group "book club"
    And Alice has left her group
    When Bob creates the group "book club"
    Then Bob is told the group "book club" was created

  Scenario: The last member disconnecting frees the group's name
    Given Alice has created the group "book club"
    When Alice disconnects
    Then Bob can soon create the group "book club"

  Scenario: The last member's connection dropping frees the group's name
    Given Alice has created the group "book club"
    When Alice loses the connection
    Then Bob can soon create the group "book club"

  Scenario: A member whose connection drops hears no more, and the others carry on
    Given Alice has created the group "book club"
    And Bob has joined the group "book club"
    When Bob loses the connection
    And Alice posts "Bob?" to "book club"
    Then Alice hears "Bob?"

  Scenario: Posting to a group one is not in is refused
    Given Alice has created the group "book club"
    When Carol posts "Can I come?" to "book club"
    Then Carol is told she is not a member of "book club"
    And Alice hears nothing
