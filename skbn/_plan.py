"""Everything random about training, decided once in NumPy from ``random_state``.

Initial weights, the rows of each batch of each epoch (drawn by the batch
sampler of :mod:`skbn._batch_sampling`), the batch boundaries and the dropout
masks come from here, never from an engine. Every engine therefore
walks the same path and the engines can be tested against each other.

Random streams are keyed by ``(seed, purpose, epoch)``, so epoch ``k`` of a fit
draws the same shuffle and masks whether it is reached by ``fit`` or by the
``k``-th call of ``partial_fit``.
"""

from dataclasses import dataclass, field

import numpy as np

from ._batch_sampling import BATCH_SAMPLERS
from ._network import ACTIVATIONS, Network

__all__ = ["EpochPlan", "TrainingPlan", "batch_bounds", "init_network"]

# The shuffle stream also draws class-aware batches; the subset stream draws
# each member's fixed subset (for remedies that draw one), or one partition
# shared by a kind's members; the walk stream orders a member's subset when
# it is larger than an epoch.
_INIT, _SHUFFLE, _DROPOUT, _SUBSET, _OUT_OF_BAG, _WALK, _PARTITION = range(7)
# The members' shuffle streams are seeded this many epochs at a time.
_EPOCH_BLOCK = 16


# numpy's SeedSequence hash and PCG64 seeding, vectorised over many keys. A
# Generator from default_rng costs ~15 us, a balanced member's shuffle ~3:
# with a stream per member and epoch, planning an epoch of a small table took
# 0.6 ms beside its one training step's 1.5. NEP 19 fixes both algorithms'
# output across NumPy versions; the tests compare the states with numpy's own.
_MASK32, _MASK128 = 0xFFFFFFFF, (1 << 128) - 1
_MIX_L, _MIX_R = np.uint32(0xCA01F9DD), np.uint32(0x4973F715)
_PCG64_MULT = 0x2360ED051FC65DA44385DF649FCCF645


def _hash_constants(init, mult, n):
    # SeedSequence's running hash constant: init, init * mult, ... (mod 2**32).
    out = [init]
    for _ in range(n):
        out.append((out[-1] * mult) & _MASK32)
    return np.array(out, dtype=np.uint32)


_HASH_A = _hash_constants(0x43B0D7E5, 0x931E8875, 16)  # mixing a key into a pool of 4
_HASH_B = _hash_constants(0x8B51F9DD, 0x58F38DED, 8)  # drawing 8 words from the pool


def _hashmix(value, consts, i):
    value = (value ^ consts[i]) * consts[i + 1]
    return value ^ (value >> np.uint32(16))


def _seed_words(keys):
    """``SeedSequence(key).generate_state(4, np.uint64)`` for each row of
    ``keys``, an ``(n, 4)`` uint32 array (a key of three words is the same
    key ending in 0: SeedSequence pads its pool of four with zeros)."""
    pool = [_hashmix(keys[:, i], _HASH_A, i) for i in range(4)]
    calls = 4
    for src in range(4):
        for dst in range(4):
            if src != dst:
                mixed = _MIX_L * pool[dst] - _MIX_R * _hashmix(pool[src], _HASH_A, calls)
                pool[dst] = mixed ^ (mixed >> np.uint32(16))
                calls += 1
    words = np.stack([_hashmix(pool[i % 4], _HASH_B, i) for i in range(8)], axis=1)
    return words.view("<u8")  # little-endian pairs of uint32


def _reseed(bit_generator, words):
    """Put ``bit_generator`` (a PCG64) in the state ``PCG64(seed_sequence)``
    starts from, ``words`` its ``generate_state(4, np.uint64)``: the first two
    are the LCG's initial state, the last two its stream."""
    high, low, inc_high, inc_low = words
    inc = ((((inc_high << 64) | inc_low) << 1) | 1) & _MASK128
    state = (((inc + ((high << 64) | low)) & _MASK128) * _PCG64_MULT + inc) & _MASK128
    bit_generator.state = {
        "bit_generator": "PCG64",
        "state": {"state": state, "inc": inc},
        "has_uint32": 0,
        "uinteger": 0,
    }


def _stream(seed, purpose, epoch=0, member=0):
    # Member 0 keeps the key of a single network, so that member 0 of an
    # ensemble walks the path the same random_state gives without one.
    key = [seed, purpose, epoch] + ([member] if member else [])
    if 0 <= min(key) and max(key) < 2**32:
        # The words SeedSequence makes of these ints, without its slow coercion
        # of a list: a fit draws a stream per member and epoch.
        key = np.array(key, dtype=np.uint32)
    return np.random.default_rng(np.random.SeedSequence(key))


