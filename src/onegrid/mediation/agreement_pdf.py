"""The mediation agreement as a PDF document (人民调解协议书), in the installation's language.

Written with reportlab (as the monthly reports are) in the CJK TrueType font of core.pdf_fonts,
embedded as a subset, so the file prints the same anywhere. It carries what 人民调解法 art. 29
asks of an agreement: the parties' basic facts (name, sex, age, ethnicity, occupation or
employer, address; an organisation's name, address and legal representative), the main facts of
the dispute, the matters in dispute and each party's responsibility, what was agreed, how and by
when it is performed; the sentence on when it takes effect (signatures, seals or thumbprints of
the parties; the mediator's signature and the committee's seal; an oral agreement, art. 30, the
day agreed), the copies, the notice of judicial confirmation (art. 33) with the last day to
apply, and the signature lines.

Everything a person typed is drawn as text: reportlab's Paragraph reads a small markup
language, so user text is escaped first (a name such as ``<b>张三</b>`` prints as typed). Long
text wraps between any two Chinese characters and flows over as many pages as it needs.

Who may download it is org.policies.may_read_dispute; the page logs the read.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import TYPE_CHECKING, Any, Literal
from xml.sax.saxutils import escape

from django.conf import settings
from django.http import HttpResponse
from django.utils import formats, translation
from django.utils.translation import gettext as _

from onegrid.core.pdf_fonts import register_font

from .agreements import record_read
from .models import Agreement, Dispute, DisputeParty

if TYPE_CHECKING:
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Flowable, Paragraph


def _day(day: dt.date | None) -> str:
    if day is None:
        return "—"
    # The language's own long date (Chinese: 2027年2月12日), as a signed document writes it.
    return formats.date_format(day, "DATE_FORMAT")


def _text(value: object) -> str:
    """User text as Paragraph markup that draws exactly that text (line breaks kept)."""
    return escape(str(value)).replace("\r\n", "\n").replace("\n", "<br/>")


def party_facts(party: DisputeParty) -> str:
    """One party's basic facts in a line, the empty ones left out (plain text): those art. 29
    names (name, sex, age, ethnicity, occupation or employer, address; an organisation's name,
    address and legal representative). Not the phone: the agreement does not need it."""
    side = party.get_side_display()
    if party.kind == DisputeParty.Kind.ORGANISATION:
        items = [
            party.name,
            _("address: %(v)s") % {"v": party.address} if party.address else "",
            _("legal representative: %(v)s") % {"v": party.representative}
            if party.representative
            else "",
        ]
    else:
        items = [
            party.name,
            party.get_sex_display() if party.sex else "",
            _("%(n)d years old") % {"n": party.age} if party.age is not None else "",
            party.ethnicity,
            party.occupation,
            _("address: %(v)s") % {"v": party.address} if party.address else "",
        ]
    return _("%(side)s: %(facts)s") % {
        "side": side,
        "facts": _(", ").join(i for i in items if i),
    }


class _Styles:
    def __init__(self, font: str) -> None:
        self.font = font
        self.title = self.style("title", 20, alignment=1, space_after=4)
        self.number = self.style("number", 10.5, alignment=2, space_after=10)
        self.heading = self.style("heading", 12, space_before=8, space_after=3)
        self.body = self.style("body", 11, space_after=3)
        self.small = self.style("small", 9.5, space_after=2)

    def style(
        self,
        name: str,
        size: float,
        *,
        alignment: Literal[0, 1, 2, 4] = 0,
        space_before: float = 0,
        space_after: float = 0,
    ) -> ParagraphStyle:
        from reportlab.lib.styles import ParagraphStyle

        return ParagraphStyle(
            name,
            fontName=self.font,
            fontSize=size,
            leading=size * 1.6,
            wordWrap="CJK",  # lines may break between any two Chinese characters
            alignment=alignment,
            spaceBefore=space_before,
            spaceAfter=space_after,
        )


def render_agreement(agreement: Agreement) -> bytes:
    """The agreement's PDF bytes, in the installation's language (Chinese)."""
    font = register_font()  # before any query: a missing font fails at once
    with translation.override(settings.LANGUAGE_CODE):
        return _render(agreement, _Styles(font))


def _render(agreement: Agreement, s: _Styles) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    dispute = agreement.dispute
    committee = dispute.committee
    committee_name = committee.name if committee else ""
    parties = list(dispute.parties.order_by("side", "pk"))
    mediators = [
        str(a.mediator)
        for a in dispute.assignments.select_related("mediator").order_by("-lead", "assigned_at")
    ]

    def p(markup: str, style: ParagraphStyle | None = None) -> Paragraph:
        return Paragraph(markup, style or s.body)

    def labelled(label: str, value: object) -> Paragraph:
        return p(f"{escape(label)}{_text(value)}")

    story: list[Flowable] = [
        p(escape(_("People's Mediation Agreement")), s.title),
        p(_text(agreement.number), s.number),
        labelled(_("Mediation committee: "), committee_name),
        labelled(_("Type of dispute: "), dispute.type.name),
        p(escape(_("The parties")), s.heading),
    ]
    story += [p(_text(party_facts(party))) for party in parties]
    story += [
        p(escape(_("The main facts of the dispute")), s.heading),
        p(_text(agreement.facts)),
        p(escape(_("The matters in dispute")), s.heading),
        p(_text(agreement.matters)),
        p(escape(_("Each party's responsibility")), s.heading),
        p(_text(agreement.responsibilities)),
        p(
            escape(
                _(
                    "Mediated by this committee, the parties have agreed of their own free will "
                    "as follows:"
                )
            ),
            s.heading,
        ),
        p(_text(agreement.terms)),
        p(escape(_("How and by when the agreement is performed")), s.heading),
        labelled(_("Manner of performance: "), agreement.performance_manner),
        labelled(_("Performed by: "), _day(agreement.performance_deadline)),
        Spacer(1, 4 * mm),
    ]
    if agreement.form == Agreement.Form.ORAL:
        # Art. 28 and 30: agreed orally, recorded by the mediator, in effect the day agreed.
        effect = _(
            "The parties agreed orally; the mediator recorded the agreement. An oral "
            "agreement takes effect on the day the parties reach it (People's "
            "Mediation Law, art. 30)."
        )
    else:
        effect = _(
            "This agreement takes effect when every party has signed, sealed or put "
            "their thumbprint on it and the people's mediator has signed it and affixed "
            "the seal of the people's mediation committee (People's Mediation Law, art. "
            "29)."
        )
    story += [
        p(escape(effect)),
        labelled(_("Took effect on: "), _day(agreement.effective_on)),
        p(
            escape(
                _(
                    "This agreement is made in %(copies)d copies: one for each party and one "
                    "kept by the people's mediation committee."
                )
                % {"copies": agreement.copies}
            )
        ),
        p(
            escape(
                _(
                    "The parties may, if they find it necessary, apply together to the people's "
                    "court for judicial confirmation of this agreement within 30 days of its "
                    "taking effect (People's Mediation Law, art. 33). The last day to apply is "
                    "%(day)s."
                )
                % {"day": _day(agreement.confirmation_deadline)}
            )
        ),
        Spacer(1, 8 * mm),
        p(escape(_("Signatures")), s.heading),
    ]
    line = "_" * 18
    for party in parties:
        story.append(
            p(
                escape(
                    _("%(side)s %(name)s (signature, seal or thumbprint): %(line)s  Date: %(date)s")
                    % {
                        "side": party.get_side_display(),
                        "name": party.name,
                        "line": line,
                        "date": "_" * 10,
                    }
                )
            )
        )
    story.append(
        p(
            escape(
                _("People's mediator %(names)s (signature): %(line)s")
                % {"names": _(", ").join(mediators), "line": line}
            )
        )
    )
    story.append(
        p(
            escape(
                _("%(committee)s (seal)  Date: %(date)s")
                % {"committee": committee_name, "date": "_" * 10}
            )
        )
    )
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=22 * mm,
        rightMargin=22 * mm,
        topMargin=20 * mm,
        bottomMargin=20 * mm,
        title=_("People's Mediation Agreement"),
        author=committee_name,
        subject=agreement.number,
        lang="zh-CN",
    )
    footer = agreement.number

    def on_page(canvas, document) -> None:
        canvas.saveState()
        canvas.setFont(s.font, 8.5)
        canvas.drawCentredString(
            A4[0] / 2,
            10 * mm,
            _("%(number)s · page %(page)d") % {"number": footer, "page": document.page},
        )
        canvas.restoreState()

    doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return out.getvalue()


def download(request: Any, dispute: Dispute, agreement: Agreement, *, channel: str) -> HttpResponse:
    """The agreement's PDF as a download, its read recorded (PersonalDataRead, MEDIATION: the
    dispute and the parties it names). The caller has checked may_read_dispute."""
    body = render_agreement(agreement)
    record_read(request.user, dispute, agreement, channel=channel, path=request.path, pdf=True)
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="agreement-{dispute.number}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response
