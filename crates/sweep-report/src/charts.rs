//! The report's charts as small hand-written SVG: learning curves per group (mean line,
//! its 95% interval as a band, `n` per iteration on hover), the metric by group (means with their
//! intervals and each run's value), parameter importance (bars), and the metric against
//! each numeric varying key (scatter, log axis where the key spans more than two
//! decades). Every group has one colour, [`group_colour`] of its rank, in every chart and
//! in the HTML tables. Every text is escaped; nothing refers outside the file.

use crate::{Report, esc, group_label, number, value_text};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use sweep_analysis::{DisplayNames, flatten};
use sweep_core::{Goal, RunRecord, RunStatus, Value};

/// Group colours by rank (Tableau 10): rank 1 is the first, rank 11 the first again.
pub const PALETTE: [&str; 10] = [
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#bab0ac",
];

/// The colour of the group ranked `rank` (from 1).
pub fn group_colour(rank: usize) -> &'static str {
    PALETTE[rank.saturating_sub(1) % PALETTE.len()]
}

/// The colour of bars that stand for no group.
const NEUTRAL: &str = "#5b6b7b";
const WIDTH: f64 = 760.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 52.0;
const LEGEND_WIDTH: f64 = 190.0;
const LEGEND_ROW: f64 = 18.0;
/// Legend rows at most; the rest are counted in a last row.
const LEGEND_MAX: usize = 24;
/// Hover markers per curve at most.
const MARKERS_MAX: usize = 60;
/// Points per polyline at most (every k-th point beyond).
const LINE_MAX: usize = 1000;

/// One chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// The file's stem under `charts/`: `curves`, `comparison`, `importance`,
    /// `scatter-<key>`.
    pub file: String,
    /// What it shows, in a few words (the image's alternative text).
    pub title: String,
    /// How to read it, a sentence.
    pub caption: String,
    width: f64,
    height: f64,
    body: String,
}

impl Chart {
    fn open(&self, xmlns: bool) -> String {
        format!(
            "<svg {}width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"{t}\" font-family=\"sans-serif\" font-size=\"12\">",
            if xmlns {
                "xmlns=\"http://www.w3.org/2000/svg\" "
            } else {
                ""
            },
            w = self.width,
            h = self.height,
            t = esc(&self.title),
        )
    }

    /// A standalone SVG file (with the SVG namespace, which is a name, not a reference).
    pub fn svg(&self) -> String {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{}\n{}</svg>\n",
            self.open(true),
            self.body
        )
    }

    /// The same SVG to inline in HTML (no namespace needed there).
    pub fn inline(&self) -> String {
        format!("{}\n{}</svg>", self.open(false), self.body)
    }
}

/// A value axis mapped onto pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Axis {
    lo: f64,
    hi: f64,
    log: bool,
    /// Pixels of `lo` and `hi`.
    from: f64,
    to: f64,
}

/// The smallest and largest finite value.
fn extent(values: impl IntoIterator<Item = f64>) -> Option<(f64, f64)> {
    values
        .into_iter()
        .filter(|v| v.is_finite())
        .fold(None, |acc, v| match acc {
            None => Some((v, v)),
            Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
        })
}

/// Whether positive values spanning `lo..hi` read better on a log axis: more than two
/// decades.
fn wants_log(lo: f64, hi: f64) -> bool {
    lo > 0.0 && hi / lo > 100.0
}

impl Axis {
    /// An axis without values (no ticks): the frame draws its line only.
    fn blank(from: f64, to: f64) -> Axis {
        Axis {
            lo: 0.0,
            hi: 0.0,
            log: false,
            from,
            to,
        }
    }

    /// An axis over `lo..hi` padded by 5% (a point range widened), or multiplicatively on
    /// a log axis.
    fn new(lo: f64, hi: f64, log: bool, from: f64, to: f64) -> Axis {
        let (lo, hi) = if log {
            (lo / 1.25, hi * 1.25)
        } else if hi > lo {
            let pad = (hi - lo) * 0.05;
            (lo - pad, hi + pad)
        } else {
            let pad = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
            (lo - pad, hi + pad)
        };
        Axis {
            lo,
            hi,
            log,
            from,
            to,
        }
    }

    fn map(&self, v: f64) -> f64 {
        let t = |v: f64| if self.log { v.log10() } else { v };
        let (a, b) = (t(self.lo), t(self.hi));
        let share = if b > a { (t(v) - a) / (b - a) } else { 0.5 };
        self.from + share * (self.to - self.from)
    }

    /// Tick values: 1, 2 or 5 times a power of ten, three to six of them; powers of ten on
    /// a log axis.
    fn ticks(&self) -> Vec<f64> {
        if self.log {
            let (a, b) = (
                self.lo.log10().ceil() as i32,
                self.hi.log10().floor() as i32,
            );
            let every = ((b - a) / 8 + 1).max(1);
            return (a..=b)
                .filter(|e| (e - a) % every == 0)
                .map(|e| 10f64.powi(e))
                .collect();
        }
        let raw = (self.hi - self.lo) / 6.0;
        if !(raw.is_finite() && raw > 0.0) {
            return vec![];
        }
        // The step is m × 10^e; ticks are k·m scaled by an exact power of ten, so 0.6 is
        // 0.6 and not 3 × 0.2.
        let e = raw.log10().floor() as i32;
        let mag = 10f64.powi(e);
        let m = [1.0, 2.0, 5.0, 10.0]
            .into_iter()
            .find(|m| m * mag >= raw)
            .unwrap_or(10.0);
        let step = m * mag;
        let at = |k: i64| {
            let v = if e >= 0 {
                k as f64 * m * 10f64.powi(e)
            } else {
                k as f64 * m / 10f64.powi(-e)
            };
            if v.abs() < step * 1e-9 { 0.0 } else { v }
        };
        let first = (self.lo / step).ceil() as i64;
        let last = (self.hi / step).floor() as i64;
        (first..=last).take(50).map(at).collect()
    }
}

/// A tick label: short, with an exponent for very small or large values.
fn tick_text(v: f64) -> String {
    let a = v.abs();
    if a != 0.0 && !(1e-3..1e6).contains(&a) {
        format!("{v:e}")
    } else {
        number(v)
    }
}

fn px(v: f64) -> String {
    let s = format!("{v:.1}");
    s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
}

