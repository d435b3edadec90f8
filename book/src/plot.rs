//! Deterministic SVG line charts (plotters' SVG backend), e.g. a loss curve per epoch.
//!
//! The same [`Chart`] always gives the same bytes: no timestamps, no random ids, a fixed
//! palette, and text written as SVG `<text>` elements (plotters is built without a font
//! backend, so glyphs are never rasterised or measured: the viewer's fonts render the labels,
//! and any Unicode text — Chinese axis labels for the zh book — goes into the file as is,
//! XML-escaped). Text widths used for layout are plotters' crude estimate (0.7 em per byte of
//! UTF-8), which over-estimates CJK labels a little; the plot area is laid out with fixed
//! margins, so this only moves the legend box.
//!
//! Files are written atomically ([`ce_mle::fsio::write_atomic`]).

use std::path::Path;

use plotters::prelude::*;

use ce_mle::fsio::write_atomic;
use ce_mle::train::History;

use crate::error::{Error, Result};
use ce_mle::Error as CoreError;

/// One line of a chart: a name for the legend and its points `(x, y)` in data units.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// Legend entry (any Unicode text).
    pub name: String,
    /// The points, joined in this order.
    pub points: Vec<(f64, f64)>,
}

/// A line chart: a title, axis labels (given by the caller, in the reader's language) and one
/// or more series, drawn in a `size.0 × size.1` pixel canvas.
#[derive(Clone, Debug, PartialEq)]
pub struct Chart {
    /// Title above the plot.
    pub title: String,
    /// Label of the horizontal axis.
    pub x_label: String,
    /// Label of the vertical axis.
    pub y_label: String,
    /// The lines, drawn in this order with the colours of a fixed palette.
    pub series: Vec<Series>,
    /// Width and height in pixels (default 720 × 450).
    pub size: (u32, u32),
}

impl Chart {
    /// An empty chart with a title and axis labels, 720 × 450 pixels.
    #[must_use]
    pub fn new(title: &str, x_label: &str, y_label: &str) -> Self {
        Self {
            title: title.into(),
            x_label: x_label.into(),
            y_label: y_label.into(),
            series: Vec::new(),
            size: (720, 450),
        }
    }

    /// Add a series.
    #[must_use]
    pub fn with_series(mut self, name: &str, points: Vec<(f64, f64)>) -> Self {
        self.series.push(Series {
            name: name.into(),
            points,
        });
        self
    }

    /// Set the canvas size in pixels.
    #[must_use]
    pub fn with_size(mut self, width: u32, height: u32) -> Self {
        self.size = (width, height);
        self
    }
}

/// The texts of a loss-curve figure ([`loss_curve`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LossCurveText<'a> {
    /// Title.
    pub title: &'a str,
    /// Horizontal axis label.
    pub x_label: &'a str,
    /// Vertical axis label.
    pub y_label: &'a str,
    /// Legend of the training curve.
    pub train: &'a str,
    /// Legend of the validation curve.
    pub validation: &'a str,
}

impl LossCurveText<'static> {
    /// English texts.
    pub const ENGLISH: Self = Self {
        title: "Cross-entropy per epoch",
        x_label: "epoch",
        y_label: "mean cross-entropy (nats)",
        train: "training",
        validation: "validation",
    };
    /// Chinese texts.
    pub const CHINESE: Self = Self {
        title: "每轮的交叉熵",
        x_label: "轮次（epoch）",
        y_label: "平均交叉熵（奈特）",
        train: "训练集",
        validation: "验证集",
    };
}

/// The loss curve of a run: the training data loss per epoch and, when recorded, the
/// validation data loss (epochs 1-based on the horizontal axis; nats on the vertical one;
/// penalty excluded, as in [`History`]).
///
/// # Errors
/// [`ce_mle::Error::Empty`] for an empty history.
pub fn loss_curve(history: &History, text: &LossCurveText<'_>) -> Result<Chart> {
    if history.is_empty() {
        return Err(CoreError::Empty("a loss curve needs at least one epoch").into());
    }
    let points = |v: &[f64]| -> Vec<(f64, f64)> {
        v.iter()
            .enumerate()
            .map(|(e, &l)| ((e + 1) as f64, l))
            .collect()
    };
    let mut chart = Chart::new(text.title, text.x_label, text.y_label)
        .with_series(text.train, points(&history.train));
    if !history.validation.is_empty() {
        chart = chart.with_series(text.validation, points(&history.validation));
    }
    Ok(chart)
}

/// `[lo, hi]` padded so that a constant series still gets a non-empty range.
fn padded(lo: f64, hi: f64, fraction: f64) -> (f64, f64) {
    let span = hi - lo;
    let pad = if span > 0.0 {
        fraction * span
    } else {
        (0.05 * lo.abs()).max(0.5)
    };
    (lo - pad, hi + pad)
}

