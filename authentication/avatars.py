"""Avatar upload checks: only real PNG/JPEG/WebP pictures of sane size, re-encoded on the way in.

Re-encoding alone would already strip anything smuggled inside; refusing polyglots and
trailing payloads outright tells the uploader something is wrong with the file.
"""

import struct
import warnings
from io import BytesIO

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile

from PIL import Image, ImageOps, UnidentifiedImageError

MAX_AVATAR_BYTES = 2 * 1024 * 1024
MAX_AVATAR_SIDE = 4096
FORMAT_EXTENSIONS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}
# Byte strings that have no business in a picture, but make it a web page or script elsewhere.
MARKUP_MARKERS = (
    b"<script",
    b"<html",
    b"<body",
    b"<iframe",
    b"<svg",
    b"<?xml",
    b"<?php",
    b"<!doctype",
    b"javascript:",
    b"pk\x03\x04",
)


def _png_end(data: bytes) -> int:
    """Offset just past the IEND chunk."""
    position = 8
    while position + 8 <= len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        chunk_type = data[position + 4 : position + 8]
        position += 12 + length
        if chunk_type == b"IEND":
            return position
    raise ValidationError("The PNG file is truncated.")


def _check_no_trailing_data(image_format: str, data: bytes) -> None:
    if image_format == "PNG":
        end = _png_end(data)
    elif image_format == "JPEG":
        end = data.rstrip(b"\x00").rfind(b"\xff\xd9") + 2
        if end == 1:
            raise ValidationError("The JPEG file is truncated.")
        end = len(data) if data[end:].strip(b"\x00") == b"" else end
    else:  # WEBP: the RIFF header states the file's length (plus one pad byte at most).
        (riff_size,) = struct.unpack("<I", data[4:8])
        end = riff_size + 8
        if len(data) == end + 1:
            end += 1
    if end != len(data):
        raise ValidationError("The file carries data after the end of the image.")


def avatar_process(upload) -> ContentFile:
    """Validate an uploaded avatar and return it re-encoded, without metadata.

    Raises ValidationError for anything that is not a PNG, JPEG or WebP picture of at most
    2 MB and 4096×4096 px, including decompression bombs, SVG and polyglot files.
    """
    data = upload.read(MAX_AVATAR_BYTES + 1)
    if len(data) > MAX_AVATAR_BYTES:
        raise ValidationError("The avatar must be at most 2 MB.")
    if not data:
        raise ValidationError("The uploaded file is empty.")
    lowered = data.lower()
    if any(marker in lowered for marker in MARKUP_MARKERS):
        raise ValidationError("The file contains markup or an archive; upload a plain picture.")

    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            # open() reads the header only: the size is checked before any pixel is decoded.
            with Image.open(BytesIO(data)) as image:
                image_format = image.format
                if image_format not in FORMAT_EXTENSIONS:
                    raise ValidationError("Upload a PNG, JPEG or WebP picture.")
                width, height = image.size
                if width > MAX_AVATAR_SIDE or height > MAX_AVATAR_SIDE:
                    raise ValidationError(f"The avatar must be at most {MAX_AVATAR_SIDE}×{MAX_AVATAR_SIDE} pixels.")
                image.verify()
            _check_no_trailing_data(image_format, data)
            with Image.open(BytesIO(data)) as image:
                image.load()
                picture = ImageOps.exif_transpose(image)
        except ValidationError:
            raise
        except (UnidentifiedImageError, Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
            raise ValidationError("Upload a PNG, JPEG or WebP picture.") from exc
        except (OSError, SyntaxError, ValueError, struct.error, EOFError) as exc:
            raise ValidationError("The picture is damaged and cannot be read.") from exc

    if image_format == "JPEG" and picture.mode not in ("RGB", "L"):
        picture = picture.convert("RGB")
    elif image_format != "JPEG" and picture.mode not in ("RGB", "RGBA", "L", "LA", "P"):
        picture = picture.convert("RGBA")
    output = BytesIO()
    save_options = {"quality": 90} if image_format in ("JPEG", "WEBP") else {"optimize": True}
    picture.save(output, format=image_format, **save_options)
    return ContentFile(output.getvalue(), name=f"avatar.{FORMAT_EXTENSIONS[image_format]}")