/// A text of at most `max` characters, `…` ending a cut one.
fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut s: String = text.chars().take(max.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}

/// The plot's box in pixels.
#[derive(Debug, Clone, Copy)]
struct Plot {
    left: f64,
    right: f64,
    top: f64,
    bottom: f64,
}

impl Plot {
    /// The box of a chart `height` high with the legend at its right.
    fn beside_legend(height: f64) -> Plot {
        Plot {
            left: 72.0,
            right: WIDTH - LEGEND_WIDTH,
            top: TOP,
            bottom: height - BOTTOM,
        }
    }

    /// The box of a chart of labelled rows (`left` for their labels).
    fn rows(height: f64, right: f64) -> Plot {
        Plot {
            left: 210.0,
            right,
            top: TOP + 10.0,
            bottom: height - BOTTOM,
        }
    }
}

/// The label of the group ranked `rank` ("" when none).
fn label_of(labels: &[(usize, String)], rank: usize) -> &str {
    labels
        .iter()
        .find(|(r, _)| *r == rank)
        .map(|(_, l)| l.as_str())
        .unwrap_or("")
}

/// A chart of the common width.
fn chart(file: &str, title: String, caption: String, height: f64, body: String) -> Chart {
    Chart {
        file: file.to_string(),
        title,
        caption,
        width: WIDTH,
        height,
        body,
    }
}

fn title(out: &mut String, text: &str) {
    let _ = writeln!(
        out,
        "<text x=\"12\" y=\"22\" font-size=\"14\" font-weight=\"bold\">{}</text>",
        esc(text)
    );
}

/// Grid lines, tick labels, axis lines and both axis labels.
fn frame(out: &mut String, p: Plot, x: &Axis, y: &Axis, x_label: &str, y_label: &str) {
    out.push_str("<g class=\"axes\">\n");
    for t in x.ticks() {
        let cx = px(x.map(t));
        let _ = writeln!(
            out,
            "<line x1=\"{cx}\" y1=\"{}\" x2=\"{cx}\" y2=\"{}\" stroke=\"#e4e4e4\"/><text x=\"{cx}\" y=\"{}\" text-anchor=\"middle\" fill=\"#444\">{}</text>",
            px(p.top),
            px(p.bottom),
            px(p.bottom + 16.0),
            esc(&tick_text(t))
        );
    }
    for t in y.ticks() {
        let cy = px(y.map(t));
        let _ = writeln!(
            out,
            "<line x1=\"{}\" y1=\"{cy}\" x2=\"{}\" y2=\"{cy}\" stroke=\"#e4e4e4\"/><text x=\"{}\" y=\"{cy}\" dy=\"4\" text-anchor=\"end\" fill=\"#444\">{}</text>",
            px(p.left),
            px(p.right),
            px(p.left - 6.0),
            esc(&tick_text(t))
        );
    }
    let _ = writeln!(
        out,
        "<path d=\"M{l} {t}V{b}H{r}\" fill=\"none\" stroke=\"#555\"/>",
        l = px(p.left),
        t = px(p.top),
        b = px(p.bottom),
        r = px(p.right)
    );
    let _ = writeln!(
        out,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
        px((p.left + p.right) / 2.0),
        px(p.bottom + 38.0),
        esc(x_label)
    );
    if !y_label.is_empty() {
        let (lx, ly) = (16.0, (p.top + p.bottom) / 2.0);
        let _ = writeln!(
            out,
            "<text x=\"{lx}\" y=\"{ly}\" text-anchor=\"middle\" transform=\"rotate(-90 {lx} {ly})\">{}</text>",
            esc(y_label),
        );
    }
    out.push_str("</g>\n");
}

/// A legend of groups at the right: a swatch and the group's label each.
fn legend(out: &mut String, x: f64, top: f64, entries: &[(usize, String)]) {
    out.push_str("<g class=\"legend\">\n");
    let shown = if entries.len() > LEGEND_MAX {
        LEGEND_MAX - 1
    } else {
        entries.len()
    };
    for (i, (rank, label)) in entries.iter().take(shown).enumerate() {
        let y = top + i as f64 * LEGEND_ROW;
        let _ = writeln!(
            out,
            "<g><title>{full}</title><rect x=\"{}\" y=\"{}\" width=\"12\" height=\"12\" rx=\"2\" fill=\"{}\"/><text x=\"{}\" y=\"{}\">{}</text></g>",
            px(x),
            px(y),
            group_colour(*rank),
            px(x + 18.0),
            px(y + 10.0),
            esc(&clip(label, 26)),
            full = esc(label),
        );
    }
    if shown < entries.len() {
        let _ = writeln!(
            out,
            "<text x=\"{}\" y=\"{}\" fill=\"#666\">… and {} more</text>",
            px(x),
            px(top + shown as f64 * LEGEND_ROW + 10.0),
            entries.len() - shown
        );
    }
    out.push_str("</g>\n");
}

/// The chart's height for a legend of `entries` rows.
fn height_for_legend(entries: usize) -> f64 {
    let rows = entries.min(LEGEND_MAX) as f64;
    (TOP + rows * LEGEND_ROW + BOTTOM).max(360.0)
}

/// Every `k`-th index of `0..len` (and the last) so that at most `max` remain.
fn thin(len: usize, max: usize) -> Vec<usize> {
    if len <= max {
        return (0..len).collect();
    }
    let k = len.div_ceil(max);
    let mut idx: Vec<usize> = (0..len).step_by(k).collect();
    if idx.last() != Some(&(len - 1)) {
        idx.push(len - 1);
    }
    idx
}

fn goal_text(goal: Goal) -> &'static str {
    match goal {
        Goal::Maximize => "higher is better",
        Goal::Minimize => "lower is better",
    }
}

