Feature: Echo
  As a developer wiring a new client to the chat server
  I want the server to say my words straight back to me
  So that I can see a message make the whole round trip

  Background:
    Given Alice is connected

  @core
  Scenario: A message comes back to its sender
    When Alice asks for an echo of "Is anybody out there?"
    Then Alice hears "Is anybody out there?"
    And Alice hears nothing else

  @core
  Scenario: An echo reaches only its sender
    Given Bob is connected
    When Alice asks for an echo of "Just between us"
    Then Alice hears "Just between us"
    And Bob hears nothing

  @core
  Scenario Outline: A triple echo repeats the message exactly three times
    When Alice asks for a triple echo of "<words>"
    Then Alice hears "<words>" 3 times
    And Alice hears nothing else

    Examples:
      | words                 |
      | Hip hip hooray        |
      | Grüße aus Köln 👋     |
      | {"not": "a request"}  |

  @core
  Scenario: Echoes come back in the order they were asked for
    When Alice asks for an echo of "first"
    And Alice asks for an echo of "second"
    Then Alice receives exactly these messages, in order:
      | message |
      | first   |
      | second  |
