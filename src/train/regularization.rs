//! L1 and L2 penalties on a linear layer's parameters, added to the training objective.
//! The formulas, the bias convention and the sources are in the docs of [`Regularization`].

use crate::error::{Error, Result};
use crate::nn::{Linear, LinearGrad};

/// How the L1 term enters the training step.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum L1Mode {
    /// Add the subgradient `λ₁·sign(θ)` (`sign(0) = 0`) to the gradient, for any optimiser.
    /// Shrinks weights but leaves them oscillating around 0 instead of at 0.
    #[default]
    Subgradient,
    /// Proximal gradient (ISTA): after each plain SGD step of size `lr`, soft-threshold the
    /// penalised parameters by `lr·λ₁`. Gives exact zeros. SGD without momentum only.
    Proximal,
}

/// The penalty `λ₂·‖W‖₂² + λ₁·‖W‖₁` on a [`Linear`] layer, used by [`super::fit_with`].
/// Built by [`Regularization::new`], which validates `λ₁` and `λ₂`; the default is no penalty.
///
/// # The penalised objective
/// ```text
/// J(θ) = L(θ) + λ₂·‖W‖₂² + λ₁·‖W‖₁          (nats; L = mean cross-entropy of the batch)
/// ‖W‖₂² = Σ_ij W_ij²,   ‖W‖₁ = Σ_ij |W_ij|
/// ```
/// `W` is the weight `(out_features, in_features)`. The bias `b` is **excluded by default**, as
/// the intercept is in ridge and lasso regression: it only shifts each class's logit (it
/// carries the class frequencies), and shrinking it would pull the model towards equal class
/// priors rather than towards simpler decision rules. [`Regularization::include_bias`] puts it
/// in both sums.
///
/// From a probabilistic point of view (the book's): minimising `J` is maximum a posteriori
/// estimation instead of maximum likelihood. `N·J` is the summed NLL plus `N·λ₂‖W‖₂²`, the
/// negative log density (up to a constant) of a Gaussian prior `W_ij ~ N(0, 1/(2·N·λ₂))`, plus
/// `N·λ₁‖W‖₁`, that of a Laplace prior with scale `1/(N·λ₁)`.
///
/// # Gradient and subgradient
/// ```text
/// ∂(λ₂‖W‖₂²)/∂W_ij = 2·λ₂·W_ij
/// ∂(λ₁‖W‖₁)/∂W_ij ∋ λ₁·sign(W_ij),  with sign(0) = 0
/// ```
/// `|w|` has no derivative at 0: its subdifferential there is the interval `[−λ₁, λ₁]`, and we
/// take its element 0 (what `torch.sign` gives, so `loss + λ·w.abs().sum()` under autograd
/// behaves the same). Note that PyTorch's `weight_decay` adds `λθ` to the gradient, i.e. it is
/// the gradient of `(λ/2)·‖θ‖²`: `weight_decay = 2·λ₂` is the same L2 penalty as `l2 = λ₂`
/// here, except that `weight_decay` also decays the bias.
///
/// # Exact zeros: the proximal step ([`L1Mode::Proximal`])
/// A subgradient step moves a small weight by `±lr·λ₁` at every step, so it oscillates around 0
/// and (in floating point) practically never lands on it: plain subgradient descent does not
/// produce sparse weights. Proximal gradient descent (ISTA) does: take the gradient step on the
/// smooth part `L + λ₂‖W‖²` only, then apply the proximal operator of `lr·λ₁‖·‖₁`, the
/// soft-thresholding
/// ```text
/// θ ← sign(θ)·max(|θ| − lr·λ₁, 0)
/// ```
/// which sets every weight within `lr·λ₁` of zero to exactly 0. Sources: Parikh & Boyd,
/// "Proximal Algorithms", Foundations and Trends in Optimization 1(3), 2014, §6.5.2 (the
/// proximal operator of the ℓ1 norm) and §4.2 (the proximal gradient method); Beck & Teboulle,
/// "A Fast Iterative Shrinkage-Thresholding Algorithm", SIAM J. Imaging Sci. 2009 (ISTA);
/// Tibshirani, "Regression Shrinkage and Selection via the Lasso", JRSS B 1996.
///
/// The step is the proximal gradient method only when the gradient step is a plain gradient
/// step of size `lr`: SGD without momentum. After a momentum or Adam step the threshold
/// `lr·λ₁` no longer matches the step actually taken (Adam rescales every coordinate), and the
/// combination is a heuristic without the method's guarantees; [`super::fit_with`] therefore
/// refuses [`L1Mode::Proximal`] with anything but [`super::OptimizerSpec::Sgd`] with momentum 0.
///
/// [`L1Mode`] chooses between the two ways of applying the L1 term; [`soft_threshold`] is the
/// proximal operator.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Regularization {
    l1: f64,
    l2: f64,
    include_bias: bool,
    l1_mode: L1Mode,
}

fn check_lambda(name: &'static str, value: f64) -> Result<()> {
    if !(value.is_finite() && value >= 0.0) {
        return Err(Error::InvalidHyperParameter {
            name,
            value,
            reason: "a penalty strength must be finite and >= 0",
        });
    }
    Ok(())
}

/// Soft-thresholding, the proximal operator of `t·|·|`:
/// `sign(x)·max(|x| − t, 0)` (Parikh & Boyd 2014, §6.5.2). Returns `+0.0` (never `−0.0`) when
/// `|x| ≤ t`.
#[must_use]
pub fn soft_threshold(x: f64, t: f64) -> f64 {
    let shrunk = x.abs() - t;
    if shrunk > 0.0 {
        x.signum() * shrunk
    } else {
        0.0
    }
}

