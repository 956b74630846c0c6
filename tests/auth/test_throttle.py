"""The failed-login throttle: per account and per client address, failures only, proxies."""

from __future__ import annotations

import re

import pytest

from tests.conftest import PASSWORD

PROXY = "10.0.0.2"


def attempt(
    client, email: str, password: str = "wrong-password", *, ip: str = "192.0.2.10", xff=None
):
    headers = {"X-Forwarded-For": xff} if xff else {}
    return client.post(
        "/login",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": ip},
        headers=headers,
    )


def message(response) -> str:
    found = re.search(
        r'<div class="flash error"[^>]*>([^<]*)</div>', response.get_data(as_text=True)
    )
    return found.group(1) if found else ""


@pytest.mark.config(TRUSTED_PROXIES=1)
def test_an_office_behind_the_proxy_logs_in_all_day(app, make_user):
    people = [make_user("coordinator") for _ in range(15)]
    for round_ in range(2):
        for n, person in enumerate(people):
            client = app.test_client()
            response = attempt(client, person.email, PASSWORD, ip=PROXY, xff=f"172.16.0.{n + 1}")
            assert response.status_code == 302, (round_, n, message(response))


def test_successful_logins_from_one_address_are_not_counted(app, make_user):
    person = make_user("viewer")
    for _ in range(25):
        assert attempt(app.test_client(), person.email, PASSWORD).status_code == 302


def test_failures_lock_the_account_and_say_for_how_long(app, make_user):
    person = make_user("viewer")
    for n in range(9):
        response = attempt(app.test_client(), person.email, ip=f"198.51.100.{n + 1}")
        assert response.status_code == 200 and message(response) == "Wrong email or password."
    response = attempt(app.test_client(), person.email, ip="198.51.100.99")
    assert response.status_code == 429
    assert message(response) == "Too many failed attempts. Try again in 15 minutes."
    assert 840 < int(response.headers["Retry-After"]) <= 900
    # Locked: even the right password from another address is refused, unchecked.
    response = attempt(app.test_client(), person.email, PASSWORD, ip="203.0.113.50")
    assert response.status_code == 429 and "Try again in 15 minutes" in message(response)
    # Someone else, elsewhere, logs in as usual.
    other = make_user("viewer")
    assert attempt(app.test_client(), other.email, PASSWORD, ip="203.0.113.51").status_code == 302


def test_the_answer_does_not_reveal_whether_the_account_exists(app, make_user):
    person = make_user("viewer")
    answers = {}
    for email in (person.email, "nobody-here@office.example"):
        seen = []
        for n in range(11):
            response = attempt(app.test_client(), email.upper(), ip=f"198.51.100.{n + 1}")
            seen.append((response.status_code, message(response)))
        answers[email] = seen
    assert answers[person.email] == answers["nobody-here@office.example"]
    assert answers[person.email][-1][0] == 429


@pytest.mark.config(LOGIN_ADDRESS_LIMIT="5 per 15 minutes")
def test_failures_from_one_address_across_accounts_lock_that_address(app, make_user):
    for n in range(5):
        attempt(app.test_client(), f"guess{n}@office.example", ip="192.0.2.66")
    person = make_user("viewer")
    response = attempt(app.test_client(), person.email, PASSWORD, ip="192.0.2.66")
    assert response.status_code == 429
    assert message(response) == "Too many failed attempts. Try again in 15 minutes."
    assert attempt(app.test_client(), person.email, PASSWORD, ip="192.0.2.67").status_code == 302


@pytest.mark.config(LOGIN_ADDRESS_LIMIT="5 per 15 minutes")
def test_forwarded_for_is_ignored_without_trusted_proxies(app, make_user):
    for n in range(5):
        attempt(app.test_client(), f"guess{n}@office.example", ip="192.0.2.66", xff=f"10.9.9.{n}")
    person = make_user("viewer")
    response = attempt(app.test_client(), person.email, PASSWORD, ip="192.0.2.66", xff="10.9.9.77")
    assert response.status_code == 429


@pytest.mark.config(LOGIN_ADDRESS_LIMIT="5 per 15 minutes", TRUSTED_PROXIES=1)
def test_behind_a_trusted_proxy_each_client_is_counted_apart(app, make_user):
    for n in range(5):
        attempt(app.test_client(), f"guess{n}@office.example", ip=PROXY, xff="172.16.0.66")
    person = make_user("viewer")
    locked = attempt(app.test_client(), person.email, PASSWORD, ip=PROXY, xff="172.16.0.66")
    assert locked.status_code == 429
    # A colleague behind the same proxy is not affected ...
    fine = attempt(app.test_client(), person.email, PASSWORD, ip=PROXY, xff="172.16.0.67")
    assert fine.status_code == 302
    # ... and a client cannot choose its address by adding its own X-Forwarded-For entry.
    forged = attempt(
        app.test_client(), person.email, PASSWORD, ip=PROXY, xff="172.16.0.99, 172.16.0.66"
    )
    assert forged.status_code == 429


def test_a_successful_login_forgets_the_accounts_failures(app, make_user):
    person = make_user("viewer")
    for n in range(9):
        attempt(app.test_client(), person.email, ip=f"198.51.100.{n + 1}")
    assert attempt(app.test_client(), person.email, PASSWORD).status_code == 302
    for n in range(9):
        response = attempt(app.test_client(), person.email, ip=f"198.51.100.{n + 1}")
        assert response.status_code == 200


def test_a_bad_limit_setting_stops_the_app_with_its_name(database_url, redis_url):
    from tests.conftest import make_app

    with pytest.raises(ValueError, match="LOGIN_ACCOUNT_LIMIT='ten a day'"):
        make_app(database_url, redis_url, LOGIN_ACCOUNT_LIMIT="ten a day")
    with pytest.raises(ValueError, match="TRUSTED_PROXIES=-1"):
        make_app(database_url, redis_url, TRUSTED_PROXIES=-1)
