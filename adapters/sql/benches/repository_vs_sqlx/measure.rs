//! Measurement: warm-up, calibration, alternating rounds, medians, and the printed table with
//! each operation's ratio against hand-written sqlx, measured in the same run.

use std::time::{Duration, Instant};

use crate::workload::SEEDED;

/// How long one round of one side lasts: the iteration count is calibrated to it, so short
/// rounds interleave the two sides finely and load from elsewhere hits both alike.
pub(crate) const ROUND_TARGET: Duration = Duration::from_millis(15);

pub(crate) struct Measured {
    operation: &'static str,
    iterations: usize,
    repository_us: f64,
    sqlx_us: f64,
    /// The median over rounds of repository / sqlx of the same pair of rounds.
    paired_ratio: f64,
}

/// µs per iteration of `n` iterations starting at iteration number `start`.
pub(crate) async fn round(f: &mut impl AsyncFnMut(usize), start: usize, n: usize) -> f64 {
    let t = Instant::now();
    for i in start..start + n {
        f(i).await;
    }
    t.elapsed().as_secs_f64() * 1e6 / n as f64
}

pub(crate) fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    }
}

pub(crate) fn rounds() -> usize {
    std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(41)
}

/// Warms both sides up and calibrates the iterations per round, then alternates rounds
/// (A B, B A, A B…) and takes medians.
pub(crate) async fn compare(
    operation: &'static str,
    mut repository: impl AsyncFnMut(usize),
    mut hand: impl AsyncFnMut(usize),
) -> Measured {
    let rounds = rounds();
    let mut next = 0;
    // Warm-up: 10 iterations each, then about a round's worth each.
    let a = round(&mut repository, next, 10).await;
    let b = round(&mut hand, next, 10).await;
    next += 10;
    let target = ROUND_TARGET.as_secs_f64() * 1e6;
    let mut n = ((target / a.min(b)) as usize).clamp(3, 5000);
    let a = round(&mut repository, next, n).await;
    let b = round(&mut hand, next, n).await;
    next += n;
    n = ((2.0 * target / (a + b)) as usize).clamp(3, 5000);

    let (mut ta, mut tb) = (Vec::with_capacity(rounds), Vec::with_capacity(rounds));
    for r in 0..rounds {
        if r % 2 == 0 {
            ta.push(round(&mut repository, next, n).await);
            tb.push(round(&mut hand, next, n).await);
        } else {
            tb.push(round(&mut hand, next, n).await);
            ta.push(round(&mut repository, next, n).await);
        }
        next += n;
    }
    let paired = ta.iter().zip(&tb).map(|(a, b)| a / b).collect();
    Measured {
        operation,
        iterations: n,
        repository_us: median(ta),
        sqlx_us: median(tb),
        paired_ratio: median(paired),
    }
}

pub(crate) fn print_table(title: &str, rows: &[Measured]) {
    println!("\n{title}");
    println!("| operation | repository µs | sqlx µs | ratio | paired ratio | iterations/round |");
    println!("|---|---:|---:|---:|---:|---:|");
    for m in rows {
        println!(
            "| {} | {:.1} | {:.1} | {:.3} | {:.3} | {} |",
            m.operation,
            m.repository_us,
            m.sqlx_us,
            m.repository_us / m.sqlx_us,
            m.paired_ratio,
            m.iterations
        );
    }
}

pub(crate) fn describe(backend: &str, detail: &str) -> String {
    format!(
        "{backend} ({detail}; {SEEDED} rows seeded; median of {} rounds, µs per operation)",
        rounds()
    )
}
