"""p2p.train: the losses learn, checkpoints resume exactly, Ctrl-C saves, DDP runs on 2 CPU processes."""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import json
import math
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
import torch
from p2p_testutils import PYTHON, REPO_ROOT, TINY_TRAIN_FLAGS, make_dataset, subprocess_env

from p2p import train
from p2p.critics import efficientnet
from p2p.train import TrainConfig, Trainer, gan_loss, lr_factor
from p2p.weights import load_generator


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_dataset(tmp_path_factory.mktemp("data"), boxes=True)


def tiny_trainer(data: Path, out: Path, **overrides: object) -> Trainer:
    config = TrainConfig(
        data=str(data),
        out=str(out),
        size=64,
        num_downs=6,
        ngf=8,
        ndf=8,
        batch_size=2,
        workers=0,
        amp="off",
        device="cpu",
        steps=1000,
    )
    return Trainer(TrainConfig(**{**vars(config), **overrides}))


def first_batch(trainer: Trainer) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(drawings, photos, boxes) of the first two training pairs."""
    drawing, photo, boxes = (torch.stack(t) for t in zip(*(trainer.train_set[i] for i in range(2))))
    return drawing, photo, boxes


def run_cli(data: Path, out: Path, *flags: str) -> None:
    train.main(["--data", str(data), "--out", str(out), *TINY_TRAIN_FLAGS, *flags])


def training_command(data: Path, out: Path, *flags: str) -> list[str]:
    """The tiny run as a separate process (for the signal tests)."""
    return [PYTHON, "-m", "p2p.train", "--data", str(data), "--out", str(out), *TINY_TRAIN_FLAGS, *flags]


def start_in_own_process_group(command: list[str]) -> subprocess.Popen[str]:
    """The command as a process group of its own (as a terminal starts it), output collected (for the stop tests)."""
    return subprocess.Popen(
        command,
        cwd=REPO_ROOT,
        env=subprocess_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def test_a_few_steps_reduce_the_l1_loss_on_a_fixed_batch(data: Path, tmp_path: Path) -> None:
    trainer = tiny_trainer(data, tmp_path, gan_mode="vanilla")
    drawing, photo, boxes = first_batch(trainer)
    history = [trainer.train_step(drawing, photo, boxes) for _ in range(40)]
    assert set(history[0]) == {"D_real", "D_fake", "G_GAN", "G_L1"}
    first, last = (sum(h["G_L1"] for h in part) / 3 for part in (history[:3], history[-3:]))
    assert last < 0.85 * first, (first, last)
    assert trainer.state.step == 40


@pytest.mark.parametrize("mode", ["lsgan", "hinge", "none"])
def test_every_gan_mode_trains(data: Path, tmp_path: Path, mode: str) -> None:
    trainer = tiny_trainer(data, tmp_path, gan_mode=mode)
    drawing, photo, boxes = first_batch(trainer)
    losses = [trainer.train_step(drawing, photo, boxes) for _ in range(2)][-1]
    assert all(math.isfinite(v) for v in losses.values())
    assert ("G_GAN" in losses) == (mode != "none")


RECIPE_OPTIONS = {
    "ema": 0.9,
    "d_scales": 2,
    "lambda_fm": 10.0,
    "z_dim": 4,
    "lambda_ms": 1.0,
    "d_augment": True,
}
RECIPE_FLAGS = [
    "--ema",
    "0.9",
    "--d-scales",
    "2",
    "--lambda-fm",
    "10",
    "--z-dim",
    "4",
    "--lambda-ms",
    "1",
    "--d-augment",
]


def test_the_later_recipe_options_train_together(data: Path, tmp_path: Path) -> None:
    trainer = tiny_trainer(data, tmp_path, **RECIPE_OPTIONS)
    drawing, photo, boxes = first_batch(trainer)
    before = [p.clone() for p in trainer.G_ema.parameters()]
    losses = [trainer.train_step(drawing, photo, boxes) for _ in range(3)][-1]
    assert set(losses) == {"D_real", "D_fake", "G_GAN", "G_L1", "G_FM", "G_MS"}
    assert all(math.isfinite(v) for v in losses.values())
    ema, live = list(trainer.G_ema.parameters()), list(trainer.G.parameters())
    assert not torch.equal(ema[0], before[0]) and not torch.equal(ema[0], live[0])  # it moves, but lags
    assert trainer.generator is trainer.G_ema


PRETRAINED_OPTIONS = {"lambda_projected": 1.0, "lambda_perceptual": 1.0, "lambda_components": 1.0}
PRETRAINED_OPTIONS["lambda_landmarks"] = 1.0
PRETRAINED_FLAGS = ["--lambda-projected", "1", "--lambda-perceptual", "1", "--lambda-components", "1"]
PRETRAINED_FLAGS += ["--lambda-landmarks", "1"]


@pytest.mark.parametrize("amp", ["off", "on"], ids=["fp32", "bf16"])
def test_the_pretrained_feature_and_component_critics_train(data: Path, tmp_path: Path, amp: str) -> None:
    trainer = tiny_trainer(data, tmp_path, amp=amp, **PRETRAINED_OPTIONS, **RECIPE_OPTIONS)
    drawing, photo, boxes = first_batch(trainer)
    frozen = [p.clone() for p in trainer.features.parameters()]
    mixing = [b.clone() for b in trainer.P.projection.buffers()]
    heads, eyes = [[p.detach().clone() for p in m.parameters()] for m in (trainer.P.heads, trainer.C)]
    history = [trainer.train_step(drawing, photo, boxes) for _ in range(3)]
    new = {"P_real", "P_fake", "C_real", "C_fake", "G_proj", "G_perc", "G_comp", "G_lm"}
    assert set(history[-1]) == new | {"D_real", "D_fake", "G_GAN", "G_L1", "G_FM", "G_MS"}
    assert all(math.isfinite(v) for losses in history for v in losses.values())
    assert all(torch.equal(a, b) for a, b in zip(frozen, trainer.features.parameters()))  # ImageNet's, unchanged
    assert all(torch.equal(a, b) for a, b in zip(mixing, trainer.P.projection.buffers()))  # fixed random mixing
    assert not any(m.training for m in trainer.features.modules())
    for before, module in ((heads, trainer.P.heads), (eyes, trainer.C)):
        # Every critic learns (a last bias may not: hinge losses with every logit inside the margin cancel).
        assert all(not torch.equal(a, b) for a, b in zip(before, module.parameters()) if a.ndim > 1)


def test_critic_warmup_trains_the_critics_before_the_generator(data: Path, tmp_path: Path) -> None:
    trainer = tiny_trainer(data, tmp_path, critic_warmup=2, lambda_projected=1.0, **RECIPE_OPTIONS)
    drawing, photo, boxes = first_batch(trainer)
    generators = (trainer.G, trainer.G_ema)
    g_before, ema_before = ([p.clone() for p in g.parameters()] for g in generators)
    d_before, p_before = ([p.clone() for p in m.parameters()] for m in (trainer.D, trainer.P.heads))
    warmup = [trainer.train_step(drawing, photo, boxes) for _ in range(2)]
    assert all(set(losses) == {"D_real", "D_fake", "P_real", "P_fake"} for losses in warmup)
    assert all(torch.equal(a, b) for a, b in zip(g_before, trainer.G.parameters()))
    assert all(torch.equal(a, b) for a, b in zip(ema_before, trainer.G_ema.parameters()))
    assert not torch.equal(d_before[0], next(trainer.D.parameters()))
    assert not torch.equal(p_before[0], next(trainer.P.heads.parameters()))
    assert trainer.state.step == 2
    assert "G_GAN" in trainer.train_step(drawing, photo, boxes)
    assert not torch.equal(g_before[0], next(trainer.G.parameters()))


def generator_gradient(trainer: Trainer, *batch: torch.Tensor) -> float:
    """The size of the generator's gradient after one step (L1 and the PatchGAN off: only the new terms)."""
    trainer.train_step(*batch)
    return sum(p.grad.abs().sum().item() for p in trainer.G.parameters() if p.grad is not None)


