use super::{Optimizer, check_non_negative, check_positive, check_step, check_unit, zeros_like};
use crate::error::{Error, Result};

/// Stochastic gradient descent, as `torch.optim.SGD` (maximize = False).
///
/// # Update (for each parameter θ with gradient g)
/// ```text
/// g ← g + λθ                                   (weight_decay λ)
/// b ← g at the first step, μ·b + (1 − τ)·g afterwards   (momentum μ, dampening τ; skipped when μ = 0)
/// d ← g + μ·b if nesterov, else b
/// θ ← θ − lr·d
/// ```
#[derive(Clone, Debug)]
pub struct Sgd {
    lr: f64,
    momentum: f64,
    dampening: f64,
    weight_decay: f64,
    nesterov: bool,
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

    /// SGD with momentum μ ∈ [0, 1) and weight decay λ ≥ 0 (dampening 0, nesterov off).
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
            dampening: 0.0,
            weight_decay,
            nesterov: false,
            buf: None,
        })
    }

    /// Set the dampening τ ∈ [0, 1] of the momentum buffer.
    ///
    /// # Errors
    /// [`crate::Error::InvalidHyperParameter`] outside [0, 1], or non-zero with nesterov on
    /// (PyTorch refuses that combination too).
    pub fn dampening(mut self, tau: f64) -> Result<Self> {
        if !(0.0..=1.0).contains(&tau) {
            return Err(Error::InvalidHyperParameter {
                name: "dampening",
                value: tau,
                reason: "must be in [0, 1]",
            });
        }
        self.dampening = tau;
        self.check_nesterov()?;
        Ok(self)
    }

    /// Turn Nesterov momentum on or off.
    ///
    /// # Errors
    /// [`crate::Error::InvalidHyperParameter`] if on with momentum 0 or dampening ≠ 0 (PyTorch:
    /// "Nesterov momentum requires a momentum and zero dampening").
    pub fn nesterov(mut self, on: bool) -> Result<Self> {
        self.nesterov = on;
        self.check_nesterov()?;
        Ok(self)
    }

    fn check_nesterov(&self) -> Result<()> {
        if self.nesterov && (self.momentum <= 0.0 || self.dampening != 0.0) {
            return Err(Error::InvalidHyperParameter {
                name: "nesterov",
                value: 1.0,
                reason: "Nesterov momentum requires a momentum > 0 and zero dampening",
            });
        }
        Ok(())
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
                        self.momentum * b[i] + (1.0 - self.dampening) * gi
                    } else {
                        gi
                    };
                    if self.nesterov {
                        gi + self.momentum * b[i]
                    } else {
                        b[i]
                    }
                };
                p[i] -= self.lr * d;
            }
        }
        Ok(())
    }
}
