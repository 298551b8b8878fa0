"""The one way the services open PostgreSQL."""

from typing import Any

from sqlalchemy import URL, Engine, create_engine


def engine(url: str | URL, **options: Any) -> Engine:
    """create_engine with hide_parameters: otherwise a failing statement's message carries its parameters —
    names, СНИЛС, policy numbers — into the logs and into RPC errors."""
    return create_engine(url, hide_parameters=True, **options)
