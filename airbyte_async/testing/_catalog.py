"""
The connector definitions the emulator knows, with their specs and discoverable streams.

Ids are stable across runs and versions (modelled on the public connector registry), so tests
can name them. Only the parts of each connector spec that the emulator uses are here: which
keys are required, their JSON types, their enums, bounds, patterns and ``oneOf`` options, and
which are ``airbyte_secret``, as the connectors' ``spec.json`` in airbytehq/airbyte declare
them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import attrs

from .._schema import Mismatch, mismatches

__all__ = [
    "DESTINATION_DEFINITIONS",
    "SECRET_MASK",
    "SOURCE_DEFINITIONS",
    "ConnectorDefinition",
    "SecretPath",
    "StreamTemplate",
    "config_errors",
    "mask_secrets",
    "merge_masked",
    "secret_paths",
    "unreachable_host",
]

#: What the real server sends in place of every secret value.
SECRET_MASK = "**********"

#: Where a secret sits in a configuration: property names, None standing for every item of a
#: list (airbyte-platform ``JsonSchemas.FieldNameOrList``).
SecretPath = tuple[str | None, ...]

ActorKind = Literal["source", "destination"]


@attrs.frozen
class StreamTemplate:
    """A stream a source discovers: its name, columns and what it supports."""

    name: str
    columns: Mapping[str, str]
    incremental: bool = True
    source_defined_cursor: bool = False
    cursor: tuple[str, ...] = ()
    primary_key: tuple[str, ...] = ("id",)

    def json_schema(self) -> dict[str, Any]:
        """The stream's JSON schema, as a discover job reports it."""
        props: dict[str, Any] = {}
        for column, kind in self.columns.items():
            if kind == "timestamp":
                props[column] = {"type": ["null", "string"], "format": "date-time"}
            else:
                props[column] = {"type": ["null", kind]}
        return {"type": "object", "properties": props}


@attrs.frozen
class ConnectorDefinition:
    """One source or destination definition and its connection specification."""

    kind: ActorKind
    definition_id: str
    name: str
    docker_repository: str
    docker_image_tag: str
    documentation_url: str
    spec: Mapping[str, Any]
    source_type: str | None = None
    release_stage: str = "generally_available"
    support_level: str = "certified"
    streams: tuple[StreamTemplate, ...] = ()
    namespace_key: str | None = None
    supported_sync_modes: tuple[str, ...] = ("append", "overwrite", "append_dedup")
    #: Where the spec's ``airbyte_secret`` fields sit (see :func:`secret_paths`).
    secret_paths: tuple[SecretPath, ...] = attrs.field(init=False)

    @secret_paths.default
    def _find_secret_paths(self) -> tuple[SecretPath, ...]:
        return secret_paths(self.spec)


def secret_paths(schema: Mapping[str, Any]) -> tuple[SecretPath, ...]:
    """
    The paths of the fields *schema* flags ``airbyte_secret``, found as airbyte-platform finds
    them (``JsonSecretsProcessor.maskAllSecrets`` over ``JsonSchemas.traverseJsonSchema``):
    through an object's properties, or, when it has none, each option of its ``oneOf``,
    ``allOf`` or ``anyOf`` at the object's own path; through a list's items. A node without
    ``type`` is an object, or a string when it has an ``enum``.
    """
    found: list[SecretPath] = []

    def walk(node: Mapping[str, Any], path: SecretPath) -> None:
        # The platform looks for the key, whatever its value.
        if "airbyte_secret" in node:
            found.append(path)
        kinds = node.get("type", "string" if "enum" in node else "object")
        for kind in [kinds] if isinstance(kinds, str) else kinds:
            if kind == "array" and isinstance(node.get("items"), Mapping):
                walk(node["items"], (*path, None))
            elif kind == "object" and isinstance(node.get("properties"), Mapping):
                for key, child in node["properties"].items():
                    walk(child, (*path, key))
            elif kind == "object":
                keyword = next((k for k in ("oneOf", "allOf", "anyOf") if k in node), None)
                for option in node.get(keyword, ()) if keyword else ():
                    walk(option, path)

    walk(schema, ())
    return tuple(dict.fromkeys(found))


