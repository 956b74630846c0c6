"""quarantine: incoming messages that could not be read or stored; a reply's own text

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 04:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "quarantined_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("mailbox", sa.String(length=500), nullable=False),
        sa.Column("uid", sa.BigInteger(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("message_id", sa.String(length=255), nullable=False),
        sa.Column("sender", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("complete", sa.Boolean(), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("digest"),
    )
    with op.batch_alter_table("quarantined_message", schema=None) as batch_op:
        batch_op.create_index("ix_quarantined_message_received_at", ["received_at"])
    with op.batch_alter_table("reply", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reply_text", sa.Text(), nullable=False, server_default=""))
    op.execute("UPDATE reply SET reply_text = text")
    with op.batch_alter_table("reply", schema=None) as batch_op:
        batch_op.alter_column("reply_text", server_default=None)


def downgrade():
    with op.batch_alter_table("reply", schema=None) as batch_op:
        batch_op.drop_column("reply_text")
    with op.batch_alter_table("quarantined_message", schema=None) as batch_op:
        batch_op.drop_index("ix_quarantined_message_received_at")
    op.drop_table("quarantined_message")
