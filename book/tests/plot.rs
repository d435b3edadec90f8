//! `ce_mle_book::plot`: deterministic SVG line charts. The SVG is read back as text: one
//! `<polyline>` per series with one vertex per point, the caller's labels (Chinese included)
//! in `<text>` elements, balanced tags, and the same bytes for the same input.

use ce_mle::train::History;
use ce_mle_book::plot::{Chart, LossCurveText, line_chart, loss_curve, write_svg};

/// The vertex lists of every `<polyline>`, in document order.
fn polylines(svg: &str) -> Vec<Vec<(i64, i64)>> {
    svg.match_indices("<polyline")
        .map(|(i, _)| {
            let tag = &svg[i..i + svg[i..].find('>').unwrap()];
            let start = tag.find("points=\"").unwrap() + "points=\"".len();
            let pts = &tag[start..start + tag[start..].find('"').unwrap()];
            pts.split_whitespace()
                .map(|p| {
                    let (x, y) = p.split_once(',').unwrap();
                    (x.parse().unwrap(), y.parse().unwrap())
                })
                .collect()
        })
        .collect()
}

/// The contents of every `<text>` element, trimmed.
fn texts(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .map(|t| {
            let body = &t[t.find('>').unwrap() + 1..];
            body[..body.find("</text>").unwrap()].trim().to_string()
        })
        .collect()
}

/// Tags nest properly: every `<name …>` is closed by `</name>` in order, `<… />` closes itself.
fn tags_balance(svg: &str) -> bool {
    let mut stack = Vec::new();
    let mut rest = svg;
    while let Some(i) = rest.find('<') {
        let end = i + rest[i..].find('>').expect("unterminated tag");
        let tag = &rest[i + 1..end];
        if let Some(name) = tag.strip_prefix('/') {
            if stack.pop() != Some(name.trim().to_string()) {
                return false;
            }
        } else if !tag.ends_with('/') && !tag.starts_with('?') {
            stack.push(tag.split_whitespace().next().unwrap().to_string());
        }
        rest = &rest[end + 1..];
    }
    stack.is_empty()
}

fn curve(n: usize, f: impl Fn(f64) -> f64) -> Vec<(f64, f64)> {
    (1..=n).map(|i| (i as f64, f(i as f64))).collect()
}

fn two_series() -> Chart {
    Chart::new("Loss", "epoch", "nats")
        .with_series("falls", curve(37, |x| 2.0 / x))
        .with_series("rises", curve(12, |x| 0.1 * x))
}

#[test]
fn one_polyline_per_series_with_one_vertex_per_point() {
    let svg = line_chart(&two_series()).unwrap();
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    assert!(tags_balance(&svg));
    // The legend draws a 2-vertex sample line per series; the data lines are the longer ones.
    let lines: Vec<_> = polylines(&svg)
        .into_iter()
        .filter(|p| p.len() > 2)
        .collect();
    assert_eq!(lines.iter().map(Vec::len).collect::<Vec<_>>(), vec![37, 12]);
    // x grows to the right; a larger value is higher up (smaller pixel y).
    let falls = &lines[0];
    assert!(falls.windows(2).all(|w| w[1].0 >= w[0].0));
    assert!(falls.windows(2).all(|w| w[1].1 >= w[0].1), "{falls:?}");
    let rises = &lines[1];
    assert!(rises[rises.len() - 1].1 < rises[0].1);
    // Both share the x axis: "rises" ends (x = 12) left of where "falls" ends (x = 37).
    assert!(rises[rises.len() - 1].0 < falls[falls.len() - 1].0);
    // Legend entries are the series names.
    let t = texts(&svg);
    for name in ["Loss", "epoch", "nats", "falls", "rises"] {
        assert!(t.iter().any(|s| s == name), "{name} not in {t:?}");
    }
}

#[test]
fn the_same_chart_gives_the_same_bytes() {
    let a = line_chart(&two_series()).unwrap();
    let b = line_chart(&two_series()).unwrap();
    assert_eq!(a, b);
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("c.svg");
    write_svg(&p, &two_series()).unwrap();
    assert_eq!(std::fs::read_to_string(&p).unwrap(), a);
    // A different input gives a different drawing (the comparison above can fail).
    let c = line_chart(&two_series().with_series("third", curve(5, |x| x))).unwrap();
    assert_ne!(a, c);
}

