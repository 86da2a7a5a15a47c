"""Optimizers and learning-rate schedules, PyTorch-shaped (``torch.optim``).

- :class:`SGD` — the book's gradient descent Δθ = −η ∂C/∂θ, plus momentum, dampening, Nesterov, weight decay
- :class:`Adam`, :class:`AdamW` — bias-corrected moment estimates; AdamW's weight decay is decoupled
- :class:`RMSprop` — the gradient over a running root mean square (optionally centered, with momentum)
- :class:`Adadelta`, :class:`Adagrad` — step sizes from accumulated squares of gradients (and of updates)
- :mod:`lr_scheduler` — ``StepLR``, ``MultiStepLR``, ``ExponentialLR``, ``CosineAnnealingLR``, ``LambdaLR``,
  ``ReduceLROnPlateau``, ``OneCycleLR``

Every optimizer has ``param_groups`` (a list of dicts), ``state`` (per parameter), ``zero_grad(set_to_none=True)``,
``step(closure=None)``, ``add_param_group`` and ``state_dict()``/``load_state_dict()`` in PyTorch's layout, so a
training run saved mid-way resumes exactly. Parameters are updated in place (``p.data`` keeps its array).

>>> import numpy as np
>>> from tinygrad_cnn import Tensor, optim
>>> w = Tensor([1.0, -2.0], requires_grad=True)
>>> opt = optim.SGD([w], lr=0.1, momentum=0.9)
>>> for _ in range(2):
...     opt.zero_grad()
...     (w * w).sum().backward()
...     opt.step()
>>> w.data                      # v = 2w₀ = [2, −4], w₁ = [0.8, −1.6]; v = 0.9v + 2w₁ = [3.4, −6.8], w₂ = w₁ − 0.1v
array([ 0.46, -0.92])
"""

from . import lr_scheduler
from .adam import Adam, AdamW
from .adaptive import Adadelta, Adagrad
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["SGD", "Adadelta", "Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "lr_scheduler"]
