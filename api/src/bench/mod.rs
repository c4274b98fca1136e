//! Benchmarks: each figure is printed as `name value unit` next to a baseline measured in the
//! same run on the same database, with their ratio; every figure is the median of several
//! rounds, because the machines are shared and noisy.

pub mod store;

/// The median of a list of measurements (the upper middle for an even count).
pub fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

/// The value at quantile `q` (0..=1) of already collected samples.
pub fn quantile(mut values: Vec<f64>, q: f64) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    if values.is_empty() {
        return f64::NAN;
    }
    let i = ((values.len() - 1) as f64 * q).round() as usize;
    values[i.min(values.len() - 1)]
}
