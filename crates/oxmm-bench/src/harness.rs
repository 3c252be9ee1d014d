//! Interleaved measurement of several implementations in one process.
//!
//! Every case of a [`Group`] runs one sample per round, the cases taking turns, so a
//! burst of load on the (shared) machine hits all of them alike instead of whichever
//! ran at the time. Each sample times a batch of operations; a case's result is the
//! median over its samples of the time per operation. [`table`] prints the medians
//! with their ratio to a baseline implementation, [`Measurement::json`] one JSON line.
//!
//! ```
//! use std::time::Instant;
//! use oxmm_bench::harness::{Config, Group};
//! let mut v = Vec::new();
//! let mut g = Group::new("push");
//! g.case("vec", 1, move |n| {
//!     let t = Instant::now();
//!     for i in 0..n {
//!         v.push(i);
//!     }
//!     t.elapsed()
//! });
//! let r = g.run(&Config { rounds: 3, ops_per_sample: 100, warmup_samples: 1 });
//! assert_eq!(r.len(), 1);
//! assert_eq!((r[0].bench.as_str(), r[0].imp.as_str(), r[0].threads), ("push", "vec", 1));
//! assert_eq!(r[0].samples, 3);
//! ```

use std::fmt::Write as _;
use std::time::Duration;

use serde::Serialize;

/// The name of the host yardstick's results (`pages::HostCheck`): not an
/// implementation, so [`table`] gives it no ratio to the baseline.
///
/// ```
/// assert_eq!(oxmm_bench::harness::HOST_CHECK, "host-check");
/// ```
pub const HOST_CHECK: &str = "host-check";

/// How much to measure.
///
/// ```
/// use oxmm_bench::harness::Config;
/// assert!(Config::QUICK.rounds < Config::FULL.rounds);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// Samples per case (the cases take turns, one sample each per round).
    pub rounds: usize,
    /// Operations timed together in one sample.
    pub ops_per_sample: u64,
    /// Untimed samples per case before the first round (caches, lazily filled lists).
    pub warmup_samples: usize,
}

impl Config {
    /// A few seconds in all. Short samples, many of them: on a shared machine most
    /// samples then run without being preempted, and the median is theirs.
    ///
    /// ```
    /// use oxmm_bench::harness::{Config, Group};
    /// let c = Config::QUICK;
    /// assert_eq!(c.rounds % 2, 1); // odd: the median is one sample
    /// let mut g = Group::new("noop");
    /// g.case("none", 1, move |n| {
    ///     assert_eq!(n, c.ops_per_sample);
    ///     std::time::Duration::ZERO
    /// });
    /// assert_eq!(g.run(&c)[0].samples, c.rounds);
    /// ```
    pub const QUICK: Config = Config {
        rounds: 51,
        ops_per_sample: 4_000,
        warmup_samples: 3,
    };
    /// Ten to twenty seconds in all.
    ///
    /// ```
    /// use oxmm_bench::harness::{Config, Group};
    /// let c = Config::FULL;
    /// assert_eq!(c.rounds % 2, 1);
    /// assert!(c.ops_per_sample > Config::QUICK.ops_per_sample);
    /// let mut g = Group::new("noop");
    /// g.case("none", 1, |n| std::time::Duration::from_nanos(2 * n));
    /// let m = &g.run(&c)[0];
    /// assert_eq!((m.samples, m.ns_per_op), (c.rounds, 2.0));
    /// ```
    pub const FULL: Config = Config {
        rounds: 201,
        ops_per_sample: 10_000,
        warmup_samples: 5,
    };
}

/// Runs `ops` operations and returns the wall time they took.
type Sampler<'a> = Box<dyn FnMut(u64) -> Duration + 'a>;

struct Case<'a> {
    imp: String,
    threads: usize,
    run: Sampler<'a>,
}

/// Cases of one benchmark, measured interleaved.
///
/// ```
/// use oxmm_bench::harness::Group;
/// let g = Group::new("noop");
/// assert_eq!(g.name(), "noop");
/// ```
pub struct Group<'a> {
    name: String,
    cases: Vec<Case<'a>>,
}

