"""Trigram GIN indexes on the normalized ``search_text`` of documents, on PostgreSQL only.

``search_text LIKE '%term%'`` (Django's ``contains``) is then answered from the index even at millions of
rows; SQLite keeps scanning the column, which is fine for a laptop or a small commune. ``pg_trgm`` is a
trusted extension (PostgreSQL 13+), so the database owner may create it without superuser rights.
"""

from django.db import migrations

INDEXES = [
    ("documents_incoming_search_trgm", "documents_incomingdocument"),
    ("documents_outgoing_search_trgm", "documents_outgoingdocument"),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table in INDEXES:
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin (search_text gin_trgm_ops)")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("documents", "0002_document_types")]

    operations = [migrations.RunPython(create, drop)]
