"""Render the proposal for 10,000 in-memory candidates; compare with plain Jinja2.

Run: ``.venv/bin/python bench/render.py [N]``. No database is needed: candidates are plain
values, the shipped letters are read from ``templates/letters``, and the partners paragraph
lists the office's four partners of 2023.

Four figures, all in the same run, on contexts built beforehand with everything the letters
now say (salutation, region, partners paragraph, why we write, themes, signature):
  * plain      - the same letter text compiled once by a plain ``jinja2.Environment`` and
                 made into the same two parts the same way (:class:`markup.Document`): the
                 plain-text part, wrapped, and the HTML part;
  * sandboxed  - :meth:`Renderer.render_values`: the same, in the sandbox with its caps
                 metered while rendering, plus the subject check and the HTML document;
  * text only  - plain Jinja2 filling in the letter text and nothing else (no parts, no
                 wrapping, no HTML): what the markup costs on top;
  * full       - :meth:`Renderer.render_data` from candidate values: the context built per
                 letter, then rendered.
The ratio sandboxed / plain is the cost of rendering safely (target at least 0.7).
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from jinja2 import Environment  # noqa: E402

from outreach.letters import markup, office, phrases, sources  # noqa: E402
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
            "region_local": f"Region {i}",
            "source": rng.choice(["cities4cities", "referral", "manual"]),
            "languages": [language],
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


PARTNERS = [
    phrases.Partner(-1, "Dąbrowa", "Gmina Dąbrowa", "PL", ("pl", "en")),
    phrases.Partner(-2, "Żyraków", "Gmina Żyraków", "PL", ("pl",)),
    phrases.Partner(-3, "Olaine", "Olaines novads", "LV", ("lv", "en")),
    phrases.Partner(-4, "Casteltermini", "Casteltermini", "IT", ("it",)),
]


def main(count: int = 10_000) -> None:
    settings = dict(
        office.defaults(),
        signatory_name="Оксана Приклад",
        signatory_gender="f",
        contact_name="Ірина Мельник",
        population=40000,
        sender_phone="+380 4644 2 11 11",
        contact_languages=["uk", "en", "pl"],
    )
    renderer = Renderer(None, "proposal", settings=settings, partners=PARTNERS)
    languages = sorted(lang for lang in renderer.available if lang in COUNTRIES)
    people = candidates(count, languages)
    contexts = [renderer.context_for(c, p, lang) for c, p, lang in people]

    plain_env = Environment(trim_blocks=True, lstrip_blocks=True, finalize=markup.finalize)
    text_env = Environment(trim_blocks=True, lstrip_blocks=True)
    compiled = {}
    texts = {}
    for language in languages:
        text = sources.file_source("proposal", language).text
        compiled[language] = markup.Document(text, plain_env.from_string)
        texts[language] = text_env.from_string(text)
        renderer.source(language)

    def plain_render(values: dict) -> None:
        compiled[values["language"]].render(values)

    def text_render(values: dict) -> None:
        texts[values["language"]].render(values)

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
    plain = sandboxed = full = text_only = 0.0
    step = 500
    for _round in range(3):
        for start in range(0, count, step):
            part = contexts[start : start + step]
            t_plain = seconds(plain_render, part)
            t_sandboxed = seconds(renderer.render_values, part)
            ratios.append(t_plain / t_sandboxed)
            plain = max(plain, len(part) / t_plain)
            sandboxed = max(sandboxed, len(part) / t_sandboxed)
            text_only = max(text_only, len(part) / seconds(text_render, part))
        full = max(full, count / seconds(lambda p: renderer.render_data(p[0], p[1], p[2]), people))
    print(f"proposal letters rendered: {count} ({', '.join(languages)})")
    print(f"plain Jinja2, both parts    : {plain:10,.0f} letters/s")
    print(f"sandboxed Renderer          : {sandboxed:10,.0f} letters/s")
    print(
        f"ratio sandboxed / plain     : {statistics.median(ratios):10.2f}"
        "  (median of paired slices; target at least 0.7)"
    )
    print(
        f"plain Jinja2, text only     : {text_only:10,.0f} letters/s"
        f"  (sandboxed / text only: {sandboxed / text_only:.2f})"
    )
    print(f"full, with context building : {full:10,.0f} letters/s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
