use super::{Optimizer, check_non_negative, check_positive, check_step, check_unit, zeros_like};
use crate::error::Result;

/// Stochastic gradient descent, as `torch.optim.SGD` (dampening 0, nesterov off).
///
/// # Update (for each parameter θ with gradient g)
/// ```text
/// g ← g + λθ                      (weight_decay λ)
/// b ← g at the first step, μ·b + g afterwards   (momentum μ; skipped when μ = 0)
/// θ ← θ − lr·b
/// ```
#[derive(Clone, Debug)]
pub struct Sgd {
    lr: f64,
    momentum: f64,
    weight_decay: f64,
    /// Momentum buffers, created at the first successful step.
    buf: Option<Vec<Vec<f64>>>,
}

impl Sgd {
    /// Plain gradient descent `θ ← θ − lr·g`.
    ///
    /// # Errors
    /// [`crate::Error::InvalidHyperParameter`] unless `lr` is finite and > 0.
    pub fn new(lr: f64) -> Result<Self> {
        Self::with_options(lr, 0.0, 0.0)
    }

    /// SGD with momentum μ ∈ [0, 1) and weight decay λ ≥ 0.
    ///
    /// # Errors
    /// [`crate::Error::InvalidHyperParameter`] for a value outside those ranges.
    pub fn with_options(lr: f64, momentum: f64, weight_decay: f64) -> Result<Self> {
        check_positive("lr", lr)?;
        check_unit("momentum", momentum)?;
        check_non_negative("weight_decay", weight_decay)?;
        Ok(Self {
            lr,
            momentum,
            weight_decay,
            buf: None,
        })
    }
}

impl Optimizer for Sgd {
    fn step(&mut self, params: &mut [&mut [f64]], grads: &[&[f64]]) -> Result<()> {
        check_step(params, grads, self.buf.as_deref())?;
        let started = self.buf.is_some();
        let bufs = self.buf.get_or_insert_with(|| zeros_like(params));
        for ((p, g), b) in params.iter_mut().zip(grads).zip(bufs.iter_mut()) {
            for i in 0..p.len() {
                let gi = g[i] + self.weight_decay * p[i];
                let d = if self.momentum == 0.0 {
                    gi
                } else {
                    b[i] = if started {
                        self.momentum * b[i] + gi
                    } else {
                        gi
                    };
                    b[i]
                };
                p[i] -= self.lr * d;
            }
        }
        Ok(())
    }
}
