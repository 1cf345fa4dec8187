"""core: issued reports

Revision ID: core_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "core_0001"
down_revision = None
branch_labels = ("core",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "gxq_reports",
        sa.Column("dag_id", sa.String(100), primary_key=True),
        sa.Column("period_key", sa.String(40), primary_key=True),
        sa.Column("run_id", sa.String(250)),
        sa.Column("report_json", sa.Text, nullable=False),
        sa.Column("report_hash", sa.String(64), nullable=False),
        sa.Column("issued_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("gxq_reports")
