"""candidate and contact versions: an edit applies only to the version its editor saw

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 11:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    for table in ("municipality", "contact"):
        op.add_column(
            table, sa.Column("version", sa.Integer(), server_default="1", nullable=False)
        )


def downgrade():
    for table in ("contact", "municipality"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("version")
