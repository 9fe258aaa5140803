"""Retrieval and upstream-data detectors: query embedding drift, index staleness, source
concentration, chunk age.

The statistics come from scikit-learn and SciPy: a cross-validated domain classifier's ROC
AUC with `permutation_test_score`, Fisher's exact test, the Mann-Whitney U test. Only MMD²'s
formula is written here (unbiased estimator, RBF kernel from scikit-learn, bandwidth by the
median heuristic), with a permutation test over the pooled kernel matrix.
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from statistics import median
from typing import ClassVar

import numpy as np
import numpy.typing as npt
from pydantic import Field
from scipy.spatial.distance import pdist
from scipy.stats import mannwhitneyu, permutation_test
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.metrics.pairwise import rbf_kernel
from sklearn.model_selection import StratifiedKFold, permutation_test_score
from sklearn.pipeline import make_pipeline
from threadpoolctl import threadpool_limits

from replaylab.detectors.base import Detection, DetectorBase, fmt_p, most_common, retrieved, served_index
from replaylab.errors import ReplaylabError
from replaylab.registry import register
from replaylab.stack.embedders import get_embedder
from replaylab.stack.index import Snapshot
from replaylab.stack.pipeline import Stack
from replaylab.trace import RetrievedChunk, Trace
from replaylab.variables import Layer

Matrix = npt.NDArray[np.float64]
Vector = npt.NDArray[np.float64]


def embedded_queries(traces: Sequence[Trace]) -> list[Trace]:
    """The traces whose query was embedded: a retrieval span, or a recorded embedder that is not
    `none` (agent sessions and requests routed away from RAG embed nothing)."""
    return [t for t in traces if t.retrieval is not None or t.versions.embedder not in {"none", ""}]


def query_vectors(traces: Sequence[Trace], stack: Stack) -> tuple[Matrix, list[str]]:
    """Each trace's query re-embedded with the embedder the trace recorded (cached by the stack)."""
    by_embedder: dict[str, list[int]] = {}
    for i, t in enumerate(traces):
        name = t.retrieval.embedder if t.retrieval is not None else t.versions.embedder
        by_embedder.setdefault(name, []).append(i)
    dims = {get_embedder(name).dim for name in by_embedder}
    out = np.zeros((len(traces), max(dims, default=0)), dtype=np.float64)
    for name, rows in by_embedder.items():
        vecs = stack.cache.encode(get_embedder(name), [traces[i].question for i in rows])
        out[rows, : vecs.shape[1]] = vecs
    return out, sorted(by_embedder)


def mmd2_permutation(x: Matrix, y: Matrix, *, permutations: int, seed: int) -> tuple[float, float, float]:
    """Unbiased MMD² with an RBF kernel (median heuristic); its permutation p-value and (1-0.05) null quantile."""
    pooled = np.vstack([x, y])
    dists = pdist(pooled, "sqeuclidean")
    med = float(np.median(dists[dists > 0])) if np.any(dists > 0) else 1.0
    k = rbf_kernel(pooled, gamma=1.0 / med)
    n = len(x)

    def stat(idx: npt.NDArray[np.int64]) -> float:
        a, b = idx[:n], idx[n:]
        kxx, kyy, kxy = k[np.ix_(a, a)], k[np.ix_(b, b)], k[np.ix_(a, b)]
        m1, m2 = len(a), len(b)
        return float(
            (kxx.sum() - np.trace(kxx)) / (m1 * (m1 - 1)) + (kyy.sum() - np.trace(kyy)) / (m2 * (m2 - 1)) - 2 * kxy.mean()
        )

    order = np.arange(len(pooled))
    observed = stat(order)
    rng = np.random.default_rng(seed)
    null = np.array([stat(rng.permutation(order)) for _ in range(permutations)])
    p = (1 + int(np.sum(null >= observed))) / (permutations + 1)
    return observed, p, float(np.quantile(null, 0.95))


