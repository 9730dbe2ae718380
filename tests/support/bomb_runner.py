"""Run hostile uploads through the real readers in this (child) process and report, for each,
what it answered and how far its resident memory rose above the level before it.

Usage: python bomb_runner.py MANIFEST.json — the manifest lists {"name", "path", "reader",
"filename"}; one JSON line is printed per upload: {"name", "answer", "peak_mb", "seconds"}.
The peak is VmHWM (reset through /proc/self/clear_refs before each upload) minus VmRSS just
before it, with the interpreter, Django and the readers already loaded and warmed up.
"""

from __future__ import annotations

import gc
import json
import os
import resource
import sys
import time
from pathlib import Path


def _status(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024
    raise KeyError(key)


def _reset_peak() -> None:
    Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS


def _answer(reader: str, data: bytes, filename: str) -> str:
    from onegrid.cases.catalogue import import_catalogue
    from onegrid.core.errors import InvalidInput
    from onegrid.territory import addresses, layerio

    if reader == "layer":
        layer = layerio.read_layer(data, level="grid", filename=filename)
        problems = layer.problems
    elif reader == "addresses":
        _rows, problems = addresses.read_addresses(data, filename=filename)
    else:
        try:
            import_catalogue(data, "xlsx" if filename.endswith(".xlsx") else "csv")
        except InvalidInput as refused:
            return f"{refused.code}: {refused.message}"
        return "accepted"
    file_level = [p for p in problems if p.index is None]
    if file_level:
        return f"{file_level[0].problem}: {file_level[0].message}"
    words = ", ".join(sorted({p.problem for p in problems}))
    characters = sum(len(p.message) for p in problems)
    return f"{len(problems)} problems ({words}), {characters} characters"


def main(manifest_path: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onegrid.config.settings")
    import django

    django.setup()
    from django.utils import translation

    translation.activate("en")
    manifest = json.loads(Path(manifest_path).read_text())
    # Warm up: every reader once on a small good file, so their imports are in the baseline.
    for item in manifest:
        if item["name"].startswith("warm-up"):
            _answer(item["reader"], Path(item["path"]).read_bytes(), item["filename"])
    # A runaway reader fails here instead of taking the machine's memory.
    limit = 3 * 1024**3
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    for item in manifest:
        if item["name"].startswith("warm-up"):
            continue
        data = Path(item["path"]).read_bytes()
        gc.collect()
        before = _status("VmRSS")
        _reset_peak()
        started = time.perf_counter()
        try:
            answer = _answer(item["reader"], data, item["filename"])
        except MemoryError:
            answer = "MemoryError"
        seconds = time.perf_counter() - started
        peak = _status("VmHWM") - before
        del data
        line = {"name": item["name"], "answer": answer, "peak_mb": peak / 2**20, "seconds": seconds}
        print(json.dumps(line, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
