"""policy: redemption batches, their items and withheld awards, the payment ledger

政策兑现批次 / 兑现明细 / 暂缓兑现 / 兑现台账. The ledger's unique key on (policy_id, credit_code,
basis_id) is what makes "paid at most once, ever" a database fact; the unique batch_key makes two
concurrent runs of the same period issue one batch.

Revision ID: policy_0001
Revises: core_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "policy_0001"
down_revision = "core_0001"
branch_labels = ("policy",)
depends_on = None

AMOUNT = sa.Numeric(16, 2)


def upgrade() -> None:
    op.create_table(
        "policy_batches",
        sa.Column("batch_id", sa.String(120), primary_key=True),
        sa.Column("batch_key", sa.String(600), nullable=False),
        sa.Column("dag_id", sa.String(100), nullable=False),
        sa.Column("cadence", sa.String(20), nullable=False),
        sa.Column("period_key", sa.String(20), nullable=False),
        sa.Column("policy_ids", sa.Text, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("issued_at", sa.DateTime, nullable=False),
        sa.Column("run_id", sa.String(250)),
        sa.Column("item_count", sa.Integer, nullable=False),
        sa.Column("withheld_count", sa.Integer, nullable=False),
        sa.Column("total_amount", AMOUNT, nullable=False),
        sa.Column("withheld_amount", AMOUNT, nullable=False),
        sa.Column("shortfalls_json", sa.Text, nullable=False),
        sa.Column("data_problems_json", sa.Text, nullable=False),
        sa.UniqueConstraint("batch_key", name="uq_policy_batches_key"),
    )
    op.create_table(
        "policy_batch_items",
        sa.Column("batch_id", sa.String(120), sa.ForeignKey("policy_batches.batch_id"), nullable=False),
        sa.Column("policy_id", sa.String(64), nullable=False),
        sa.Column("credit_code", sa.String(64), nullable=False),
        sa.Column("basis_id", sa.String(128), nullable=False),
        sa.Column("basis_on", sa.String(10), nullable=False),
        sa.Column("enterprise_name", sa.Text),
        sa.Column("amount", AMOUNT, nullable=False),
        sa.Column("trace_json", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("batch_id", "policy_id", "credit_code", "basis_id"),
        # An award is an item of one batch only, ever (the ledger says the same).
        sa.UniqueConstraint("policy_id", "credit_code", "basis_id", name="uq_policy_batch_items_award"),
    )
    op.create_table(
        "policy_batch_withheld",
        sa.Column("batch_id", sa.String(120), sa.ForeignKey("policy_batches.batch_id"), nullable=False),
        sa.Column("policy_id", sa.String(64), nullable=False),
        sa.Column("credit_code", sa.String(64), nullable=False),
        sa.Column("basis_id", sa.String(128), nullable=False),
        sa.Column("basis_on", sa.String(10), nullable=False),
        sa.Column("enterprise_name", sa.Text),
        sa.Column("reason", sa.String(40), nullable=False),
        sa.Column("amount", AMOUNT, nullable=False),
        sa.Column("trace_json", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("batch_id", "policy_id", "credit_code", "basis_id"),
    )
    op.create_table(
        "policy_payment_ledger",
        sa.Column("ledger_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("policy_id", sa.String(64), nullable=False),
        sa.Column("credit_code", sa.String(64), nullable=False),
        sa.Column("basis_id", sa.String(128), nullable=False),
        sa.Column("amount", AMOUNT, nullable=False),
        sa.Column("batch_id", sa.String(120), sa.ForeignKey("policy_batches.batch_id"), nullable=False),
        sa.Column("recorded_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("policy_id", "credit_code", "basis_id", name="uq_policy_payment_ledger_award"),
    )
    op.create_index("ix_policy_batches_period", "policy_batches", ["cadence", "period_key"])
    op.create_index("ix_policy_batch_withheld_award", "policy_batch_withheld", ["policy_id", "credit_code", "basis_id"])
    _freeze()


FROZEN = ("policy_batches", "policy_batch_items", "policy_batch_withheld", "policy_payment_ledger")


def _freeze() -> None:
    """Issued batches and the ledger are append-only: the database refuses UPDATE and DELETE."""
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for table in FROZEN:
            for action in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER trg_{table}_no_{action.lower()} BEFORE {action} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is frozen once issued (append-only)'); END"
                )
    else:
        op.execute(
            "CREATE OR REPLACE FUNCTION policy_frozen() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION '% is frozen once issued (append-only)', TG_TABLE_NAME; END $$"
        )
        for table in FROZEN:
            op.execute(
                f"CREATE TRIGGER trg_{table}_frozen BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION policy_frozen()"
            )


def _unfreeze() -> None:
    bind = op.get_bind()
    for table in FROZEN:
        if bind.dialect.name == "sqlite":
            for action in ("update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_no_{action}")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_frozen ON {table}")
    if bind.dialect.name != "sqlite":
        op.execute("DROP FUNCTION IF EXISTS policy_frozen()")


def downgrade() -> None:
    _unfreeze()
    op.drop_index("ix_policy_batch_withheld_award", table_name="policy_batch_withheld")
    op.drop_index("ix_policy_batches_period", table_name="policy_batches")
    op.drop_table("policy_payment_ledger")
    op.drop_table("policy_batch_withheld")
    op.drop_table("policy_batch_items")
    op.drop_table("policy_batches")
