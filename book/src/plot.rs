//! Deterministic SVG charts (plotters' SVG backend), e.g. a loss curve per epoch.
//!
//! The same [`Chart`] always gives the same bytes: no timestamps, no random ids, a fixed
//! palette, and text written as SVG `<text>` elements (plotters is built without a font
//! backend, so glyphs are never rasterised or measured: the viewer's fonts render the labels,
//! and any Unicode text — Chinese axis labels for the zh book — goes into the file as is,
//! XML-escaped). Text widths used for layout are estimates (plotters': 0.7 em per byte of
//! UTF-8; the legend's: 1 em per Chinese character, 0.6 em for the rest).
//!
//! # What a reader needs from a figure
//! * **Colour-blind safe, and not by colour alone.** Series take the Okabe–Ito colours
//!   ([`PALETTE`]: told apart with every common colour-vision deficiency) and each also has its
//!   own dash pattern and marker shape, drawn in the legend too: a figure printed in grey or
//!   read by a reader who sees no colour still tells its series apart.
//! * **No hidden series.** Markers sit at a few points of each line, shifted from one series to
//!   the next, so two series that coincide still show both markers; stem series
//!   ([`SeriesKind::Stems`]) are set side by side at each x.
//! * **Any theme.** The background is transparent and everything else is drawn in black or a
//!   palette colour: the book's stylesheet turns figures into their negative in the dark themes
//!   (`theme/reader.css`), where the mid-tone palette stays readable.
//! * **Subscripts.** `q_0`, `q_k` and `W_{cj}` in any text become SVG subscripts
//!   ([`subscripts`]), not raw TeX underscores.
//!
//! Files are written atomically ([`ce_mle::fsio::write_atomic`]).

use std::fmt::Write as _;
use std::path::Path;

use plotters::prelude::*;

use ce_mle::fsio::write_atomic;
use ce_mle::train::History;

use crate::error::{Error, Result};
use ce_mle::Error as CoreError;

/// How a series is drawn.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SeriesKind {
    /// The points joined in order by one line, with a few markers along it.
    #[default]
    Line,
    /// A vertical stem from 0 to each point, with a marker on top: for values at separate x
    /// (one per feature), which a line would wrongly join.
    Stems,
}

