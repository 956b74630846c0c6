"""Forms of the batch pages; the rules live in the services."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, Optional

from outreach.letters import kinds
from outreach.letters.kinds import LetterKind
from outreach.locales import theme_choices
from outreach.mailing.batches import parse_ids
from outreach.pipeline import stages


class ChooseForm(FlaskForm):
    """Letter and recipients (read from the query string: choosing changes nothing)."""

    class Meta:
        csrf = False

    letter = SelectField(_l("Letter"), validators=[DataRequired()])
    stage = SelectMultipleField(_l("Stage"), validators=[Optional()])
    country = StringField(
        _l("Countries"), validators=[Optional(), Length(max=300)], description=_l("e.g. PL, LV")
    )
    language = StringField(_l("Language"), validators=[Optional(), Length(max=3)])
    theme = SelectField(_l("Theme"), validators=[Optional()])
    owner = SelectField(_l("Owner"), validators=[Optional()])
    ids = StringField(
        _l("Candidate ids"), validators=[Optional(), Length(max=20000)], description=_l("1,2,3")
    )
    resend = BooleanField(_l("Send again to candidates who already got this letter"))

    def setup(self, owners: list[tuple[str, str]]) -> None:
        self.letter.choices = kinds.choices()
        self.stage.choices = [(s.value, str(stages.LABELS[s])) for s in stages.ORDER]
        self.theme.choices = [("", "—"), *theme_choices()]
        self.owner.choices = [("", "—")] + owners

    def kind(self) -> LetterKind:
        """The chosen letter (the field accepts only the kinds)."""
        return LetterKind(self.letter.data)

    def filters(self) -> dict[str, Any]:
        """The chosen filters in the form the services take (raises BatchError on bad ids)."""
        filters: dict[str, Any] = {}
        if self.stage.data:
            filters["stage"] = list(self.stage.data)
        countries = [c.strip().upper() for c in (self.country.data or "").split(",") if c.strip()]
        if countries:
            filters["country"] = countries
        if self.language.data:
            filters["language"] = self.language.data.strip().lower()
        if self.theme.data:
            filters["theme"] = self.theme.data
        if self.owner.data:
            filters["owner"] = int(self.owner.data)
        if self.ids.data:
            filters["ids"] = parse_ids(self.ids.data)
        return filters


class ConfirmForm(FlaskForm):
    """What was previewed, with a one-time token: a double click sends once."""

    letter = HiddenField(validators=[DataRequired()])
    filters = HiddenField(validators=[DataRequired()])
    resend = HiddenField()
    token = HiddenField(validators=[DataRequired(), Length(max=40)])


class ActionForm(FlaskForm):
    """A bare POST (cancel, retry, resolve): carries only the CSRF token."""
