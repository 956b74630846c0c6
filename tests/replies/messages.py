"""Raw incoming messages for the tests: replies, out-of-office notes and bounces."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid


def reply(
    *,
    sender: str = "wojt@dabrowa.example",
    subject: str = "Re: Cooperation proposal",
    text: str = "Thank you, we would be glad to talk.",
    in_reply_to: str | None = None,
    references: list[str] | None = None,
    message_id: str | None = None,
    headers: dict[str, str] | None = None,
    html: str | None = None,
    attachment: tuple[str, bytes] | None = None,
    date: datetime | None = None,
) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Wójt <{sender}>"
    msg["To"] = "office@outreach-test.example"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(date or datetime(2026, 5, 4, 10, 30, tzinfo=UTC))
    msg["Message-ID"] = message_id or make_msgid(domain="mail.example")
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = " ".join(references)
    for key, value in (headers or {}).items():
        msg[key] = value
    msg.set_content(text)
    if html:
        msg.add_alternative(html, subtype="html")
    if attachment:
        name, data = attachment
        msg.add_attachment(data, maintype="application", subtype="pdf", filename=name)
    return msg.as_bytes()


def bounce(original_message_id: str, recipient: str, *, headers_only: bool = False) -> bytes:
    """A Postfix-style delivery-status notification for a letter to ``recipient``."""
    original = (
        "From: office@outreach-test.example\r\n"
        f"To: {recipient}\r\n"
        "Subject: Cooperation proposal\r\n"
        f"Message-ID: {original_message_id}\r\n"
    )
    if headers_only:
        returned = "Content-Type: text/rfc822-headers\r\n\r\n" + original
    else:
        returned = "Content-Type: message/rfc822\r\n\r\n" + original + "\r\nDear Mayor,\r\n"
    text = (
        "From: Mail Delivery System <MAILER-DAEMON@mx.example>\r\n"
        "To: office@outreach-test.example\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Auto-Submitted: auto-replied\r\n"
        f"Message-ID: {make_msgid(domain='mx.example')}\r\n"
        "Date: Mon, 04 May 2026 11:00:00 +0000\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="BOUND"\r\n'
        "\r\n"
        "--BOUND\r\n"
        "Content-Type: text/plain; charset=us-ascii\r\n\r\n"
        f"Your message to {recipient} could not be delivered.\r\n"
        "--BOUND\r\n"
        "Content-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\n"
        "Action: failed\r\n"
        "Status: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 <" + recipient + ">: User unknown\r\n"
        "\r\n--BOUND\r\n" + returned + "\r\n--BOUND--\r\n"
    )
    return text.encode()


#: Bounces in formats other than RFC 3464 (recognised by flufl.bounce's detectors).
EXIM_BOUNCE = (
    "From: Mail Delivery System <Mailer-Daemon@mx.example>\r\n"
    "To: office@outreach-test.example\r\n"
    "Subject: Mail delivery failed: returning message to sender\r\n"
    "Message-ID: <bounce-exim@mx.example>\r\n"
    "X-Failed-Recipients: {rcpt}\r\n"
    "Auto-Submitted: auto-replied\r\n"
    "Date: Mon, 04 May 2026 11:00:00 +0000\r\n"
    "\r\n"
    "This message was created automatically by mail delivery software.\r\n\r\n"
    "A message that you sent could not be delivered to one or more of its\r\n"
    "recipients. This is a permanent error. The following address(es) failed:\r\n\r\n"
    "  {rcpt}\r\n"
    "    SMTP error from remote mail server after RCPT TO:<{rcpt}>:\r\n"
    "    550 5.1.1 User unknown\r\n\r\n"
    "------ This is a copy of the message, including all the headers. ------\r\n\r\n"
    "Message-ID: {msgid}\r\nSubject: Cooperation proposal\r\n\r\nDear Mayor,\r\n"
)
QMAIL_BOUNCE = (
    "From: MAILER-DAEMON@mx.example\r\n"
    "To: office@outreach-test.example\r\n"
    "Subject: failure notice\r\n"
    "Message-ID: <bounce-qmail@mx.example>\r\n"
    "Date: Mon, 04 May 2026 11:00:00 +0000\r\n"
    "\r\n"
    "Hi. This is the qmail-send program at mx.example.\r\n"
    "I'm afraid I wasn't able to deliver your message to the following addresses.\r\n"
    "This is a permanent error; I've given up. Sorry it didn't work out.\r\n\r\n"
    "<{rcpt}>:\r\n"
    "550 5.1.1 user unknown\r\n\r\n"
    "--- Below this line is a copy of the message.\r\n\r\n"
    "Message-ID: {msgid}\r\nSubject: Cooperation proposal\r\n\r\nDear Mayor,\r\n"
)
EXIM_DELAYED = (
    "From: Mail Delivery System <Mailer-Daemon@mx.example>\r\n"
    "To: office@outreach-test.example\r\n"
    "Subject: Warning: message 1abc-000 delayed 24 hours\r\n"
    "Message-ID: <delay@mx.example>\r\n"
    "Auto-Submitted: auto-replied\r\n"
    "\r\n"
    "This message was created automatically by mail delivery software.\r\n"
    "A message that you sent has not yet been delivered to one or more of its\r\n"
    "recipients after more than 24 hours on the queue on mx.example.\r\n\r\n"
    "The message identifier is:     1abc-000\r\n\r\n"
    "The address(es) that have not yet been reached are:\r\n\r\n"
    "  {rcpt}\r\n    Delay reason: SMTP error from remote mail server after RCPT TO:<{rcpt}>:\r\n"
    "    451 4.7.1 Please try again later\r\n\r\n"
    "No action is required on your part. Delivery attempts will continue for\r\n"
    "some time, and this warning may be repeated at intervals if the message\r\n"
    "remains undelivered. Eventually the mail delivery software will give up,\r\n"
    "and when that happens, the message will be returned to you.\r\n"
)


def plain_bounce(template: str, recipient: str, original_message_id: str = "<x@y>") -> bytes:
    return template.format(rcpt=recipient, msgid=original_message_id).encode()
