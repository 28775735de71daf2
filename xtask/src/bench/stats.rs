//! Spread and verdicts: per-round paired ratios, their quartiles, and whether a goal is met,
//! missed, or inside the noise.
//!
//! Every round runs each peer of a case once, back to back, so goro's run and a peer's run of
//! the same round saw about the same machine load. A ratio goro/peer taken within a round
//! cancels most of the drift that a ratio of medians taken over all rounds keeps, and the
//! spread of those per-round ratios says how far the machine let the verdict move.

/// Order statistics of a set of samples (per-round ratios or values).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Spread {
    pub(crate) n: usize,
    pub(crate) min: f64,
    pub(crate) q1: f64,
    pub(crate) median: f64,
    pub(crate) q3: f64,
    pub(crate) max: f64,
}

impl Spread {
    /// The spread of `v`, NaNs left out; None when nothing is left. An infinite value (a
    /// starved `fairness-hog` pair) stays in: it lies outside any bound.
    pub(crate) fn of(v: &[f64]) -> Option<Spread> {
        let mut v: Vec<f64> = v.iter().copied().filter(|x| !x.is_nan()).collect();
        if v.is_empty() {
            return None;
        }
        v.sort_by(f64::total_cmp);
        Some(Spread {
            n: v.len(),
            min: v[0],
            q1: quantile(&v, 0.25),
            median: quantile(&v, 0.5),
            q3: quantile(&v, 0.75),
            max: v[v.len() - 1],
        })
    }

    /// The interval a verdict is read from: the interquartile range from 4 samples on, the
    /// whole range below that (with 2 or 3 samples the quartiles say little).
    pub(crate) fn interval(&self) -> (f64, f64) {
        if self.n >= 4 {
            (self.q1, self.q3)
        } else {
            (self.min, self.max)
        }
    }

    /// (max - min) / median: how far the runs moved, relative to their median.
    pub(crate) fn relative_range(&self) -> f64 {
        if self.median > 0.0 {
            (self.max - self.min) / self.median
        } else {
            0.0
        }
    }
}

/// The `q` quantile of sorted, non-empty `v`, interpolated linearly between ranks.
fn quantile(v: &[f64], q: f64) -> f64 {
    let pos = q * (v.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    if v[lo] == v[hi] {
        // Also keeps an infinite value from turning into NaN.
        return v[lo];
    }
    v[lo] + (v[hi] - v[lo]) * (pos - lo as f64)
}

/// What a goal's interval says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// The whole interval meets the goal.
    Met,
    /// The whole interval misses it.
    Miss,
    /// The interval straddles the goal: the runs cannot tell.
    Noise,
}

impl Verdict {
    /// How the reports print it.
    pub(crate) fn text(self) -> &'static str {
        match self {
            Verdict::Met => "MET",
            Verdict::Miss => "MISS",
            Verdict::Noise => "within noise",
        }
    }

    /// The verdict of `spread` against the bound `min..=max`.
    pub(crate) fn of(spread: &Spread, min: f64, max: f64) -> Verdict {
        let (lo, hi) = spread.interval();
        if lo >= min && hi <= max {
            Verdict::Met
        } else if hi < min || lo > max {
            Verdict::Miss
        } else {
            Verdict::Noise
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quartiles_interpolate() {
        let s = Spread::of(&[5.0, 1.0, 3.0, 2.0, 4.0]).unwrap();
        assert_eq!(
            (s.min, s.q1, s.median, s.q3, s.max),
            (1.0, 2.0, 3.0, 4.0, 5.0)
        );
        let s = Spread::of(&[1.0, 2.0, 3.0, 4.0]).unwrap();
        assert_eq!((s.q1, s.median, s.q3), (1.75, 2.5, 3.25));
        assert_eq!(s.interval(), (1.75, 3.25));
        let s = Spread::of(&[2.0, 1.0]).unwrap();
        assert_eq!(s.interval(), (1.0, 2.0));
        assert_eq!(s.relative_range(), 1.0 / 1.5);
        assert_eq!(Spread::of(&[f64::NAN]), None);
        let s = Spread::of(&[1.0, f64::INFINITY, 1.0, 1.0]).unwrap();
        assert_eq!((s.median, s.max), (1.0, f64::INFINITY));
        assert_eq!(Verdict::of(&s, 0.05, 20.0), Verdict::Noise);
    }

    #[test]
    fn verdicts_read_the_interval() {
        let inf = f64::INFINITY;
        let s = Spread::of(&[0.4, 0.45, 0.5, 0.55, 0.9]).unwrap();
        // IQR 0.45..0.55.
        assert_eq!(Verdict::of(&s, -inf, 0.6), Verdict::Met);
        assert_eq!(Verdict::of(&s, -inf, 0.5), Verdict::Noise);
        assert_eq!(Verdict::of(&s, -inf, 0.44), Verdict::Miss);
        assert_eq!(Verdict::of(&s, 0.4, inf), Verdict::Met);
        assert_eq!(Verdict::of(&s, 0.6, inf), Verdict::Miss);
        assert_eq!(Verdict::of(&s, 0.5, 0.7), Verdict::Noise);
    }
}