/// One series of a chart: a name for the legend and its points `(x, y)` in data units.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// Legend entry (any Unicode text; `_x` and `_{xy}` are subscripts).
    pub name: String,
    /// The points, in this order.
    pub points: Vec<(f64, f64)>,
    /// Line or stems.
    pub kind: SeriesKind,
    /// Mark the last point with a large marker (where a run stopped).
    pub end_marker: bool,
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
    /// The series, drawn in this order with the colours, dashes and markers of [`STYLES`].
    pub series: Vec<Series>,
    /// Width and height in pixels (default 720 × 450).
    pub size: (u32, u32),
    /// Names of categories at x = 1, 2, …: when given, the x axis is labelled with them at
    /// those positions instead of numbers (for stems, one group per category).
    pub x_categories: Vec<String>,
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
            x_categories: Vec::new(),
        }
    }

    /// Add a line series.
    #[must_use]
    pub fn with_series(self, name: &str, points: Vec<(f64, f64)>) -> Self {
        self.with_kind(name, points, SeriesKind::Line)
    }

    /// Add a series drawn as stems ([`SeriesKind::Stems`]).
    #[must_use]
    pub fn with_stems(self, name: &str, points: Vec<(f64, f64)>) -> Self {
        self.with_kind(name, points, SeriesKind::Stems)
    }

    fn with_kind(mut self, name: &str, points: Vec<(f64, f64)>, kind: SeriesKind) -> Self {
        self.series.push(Series {
            name: name.into(),
            points,
            kind,
            end_marker: false,
        });
        self
    }

    /// Mark the last point of the series added last with a large marker.
    #[must_use]
    pub fn with_end_marker(mut self) -> Self {
        if let Some(s) = self.series.last_mut() {
            s.end_marker = true;
        }
        self
    }

    /// Label x = 1, 2, … with these names ([`Chart::x_categories`]).
    #[must_use]
    pub fn with_x_categories(mut self, names: &[String]) -> Self {
        self.x_categories = names.to_vec();
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
    // Stems start at 0: keep 0 in the range, and half a step of x on each side, so the
    // first and last stems stand clear of the axes.
    let (x0, x1, y0, y1) = if chart.series.iter().any(|s| s.kind == SeriesKind::Stems) {
        let mut xs: Vec<f64> = chart
            .series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.0))
            .collect();
        xs.sort_by(f64::total_cmp);
        let step = xs
            .windows(2)
            .map(|w| w[1] - w[0])
            .filter(|&d| d > 0.0)
            .fold(f64::INFINITY, f64::min);
        let half = if step.is_finite() { step / 2.0 } else { 0.5 };
        (x0 - half, x1 + half, y0.min(0.0), y1.max(0.0))
    } else {
        (x0, x1, y0, y1)
    };
    let (y0, y1) = padded(y0, y1, 0.05);
    // A categorical chart has stems in every part of the plot: room above the tallest for the
    // legend (rows of 22 px and 16 px of padding in a plot area about 110 px shorter than the
    // canvas).
    let y1 = if chart.x_categories.is_empty() {
        y1
    } else {
        let legend = 16.0 + 22.0 * chart.series.len() as f64;
        let plot = (f64::from(chart.size.1) - 110.0).max(legend + 1.0);
        let frac = (legend + 10.0) / plot;
        y1 + (y1 - y0) * frac / (1.0 - frac)
    };
    let plot_err = |e: &dyn std::fmt::Display| Error::Plot(e.to_string());

    let mut svg = String::new();
    let mut overlay = String::new();
    {
        // No background: the page shows through (the book's dark themes invert the figure).
        let root = SVGBackend::with_string(&mut svg, chart.size).into_drawing_area();
        let mut ctx = ChartBuilder::on(&root)
            .caption(&chart.title, ("sans-serif", 22))
            .margin(12)
            .x_label_area_size(48)
            .y_label_area_size(70)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(|e| plot_err(&e))?;
        let x_format = |v: &f64| {
            if chart.x_categories.is_empty() {
                return tick(*v);
            }
            let k = v.round();
            let name = (k >= 1.0 && (v - k).abs() < 1e-9)
                .then(|| chart.x_categories.get(k as usize - 1))
                .flatten();
            name.cloned().unwrap_or_default()
        };
        let y_format = |v: &f64| tick(*v);
        let mut mesh = ctx.configure_mesh();
        mesh.x_desc(chart.x_label.as_str())
            .y_desc(chart.y_label.as_str())
            .axis_desc_style(("sans-serif", 17))
            .label_style(("sans-serif", 15))
            .light_line_style(BLACK.mix(0.04))
            .bold_line_style(BLACK.mix(0.15))
            .x_label_formatter(&x_format)
            .y_label_formatter(&y_format);
        if !chart.x_categories.is_empty() {
            mesh.x_labels(chart.x_categories.len());
        }
        mesh.draw().map_err(|e| plot_err(&e))?;
        let to_px = |x: f64, y: f64| ctx.backend_coord(&(x, y));
        let stems = chart
            .series
            .iter()
            .filter(|s| s.kind == SeriesKind::Stems)
            .count();
        let mut stem_index = 0;
        for (i, series) in chart.series.iter().enumerate() {
            let style = &STYLES[i % STYLES.len()];
            match series.kind {
                SeriesKind::Line => {
                    let px: Vec<(i32, i32)> =
                        series.points.iter().map(|&(x, y)| to_px(x, y)).collect();
                    draw_line(&mut overlay, &px, style);
                    for k in marker_indices(px.len(), i, chart.series.len()) {
                        draw_marker(&mut overlay, px[k], style, MARKER_SIZE);
                    }
                    if series.end_marker
                        && let Some(&last) = px.last()
                    {
                        draw_marker(&mut overlay, last, style, 2.0 * MARKER_SIZE);
                    }
                }
                SeriesKind::Stems => {
                    // Side by side: each stem series is shifted by a few pixels.
                    let shift = (2.0 * stem_index as f64 + 1.0 - stems as f64) * STEM_GAP;
                    stem_index += 1;
                    for &(x, y) in &series.points {
                        let (bx, by) = to_px(x, 0.0);
                        let (tx, ty) = to_px(x, y);
                        let bx = f64::from(bx) + shift;
                        let tx = f64::from(tx) + shift;
                        let _ = writeln!(
                            overlay,
                            r#"<line x1="{bx:.1}" y1="{by}" x2="{tx:.1}" y2="{ty}" stroke="{}" stroke-width="1.5"/>"#,
                            style.color
                        );
                        draw_marker(&mut overlay, (tx.round() as i32, ty), style, MARKER_SIZE);
                    }
                }
            }
        }
        let has_legend = chart.series.len() > 1 || !chart.series[0].name.is_empty();
        if has_legend {
            let (xr, yr) = ctx.plotting_area().get_pixel_range();
            // What the legend must not hide: the lines (sampled between their points) and
            // the stems' tops, in pixels.
            let mut drawn = Vec::new();
            for series in &chart.series {
                let px: Vec<(f64, f64)> = series
                    .points
                    .iter()
                    .map(|&(x, y)| {
                        let (a, b) = to_px(x, y);
                        (f64::from(a), f64::from(b))
                    })
                    .collect();
                drawn.extend(px.iter().copied());
                if series.kind == SeriesKind::Line {
                    for w in px.windows(2) {
                        drawn.extend((1..8).map(|t| {
                            let t = f64::from(t) / 8.0;
                            (
                                w[0].0 + t * (w[1].0 - w[0].0),
                                w[0].1 + t * (w[1].1 - w[0].1),
                            )
                        }));
                    }
                }
            }
            draw_legend(
                &mut overlay,
                &chart.series,
                &drawn,
                (xr.start, xr.end, yr.start, yr.end),
            );
        }
        root.present().map_err(|e| plot_err(&e))?;
    }
    let end = svg
        .rfind("</svg>")
        .ok_or_else(|| Error::Plot("plotters wrote no </svg>".into()))?;
    svg.insert_str(end, &overlay);
    Ok(tag_chinese(subscripts(&svg), chart))
}

