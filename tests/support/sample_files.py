"""Small but real files of every kind a consultation accepts or refuses, built in memory."""

import io
import random
import struct
import zipfile
import zlib

PDF = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
    b"trailer << /Root 1 0 R >>\n%%EOF\n"
)
CSV = b'name,street,opinion\nAna,Calle Mayor,"Yes, on Saturdays"\nLuis,Plaza Nueva,No\n'
CSV_WITH_BOM = b"\xef\xbb\xbf" + "barrio;votos\nCentro;12\nSan José;7\n".encode()
HTML = b"<!DOCTYPE html>\n<html><body><script>alert(document.cookie)</script></body></html>\n"
SVG = (
    b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert(1)</script></svg>"
)
EXE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
    + b"\x00" * 48
    + b"This program cannot be run in DOS mode."
)
GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00"
    b"\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)


def odt(media_type=b"application/vnd.oasis.opendocument.text", compress_mimetype=False):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            zipfile.ZipInfo("mimetype"),
            media_type,
            compress_type=zipfile.ZIP_DEFLATED if compress_mimetype else zipfile.ZIP_STORED,
        )
        archive.writestr(
            "content.xml",
            '<?xml version="1.0"?><office:document-content '
            'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"/>',
            compress_type=zipfile.ZIP_DEFLATED,
        )
        archive.writestr("META-INF/manifest.xml", "<manifest/>", compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def docx():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
        )
        archive.writestr("_rels/.rels", "<Relationships/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def plain_zip():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "just an archive")
    return buffer.getvalue()


def _png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png(width=3, height=2):
    """A real, decodable PNG: 8-bit RGB, every pixel blue."""
    rows = b"".join(b"\x00" + b"\x1d\x4f\x91" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + _png_chunk(b"IDAT", zlib.compress(rows))
        + _png_chunk(b"IEND", b"")
    )


def png_header(width, height):
    """Only the start of a PNG (signature and IHDR): enough for the header check."""
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))


def jpeg_header(width=640, height=480):
    """The first segments of a baseline JFIF JPEG: SOI, APP0, an EXIF-sized APP1, SOF0."""
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    exif = b"Exif\x00\x00" + b"\x00" * 2000
    app1 = b"\xff\xe1" + struct.pack(">H", len(exif) + 2) + exif
    sof0 = b"\xff\xc0" + struct.pack(">HBHHB", 17, 8, height, width, 3) + b"\x01\x22\x00\x02\x11\x01\x03\x11\x01"
    return b"\xff\xd8" + app0 + app1 + sof0 + b"\xff\xd9"


def webp_lossless(width=5, height=7):
    bits = (width - 1) | ((height - 1) << 14)
    payload = b"VP8L" + struct.pack("<I", 5) + b"\x2f" + struct.pack("<I", bits) + b"\x00"
    return b"RIFF" + struct.pack("<I", 4 + len(payload)) + b"WEBP" + payload


def webp_extended(width=1200, height=630):
    payload = (
        b"VP8X"
        + struct.pack("<I", 10)
        + b"\x00\x00\x00\x00"
        + (width - 1).to_bytes(3, "little")
        + (height - 1).to_bytes(3, "little")
    )
    return b"RIFF" + struct.pack("<I", 4 + len(payload)) + b"WEBP" + payload


def webp_lossy(width=320, height=200):
    frame = b"\x00\x00\x00" + b"\x9d\x01\x2a" + struct.pack("<HH", width, height) + b"\x00" * 10
    payload = b"VP8 " + struct.pack("<I", len(frame)) + frame
    return b"RIFF" + struct.pack("<I", 4 + len(payload)) + b"WEBP" + payload


# --- ZIP archives written byte by byte, so that they can lie about what they hold ---------------

GIB = 1024 * 1024 * 1024
MIB = 1024 * 1024


