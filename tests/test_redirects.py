"""Redirect targets taken from a request stay on this site (OWASP unvalidated redirects)."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

import pytest

from outreach.extensions import db
from outreach.pipeline import services
from outreach.redirects import safe_target
from tests.conftest import PASSWORD

#: Targets that reach another site in a browser, or could after one more decoding step.
BYPASSES = [
    "/%09/evil.example/",
    "/\t/evil.example/",
    "/\n/evil.example/",
    "/\r\n/evil.example/",
    "\t//evil.example/",
    " //evil.example/",
    "//evil.example/",
    "///evil.example/",
    "////evil.example/",
    "/\\evil.example/",
    "\\/evil.example/",
    "\\\\evil.example/",
    "/\\/evil.example/",
    "/%5Cevil.example/",
    "/%5C%5Cevil.example/",
    "/%2F/evil.example/",
    "%2F%2Fevil.example/",
    "/%252F/evil.example/",
    "/%25252F/evil.example/",
    "/%2509/evil.example/",
    "/%0A/evil.example/",
    "/%00/evil.example/",
    "https://evil.example/",
    "HTTPS://evil.example/",
    "http:/evil.example/",
    "http:evil.example",
    "https:\\\\evil.example",
    "//outreach.example@evil.example/",
    "https://outreach.example@evil.example/board",
    "/\\outreach.example@evil.example/",
    "javascript:alert(1)",
    "JavaScript:alert(document.domain)",
    "java\tscript:alert(1)",
    "%6Aavascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "evil.example",
    "board",
    "",
    "/" + "a" * 3000,
]

#: Paths on this site, as the pages themselves send them.
LOCAL = [
    "/board",
    "/board?country=LV&more=analysed",
    "/candidates/12",
    "/candidates?q=D%C4%85browa&sort=name",
    "/board?q=a+b",
    "/candidates/12#timeline",
    "/@evil.example",
]


@pytest.mark.parametrize("target", BYPASSES)
def test_bypasses_fall_back(target):
    assert safe_target(target, "/fallback") == "/fallback"


@pytest.mark.parametrize("target", LOCAL)
def test_local_paths_are_kept(target):
    assert safe_target(target, "/fallback") == target


def test_none_falls_back():
    assert safe_target(None, "/fallback") == "/fallback"


def ends_here(response) -> bool:
    """A redirect whose Location a browser resolves to this site (http://localhost)."""
    location = response.headers["Location"]
    # What a browser does to the header before resolving it.
    cleaned = location.strip(" \x00").replace("\t", "").replace("\n", "").replace("\r", "")
    cleaned = cleaned.replace("\\", "/")
    parts = urlsplit(cleaned)
    return parts.netloc in ("", "localhost") and parts.scheme in ("", "http")


@pytest.mark.parametrize("target", BYPASSES)
def test_login_next_stays_on_the_site(client, make_user, target):
    user = make_user("viewer")
    response = client.post(
        "/login?next=" + quote(target, safe=""), data={"email": user.email, "password": PASSWORD}
    )
    assert response.status_code == 302 and ends_here(response)
    assert response.headers["Location"] == "/board"


def test_login_reported_case(client, make_user):
    user = make_user("viewer")
    response = client.post(
        "/login?next=/%09/evil.example/", data={"email": user.email, "password": PASSWORD}
    )
    assert response.headers["Location"] == "/board"
    response = client.post(
        "/login?next=/candidates%3Fq%3Dx", data={"email": user.email, "password": PASSWORD}
    )
    assert response.headers["Location"] == "/candidates?q=x"


@pytest.mark.parametrize("target", BYPASSES)
def test_language_switch_stays_on_the_site(client, target):
    response = client.post("/locale/uk", data={"next": target})
    assert response.status_code == 302 and ends_here(response)


@pytest.mark.parametrize("target", ["/%09/evil.example/", "/\\evil.example", "//evil.example"])
def test_move_form_stays_on_the_site(client, login_as, target):
    login_as("coordinator")
    town = services.create_candidate(db.session, {"name": "Olaine", "country": "LV"}, user_id=None)
    db.session.commit()
    response = client.post(
        f"/candidates/{town.id}/move",
        data={"to_stage": "letter_sent", "from_stage": "analysed", "next": target},
    )
    assert response.status_code == 302 and ends_here(response)
    assert response.headers["Location"] == "/board"
