"""p2p.weights: save → load round trips, and every bad checkpoint fails with a CheckpointError naming it."""

from __future__ import annotations

import json
import subprocess
from collections import OrderedDict
from pathlib import Path
from types import SimpleNamespace

import huggingface_hub
import pytest
import torch
import torch.nn as nn
from huggingface_hub import HfApi
from p2p_testutils import PYTHON, REPO_ROOT, subprocess_env, tiny_generator
from PIL import Image
from safetensors import safe_open

from p2p import weights
from p2p.grade import GRADE_NAME
from p2p.model import UNetGenerator
from p2p.weights import CheckpointError, load_generator, load_reference_pth


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    folder = tmp_path / "tiny-model"
    tiny_generator().save_pretrained(folder)
    return folder


def drawing_batch(size: int = 64) -> torch.Tensor:
    return torch.rand(2, 1, size, size, generator=torch.Generator().manual_seed(0)) * 2 - 1


def test_save_pretrained_writes_safetensors_and_config(saved: Path) -> None:
    assert (saved / "model.safetensors").is_file()
    config = json.loads((saved / "config.json").read_text())
    assert config == {
        "in_channels": 1,
        "out_channels": 3,
        "num_downs": 6,
        "ngf": 8,
        "norm": "instance",
        "dropout": 0.5,
        "upsample": "transpose",
        "z_dim": 0,
        "format_version": 2,
    }


@pytest.mark.parametrize("how", ["from_pretrained", "load_generator", "load_generator_file"])
def test_save_then_load_gives_identical_outputs(saved: Path, how: str) -> None:
    original = tiny_generator()
    if how == "from_pretrained":
        loaded = UNetGenerator.from_pretrained(saved)
    else:
        loaded = load_generator(saved / "model.safetensors" if how.endswith("file") else saved)
    x = drawing_batch()
    with torch.no_grad():
        assert torch.equal(original(x, seeds=[3, 4]), loaded(x, seeds=[3, 4]))


def _truncate(folder: Path) -> None:
    weights = folder / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])


def _edit_config(**changes: object) -> object:
    def edit(folder: Path) -> None:
        config = json.loads((folder / "config.json").read_text())
        (folder / "config.json").write_text(json.dumps(config | changes))

    return edit


BREAKAGES = {
    "truncated weights": (_truncate, "model.safetensors"),
    "wider architecture": (_edit_config(ngf=16), "model.safetensors"),
    "deeper architecture": (_edit_config(num_downs=7), "model.safetensors"),
    "other norm (missing keys)": (_edit_config(norm="batch"), "model.safetensors"),
    "invalid config value": (_edit_config(norm="group"), "norm must be one of"),
    "weights missing": (lambda f: (f / "model.safetensors").unlink(), "model.safetensors is missing"),
    "config missing": (lambda f: (f / "config.json").unlink(), "config.json is missing"),
    "garbage json": (lambda f: (f / "config.json").write_text("{ngf: 8,"), "config.json is not valid JSON"),
    "weights not safetensors": (
        lambda f: (f / "model.safetensors").write_bytes(b"\x80\x04junk" * 100),
        "model.safetensors",
    ),
}


@pytest.mark.parametrize("breakage", list(BREAKAGES))
def test_a_broken_checkpoint_gives_a_clear_error_naming_it(saved: Path, breakage: str) -> None:
    breakage_fn, message = BREAKAGES[breakage]
    breakage_fn(saved)
    with pytest.raises(CheckpointError, match="tiny-model") as err:
        load_generator(saved)
    assert message in str(err.value)


@pytest.mark.parametrize("source", ["{tmp}/no-such-folder", "./no-such-folder", "not a hub id/at/all"])
def test_a_missing_local_path_gives_a_clear_error(tmp_path: Path, source: str) -> None:
    source = source.format(tmp=tmp_path)
    with pytest.raises(CheckpointError, match="no-such-folder|not a hub id"):
        load_generator(source)


def test_a_pth_file_is_pointed_to_load_reference_pth(tmp_path: Path) -> None:
    path = tmp_path / "latest_net_G.pth"
    torch.save({}, path)
    with pytest.raises(CheckpointError, match="load_reference_pth"):
        load_generator(path)


TRY_LOAD = """
import time
from p2p.weights import CheckpointError, load_generator
def try_load(source, label):
    start = time.time()
    try:
        print(label, load_generator(source).num_downs)
    except CheckpointError as err:
        print(label, err, f"({time.time() - start:.1f} s)")
"""


