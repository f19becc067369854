Feature: Operating the server
  As the person who deploys and watches the chat server
  I want to ask it whether it is up without speaking WebSocket
  So that a load balancer or a CI stage can wait until it is ready

  Scenario: The server answers a plain health check
    When a monitor asks the server whether it is healthy
    Then the server answers that it is healthy