impl<'a> Group<'a> {
    /// An empty group for benchmark `name`.
    ///
    /// ```
    /// assert_eq!(oxmm_bench::harness::Group::new("x").len(), 0);
    /// ```
    pub fn new(name: &str) -> Group<'a> {
        Group {
            name: name.to_string(),
            cases: Vec::new(),
        }
    }

    /// The benchmark's name.
    ///
    /// ```
    /// assert_eq!(oxmm_bench::harness::Group::new("x").name(), "x");
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// How many cases the group has.
    ///
    /// ```
    /// let mut g = oxmm_bench::harness::Group::new("x");
    /// g.case("a", 1, |_| std::time::Duration::ZERO);
    /// assert_eq!(g.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.cases.len()
    }

    /// Whether the group has no case.
    ///
    /// ```
    /// assert!(oxmm_bench::harness::Group::new("x").is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.cases.is_empty()
    }

    /// Add implementation `imp` on `threads` threads; `run(n)` performs `n` operations
    /// in total (over all its threads) and returns the wall time they took.
    ///
    /// ```
    /// let mut g = oxmm_bench::harness::Group::new("x");
    /// g.case("a", 2, |_| std::time::Duration::from_nanos(5));
    /// assert!(!g.is_empty());
    /// ```
    pub fn case(
        &mut self,
        imp: &str,
        threads: usize,
        run: impl FnMut(u64) -> Duration + 'a,
    ) -> &mut Self {
        self.cases.push(Case {
            imp: imp.to_string(),
            threads,
            run: Box::new(run),
        });
        self
    }

    /// Call `f(imp, threads, run)` for every case, in the order they were added (for
    /// other drivers of the same cases, such as criterion's `iter_custom`).
    ///
    /// ```
    /// use std::time::Duration;
    /// let mut g = oxmm_bench::harness::Group::new("x");
    /// g.case("a", 2, |n| Duration::from_nanos(n));
    /// let mut seen = Vec::new();
    /// g.for_each_case(|imp, t, run| seen.push((imp.to_string(), t, run(3))));
    /// assert_eq!(seen, [("a".to_string(), 2, Duration::from_nanos(3))]);
    /// ```
    pub fn for_each_case(
        &mut self,
        mut f: impl FnMut(&str, usize, &mut dyn FnMut(u64) -> Duration),
    ) {
        for c in &mut self.cases {
            f(&c.imp, c.threads, &mut c.run);
        }
    }

    /// Measure every case: warm-up samples, then `cfg.rounds` rounds in which each case
    /// takes one sample in turn. Results are in the order the cases were added.
    ///
    /// ```
    /// use std::time::Duration;
    /// use oxmm_bench::harness::{Config, Group};
    /// let mut g = Group::new("fixed");
    /// g.case("ten", 1, |n| Duration::from_nanos(10 * n));
    /// let r = g.run(&Config { rounds: 5, ops_per_sample: 4, warmup_samples: 0 });
    /// assert_eq!(r[0].ns_per_op, 10.0);
    /// ```
    pub fn run(&mut self, cfg: &Config) -> Vec<Measurement> {
        let ops = cfg.ops_per_sample.max(1);
        for c in &mut self.cases {
            for _ in 0..cfg.warmup_samples {
                (c.run)(ops);
            }
        }
        let mut samples = vec![Vec::with_capacity(cfg.rounds); self.cases.len()];
        for _ in 0..cfg.rounds.max(1) {
            for (c, s) in self.cases.iter_mut().zip(&mut samples) {
                let t = (c.run)(ops);
                s.push(t.as_nanos() as f64 / ops as f64);
            }
        }
        self.cases
            .iter()
            .zip(samples)
            .map(|(c, s)| Measurement::from_samples(&self.name, &c.imp, c.threads, s))
            .collect()
    }
}

