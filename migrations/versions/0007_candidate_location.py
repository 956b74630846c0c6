"""candidate location: coordinates and the GeoNames id of a candidate's town

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 12:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("municipality", schema=None) as batch_op:
        batch_op.add_column(sa.Column("latitude", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("longitude", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("gazetteer_id", sa.Integer(), nullable=True))
        batch_op.create_index("ix_municipality_gazetteer_id", ["gazetteer_id"], unique=True)


def downgrade():
    with op.batch_alter_table("municipality", schema=None) as batch_op:
        batch_op.drop_index("ix_municipality_gazetteer_id")
        batch_op.drop_column("gazetteer_id")
        batch_op.drop_column("longitude")
        batch_op.drop_column("latitude")