def init_network(seed, layer_sizes, activation, batch_norm, dtype, n_members=1):
    """Glorot-uniform weights as in scikit-learn's MLPs (gain for logistic).

    Intercepts start at zero (scikit-learn draws them, but with BN they are
    fixed at zero and one rule for both settings keeps the two comparable);
    BN starts as the identity: ``gamma = 1``, ``beta = 0``, running mean 0 and
    running variance 1, as in PyTorch.

    With ``n_members > 1`` each member is initialised from its own stream and
    the arrays are stacked on a leading member axis; member 0 is the network
    that ``n_members=1`` gives.
    """
    if n_members > 1:
        members = [
            _init_member(seed, j, layer_sizes, activation, batch_norm, dtype)
            for j in range(n_members)
        ]
        # For each kind of array (coefs, intercepts, BN ...), stack layer by layer.
        kinds = zip(*(m._lists() for m in members))
        return Network(*[[np.stack(layer) for layer in zip(*kind)] for kind in kinds])
    return _init_member(seed, 0, layer_sizes, activation, batch_norm, dtype)


def _init_member(seed, member, layer_sizes, activation, batch_norm, dtype):
    rng = _stream(seed, _INIT, member=member)
    factor = ACTIVATIONS[activation].glorot_factor
    coefs, intercepts = [], []
    for fan_in, fan_out in zip(layer_sizes[:-1], layer_sizes[1:]):
        bound = np.sqrt(factor / (fan_in + fan_out))
        coefs.append(rng.uniform(-bound, bound, (fan_in, fan_out)).astype(dtype))
        intercepts.append(np.zeros(fan_out, dtype=dtype))
    net = Network(coefs, intercepts)
    if batch_norm:
        hidden = layer_sizes[1:-1]
        net.bn_scales = [np.ones(h, dtype=dtype) for h in hidden]
        net.bn_shifts = [np.zeros(h, dtype=dtype) for h in hidden]
        net.bn_running_means = [np.zeros(h, dtype=dtype) for h in hidden]
        net.bn_running_vars = [np.ones(h, dtype=dtype) for h in hidden]
    return net


def batch_bounds(n_samples, batch_size, merge_singleton):
    """Start/stop of each batch over ``n_samples`` rows.

    With ``merge_singleton`` a trailing batch of one row is merged into the
    batch before it (which then has ``batch_size + 1`` rows): a one-row batch
    has no batch variance, so BN could not normalise it with batch statistics.
    """
    starts = list(range(0, n_samples, batch_size))
    bounds = [(s, min(s + batch_size, n_samples)) for s in starts]
    last_rows = bounds[-1][1] - bounds[-1][0]
    if merge_singleton and batch_size > 1 and len(bounds) > 1 and last_rows == 1:
        bounds[-2] = (bounds[-2][0], n_samples)
        bounds.pop()
    return bounds


@dataclass
class EpochPlan:
    """The rows of one epoch and how they are cut into batches."""

    # Row indices, one per row of the epoch: a permutation of range(n_samples),
    # except for 'balanced' batches, which draw rows with replacement. Shape
    # (n_rows,), or (n_members, n_rows) when each member has its own order.
    order: np.ndarray
    bounds: list  # (start, stop) into ``order``'s last axis for each batch
    dropout_rng: np.random.Generator | None
    n_members: int = 1
    # Multiplier of the learning rate for each batch (the schedule).
    lr_factors: np.ndarray | None = None

    def __post_init__(self):
        if self.lr_factors is None:
            self.lr_factors = np.ones(len(self.bounds))

    def dropout_masks(self, n_rows, widths, keep_prob, dtype):
        """Inverted-dropout masks for one batch: 0 or ``1 / keep_prob``, of
        shape ``(n_rows, width)`` or, for an ensemble, ``(n_members, n_rows, width)``.

        Call once per batch, in batch order: the masks are a stream.
        """
        if self.dropout_rng is None:
            return None
        scale = dtype.type(1.0 / keep_prob)
        lead = (self.n_members,) if self.n_members > 1 else ()
        return [
            (self.dropout_rng.random((*lead, n_rows, w), dtype=np.float32) < keep_prob).astype(
                dtype
            )
            * scale
            for w in widths
        ]


