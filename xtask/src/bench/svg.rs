//! A diverging bar chart of goro/peer ratios, written as plain SVG text.
//!
//! One block per table row (case and metric), one bar per peer measured beside goro. Bars grow
//! from the 1.0 line on a log2 axis: left (green) where goro is faster or smaller, right (red)
//! where the peer is. Ratios beyond the axis are clipped and say so.

use super::report::{num, Row};
use std::fmt::Write as _;

const WIDTH: f64 = 820.0;
const LABEL_W: f64 = 250.0;
const PLOT_X0: f64 = LABEL_W + 10.0;
const PLOT_X1: f64 = WIDTH - 70.0;
/// The axis spans 2^-AXIS ..= 2^AXIS.
const AXIS: f64 = 4.0;
const TOP: f64 = 56.0;
const HEAD_H: f64 = 20.0;
const BAR_H: f64 = 15.0;

fn x_of(ratio: f64) -> f64 {
    let l = ratio.log2().clamp(-AXIS, AXIS);
    PLOT_X0 + (l + AXIS) / (2.0 * AXIS) * (PLOT_X1 - PLOT_X0)
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The chart for one group's `rows` (cells in `peers` order).
pub(crate) fn chart(title: &str, rows: &[Row], peers: &[&str]) -> String {
    let mut body = String::new();
    let mut y = TOP;
    for row in rows {
        let bars: Vec<(&str, f64)> = row
            .cells
            .iter()
            .zip(peers)
            .filter_map(|(c, p)| Some((*p, c.as_ref()?.ratio?)))
            .collect();
        if bars.is_empty() {
            continue;
        }
        let _ = writeln!(
            body,
            r#"<text x="8" y="{:.1}" font-weight="bold">{} <tspan font-weight="normal" fill="dimgray">({})</tspan></text>"#,
            y + 14.0,
            esc(&row.label),
            esc(&row.unit)
        );
        y += HEAD_H;
        for (peer, ratio) in bars {
            let (x1, xr) = (x_of(1.0), x_of(ratio));
            let (left, w) = (x1.min(xr), (x1 - xr).abs().max(1.0));
            let goro_wins = (ratio <= 1.0) != (row.higher_is_better && ratio != 1.0);
            let colour = if goro_wins { "#2e7d32" } else { "#c62828" };
            let clipped = ratio.log2().abs() > AXIS;
            let _ = writeln!(
                body,
                r#"<text x="{:.1}" y="{:.1}" text-anchor="end">goro / {}</text>"#,
                LABEL_W,
                y + 11.0,
                esc(peer)
            );
            let _ = writeln!(
                body,
                r#"<rect x="{left:.1}" y="{:.1}" width="{w:.1}" height="{:.1}" fill="{colour}"/>"#,
                y + 2.0,
                BAR_H - 4.0
            );
            // The figure sits on the free side of the 1.0 line, across from its bar.
            let (tx, anchor) = if ratio <= 1.0 {
                (x1 + 4.0, "start")
            } else {
                (x1 - 4.0, "end")
            };
            let mark = match (clipped, ratio <= 1.0) {
                (false, _) => "",
                (true, true) => " (beyond the axis)",
                (true, false) => "(beyond the axis) ",
            };
            let text = if ratio <= 1.0 {
                format!("{}x{mark}", num(ratio))
            } else {
                format!("{mark}{}x", num(ratio))
            };
            let _ = writeln!(
                body,
                r#"<text x="{tx:.1}" y="{:.1}" text-anchor="{anchor}">{text}</text>"#,
                y + 11.0,
            );
            y += BAR_H;
        }
        y += 6.0;
    }
    let height = y + 10.0;
    let mut svg = head(
        height,
        title,
        "goro / peer (log scale; medians, peers measured in the same run): green where goro wins, left of 1 except in rows where higher is better",
    );
    // Grid: a line per power of two, labelled on top.
    let mut k = -AXIS;
    while k <= AXIS {
        let r = k.exp2();
        let x = x_of(r);
        let stroke = if k == 0.0 { "#000" } else { "#ddd" };
        let _ = writeln!(
            svg,
            r#"<line x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}" stroke="{stroke}"/>"#,
            TOP - 4.0,
            height - 6.0
        );
        let label = if r >= 1.0 {
            format!("{r}")
        } else {
            format!("1/{}", 1.0 / r)
        };
        let _ = writeln!(
            svg,
            r#"<text x="{x:.1}" y="{:.1}" text-anchor="middle" fill="dimgray">{label}</text>"#,
            TOP - 8.0
        );
        k += 1.0;
    }
    svg.push_str(&body);
    svg.push_str("</svg>\n");
    svg
}

/// An SVG's opening: its size, a white background, the title and a grey subtitle.
fn head(height: f64, title: &str, subtitle: &str) -> String {
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height:.0}" viewBox="0 0 {WIDTH} {height:.0}" font-family="sans-serif" font-size="11">"#
    );
    let _ = writeln!(svg, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        svg,
        r#"<text x="8" y="18" font-size="14" font-weight="bold">{}</text>"#,
        esc(title)
    );
    let _ = writeln!(
        svg,
        r#"<text x="8" y="34" fill="dimgray">{}</text>"#,
        esc(subtitle)
    );
    svg
}