@pytest.mark.parametrize("option", sorted(PRETRAINED_OPTIONS))
def test_each_new_term_alone_reaches_the_generator(data: Path, tmp_path: Path, option: str) -> None:
    trainer = tiny_trainer(data, tmp_path, gan_mode="none", lambda_l1=0.0, **{option: 1.0})
    drawing, photo, boxes = first_batch(trainer)
    assert generator_gradient(trainer, drawing, photo, boxes) > 0
    assert all(p.grad is None for p in trainer.features.parameters()) if trainer.features else True


def test_pairs_without_boxes_give_the_eye_and_mouth_critics_nothing(data: Path, tmp_path: Path) -> None:
    trainer = tiny_trainer(data, tmp_path, gan_mode="none", lambda_l1=0.0, lambda_components=1.0)
    drawing, photo, boxes = first_batch(trainer)
    boxes[1] = 0  # the second pair has no boxes
    losses = trainer.train_step(drawing, photo, boxes)
    assert losses["C_real"] > 0
    assert generator_gradient(trainer, drawing, photo, torch.zeros_like(boxes)) == 0
    assert all(p.grad is None or p.grad.abs().sum() == 0 for p in trainer.C.parameters())


def test_a_landmark_head_that_is_not_one_is_refused_clearly(data: Path, tmp_path: Path) -> None:
    not_a_head = tmp_path / "head.safetensors"
    not_a_head.write_bytes(b"not safetensors")
    for path in (tmp_path / "missing.safetensors", not_a_head):
        with pytest.raises(SystemExit, match=f"--landmark-head {path}: not a fitted LandmarkHead"):
            tiny_trainer(data, tmp_path / "run", lambda_landmarks=1.0, landmark_head=str(path))


