"""The --plot figures: every heatmap has its colorbar, and every figure's title says what it leaves out.

The figures are built, not written (matplotlib's Agg backend); a colorbar is one more axes in the figure.
"""

import pytest

from tinygrad_cnn import models, textbook


@pytest.fixture(scope="module")
def plt():
    pytest.importorskip("matplotlib")
    from tinygrad_cnn.cli import _figures

    return _figures.pyplot()


def _title(figure) -> str:
    return figure._suptitle.get_text() if figure._suptitle is not None else ""


def test_train_filters_have_a_colorbar_and_name_what_is_left_out(plt):
    from tinygrad_cnn.cli import train_plots

    figure = train_plots._filters(plt, models.lenet5(seed=0))  # 6 filters: one row of 6 maps
    assert len(figure.axes) == 6 + 1  # the six maps and the colorbar
    assert any(ax.get_ylabel() == "weight" for ax in figure.axes)
    assert "not shown: biases, later layers" in _title(figure)
    figure = train_plots._filters(plt, models.small(num_classes=10, in_channels=3, image_size=8, seed=0))
    assert "input channels 2-3" in _title(figure)
    plt.close("all")


def test_train_misclassified_says_how_many_are_not_shown(plt):
    from tinygrad_cnn import datasets
    from tinygrad_cnn.cli import train_plots

    book = datasets.textbook()
    wrong = [{"index": i, "label": 0, "predicted": 1} for i in range(50)]
    assert "50 (the first 48 shown)" in _title(train_plots._misclassified(plt, book, wrong))
    assert "shown" not in _title(train_plots._misclassified(plt, book, wrong[:3]))
    plt.close("all")


def test_textbook_figures_have_colorbars_and_name_what_is_left_out(plt):
    from tinygrad_cnn.cli import textbook_plots

    images, targets = textbook.load_data()
    start = textbook.initial_parameters()
    filters = textbook_plots._filters_figure(plt, start, start)
    assert any(ax.get_ylabel() == "filter weight" for ax in filters.axes)
    assert "not shown: the output layer's 36 weights" in _title(filters)
    image = textbook_plots._image_figure(plt, start, start, images, targets, 0, "max")
    labels = [ax.get_ylabel() for ax in image.axes]
    assert labels.count(r"$a^F = \sigma(z^F)$") == 2 and labels.count(r"$\delta^F = \partial C / \partial z^F$") == 2
    assert "not shown: the pooled units" in _title(image)
    plt.close("all")
