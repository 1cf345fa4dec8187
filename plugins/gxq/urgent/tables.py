"""SQLAlchemy Core table of the urgent branch of ``gxq_ops`` (migration urgent_0001)."""

import sqlalchemy as sa

metadata = sa.MetaData()

notified = sa.Table(
    "petition_urgent_notified",
    metadata,
    sa.Column("petition_id", sa.String(100), primary_key=True),
    sa.Column("stage", sa.String(30), primary_key=True),  # an alert stage, "escalated" or "invalid"
    sa.Column("recipient", sa.String(100), nullable=False),
    sa.Column("period_key", sa.String(40), nullable=False),  # the run that notified it
    sa.Column("seq", sa.Integer),  # which notice of that run and recipient
    sa.Column("detail_json", sa.Text, nullable=False),
    sa.Column("notified_at", sa.DateTime, nullable=False),
)
