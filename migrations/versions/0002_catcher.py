"""mail catcher: caught messages

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 22:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "caught_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("mail_from", sa.String(length=320), nullable=False),
        sa.Column("rcpt_to", sa.Text(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("message_id", sa.String(length=998), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("caught_message", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_caught_message_received_at"), ["received_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_caught_message_message_id"), ["message_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("caught_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_caught_message_message_id"))
        batch_op.drop_index(batch_op.f("ix_caught_message_received_at"))
    op.drop_table("caught_message")
