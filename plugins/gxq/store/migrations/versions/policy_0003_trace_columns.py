"""policy: each award's trace (兑现依据) kept as data, not as the text it reads as

Before, each item and withheld award stored its rendered trace, the sentences as JSON
(``trace_json``). Now a batch stores what the formula used, and the workbook renders the
sentences from it (gxq.policy.trace):

- on ``policy_batch_items`` and ``policy_batch_withheld``, the award's basis beyond basis_id and
  basis_on: ``basis_at`` (an application's approval time), ``cert_type`` (a certification's type)
  and ``requested_fen`` (the amount requested, integer fen). The status that withholds an award is
  the withheld row's ``reason`` (a reviewer's ``held_by_review`` is no status and not in the trace).
- ``policy_batch_trace_values``: one row per award and key its formula used: ``value`` and
  ``from_on`` for a dated parameter (its value as text and the day it starts), ``base_fen`` and
  ``limit_fen`` for a minimum. A narrow table rather than a fixed set of columns because each
  formula names its own keys (amount, ratio, cap today; a new formula may add another): a new
  rule then needs no new revision. An award is an item or withheld in a batch, never both, so one
  table serves both.
- ``policy_batch_traces``: per batch and policy, how the trace reads those rows (its header): the
  policy's label, the rule's sentence, the basis kind (certification / application) and
  ``used_json``, the keys in the order the sentences show them with each parameter's label and
  unit (``[[key, label, unit], ...]``, label null for a minimum): a short list read whole, frozen
  with the batch so that a later change of a label does not rewrite an issued batch.

``trace_json`` becomes nullable: new batches leave it NULL; batches issued before keep their text
and are read from it, exactly as issued. The new tables are append-only, as the batches are.

Downgrade: only a store without batches issued after this revision (their trace_json is NULL,
which the older schema refuses).

Revision ID: policy_0003
Revises: policy_0002
"""

import sqlalchemy as sa
from alembic import op

revision = "policy_0003"
down_revision = "policy_0002"
branch_labels = None
depends_on = None

AWARDS = ("policy_batch_items", "policy_batch_withheld")
NEW = ("policy_batch_traces", "policy_batch_trace_values")


def _triggers(tables, create: bool) -> None:
    """The append-only triggers of policy_0001 (same names), on ``tables``. On SQLite, changing a
    column's nullability copies the table into a new one, which loses its triggers: they are
    dropped first and made again after. PostgreSQL alters the table in place."""
    bind = op.get_bind()
    for table in tables:
        if bind.dialect.name == "sqlite":
            for action in ("UPDATE", "DELETE"):
                name = f"trg_{table}_no_{action.lower()}"
                op.execute(f"DROP TRIGGER IF EXISTS {name}")
                if create:
                    op.execute(f"CREATE TRIGGER {name} BEFORE {action} ON {table} "
                               f"BEGIN SELECT RAISE(ABORT, '{table} is frozen once issued (append-only)'); END")
        elif create:  # policy_frozen() is policy_0001's
            op.execute(f"CREATE TRIGGER trg_{table}_frozen BEFORE UPDATE OR DELETE ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION policy_frozen()")


def _award_tables(nullable: bool) -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        _triggers(AWARDS, create=False)
    for table in AWARDS:
        with op.batch_alter_table(table) as batch:
            if nullable:
                batch.add_column(sa.Column("basis_at", sa.String(19)))
                batch.add_column(sa.Column("cert_type", sa.Text))
                batch.add_column(sa.Column("requested_fen", sa.BigInteger))
            else:
                batch.drop_column("requested_fen")
                batch.drop_column("cert_type")
                batch.drop_column("basis_at")
            batch.alter_column("trace_json", existing_type=sa.Text, nullable=nullable)
    if sqlite:
        _triggers(AWARDS, create=True)


def upgrade() -> None:
    _award_tables(nullable=True)
    op.create_table(
        "policy_batch_traces",
        sa.Column("batch_id", sa.String(120), sa.ForeignKey("policy_batches.batch_id"), nullable=False),
        sa.Column("policy_id", sa.String(64), nullable=False),
        sa.Column("policy", sa.Text, nullable=False),
        sa.Column("rule", sa.Text, nullable=False),
        sa.Column("basis", sa.String(20), nullable=False),
        sa.Column("used_json", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("batch_id", "policy_id"),
    )
    op.create_table(
        "policy_batch_trace_values",
        sa.Column("batch_id", sa.String(120), sa.ForeignKey("policy_batches.batch_id"), nullable=False),
        sa.Column("policy_id", sa.String(64), nullable=False),
        sa.Column("credit_code", sa.String(64), nullable=False),
        sa.Column("basis_id", sa.String(128), nullable=False),
        sa.Column("key", sa.String(40), nullable=False),
        sa.Column("value", sa.Text),
        sa.Column("from_on", sa.String(10)),
        sa.Column("base_fen", sa.BigInteger),
        sa.Column("limit_fen", sa.BigInteger),
        sa.PrimaryKeyConstraint("batch_id", "policy_id", "credit_code", "basis_id", "key"),
    )
    _triggers(NEW, create=True)


def downgrade() -> None:
    op.drop_table("policy_batch_trace_values")  # their triggers go with them
    op.drop_table("policy_batch_traces")
    _award_tables(nullable=False)
