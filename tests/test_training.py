"""The epoch loop and its stopping rules, with a scripted engine."""

import numpy as np
import pytest

from skbn._plan import TrainingPlan
from skbn._training import Progress, Trainer


class ScriptedEngine:
    """An engine whose epoch losses (and exported 'networks') are given."""

    def __init__(self, losses):
        self.losses = list(losses)
        self.epoch = 0

    def run_epoch(self, epoch_plan):
        loss = self.losses[self.epoch]
        self.epoch += 1
        return loss

    def export(self, final=False):
        return f"net after epoch {self.epoch}", "adam"


def _trainer(losses, validate=None, n_iter_no_change=2):
    plan = TrainingPlan(seed=0, batch_size=2, shuffle=True, merge_singleton=True, dropout=0.0)
    engine = ScriptedEngine(losses)
    trainer = Trainer(
        engine,
        plan,
        tol=0.1,
        n_iter_no_change=n_iter_no_change,
        validate=validate,
        verbose=False,
        divergence_hint="(hint)",
    )
    return trainer, engine


CODES = np.array([0, 1, 0, 1, 0])


def test_stops_after_n_iter_no_change_epochs_without_improvement():
    trainer, engine = _trainer([1.0, 0.5, 0.45, 0.44, 0.43, 0.1])
    progress = Progress()
    net, adam, converged = trainer.run(CODES, progress, n_epochs=6)
    # Epochs 3, 4 and 5 improve by less than tol: the third one stops the run.
    assert converged and engine.epoch == 5 and progress.n_iter == 5
    assert progress.loss_curve == [1.0, 0.5, 0.45, 0.44, 0.43]
    assert progress.best_loss == 0.43 and progress.no_improvement_count == 3
    assert progress.t == 5 * len(CODES) and net == "net after epoch 5"


def test_runs_every_epoch_when_told_not_to_stop():
    trainer, engine = _trainer([1.0, 1.0, 1.0, 1.0])
    _, _, converged = trainer.run(CODES, Progress(), n_epochs=4, stop_early=False)
    assert not converged and engine.epoch == 4


def test_early_stopping_keeps_the_best_validation_epoch():
    scores = iter([0.5, 0.9, 0.7, 0.6, 0.8])
    progress = Progress(validation_scores=[], validation_recall_per_class=[])
    progress.restart(early_stopping=True)
    trainer, _ = _trainer([1.0] * 5, validate=lambda net: (next(scores), np.ones(2)))
    net, _, converged = trainer.run(CODES, progress, n_epochs=5)
    assert converged and progress.validation_scores == [0.5, 0.9, 0.7, 0.6, 0.8]
    assert net == "net after epoch 2" and progress.best_validation_score == 0.9


def test_early_stopping_keeps_the_starting_network_when_no_epoch_beats_it():
    """The fold members' extra epochs: scored before they start, they keep
    the network they started from unless an epoch does better."""
    scores = iter([0.5, 0.6, 0.4])
    progress = Progress(validation_scores=[], validation_recall_per_class=[])
    progress.best_validation_score = 0.7  # the starting network's score
    trainer, _ = _trainer([1.0] * 3, validate=lambda net: (next(scores), np.ones(2)))
    net, _, _ = trainer.run(CODES, progress, n_epochs=3, initial="the start")
    assert net == "the start" and progress.best_validation_score == 0.7
    scores = iter([0.5, 0.8, 0.4])
    progress = Progress(validation_scores=[], validation_recall_per_class=[])
    progress.best_validation_score = 0.7
    trainer, _ = _trainer([1.0] * 3, validate=lambda net: (next(scores), np.ones(2)))
    net, _, _ = trainer.run(CODES, progress, n_epochs=3, initial="the start")
    assert net == "net after epoch 2"


def test_a_non_finite_loss_stops_with_a_clear_message():
    trainer, _ = _trainer([1.0, float("nan")])
    with pytest.raises(ValueError, match=r"diverged: the loss became nan in epoch 2\. \(hint\)"):
        trainer.run(CODES, Progress(), n_epochs=3)


def test_cosine_schedule_anneals_batch_by_batch_over_the_budget():
    plan = TrainingPlan(
        seed=0,
        batch_size=2,
        shuffle=True,
        merge_singleton=False,
        dropout=0.0,
        lr_schedule="cosine",
        max_epochs=2,
    )
    codes = np.array([0, 1, 0, 1])  # two batches per epoch
    factors = np.concatenate([plan.epoch(e, codes).lr_factors for e in range(3)])
    s = np.array([0, 0.25, 0.5, 0.75, 1.0, 1.0])
    np.testing.assert_allclose(factors, (1 + np.cos(np.pi * s)) / 2, atol=1e-15)
    assert factors[0] == 1.0 and factors[-1] == 0.0
    constant = TrainingPlan(seed=0, batch_size=2, shuffle=True, merge_singleton=False, dropout=0.0)
    np.testing.assert_array_equal(constant.epoch(5, codes).lr_factors, [1.0, 1.0])


