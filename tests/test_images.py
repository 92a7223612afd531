"""Pictures from tensors: the page's grids are laid out as torchvision's make_grid lays them out."""

from __future__ import annotations

import pytest
import torch
from torchvision.utils import make_grid

from explorer.views.images import grid, to_uint8


@pytest.mark.parametrize(
    ("n", "channels", "nrow", "pad"), [(16, 1, 4, 2), (7, 1, 3, 1), (5, 3, 8, 2), (1, 1, 4, 2), (1, 3, 4, 0)]
)
def test_grid_matches_torchvisions_make_grid(n, channels, nrow, pad):
    """Every count (a full grid, a partial last row, fewer images than a row, one image), grey and colour."""
    images = torch.rand(n, channels, 9, 7, generator=torch.Generator().manual_seed(n))
    expected = make_grid(images, nrow=nrow, padding=pad, pad_value=1.0)
    ours = grid(images, nrow=nrow, pad=pad)
    assert ours.shape == to_uint8(expected[:1] if channels == 1 else expected).shape
    assert (ours == to_uint8(expected[:1] if channels == 1 else expected)).all()
