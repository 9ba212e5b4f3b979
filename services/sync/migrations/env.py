"""Alembic environment of the sync service (schema "sync")."""

from services.sync.models import SCHEMA, Base
from shared.migrations import run_env

run_env(Base.metadata, SCHEMA)