#[test]
fn chinese_and_markup_characters_round_trip_into_the_svg() {
    let chart = Chart::new("每轮的交叉熵", "轮次（epoch）", "平均交叉熵（奈特）")
        .with_series("训练集", curve(20, |x| 1.0 / x))
        .with_series("a < b & \"c\"", curve(20, |x| 0.5 / x));
    let svg = line_chart(&chart).unwrap();
    let t = texts(&svg);
    for label in [
        "每轮的交叉熵",
        "轮次（epoch）",
        "平均交叉熵（奈特）",
        "训练集",
    ] {
        assert!(t.iter().any(|s| s == label), "{label} not in {t:?}");
    }
    assert!(
        t.iter().any(|s| s == "a &lt; b &amp; &quot;c&quot;"),
        "{t:?}"
    );
    assert!(tags_balance(&svg));
    let zh = loss_curve(
        &History {
            train: vec![1.0, 0.8, 0.7],
            ..Default::default()
        },
        &LossCurveText::CHINESE,
    )
    .unwrap();
    assert!(line_chart(&zh).unwrap().contains("平均交叉熵（奈特）"));
}

#[test]
fn loss_curve_draws_training_and_validation_per_epoch() {
    let h = History {
        train: vec![1.6, 1.5, 1.45, 1.4, 1.38],
        validation: vec![1.7, 1.65, 1.66, 1.7, 1.75],
        penalty: vec![0.0; 5],
        stopped_at: None,
    };
    let chart = loss_curve(&h, &LossCurveText::ENGLISH).unwrap();
    assert_eq!(chart.series.len(), 2);
    assert_eq!(chart.series[0].points[0], (1.0, 1.6));
    assert_eq!(chart.series[1].points[4], (5.0, 1.75));
    let only_train = History {
        validation: vec![],
        ..h.clone()
    };
    assert_eq!(
        loss_curve(&only_train, &LossCurveText::ENGLISH)
            .unwrap()
            .series
            .len(),
        1
    );
    assert!(matches!(
        loss_curve(&History::default(), &LossCurveText::ENGLISH),
        Err(ce_mle_book::Error::Core(ce_mle::Error::Empty(_)))
    ));
}

#[test]
fn bad_charts_and_paths_are_typed_errors() {
    let empty = Chart::new("t", "x", "y");
    assert!(matches!(
        line_chart(&empty),
        Err(ce_mle_book::Error::Core(ce_mle::Error::Empty(_)))
    ));
    let no_points = Chart::new("t", "x", "y").with_series("s", vec![]);
    assert!(matches!(
        line_chart(&no_points),
        Err(ce_mle_book::Error::Core(ce_mle::Error::Empty(_)))
    ));
    let nan = Chart::new("t", "x", "y")
        .with_series("a", curve(3, |x| x))
        .with_series("b", vec![(1.0, 2.0), (2.0, f64::NAN)]);
    assert!(matches!(
        line_chart(&nan),
        Err(ce_mle_book::Error::Core(ce_mle::Error::InvalidValue {
            row: 1,
            col: 1,
            ..
        }))
    ));
    let flat = two_series().with_size(0, 300);
    assert!(matches!(
        line_chart(&flat),
        Err(ce_mle_book::Error::Core(ce_mle::Error::Empty(_)))
    ));
    // A single point or a constant series still gets a non-empty range.
    let one = Chart::new("t", "x", "y").with_series("", vec![(3.0, 1.0)]);
    assert!(line_chart(&one).unwrap().contains("<polyline"));

    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(
        write_svg(&dir.path().join("c.png"), &two_series()),
        Err(ce_mle_book::Error::Core(ce_mle::Error::InvalidFile { .. }))
    ));
    assert!(matches!(
        write_svg(&dir.path().join("missing").join("c.svg"), &two_series()),
        Err(ce_mle_book::Error::Core(ce_mle::Error::Io { .. }))
    ));
    assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none());
}