/// A line chart of RSS over time, one line per peer (log scale: a burst's height and what
/// stays after it differ a thousandfold). `series`: (peer, [(seconds, KiB)]).
pub(crate) fn curve(title: &str, series: &[(&str, Vec<(f64, f64)>)]) -> String {
    const H: f64 = 300.0;
    const X0: f64 = 70.0;
    const X1: f64 = WIDTH - 110.0;
    const Y0: f64 = 50.0;
    const Y1: f64 = H - 40.0;
    let points = series.iter().flat_map(|(_, p)| p.iter());
    let t_max = points.clone().map(|p| p.0).fold(1.0, f64::max);
    let lo = points
        .clone()
        .map(|p| p.1)
        .fold(f64::MAX, f64::min)
        .max(1.0)
        .log10()
        .floor();
    let hi = points
        .map(|p| p.1)
        .fold(1.0, f64::max)
        .log10()
        .ceil()
        .max(lo + 1.0);
    // Two slots left of 0 s: before the burst (-2) and at its height (-1).
    let x = |t: f64| X0 + (t + 2.0) / (t_max + 2.0) * (X1 - X0);
    let y = |kib: f64| Y1 - (kib.max(1.0).log10() - lo) / (hi - lo) * (Y1 - Y0);
    let mut svg = head(
        H,
        title,
        "RSS (log scale; medians) before the burst, with every goroutine parked, then each second after they all ended",
    );
    let mut e = lo;
    while e <= hi {
        let yy = y(10f64.powf(e));
        let label = match e as i32 {
            k if k >= 6 => format!("{} GiB", 10f64.powi(k - 6)),
            k if k >= 3 => format!("{} MiB", 10f64.powi(k - 3)),
            k => format!("{} KiB", 10f64.powi(k)),
        };
        let _ = writeln!(
            svg,
            r##"<line x1="{X0}" y1="{yy:.1}" x2="{X1}" y2="{yy:.1}" stroke="#ddd"/><text x="{:.1}" y="{:.1}" text-anchor="end" fill="dimgray">{label}</text>"##,
            X0 - 4.0,
            yy + 4.0
        );
        e += 1.0;
    }
    for (t, name) in [(-2.0, "before"), (-1.0, "parked")] {
        let _ = writeln!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" fill="dimgray">{name}</text>"#,
            x(t),
            Y1 + 16.0
        );
    }
    let mut t = 0.0;
    while t <= t_max {
        let _ = writeln!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" fill="dimgray">{t} s</text>"#,
            x(t),
            Y1 + 16.0
        );
        t += (t_max / 10.0).ceil().max(1.0);
    }
    let colours = ["#1565c0", "#c62828", "#2e7d32", "#6a1b9a"];
    for (i, (peer, pts)) in series.iter().enumerate() {
        let colour = colours[i % colours.len()];
        let path: Vec<String> = pts
            .iter()
            .map(|&(t, kib)| format!("{:.1},{:.1}", x(t), y(kib)))
            .collect();
        let _ = writeln!(
            svg,
            r#"<polyline points="{}" fill="none" stroke="{colour}" stroke-width="2"/>"#,
            path.join(" ")
        );
        if let Some(&(t, kib)) = pts.last() {
            let _ = writeln!(
                svg,
                r#"<text x="{:.1}" y="{:.1}" fill="{colour}">{} ({} MiB)</text>"#,
                x(t) + 6.0,
                y(kib) + 4.0,
                esc(peer),
                num(kib / 1024.0)
            );
        }
    }
    svg.push_str("</svg>\n");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::report::Cell;

    #[test]
    fn one_is_the_middle_and_bars_clip() {
        assert!((x_of(1.0) - (PLOT_X0 + PLOT_X1) / 2.0).abs() < 1e-9);
        assert_eq!(x_of(1e9), PLOT_X1);
        assert_eq!(x_of(1e-9), PLOT_X0);
    }

    #[test]
    fn draws_a_bar_per_ratio() {
        let row = Row {
            label: "spawn <n>".into(),
            unit: "ns".into(),
            higher_is_better: false,
            cells: vec![
                Some(Cell {
                    median: Some(1.0),
                    ratio: None,
                    ratio_range: None,
                    note: None,
                    some_failed: None,
                }),
                Some(Cell {
                    median: Some(2.0),
                    ratio: Some(0.5),
                    ratio_range: None,
                    note: None,
                    some_failed: None,
                }),
                None,
            ],
        };
        let svg = chart("t", &[row], &["goro", "go", "may"]);
        assert_eq!(svg.matches("<rect").count(), 2); // background + one bar
        assert!(svg.contains("spawn &lt;n&gt;"));
        assert!(svg.contains("0.500x"));
    }

    #[test]
    fn draws_a_line_per_peer() {
        let goro = vec![(0.0, 3_000.0), (1.0, 3_000_000.0), (2.0, 9_000.0)];
        let go = vec![(0.0, 4_000.0), (1.0, 2_800_000.0), (2.0, 2_800_000.0)];
        let svg = curve("t", &[("goro", goro), ("go", go)]);
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert!(svg.contains("goro (8.79 MiB)"), "{svg}");
        assert!(svg.contains("1 GiB"));
    }
}
