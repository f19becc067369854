@rate-limited
Feature: Someone who sends too fast is held back, not cut off
  As the team that runs the chat
  I want requests beyond a rate refused one by one, on a connection that stays open
  So that no one person can keep the server busy, and a burst costs its sender only the excess

  The suite starts this feature's own server, which answers at most 20 requests a
  second from one connection (python -m server --max-rate 20); against a deployment
  the feature is skipped.

  Scenario: A burst beyond the rate is answered up to the rate, and the rest refused
    Given Alice is connected
    When Alice asks for 60 echoes in one burst
    Then Alice hears the first 20 echoes, then "too many requests: at most 20 per second; this one was not handled" for most of the rest
