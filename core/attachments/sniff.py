"""What a file is, decided from its bytes (never from its name), and its thumbnail."""

from __future__ import annotations

import io
import unicodedata

import filetype

# Types the platform can recognise from content, with the label an administrator sees.
KNOWN_TYPES: dict[str, str] = {
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/gif": "GIF",
    "image/webp": "WebP",
    "image/bmp": "BMP",
    "image/tiff": "TIFF",
    "application/pdf": "PDF",
    "application/msword": "Word 97-2003",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word",
    "application/vnd.ms-excel": "Excel 97-2003",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel",
    "application/vnd.ms-powerpoint": "PowerPoint 97-2003",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "PowerPoint",
    "application/vnd.oasis.opendocument.text": "OpenDocument text",
    "application/vnd.oasis.opendocument.spreadsheet": "OpenDocument spreadsheet",
    "application/vnd.oasis.opendocument.presentation": "OpenDocument presentation",
    "application/zip": "ZIP",
}
# Images, PDF and office documents; a district may narrow or widen it within KNOWN_TYPES.
DEFAULT_ALLOWED_TYPES: tuple[str, ...] = (
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "application/pdf",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.ms-powerpoint",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
)
THUMBNAIL_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp", "image/bmp", "image/tiff"})
THUMBNAIL_SIZE = (320, 320)
MAX_IMAGE_PIXELS = (
    60_000_000  # larger images are refused a thumbnail rather than decoded (decompression bombs)
)


def sniff(data: bytes) -> str | None:
    """The MIME type the content shows (``None`` when nothing recognisable)."""
    kind = filetype.guess(data)
    if kind is None:
        return None
    mime: str = kind.mime
    return "image/png" if mime == "image/apng" else mime


def bad_name_reason(name: str) -> str | None:
    """Why ``name`` is not acceptable as a file's name, or None."""
    if not name or not name.strip():
        return "empty"
    if len(name) > 200:
        return "too_long"
    if "/" in name or "\\" in name or name in (".", ".."):
        return "path_separator"
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in name):
        return "control_character"
    return None


def thumbnail(data: bytes) -> bytes | None:
    """A JPEG no larger than THUMBNAIL_SIZE, upright; None when the image cannot be read safely."""
    from PIL import Image, ImageOps

    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_IMAGE_PIXELS:
                return None
            image.draft("RGB", THUMBNAIL_SIZE)
            upright = ImageOps.exif_transpose(image) or image
            upright.thumbnail(THUMBNAIL_SIZE)
            out = io.BytesIO()
            upright.convert("RGB").save(out, "JPEG", quality=80, optimize=True)
            return out.getvalue()
    except (OSError, ValueError, Image.DecompressionBombError):
        return None
