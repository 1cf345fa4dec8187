"""petitions: per-unit, per-day counts of the bulletin's figures (year to date, trend, ranking)

Each week's bulletin stores the counts of its seven days; the year to date, the 8-week trend and
the monthly ranking are sums of stored days, so a bulletin reads one week of the department
database, not ~30 (gxq.petitions.daily). ``source`` names the department database the counts were
read from: counts of another database (demo data, a moved database) are never summed.

Revision ID: petitions_0002
Revises: petitions_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "petitions_0002"
down_revision = "petitions_0001"
branch_labels = None
depends_on = None

COUNTS = ("received", "dispatch_due", "dispatch_on_time", "feedback_due", "feedback_on_time", "surveyed", "satisfied")


def upgrade() -> None:
    # The days whose counts are stored (a day without any petition has a row here and none below).
    op.create_table(
        "petition_days",
        sa.Column("source", sa.String(300), primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("week_key", sa.String(10), nullable=False),  # the run that read the day last
        sa.Column("computed_at", sa.DateTime, nullable=False),
    )
    # The figures of unit_metrics per lead unit and day, each counted on its own timestamp's day;
    # has_lead false (unit_code '') holds the petitions without a lead (they count in the totals).
    op.create_table(
        "petition_unit_days",
        sa.Column("source", sa.String(300), primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("has_lead", sa.Boolean, primary_key=True),
        sa.Column("unit_code", sa.Text, primary_key=True),
        *(sa.Column(name, sa.Integer, nullable=False) for name in COUNTS),
    )


def downgrade() -> None:
    op.drop_table("petition_unit_days")
    op.drop_table("petition_days")
