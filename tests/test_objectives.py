import math

import torch

from training.objectives import active_units, gaussian_log_density, kl_divergence, kl_per_dim, kl_weight


def test_closed_form_kl_matches_monte_carlo():
    torch.manual_seed(0)
    mu, logvar = torch.randn(4, 3), torch.randn(4, 3) * 0.5
    z = mu + torch.randn(200_000, 4, 3) * (0.5 * logvar).exp()  # (S, N, k) samples of q
    log_q = gaussian_log_density(z, mu, logvar)
    log_p = gaussian_log_density(z, torch.zeros_like(z), torch.zeros_like(z))
    monte_carlo = (log_q - log_p).mean(0)  # (N,)
    torch.testing.assert_close(kl_divergence(mu, logvar), monte_carlo, atol=0.02, rtol=0.01)


def test_kl_is_zero_only_at_the_prior():
    zeros = torch.zeros(2, 5)
    assert torch.equal(kl_per_dim(zeros, zeros), zeros)
    assert (kl_per_dim(torch.full((2, 5), 0.1), zeros) > 0).all()


def test_kl_schedules():
    assert kl_weight("constant", 0, 100) == 1.0
    assert [kl_weight("linear", s, 100, warmup_steps=10) for s in (0, 5, 10, 50)] == [0.0, 0.5, 1.0, 1.0]
    cyc = [kl_weight("cyclical", s, 100, cycles=4, ratio=0.5) for s in range(100)]
    assert cyc[0] == 0.0 and cyc[25] == 0.0 and cyc[50] == 0.0  # each cycle restarts at 0
    assert math.isclose(cyc[6], 6 / 12.5) and cyc[13] == 1.0 and cyc[24] == 1.0


def test_active_units_count_dimensions_whose_kl_is_above_a_tenth_of_a_nat():
    assert active_units([2.0, 0.5, 0.1001, 0.1, 0.05, 0.0]) == 3
    assert active_units(torch.tensor([0.3, 0.0])) == 1 and active_units([]) == 0
