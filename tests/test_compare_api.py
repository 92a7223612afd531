"""The Compare tab's endpoints and the committed sweep through gradio_client against the launched app.

No call here starts a training: each is refused before it reaches the queue (a valid one would write into
the repository's checkpoints folder; the browser test trains in a folder of its own)."""

from pathlib import Path

import pytest
from helpers import GENERIC, rgb

SWEEP = "mnist-grid"
SWEEPS = Path(__file__).resolve().parents[1] / "checkpoints" / "sweeps"


@pytest.mark.parametrize(
    "args,message",
    [
        (("mnist", [], [2], 5), r"choose at least one of the β values"),
        (("mnist", [1], [], 5), r"choose at least one of the latent sizes"),
        (("mnist", ["abc"], [2], 5), r"β must be a number between 0.01 and 100, got 'abc'"),
        (("mnist", [1], ["two"], 5), r"latent size k must be a whole number, got 'two'"),
        (("mnist", [-1], [2], 5), r"β must be a number between 0.01 and 100, got -1"),
        (("mnist", [1], [1000], 5), r"latent size k 1000 is out of range: it must be between 1 and 64"),
        (("mnist", [1], [2], "abc"), r"(?i)epochs must be a number, got 'abc'"),
        (("mnist", [1], [2], 500), r"epochs 500 is out of range"),
        (("cifar", [1], [2], 5), r"dataset must be one of .*got 'cifar'"),
        (("mnist", "1, abc", [2], 5), r"β must be a number between 0.01 and 100, got 'abc'"),
        (("mnist", [1], 2, 5), r"latent sizes must be a list, got 2"),
        (("mnist", [0.1, 0.25, 0.5, 1, 2, 4, 8], [2, 4, 8, 16, 32], 5), r"35 models × 5 epochs is too much"),
        (("mnist", list(range(1, 12)), list(range(1, 11)), 1), r"110 models is more than 100"),
    ],
)
def test_a_sweep_request_with_bad_values_gets_a_short_message(client, args, message):
    before = sorted(p.name for p in SWEEPS.iterdir())
    with pytest.raises(Exception, match=message) as error:
        client.predict(*args, api_name="/sweep_train")
    assert GENERIC not in str(error.value)
    assert sorted(p.name for p in SWEEPS.iterdir()) == before  # nothing was queued, so nothing written


def test_cancel_without_a_sweep_says_so(client):
    with pytest.raises(Exception, match="no sweep of yours is waiting or training"):
        client.predict(api_name="/sweep_cancel")


def test_the_committed_sweep_opens_in_the_other_tabs(client):
    """Models of the committed sweep at the zoo's latent sizes, alone or beside the zoo's VAE: their samples are
    drawn like any lineup's. (Its other sizes open from the page, whose k choices grow; the API's k choices are
    the page's first ones.)"""
    alone = client.predict("mnist", 16, [f"{SWEEP}-b4-z16"], 4, 0, api_name="/samples")
    assert rgb(alone).shape[1] > 4 * 28
    both = client.predict("mnist", 16, ["mnist-vae-z16", f"{SWEEP}-b0.1-z16"], 4, 0, api_name="/samples")
    assert rgb(both).shape[1] > rgb(alone).shape[1]
    client.predict("mnist", 2, [f"{SWEEP}-b8-z2"], 3, api_name="/select")
    with pytest.raises(Exception, match=r"no model named 'mnist-grid-b4-z9'"):
        client.predict("mnist", 16, [f"{SWEEP}-b4-z9"], 4, 0, api_name="/samples")