impl Regularization {
    /// No penalty (`λ₁ = λ₂ = 0`).
    #[must_use]
    pub fn none() -> Self {
        Self::default()
    }

    /// The penalty `λ₂·‖W‖₂² + λ₁·‖W‖₁` (`l1 = λ₁`, `l2 = λ₂`), bias excluded, L1 by
    /// subgradient.
    ///
    /// # Errors
    /// [`Error::InvalidHyperParameter`] (`l1` or `l2`) for a negative, NaN or infinite value.
    pub fn new(l1: f64, l2: f64) -> Result<Self> {
        check_lambda("l1", l1)?;
        check_lambda("l2", l2)?;
        Ok(Self {
            l1,
            l2,
            include_bias: false,
            l1_mode: L1Mode::Subgradient,
        })
    }

    /// Penalise the bias too (default: no).
    #[must_use]
    pub fn include_bias(mut self, on: bool) -> Self {
        self.include_bias = on;
        self
    }

    /// How the L1 term is applied (default [`L1Mode::Subgradient`]).
    #[must_use]
    pub fn l1_mode(mut self, mode: L1Mode) -> Self {
        self.l1_mode = mode;
        self
    }

    /// `λ₁`.
    #[must_use]
    pub fn l1(&self) -> f64 {
        self.l1
    }

    /// `λ₂`.
    #[must_use]
    pub fn l2(&self) -> f64 {
        self.l2
    }

    /// Whether the bias is penalised.
    #[must_use]
    pub fn includes_bias(&self) -> bool {
        self.include_bias
    }

    /// The L1 mode.
    #[must_use]
    pub fn mode(&self) -> L1Mode {
        self.l1_mode
    }

    /// Whether there is any penalty at all.
    #[must_use]
    pub fn is_none(&self) -> bool {
        self.l1 == 0.0 && self.l2 == 0.0
    }

    /// The penalised parameters: the weight, and the bias if included.
    fn penalised<'a>(&self, linear: &'a Linear) -> impl Iterator<Item = &'a f64> {
        let bias: &[f64] = if self.include_bias {
            linear.bias.as_slice()
        } else {
            &[]
        };
        linear.weight.iter().chain(bias.iter())
    }

    /// The penalty's value `λ₂·Σθ² + λ₁·Σ|θ|` over the penalised parameters (nats, added to
    /// the mean cross-entropy). 0 without a penalty.
    #[must_use]
    pub fn penalty(&self, linear: &Linear) -> f64 {
        if self.is_none() {
            return 0.0;
        }
        let (sq, abs) = self
            .penalised(linear)
            .fold((0.0, 0.0), |(s, a), &t| (s + t * t, a + t.abs()));
        self.l2 * sq + self.l1 * abs
    }

    /// Add the penalty's gradient to `grad` (shapes as `linear`): `2·λ₂·θ`, plus
    /// `λ₁·sign(θ)` (`sign(0) = 0`) in [`L1Mode::Subgradient`]. In [`L1Mode::Proximal`] the L1
    /// term is left to [`Self::proximal_step`].
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] if `grad` is not shaped like `linear`.
    pub fn add_gradient(&self, linear: &Linear, grad: &mut LinearGrad) -> Result<()> {
        if grad.weight.shape() != linear.weight.shape() || grad.bias.len() != linear.bias.len() {
            return Err(Error::ShapeMismatch {
                what: "grad",
                expected: format!("weight {:?}", linear.weight.shape()),
                got: format!("weight {:?}", grad.weight.shape()),
            });
        }
        if self.is_none() {
            return Ok(());
        }
        let l1 = match self.l1_mode {
            L1Mode::Subgradient => self.l1,
            L1Mode::Proximal => 0.0,
        };
        let term = |t: f64| {
            let sign = if t == 0.0 { 0.0 } else { t.signum() };
            2.0 * self.l2 * t + l1 * sign
        };
        for (g, &t) in grad.weight.iter_mut().zip(linear.weight.iter()) {
            *g += term(t);
        }
        if self.include_bias {
            for (g, &t) in grad.bias.iter_mut().zip(linear.bias.iter()) {
                *g += term(t);
            }
        }
        Ok(())
    }

    /// The proximal step of [`L1Mode::Proximal`]: soft-threshold every penalised parameter by
    /// `lr·λ₁` ([`soft_threshold`]). Does nothing in [`L1Mode::Subgradient`] or with `λ₁ = 0`.
    ///
    /// # Errors
    /// [`Error::InvalidHyperParameter`] (`lr`) unless `lr` is finite and > 0.
    pub fn proximal_step(&self, linear: &mut Linear, lr: f64) -> Result<()> {
        if !(lr.is_finite() && lr > 0.0) {
            return Err(Error::InvalidHyperParameter {
                name: "lr",
                value: lr,
                reason: "must be finite and > 0",
            });
        }
        if self.l1_mode != L1Mode::Proximal || self.l1 == 0.0 {
            return Ok(());
        }
        let t = lr * self.l1;
        for w in linear.weight.iter_mut() {
            *w = soft_threshold(*w, t);
        }
        if self.include_bias {
            for b in linear.bias.iter_mut() {
                *b = soft_threshold(*b, t);
            }
        }
        Ok(())
    }
}
