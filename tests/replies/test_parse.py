import pytest

from outreach.replies.parse import ParseError, fallback_message_id, html_to_text, parse
from outreach.replies.text import reply_text, storable
from tests.replies import messages

OUT_OF_OFFICE = [
    "Automatic reply: Cooperation proposal",
    "Out of Office: Re: partnership",
    "Abwesenheitsnotiz: Kooperation",
    "Automatische Antwort: Kooperation",
    "Odpowiedź automatyczna: Propozycja",
    "Poza biurem do 12 maja",
    "Risposta automatica: Proposta di cooperazione",
    "Fuori sede",
    "Automātiskā atbilde: Sadarbība",
    "Automatinis atsakymas: Bendradarbiavimas",
    "Réponse automatique : Coopération",
    "Absence: jusqu'au 12 mai",
    "Автоматична відповідь: Співпраця",
]


@pytest.mark.parametrize("subject", OUT_OF_OFFICE)
def test_out_of_office_subjects_in_the_letter_languages(subject):
    assert parse(messages.reply(subject=subject)).kind == "auto_reply"


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto-Submitted": "auto-replied"},
        {"X-Autoreply": "yes"},
        {"X-Autorespond": "vacation"},
        {"Precedence": "auto_reply"},
    ],
)
def test_automatic_reply_headers(headers):
    assert parse(messages.reply(headers=headers)).kind == "auto_reply"


def test_real_replies_stay_replies():
    for subject in ("Re: Cooperation proposal", "Re: the absence of a partner", "AW: Kooperation"):
        assert parse(messages.reply(subject=subject, headers={"Auto-Submitted": "no"})).kind == (
            "reply"
        )


def test_fields_of_a_reply():
    raw = messages.reply(
        in_reply_to="<a@office.example>",
        references=["<root@office.example>", "<a@office.example>"],
        attachment=("plan.pdf", b"12345"),
    )
    parsed = parse(raw)
    assert parsed.sender == "wojt@dabrowa.example" and parsed.sender_name == "Wójt"
    assert parsed.in_reply_to == "<a@office.example>"
    assert parsed.references == ["<root@office.example>", "<a@office.example>"]
    assert parsed.date.isoformat() == "2026-05-04T10:30:00"
    assert parsed.text == "Thank you, we would be glad to talk."
    assert parsed.attachments == [
        {"filename": "plan.pdf", "content_type": "application/pdf", "size": 5}
    ]


def test_html_only_bodies_are_stripped():
    raw = (
        b"From: a@b.example\r\nSubject: Hi\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        b"<html><head><style>p{}</style></head><body><p>Dzie&#324; dobry,</p>"
        b"<p>tak, <b>chcemy</b>.</p></body></html>"
    )
    assert parse(raw).text == "Dzień dobry,\n\ntak, chcemy."
    assert html_to_text("<div>a</div><div>b</div>") == "a\n\nb"


def test_a_delivery_status_notification():
    parsed = parse(messages.bounce("<letter-1@office.example>", "mayor@gone.example"))
    assert parsed.kind == "bounce"
    assert parsed.bounce.original_message_id == "<letter-1@office.example>"
    assert parsed.bounce.recipient == "mayor@gone.example"
    assert parsed.bounce.status == "5.1.1" and "User unknown" in parsed.bounce.diagnostic


def test_a_message_without_message_id_gets_a_stable_one():
    raw = b"From: a@b.example\r\nSubject: Hi\r\n\r\nHello\r\n"
    assert parse(raw).message_id == fallback_message_id(raw) == parse(raw).message_id


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "the message is empty"),
        (b"not a message\r\n", "no headers"),
        (b"Subject: no sender\r\n\r\nbody", "no sender address in From"),
        (b"From: nobody\r\nSubject: x\r\n\r\nbody", "no sender address in From"),
    ],
)
def test_messages_that_cannot_be_read(raw, reason):
    with pytest.raises(ParseError, match=reason):
        parse(raw)


@pytest.mark.parametrize(
    ("template", "kind"),
    [
        (messages.EXIM_BOUNCE, "bounce"),
        (messages.QMAIL_BOUNCE, "bounce"),
        (messages.EXIM_DELAYED, "auto_reply"),
    ],
)
def test_bounces_of_other_formats(template, kind):
    parsed = parse(messages.plain_bounce(template, "mayor@gone.example", "<l-1@office.example>"))
    assert parsed.kind == kind
    if kind == "bounce":
        assert parsed.bounce.recipient == "mayor@gone.example"
        assert parsed.bounce.original_message_id == "<l-1@office.example>"


QUOTED = {
    "en": (
        "Thank you, we agree.\n\nOn Mon, 4 May 2026 at 10:30, Office <o@mena.example> wrote:\n"
        "> Dear Mayor,\n> we propose a partnership.\n"
    ),
    "de": (
        "Sehr geehrte Damen und Herren,\nwir stimmen zu.\n\n"
        "Am 04.05.2026 um 10:30 schrieb Office <o@mena.example>:\n> Sehr geehrter Herr\n"
    ),
    "pl": (
        "Dzień dobry,\nchętnie nawiążemy współpracę.\n\n"
        "W dniu 4.05.2026 o 10:30, Office <o@mena.example> pisze:\n> Szanowny Panie Wójcie,\n"
        ">\n> Zwracam się do Państwa\n"
    ),
}


@pytest.mark.parametrize("language", sorted(QUOTED))
def test_the_quoted_letter_is_stripped_from_a_reply(language):
    parsed = parse(messages.reply(text=QUOTED[language]))
    assert ">" not in parsed.reply_text and "Office" not in parsed.reply_text
    assert parsed.reply_text.split("\n")[0] == QUOTED[language].split("\n")[0]
    assert parsed.text.startswith(parsed.reply_text) and "> " in parsed.text


def test_a_reply_without_quote_is_kept_whole():
    assert reply_text("Yes, gladly.") == "Yes, gladly."
    assert reply_text("> only a quote") == "> only a quote"


def test_storable_text():
    assert storable("a\x00b") == "ab"
    assert storable("Gr\udcc3\udcbc\udcdfe") == "Grü\ufffde"
    assert storable("x\ud800y") == "x?y"
