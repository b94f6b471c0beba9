"""Lesson 01's exercises: a measured run, choosing on validation, a logged figure."""

from __future__ import annotations

import numpy as np

from ..i18n import _, format_number
from . import (
    _client,
    as_number,
    best_runs,
    describe_type,
    fail,
    get_run,
    param_value,
    passed,
    require_experiment,
    require_metric,
    require_params,
    require_run_name,
    same_number,
)

EXPERIMENT = "meu_experimento"
CANDIDATE_TAG = ("exercise", "choose_on_validation")


def _rmse(y_true, y_pred) -> float:
    return float(np.sqrt(np.mean((np.asarray(y_true, dtype=float) - np.asarray(y_pred, dtype=float)) ** 2)))


def check_exercise_1(exercise_1_run_id: object, X_train, y_train, X_test, y_test) -> None:
    """Exercise 1: run `exercise_1` in `meu_experimento`, params alpha=1.0 and l1_ratio=0.5, test `rmse`.

    Accepts: fluent or `MlflowClient` logging, `log_params` or `log_param` one by one, values as
    1, 1.0 or "1.0", names without case, a re-run (the id handed over decides). Refuses: not a
    run id, another run name or experiment, other parameter values, an `rmse` that is not this
    model's RMSE on the test houses (typed in, training or validation RMSE, another model).
    """
    from sklearn.linear_model import ElasticNet

    run = get_run(exercise_1_run_id)
    require_run_name(run, "exercise_1")
    require_experiment(run, EXPERIMENT)
    require_params(run, {"alpha": 1.0, "l1_ratio": 0.5})
    want = _rmse(y_test, ElasticNet(alpha=1.0, l1_ratio=0.5).fit(X_train, y_train).predict(X_test))
    got = require_metric(run, "rmse")
    # Tight: the value the code computes passes (rounded to cents too); one typed in from a
    # printed, rounded figure (this message's included) does not.
    if not same_number(got, want, rel=1e-6, abs=1e-6):
        fail(_("run {run_id} has rmse {got:,.2f}, not the RMSE of ElasticNet(alpha=1.0, l1_ratio=0.5), trained on "
               "X_train, on the test houses (about {want:,.0f}): log the value your code computes, "
               "np.sqrt(mean_squared_error(y_test, model.predict(X_test))), not a number typed in")
             .format(run_id=run.info.run_id, got=got, want=want))
    passed(_("Exercise 1: run exercise_1 logged its parameters and test RMSE {rmse:,.0f} CAD").format(rmse=want))


def log_candidates(split, alphas=(0.01, 0.2, 2.0), l1_ratio: float = 0.5) -> list[str]:
    """The lesson's candidates for Exercise 2 (a cell of the lesson calls it): one run per alpha,
    tagged `exercise = choose_on_validation`, with `val_rmse` and `test_rmse`. Returns their ids."""
    import mlflow
    from sklearn.linear_model import ElasticNet

    ids = []
    for alpha in alphas:
        fitted = ElasticNet(alpha=alpha, l1_ratio=l1_ratio).fit(split.X_train, split.y_train)
        with mlflow.start_run(run_name=f"candidate_alpha_{alpha}") as run:
            mlflow.log_params({"alpha": alpha, "l1_ratio": l1_ratio})
            mlflow.log_metrics({"val_rmse": _rmse(split.y_validation, fitted.predict(split.X_validation)),
                                "test_rmse": _rmse(split.y_test, fitted.predict(split.X_test))})
            mlflow.set_tag(*CANDIDATE_TAG)
        ids.append(run.info.run_id)
    return ids


def _true_val_rmse(run, split, cache: dict) -> float | None:
    """What the candidate's own params score on the validation houses (None without params)."""
    from sklearn.linear_model import ElasticNet

    alpha, l1_ratio = (as_number(param_value(run, k)) for k in ("alpha", "l1_ratio"))
    if alpha is None or l1_ratio is None:
        return None
    if (alpha, l1_ratio) not in cache:
        try:  # a hand-made run may hold values ElasticNet refuses (alpha=-1): it is no candidate
            fitted = ElasticNet(alpha=alpha, l1_ratio=l1_ratio).fit(split.X_train, split.y_train)
        except ValueError:
            cache[alpha, l1_ratio] = None
        else:
            cache[alpha, l1_ratio] = _rmse(split.y_validation, fitted.predict(split.X_validation))
    return cache[alpha, l1_ratio]


