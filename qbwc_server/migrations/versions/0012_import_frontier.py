"""The ids an import filed at its newest TimeModified move from the run's cursor to a table of their own.

The cursor is written back at every page; when QuickBooks gives thousands of objects one TimeModified (a bulk
change) its list of those ids was written whole each time. A run in progress keeps where its data stopped.

Revision ID: 0012_import_frontier
Revises: 0011_speed_sessions
Create Date: 2026-11-29
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0012_import_frontier"
down_revision = "0011_speed_sessions"
branch_labels = None
depends_on = None

runs = sa.table(
    "import_runs",
    sa.column("id", sa.Integer),
    sa.column("status", sa.String),
    sa.column("cursor", sa.JSON().with_variant(postgresql.JSONB(), "postgresql")),
)
frontier = sa.table("import_frontier", sa.column("run_id"), sa.column("at"), sa.column("qb_id"))


def _in_progress(connection: sa.Connection) -> list[tuple[int, dict[str, Any]]]:
    """Return the cursor of each import queued or running."""
    active = sa.select(runs.c.id, runs.c.cursor).where(
        runs.c.status.in_(["queued", "running"]), runs.c.cursor.is_not(None)
    )
    return [(run_id, dict(cursor)) for run_id, cursor in connection.execute(active)]


def upgrade() -> None:
    op.create_table(
        "import_frontier",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.String(length=40), nullable=False),
        sa.Column("qb_id", sa.String(length=50), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["import_runs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("run_id", "at", "qb_id"),
    )
    connection = op.get_bind()
    for run_id, values in _in_progress(connection):
        # The ids at the newest time filed, and those the current iterator skips (filed at its start, before it).
        rows = {(values.get("frontier"), qb_id) for qb_id in values.pop("frontier_ids", None) or []}
        skip = values.pop("skip", None) or []
        rows |= {(values.get("iter_from"), qb_id) for qb_id in skip}
        values["skipping"] = bool(skip)
        wanted = [{"run_id": run_id, "at": at, "qb_id": qb_id} for at, qb_id in sorted(rows) if at]
        if wanted:
            connection.execute(frontier.insert(), wanted)
        connection.execute(runs.update().where(runs.c.id == run_id).values(cursor=values))


def downgrade() -> None:
    connection = op.get_bind()
    for run_id, values in _in_progress(connection):
        rows = connection.execute(sa.select(frontier.c.at, frontier.c.qb_id).where(frontier.c.run_id == run_id)).all()
        values["frontier_ids"] = [qb_id for at, qb_id in rows if at == values.get("frontier")]
        skipping = values.pop("skipping", False)
        values["skip"] = [qb_id for at, qb_id in rows if skipping and at == values.get("iter_from")]
        connection.execute(runs.update().where(runs.c.id == run_id).values(cursor=values))
    op.drop_table("import_frontier")
