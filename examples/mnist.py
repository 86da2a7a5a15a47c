"""A PyTorch CNN training script in the form of pytorch/examples' ``mnist/main.py``, run by tinygrad_cnn.

Only the import block below differs from the PyTorch version of this script; with PyTorch's imports
(``import torch``, ``import torch.nn as nn``, ``import torch.nn.functional as F``, ``import torch.optim as optim``,
``from torch.optim.lr_scheduler import StepLR``, ``from torch.utils.data import DataLoader, TensorDataset``) the
same file trains under PyTorch (``tests/test_pytorch_script.py`` runs it both ways). The data are the 8×8
digits bundled with scikit-learn (``--data digits``, the ``digits`` extra) or, needing nothing, synthetic 8×8
digits (``--data synthetic``), in place of torchvision's MNIST; the network is pytorch/examples' with ``fc1``
sized for 8×8 images.

    python examples/mnist.py --epochs 3
"""

import argparse

import numpy as np

# --- imports: the only lines that differ from the PyTorch version ---
# isort: off
import tinygrad_cnn as torch
import tinygrad_cnn.nn as nn
import tinygrad_cnn.nn.functional as F
import tinygrad_cnn.optim as optim
from tinygrad_cnn.optim.lr_scheduler import StepLR
from tinygrad_cnn.data import DataLoader, TensorDataset
# isort: on
# --- end of imports ---


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()  # noqa: UP008  (the PyTorch examples' spelling)
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(256, 128)  # 64 channels × 2 × 2 after two 3×3 convolutions and 2×2 pooling of 8×8
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = self.conv1(x)
        x = F.relu(x)
        x = self.conv2(x)
        x = F.relu(x)
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = self.fc1(x)
        x = F.relu(x)
        x = self.dropout2(x)
        x = self.fc2(x)
        output = F.log_softmax(x, dim=1)
        return output


def train(args, model, device, train_loader, optimizer, epoch):
    model.train()
    for batch_idx, (data, target) in enumerate(train_loader):
        data, target = data.to(device), target.to(device)
        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        optimizer.step()
        if batch_idx % args.log_interval == 0:
            print('Train Epoch: {} [{}/{} ({:.0f}%)]\tLoss: {:.6f}'.format(  # noqa: UP032
                epoch, batch_idx * len(data), len(train_loader.dataset),
                100. * batch_idx / len(train_loader), loss.item()))
            if args.dry_run:
                break


def test(model, device, test_loader):
    model.eval()
    test_loss = 0
    correct = 0
    with torch.no_grad():
        for data, target in test_loader:
            data, target = data.to(device), target.to(device)
            output = model(data)
            test_loss += F.nll_loss(output, target, reduction='sum').item()  # sum up batch loss
            pred = output.argmax(dim=1, keepdim=True)  # get the index of the max log-probability
            correct += pred.eq(target.view_as(pred)).sum().item()

    test_loss /= len(test_loader.dataset)

    print('\nTest set: Average loss: {:.4f}, Accuracy: {}/{} ({:.0f}%)\n'.format(  # noqa: UP032
        test_loss, correct, len(test_loader.dataset),
        100. * correct / len(test_loader.dataset)))


def load_data(name, seed=0):
    """8×8 digit images (N, 1, 8, 8) float32 and int64 labels, shuffled once, split 1500 : the rest."""
    rng = np.random.default_rng(seed)
    if name == 'digits':
        from sklearn.datasets import load_digits
        digits = load_digits()
        images, labels = digits.images / 16.0, digits.target
    else:  # synthetic: a fixed random stroke pattern per class, plus noise and a one-pixel jitter
        templates = (rng.random((10, 8, 8)) < 0.3).astype(np.float64)
        labels = rng.integers(0, 10, size=1797)
        images = templates[labels] + 0.3 * rng.normal(size=(1797, 8, 8))
        images = np.roll(images, rng.integers(-1, 2), axis=2)
    order = rng.permutation(len(labels))
    images = ((images - images.mean()) / images.std())[order, None].astype(np.float32)
    labels = labels[order].astype(np.int64)
    return (images[:1500], labels[:1500]), (images[1500:], labels[1500:])


def main(argv=None):
    # Training settings
    parser = argparse.ArgumentParser(description='PyTorch MNIST-style Example on 8x8 digits')
    parser.add_argument('--batch-size', type=int, default=64, metavar='N',
                        help='input batch size for training (default: 64)')
    parser.add_argument('--test-batch-size', type=int, default=1000, metavar='N',
                        help='input batch size for testing (default: 1000)')
    parser.add_argument('--epochs', type=int, default=14, metavar='N',
                        help='number of epochs to train (default: 14)')
    parser.add_argument('--lr', type=float, default=1.0, metavar='LR',
                        help='learning rate (default: 1.0)')
    parser.add_argument('--gamma', type=float, default=0.7, metavar='M',
                        help='Learning rate step gamma (default: 0.7)')
    parser.add_argument('--no-cuda', action='store_true', default=False,
                        help='disables CUDA training')
    parser.add_argument('--no-mps', action='store_true', default=False,
                        help='disables macOS GPU training')
    parser.add_argument('--dry-run', action='store_true', default=False,
                        help='quickly check a single pass')
    parser.add_argument('--seed', type=int, default=1, metavar='S',
                        help='random seed (default: 1)')
    parser.add_argument('--log-interval', type=int, default=10, metavar='N',
                        help='how many batches to wait before logging training status')
    parser.add_argument('--save-model', action='store_true', default=False,
                        help='For Saving the current Model')
    parser.add_argument('--data', choices=['digits', 'synthetic'], default='digits',
                        help='8x8 digits from scikit-learn, or synthetic ones (default: digits)')
    parser.add_argument('--init', default=None, metavar='PATH',
                        help='load the initial weights from a state_dict saved with torch.save')
    args = parser.parse_args(argv)
    use_cuda = not args.no_cuda and torch.cuda.is_available()
    use_mps = not args.no_mps and torch.backends.mps.is_available()

    torch.manual_seed(args.seed)

    if use_cuda:
        device = torch.device("cuda")
    elif use_mps:
        device = torch.device("mps")
    else:
        device = torch.device("cpu")

    train_kwargs = {'batch_size': args.batch_size}
    test_kwargs = {'batch_size': args.test_batch_size}
    if use_cuda:
        cuda_kwargs = {'num_workers': 1,
                       'pin_memory': True,
                       'shuffle': True}
        train_kwargs.update(cuda_kwargs)
        test_kwargs.update(cuda_kwargs)

    (x_train, y_train), (x_test, y_test) = load_data(args.data)
    dataset1 = TensorDataset(torch.tensor(x_train, dtype=torch.float32), torch.tensor(y_train, dtype=torch.long))
    dataset2 = TensorDataset(torch.tensor(x_test, dtype=torch.float32), torch.tensor(y_test, dtype=torch.long))
    train_loader = DataLoader(dataset1, **train_kwargs)
    test_loader = DataLoader(dataset2, **test_kwargs)

    model = Net().to(device)
    if args.init is not None:
        model.load_state_dict(torch.load(args.init))
    optimizer = optim.Adadelta(model.parameters(), lr=args.lr)

    scheduler = StepLR(optimizer, step_size=1, gamma=args.gamma)
    for epoch in range(1, args.epochs + 1):
        train(args, model, device, train_loader, optimizer, epoch)
        test(model, device, test_loader)
        scheduler.step()

    if args.save_model:
        torch.save(model.state_dict(), "mnist_cnn.pt")


if __name__ == '__main__':
    main()
