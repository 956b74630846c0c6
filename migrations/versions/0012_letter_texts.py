"""letter texts: one text per version, our council per language, regions in their own words

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 12:00:00

Saved letter versions written as three Jinja blocks (subject, text, html) become one text:
"Subject: …", a blank line, then the plain-text block (the HTML block was a copy of it; the
HTML part is now generated). Placeholders that were renamed are renamed in the text.
"""
import re

from alembic import op
import sqlalchemy as sa


revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_BLOCK = r"\{%-?\s*block\s+NAME\s*-?%\}(.*?)\{%-?\s*endblock(?:\s+NAME)?\s*-?%\}"
_FILTER = re.compile(r"\{%-?\s*(?:end)?filter\b[^%]*-?%\}\n?")
_COMMENT = re.compile(r"\{#.*?#\}\n?", re.S)
_RENAMED = {
    "us.name_local": "us.community",
    "us.name": "us.community",
    "candidate.name_local": "candidate.name",
    "sender.email": "us.contact_email",
    "sender.phone": "us.contact_phone",
}


def convert(source):
    """The one-text form of an old three-block version (unchanged if it is not one)."""
    subject = re.search(_BLOCK.replace("NAME", "subject"), source, re.S)
    text = re.search(_BLOCK.replace("NAME", "text"), source, re.S)
    if subject is None or text is None:
        return source
    subject_text = " ".join(_COMMENT.sub("", subject.group(1)).split())
    body = _FILTER.sub("", _COMMENT.sub("", text.group(1))).strip("\n")
    result = f"Subject: {subject_text}\n\n{body.strip()}\n"
    for old, new in _RENAMED.items():
        result = re.sub(r"\b" + re.escape(old) + r"\b(?!\.)", new, result)
    return result


def upgrade():
    with op.batch_alter_table("letter", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("in_reply_to", sa.String(length=255), nullable=False, server_default="")
        )
    with op.batch_alter_table("municipality", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("region_local", sa.String(length=200), nullable=False, server_default="")
        )
    with op.batch_alter_table("office_settings", schema=None) as batch_op:
        batch_op.alter_column("population", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("displaced_people", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("donors", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("signatory_gender", sa.String(length=1), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column(
                "signatory_role", sa.String(length=30), nullable=False, server_default="mayor"
            )
        )
        batch_op.add_column(
            sa.Column("contact_name", sa.String(length=200), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("contact_position", sa.String(length=200), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("contact_languages", sa.JSON(), nullable=False, server_default="[]")
        )
        batch_op.add_column(
            sa.Column(
                "never_languages", sa.JSON(), nullable=False, server_default='["ru", "be"]'
            )
        )
        batch_op.add_column(sa.Column("names", sa.JSON(), nullable=False, server_default="{}"))
    templates = sa.table(
        "letter_template", sa.column("id", sa.Integer()), sa.column("source", sa.Text())
    )
    connection = op.get_bind()
    for row_id, source in connection.execute(sa.select(templates.c.id, templates.c.source)):
        converted = convert(source)
        if converted != source:
            connection.execute(
                templates.update().where(templates.c.id == row_id).values(source=converted)
            )


def downgrade():
    with op.batch_alter_table("office_settings", schema=None) as batch_op:
        for column in (
            "names",
            "never_languages",
            "contact_languages",
            "contact_position",
            "contact_name",
            "signatory_role",
            "signatory_gender",
            "donors",
            "displaced_people",
        ):
            batch_op.drop_column(column)
    with op.batch_alter_table("municipality", schema=None) as batch_op:
        batch_op.drop_column("region_local")
    with op.batch_alter_table("letter", schema=None) as batch_op:
        batch_op.drop_column("in_reply_to")