def _replace(value: Any, path: SecretPath) -> Any:
    """*value* with what sits at *path* replaced by the mask; unchanged where nothing does."""
    if not path:
        return SECRET_MASK
    head, rest = path[0], path[1:]
    if head is None:
        return [_replace(v, rest) for v in value] if isinstance(value, list) else value
    if isinstance(value, dict) and head in value:
        return {**value, head: _replace(value[head], rest)}
    return value


def mask_secrets(config: Any, paths: tuple[SecretPath, ...]) -> Any:
    """
    A copy of *config* with the value at each of *paths* (:func:`secret_paths`) replaced by
    the mask, whatever its type, as Airbyte answers (``JsonPaths.replaceAtString``). A key
    elsewhere that shares a secret's name is left as it is.
    """
    for path in paths:
        config = _replace(config, path)
    return config


def _at(value: Any, path: SecretPath) -> tuple[bool, Any]:
    for head in path:
        if not isinstance(value, dict) or head not in value:
            return False, None
        value = value[head]
    return True, value


def merge_masked(new: Any, old: Any, paths: tuple[SecretPath, ...]) -> Any:
    """
    *new* with each secret it sends masked, at one of *paths*, taken from *old* at the same
    place, as the real server does when a client sends a read configuration back in an
    update (``JsonSecretsProcessor.copySecrets``, through objects only). The mask sent in a
    field that is not a secret is kept as sent.
    """
    for path in paths:
        if None in path or not path:
            continue
        sent, value = _at(new, path)
        had, stored = _at(old, path)
        if sent and had and value == SECRET_MASK:
            new = _put(new, path, stored)
    return new


def _put(value: dict[str, Any], path: SecretPath, stored: Any) -> dict[str, Any]:
    head, rest = path[0], path[1:]
    assert isinstance(head, str)
    return {**value, head: _put(value[head], rest, stored) if rest else stored}


def config_errors(config: Mapping[str, Any], spec: Mapping[str, Any]) -> list[str]:
    """
    What makes *config* fail the connector spec, as the server's validator words it
    (networknt 1.4.0 ``jsv-messages.properties``, airbyte-platform
    ``JsonSchemaValidator.ensure``): the keywords :mod:`airbyte_async._schema` checks, in
    nested objects and list items too. Messages name keys, types, counts and the spec's
    values, never the configuration's (they may be secrets).
    """
    return [_message(m) for m in mismatches(config, spec)]


#: networknt's message for each keyword with one argument, the spec's value.
_MESSAGES = {
    "const": "must be the constant value '{0}'",
    "minimum": "must have a minimum value of {0}",
    "maximum": "must have a maximum value of {0}",
    "exclusiveMinimum": "must have an exclusive minimum value of {0}",
    "exclusiveMaximum": "must have an exclusive maximum value of {0}",
    "multipleOf": "must be multiple of {0}",
    "minLength": "must be at least {0} characters long",
    "maxLength": "must be at most {0} characters long",
    "pattern": "does not match the regex pattern {0}",
}


def _message(mismatch: Mismatch) -> str:
    path, expected, rule = mismatch.path, mismatch.expected, mismatch.rule
    if rule == "type":
        wanted = expected[0] if len(expected) == 1 else f"[{', '.join(expected)}]"
        return f"{path}: {mismatch.found} found, {wanted} expected"
    if rule == "required":
        return f"{path}: required property '{mismatch.field}' not found"
    if rule == "enum":
        return f"{path}: does not have a value in the enumeration [{', '.join(map(str, expected))}]"
    if rule in _MESSAGES:
        return f"{path}: " + _MESSAGES[rule].format(expected[0])
    if rule == "format":
        rfc = {"date": "full-date"}.get(expected[0], expected[0])
        return f"{path}: does not match the {expected[0]} pattern must be a valid RFC 3339 {rfc}"
    if rule in ("minItems", "maxItems"):
        least = "at least" if rule == "minItems" else "at most"
        return f"{path}: must have {least} {expected[0]} items but found {mismatch.found}"
    if rule == "uniqueItems":
        return f"{path}: must have only unique items in the array"
    if rule == "additionalProperties":
        return (
            f"{path}: property '{mismatch.field}' is not defined in the schema and the schema "
            "does not allow additional properties"
        )
    if rule == "oneOf":
        valid = len(expected)
        return (
            f"{path}: must be valid to one and only one schema, but {valid} are valid "
            f"with indexes '{mismatch.found}'"
        )
    return f"{path}: must be valid to one and only one schema, but 0 are valid"


