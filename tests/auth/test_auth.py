import pytest
from flask_babel import refresh

from tests.conftest import PASSWORD


def test_login_and_logout(client, make_user):
    user = make_user("viewer", email="viewer@office.example")
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    response = client.post("/logout")
    assert response.status_code == 302


def test_wrong_password_is_refused(client, make_user):
    make_user("viewer", email="viewer@office.example")
    response = client.post("/login", data={"email": "viewer@office.example", "password": "nope"})
    assert response.status_code == 200
    assert b"Wrong email or password" in response.data


def test_users_page_is_for_admins_only(client, login_as):
    login_as("coordinator")
    assert client.get("/users").status_code == 403
    assert client.post("/users", data={"email": "x@office.example"}).status_code == 403


def test_admin_creates_a_user(client, login_as):
    login_as("admin")
    response = client.post(
        "/users",
        data={"email": "new@office.example", "role": "viewer", "password": "long-enough-pw"},
    )
    assert response.status_code == 302


@pytest.mark.csrf
def test_state_changing_requests_need_the_csrf_token(client, login_as):
    login_as("admin")
    response = client.post("/logout")
    assert response.status_code == 400


def test_users_cli_creates_an_account(runner):
    result = runner.invoke(
        args=["users", "create", "cli@office.example", "--role", "admin", "--password-stdin"],
        input="a-long-password\n",
    )
    assert result.exit_code == 0, result.output
    assert "created cli@office.example (admin)" in result.output


def test_the_interface_follows_the_browser_until_the_user_chooses(client, login_as):
    login_as("viewer")
    board = client.get("/board", headers={"Accept-Language": "uk,en;q=0.5"})
    assert "Дошка" in board.get_data(as_text=True)
    client.post("/locale/en", data={"next": "/board"})
    refresh()  # the test's app context outlives requests; Flask-Babel caches the locale there
    board = client.get("/board", headers={"Accept-Language": "uk,en;q=0.5"})
    assert "Дошка" not in board.get_data(as_text=True)
