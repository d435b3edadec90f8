//! Models: [`Linear`] (PyTorch's `nn.Linear`) and [`SoftmaxClassifier`], a linear layer whose
//! logits go through softmax, trained by minimising cross-entropy.
//!
//! Shapes follow PyTorch: inputs `(N, in_features)`, one row per sample; outputs
//! `(N, out_features)`; for the classifier `out_features = C` and the class axis is 1.

use nalgebra::{DMatrix, DVector};
use rand::Rng;
use rand_distr::{Distribution, Uniform};

use crate::data::Classification;
use crate::error::{Error, Result, check_elements, shape};
use crate::loss::{CrossEntropyOptions, Loss, Target, cross_entropy, cross_entropy_with_grad};

/// A fully connected layer `y = x Wᵀ + b`, as `torch.nn.Linear`.
///
/// `weight` is `(out_features, in_features)`, `bias` is `(out_features,)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Linear {
    /// `W`, shape `(out_features, in_features)`.
    pub weight: DMatrix<f64>,
    /// `b`, shape `(out_features,)`.
    pub bias: DVector<f64>,
}

/// Gradients of a loss with respect to a [`Linear`] layer's parameters (and its input).
#[derive(Clone, Debug, PartialEq)]
pub struct LinearGrad {
    /// `∂L/∂W = (∂L/∂y)ᵀ x`, `(out_features, in_features)`.
    pub weight: DMatrix<f64>,
    /// `∂L/∂b = Σ_n ∂L/∂y_n`, `(out_features,)`.
    pub bias: DVector<f64>,
    /// `∂L/∂x = (∂L/∂y) W`, `(N, in_features)`.
    pub input: DMatrix<f64>,
}

impl LinearGrad {
    /// `‖∇‖₁`: the sum of the absolute values of the weight and bias gradients (the input
    /// gradient is not a parameter and is left out).
    #[must_use]
    pub fn l1_norm(&self) -> f64 {
        self.weight
            .iter()
            .chain(self.bias.iter())
            .map(|g| g.abs())
            .sum()
    }
}

impl Linear {
    /// A layer initialised as PyTorch does by default: every weight and bias drawn from
    /// `U(−k, k)` with `k = 1/√in_features` (`kaiming_uniform_(a = √5)` reduces to this).
    /// The draws come from `rng`, weight row by row, then the bias (not PyTorch's stream).
    ///
    /// # Errors
    /// [`Error::Empty`] if a dimension is 0; [`Error::TooLarge`] beyond
    /// [`crate::error::MAX_ELEMENTS`] weights.
    pub fn new<R: Rng + ?Sized>(
        in_features: usize,
        out_features: usize,
        rng: &mut R,
    ) -> Result<Self> {
        if in_features == 0 || out_features == 0 {
            return Err(Error::Empty(
                "Linear needs in_features > 0 and out_features > 0",
            ));
        }
        check_elements("in_features * out_features", in_features, out_features)?;
        let k = 1.0 / (in_features as f64).sqrt();
        let u = Uniform::new(-k, k).map_err(|_| Error::InvalidHyperParameter {
            name: "in_features",
            value: in_features as f64,
            reason: "gives no valid initialisation range",
        })?;
        let mut w = DMatrix::zeros(out_features, in_features);
        for r in 0..out_features {
            for c in 0..in_features {
                w[(r, c)] = u.sample(rng);
            }
        }
        let b = DVector::from_iterator(out_features, (0..out_features).map(|_| u.sample(rng)));
        Ok(Self { weight: w, bias: b })
    }

    /// A layer with the given parameters (e.g. an initialisation recorded from PyTorch).
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] if `bias.len() != weight.nrows()`; [`Error::Empty`] for a
    /// zero dimension.
    pub fn from_parameters(weight: DMatrix<f64>, bias: DVector<f64>) -> Result<Self> {
        if weight.nrows() == 0 || weight.ncols() == 0 {
            return Err(Error::Empty(
                "Linear needs in_features > 0 and out_features > 0",
            ));
        }
        if bias.len() != weight.nrows() {
            return Err(Error::ShapeMismatch {
                what: "bias",
                expected: format!("({},)", weight.nrows()),
                got: format!("({},)", bias.len()),
            });
        }
        Ok(Self { weight, bias })
    }

    /// `in_features`.
    #[must_use]
    pub fn in_features(&self) -> usize {
        self.weight.ncols()
    }

    /// `out_features`.
    #[must_use]
    pub fn out_features(&self) -> usize {
        self.weight.nrows()
    }

    fn check_input(&self, x: &DMatrix<f64>) -> Result<()> {
        if x.ncols() != self.in_features() {
            return Err(Error::ShapeMismatch {
                what: "input",
                expected: format!("(N, {})", self.in_features()),
                got: shape(x.nrows(), x.ncols()),
            });
        }
        if let Some(i) = x.iter().position(|v| !v.is_finite()) {
            return Err(Error::InvalidValue {
                what: "input",
                row: i % x.nrows(),
                col: i / x.nrows(),
                value: x[i],
                reason: "features must be finite",
            });
        }
        Ok(())
    }

    /// `y = x Wᵀ + b`: `(N, in_features)` → `(N, out_features)`.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] if `x` does not have `in_features` columns;
    /// [`Error::InvalidValue`] for a NaN or infinite feature.
    pub fn forward(&self, x: &DMatrix<f64>) -> Result<DMatrix<f64>> {
        self.check_input(x)?;
        let mut y = x * self.weight.transpose();
        for mut row in y.row_iter_mut() {
            row += self.bias.transpose();
        }
        Ok(y)
    }

    /// Back-propagate `∂L/∂y` `(N, out_features)` through the layer at input `x`.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] if the shapes do not fit the layer.
    pub fn backward(&self, x: &DMatrix<f64>, grad_output: &DMatrix<f64>) -> Result<LinearGrad> {
        self.check_input(x)?;
        if grad_output.shape() != (x.nrows(), self.out_features()) {
            return Err(Error::ShapeMismatch {
                what: "grad_output",
                expected: shape(x.nrows(), self.out_features()),
                got: shape(grad_output.nrows(), grad_output.ncols()),
            });
        }
        Ok(LinearGrad {
            weight: grad_output.transpose() * x,
            bias: grad_output.row_sum().transpose(),
            input: grad_output * &self.weight,
        })
    }

    /// The parameter buffers in a fixed order (weight, then bias), for an optimiser.
    pub fn parameters_mut(&mut self) -> [&mut [f64]; 2] {
        [self.weight.as_mut_slice(), self.bias.as_mut_slice()]
    }
}

