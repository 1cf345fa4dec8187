"""petitions: per-topic, per-street, per-day complaint counts (突增 baselines), surges per week

The bulletin's 突增 (surges) compare a topic's complaints in W with its own 8 weeks before W. Those
counts are sums of ``petition_topic_days`` (complaints, kind 投诉, valid, received per day, topic and
街道), stored beside ``petition_unit_days`` by the same runs, so the baseline never re-reads the
department (gxq.petitions.daily). ``petition_days.has_topics`` says a stored day holds its topic
counts too: days stored before this revision have it false and are read again once.

``petition_weeks.surges_json``: the week's surging topics beside its top list (the supervised
items' history); ``opened_as`` / ``surge`` mark the items put under 挂牌督办 as 突增.

Revision ID: petitions_0003
Revises: petitions_0002
"""

import sqlalchemy as sa
from alembic import op

revision = "petitions_0003"
down_revision = "petitions_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # street '' holds complaints without a street (the contract reads '' as NULL, so '' is no street).
    op.create_table(
        "petition_topic_days",
        sa.Column("source", sa.String(300), primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("topic", sa.Text, primary_key=True),
        sa.Column("street", sa.Text, primary_key=True),
        sa.Column("complaints", sa.Integer, nullable=False),
    )
    with op.batch_alter_table("petition_days") as batch:
        batch.add_column(sa.Column("has_topics", sa.Boolean, nullable=False, server_default=sa.false()))
    with op.batch_alter_table("petition_weeks") as batch:
        batch.add_column(sa.Column("surges_json", sa.Text, nullable=True))
    with op.batch_alter_table("petition_supervised_items") as batch:
        batch.add_column(sa.Column("opened_as", sa.String(10), nullable=True))  # top / surge
    with op.batch_alter_table("petition_supervised_states") as batch:
        batch.add_column(sa.Column("surge", sa.Boolean, nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("petition_supervised_states") as batch:
        batch.drop_column("surge")
    with op.batch_alter_table("petition_supervised_items") as batch:
        batch.drop_column("opened_as")
    with op.batch_alter_table("petition_weeks") as batch:
        batch.drop_column("surges_json")
    with op.batch_alter_table("petition_days") as batch:
        batch.drop_column("has_topics")
    op.drop_table("petition_topic_days")
