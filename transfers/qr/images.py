"""QR images: draw a payload (segno) and read one from an upload (Pillow + zxing-cpp).

Reading refuses, with a Spanish message and before any pixel is decoded: a file over
``settings.QR_UPLOAD_MAX_BYTES``, anything Pillow does not identify as PNG, JPEG or WebP, and
a picture whose header declares more than ``settings.QR_IMAGE_MAX_PIXELS`` (a decompression
bomb: a few kilobytes of PNG can declare gigapixels). Pillow's own ``MAX_IMAGE_PIXELS``
guard is kept as a second net.
"""

import io
import warnings

import segno
import zxingcpp
from django.conf import settings
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from .services import QrError

ALLOWED_FORMATS = {"PNG", "JPEG", "WEBP"}
# Photos are scaled down to this longest side before reading: a QR that fills a fair part of
# a phone photo stays readable, and the cost stays flat whatever the camera.
READ_MAX_SIDE = 1600


def qr_svg(payload: str) -> str:
    """The code as inline SVG (no XML declaration), scalable, with a title for readers."""
    return segno.make(payload, error="m", micro=False).svg_inline(
        scale=6, border=4, title="QR", svgclass="qr-svg", lineclass=None, omitsize=True
    )


def qr_png(payload: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(payload, error="m", micro=False).save(buffer, kind="png", scale=10, border=4)
    return buffer.getvalue()


def _too_big() -> QrError:
    return QrError(
        _("The image is too large: upload one of at most %(mb)s MB.")
        % {"mb": settings.QR_UPLOAD_MAX_BYTES // (1024 * 1024)},
        "too_large",
    )


def qr_read_upload(upload) -> str:
    """The text of the one QR code in an uploaded image, or :class:`QrError`."""
    if upload.size is None or upload.size > settings.QR_UPLOAD_MAX_BYTES:
        raise _too_big()
    data = upload.read(settings.QR_UPLOAD_MAX_BYTES + 1)
    if len(data) > settings.QR_UPLOAD_MAX_BYTES:
        raise _too_big()
    return qr_read_bytes(data)


def qr_read_bytes(data: bytes) -> str:
    wrong_type = QrError(_("Upload a PNG, JPEG or WebP image of the QR code."), "type")
    too_many = QrError(
        _("The image has too many pixels; upload a smaller picture of the QR code."), "pixels"
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=sorted(ALLOWED_FORMATS))
            width, height = image.size
            if width * height > settings.QR_IMAGE_MAX_PIXELS:
                raise too_many
            image.draft("L", (READ_MAX_SIDE, READ_MAX_SIDE))  # JPEG: decode at a lower scale
            image = image.convert("L")
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_many from None
    except UnidentifiedImageError:
        raise wrong_type from None
    except (OSError, ValueError, SyntaxError):
        # Truncated or corrupt files.
        raise wrong_type from None
    if max(image.size) > READ_MAX_SIDE:
        image.thumbnail((READ_MAX_SIDE, READ_MAX_SIDE))
    results = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    texts = [r.text for r in results if r.valid and r.text]
    if not texts:
        raise QrError(
            _("We could not find a QR code in the image. Try a sharper, closer picture."),
            "no_qr",
        )
    if len(set(texts)) > 1:
        raise QrError(_("The image holds more than one QR code; upload one at a time."), "many")
    return texts[0]
