"""s0-imagenet's paper profile: each searcher's direct ImageNet search as published, and no unpublished one."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from benchmarks.errors import NashError
from benchmarks.nb201.space import Nb201Space
from benchmarks.registry.catalog import BENCHMARKS
from harness.cli.main import main
from harness.config.run_config import apply_overrides, check_published_setting, resolve_config
from harness.run.data import load_search_sets
from searchers.base import TrainConfig
from searchers.gdas import Gdas, GdasOptions
from tests.benchmarks.dataset_files import write_imagenet_folders


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("NASH_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def paper(searcher: str, tmp_path):
    return resolve_config("s0-imagenet", searcher, "paper", data=str(tmp_path))


def test_each_searcher_gets_its_published_imagenet_search(tmp_path):
    rome, gdas, pcdarts = (paper(name, tmp_path) for name in ("rome", "gdas", "pcdarts"))
    # ROME paper: 30 epochs, K=3, batch 256; GDAS rerun for 90 epochs.
    assert (rome.train.epochs, rome.searcher_options["k"], rome.train.batch_size) == (30, 3, 256)
    assert gdas.train.epochs == 90
    # PC-DARTS train_search_imagenet.py / model_search_imagenet.py / README.
    t = pcdarts.train
    assert (t.epochs, t.batch_size, t.lr, t.lr_min, t.weight_decay, t.grad_clip) == (50, 1024, 0.5, 0.0, 3e-4, 5.0)
    assert (t.arch_lr, t.arch_weight_decay, t.lr_warmup_epochs, t.arch_grad_clip) == (6e-3, 1e-3, 5, 5.0)
    assert (t.momentum, t.nesterov) == (0.9, False)
    assert pcdarts.searcher_options == {"k": 2, "warmup_epochs": 35}
    assert (pcdarts.data.imagenet_weight_fraction, pcdarts.data.imagenet_arch_fraction) == (0.1, 0.025)
    assert (rome.data.imagenet_weight_fraction, rome.data.imagenet_arch_fraction) == (0.1, 0.1)
    for config in (rome, gdas, pcdarts):
        net = config.network
        assert (net.stem, net.channels, net.layers, net.stem_multiplier) == ("imagenet", 16, 8, 3)
    # Only this profile has these settings: the CIFAR ones keep the DARTS-space values.
    assert resolve_config("s0-cifar10", "rome", "quick").train.lr_warmup_epochs == 0


def test_the_searchers_subsets_come_from_their_fractions(tmp_path, monkeypatch):
    write_imagenet_folders(tmp_path, classes=2, per_class=40)
    # Two class folders stand in for ImageNet's 1000; search data must cover every class of its benchmark.
    monkeypatch.setitem(BENCHMARKS, "s0-imagenet", dataclasses.replace(BENCHMARKS["s0-imagenet"], num_classes=2))
    folder = tmp_path / "imagenet"
    pc_weight, pc_arch = load_search_sets(paper("pcdarts", folder))
    rome_weight, rome_arch = load_search_sets(paper("rome", folder))
    assert np.bincount(pc_weight.labels).tolist() == [4, 4] and np.bincount(pc_arch.labels).tolist() == [1, 1]
    assert np.bincount(rome_arch.labels).tolist() == [4, 4]
    np.testing.assert_array_equal(pc_weight.images, rome_weight.images)  # the same 10% for the weights


def test_darts_on_imagenet_is_refused_unless_its_batch_size_is_chosen(tmp_path, capsys):
    for name in ("darts", "darts-v2"):
        with pytest.raises(NashError, match=f"has no {name} setting: the ROME paper ran no direct ImageNet search"):
            check_published_setting(paper(name, tmp_path))
    chosen = apply_overrides(paper("darts", tmp_path), ["train.batch_size=16"])
    check_published_setting(chosen)  # an explicit, unpublished batch size runs knowingly
    check_published_setting(paper("pcdarts", tmp_path))
    check_published_setting(resolve_config("s0-imagenet", "darts", "quick", data=str(tmp_path)))

    out = tmp_path / "runs"
    argv = ["search", "--benchmark", "s0-imagenet", "--searcher", "darts", "--profile", "paper"]
    assert main([*argv, "--data", str(tmp_path), "--out", str(out)]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "--set train.batch_size=N" in error and not out.exists()


def test_nash_benchmarks_shows_the_imagenet_settings_with_their_sources(capsys):
    assert main(["benchmarks"]) == 0
    block = capsys.readouterr().out.split("s0-imagenet", 1)[1].split("s1-cifar10", 1)[0]
    for text in ("30 epochs, K=3, batch 256 (ROME paper", "gdas: 90 epochs", "train_search_imagenet.py", "2.5%"):
        assert text in block
    assert "darts, darts-v2: refused" in block


def test_lr_warm_up_and_arch_clip_of_the_train_config(one_thread):
    """PC-DARTS's ImageNet loop: lr·(e+1)/5 in epochs 0-4, then the cosine value; arch grads clipped."""
    torch.manual_seed(0)
    space = Nb201Space()
    net = space.build_supernet(channels=4, cells_per_stage=1, num_classes=10, affine=False)
    train = TrainConfig(epochs=50, lr=0.5, lr_min=0.0, lr_warmup_epochs=5, arch_grad_clip=1e-3)
    searcher = Gdas(space, net, train, GdasOptions())
    lrs = []
    for epoch in (0, 4, 5, 49):
        searcher.new_epoch(epoch, 50)
        lrs.append(searcher.weight_optimizer.param_groups[0]["lr"])
    cosine = [0.25 * (1 + np.cos(np.pi * e / 50)) for e in (5, 49)]
    np.testing.assert_allclose(lrs, [0.1, 0.5, *cosine])
    generator = torch.Generator().manual_seed(1)
    batch = (torch.randn(4, 3, 8, 8, generator=generator), torch.randint(0, 10, (4,), generator=generator))
    searcher.arch_step(batch, searcher.sample_mixer(True))
    assert float(searcher.alpha.grad.norm()) <= 1e-3 * (1 + 1e-6)
    unclipped = Gdas(space, net, dataclasses.replace(train, arch_grad_clip=0.0), GdasOptions())
    unclipped.arch_step(batch, unclipped.sample_mixer(True))
    assert float(unclipped.alpha.grad.norm()) > 1e-3
