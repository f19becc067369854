@load
Feature: Announcements to a packed group
  As the host of a large online event
  I want one announcement to reach everyone in a crowded group
  So that nobody in the audience misses it

  The crowd is 1,000 people, each on a connection of their own; a run makes
  it bigger with -D load_clients=5000. The everyday run leaves this feature
  out: select it with --tags=@load.

  Background:
    Given Alice is connected

  Scenario: Everyone in a packed group hears the host's announcement
    Given Alice has created the group "town hall"
    And a crowd has joined the group "town hall"
    When Alice posts "Doors open in five minutes" to "town hall"
    Then everyone in "town hall" hears "Doors open in five minutes"
    And nobody hears anything else
