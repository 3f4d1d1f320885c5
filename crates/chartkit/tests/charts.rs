//! Charts: every type renders to SVG and PNG, text is escaped, output is byte-stable,
//! odd data does not panic. Example charts are written to /tmp/charts/ for a look.

use chartkit::{
    cdf, BarChart, BarSeries, Chart, ChartError, Heatmap, LineChart, Series, Window, DEFAULT_SIZE,
};
use std::path::Path;

/// Width and height from a PNG's IHDR chunk.
fn png_size(png: &[u8]) -> (u32, u32) {
    assert!(png.len() > 33, "PNG too short");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    assert_eq!(&png[12..16], b"IHDR");
    let w = u32::from_be_bytes(png[16..20].try_into().unwrap());
    let h = u32::from_be_bytes(png[20..24].try_into().unwrap());
    (w, h)
}

/// Decode a PNG fully; returns the number of distinct colours (a blank image has 1).
fn png_colours(png: &[u8]) -> usize {
    let dec = png::Decoder::new(png);
    let mut reader = dec.read_info().expect("PNG header decodes");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("PNG data decodes");
    let mut colours: Vec<[u8; 3]> = buf[..info.buffer_size()]
        .chunks(3)
        .map(|p| [p[0], p[1], p[2]])
        .collect();
    colours.sort_unstable();
    colours.dedup();
    colours.len()
}

/// A minimal well-formedness check of the SVG: tags nest, text contains no raw `<`
/// and every `&` starts an entity.
fn assert_well_formed(svg: &str) {
    let mut stack: Vec<String> = Vec::new();
    let mut rest = svg;
    while let Some(i) = rest.find('<') {
        check_text(&rest[..i]);
        let end = rest[i..].find('>').expect("unclosed tag") + i;
        let tag = &rest[i + 1..end];
        if tag.starts_with('?') || tag.starts_with('!') {
        } else if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(
                stack.pop().as_deref(),
                Some(name.trim()),
                "mismatched </{name}>"
            );
        } else if !tag.ends_with('/') {
            let name = tag.split_whitespace().next().unwrap().to_string();
            stack.push(name);
        }
        check_attr_quotes(tag);
        rest = &rest[end + 1..];
    }
    check_text(rest);
    assert!(stack.is_empty(), "unclosed elements: {stack:?}");
}

fn check_text(t: &str) {
    assert!(!t.contains('>'), "raw '>' in text {t:?}");
    for (i, _) in t.match_indices('&') {
        let ent = &t[i..];
        assert!(
            ["&lt;", "&gt;", "&amp;", "&quot;", "&apos;", "&#"]
                .iter()
                .any(|e| ent.starts_with(e)),
            "unescaped '&' in text {t:?}"
        );
    }
}

fn check_attr_quotes(tag: &str) {
    assert_eq!(
        tag.matches('"').count() % 2,
        0,
        "unbalanced quotes in <{tag}>"
    );
    assert!(!tag.contains('<'), "raw '<' inside <{tag}>");
}

fn latency_over_time() -> LineChart {
    let base = |t: f64, k: f64| {
        let fault = if (120.0..180.0).contains(&t) {
            k * 2400.0 * (1.0 - (-(t - 120.0) / 8.0).exp())
        } else if t >= 180.0 {
            k * 2400.0 * (-(t - 180.0) / 12.0).exp()
        } else {
            0.0
        };
        3050.0 + 40.0 * (t / 7.0).sin() + fault
    };
    let mk = |name: &str, k: f64, off: f64| {
        let pts: Vec<(f64, f64)> = (30..=300)
            .step_by(2)
            .map(|t| (t as f64, base(t as f64, k) + off))
            .collect();
        let band = pts.iter().map(|&(x, y)| (x, y * 0.95, y * 1.05)).collect();
        Series::new(name, pts).with_band(band)
    };
    LineChart {
        title: "Checkout p99 latency while the bank is slow".into(),
        x_label: "simulated time (s)".into(),
        y_label: "p99 response latency (ms)".into(),
        series: vec![
            mk("sync chain", 1.0, 0.0),
            mk("sync chain + timeout 2 s + retry", 0.4, -200.0),
            mk("message queue (202 accepted)", 0.02, -2900.0),
        ],
        windows: vec![Window::new(120.0, 180.0, "bank slow ×10")],
        ..Default::default()
    }
}

