"""Silence and bounces show on the board, the list and the candidate page."""

from datetime import timedelta

from outreach.clock import travel
from tests.replies.helpers import sent_proposal


def test_a_silent_candidate_is_marked_and_can_be_filtered(app, towns, client, login_as):
    town_id, _letter = sent_proposal(towns)
    (quiet_id,) = towns(1)
    login_as("viewer")
    assert "no reply for" not in client.get("/board").get_data(as_text=True)
    with travel(timedelta(days=15)):
        board = client.get("/board").get_data(as_text=True)
        assert "no reply for 15 days" in board
        listed = client.get("/candidates?only=overdue").get_data(as_text=True)
        assert f'/candidates/{town_id}"' in listed
        assert f'/candidates/{quiet_id}"' not in listed
        page = client.get(f"/candidates/{town_id}").get_data(as_text=True)
        assert "no reply for 15 days" in page


def test_the_candidate_page_offers_a_reply_and_a_preview(app, towns, client, login_as):
    (town_id,) = towns(1)
    login_as("coordinator")
    page = client.get(f"/candidates/{town_id}").get_data(as_text=True)
    assert f"/replies/new?candidate={town_id}" in page
    assert f"/letters/preview?candidate={town_id}" in page or "preview?candidate=" in page
