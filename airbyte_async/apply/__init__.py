"""
Pipelines declared in a TOML file, made so on a server: :func:`load` the file, then
:func:`plan` or :func:`apply` it (``airbyte-async apply FILE [--dry-run]`` from a shell). A plan
can be saved (:func:`save_plan`, ``airbyte-async plan FILE -o PLAN.json``) and executed later
as it was shown (:func:`load_plan` and :func:`execute`, ``airbyte-async apply PLAN.json``).

::

    workspace = "5ae6b09b-fdec-41af-aaf7-7d94cfc33ef6"   # optional

    [[sources]]
    name = "shop-postgres"
    definition = "Postgres"                  # a definition's name, or its id
    [sources.configuration]                  # the connector's configuration, as is
    host = "db.internal"
    port = 5432
    database = "shop"
    username = "reader"
    password = { env = "PG_PASSWORD" }      # read from the environment

    [[destinations]]
    name = "lake"
    definition = "S3"
    [destinations.configuration]
    s3_bucket_name = "lake"
    s3_bucket_path = "shop"
    s3_bucket_region = "us-east-1"
    access_key_id = { env = "S3_KEY_ID" }
    secret_access_key = { env = "S3_SECRET" }
    format = { format_type = "Parquet" }

    [[connections]]
    name = "shop-to-lake"
    source = "shop-postgres"                 # names of the sources and destinations above
    destination = "lake"
    schedule = { every = 6, unit = "hours" } # or { cron = "0 0 3 * * ?", timezone = "UTC" }
    status = "active"                        # the default; or "inactive"

    [[connections.streams]]
    name = "customers"
    sync_mode = "incremental"
    cursor_field = "updated_at"
    destination_sync_mode = "append"

    [[connections.streams]]
    name = "orders"
    sync_mode = "incremental"
    cursor_field = "updated_at"
    destination_sync_mode = "append_dedup"
    primary_key = "id"

Rules:

- ``schedule`` is ``"manual"`` (the default), ``{ every = N, unit = "hours" }`` (minutes,
  hours, days, weeks or months) or ``{ cron = "...", timezone = "UTC" }`` (Quartz syntax; the
  time zone defaults to UTC).
- Objects are found by name (connections by name, source and destination) in the workspace
  given as *workspace_id* (``--workspace``), else in the file's ``workspace``, else in the
  server's default workspace (on the public API, the only one listed). What is missing is
  created, what differs is updated, what matches is left alone. Nothing is ever deleted: a
  connection a rename leaves behind is named in :attr:`Plan.unlisted_connections`, a warning.
- ``{ env = "NAME" }`` anywhere in a configuration stands for the value of that environment
  variable; a missing variable is an error naming it. ``{ env = "NAME", default = "value" }``
  takes the default (a string, number or boolean) when NAME is not set. A value from the
  environment is sent as ``type = "integer"`` (``number``, ``boolean``, ``string``) says, else
  on the Config API as the connector's specification declares its field, else as text; a
  default written as text is converted alike; text not of its type is an error at its key. On
  the Config API each configuration must fit its connector's specification (types, required
  fields, enum values, ``oneOf`` options), checked before any write; the public API serves no
  specifications. Any other table with an ``env`` key is an error at its key;
  ``{ literal = ... }`` sends what it holds as written (``{ literal = { env = "prod" } }`` for
  a connector's own ``env`` key). A plan never shows values under secret-looking keys, fields
  the connector's specification flags secret, or values the server masks; on the Config API a
  value from the environment is shown or masked by the same rules (a changed port shows), on
  the public API (no specifications) it is always masked.
- Streams: ``sync_mode`` is ``full_refresh`` or ``incremental``; ``destination_sync_mode`` one
  of :class:`~airbyte_async.models.DestinationSyncMode`; ``cursor_field`` a field name or a
  path (``["data", "updated_at"]``); ``primary_key`` a field name, a list of field names (a
  composite key) or a list of paths. What is left out keeps the discovered default; streams not
  listed are not synced. Streams are checked against the source's discovered catalog (on the
  Config API, that of the configuration the plan sends, before anything is written).
- Optional connection keys: ``namespace_definition`` (``source``, ``destination``,
  ``customformat``), ``namespace_format``, ``prefix``, ``non_breaking_changes_preference``.

Every problem in a file is reported at once, each pointing at its key
(``connections[1].streams[0].sync_mode: unknown value 'incrementl' ...``), as a
:class:`SpecError`.

How it is built: :mod:`._spec` reads files into a :class:`Spec`; :mod:`._run` reads the server
once into a :class:`Snapshot`; :mod:`._plan` turns both into a :class:`Plan` without I/O, each
item carrying what it will send and a fingerprint of what it read; :func:`execute` re-reads
those objects, refuses with :class:`~airbyte_async.errors.StalePlanError` when any moved, and
then sends exactly the items' writes; :mod:`._file` saves plans without their secrets;
:mod:`._types` gives values from the environment the types their fields take.
"""

from ..errors import SpecError, StalePlanError
from ._file import dumps_plan, is_plan, load_plan, loads_plan, save_plan
from ._plan import (
    ActorWrite,
    Change,
    ConnectionWrite,
    Plan,
    PlanItem,
    Snapshot,
    make_plan,
)
from ._run import apply, execute, plan, read_snapshot
from ._spec import ActorSpec, ConnectionSpec, Spec, StreamSpec, load, loads

__all__ = [
    "ActorSpec",
    "ActorWrite",
    "Change",
    "ConnectionSpec",
    "ConnectionWrite",
    "Plan",
    "PlanItem",
    "Snapshot",
    "Spec",
    "SpecError",
    "StalePlanError",
    "StreamSpec",
    "apply",
    "dumps_plan",
    "execute",
    "is_plan",
    "load",
    "load_plan",
    "loads",
    "loads_plan",
    "make_plan",
    "plan",
    "read_snapshot",
    "save_plan",
]