fn latency_cdf() -> LineChart {
    let q: Vec<f64> = (0..=200).map(|i| i as f64 / 200.0).collect();
    let lognormal_ish = |median: f64, spread: f64| -> Vec<(f64, f64)> {
        q.iter()
            .filter(|&&p| p > 0.0 && p < 1.0)
            .map(|&p| {
                // A rough inverse normal CDF (logit approximation), enough for a picture.
                let z = (p / (1.0 - p)).ln() / 1.702;
                (median * (spread * z).exp(), p)
            })
            .collect()
    };
    cdf(
        "Checkout response latency distribution",
        "response latency (ms, log scale)",
        vec![
            ("sync chain".to_string(), lognormal_ish(3100.0, 0.25)),
            ("async via queue".to_string(), lognormal_ish(4.0, 0.6)),
            ("choreography saga".to_string(), lognormal_ish(6.0, 0.9)),
            ("orchestration saga".to_string(), lognormal_ish(12.0, 0.7)),
        ],
        true,
    )
}

fn pattern_bars() -> BarChart {
    BarChart {
        title: "Failed checkouts by pattern and bank condition".into(),
        x_label: "communication pattern".into(),
        y_label: "failed requests (%)".into(),
        categories: vec![
            "sync chain".into(),
            "sync + timeout + retry + circuit breaker".into(),
            "message queue".into(),
            "event bus (pub/sub)".into(),
            "async request-reply".into(),
            "saga (orchestration)".into(),
        ],
        groups: vec![
            BarSeries::new(
                "bank healthy",
                vec![
                    (0.1, Some(0.05)),
                    (0.12, Some(0.04)),
                    (0.0, None),
                    (0.0, None),
                    (0.05, Some(0.02)),
                    (0.2, Some(0.1)),
                ],
            ),
            BarSeries::new(
                "bank slow ×10",
                vec![
                    (38.0, Some(4.1)),
                    (12.5, Some(2.0)),
                    (0.4, Some(0.3)),
                    (0.3, Some(0.2)),
                    (6.2, Some(1.5)),
                    (3.1, Some(0.8)),
                ],
            ),
            BarSeries::new(
                "bank down",
                vec![
                    (100.0, Some(0.0)),
                    (100.0, None),
                    (1.2, Some(0.6)),
                    (0.9, Some(0.4)),
                    (55.0, Some(6.0)),
                    (18.0, Some(3.3)),
                ],
            ),
        ],
        y_range: None,
        log_y: false,
    }
}

