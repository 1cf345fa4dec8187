"""petitions: weekly topic snapshots and 挂牌督办 supervised items

Revision ID: petitions_0001
Revises: core_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "petitions_0001"
down_revision = "core_0001"
branch_labels = ("petitions",)
depends_on = None


def upgrade() -> None:
    # One row per ISO week: the complaint counts per topic and the top list of that week, the
    # history the supervised-item loop is computed from (keyed by week, never by "latest run").
    op.create_table(
        "petition_weeks",
        sa.Column("week_key", sa.String(10), primary_key=True),
        sa.Column("week_start", sa.Date, nullable=False),
        sa.Column("topics_json", sa.Text, nullable=False),
        sa.Column("top_json", sa.Text, nullable=False),
        sa.Column("computed_at", sa.DateTime, nullable=False),
    )
    # 挂牌督办事项: a topic put under supervision in the week it entered the top list.
    op.create_table(
        "petition_supervised_items",
        sa.Column("item_id", sa.String(250), primary_key=True),
        sa.Column("topic", sa.String(200), nullable=False),
        sa.Column("opened_week", sa.String(10), nullable=False),
        sa.Column("lead_unit", sa.String(40)),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    # The state of an item as of each week's bulletin (新增 / 仍在榜 / 回落 / 已销号).
    op.create_table(
        "petition_supervised_states",
        sa.Column("item_id", sa.String(250), primary_key=True),
        sa.Column("week_key", sa.String(10), primary_key=True),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("weeks_open", sa.Integer, nullable=False),
        sa.Column("complaints", sa.Integer, nullable=False),
        sa.Column("rank", sa.Integer),
        sa.Column("lead_unit", sa.String(40)),
        sa.Column("escalated", sa.Boolean, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_petition_supervised_states_week", "petition_supervised_states", ["week_key"])


def downgrade() -> None:
    op.drop_index("ix_petition_supervised_states_week", "petition_supervised_states")
    op.drop_table("petition_supervised_states")
    op.drop_table("petition_supervised_items")
    op.drop_table("petition_weeks")
