//! Inline SVG charts (no script, no font, no network) and the report's style sheet.

use std::fmt::Write as _;

use super::escape;

/// Horizontal bar chart as inline SVG.
pub fn bar_chart(items: &[(String, f64, &str)], value_label: impl Fn(f64) -> String) -> String {
    let (label_w, bar_w, row_h) = (330.0, 330.0, 26.0);
    let max = items.iter().map(|i| i.1).fold(0.0, f64::max).max(1e-12);
    let height = row_h * items.len() as f64 + 10.0;
    let mut svg = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {} {height}\" width=\"100%\" role=\"img\" xmlns=\"http://www.w3.org/2000/svg\">",
        label_w + bar_w + 70.0
    );
    for (i, (label, value, colour)) in items.iter().enumerate() {
        let y = 5.0 + i as f64 * row_h;
        let w = bar_w * value / max;
        let short: String = if label.chars().count() > 48 {
            label.chars().take(46).collect::<String>() + "…"
        } else {
            label.clone()
        };
        let _ = write!(
            svg,
            "<text x=\"{:.0}\" y=\"{:.1}\" text-anchor=\"end\" font-size=\"12\">{}</text><rect x=\"{label_w:.0}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"{:.0}\" fill=\"{colour}\"><title>{}</title></rect><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\">{}</text>",
            label_w - 8.0,
            y + 16.0,
            escape(&short),
            y + 3.0,
            row_h - 8.0,
            escape(label),
            label_w + w + 5.0,
            y + 16.0,
            escape(&value_label(*value))
        );
    }
    svg.push_str("</svg>");
    svg
}

/// A rising curve on [0, 1] × [0, 1] (the saturation): the mean line over a band from the
/// lowest to the highest, starting at the origin.
/// A point of [`curve`]: x, the mean, the lowest and the highest.
pub type Band = (f64, f64, f64, f64);

pub fn curve(points: &[Band], x_label: &str, y_label: &str) -> String {
    let (w, h, left, bottom) = (560.0, 300.0, 50.0, 40.0);
    let (pw, ph) = (w - left - 20.0, h - bottom - 10.0);
    let at = |x: f64, y: f64| (left + x * pw, 10.0 + (1.0 - y) * ph);
    let path = |ys: &dyn Fn(&Band) -> f64| -> Vec<String> {
        std::iter::once(at(0.0, 0.0))
            .chain(points.iter().map(|p| at(p.0, ys(p))))
            .map(|(x, y)| format!("{x:.1},{y:.1}"))
            .collect()
    };
    let mut band = path(&|p| p.3);
    band.extend(path(&|p| p.2).into_iter().rev());
    let mut svg = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {w} {h}\" width=\"100%\" role=\"img\" xmlns=\"http://www.w3.org/2000/svg\"><polygon points=\"{}\" fill=\"#1f77b4\" fill-opacity=\"0.15\"/><polyline points=\"{}\" fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\"/>",
        band.join(" "),
        path(&|p| p.1).join(" ")
    );
    for t in 0..=10 {
        let v = t as f64 / 10.0;
        let (x, y0) = at(v, 0.0);
        let (x0, y) = at(0.0, v);
        let _ = write!(
            svg,
            "<text x=\"{x:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"middle\">{:.0}</text><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"end\">{:.0}</text><line x1=\"{x0:.1}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"#eee\"/>",
            y0 + 15.0,
            v * 100.0,
            x0 - 5.0,
            y + 4.0,
            v * 100.0,
            left + pw
        );
    }
    let _ = write!(
        svg,
        "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" text-anchor=\"middle\">{} (%)</text><text x=\"12\" y=\"{:.1}\" font-size=\"12\" transform=\"rotate(-90 12 {:.1})\" text-anchor=\"middle\">{} (%)</text></svg>",
        left + pw / 2.0,
        h - 5.0,
        escape(x_label),
        10.0 + ph / 2.0,
        10.0 + ph / 2.0,
        escape(y_label)
    );
    svg
}

/// Scatter plot of the map coordinates, coloured by category (the caller samples them).
pub fn scatter(points: &[(f32, f32, &str)], legend: &[(String, &str)]) -> String {
    let (w, h, pad) = (640.0f32, 420.0f32, 20.0f32);
    let drawn: Vec<&(f32, f32, &str)> = points.iter().collect();
    let (min_x, max_x) = drawn
        .iter()
        .fold((f32::MAX, f32::MIN), |(a, b), p| (a.min(p.0), b.max(p.0)));
    let (min_y, max_y) = drawn
        .iter()
        .fold((f32::MAX, f32::MIN), |(a, b), p| (a.min(p.1), b.max(p.1)));
    let sx = (w - 2.0 * pad) / (max_x - min_x).max(1e-6);
    let sy = (h - 2.0 * pad) / (max_y - min_y).max(1e-6);
    let mut svg = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {w} {}\" width=\"100%\" role=\"img\" xmlns=\"http://www.w3.org/2000/svg\"><rect x=\"0\" y=\"0\" width=\"{w}\" height=\"{h}\" fill=\"#fafafa\" stroke=\"#ddd\"/>",
        h + 24.0 * legend.len().div_ceil(3) as f32 + 10.0
    );
    for p in &drawn {
        let _ = write!(
            svg,
            "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"2.6\" fill=\"{}\" fill-opacity=\"0.75\"/>",
            pad + (p.0 - min_x) * sx,
            h - pad - (p.1 - min_y) * sy,
            p.2
        );
    }
    for (i, (label, colour)) in legend.iter().enumerate() {
        let x = 10.0 + (i % 3) as f32 * 215.0;
        let y = h + 20.0 + (i / 3) as f32 * 24.0;
        let short: String = if label.chars().count() > 30 {
            label.chars().take(28).collect::<String>() + "…"
        } else {
            label.clone()
        };
        let _ = write!(
            svg,
            "<circle cx=\"{x}\" cy=\"{:.0}\" r=\"6\" fill=\"{colour}\"/><text x=\"{:.0}\" y=\"{:.0}\" font-size=\"12\">{}</text>",
            y - 4.0,
            x + 10.0,
            y,
            escape(&short)
        );
    }
    svg.push_str("</svg>");
    svg
}

pub const CSS: &str = "body{font-family:Georgia,'Times New Roman',serif;max-width:60em;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}\
h1{font-size:1.8em;border-bottom:2px solid #333}h2{margin-top:2em;border-bottom:1px solid #bbb}h3{margin-bottom:.2em}\
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left}\
.figures{display:flex;flex-wrap:wrap;gap:1.5em}.figure{font-size:1.6em;font-weight:bold}.small{color:#555;font-size:.9em}\
blockquote{margin:.4em 0 .4em 1em;padding-left:.8em;border-left:4px solid #ccc}.id{color:#777;font-size:.8em}\
.tools{position:sticky;top:0;background:#fff;padding:.4em 0;border-bottom:1px solid #ddd}blockquote.proposal{border-left-color:#2a7}blockquote.experience{border-left-color:#a72}\
.chip{display:inline-block;width:.8em;height:.8em;border-radius:50%;margin-right:.4em;vertical-align:middle}\
.theme{page-break-inside:avoid;margin-bottom:1.2em}svg.chart{max-width:100%;height:auto}\
@media print{body{max-width:none;margin:0}h2{page-break-after:avoid}a{color:inherit}}";