def test_each_fit_restarts_the_schedule_and_partial_fit_counts_from_its_first_call():
    from skbn import BNMLPClassifier

    X = np.random.default_rng(0).normal(size=(40, 3))
    y = np.arange(40) % 2
    kw = dict(hidden_layer_sizes=(4,), lr_schedule="cosine", max_iter=2, random_state=0)
    warm = BNMLPClassifier(warm_start=True, **kw).fit(X, y)
    before = [c.copy() for c in warm.coefs_]
    warm.fit(X, y)  # a second budget of 2 epochs, annealed again from the start
    assert not np.allclose(before[0], warm.coefs_[0])
    inc = BNMLPClassifier(**kw)
    for _ in range(2):
        inc.partial_fit(X, y, classes=[0, 1])
    after_budget = [c.copy() for c in inc.coefs_]
    inc.partial_fit(X, y)  # past the budget the step size is 0: only BN statistics move
    np.testing.assert_array_equal(after_budget[0], inc.coefs_[0])


def test_weight_decay_shrinks_the_weights_before_the_adam_step():
    from skbn.engines import AdamState, TrainingConfig
    from skbn.engines._numpy import NumpyEngine

    from skbn._plan import init_network

    net = init_network(0, [3, 4, 2], "relu", True, np.float64)
    config = dict(
        activation="relu",
        bn_momentum=0.1,
        bn_eps=1e-5,
        dropout=0.0,
        alpha=0.0,
        learning_rate=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
    )
    X = np.random.default_rng(1).normal(size=(4, 3))
    y = np.array([0, 1, 0, 1])
    plan = TrainingPlan(seed=0, batch_size=4, shuffle=False, merge_singleton=True, dropout=0.0)
    ends = {}
    for wd in (0.0, 0.5):
        start = net.copy()
        engine = NumpyEngine(
            TrainingConfig(weight_decay=wd, **config),
            start,
            AdamState.zeros_like(start.trainable()),
            X,
            y,
            None,
            2,
        )
        engine.run_epoch(plan.epoch(0, y))
        ends[wd] = engine.export()[0]
    # Same Adam step (the gradients do not see the decay), plus -lr * wd * W_0.
    for w0, plain, decayed in zip(net.coefs, ends[0.0].coefs, ends[0.5].coefs):
        np.testing.assert_allclose(decayed, plain - 0.1 * 0.5 * w0, rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(ends[0.0].bn_scales[0], ends[0.5].bn_scales[0])


def test_partial_fit_continues_a_fit_that_used_early_stopping():
    from skbn import BNMLPClassifier

    X = np.random.default_rng(0).normal(size=(60, 3))
    y = np.arange(60) % 2
    model = BNMLPClassifier((4,), max_iter=3, early_stopping=True, random_state=0).fit(X, y)
    assert model.best_loss_ is None
    model.partial_fit(X, y)
    assert model.n_iter_ == 4 and model.best_loss_ == model.loss_curve_[-1]


@pytest.mark.parametrize(
    "key", [(0, 1, 0), (2**31 - 1, 3, 17, 5), (2**32 - 1, 2, 9, 4), (2**40, 1, 2, 3)]
)
def test_streams_are_the_seed_sequences_of_their_keys(key):
    """A stream is ``SeedSequence([seed, purpose, epoch(, member)])``, however
    the key reaches it: the random path of a fit does not depend on how it is built."""
    from skbn._plan import _stream

    expected = np.random.default_rng(np.random.SeedSequence(list(key))).integers(2**62, size=4)
    np.testing.assert_array_equal(_stream(*key).integers(2**62, size=4), expected)


def test_seed_words_are_those_of_numpys_seed_sequence():
    """The vectorised SeedSequence hash gives numpy's words for keys of four
    words anywhere in the uint32 range, and for keys of three (a fourth 0)."""
    from skbn._plan import _seed_words

    keys = np.random.default_rng(0).integers(0, 2**32, size=(200, 4), dtype=np.uint64)
    keys[:4] = [[0, 0, 0, 0], [2**32 - 1] * 4, [1, 2, 3, 0], [2**32 - 1, 0, 2**32 - 1, 0]]
    words = _seed_words(keys.astype(np.uint32))
    for key, got in zip(keys.tolist(), words):
        seeds = [np.random.SeedSequence(key)] + (
            [np.random.SeedSequence(key[:3])] if key[3] == 0 else []
        )
        for seq in seeds:
            np.testing.assert_array_equal(got, seq.generate_state(4, np.uint64))


@pytest.mark.parametrize("seed", [0, 2**31 - 2, 2**32 - 1])
@pytest.mark.parametrize("offset", [0, 24])
def test_shuffle_streams_are_the_keyed_streams(seed, offset):
    """Each member's shuffle stream of an epoch, seeded with a block of epochs
    and reseeding one generator, is ``_stream(seed, purpose, epoch, member)``:
    the same state and draws, across blocks and with a member offset."""
    from skbn._plan import _EPOCH_BLOCK, _SHUFFLE, _stream

    plan = TrainingPlan(
        seed=seed,
        batch_size=4,
        shuffle=True,
        merge_singleton=True,
        dropout=0.0,
        n_members=3,
        member_offset=offset,
    )
    for epoch in (0, 1, _EPOCH_BLOCK - 1, _EPOCH_BLOCK, 5 * _EPOCH_BLOCK + 3, 2, 2**32 - 2):
        for member in range(3):
            expected = _stream(seed, _SHUFFLE, epoch, member + offset)
            got = plan._shuffle_stream(epoch, member)
            assert got.bit_generator.state == expected.bit_generator.state
            np.testing.assert_array_equal(got.permutation(50), expected.permutation(50))
