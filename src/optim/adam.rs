use super::{Optimizer, check_non_negative, check_positive, check_step, check_unit, zeros_like};
use crate::error::Result;

/// One state buffer per parameter buffer.
type Buffers = Vec<Vec<f64>>;

/// Adam, as `torch.optim.Adam` (maximize = False).
///
/// # Update (step t = 1, 2, …, for each parameter θ with gradient g)
/// ```text
/// g ← g + λθ                         (weight_decay λ: L2 added to the gradient)
/// m ← β1·m + (1 − β1)·g
/// v ← β2·v + (1 − β2)·g²
/// v̂ ← max(v̂, v) if amsgrad, else v
/// θ ← θ − (lr / (1 − β1^t)) · m / (√v̂ / √(1 − β2^t) + eps)
/// ```
/// The last line is PyTorch's order of operations (bias corrections folded into the step
/// size and the denominator), kept so trajectories agree with PyTorch to rounding.
/// [`AdamW`] is the same update with the weight decay decoupled from the gradient.
#[derive(Clone, Debug)]
pub struct Adam {
    lr: f64,
    betas: (f64, f64),
    eps: f64,
    weight_decay: f64,
    amsgrad: bool,
    /// AdamW: `θ ← θ − lr·λ·θ` before the update instead of `g ← g + λθ`.
    decoupled: bool,
    t: u32,
    /// `(m, v, max v)`, created at the first successful step (`max v` stays empty unless
    /// amsgrad).
    state: Option<(Buffers, Buffers, Buffers)>,
}

impl Adam {
    /// Adam with PyTorch's defaults: betas (0.9, 0.999), eps 1e-8, weight_decay 0.
    ///
    /// # Errors
    /// [`crate::Error::InvalidHyperParameter`] unless `lr` is finite and > 0.
    pub fn new(lr: f64) -> Result<Self> {
        Self::with_options(lr, (0.9, 0.999), 1e-8, 0.0)
    }

    /// Adam with every hyper-parameter given.
    ///
    /// # Errors
    /// [`crate::Error::InvalidHyperParameter`]: `lr` ≤ 0, a β outside [0, 1), `eps` ≤ 0,
    /// `weight_decay` < 0, or any of them non-finite.
    pub fn with_options(lr: f64, betas: (f64, f64), eps: f64, weight_decay: f64) -> Result<Self> {
        check_positive("lr", lr)?;
        check_unit("betas.0", betas.0)?;
        check_unit("betas.1", betas.1)?;
        check_positive("eps", eps)?;
        check_non_negative("weight_decay", weight_decay)?;
        Ok(Self {
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad: false,
            decoupled: false,
            t: 0,
            state: None,
        })
    }

    /// Turn on the AMSGrad variant (Reddi et al., 2018): the denominator uses the running
    /// maximum of `v`, as PyTorch's `amsgrad=True`.
    #[must_use]
    pub fn amsgrad(mut self, on: bool) -> Self {
        self.amsgrad = on;
        self
    }

    /// The learning rate.
    #[must_use]
    pub fn lr(&self) -> f64 {
        self.lr
    }

    /// Number of steps taken.
    #[must_use]
    pub fn steps(&self) -> u32 {
        self.t
    }
}

impl Optimizer for Adam {
    fn step(&mut self, params: &mut [&mut [f64]], grads: &[&[f64]]) -> Result<()> {
        check_step(params, grads, self.state.as_ref().map(|s| s.0.as_slice()))?;
        let amsgrad = self.amsgrad;
        let (ms, vs, vmaxs) = self.state.get_or_insert_with(|| {
            let vmax = if amsgrad {
                zeros_like(params)
            } else {
                vec![Vec::new(); params.len()]
            };
            (zeros_like(params), zeros_like(params), vmax)
        });
        self.t += 1;
        let (b1, b2) = self.betas;
        let bc1 = 1.0 - b1.powi(self.t as i32);
        let bc2 = 1.0 - b2.powi(self.t as i32);
        let step_size = self.lr / bc1;
        let bc2_sqrt = bc2.sqrt();
        for ((((p, g), m), v), vmax) in params
            .iter_mut()
            .zip(grads)
            .zip(ms.iter_mut())
            .zip(vs.iter_mut())
            .zip(vmaxs.iter_mut())
        {
            for i in 0..p.len() {
                let gi = if self.decoupled {
                    p[i] *= 1.0 - self.lr * self.weight_decay;
                    g[i]
                } else {
                    g[i] + self.weight_decay * p[i]
                };
                m[i] = b1 * m[i] + (1.0 - b1) * gi;
                v[i] = b2 * v[i] + (1.0 - b2) * gi * gi;
                let second = if self.amsgrad {
                    vmax[i] = vmax[i].max(v[i]);
                    vmax[i]
                } else {
                    v[i]
                };
                let denom = second.sqrt() / bc2_sqrt + self.eps;
                p[i] -= step_size * m[i] / denom;
            }
        }
        Ok(())
    }
}

/// AdamW (Loshchilov & Hutter, 2019), as `torch.optim.AdamW`: Adam whose weight decay is
/// decoupled from the gradient. Each step first shrinks every parameter,
/// `θ ← θ − lr·λ·θ`, then applies the [`Adam`] update with `g` unchanged (no `λθ` added to the
/// gradient, so the decay is not rescaled by Adam's denominator).
#[derive(Clone, Debug)]
pub struct AdamW(Adam);

impl AdamW {
    /// AdamW with PyTorch's defaults: betas (0.9, 0.999), eps 1e-8, weight_decay 0.01.
    ///
    /// # Errors
    /// [`crate::Error::InvalidHyperParameter`] unless `lr` is finite and > 0.
    pub fn new(lr: f64) -> Result<Self> {
        Self::with_options(lr, (0.9, 0.999), 1e-8, 0.01)
    }

    /// AdamW with every hyper-parameter given.
    ///
    /// # Errors
    /// As [`Adam::with_options`].
    pub fn with_options(lr: f64, betas: (f64, f64), eps: f64, weight_decay: f64) -> Result<Self> {
        let mut adam = Adam::with_options(lr, betas, eps, weight_decay)?;
        adam.decoupled = true;
        Ok(Self(adam))
    }

    /// The AMSGrad variant, as [`Adam::amsgrad`].
    #[must_use]
    pub fn amsgrad(self, on: bool) -> Self {
        Self(self.0.amsgrad(on))
    }
}

impl Optimizer for AdamW {
    fn step(&mut self, params: &mut [&mut [f64]], grads: &[&[f64]]) -> Result<()> {
        self.0.step(params, grads)
    }
}
