"""tasks: 任务清单 督查 — red targets under supervision (督办事项) and their monthly states

Revision ID: tasks_0001
Revises: core_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "tasks_0001"
down_revision = "core_0001"
branch_labels = ("tasks",)
depends_on = None


def upgrade() -> None:
    # A target put under supervision the month it turned red; closed (销号) the month it is green.
    op.create_table(
        "plan_supervised_items",
        sa.Column("item_id", sa.String(120), primary_key=True),
        sa.Column("target_id", sa.String(100), nullable=False),
        sa.Column("unit_code", sa.String(40)),
        sa.Column("opened_period", sa.String(7), nullable=False),
        sa.Column("closed_period", sa.String(7)),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    # Its state as of each month's run (新增督办 / 督办中 / 已销号).
    op.create_table(
        "plan_supervised_states",
        sa.Column("item_id", sa.String(120), primary_key=True),
        sa.Column("period_key", sa.String(7), primary_key=True),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("light", sa.String(10)),
        sa.Column("status", sa.String(20)),
        sa.Column("months_open", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_plan_supervised_states_period", "plan_supervised_states", ["period_key"])


def downgrade() -> None:
    op.drop_index("ix_plan_supervised_states_period", "plan_supervised_states")
    op.drop_table("plan_supervised_states")
    op.drop_table("plan_supervised_items")
