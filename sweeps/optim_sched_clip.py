"""A sweep against PyTorch (not collected by pytest): optimizers x options x dtypes x shapes (0-d included, with and
without a mid-run resume from torch's state_dict), schedulers x last_epoch, clip_grad_norm_ x norm types x
non-finite gradients. Prints the counts that agree and the first disagreements.

Run from the repository root: PYTHONPATH=$PWD python sweeps/optim_sched_clip.py (needs torch)
"""

import itertools
import math
import warnings

import numpy as np
import torch

from tinygrad_cnn import Tensor, optim
from tinygrad_cnn.nn.utils import clip_grad_norm_
from tinygrad_cnn.optim import lr_scheduler as sched

warnings.simplefilter("ignore")
RESULTS: dict[str, list[int]] = {}
FAILS: list[str] = []


def record(area, ok, what):
    RESULTS.setdefault(area, [0, 0])[0 if ok else 1] += 1
    if not ok and len(FAILS) < 30:
        FAILS.append(f"{area}: {what}")


def grid(**choices):
    return [dict(zip(choices, v)) for v in itertools.product(*choices.values())]


def optimizer_configs():
    out = []
    for o in grid(momentum=[0.0, 0.5, 0.9], dampening=[0.0, 0.3], weight_decay=[0.0, 0.1], nesterov=[False, True],
                  maximize=[False, True]):
        if o["nesterov"] and (o["momentum"] == 0 or o["dampening"] != 0):
            continue
        out.append(("SGD", dict(lr=0.05, **o)))
    for name in ("Adam", "AdamW"):
        for o in grid(betas=[(0.9, 0.999), (0.5, 0.8)], eps=[1e-8, 1e-3], weight_decay=[0.0, 0.1],
                      amsgrad=[False, True], maximize=[False, True]):
            out.append((name, dict(lr=0.01, **o)))
    for o in grid(alpha=[0.99, 0.8], weight_decay=[0.0, 0.1], momentum=[0.0, 0.5], centered=[False, True],
                  maximize=[False, True]):
        out.append(("RMSprop", dict(lr=0.01, **o)))
    return out


def sweep_optimizers():
    for (name, options), dtype, shape, resume in itertools.product(
            optimizer_configs(), ("float32", "float64"), [(), (1,), (3,), (2, 3)], (False, True)):
        rng = np.random.default_rng(hash((name, str(options), dtype, shape)) % 2**32)
        start = rng.standard_normal(shape).astype(dtype)
        p = Tensor(start.copy(), requires_grad=True)
        q = torch.tensor(start.copy(), requires_grad=True)
        opt, ref = getattr(optim, name)([p], **options), getattr(torch.optim, name)([q], foreach=False, **options)
        try:
            for step in range(8):
                if resume and step == 4:
                    p = Tensor(q.detach().numpy().copy(), requires_grad=True)
                    opt = getattr(optim, name)([p], **options)
                    opt.load_state_dict(ref.state_dict())
                g = rng.standard_normal(shape).astype(dtype)
                p.grad, q.grad = g.copy(), torch.tensor(g.copy())
                opt.step()
                ref.step()
            tol = dict(rtol=1e-5, atol=1e-6) if dtype == "float32" else dict(rtol=1e-10, atol=1e-12)
            ok = p.data.dtype == np.dtype(dtype) and np.allclose(p.data, q.detach().numpy(), **tol)
        except Exception as error:  # noqa: BLE001 - a crash is a disagreement
            ok = False
            options = {**options, "error": repr(error)[:80]}
        record("optimizers", ok, f"{name} {options} {dtype} {shape} resume={resume}")


