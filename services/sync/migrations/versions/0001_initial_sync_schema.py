"""Initial sync schema.

Revision ID: 0001
Revises:
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "import_job",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("import", "refresh", name="job_kind", native_enum=False, schema="sync"),
            nullable=False,
        ),
        sa.Column("reference", sa.String(length=300), nullable=False),
        sa.Column("artist_key", sa.String(length=320), nullable=False),
        sa.Column("artist_id", sa.Uuid(), nullable=True),
        sa.Column("artist_name", sa.String(length=300), nullable=True),
        sa.Column(
            "state",
            sa.Enum(
                "queued",
                "running",
                "completed",
                "failed",
                "cancelled",
                name="job_state",
                native_enum=False,
                schema="sync",
            ),
            nullable=False,
        ),
        sa.Column(
            "stage",
            sa.Enum(
                "pending",
                "resolving_identity",
                "importing_catalog",
                "importing_shows",
                "importing_setlists",
                "seeding_predictions",
                "completed",
                "failed",
                name="import_stage",
                native_enum=False,
                schema="sync",
            ),
            nullable=False,
        ),
        sa.Column("percent", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("counters", sa.JSON(), nullable=False),
        sa.Column("stage_timings", sa.JSON(), nullable=False),
        sa.Column("error_reason", sa.String(length=64), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_job")),
        schema="sync",
    )
    op.create_index(
        "ix_import_job_created_at_id",
        "import_job",
        ["created_at", "id"],
        unique=False,
        schema="sync",
    )
    op.create_index(
        "uq_import_job_active_artist_id",
        "import_job",
        ["artist_id"],
        unique=True,
        schema="sync",
        postgresql_where=sa.text("state IN ('queued', 'running') AND artist_id IS NOT NULL"),
        sqlite_where=sa.text("state IN ('queued', 'running') AND artist_id IS NOT NULL"),
    )
    op.create_index(
        "uq_import_job_active_artist_key",
        "import_job",
        ["artist_key"],
        unique=True,
        schema="sync",
        postgresql_where=sa.text("state IN ('queued', 'running')"),
        sqlite_where=sa.text("state IN ('queued', 'running')"),
    )
    op.create_table(
        "schedule",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("interval_seconds", sa.Float(), nullable=False),
        sa.Column("next_run_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_run_id", sa.Uuid(), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_schedule")),
        schema="sync",
    )
    op.create_table(
        "upstream_fingerprint",
        sa.Column("upstream", sa.String(length=20), nullable=False),
        sa.Column("resource", sa.String(length=500), nullable=False),
        sa.Column("etag", sa.String(length=200), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("upstream", "resource", name=op.f("pk_upstream_fingerprint")),
        schema="sync",
    )
    op.create_table(
        "import_log",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("job_id", sa.Uuid(), nullable=False),
        sa.Column(
            "stage",
            sa.Enum(
                "pending",
                "resolving_identity",
                "importing_catalog",
                "importing_shows",
                "importing_setlists",
                "seeding_predictions",
                "completed",
                "failed",
                name="import_stage",
                native_enum=False,
                schema="sync",
            ),
            nullable=False,
        ),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["sync.import_job.id"],
            name=op.f("fk_import_log_job_id_import_job"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_log")),
        schema="sync",
    )
    op.create_index(
        op.f("ix_sync_import_log_job_id"), "import_log", ["job_id"], unique=False, schema="sync"
    )
    op.create_table(
        "schedule_run",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("schedule", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_seconds", sa.Float(), nullable=True),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["schedule"],
            ["sync.schedule.name"],
            name=op.f("fk_schedule_run_schedule_schedule"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedule_run")),
        schema="sync",
    )
    op.create_index(
        "ix_schedule_run_schedule_started_at",
        "schedule_run",
        ["schedule", "started_at"],
        unique=False,
        schema="sync",
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_schedule_run_schedule_started_at", table_name="schedule_run", schema="sync")
    op.drop_table("schedule_run", schema="sync")
    op.drop_index(op.f("ix_sync_import_log_job_id"), table_name="import_log", schema="sync")
    op.drop_table("import_log", schema="sync")
    op.drop_table("upstream_fingerprint", schema="sync")
    op.drop_table("schedule", schema="sync")
    op.drop_index(
        "uq_import_job_active_artist_key",
        table_name="import_job",
        schema="sync",
        postgresql_where=sa.text("state IN ('queued', 'running')"),
        sqlite_where=sa.text("state IN ('queued', 'running')"),
    )
    op.drop_index(
        "uq_import_job_active_artist_id",
        table_name="import_job",
        schema="sync",
        postgresql_where=sa.text("state IN ('queued', 'running') AND artist_id IS NOT NULL"),
        sqlite_where=sa.text("state IN ('queued', 'running') AND artist_id IS NOT NULL"),
    )
    op.drop_index("ix_import_job_created_at_id", table_name="import_job", schema="sync")
    op.drop_table("import_job", schema="sync")