def check_exercise_2(best_run_id: object, split) -> None:
    """Exercise 2: the candidate (tag `exercise = choose_on_validation`) with the lowest `val_rmse`.

    Accepts: any search (`search_runs` with order_by, a DataFrame sort, `MlflowClient.search_runs`,
    min over the runs), any of the runs sharing the lowest value (a re-run of the lesson logs the
    candidates again: ties are equal answers). Only candidates whose `val_rmse` is what their
    params really score on the validation houses count, so a hand-made run with an invented
    score neither blocks nor passes the answer. Refuses: not a run id, a run that is not a
    candidate, the lowest *test* RMSE, the highest validation RMSE.
    """
    run = get_run(best_run_id)
    if run.data.tags.get(CANDIDATE_TAG[0]) != CANDIDATE_TAG[1]:
        fail(_("run {run_id} is not one of the candidates: search the runs tagged exercise = choose_on_validation")
             .format(run_id=run.info.run_id))
    cache: dict = {}
    mine = require_metric(run, "val_rmse")
    true_value = _true_val_rmse(run, split, cache)
    if true_value is None or not np.isclose(mine, true_value, rtol=1e-6):
        fail(_("run {run_id}'s val_rmse is not what its parameters score on the validation houses: "
               "choose among the candidates the lesson logged").format(run_id=run.info.run_id))
    tagged = _client().search_runs([run.info.experiment_id],
                                   f"tags.{CANDIDATE_TAG[0]} = '{CANDIDATE_TAG[1]}'", max_results=5000)
    genuine = [r for r in tagged if "val_rmse" in r.data.metrics
               and (v := _true_val_rmse(r, split, cache)) is not None
               and np.isclose(r.data.metrics["val_rmse"], v, rtol=1e-6)]
    best = best_runs(genuine, "val_rmse")
    lowest = best[0].data.metrics["val_rmse"]
    if run.info.run_id not in {r.info.run_id for r in best}:
        test_best = {r.info.run_id for r in best_runs(genuine, "test_rmse")}
        hint = (_("you chose on test_rmse; choose on val_rmse: the test houses stay out of every choice")
                if run.info.run_id in test_best else
                _("order by metrics.val_rmse ASC (lowest first)"))
        fail(_("run {run_id} has val_rmse {got:,.0f}; the lowest among the candidates is {best:,.0f}: {hint}")
             .format(run_id=run.info.run_id, got=mine, best=lowest, hint=hint))
    passed(_("Exercise 2: {name} has the lowest validation RMSE, {rmse:,.0f} CAD")
           .format(name=run.info.run_name, rmse=lowest))


# ---------------------------------------------------------------- Exercise 3: what the chart shows

_MIN_BARS = 5


def _figure_and_axes(figure: object):
    """The root matplotlib Figure and its Axes, from what the learner hands over: a Figure, an
    Axes (pandas' `.plot.hist()`), an array or list of Axes (`DataFrame.hist`), or a (figure, ax)
    pair. None for anything else, or for Axes of more than one figure."""
    import matplotlib.axes
    import matplotlib.figure

    def flat(value):
        if isinstance(value, (list, tuple, np.ndarray)):
            return [part for item in value for part in flat(item)]
        return [value]

    parts = flat(figure)
    if not parts:
        return None
    roots, axes = set(), []
    for part in parts:
        if isinstance(part, matplotlib.figure.FigureBase):
            roots.add(part.get_figure(root=True))
            axes.extend(part.axes)
        elif isinstance(part, matplotlib.axes.Axes):
            roots.add(part.get_figure(root=True))
            axes.append(part)
        else:
            return None
    if len(roots) != 1:
        return None
    return roots.pop(), list(dict.fromkeys(axes))


def _bins_of_bars(centres, widths, heights) -> np.ndarray | None:
    """Bins (rows lo, hi, height) under bars whose centres and widths are given along the binned
    axis. Bars narrower than their bins (`rwidth` < 1, `ax.bar(centres, counts)`) are centred on
    them: the share r of a bin a bar fills is read from neighbours' spacing. None when the bars
    overlap (no histogram in this orientation)."""
    order = np.argsort(centres)
    centres, widths, heights = centres[order], np.abs(widths[order]), heights[order]
    if len(centres) < 2:
        return None
    spacing = np.diff(centres)
    if (spacing <= 0).any() or (widths <= 0).any():
        return None
    share = float(np.median((widths[:-1] + widths[1:]) / (2 * spacing)))
    if not np.isfinite(share) or share > 1 + 1e-6:
        return None
    share = 1.0 if share > 1 - 1e-6 else share
    half = widths / (2 * share)
    return np.column_stack([centres - half, centres + half, heights])