/// A chart with Chinese text is tagged Simplified Chinese, so a browser does not pick a
/// Japanese CJK font for it; an English chart is not tagged.
#[test]
fn chinese_charts_are_tagged_zh_hans() {
    let zh = line_chart(&Chart::new("损失", "轮次", "交叉熵").with_series("训练", curve(5, |x| x)))
        .unwrap();
    assert_eq!(zh.matches(r#"xml:lang="zh-Hans""#).count(), 1);
    assert!(
        zh.starts_with("<svg xml:lang=\"zh-Hans\" ") || zh.contains("<svg xml:lang=\"zh-Hans\" ")
    );
    let en = line_chart(&two_series()).unwrap();
    assert!(!en.contains("xml:lang"));
}

/// The attribute `name="…"` of a tag.
fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let key = format!(" {name}=\"");
    let start = tag.find(&key)? + key.len();
    Some(&tag[start..start + tag[start..].find('"')?])
}

/// Every tag `<name …>` of the SVG, as text.
fn tags<'a>(svg: &'a str, name: &str) -> Vec<&'a str> {
    let open = format!("<{name} ");
    svg.match_indices(&open)
        .map(|(i, _)| &svg[i..i + svg[i..].find('>').unwrap()])
        .collect()
}

/// Each series has its own colour (Okabe–Ito) and dash pattern, drawn the same in the legend,
/// and markers; two series that coincide still show their markers at different places.
#[test]
fn series_differ_by_colour_dash_and_marker_and_overlaps_stay_visible() {
    use ce_mle_book::plot::{PALETTE, STYLES};
    let same = curve(40, |x| 1.0 / x);
    let chart = Chart::new("t", "x", "y")
        .with_series("a", same.clone())
        .with_series("b", same.clone())
        .with_series("c", curve(40, |x| x));
    let svg = line_chart(&chart).unwrap();
    // The series' lines (plotters draws the axes as polylines too, in black).
    let lines: Vec<&str> = tags(&svg, "polyline")
        .into_iter()
        .filter(|t| attr(t, "stroke").is_some_and(|c| PALETTE[..3].contains(&c)))
        .collect();
    // Data line then legend sample, per series.
    let data: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|t| attr(t, "points").unwrap().split(' ').count() > 2)
        .collect();
    let samples: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|t| attr(t, "points").unwrap().split(' ').count() == 2)
        .collect();
    assert_eq!((data.len(), samples.len()), (3, 3));
    for (i, (d, l)) in data.iter().zip(&samples).enumerate() {
        assert_eq!(attr(d, "stroke"), Some(PALETTE[i]));
        assert_eq!(attr(d, "stroke"), attr(l, "stroke"));
        assert_eq!(attr(d, "stroke-dasharray"), attr(l, "stroke-dasharray"));
        assert_eq!(attr(d, "stroke-dasharray").unwrap_or(""), STYLES[i].dash);
    }
    let dashes: std::collections::BTreeSet<_> = STYLES.iter().map(|s| s.dash).collect();
    let colours: std::collections::BTreeSet<_> = STYLES.iter().map(|s| s.color).collect();
    assert_eq!((dashes.len(), colours.len()), (STYLES.len(), STYLES.len()));
    // Series a (circles) and b (squares) lie on each other; their markers do not.
    let circles: Vec<&str> = tags(&svg, "circle")
        .into_iter()
        .filter(|t| attr(t, "fill") == Some(PALETTE[0]))
        .collect();
    let squares: Vec<&str> = tags(&svg, "rect")
        .into_iter()
        .filter(|t| attr(t, "fill") == Some(PALETTE[1]))
        .collect();
    assert!(
        circles.len() >= 5 && squares.len() >= 5,
        "{} {}",
        circles.len(),
        squares.len()
    );
    let num = |t: &str, n: &str| attr(t, n).unwrap().parse::<f64>().unwrap();
    let centres_a: Vec<(f64, f64)> = circles
        .iter()
        .map(|t| (num(t, "cx"), num(t, "cy")))
        .collect();
    let centres_b: Vec<(f64, f64)> = squares
        .iter()
        .map(|t| {
            (
                num(t, "x") + num(t, "width") / 2.0,
                num(t, "y") + num(t, "height") / 2.0,
            )
        })
        .collect();
    for a in &centres_a {
        assert!(
            centres_b.iter().all(|b| (a.0 - b.0).hypot(a.1 - b.1) > 6.0),
            "a marker of b hides the one of a at {a:?}"
        );
    }
    // Transparent: nothing paints the whole canvas.
    assert!(
        tags(&svg, "rect")
            .iter()
            .all(|t| attr(t, "width") != Some("720")),
        "{svg}"
    );
}