/// Each group's curve: the mean line, the 95% interval of the mean (Student t) as a band
/// where more than one run reached an iteration, and markers whose tooltips give the numbers and `n`. `None` when no group
/// has a curve of two iterations or more.
fn curves(r: &Report, labels: &[(usize, String)]) -> Option<Chart> {
    let drawn: Vec<_> = r
        .curves
        .iter()
        .filter(|c| c.points.iter().any(|p| p.mean.is_finite()))
        .collect();
    if !drawn.iter().any(|c| c.points.len() >= 2) {
        return None;
    }
    let last = drawn
        .iter()
        .flat_map(|c| c.points.iter().map(|p| p.iteration))
        .max()
        .unwrap_or(1);
    let (ylo, yhi) = extent(drawn.iter().flat_map(|c| {
        c.points.iter().flat_map(|p| {
            let s = if p.ci_half.is_finite() {
                p.ci_half
            } else {
                0.0
            };
            [p.mean - s, p.mean + s]
        })
    }))?;
    let entries: Vec<(usize, String)> = drawn
        .iter()
        .map(|c| (c.rank, label_of(labels, c.rank).to_string()))
        .collect();
    let height = height_for_legend(entries.len());
    let p = Plot::beside_legend(height);
    let x = Axis::new(1.0, last as f64, false, p.left, p.right);
    let y = Axis::new(ylo, yhi, false, p.bottom, p.top);
    let metric = &r.metric.name;
    let mut out = String::new();
    title(&mut out, &format!("{metric} per iteration, by group"));
    frame(
        &mut out,
        p,
        &x,
        &y,
        "iteration",
        &format!("{metric} ({})", goal_text(r.metric.goal)),
    );
    for c in &drawn {
        let colour = group_colour(c.rank);
        let label = label_of(labels, c.rank);
        let _ = writeln!(out, "<g class=\"group\" data-rank=\"{}\">", c.rank);
        // The band, one polygon per stretch of iterations with a finite interval.
        let mut stretch: Vec<&sweep_analysis::CurvePoint> = Vec::new();
        let mut bands: Vec<Vec<&sweep_analysis::CurvePoint>> = Vec::new();
        for pt in &c.points {
            if pt.ci_half.is_finite() && pt.mean.is_finite() {
                stretch.push(pt);
            } else if !stretch.is_empty() {
                bands.push(std::mem::take(&mut stretch));
            }
        }
        if !stretch.is_empty() {
            bands.push(stretch);
        }
        for band in bands.iter().filter(|b| b.len() >= 2) {
            let keep = thin(band.len(), LINE_MAX);
            let upper = keep.iter().map(|&i| {
                let q = band[i];
                format!(
                    "{},{}",
                    px(x.map(q.iteration as f64)),
                    px(y.map(q.mean + q.ci_half))
                )
            });
            let lower = keep.iter().rev().map(|&i| {
                let q = band[i];
                format!(
                    "{},{}",
                    px(x.map(q.iteration as f64)),
                    px(y.map(q.mean - q.ci_half))
                )
            });
            let points: Vec<String> = upper.chain(lower).collect();
            let _ = writeln!(
                out,
                "<polygon points=\"{}\" fill=\"{colour}\" fill-opacity=\"0.18\" stroke=\"none\"><title>{}: 95% interval of the mean</title></polygon>",
                points.join(" "),
                esc(label)
            );
        }
        let finite: Vec<&sweep_analysis::CurvePoint> =
            c.points.iter().filter(|q| q.mean.is_finite()).collect();
        let line: Vec<String> = thin(finite.len(), LINE_MAX)
            .into_iter()
            .map(|i| {
                let q = finite[i];
                format!("{},{}", px(x.map(q.iteration as f64)), px(y.map(q.mean)))
            })
            .collect();
        let _ = writeln!(
            out,
            "<polyline points=\"{}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"><title>{}</title></polyline>",
            line.join(" "),
            esc(label)
        );
        for i in thin(finite.len(), MARKERS_MAX) {
            let q = finite[i];
            let spread = if q.ci_half.is_finite() {
                format!(
                    " (95% interval ± {}, std {})",
                    number(q.ci_half),
                    number(q.std)
                )
            } else {
                String::new()
            };
            let _ = writeln!(
                out,
                "<circle cx=\"{}\" cy=\"{}\" r=\"3\" fill=\"{colour}\"><title>{}: iteration {}, mean {}{spread} (n = {})</title></circle>",
                px(x.map(q.iteration as f64)),
                px(y.map(q.mean)),
                esc(label),
                q.iteration,
                number(q.mean),
                q.n
            );
        }
        out.push_str("</g>\n");
    }
    legend(&mut out, WIDTH - LEGEND_WIDTH + 16.0, TOP, &entries);
    Some(chart(
        "curves",
        "learning curves".into(),
        format!(
            "{metric} at each iteration: the mean over each group's completed runs, the band its 95% interval (Student t, where more than one run reached the iteration); hover a point for its n."
        ),
        height,
        out,
    ))
}

