"""The letter editor in a real browser (headless Chromium): the preview follows the typing."""

from __future__ import annotations

import os
from typing import Any

import pytest

from outreach.extensions import db
from outreach.letters import office
from tests.conftest import PASSWORD
from tests.pipeline.test_browser import CHROMIUM, CHROMIUM_ARGS, live_server  # noqa: F401


@pytest.mark.browser
@pytest.mark.csrf
def test_the_preview_follows_the_text_as_it_is_typed(
    app: Any,
    make_user: Any,
    make_candidate: Any,
    live_server: str,  # noqa: F811 - the fixture imported above
    tmp_path: Any,
) -> None:
    if not os.path.exists(CHROMIUM):
        pytest.skip("Chromium is not installed at /usr/bin/chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    user = make_user("admin")
    make_candidate(
        "Żyraków",
        "PL",
        "pl",
        name_local="Gmina Żyraków",
        region_local="województwo podkarpackie",
        contact={"email": "wojt@zyrakow.example", "role": "Wójt Gminy", "gender": "m"},
    )
    office.update(db.session, {"population": "40000"})
    db.session.commit()
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
            page.goto(f"{live_server}/letters/templates/proposal/pl")
            preview = page.locator("#letter-trial pre")
            sync_api.expect(preview).to_contain_text("Szanowny Panie Wójcie,")
            sync_api.expect(preview).to_contain_text("Gmina Żyraków, województwo podkarpackie")
            text = page.locator("textarea").input_value()
            page.fill("textarea", text.replace("{{ candidate.place }}", "{{ candidate.plce }}"))
            sync_api.expect(page.locator("#letter-trial .flash.error")).to_contain_text(
                "did you mean `candidate.place`?"
            )
            page.fill("textarea", text.replace("Z dużym", "Z *ogromnym*", 1))
            sync_api.expect(preview).to_contain_text("Z ogromnym zainteresowaniem")
            frame = page.frame_locator("#letter-trial iframe")
            sync_api.expect(frame.locator("em")).to_have_text("ogromnym")
            page.screenshot(path=str(tmp_path / "editor.png"), full_page=True)
        finally:
            browser.close()
