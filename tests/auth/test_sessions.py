"""Sessions end on the server: a cookie copied before logout (or before the account's
sessions are ended) no longer opens any page."""

from __future__ import annotations

from flask import g
from flask_login.utils import encode_cookie

from outreach.auth import services
from outreach.extensions import db
from tests.conftest import PASSWORD


def get(client, path: str = "/board"):
    # Requests share the test's app context: forget the user Flask-Login cached in it.
    g.pop("_login_user", None)
    return client.get(path)


def logged_in(app, user) -> object:
    client = app.test_client()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert get(client).status_code == 200
    return client


def copy_of(app, client, name: str = "session"):
    copy = app.test_client()
    copy.set_cookie(name, client.get_cookie(name).value)
    return copy


def test_a_cookie_copied_before_logout_is_refused_after_it(app, make_user):
    user = make_user("viewer")
    client = logged_in(app, user)
    thief = copy_of(app, client)
    assert get(thief).status_code == 200
    assert client.post("/logout").status_code == 302
    assert get(client).status_code == 302
    response = get(thief)
    assert response.status_code == 302 and response.location.startswith("/login")


def test_ending_the_sessions_logs_out_every_device(app, make_user):
    user = make_user("coordinator")
    office, laptop = logged_in(app, user), logged_in(app, user)
    services.end_sessions(db.session, user)
    db.session.commit()
    assert get(office).status_code == 302 and get(laptop).status_code == 302
    # Logging in again works as before.
    assert get(logged_in(app, user)).status_code == 200


def test_ending_the_sessions_refuses_remember_me_cookies(app, make_user):
    user = make_user("viewer")
    with app.test_request_context():
        remembered = encode_cookie(user.get_id())
    browser = app.test_client()
    browser.set_cookie("remember_token", remembered)
    assert get(browser).status_code == 200
    services.end_sessions(db.session, user)
    db.session.commit()
    stale = app.test_client()
    stale.set_cookie("remember_token", remembered)
    assert get(stale).status_code == 302


def test_a_deactivated_account_is_logged_out_everywhere(app, make_user):
    user = make_user("viewer")
    client = logged_in(app, user)
    user.active = False
    db.session.commit()
    assert get(client).status_code == 302
