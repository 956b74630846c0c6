"""The search form of the partner finder; it only carries and checks input."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField
from wtforms.validators import Length, NumberRange, Optional

from outreach.discovery.finder import Search
from outreach.locales import country_choices

LIMITS = (50, 100, 200)


class SearchForm(FlaskForm):
    """Read from the query string, so that a search can be bookmarked and shared."""

    class Meta:
        csrf = False

    q = StringField(_l("Name"), validators=[Length(max=100)])
    country = SelectField(_l("Country"), validate_choice=False)
    region = SelectField(_l("Region"), validate_choice=False)
    min_population = IntegerField(
        _l("Population from"), validators=[Optional(), NumberRange(min=0, max=100_000_000)]
    )
    max_population = IntegerField(
        _l("Population up to"), validators=[Optional(), NumberRange(min=0, max=100_000_000)]
    )
    new_only = BooleanField(_l("Only towns not yet in the pipeline"))
    limit = SelectField(
        _l("Show"), choices=[(str(n), str(n)) for n in LIMITS], default=str(LIMITS[0])
    )

    def fill_choices(self, countries: list[str], regions: list[tuple[str, str]]) -> None:
        self.country.choices = [("", _l("Any"))] + country_choices(countries)
        self.region.choices = [("", _l("Any"))] + regions

    def validate_country(self, field: SelectField) -> None:
        if field.data and field.data not in {code for code, _label in field.choices or []}:
            field.data = ""

    def validate_region(self, field: SelectField) -> None:
        if field.data and field.data not in {code for code, _label in field.choices or []}:
            field.data = ""

    def search(self) -> Search:
        return Search(
            q=(self.q.data or "").strip(),
            country=self.country.data or "",
            region=self.region.data or "",
            min_population=self.min_population.data,
            max_population=self.max_population.data,
            new_only=bool(self.new_only.data),
            limit=int(self.limit.data) if self.limit.data in {str(n) for n in LIMITS} else 50,
        )
