"""Forms of the pipeline pages. Field rules live in services/validation; these only carry input."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from outreach.auth.models import User
from outreach.locales import country_choices, theme_choices
from outreach.pipeline import stages
from outreach.pipeline.marks import named_sets
from outreach.pipeline.validation import SOURCES


def owner_choices(users: list[User], empty: Any) -> list[tuple[str, Any]]:
    return [("", empty)] + [(str(u.id), u.display_name) for u in users]


def seen_version(value: str | None) -> int:
    """The version an edit form was filled from; 0 (matching none) when it carried none."""
    value = value or ""
    return int(value) if value.isdigit() else 0


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class CandidateForm(FlaskForm):
    name = StringField(_l("Name"), validators=[Length(max=200)])
    name_local = StringField(_l("Name in its own language"), validators=[Length(max=200)])
    # Choices are checked by the service, which names the bad value in its message.
    country = SelectField(_l("Country"), validate_choice=False)
    region = StringField(_l("Region"), validators=[Length(max=200)])
    region_local = StringField(_l("Region in the town's language"), validators=[Length(max=200)])
    population = StringField(_l("Population"))
    website = StringField(_l("Website"), validators=[Length(max=500)])
    languages = StringField(
        _l("Languages"), description=_l("ISO codes separated by ';', preferred first: pl;en")
    )
    themes = MultiCheckboxField(_l("Themes"), validate_choice=False)
    source = SelectField(_l("Source"), validate_choice=False)
    notes = TextAreaField(_l("Notes"))
    do_not_contact = BooleanField(_l("Do not contact"))
    owner_id = SelectField(_l("Owner"), validate_choice=False)
    #: The version of the profile the form was filled from (see services.update_candidate).
    version = HiddenField()

    def fill_choices(self, users: list[User]) -> None:
        self.country.choices = [("", _l("Choose a country"))] + country_choices()
        self.themes.choices = theme_choices()
        self.source.choices = [(s, s) for s in SOURCES]
        if self.source.data and self.source.data not in SOURCES:
            self.source.choices.append((self.source.data, self.source.data))
        self.owner_id.choices = owner_choices(users, _l("Nobody"))

    def seen_version(self) -> int:
        return seen_version(self.version.data)

    def values(self) -> dict[str, Any]:
        """The submitted values, as services.clean_candidate expects them."""
        return {
            "name": self.name.data or "",
            "name_local": self.name_local.data or "",
            "country": self.country.data or "",
            "region": self.region.data or "",
            "region_local": self.region_local.data or "",
            "population": self.population.data or "",
            "website": self.website.data or "",
            "languages": self.languages.data or "",
            "themes": list(self.themes.data or []),
            "source": self.source.data or "",
            "notes": self.notes.data or "",
            "do_not_contact": bool(self.do_not_contact.data),
            "owner_id": self.owner_id.data or None,
        }


class ContactForm(FlaskForm):
    name = StringField(_l("Full name"), validators=[Length(max=200)])
    role = StringField(_l("Position"), validators=[Length(max=200)])
    email = StringField(_l("Email"))
    language = StringField(_l("Language"), description=_l("ISO code, e.g. pl"))
    gender = SelectField(
        _l("Form of address"),
        choices=[("", _l("Unknown")), ("f", _l("Female")), ("m", _l("Male"))],
        validate_choice=False,
    )
    primary = BooleanField(_l("Primary contact (receives letters)"))
    #: The version of the contact the form was filled from (see services.update_contact).
    version = HiddenField()

    def seen_version(self) -> int:
        return seen_version(self.version.data)

    def values(self) -> dict[str, Any]:
        return {
            "name": self.name.data or "",
            "role": self.role.data or "",
            "email": self.email.data or "",
            "language": self.language.data or "",
            "gender": self.gender.data or "",
        }


#: services.clean_contact names some errors differently from the form fields.
CONTACT_ERROR_FIELDS = {
    "contact_name": "name",
    "contact_role": "role",
    "contact_language": "language",
}


class MoveForm(FlaskForm):
    #: The stage the page showed: the move applies only if the candidate is still there.
    from_stage = HiddenField(_l("Stage shown"), validators=[DataRequired()])
    to_stage = SelectField(
        _l("Move to"),
        choices=[(s.value, stages.LABELS[s]) for s in stages.ORDER],
        validate_choice=False,
    )
    note = StringField(_l("Note"), validators=[Length(max=2000)])
    reason = StringField(_l("Reason"), validators=[Length(max=2000)])
    agreement_date = DateField(_l("Agreement date"), validators=[Optional()])


class NoteForm(FlaskForm):
    body = TextAreaField(_l("Note"), validators=[DataRequired(), Length(max=10000)])


class FilterForm(FlaskForm):
    """The filters above the board and the list: read from the query string."""

    class Meta:
        csrf = False

    q = StringField(_l("Search"))
    stage = SelectField(_l("Stage"), validate_choice=False)
    country = SelectField(_l("Country"), validate_choice=False)
    language = StringField(_l("Language"))
    theme = SelectField(_l("Theme"), validate_choice=False)
    owner = SelectField(_l("Owner"), validate_choice=False)
    waiting = IntegerField(
        _l("Waiting more than (days)"), validators=[Optional(), NumberRange(min=0, max=36500)]
    )
    only = SelectField(_l("Show only"), validate_choice=False)

    def fill_choices(self, users: list[User], countries: list[str]) -> None:
        self.stage.choices = [("", _l("Any"))] + [(s.value, stages.LABELS[s]) for s in stages.ORDER]
        self.country.choices = [("", _l("Any"))] + country_choices(countries)
        self.theme.choices = [("", _l("Any"))] + theme_choices()
        self.owner.choices = owner_choices(users, _l("Anyone"))
        self.only.choices = [("", _l("Everyone"))] + [
            (name, entry.label) for name, entry in named_sets().items()
        ]
