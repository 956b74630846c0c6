from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired()])
    password = PasswordField(_l("Password"), validators=[DataRequired()])


class UserForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email()])
    name = StringField(_l("Full name"), validators=[Length(max=200)])
    role = SelectField(
        _l("Role"),
        choices=[
            ("viewer", _l("Viewer")),
            ("coordinator", _l("Coordinator")),
            ("admin", _l("Administrator")),
        ],
    )
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(min=10)])
