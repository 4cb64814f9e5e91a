"""The perf switches: bf16 autocast reaches the supernet's forward but not α, its mixing weights or
the losses; channels-last changes nothing but the layout; the run records what it used."""

import dataclasses
import functools
import json

import pytest
import torch
from torch import nn

import harness.run.data
from benchmarks.errors import NashError
from benchmarks.registry.spaces import get_space
from harness.cli.main import main
from harness.config.run_config import apply_overrides, resolve_config
from harness.run.runner import run_search
from searchers.base import TrainConfig
from searchers.precision import ForwardMode
from searchers.registry import SEARCHERS, get_searcher

_cached_load_cifar10 = functools.cache(harness.run.data.load_cifar10)
# Options every searcher can run one arch update with, at once, on NB201.
QUICK_OPTIONS = {"pcdarts": {"warmup_epochs": 0}, "rome": {"topology": False, "k": 2}}


@pytest.fixture(autouse=True)
def one_thread_and_cached_data(monkeypatch):
    monkeypatch.setattr(harness.run.data, "load_cifar10", _cached_load_cifar10)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def tiny_searcher(name: str, mode: ForwardMode, seed: int = 0, **options):
    torch.manual_seed(seed)
    cls = get_searcher(name)
    options = cls.options_type(**{**QUICK_OPTIONS.get(name, {}), **options})
    space = get_space("nb201")
    network = cls.build_supernet(space, num_classes=10, options=options, channels=4, cells_per_stage=1, affine=False)
    searcher = cls(space, network, TrainConfig(epochs=2, batch_size=4), options)
    searcher.configure_forward(mode)
    searcher.new_epoch(0, 2)
    return searcher


def batches(seed: int = 1):
    generator = torch.Generator().manual_seed(seed)
    make = lambda: (torch.randn(4, 3, 8, 8, generator=generator), torch.randint(0, 10, (4,), generator=generator))  # noqa: E731
    return make(), make()


def tensors_of(mixer) -> list[torch.Tensor]:
    """The tensors a mixer hands the network (nested mixers included)."""
    found = []
    for value in vars(mixer).values():
        if isinstance(value, torch.Tensor):
            found.append(value)
        elif callable(value) and hasattr(value, "__dict__") and not isinstance(value, nn.Module):
            found.extend(tensors_of(value))
    return found


@pytest.mark.parametrize("name", list(SEARCHERS))
def test_bf16_step_runs_convs_in_bf16_and_keeps_alpha_mixing_and_losses_float32(name):
    searcher = tiny_searcher(name, ForwardMode(precision="bf16"))
    conv_dtypes, mixer_tensors = set(), []
    for module in searcher.network.modules():
        if isinstance(module, nn.Conv2d):
            module.register_forward_hook(lambda _m, _i, out: conv_dtypes.add(out.dtype))
    forward = searcher.network.forward

    def spying(x, mixer):
        mixer_tensors.extend(tensors_of(mixer))
        return forward(x, mixer)

    searcher.network.forward = spying
    stats = searcher.step(*batches())
    assert torch.bfloat16 in conv_dtypes  # autocast reached the network
    assert mixer_tensors and all(t.dtype == torch.float32 for t in mixer_tensors)
    for parameter in searcher.arch_parameters():
        assert parameter.dtype == torch.float32
        assert parameter.grad is not None and parameter.grad.dtype == torch.float32
        assert torch.isfinite(parameter.grad).all()
    assert stats.train_loss_sum.dtype == torch.float32 and stats.val_loss_sum.dtype == torch.float32
    assert all(p.dtype == torch.float32 for p in searcher.network.parameters())  # master weights stay fp32


def test_fp32_is_untouched_by_the_forward_helper():
    plain, configured = tiny_searcher("darts", ForwardMode()), tiny_searcher("darts", ForwardMode())
    del configured.forward_mode  # the class default: what searchers built outside the harness use
    plain.step(*batches())
    configured.step(*batches())
    assert torch.equal(plain.alpha, configured.alpha)


