"""Gallery image versions: PUT/PATCH/GET/DELETE/list with replication on the emulated clock."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from emulator.core import errors
from emulator.core.lro import Operation
from emulator.core.router import Request, Response
from emulator.providers import gallery_replication as replication
from emulator.providers import gallery_versions as versions
from emulator.providers.common import (
    body_location,
    check_same_location,
    delete_later,
    require_parent,
    tags_of,
)
from emulator.providers.locations import display_name, programmatic

if TYPE_CHECKING:
    from emulator.core import Core

Body = dict[str, Any]
VERSION_TYPE = "Microsoft.Compute/galleries/images/versions"


def _regions(body: Body) -> list[str]:
    targets = body["properties"]["publishingProfile"]["targetRegions"]
    return [programmatic(t["name"]) for t in targets]


class ImageVersions:
    """Handlers and the create path shared with Image Builder's SharedImage distributor."""

    def __init__(self, core: Core) -> None:
        self.core = core

    def _meta_of(self, resource_id: str) -> Body | None:
        return self.core.store.meta(resource_id) if self.core.store.exists(resource_id) else None

    def build(self, rid: str, body: Body, existing: Body | None, home: str) -> Body:
        """Return the version body to store; raise 400/409 for invalid or forbidden changes."""
        props = body.get("properties") or {}
        now = self.core.clock.iso()
        published = (existing or {}).get("properties", {}).get("publishingProfile", {})
        publishing = versions.publishing_profile(
            props.get("publishingProfile") or {}, home, published.get("publishedDate") or now
        )
        if existing is not None:
            self._check_update(existing, publishing, props)
            storage = existing["properties"]["storageProfile"]
        else:
            storage = versions.storage_profile(
                props.get("storageProfile") or {}, home, self.core.store.get, self._meta_of
            )
        safety = {"reportedForPolicyViolation": False, "allowDeletionOfReplicatedLocations": False}
        safety.update((existing or {}).get("properties", {}).get("safetyProfile") or {})
        safety.update(props.get("safetyProfile") or {})
        state = "Updating" if existing else "Creating"
        keep_tags = existing is not None and "tags" not in body
        return {
            "id": rid, "type": VERSION_TYPE, "location": home,
            "tags": existing.get("tags", {}) if existing and keep_tags else tags_of(body),
            "properties": {"publishingProfile": publishing, "storageProfile": storage,
                           "safetyProfile": safety, "provisioningState": state},
        }  # fmt: skip

    def _check_update(self, existing: Body, publishing: Body, props: Body) -> None:
        old = existing["properties"]["publishingProfile"]["targetRegions"]
        versions.check_immutable(old, publishing["targetRegions"])
        new_source = ((props.get("storageProfile") or {}).get("source") or {}).get("id")
        old_source = (existing["properties"]["storageProfile"].get("source") or {}).get("id")
        if new_source and old_source and new_source.lower() != old_source.lower():
            target = "galleryImageVersion.properties.storageProfile.source.id"
            raise errors.ArmError(
                400, "PropertyChangeNotAllowed", f"Changing property '{target}' is not allowed.",
                target=target,
            )  # fmt: skip
        removed = versions.removed_regions(old, publishing["targetRegions"])
        allowed = (props.get("safetyProfile") or {}).get("allowDeletionOfReplicatedLocations")
        if allowed is None:
            allowed = existing["properties"]["safetyProfile"].get(
                "allowDeletionOfReplicatedLocations", False
            )
        if removed and not allowed:
            names = ", ".join(f"'{display_name(r)}'" for r in removed)
            raise errors.conflict(
                "OperationNotAllowed",
                f"Removing replicated regions ({names}) from gallery image version "
                f"'{existing['name']}' is not allowed because "
                "safetyProfile.allowDeletionOfReplicatedLocations is false.",
            )

    def save(
        self, rid: str, body: Body, existing: Body | None, start: datetime | None = None
    ) -> Body:
        """Store `body` and start (or trim) replication for its target regions."""
        meta = dict(self.core.store.meta(rid)) if existing else {}
        regions = _regions(body)
        if existing is not None:
            replication.drop_regions(meta, set(_regions(existing)) - set(regions))
        replication.start_regions(meta, body["location"], regions, start or self.core.clock.now())
        return self.core.store.put(body, meta)

    def put(self, req: Request) -> Response:
        """PUT a version: 201 (new) / 200 (update) + capsOperations AAO; replication is state."""
        rid, body = req.resource_id, req.json_object()
        versions.check_name(req.params["version"])
        image = require_parent(self.core, rid)
        home = body_location(req, body)
        if home != programmatic(image["location"]):
            raise errors.invalid_parameter(
                f"The gallery image version location '{home}' must be the gallery image's "
                f"location '{image['location']}'.",
                "galleryImageVersion.location",
            )
        existing = self.core.store.get(rid)
        check_same_location(existing, home, rid)
        self._check_source_region_up(body)
        stored = self.save(rid, self.build(rid, body, existing, home), existing)
        if existing is None:
            self.core.store.meta(rid)["content_id"] = self._content_of(stored)
        ops: list[Operation] = []
        op = self.core.lro.begin(
            req, home, segment="capsOperations", polls=1, on_done=self._finished(rid, ops)
        )
        ops.append(op)
        # Azure sends Retry-After: 60 here; the core emits it only when told to (real sleeps).
        headers = op.headers(aao=True, location=False, retry_after=60)
        return Response(200 if existing else 201, stored, headers)

    def _content_of(self, version: Body) -> str:
        """Return the lineage id of the version's OS content (compute disks inherit it)."""
        storage = version["properties"]["storageProfile"]
        source = (storage.get("source") or {}).get("id") or (
            (storage.get("osDiskImage") or {}).get("source") or {}
        ).get("id")
        if not source or not self.core.store.exists(source):
            return str(version["id"]).lower()
        found = self.core.store.get(source) or {}
        return str(
            self.core.store.meta(source).get("content_id")
            or (found.get("properties") or {}).get("uniqueId")
            or source.lower()
        )

    def _check_source_region_up(self, body: Body) -> None:
        source = ((body.get("properties") or {}).get("storageProfile") or {}).get("source") or {}
        found = self.core.store.get(source["id"]) if source.get("id") else None
        if found is not None and found.get("location"):
            # Copying needs the source's control plane: its home region must be up.
            self.core.faults.check_region(programmatic(found["location"]))

    def patch(self, req: Request) -> Response:
        """PATCH a version (GalleryImageVersionUpdate): 200 + AAO; targetRegions replace."""
        rid = req.resource_id
        existing = self.core.store.require(rid)
        patch = req.json_object()
        props = patch.get("properties") or {}
        merged_profile = dict(existing["properties"]["publishingProfile"])
        merged_profile.update(props.get("publishingProfile") or {})
        body = {
            "properties": {**props, "publishingProfile": merged_profile},
            **({"tags": patch["tags"]} if "tags" in patch else {}),
        }
        stored = self.save(rid, self.build(rid, body, existing, existing["location"]), existing)
        ops: list[Operation] = []
        op = self.core.lro.begin(
            req, existing["location"], segment="capsOperations", polls=1,
            on_done=self._finished(rid, ops),
        )  # fmt: skip
        ops.append(op)
        return Response.ok(stored, op.headers(aao=True, location=False))

    def _finished(self, rid: str, ops: list[Operation]) -> Any:
        """Return the op's on_done, which models Azure: the version stays Creating/Updating,
        and its LRO runs, until every replica is done.

        A client that reads the version instead of polling (Lifeboat: polling=False) sees
        replication advance on the emulated clock (`refresh`), and an op that ends by emulated
        time changes nothing. A client that polls cannot move that clock, so its poll ends the
        LRO after one InProgress answer and, as in Azure, the LRO ends with every replica done
        (a replica in a down region stays pending, and the version with it).
        """

        def done() -> None:
            body = self.core.store.get(rid)
            if body is None or not (ops and ops[0].polled):
                return
            meta = self.core.store.meta(rid)
            for region, state in meta.get("replication", {}).items():
                if not self.core.faults.is_region_down(region):
                    state["elapsed"] = state["needed"]
            props = body.get("properties") or {}
            if props.get("provisioningState") in {"Creating", "Updating"} and (
                replication.all_completed(meta)
            ):
                props["provisioningState"] = "Succeeded"
                self.core.store.put(body)

        return done

    def get(self, req: Request) -> Response:
        """GET a version; $expand=ReplicationStatus adds properties.replicationStatus."""
        body = self.core.store.require(req.resource_id)
        if (req.arg("$expand") or "").lower() == "replicationstatus":
            meta = self.core.store.meta(req.resource_id)
            body["properties"]["replicationStatus"] = replication.replication_status(
                meta, _regions(body)
            )
        return Response.ok(body)

    def list(self, req: Request) -> Response:
        """List the versions of an image definition (paged); 404 if the image is absent."""
        image = req.path.rsplit("/versions", 1)[0]
        self.core.store.require(image)
        return self.core.paged(req, self.core.store.list(VERSION_TYPE, scope=image))

    def delete(self, req: Request) -> Response:
        """DELETE a version: 202 + AAO + Location; 204 when already gone."""
        current = self.core.store.get(req.resource_id)
        if current is None:
            return Response.no_content()
        current["properties"]["provisioningState"] = "Deleting"
        self.core.store.put(current)
        op = self.core.lro.begin(
            req, current["location"], segment="capsOperations",
            on_done=delete_later(self.core, req.resource_id),
        )  # fmt: skip
        return Response.accepted(None, op.headers(aao=True, location=True))

    def refresh(self, body: Body, meta: Body, now: datetime) -> None:
        """Advance replication; Creating/Updating becomes Succeeded when every replica is done."""
        if "replication" not in meta:
            # Seeded without replication state: treat every listed replica as complete.
            replication.start_regions(meta, body["location"], _regions(body), now)
            for state in meta["replication"].values():
                state["elapsed"] = state["needed"]
        replication.advance(meta, body["location"], now, self.core.faults.is_region_down)
        props = body.setdefault("properties", {})
        if props.get("provisioningState") in {"Creating", "Updating"} and replication.all_completed(
            meta
        ):
            props["provisioningState"] = "Succeeded"


