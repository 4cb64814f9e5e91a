"""Everything a searcher plug-in imports, in one place (docs/PLUGINS.md): the stable plug-in surface.

Names in `__all__` keep their meaning within a major version of PLUGIN_API_VERSION: a change that could
break a plug-in raises the major number, additions raise the minor one. `run.json` records the version
a run was made with (`versions.nash_plugin_api`). Anything imported from elsewhere in nash is internal
and may change without notice.
"""

from benchmarks.errors import NashError
from searchers.arch_weights import ArchWeights
from searchers.base import (
    Batch,
    BilevelSearcher,
    EpochDecision,
    EpochEnd,
    Searcher,
    StepStats,
    TrainConfig,
    batch_sums,
    cosine_lr,
)
from searchers.darts import Darts, DartsOptions
from searchers.gdas import Gdas, GdasOptions
from searchers.mixing import (
    EdgeScaledMixer,
    FixedArchMixer,
    SingleOpMixer,
    SoftmaxMixer,
    gumbel_softmax_hard,
    sample_gumbel,
)

PLUGIN_API_VERSION = "1.0"

__all__ = [
    "PLUGIN_API_VERSION",
    "ArchWeights",
    "Batch",
    "BilevelSearcher",
    "Darts",
    "DartsOptions",
    "EdgeScaledMixer",
    "EpochDecision",
    "EpochEnd",
    "FixedArchMixer",
    "Gdas",
    "GdasOptions",
    "NashError",
    "Searcher",
    "SingleOpMixer",
    "SoftmaxMixer",
    "StepStats",
    "TrainConfig",
    "batch_sums",
    "cosine_lr",
    "gumbel_softmax_hard",
    "sample_gumbel",
]
