Feature: Group chat
  As someone chatting in a group
  I want my messages to reach everyone in my group, and nobody outside it
  So that each conversation stays among the people it is meant for

  Background:
    Given Alice, Bob and Carol are connected

  @core
  Scenario: Creating a group
    When Alice creates the group "book club"
    Then Alice is told the group "book club" was created

  @core
  Scenario: A group name can be taken only once
    Given Alice has created the group "book club"
    When Bob creates the group "book club"
    Then Bob is told the group "book club" is unavailable

  @core
  Scenario: Someone refused a group name is not in that group
    Given Alice has created the group "book club"
    And Bob has been refused the group "book club"
    When Alice posts "Welcome, everyone!" to "book club"
    Then Alice hears "Welcome, everyone!"
    And Bob hears nothing else

  @core
  Scenario: Joining an existing group
    Given Alice has created the group "book club"
    When Bob joins the group "book club"
    Then Bob is told he has joined "book club"

  @core
  Scenario: Joining one's own group again is confirmed again
    Given Alice has created the group "book club"
    When Alice joins the group "book club" again
    Then Alice is told she has joined "book club"

  @core
  Scenario: Joining one's own group again changes nothing
    Given Alice has created the group "book club"
    And Alice has joined the group "book club" again
    When Alice posts "Am I still in?" to "book club"
    Then Alice hears "Am I still in?"
    And nobody hears anything else

  @core
  Scenario: A group that does not exist cannot be joined
    When Carol joins the group "chess club"
    Then Carol is told the group "chess club" is unavailable

  @core
  Scenario: Every member hears a group message exactly once, the sender included
    Given Alice has created the group "book club"
    And Bob has joined the group "book club"
    When Bob posts "Chapter three tonight?" to "book club"
    Then everyone in "book club" hears "Chapter three tonight?"
    And nobody hears anything else

  @core
  Scenario: People outside a group hear none of its messages
    Given Alice has created the group "book club"
    And Bob has joined the group "book club"
    When Alice posts "Members only" to "book club"
    Then everyone in "book club" hears "Members only"
    And Carol hears nothing

  @core
  Scenario: A post from outside a group reaches no one in it
    Given Alice has created the group "book club"
    And Bob has joined the group "book club"
    When Carol posts "Let me in!" to "book club"
    Then Alice and Bob hear nothing

  @core
  Scenario: Joining a second group leaves the first
    Given Alice has created the group "book club"
    And Carol has created the group "chess club"
    And Bob has joined the group "book club"
    And Bob has joined the group "chess club"
    When Alice posts "Is Bob still here?" to "book club"
    Then Bob hears nothing

  @core
  Scenario: Creating a new group leaves the old one
    Given Alice has created the group "book club"
    And Bob has joined the group "book club"
    And Bob has created the group "chess club"
    When Alice posts "Is Bob still here?" to "book club"
    Then Bob hears nothing

  @core
  Scenario: A member who moved on can no longer post to the old group
    Given Alice has created the group "book club"
    And Carol has created the group "chess club"
    And Bob has joined the group "book club"
    And Bob has joined the group "chess club"
    When Bob posts "Still reading?" to "book club"
    Then Alice and Carol hear nothing

  @core
  Scenario: A group lives on after its creator leaves
    Given Alice has created the group "book club"
    And Bob has joined the group "book club"
    And Carol has joined the group "book club"
    When Alice disconnects
    And Bob posts "Carry on without her" to "book club"
    Then everyone in "book club" hears "Carry on without her"

  @core
  Scenario: A group can still be joined after its creator leaves
    Given Alice has created the group "book club"
    And Bob has joined the group "book club"
    When Alice disconnects
    And Carol joins the group "book club"
    Then Carol is told she has joined "book club"