def sweep_schedulers():
    makers = {
        "StepLR": [lambda m, o, e, k=k, g=g: m.StepLR(o, step_size=k, gamma=g, last_epoch=e)
                   for k in (1, 3) for g in (0.5, 0.1)],
        "MultiStepLR": [lambda m, o, e, ms=ms: m.MultiStepLR(o, milestones=ms, gamma=0.5, last_epoch=e)
                        for ms in ([2, 4, 4, 7], [0, 1], [10])],
        "ExponentialLR": [lambda m, o, e, g=g: m.ExponentialLR(o, gamma=g, last_epoch=e) for g in (0.8, 1.0)],
        "CosineAnnealingLR": [lambda m, o, e, t=t, lo=lo: m.CosineAnnealingLR(o, T_max=t, eta_min=lo, last_epoch=e)
                              for t in (1, 3, 5) for lo in (0.0, 0.01)],
        "LambdaLR": [lambda m, o, e: m.LambdaLR(o, lambda k: 1 / (k + 1), last_epoch=e),
                     lambda m, o, e: m.LambdaLR(o, lambda k: 0.9**k, last_epoch=e)],
    }
    for name, variants in makers.items():
        for index, make in enumerate(variants):
            for last_epoch, lr, groups in itertools.product(range(-1, 10), (0.1, 0.2), (1, 2)):
                ours = optim.SGD([{"params": [Tensor([0.0], requires_grad=True)], "lr": lr * (k + 1)}
                                  for k in range(groups)], lr=lr)
                theirs = torch.optim.SGD([{"params": [torch.zeros(1, requires_grad=True)], "lr": lr * (k + 1)}
                                          for k in range(groups)], lr=lr)
                if last_epoch >= 0:
                    for opt in (ours, theirs):
                        for k, group in enumerate(opt.param_groups):
                            group["initial_lr"] = 0.2 * (k + 1)
                try:
                    mine, ref = make(sched, ours, last_epoch), make(torch.optim.lr_scheduler, theirs, last_epoch)
                    a, b = [], []
                    for _ in range(12):
                        a.append([g["lr"] for g in ours.param_groups])
                        b.append([g["lr"] for g in theirs.param_groups])
                        ours.step()
                        theirs.step()
                        mine.step()
                        ref.step()
                    ok = mine.last_epoch == ref.last_epoch and np.allclose(a, b, rtol=1e-12, atol=1e-15)
                except Exception as error:  # noqa: BLE001
                    ok, a = False, repr(error)[:80]
                record("schedulers", ok, f"{name}[{index}] last_epoch={last_epoch} lr={lr} groups={groups}")
    # resuming without initial_lr: both refuse
    for name, variants in makers.items():
        for make, last_epoch in itertools.product(variants, (0, 3)):
            ours = optim.SGD([Tensor([0.0], requires_grad=True)], lr=0.1)
            theirs = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
            refused = []
            for module, opt in ((sched, ours), (torch.optim.lr_scheduler, theirs)):
                try:
                    make(module, opt, last_epoch)
                    refused.append(False)
                except (KeyError, ValueError):
                    refused.append(True)
            record("schedulers", refused == [True, True] and "initial_lr" not in ours.param_groups[0],
                   f"{name} last_epoch={last_epoch} without initial_lr: refused {refused}")


def sweep_clip():
    values = [None, math.nan, math.inf, -math.inf, 1e30, 1e-30]
    for norm_type, value, where, dtype, max_norm, strict in itertools.product(
            (0.5, 1.0, 2.0, 3.0, math.inf), values, (0, 1), ("float32", "float64"), (0.0, 1.0, 1e3), (False, True)):
        grads = [np.array([0.5, 1.0, -2.0]), np.array([[3.0, 4.0], [0.5, -0.25]])]
        if value is not None:
            grads[where].flat[1] = value
        ours = [Tensor(np.zeros(g.shape, dtype), requires_grad=True) for g in grads]
        theirs = [torch.zeros(g.shape, dtype=getattr(torch, dtype), requires_grad=True) for g in grads]
        for p, q, g in zip(ours, theirs, grads):
            p.grad, q.grad = g.astype(dtype), torch.tensor(g.astype(dtype))
        outcome = []
        for fn, params in ((clip_grad_norm_, ours), (torch.nn.utils.clip_grad_norm_, theirs)):
            try:
                outcome.append(float(fn(params, max_norm, norm_type, error_if_nonfinite=strict)))
            except RuntimeError:
                outcome.append("raised")
        rtol = 1e-5 if dtype == "float32" else 1e-12
        if "raised" in outcome:
            ok = outcome[0] == outcome[1]
        else:
            ok = np.allclose(outcome[0], outcome[1], rtol=rtol, equal_nan=True)
        for p, q in zip(ours, theirs):
            ok = ok and np.allclose(p.grad, q.grad.numpy(), rtol=rtol, atol=0, equal_nan=True)
        record("clip_grad_norm_", ok, f"p={norm_type} value={value} at {where} {dtype} max_norm={max_norm} "
                                      f"error_if_nonfinite={strict}: {outcome}")


if __name__ == "__main__":
    sweep_optimizers()
    sweep_schedulers()
    sweep_clip()
    total = [0, 0]
    for area, (agree, disagree) in RESULTS.items():
        print(f"{area:16s} {agree + disagree:5d} cases: {agree} agree, {disagree} disagree")
        total = [total[0] + agree, total[1] + disagree]
    print(f"{'total':16s} {sum(total):5d} cases: {total[0]} agree, {total[1]} disagree")
    for line in FAILS:
        print("  " + line)
