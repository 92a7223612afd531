"""The pure latent operations (explorer/latent.py)."""

import pytest
import torch

from explorer.core import latent


def test_traverse_changes_only_one_coordinate():
    base = torch.randn(6)
    before = base.clone()
    values = torch.linspace(-3, 3, 7)
    codes = latent.traverse(base, 2, values)
    assert codes.shape == (7, 6)
    assert torch.equal(codes[:, 2], values)
    others = [0, 1, 3, 4, 5]
    assert torch.equal(codes[:, others], base[others].expand(7, -1))
    assert torch.equal(base, before)  # base untouched


def test_same_seed_gives_same_samples():
    a = latent.sample_gaussian(16, 5, seed=7)
    assert torch.equal(a, latent.sample_gaussian(16, 5, seed=7))
    assert not torch.equal(a, latent.sample_gaussian(16, 5, seed=8))
    shifted = latent.sample_gaussian(16, 5, seed=7, mean=torch.ones(5), std=torch.full((5,), 2.0))
    torch.testing.assert_close(shifted, a * 2 + 1)


def test_manifold_grid_corners_follow_the_inverse_cdf():
    n = 5
    grid = latent.manifold_grid(n, 0.05, 0.95)
    assert grid.shape == (n * n, 2)
    q = torch.distributions.Normal(0, 1).icdf(torch.tensor([0.05, 0.95]))
    lo, hi = q.tolist()
    # Row-major, first row at the top (largest z2), z1 increasing along a row.
    torch.testing.assert_close(grid[0], torch.tensor([lo, hi]))
    torch.testing.assert_close(grid[n - 1], torch.tensor([hi, hi]))
    torch.testing.assert_close(grid[-n], torch.tensor([lo, lo]))
    torch.testing.assert_close(grid[-1], torch.tensor([hi, lo]))
    torch.testing.assert_close(grid[n * (n // 2) + n // 2], torch.zeros(2), atol=1e-6, rtol=0)
    with pytest.raises(ValueError):
        latent.manifold_grid(5, 0.0, 1.0)  # the inverse CDF is infinite there


def test_lerp_and_slerp_endpoints():
    a, b = torch.randn(8), torch.randn(8)
    for path in (latent.lerp(a, b, 7), latent.slerp(a, b, 7)):
        assert path.shape == (7, 8)
        torch.testing.assert_close(path[0], a)
        torch.testing.assert_close(path[-1], b)


def test_slerp_keeps_the_norm_between_codes_of_equal_norm():
    a, b = torch.randn(16), torch.randn(16)
    b = b / b.norm() * a.norm()
    norms = latent.slerp(a, b, 11).norm(dim=1)
    torch.testing.assert_close(norms, torch.full((11,), float(a.norm())), rtol=1e-5, atol=1e-5)
    assert latent.lerp(a, b, 11).norm(dim=1)[5] < a.norm() * 0.99  # the straight line cuts inside


def test_slerp_of_parallel_codes_falls_back_to_lerp():
    a = torch.tensor([1.0, 2.0])
    torch.testing.assert_close(latent.slerp(a, 2 * a, 5), latent.lerp(a, 2 * a, 5))


def test_dims_by_importance():
    assert latent.dims_by_importance(torch.tensor([0.1, 3.0, 0.0, 1.0])) == [1, 3, 0, 2]
    assert latent.dims_by_importance(torch.tensor([0.1, 3.0, 0.0, 1.0]), limit=2) == [1, 3]


def test_projection_views():
    z = torch.randn(50, 4)
    assert torch.equal(latent.project(z, "dims", {}), z[:, :2])
    one_d = latent.project(z[:, :1], "dims", {})
    assert one_d.shape == (50, 2) and torch.equal(one_d[:, 1], torch.zeros(50))
    views = {
        "view_pca_mean": z.mean(0),
        "view_pca_components": torch.eye(4)[:2],
        "view_umap": torch.arange(100.0).view(50, 2),
    }
    torch.testing.assert_close(latent.project(z, "pca", views), (z - z.mean(0))[:, :2])
    # A stored code is placed at (about) its own UMAP position when its neighbours are itself.
    placed = latent.project(z[:3], "umap", views, stored_z=z, neighbours=1)
    torch.testing.assert_close(placed, views["view_umap"][:3])
    with pytest.raises(ValueError):
        latent.project(z, "tsne", views)
