"""notify: per-message delivery to chat bots and the per-bot send log used for pacing

Revision ID: notify_0002
Revises: notify_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "notify_0002"
down_revision = "notify_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "gxq_notify_delivery",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("outbox_id", sa.Integer, sa.ForeignKey("gxq_notify_outbox.id", ondelete="CASCADE"), nullable=False),
        sa.Column("url_id", sa.String(16), nullable=False),
        sa.Column("bot", sa.String(16), nullable=False),
        sa.Column("platform", sa.String(20), nullable=False),
        sa.Column("part", sa.Integer, nullable=False),
        sa.Column("parts", sa.Integer, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("platform_code", sa.Integer),
        sa.Column("platform_message", sa.Text),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("too_fast", sa.Integer, nullable=False, server_default="0"),
        sa.Column("first_attempt_at", sa.DateTime),
        sa.Column("last_attempt_at", sa.DateTime),
        sa.Column("accepted_at", sa.DateTime),
        sa.UniqueConstraint("outbox_id", "url_id", "part", "parts", name="uq_gxq_notify_delivery_part"),
    )
    op.create_index("ix_gxq_notify_delivery_status", "gxq_notify_delivery", ["status"])
    op.create_table(
        "gxq_notify_bots",
        sa.Column("bot", sa.String(16), primary_key=True),
        sa.Column("platform", sa.String(20), nullable=False),
        sa.Column("blocked_until", sa.DateTime),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "gxq_notify_bot_sends",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("bot", sa.String(16), nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_gxq_notify_bot_sends_bot_at", "gxq_notify_bot_sends", ["bot", "at"])


def downgrade() -> None:
    op.drop_index("ix_gxq_notify_bot_sends_bot_at", table_name="gxq_notify_bot_sends")
    op.drop_table("gxq_notify_bot_sends")
    op.drop_table("gxq_notify_bots")
    op.drop_index("ix_gxq_notify_delivery_status", table_name="gxq_notify_delivery")
    op.drop_table("gxq_notify_delivery")
