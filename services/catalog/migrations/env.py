"""Alembic environment of the catalog service (schema "catalog")."""

from services.catalog.models import SCHEMA, Base
from shared.migrations import run_env

run_env(Base.metadata, SCHEMA)