/// Each group on a row: its runs' values, its mean and its interval. `None` when no group
/// has a value.
fn comparison(r: &Report, labels: &[(usize, String)]) -> Option<Chart> {
    let rows: Vec<_> = r
        .ranked
        .iter()
        .filter(|g| g.group.mean().is_some_and(f64::is_finite))
        .collect();
    if rows.is_empty() {
        return None;
    }
    let (lo, hi) = extent(rows.iter().flat_map(|g| {
        let ci = g.group.ci.filter(|_| g.group.n() > 1);
        g.group
            .values
            .iter()
            .copied()
            .chain(ci.map(|c| c.low))
            .chain(ci.map(|c| c.high))
    }))?;
    let row_height = 24.0;
    let height = (TOP + rows.len() as f64 * row_height + BOTTOM + 10.0).max(180.0);
    let p = Plot::rows(height, WIDTH - 24.0);
    let x = Axis::new(lo, hi, false, p.left, p.right);
    let metric = &r.metric.name;
    let mut out = String::new();
    title(&mut out, &format!("{metric} by group"));
    let _ = writeln!(
        out,
        "<g class=\"key\" fill=\"#444\"><circle cx=\"{a}\" cy=\"18\" r=\"5\" fill=\"#444\"/><text x=\"{b}\" y=\"22\">mean</text><path d=\"M{c} 18h18\" stroke=\"#444\" stroke-width=\"2\"/><text x=\"{d}\" y=\"22\">95% CI</text><circle cx=\"{e}\" cy=\"18\" r=\"3\" fill=\"none\" stroke=\"#444\"/><text x=\"{f}\" y=\"22\">one run</text></g>",
        a = px(WIDTH - 250.0),
        b = px(WIDTH - 240.0),
        c = px(WIDTH - 196.0),
        d = px(WIDTH - 172.0),
        e = px(WIDTH - 112.0),
        f = px(WIDTH - 104.0),
    );
    frame(
        &mut out,
        p,
        &x,
        &Axis::blank(p.bottom, p.top),
        &format!("{metric} ({})", goal_text(r.metric.goal)),
        "",
    );
    for (i, g) in rows.iter().enumerate() {
        let cy = p.top + (i as f64 + 0.5) * row_height;
        let colour = group_colour(g.rank);
        let label = label_of(labels, g.rank);
        let _ = writeln!(out, "<g class=\"group\" data-rank=\"{}\">", g.rank);
        let _ = writeln!(
            out,
            "<rect x=\"8\" y=\"{}\" width=\"12\" height=\"12\" rx=\"2\" fill=\"{colour}\"/><text x=\"{}\" y=\"{}\" text-anchor=\"end\"><title>{}</title>{}</text>",
            px(cy - 6.0),
            px(p.left - 8.0),
            px(cy + 4.0),
            esc(label),
            esc(&clip(&format!("{}. {label}", g.rank), 28)),
        );
        for v in g.group.values.iter().filter(|v| v.is_finite()) {
            let _ = writeln!(
                out,
                "<circle cx=\"{}\" cy=\"{}\" r=\"3\" fill=\"none\" stroke=\"{colour}\" stroke-opacity=\"0.7\"><title>one run: {}</title></circle>",
                px(x.map(*v)),
                px(cy),
                number(*v)
            );
        }
        let mut detail = String::new();
        if let Some(ci) = g.group.ci.filter(|_| g.group.n() > 1) {
            let (a, b) = (px(x.map(ci.low)), px(x.map(ci.high)));
            let _ = writeln!(
                out,
                "<path d=\"M{a} {y}H{b}M{a} {t}V{u}M{b} {t}V{u}\" stroke=\"{colour}\" stroke-width=\"2\" fill=\"none\"/>",
                y = px(cy),
                t = px(cy - 5.0),
                u = px(cy + 5.0),
            );
            detail = format!(", 95% CI [{}, {}]", number(ci.low), number(ci.high));
        }
        let mean = g.group.mean().unwrap_or(f64::NAN);
        let _ = writeln!(
            out,
            "<circle cx=\"{}\" cy=\"{}\" r=\"5\" fill=\"{colour}\" stroke=\"#fff\"><title>{}. {}: mean {}{detail} (n = {})</title></circle>",
            px(x.map(mean)),
            px(cy),
            g.rank,
            esc(label),
            number(mean),
            g.group.n()
        );
        out.push_str("</g>\n");
    }
    Some(chart(
        "comparison",
        format!("{metric} by group"),
        format!(
            "Each group's mean {metric} (filled) with its 95% bootstrap interval, and each completed run's value (hollow), best group first."
        ),
        height,
        out,
    ))
}

/// A bar per key: the share of the metric's variance it explains alone.
fn importance(r: &Report, names: &DisplayNames) -> Option<Chart> {
    if r.importance.is_empty() {
        return None;
    }
    let row_height = 24.0;
    let height = (TOP + r.importance.len() as f64 * row_height + BOTTOM + 10.0).max(160.0);
    let p = Plot::rows(height, WIDTH - 70.0);
    let x = Axis {
        lo: 0.0,
        hi: 1.0,
        log: false,
        from: p.left,
        to: p.right,
    };
    let metric = &r.metric.name;
    let mut out = String::new();
    title(&mut out, &format!("What matters for {metric}"));
    frame(
        &mut out,
        p,
        &x,
        &Axis::blank(p.bottom, p.top),
        "share of the variance the key explains alone (η²)",
        "",
    );
    for (i, imp) in r.importance.iter().enumerate() {
        let cy = p.top + (i as f64 + 0.5) * row_height;
        let key = names.key(&imp.key);
        let share = imp.variance_share;
        let spearman = imp
            .spearman
            .map(|s| format!(", Spearman {}", number(s)))
            .unwrap_or_default();
        let tip = format!(
            "{key}: variance share {}{spearman}, {} level(s), n = {}",
            if share.is_finite() {
                number(share)
            } else {
                "undefined".into()
            },
            imp.levels,
            imp.n
        );
        let _ = writeln!(
            out,
            "<g class=\"bar\"><title>{}</title><text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            esc(&tip),
            px(p.left - 8.0),
            px(cy + 4.0),
            esc(&clip(key, 28))
        );
        if share.is_finite() {
            let w = (x.map(share.clamp(0.0, 1.0)) - p.left).max(0.0);
            let _ = writeln!(
                out,
                "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"14\" fill=\"{NEUTRAL}\"/><text x=\"{}\" y=\"{}\" fill=\"#444\">{}</text>",
                px(p.left),
                px(cy - 7.0),
                px(w),
                px(p.left + w + 6.0),
                px(cy + 4.0),
                esc(&number(share))
            );
        } else {
            let _ = writeln!(
                out,
                "<text x=\"{}\" y=\"{}\" fill=\"#666\">undefined (the metric does not vary)</text>",
                px(p.left + 6.0),
                px(cy + 4.0)
            );
        }
        out.push_str("</g>\n");
    }
    Some(chart(
        "importance",
        "parameter importance".into(),
        format!(
            "The share of {metric}'s variance over completed runs each varying key explains on its own (an estimate; hover a bar for Spearman's correlation and the number of levels)."
        ),
        height,
        out,
    ))
}

