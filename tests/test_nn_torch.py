"""Weights move between tinygrad_cnn and PyTorch: the same model in both, outputs and every gradient agree.

Skipped without PyTorch. float64 throughout, tolerance 1e-10. Dropout's masks are made equal by recording the
masks our Dropout draws and handing them, in order, to torch's dropout (monkeypatched in the test).
"""

import numpy as np
import pytest

import tinygrad_cnn
import tinygrad_cnn.functional as F
from tinygrad_cnn import Tensor, nn
from tinygrad_cnn.ops import normalization

torch = pytest.importorskip("torch")
tnn = torch.nn

TOL = 1e-10


def _ours():
    return nn.Sequential(
        nn.Conv2d(2, 4, 3, padding=1), nn.BatchNorm2d(4), nn.LeakyReLU(0.1), nn.MaxPool2d(2),
        nn.Conv2d(4, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4, momentum=None), nn.GELU(), nn.Sigmoid(),
        nn.LPPool2d(2, 2), nn.AvgPool2d(2), nn.Dropout(0.3), nn.Flatten(), nn.Linear(16, 8), nn.BatchNorm1d(8),
        nn.Tanh(), nn.Identity(), nn.Linear(8, 6), nn.ReLU(), nn.Linear(6, 3),
    ).double()


def _theirs():
    return tnn.Sequential(
        tnn.Conv2d(2, 4, 3, padding=1), tnn.BatchNorm2d(4), tnn.LeakyReLU(0.1), tnn.MaxPool2d(2),
        tnn.Conv2d(4, 4, 3, padding=1, bias=False), tnn.BatchNorm2d(4, momentum=None), tnn.GELU(), tnn.Sigmoid(),
        tnn.LPPool2d(2, 2), tnn.AvgPool2d(2), tnn.Dropout(0.3), tnn.Flatten(), tnn.Linear(16, 8), tnn.BatchNorm1d(8),
        tnn.Tanh(), tnn.Identity(), tnn.Linear(8, 6), tnn.ReLU(), tnn.Linear(6, 3),
    ).double()


@pytest.fixture
def shared_dropout_masks(monkeypatch):
    """Our Dropout records each mask it draws; torch's dropout uses them in the same order."""
    masks = []
    draw = normalization.dropout_mask

    def recording(shape, p, rng):
        mask = draw(shape, p, rng)
        masks.append(mask)
        return mask

    def replaying(input, p=0.5, training=True, inplace=False):
        if not training or p == 0:
            return input
        return input * torch.tensor(masks.pop(0).astype(np.float64)) * (1.0 / (1.0 - p))

    monkeypatch.setattr(normalization, "dropout_mask", recording)
    monkeypatch.setattr(torch.nn.functional, "dropout", replaying)
    return masks


def _loss_pair(out_ours, out_theirs, labels):
    one_hot = np.eye(3)[labels]
    ours = nn.CrossEntropyLoss(label_smoothing=0.1)(out_ours, labels) + 0.1 * nn.MSELoss()(
        nn.Softmax(dim=1)(out_ours), one_hot) + 0.1 * F.nll_loss(nn.LogSoftmax(dim=1)(out_ours), labels)
    t_labels = torch.tensor(labels)
    theirs = tnn.CrossEntropyLoss(label_smoothing=0.1)(out_theirs, t_labels) + 0.1 * tnn.MSELoss()(
        tnn.Softmax(dim=1)(out_theirs), torch.tensor(one_hot)) + 0.1 * torch.nn.functional.nll_loss(
        tnn.LogSoftmax(dim=1)(out_theirs), t_labels)
    return ours, theirs