def zeros_deflated(size, block=MIB):
    """A raw deflate stream of `size` zero bytes (a multiple of `block`), built by repeating one
    fully flushed block, so that a gibibyte costs about a megabyte on disk and no time to make."""
    squeezer = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    one = squeezer.compress(bytes(block)) + squeezer.flush(zlib.Z_FULL_FLUSH)
    return one * (size // block) + b"\x03\x00"  # \x03\x00: an empty final block


def crc_of_zeros(size, block=MIB):
    crc = 0
    for _ in range(size // block):
        crc = zlib.crc32(bytes(block), crc)
    return crc


def handmade_zip(entries):
    """A ZIP of entries (name, packed bytes, method, crc, declared size[, index of an earlier
    entry whose bytes it points at instead of its own]); sizes and CRCs written as given."""
    body, directory, offsets = b"", b"", []
    for name, packed, method, crc, declared, *shares in entries:
        encoded = name.encode()
        fields = struct.pack("<HHHHHIII", 20, 0, method, 0, 0x21, crc, len(packed), declared)
        if shares:
            offset = offsets[shares[0]]
        else:
            offset = len(body)
            body += b"PK\x03\x04" + fields + struct.pack("<HH", len(encoded), 0) + encoded + packed
        offsets.append(offset)
        directory += (
            b"PK\x01\x02"
            + struct.pack("<H", 20)
            + fields
            + struct.pack("<HHHHHII", len(encoded), 0, 0, 0, 0, 0, offset)
            + encoded
        )
    end = struct.pack("<HHHHIIH", 0, 0, len(entries), len(entries), len(directory), len(body), 0)
    return body + directory + b"PK\x05\x06" + end


def _stored(name, data):
    return (name, data, zipfile.ZIP_STORED, zlib.crc32(data), len(data))


def _docx_parts():
    return [
        _stored("[Content_Types].xml", b'<?xml version="1.0"?><Types/>'),
        _stored("_rels/.rels", b"<Relationships/>"),
        _stored("word/document.xml", b"<w:document/>"),
    ]


def docx_bomb(real=GIB, declared=GIB):
    """A DOCX of about a megabyte whose picture unpacks to `real` zero bytes but says `declared`,
    with the CRC of the first `declared` of them: a reader that trusts the declared size finds
    nothing wrong."""
    picture = ("word/media/image1.png", zeros_deflated(real), zipfile.ZIP_DEFLATED, crc_of_zeros(declared), declared)
    return handmade_zip([*_docx_parts(), picture])


def odt_bomb(real=GIB):
    """An ODT (its media type first, stored) whose content unpacks to `real` zero bytes."""
    media_type = b"application/vnd.oasis.opendocument.text"
    content = ("content.xml", zeros_deflated(real), zipfile.ZIP_DEFLATED, crc_of_zeros(real), real)
    return handmade_zip([_stored("mimetype", media_type), content])


def docx_sharing_one_bomb(copies=300, size=GIB // 256):
    """The "overlapping" zip bomb: every picture entry points at the same packed bytes and says
    truthfully what they unpack to, so that together they unpack to copies * size."""
    packed, crc = zeros_deflated(size), crc_of_zeros(size)
    first = len(_docx_parts())
    pictures = [(f"word/media/{n}.png", packed, zipfile.ZIP_DEFLATED, crc, size, first) for n in range(copies)]
    pictures[0] = pictures[0][:5]  # the first one holds the bytes
    return handmade_zip([*_docx_parts(), *pictures])


def docx_with_entries(count):
    """A DOCX with `count` entries in all, each a few bytes."""
    parts = _docx_parts()
    return handmade_zip(parts + [_stored(f"word/media/{n}.txt", b"x") for n in range(count - len(parts))])


def large_docx(paragraphs=50_000, pictures=60):
    """A legitimate long report: megabytes of text and dozens of pictures (random bytes, which do
    not shrink), written by zipfile as a word processor would."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("_rels/.rels", "<Relationships/>")
        text = "".join(f"<w:p><w:r><w:t>Paragraph {n} of the plan.</w:t></w:r></w:p>" for n in range(paragraphs))
        archive.writestr("word/document.xml", f"<w:document><w:body>{text}</w:body></w:document>")
        for n in range(pictures):
            archive.writestr(f"word/media/image{n}.jpeg", random.Random(n).randbytes(100_000))
    return buffer.getvalue()
