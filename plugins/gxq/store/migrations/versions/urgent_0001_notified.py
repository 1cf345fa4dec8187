"""urgent: the 急险 watch's notices, once ever per (petition, stage)

``petition_urgent_notified``: one row per (petition, stage) ever notified (the four alert stages,
``escalated`` for 督办, ``invalid`` for a quarantined urgent row told to ops): the primary key makes
"once ever" a database fact, whatever runs, reruns and backfills happen. ``period_key`` is the run
(as_of minute) that notified it, ``recipient`` whom, ``seq`` which notice of that run and recipient
(a rerun that finds more carries them in a notice of its own); ``detail_json`` what the notice said,
so that a rerun renders the same notice.

Revision ID: urgent_0001
Revises: core_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "urgent_0001"
down_revision = "core_0001"
branch_labels = ("urgent",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "petition_urgent_notified",
        sa.Column("petition_id", sa.String(100), primary_key=True),
        sa.Column("stage", sa.String(30), primary_key=True),
        sa.Column("recipient", sa.String(100), nullable=False),
        sa.Column("period_key", sa.String(40), nullable=False),
        sa.Column("seq", sa.Integer),
        sa.Column("detail_json", sa.Text, nullable=False),
        sa.Column("notified_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_petition_urgent_notified_period", "petition_urgent_notified", ["period_key", "recipient"])


def downgrade() -> None:
    op.drop_index("ix_petition_urgent_notified_period", table_name="petition_urgent_notified")
    op.drop_table("petition_urgent_notified")