/// Multinomial logistic regression: `p(y | x, θ) = softmax(x Wᵀ + b)_y`, trained by
/// minimising the cross-entropy, i.e. maximising the conditional likelihood
/// `Π_n p(y_n | x_n, θ)` (book: chapters on the equivalence and on training).
#[derive(Clone, Debug, PartialEq)]
pub struct SoftmaxClassifier {
    /// The linear layer producing the logits.
    pub linear: Linear,
}

impl SoftmaxClassifier {
    /// Wrap a linear layer with `out_features = C` classes.
    #[must_use]
    pub fn new(linear: Linear) -> Self {
        Self { linear }
    }

    /// Logits `(N, C)`.
    ///
    /// # Errors
    /// As [`Linear::forward`].
    pub fn logits(&self, x: &DMatrix<f64>) -> Result<DMatrix<f64>> {
        self.linear.forward(x)
    }

    /// Class probabilities `(N, C)`: `softmax(logits)`.
    ///
    /// # Errors
    /// As [`Linear::forward`].
    pub fn predict_proba(&self, x: &DMatrix<f64>) -> Result<DMatrix<f64>> {
        crate::softmax::softmax(&self.logits(x)?)
    }

    /// The cross-entropy of the targets under the model and its gradient with respect to the
    /// layer's parameters (`∂L/∂W = (q − y)ᵀ x`, `∂L/∂b = Σ_n (q_n − y_n)`, scaled as the
    /// reduction says).
    ///
    /// # Errors
    /// As [`crate::loss::cross_entropy`] and [`Linear::forward`].
    pub fn loss_and_grad(
        &self,
        x: &DMatrix<f64>,
        target: Target<'_>,
        opts: &CrossEntropyOptions,
    ) -> Result<(Loss, LinearGrad)> {
        let z = self.logits(x)?;
        let (loss, dz) = cross_entropy_with_grad(&z, target, opts)?;
        let g = self.linear.backward(x, &dz)?;
        Ok((loss, g))
    }

    /// Mean cross-entropy (nats) of the model on a labelled data set: `−(1/N) Σ_n log q(y_n | x_n)`,
    /// the loss without its gradient (PyTorch: `F.cross_entropy(model(x), y)`).
    ///
    /// # Errors
    /// As [`crate::loss::cross_entropy`] and [`Linear::forward`].
    pub fn mean_loss(&self, data: &Classification) -> Result<f64> {
        cross_entropy(
            &self.logits(&data.x)?,
            Target::Indices(&data.y),
            &CrossEntropyOptions::default(),
        )?
        .scalar()
        .ok_or(Error::Empty("the mean reduction returned no scalar"))
    }

    /// Expected calibration error with `bins` equal-width bins of the top probability: the
    /// sample-weighted mean over bins of |accuracy − mean top probability|. 0 for a perfectly
    /// calibrated model (in the limit of many samples).
    ///
    /// # Errors
    /// [`Error::Empty`] for no sample or no bin; errors of the model.
    pub fn calibration_error(&self, data: &Classification, bins: usize) -> Result<f64> {
        if bins == 0 || data.y.is_empty() {
            return Err(Error::Empty("need samples and at least one bin"));
        }
        let q = self.predict_proba(&data.x)?;
        let mut sum_p = vec![0.0; bins];
        let mut hits = vec![0.0; bins];
        let mut count = vec![0usize; bins];
        for (i, row) in q.row_iter().enumerate() {
            let (k, &p) = row
                .iter()
                .enumerate()
                .max_by(|a, b| a.1.total_cmp(b.1))
                .ok_or(Error::Empty("no class"))?;
            let b = ((p * bins as f64) as usize).min(bins - 1);
            sum_p[b] += p;
            hits[b] += f64::from(u8::from(k as i64 == data.y[i]));
            count[b] += 1;
        }
        let n = data.y.len() as f64;
        Ok((0..bins)
            .filter(|&b| count[b] > 0)
            .map(|b| (hits[b] - sum_p[b]).abs() / n)
            .sum())
    }

    /// Fraction of rows whose arg-max logit equals the label (the first maximum wins ties).
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] if `labels.len()` differs from N; [`Error::Empty`] for N = 0.
    pub fn accuracy(&self, x: &DMatrix<f64>, labels: &[i64]) -> Result<f64> {
        let z = self.logits(x)?;
        if labels.len() != z.nrows() {
            return Err(Error::ShapeMismatch {
                what: "labels",
                expected: format!("({},)", z.nrows()),
                got: format!("({},)", labels.len()),
            });
        }
        if labels.is_empty() {
            return Err(Error::Empty("no samples"));
        }
        let hits = z
            .row_iter()
            .zip(labels)
            .filter(|(row, y)| row.transpose().argmax().0 as i64 == **y)
            .count();
        Ok(hits as f64 / labels.len() as f64)
    }
}