def unreachable_host(config: Mapping[str, Any], paths: tuple[SecretPath, ...]) -> str | None:
    """
    The first non-secret string value ending in ``.invalid`` (a TLD that never resolves, RFC
    6761), which makes check and discover fail; None when there is none. *paths* are the
    secrets' (:func:`secret_paths`).
    """
    return _invalid_host(mask_secrets(config, paths))


def _invalid_host(config: Mapping[str, Any]) -> str | None:
    for value in config.values():
        if isinstance(value, str) and value.rstrip("/").endswith(".invalid"):
            return value
        if isinstance(value, dict) and (found := _invalid_host(value)):
            return found
    return None


def _spec(required: list[str], properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "required": required,
        "additionalProperties": True,
        "properties": properties,
    }


def _secret(title: str) -> dict[str, Any]:
    return {"type": "string", "title": title, "airbyte_secret": True}


def _string(title: str, **extra: Any) -> dict[str, Any]:
    return {"type": "string", "title": title, **extra}


_DB_STREAMS = (
    StreamTemplate(
        "customers",
        {"id": "integer", "name": "string", "email": "string", "updated_at": "timestamp"},
    ),
    StreamTemplate(
        "orders",
        {
            "id": "integer",
            "customer_id": "integer",
            "amount": "number",
            "status": "string",
            "updated_at": "timestamp",
        },
    ),
    StreamTemplate(
        "products",
        {"id": "integer", "title": "string", "price": "number", "updated_at": "timestamp"},
    ),
)

# A MySQL table without a primary key: its stream has no source-defined key, so a deduped
# mode needs one sent (AirbyteCatalogHelper.validatePrimaryKey).
_KEYLESS_STREAM = StreamTemplate(
    "audit_log",
    {"event": "string", "detail": "string", "logged_at": "timestamp"},
    primary_key=(),
)

_FAKER_STREAMS = tuple(
    StreamTemplate(
        name,
        {"id": "integer", "created_at": "timestamp", "updated_at": "timestamp", **extra},
        source_defined_cursor=True,
        cursor=("updated_at",),
    )
    for name, extra in (
        ("users", {"name": "string", "email": "string"}),
        ("products", {"make": "string", "model": "string", "price": "number"}),
        ("purchases", {"user_id": "integer", "product_id": "integer"}),
    )
)

_DB_PROPERTIES: dict[str, Any] = {
    "host": _string("Host", order=0),
    "port": {"type": "integer", "title": "Port", "minimum": 0, "maximum": 65536, "order": 1},
    "database": _string("Database Name", order=2),
    "username": _string("Username", order=3),
    "password": _secret("Password"),
    "jdbc_url_params": _string("JDBC URL Parameters (Advanced)"),
}


def _option(title: str, selector: str, value: str, **properties: Any) -> dict[str, Any]:
    """A ``oneOf`` option told apart by *selector* = *value* (an enum of one, as S3's are)."""
    required = [selector, *properties.pop("required", ())]
    fixed = {"type": "string", "enum": [value], "default": value}
    return {"title": title, "required": required, "properties": {selector: fixed, **properties}}


def _integer(title: str, **extra: Any) -> dict[str, Any]:
    return {"type": "integer", "title": title, **extra}


