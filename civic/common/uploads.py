"""What an uploaded file really is, read from its bytes (not its name): the documents and cover
images a consultation accepts, their pixel size, what a ZIP-based document (DOCX, ODT) unpacks to,
and a safe name to offer on download. Pure: no Flask and no database, so the rules are tested on
plain bytes."""

import codecs
import csv
import io
import re
import struct
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass


@dataclass(frozen=True)
class FileKind:
    key: str
    content_type: str
    extensions: tuple  # the first one is the canonical extension
    image: bool = False


KINDS = {
    kind.key: kind
    for kind in (
        FileKind("pdf", "application/pdf", ("pdf",)),
        FileKind("odt", "application/vnd.oasis.opendocument.text", ("odt",)),
        FileKind("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", ("docx",)),
        FileKind("csv", "text/csv", ("csv",)),
        FileKind("png", "image/png", ("png",), image=True),
        FileKind("jpeg", "image/jpeg", ("jpg", "jpeg"), image=True),
        FileKind("webp", "image/webp", ("webp",), image=True),
    )
}
DOCUMENT_KINDS = ("pdf", "odt", "docx", "csv")
IMAGE_KINDS = ("png", "jpeg", "webp")
# Recognised only to say what a refused file is ("its content is a ZIP archive, not a PDF").
OTHER_CONTENT = ("zip", "opendocument", "gif", "svg", "html", "program", "text")

ODT_MEDIA_TYPE = b"application/vnd.oasis.opendocument.text"
MAX_IMAGE_SIDE = 10_000  # pixels; a larger picture is refused rather than sent to every browser
FILENAME_MAX_LENGTH = 120
# A ZIP-based document is unpacked by whoever opens it (and a few kilobytes can unpack to
# gigabytes: a zip bomb), so every ZIP upload is measured before anything else reads it. A long
# report with pictures is a few hundred entries and tens of megabytes unpacked.
ARCHIVE_MAX_ENTRIES = 1_000
ARCHIVE_MAX_UNPACKED_BYTES = 100 * 1024 * 1024
_READ_CHUNK = 64 * 1024
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_MARKUP_START = re.compile(rb"^\s*<(?:!doctype\s+html|html|head|body|script|iframe|svg|\?xml)[\s>/]", re.IGNORECASE)
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{n}" for n in range(1, 10)), *(f"lpt{n}" for n in range(1, 10))}


class UploadRefused(ValueError):
    """Why a file is refused, as a reason code and values; the service words the message.

    Reasons: empty, too_large (size, limit), wrong_type (extension), mismatch (expected,
    found: a kind key, one of OTHER_CONTENT, or None when the content is not recognised),
    image_too_big (width, height), archive_too_many_entries (limit), archive_too_large (limit)."""

    def __init__(self, reason, **values):
        super().__init__(reason)
        self.reason = reason
        self.values = values


@dataclass(frozen=True)
class CheckedFile:
    kind: FileKind
    size: int
    width: int | None = None
    height: int | None = None


# --- reading the content ------------------------------------------------------------------------


def _size_of(stream):
    stream.seek(0, io.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    return size


def _zip_kind(stream):
    stream.seek(0)
    try:
        with zipfile.ZipFile(stream) as archive:
            entries = archive.infolist()
            names = {entry.filename for entry in entries}
            first = entries[0] if entries else None
            if first is not None and first.filename == "mimetype":
                # OpenDocument: the first entry is the uncompressed media type (ODF 1.2, part 3, 3.3).
                media_type = archive.read(first) if first.file_size <= 200 else b""
                if first.compress_type == zipfile.ZIP_STORED and media_type == ODT_MEDIA_TYPE:
                    return "odt"
                return "opendocument" if media_type.startswith(b"application/vnd.oasis.opendocument.") else "zip"
            if "[Content_Types].xml" in names and "word/document.xml" in names:
                return "docx"
            return "zip"
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError, NotImplementedError, RuntimeError):
        return None
    finally:
        stream.seek(0)


