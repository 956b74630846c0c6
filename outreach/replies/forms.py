"""Forms of the reply pages. The rules live in the services; these only carry input."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange

from outreach.replies.models import CHANNEL_LABELS


class AssignForm(FlaskForm):
    candidate = SelectField(_l("Candidate"), coerce=int, validators=[DataRequired()])


class ManualReplyForm(FlaskForm):
    received_on = DateField(_l("Date"), validators=[DataRequired()])
    channel = SelectField(
        _l("Came by"), choices=[(k, v) for k, v in CHANNEL_LABELS.items() if k != "email"]
    )
    note = TextAreaField(_l("Note"), validators=[DataRequired(), Length(max=20_000)])


class UploadForm(FlaskForm):
    message = FileField(_l("Saved message (.eml)"), validators=[FileRequired()])


class CatcherReplyForm(FlaskForm):
    sender = EmailField(_l("From"), validators=[DataRequired(), Email(), Length(max=254)])
    subject = StringField(_l("Subject"), validators=[DataRequired(), Length(max=500)])
    text = TextAreaField(_l("Text"), validators=[DataRequired(), Length(max=20_000)])
    automatic = BooleanField(_l("Send as an out-of-office reply"))


class FollowUpSettingsForm(FlaskForm):
    days = IntegerField(
        _l("Days without a reply"), validators=[InputRequired(), NumberRange(min=1, max=365)]
    )
    max_per_candidate = IntegerField(
        _l("Follow-ups per candidate at most"),
        validators=[InputRequired(), NumberRange(min=0, max=10)],
    )
    automatic = BooleanField(_l("Send automatically"))