def _compression(extension: str) -> dict[str, Any]:
    options = [_option(t, "compression_type", t) for t in ("No Compression", "GZIP")]
    return {"type": "object", "title": f"Compression ({extension})", "oneOf": options}


_AVRO_CODECS = [
    _option("No Compression", "codec", "no compression"),
    _option(
        "Deflate",
        "codec",
        "Deflate",
        required=["compression_level"],
        compression_level=_integer("Deflate Level", default=0, minimum=0, maximum=9),
    ),
    _option("bzip2", "codec", "bzip2"),
    _option(
        "xz",
        "codec",
        "xz",
        required=["compression_level"],
        compression_level=_integer("Compression Level", default=6, minimum=0, maximum=9),
    ),
    _option(
        "zstandard",
        "codec",
        "zstandard",
        required=["compression_level"],
        compression_level=_integer("Compression Level", default=3, minimum=-5, maximum=22),
        include_checksum={"type": "boolean", "title": "Include Checksum", "default": False},
    ),
    _option("snappy", "codec", "snappy"),
]

# destination-s3's spec.json (airbytehq/airbyte, commit 12338a5): the output format is one of
# four options told apart by format_type; CSV requires flattening, Avro a compression codec.
_S3_FORMATS: dict[str, Any] = {
    "type": "object",
    "title": "Output Format",
    "oneOf": [
        _option(
            "Avro: Apache Avro",
            "format_type",
            "Avro",
            required=["compression_codec"],
            compression_codec={
                "type": "object",
                "title": "Compression Codec",
                "oneOf": _AVRO_CODECS,
            },
        ),
        _option(
            "CSV: Comma-Separated Values",
            "format_type",
            "CSV",
            required=["flattening"],
            flattening=_string(
                "Normalization (Flattening)",
                default="No flattening",
                enum=["No flattening", "Root level flattening"],
            ),
            compression=_compression(".csv.gz"),
        ),
        _option(
            "JSON Lines: Newline-delimited JSON",
            "format_type",
            "JSONL",
            compression=_compression(".jsonl.gz"),
        ),
        _option(
            "Parquet: Columnar Storage",
            "format_type",
            "Parquet",
            compression_codec=_string(
                "Compression Codec",
                default="UNCOMPRESSED",
                enum=["UNCOMPRESSED", "SNAPPY", "GZIP", "LZO", "BROTLI", "LZ4", "ZSTD"],
            ),
            block_size_mb=_integer("Block Size (Row Group Size) (MB)", default=128),
            max_padding_size_mb=_integer("Max Padding Size (MB)", default=8),
            page_size_kb=_integer("Page Size (KB)", default=1024),
            dictionary_page_size_kb=_integer("Dictionary Page Size (KB)", default=1024),
            dictionary_encoding={
                "type": "boolean",
                "title": "Dictionary Encoding",
                "default": True,
            },
        ),
    ],
}

