"""Generated from notebooks/03_network.ipynb by tools/export.py: do not edit; edit the notebook and re-export."""

from torch import nn


# Defined in chapter 03 (notebooks/03_network.ipynb).
def xavier_(layer):
    """Glorot-uniform weights, bound sqrt(6 / (n_in + n_out)), and zero biases (eq. G).

    The initialisation of the paper's public code.
    """
    nn.init.xavier_uniform_(layer.weight)
    nn.init.zeros_(layer.bias)


# Defined in chapter 03 (notebooks/03_network.ipynb).
def mlp(sizes=(784, 100, 100, 10), init=xavier_):
    """Fully connected net with ReLU between layers: the paper's MNIST learner.

    Each linear layer is initialised by `init` (None: PyTorch's default).
    """
    layers = []
    for n_in, n_out in zip(sizes, sizes[1:]):
        layers += [nn.Linear(n_in, n_out), nn.ReLU()]
        if init is not None:
            init(layers[-2])
    return nn.Sequential(*layers[:-1])


# Defined in chapter 03 (notebooks/03_network.ipynb).
def n_parameters(net):
    """The number of scalar parameters of `net`: the length of its gradient vector."""
    return sum(p.numel() for p in net.parameters())
