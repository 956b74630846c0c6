"""sessions: a session token per user, so that ending a user's sessions invalidates their cookies

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 09:00:00

"""
import secrets

from alembic import op
import sqlalchemy as sa


revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("user_account", sa.Column("session_token", sa.String(length=64), nullable=True))
    users = sa.table("user_account", sa.column("id", sa.Integer), sa.column("session_token"))
    connection = op.get_bind()
    for (user_id,) in connection.execute(sa.select(users.c.id)).all():
        connection.execute(
            users.update()
            .where(users.c.id == user_id)
            .values(session_token=secrets.token_urlsafe(32))
        )
    with op.batch_alter_table("user_account") as batch:
        batch.alter_column("session_token", existing_type=sa.String(length=64), nullable=False)


def downgrade():
    with op.batch_alter_table("user_account") as batch:
        batch.drop_column("session_token")