def _bins_of_segments(vertices: np.ndarray) -> list[np.ndarray]:
    """Bins (lo, hi, height) read from the flat segments of a step outline (histtype "step" or
    "stepfilled", seaborn's element="step", a line drawn with drawstyle="steps"), both ways:
    flat along x (vertical bars) and flat along y (horizontal ones)."""
    found = []
    vertices = vertices[np.isfinite(vertices).all(axis=1)]
    for along, height in ((0, 1), (1, 0)):
        a, b = vertices[:-1], vertices[1:]
        flat = np.isclose(a[:, height], b[:, height], rtol=1e-9, atol=0) & (a[:, along] != b[:, along])
        rows = np.column_stack([np.minimum(a[flat, along], b[flat, along]),
                                np.maximum(a[flat, along], b[flat, along]), np.abs(a[flat, height])])
        found.append(np.unique(rows, axis=0))
    return found


def _bar_rows(rects, horizontal: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(start, width, base, height) of rectangles, along the binned axis and across it."""
    box = np.array([[r.get_x(), r.get_y(), r.get_width(), r.get_height()] for r in rects], dtype=float)
    x, y, w, h = box.T
    if horizontal:
        x, y, w, h = y, x, h, w
    start, width = np.where(w < 0, x + w, x), np.abs(w)
    base, height = np.where(h < 0, y + h, y), np.abs(h)
    return start, width, base, height


def _candidate_bins(ax) -> list[np.ndarray]:
    """Every way of reading bins (lo, hi, height) off an Axes' bars and step outlines."""
    import matplotlib.cbook
    from matplotlib.collections import PolyCollection
    from matplotlib.container import BarContainer
    from matplotlib.lines import Line2D
    from matplotlib.patches import Polygon, Rectangle, StepPatch

    rect_groups = [[p for p in c.patches if isinstance(p, Rectangle)]
                   for c in ax.containers if isinstance(c, BarContainer)]
    every_rect = [p for p in ax.patches if type(p) is Rectangle]
    candidates = []
    for horizontal in (False, True):
        for rects in [*rect_groups, every_rect]:
            if len(rects) < 2:
                continue
            start, width, base, height = _bar_rows(rects, horizontal)
            candidates.append(_bins_of_bars(start + width / 2, width, height))
        if every_rect:  # stacked bars (hist(..., stacked=True), seaborn multiple="stack"): the stack's top
            start, width, base, height = _bar_rows(every_rect, horizontal)
            keys = np.column_stack([start, width]).round(9)
            slots, index = np.unique(keys, axis=0, return_inverse=True)
            if len(slots) >= 2:
                top = np.full(len(slots), -np.inf)
                bottom = np.full(len(slots), np.inf)
                np.maximum.at(top, index.ravel(), base + height)
                np.minimum.at(bottom, index.ravel(), base)
                candidates.append(_bins_of_bars(slots[:, 0] + slots[:, 1] / 2, slots[:, 1], top - bottom))
        sized = [g for g in rect_groups if len(g) >= 2]
        if len(sized) >= 2 and len({len(g) for g in sized}) == 1:
            # Groups side by side (hist([a, b]), seaborn's hue with multiple="dodge") or layered
            # (hue): each group's bars, and their sum, over the bins the groups share.
            rows = [_bar_rows(sorted(g, key=lambda r: (r.get_y(), r.get_x()) if horizontal
                                     else (r.get_x(), r.get_y())), horizontal) for g in sized]
            lo = np.min([start for start, *_ in rows], axis=0)
            hi = np.max([start + width for start, width, *_ in rows], axis=0)
            heights = [height for *_, height in rows]
            for height in [*heights, np.sum(heights, axis=0)]:
                candidates.append(_bins_of_bars((lo + hi) / 2, hi - lo, height))
    for patch in ax.patches:
        if isinstance(patch, StepPatch):
            values, edges, baseline = patch.get_data()
            base = 0 if baseline is None else baseline
            candidates.append(np.column_stack([edges[:-1], edges[1:], np.abs(np.asarray(values) - base)]))
        elif isinstance(patch, Polygon):
            candidates.extend(_bins_of_segments(np.asarray(patch.get_xy(), dtype=float)))
    for collection in ax.collections:  # fill_between (seaborn's element="step"), not scatter's markers
        if not isinstance(collection, PolyCollection):
            continue
        for path in collection.get_paths():
            candidates.extend(_bins_of_segments(np.asarray(path.vertices, dtype=float)))
    for line in ax.get_lines():
        style = line.get_drawstyle()
        if isinstance(line, Line2D) and style in matplotlib.cbook.STEP_LOOKUP_MAP and style.startswith("steps"):
            x, y = np.asarray(line.get_xdata(), dtype=float), np.asarray(line.get_ydata(), dtype=float)
            if x.shape == y.shape and x.ndim == 1:
                candidates.extend(_bins_of_segments(np.column_stack(
                    matplotlib.cbook.STEP_LOOKUP_MAP[style](x, y))))
    bins = []
    for candidate in candidates:
        if candidate is None or len(candidate) == 0:
            continue
        candidate = candidate[np.isfinite(candidate).all(axis=1) & (candidate[:, 2] > 0)]
        candidate = candidate[np.argsort(candidate[:, 0])]
        if len(candidate) and (np.diff(candidate[:, 0]) >= 0).all() and \
                (candidate[1:, 0] >= candidate[:-1, 1] - 1e-9 * (candidate[-1, 1] - candidate[0, 0])).all():
            bins.append(candidate)  # the bins of a histogram do not overlap
    return bins


def _counts(bins: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The fewest and most `values` each bin may hold (a value on an edge may go either way), or
    None when some value lies outside every bin."""
    lo, hi = bins[:, :1], bins[:, 1:2]
    slack = 1e-6 * (hi - lo)
    if values.min() < lo[0, 0] - slack[0, 0] or values.max() > hi[-1, 0] + slack[-1, 0]:
        return None
    inside = (values >= lo - slack) & (values <= hi + slack)
    if not inside.any(axis=0).all():
        return None
    return ((values > lo + slack) & (values < hi - slack)).sum(axis=1), inside.sum(axis=1)


def _proportional(heights: np.ndarray, fewest: np.ndarray, most: np.ndarray) -> bool:
    """Some k > 0 has k * fewest <= height <= k * most in every bin (counts, shares, percents)."""
    if (most == 0).any():
        return False
    low = np.max(heights / most)
    high = np.min(np.where(fewest > 0, heights / np.maximum(fewest, 1), np.inf))
    return bool(low <= high * (1 + 1e-6))


def _counts_prices(bins: np.ndarray, price_sets: list[np.ndarray]) -> bool:
    """The bars count one of the price sets in their bins (or, density, count / bin width), the
    prices possibly scaled by a power of ten (thousands, millions)."""
    width = bins[:, 1] - bins[:, 0]
    for prices in price_sets:
        for power in range(-3, 7):
            counted = _counts(bins, prices / 10.0 ** power)
            if counted is None:
                continue
            if any(_proportional(bins[:, 2] * scale, *counted) for scale in (1.0, width)):
                return True
    return False


def _price_sets() -> list[np.ndarray]:
    """The prices a learner may chart: all houses, or a part of the lesson's splits."""
    import lab_utils

    houses = lab_utils.load_house_prices()
    _, _, y_train, y_test = lab_utils.split_house_prices(houses)
    three = lab_utils.split_train_validation_test(houses)
    return [np.asarray(y, dtype=float)[None, :] for y in
            (houses["price"], y_train, y_test, three.y_train, three.y_validation)]


# The logged image shows the figure handed over when their thumbnails correlate at least this much.
# Measured on 13 histograms (ax.hist's variants, pandas', DataFrame.hist, ax.stairs): each logged
# at dpi 72/100/200, with or without bbox_inches="tight", transparent or on a grey background
# (104 cases) scores 0.98 to 1.00; another chart logged while a histogram is handed over (a line,
# a scatter, an empty figure, a bar chart of mean prices, lotsize's histogram, other bins, another
# orientation or histtype; 174 pairs) scores 0.86 at most. A figure changed after it was logged
# scores 0.42 to 0.94 with a title added (refused below 0.92: say which figure you logged), near 1
# with a grid or a line added (the image on the server still shows the histogram).
_SAME_IMAGE = 0.92


def _thumbnail(image, size=(64, 48)) -> np.ndarray | None:
    """A chart's content, coarsely: on white, in grey, its uniform border trimmed (the margin
    `bbox_inches="tight"` removes), thin lines thickened, averaged down to a small grid."""
    from PIL import Image, ImageFilter

    image = image.convert("RGBA")
    grey = np.asarray(Image.alpha_composite(Image.new("RGBA", image.size, "white"), image).convert("L"),
                      dtype=float)
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    values, counts = np.unique(border, return_counts=True)
    drawn = np.abs(grey - values[counts.argmax()]) > 24
    rows, cols = np.flatnonzero(drawn.any(axis=1)), np.flatnonzero(drawn.any(axis=0))
    if len(rows) < 2 or len(cols) < 2:
        return None
    content = Image.fromarray(grey[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1].astype(np.uint8))
    return np.asarray(content.filter(ImageFilter.MinFilter(3)).resize(size, Image.Resampling.BOX), dtype=float)


def _render(figure, **options):
    import io

    from PIL import Image

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", **options)  # what mlflow.log_figure does
    buffer.seek(0)
    return Image.open(buffer)


def _likeness(logged, figure) -> float:
    """How alike the logged image and the figure look (the correlation of their thumbnails, 1 for
    the same picture). The figure is rendered at the logged image's size, plain and with
    `bbox_inches="tight"`, and the closer of the two counts."""
    mine = _thumbnail(logged)
    if mine is None or mine.std() == 0:
        return 0.0
    inches = figure.get_size_inches()[0]
    renders = [_render(figure, dpi=float(np.clip(logged.size[0] / inches, 10, 400)))]
    tight = _render(figure, bbox_inches="tight")
    renders.append(_render(figure, bbox_inches="tight",
                           dpi=float(np.clip(figure.dpi * logged.size[0] / tight.size[0], 10, 400))))
    best = 0.0
    for render in renders:
        theirs = _thumbnail(render)
        if theirs is not None and theirs.std() > 0:
            best = max(best, float(np.corrcoef(mine.ravel(), theirs.ravel())[0, 1]))
    return best


def _colours(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct colours of an (…, 3) uint8 array, as packed 0xRRGGBB integers, and their
    counts (a one-dimensional np.unique: ~40 times faster than unique rows on a large image)."""
    packed = rgb.reshape(-1, 3).astype(np.uint32)
    return np.unique((packed[:, 0] << 16) | (packed[:, 1] << 8) | packed[:, 2], return_counts=True)


def _inside_the_axes(image) -> float | None:
    """The share of drawn pixels inside a chart's frame (its four spines), or None when no frame
    is found (styles without spines or with a shaded axes background are not judged).

    An empty `plt.subplots()` figure gives 0.0 (its ticks and labels are outside the frame); a
    histogram, a line, a grid give more. The margin skips tick marks drawn inwards."""
    px = np.asarray(image.convert("RGB"))
    colours, counts = _colours(px)
    background = colours[counts.argmax()]
    px = px.astype(int)
    ink = np.abs(px - [(background >> 16) & 255, (background >> 8) & 255, background & 255]).sum(axis=2) > 30
    rows, cols = np.flatnonzero(ink.mean(axis=1) > 0.4), np.flatnonzero(ink.mean(axis=0) > 0.4)
    margin = 8
    if len(rows) < 2 or len(cols) < 2 or rows[-1] - rows[0] <= 4 * margin or cols[-1] - cols[0] <= 4 * margin:
        return None
    return float(ink[rows[0] + margin:rows[-1] - margin + 1, cols[0] + margin:cols[-1] - margin + 1].mean())


def _figure(value: float) -> str:
    return format_number(value, 0 if abs(value) >= 100 else 2)


def _require_price_histogram(axes) -> None:
    """The figure's Axes show a histogram of the houses' prices, with at least _MIN_BARS bars."""
    read = {ax: _candidate_bins(ax) for ax in axes}  # each Axes' ways of reading bins, read once
    candidates = [bins for found in read.values() for bins in found]
    if not candidates:
        fail(_("the figure shows no histogram (no bars): ax.hist(houses[\"price\"], bins=30)"))
    price_sets = _price_sets()
    matching = [bins for bins in candidates if _counts_prices(bins, price_sets)]
    if not matching:
        prices = price_sets[0]
        widest = max(candidates, key=len)
        if any(_counts(bins, prices / 10.0 ** power) is not None for bins in candidates for power in range(-3, 7)):
            why = _("their heights are not the number of houses whose price lies between each bar's edges on the x axis")
        else:
            why = _("they run from {low} to {high}, the prices from {min:,.0f} to {max:,.0f}").format(
                low=_figure(widest[0, 0]), high=_figure(widest[-1, 1]), min=prices.min(), max=prices.max())
        fail(_("the bars do not count houses[\"price\"] in their bins: {why}; "
               "draw ax.hist(houses[\"price\"], bins=30)").format(why=why))
    charts = [ax for ax in axes if read[ax]]
    counting = [ax for ax in charts if any(_counts_prices(bins, price_sets) for bins in read[ax])]
    if len(charts) > len(counting):
        fail(_("the figure holds {charts} charts with bars and {counting} of them counts houses[\"price\"]: "
               "log the prices' histogram alone, e.g. houses.hist(\"price\")").format(charts=len(charts),
                                                                                    counting=len(counting)))
    bars = max(len(bins) for bins in matching)
    if bars < _MIN_BARS:
        fail(_("the histogram has {bars} bars, too few to show how prices spread: "
               "ax.hist(houses[\"price\"], bins=30)").format(bars=bars))


def check_exercise_3(exercise_3_run_id: object, figure: object) -> None:
    """Exercise 3: run `exercise_3` logged `plots/price_histogram.png`, and it is `figure`, a
    histogram of `houses["price"]`.

    The chart's content is read from the figure handed over (its bars or step outline), counted
    against the prices here, and the logged image must look like that figure.
    Accepts: `mlflow.log_figure`, or `savefig` + `log_artifact(..., artifact_path="plots")`, at
    any dpi, with `bbox_inches="tight"`; a Figure, an Axes (pandas' `.plot.hist()`,
    `Series.hist()`) or an array of Axes (`DataFrame.hist`); `ax.hist` with any bins, `density`,
    `log`, `rwidth`, histtype "bar", "step" or "stepfilled", horizontal; `ax.stairs`, bars drawn
    from `np.histogram`, seaborn's `histplot`; prices in thousands or millions; the prices of the
    training or test split. Refuses: not a run id, not a figure, another name, no such artifact, a
    file that is not an image, a tiny or blank image, empty axes, a figure with no bars (a line, a
    scatter), bars that do not count the prices (another column, a bar chart of something
    else), other charts with bars beside it (`houses.hist()`: every column), fewer than 5 bars, a
    logged image that is not the figure handed over (or a closed, empty one handed over).
    """
    import mlflow

    run = get_run(exercise_3_run_id)
    found = _figure_and_axes(figure)
    if found is None:
        fail(_("expected the matplotlib figure you logged (a Figure, or the Axes pandas returns), got {got}: "
               "put the matplotlib figure you logged in `figure`").format(got=describe_type(figure)))
    root, axes = found
    require_run_name(run, "exercise_3")
    names = {f.path for f in _client().list_artifacts(run.info.run_id, "plots")}
    if "plots/price_histogram.png" not in names:
        fail(_("the run has no artifact plots/price_histogram.png (found {names}): "
               "mlflow.log_figure(figure, \"plots/price_histogram.png\")").format(names=sorted(names) or "nothing"))
    try:  # the file on the server must be an image, not any file named .png
        image = mlflow.artifacts.load_image(f"runs:/{run.info.run_id}/plots/price_histogram.png")
    except Exception:
        fail(_("plots/price_histogram.png on the server is not an image: log the figure with mlflow.log_figure"))
    if image.format != "PNG":
        fail(_("plots/price_histogram.png is a {format} image: log the matplotlib figure as PNG")
             .format(format=image.format))
    if min(image.size) < 100:
        fail(_("plots/price_histogram.png is only {width}x{height} pixels, too small to read: draw a larger "
               "figure, e.g. plt.subplots(figsize=(6, 4))").format(width=image.size[0], height=image.size[1]))
    if len(_colours(np.asarray(image.convert("RGB")))[0]) <= 2:
        fail(_("the image is blank: draw the histogram before logging it"))
    if (inside := _inside_the_axes(image)) is not None and inside < 1e-4:
        fail(_("the chart's axes are empty: draw the histogram on the figure you log, e.g. "
               "figure, ax = plt.subplots(); ax.hist(houses[\"price\"], bins=30)"))
    if _likeness(image, root) < _SAME_IMAGE:
        fail(_("the image logged at plots/price_histogram.png is not the figure in `figure`: hand over the "
               "figure you logged (not a closed or an earlier one), or log this one"))
    _require_price_histogram(axes)
    passed(_("Exercise 3: plots/price_histogram.png shows your histogram of houses[\"price\"]"))
