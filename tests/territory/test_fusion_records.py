"""A kept fusion proposal (territory.fusion): proposed, applied once, and its record marked
applied inside the transaction that applies it — never a record and layers that disagree."""

from __future__ import annotations

import pytest
from shapely import box

from onegrid.core.errors import Conflict
from onegrid.territory import fusion, proposals
from onegrid.territory.models import Beat, LayerVersion


@pytest.fixture
def beats(world, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    for code, shape in (
        ("B-WEST", box(117.10, 39.20, 117.11003, 39.21)),
        ("B-EAST", box(117.11003, 39.20, 117.13, 39.21)),
    ):
        Beat.objects.create(code=code, geometry_wkb=shape.wkb)
    return world


def test_a_kept_proposal_applies_once(beats):
    record = fusion.propose(actor="gis", keep=True)
    assert proposals.load(record["key"])["grids"] == 3
    result = fusion.apply_kept_proposal(key=record["key"], actor="gis")
    assert proposals.load(record["key"])["applied"]["grid_version"] == result["grid_version"]
    with pytest.raises(Conflict, match="already been applied"):
        fusion.apply_kept_proposal(key=record["key"], actor="gis")
    assert LayerVersion.objects.filter(kind="grids").count() == 1


def test_the_record_is_marked_inside_the_transaction(beats, monkeypatch):
    record = fusion.propose(actor="gis", keep=True)
    key = record["key"]
    save = proposals.save

    def mark_then_fail(record):
        save(record)
        raise OSError("disk full")

    # Marking the record fails after it was written: the layers roll back and the mark comes
    # off again, so the proposal can still be applied.
    monkeypatch.setattr(proposals, "save", mark_then_fail)
    with pytest.raises(OSError):
        fusion.apply_kept_proposal(key=key, actor="gis")
    monkeypatch.setattr(proposals, "save", save)
    assert not LayerVersion.objects.exists()
    assert "applied" not in proposals.load(key)
    fusion.apply_kept_proposal(key=key, actor="gis")
    assert proposals.load(key)["applied"]
    assert LayerVersion.objects.filter(kind="beats").count() == 1


def test_a_proposal_file_carries_the_versions_it_was_made_on(beats):
    data = fusion.propose(actor="gis")["proposal"]
    assert proposals.made_on(data) == (0, 0)
    fusion.apply_proposal_file(data=data, actor="gis")
    with pytest.raises(Conflict, match="changed since this proposal was made"):
        fusion.apply_proposal_file(data=data, actor="gis")


def test_a_mark_comes_off_when_its_transaction_does_not_commit(beats):
    # proposals.applying, which the fusion and the coded-layer import both mark through.
    record = {"kind": proposals.CODES}
    key = proposals.save(record)
    with pytest.raises(RuntimeError), proposals.applying(record):
        Beat.objects.create(code="B-NEW", geometry_wkb=box(117.1, 39.2, 117.2, 39.3).wkb)
        record["applied"] = {"version": 1}
        proposals.save(record)
        raise RuntimeError("the import failed after the mark")
    assert not Beat.objects.filter(code="B-NEW").exists()
    assert "applied" not in proposals.load(key, kind=proposals.CODES)
