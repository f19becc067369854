"""``python -m server``: run the chat server until SIGINT or SIGTERM."""

from server.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
