"""The HTTPS front: ThreadingHTTPServer on 127.0.0.1 with TLS, handing requests to the Core."""

from __future__ import annotations

import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from emulator.core.app import Core


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; Nagle + delayed ACK would add ~40 ms each.
    disable_nagle_algorithm = True
    # Idle keep-alive connections of discarded SDK clients end after this many seconds.
    timeout = 30
    server: _Server

    def setup(self) -> None:
        # The handshake runs here, on the connection's thread, not in the accept loop.
        self.request.do_handshake()
        super().setup()

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        headers = {k: v for k, v in self.headers.items()}
        status, out_headers, payload = self.server.core.dispatch(
            self.command, self.path, headers, raw
        )
        self.send_response(status)
        for key, value in out_headers.items():
            self.send_header(key, value)
        self.end_headers()
        if payload and self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_PUT = do_POST = do_PATCH = do_DELETE = do_HEAD = _serve

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default stderr access log (the Core keeps a request log)."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, core: Core, context: ssl.SSLContext) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.core = core
        self.socket = context.wrap_socket(
            self.socket, server_side=True, do_handshake_on_connect=False
        )

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients dropping connections (TLS EOF, resets) are normal; stay quiet."""


class HttpsServer:
    """Runs the Core behind HTTPS on a daemon thread."""

    def __init__(self, core: Core, cert_file: str, key_file: str) -> None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_file, key_file)
        self._server = _Server(core, context)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="arm-emulator", daemon=True
        )

    @property
    def port(self) -> int:
        """The bound port on 127.0.0.1."""
        port: int = self._server.server_address[1]
        return port

    def start(self) -> None:
        """Start serving."""
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
