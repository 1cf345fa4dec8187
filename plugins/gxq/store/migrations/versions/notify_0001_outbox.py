"""notify: notification outbox (通知发件箱)

Revision ID: notify_0001
Revises: core_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "notify_0001"
down_revision = "core_0001"
branch_labels = ("notify",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "gxq_notify_outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("dag_id", sa.String(100), nullable=False),
        sa.Column("period_key", sa.String(40), nullable=False),
        sa.Column("recipient", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(200), nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("body_format", sa.String(10), nullable=False, server_default="markdown"),
        sa.Column("link", sa.Text),
        sa.Column("attachments_json", sa.Text, nullable=False, server_default="[]"),
        sa.Column("payload_hash", sa.String(64), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text),
        sa.Column("channels_json", sa.Text, nullable=False, server_default="[]"),
        sa.Column("claim_token", sa.String(64)),
        sa.Column("claimed_at", sa.DateTime),
        sa.Column("run_id", sa.String(250)),
        sa.Column("resend_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("resend_run_id", sa.String(250)),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("sent_at", sa.DateTime),
        sa.UniqueConstraint("dag_id", "period_key", "recipient", "kind", name="uq_gxq_notify_outbox_key"),
    )
    op.create_index("ix_gxq_notify_outbox_status", "gxq_notify_outbox", ["status"])


def downgrade() -> None:
    op.drop_index("ix_gxq_notify_outbox_status", table_name="gxq_notify_outbox")
    op.drop_table("gxq_notify_outbox")
