//! `report`: the results file as Markdown rows (workload, figure, median,
//! spread, target, met), written between the markers in BENCHMARKS.md.

use crate::results::{Figure, fmt, max, median, min};

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// The results file (JSON lines).
    #[arg(long, default_value = "target/bench/results.jsonl")]
    results: String,
    /// The Markdown file whose table is replaced.
    #[arg(long, default_value = "BENCHMARKS.md")]
    out: String,
    /// A line describing the machine and the command, put above the table.
    #[arg(long, default_value = "")]
    header: String,
}

const BEGIN: &str = "<!-- results:begin -->";
const END: &str = "<!-- results:end -->";

pub fn run(args: ReportArgs) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(&args.results)?;
    let figures: Vec<Figure> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()?;
    let mut table = format!("{BEGIN}\n{}\n\n", args.header);
    table.push_str("| workload | figure | median | min – max | runs | target | met | notes |\n");
    table.push_str("| --- | --- | ---: | ---: | ---: | --- | --- | --- |\n");
    for f in &figures {
        let unit = if f.unit.is_empty() {
            String::new()
        } else {
            format!(" {}", f.unit)
        };
        table.push_str(&format!(
            "| {} | {} | {}{unit} | {} – {} | {} | {} | {} | {} |\n",
            f.workload,
            f.metric,
            fmt(median(&f.runs)),
            fmt(min(&f.runs)),
            fmt(max(&f.runs)),
            f.runs.len(),
            f.target,
            match f.met {
                Some(true) => "yes",
                Some(false) => "**no**",
                None => "",
            },
            f.note
        ));
    }
    table.push_str(END);
    let doc = std::fs::read_to_string(&args.out)
        .unwrap_or_else(|_| format!("# Benchmarks\n\n{BEGIN}\n{END}\n"));
    let (before, rest) = doc
        .split_once(BEGIN)
        .ok_or_else(|| anyhow::anyhow!("{} has no {BEGIN} marker", args.out))?;
    let (_, after) = rest
        .split_once(END)
        .ok_or_else(|| anyhow::anyhow!("{} has no {END} marker", args.out))?;
    std::fs::write(&args.out, format!("{before}{table}{after}"))?;
    println!("wrote {} figures to {}", figures.len(), args.out);
    Ok(())
}
