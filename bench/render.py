"""Render the proposal for 10,000 in-memory candidates; compare with plain Jinja2.

Run: ``.venv/bin/python bench/render.py [N]``. No database is needed: candidates are plain
values, and the shipped templates are read from ``templates/letters``.

Three figures, all in the same run (the first two measured in paired slices, see below):
  * plain      - the same template text compiled once by a plain ``jinja2.Environment``
                 (text blocks without autoescape, HTML block with), rendering the three
                 blocks for contexts built beforehand;
  * sandboxed  - :meth:`Renderer.render_values` on the same contexts: the sandbox, strict
                 undefined, caps, the subject check and the HTML document around the body;
  * full       - :meth:`Renderer.render_data` from candidate values: language data, theme
                 labels, salutation and natural lists built per letter, then rendered.
The ratio sandboxed / plain is the cost of rendering safely (target above 0.7).
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from jinja2 import Environment  # noqa: E402

from outreach.letters import office, sandbox, sources  # noqa: E402
from outreach.letters.render import Renderer  # noqa: E402
from outreach.locales import THEMES  # noqa: E402

COUNTRIES = {"pl": "PL", "de": "DE", "it": "IT", "lv": "LV", "lt": "LT", "fr": "FR", "en": "GB"}
NAMES = ("Anna Nowak", "Jan Kowalski", "", "Maria Rossi", "Pierre Martin", "")
ROLES = ("Mayor", "Wójt", "", "Sindaco", "Maire", "Bürgermeister")


def candidates(count: int, languages: list[str]) -> list[tuple[dict, dict, str]]:
    rng = random.Random(7)
    out = []
    for i in range(count):
        language = languages[i % len(languages)]
        candidate = {
            "id": i,
            "name": f"Town {i}",
            "name_local": f"Gmina {i}",
            "country": COUNTRIES.get(language, "PL"),
            "region": "Region",
            "population": rng.choice([None, 5000 + i]),
            "website": f"https://town{i}.example",
            "themes": rng.sample(list(THEMES), 4),
        }
        contact = {
            "name": NAMES[i % len(NAMES)],
            "role": ROLES[i % len(ROLES)],
            "gender": rng.choice(["m", "f", ""]),
        }
        out.append((candidate, contact, language))
    return out


def main(count: int = 10_000) -> None:
    settings = dict(office.defaults(), signatory_name="Oksana Example")
    renderer = Renderer(None, "proposal", settings=settings)
    languages = sorted(lang for lang in renderer.available if lang in COUNTRIES)
    people = candidates(count, languages)
    contexts = [renderer.context_for(c, p, lang) for c, p, lang in people]

    plain_text = Environment(trim_blocks=True, lstrip_blocks=True)
    plain_html = Environment(trim_blocks=True, lstrip_blocks=True, autoescape=True)
    # The same wordwrap filter on both sides, so the ratio measures the sandbox alone.
    for env in (plain_text, plain_html):
        env.filters["wordwrap"] = sandbox.wordwrap
    compiled = {}
    for language in languages:
        text = sources.file_source("proposal", language).text
        compiled[language] = (plain_text.from_string(text), plain_html.from_string(text))
        renderer.source(language)

    def plain_render(values: dict) -> None:
        text_t, html_t = compiled[values["language"]]
        ctx = text_t.new_context(values)
        "".join(text_t.blocks["subject"](ctx)).strip()
        "".join(text_t.blocks["text"](ctx)).strip()
        hctx = html_t.new_context(values)
        "".join(html_t.blocks["html"](hctx)).strip()

    for values in contexts[:50]:  # warm both (compile, caches)
        plain_render(values)
        renderer.render_values(values)

    def seconds(fn, items) -> float:
        started = time.perf_counter()
        for item in items:
            fn(item)
        return time.perf_counter() - started

    # Slices of 500 letters, plain and sandboxed back to back, three passes over all: a busy
    # machine slows both sides of a pair alike, so the median of the paired ratios is the
    # figure; the rates are the best slice of each.
    ratios: list[float] = []
    plain = sandboxed = full = 0.0
    step = 500
    for _round in range(3):
        for start in range(0, count, step):
            part = contexts[start : start + step]
            t_plain = seconds(plain_render, part)
            t_sandboxed = seconds(renderer.render_values, part)
            ratios.append(t_plain / t_sandboxed)
            plain = max(plain, len(part) / t_plain)
            sandboxed = max(sandboxed, len(part) / t_sandboxed)
        full = max(full, count / seconds(lambda p: renderer.render_data(p[0], p[1], p[2]), people))
    print(f"proposal letters rendered: {count} ({', '.join(languages)})")
    print(f"plain Jinja2 (compiled once): {plain:10,.0f} letters/s")
    print(f"sandboxed Renderer          : {sandboxed:10,.0f} letters/s")
    print(
        f"ratio sandboxed / plain     : {statistics.median(ratios):10.2f}"
        "  (median of paired slices; target > 0.7)"
    )
    print(f"full, with context building : {full:10,.0f} letters/s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
