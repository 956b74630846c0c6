"""discovery: gazetteer of towns, why a town was suggested, partner-finding settings

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 12:00:00

"""
import json

from alembic import op
import sqlalchemy as sa


revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

PRIORITY_COUNTRIES = [
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU",
    "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
    "GB", "NO", "US", "JP", "CN",
]


def upgrade():
    op.create_table(
        "gazetteer_town",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_local", sa.String(length=200), nullable=False),
        sa.Column("name_key", sa.String(length=200), nullable=False),
        sa.Column("search", sa.String(length=500), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("region_code", sa.String(length=20), nullable=False),
        sa.Column("region", sa.String(length=200), nullable=False),
        sa.Column("population", sa.Integer(), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("gazetteer_town", schema=None) as batch_op:
        batch_op.create_index(
            "ix_gazetteer_town_country_population", ["country", "population"]
        )
        batch_op.create_index("ix_gazetteer_town_country_name_key", ["country", "name_key"])
        batch_op.create_index("ix_gazetteer_town_region_code", ["region_code"])
        batch_op.create_index("ix_gazetteer_town_population", ["population"])
    op.create_table(
        "gazetteer_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("version", sa.String(length=50), nullable=False),
        sa.Column("min_population", sa.Integer(), nullable=False),
        sa.Column("countries", sa.JSON(), nullable=False),
        sa.Column("towns", sa.Integer(), nullable=False),
        sa.Column("country_codes", sa.JSON(), nullable=False),
        sa.Column("loaded_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "suggestion",
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.Column("town_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["municipality_id"], ["municipality.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("municipality_id"),
    )
    with op.batch_alter_table("office_settings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "town_population", sa.Integer(), nullable=False, server_default=sa.text("11000")
            )
        )
        batch_op.add_column(
            sa.Column(
                "priority_countries",
                sa.JSON(),
                nullable=False,
                server_default=sa.text("'" + json.dumps(PRIORITY_COUNTRIES) + "'"),
            )
        )
        batch_op.add_column(
            sa.Column(
                "partner_proximity",
                sa.String(length=10),
                nullable=False,
                server_default=sa.text("'near'"),
            )
        )


def downgrade():
    with op.batch_alter_table("office_settings", schema=None) as batch_op:
        batch_op.drop_column("partner_proximity")
        batch_op.drop_column("priority_countries")
        batch_op.drop_column("town_population")
    op.drop_table("suggestion")
    op.drop_table("gazetteer_version")
    with op.batch_alter_table("gazetteer_town", schema=None) as batch_op:
        batch_op.drop_index("ix_gazetteer_town_population")
        batch_op.drop_index("ix_gazetteer_town_region_code")
        batch_op.drop_index("ix_gazetteer_town_country_name_key")
        batch_op.drop_index("ix_gazetteer_town_country_population")
    op.drop_table("gazetteer_town")
