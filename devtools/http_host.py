"""A local stand-in for the Functions host's HTTP front: serves every HTTP-triggered function of
function_app on loopback, with function-key auth (`?code=` or `x-functions-key`).

Used by the browser test, the CLI tests and `make emulator`; not deployed. Routes come from the
app's own index (route and methods of each function), so it serves exactly what Azure would.
"""

from __future__ import annotations

import functools
import json
import re
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import azure.functions as func

Handler = Callable[[func.HttpRequest], func.HttpResponse]


def _pattern(route: str) -> re.Pattern[str]:
    """`plans/{plan_id}/approve` → a regex with one named group per route parameter."""
    parts = re.split(r"(\{[^}]+\})", route)
    out = ""
    for part in parts:
        if part.startswith("{"):
            name = part[1:-1].split(":")[0].rstrip("?")
            out += f"(?P<{name}>[^/]+)"
        else:
            out += re.escape(part)
    return re.compile(f"^{out}$", re.IGNORECASE)


@functools.cache
def http_routes() -> list[tuple[re.Pattern[str], frozenset[str], Handler]]:
    """Every HTTP function of the app: (route pattern, methods, the user function).

    Indexed once per process: the SDK's get_functions() may run only once per app object."""
    import function_app

    routes = []
    for fn in function_app.app.get_functions():
        for raw in fn.get_raw_bindings():
            binding = json.loads(raw)
            if binding.get("type") == "httpTrigger":
                methods = frozenset(m.upper() for m in binding.get("methods") or ("GET", "POST"))
                routes.append((_pattern(binding["route"]), methods, fn.get_user_function()))
    return routes


class LocalHost:
    """The HTTP functions on http://127.0.0.1:<port>/api/..., until stop()."""

    def __init__(
        self,
        key: str,
        port: int = 0,
        extra: list[tuple[str, str, Handler]] | None = None,
    ) -> None:
        """`extra`: (method, route, handler) served besides the app's (routes still to come)."""
        self.key = key
        self.routes = http_routes() + [
            (_pattern(route), frozenset({method.upper()}), fn) for method, route, fn in extra or ()
        ]
        host = self

        class _Request(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass  # quiet: tests and the emulator console

            def _serve(self) -> None:
                host.serve(self)

            do_GET = do_POST = do_PUT = do_DELETE = _serve

        self._server = ThreadingHTTPServer(("127.0.0.1", port), _Request)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The base URL (no trailing slash): `<url>/api/status`."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> LocalHost:
        """Start serving in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        self._server.shutdown()
        self._server.server_close()

    def serve(self, handler: BaseHTTPRequestHandler) -> None:
        """Answer one request as the Functions host would (401 without the key, 404 unknown)."""
        parts = urlsplit(handler.path)
        params = dict(parse_qsl(parts.query))
        key = handler.headers.get("x-functions-key") or params.get("code")
        length = int(handler.headers.get("content-length") or 0)
        body = handler.rfile.read(length) if length else b""
        path = parts.path.removeprefix("/api/")
        for pattern, methods, function in self.routes:
            found = pattern.match(path) if parts.path.startswith("/api/") else None
            if found is None or handler.command not in methods:
                continue
            if key != self.key:
                self._write(handler, 401, b"", "text/plain", {})
                return
            request = func.HttpRequest(
                method=handler.command,
                url=f"{self.url}{handler.path}",
                headers=dict(handler.headers.items()),
                params=params,
                route_params=found.groupdict(),
                body=body,
            )
            response = function(request)
            headers = {k: v for k, v in response.headers.items() if k.lower() != "content-type"}
            self._write(
                handler,
                response.status_code,
                response.get_body(),
                response.mimetype or "text/plain",
                headers,
            )
            return
        self._write(handler, 404, b"", "text/plain", {})

    @staticmethod
    def _write(
        handler: BaseHTTPRequestHandler,
        status: int,
        body: bytes,
        mimetype: str,
        headers: dict[str, str],
    ) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", f"{mimetype}; charset=utf-8")
        handler.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(body)
