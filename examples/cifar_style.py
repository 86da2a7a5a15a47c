"""A second PyTorch training script, CIFAR-style, run by tinygrad_cnn with only its import block changed.

It uses what a CIFAR/ImageNet-style PyTorch script uses beyond ``examples/mnist.py``: ``nn.BatchNorm2d``,
``nn.AdaptiveAvgPool2d``, ``nn.CrossEntropyLoss(label_smoothing=...)``, SGD with Nesterov momentum and weight decay
under ``OneCycleLR`` stepped every batch, the ImageNet example's top-k ``accuracy`` (``topk``, ``t``, ``eq``,
``expand_as``, ``mul_``), ``torch.inference_mode()``, ``torch.randperm`` shuffling, ``torch.save``/``torch.load`` of
a ``state_dict`` and ``from torch.utils.data import DataLoader, TensorDataset``. The data: synthetic 3×8×8 colour
images of 10 classes (no download). ``tests/test_pytorch_script.py`` runs it both ways from the same weights.

    python examples/cifar_style.py --epochs 3
"""

import argparse

import numpy as np

# --- imports: the only lines that differ from the PyTorch version ---
# isort: off
import tinygrad_cnn as torch
import tinygrad_cnn.nn as nn
import tinygrad_cnn.optim as optim
from tinygrad_cnn.optim.lr_scheduler import OneCycleLR
from tinygrad_cnn.utils.data import DataLoader, TensorDataset
# isort: on
# --- end of imports ---


class Net(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
        )
        self.pool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(16, num_classes)

    def forward(self, x):
        x = self.pool(self.features(x))
        return self.fc(torch.flatten(x, 1))


def accuracy(output, target, topk=(1,)):
    """Top-k accuracies in percent, as in pytorch/examples' imagenet/main.py."""
    with torch.inference_mode():
        maxk = max(topk)
        batch_size = target.size(0)
        _, pred = output.topk(maxk, 1, True, True)
        pred = pred.t()
        correct = pred.eq(target.view(1, -1).expand_as(pred))
        res = []
        for k in topk:
            correct_k = correct[:k].reshape(-1).float().sum(0, keepdim=True)
            res.append(correct_k.mul_(100.0 / batch_size))
        return res


def train(model, loader, criterion, optimizer, scheduler, epoch):
    model.train()
    losses = []
    for data, target in loader:
        optimizer.zero_grad()
        loss = criterion(model(data), target)
        loss.backward()
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())
    print(f"Train Epoch: {epoch}\tLoss: {np.mean(losses):.6f}\tlr: {scheduler.get_last_lr()[0]:.6f}")
    return losses


@torch.inference_mode()
def evaluate(model, loader, criterion):
    model.eval()
    total_loss, top1, top3, n = 0.0, 0.0, 0.0, 0
    for data, target in loader:
        output = model(data)
        total_loss += criterion(output, target).item() * data.size(0)
        acc1, acc3 = accuracy(output, target, topk=(1, 3))
        top1 += acc1.item() * data.size(0) / 100.0
        top3 += acc3.item() * data.size(0) / 100.0
        n += data.size(0)
    print(f"Test set: Average loss: {total_loss / n:.4f}, Acc@1: {100.0 * top1 / n:.2f}, Acc@3: {100.0 * top3 / n:.2f}")
    return total_loss / n, top1 / n, top3 / n


def load_data(seed=0, n=600):
    """Synthetic colour images (N, 3, 8, 8) float32 and int64 labels: a smooth pattern per class, plus noise."""
    rng = np.random.default_rng(seed)
    templates = rng.normal(size=(10, 3, 4, 4)).repeat(2, axis=2).repeat(2, axis=3)
    labels = rng.integers(0, 10, size=n)
    images = (templates[labels] + 1.2 * rng.normal(size=(n, 3, 8, 8))).astype(np.float32)
    split = n * 5 // 6
    return (images[:split], labels[:split]), (images[split:], labels[split:])


def main(argv=None):
    parser = argparse.ArgumentParser(description="CIFAR-style training on synthetic 3x8x8 images")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=50)
    parser.add_argument("--max-lr", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--init", default=None, help="a state_dict saved with torch.save to start from")
    parser.add_argument("--save", default=None, help="where to torch.save the trained state_dict")
    args = parser.parse_args(argv)

    torch.manual_seed(args.seed)
    (x_train, y_train), (x_test, y_test) = load_data()
    order = torch.randperm(len(y_train))  # one shuffle, then fixed batches (both libraries see the same order
    x, y = torch.tensor(x_train), torch.tensor(y_train)  # only when --init fixes the weights and this order)
    train_loader = DataLoader(TensorDataset(x, y), batch_size=args.batch_size)
    if args.init is None:
        train_loader = DataLoader(TensorDataset(x[order], y[order]), batch_size=args.batch_size)
    test_loader = DataLoader(TensorDataset(torch.tensor(x_test), torch.tensor(y_test)), batch_size=200)

    model = Net()
    if args.init is not None:
        model.load_state_dict(torch.load(args.init))
    criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
    optimizer = optim.SGD(model.parameters(), lr=args.max_lr, momentum=0.9, nesterov=True, weight_decay=5e-4)
    scheduler = OneCycleLR(optimizer, max_lr=args.max_lr, total_steps=args.epochs * len(train_loader))
    history = []
    for epoch in range(1, args.epochs + 1):
        losses = train(model, train_loader, criterion, optimizer, scheduler, epoch)
        history.append((losses, evaluate(model, test_loader, criterion)))
    if args.save is not None:
        torch.save(model.state_dict(), args.save)
        model.load_state_dict(torch.load(args.save))
    return history


if __name__ == "__main__":
    main()