def _compare_step(ours, theirs, x, labels):
    """One forward and backward in both; outputs, losses, gradients and buffers must agree."""
    ours.zero_grad()
    theirs.zero_grad()
    out_ours = ours(Tensor(x))
    out_theirs = theirs(torch.tensor(x))
    np.testing.assert_allclose(out_ours.data, out_theirs.detach().numpy(), rtol=0, atol=TOL)
    loss_ours, loss_theirs = _loss_pair(out_ours, out_theirs, labels)
    assert loss_ours.item() == pytest.approx(loss_theirs.item(), rel=0, abs=TOL)
    loss_ours.backward()
    loss_theirs.backward()
    theirs_params = dict(theirs.named_parameters())
    names = [name for name, _ in ours.named_parameters()]
    assert names == list(theirs_params)
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad, theirs_params[name].grad.numpy(), rtol=0, atol=TOL, err_msg=name)
    theirs_state = theirs.state_dict()
    for name, value in ours.state_dict().items():
        np.testing.assert_allclose(value, theirs_state[name].numpy(), rtol=0, atol=TOL, err_msg=name)


def _data():
    rng = np.random.default_rng(0)
    return rng.standard_normal((5, 2, 16, 16)), np.array([0, 1, 2, 1, 0])


def test_our_weights_load_into_torch_and_agree_in_train_and_eval(shared_dropout_masks):
    tinygrad_cnn.manual_seed(1)
    ours, theirs = _ours(), _theirs()
    state = ours.state_dict()
    assert list(state) == list(theirs.state_dict())  # same keys, same order
    theirs.load_state_dict({name: torch.tensor(value) for name, value in state.items()})
    x, labels = _data()
    for _ in range(2):  # two training steps: running statistics (and the cumulative average) advance
        _compare_step(ours.train(), theirs.train(), x, labels)
    assert int(ours[5].num_batches_tracked.item()) == 2
    _compare_step(ours.eval(), theirs.eval(), x[:3], labels[:3])
    assert not shared_dropout_masks  # every mask drawn was used


def test_torch_weights_load_into_ours_and_agree(shared_dropout_masks):
    torch.manual_seed(0)
    theirs, ours = _theirs(), _ours()
    x, labels = _data()
    with torch.no_grad():  # move the running statistics away from their initial values first
        theirs.train()[10].eval()  # (no dropout: no mask of ours to replay)
        theirs(torch.tensor(x) * 2 + 1)
    ours.load_state_dict(theirs.state_dict())  # torch tensors are accepted as they are
    _compare_step(ours.eval(), theirs.eval(), x, labels)
    _compare_step(ours.train(), theirs.train(), x, labels)


def test_tied_weights_round_trip_with_torch():
    class Tied(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = nn.Linear(3, 3, dtype=np.float64, seed=0)
            self.decoder = nn.Linear(3, 3, dtype=np.float64, seed=1)
            self.decoder.weight = self.encoder.weight

    class TorchTied(tnn.Module):
        def __init__(self):
            super().__init__()
            self.encoder, self.decoder = tnn.Linear(3, 3).double(), tnn.Linear(3, 3).double()
            self.decoder.weight = self.encoder.weight

    ours, theirs = Tied(), TorchTied()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert len(list(ours.parameters())) == len(list(theirs.parameters())) == 3
    theirs.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()})
    np.testing.assert_array_equal(theirs.decoder.weight.detach().numpy(), ours.encoder.weight.data)
    ours.load_state_dict(TorchTied().state_dict())
    assert ours.decoder.weight is ours.encoder.weight