/// One case's result.
///
/// ```
/// use oxmm_bench::harness::Measurement;
/// let m = Measurement::from_samples("b", "i", 1, vec![3.0, 1.0, 2.0]);
/// assert_eq!((m.ns_per_op, m.min_ns, m.max_ns), (2.0, 1.0, 3.0));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Measurement {
    /// The benchmark.
    pub bench: String,
    /// The implementation.
    #[serde(rename = "impl")]
    pub imp: String,
    /// Threads the operations ran on.
    pub threads: usize,
    /// Median over the samples of wall time per operation (all threads together: with
    /// two threads, half of one thread's time per operation means perfect scaling).
    pub ns_per_op: f64,
    /// The fastest sample.
    pub min_ns: f64,
    /// The slowest sample.
    pub max_ns: f64,
    /// How many samples.
    pub samples: usize,
}

impl Measurement {
    /// The median, minimum and maximum of per-operation `samples` (nanoseconds).
    ///
    /// ```
    /// use oxmm_bench::harness::Measurement;
    /// assert_eq!(Measurement::from_samples("b", "i", 1, vec![4.0, 1.0, 2.0, 3.0]).ns_per_op, 2.5);
    /// assert_eq!(Measurement::from_samples("b", "i", 1, vec![]).samples, 0);
    /// ```
    pub fn from_samples(bench: &str, imp: &str, threads: usize, mut samples: Vec<f64>) -> Self {
        samples.sort_by(f64::total_cmp);
        let n = samples.len();
        let median = match n {
            0 => f64::NAN,
            _ if n % 2 == 1 => samples[n / 2],
            _ => (samples[n / 2 - 1] + samples[n / 2]) / 2.0,
        };
        Measurement {
            bench: bench.to_string(),
            imp: imp.to_string(),
            threads,
            ns_per_op: median,
            min_ns: samples.first().copied().unwrap_or(f64::NAN),
            max_ns: samples.last().copied().unwrap_or(f64::NAN),
            samples: n,
        }
    }

    /// The result as one line of JSON.
    ///
    /// ```
    /// use oxmm_bench::harness::Measurement;
    /// let j = Measurement::from_samples("b", "oxmm", 2, vec![1.5]).json();
    /// assert!(j.starts_with(r#"{"bench":"b","impl":"oxmm","threads":2,"ns_per_op":1.5"#));
    /// ```
    pub fn json(&self) -> String {
        // A struct of strings, integers and floats always serializes.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// The results as a table: per benchmark and thread count, each implementation's
/// median and its ratio to `baseline`'s (above 1: slower than the baseline).
///
/// ```
/// use oxmm_bench::harness::{table, Measurement};
/// let r = [
///     Measurement::from_samples("pair", "oxmm", 1, vec![10.0]),
///     Measurement::from_samples("pair", "peer", 1, vec![50.0]),
/// ];
/// let t = table(&r, "oxmm");
/// assert!(t.lines().any(|l| l.contains("peer") && l.contains("5.00x")));
/// // The host yardstick is not compared with the baseline.
/// let h = Measurement::from_samples("pair", oxmm_bench::harness::HOST_CHECK, 1, vec![9.0]);
/// let t = table(&[r[0].clone(), h], "oxmm");
/// assert!(t.lines().any(|l| l.contains("host-check") && l.trim_end().ends_with('-')));
/// ```
pub fn table(results: &[Measurement], baseline: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<24} {:<24} {:>7} {:>12} {:>12} {:>12} {:>9}",
        "bench", "impl", "threads", "median ns", "min ns", "max ns", "vs base"
    );
    for m in results {
        let base = results
            .iter()
            .find(|b| b.bench == m.bench && b.threads == m.threads && b.imp == baseline);
        let ratio = match base {
            Some(b) if m.imp != HOST_CHECK => format!("{:.2}x", m.ns_per_op / b.ns_per_op),
            _ => String::from("-"),
        };
        let _ = writeln!(
            out,
            "{:<24} {:<24} {:>7} {:>12.1} {:>12.1} {:>12.1} {:>9}",
            m.bench, m.imp, m.threads, m.ns_per_op, m.min_ns, m.max_ns, ratio
        );
    }
    out
}
