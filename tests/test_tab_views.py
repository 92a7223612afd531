"""Each tab's view functions and handlers called directly, with no server and no browser: a tab is reachable as
plain Python (its layout built inside a ``gr.Blocks`` that is never launched)."""

from __future__ import annotations

import gradio as gr
import numpy as np
import pytest

from explorer.core.entries import MAX_AXES, slider_code
from explorer.core.inputs import InputError
from explorer.page.lesson_bar import step_html
from explorer.page.tabs import compare, insights, interpolation, latent_map, reconstruction, sampling, traversal
from explorer.views.panels import slider_image


@pytest.fixture
def lineup(store):
    return store.lineup("mnist", 2, None)


def test_sampling_views_draw_each_models_grid_and_check_their_values(lineup):
    picture, n, seed = sampling.samples_picture(lineup, "4", 7)
    assert (n, seed) == (4, 7) and picture.ndim == 3 and picture.shape[1] > 3 * 4 * 28
    assert np.array_equal(sampling.samples_picture(lineup, 4, 7)[0], picture)  # one seed, one picture
    with pytest.raises(InputError, match="seed 99999999999 is out of range"):
        sampling.samples_picture(lineup, 4, 99999999999)
    assert sampling.manifolds_picture(lineup, 5)[0].shape[0] > 5 * 28
    assert sampling.spread_figure(lineup) is None  # at k = 2 the maps say it


def test_traversal_views_follow_the_slider_rule(store, lineup):
    offsets = traversal.checked_offsets(["1.5", -0.5])
    assert offsets == [1.5, -0.5, *[0.0] * (MAX_AXES - 2)]
    with pytest.raises(InputError, match="slider 1 must be a number between -3 and 3"):
        traversal.checked_offsets([4])
    frame = traversal.frame(lineup, 3, offsets)
    assert list(frame["pictures"]) == [m.name for m in lineup.models]
    labels = traversal.slider_labels(lineup, offsets)
    assert [label["visible"] for label in labels] == [True, True] + [False] * (MAX_AXES - 2)
    assert labels[0]["label"].startswith("1: z") and labels[0]["label"].count("z") == len(lineup.models)
    vae = store.entries["mnist-vae-z2"]
    assert slider_image(vae, 3, offsets).shape == (28, 28)
    assert slider_code(vae, 3, [0.0] * MAX_AXES).tolist() == vae.z[3].tolist()  # all at 0: the start image


def test_interpolation_and_reconstruction_views(lineup):
    picture, a, b = interpolation.paths_picture(lineup, 0, "5", 6)
    assert (a, b) == (0, 5) and picture.shape[0] > 2 * len(lineup.models) * 28
    with pytest.raises(InputError, match="end image index 300 is out of range"):
        interpolation.paths_picture(lineup, 0, 300, 6)
    picture, seed = reconstruction.reconstructions_picture(lineup, 3)
    assert seed == 3 and picture.shape[0] > (1 + len(lineup.models)) * 28


def test_insights_rows_name_each_model_with_its_metrics(store, lineup):
    rows = insights.metrics_rows(store, lineup)
    assert [r[0] for r in rows] == [e.name for e in store.models("mnist", 2)]
    vae = next(r for r in rows if r[0] == "mnist-vae-z2")
    assert vae[6].endswith("/ 2") and float(vae[3]) > 0


def test_the_compare_tab_polls_at_its_own_pace_and_says_what_a_sweep_is():
    snap = {"state": "running", "version": 5, "curves": {"m": {"epoch": [0.1, 0.2]}}}
    assert compare.poll_plan(snap, None, compare.POLL_TRAINING_S) == ([5, 2], compare.POLL_S)  # first points
    assert compare.poll_plan(snap, [5, 2], compare.POLL_S) == (None, compare.POLL_TRAINING_S)  # then slower
    assert compare.poll_plan(snap, [4, 2], compare.POLL_TRAINING_S) == (None, None)  # about once a second
    line = compare.line_html("<b>x</b> **done**", 0.5)
    assert "&lt;b&gt;x&lt;/b&gt; <b>done</b>" in line and 'style="width: 50.0%"' in line


def test_a_lesson_steps_text_is_its_words_and_only_its_emphasis(tmp_path):
    from explorer.core.lessons import read_lesson

    path = tmp_path / "a.toml"
    path.write_text(
        'title = "T"\n[[steps]]\ntitle = "<i>One</i>"\nquestion = "**Predict:** <form>?"\n'
        'answer = "*Yes*."\npage = { dataset = "mnist" }\n'
    )
    lesson = read_lesson(path)
    assert step_html(lesson, 1, False) == (
        '<div class="le-step" data-show="[]">'
        "<p><b>Step 1 of 1 · &lt;i&gt;One&lt;/i&gt;</b></p><p><b>Predict:</b> &lt;form&gt;?</p></div>"
    )
    assert step_html(lesson, 1, True).endswith('<div class="le-answer"><b>Answer:</b> <p><i>Yes</i>.</p></div></div>')


def test_a_tabs_handlers_run_without_a_server(store, tmp_path):
    from explorer.page.assets import Assets
    from explorer.page.context import Page
    from explorer.page.header import Header

    page = Page(store, Assets(tmp_path / "cache"))
    with gr.Blocks():  # laid out, never launched
        header = Header(page)
        tab = sampling.Tab(page, header)
        maps = latent_map.Tab(page, header)
    lineup = store.lineup("mnist", 2, None)
    out = tab.draw_samples(lineup, 4, 0)
    assert out[tab.samples]["value"].endswith("mnist-k2-samples-4x4-seed0.png") and out[header.sample_grid] == {
        "n": 4,
        "seed": 0,
    }
    assert out[tab.samples]["alt_text"].startswith("PCA, AE, VAE (mnist, k = 2): each a 4 by 4 grid")
    spec = maps.spec(lineup, "dims", 3, None, ["prior"])
    assert [m["name"] for m in spec["maps"]] == [m.name for m in lineup.models] and spec["selected"] == 3
    assert header.show_status(lineup)[header.status].startswith("<p><code>mnist-pca-z2</code>")
