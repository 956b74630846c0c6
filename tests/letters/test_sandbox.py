"""The sandbox's caps hold while rendering: sizes (filters and methods too), time, attr."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from outreach.extensions import db
from outreach.letters import sources
from outreach.letters.render import Renderer, RenderError
from outreach.letters.versions import TemplateInvalid, save_version
from outreach.mailing import batches

BODY = "Subject: Proposal for {{ candidate.name }}\n\n{{ contact.salutation }},\nPAYLOAD\n"


def refused(payload: str) -> str:
    """The first message when saving a template with ``payload`` in its text block."""
    with pytest.raises(TemplateInvalid) as info:
        save_version(db.session, "proposal", "pl", BODY.replace("PAYLOAD", payload), None)
    db.session.rollback()
    return info.value.messages[0]


def rendered(make_candidate: Any, payload: str) -> str:
    """Render ``payload`` for a candidate without the checks made when saving."""
    m = make_candidate("Dąbrowa", "PL", "pl", contact={"email": "w@dabrowa.example"})
    renderer = Renderer(db.session, "proposal")
    source = sources.Source("proposal", "pl", -1, None, BODY.replace("PAYLOAD", payload))
    renderer.use_source(source)
    return renderer.render(m).text


@pytest.mark.parametrize(
    "payload",
    [
        "{{ (('a'*10000)|replace('a','a'*100000))|length }}",
        "{{ ('a'*1000)|replace('a', 'b'*99)|replace('b', 'cc') }}",
        "{% set a = 'x'*40000 %}{{ [a, a, a]|join }}",
        "{% set a = 'x'*40000 %}{{ [a, a, a]|join('-') }}",
        "{% set a = 'x'*40000 %}{{ ('-').join([a, a, a]) }}",
        "{{ ('a'*1000).replace('a', 'b'*1000) }}",
        "{{ ('{0}'*30000).format('x'*100) }}",
        "{{ ('%s'*30000)|format('x'*100) }}",
        "{% set a = 'x'*1000 %}{% set a = a ~ a ~ a ~ a %}{% set a = a ~ a ~ a ~ a %}"
        "{% set a = a ~ a ~ a ~ a %}{% set a = a ~ a ~ a ~ a %}{{ a|length }}",
        "{% set a = 'x'*60000 %}{{ (a + a)|length }}",
        "{% set ns = namespace(a=['x'*1000]) %}{% for i in range(30) %}"
        "{% set ns.a = [ns.a, ns.a] %}{% endfor %}{{ ns.a|length }}",
        "{{ ('line\\n'*20000)|indent('x'*100) }}",
        "{{ ('a b '*20000)|wordwrap(1, true, 'x'*100) }}",
        "{{ ('a'*10)|list|batch(10**9, 'x')|list|length }}",
    ],
)
def test_growing_a_value_past_the_cap_is_refused_while_rendering(
    settings: Any, make_candidate: Any, payload: str
) -> None:
    assert "refused: " in refused(payload)
    with pytest.raises(RenderError, match="refused: |larger than|more than"):
        rendered(make_candidate, payload)


def test_many_small_values_add_up_to_the_budget(settings: Any, make_candidate: Any) -> None:
    printed = (
        "{% for i in range(1000) %}{% for j in range(1000) %}{{ 'x'*50 }}{% endfor %}{% endfor %}"
    )
    literal = (
        "{% for i in range(1000) %}{% for j in range(1000) %}xxxxxxxxxx{% endfor %}{% endfor %}"
    )
    for payload in (printed, literal):
        assert "builds more than 2000000 characters in all" in refused(payload)


def test_ordinary_templates_stay_within_the_caps(settings: Any, make_candidate: Any) -> None:
    text = rendered(
        make_candidate,
        "{% for t in ['a', 'b'] %}{{ t|upper ~ '-' }}{% endfor %} {{ 'x'|replace('x', 'yz') }}"
        " {{ '%s and %s'|format('A', 'B') }} {{ '{0}!'.format('C') }} {{ ['p', 'q']|join(', ') }}"
        " {{ (1, 2)|sum }} {{ 'a b c'.split()|length }} {{ range(3)|list|length }}"
        " {{ none|default(40000, true) }} {{ '{} people'.format(19500) }} {{ 'x'.center(5) }}",
    )
    assert "A-B- yz A and B C! p, q 3 3 3 40000 19500 people   x" in text


SLOW = (
    "{% macro m() %}{% endmacro %}{% if candidate.name == 'Slowtown' %}"
    "{% for a in range(1000) %}{% for b in range(1000) %}{{ m() }}{% endfor %}{% endfor %}"
    "{% endif %}"
)


def test_a_template_slow_for_one_town_is_stopped_in_previews_and_batches(
    settings: Any,
    make_candidate: Any,
    client: FlaskClient,
    login_as: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("outreach.letters.render.MAX_SECONDS", 0.2)
    for i in range(5):
        make_candidate(f"Town {i}", "PL", "pl", contact={"email": f"w{i}@town{i}.example"})
    slow = make_candidate("Slowtown", "PL", "pl", contact={"email": "w@slowtown.example"})
    # The trial renders five candidates, not Slowtown: the text is stored.
    save_version(db.session, "proposal", "pl", BODY.replace("PAYLOAD", SLOW), None)
    db.session.commit()

    login_as("viewer")
    page = client.get(f"/letters/preview?letter=proposal&candidate={slow.id}")
    assert page.status_code == 200
    assert "rendering took longer than 0.2 s" in page.get_data(as_text=True)

    # The batch holds the letter back, saying why; nothing is created for it.
    result = batches.preview(db.session, "proposal", {"ids": [slow.id]})
    assert not result.recipients
    (held,) = result.excluded
    assert held.reason == "cannot_render"
    assert "Slowtown (PL): rendering took longer than 0.2 s" in held.detail
    with pytest.raises(batches.BatchError):
        batches.create_batch(db.session, result, user_id=None, filters={}, sender="o@x.example")


def test_the_trial_render_stops_a_slow_template(
    settings: Any, make_candidate: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("outreach.letters.render.MAX_SECONDS", 0.2)
    make_candidate("Slowtown", "PL", "pl", contact={"email": "w@slowtown.example"})
    assert "rendering took longer than 0.2 s" in refused(SLOW)


@pytest.mark.parametrize(
    "payload",
    [
        "{{ ('{name}'|attr('format_map'))(candidate) }}",
        "{% set f = '{name}'|attr('format_map') %}{{ f(candidate) }}",
        "{{ ('{name}'['format_map'])(candidate) }}",
        "{{ (candidate.name|attr('translate'))({97: 'x'*1000}) }}",
        "{{ candidate.name.expandtabs(1000) }}",
    ],
)
def test_attr_reaches_nothing_the_sandbox_hides(
    settings: Any, make_candidate: Any, payload: str
) -> None:
    assert "refused: " in refused(payload)
    with pytest.raises(RenderError) as info:
        rendered(make_candidate, payload)
    assert "unsafe" in str(info.value) or "refused" in str(info.value)


def test_lipsum_is_not_available(settings: Any) -> None:
    assert refused("{{ lipsum(100000) }}").startswith("unknown placeholder `lipsum` on line 4")
