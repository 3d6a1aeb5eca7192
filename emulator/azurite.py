"""Start Azurite (Blob, Queue, Table) on loopback with two accounts: primary- and DR-region."""

from __future__ import annotations

import base64
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AZURITE_BIN = ROOT / "node_modules" / ".bin" / "azurite"

# Test-only keys for the local emulator (like Azurite's published devstoreaccount1 key).
ACCOUNTS = {
    "lbprimary": base64.b64encode(b"lifeboat-local-primary-key-0000").decode(),
    "lbdr": base64.b64encode(b"lifeboat-local-dr-region-key-00").decode(),
}
PRIMARY_ACCOUNT = "lbprimary"
DR_ACCOUNT = "lbdr"


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_for(port: int, proc: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"Azurite exited early with code {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"Azurite did not listen on 127.0.0.1:{port} within {timeout}s")


@dataclass
class Azurite:
    """A running Azurite process; `connection_string(account)` gives the SDK connection string."""

    blob_port: int
    queue_port: int
    table_port: int
    process: subprocess.Popen[bytes] | None = None
    workdir: str = field(default="")

    def connection_string(self, account: str) -> str:
        """Return a connection string for `account` (one of ACCOUNTS) for all three services."""
        key = ACCOUNTS[account]
        return (
            f"DefaultEndpointsProtocol=http;AccountName={account};AccountKey={key};"
            f"BlobEndpoint=http://127.0.0.1:{self.blob_port}/{account};"
            f"QueueEndpoint=http://127.0.0.1:{self.queue_port}/{account};"
            f"TableEndpoint=http://127.0.0.1:{self.table_port}/{account};"
        )

    def blob_url(self, account: str) -> str:
        """Return the blob endpoint of `account`."""
        return f"http://127.0.0.1:{self.blob_port}/{account}"

    def reset(self) -> None:
        """Delete every container, queue and table in both accounts (per-test isolation)."""
        from azure.data.tables import TableServiceClient
        from azure.storage.blob import BlobServiceClient
        from azure.storage.queue import QueueServiceClient

        for account in ACCOUNTS:
            conn = self.connection_string(account)
            blobs = BlobServiceClient.from_connection_string(conn)
            for container in blobs.list_containers():
                blobs.delete_container(container.name)
            queues = QueueServiceClient.from_connection_string(conn)
            for queue in queues.list_queues():
                queues.delete_queue(queue.name)
            tables = TableServiceClient.from_connection_string(conn)
            for table in tables.list_tables():
                tables.delete_table(table.name)

    def stop(self) -> None:
        """Stop the process and remove its working folder."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        if self.workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)


def start_azurite() -> Azurite:
    """Start Azurite in memory on free loopback ports; raise RuntimeError if it cannot start."""
    if not AZURITE_BIN.exists():
        raise RuntimeError(f"{AZURITE_BIN} is missing: run `make setup` (npm ci) first")
    ports = free_port(), free_port(), free_port()
    # In-memory persistence: Azurite still writes its debug/extent files under cwd.
    workdir = tempfile.mkdtemp(prefix="lifeboat-azurite-")
    env = dict(os.environ)
    env["AZURITE_ACCOUNTS"] = ";".join(f"{name}:{key}" for name, key in ACCOUNTS.items())
    cmd = [
        str(AZURITE_BIN),
        "--silent",
        "--disableTelemetry",
        "--inMemoryPersistence",
        "--skipApiVersionCheck",
        "--disableProductStyleUrl",
        "--loose",
        "--blobHost", "127.0.0.1", "--blobPort", str(ports[0]),
        "--queueHost", "127.0.0.1", "--queuePort", str(ports[1]),
        "--tableHost", "127.0.0.1", "--tablePort", str(ports[2]),
    ]  # fmt: skip
    proc = subprocess.Popen(
        cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=workdir
    )
    azurite = Azurite(*ports, process=proc, workdir=workdir)
    try:
        for port in ports:
            _wait_for(port, proc)
    except RuntimeError:
        azurite.stop()
        raise
    return azurite
