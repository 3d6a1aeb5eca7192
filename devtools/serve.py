"""`python -m devtools.serve [--port 7071] [--key local-key]`: serve the app's HTTP functions on
loopback with function-key auth, using the LIFEBOAT_* settings in the environment (for example
the ones `make emulator` prints). Ctrl-C stops it. A local stand-in for `func start`'s HTTP
front: the dashboard, GET /api/status and the CLI work against it."""

from __future__ import annotations

import argparse
import threading

from devtools.http_host import LocalHost


def main(argv: list[str] | None = None) -> int:
    """Serve until Ctrl-C; return 0."""
    parser = argparse.ArgumentParser(prog="python -m devtools.serve")
    parser.add_argument("--port", type=int, default=7071)
    parser.add_argument("--key", default="local-key", help="The function key to require.")
    args = parser.parse_args(argv)
    host = LocalHost(args.key, port=args.port).start()
    print(f"Lifeboat HTTP functions on {host.url}/api/ (key: ?code={args.key})")
    print(f"Dashboard: {host.url}/api/dashboard?code={args.key}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        host.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
