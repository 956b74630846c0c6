from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import Length

from outreach.locales import theme_choices
from outreach.preferences import PROXIMITY_LABELS


class CodeListField(StringField):
    """Codes shown separated by spaces (the settings store them as a list)."""

    def _value(self) -> str:
        if isinstance(self.data, list | tuple):
            return " ".join(self.data)
        return super()._value()


class OptionalNumberField(StringField):
    """A number where 0 means "not set" and shows as an empty field."""

    def _value(self) -> str:
        return "" if self.data in (0, "0", None) else super()._value()


class SettingsForm(FlaskForm):
    country = StringField(_l("Country code"))
    population = StringField(_l("Population of the community"))
    displaced_people = StringField(_l("Displaced people taken in"))
    donors = StringField(_l("International partners and donors"))
    website = StringField(_l("Website"))
    signatory_name = StringField(_l("Signatory's name (in Ukrainian)"))
    signatory_gender = SelectField(
        _l("Signatory's gender"),
        choices=[("", "—"), ("f", _l("female")), ("m", _l("male"))],
        validate_choice=False,
    )
    signatory_role = SelectField(
        _l("Signatory's office"),
        choices=[
            ("mayor", _l("Mayor (міський голова)")),
            ("deputy_mayor", _l("Deputy mayor")),
            ("council_secretary", _l("Secretary of the council")),
        ],
        validate_choice=False,
    )
    contact_name = StringField(_l("Contact person (in Ukrainian)"))
    contact_position = StringField(_l("Contact person's position (in Ukrainian)"))
    contact_languages = CodeListField(_l("Languages the contact person speaks"))
    sender_email = StringField(_l("Sender email"))
    sender_phone = StringField(_l("Sender telephone"))
    themes = SelectMultipleField(_l("Themes we seek partners for"), choices=[])
    fallback_language = StringField(_l("Fallback language"))
    town_population = OptionalNumberField(_l("Population of the town itself"))
    priority_countries = CodeListField(_l("Countries we look in first"))
    partner_proximity = SelectField(
        _l("Towns near our partners and candidates"),
        choices=[(p.value, label) for p, label in PROXIMITY_LABELS.items()],
        validate_choice=False,
    )
    never_languages = CodeListField(_l("Languages we never write in"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.themes.choices = theme_choices()


class TemplateForm(FlaskForm):
    source = TextAreaField(_l("Letter"), render_kw={"rows": 30, "spellcheck": "false"})
    note = StringField(_l("Note (what changed)"), validators=[Length(max=500)])
    candidate = SelectField(_l("Preview for"), choices=[], validate_choice=False, coerce=str)


class TestSendForm(FlaskForm):
    letter = StringField()
    candidate = IntegerField()
    language = SelectField(choices=[], validate_choice=False)


#: How each per-language name is labelled on the settings page.
NAME_LABELS = {
    "council": _l("Our council"),
    "council_of": _l("Our council after “on behalf of”"),
    "community": _l("Our community"),
    "community_of": _l("Our community after “on behalf of”"),
    "town": _l("Our town"),
    "region_in": _l("“In Chernihiv Oblast”"),
    "signatory_name": _l("Signatory's name"),
    "signatory_title": _l("Signatory's title"),
    "contact_name": _l("Contact person"),
    "contact_position": _l("Contact person's position"),
}