fn utilization_heatmap() -> Heatmap {
    let rows: Vec<String> = [
        "gateway",
        "order",
        "payment",
        "bank",
        "inventory",
        "email",
        "rabbitmq",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let x: Vec<f64> = (0..300).map(|i| i as f64).collect();
    let values: Vec<Vec<f64>> = rows
        .iter()
        .enumerate()
        .map(|(r, _)| {
            x.iter()
                .map(|&t| {
                    let base = 0.15 + 0.08 * r as f64 + 0.05 * ((t + r as f64 * 13.0) / 9.0).sin();
                    let hit = if (120.0..200.0).contains(&t) && r <= 3 {
                        0.9 - 0.05 * r as f64
                    } else {
                        0.0
                    };
                    (base + hit).min(1.0)
                })
                .collect()
        })
        .collect();
    Heatmap {
        title: "Worker utilization per service".into(),
        x_label: "simulated time (s)".into(),
        y_label: "service".into(),
        rows,
        x,
        values,
        value_label: "busy workers / workers".into(),
        value_range: None,
        windows: vec![Window::new(120.0, 180.0, "bank slow ×10")],
    }
}

fn examples() -> Vec<(&'static str, Chart)> {
    vec![
        ("latency_over_time", latency_over_time().into()),
        ("latency_cdf", latency_cdf().into()),
        ("pattern_bars", pattern_bars().into()),
        ("utilization_heatmap", utilization_heatmap().into()),
    ]
}

#[test]
fn examples_render_to_svg_and_png() {
    let dir = Path::new("/tmp/charts");
    let _ = std::fs::create_dir_all(dir);
    for (name, chart) in examples() {
        let svg = chart.to_svg().unwrap();
        assert!(
            svg.starts_with("<svg"),
            "{name}: {}",
            &svg[..40.min(svg.len())]
        );
        assert!(svg.contains("width=\"1200\"") && svg.contains("height=\"700\""));
        assert_well_formed(&svg);
        let png = chart.to_png().unwrap();
        assert_eq!(png_size(&png), DEFAULT_SIZE, "{name}");
        assert!(png_colours(&png) > 50, "{name}: the PNG looks blank");
        // Best effort: the examples are for a person to look at.
        let _ = std::fs::write(dir.join(format!("{name}.png")), &png);
        let _ = std::fs::write(dir.join(format!("{name}.svg")), &svg);
    }
    // Odd cases, also for a look: nothing to show, and many long-named series at a
    // smaller size on log axes.
    let empty = LineChart {
        title: "Nothing happened".into(),
        x_label: "time (s)".into(),
        y_label: "requests/s".into(),
        series: vec![Series::new("goodput", vec![])],
        ..Default::default()
    };
    let many = LineChart {
        title: "Sweep: p99 latency against offered load, 10 replica counts".into(),
        x_label: "offered load (requests/s, log scale)".into(),
        y_label: "p99 latency (ms, log scale)".into(),
        series: (1..=10)
            .map(|r| {
                let pts = (0..=12)
                    .map(|i| {
                        let load = 10f64 * 2f64.powi(i);
                        let rho = (load / (400.0 * r as f64)).min(0.995);
                        (load, 5.0 / (1.0 - rho))
                    })
                    .collect();
                Series::new(format!("{r} replica{}", if r == 1 { "" } else { "s" }), pts)
            })
            .collect(),
        log_x: true,
        log_y: true,
        ..Default::default()
    };
    for (name, chart, size) in [
        ("empty", empty, (1200, 700)),
        ("many_series_800x450", many, (800, 450)),
    ] {
        let png = chart.to_png_sized(size.0, size.1).unwrap();
        assert_eq!(png_size(&png), size);
        let _ = std::fs::write(dir.join(format!("{name}.png")), &png);
    }
}

#[test]
fn svg_contains_title_labels_and_legend() {
    let line = latency_over_time();
    let svg = line.to_svg().unwrap();
    for s in [
        "Checkout p99 latency while the bank is slow",
        "simulated time (s)",
        "p99 response latency (ms)",
        "sync chain",
        "message queue (202 accepted)",
        "bank slow ×10",
    ] {
        assert!(svg.contains(s), "line chart SVG lacks {s:?}");
    }
    let bars = pattern_bars().to_svg().unwrap();
    for s in [
        "Failed checkouts by pattern",
        "failed requests (%)",
        "bank healthy",
        "bank down",
        "message queue",
    ] {
        assert!(bars.contains(s), "bar chart SVG lacks {s:?}");
    }
    let heat = utilization_heatmap().to_svg().unwrap();
    for s in [
        "Worker utilization per service",
        "simulated time (s)",
        "busy workers / workers",
        "gateway",
        "rabbitmq",
    ] {
        assert!(heat.contains(s), "heatmap SVG lacks {s:?}");
    }
    let c = latency_cdf().to_svg().unwrap();
    for s in [
        "Checkout response latency distribution",
        "fraction of requests",
        "orchestration saga",
    ] {
        assert!(c.contains(s), "CDF SVG lacks {s:?}");
    }
}

#[test]
fn text_is_escaped() {
    let nasty = "a<b> & \"c\" 'd' </svg>";
    let line = LineChart {
        title: format!("title {nasty}"),
        x_label: format!("x {nasty}"),
        y_label: format!("y {nasty}"),
        series: vec![Series::new("<&>", vec![(0.0, 1.0), (1.0, 2.0)])],
        windows: vec![Window::new(0.2, 0.4, "<fault & co>")],
        ..Default::default()
    };
    let bars = BarChart {
        title: nasty.into(),
        y_label: nasty.into(),
        categories: vec!["<&>".into(), nasty.into()],
        groups: vec![BarSeries::new("<&>", vec![(1.0, Some(0.1)), (2.0, None)])],
        ..Default::default()
    };
    let heat = Heatmap {
        title: nasty.into(),
        rows: vec!["<&>".into()],
        x: vec![0.0, 1.0],
        values: vec![vec![0.2, 0.8]],
        value_label: nasty.into(),
        ..Default::default()
    };
    for svg in [
        line.to_svg().unwrap(),
        bars.to_svg().unwrap(),
        heat.to_svg().unwrap(),
    ] {
        assert_well_formed(&svg);
        assert!(svg.contains("&lt;&amp;&gt;"), "escaped series name missing");
        assert!(!svg.contains("<&>"));
        assert_eq!(svg.matches("</svg>").count(), 1);
    }
}

#[test]
fn rendering_is_byte_identical() {
    for (name, chart) in examples() {
        assert_eq!(
            chart.to_svg().unwrap(),
            chart.to_svg().unwrap(),
            "{name} SVG"
        );
        assert!(
            chart.to_png().unwrap() == chart.to_png().unwrap(),
            "{name} PNG"
        );
    }
    // Across threads too (the font registry is global).
    let png = latency_cdf().to_png().unwrap();
    let handles: Vec<_> = (0..3)
        .map(|_| std::thread::spawn(|| latency_cdf().to_png().unwrap()))
        .collect();
    for h in handles {
        assert!(h.join().unwrap() == png);
    }
}

#[test]
fn custom_sizes_and_bad_sizes() {
    let chart = Chart::from(pattern_bars());
    let png = chart.to_png_sized(800, 450).unwrap();
    assert_eq!(png_size(&png), (800, 450));
    let svg = chart.to_svg_sized(1920, 1080).unwrap();
    assert!(svg.contains("width=\"1920\""));
    assert!(matches!(
        chart.to_png_sized(0, 700),
        Err(ChartError::InvalidSize { .. })
    ));
    assert!(matches!(
        chart.to_svg_sized(1200, 100_000),
        Err(ChartError::InvalidSize { .. })
    ));
}

/// Render a chart both ways; it must not fail (nor panic).
fn renders(chart: impl Into<Chart>) -> String {
    let chart = chart.into();
    let png = chart.to_png().unwrap();
    assert_eq!(png_size(&png), DEFAULT_SIZE);
    let svg = chart.to_svg().unwrap();
    assert_well_formed(&svg);
    svg
}

#[test]
fn edge_cases_do_not_panic() {
    // Nothing at all.
    let svg = renders(LineChart::default());
    assert!(svg.contains("no data"));
    assert!(renders(BarChart::default()).contains("no data"));
    assert!(renders(Heatmap::default()).contains("no data"));
    // Empty series, and series of only non-finite points.
    let svg = renders(LineChart {
        title: "empty".into(),
        series: vec![
            Series::new("a", vec![]),
            Series::new("b", vec![(f64::NAN, 1.0), (1.0, f64::INFINITY)]),
        ],
        ..Default::default()
    });
    assert!(svg.contains("no data"));
    // A single point; all-equal values; zero everywhere.
    for pts in [
        vec![(5.0, 7.0)],
        vec![(1.0, 3.0), (2.0, 3.0), (3.0, 3.0)],
        vec![(0.0, 0.0); 4],
    ] {
        let svg = renders(LineChart {
            series: vec![Series::new("s", pts)],
            ..Default::default()
        });
        assert!(!svg.contains("no data"));
    }
    // NaN and infinities in the middle, in bands too; windows outside the data, reversed,
    // NaN, zero-width.
    renders(LineChart {
        series: vec![Series::new(
            "gappy",
            vec![
                (0.0, 1.0),
                (1.0, f64::NAN),
                (2.0, 3.0),
                (f64::INFINITY, 2.0),
                (4.0, 1.0),
            ],
        )
        .with_band(vec![
            (0.0, 0.5, 1.5),
            (1.0, f64::NAN, 2.0),
            (2.0, 2.0, 4.0),
            (4.0, 0.5, 1.5),
        ])],
        windows: vec![
            Window::new(100.0, 200.0, "outside"),
            Window::new(3.0, 1.0, "reversed"),
            Window::new(f64::NAN, 1.0, "nan"),
            Window::new(2.0, 2.0, ""),
        ],
        ..Default::default()
    });
    // Log axes with zeros and negatives, and with nothing positive at all.
    renders(LineChart {
        series: vec![Series::new(
            "z",
            vec![(0.0, 0.0), (1.0, 10.0), (100.0, -5.0), (1000.0, 1e6)],
        )],
        log_x: true,
        log_y: true,
        ..Default::default()
    });
    renders(LineChart {
        series: vec![Series::new("neg", vec![(-1.0, -1.0), (0.0, 0.0)])],
        log_x: true,
        log_y: true,
        ..Default::default()
    });
    // Narrow log range, huge and tiny magnitudes, bad explicit ranges.
    renders(LineChart {
        series: vec![Series::new("narrow", vec![(100.0, 1e-9), (130.0, 2e-9)])],
        log_x: true,
        x_range: Some((f64::NAN, 3.0)),
        y_range: Some((5.0, 5.0)),
        ..Default::default()
    });
    renders(LineChart {
        series: vec![Series::new(
            "huge",
            vec![(0.0, 1e300), (1.0, -1e300), (2.0, f64::MAX)],
        )],
        ..Default::default()
    });
    // Many series (palette wraps) with long names.
    renders(LineChart {
        series: (0..20)
            .map(|i| {
                Series::new(
                    format!("a rather long series name number {i}"),
                    vec![(0.0, i as f64), (1.0, 2.0 * i as f64)],
                )
            })
            .collect(),
        ..Default::default()
    });
    // CDF with unsorted points and zeros on a log axis.
    renders(cdf(
        "c",
        "ms",
        vec![("x".into(), vec![(5.0, 0.9), (0.0, 0.0), (1.0, 0.5)])],
        true,
    ));
    // Bars: mismatched lengths, NaN values and CIs, negative values, no categories.
    renders(BarChart {
        categories: vec!["a".into(), "b".into(), "c".into()],
        groups: vec![
            BarSeries::new("short", vec![(1.0, Some(f64::NAN))]),
            BarSeries::new(
                "neg",
                vec![(-2.0, Some(0.5)), (f64::NAN, None), (3.0, Some(-1.0))],
            ),
        ],
        ..Default::default()
    });
    renders(BarChart {
        groups: vec![BarSeries::new("g", vec![(1.0, None)])],
        ..Default::default()
    });
    renders(BarChart {
        categories: vec!["only".into()],
        groups: vec![BarSeries::new("zero", vec![(0.0, None)])],
        ..Default::default()
    });
    // Heatmap: ragged rows, missing x, NaN cells, values outside 0..1, more rows than values.
    renders(Heatmap {
        rows: vec!["a".into(), "b".into(), "c".into()],
        x: vec![f64::NAN],
        values: vec![vec![0.5, f64::NAN, 2.0], vec![-1.0]],
        ..Default::default()
    });
    renders(Heatmap {
        rows: (0..80).map(|i| format!("service-{i}")).collect(),
        x: vec![0.0],
        values: (0..80).map(|i| vec![i as f64 / 80.0]).collect(),
        ..Default::default()
    });
}