def test_darts_v2_keeps_its_finite_difference_arch_step_in_float32():
    # α's gradient left by the step is the hypergradient alone only when the weight step's clip leaves α out
    # (the NB201 reference loop's clip counts α, so its bf16 weight step adds to α.grad).
    fp32 = tiny_searcher("darts-v2", ForwardMode("fp32"), clip_includes_arch=False)
    bf16 = tiny_searcher("darts-v2", ForwardMode("bf16"), clip_includes_arch=False)
    train, val = batches()
    # The arch step alone: on NB201 darts-v2's weight step then adds its own (bf16) forward's α gradient,
    # which its gradient clip counts (DARTS-V2.py clips network.parameters(), α included).
    fp32.darts_arch_step(train, val)
    bf16.darts_arch_step(train, val)
    assert torch.equal(fp32.alpha.grad, bf16.alpha.grad)  # same fp32 hypergradient, bit for bit
    fp32.mixture_weight_step(train)
    bf16.mixture_weight_step(train)
    # ...while the weight step that follows did run in bf16: the weights moved differently.
    moved = [not torch.equal(a, b) for a, b in zip(fp32.network.parameters(), bf16.network.parameters(), strict=True)]
    assert any(moved)


def test_channels_last_step_matches_the_default_layout():
    default = tiny_searcher("darts", ForwardMode())
    nhwc = tiny_searcher("darts", ForwardMode(channels_last=True))
    conv = next(m for m in nhwc.network.modules() if isinstance(m, nn.Conv2d) and m.kernel_size != (1, 1))
    assert conv.weight.is_contiguous(memory_format=torch.channels_last)
    for _ in range(3):
        train, val = batches()
        default.step(train, val)
        nhwc.step(train, val)
    torch.testing.assert_close(default.alpha, nhwc.alpha, rtol=1e-4, atol=1e-6)


def tiny_config(**perf):
    config = resolve_config("nb201-cifar10", "gdas", "quick", seed=3, epochs=2, device="cpu")
    config = dataclasses.replace(
        config,
        network=dataclasses.replace(config.network, channels=4),
        data=dataclasses.replace(config.data, train_per_class=8),
        train=dataclasses.replace(config.train, batch_size=16),
    )
    return apply_overrides(config, [f"perf.{key}={value}" for key, value in perf.items()])


def test_bf16_and_fp32_searches_finish_and_record_their_precision(tmp_path):
    fp32 = run_search(tiny_config(), tmp_path / "fp32", progress=False)
    bf16 = run_search(tiny_config(precision="bf16"), tmp_path / "bf16", progress=False)
    assert [r["precision"] for r in fp32.rows] == ["fp32", "fp32"]
    assert [r["precision"] for r in bf16.rows] == ["bf16", "bf16"]
    assert all(r["channels_last"] is False for r in bf16.rows)
    stored = json.loads((bf16.run_dir / "run.json").read_text())
    assert stored["config"]["perf"] == {
        "precision": "bf16",
        "channels_last": False,
        "pin_memory": False,
        "fused_edges": True,
        "compile": False,
    }
    # Not asserted: the final genotypes. At this size α is near its init and argmax ties flip with
    # rounding (they match for this seed, differ for seed 0); the real check is in docs/GPU.md.
    assert bf16.rows[-1]["train_loss"] == pytest.approx(fp32.rows[-1]["train_loss"], rel=0.01)


def test_channels_last_search_follows_the_default_and_batches_in_nhwc(tmp_path):
    """The same search up to float summation order. Compared after the first epoch only: a GDAS search
    amplifies rounding (one flipped Gumbel sample trains another path), so later epochs may part."""
    config = tiny_config(channels_last="true")
    batch = next(harness.run.data.load_search_batches(config, torch.device("cpu")).epoch())[0][0]
    assert batch.is_contiguous(memory_format=torch.channels_last)
    default = run_search(tiny_config(), tmp_path / "a", progress=False).rows[0]
    nhwc = run_search(config, tmp_path / "b", progress=False).rows[0]
    assert nhwc["train_loss"] == pytest.approx(default["train_loss"], rel=1e-4)
    alpha = [json.loads(row["arch_weights"])["alpha"] for row in (default, nhwc)]
    weights = [[w for edge in a.values() for w in edge.values()] for a in alpha]
    assert weights[1] == pytest.approx(weights[0], abs=1e-3)  # measured 6e-5 apart (1 thread)
    assert weights[1] != weights[0]  # two layouts: other summation orders, so not bit-identical
    assert nhwc["channels_last"] is True and default["channels_last"] is False


