"""A small HTTP client for the smoke test: cookies, CSRF tokens and forms read from pages."""

from __future__ import annotations

import http.cookiejar
import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any


@dataclass
class Form:
    action: str
    method: str
    fields: list[tuple[str, str]] = field(default_factory=list)

    def values(self, **updates: str) -> list[tuple[str, str]]:
        kept = [(name, value) for name, value in self.fields if name not in updates]
        return kept + list(updates.items())


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._select: str | None = None
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {key: value or "" for key, value in attrs}
        if tag == "form":
            self.forms.append(Form(a.get("action", ""), a.get("method", "get").lower()))
        if not self.forms:
            return
        fields = self.forms[-1].fields
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if kind not in ("submit", "button", "file", "image"):
                fields.append((a["name"], a.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "select":
            self._select = a.get("name")
        elif tag == "option" and self._select and "selected" in a:
            fields.append((self._select, a.get("value", "")))
        elif tag == "textarea":
            self._textarea, self._text = a.get("name"), ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea and self.forms:
            self.forms[-1].fields.append((self._textarea, self._text))
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self._text += data


def forms(html: str) -> list[Form]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


@dataclass
class Page:
    status: int
    url: str
    text: str
    headers: Any

    def json(self) -> Any:
        return json.loads(self.text)

    def form(self, action_ends_with: str, method: str = "post") -> Form:
        for found in forms(self.text):
            target = urllib.parse.urlsplit(urllib.parse.urljoin(self.url, found.action)).path
            if found.method == method and target.endswith(action_ends_with):
                return found
        raise LookupError(f"no {method} form to …{action_ends_with} on {self.url}")


class Browser:
    """Follows redirects, keeps cookies; never raises for an HTTP status."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def get(self, path: str, **params: str) -> Page:
        query = ("?" + urllib.parse.urlencode(params)) if params else ""
        return self._open(urllib.request.Request(self.base + path + query))

    def post(self, path: str, data: list[tuple[str, str]]) -> Page:
        body = urllib.parse.urlencode(data).encode()
        return self._open(urllib.request.Request(self.base + path, data=body, method="POST"))

    def submit(self, page: Page, form: Form, **updates: str) -> Page:
        return self.post(
            urllib.parse.urljoin(page.url, form.action)[len(self.base) :], form.values(**updates)
        )

    def _open(self, request: urllib.request.Request) -> Page:
        try:
            with self.opener.open(request, timeout=120) as response:
                text = response.read().decode("utf-8", "replace")
                return Page(response.status, response.url, text, response.headers)
        except urllib.error.HTTPError as error:
            text = error.read().decode("utf-8", "replace")
            return Page(error.code, error.url, text, error.headers)
