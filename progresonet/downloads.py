"""Files the portal hands out (statements, receipts, QR images, staff exports): one place that
names them for the browser, so every download is an attachment under a safe file name."""

from django.http import HttpResponse, HttpResponseBase
from django.utils.http import content_disposition_header


def attachment(response: HttpResponseBase, filename: str) -> HttpResponseBase:
    """``response`` as a download named ``filename`` (quoted, or RFC 5987 when not ASCII)."""
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def file_download(content: bytes | str, *, filename: str, content_type: str) -> HttpResponse:
    """A whole file in memory, as a download."""
    return attachment(HttpResponse(content, content_type=content_type), filename)


def pdf_download(content: bytes, filename: str) -> HttpResponse:
    return file_download(content, filename=filename, content_type="application/pdf")
