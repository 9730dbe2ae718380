"""The CJK TrueType font every PDF the platform writes is set in (the monthly reports of
insight.reports, the mediation agreements of mediation.agreement_pdf): where it is
(ONEGRID["PDF_FONT"], env ONEGRID_PDF_FONT, Debian's fonts-wqy-microhei by default) and its
registration with reportlab, which embeds the glyphs used as a subset. reportlab embeds only
TrueType outlines (.ttf, .ttc), not OpenType/CFF fonts such as Noto CJK."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _

FONT_NAME = "OneGridCJK"


class ReportFontMissing(ImproperlyConfigured):
    """The CJK font the PDFs are written in is not where ONEGRID["PDF_FONT"] says."""


def font_path() -> Path:
    return Path(settings.ONEGRID["PDF_FONT"])


def register_font() -> str:
    """Register the PDF font with reportlab once per process (and again when the setting
    names another file); its name. Raises ReportFontMissing with the path and the fix."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFError, TTFont

    path = font_path()
    registered = getattr(register_font, "_path", None)
    if registered == path and FONT_NAME in pdfmetrics.getRegisteredFontNames():
        return FONT_NAME
    if not path.is_file():
        raise ReportFontMissing(
            _(
                "The PDF report font %(path)s is missing. Install Debian's fonts-wqy-microhei "
                "(apt-get install fonts-wqy-microhei) or set ONEGRID_PDF_FONT to a TrueType "
                "font (.ttf or .ttc) with Chinese characters."
            )
            % {"path": path}
        )
    try:
        pdfmetrics.registerFont(TTFont(FONT_NAME, str(path), subfontIndex=0))
    except (TTFError, OSError) as exc:
        raise ReportFontMissing(
            _("The PDF report font %(path)s cannot be used: %(error)s")
            % {"path": path, "error": exc}
        ) from None
    register_font._path = path  # type: ignore[attr-defined]
    return FONT_NAME
