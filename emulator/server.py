"""ArmEmulator: the facade tests, the demo and benchmarks use (HTTPS ARM on 127.0.0.1)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from emulator.core import Clock, Core, Faults, RequestLog, Store
from emulator.core.http import HttpsServer
from emulator.core.tls import generate
from emulator.providers import load_all

if TYPE_CHECKING:
    from emulator.azurite import Azurite
    from emulator.providers.activity_log import ActivityLog
    from emulator.providers.compute.common import ComputeOptions
    from emulator.providers.eventgrid import EventGrid
    from emulator.providers.resourcegroups import ResourceGroups


class ArmEmulator:
    """A local Azure Resource Manager (see emulator/CONTRACT.md and docs/emulator.md)."""

    def __init__(
        self,
        azurite: Azurite | None = None,
        seed: int = 0,
        start: datetime | None = None,
        providers: tuple[str, ...] | None = None,
    ) -> None:
        self.core = Core(seed=seed, azurite=azurite, start=start)
        self.providers = load_all(self.core, providers)
        self._server: HttpsServer | None = None
        self._tmp: str | None = None
        self.ca_file = ""

    @property
    def endpoint(self) -> str:
        """`https://127.0.0.1:PORT` once started."""
        return self.core.endpoint

    @property
    def clock(self) -> Clock:
        """The emulated clock."""
        return self.core.clock

    @property
    def log(self) -> RequestLog:
        """The request log."""
        return self.core.log

    @property
    def faults(self) -> Faults:
        """Fault injection controls."""
        return self.core.faults

    @property
    def state(self) -> Store:
        """The resource store (for assertions)."""
        return self.core.store

    @property
    def compute(self) -> ComputeOptions:
        """Compute knobs: lro_polls, copy_percent_per_minute, fail_copy(id), limits, ..."""
        opts: ComputeOptions = self.core.extensions["compute"]
        return opts

    @property
    def eventgrid(self) -> EventGrid:
        """Event Grid topics: endpoint(topic), events(topic) published so far."""
        grid: EventGrid = self.core.extensions["eventgrid"]
        return grid

    @property
    def resource_groups(self) -> ResourceGroups:
        """Resource groups: get(sub, name), create(sub, name, location) (a chosen location)."""
        groups: ResourceGroups = self.core.extensions["resourcegroups"]
        return groups

    @property
    def activity_log(self) -> ActivityLog:
        """The activity log behind Log Analytics' AzureActivity: add(record), rows(...)."""
        log: ActivityLog = self.core.extensions["activity_log"]
        return log

    @property
    def loganalytics_endpoint(self) -> str:
        """The Log Analytics query endpoint (LogsQueryClient's `endpoint`)."""
        return f"{self.core.endpoint}/loganalytics"

    @property
    def page_size(self) -> int:
        """Items per list page."""
        return self.core.page_size

    @page_size.setter
    def page_size(self, value: int) -> None:
        self.core.page_size = value

    def start(self) -> ArmEmulator:
        """Generate the CA and leaf certificate, start HTTPS on a free port; return self."""
        self._tmp = tempfile.mkdtemp(prefix="lifeboat-arm-")
        certs = generate(self._tmp)
        self.ca_file = certs.ca_file
        self._server = HttpsServer(self.core, certs.cert_file, certs.key_file)
        self.core.endpoint = f"https://127.0.0.1:{self._server.port}"
        self._server.start()
        return self

    def seed(self, estate: Mapping[str, Any] | str | Path) -> list[str]:
        """Load resources from an estate dict or JSON file; return their ids."""
        return self.core.seed(estate)

    def settle(self) -> None:
        """Complete every pending long-running operation now."""
        with self.core.lock:
            self.core.lro.settle(force=True)

    def reset(self) -> None:
        """Empty store, log, operations, faults and options; clock back to its start."""
        self.core.reset()

    def stop(self) -> None:
        """Stop the server and delete the certificate folder."""
        if self._server is not None:
            self._server.stop()
            self._server = None
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def __enter__(self) -> ArmEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
