use super::{Optimizer, check_non_negative, check_positive, check_step, check_unit, zeros_like};
use crate::error::{Error, Result};

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
    /// PyTorch's parameter groups reduced to what differs between them here: one weight
    /// decay per buffer (`None`: `weight_decay` for every buffer).
    decay_per_buffer: Option<Vec<f64>>,
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
            decay_per_buffer: None,
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

    /// Give buffer `i` its own weight decay `decays[i]` (PyTorch's parameter groups, e.g.
    /// nanoGPT's `configure_optimizers`: decay for matrices and embeddings, none for
    /// LayerNorm weights and biases). Every step must then pass exactly `decays.len()`
    /// buffers.
    ///
    /// # Errors
    /// [`Error::InvalidHyperParameter`] for a negative or non-finite decay.
    pub fn weight_decay_per_buffer(mut self, decays: Vec<f64>) -> Result<Self> {
        for &d in &decays {
            check_non_negative("weight_decay", d)?;
        }
        self.decay_per_buffer = Some(decays);
        Ok(self)
    }

    /// The learning rate.
    #[must_use]
    pub fn lr(&self) -> f64 {
        self.lr
    }

    /// Change the learning rate for the next steps (a schedule: PyTorch's
    /// `param_group["lr"] = lr`).
    ///
    /// # Errors
    /// [`Error::InvalidHyperParameter`] unless `lr` is finite and > 0.
    pub fn set_lr(&mut self, lr: f64) -> Result<()> {
        check_positive("lr", lr)?;
        self.lr = lr;
        Ok(())
    }

    /// Number of steps taken.
    #[must_use]
    pub fn steps(&self) -> u32 {
        self.t
    }

    /// The optimiser's state (PyTorch's `optimizer.state_dict()["state"]`): the step count
    /// and the moment estimates of every buffer (empty before the first step).
    #[must_use]
    pub fn state(&self) -> AdamState {
        let (m, v, vmax) = self.state.clone().unwrap_or_default();
        AdamState {
            step: self.t,
            exp_avg: m,
            exp_avg_sq: v,
            max_exp_avg_sq: vmax,
        }
    }

    /// Restore a state taken by [`Adam::state`] (to resume training exactly where it was).
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] if the moment buffers disagree in number or length (or
    /// `max_exp_avg_sq` does not match the AMSGrad setting), or a state without buffers
    /// claims steps; [`Error::InvalidValue`] for a non-finite or negative moment.
    pub fn load_state(&mut self, s: AdamState) -> Result<()> {
        let bad = |expected: String, got: String| Error::ShapeMismatch {
            what: "optimizer state",
            expected,
            got,
        };
        if s.exp_avg.is_empty() {
            if s.step != 0 || !s.exp_avg_sq.is_empty() || !s.max_exp_avg_sq.is_empty() {
                return Err(bad(
                    "no buffers at step 0".into(),
                    format!("step {}", s.step),
                ));
            }
            self.t = 0;
            self.state = None;
            return Ok(());
        }
        let lens: Vec<usize> = s.exp_avg.iter().map(Vec::len).collect();
        let same =
            |b: &Buffers| b.len() == lens.len() && b.iter().zip(&lens).all(|(x, &n)| x.len() == n);
        if !same(&s.exp_avg_sq) {
            return Err(bad(
                "exp_avg_sq shaped like exp_avg".into(),
                "other lengths".into(),
            ));
        }
        let vmax_ok = if self.amsgrad {
            same(&s.max_exp_avg_sq)
        } else {
            s.max_exp_avg_sq.iter().all(Vec::is_empty)
        };
        if !vmax_ok || s.step == 0 {
            return Err(bad(
                "max_exp_avg_sq as the amsgrad setting, and step >= 1".into(),
                format!("step {}", s.step),
            ));
        }
        for (i, (m, v)) in s.exp_avg.iter().zip(&s.exp_avg_sq).enumerate() {
            if let Some(j) = m.iter().position(|x| !x.is_finite()) {
                return Err(Error::InvalidValue {
                    what: "exp_avg",
                    row: i,
                    col: j,
                    value: m[j],
                    reason: "a moment estimate must be finite",
                });
            }
            if let Some(j) = v.iter().position(|x| !(x.is_finite() && *x >= 0.0)) {
                return Err(Error::InvalidValue {
                    what: "exp_avg_sq",
                    row: i,
                    col: j,
                    value: v[j],
                    reason: "a second moment must be finite and >= 0",
                });
            }
        }
        let vmax = if self.amsgrad {
            s.max_exp_avg_sq
        } else {
            vec![Vec::new(); lens.len()]
        };
        self.t = s.step;
        self.state = Some((s.exp_avg, s.exp_avg_sq, vmax));
        Ok(())
    }
}