_S3_REGIONS = [
    "",
    *("us-east-1", "us-east-2", "us-west-1", "us-west-2", "af-south-1", "ap-east-1"),
    *("ap-south-1", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-southeast-1"),
    *("ap-southeast-2", "ca-central-1", "cn-north-1", "cn-northwest-1", "eu-central-1"),
    *("eu-north-1", "eu-south-1", "eu-west-1", "eu-west-2", "eu-west-3", "sa-east-1"),
    *("me-south-1", "us-gov-east-1", "us-gov-west-1"),
]

_S3_PROPERTIES: dict[str, Any] = {
    "access_key_id": _secret("S3 Key ID"),
    "secret_access_key": _secret("S3 Access Key"),
    "s3_bucket_name": _string("S3 Bucket Name"),
    "s3_bucket_path": _string("S3 Bucket Path"),
    "s3_bucket_region": _string("S3 Bucket Region", default="", enum=_S3_REGIONS),
    "format": _S3_FORMATS,
    "s3_endpoint": _string("Endpoint", default="", description="For MinIO and other S3 APIs"),
    "s3_path_format": _string("S3 Path Format"),
    "file_name_pattern": _string("File Name Pattern"),
}


def _const(value: str) -> dict[str, Any]:
    return {"type": "string", "const": value}


def _certificates(mode: str) -> dict[str, Any]:
    return {
        "title": mode,
        "required": ["mode", "ca_certificate"],
        "properties": {
            "mode": _const(mode),
            "ca_certificate": {**_secret("CA certificate"), "multiline": True},
            "client_certificate": {**_secret("Client Certificate"), "multiline": True},
            "client_key": {**_secret("Client Key"), "multiline": True},
            "client_key_password": _secret("Client key password"),
        },
    }


# source-postgres's spec.json: the verify modes' certificates are airbyte_secret, though
# "ca_certificate" looks like no secret by its name.
_POSTGRES_SSL_MODES: dict[str, Any] = {
    "type": "object",
    "title": "SSL Modes",
    "oneOf": [
        *(
            {"title": mode, "required": ["mode"], "properties": {"mode": _const(mode)}}
            for mode in ("disable", "allow", "prefer", "require")
        ),
        _certificates("verify-ca"),
        _certificates("verify-full"),
    ],
}


# source-postgres's spec.json (airbytehq/airbyte, commit 035bb71): CDC needs a replication
# slot and a publication.
_POSTGRES_REPLICATION: dict[str, Any] = {
    "type": "object",
    "title": "Replication Method",
    "oneOf": [
        {"title": "Standard", "required": ["method"], "properties": {"method": _const("Standard")}},
        {
            "title": "Logical Replication (CDC)",
            "required": ["method", "replication_slot", "publication"],
            "additionalProperties": True,
            "properties": {
                "method": _const("CDC"),
                "plugin": _string("Plugin", enum=["pgoutput"], default="pgoutput"),
                "replication_slot": _string("Replication Slot"),
                "publication": _string("Publication"),
                "initial_waiting_seconds": _integer("Initial Waiting Time in Seconds", default=300),
                "lsn_commit_behaviour": _string(
                    "LSN commit behaviour",
                    enum=["While reading Data", "After loading Data in the destination"],
                    default="After loading Data in the destination",
                ),
            },
        },
    ],
}


def _tunnel(title: str, method: str, secret: str, field: dict[str, Any]) -> dict[str, Any]:
    """An SSH tunnel option: the jump server, its user, and the user's *secret* (*field*)."""
    return {
        "title": title,
        "required": ["tunnel_method", "tunnel_host", "tunnel_port", "tunnel_user", secret],
        "properties": {
            "tunnel_method": _const(method),
            "tunnel_host": _string("SSH Tunnel Jump Server Host", order=1),
            "tunnel_port": _integer(
                "SSH Connection Port", minimum=0, maximum=65536, default=22, order=2
            ),
            "tunnel_user": _string("SSH Login Username", order=3),
            secret: {**field, "order": 4},
        },
    }


# source-postgres's spec as the connector serves it, the CDK's SshHelpers adding its SSH
# tunnel to spec.json's fields (airbytehq/airbyte, commit 09b2472,
# src/test-integration/resources/expected_spec.json): the key and the password are
# airbyte_secret.
_SSH_TUNNEL: dict[str, Any] = {
    "type": "object",
    "title": "SSH Tunnel Method",
    "oneOf": [
        {
            "title": "No Tunnel",
            "required": ["tunnel_method"],
            "properties": {"tunnel_method": _const("NO_TUNNEL")},
        },
        _tunnel(
            "SSH Key Authentication",
            "SSH_KEY_AUTH",
            "ssh_key",
            {**_secret("SSH Private Key"), "multiline": True},
        ),
        _tunnel(
            "Password Authentication",
            "SSH_PASSWORD_AUTH",
            "tunnel_user_password",
            _secret("Password"),
        ),
    ],
}

_STRIPE_STREAMS = tuple(
    StreamTemplate(
        name,
        {"id": "string", "created": "integer", **extra},
        source_defined_cursor=True,
        cursor=("created",),
    )
    for name, extra in (
        ("charges", {"amount": "integer", "currency": "string", "status": "string"}),
        ("customers", {"email": "string", "name": "string"}),
    )
)

# source-stripe's spec.yaml (airbytehq/airbyte, commit 087613b): start_date must match a
# pattern, the windows are bounded below.
_STRIPE_PROPERTIES: dict[str, Any] = {
    "account_id": _string("Account ID", order=0),
    "client_secret": {**_secret("Secret Key"), "order": 1},
    "start_date": _string(
        "Replication Start Date",
        pattern="^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$",
        format="date-time",
        order=2,
    ),
    "lookback_window_days": _integer("Lookback Window (Days)", default=0, minimum=0, order=3),
    "slice_range": _integer("Data Sync Frequency (Days)", default=365, minimum=1, order=4),
}

SOURCE_DEFINITIONS: tuple[ConnectorDefinition, ...] = (
    ConnectorDefinition(
        kind="source",
        definition_id="decd338e-5647-4c0b-adf4-da0e75f5a750",
        name="Postgres",
        docker_repository="airbyte/source-postgres",
        docker_image_tag="3.3.8",
        documentation_url="https://docs.airbyte.com/integrations/sources/postgres",
        source_type="database",
        spec=_spec(
            ["host", "port", "database", "username"],
            {
                **_DB_PROPERTIES,
                "schemas": {
                    "type": "array",
                    "items": {"type": "string"},
                    "minItems": 0,
                    "uniqueItems": True,
                    "title": "Schemas",
                },
                "ssl_mode": _POSTGRES_SSL_MODES,
                "replication_method": _POSTGRES_REPLICATION,
                "tunnel_method": _SSH_TUNNEL,
            },
        ),
        streams=_DB_STREAMS,
    ),
    ConnectorDefinition(
        kind="source",
        definition_id="435bb9a5-7887-4809-aa58-28c27df0d7ad",
        name="MySQL",
        docker_repository="airbyte/source-mysql",
        docker_image_tag="3.3.13",
        documentation_url="https://docs.airbyte.com/integrations/sources/mysql",
        source_type="database",
        spec=_spec(["host", "port", "database", "username"], dict(_DB_PROPERTIES)),
        streams=(*_DB_STREAMS, _KEYLESS_STREAM),
        namespace_key="database",
    ),
    ConnectorDefinition(
        kind="source",
        definition_id="dfd88b22-b603-4c3d-aad7-3701784586b1",
        name="Sample Data (Faker)",
        docker_repository="airbyte/source-faker",
        docker_image_tag="6.0.3",
        documentation_url="https://docs.airbyte.com/integrations/sources/faker",
        source_type="api",
        spec=_spec(
            ["count"],
            {
                "count": {"type": "integer", "title": "Count", "default": 1000, "minimum": 1},
                "seed": {"type": "integer", "title": "Seed", "default": -1},
                "records_per_slice": {"type": "integer", "default": 1000},
                "always_updated": {"type": "boolean", "default": True},
                "parallelism": {"type": "integer", "default": 4},
            },
        ),
        streams=_FAKER_STREAMS,
    ),
    ConnectorDefinition(
        kind="source",
        definition_id="778daa7c-feaf-4db6-96f3-70fd645acc77",
        name="File (CSV, JSON, Excel, Feather, Parquet)",
        docker_repository="airbyte/source-file",
        docker_image_tag="0.5.3",
        documentation_url="https://docs.airbyte.com/integrations/sources/file",
        source_type="file",
        spec=_spec(
            ["dataset_name", "format", "url", "provider"],
            {
                "dataset_name": _string("Dataset Name"),
                "format": _string(
                    "File Format",
                    enum=["csv", "json", "jsonl", "excel", "excel_binary", "feather", "parquet"],
                ),
                "reader_options": _string("Reader Options"),
                "url": _string("URL"),
                "provider": {"type": "object", "title": "Storage Provider"},
            },
        ),
    ),
    ConnectorDefinition(
        kind="source",
        definition_id="e094cb9a-26de-4645-8761-65c0c425d1de",
        name="Stripe",
        docker_repository="airbyte/source-stripe",
        docker_image_tag="5.9.1",
        documentation_url="https://docs.airbyte.com/integrations/sources/stripe",
        source_type="api",
        spec=_spec(["client_secret", "account_id", "start_date"], _STRIPE_PROPERTIES),
        streams=_STRIPE_STREAMS,
    ),
)

DESTINATION_DEFINITIONS: tuple[ConnectorDefinition, ...] = (
    ConnectorDefinition(
        kind="destination",
        definition_id="4816b78f-1489-44c1-9060-4b19d5fa9362",
        name="S3",
        docker_repository="airbyte/destination-s3",
        docker_image_tag="0.5.9",
        documentation_url="https://docs.airbyte.com/integrations/destinations/s3",
        spec=_spec(
            ["s3_bucket_name", "s3_bucket_path", "s3_bucket_region", "format"],
            dict(_S3_PROPERTIES),
        ),
        supported_sync_modes=("append", "overwrite"),
    ),
    ConnectorDefinition(
        kind="destination",
        definition_id="471e5cab-8ed1-49f3-ba11-79c687784737",
        name="S3 Glue",
        docker_repository="airbyte/destination-s3-glue",
        docker_image_tag="0.1.8",
        documentation_url="https://docs.airbyte.com/integrations/destinations/s3-glue",
        release_stage="alpha",
        support_level="community",
        spec=_spec(
            [
                "s3_bucket_name",
                "s3_bucket_path",
                "s3_bucket_region",
                "format",
                "glue_database",
                "glue_serialization_library",
            ],
            {
                **_S3_PROPERTIES,
                "glue_database": _string("Glue database name"),
                "glue_serialization_library": _string(
                    "Serialization Library",
                    enum=[
                        "org.openx.data.jsonserde.JsonSerDe",
                        "org.apache.hive.hcatalog.data.JsonSerDe",
                    ],
                ),
            },
        ),
        supported_sync_modes=("append", "overwrite"),
    ),
    ConnectorDefinition(
        kind="destination",
        definition_id="25c5221d-dce2-4163-ade9-739ef790f503",
        name="Postgres",
        docker_repository="airbyte/destination-postgres",
        docker_image_tag="2.0.4",
        documentation_url="https://docs.airbyte.com/integrations/destinations/postgres",
        spec=_spec(
            ["host", "port", "database", "schema", "username"],
            {**_DB_PROPERTIES, "schema": _string("Default Schema", default="public")},
        ),
    ),
    ConnectorDefinition(
        kind="destination",
        definition_id="22f6c74f-5699-40ff-833c-4a879ea40133",
        name="BigQuery",
        docker_repository="airbyte/destination-bigquery",
        docker_image_tag="2.4.12",
        documentation_url="https://docs.airbyte.com/integrations/destinations/bigquery",
        spec=_spec(
            ["project_id", "dataset_location", "dataset_id"],
            {
                "project_id": _string("Project ID"),
                "dataset_location": _string("Dataset Location"),
                "dataset_id": _string("Default Dataset ID"),
                "credentials_json": _secret("Service Account Key JSON"),
                "loading_method": {"type": "object", "title": "Loading Method"},
            },
        ),
    ),
    ConnectorDefinition(
        kind="destination",
        definition_id="a625d593-bba5-4a1c-a53d-2d246268a816",
        name="Local JSON",
        docker_repository="airbyte/destination-local-json",
        docker_image_tag="0.2.11",
        documentation_url="https://docs.airbyte.com/integrations/destinations/local-json",
        release_stage="alpha",
        support_level="community",
        spec=_spec(["destination_path"], {"destination_path": _string("Destination Path")}),
        supported_sync_modes=("append", "overwrite"),
    ),
)
