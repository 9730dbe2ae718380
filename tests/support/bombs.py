"""Hostile uploads, built small and fast: archives that unpack to far more than they weigh.

A deflate stream of N repeated bytes is made from one compressed 1 MiB piece repeated (each
piece ends in a full flush, so pieces do not refer to each other and may be concatenated):
a 1 GiB member costs about 1 MiB and a second to build (once a session: the builders of the
big ones are cached).
"""

from __future__ import annotations

import functools
import io
import struct
import zipfile
import zlib

import openpyxl

MIB = 1024 * 1024
_PIECE = MIB


def _raw_deflate(data: bytes, *, final: bool) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    body = compressor.compress(data)
    return body + compressor.flush(zlib.Z_FINISH if final else zlib.Z_FULL_FLUSH)


def deflated(prefix: bytes, filler: bytes, size: int, suffix: bytes) -> tuple[bytes, int, int]:
    """(raw deflate stream, CRC-32, unpacked size) of prefix + `filler` repeated to about
    `size` bytes + suffix."""
    piece = filler * (_PIECE // len(filler))
    repeats = max(size // len(piece), 1)
    packed_piece = _raw_deflate(piece, final=False)
    crc = zlib.crc32(prefix)
    for _ in range(repeats):
        crc = zlib.crc32(piece, crc)
    crc = zlib.crc32(suffix, crc)
    stream = (
        _raw_deflate(prefix, final=False)
        + packed_piece * repeats
        + _raw_deflate(suffix, final=True)
    )
    return stream, crc, len(prefix) + repeats * len(piece) + len(suffix)


def zip_archive(members: list[tuple[str, bytes, int, int]], *, declared: dict | None = None):
    """A zip of already deflated members (name, stream, crc, size); `declared` maps a name to
    the unpacked size its directory entry claims instead of the real one (a lying archive)."""
    declared = declared or {}
    out = io.BytesIO()
    directory = []
    for name, stream, crc, size in members:
        encoded = name.encode()
        claim = declared.get(name, size)
        offset = out.tell()
        out.write(
            struct.pack(
                "<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, len(stream), claim, len(encoded), 0
            )
        )
        out.write(encoded)
        out.write(stream)
        directory.append(
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                20,
                20,
                0,
                8,
                0,
                0,
                crc,
                len(stream),
                claim,
                len(encoded),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + encoded
        )
    start = out.tell()
    for entry in directory:
        out.write(entry)
    size = out.tell() - start
    out.write(
        struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(directory), len(directory), size, start, 0)
    )
    return out.getvalue()


def stored(name: str, data: bytes) -> tuple[str, bytes, int, int]:
    return (name, _raw_deflate(data, final=True), zlib.crc32(data), len(data))


@functools.cache  # built once a test session: bytes, never changed
def zip_bomb(name: str = "layer.geojson", size: int = 1024 * MIB, *, lie: bool = False) -> bytes:
    """A zip of one member of `size` spaces (inside a JSON array); `lie` declares 1 KiB."""
    stream, crc, real = deflated(b"[", b" ", size, b"]")
    return zip_archive([(name, stream, crc, real)], declared={name: 1024} if lie else None)


def _workbook_parts(sheet: bytes | None = None, strings: bytes | None = None) -> dict:
    """The parts of a one-sheet workbook written by openpyxl, with `sheet` or `strings` left
    out for the caller to add."""
    book = openpyxl.Workbook()
    book.active.append(["code", "wkt"])
    book.active.append(["A", "B"])
    buffer = io.BytesIO()
    book.save(buffer)
    with zipfile.ZipFile(buffer) as archive:
        return {n: archive.read(n) for n in archive.namelist()}


SHEET = "xl/worksheets/sheet1.xml"
STRINGS = "xl/sharedStrings.xml"
TYPES = "[Content_Types].xml"
_NS = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def xlsx_with(part: str, prefix: bytes, filler: bytes, size: int, suffix: bytes) -> bytes:
    """A real workbook whose `part` is prefix + filler × size + suffix (deflated cheaply)."""
    parts = _parts_for(part)
    members = [stored(n, d) for n, d in parts.items() if n != part]
    members.append((part, *deflated(prefix, filler, size, suffix)))
    return zip_archive(members)


def xlsx_part(part: str, data: bytes) -> bytes:
    """A real workbook whose `part` is `data`."""
    parts = _parts_for(part) | {part: data}
    return zip_archive([stored(n, d) for n, d in parts.items()])


def _parts_for(part: str) -> dict:
    parts = _workbook_parts()
    if part == STRINGS:
        override = (
            b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
            b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml" /></Types>'
        )
        parts[TYPES] = parts[TYPES].replace(b"</Types>", override)
    return parts


@functools.cache  # built once a test session: bytes, never changed
def xlsx_bomb(size: int = 1024 * MIB) -> bytes:
    """A workbook whose sheet unpacks to `size` bytes of spaces."""
    prefix = b"<worksheet " + _NS + b"><sheetData>"
    return xlsx_with(SHEET, prefix, b" ", size, b"</sheetData></worksheet>")


@functools.cache  # built once a test session: bytes, never changed
def shared_strings_bomb(size: int) -> bytes:
    """A workbook whose shared string table is `size` bytes of one-letter strings: millions of
    string objects for a reader that keeps the table."""
    prefix = b"<sst " + _NS + b">"
    return xlsx_with(STRINGS, prefix, b"<si><t>a</t></si>", size, b"</sst>")


def sheet_xml_rows(rows: list[list[str]]) -> bytes:
    """Sheet XML of inline-string rows."""
    out = [b"<worksheet " + _NS + b"><sheetData>"]
    for r, values in enumerate(rows, start=1):
        cells = "".join(
            f'<c r="{chr(65 + c)}{r}" t="inlineStr"><is><t>{v}</t></is></c>'
            for c, v in enumerate(values)
        )
        out.append(f'<row r="{r}">{cells}</row>'.encode())
    out.append(b"</sheetData></worksheet>")
    return b"".join(out)


def xlsx_rows(rows: list[list[str]]) -> bytes:
    """A workbook of these rows, written fast (inline strings, no openpyxl on the way out)."""
    parts = _workbook_parts()
    parts[SHEET] = sheet_xml_rows(rows)
    return zip_archive([stored(n, d) for n, d in parts.items()])


@functools.cache  # built once a test session: bytes, never changed
def duplicate_code_xlsx(rows: int = 300_000, codes: int = 10) -> bytes:
    """A layer XLSX of `rows` small squares sharing `codes` grid codes (about 2 MiB)."""
    square = "POLYGON ((117.1 39.2, 117.101 39.2, 117.101 39.201, 117.1 39.201, 117.1 39.2))"
    body = [["code", "wkt"]]
    body += [[f"120113001001{k % codes:03d}", square] for k in range(rows)]
    return xlsx_rows(body)


@functools.cache  # built once a test session: bytes, never changed
def deep_json(depth: int = 100_000) -> bytes:
    """A GeoJSON FeatureCollection whose one feature's properties nest `depth` arrays deep."""
    return (
        b'{"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": null, '
        b'"properties": {"code": "120113001001001", "deep": '
        + b"[" * depth
        + b"]" * depth
        + b"}}]}"
    )


def vertex_bomb_zip(vertices: int = 2_000_000) -> bytes:
    """A zip of a GeoJSON with one polygon of `vertices` points (the same few points over and
    over, so it packs small)."""
    ring = b"[117.1, 39.2], [117.2, 39.2], [117.2, 39.3], [117.1, 39.3], "
    prefix = (
        b'{"type": "FeatureCollection", "features": [{"type": "Feature", '
        b'"properties": {"code": "120113001001001"}, '
        b'"geometry": {"type": "Polygon", "coordinates": [['
    )
    suffix = b"[117.1, 39.2]]]}}]}"
    stream, crc, size = deflated(prefix, ring, vertices * len(ring) // 4, suffix)
    return zip_archive([("layer.geojson", stream, crc, size)])
