"""Throwaway credentials for a secured server: a CA, a certificate it signed for
127.0.0.1, and a token file, written to a temporary folder.

They let the suite (``features/security.feature``) and the tests run the chat
server as a deployment would, over ``wss://`` with tokens, without a real
certificate. trustme makes the certificates; it is a development requirement,
so a run without it says how to install it.
"""

from __future__ import annotations

import secrets
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

INSTALL_TRUSTME = "pip install -r requirements-dev.txt (trustme makes throwaway certificates)"


@dataclass
class Credentials:
    """Files in ``directory``: ``server.pem``, ``server.key``, ``ca.pem``, ``tokens``."""

    ca: Any
    """The trustme CA."""
    certfile: Path
    keyfile: Path
    ca_file: Path
    token_file: Path
    token: str

    @classmethod
    def create(cls, directory: Path, *, token: str | None = None) -> Credentials:
        """Make a CA and a certificate for 127.0.0.1, and a token file with ``token``
        (a random one by default). Raises RuntimeError, in one line, without trustme."""
        try:
            import trustme
        except ImportError:
            raise RuntimeError(f"trustme is not installed: {INSTALL_TRUSTME}") from None
        ca = trustme.CA()
        cert = ca.issue_cert("127.0.0.1", "localhost")
        certfile, keyfile = directory / "server.pem", directory / "server.key"
        cert.cert_chain_pems[0].write_to_path(str(certfile))
        for pem in cert.cert_chain_pems[1:]:
            pem.write_to_path(str(certfile), append=True)
        cert.private_key_pem.write_to_path(str(keyfile))
        ca_file = directory / "ca.pem"
        ca.cert_pem.write_to_path(str(ca_file))
        token = token or secrets.token_urlsafe(16)
        token_file = directory / "tokens"
        token_file.write_text(f"# who may chat\n{token}\n")
        return cls(ca, certfile, keyfile, ca_file, token_file, token)

    def tls_options(self) -> list[str]:
        """The server's options that serve wss:// with this certificate."""
        return ["--certfile", str(self.certfile), "--keyfile", str(self.keyfile)]

    def client_context(self) -> ssl.SSLContext:
        """A client context that trusts only this CA."""
        return ssl.create_default_context(cafile=str(self.ca_file))