def test_component_critics_refuse_a_dataset_without_boxes(tmp_path: Path) -> None:
    bare = make_dataset(tmp_path / "bare")
    with pytest.raises(SystemExit, match="no training pair .* has eye and mouth boxes"):
        tiny_trainer(bare, tmp_path / "run", lambda_components=1.0)


def test_only_the_options_that_need_the_weights_package_ask_for_it(
    data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(efficientnet, "WEIGHTS_PACKAGE", "no_such_weights_package")
    trainer = tiny_trainer(data, tmp_path, lambda_components=1.0)
    trainer.train_step(*first_batch(trainer))
    for option in ("lambda_projected", "lambda_perceptual", "lambda_landmarks"):
        with pytest.raises(SystemExit, match="pip install -r requirements-train.txt"):
            tiny_trainer(data, tmp_path, **{option: 1.0})


def test_mode_seeking_loss_is_small_when_noise_changes_the_face() -> None:
    a, b = torch.zeros(1, 3, 8, 8), torch.ones(1, 3, 8, 8)
    z_a, z_b = torch.zeros(1, 4), torch.full((1, 4), 2.0)
    assert train.mode_seeking_loss(a, b, z_a, z_b).item() == pytest.approx(2.0, rel=1e-3)
    assert train.mode_seeking_loss(a, a, z_a, z_b).item() > 1e4  # collapsed: same face for both draws


def test_diff_augment_moves_the_pair_together_and_cuts_out_a_square() -> None:
    torch.manual_seed(0)
    pairs = torch.rand(3, 4, 32, 32) + 1.0  # no zeros of their own: every 0 below comes from the augmentation
    augment = train.diff_augment(3, 32)
    seen = augment(pairs)
    assert seen.shape == pairs.shape
    assert torch.equal(augment(torch.cat([pairs, pairs]))[3:], seen)  # a doubled batch: the same draw per pair
    for image, original in zip(seen, pairs):
        gone = image == 0
        assert torch.equal(gone[0], gone[3])  # all channels (drawing and photo) lose the same pixels
        kept = image[0][~gone[0]]
        assert torch.isin(kept, original[0]).all()  # the rest are the image's own pixels, moved
        assert 16 * 16 * 0.2 <= gone[0].sum() <= 16 * 16 + 2 * 4 * 32  # a half-side square (or what is in frame)
    fake = pairs.clone().requires_grad_()
    augment(fake).sum().backward()
    assert fake.grad.abs().sum() > 0  # G learns through it


def test_a_discriminator_sure_of_everything_is_reported_as_won(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    won = {"D_real": 0.0004, "D_fake": 0.002, "G_GAN": 11.0}
    trainer = tiny_trainer(data, tmp_path)
    for _ in range(4):
        trainer.watch_discriminator(won)
    assert "warning" not in capsys.readouterr().out  # four logs are not yet a verdict
    for _ in range(3):
        trainer.watch_discriminator(won)
    assert capsys.readouterr().out.count("the PatchGAN won") == 1  # once per run
    assert train.winning_critics([won] * 5) == ["the PatchGAN"]
    assert train.winning_critics([won] * 4 + [won | {"D_fake": 0.3}]) == []  # still a contest
    assert train.winning_critics([{"G_L1": 0.4}] * 5) == []  # --gan-mode none has no discriminator
    assert train.winning_critics([]) == []
    projected_won = {"D_real": 0.4, "D_fake": 0.5, "P_real": 0.0, "P_fake": 0.004, "C_real": 0.3, "C_fake": 0.0}
    assert train.winning_critics([projected_won] * 5) == ["the projected critic"]  # hinge losses at 0: sure of all


def test_gan_losses_and_learning_rate_schedule() -> None:
    zero, big = torch.zeros(1, 1, 4, 4), torch.full((1, 1, 4, 4), 5.0)
    assert gan_loss(zero, True, "vanilla").item() == pytest.approx(math.log(2))
    assert gan_loss(big, True, "lsgan").item() == pytest.approx(16.0)
    assert gan_loss(big, True, "hinge").item() == 0.0
    assert gan_loss(big, False, "hinge").item() == pytest.approx(6.0)
    assert gan_loss(big, True, "hinge", for_discriminator=False).item() == pytest.approx(-5.0)
    config = TrainConfig(steps=100, decay_from=0.5)
    assert [lr_factor(s, config) for s in (0, 49, 50, 75, 100)] == [1.0, 1.0, 1.0, 0.5, 0.0]


def test_cli_rejects_a_size_that_does_not_fit_the_unet(data: Path, tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        train.parse_args(["--data", str(data), "--size", "128", "--num-downs", "6"])


def test_cli_rejects_a_critic_warmup_without_steps_or_critics(data: Path) -> None:
    for flags in (["--critic-warmup", "-1"], ["--critic-warmup", "5", "--gan-mode", "none"]):
        with pytest.raises(SystemExit):
            train.parse_args(["--data", str(data), *flags])
    only_projected = ["--critic-warmup", "5", "--gan-mode", "none", "--lambda-projected", "1"]
    assert train.parse_args(["--data", str(data), *only_projected]).critic_warmup == 5


def test_a_recipe_file_gives_its_flags_and_later_flags_win(data: Path, tmp_path: Path) -> None:
    recipe = tmp_path / "recipe.args"
    recipe.write_text("# a comment line\n--ngf 16  # the width\n--z-dim 4\n\n--lambda-ms 1\n")
    config = train.parse_args(["--data", str(data), f"@{recipe}", "--z-dim", "2"])
    assert (config.ngf, config.z_dim, config.lambda_ms, config.data) == (16, 2, 1.0, str(data))
    with pytest.raises(SystemExit):  # a recipe that is not there is an error, not a default run
        train.parse_args(["--data", str(data), f"@{tmp_path / 'missing.args'}"])


def test_the_bundled_recipe_file_describes_the_bundled_generator(data: Path) -> None:
    config = train.parse_args(["--data", str(data), f"@{REPO_ROOT / 'recipes' / 'sketch2face-celeba.args'}"])
    bundled = json.loads((REPO_ROOT / "checkpoints" / "sketch2face-celeba" / "config.json").read_text())
    assert (config.ngf, config.z_dim, config.num_downs, config.norm) == (
        bundled["ngf"],
        bundled["z_dim"],
        bundled["num_downs"],
        bundled["norm"],
    )


def test_help_explains_every_option_with_its_default(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        train.parse_args(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    comments = train.field_comments()
    for field in dataclasses.fields(TrainConfig):
        assert comments.get(field.name), f"TrainConfig.{field.name} has no comment for --help"
        flag = "--" + field.name.replace("_", "-")
        assert f"{flag} {field.name.upper()}" in text or f"{flag}, --no-" in text
        assert " ".join(comments[field.name].split()) in text
    assert "(default: 0.5)" in text and "(default: runs/sketch2face)" in text


@pytest.mark.parametrize(
    "recipe", [[], RECIPE_FLAGS, PRETRAINED_FLAGS], ids=["paper", "later-options", "pretrained-critics"]
)
def test_resume_continues_step_count_and_optimiser_and_matches_a_straight_run(
    data: Path, tmp_path: Path, recipe: list[str]
) -> None:
    # 8 pairs at batch 2 are 4 steps per epoch: 3 + 3 steps stop mid-epoch and then cross an epoch boundary.
    # A constant learning rate (--decay-from 1) makes the first 3 steps the same in a 3- and a 6-step run.
    flags = ["--decay-from", "1", "--save-every-min", "1000", *recipe]
    handler = signal.getsignal(signal.SIGINT)
    run_cli(data, tmp_path / "resumed", "--steps", "3", *flags)
    assert signal.getsignal(signal.SIGINT) is handler  # Ctrl-C works again after an in-process run
    first = torch.load(tmp_path / "resumed" / "checkpoint.pt", weights_only=True)
    assert first["step"] == 3
    run_cli(data, tmp_path / "resumed", "--steps", "6", "--resume", *flags)
    run_cli(data, tmp_path / "straight", "--steps", "6", *flags)

    resumed = torch.load(tmp_path / "resumed" / "checkpoint.pt", weights_only=True)
    straight = torch.load(tmp_path / "straight" / "checkpoint.pt", weights_only=True)
    assert resumed["step"] == straight["step"] == 6
    assert (resumed["epoch"], resumed["batch_in_epoch"]) == (straight["epoch"], straight["batch_in_epoch"])
    adam_steps = {float(s["step"]) for s in resumed["opt_G"]["state"].values()}
    assert adam_steps == {6.0}  # Adam's counters continued from the checkpoint, not from zero
    nets = {"paper": ("G", "D"), "later": ("G", "D", "G_ema"), "pretrained": ("G", "D", "P", "C")}
    kind = "paper" if not recipe else "pretrained" if recipe == PRETRAINED_FLAGS else "later"
    for net in nets[kind]:
        for key, value in straight[net].items():
            assert torch.equal(value, resumed[net][key]), f"{net}.{key} differs between straight and resumed runs"
    for opt in ("opt_G", "opt_D", "opt_P", "opt_C") if kind == "pretrained" else ("opt_G", "opt_D"):
        for index, state in straight[opt]["state"].items():
            assert torch.equal(state["exp_avg"], resumed[opt]["state"][index]["exp_avg"])
            assert torch.equal(state["exp_avg_sq"], resumed[opt]["state"][index]["exp_avg_sq"])
    losses = (tmp_path / "resumed" / "losses.csv").read_text().splitlines()
    assert [line.split(",")[0] for line in losses[1:]] == ["1", "2", "3", "4", "5", "6"]
    if kind == "pretrained":  # the new losses are logged
        columns = dict(zip(losses[0].split(","), losses[-1].split(",")))
        assert all(columns[name] for name in ("G_proj", "G_perc", "G_comp", "P_real", "C_fake"))
    assert (tmp_path / "resumed" / "generator" / "model.safetensors").is_file()


def test_resume_after_kill_logs_each_step_once(data: Path, tmp_path: Path) -> None:
    run_cli(data, tmp_path, "--steps", "3")
    log = tmp_path / "losses.csv"
    rows = log.read_text().splitlines()
    log.write_text("\n".join(rows + [rows[-1].replace("3,", "4,", 1), rows[-1].replace("3,", "5,", 1)]) + "\n")
    # as after kill -9: steps 4 and 5 were logged but never reached a checkpoint
    run_cli(data, tmp_path, "--steps", "6", "--resume")
    assert [line.split(",")[0] for line in log.read_text().splitlines()[1:]] == ["1", "2", "3", "4", "5", "6"]


def test_resume_gives_an_older_log_todays_columns(data: Path, tmp_path: Path) -> None:
    run_cli(data, tmp_path, "--steps", "2")
    log = tmp_path / "losses.csv"
    header, *rows = log.read_text().splitlines()
    old_fields = header.split(",")[:9]  # a log from before the pretrained critics' columns
    log.write_text("\n".join([",".join(old_fields), *(",".join(r.split(",")[:9]) for r in rows)]) + "\n")
    run_cli(data, tmp_path, "--steps", "3", "--resume")
    with log.open(newline="") as f:
        logged = list(csv.DictReader(f))
    assert list(logged[0]) == header.split(",")  # today's header
    assert [row["step"] for row in logged] == ["1", "2", "3"] and logged[0]["G_L1"] and logged[2]["G_L1"]


@pytest.mark.slow
def test_a_cpu_budget_stops_the_run_with_a_checkpoint(data: Path, tmp_path: Path) -> None:
    run_cli(data, tmp_path, "--steps", "100000", "--cpu-minutes", "0.02")
    saved = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    assert 1 <= saved["step"] < 100000 and saved["cpu_seconds"] >= 0.02 * 60
    assert (tmp_path / "generator" / "model.safetensors").is_file()
    # The budget counts over resumes: a resumed run that has spent it stops after one more step, one that is
    # given more goes on until it has spent that.
    run_cli(data, tmp_path, "--steps", "100000", "--cpu-minutes", "0.02", "--resume")
    assert torch.load(tmp_path / "checkpoint.pt", weights_only=True)["step"] == saved["step"] + 1
    run_cli(data, tmp_path, "--steps", "100000", "--cpu-minutes", "0.04", "--resume")
    more = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    assert more["step"] > saved["step"] + 1 and more["cpu_seconds"] >= 0.04 * 60


def test_init_from_starts_from_saved_generator_weights(data: Path, tmp_path: Path) -> None:
    run_cli(data, tmp_path / "first", "--steps", "2")
    trainer = tiny_trainer(data, tmp_path / "second", init_from=str(tmp_path / "first" / "generator"))
    saved = load_generator(tmp_path / "first" / "generator")
    assert all(torch.equal(a, b) for a, b in zip(saved.state_dict().values(), trainer.G.state_dict().values()))
    assert trainer.state.step == 0
    with pytest.raises(SystemExit, match="architecture differs"):
        tiny_trainer(data, tmp_path / "third", init_from=str(tmp_path / "first" / "generator"), ngf=16)


def test_init_from_a_generator_without_latent_warm_starts_a_latent_run(data: Path, tmp_path: Path) -> None:
    # The shipped model has no latent input; the default recipe's run (--z-dim) must still start from it.
    run_cli(data, tmp_path / "first", "--steps", "2")
    saved = load_generator(tmp_path / "first" / "generator").state_dict()
    trainer = tiny_trainer(
        data, tmp_path / "second", init_from=str(tmp_path / "first" / "generator"), z_dim=4, dropout=0.0
    )
    mine = trainer.G.state_dict()
    first = mine.pop("downs.0.weight")
    assert first.shape[1] == 1 + 4
    assert torch.equal(first[:, :1], saved.pop("downs.0.weight"))
    assert 0.01 < first[:, 1:].std() < 0.03  # the latent channels keep the fresh N(0, 0.02) initialisation
    assert all(torch.equal(mine[name], weight) for name, weight in saved.items())
    faces = trainer.G(torch.zeros(2, 1, 64, 64), seeds=[0, 1])
    assert (faces[0] - faces[1]).abs().mean() > 0  # without dropout, only the latent differs


def test_feature_matching_is_the_mean_l1_over_layers_leaving_out_the_logits() -> None:
    real = [[torch.zeros(2, 4, 3, 3), torch.zeros(2, 1, 3, 3)]]
    fake = [[torch.stack([torch.ones(4, 3, 3), torch.full((4, 3, 3), 9.0)]), torch.full((2, 1, 3, 3), 100.0)]]
    assert train.feature_matching_loss(fake, real).item() == pytest.approx(5.0)


def test_resume_refuses_a_truncated_or_foreign_checkpoint(data: Path, tmp_path: Path) -> None:
    run_cli(data, tmp_path, "--steps", "1")
    checkpoint = tmp_path / "checkpoint.pt"
    with pytest.raises(SystemExit, match="was trained with another architecture"):
        run_cli(data, tmp_path, "--steps", "2", "--resume", "--ngf", "16")
    checkpoint.write_bytes(checkpoint.read_bytes()[:1000])
    with pytest.raises(SystemExit, match="checkpoint.pt is not a readable training checkpoint"):
        run_cli(data, tmp_path, "--steps", "2", "--resume")


@pytest.mark.slow
def test_sigint_saves_a_checkpoint_and_resume_continues(data: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    command = training_command(data, out, "--steps", "100000")
    process = subprocess.Popen(
        command, cwd=REPO_ROOT, env=subprocess_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        deadline = time.time() + 60
        while not (out / "losses.csv").exists() and process.poll() is None and time.time() < deadline:
            time.sleep(0.2)
        assert process.poll() is None, process.communicate()[0]
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, output
    assert "SIGINT" in output and "continue with --resume" in output
    stopped = torch.load(out / "checkpoint.pt", weights_only=True)["step"]
    assert stopped >= 1
    run_cli(data, out, "--steps", str(stopped + 2), "--resume")
    assert torch.load(out / "checkpoint.pt", weights_only=True)["step"] == stopped + 2


@pytest.mark.slow
@pytest.mark.parametrize(
    ("stop", "by_name"),
    [(signal.SIGINT, False), (signal.SIGTERM, False), (signal.SIGTERM, True)],
    ids=["ctrl-c", "kill-the-group", "pkill"],
)
def test_a_stop_with_loader_workers_saves_once_and_resumes(
    data: Path, tmp_path: Path, stop: signal.Signals, by_name: bool
) -> None:
    """Ctrl-C in a terminal or `kill -- -PGID` reach every process the run started at its start; `pkill -f
    p2p.train` reaches the training process and each loader worker (forked with its command line) by name."""
    out = tmp_path / "run"
    command = training_command(data, out, "--workers", "2", "--steps", "100000")
    process = start_in_own_process_group(command)
    try:
        deadline = time.time() + 90
        while not (out / "losses.csv").exists() and process.poll() is None and time.time() < deadline:
            time.sleep(0.2)
        assert process.poll() is None, process.communicate()[0]
        children, workers = Path(f"/proc/{process.pid}/task/{process.pid}/children"), []
        while len(workers) < 2 and time.time() < deadline:  # an epoch's two loader workers are up
            workers = [int(pid) for pid in children.read_text().split()]
        assert len(workers) == 2, workers
        if by_name:
            for pid in [*workers, process.pid]:
                with contextlib.suppress(ProcessLookupError):  # an epoch's end may have ended it meanwhile
                    os.kill(pid, stop)
        else:
            os.killpg(process.pid, stop)
        output, _ = process.communicate(timeout=90)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == 130, output
    assert output.count("saving a checkpoint") == 1 and "killed by signal" not in output, output
    assert not any(Path(f"/proc/{pid}").exists() for pid in workers)  # they ended with the run
    stopped = torch.load(out / "checkpoint.pt", weights_only=True)["step"]
    run_cli(data, out, "--steps", str(stopped + 2), "--workers", "2", "--resume")
    assert torch.load(out / "checkpoint.pt", weights_only=True)["step"] == stopped + 2


# Run as the training process: the first DataLoader worker to start sends a SIGTERM to the run's process group
# right after PyTorch installed its worker signal handlers and before the worker leaves the group, the moment at
# which a `kill -- -PGID` can land in any epoch's worker start. The last argument names a file that marks it sent.
STOP_AT_WORKER_START = """
import os, runpy, signal, sys
from torch.utils.data._utils import signal_handling
sent = sys.argv.pop()
install = signal_handling._set_worker_signal_handlers
def install_then_stop_the_group():
    install()
    try:
        os.close(os.open(sent, os.O_CREAT | os.O_EXCL))
    except FileExistsError:
        return
    os.killpg(os.getpgrp(), signal.SIGTERM)
signal_handling._set_worker_signal_handlers = install_then_stop_the_group
runpy.run_module("p2p.train", run_name="__main__", alter_sys=True)
"""


@pytest.mark.slow
def test_a_stop_that_reaches_a_starting_loader_worker_saves_once(data: Path, tmp_path: Path) -> None:
    out, sent = tmp_path / "run", tmp_path / "stop-sent"
    command = training_command(data, out, "--workers", "2", "--steps", "100000")
    command[1:3] = ["-c", STOP_AT_WORKER_START]
    process = start_in_own_process_group([*command, str(sent)])
    try:
        output, _ = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert sent.exists(), output
    assert process.returncode == 130, output
    assert output.count("saving a checkpoint") == 1 and "killed by signal" not in output, output


@pytest.mark.slow
@pytest.mark.parametrize("options", [[], PRETRAINED_FLAGS], ids=["paper", "pretrained-critics"])
def test_ddp_with_two_cpu_processes(data: Path, tmp_path: Path, options: list[str]) -> None:
    out = tmp_path / "ddp"
    command = [
        PYTHON,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node",
        "2",
        "-m",
        "p2p.train",
        "--data",
        str(data),
        "--out",
        str(out),
        *TINY_TRAIN_FLAGS,
        "--steps",
        "3",
        *options,
    ]
    result = subprocess.run(command, cwd=REPO_ROOT, env=subprocess_env(), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "2 process(es)" in result.stdout + result.stderr
    state = torch.load(out / "checkpoint.pt", weights_only=True)
    assert state["step"] == 3
    for part in ("G", "P", "C") if options else ("G",):
        assert not any(k.startswith("module.") for k in state[part])  # the unwrapped model is saved
    assert (out / "generator" / "model.safetensors").is_file()
