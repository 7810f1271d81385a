//! The report's charts as small hand-written SVG: learning curves per group (mean line,
//! its 95% interval as a band, `n` per iteration on hover), the metric by group (means with their
//! intervals and each run's value), parameter importance (bars), and the metric against
//! each numeric varying key (scatter, log axis where the key spans more than two
//! decades). Every group has one colour, [`group_colour`] of its rank, in every chart and
//! in the HTML tables. Every text is escaped; nothing refers outside the file.

use crate::{Report, esc, group_label, number};
use std::fmt::Write as _;
use sweep_analysis::DisplayNames;
use sweep_core::Goal;

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
    let label_of = |rank: usize| {
        labels
            .iter()
            .find(|(r, _)| *r == rank)
            .map(|(_, l)| l.as_str())
            .unwrap_or("")
    };
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
        .map(|c| (c.rank, label_of(c.rank).to_string()))
        .collect();
    let height = height_for_legend(entries.len());
    let p = Plot {
        left: 72.0,
        right: WIDTH - LEGEND_WIDTH,
        top: TOP,
        bottom: height - BOTTOM,
    };
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
        let label = label_of(c.rank);
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
    Some(Chart {
        file: "curves".into(),
        title: "learning curves".into(),
        caption: format!(
            "{metric} at each iteration: the mean over each group's completed runs, the band its 95% interval (Student t, where more than one run reached the iteration); hover a point for its n."
        ),
        width: WIDTH,
        height,
        body: out,
    })
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
    let p = Plot {
        left: 210.0,
        right: WIDTH - 24.0,
        top: TOP + 10.0,
        bottom: height - BOTTOM,
    };
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
    // A y axis with no values: the frame draws the x axis and labels only.
    let y = Axis {
        lo: 0.0,
        hi: 0.0,
        log: false,
        from: p.bottom,
        to: p.top,
    };
    frame(
        &mut out,
        p,
        &x,
        &y,
        &format!("{metric} ({})", goal_text(r.metric.goal)),
        "",
    );
    let label_of = |rank: usize| {
        labels
            .iter()
            .find(|(r, _)| *r == rank)
            .map(|(_, l)| l.as_str())
            .unwrap_or("")
    };
    for (i, g) in rows.iter().enumerate() {
        let cy = p.top + (i as f64 + 0.5) * row_height;
        let colour = group_colour(g.rank);
        let label = label_of(g.rank);
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
    Some(Chart {
        file: "comparison".into(),
        title: format!("{metric} by group"),
        caption: format!(
            "Each group's mean {metric} (filled) with its 95% bootstrap interval, and each completed run's value (hollow), best group first."
        ),
        width: WIDTH,
        height,
        body: out,
    })
}

/// A bar per key: the share of the metric's variance it explains alone.
fn importance(r: &Report, names: &DisplayNames) -> Option<Chart> {
    if r.importance.is_empty() {
        return None;
    }
    let row_height = 24.0;
    let height = (TOP + r.importance.len() as f64 * row_height + BOTTOM + 10.0).max(160.0);
    let p = Plot {
        left: 210.0,
        right: WIDTH - 70.0,
        top: TOP + 10.0,
        bottom: height - BOTTOM,
    };
    let x = Axis {
        lo: 0.0,
        hi: 1.0,
        log: false,
        from: p.left,
        to: p.right,
    };
    let y = Axis {
        lo: 0.0,
        hi: 0.0,
        log: false,
        from: p.bottom,
        to: p.top,
    };
    let metric = &r.metric.name;
    let mut out = String::new();
    title(&mut out, &format!("What matters for {metric}"));
    frame(
        &mut out,
        p,
        &x,
        &y,
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
    Some(Chart {
        file: "importance".into(),
        title: "parameter importance".into(),
        caption: format!(
            "The share of {metric}'s variance over completed runs each varying key explains on its own (an estimate; hover a bar for Spearman's correlation and the number of levels)."
        ),
        width: WIDTH,
        height,
        body: out,
    })
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
    let log = wants_log(xlo, xhi);
    let mut ranks: Vec<usize> = points.iter().map(|p| p.2).collect();
    ranks.sort_unstable();
    ranks.dedup();
    let entries: Vec<(usize, String)> = ranks
        .iter()
        .map(|rank| {
            let label = labels
                .iter()
                .find(|(r, _)| r == rank)
                .map(|(_, l)| l.clone())
                .unwrap_or_default();
            (*rank, label)
        })
        .collect();
    let height = height_for_legend(entries.len());
    let p = Plot {
        left: 72.0,
        right: WIDTH - LEGEND_WIDTH,
        top: TOP,
        bottom: height - BOTTOM,
    };
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
        let label = entries
            .iter()
            .find(|(r, _)| r == rank)
            .map(|(_, l)| l.as_str())
            .unwrap_or("");
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
    let chart = Chart {
        file: format!("scatter-{}", file_stem(key)),
        title: format!("{metric} against {shown}"),
        caption: format!(
            "Each completed run's {metric} against its {shown}{}, coloured by group.",
            if log { " (log axis)" } else { "" }
        ),
        width: WIDTH,
        height,
        body: out,
    };
    Some((chart, x, y))
}

/// Cost against quality: each completed run's metric against its wall time, coloured by
/// group, the Pareto front (nothing both cheaper and better) joined and ringed.
fn cost_quality(r: &Report, names: &DisplayNames, labels: &[(usize, String)]) -> Option<Chart> {
    if r.cost.len() < 2 {
        return None;
    }
    let points: Vec<(f64, f64, usize)> = r.cost.iter().map(|c| (c.0, c.1, c.2)).collect();
    let (mut chart, x, y) = scatter(r, names, labels, "resources/wall_s", &points)?;
    let mut front: Vec<(f64, f64)> = r
        .cost
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
            "<circle cx=\"{}\" cy=\"{}\" r=\"7\" fill=\"none\" stroke=\"#222\"><title>on the Pareto front: {} s, {}</title></circle>",
            px(x.map(*a)),
            px(y.map(*b)),
            number(*a),
            number(*b)
        );
    }
    chart.file = "cost-quality".into();
    chart.title = format!("{} against wall time", r.metric.name);
    chart.caption = format!(
        "Each completed run's {} against its wall time (resources/wall_s), coloured by group; the dashed line joins the Pareto front: the runs nothing else beats on both.",
        r.metric.name
    );
    Some(chart)
}

/// Every chart the report has data for: learning curves, the metric by group, importance,
/// cost against quality and a scatter per numeric varying key, in that order; file stems
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
        importance(r, names),
        cost_quality(r, names, &labels),
    ]
    .into_iter()
    .flatten()
    .collect();
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
