"""Text files as Chinese offices save them."""

from __future__ import annotations


def decode_text(data: bytes | str) -> str | None:
    """The text of a CSV file: UTF-8 with or without a BOM, else GB18030 (Excel on Chinese
    Windows saves "CSV (comma delimited)" in the ANSI code page, GBK); None when it is neither."""
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        return None