/// Stems: one vertical line from 0 per point and no joining line; two stem series at the same
/// x stand side by side.
#[test]
fn stems_stand_side_by_side() {
    let pts: Vec<(f64, f64)> = (1..=6)
        .map(|j| (f64::from(j), f64::from(j) * 0.5))
        .collect();
    let chart = Chart::new("t", "feature", "w")
        .with_stems("a", pts.clone())
        .with_stems("b", pts);
    let svg = line_chart(&chart).unwrap();
    let colours = &ce_mle_book::plot::PALETTE[..2];
    assert!(
        tags(&svg, "polyline")
            .iter()
            .all(|t| !attr(t, "stroke").is_some_and(|c| colours.contains(&c))),
        "stems are not joined"
    );
    let stems = |colour: &str| -> Vec<(f64, f64, f64)> {
        tags(&svg, "line")
            .into_iter()
            .filter(|t| attr(t, "stroke") == Some(colour))
            .map(|t| {
                let f = |n| attr(t, n).unwrap().parse::<f64>().unwrap();
                assert_eq!(f("x1"), f("x2"), "a stem is vertical");
                (f("x1"), f("y1"), f("y2"))
            })
            .collect()
    };
    let (a, b) = (
        stems(ce_mle_book::plot::PALETTE[0]),
        stems(ce_mle_book::plot::PALETTE[1]),
    );
    // Six stems each, plus one in the legend.
    assert_eq!((a.len(), b.len()), (7, 7));
    for (sa, sb) in a.iter().zip(&b).take(6) {
        assert!(sb.0 - sa.0 >= 4.0, "{sa:?} {sb:?}");
        assert_eq!(sa.1, sb.1, "both start at 0");
        assert!(sa.2 < sa.1, "a positive value goes up");
    }
}

/// `_x` and `_{xy}` become SVG subscripts; a lone underscore stays.
#[test]
fn underscores_become_subscripts() {
    let chart =
        Chart::new("q_0 and W_{cj}", "snake_ case", "y").with_series("q_k", curve(3, |x| x));
    let svg = line_chart(&chart).unwrap();
    let sub = |s: &str| format!(r#"<tspan baseline-shift="sub" font-size="75%">{s}</tspan>"#);
    assert!(
        svg.contains(&format!("q{} and W{}", sub("0"), sub("cj"))),
        "{svg}"
    );
    assert!(svg.contains(&format!("q{}", sub("k"))), "legend: {svg}");
    assert!(svg.contains("snake_ case"), "{svg}");
    assert!(tags_balance(&svg));
}

/// The legend goes to the corner the lines leave free.
#[test]
fn the_legend_avoids_the_lines() {
    let legend_at = |points: Vec<(f64, f64)>| {
        let svg = line_chart(
            &Chart::new("t", "x", "y")
                .with_series("a", points)
                .with_series("b", vec![(0.0, 0.5), (10.0, 0.5)]),
        )
        .unwrap();
        let rect = tags(&svg, "rect")
            .into_iter()
            .find(|t| attr(t, "fill-opacity") == Some("0.85"))
            .unwrap()
            .to_owned();
        let x: f64 = attr(&rect, "x").unwrap().parse().unwrap();
        let y: f64 = attr(&rect, "y").unwrap().parse().unwrap();
        (x < 360.0, y < 225.0) // (left half, upper half)
    };
    // A line rising to the upper right: the legend goes upper left.
    assert_eq!(
        legend_at(
            (0..=10)
                .map(|i| (f64::from(i), f64::from(i) / 10.0))
                .collect()
        ),
        (true, true)
    );
    // A line falling from the upper left: upper right.
    assert_eq!(
        legend_at(
            (0..=10)
                .map(|i| (f64::from(i), 1.0 - f64::from(i) / 10.0))
                .collect()
        ),
        (false, true)
    );
}
