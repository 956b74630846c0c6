import re

import pytest
from sqlalchemy import func, select

from outreach.extensions import db
from outreach.mailing.models import Batch, Letter
from tests.mailing.conftest import work


def confirm_fields(html):
    return dict(re.findall(r'<input id="(\w+)" name="\w+" type="hidden" value="([^"]*)"', html))


def test_staff_preview_confirm_twice_and_watch(app, client, login_as, towns, smtp_sink):
    login_as("coordinator")
    towns(3, "PL", "pl")
    towns(2, "EE", "et")
    towns(1, "PL", "pl", do_not_contact=True)
    page = client.get("/batches/new?letter=proposal")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert (
        "5 letters" in html
        and "<strong>pl</strong>: 3" in html
        and "<strong>en</strong>: 2" in html
    )
    assert "do not contact: 1" in html
    fields = confirm_fields(html)
    assert set(fields) >= {"letter", "filters", "token"}
    first = client.post("/batches", data=fields)
    second = client.post("/batches", data=fields)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert db.session.scalar(select(func.count(Batch.id))) == 1
    assert db.session.scalar(select(func.count(Letter.id))) == 5
    batch_url = first.headers["Location"]
    status = client.get(batch_url + "/status.json").get_json()
    assert status["counts"]["queued"] == 5 and status["done"] is False
    work(app)
    status = client.get(batch_url + "/status.json").get_json()
    assert status["counts"]["sent"] == 5 and status["done"] is True
    page = client.get(batch_url).get_data(as_text=True)
    assert "batch.js" in page and 'data-url="' in page


def test_failed_letters_are_listed_and_can_be_retried(app, client, login_as, towns, smtp_sink):
    from tests.mailing.test_delivery import confirm, email_of

    login_as("coordinator")
    (town,) = towns(1)
    smtp_sink.plan(email_of(town), [550])
    done = confirm()
    work(app)
    page = client.get(f"/batches/{done.batch.id}").get_data(as_text=True)
    assert "550 5.1.1 User unknown" in page and "Retry" in page
    letter = db.session.scalar(select(Letter))
    response = client.post(f"/letters/{letter.id}/retry")
    assert response.status_code == 302
    work(app)
    db.session.refresh(letter)
    assert letter.status == "sent"


def test_viewers_watch_but_cannot_send(app, client, login_as, towns):
    login_as("viewer")
    assert client.get("/batches").status_code == 200
    assert client.get("/batches/new?letter=proposal").status_code == 403
    assert client.post("/batches", data={}).status_code == 403
    assert client.post("/batches/1/cancel").status_code == 403


@pytest.mark.csrf
def test_posts_need_the_csrf_token(app, client, login_as, towns):
    login_as("coordinator")
    towns(1)
    fields = confirm_fields(client.get("/batches/new?letter=proposal").get_data(as_text=True))
    token = fields.pop("csrf_token")
    assert client.post("/batches", data=fields).status_code == 400
    assert db.session.scalar(select(func.count(Batch.id))) == 0
    assert client.post("/batches", data={**fields, "csrf_token": token}).status_code == 302
    assert db.session.scalar(select(func.count(Batch.id))) == 1
