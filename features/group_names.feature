Feature: Group names cannot be spoofed
  As someone choosing which group to join
  I want two groups never to look alike, and one name to be one group however it is typed
  So that nobody can pass off a lookalike group as the one I mean

  This goes beyond the article's protocol, which takes any name as it comes.

  A name in angle brackets stands for that one character, by its Unicode name:
  "book<zero-width space>club" looks like "bookclub" but has an invisible
  character in the middle. "café" is written here with "é" as one character;
  "cafe<combining acute accent>" is the same word typed as "e" followed by an
  accent, as some keyboards and systems produce it. Both look the same.

  Background:
    Given Alice, Bob and Carol are connected

  Scenario Outline: A name with an invisible or control character is refused
    When Alice creates the group "<name>"
    Then Alice is told "group name contains an invisible or control character (<character>)"
    And Alice can still chat

    Examples:
      | name                             | character                        |
      | book<zero-width space>club       | U+200B ZERO WIDTH SPACE          |
      | book<null>club                   | U+0000                           |
      | book<line feed>club              | U+000A                           |
      | book<right-to-left override>club | U+202E RIGHT-TO-LEFT OVERRIDE    |
      | <byte order mark>book club       | U+FEFF ZERO WIDTH NO-BREAK SPACE |

  Scenario: A lookalike of a group cannot be joined
    Given Alice has created the group "book club"
    When Bob joins the group "book club<zero-width space>"
    Then Bob is told "group name contains an invisible or control character (U+200B ZERO WIDTH SPACE)"

  Scenario: Posting to a lookalike of a group is refused
    Given Alice has created the group "book club"
    When Alice posts "Anyone there?" to "book<zero-width space> club"
    Then Alice is told "group name contains an invisible or control character (U+200B ZERO WIDTH SPACE)"
    And nobody hears anything else

  Scenario: Two spellings of one name are one group
    Given Alice has created the group "café"
    When Bob joins the group "cafe<combining acute accent>"
    Then Bob is told he has joined "cafe<combining acute accent>"

  Scenario: The other spelling of a taken name is taken
    Given Alice has created the group "café"
    When Bob creates the group "cafe<combining acute accent>"
    Then Bob is told the group "cafe<combining acute accent>" is unavailable

  Scenario: Members who spell the name differently hear each other
    Given Alice has created the group "café"
    And Bob has joined the group "cafe<combining acute accent>"
    When Bob posts "Croissants at nine?" to "cafe<combining acute accent>"
    Then Alice and Bob hear "Croissants at nine?"
    And nobody hears anything else

  Scenario: Leaving names the group as the member wrote it
    Given Alice has created the group "café"
    And Bob has joined the group "cafe<combining acute accent>"
    When Bob leaves his group
    Then Bob is told he has left "cafe<combining acute accent>"
