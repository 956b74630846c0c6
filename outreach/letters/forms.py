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
    name = StringField(_l("Community name (English)"))
    name_local = StringField(_l("Community name (Ukrainian)"))
    country = StringField(_l("Country code"))
    population = StringField(_l("Population"))
    website = StringField(_l("Website"))
    signatory_name = StringField(_l("Signatory's name"))
    signatory_title = StringField(_l("Signatory's title"))
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

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.themes.choices = theme_choices()


class TemplateForm(FlaskForm):
    source = TextAreaField(_l("Template"), render_kw={"rows": 30, "spellcheck": "false"})
    note = StringField(_l("Note (what changed)"), validators=[Length(max=500)])


class TestSendForm(FlaskForm):
    letter = StringField()
    candidate = IntegerField()
    language = SelectField(choices=[], validate_choice=False)
