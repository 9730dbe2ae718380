"""The report classifier: training, cross-validated evaluation, and the model file.

A model has one feature space (`smart.features`: character n-gram TF-IDF beside the universal
sentence encoder's embeddings) and one linear head per thing it suggests: the class, and, when
the training data has them, the department that handled the case and its urgency. Each head is
a linear support vector machine (scikit-learn's LinearSVC, one-vs-rest) whose scores become
probabilities by a softmax with one temperature, fitted on out-of-fold scores (temperature
scaling): the ranking stays the machine's, the confidence is calibrated.

Nothing is tuned on a test set. Training chooses the regularisation C and the weight of the
embeddings beside the n-grams by stratified cross-validation on the training rows alone
(macro-F1 of the out-of-fold predictions), and `evaluate` repeats that whole training inside
every outer fold (nested cross-validation), so its figures are those of the procedure, not of
one lucky setting.

The model file is a NumPy archive (`.npz`) of plain arrays and a JSON header, read with
`allow_pickle=False`: loading it runs no code, and it does not depend on scikit-learn's
pickles staying compatible across releases. It is written to a temporary file beside the
target and moved over it (`os.replace`), so a process reading it sees the old model or the new
one, never half of one.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import os
import re
import secrets
import statistics
import tempfile
import threading
import time
import warnings
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import f1_score
from sklearn.model_selection import RepeatedStratifiedKFold, StratifiedKFold
from sklearn.svm import LinearSVC

from onegrid.core.errors import InvalidInput
from onegrid.core.limits import file_too_large, upload_limits
from onegrid.core.spreadsheets import read_csv_table

from . import features

logger = logging.getLogger(__name__)

FORMAT = "onegrid-classifier/1"
# What reading a file that is not a whole model of this format raises (numpy refuses a pickle
# with a ValueError: allow_pickle=False).
UNREADABLE = (OSError, ValueError, KeyError, EOFError, TypeError, zipfile.BadZipFile)
HEADS = ("class", "department", "urgency")
# The grid cross-validation chooses from: the SVM's C, and the weight of the (unit-length)
# sentence embedding beside the n-grams (0.5: the n-grams lead; 4: the embedding leads).
C_GRID = (0.1, 0.3, 1.0, 3.0)
WEIGHT_GRID = (0.5, 1.0, 2.0, 4.0)
DEFAULT_CONFIG = (1.0, 2.0)
INNER_FOLDS = 3
TEMPERATURES = np.geomspace(0.02, 5.0, 90)
# A class needs this many rows for training to learn it at all.
MIN_CLASS_ROWS = 3
MAX_FOLDS = 20
MAX_REPEATS = 20
TOP = 3


class TrainingDataError(InvalidInput):
    """Training data the classifier cannot use; the message says what to change."""


# --- the data ---------------------------------------------------------------------------------


@dataclass
class Dataset:
    """Labelled texts (normalised), with the department and urgency where known ("" if not)."""

    texts: list[str]
    labels: list[str]
    departments: list[str] = field(default_factory=list)
    urgencies: list[str] = field(default_factory=list)
    source: str = ""
    notes: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.texts)

    def counts(self) -> Counter[str]:
        return Counter(self.labels)

    def head_labels(self, head: str) -> list[str]:
        if head == "class":
            return self.labels
        return self.departments if head == "department" else self.urgencies

    def subset(self, rows: Sequence[int]) -> Dataset:
        def pick(values: list[str]) -> list[str]:
            return [values[i] for i in rows] if values else []

        return Dataset(
            texts=pick(self.texts),
            labels=pick(self.labels),
            departments=pick(self.departments),
            urgencies=pick(self.urgencies),
            source=self.source,
        )


def column_names(value: str) -> list[str]:
    """The names of `--text-cols COL[,COL]` (a Chinese comma separates too)."""
    return [name.strip() for name in re.split(r"[,，]", value or "") if name.strip()]


def read_csv(
    data: bytes | str,
    *,
    text_cols: Sequence[str],
    label_col: str,
    department_col: str | None = None,
    urgency_col: str | None = None,
    source: str = "",
) -> Dataset:
    """The labelled rows of a CSV file (UTF-8 with or without a BOM, or GB18030), within the
    upload bounds. The text of a row is its text columns joined by a line break. Blank lines
    are skipped; a row with a label but no text, or text but no label, is an error naming it."""
    limits = upload_limits()
    if len(data) > limits.max_bytes:
        raise file_too_large(limits.max_bytes)
    table = read_csv_table(data, max_rows=limits.max_rows)
    if not table or not any(cell.strip() for cell in table[0]):
        raise TrainingDataError(_("The file is empty: it has no header row."), field="file")
    header = [cell.strip().removeprefix("\ufeff") for cell in table[0]]
    if not text_cols:
        raise TrainingDataError(
            _("Name at least one text column (--text-cols)."), field="text_cols"
        )

    def index(name: str, option: str) -> int:
        found = [i for i, heading in enumerate(header) if heading == name]
        if not found:
            raise TrainingDataError(
                _("The file has no column “%(column)s”; its columns are: %(columns)s.")
                % {"column": name, "columns": "、".join(h for h in header if h) or "—"},
                field=option,
            )
        if len(found) > 1:
            raise TrainingDataError(
                _("The file has %(n)d columns named “%(column)s”: rename all but one.")
                % {"n": len(found), "column": name},
                field=option,
            )
        return found[0]

    text_at = [index(name, "text_cols") for name in text_cols]
    label_at = index(label_col, "label_col")
    department_at = index(department_col, "department_col") if department_col else None
    urgency_at = index(urgency_col, "urgency_col") if urgency_col else None

    def cell(row: list[str], at: int | None) -> str:
        return row[at].strip() if at is not None and at < len(row) else ""

    dataset = Dataset(texts=[], labels=[], source=source)
    no_text: list[int] = []
    no_label: list[int] = []
    for number, row in enumerate(table[1:], start=2):  # spreadsheet rows: the header is row 1
        if not any(c.strip() for c in row):
            continue
        text = features.normalise("\n".join(cell(row, at) for at in text_at))
        label = features.normalise(cell(row, label_at))
        if not label:
            no_label.append(number)
            continue
        if not text:
            no_text.append(number)
            continue
        dataset.texts.append(text)
        dataset.labels.append(label)
        if department_at is not None:
            dataset.departments.append(cell(row, department_at))
        if urgency_at is not None:
            dataset.urgencies.append(cell(row, urgency_at))
    if no_text:
        raise TrainingDataError(
            ngettext(
                "Row %(rows)s has a label but no text in %(columns)s.",
                "Rows %(rows)s have a label but no text in %(columns)s.",
                len(no_text),
            )
            % {"rows": _row_list(no_text), "columns": "、".join(text_cols)},
            field="text_cols",
        )
    if no_label:
        raise TrainingDataError(
            ngettext(
                "Row %(rows)s has no label in “%(column)s”.",
                "Rows %(rows)s have no label in “%(column)s”.",
                len(no_label),
            )
            % {"rows": _row_list(no_label), "column": label_col},
            field="label_col",
        )
    if not dataset.texts:
        raise TrainingDataError(_("The file has no labelled rows."), field="file")
    return dataset


def _row_list(rows: list[int], shown: int = 10) -> str:
    text = ", ".join(str(r) for r in rows[:shown])
    return text + (_(" and %(n)d more") % {"n": len(rows) - shown} if len(rows) > shown else "")


def parse_cv(value: str) -> tuple[int, int]:
    """`--cv FOLDSxREPEATS` (5x3: five folds, three repeats), ASCII digits only."""
    match = re.fullmatch(r"\s*([0-9]{1,3})\s*[xX×*]\s*([0-9]{1,3})\s*", value or "")
    folds, repeats = (int(match[1]), int(match[2])) if match else (0, 0)
    if not (2 <= folds <= MAX_FOLDS and 1 <= repeats <= MAX_REPEATS):
        raise TrainingDataError(
            _(
                "--cv is FOLDSxREPEATS, e.g. 5x3 (five folds, three repeats): %(min)d to "
                "%(max_folds)d folds and 1 to %(max_repeats)d repeats, not “%(value)s”."
            )
            % {"min": 2, "max_folds": MAX_FOLDS, "max_repeats": MAX_REPEATS, "value": value},
            field="cv",
        )
    return folds, repeats


def check_classes(dataset: Dataset, *, needed: int, why: str) -> None:
    """Refuse a dataset with fewer than two classes or a class with fewer than `needed` rows,
    naming each such class and its count."""
    counts = dataset.counts()
    if len(counts) < 2:
        raise TrainingDataError(
            _("The data has one class only (%(label)s): a classifier needs at least two.")
            % {"label": next(iter(counts), "—")},
            field="label_col",
        )
    short = sorted((n, label) for label, n in counts.items() if n < needed)
    if short:
        listed = "、".join(
            ngettext("%(label)s (%(n)d row)", "%(label)s (%(n)d rows)", n)
            % {"label": label, "n": n}
            for n, label in short[:20]
        )
        raise TrainingDataError(
            ngettext(
                "A class has too few rows: %(classes)s; %(why)s needs at least %(needed)d rows "
                "of every class. Add rows or merge the class into another.",
                "Classes have too few rows: %(classes)s; %(why)s needs at least %(needed)d "
                "rows of every class. Add rows or merge the classes into others.",
                len(short),
            )
            % {"classes": listed, "why": why, "needed": needed},
            field="label_col",
        )


# --- heads and models -------------------------------------------------------------------------


@dataclass
class Head:
    """One linear head: scores = X·coefᵀ + intercept, probabilities = softmax(scores / T)."""

    labels: list[str]
    coef: np.ndarray  # len(labels) × width, float32
    intercept: np.ndarray  # len(labels)
    temperature: float

    def scores(self, x: Any) -> np.ndarray:
        return np.asarray(x @ self.coef.T) + self.intercept

    def probabilities(self, x: Any) -> np.ndarray:
        return softmax(self.scores(x), self.temperature)


def softmax(scores: np.ndarray, temperature: float) -> np.ndarray:
    z = scores / temperature
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _fit_svm(x: Any, y: Sequence[str], c: float) -> tuple[list[str], np.ndarray, np.ndarray]:
    """LinearSVC's labels, coefficients and intercepts, as many rows as labels (a two-label
    machine's single score d is written as −d/2 and +d/2, which softmax turns into the same
    sigmoid)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        svm = LinearSVC(C=c, tol=1e-3, max_iter=5000).fit(x, y)
    labels = [str(label) for label in svm.classes_]
    coef = np.asarray(svm.coef_, dtype=np.float32)
    intercept = np.asarray(svm.intercept_, dtype=np.float64)
    if len(labels) == 2:
        coef = np.vstack([-coef[0] / 2, coef[0] / 2])
        intercept = np.array([-intercept[0] / 2, intercept[0] / 2])
    return labels, coef, intercept