def run_script(script: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`script` in a fresh Python with `env` added (a Hub cache, a Hub address), its output captured."""
    return subprocess.run(
        [PYTHON, "-c", script], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, env=subprocess_env(**env)
    )


OFFLINE_SCRIPT = (
    TRY_LOAD + 'try_load("someone/tiny-face", "cached:")\ntry_load("someone/not-downloaded", "uncached:")\n'
)


@pytest.mark.slow
def test_hub_ids_offline_load_from_the_cache_or_fail_clearly(tmp_path: Path) -> None:
    # A Hub cache entry as huggingface_hub lays it out: refs/main names the snapshot folder.
    repo = tmp_path / "hf" / "hub" / "models--someone--tiny-face"
    commit = "0123456789abcdef0123456789abcdef01234567"
    tiny_generator().save_pretrained(repo / "snapshots" / commit)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    result = run_script(OFFLINE_SCRIPT, HF_HOME=str(tmp_path / "hf"), HF_HUB_OFFLINE="1")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "cached: 6" in result.stdout
    assert "uncached: someone/not-downloaded: no such local folder, not in the local Hugging Face" in result.stdout
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("[]", "must hold a JSON object of generator settings, not list"),
        ('{"foo": 1}', "unknown keys ['foo'] and missing keys"),
        (
            '{"in_channels": 1, "out_channels": 3, "num_downs": 6, "norm": "instance", "dropout": 0.5}',
            "missing keys ['ngf']",
        ),
        (
            '{"format_version": 2, "in_channels": 1, "out_channels": 3, "num_downs": 6, "ngf": 8, "norm": "instance",'
            ' "dropout": 0.5}',
            "missing keys ['upsample', 'z_dim']",
        ),
        ('{"format_version": 3}', "format_version 3; this sketch2face reads formats 1 and 2 (upgrade sketch2face)"),
    ],
)
def test_a_bad_config_json_is_named_in_one_line(saved: Path, config: str, message: str) -> None:
    (saved / "config.json").write_text(config)
    with pytest.raises(CheckpointError, match="config.json") as err:
        load_generator(saved)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_a_format_1_config_from_before_later_options_still_loads(saved: Path) -> None:
    config = json.loads((saved / "config.json").read_text())
    old = {k: v for k, v in config.items() if k not in ("upsample", "z_dim", "format_version")}
    (saved / "config.json").write_text(json.dumps(old))
    assert load_generator(saved).z_dim == 0


SILENT_HUB_SCRIPT = (
    """
import socket, threading, time
server = socket.socket()
server.bind(("127.0.0.1", 0))
server.listen(16)
held = []
threading.Thread(target=lambda: [held.append(server.accept()) for _ in range(16)], daemon=True).start()
import os
os.environ["HF_ENDPOINT"] = f"http://127.0.0.1:{server.getsockname()[1]}"
"""
    + TRY_LOAD
    + 'try_load("someone/silent-hub", "error:")\n'
)


@pytest.mark.slow
def test_a_hub_that_never_answers_fails_within_the_timeout(tmp_path: Path) -> None:
    # A server that accepts connections and never says a word: without a deadline, huggingface_hub's
    # timeouts and retries take minutes.
    result = run_script(SILENT_HUB_SCRIPT, HF_HOME=str(tmp_path / "hf"), SKETCH2FACE_HUB_TIMEOUT="3")
    assert "could not reach the Hugging Face Hub within 3 s" in result.stdout, result.stdout + result.stderr[-3000:]


class ReferenceUnetBlock(nn.Module):
    """The reference implementation's UnetSkipConnectionBlock (junyanz/pytorch-CycleGAN-and-pix2pix), in brief,
    so that its parameter names and its function are checked independently of our key mapping."""

    def __init__(
        self,
        outer: int,
        inner: int,
        norm: str,
        in_channels: int | None = None,
        submodule: nn.Module | None = None,
        outermost: bool = False,
    ) -> None:
        super().__init__()
        self.outermost = outermost
        use_bias = norm == "instance"  # the reference drops conv biases in front of batch norm

        def norm_layer(c: int) -> nn.Module:
            return nn.BatchNorm2d(c) if norm == "batch" else nn.InstanceNorm2d(c)

        down = nn.Conv2d(in_channels or outer, inner, 4, 2, 1, bias=use_bias)
        if outermost:
            layers = [down, submodule, nn.ReLU(), nn.ConvTranspose2d(inner * 2, outer, 4, 2, 1), nn.Tanh()]
        elif submodule is None:  # innermost
            up = nn.ConvTranspose2d(inner, outer, 4, 2, 1, bias=use_bias)
            layers = [nn.LeakyReLU(0.2), down, nn.ReLU(), up, norm_layer(outer)]
        else:
            up = nn.ConvTranspose2d(inner * 2, outer, 4, 2, 1, bias=use_bias)
            layers = [nn.LeakyReLU(0.2), down, norm_layer(inner), submodule, nn.ReLU(), up, norm_layer(outer)]
        self.model = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x) if self.outermost else torch.cat([x, self.model(x)], 1)


def reference_unet(in_channels: int, num_downs: int, ngf: int, norm: str) -> nn.Module:
    """The reference UnetGenerator without dropout (its weights' names start with `model.`)."""
    block = ReferenceUnetBlock(ngf * 8, ngf * 8, norm)
    for _ in range(num_downs - 5):
        block = ReferenceUnetBlock(ngf * 8, ngf * 8, norm, submodule=block)
    for mult in (4, 2, 1):
        block = ReferenceUnetBlock(ngf * mult, ngf * mult * 2, norm, submodule=block)
    outermost = ReferenceUnetBlock(3, ngf, norm, in_channels=in_channels, submodule=block, outermost=True)
    return nn.Sequential(OrderedDict(model=outermost))


@pytest.mark.parametrize("norm", ["batch", "instance"])
def test_load_reference_pth_gives_the_reference_network(tmp_path: Path, norm: str) -> None:
    torch.manual_seed(0)
    reference = reference_unet(in_channels=3, num_downs=7, ngf=8, norm=norm).eval()
    with torch.no_grad():  # every weight random, so a mix-up of same-shaped blocks would show in the outputs
        for tensor in reference.state_dict().values():
            if tensor.is_floating_point():
                tensor.copy_(torch.rand_like(tensor) * 0.2 + (0.9 if tensor.dim() == 1 else -0.1))
    path = tmp_path / "latest_net_G.pth"
    torch.save(reference.state_dict(), path)

    loaded = load_reference_pth(path, in_channels=3, num_downs=7, ngf=8, norm=norm, dropout=0.0)
    x = torch.rand(2, 3, 128, 128) * 2 - 1
    with torch.no_grad():
        torch.testing.assert_close(loaded(x), reference(x), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("content", ["garbage", "not tensors", "wrong architecture", "pickled object"])
def test_a_bad_pth_gives_a_checkpoint_error(tmp_path: Path, content: str) -> None:
    path = tmp_path / "bad_net_G.pth"
    if content == "garbage":
        path.write_bytes(b"definitely not a pth file")
    elif content == "not tensors":
        torch.save({"model.model.0.weight": "a string"}, path)
    elif content == "wrong architecture":
        torch.save({"model.model.0.weight": torch.zeros(8, 1, 4, 4)}, path)
    else:  # weights_only refuses arbitrary classes: nothing is unpickled
        torch.save({"x": Path("/")}, path)
    with pytest.raises(CheckpointError, match="bad_net_G.pth"):
        load_reference_pth(path, ngf=8, num_downs=6)


def test_publish_fp16_halves_the_file_and_loads_as_float32(saved: Path, tmp_path: Path) -> None:
    weights.main([str(saved), "--out", str(tmp_path / "fp16"), "--fp16"])
    half = tmp_path / "fp16" / "model.safetensors"
    assert half.stat().st_size < 0.6 * (saved / "model.safetensors").stat().st_size
    with safe_open(half, "pt") as f:
        assert {f.get_tensor(k).dtype for k in f.keys()} == {torch.float16}
    loaded = load_generator(tmp_path / "fp16")
    assert next(loaded.parameters()).dtype == torch.float32  # inference runs in fp32 as before
    x = drawing_batch()
    with torch.no_grad():
        torch.testing.assert_close(loaded(x, seeds=[1, 2]), tiny_generator()(x, seeds=[1, 2]), atol=2e-3, rtol=0)


@pytest.fixture
def carded(saved: Path) -> Path:
    """A checkpoint laid out as the bundled one: weights, a hand-written model card, its colour grade, a sheet."""
    (saved / "README.md").write_text("# tiny-model\nA hand-written model card.\n")
    (saved / GRADE_NAME).write_text('{"fitted_on": {"pairs": 4}}')
    Image.new("RGB", (8, 8), "white").save(saved / "mouse_sheet.png")
    return saved


RELEASE = ["README.md", GRADE_NAME, "config.json", "model.safetensors", "mouse_sheet.png"]


def test_publish_carries_the_model_card_grade_and_sheets(carded: Path, tmp_path: Path) -> None:
    weights.main([str(carded), "--out", str(tmp_path / "release")])
    assert sorted(p.name for p in (tmp_path / "release").iterdir()) == sorted(RELEASE)
    for name in ("README.md", GRADE_NAME, "mouse_sheet.png"):
        assert (tmp_path / "release" / name).read_bytes() == (carded / name).read_bytes()
    load_generator(tmp_path / "release")


def test_publish_into_a_folder_with_a_card_keeps_that_card(carded: Path, tmp_path: Path) -> None:
    """As the recipe publishes a run's generator over the bundled folder: new weights, the project's card kept."""
    dest = tmp_path / "checkpoints" / "model"
    dest.mkdir(parents=True)
    (dest / "README.md").write_text("the project's model card")
    weights.main([str(carded), "--out", str(dest), "--fp16"])
    assert (dest / "README.md").read_text() == "the project's model card"
    assert (dest / "model.safetensors").stat().st_size < (carded / "model.safetensors").stat().st_size  # the new one
    assert (dest / GRADE_NAME).read_text() == (carded / GRADE_NAME).read_text()


@pytest.fixture
def uploads(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, bytes]]]:
    """The Hub cannot be reached from here, so huggingface_hub's two calls record what they would send."""
    sent = []

    def upload_folder(self: HfApi, *, repo_id: str, folder_path: Path, **_: object) -> None:
        sent.append((repo_id, {p.name: p.read_bytes() for p in Path(folder_path).iterdir()}))

    monkeypatch.setattr(HfApi, "create_repo", lambda self, repo_id, **_: SimpleNamespace(repo_id=repo_id))
    monkeypatch.setattr(HfApi, "upload_folder", upload_folder)
    return sent


def test_push_to_hub_uploads_the_whole_release_in_one_commit(
    carded: Path, tmp_path: Path, uploads: list[tuple[str, dict[str, bytes]]]
) -> None:
    for dest in (tmp_path / "release", tmp_path / "with-a-card"):  # a card already in --out is the one uploaded
        if dest.name == "with-a-card":
            dest.mkdir()
            (dest / "README.md").write_text("the project's model card")
        weights.main([str(carded), "--push-to-hub", "someone/tiny", "--out", str(dest), "--fp16"])
        repo_id, files = uploads.pop()
        assert repo_id == "someone/tiny" and sorted(files) == sorted(RELEASE)
        assert files == {p.name: p.read_bytes() for p in dest.iterdir()}  # the same release


def test_the_uploaded_card_has_no_links_that_break_on_the_hub(
    carded: Path, uploads: list[tuple[str, dict[str, bytes]]]
) -> None:
    card = "Made with [sketch2face](../../README.md). ![sheet](mouse_sheet.png) [grade](./colour_grade.json)\n"
    (carded / "README.md").write_text(card)
    weights.main([str(carded), "--push-to-hub", "someone/tiny"])
    assert uploads.pop()[1]["README.md"].decode() == card.replace("[sketch2face](../../README.md)", "sketch2face")
    assert (carded / "README.md").read_text().startswith("Made with [sketch2face](../../README.md)")  # source kept


def test_the_bundled_card_on_the_hub_links_to_the_published_code() -> None:
    folder = weights.DEFAULT_CHECKPOINT
    card = (folder / "README.md").read_text()
    code = "https://github.com/someone/sketch2face/blob/main"
    linked = weights.card_for_hub(card, folder, code)
    assert "](../" in card and "](../" not in linked
    targets = [m.group(3) for m in weights.MARKDOWN_LINK.finditer(linked) if m.group(3).startswith(code)]
    assert f"{code}/recipes/sketch2face-celeba.sh" in targets and f"{code}/docs/experiments.md" in targets
    for target in targets:  # each points at a file the project has
        assert (weights.PROJECT_ROOT / target[len(code) + 1 :].partition("#")[0]).is_file(), target
    assert "![48 mouse drawings made on the app's canvas → faces, seeds 0 and 1](mouse_sheet.png)" in linked
    plain = weights.card_for_hub(card, folder)
    assert "](../" not in plain and "`recipes/sketch2face-celeba.sh`" in plain


def test_a_failed_upload_says_what_to_do_and_keeps_the_local_copy(
    carded: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)  # the real client, refusing the network
    with pytest.raises(SystemExit) as exit_info:
        weights.main([str(carded), "--push-to-hub", "someone/tiny", "--out", str(tmp_path / "release")])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and "could not upload to the Hub as someone/tiny" in err
    assert "hf auth login" in err and f"local copy in {tmp_path / 'release'} is complete" in err
    load_generator(tmp_path / "release")
