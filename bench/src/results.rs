//! Results: each workload appends one JSON line per figure to the results
//! file (`BENCH_RESULTS`, default `target/bench/results.jsonl`); `report`
//! turns the file into the table in BENCHMARKS.md.

use serde::{Deserialize, Serialize};
use std::io::Write;

/// One figure, measured over several runs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Figure {
    pub workload: String,
    pub metric: String,
    pub unit: String,
    /// One value per run.
    pub runs: Vec<f64>,
    /// The target as a person reads it, e.g. "≥ 5,000"; empty when there is none.
    #[serde(default)]
    pub target: String,
    /// Whether the median meets the target (none when there is no target).
    #[serde(default)]
    pub met: Option<bool>,
    #[serde(default)]
    pub note: String,
}

impl Figure {
    pub fn new(workload: &str, metric: &str, unit: &str, runs: Vec<f64>) -> Self {
        Self {
            workload: workload.into(),
            metric: metric.into(),
            unit: unit.into(),
            runs,
            target: String::new(),
            met: None,
            note: String::new(),
        }
    }

    /// At least `min` (median).
    pub fn at_least(mut self, min: f64, shown: &str) -> Self {
        self.met = Some(median(&self.runs) >= min);
        self.target = shown.into();
        self
    }

    /// At most `max` (median).
    pub fn at_most(mut self, max: f64, shown: &str) -> Self {
        self.met = Some(median(&self.runs) <= max);
        self.target = shown.into();
        self
    }

    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.note = note.into();
        self
    }

    /// Appends this figure to the results file and prints it.
    pub fn record(self) -> anyhow::Result<()> {
        let path = std::env::var("BENCH_RESULTS")
            .unwrap_or_else(|_| "target/bench/results.jsonl".to_owned());
        if let Some(dir) = std::path::Path::new(&path).parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)?;
        writeln!(file, "{}", serde_json::to_string(&self)?)?;
        println!(
            "{:<12} {:<48} median {:>10} {} (min {}, max {}, {} runs) {}",
            self.workload,
            self.metric,
            fmt(median(&self.runs)),
            self.unit,
            fmt(min(&self.runs)),
            fmt(max(&self.runs)),
            self.runs.len(),
            self.target
        );
        Ok(())
    }
}

pub fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    match s.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => s[n / 2],
        n => (s[n / 2 - 1] + s[n / 2]) / 2.0,
    }
}

pub fn min(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::INFINITY, f64::min)
}

pub fn max(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::NEG_INFINITY, f64::max)
}

/// A number as a person reads it: thousands separated, at most 3 significant decimals.
pub fn fmt(x: f64) -> String {
    if !x.is_finite() {
        return "–".into();
    }
    if x.abs() >= 100.0 {
        let n = x.round() as i64;
        let digits = n.abs().to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        if n < 0 { format!("-{out}") } else { out }
    } else if x.abs() >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}
