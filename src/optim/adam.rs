use super::{Optimizer, check_non_negative, check_positive, check_step, check_unit, zeros_like};
use crate::error::Result;

/// One state buffer per parameter buffer.
type Buffers = Vec<Vec<f64>>;

/// Adam, as `torch.optim.Adam` (amsgrad = False, maximize = False).
///
/// # Update (step t = 1, 2, …, for each parameter θ with gradient g)
/// ```text
/// g ← g + λθ                         (weight_decay λ: L2 added to the gradient)
/// m ← β1·m + (1 − β1)·g
/// v ← β2·v + (1 − β2)·g²
/// θ ← θ − (lr / (1 − β1^t)) · m / (√v / √(1 − β2^t) + eps)
/// ```
/// The last line is PyTorch's order of operations (bias corrections folded into the step
/// size and the denominator), kept so trajectories agree with PyTorch to rounding.
#[derive(Clone, Debug)]
pub struct Adam {
    lr: f64,
    betas: (f64, f64),
    eps: f64,
    weight_decay: f64,
    t: u32,
    /// `(m, v)`, created at the first successful step.
    state: Option<(Buffers, Buffers)>,
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
            t: 0,
            state: None,
        })
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
        let (ms, vs) = self
            .state
            .get_or_insert_with(|| (zeros_like(params), zeros_like(params)));
        self.t += 1;
        let (b1, b2) = self.betas;
        let bc1 = 1.0 - b1.powi(self.t as i32);
        let bc2 = 1.0 - b2.powi(self.t as i32);
        let step_size = self.lr / bc1;
        let bc2_sqrt = bc2.sqrt();
        for (((p, g), m), v) in params
            .iter_mut()
            .zip(grads)
            .zip(ms.iter_mut())
            .zip(vs.iter_mut())
        {
            for i in 0..p.len() {
                let gi = g[i] + self.weight_decay * p[i];
                m[i] = b1 * m[i] + (1.0 - b1) * gi;
                v[i] = b2 * v[i] + (1.0 - b2) * gi * gi;
                let denom = v[i].sqrt() / bc2_sqrt + self.eps;
                p[i] -= step_size * m[i] / denom;
            }
        }
        Ok(())
    }
}