/// The look of one series: colour, dash pattern (SVG `stroke-dasharray`, empty = solid) and
/// marker shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeriesStyle {
    /// `#RRGGBB`.
    pub color: &'static str,
    /// `stroke-dasharray` in pixels, or `""` for a solid line.
    pub dash: &'static str,
    /// The marker drawn along the line and in the legend.
    pub marker: Marker,
}

/// Marker shapes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Marker {
    /// Filled circle.
    Circle,
    /// Filled square.
    Square,
    /// Filled triangle, point up.
    Triangle,
    /// Filled diamond.
    Diamond,
    /// Hollow circle.
    Ring,
    /// Cross (×).
    Cross,
    /// Filled triangle, point down.
    TriangleDown,
}

/// The Okabe–Ito palette (Okabe & Ito 2008, "Color Universal Design"), without its yellow,
/// which is too light on white. Mid-tones first: the light orange and sky blue come last,
/// because a dark theme inverts the figure and makes them dark (black becomes white).
pub const PALETTE: [&str; 7] = [
    "#0072B2", // blue
    "#D55E00", // vermillion
    "#009E73", // bluish green
    "#CC79A7", // reddish purple
    "#000000", // black
    "#E69F00", // orange
    "#56B4E9", // sky blue
];

/// Series `i` of a chart is drawn with `STYLES[i % 7]`: a palette colour, a dash pattern and
/// a marker of its own.
pub const STYLES: [SeriesStyle; 7] = [
    SeriesStyle {
        color: PALETTE[0],
        dash: "",
        marker: Marker::Circle,
    },
    SeriesStyle {
        color: PALETTE[1],
        dash: "9 5",
        marker: Marker::Square,
    },
    SeriesStyle {
        color: PALETTE[2],
        dash: "2 4",
        marker: Marker::Triangle,
    },
    SeriesStyle {
        color: PALETTE[3],
        dash: "12 4 3 4",
        marker: Marker::Diamond,
    },
    SeriesStyle {
        color: PALETTE[4],
        dash: "5 3",
        marker: Marker::Ring,
    },
    SeriesStyle {
        color: PALETTE[5],
        dash: "1 3",
        marker: Marker::Cross,
    },
    SeriesStyle {
        color: PALETTE[6],
        dash: "15 5",
        marker: Marker::TriangleDown,
    },
];

/// Marker radius in pixels.
const MARKER_SIZE: f64 = 4.5;
/// Half the distance between neighbouring stems at the same x, in pixels.
const STEM_GAP: f64 = 2.5;
/// Markers along a line series.
const MARKERS_PER_LINE: usize = 8;

