"""Drag a card across the board in a real browser (headless Chromium)."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.serving import make_server

from outreach.extensions import db
from outreach.pipeline import services
from outreach.pipeline.models import Municipality
from tests.conftest import PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def live_server(app: Any) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.mark.browser
@pytest.mark.csrf
def test_drag_a_card_to_letter_sent(app, make_user, live_server):
    if not os.path.exists(CHROMIUM):
        pytest.skip("Chromium is not installed at /usr/bin/chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    user = make_user("coordinator", name="Olena")
    town = services.create_candidate(
        db.session, {"name": "Olaine", "country": "LV", "languages": "lv"}, user_id=user.id
    )
    services.create_candidate(db.session, {"name": "Dąbrowa", "country": "PL"}, user_id=user.id)
    db.session.commit()
    card = f'article.card[data-candidate-id="{town.id}"]'
    target = 'section.column[data-stage="letter_sent"]'

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page()
            page.set_default_timeout(15_000)
            page.goto(f"{live_server}/login")
            page.fill('input[name="email"]', user.email)
            page.fill('input[name="password"]', PASSWORD)
            page.click('main form button[type="submit"]')
            page.wait_for_url(f"{live_server}/board")
            assert page.locator(f'section.column[data-stage="analysed"] {card}').count() == 1

            page.drag_and_drop(card, target, source_position={"x": 12, "y": 8})
            sync_api.expect(page.locator(f"{target} {card}")).to_have_count(1)
            sync_api.expect(page.locator(f"{target} .count")).to_have_text("1")
            sync_api.expect(page.locator("#board-message")).to_contain_text("Olaine moved to")

            page.reload()
            sync_api.expect(page.locator(f"{target} {card}")).to_have_count(1)
            assert page.locator(f'section.column[data-stage="analysed"] {card}').count() == 0

            # A move the pipeline refuses is explained, and the card stays where it was.
            page.drag_and_drop(card, 'section.column[data-stage="signed"]')
            sync_api.expect(page.locator("#board-message")).to_contain_text("cannot move")
            sync_api.expect(page.locator(f"{target} {card}")).to_have_count(1)
            sync_api.expect(
                page.locator('section.column[data-stage="signed"] .count')
            ).to_have_text("0")

            # Someone else moves the candidate while this board is open: the drop is refused,
            # says who moved it where, and the card goes to the column it is really in.
            other = make_user("coordinator", name="Taras")
            services.move(
                db.session, db.session.get(Municipality, town.id), "on_hold", user_id=other.id
            )
            db.session.commit()
            page.drag_and_drop(card, 'section.column[data-stage="negotiating"]')
            sync_api.expect(page.locator("#board-message")).to_contain_text(
                "Olaine was already moved to On hold by Taras on"
            )
            on_hold = 'section.column[data-stage="on_hold"]'
            sync_api.expect(page.locator(f"{on_hold} {card}")).to_have_count(1)
            sync_api.expect(page.locator(f"{on_hold} .count")).to_have_text("1")
            sync_api.expect(page.locator(f"{target} .count")).to_have_text("0")
        finally:
            browser.close()
    db.session.expire_all()
    assert db.session.get(Municipality, town.id).stage == "on_hold"
