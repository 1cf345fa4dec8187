"""notify: who holds an outbox claim (the Airflow task try), so a later try of the same task
instance can take over a claim its own killed try left behind

Revision ID: notify_0003
Revises: notify_0002
"""

import sqlalchemy as sa
from alembic import op

revision = "notify_0003"
down_revision = "notify_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("gxq_notify_outbox") as batch:
        # "<dag_id>|<run_id>|<task_id>|<map_index>": the task instance, the same over its tries
        batch.add_column(sa.Column("claim_holder", sa.Text))
        batch.add_column(sa.Column("claim_try", sa.Integer))


def downgrade() -> None:
    with op.batch_alter_table("gxq_notify_outbox") as batch:
        batch.drop_column("claim_try")
        batch.drop_column("claim_holder")
