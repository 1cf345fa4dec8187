"""policy: the review of each batch before it goes to finance (审核后报财政)

``policy_reviews``: one row per review request or recorded approval of a batch (batch_key): who
asked (run), its state (waiting / approved / rejected / superseded), who answered, when, the note,
the held awards, reminders and escalation sent. ``open_key`` is the batch_key while the request
waits and NULL otherwise: its unique index makes "one waiting request per batch" a database fact.
``policy_batch_approvals``: the approval an issued batch went out with, written in the issuing
transaction, so a rerun of the batch reproduces it.

Revision ID: policy_0002
Revises: policy_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "policy_0002"
down_revision = "policy_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "policy_reviews",
        sa.Column("review_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("batch_key", sa.String(600), nullable=False),
        sa.Column("batch_id", sa.String(120), nullable=False),
        sa.Column("dag_id", sa.String(100), nullable=False),
        sa.Column("cadence", sa.String(20), nullable=False),
        sa.Column("period_key", sa.String(20), nullable=False),
        sa.Column("run_id", sa.String(250)),
        sa.Column("task_id", sa.String(250)),
        sa.Column("map_index", sa.Integer),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("open_key", sa.String(600)),
        sa.Column("requested_at", sa.DateTime, nullable=False),
        sa.Column("decided_at", sa.DateTime),
        sa.Column("decided_by", sa.String(250)),
        sa.Column("via", sa.String(10)),
        sa.Column("ref", sa.String(250)),
        sa.Column("note", sa.Text),
        sa.Column("holds_json", sa.Text, nullable=False, server_default="[]"),
        sa.Column("triggered_by", sa.String(250)),
        sa.Column("approvers", sa.Text),
        sa.Column("summary_json", sa.Text),
        sa.Column("reminded_at", sa.DateTime),
        sa.Column("escalated_at", sa.DateTime),
        sa.UniqueConstraint("open_key", name="uq_policy_reviews_open"),
    )
    op.create_index("ix_policy_reviews_batch", "policy_reviews", ["batch_key", "status"])
    op.create_table(
        "policy_batch_approvals",
        sa.Column("batch_id", sa.String(120), primary_key=True),
        sa.Column("review_id", sa.Integer),
        sa.Column("approved_by", sa.String(250), nullable=False),
        sa.Column("approval_ref", sa.String(250), nullable=False),
        sa.Column("via", sa.String(10), nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("decided_at", sa.DateTime, nullable=False),
        sa.Column("triggered_by", sa.String(250)),
        sa.Column("holds_json", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("policy_batch_approvals")
    op.drop_index("ix_policy_reviews_batch", table_name="policy_reviews")
    op.drop_table("policy_reviews")