/// A tick label: the value with at most 6 decimals and no trailing zeros (`10`, `1.85`).
fn tick(v: f64) -> String {
    let s = format!("{v:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.into() }
}

/// The corner of the plot area for the legend: the first of upper right, upper left, lower
/// right, lower left with the fewest points in its box (a third of the width, a quarter of the
/// height).
fn legend_corner(
    series: &[Series],
    (x0, x1): (f64, f64),
    (y0, y1): (f64, f64),
) -> SeriesLabelPosition {
    let (w, h) = ((x1 - x0) / 3.0, (y1 - y0) / 4.0);
    let corners = [
        (SeriesLabelPosition::UpperRight, x1 - w, x1, y1 - h, y1),
        (SeriesLabelPosition::UpperLeft, x0, x0 + w, y1 - h, y1),
        (SeriesLabelPosition::LowerRight, x1 - w, x1, y0, y0 + h),
        (SeriesLabelPosition::LowerLeft, x0, x0 + w, y0, y0 + h),
    ];
    let inside = |&(_, xa, xb, ya, yb): &(SeriesLabelPosition, f64, f64, f64, f64)| {
        series
            .iter()
            .flat_map(|s| s.points.iter())
            .filter(|&&(x, y)| (xa..=xb).contains(&x) && (ya..=yb).contains(&y))
            .count()
    };
    let mut best = 0;
    for (i, c) in corners.iter().enumerate() {
        if inside(c) < inside(&corners[best]) {
            best = i;
        }
    }
    corners[best].0.clone()
}

/// Draw `chart` as an SVG document (a `String` starting with `<svg`). Each series becomes one
/// `<polyline>` with one vertex per point (pixel coordinates, rounded by plotters to integers),
/// in a plot area spanning the points' range (the vertical range padded by 5%); the legend is
/// drawn when there are two or more series or the single series has a name, in the corner
/// of the plot area that the lines cross least; tick labels drop trailing zeros.
///
/// # Errors
/// [`ce_mle::Error::Empty`] for no series, a series without points, or a zero size;
/// [`ce_mle::Error::InvalidValue`] (`row` = series, `col` = point) for a non-finite coordinate;
/// [`Error::Plot`] if plotters fails.
pub fn line_chart(chart: &Chart) -> Result<String> {
    if chart.series.is_empty() {
        return Err(CoreError::Empty("a chart needs at least one series").into());
    }
    if chart.size.0 == 0 || chart.size.1 == 0 {
        return Err(CoreError::Empty("a chart needs a non-zero width and height").into());
    }
    let (mut x0, mut x1, mut y0, mut y1) = (
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
    );
    for (s, series) in chart.series.iter().enumerate() {
        if series.points.is_empty() {
            return Err(CoreError::Empty("a chart series needs at least one point").into());
        }
        for (p, &(x, y)) in series.points.iter().enumerate() {
            if let Some(bad) = [x, y].into_iter().find(|v| !v.is_finite()) {
                return Err(CoreError::InvalidValue {
                    what: "chart points",
                    row: s,
                    col: p,
                    value: bad,
                    reason: "a plotted coordinate must be finite",
                }
                .into());
            }
            (x0, x1, y0, y1) = (x0.min(x), x1.max(x), y0.min(y), y1.max(y));
        }
    }
    let (x0, x1) = if x1 > x0 {
        (x0, x1)
    } else {
        padded(x0, x1, 0.0)
    };
    let (y0, y1) = padded(y0, y1, 0.05);
    let plot_err = |e: &dyn std::fmt::Display| Error::Plot(e.to_string());

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, chart.size).into_drawing_area();
        root.fill(&WHITE).map_err(|e| plot_err(&e))?;
        let mut ctx = ChartBuilder::on(&root)
            .caption(&chart.title, ("sans-serif", 22))
            .margin(12)
            .x_label_area_size(44)
            .y_label_area_size(64)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(|e| plot_err(&e))?;
        ctx.configure_mesh()
            .x_desc(chart.x_label.as_str())
            .y_desc(chart.y_label.as_str())
            .axis_desc_style(("sans-serif", 16))
            .label_style(("sans-serif", 13))
            .light_line_style(BLACK.mix(0.04))
            .x_label_formatter(&|v| tick(*v))
            .y_label_formatter(&|v| tick(*v))
            .draw()
            .map_err(|e| plot_err(&e))?;
        for (i, series) in chart.series.iter().enumerate() {
            let color = Palette99::pick(i).to_rgba();
            ctx.draw_series(LineSeries::new(
                series.points.iter().copied(),
                color.stroke_width(2),
            ))
            .map_err(|e| plot_err(&e))?
            .label(series.name.as_str())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
            });
        }
        if chart.series.len() > 1 || !chart.series[0].name.is_empty() {
            ctx.configure_series_labels()
                .position(legend_corner(&chart.series, (x0, x1), (y0, y1)))
                .label_font(("sans-serif", 14))
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK.mix(0.4))
                .draw()
                .map_err(|e| plot_err(&e))?;
        }
        root.present().map_err(|e| plot_err(&e))?;
    }
    Ok(tag_chinese(svg, chart))
}

/// Mark a chart whose text has Han characters as Simplified Chinese (`xml:lang="zh-Hans"` on
/// the root): without it a browser picks a CJK font by its own locale, and on a machine with
/// Noto CJK that can be the Japanese variant, whose shapes differ for shared characters.
fn tag_chinese(svg: String, chart: &Chart) -> String {
    let han = |s: &str| s.chars().any(|c| ('\u{4E00}'..='\u{9FFF}').contains(&c));
    let texts = [&chart.title, &chart.x_label, &chart.y_label];
    if texts.iter().any(|t| han(t)) || chart.series.iter().any(|s| han(&s.name)) {
        svg.replacen("<svg ", "<svg xml:lang=\"zh-Hans\" ", 1)
    } else {
        svg
    }
}

/// Draw `chart` ([`line_chart`]) and write it to `path` atomically ([`write_atomic`]).
///
/// # Errors
/// [`ce_mle::Error::InvalidFile`] unless `path` ends in `.svg`; as [`line_chart`] and
/// [`write_atomic`].
pub fn write_svg(path: &Path, chart: &Chart) -> Result<()> {
    let is_svg = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("svg"));
    if !is_svg {
        return Err(CoreError::InvalidFile {
            path: path.display().to_string(),
            reason: "a figure file must end in .svg".into(),
        }
        .into());
    }
    let svg = line_chart(chart)?;
    Ok(write_atomic(path, svg.as_bytes())?)
}