def test_perf_section_is_settable_from_a_config_file(tmp_path):
    from harness.config.file import apply_config_file

    path = tmp_path / "perf.toml"
    path.write_text('[perf]\nprecision = "bf16"\nchannels_last = true\npin_memory = true\n')
    perf = apply_config_file(tiny_config(), path).perf
    assert (perf.precision, perf.channels_last, perf.pin_memory) == ("bf16", True, True)


def test_unknown_precision_is_one_line_and_exit_2(tmp_path, capsys):
    argv = ["search", "--benchmark", "nb201-cifar10", "--searcher", "gdas", "--out", str(tmp_path)]
    assert main([*argv, "--set", "perf.precision=fp8", "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "perf.precision" in err and "fp32, bf16" in err
    assert not any(tmp_path.iterdir())  # refused before anything ran or was written


def test_bf16_on_a_gpu_without_bf16_is_refused(monkeypatch):
    from searchers import precision

    monkeypatch.setattr(precision.torch.cuda, "is_bf16_supported", lambda: False)
    monkeypatch.setattr(precision.torch.cuda, "get_device_name", lambda _device: "Old GPU")
    with pytest.raises(NashError, match="Old GPU has no bf16 support; use perf.precision=fp32"):
        precision.check_precision_supported("bf16", torch.device("cuda"))
    precision.check_precision_supported("fp32", torch.device("cuda"))  # fp32 needs nothing


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
@pytest.mark.parametrize("name", ["gdas", "pcdarts"])
def test_a_seed_draws_the_same_architecture_parameters_and_gumbel_noise_on_cpu_and_gpu(name):
    from searchers.mixing import sample_gumbel

    on_cpu = tiny_searcher(name, ForwardMode(), seed=5)
    torch.manual_seed(5)
    cls = get_searcher(name)
    options = cls.options_type(**QUICK_OPTIONS.get(name, {}))
    space = get_space("nb201")
    network = cls.build_supernet(space, num_classes=10, options=options, channels=4, cells_per_stage=1, affine=False)
    on_gpu = cls(space, network.cuda(), TrainConfig(epochs=2, batch_size=4), options)
    for cpu_param, gpu_param in zip(on_cpu.arch_parameters(), on_gpu.arch_parameters(), strict=True):
        assert torch.equal(cpu_param.detach(), gpu_param.detach().cpu())
    torch.manual_seed(6)
    cpu_noise = sample_gumbel(torch.Size([6, 5]), torch.device("cpu"))
    torch.manual_seed(6)
    assert torch.equal(cpu_noise, sample_gumbel(torch.Size([6, 5]), torch.device("cuda")).cpu())


def test_memory_mapped_batches_with_pinning_and_channels_last_hold_the_default_values(tmp_path):
    import numpy as np

    from benchmarks.batches.images import ImageSet
    from benchmarks.batches.loader import PairedBatches

    rng = np.random.default_rng(0)
    mapped = np.memmap(tmp_path / "images.u8", dtype=np.uint8, mode="w+", shape=(12, 8, 8, 3))
    mapped[:] = rng.integers(0, 256, size=mapped.shape, dtype=np.uint8)
    images = ImageSet(mapped, rng.integers(0, 3, size=12).astype(np.int64), ("a", "b", "c"))

    def first_pair(**perf):
        return next(PairedBatches(images, images, batch_size=4, device="cpu", seed=1, **perf).epoch())

    default = first_pair()
    tuned = first_pair(pin_memory=True, channels_last=True)  # pinning is a no-op on the CPU
    for (x, y), (x_tuned, y_tuned) in zip(default, tuned, strict=True):
        assert x_tuned.is_contiguous(memory_format=torch.channels_last)
        assert torch.equal(x, x_tuned) and torch.equal(y, y_tuned)
