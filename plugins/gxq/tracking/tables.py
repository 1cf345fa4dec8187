"""SQLAlchemy Core tables of the tasks branch of ``gxq_ops`` (migration tasks_0001)."""

import sqlalchemy as sa

metadata = sa.MetaData()

supervised_items = sa.Table(
    "plan_supervised_items",
    metadata,
    sa.Column("item_id", sa.String(120), primary_key=True),
    sa.Column("target_id", sa.String(100), nullable=False),
    sa.Column("unit_code", sa.String(40)),
    sa.Column("opened_period", sa.String(7), nullable=False),
    sa.Column("closed_period", sa.String(7)),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)

supervised_states = sa.Table(
    "plan_supervised_states",
    metadata,
    sa.Column("item_id", sa.String(120), primary_key=True),
    sa.Column("period_key", sa.String(7), primary_key=True),
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("light", sa.String(10)),
    sa.Column("status", sa.String(20)),
    sa.Column("months_open", sa.Integer, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)