@register("detector", "query-embedding-drift")
class QueryEmbeddingDrift(DetectorBase):
    """Query embeddings of the window vs the baseline: a domain classifier and MMD², both permutation-tested.

    Each query is re-embedded with the embedder its trace recorded, so a query embedder swap
    shows as a distribution shift even for the very same questions; a shift in what users ask
    shows too (the playbook's leading indicator). The classifier is PCA + logistic regression,
    its ROC AUC cross-validated and tested with `permutation_test_score`. Fires when MMD²'s
    permutation test rejects at `alpha` and the classifier's at `classifier_alpha`.
    """

    name: ClassVar[str] = "query-embedding-drift"
    layer: ClassVar[Layer] = "retrieval"
    alpha: float = Field(0.01, gt=0.0, lt=1.0)
    """Level of the MMD² permutation test."""
    classifier_alpha: float = Field(0.05, gt=0.0, lt=1.0)
    """Level of the classifier's permutation test (its resolution is 1 / (permutations + 1))."""
    classifier_permutations: int = Field(19, ge=9)
    mmd_permutations: int = Field(499, ge=19)
    folds: int = Field(5, ge=2)
    components: int = Field(16, ge=2)
    """PCA components the classifier sees (fitted inside each fold)."""
    max_baseline: int = Field(200, ge=10)
    """Baseline traces used at most (a seeded subsample beyond this), to bound the cost."""
    seed: int = 0

    def detect(self, window: Sequence[Trace], baseline: Sequence[Trace], *, stack: Stack) -> Detection:
        skipped = len(window) - len(window := embedded_queries(window))
        if len(window) < self.folds or len(baseline := embedded_queries(baseline)) < self.folds:
            why = f"; {skipped} window traces embed no query (agent or routed-away traffic)" if skipped else ""
            return self.quiet(f"too few embedded queries to compare ({len(window)} vs {len(baseline)}){why}", threshold=0.5)
        base = list(baseline)
        if len(base) > self.max_baseline:
            pick = np.random.default_rng(self.seed).choice(len(base), self.max_baseline, replace=False)
            base = [base[int(i)] for i in sorted(pick)]
        xw, names_w = query_vectors(window, stack)
        xb, names_b = query_vectors(base, stack)
        if xw.shape[1] != xb.shape[1]:
            return Detection(
                name=self.name,
                fired=True,
                statistic=1.0,
                threshold=0.5,
                p_value=None,
                reason=f"query embedders changed dimension: {names_b} -> {names_w}",
            )
        x = np.vstack([xb, xw])
        y = np.r_[np.zeros(len(xb), dtype=int), np.ones(len(xw), dtype=int)]
        cv = StratifiedKFold(n_splits=self.folds, shuffle=True, random_state=self.seed)
        n_comp = min(self.components, x.shape[1], len(x) - len(x) // self.folds - 1)
        clf = make_pipeline(
            PCA(n_components=n_comp, random_state=self.seed), LogisticRegression(class_weight="balanced", max_iter=500)
        )
        # small matrices: BLAS threads only contend (an SVD is ~50x slower with 2 threads on a busy box)
        with threadpool_limits(limits=1), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a fold of identical points is a valid, uninformative fit
            auc, null_auc, auc_p = permutation_test_score(
                clf, x, y, scoring="roc_auc", cv=cv, n_permutations=self.classifier_permutations, random_state=self.seed
            )
            mmd2, mmd_p, _ = mmd2_permutation(xb, xw, permutations=self.mmd_permutations, seed=self.seed)
        auc_threshold = float(np.quantile(null_auc, 1 - self.classifier_alpha))
        fired = bool(mmd_p < self.alpha and auc_p <= self.classifier_alpha and auc > auc_threshold)
        embedders = f"{names_b} -> {names_w}" if names_b != names_w else f"{names_w}"
        return Detection(
            name=self.name,
            fired=fired,
            statistic=round(float(auc), 4),
            threshold=round(auc_threshold, 4),
            p_value=float(mmd_p),
            reason=(
                f"domain classifier AUC {auc:.2f} (null {1 - self.classifier_alpha:.0%} quantile "
                f"{auc_threshold:.2f}, p={fmt_p(float(auc_p))}); MMD² {mmd2:.4f} (permutation "
                f"p={fmt_p(mmd_p)}); {len(window)} window vs {len(base)} baseline queries, embedders {embedders}"
            ),
        )


@register("detector", "index-staleness")
class IndexStaleness(DetectorBase):
    """The served index lags the corpus, or re-embedding indexed chunks no longer reproduces the index.

    Lag: newest ingestion in the corpus the window is served from, minus the newest document
    in the served snapshot's manifest. Canary: a fixed set of indexed chunk texts re-embedded
    with the window's query embedder vs the vectors the index stores (a query embedder swap
    makes them disagree even when the index is fresh).
    """

    name: ClassVar[str] = "index-staleness"
    layer: ClassVar[Layer] = "retrieval"
    max_lag_days: int = Field(3, ge=0)
    canary_size: int = Field(16, ge=1)
    min_canary_cosine: float = Field(0.98, ge=-1.0, le=1.0)

    def detect(self, window: Sequence[Trace], baseline: Sequence[Trace], *, stack: Stack) -> Detection:
        served = served_index(window)
        if served is None:
            return self.quiet("no retrieval in the window", threshold=self.max_lag_days)
        corpus, index = served
        snap = stack.snapshot(corpus, index)
        newest = max(d.ingested_at for d in stack.documents(corpus))
        indexed = snap.manifest.corpus_newest or newest
        lag = (newest - indexed).days
        embedder = most_common([t.retrieval.embedder for t in window if t.retrieval is not None])
        cosine = self._canary(stack, snap, embedder)
        reasons = [
            f"index {snap.id} holds documents up to {indexed}; the corpus has ingestions up to {newest} "
            f"(lag {lag} d, max {self.max_lag_days})"
        ]
        if cosine is None:
            reasons.append("canary skipped: this index kind cannot return its stored vectors")
        else:
            reasons.append(
                f"canary: {len(self._canary_ids(snap))} indexed chunks re-embedded with {embedder} vs "
                f"stored {snap.manifest.embedder} vectors, mean cosine {cosine:.3f} "
                f"(min {self.min_canary_cosine})"
            )
        fired = lag > self.max_lag_days or (cosine is not None and cosine < self.min_canary_cosine)
        return Detection(
            name=self.name, fired=fired, statistic=float(lag), threshold=float(self.max_lag_days), reason="; ".join(reasons)
        )

    def _canary_ids(self, snap: Snapshot) -> list[int]:
        n = len(snap.manifest.chunks)
        step = max(1, n // self.canary_size)
        return list(range(0, n, step))[: self.canary_size]

    def _canary(self, stack: Stack, snap: Snapshot, embedder: str) -> float | None:
        ids = self._canary_ids(snap)
        manifest = snap.manifest
        try:
            stored = np.vstack([snap.index.reconstruct(i) for i in ids])
        except RuntimeError:
            return None
        try:
            emb = get_embedder(embedder)
        except ReplaylabError:
            return None
        fresh = stack.cache.encode(emb, [manifest.chunks[i].embed_text() for i in ids])
        if fresh.shape[1] != stored.shape[1]:
            return -1.0
        return float(np.mean(np.sum(fresh * stored, axis=1)))


def _request_shares(traces: Sequence[Trace], member: Callable[[RetrievedChunk], bool]) -> Vector:
    """Per request, the share of its retrieved chunks that are members of a group."""
    out = [
        sum(member(c) for c in t.retrieval.chunks) / len(t.retrieval.chunks)
        for t in traces
        if t.retrieval is not None and not t.retrieval.held and t.retrieval.chunks
    ]
    return np.asarray(out, dtype=np.float64)


def _mean_rise(x: Vector, y: Vector, axis: int = -1) -> Vector:
    return np.asarray(np.mean(x, axis=axis) - np.mean(y, axis=axis))


def rise_p_value(window: Vector, baseline: Vector, *, resamples: int, seed: int) -> float:
    """One-sided permutation p-value of a rise in the mean per-request share (requests are the units)."""
    if not window.any() and not baseline.any():
        return 1.0
    res = permutation_test(
        (window, baseline),
        _mean_rise,
        permutation_type="independent",
        alternative="greater",
        n_resamples=resamples,
        vectorized=True,
        random_state=seed,
    )
    return float(res.pvalue)


@register("detector", "source-concentration")
class SourceConcentration(DetectorBase):
    """Retrieved chunks concentrate on one source, or on documents newer than the baseline window.

    - New documents: the share of window chunks ingested after the baseline window's newest
      ingestion. The baseline could not retrieve them, so any share above `min_new_share` is
      a structural change, not sampling noise; no test is needed.
    - One source: each source's share of the chunks, against its baseline share. Chunks of one
      request are not independent, so the test is a one-sided permutation test over requests
      (SciPy), Bonferroni-corrected over sources; it fires when the share rises by at least
      `min_source_rise` and the test rejects at `alpha`.
    """

    name: ClassVar[str] = "source-concentration"
    layer: ClassVar[Layer] = "upstream_data"
    alpha: float = Field(0.01, gt=0.0, lt=1.0)
    min_new_share: float = Field(0.03, ge=0.0, le=1.0)
    """Share of window chunks from documents newer than the baseline that is worth an alert."""
    min_source_rise: float = Field(0.2, ge=0.0, le=1.0)
    """Rise of one source's share over its baseline share that is worth an alert."""
    resamples: int = Field(999, ge=99)
    seed: int = 0

    def detect(self, window: Sequence[Trace], baseline: Sequence[Trace], *, stack: Stack) -> Detection:
        win, base = retrieved(window), retrieved(baseline)
        if not win or not base:
            return self.quiet("no retrieved chunks to compare", threshold=self.min_new_share)
        cutoff = max(c.ingested_at for c in base)
        new = [c for c in win if c.ingested_at > cutoff]
        share_new = len(new) / len(win)
        if share_new >= self.min_new_share and new:
            sources = Counter(c.source for c in new).most_common(2)
            return Detection(
                name=self.name,
                fired=True,
                statistic=round(share_new, 4),
                threshold=self.min_new_share,
                reason=(
                    f"{share_new:.0%} of {len(win)} retrieved chunks come from documents ingested after the "
                    f"baseline's newest ({cutoff}): {', '.join(f'{s} {n}' for s, n in sources)}"
                ),
            )
        base_sources = Counter(c.source for c in base)
        win_sources = Counter(c.source for c in win)
        best: tuple[float, float, str, float, float] | None = None
        tests = len(win_sources)
        for source in sorted(win_sources):
            share_w, share_b = win_sources[source] / len(win), base_sources.get(source, 0) / len(base)
            rise = share_w - share_b
            p = 1.0
            if rise >= self.min_source_rise:

                def member(c: RetrievedChunk, source: str = source) -> bool:
                    return c.source == source

                p = min(
                    1.0,
                    tests
                    * rise_p_value(
                        _request_shares(window, member),
                        _request_shares(baseline, member),
                        resamples=self.resamples,
                        seed=self.seed,
                    ),
                )
            if best is None or (p, -rise) < (best[0], -best[1]):
                best = (p, rise, source, share_w, share_b)
        assert best is not None
        p, rise, source, share_w, share_b = best
        fired = rise >= self.min_source_rise and p < self.alpha
        reason = (
            f"{share_new:.0%} of chunks newer than the baseline's newest ({cutoff}, min "
            f"{self.min_new_share:.0%}); largest source rise: {source} {share_w:.0%} of {len(win)} chunks vs "
            f"{share_b:.0%} of {len(base)} (permutation p={fmt_p(p)} over requests, Bonferroni x{tests})"
        )
        return Detection(
            name=self.name, fired=fired, statistic=round(rise, 4), threshold=self.min_source_rise, p_value=p, reason=reason
        )


@register("detector", "chunk-age")
class ChunkAge(DetectorBase):
    """The median age of retrieved chunks moved by more than `min_shift_days` (Mann-Whitney U)."""

    name: ClassVar[str] = "chunk-age"
    layer: ClassVar[Layer] = "retrieval"
    alpha: float = Field(0.01, gt=0.0, lt=1.0)
    min_shift_days: float = Field(30.0, ge=0.0)

    def detect(self, window: Sequence[Trace], baseline: Sequence[Trace], *, stack: Stack) -> Detection:
        def ages(traces: Sequence[Trace]) -> list[list[int]]:
            return [
                [(t.created_at.date() - c.ingested_at).days for c in t.retrieval.chunks]
                for t in traces
                if t.retrieval is not None and not t.retrieval.held and t.retrieval.chunks
            ]

        win, base = ages(window), ages(baseline)
        if not win or not base:
            return self.quiet("no retrieved chunks to compare", threshold=self.min_shift_days)
        all_w, all_b = [a for r in win for a in r], [a for r in base for a in r]
        shift = float(median(all_w) - median(all_b))
        # requests are the independent units: test their median ages
        per_w, per_b = [median(r) for r in win], [median(r) for r in base]
        p = 1.0 if set(per_w) == set(per_b) == {per_w[0]} else float(mannwhitneyu(per_w, per_b, alternative="two-sided").pvalue)
        fired = abs(shift) >= self.min_shift_days and p < self.alpha
        older = "older" if shift > 0 else "younger"
        return Detection(
            name=self.name,
            fired=fired,
            statistic=shift,
            threshold=self.min_shift_days,
            p_value=p,
            reason=(
                f"median retrieved chunk age {median(all_w):.0f} d vs {median(all_b):.0f} d in the "
                f"baseline ({abs(shift):.0f} d {older}; Mann-Whitney over request medians "
                f"p={fmt_p(p)})"
            ),
        )
