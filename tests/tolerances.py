"""How far apart two float32 computations of the same quantity may honestly be."""

import math

import torch

EPS32 = torch.finfo(torch.float32).eps  # 2**-23: twice float32's unit roundoff


def float32_atol(reference, n_terms, depth=1, safety=4):
    """Absolute tolerance for comparing two float32 evaluations of `reference`.

    Each entry is computed by `depth` chained sums of up to `n_terms` terms. Summed in
    another order, a sum moves by about sqrt(n_terms) roundoffs of its largest terms
    (the probabilistic bound of Higham and Mary, 2019), and the errors of chained sums
    add up; `safety` covers the constants the estimate leaves out. The scale is the
    largest entry of `reference`.
    """
    scale = reference.abs().max().item()
    return safety * depth * math.sqrt(n_terms) * EPS32 * scale