@dataclass
class TrainingPlan:
    """Plans each epoch of a training run from one integer ``seed``."""

    seed: int
    batch_size: int
    shuffle: bool
    merge_singleton: bool
    dropout: float
    batch_sampler: str = "random"
    n_members: int = 1
    member_batches: str = "shared"  # or 'independent': each member its own order
    # Each member's remedy (skbn._remedies), which may draw the member a fixed
    # subset of the rows; empty for none.
    member_remedies: tuple = ()
    lr_schedule: str = "constant"
    max_epochs: int = 1
    schedule_start: int = 0  # the epoch at which the schedule starts (a fit's first)
    # The members' index in the whole network: a plan for some members of it
    # (the later kinds, training on alone) draws from their own streams.
    member_offset: int = 0
    # The members' subsets of the codes they were drawn for: drawn once per
    # plan (per fit call), not once per epoch.
    _subsets: tuple = field(default=None, init=False, repr=False, compare=False)
    # The current passes of the members' walks (:meth:`_walk`), by (member, pass).
    _passes: dict = field(default_factory=dict, init=False, repr=False, compare=False)
    # The members' shuffle streams of a block of epochs (:meth:`_shuffle_stream`).
    _shuffle_words: tuple = field(default=None, init=False, repr=False, compare=False)

    def lr_factors(self, epoch, n_batches):
        """The learning-rate multiplier of each batch of epoch ``epoch``.

        ``'cosine'`` anneals from 1 to 0 over ``max_epochs`` epochs along
        ``(1 + cos(pi * s)) / 2`` (Loshchilov & Hutter, 2017, without restarts),
        ``s`` the fraction of the budget done before the batch since
        ``schedule_start``; it stays at 0 past the budget.
        """
        if self.lr_schedule == "constant":
            return np.ones(n_batches)
        done = (epoch - self.schedule_start + np.arange(n_batches) / n_batches) / self.max_epochs
        return 0.5 * (1.0 + np.cos(np.pi * np.minimum(done, 1.0)))

    def epoch(self, epoch, codes):
        """The :class:`EpochPlan` of epoch ``epoch`` over rows of class ``codes``.

        ``shuffle=False`` keeps the rows in their order for ``'random'`` and
        within each class for ``'stratified'``; ``'balanced'`` always draws.
        With ``member_batches='independent'`` each member of an ensemble gets
        its own order from its own stream (the same batch boundaries); members
        whose remedy draws them a subset, their own order over their own fixed
        subset (:meth:`member_subset`).
        """
        random = self.shuffle or self.batch_sampler == "balanced"
        sampler = BATCH_SAMPLERS[self.batch_sampler]
        subsets_drawn = self.draws_subsets()
        members = self.n_members if self.member_batches != "shared" or subsets_drawn else 1
        if subsets_drawn:
            subsets = self.member_subsets(codes)
        else:
            subsets = [np.arange(len(codes))] * members
        # Members share the batch boundaries: an epoch is the smallest subset.
        n_rows = min(len(rows) for rows in subsets)
        bounds = batch_bounds(n_rows, self.batch_size, self.merge_singleton)
        orders = [
            rows[
                sampler(
                    codes[rows],
                    bounds,
                    self._shuffle_stream(epoch, j) if random else None,
                )
            ]
            if len(rows) == n_rows
            else self._walk(rows, j, epoch, n_rows, random)
            for j, rows in enumerate(subsets)
        ]
        order = orders[0] if members == 1 else np.stack(orders)
        rng = _stream(self.seed, _DROPOUT, epoch) if self.dropout > 0 else None
        return EpochPlan(order, bounds, rng, self.n_members, self.lr_factors(epoch, len(bounds)))

    def _shuffle_stream(self, epoch, member):
        """``_stream(seed, _SHUFFLE, epoch, member + member_offset)``, its seed
        computed with the other members' of ``_EPOCH_BLOCK`` epochs
        (:func:`_seed_words`). One generator, reseeded: each member's
        stream is used up before the next member's is drawn."""
        member += self.member_offset
        block = epoch // _EPOCH_BLOCK
        if self._shuffle_words is None or self._shuffle_words[0] != block:
            first = block * _EPOCH_BLOCK
            if max(self.seed, first + _EPOCH_BLOCK, self.member_offset + self.n_members) >= 2**32:
                return _stream(self.seed, _SHUFFLE, epoch, member)
            keys = np.zeros((_EPOCH_BLOCK, self.n_members, 4), dtype=np.uint32)
            keys[..., 0], keys[..., 1] = self.seed, _SHUFFLE
            keys[..., 2] = np.arange(first, first + _EPOCH_BLOCK)[:, None]
            keys[..., 3] = np.arange(self.n_members) + self.member_offset
            words = _seed_words(keys.reshape(-1, 4)).reshape(_EPOCH_BLOCK, self.n_members, 4)
            generator = np.random.Generator(np.random.PCG64(0))
            self._shuffle_words = (block, words, generator)
        _, words, generator = self._shuffle_words
        _reseed(
            generator.bit_generator,
            words[epoch % _EPOCH_BLOCK, member - self.member_offset].tolist(),
        )
        return generator

    def _walk(self, rows, member, epoch, n_rows, random):
        """Epoch ``epoch``'s ``n_rows`` rows of a member whose subset ``rows``
        is larger than an epoch: the next stretch of one endless walk through
        its subset, a new order (pass) each time round, so that over the epochs
        it sees every row of its subset equally often. Pass ``c`` is drawn
        from the member's walk stream keyed by ``c``: epoch ``k`` is the same
        however it is reached."""
        start = epoch * n_rows
        first, last = start // len(rows), (start + n_rows - 1) // len(rows)
        passes = [self._pass(rows, member, c) if random else rows for c in range(first, last + 1)]
        offset = start - first * len(rows)
        return np.concatenate(passes)[offset : offset + n_rows]

    def _pass(self, rows, member, c):
        """Pass ``c`` of member ``member``'s walk. A pass spans many epochs
        when the member's subset is much larger than an epoch (a fold member
        beside balanced ones): drawn once, not once per epoch, since the draw
        of a large subset's order cost more than the epoch's batches."""
        key = (member, c)
        order = self._passes.get(key)
        if order is None:
            # Epochs move forward: the member's earlier passes are done with.
            for old in [k for k in self._passes if k[0] == member and k[1] < c]:
                del self._passes[old]
            rng = _stream(self.seed, _WALK, c, member + self.member_offset)
            order = self._passes[key] = rows[rng.permutation(len(rows))]
        return order

    def member_subsets(self, codes):
        """Every member's :meth:`member_subset`, drawn on the first call for
        ``codes`` and kept for the plan's later epochs."""
        if self._subsets is None or self._subsets[0] is not codes:
            self._subsets = (codes, [self.member_subset(codes, j) for j in range(self.n_members)])
            self._passes.clear()  # they ordered the earlier subsets
        return self._subsets[1]

    def out_of_bag_mask(self, codes):
        """``mask[j, i]``: member ``j``'s subset lacks row ``i``."""
        mask = np.ones((self.n_members, len(codes)), dtype=bool)
        for j, rows in enumerate(self.member_subsets(codes)):
            mask[j, rows] = False
        return mask

    def out_of_bag(self, codes, max_per_class):
        """The rows some member did not train on, at most ``max_per_class`` of
        each class (a planned draw), and their columns of :meth:`out_of_bag_mask`."""
        mask = self.out_of_bag_mask(codes)
        candidates = np.flatnonzero(mask.any(axis=0))
        rng = _stream(self.seed, _OUT_OF_BAG)
        kept = []
        for k in np.unique(codes[candidates]):
            pool = candidates[codes[candidates] == k]
            if len(pool) > max_per_class:
                pool = np.sort(rng.choice(pool, max_per_class, replace=False))
            kept.append(pool)
        rows = np.sort(np.concatenate(kept)) if kept else candidates
        return rows, mask[:, rows]

    def draws_subsets(self):
        """Whether some member trains on a fixed subset of its own."""
        return any(r.draws_subsets() for r in self.member_remedies)

    def member_subset(self, codes, member):
        """The rows member ``member`` trains on, as its remedy draws them
        (:meth:`skbn._remedies.Remedy.member_subset`; every row for a remedy
        that draws none), from the member's own stream: drawn once, so the
        same in every epoch; sorted."""
        remedy = self.member_remedies[member]
        if not remedy.draws_subsets():
            return np.arange(len(codes))
        # A kind that partitions the rows draws the one partition every time.
        rng = (
            _stream(self.seed, _PARTITION)
            if remedy.shared_draw
            else _stream(self.seed, _SUBSET, 0, member + self.member_offset)
        )
        return remedy.member_subset(codes, rng)
