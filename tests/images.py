"""Picture files for upload tests, made in memory."""

import struct
import zlib
from io import BytesIO

from django.core.files.uploadedfile import SimpleUploadedFile

from PIL import Image


def picture_bytes(image_format: str = "PNG", size=(64, 48), color=(200, 30, 30), **save_options) -> bytes:
    buffer = BytesIO()
    Image.new("RGB", size, color).save(buffer, format=image_format, **save_options)
    return buffer.getvalue()


def upload(data: bytes, name: str = "avatar.png", content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def png_pixel_bomb(width: int = 10_000, height: int = 10_000) -> bytes:
    """A tiny file that claims (and really holds, compressed) width×height grey pixels."""
    raw_row = b"\x00" + b"\x00" * width
    compressor = zlib.compressobj(9)
    data = b"".join(compressor.compress(raw_row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", data) + _png_chunk(b"IEND", b"")


def png_with_text_chunk(text: bytes) -> bytes:
    png = picture_bytes("PNG")
    iend = png.rindex(b"IEND") - 4
    return png[:iend] + _png_chunk(b"tEXt", b"Comment\x00" + text) + png[iend:]
