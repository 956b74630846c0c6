"""What every page shares: navigation, error pages, security headers, template helpers."""

from __future__ import annotations

from flask import Flask, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response

from outreach import locales
from outreach.auth.models import Role
from outreach.hooks import NavLink, hooks
from outreach.pipeline import stages


def flag(country: str) -> str:
    """The regional-indicator emoji flag for an ISO country code."""
    if len(country) != 2 or not country.isalpha():
        return ""
    return "".join(chr(0x1F1E6 + ord(c) - ord("A")) for c in country.upper())


def nav_items() -> list[tuple[str, str, bool]]:
    """The links the current user may follow: ``(href, label, current)``.

    The current link is the longest one the request path starts with.
    """
    links = [
        (url_for(link.endpoint), str(link.label))
        for link in hooks().nav
        if current_user.is_authenticated and current_user.has_role(link.role)
    ]
    matches = [href for href, _label in links if request.path.startswith(href)]
    current = max(matches, key=len) if matches else None
    return [(href, label, href == current) for href, label in links]


def trust_proxies(app: Flask) -> None:
    """Behind ``TRUSTED_PROXIES`` reverse proxies, take the client's address and scheme from
    the ``X-Forwarded-For`` and ``X-Forwarded-Proto`` headers they add (werkzeug's ProxyFix
    reads that many entries from the right, so a client cannot forge its address). With the
    default 0 the headers are ignored and the address is the connection's."""
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies < 0:
        raise ValueError(f"TRUSTED_PROXIES={proxies} must be 0 or more")
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]


def init_app(app: Flask) -> None:
    """Pages every feature shares; call first, so that the board leads the top bar."""
    trust_proxies(app)
    hooks(app).nav[:0] = [
        NavLink("pipeline.board", _l("Board"), Role.VIEWER),
        NavLink("pipeline.candidates", _l("Candidates"), Role.VIEWER),
    ]

    @app.route("/")
    def index() -> Response:
        return redirect(url_for("pipeline.board"))

    @app.route("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[str, int]:
        return render_template("error.html", error=exc), exc.code or 500

    @app.after_request
    def security_headers(response: Response) -> Response:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    app.jinja_env.globals.update(
        get_locale=get_locale,
        nav_items=nav_items,
        stage_order=stages.ORDER,
        stage_labels=stages.LABELS,
        country_name=locales.country_name,
        theme_label=locales.theme_label,
        other_interface_languages=locales.other_interface_languages,
    )
    app.jinja_env.filters["flag"] = flag