def normalize(body: Body) -> Body:
    """Seed defaults: display-name target regions, publishing defaults, Succeeded."""
    props = body.setdefault("properties", {})
    profile = props.setdefault("publishingProfile", {})
    profile.update(versions.publishing_profile(profile, body["location"], "2026-01-01T00:00:00Z"))
    props.setdefault("storageProfile", {"osDiskImage": {"sizeInGB": 30, "hostCaching": "ReadOnly"}})
    props.setdefault(
        "safetyProfile", {"reportedForPolicyViolation": False,
                          "allowDeletionOfReplicatedLocations": False}
    )  # fmt: skip
    props.setdefault("provisioningState", "Succeeded")
    return body


def register(core: Core, image_pattern: str) -> ImageVersions:
    """Add the version routes under `image_pattern`; return the handler object."""
    handlers = ImageVersions(core)
    core.types.register(VERSION_TYPE, normalize=normalize, refresh=handlers.refresh)
    pattern = image_pattern + "/versions/{version}"
    core.router.add("GET", image_pattern + "/versions", handlers.list)
    core.router.add("PUT", pattern, handlers.put)
    core.router.add("PATCH", pattern, handlers.patch)
    core.router.add("GET", pattern, handlers.get)
    core.router.add("DELETE", pattern, handlers.delete)

    def eager(_now: datetime) -> None:
        # Replicas stall while a region is down: observe every advance, read or not.
        with core.lock:
            core.store.list(VERSION_TYPE)

    core.clock.on_advance(eager)
    return handlers
