"""A pipeline file for the command line's tests: a source, a destination and a connection."""

from __future__ import annotations

__all__ = ["PIPELINE"]

#: Its source's password comes from ``PG_PASSWORD``.
PIPELINE = """
[[sources]]
name = "shop"
definition = "Postgres"
[sources.configuration]
host = "db.internal"
port = 5432
database = "shop"
username = "reader"
password = { env = "PG_PASSWORD" }

[[destinations]]
name = "lake"
definition = "S3"
[destinations.configuration]
s3_bucket_name = "lake"
s3_bucket_path = "shop"
s3_bucket_region = "us-east-1"
format = { format_type = "Parquet" }

[[connections]]
name = "shop-to-lake"
source = "shop"
destination = "lake"
schedule = { every = 6, unit = "hours" }

[[connections.streams]]
name = "orders"
sync_mode = "incremental"
cursor_field = "updated_at"
destination_sync_mode = "append"
"""