/// The points of series `i` (of `n`) that get a marker: [`MARKERS_PER_LINE`] evenly spaced,
/// shifted by a fraction of the spacing that differs from series to series.
fn marker_indices(len: usize, i: usize, n: usize) -> Vec<usize> {
    if len == 0 {
        return Vec::new();
    }
    let count = MARKERS_PER_LINE.min(len);
    let spacing = len as f64 / count as f64;
    let offset = (i as f64 + 0.5) / n.max(1) as f64;
    let mut out: Vec<usize> = (0..count)
        .map(|m| (((m as f64 + offset) * spacing) as usize).min(len - 1))
        .collect();
    out.dedup();
    out
}

fn draw_line(out: &mut String, px: &[(i32, i32)], style: &SeriesStyle) {
    let points: Vec<String> = px.iter().map(|(x, y)| format!("{x},{y}")).collect();
    let dash = if style.dash.is_empty() {
        String::new()
    } else {
        format!(r#" stroke-dasharray="{}""#, style.dash)
    };
    let _ = writeln!(
        out,
        r#"<polyline fill="none" stroke="{}" stroke-width="2.5"{dash} stroke-linejoin="round" points="{}"/>"#,
        style.color,
        points.join(" ")
    );
}

fn draw_marker(out: &mut String, (x, y): (i32, i32), style: &SeriesStyle, r: f64) {
    let (x, y) = (f64::from(x), f64::from(y));
    let c = style.color;
    let polygon = |pts: &[(f64, f64)]| {
        let p: Vec<String> = pts
            .iter()
            .map(|(dx, dy)| format!("{:.1},{:.1}", x + dx * r, y + dy * r))
            .collect();
        format!(r#"<polygon points="{}" fill="{c}"/>"#, p.join(" "))
    };
    let _ = match style.marker {
        Marker::Circle => writeln!(out, r#"<circle cx="{x}" cy="{y}" r="{r:.1}" fill="{c}"/>"#),
        Marker::Ring => writeln!(
            out,
            r#"<circle cx="{x}" cy="{y}" r="{r:.1}" fill="none" stroke="{c}" stroke-width="2"/>"#
        ),
        Marker::Square => writeln!(
            out,
            r#"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{c}"/>"#,
            x - 0.85 * r,
            y - 0.85 * r,
            1.7 * r,
            1.7 * r
        ),
        Marker::Triangle => writeln!(out, "{}", polygon(&[(0.0, -1.2), (1.1, 0.8), (-1.1, 0.8)])),
        Marker::TriangleDown => {
            writeln!(out, "{}", polygon(&[(0.0, 1.2), (1.1, -0.8), (-1.1, -0.8)]))
        }
        Marker::Diamond => writeln!(
            out,
            "{}",
            polygon(&[(0.0, -1.25), (1.0, 0.0), (0.0, 1.25), (-1.0, 0.0)])
        ),
        Marker::Cross => writeln!(
            out,
            r#"<path d="M{:.1},{:.1}L{:.1},{:.1}M{:.1},{:.1}L{:.1},{:.1}" stroke="{c}" stroke-width="2.2"/>"#,
            x - r,
            y - r,
            x + r,
            y + r,
            x - r,
            y + r,
            x + r,
            y - r
        ),
    };
}

/// Estimated width of `text` in pixels at `size`: 1 em per wide (Chinese) character, 0.6 em
/// for the others, subscript markup not counted.
fn text_width(text: &str, size: f64) -> f64 {
    use unicode_width::UnicodeWidthChar as _;
    let mut chars = text.chars().peekable();
    let mut em = 0.0;
    while let Some(c) = chars.next() {
        if c == '_' && chars.peek().is_some_and(|&n| n != ' ') {
            continue;
        }
        if c == '{' || c == '}' {
            continue;
        }
        em += if c.width() == Some(2) { 1.0 } else { 0.6 };
    }
    em * size
}

/// The legend: one row per series (a sample of its line with its marker, then its name), in a
/// box with a translucent white background, in the corner of the plot area `(left, right,
/// top, bottom)` (pixels) that covers fewest of the `drawn` pixels: upper right, upper left,
/// lower right, lower left, the first of equals.
fn draw_legend(
    out: &mut String,
    series: &[Series],
    drawn: &[(f64, f64)],
    (left, right, top, bottom): (i32, i32, i32, i32),
) {
    const FONT: f64 = 15.0;
    const ROW: f64 = 22.0;
    const SAMPLE: f64 = 34.0;
    const PAD: f64 = 8.0;
    let width = PAD * 3.0
        + SAMPLE
        + series
            .iter()
            .map(|s| text_width(&s.name, FONT))
            .fold(0.0, f64::max);
    let height = PAD * 2.0 + ROW * series.len() as f64;
    let (left, right, top, bottom) = (
        f64::from(left) + 10.0,
        f64::from(right) - 10.0,
        f64::from(top) + 10.0,
        f64::from(bottom) - 10.0,
    );
    let corners = [
        (right - width, top),
        (left, top),
        (right - width, bottom - height),
        (left, bottom - height),
    ];
    let covered = |&(x, y): &(f64, f64)| {
        drawn
            .iter()
            .filter(|&&(a, b)| (x..=x + width).contains(&a) && (y..=y + height).contains(&b))
            .count()
    };
    let (bx, by) = corners
        .iter()
        .copied()
        .min_by_key(covered)
        .unwrap_or(corners[0]);
    let _ = writeln!(
        out,
        r##"<rect x="{bx:.1}" y="{by:.1}" width="{width:.1}" height="{height:.1}" fill="#FFFFFF" fill-opacity="0.85" stroke="#000000" stroke-opacity="0.4"/>"##
    );
    for (i, s) in series.iter().enumerate() {
        let style = &STYLES[i % STYLES.len()];
        let y = by + PAD + ROW * (i as f64 + 0.5);
        let (x0, x1) = (bx + PAD, bx + PAD + SAMPLE);
        let yi = y.round() as i32;
        match s.kind {
            SeriesKind::Line => {
                draw_line(
                    out,
                    &[(x0.round() as i32, yi), (x1.round() as i32, yi)],
                    style,
                );
            }
            SeriesKind::Stems => {
                let xm = (x0 + x1) / 2.0;
                let _ = writeln!(
                    out,
                    r#"<line x1="{xm:.1}" y1="{:.1}" x2="{xm:.1}" y2="{:.1}" stroke="{}" stroke-width="1.5"/>"#,
                    y + 7.0,
                    y - 3.0,
                    style.color
                );
            }
        }
        draw_marker(
            out,
            (((x0 + x1) / 2.0).round() as i32, yi),
            style,
            MARKER_SIZE,
        );
        let _ = writeln!(
            out,
            r##"<text x="{:.1}" y="{y:.1}" dy="0.35em" font-family="sans-serif" font-size="{FONT}" fill="#000000">{}</text>"##,
            x1 + PAD,
            xml_escape(&s.name)
        );
    }
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Subscripts in the text of every `<text>` element: `_x` (one character) and `_{xy}` become
/// `<tspan baseline-shift="sub" font-size="75%">…</tspan>`; an underscore before a space or at
/// the end stays.
#[must_use]
pub fn subscripts(svg: &str) -> String {
    let mut out = String::with_capacity(svg.len());
    let mut rest = svg;
    while let Some(open) = rest.find("<text") {
        let Some(gt) = rest[open..].find('>') else {
            break;
        };
        let body_start = open + gt + 1;
        let Some(len) = rest[body_start..].find("</text>") else {
            break;
        };
        out.push_str(&rest[..body_start]);
        let body = &rest[body_start..body_start + len];
        let mut chars = body.chars().peekable();
        while let Some(c) = chars.next() {
            let next = chars.peek().copied();
            match (c, next) {
                ('_', Some('{')) => {
                    chars.next();
                    let sub: String = chars.by_ref().take_while(|&c| c != '}').collect();
                    let _ = write!(
                        out,
                        r#"<tspan baseline-shift="sub" font-size="75%">{sub}</tspan>"#
                    );
                }
                ('_', Some(n)) if !n.is_whitespace() && n != '<' && n != '&' => {
                    chars.next();
                    let _ = write!(
                        out,
                        r#"<tspan baseline-shift="sub" font-size="75%">{n}</tspan>"#
                    );
                }
                _ => out.push(c),
            }
        }
        rest = &rest[body_start + len..];
    }
    out.push_str(rest);
    out
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