# ------------------------------------------------------------------------------------------------ losses
def _loss_cases():
    rng = np.random.default_rng(3)
    logits = rng.standard_normal((4, 3))
    spatial = rng.standard_normal((2, 3, 2, 2))
    labels = np.array([0, 2, 1, 2])
    spatial_labels = np.array([[[0, 1], [2, -100]], [[1, 1], [0, 2]]])
    probs = rng.dirichlet(np.ones(3), size=4)
    weight = np.array([0.2, 1.0, 3.0])
    return [
        ("cross_entropy", logits, labels, {}),
        ("cross_entropy", logits, labels, {"weight": weight, "reduction": "sum"}),
        ("cross_entropy", logits, np.array([0, -100, 1, 2]), {"weight": weight, "label_smoothing": 0.2}),
        ("cross_entropy", logits, np.array([0, 5, 1, 5]), {"ignore_index": 5, "reduction": "none"}),
        ("cross_entropy", logits, labels, {"label_smoothing": 0.3, "reduction": "none"}),
        ("cross_entropy", logits, probs, {}),
        ("cross_entropy", logits, probs, {"weight": weight, "label_smoothing": 0.1, "reduction": "sum"}),
        ("cross_entropy", spatial, spatial_labels, {"weight": weight}),
        ("cross_entropy", spatial, spatial_labels, {"label_smoothing": 0.2, "reduction": "none"}),
        ("cross_entropy", spatial, rng.dirichlet(np.ones(3), size=(2, 2, 2)).transpose(0, 3, 1, 2), {}),
        ("nll_loss", logits, labels, {"weight": weight}),
        ("nll_loss", spatial, spatial_labels, {"reduction": "sum"}),
        ("mse_loss", logits, probs, {}),
        ("mse_loss", logits, probs, {"reduction": "none"}),
        ("binary_cross_entropy_with_logits", logits * 30, probs, {}),
        ("binary_cross_entropy_with_logits", logits, probs, {"pos_weight": weight, "weight": weight[::-1].copy(),
                                                             "reduction": "sum"}),
    ]


@pytest.mark.parametrize("name, x, target, options", _loss_cases(), ids=lambda v: v if isinstance(v, str) else "")
def test_losses_and_their_gradients_match_torch(name, x, target, options):
    ours_x, theirs_x = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    theirs_options = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in options.items()}
    ours = getattr(F, name)(ours_x, target, **options)
    theirs = getattr(torch.nn.functional, name)(theirs_x, torch.tensor(target), **theirs_options)
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=0, atol=TOL)
    seed = np.random.default_rng(0).standard_normal(ours.shape)
    ours.backward(seed)
    theirs.backward(torch.tensor(seed))
    np.testing.assert_allclose(ours_x.grad, theirs_x.grad.numpy(), rtol=0, atol=TOL)


def test_divisor_override_matches_torch():
    x = np.random.default_rng(0).standard_normal((1, 2, 5, 5))
    for options in [{"kernel_size": 2, "divisor_override": 3}, {"kernel_size": 3, "stride": 2, "padding": 1,
                                                                   "ceil_mode": True, "divisor_override": 5}]:
        ours_x, theirs_x = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        ours = nn.AvgPool2d(**options)(ours_x)
        theirs = tnn.AvgPool2d(**options)(theirs_x)
        np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=0, atol=TOL)
        ours.sum().backward()
        theirs.sum().backward()
        np.testing.assert_allclose(ours_x.grad, theirs_x.grad.numpy(), rtol=0, atol=TOL)


def test_clip_grad_matches_torch():
    rng = np.random.default_rng(0)
    grads = [rng.standard_normal((3, 2)), rng.standard_normal(4)]
    for norm_type in (2.0, 1.0, float("inf")):
        ours = [Tensor(np.zeros_like(g), requires_grad=True) for g in grads]
        theirs = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
        for p, q, g in zip(ours, theirs, grads):
            p.grad, q.grad = g.copy(), torch.tensor(g)
        total = nn.utils.clip_grad_norm_(ours, 0.5, norm_type)
        expected = torch.nn.utils.clip_grad_norm_(theirs, 0.5, norm_type)
        assert float(total) == pytest.approx(float(expected), rel=1e-12)
        for p, q in zip(ours, theirs):
            np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-12)
    ours = [Tensor(np.zeros_like(g), requires_grad=True) for g in grads]
    for p, g in zip(ours, grads):
        p.grad = g.copy()
    nn.utils.clip_grad_value_(ours, 0.3)
    np.testing.assert_array_equal(ours[0].grad, np.clip(grads[0], -0.3, 0.3))
