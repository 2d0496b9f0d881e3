"""Every number a member reads is printed the guide's way (issue 14, item 3): amounts as
"Bs 1.000,00" / "$us 1.000,00" (two decimals, comma decimals, dot thousands), rates and
percentages with comma decimals, dates as dd/mm/yyyy — on every member page, in every email.
On pages, every amount also sits in ``<span class="money">`` (the layout test finds amounts
by it, and the stylesheet keeps it on one line)."""

import re
from decimal import Decimal

import pytest

from tests.security.test_access_matrix import owner as owner  # noqa: PLC0414 - the fixture

from .pages import (
    GUIDE_AMOUNT,
    MONEY_TOKEN,
    emails,
    member_pages,
    read,
    rendered_email_templates,
)

pytestmark = pytest.mark.django_db

ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
SLASH_DATE = re.compile(r"\b\d{1,4}/\d{1,2}/\d{1,4}\b")
GUIDE_DATE = re.compile(r"\d{2}/\d{2}/\d{4}")
MONTHS = (
    "enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre|"
    "january|february|march|april|june|july|august|september|october|november|december|"
    "ene\\.|feb\\.|mar\\.|abr\\.|jun\\.|jul\\.|ago\\.|sep\\.|oct\\.|nov\\.|dic\\."
)
WORD_DATE = re.compile(rf"\b\d{{1,2}}(?: de)? (?:{MONTHS})|\b(?:{MONTHS}) \d{{1,2}}\b", re.I)
# A figure before "%" (an interest rate): comma decimals, at most two.
PERCENT = re.compile(r"(\d[\d.,]*)\s*%")
GUIDE_PERCENT = re.compile(r"\d{1,3}(?:\.\d{3})*(?:,\d{1,2})?")
# A bare decimal with a dot and one to two or more than two decimals ("6.96", "218.7300").
DOT_DECIMAL = re.compile(r"(?<![\d.,/])\d+\.\d{1,2}(?![\d.,])|\d+[.,]\d{5,}")


def number_problems(text: str) -> list[str]:
    problems = []
    for match in MONEY_TOKEN.finditer(text):
        if not GUIDE_AMOUNT.fullmatch(match.group(1)):
            problems.append(f"amount {match.group()!r}")
    for match in ISO_DATE.finditer(text):
        problems.append(f"ISO date {match.group()!r}")
    for match in SLASH_DATE.finditer(text):
        if not GUIDE_DATE.fullmatch(match.group()):
            problems.append(f"date {match.group()!r}")
    for match in WORD_DATE.finditer(text):
        problems.append(f"date in words {match.group()!r}")
    for match in PERCENT.finditer(text):
        if not GUIDE_PERCENT.fullmatch(match.group(1)):
            problems.append(f"percentage {match.group()!r}")
    for match in DOT_DECIMAL.finditer(text):
        problems.append(f"dot-decimal or raw number {match.group()!r}")
    return problems


def report(failures: dict[str, list[str]]) -> str:
    return "\n".join(f"{name}: {problem}" for name, ps in failures.items() for problem in ps)


def test_the_checker_catches_what_issue_14_saw():
    """The control: the figures seen on screen before this change fail, the guide's pass."""
    for bad in (
        "USD 218,730000000000",
        "USD 1310,28000000000",
        "USD 1000.00",
        "Bs 1000,00",
        "Bs 30.156",
        "Tipo de cambio 6.96",
        "desde 2026-11-29",
        "el 29 de noviembre de 2026",
        "Nov. 29, 2026",
        "12.5 %",
        "fecha 1/2/26",
    ):
        assert number_problems(bad), bad
    for good in ("Bs 1.000,00", "$us 1.310,28", "Bs -5,00", "6,96", "12,50 %", "29/11/2026 14:05"):
        assert number_problems(good) == [], good


def test_every_member_page_prints_numbers_the_guide_way(client, owner):
    pages = member_pages(client, owner)
    assert len(pages) >= 25, sorted(pages)
    assert "transfers:own(BOB->USD):after-data" in pages  # step 4, with rates
    failures = {}
    for name, html in pages.items():
        text = read(html)
        problems = number_problems(text.readable())
        # Each amount in its money span (an <option> cannot hold markup: exempt).
        for chunk, in_money, in_option in text.chunks:
            if not in_money and not in_option and MONEY_TOKEN.search(chunk):
                problems.append(f"amount outside <span class=money>: {chunk!r}")
        if problems:
            failures[name] = problems
    assert not failures, report(failures)


def test_every_email_prints_numbers_the_guide_way(client, owner):
    member_pages(client, owner)  # the flows write their emails to the outbox
    sent = emails()
    assert sent, "the flows sent no email"
    rendered = rendered_email_templates(owner)
    assert len(rendered) >= 24, sorted(rendered)
    failures = {
        name: problems
        for name, text in {**sent, **rendered}.items()
        if (problems := number_problems(text))
    }
    assert not failures, report(failures)


def test_the_amounts_filter_escapes_everything_but_its_own_spans():
    """Receipt rows carry text a member typed (a description): only the amounts become markup."""
    from ledger.templatetags.money import amounts, money

    out = amounts('<script>alert("x")</script> Bs 1.000,00 & $us 5,00')
    assert "<script>" not in out
    assert "&lt;script&gt;" in out and "&amp;" in out
    assert out.count('<span class="money">') == 2
    assert '<span class="money">Bs 1.000,00</span>' in out
    assert money(Decimal("-1234.5"), "USD") == '<span class="money">$us -1.234,50</span>'
    assert money(None, "BOB") == ""