/// The state of [`Adam`] / [`AdamW`] between steps, with PyTorch's names.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AdamState {
    /// Steps taken.
    pub step: u32,
    /// First moments `m`, one buffer per parameter buffer.
    pub exp_avg: Vec<Vec<f64>>,
    /// Second moments `v`.
    pub exp_avg_sq: Vec<Vec<f64>>,
    /// AMSGrad's running maxima of `v` (empty buffers without AMSGrad).
    pub max_exp_avg_sq: Vec<Vec<f64>>,
}

impl Optimizer for Adam {
    fn step(&mut self, params: &mut [&mut [f64]], grads: &[&[f64]]) -> Result<()> {
        check_step(params, grads, self.state.as_ref().map(|s| s.0.as_slice()))?;
        if let Some(d) = &self.decay_per_buffer
            && d.len() != params.len()
        {
            return Err(Error::ShapeMismatch {
                what: "params",
                expected: format!("{} buffers (one per weight decay)", d.len()),
                got: format!("{} buffers", params.len()),
            });
        }
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
        for (k, ((((p, g), m), v), vmax)) in params
            .iter_mut()
            .zip(grads)
            .zip(ms.iter_mut())
            .zip(vs.iter_mut())
            .zip(vmaxs.iter_mut())
            .enumerate()
        {
            let weight_decay = self
                .decay_per_buffer
                .as_ref()
                .map_or(self.weight_decay, |d| d[k]);
            for i in 0..p.len() {
                let gi = if self.decoupled {
                    p[i] *= 1.0 - self.lr * weight_decay;
                    g[i]
                } else {
                    g[i] + weight_decay * p[i]
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

    /// One weight decay per buffer, as [`Adam::weight_decay_per_buffer`] (nanoGPT's
    /// `configure_optimizers`: AdamW over two parameter groups).
    ///
    /// # Errors
    /// As [`Adam::weight_decay_per_buffer`].
    pub fn weight_decay_per_buffer(self, decays: Vec<f64>) -> Result<Self> {
        Ok(Self(self.0.weight_decay_per_buffer(decays)?))
    }

    /// The learning rate.
    #[must_use]
    pub fn lr(&self) -> f64 {
        self.0.lr
    }

    /// As [`Adam::set_lr`].
    ///
    /// # Errors
    /// As [`Adam::set_lr`].
    pub fn set_lr(&mut self, lr: f64) -> Result<()> {
        self.0.set_lr(lr)
    }

    /// Number of steps taken.
    #[must_use]
    pub fn steps(&self) -> u32 {
        self.0.t
    }

    /// As [`Adam::state`].
    #[must_use]
    pub fn state(&self) -> AdamState {
        self.0.state()
    }

    /// As [`Adam::load_state`].
    ///
    /// # Errors
    /// As [`Adam::load_state`].
    pub fn load_state(&mut self, s: AdamState) -> Result<()> {
        self.0.load_state(s)
    }
}

impl Optimizer for AdamW {
    fn step(&mut self, params: &mut [&mut [f64]], grads: &[&[f64]]) -> Result<()> {
        self.0.step(params, grads)
    }
}
