"""
The Airbyte versions the emulator plays, oldest first, and what tells them apart.

``0.40`` and ``0.50`` are v0.40.32 and v0.50.56, ``head`` is airbyte-platform's main at
``310e6cb6`` (2026-08-21), each answering as its spec in ``/work/shared/airbyte`` says.
``1.7`` and ``2.0`` answer in head's shapes, but for what API-FACTS dates later:

- ``workspaces/list`` is gone from 1.7 on (commit ``3e5ff65d``, first tagged v1.7.0; API-FACTS
  2.1 and 8);
- ``sources/list`` and ``destinations/list`` take the cursor body (``c742220e``), and
  ``*_definitions/list_for_workspace`` ``filterByUsed`` (``afc52cf9``), from 1.8 on, so on 2.0
  and not on 1.7 (API-FACTS 2.2, 2.3); so do the destination sync modes ``update`` and
  ``soft_delete`` (in v1.8.0, not in v1.4.0; API-FACTS 5): whether 1.7 had them was not found;
- error bodies are 0.x's, with a message and a stack, until 2.0, whose answers carry
  ``{errorId}`` or ``{message, errorId}`` alone (``75054177``, first tagged v2.0.0; API-FACTS
  6.2);
- no job is ever ``queued`` before head (``227f2d1f``, 2026-03-16, "absent in v2.0.0 and
  everything older"; API-FACTS 3), nor does the public ``POST /jobs`` of a sync answer before
  its job runs (head's ``startNewManualSyncAndWaitForJobId`` path, API-FACTS 6.3; the Config
  API's ``connections/sync`` never takes it, head included: its controller passes no
  organization, ``SchedulerHandler.submitManualSyncToWorker`` at ``727e1210``);
- no connection is ``locked`` before head (``37d38e81``, 2025-10-16, after v2.0.0; API-FACTS 5).

What came by 0.63 (``refresh`` and ``clear`` jobs, ``organizationId`` required to create a
workspace; API-FACTS 2.1, 3) or by 1.0 (``overwrite_dedup``) is in both. Other fields, the
scheduler's rules (``_schedule``) and cron validation are head's: no fact pins them for 1.7 or
2.0.

The public REST API (``/api/public/v1``) is served from 1.7 on: self-managed airbyte-server has
served it beside the Config API since 1.0 (API-FACTS 1.2 and 7; PEERS 3.5,
open-metadata/OpenMetadata#18816 "Airbyte v1.0 API endpoint changed"). On 1.7 and 2.0 it answers
as head's but for what dates later:

- a sync's ``POST /jobs`` answers once its job runs, as the Config API's sync does on these
  versions: their ``JobsController.publicCreateJob`` calls ``JobService.sync(connectionId)``,
  which calls ``SchedulerHandler.syncConnection`` (airbytehq/airbyte-platform ``ea59859a`` and
  ``4ab2909f``, 2025); head passes ``returnAfterJobId = true`` to answer once the job exists
  (API-FACTS 6.3). That no 2.0 had it is inferred: it came with head's capacity-bound path;
- no job is ``queued`` (the Config API's ``JobStatus``, whose value the public status maps to);
- no connection is ``locked``: a create or patch naming it is a 400, as for any value the
  enum lacks (the public ``ConnectionStatusEnum`` maps to the Config API's, ``37d38e81``).

Unverified, kept as head's: the routes (all of head's that the emulator serves, ``/health``
open), RFC 9457 problem bodies and their mapping (``ConfigClientErrorHandler``), the 403 for a
job that does not exist (``RoleResolver``, already in ``ea59859a``), ``GET /jobs``'s default
order and its ``status`` filter accepting ``queued`` (which matches nothing here).
"""

from __future__ import annotations

__all__ = ["PUBLIC_API_SINCE", "VERSIONS", "serves_public_api", "since"]

#: The Config API versions the emulator can speak, oldest first.
VERSIONS = ("0.40", "0.50", "1.7", "2.0", "head")


def since(version: str, first: str) -> bool:
    """Whether *version* is *first* or later (both in :data:`VERSIONS`)."""
    return VERSIONS.index(version) >= VERSIONS.index(first)


#: The first version that serves the public REST API.
PUBLIC_API_SINCE = "1.7"


def serves_public_api(version: str) -> bool:
    """Whether *version* serves the public REST API (``/api/public/v1``)."""
    return since(version, PUBLIC_API_SINCE)