def fit_temperature(scores: np.ndarray, truth: np.ndarray) -> float:
    """The temperature that minimises the log-loss of softmax(scores / T) on `truth` (indices)."""
    best, best_loss = 1.0, math.inf
    rows = np.arange(len(truth))
    for t in TEMPERATURES:
        p = softmax(scores, float(t))
        loss = -float(np.mean(np.log(np.clip(p[rows, truth], 1e-12, None))))
        if loss < best_loss:
            best, best_loss = float(t), loss
    return best


@dataclass
class Prediction:
    """What the model says of one text: the top classes, and the department and urgency when
    it learned them, each with its probability."""

    classes: list[tuple[str, float]]
    department: tuple[str, float] | None = None
    urgency: tuple[str, float] | None = None


@dataclass
class Model:
    space: features.FeatureSpace
    heads: dict[str, Head]
    meta: dict[str, Any]

    @property
    def version(self) -> str:
        return str(self.meta.get("version", ""))

    @property
    def labels(self) -> list[str]:
        return self.heads["class"].labels

    def probabilities(
        self, texts: Sequence[str], embeddings: np.ndarray | None = None, head: str = "class"
    ) -> np.ndarray:
        return self.heads[head].probabilities(self.space.transform(texts, embeddings))

    def predict(self, texts: Sequence[str], *, top: int = TOP) -> list[Prediction]:
        """The top classes of each text (normalised first), most likely first."""
        texts = [features.normalise(t) for t in texts]
        x = self.space.transform(texts)
        out: list[Prediction] = []
        probs = {name: head.probabilities(x) for name, head in self.heads.items()}
        for i in range(len(texts)):
            head = self.heads["class"]
            order = np.argsort(-probs["class"][i])[:top]
            prediction = Prediction(
                classes=[(head.labels[j], float(probs["class"][i][j])) for j in order]
            )
            for name in ("department", "urgency"):
                if name in self.heads:
                    j = int(np.argmax(probs[name][i]))
                    value = (self.heads[name].labels[j], float(probs[name][i][j]))
                    setattr(prediction, name, value)
            out.append(prediction)
        return out

    # --- the file ---

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the model atomically: a temporary file beside `path`, then os.replace."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, np.ndarray] = {
            "meta": np.array(json.dumps(self.meta, ensure_ascii=False)),
            "terms": np.array(self.space.terms, dtype=str),
            "idf": np.asarray(self.space.idf, dtype=np.float64),
            "embedding_weight": np.array(self.space.embedding_weight),
        }
        for name, head in self.heads.items():
            arrays[f"{name}.labels"] = np.array(head.labels, dtype=str)
            arrays[f"{name}.coef"] = head.coef
            arrays[f"{name}.intercept"] = head.intercept
            arrays[f"{name}.temperature"] = np.array(head.temperature)
        handle, temporary = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".tmp", dir=target.parent
        )
        try:
            with os.fdopen(handle, "wb") as out:
                np.savez_compressed(out, **arrays)  # type: ignore[arg-type]
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return target

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Model:
        with np.load(path, allow_pickle=False) as archive:
            meta = json.loads(str(archive["meta"]))
            if meta.get("format") != FORMAT:
                raise ValueError(f"{path} is not a {FORMAT} model")
            space = features.FeatureSpace(
                terms=[str(t) for t in archive["terms"]],
                idf=archive["idf"],
                embedding_weight=float(archive["embedding_weight"]),
            )
            heads = {
                name: Head(
                    labels=[str(label) for label in archive[f"{name}.labels"]],
                    coef=archive[f"{name}.coef"],
                    intercept=archive[f"{name}.intercept"],
                    temperature=float(archive[f"{name}.temperature"]),
                )
                for name in HEADS
                if f"{name}.labels" in archive.files
            }
        return cls(space=space, heads=heads, meta=meta)


