"""Shows keyed on a setlist.fm id when Ticketmaster never listed them (past shows).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _schema() -> str | None:
    # ALTER statements name the schema literally; SQLite has none (one file per service).
    return None if op.get_bind().dialect.name == "sqlite" else "catalog"


def upgrade() -> None:
    schema = _schema()
    op.add_column("show", sa.Column("setlistfm_id", sa.String(length=64)), schema=schema)
    if schema is None:
        # SQLite cannot add a constraint in place; a unique index binds the same.
        op.create_index("uq_show_setlistfm_id", "show", ["setlistfm_id"], unique=True)
    else:
        op.create_unique_constraint("uq_show_setlistfm_id", "show", ["setlistfm_id"], schema=schema)


def downgrade() -> None:
    schema = _schema()
    if schema is None:
        op.drop_index("uq_show_setlistfm_id", table_name="show")
        op.drop_column("show", "setlistfm_id")
    else:
        op.drop_constraint("uq_show_setlistfm_id", "show", schema=schema, type_="unique")
        op.drop_column("show", "setlistfm_id", schema=schema)