def _text_lines(stream):
    """The stream's lines, decoded as UTF-8 (a byte-order mark allowed) a chunk at a time;
    raises ValueError at a byte that is not UTF-8 or a control character."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")("strict")
    pending = ""
    while True:
        chunk = stream.read(65536)
        pending += decoder.decode(chunk, final=not chunk)
        *lines, pending = pending.split("\n")
        for line in lines:
            if _CONTROL.search(line):
                raise ValueError("control character")
            yield line + "\n"
        if not chunk:
            break
    if pending:
        if _CONTROL.search(pending):
            raise ValueError("control character")
        yield pending


def _is_csv(stream):
    """UTF-8 text (a byte-order mark allowed) with no NUL or control bytes, that reads as CSV."""
    stream.seek(0)
    try:
        rows = sum(1 for _row in csv.reader(_text_lines(stream), strict=True))
        return rows > 0
    except (ValueError, csv.Error):  # UnicodeDecodeError is a ValueError
        return False
    finally:
        stream.seek(0)


def _is_text(head):
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        # A multi-byte character cut off at the end of the sample is still text.
        if error.start < len(head) - 3:
            return False
    return b"\x00" not in head


def detect_content(stream):
    """The kind of content in a seekable binary stream: a key of KINDS, one of OTHER_CONTENT,
    or None when it is none of those."""
    stream.seek(0)
    head = stream.read(4096)
    stream.seek(0)
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(stream)
    if head[:2] == b"MZ" or head[:4] in (b"\x7fELF", b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe"):
        return "program"
    body = head[3:] if head.startswith(b"\xef\xbb\xbf") else head
    if _MARKUP_START.match(body):
        return "svg" if re.search(rb"<svg[\s>]", body, re.IGNORECASE) else "html"
    if _is_text(head):
        return "csv" if _is_csv(stream) else "text"
    return None


def image_size(kind, head):
    """(width, height) in pixels from the first bytes of a PNG, JPEG or WebP, or None."""
    try:
        if kind == "png":
            if head[12:16] != b"IHDR":
                return None
            return struct.unpack(">II", head[16:24])
        if kind == "webp":
            chunk = head[12:16]
            if chunk == b"VP8 " and head[23:26] == b"\x9d\x01\x2a":
                width, height = struct.unpack("<HH", head[26:30])
                return width & 0x3FFF, height & 0x3FFF
            if chunk == b"VP8L" and head[20] == 0x2F:
                bits = int.from_bytes(head[21:25], "little")
                return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
            if chunk == b"VP8X":
                return int.from_bytes(head[24:27], "little") + 1, int.from_bytes(head[27:30], "little") + 1
            return None
        if kind == "jpeg":
            return _jpeg_size(head)
    except (struct.error, IndexError):
        return None
    return None


def _jpeg_size(data):
    offset = 2
    while offset + 4 <= len(data):
        if data[offset] != 0xFF:
            return None
        marker = data[offset + 1]
        if marker == 0xFF:  # fill byte
            offset += 1
            continue
        if marker in (0x01, *range(0xD0, 0xDA)):  # markers without a length
            offset += 2
            continue
        length = struct.unpack(">H", data[offset + 2 : offset + 4])[0]
        # Start of frame: every SOFn except DHT (C4), JPG (C8) and DAC (CC).
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[offset + 5 : offset + 9])
            return width, height
        if marker == 0xDA:  # start of scan: no frame header before it
            return None
        offset += 2 + length
    return None


# --- ZIP archives: measured before anything unpacks them -------------------------------------------


class _Unreadable(Exception):
    """The archive is not one that can be measured: broken, encrypted, or lying about its sizes."""


def _declared_entry_count(stream):
    """The number of entries the end of a ZIP file announces, read before any listing is built
    (a listing of a million entries is itself the attack), or None when there is no such end."""
    size = _size_of(stream)
    stream.seek(max(0, size - (22 + 0xFFFF)))  # the end record, after at most a 64 KiB comment
    tail = stream.read()
    stream.seek(0)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) < at + 22:
        return None
    return struct.unpack("<H", tail[at + 10 : at + 12])[0]  # 0xFFFF: a ZIP64 archive, more than we allow


def _unpack_entry(stream, entry):
    """Unpack one entry's bytes as its reader would, a chunk at a time and never more than the
    entry declares, and check that they are exactly what it declares (size, packed size, CRC)."""
    if entry.flag_bits & 0x1:
        raise _Unreadable("encrypted")
    stream.seek(entry.header_offset)
    local = stream.read(30)
    if len(local) < 30 or local[:4] != b"PK\x03\x04":
        raise _Unreadable("no local header")
    name_length, extra_length = struct.unpack("<HH", local[26:30])
    stream.seek(entry.header_offset + 30 + name_length + extra_length)
    produced = read = 0
    crc = 0
    if entry.compress_type == zipfile.ZIP_STORED:
        while read < entry.compress_size:
            chunk = stream.read(min(_READ_CHUNK, entry.compress_size - read))
            if not chunk:
                raise _Unreadable("truncated")
            read += len(chunk)
            crc = zlib.crc32(chunk, crc)
        produced = read
    elif entry.compress_type == zipfile.ZIP_DEFLATED:
        inflater = zlib.decompressobj(-zlib.MAX_WBITS)
        while not inflater.eof:
            pending = stream.read(_READ_CHUNK)
            if not pending:
                raise _Unreadable("truncated")
            read += len(pending)
            while pending and not inflater.eof:
                # Bounded output: a bomb is stopped one chunk past what the entry declared.
                data = inflater.decompress(pending, _READ_CHUNK)
                produced += len(data)
                if produced > entry.file_size:
                    raise _Unreadable("unpacks to more than it declares")
                crc = zlib.crc32(data, crc)
                pending = inflater.unconsumed_tail
        read -= len(inflater.unused_data)
    else:  # DOCX and ODT use only stored and deflated entries
        raise _Unreadable("compression method")
    if (produced, read, crc) != (entry.file_size, entry.compress_size, entry.CRC):
        raise _Unreadable("sizes or CRC differ from the declared ones")


def _check_archive(stream, expected):
    """Refuse a ZIP with too many entries or too much to unpack before anything else reads it: the
    count from the end record, then the declared sizes, then every entry unpacked a chunk at a time
    (nothing is kept) and stopped as soon as it gives more than it declared, so the real total is
    the declared one, within the limit. A ZIP that cannot be measured so (broken, encrypted, sizes
    that lie) is not a document of the expected kind."""
    count = _declared_entry_count(stream)
    if count is not None and count > ARCHIVE_MAX_ENTRIES:
        raise UploadRefused("archive_too_many_entries", limit=ARCHIVE_MAX_ENTRIES)
    try:
        with zipfile.ZipFile(stream) as archive:
            entries = archive.infolist()
            if len(entries) > ARCHIVE_MAX_ENTRIES:
                raise UploadRefused("archive_too_many_entries", limit=ARCHIVE_MAX_ENTRIES)
            if sum(entry.file_size for entry in entries) > ARCHIVE_MAX_UNPACKED_BYTES:
                raise UploadRefused("archive_too_large", limit=ARCHIVE_MAX_UNPACKED_BYTES)
            for entry in entries:
                _unpack_entry(stream, entry)
    except UploadRefused:
        raise
    except (_Unreadable, zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError, zlib.error):
        raise UploadRefused("mismatch", expected=expected, found=None) from None
    finally:
        stream.seek(0)


# --- the check an upload goes through ------------------------------------------------------------


def extension_of(filename):
    name = re.split(r"[\\/]", filename or "")[-1]
    stem, dot, extension = name.rpartition(".")
    return extension.lower() if dot and stem.strip(" .") else ""


def check_upload(stream, filename, allowed, max_bytes):
    """Check a file before anything is written: not empty, not over `max_bytes`, a name ending in
    an allowed type's extension, and content that really is that type. Returns a CheckedFile or
    raises UploadRefused. `stream` is a seekable binary stream, left at its start."""
    size = _size_of(stream)
    if size == 0:
        raise UploadRefused("empty")
    if size > max_bytes:
        raise UploadRefused("too_large", size=size, limit=max_bytes)
    extension = extension_of(filename)
    expected = next((key for key in allowed if extension in KINDS[key].extensions), None)
    if expected is None:
        raise UploadRefused("wrong_type", extension=extension)
    if stream.read(4) == b"PK\x03\x04":
        _check_archive(stream, expected)
    stream.seek(0)
    found = detect_content(stream)
    if found != expected:
        raise UploadRefused("mismatch", expected=expected, found=found)
    kind = KINDS[expected]
    if not kind.image:
        return CheckedFile(kind, size)
    head = stream.read(1 << 20)  # a JPEG's frame header may follow large metadata segments
    stream.seek(0)
    dimensions = image_size(expected, head)
    if dimensions is None or not all(dimensions):
        raise UploadRefused("mismatch", expected=expected, found=None)
    width, height = dimensions
    if width > MAX_IMAGE_SIDE or height > MAX_IMAGE_SIDE:
        raise UploadRefused("image_too_big", width=width, height=height)
    return CheckedFile(kind, size, width, height)


# --- names -----------------------------------------------------------------------------------------


def _keep(char):
    category = unicodedata.category(char)
    if category[0] in "LN" or category in ("Mn", "Mc"):
        return char
    if char in " -_.,()[]+":
        return char
    if category == "Zs" or char.isspace():  # tabs and line breaks become spaces
        return " "
    if category[0] == "C":  # controls, bidirectional overrides, unassigned
        return ""
    return "_"


def safe_download_name(filename, kind, fallback="document"):
    """The name offered on download: no folders, no control or direction characters, letters of
    every script kept, at most FILENAME_MAX_LENGTH characters, ending in the kind's extension."""
    name = unicodedata.normalize("NFC", re.split(r"[\\/]", filename or "")[-1])
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    extension = extension.lower() if extension.lower() in kind.extensions else kind.extensions[0]
    stem = "".join(_keep(char) for char in stem)
    stem = re.sub(r"\s+", " ", stem)
    stem = re.sub(r"_{2,}", "_", stem).strip(" ._-")
    stem = stem[: FILENAME_MAX_LENGTH - len(extension) - 1].rstrip(" ._-")
    if not stem:
        stem = fallback
    if stem.lower() in _WINDOWS_RESERVED:
        stem += "_"
    return f"{stem}.{extension}"


def title_from_filename(filename):
    """A readable title when the official gives none: the file's name without its extension."""
    name = re.split(r"[\\/]", filename or "")[-1]
    stem = name.rpartition(".")[0] or name
    stem = "".join(char for char in stem if unicodedata.category(char)[0] != "C")
    return " ".join(stem.replace("_", " ").split())


def shown_name(filename, limit=80):
    """The sender's file name as it may appear in a message: no folders, no control characters."""
    name = re.split(r"[\\/]", filename or "")[-1]
    name = "".join(char for char in name if unicodedata.category(char)[0] != "C").strip()
    return name if len(name) <= limit else name[: limit - 1] + "…"