/// A file stem for a key: letters, digits, `-`, `_` and `.` kept, the rest `_`.
fn file_stem(key: &str) -> String {
    key.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The metric against one numeric key, a point per completed run in its group's colour.
/// The scatter chart, with the axes it drew (so that a caller can draw over it).
fn scatter(
    r: &Report,
    names: &DisplayNames,
    labels: &[(usize, String)],
    key: &str,
    points: &[(f64, f64, usize)],
) -> Option<(Chart, Axis, Axis)> {
    let points: Vec<(f64, f64, usize)> = points
        .iter()
        .copied()
        .filter(|(a, b, _)| a.is_finite() && b.is_finite())
        .collect();
    let (xlo, xhi) = extent(points.iter().map(|p| p.0))?;
    let (ylo, yhi) = extent(points.iter().map(|p| p.1))?;
    let log =
        wants_log(xlo, xhi) || (xlo > 0.0 && xhi > xlo && r.log_scaled.iter().any(|k| k == key));
    let mut ranks: Vec<usize> = points.iter().map(|p| p.2).collect();
    ranks.sort_unstable();
    ranks.dedup();
    let entries: Vec<(usize, String)> = ranks
        .iter()
        .map(|rank| (*rank, label_of(labels, *rank).to_string()))
        .collect();
    let height = height_for_legend(entries.len());
    let p = Plot::beside_legend(height);
    let x = Axis::new(xlo, xhi, log, p.left, p.right);
    let y = Axis::new(ylo, yhi, false, p.bottom, p.top);
    let metric = &r.metric.name;
    let shown = names.key(key);
    let mut out = String::new();
    title(&mut out, &format!("{metric} against {shown}"));
    frame(
        &mut out,
        p,
        &x,
        &y,
        &if log {
            format!("{shown} (log scale)")
        } else {
            shown.to_string()
        },
        &format!("{metric} ({})", goal_text(r.metric.goal)),
    );
    let (shown_text, metric_text) = (esc(shown), esc(metric));
    for (a, b, rank) in &points {
        let label = label_of(labels, *rank);
        let _ = writeln!(
            out,
            "<circle data-rank=\"{rank}\" cx=\"{}\" cy=\"{}\" r=\"4\" fill=\"{}\" fill-opacity=\"0.8\"><title>{}: {shown_text} = {}, {metric_text} = {}</title></circle>",
            px(x.map(*a)),
            px(y.map(*b)),
            group_colour(*rank),
            esc(label),
            tick_text(*a),
            number(*b)
        );
    }
    legend(&mut out, WIDTH - LEGEND_WIDTH + 16.0, TOP, &entries);
    let chart = chart(
        &format!("scatter-{}", file_stem(key)),
        format!("{metric} against {shown}"),
        format!(
            "Each completed run's {metric} against its {shown}{}, coloured by group.",
            if log { " (log axis)" } else { "" }
        ),
        height,
        out,
    );
    Some((chart, x, y))
}

/// Cost against quality: each completed run's metric against one cost (`key`: wall time,
/// inference latency), coloured by group, the Pareto front (nothing both cheaper and
/// better) joined and ringed.
fn cost_quality(
    r: &Report,
    names: &DisplayNames,
    labels: &[(usize, String)],
    key: &str,
    cost: &[(f64, f64, usize, bool)],
) -> Option<Chart> {
    if cost.len() < 2 {
        return None;
    }
    let points: Vec<(f64, f64, usize)> = cost.iter().map(|c| (c.0, c.1, c.2)).collect();
    let (mut chart, x, y) = scatter(r, names, labels, key, &points)?;
    let (what, unit, file) = match key {
        "resources/wall_s" => ("wall time", "s", "cost-quality".to_string()),
        k if k.starts_with("resources/latency_ms") => {
            ("inference latency", "ms", "cost-latency".to_string())
        }
        k => (k, "", format!("cost-{}", file_stem(k))),
    };
    let mut front: Vec<(f64, f64)> = cost
        .iter()
        .filter(|c| c.3 && c.0.is_finite() && c.1.is_finite())
        .map(|c| (c.0, c.1))
        .collect();
    front.sort_by(|a, b| a.0.total_cmp(&b.0));
    let line: Vec<String> = front
        .iter()
        .map(|(a, b)| format!("{},{}", px(x.map(*a)), px(y.map(*b))))
        .collect();
    let _ = writeln!(
        chart.body,
        "<polyline class=\"pareto\" points=\"{}\" fill=\"none\" stroke=\"#222\" stroke-width=\"1\" stroke-dasharray=\"4 3\"><title>Pareto front</title></polyline>",
        line.join(" ")
    );
    for (a, b) in &front {
        let _ = writeln!(
            chart.body,
            "<circle cx=\"{}\" cy=\"{}\" r=\"7\" fill=\"none\" stroke=\"#222\"><title>on the Pareto front: {} {unit}, {}</title></circle>",
            px(x.map(*a)),
            px(y.map(*b)),
            number(*a),
            number(*b)
        );
    }
    chart.file = file;
    chart.title = format!("{} against {what}", r.metric.name);
    chart.caption = format!(
        "Each completed run's {} against its {what} ({key}), coloured by group; the dashed line joins the Pareto front: the runs nothing else beats on both.",
        r.metric.name
    );
    Some(chart)
}

/// One vertical axis of the parallel coordinates: numbers on a scale, or named levels
/// evenly spaced.
enum ParallelAxis {
    Numeric(Axis),
    Levels(Vec<String>),
}

/// At most this many varying keys get an axis in the parallel coordinates.
const PARALLEL_KEYS: usize = 8;
/// At most this many runs are drawn as lines (every k-th beyond, the caption says so).
const PARALLEL_LINES: usize = 2000;

/// Parallel coordinates: an axis per varying key and one for the metric, a line per
/// completed run in its group's colour. `None` without a varying key or two runs.
fn parallel(r: &Report, names: &DisplayNames, labels: &[(usize, String)]) -> Option<Chart> {
    let rank_of = sweep_analysis::rank_by_run(&r.ranked);
    let keys: Vec<&String> = r.varying.iter().take(PARALLEL_KEYS).collect();
    let mut lines: Vec<(usize, &RunRecord, BTreeMap<String, Value>, f64)> = r
        .runs
        .iter()
        .zip(&r.values)
        .filter(|(run, _)| run.status == RunStatus::Completed)
        .filter_map(|(run, v)| {
            let v = v.filter(|v| v.is_finite())?;
            let rank = *rank_of.get(run.id.as_str())?;
            Some((rank, run, flatten(&run.config), v))
        })
        .collect();
    if keys.is_empty() || lines.len() < 2 {
        return None;
    }
    let total = lines.len();
    // The best groups drawn last, on top.
    lines.sort_by_key(|l| std::cmp::Reverse(l.0));
    let lines: Vec<_> = thin(lines.len(), PARALLEL_LINES)
        .into_iter()
        .map(|i| &lines[i])
        .collect();
    let entries: Vec<(usize, String)> = {
        let mut ranks: Vec<usize> = lines.iter().map(|l| l.0).collect();
        ranks.sort_unstable();
        ranks.dedup();
        ranks
            .into_iter()
            .map(|rank| (rank, label_of(labels, rank).to_string()))
            .collect()
    };
    let height = height_for_legend(entries.len()).max(380.0);
    let p = Plot {
        left: 56.0,
        right: WIDTH - LEGEND_WIDTH - 40.0,
        top: TOP + 28.0,
        bottom: height - BOTTOM - 24.0,
    };
    // Runs without a value for a key (a key only some models have) pass below its axis.
    let unset_y = p.bottom + 20.0;
    let columns = keys.len() + 1;
    let x_of = |i: usize| p.left + (p.right - p.left) * i as f64 / (columns - 1) as f64;
    let axes: Vec<ParallelAxis> = keys
        .iter()
        .map(|key| {
            let values: Vec<&Value> = lines.iter().filter_map(|l| l.2.get(*key)).collect();
            let numbers: Option<Vec<f64>> = values.iter().map(|v| v.as_f64()).collect();
            match numbers.and_then(extent) {
                Some((lo, hi)) => {
                    ParallelAxis::Numeric(Axis::new(lo, hi, wants_log(lo, hi), p.bottom, p.top))
                }
                None => {
                    let mut levels: Vec<String> =
                        values.iter().map(|v| value_text(names, key, v)).collect();
                    levels.sort();
                    levels.dedup();
                    ParallelAxis::Levels(levels)
                }
            }
        })
        .chain(std::iter::once({
            let (lo, hi) = extent(lines.iter().map(|l| l.3))?;
            ParallelAxis::Numeric(Axis::new(lo, hi, false, p.bottom, p.top))
        }))
        .collect();
    let level_y = |levels: &[String], i: usize| {
        if levels.len() <= 1 {
            (p.top + p.bottom) / 2.0
        } else {
            p.bottom - (p.bottom - p.top) * i as f64 / (levels.len() - 1) as f64
        }
    };
    // The height of one run on one axis; `None` where the run has no value there.
    let y_of = |axis: &ParallelAxis,
                key: Option<&String>,
                l: &(usize, &RunRecord, BTreeMap<String, Value>, f64)| {
        match (axis, key) {
            (ParallelAxis::Numeric(a), None) => Some(a.map(l.3)),
            (ParallelAxis::Numeric(a), Some(k)) => {
                l.2.get(k.as_str())
                    .and_then(Value::as_f64)
                    .map(|v| a.map(v))
            }
            (ParallelAxis::Levels(levels), Some(k)) => {
                let v = value_text(names, k, l.2.get(k.as_str())?);
                levels
                    .iter()
                    .position(|x| *x == v)
                    .map(|i| level_y(levels, i))
            }
            (ParallelAxis::Levels(_), None) => None,
        }
    };
    let metric = &r.metric.name;
    let mut out = String::new();
    title(&mut out, &format!("{metric} and the settings of each run"));
    out.push_str("<g class=\"runs\" fill=\"none\" stroke-width=\"1.2\" stroke-opacity=\"0.5\">\n");
    for l in &lines {
        let mut d = String::new();
        for (i, axis) in axes.iter().enumerate() {
            let y = y_of(axis, keys.get(i).copied(), l).unwrap_or(unset_y);
            let _ = write!(
                d,
                "{}{} {}",
                if i == 0 { "M" } else { "L" },
                px(x_of(i)),
                px(y)
            );
        }
        let settings: Vec<String> = keys
            .iter()
            .map(|k| {
                let v =
                    l.2.get(*k)
                        .map_or_else(|| "—".to_string(), |v| value_text(names, k, v));
                format!("{} = {v}", names.key(k))
            })
            .collect();
        let _ = writeln!(
            out,
            "<path data-rank=\"{}\" d=\"{d}\" stroke=\"{}\"><title>{}: {}, {} = {}</title></path>",
            l.0,
            group_colour(l.0),
            esc(&l.1.name),
            esc(&settings.join(", ")),
            esc(metric),
            number(l.3)
        );
    }
    out.push_str("</g>\n<g class=\"axes\">\n");
    for (i, axis) in axes.iter().enumerate() {
        let x = x_of(i);
        let name = keys.get(i).map_or(metric.as_str(), |k| names.key(k));
        let _ = writeln!(
            out,
            "<line x1=\"{x}\" y1=\"{}\" x2=\"{x}\" y2=\"{}\" stroke=\"#555\"/><text x=\"{x}\" y=\"{}\" text-anchor=\"middle\" font-weight=\"bold\"><title>{}</title>{}</text>",
            px(p.top),
            px(p.bottom),
            px(p.top - 12.0),
            esc(name),
            esc(&clip(name, 16)),
            x = px(x),
        );
        let mut ticks: Vec<(f64, String)> = match axis {
            ParallelAxis::Numeric(a) => a
                .ticks()
                .into_iter()
                .map(|t| (a.map(t), tick_text(t)))
                .collect(),
            ParallelAxis::Levels(levels) => {
                let keep = thin(levels.len(), 12);
                keep.into_iter()
                    .map(|j| (level_y(levels, j), clip(&levels[j], 14)))
                    .collect()
            }
        };
        if lines
            .iter()
            .any(|l| y_of(axis, keys.get(i).copied(), l).is_none())
        {
            ticks.push((unset_y, "unset".into()));
        }
        for (y, text) in ticks {
            let _ = writeln!(
                out,
                "<path d=\"M{} {y}h4\" stroke=\"#555\"/><text x=\"{}\" y=\"{y}\" dy=\"4\" fill=\"#444\" stroke=\"#fff\" stroke-width=\"3\" paint-order=\"stroke\">{}</text>",
                px(x - 2.0),
                px(x + 6.0),
                esc(&text),
                y = px(y),
            );
        }
    }
    out.push_str("</g>\n");
    legend(&mut out, WIDTH - LEGEND_WIDTH + 16.0, TOP, &entries);
    let thinned = if lines.len() < total {
        format!(
            " ({} of {total} runs drawn, every k-th in rank order)",
            lines.len()
        )
    } else {
        String::new()
    };
    Some(chart(
        "parallel",
        "parallel coordinates".into(),
        format!(
            "Each completed run as a line through its value of each varying key and its {metric} (the last axis), coloured by group, the best groups on top{thinned}; a run without a key passes under that axis (unset). Hover a line for the run."
        ),
        height,
        out,
    ))
}

/// The top groups this radar compares at most.
const RADAR_GROUPS: usize = 5;

/// The top groups over several metrics: an axis per metric, each scaled between the
/// groups' worst (inner ring) and best (outer ring) mean, so that bigger is better on
/// every axis. `None` without a profile.
fn radar(r: &Report, names: &DisplayNames, labels: &[(usize, String)]) -> Option<Chart> {
    let profile = r.profile.as_ref()?;
    let k = profile.keys.len();
    let groups: Vec<&(usize, Vec<Option<f64>>)> = profile.means.iter().take(RADAR_GROUPS).collect();
    if k < 3 || groups.is_empty() {
        return None;
    }
    let height = 420.0;
    let (cx, cy, radius) = ((WIDTH - LEGEND_WIDTH) / 2.0, TOP + 185.0, 140.0);
    const INNER: f64 = 0.15;
    // Per axis: rates (every group's mean within [0, 1]) from the tenth below the lowest
    // mean (0.8 for 0.86) to 1, so that close groups look close and the scale is round;
    // other metrics between the worst and the best mean of every ranked group, the inner
    // ring to the outer. Either way the better end is outside.
    let scales: Vec<(bool, f64, f64)> = (0..k)
        .map(|axis| {
            let values = profile
                .means
                .iter()
                .filter_map(|g| g.1[axis])
                .filter(|v| v.is_finite());
            match extent(values) {
                Some((lo, hi)) if lo >= 0.0 && hi <= 1.0 => {
                    (true, (((lo * 10.0).ceil() - 1.0) / 10.0).max(0.0), 1.0)
                }
                Some((lo, hi)) => (false, lo, hi),
                None => (false, 0.0, 0.0),
            }
        })
        .collect();
    let share = |axis: usize, v: f64| {
        let (unit, lo, hi) = scales[axis];
        let t = if hi > lo { (v - lo) / (hi - lo) } else { 1.0 };
        let t = match profile.goals[axis] {
            Goal::Maximize => t,
            Goal::Minimize => 1.0 - t,
        };
        if unit { t } else { INNER + (1.0 - INNER) * t }
    };
    let point = |axis: usize, s: f64| {
        let angle = -std::f64::consts::FRAC_PI_2 + std::f64::consts::TAU * axis as f64 / k as f64;
        (cx + radius * s * angle.cos(), cy + radius * s * angle.sin())
    };
    let mut out = String::new();
    title(&mut out, &format!("The top groups over {k} metrics"));
    out.push_str("<g class=\"axes\" fill=\"none\" stroke=\"#ddd\">\n");
    for ring in [0.25, 0.5, 0.75, 1.0] {
        let pts: Vec<String> = (0..k)
            .map(|a| {
                let (x, y) = point(a, ring);
                format!("{},{}", px(x), px(y))
            })
            .collect();
        let _ = writeln!(out, "<polygon points=\"{}\"/>", pts.join(" "));
    }
    for (a, key) in profile.keys.iter().enumerate() {
        let (x, y) = point(a, 1.0);
        let (lx, ly) = point(a, 1.13);
        let anchor = if (lx - cx).abs() < 8.0 {
            "middle"
        } else if lx > cx {
            "start"
        } else {
            "end"
        };
        let name = names.key(key);
        let (unit, lo, hi) = scales[a];
        let scale = if unit {
            format!("scale {} to 1", number(lo))
        } else {
            format!("scale {} to {} over the groups", number(lo), number(hi))
        };
        let _ = writeln!(
            out,
            "<path d=\"M{} {}L{} {}\"/><text x=\"{}\" y=\"{}\" dy=\"4\" text-anchor=\"{anchor}\" fill=\"#222\" stroke=\"none\"><title>{} ({}, {scale})</title>{}</text>",
            px(cx),
            px(cy),
            px(x),
            px(y),
            px(lx),
            px(ly),
            esc(name),
            goal_text(profile.goals[a]),
            esc(&clip(name, 22))
        );
    }
    out.push_str("</g>\n");
    // The best group drawn last, on top.
    for (rank, means) in groups.iter().rev().map(|g| (g.0, &g.1)) {
        let colour = group_colour(rank);
        let label = label_of(labels, rank);
        let corners: Vec<(usize, f64, (f64, f64))> = means
            .iter()
            .enumerate()
            .map(|(a, v)| match v.filter(|v| v.is_finite()) {
                Some(v) => (a, v, point(a, share(a, v))),
                None => (a, f64::NAN, point(a, 0.0)),
            })
            .collect();
        let pts: Vec<String> = corners
            .iter()
            .map(|(_, _, (x, y))| format!("{},{}", px(*x), px(*y)))
            .collect();
        let _ = writeln!(
            out,
            "<g class=\"group\" data-rank=\"{rank}\"><polygon points=\"{}\" fill=\"{colour}\" fill-opacity=\"0.12\" stroke=\"{colour}\" stroke-width=\"2\"><title>{}</title></polygon>",
            pts.join(" "),
            esc(label)
        );
        for (a, v, (x, y)) in &corners {
            if v.is_finite() {
                let _ = writeln!(
                    out,
                    "<circle cx=\"{}\" cy=\"{}\" r=\"3.5\" fill=\"{colour}\"><title>{}: {} mean {}</title></circle>",
                    px(*x),
                    px(*y),
                    esc(label),
                    esc(names.key(&profile.keys[*a])),
                    number(*v)
                );
            }
        }
        out.push_str("</g>\n");
    }
    let entries: Vec<(usize, String)> = groups
        .iter()
        .map(|g| (g.0, label_of(labels, g.0).to_string()))
        .collect();
    legend(&mut out, WIDTH - LEGEND_WIDTH + 16.0, TOP, &entries);
    Some(chart(
        "radar",
        format!("the top groups over {k} metrics"),
        "Each group's mean of each metric over its completed runs (its best value per run), the better end outside on every axis: rates (values within 0 and 1) from the tenth below the lowest group at the centre to 1 at the outer ring (reversed where lower is better); other metrics from the groups' worst mean (inner ring) to their best (outer ring). Hover a point for its value, an axis name for its scale.".into(),
        height,
        out,
    ))
}

/// Classes a confusion heatmap shows at most.
const CONFUSION_MAX: usize = 40;

/// The best run's confusion matrix as a heatmap: a cell's shade is its share of its row
/// (the recall of the true class, off the diagonal the rate of that confusion), its text
/// the count. `None` without one, or with more than [`CONFUSION_MAX`] classes.
fn confusion(r: &Report) -> Option<Chart> {
    let c = r.confusion.as_ref()?;
    let n = c.classes.len();
    if n == 0
        || n > CONFUSION_MAX
        || c.counts.len() != n
        || c.counts.iter().any(|row| row.len() != n)
    {
        return None;
    }
    let cell = (440.0 / n as f64).clamp(12.0, 56.0);
    let (left, top) = (180.0, TOP + 110.0);
    let height = top + cell * n as f64 + BOTTOM;
    let mut out = String::new();
    title(
        &mut out,
        &format!("Confusion matrix of the best run ({} split)", c.split),
    );
    let show_counts = cell >= 24.0;
    for (t, row) in c.counts.iter().enumerate() {
        let total: u64 = row.iter().sum();
        let y = top + cell * t as f64;
        let _ = writeln!(
            out,
            "<text x=\"{}\" y=\"{}\" dy=\"4\" text-anchor=\"end\"><title>{}</title>{}</text>",
            px(left - 8.0),
            px(y + cell / 2.0),
            esc(&c.classes[t]),
            esc(&clip(&c.classes[t], 22))
        );
        for (pi, count) in row.iter().enumerate() {
            let rate = if total > 0 {
                *count as f64 / total as f64
            } else {
                0.0
            };
            let x = left + cell * pi as f64;
            // White to the first palette colour (#4e79a7) by the row share.
            let mix = |full: f64| px(255.0 + (full - 255.0) * rate);
            let _ = writeln!(
                out,
                "<g><title>true {}, predicted {}: {count} ({} of the row)</title><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"rgb({},{},{})\" stroke=\"#fff\"/>{}</g>",
                esc(&c.classes[t]),
                esc(&c.classes[pi]),
                number(rate),
                px(x),
                px(y),
                px(cell),
                px(cell),
                mix(78.0),
                mix(121.0),
                mix(167.0),
                if show_counts {
                    format!(
                        "<text x=\"{}\" y=\"{}\" dy=\"4\" text-anchor=\"middle\" fill=\"{}\">{count}</text>",
                        px(x + cell / 2.0),
                        px(y + cell / 2.0),
                        if rate > 0.5 { "#fff" } else { "#222" }
                    )
                } else {
                    String::new()
                }
            );
        }
    }
    for (pi, class) in c.classes.iter().enumerate() {
        let (x, y) = (left + cell * (pi as f64 + 0.5), top - 8.0);
        let _ = writeln!(
            out,
            "<text x=\"{x}\" y=\"{y}\" transform=\"rotate(-45 {x} {y})\"><title>{}</title>{}</text>",
            esc(class),
            esc(&clip(class, 16)),
            x = px(x),
            y = px(y),
        );
    }
    let _ = writeln!(
        out,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">predicted class</text><text x=\"16\" y=\"{ly}\" text-anchor=\"middle\" transform=\"rotate(-90 16 {ly})\">true class</text>",
        px(left + cell * n as f64 / 2.0),
        px(top + cell * n as f64 + 30.0),
        ly = px(top + cell * n as f64 / 2.0),
    );
    Some(chart(
        "confusion",
        "confusion matrix".into(),
        format!(
            "Run {} on its {} split: rows are the true classes, columns the predicted ones; a cell's shade is its share of the row (on the diagonal, the class's recall), its number the count.",
            c.run, c.split
        ),
        height,
        out,
    ))
}

/// Every chart the report has data for: learning curves, the metric by group, the radar
/// of the top groups, parallel coordinates, importance, cost against quality, the best
/// run's confusion matrix and a scatter per numeric varying key, in that order; file stems
/// unique.
pub fn charts(r: &Report, names: &DisplayNames) -> Vec<Chart> {
    let labels: Vec<(usize, String)> = r
        .ranked
        .iter()
        .map(|g| (g.rank, group_label(r, names, &g.group.params)))
        .collect();
    let mut all: Vec<Chart> = [
        curves(r, &labels),
        comparison(r, &labels),
        radar(r, names, &labels),
        parallel(r, names, &labels),
        importance(r, names),
    ]
    .into_iter()
    .flatten()
    .collect();
    all.extend(
        r.cost
            .iter()
            .filter_map(|(key, cost)| cost_quality(r, names, &labels, key, cost)),
    );
    all.extend(confusion(r));
    for (key, points) in &r.scatter {
        if let Some((mut c, _, _)) = scatter(r, names, &labels, key, points) {
            let stem = c.file.clone();
            let mut k = 2;
            while all.iter().any(|o| o.file == c.file) {
                c.file = format!("{stem}-{k}");
                k += 1;
            }
            all.push(c);
        }
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_log_axes_use_powers_of_ten() {
        let a = Axis::new(0.0, 1.0, false, 0.0, 100.0);
        assert_eq!(a.ticks(), vec![0.0, 0.2, 0.4, 0.6, 0.8, 1.0]);
        let l = Axis::new(1e-4, 1e-1, true, 0.0, 100.0);
        assert_eq!(l.ticks(), vec![1e-4, 1e-3, 1e-2, 1e-1]);
        assert!(wants_log(1e-4, 1e-1) && !wants_log(1.0, 50.0) && !wants_log(-1.0, 1e3));
        // One value: a range around it.
        let one = Axis::new(2.0, 2.0, false, 0.0, 100.0);
        assert!(one.lo < 2.0 && one.hi > 2.0);
        assert!((one.map(2.0) - 50.0).abs() < 1e-9);
        assert_eq!(tick_text(1e-5), "1e-5");
        assert_eq!(tick_text(0.25), "0.25");
    }

    #[test]
    fn thinning_keeps_the_ends_and_colours_cycle() {
        assert_eq!(thin(5, 10), vec![0, 1, 2, 3, 4]);
        let t = thin(1000, 60);
        assert!(t.len() <= 61 && t[0] == 0 && t.last() == Some(&999));
        assert_eq!(group_colour(1), group_colour(11));
        assert_ne!(group_colour(1), group_colour(2));
        assert_eq!(file_stem("model/lr rate"), "model_lr_rate");
        assert_eq!(clip("abcdef", 4), "abc…");
    }
}
