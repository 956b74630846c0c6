from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import Length

from outreach.locales import theme_choices


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
