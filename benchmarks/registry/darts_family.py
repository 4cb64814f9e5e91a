"""The 15 benchmarks of the ROME paper (BENCHMARKS.md §1.1): DARTS-family spaces, real-training backend.

S0 (DARTS without `none`) on CIFAR-10 / CIFAR-100 / ImageNet; RobustDARTS S1–S4 on CIFAR-10 /
CIFAR-100 / SVHN. No table judges these cells: the derived genotype is trained from scratch with
the benchmark's evaluation protocol (`Profile.evaluation`). Settings are ALGORITHMS.md §1.2 and
§2; where the papers leave a value open, the DARTS value is used and the comment says so.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from benchmarks.registry.profiles import Benchmark, Profile

# DARTS search setting (Liu et al., 2019), shared by every DARTS-family space: 8 cells, C=16,
# stem multiplier 3; weight SGD 0.025 cosine to 0.001, momentum 0.9, wd 3e-4, clip 5;
# arch Adam 3e-4, betas (0.5, 0.999), wd 1e-3; batch 64; CIFAR train set split 50/50.
_SEARCH_NETWORK: dict[str, Any] = {"channels": 16, "layers": 8, "stem_multiplier": 3, "affine": False}
_SEARCH_TRAIN: dict[str, Any] = {
    "batch_size": 64,
    "lr": 0.025,
    "lr_min": 0.001,
    "momentum": 0.9,
    "nesterov": False,
    "weight_decay": 3e-4,
    "grad_clip": 5.0,
    "arch_lr": 3e-4,
    "arch_beta1": 0.5,
    "arch_beta2": 0.999,
    "arch_weight_decay": 1e-3,
}
# PC-DARTS's published search setting (ALGORITHMS.md §2.3); ROME: weight lr 0.05 (§2.4; batch,
# weight decay and schedule are open there, so DARTS's are kept).
_SEARCHER_TRAIN: dict[str, dict[str, Any]] = {
    "pcdarts": {"batch_size": 256, "lr": 0.1, "lr_min": 0.0, "arch_lr": 6e-4},
    "rome": {"lr": 0.05},
}
# GDAS in the DARTS cell space: 250 search epochs, the authors' own search config for that space
# (AutoDL-Projects configs/search-opts/GDAS-NASNet-CIFAR.config); the 240 once noted here was not confirmed.
# The others 50, each from its released code: DARTS-ES/ADA (RobustDARTS src/search/args.py --epochs 50),
# SDARTS-RS (SmoothDARTS sota/cnn/train_search.py), DARTS- (src/search/args.py), DrNAS (DARTS-space
# train_search.py: 25 + 25 progressive epochs; nash's drnas has no progressive stages, see searchers/drnas.py).
_PAPER_EPOCHS = {"default": 50, "gdas": 250}
_PAPER_OPTIONS: dict[str, dict[str, Any]] = {"pcdarts": {"k": 4, "warmup_epochs": 15}, "rome": {"k": 7}}

# Evaluation from scratch (ALGORITHMS.md §1.2). CIFAR: 20 cells, C=36, 600 epochs, batch 96, SGD
# 0.025 cosine, wd 3e-4, cutout 16, auxiliary 0.4, drop-path 0.2, clip 5.
_EVAL_CIFAR: dict[str, Any] = {
    "network": "cifar",
    "layers": 20,
    "channels": 36,
    "epochs": 600,
    "batch_size": 96,
    "lr": 0.025,
    "lr_min": 0.0,
    "lr_schedule": "cosine",
    "warmup_epochs": 0,
    "momentum": 0.9,
    "weight_decay": 3e-4,
    "grad_clip": 5.0,
    "auxiliary_weight": 0.4,
    "drop_path": 0.2,
    "cutout": 16,
    "label_smoothing": 0.0,
    "train_per_class": None,
    "test_per_class": None,
}
# ImageNet (PC-DARTS protocol): 14 cells, C=48, 250 epochs, batch 1024, lr 0.5 with 5 warm-up
# epochs then linear decay, wd 3e-5, label smoothing 0.1, auxiliary 0.4, no cutout.
_EVAL_IMAGENET: dict[str, Any] = {
    **_EVAL_CIFAR,
    "network": "imagenet",
    "resolution": 224,  # RandomResizedCrop side in training; test: resize to 256, centre crop 224
    "layers": 14,
    "channels": 48,
    "epochs": 250,
    "batch_size": 1024,
    "lr": 0.5,
    "lr_schedule": "linear",
    "warmup_epochs": 5,
    "weight_decay": 3e-5,
    "drop_path": 0.0,
    "cutout": 0,
    "label_smoothing": 0.1,
}
# RobustDARTS evaluates CIFAR-100 and SVHN cells with 8 cells, C=16 (ALGORITHMS.md §1.2; the rest
# of their code defaults is open, so the DARTS CIFAR protocol is kept); CIFAR-10 uses 20 / 36.
_EVAL_ROBUSTDARTS_SMALL: dict[str, Any] = {**_EVAL_CIFAR, "layers": 8, "channels": 16}

# Quick: the same code scaled for 2 CPU cores (depthwise convolutions are slow on CPU: a DARTS
# step in S0 costs ~4 s at this size). Search: 3 cells (normal, reduce, reduce), C=8, batch 32,
# 200 class-balanced images (100 + 100 after the split: 3 steps per epoch); evaluation: 6 cells, C=8,
# 2 epochs on 100 train / 20 test images per class.
_QUICK_NETWORK: dict[str, Any] = {"channels": 8, "layers": 3, "stem_multiplier": 3, "affine": False}
_QUICK_TRAIN: dict[str, Any] = {**_SEARCH_TRAIN, "batch_size": 32, "arch_lr": 1e-2}
_QUICK_IMAGES = 200  # search images in all (both halves): 20 per class on 10 classes, 2 on CIFAR-100
# DARTS-ES / DARTS-ADA quick: 3 epochs (second order) with the stop rule scaled down so it can act in them:
# the eigenvalue after every epoch, no averaging (window 1), the last two compared (delta 1), from epoch 0.
# Their paper profile is RobustDARTS' own rule (the searchers' defaults: every 2, window 5, delta 4, from 10).
QUICK_EIGEN_STOP: dict[str, Any] = {"eigenvalue_every": 1, "window": 1, "delta": 1, "start_epoch": 0}
_QUICK_EPOCHS = {"default": 2, "darts-v2": 1, "gdas": 4, "pcdarts": 3, "rome": 2, "darts-es": 3, "darts-ada": 3}
_QUICK_OPTIONS: dict[str, dict[str, Any]] = {
    "pcdarts": {"k": 4, "warmup_epochs": 1},
    "rome": {"k": 2},
    "darts-es": QUICK_EIGEN_STOP,
    "darts-ada": QUICK_EIGEN_STOP,
}
_QUICK_EVAL: dict[str, Any] = {
    **_EVAL_CIFAR,
    "layers": 6,
    "channels": 8,
    "epochs": 2,
    "batch_size": 64,
    "train_per_class": 100,
    "test_per_class": 20,
}

# ImageNet quick: the ImageNet network and schedule (two-stage stem, linear lr with warm-up, label
# smoothing) scaled like _QUICK_EVAL, streamed at 64 px instead of 224 (~12x fewer pixels to decode and
# convolve), 2 train / 1 val images per class. lr 0.5 at batch 1024 scaled linearly to batch 32. No
# auxiliary head: at 64 px its input is 2x2, too small for its 5x5 pool (it needs >= 7x7, i.e. >= 208 px).
_QUICK_EVAL_IMAGENET: dict[str, Any] = {
    **_EVAL_IMAGENET,
    "layers": 6,
    "channels": 8,
    "epochs": 2,
    "batch_size": 32,
    "lr": 0.5 * 32 / 1024,
    "warmup_epochs": 1,
    "auxiliary_weight": 0.0,
    "resolution": 64,
    "train_per_class": 2,
    "test_per_class": 1,
}
# RobustDARTS' search (Zela et al., ICLR 2020), the setting behind the ROME S1–S4 table's DARTS, DARTS-ES and
# DARTS-ADA columns, for darts-v2 / darts-es / darts-ada (second order: scripts/DARTS_search.sh passes
# --unrolled). Values from automl/RobustDARTS src/search/args.py defaults: 50 epochs, batch 64, 8 layers,
# C=16, 4 nodes, SGD lr 0.025 cosine to 0.001 (learning_rate_min), momentum 0.9, weight decay 3e-4, clip 5,
# train_portion 0.5; src/search/architect.py: arch Adam 3e-4, betas (0.5, 0.999), weight decay 1e-3 — the
# DARTS values above. Both halves get the training transform (crop + flip; args.py get_train_val_loaders).
# Cutout: the scripts pass --cutout, but args.py's Helper turns it off when drop_path_prob is 0 ("set cutout
# to False if the drop_prob is 0"), and the DARTS / ES / ADA runs use drop_path_prob 0.0
# (scripts/DARTS-ADA_search.sh; the 0.0_0.0003 cell of scripts/start_search.sh), so it is off here;
# `--set data.cutout=16` searches with it (their drop-path runs also ramp its probability from 0 to 1,
# which needs a search network with drop path). Kept apart from their code: their split is the first and
# second half of the train set in file order, nash's the class-balanced halves (split_seed 0).
_RDARTS_EPOCHS = {"default": 50}
_RDARTS_CUTOUT = 0
# Direct ImageNet search (PC-DARTS / ROME): the search network's stem is three stride-2 convs (224 -> 28).
_IMAGENET_STEM: dict[str, Any] = {"stem": "imagenet"}

_DATASETS = {  # benchmark suffix -> (dataset, classes, search split, paper evaluation)
    "cifar10": ("cifar10", 10, "train_halves", _EVAL_CIFAR),
    "cifar100": ("cifar100", 100, "train_halves", _EVAL_ROBUSTDARTS_SMALL),
    "svhn": ("svhn", 10, "train_halves", _EVAL_ROBUSTDARTS_SMALL),
    "imagenet": ("imagenet", 1000, "imagenet_subsets", _EVAL_IMAGENET),
}
_SPACES = {
    "s0": "S0: the DARTS space without `none` (7 ops; ROME, NAS-Bench-301)",
    "s1": "S1 (RobustDARTS): two ops per edge, chosen per edge and per cell type",
    "s2": "S2 (RobustDARTS): skip_connect or sep_conv_3x3 on every edge",
    "s3": "S3 (RobustDARTS): none, skip_connect or sep_conv_3x3 on every edge",
    "s4": "S4 (RobustDARTS): noise or sep_conv_3x3 on every edge",
}


def _benchmark(space: str, suffix: str) -> Benchmark:
    dataset, classes, split, evaluation = _DATASETS[suffix]
    # S0 on CIFAR-100 is a DARTS-protocol benchmark (20 cells, C=36), not a RobustDARTS one.
    if space == "s0" and suffix == "cifar100":
        evaluation = _EVAL_CIFAR
    imagenet = suffix == "imagenet"
    stem = _IMAGENET_STEM if imagenet else {}
    stem_text = "; ImageNet stem, 224 px -> 28 at the cells" if imagenet else ""
    quick_eval = _QUICK_EVAL_IMAGENET if imagenet else _QUICK_EVAL
    quick_eval_text = (
        f"evaluation {quick_eval['layers']} cells, C={quick_eval['channels']}, {quick_eval['epochs']} epochs"
        + (f" at {quick_eval['resolution']} px, streamed" if imagenet else "")
    )
    needs_data = "" if dataset == "cifar10" else "; needs the dataset"
    quick_per_class = max(1, _QUICK_IMAGES // classes)
    robustdarts = {"rdarts": _rdarts_profile(evaluation, needs_data)} if space in ("s1", "s2", "s3", "s4") else {}
    if space in ("s1", "s2", "s3", "s4") and suffix == "cifar10":
        robustdarts["study"] = _study_profile(quick_eval)
    return Benchmark(
        name=f"{space}-{suffix}",
        space=space,
        dataset=dataset,
        num_classes=classes,
        backend="train",
        search_split=split,
        description=f"{_SPACES[space]} on {dataset}; the derived cell is trained from scratch",
        profiles={
            "paper": Profile(
                name="paper",
                description=f"DARTS search setting (8 cells, C=16, 50 epochs; GDAS 250{stem_text}) and the published "
                f"evaluation ({evaluation['layers']} cells, C={evaluation['channels']}, "
                f"{evaluation['epochs']} epochs){needs_data}",
                network={**_SEARCH_NETWORK, **stem},
                train=dict(_SEARCH_TRAIN),
                epochs=dict(_PAPER_EPOCHS),
                data={"source": "full", "train_per_class": None},
                searcher_options=_PAPER_OPTIONS,
                searcher_train=_SEARCHER_TRAIN,
                evaluation=dict(evaluation),
            ),
            "quick": Profile(
                name="quick",
                description=f"same code scaled for 2 CPU cores: 3 cells, C=8{stem_text}, batch 32, {quick_per_class} "
                f"images per class, a few search epochs, arch lr 1e-2; {quick_eval_text}{needs_data}",
                network={**_QUICK_NETWORK, **stem},
                train=dict(_QUICK_TRAIN),
                epochs=dict(_QUICK_EPOCHS),
                data={
                    "source": "embedded" if dataset == "cifar10" else "full",
                    "train_per_class": quick_per_class,
                },
                searcher_options=_QUICK_OPTIONS,
                evaluation=dict(quick_eval),
            ),
            **robustdarts,
        },
    )


# Study (docs/STUDY.md, issue 17): RobustDARTS' S1–S4 on CIFAR-10 at the scale 2 shared CPU cores allow,
# with the nb201-cifar10 study's budget: 160 arch updates for every searcher (4 epochs x 40 steps of 64;
# PC-DARTS one weight-only warm-up epoch more). 5 cells (normal, reduce, normal, reduce, normal): the
# smallest network with more than one normal cell, whose parameter-free share the ROME table counts.
_STUDY_NETWORK: dict[str, Any] = {"channels": 8, "layers": 5, "stem_multiplier": 3, "affine": False}
# Batch 64 as the paper; arch lr 1e-2 as quick (160 Adam steps at 3e-4 leave α near uniform). One
# optimiser setting for all searchers (PC-DARTS's batch 256 / lr 0.1 would give it 4x fewer arch steps).
_STUDY_TRAIN: dict[str, Any] = {**_SEARCH_TRAIN, "arch_lr": 1e-2}
_STUDY_EPOCHS = {"default": 4, "pcdarts": 5}
_STUDY_OPTIONS: dict[str, dict[str, Any]] = {"pcdarts": {"k": 4, "warmup_epochs": 1}, "rome": {"k": 2}}


def _study_profile(evaluation: dict[str, Any]) -> Profile:
    return Profile(
        name="study",
        description="collapse study at the scale 2 shared CPU cores allow (docs/STUDY.md): 5 cells, C=8, "
        "batch 64, the embedded 5,000-image CIFAR-10 subset in halves, arch lr 1e-2, 160 arch steps for "
        f"every searcher (4 epochs; PC-DARTS 5 with 1 warm-up; ROME K=2); evaluation as quick "
        f"({evaluation['layers']} cells, C={evaluation['channels']}, {evaluation['epochs']} epochs)",
        network=dict(_STUDY_NETWORK),
        train=dict(_STUDY_TRAIN),
        epochs=dict(_STUDY_EPOCHS),
        data={"source": "embedded", "train_per_class": 500},  # ships with nash: reproducible from a fresh clone
        searcher_options=_STUDY_OPTIONS,
        evaluation=dict(evaluation),
    )


def _rdarts_profile(evaluation: dict[str, Any], needs_data: str) -> Profile:
    return Profile(
        name="rdarts",
        description="RobustDARTS' search setting for darts-v2 / darts-es / darts-ada (the ROME table's DARTS, "
        "DARTS-ES, DARTS-ADA): 8 cells, C=16, 50 epochs, batch 64, no cutout (their runs with drop path 0); "
        f"the published evaluation ({evaluation['layers']} cells, C={evaluation['channels']}){needs_data}",
        network=dict(_SEARCH_NETWORK),
        train=dict(_SEARCH_TRAIN),
        epochs=dict(_RDARTS_EPOCHS),
        data={"source": "full", "train_per_class": None, "cutout": _RDARTS_CUTOUT},
        evaluation=dict(evaluation),
    )


# Direct ImageNet search (`s0-imagenet`, paper profile), per searcher as published. Sources: the ROME paper's
# ImageNet search (ROME 30 epochs, K=3, batch 256; GDAS rerun for 90 epochs; DARTS out of GPU memory at batch
# >= 32), and PC-DARTS's released search, yuhuixu1993/PC-DARTS `train_search_imagenet.py` (argparse defaults
# and loop) with `model_search_imagenet.py` (K=2 partial channels, stem width stem_multiplier·C = 48) and its
# README (10% / 2.5% of every class for weights / architecture). Values a paper leaves open keep the DARTS
# search setting above, and say so in the notes.
_IMAGENET_EPOCHS = {"default": 50, "gdas": 90, "rome": 30, "pcdarts": 50}
_IMAGENET_SEARCH_OPTIONS: dict[str, dict[str, Any]] = {
    "rome": {"k": 3},
    "pcdarts": {"k": 2, "warmup_epochs": 35},  # --begin 35: arch updates from epoch 35
}
_IMAGENET_SEARCHER_TRAIN: dict[str, dict[str, Any]] = {
    "rome": {"batch_size": 256, "lr": 0.05},  # lr: ROME's search lr (no separate ImageNet value published)
    "pcdarts": {
        "batch_size": 1024,
        "lr": 0.5,
        "lr_min": 0.0,
        "weight_decay": 3e-4,
        "arch_lr": 6e-3,
        "arch_weight_decay": 1e-3,
        "lr_warmup_epochs": 5,  # lr·(epoch+1)/5 for epochs 0-4 (batch > 256)
        "arch_grad_clip": 5.0,  # clip_grad_norm_ of the arch parameters at --grad_clip
    },
}
_IMAGENET_SEARCHER_DATA: dict[str, dict[str, Any]] = {
    "pcdarts": {"imagenet_weight_fraction": 0.1, "imagenet_arch_fraction": 0.025},
}
_IMAGENET_UNPUBLISHED = {
    name: f"the ROME paper ran no direct ImageNet search with {name} (DARTS is out of GPU memory there at batch >= 32)"
    for name in ("darts", "darts-v2")
}
_IMAGENET_NOTES = (
    "network: 8 cells, C=16, ImageNet stem of width stem_multiplier·C (3 -> 24 -> 48), 224 px -> 28 at the cells "
    "(PC-DARTS model_search_imagenet.py); weights and architecture on 10% + 10% of every class",
    "rome: 30 epochs, K=3, batch 256 (ROME paper, ImageNet search); weight lr 0.05 (its search lr; no ImageNet "
    "value given); the rest DARTS's search setting",
    "gdas: 90 epochs (ROME paper's GDAS rerun on ImageNet); batch, lr and tau not given: DARTS's search "
    "setting, tau 10 -> 0.1",
    "pcdarts: as released (yuhuixu1993/PC-DARTS train_search_imagenet.py): 50 epochs, batch 1024, SGD lr 0.5 "
    "cosine to 0 after 5 warm-up epochs, wd 3e-4, clip 5; arch Adam 6e-3 (wd 1e-3) from epoch 35, arch grads "
    "clipped at 5; K=2; 10% / 2.5% of every class for weights / architecture (its README)",
    "darts, darts-v2: refused, no published setting (ROME paper: out of GPU memory at batch >= 32); "
    "--set train.batch_size=N runs DARTS's search setting at that batch anyway",
)


def _with_imagenet_search(benchmark: Benchmark) -> Benchmark:
    """s0-imagenet with the direct ImageNet search as published per searcher in its paper profile."""
    paper = benchmark.profiles["paper"]
    paper = dataclasses.replace(
        paper,
        description="direct ImageNet search as published per searcher (below), 224 px, ImageNet stem; the "
        f"published evaluation ({paper.evaluation['layers']} cells, C={paper.evaluation['channels']}, "
        f"{paper.evaluation['epochs']} epochs); needs the dataset",
        epochs=dict(_IMAGENET_EPOCHS),
        searcher_options=_IMAGENET_SEARCH_OPTIONS,
        searcher_train=_IMAGENET_SEARCHER_TRAIN,
        searcher_data=_IMAGENET_SEARCHER_DATA,
        unpublished=_IMAGENET_UNPUBLISHED,
        notes=_IMAGENET_NOTES,
    )
    return dataclasses.replace(benchmark, profiles={**benchmark.profiles, "paper": paper})


DARTS_FAMILY_BENCHMARKS: tuple[Benchmark, ...] = (
    _benchmark("s0", "cifar10"),
    _benchmark("s0", "cifar100"),
    _with_imagenet_search(_benchmark("s0", "imagenet")),
    *(_benchmark(space, suffix) for suffix in ("cifar10", "cifar100", "svhn") for space in ("s1", "s2", "s3", "s4")),
)