def model_path() -> Path:
    """Where suggestions read the district's model (ONEGRID["CLASSIFIER_MODEL"])."""
    return Path(settings.ONEGRID["CLASSIFIER_MODEL"])


class _Current:
    """The model this process suggests with: loaded on first use, loaded again when the file
    changes (a training run in another process replaced it)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple[str, int, int] | None = None
        self._model: Model | None = None

    def get(self) -> Model | None:
        """The model, or None when there is none, or its file cannot be read as one (damaged,
        cut short, another program's): suggestions are a hint, and a bad file must not break
        the pages that show them. Such a file is logged once and tried again when it changes."""
        path = model_path()
        try:
            stat = path.stat()
        except OSError:
            return None
        key = (str(path), stat.st_mtime_ns, stat.st_size)
        if key != self._key:
            with self._lock:
                if key != self._key:
                    try:
                        self._model = Model.load(path)
                    except UNREADABLE as problem:
                        logger.error("cannot read the classifier model %s: %r", path, problem)
                        self._model = None
                    self._key = key
        return self._model

    def forget(self) -> None:
        with self._lock:
            self._key, self._model = None, None


current = _Current()


# --- training ---------------------------------------------------------------------------------


def _label_index(labels: Sequence[str], order: list[str]) -> np.ndarray:
    where = {label: i for i, label in enumerate(order)}
    return np.array([where[label] for label in labels])


def _aligned(scores: np.ndarray, fold_labels: list[str], order: list[str]) -> np.ndarray:
    """A fold's scores in the columns of `order`; a label the fold did not see scores low."""
    out = np.full((scores.shape[0], len(order)), -10.0)
    where = {label: i for i, label in enumerate(order)}
    for j, label in enumerate(fold_labels):
        out[:, where[label]] = scores[:, j]
    return out


def _inner_folds(labels: Sequence[str]) -> int:
    smallest = min(Counter(labels).values())
    return min(INNER_FOLDS, smallest)


@dataclass
class Tuning:
    c: float
    weight: float
    temperature: float
    macro_f1: float | None  # of the out-of-fold predictions; None: too few rows to tune


def tune(
    texts: Sequence[str],
    embeddings: np.ndarray,
    labels: Sequence[str],
    *,
    seed: int = 0,
    grid: Iterable[tuple[float, float]] | None = None,
) -> Tuning:
    """Choose C and the embedding weight by stratified cross-validation on these rows alone
    (the best macro-F1 of the out-of-fold predictions, then top-3 accuracy, then the smaller
    C), and fit the temperature on the chosen setting's out-of-fold scores."""
    configs = list(grid or [(c, w) for c in C_GRID for w in WEIGHT_GRID])
    folds = _inner_folds(labels)
    order = sorted(set(labels))
    y = np.asarray(labels)
    truth = _label_index(labels, order)
    if folds < 2:
        return Tuning(*DEFAULT_CONFIG, temperature=0.3, macro_f1=None)
    oof = {config: np.zeros((len(texts), len(order))) for config in configs}
    split = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    weights = sorted({w for _c, w in configs})
    for train, test in split.split(np.zeros(len(y)), y):
        space = features.FeatureSpace.fit([texts[i] for i in train], embedding_weight=1.0)
        ngrams_train = space.ngrams([texts[i] for i in train])
        ngrams_test = space.ngrams([texts[i] for i in test])
        for weight in weights:
            x_train = features.combine(ngrams_train, embeddings[train], weight)
            x_test = features.combine(ngrams_test, embeddings[test], weight)
            for c, w in configs:
                if w != weight:
                    continue
                fold_labels, coef, intercept = _fit_svm(x_train, y[train], c)
                scores = np.asarray(x_test @ coef.T) + intercept
                oof[(c, w)][test] = _aligned(scores, fold_labels, order)

    def quality(config: tuple[float, float]) -> tuple[float, float, float]:
        scores = oof[config]
        predicted = scores.argmax(axis=1)
        f1 = f1_score(truth, predicted, average="macro")
        top = np.argsort(-scores, axis=1)[:, :TOP]
        top_accuracy = float(np.mean([truth[i] in top[i] for i in range(len(truth))]))
        return (round(float(f1), 4), round(top_accuracy, 4), -config[0])

    best = max(configs, key=quality)
    return Tuning(
        c=best[0],
        weight=best[1],
        temperature=fit_temperature(oof[best], truth),
        macro_f1=quality(best)[0],
    )


def _head_temperature(x: Any, labels: Sequence[str], c: float, seed: int) -> float:
    """A department or urgency head's temperature, from its own out-of-fold scores."""
    folds = _inner_folds(labels)
    if folds < 2:
        return 0.3
    order = sorted(set(labels))
    y = np.asarray(labels)
    scores = np.zeros((len(labels), len(order)))
    split = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train, test in split.split(np.zeros(len(y)), y):
        fold_labels, coef, intercept = _fit_svm(x[train], y[train], c)
        scores[test] = _aligned(np.asarray(x[test] @ coef.T) + intercept, fold_labels, order)
    return fit_temperature(scores, _label_index(labels, order))


def fit(
    dataset: Dataset,
    *,
    embeddings: np.ndarray | None = None,
    seed: int = 0,
    grid: Iterable[tuple[float, float]] | None = None,
) -> Model:
    """Train a model on every row of `dataset` (tuned by cross-validation on them)."""
    started = time.perf_counter()
    if embeddings is None:
        embeddings = features.embed(dataset.texts)
    tuning = tune(dataset.texts, embeddings, dataset.labels, seed=seed, grid=grid)
    space = features.FeatureSpace.fit(dataset.texts, embedding_weight=tuning.weight)
    x = space.transform(dataset.texts, embeddings)
    labels, coef, intercept = _fit_svm(x, dataset.labels, tuning.c)
    heads = {"class": Head(labels, coef, intercept, tuning.temperature)}
    learned: dict[str, int] = {}
    for name in ("department", "urgency"):
        values = dataset.head_labels(name)
        rows = [i for i, v in enumerate(values) if v] if values else []
        known = Counter(values[i] for i in rows)
        # Learned only where the data has it for most rows, in at least two kinds.
        rows = [i for i in rows if known[values[i]] >= MIN_CLASS_ROWS]
        if len({values[i] for i in rows}) < 2 or len(rows) < len(dataset) // 2:
            continue
        head_labels = [values[i] for i in rows]
        labels, coef, intercept = _fit_svm(x[rows], head_labels, tuning.c)
        temperature = _head_temperature(x[rows], head_labels, tuning.c, seed)
        heads[name] = Head(labels, coef, intercept, temperature)
        learned[name] = len(rows)
    now = dt.datetime.now(dt.UTC)
    meta = {
        "format": FORMAT,
        "version": f"{now:%Y%m%d%H%M%S}-{secrets.token_hex(3)}",
        "trained_at": now.isoformat(timespec="seconds"),
        "source": dataset.source,
        "rows": len(dataset),
        "classes": dict(sorted(dataset.counts().items())),
        "learned": learned,
        "encoder": features.encoder_name(),
        "ngram_range": list(features.NGRAM_RANGE),
        "c": tuning.c,
        "embedding_weight": tuning.weight,
        "temperature": tuning.temperature,
        "cv_macro_f1": tuning.macro_f1,
        "seconds": round(time.perf_counter() - started, 1),
    }
    return Model(space=space, heads=heads, meta=meta)


def train(dataset: Dataset, *, seed: int = 0) -> Model:
    """Check the data (two classes at least, MIN_CLASS_ROWS rows of each), then fit."""
    check_classes(dataset, needed=MIN_CLASS_ROWS, why=_("training"))
    return fit(dataset, seed=seed)


# --- evaluation -------------------------------------------------------------------------------


@dataclass
class FoldResult:
    macro_f1: float
    accuracy: float
    top3: float
    log_loss: float
    calibration_error: float  # expected calibration error of the top class (10 bins)
    c: float
    weight: float
    seconds: float


@dataclass
class Evaluation:
    folds: int
    repeats: int
    rows: int
    classes: int
    results: list[FoldResult]
    encode_seconds: float

    def summary(self, name: str) -> tuple[float, float]:
        """Mean and sample standard deviation over the folds."""
        values = [getattr(r, name) for r in self.results]
        return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def calibration_error(probabilities: np.ndarray, truth: np.ndarray, bins: int = 10) -> float:
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == truth
    edges = np.linspace(0, 1, bins + 1)
    error = 0.0
    for low, high in zip(edges[:-1], edges[1:], strict=True):
        inside = (confidence > low) & (confidence <= high)
        if inside.any():
            error += inside.mean() * abs(confidence[inside].mean() - correct[inside].mean())
    return float(error)


def evaluate(
    dataset: Dataset,
    *,
    folds: int,
    repeats: int,
    seed: int = 0,
    progress: Callable[[int, FoldResult], None] | None = None,
) -> Evaluation:
    """Repeated stratified k-fold cross-validation of the whole training procedure: in every
    fold, a model is trained (and tuned) on the other folds and scored on this one."""
    check_classes(dataset, needed=folds, why=_("%(k)d-fold cross-validation") % {"k": folds})
    started = time.perf_counter()
    embeddings = features.embed(dataset.texts)
    encode_seconds = time.perf_counter() - started
    order = sorted(set(dataset.labels))
    y = np.asarray(dataset.labels)
    split = RepeatedStratifiedKFold(n_splits=folds, n_repeats=repeats, random_state=seed)
    results: list[FoldResult] = []
    for number, (train_rows, test_rows) in enumerate(split.split(np.zeros(len(y)), y), start=1):
        began = time.perf_counter()
        model = fit(dataset.subset(train_rows), embeddings=embeddings[train_rows], seed=seed)
        head = model.heads["class"]
        probabilities = model.probabilities(
            [dataset.texts[i] for i in test_rows], embeddings[test_rows]
        )
        probabilities = _aligned(probabilities, head.labels, order).clip(0, 1)
        truth = _label_index(y[test_rows], order)
        predicted = probabilities.argmax(axis=1)
        top = np.argsort(-probabilities, axis=1)[:, :TOP]
        rows = np.arange(len(truth))
        result = FoldResult(
            macro_f1=float(f1_score(truth, predicted, average="macro")),
            accuracy=float(np.mean(predicted == truth)),
            top3=float(np.mean([truth[i] in top[i] for i in rows])),
            log_loss=-float(np.mean(np.log(np.clip(probabilities[rows, truth], 1e-12, None)))),
            calibration_error=calibration_error(probabilities, truth),
            c=float(model.meta["c"]),
            weight=float(model.meta["embedding_weight"]),
            seconds=time.perf_counter() - began,
        )
        results.append(result)
        if progress:
            progress(number, result)
    return Evaluation(
        folds=folds,
        repeats=repeats,
        rows=len(dataset),
        classes=len(order),
        results=results,
        encode_seconds=encode_seconds,
    )
