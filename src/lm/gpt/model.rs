//! The model: parameters in one flat buffer, the forward pass through the layers of
//! [`super::layers`], the head (tied output matrix + cross-entropy) and the backward pass.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

use super::config::{GptConfig, LayerOffsets, Offsets};
use super::float::GptFloat;
use super::layers::{
    attention_backward, attention_forward, encoder_backward, encoder_forward, gelu_backward,
    gelu_forward, layernorm_backward, layernorm_forward, matmul_backward, matmul_forward,
    residual_backward, residual_forward,
};
use crate::error::{Error, MAX_ELEMENTS, Result};
use crate::loss::rows::RowTarget;
use crate::loss::{
    CrossEntropyOptions, Linear, LinearCrossEntropyOptions, LinearGrads, Reduction,
    linear_cross_entropy, linear_cross_entropy_with_grad,
};
use crate::real::Real;

/// nanoGPT's `ignore_index` for targets (`F.cross_entropy(..., ignore_index=-1)`): a target
/// of `-1` is padding, left out of the loss and of its mean.
pub const IGNORE_INDEX: i64 = -1;

/// A GPT (nanoGPT's `GPT` with `bias = False`, `dropout = 0`): parameters and configuration.
///
/// The parameters live in one row-major buffer, tensor after tensor in nanoGPT's
/// `named_parameters()` order ([`GptConfig::parameter_specs`]), so that a checkpoint maps
/// one to one to nanoGPT's `state_dict` (the tied `lm_head.weight` is `transformer.wte.weight`).
#[derive(Clone, Debug, PartialEq)]
pub struct Gpt<T: GptFloat> {
    config: GptConfig,
    offsets: Offsets,
    params: Vec<T>,
}

impl<T: GptFloat> Gpt<T> {
    /// A model initialised as nanoGPT's `GPT.__init__`: every matrix and embedding
    /// `N(0, 0.02²)`, the residual projections (`attn.c_proj`, `mlp.c_proj`)
    /// `N(0, (0.02/√(2·n_layer))²)`, LayerNorm weights 1. Draws come from a ChaCha8 generator
    /// seeded with `seed`, tensor after tensor in the buffer's order (so the numbers differ
    /// from PyTorch's, their distribution does not).
    ///
    /// # Errors
    /// As [`GptConfig::validate`].
    pub fn new(config: GptConfig, seed: u64) -> Result<Self> {
        config.validate()?;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let std_proj = 0.02 / (2.0 * config.n_layer as f64).sqrt();
        let mut params = Vec::with_capacity(config.num_parameters());
        for spec in config.parameter_specs() {
            if !spec.decays() {
                params.extend(std::iter::repeat_n(T::round_from_f64(1.0), spec.len()));
                continue;
            }
            let std = if spec.name.ends_with("c_proj.weight") {
                std_proj
            } else {
                0.02
            };
            let normal = Normal::new(0.0, std).map_err(|_| Error::InvalidHyperParameter {
                name: "init std",
                value: std,
                reason: "must be finite and > 0",
            })?;
            params.extend((0..spec.len()).map(|_| T::round_from_f64(normal.sample(&mut rng))));
        }
        Self::from_parameters(config, params)
    }

    /// A model from its configuration and its flat parameter buffer (the layout of
    /// [`GptConfig::parameter_specs`]).
    ///
    /// # Errors
    /// As [`GptConfig::validate`]; [`Error::ShapeMismatch`] if the buffer has another length;
    /// [`Error::InvalidValue`] for a NaN or infinite parameter.
    pub fn from_parameters(config: GptConfig, params: Vec<T>) -> Result<Self> {
        config.validate()?;
        let offsets = Offsets::of(&config);
        if params.len() != offsets.total {
            return Err(Error::ShapeMismatch {
                what: "parameters",
                expected: format!("{} numbers", offsets.total),
                got: format!("{}", params.len()),
            });
        }
        if let Some(i) = params.iter().position(|p| !p.as_f64().is_finite()) {
            return Err(Error::InvalidValue {
                what: "parameters",
                row: 0,
                col: i,
                value: params[i].as_f64(),
                reason: "a parameter must be finite",
            });
        }
        Ok(Self {
            config,
            offsets,
            params,
        })
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &GptConfig {
        &self.config
    }

    /// All parameters, in the order of [`GptConfig::parameter_specs`].
    #[must_use]
    pub fn parameters(&self) -> &[T] {
        &self.params
    }

    /// All parameters, mutable (same layout). The caller keeps them finite.
    pub fn parameters_mut(&mut self) -> &mut [T] {
        &mut self.params
    }

    /// The parameter tensor named `name` (nanoGPT's key; `lm_head.weight` is the tied
    /// `transformer.wte.weight`), or `None`.
    #[must_use]
    pub fn parameter(&self, name: &str) -> Option<&[T]> {
        let name = if name == "lm_head.weight" {
            "transformer.wte.weight"
        } else {
            name
        };
        self.config
            .parameter_specs()
            .into_iter()
            .find(|s| s.name == name)
            .map(|s| &self.params[s.range()])
    }

    /// The same model in another number type (each parameter rounded once).
    #[must_use]
    pub fn cast<U: GptFloat>(&self) -> Gpt<U> {
        Gpt {
            config: self.config,
            offsets: self.offsets.clone(),
            params: self
                .params
                .iter()
                .map(|p| U::round_from_f64(p.as_f64()))
                .collect(),
        }
    }

    fn layer(&self, l: usize) -> LayerParams<'_, T> {
        LayerParams::of(&self.params, &self.offsets.layers[l], self.config.n_embd)
    }

    /// Check the token ids `(B, T)` and size the workspace for them.
    fn prepare(&self, ws: &mut Workspace<T>, tokens: &[u32], b: usize, t: usize) -> Result<()> {
        let cfg = &self.config;
        if b == 0 || t == 0 {
            return Err(Error::Empty(
                "a batch needs B ≥ 1 sequences of T ≥ 1 tokens",
            ));
        }
        if t > cfg.block_size {
            return Err(Error::ShapeMismatch {
                what: "tokens",
                expected: format!(
                    "sequences of at most block_size = {} tokens",
                    cfg.block_size
                ),
                got: format!("T = {t}"),
            });
        }
        if tokens.len() as u128 != b as u128 * t as u128 {
            return Err(Error::ShapeMismatch {
                what: "tokens",
                expected: format!("B·T = {b}·{t} ids"),
                got: format!("{}", tokens.len()),
            });
        }
        if let Some(i) = tokens.iter().position(|&x| x as usize >= cfg.vocab_size) {
            return Err(Error::InvalidValue {
                what: "tokens",
                row: i / t,
                col: i % t,
                value: f64::from(tokens[i]),
                reason: "a token id must be below vocab_size",
            });
        }
        ws.resize(cfg, b, t)
    }

    /// The forward pass up to the final LayerNorm (`ws.lnf`).
    fn forward_hidden(&self, ws: &mut Workspace<T>, tokens: &[u32]) {
        let cfg = &self.config;
        let (b, t, c, nh) = (ws.b, ws.t, cfg.n_embd, cfg.n_head);
        let n = b * t;
        let o = &self.offsets;
        let wte = &self.params[o.wte..][..cfg.vocab_size * c];
        let wpe = &self.params[o.wpe..][..cfg.block_size * c];
        encoder_forward(&mut ws.encoded, tokens, wte, wpe, b, t, c);
        for l in 0..cfg.n_layer {
            let p = self.layer(l);
            let (before, rest) = ws.layers.split_at_mut(l);
            let a = &mut rest[0];
            let residual: &[T] = if l == 0 {
                &ws.encoded
            } else {
                &before[l - 1].residual3
            };
            layernorm_forward(
                &mut a.ln1,
                &mut a.ln1_mean,
                &mut a.ln1_rstd,
                residual,
                p.ln_1,
                n,
                c,
            );
            matmul_forward(&mut a.qkv, &a.ln1, p.c_attn, n, c, 3 * c);
            attention_forward(&mut a.atty, &mut a.att, &a.qkv, b, t, c, nh);
            matmul_forward(&mut ws.proj, &a.atty, p.attn_proj, n, c, c);
            residual_forward(&mut a.residual2, residual, &ws.proj);
            layernorm_forward(
                &mut a.ln2,
                &mut a.ln2_mean,
                &mut a.ln2_rstd,
                &a.residual2,
                p.ln_2,
                n,
                c,
            );
            matmul_forward(&mut a.fch, &a.ln2, p.c_fc, n, c, 4 * c);
            gelu_forward(&mut a.fch_gelu, &a.fch);
            matmul_forward(&mut ws.proj, &a.fch_gelu, p.mlp_proj, n, 4 * c, c);
            residual_forward(&mut a.residual3, &a.residual2, &ws.proj);
        }
        let last: &[T] = match ws.layers.last() {
            Some(a) => &a.residual3,
            None => &ws.encoded,
        };
        let ln_f = &self.params[o.ln_f..][..c];
        layernorm_forward(
            &mut ws.lnf,
            &mut ws.lnf_mean,
            &mut ws.lnf_rstd,
            last,
            ln_f,
            n,
            c,
        );
    }

    /// Logits `(B·T, V)`, row-major (one row per position), for token ids `(B, T)`
    /// (row-major, `T ≤ block_size`). The slice lives in the workspace.
    ///
    /// # Errors
    /// [`Error::Empty`] for `B = 0` or `T = 0`; [`Error::ShapeMismatch`] for `T > block_size`
    /// or `tokens.len() ≠ B·T`; [`Error::InvalidValue`] for a token id ≥ `vocab_size`;
    /// [`Error::TooLarge`] if the activations would not fit.
    pub fn logits<'w>(
        &self,
        ws: &'w mut Workspace<T>,
        tokens: &[u32],
        b: usize,
        t: usize,
    ) -> Result<&'w [T]> {
        self.prepare(ws, tokens, b, t)?;
        self.forward_hidden(ws, tokens);
        let (n, c, v) = (b * t, self.config.n_embd, self.config.vocab_size);
        let wte = &self.params[self.offsets.wte..][..v * c];
        // Only here: training and evaluation never hold the (B·T, V) logits.
        ws.logits.resize(n * v, T::default());
        matmul_forward(&mut ws.logits, &ws.lnf, wte, n, c, v);
        Ok(&ws.logits)
    }

    /// The cross-entropy of the next-token predictions: `targets (B, T)` holds the token
    /// that follows each position (or [`IGNORE_INDEX`] for padding). `Reduction::Mean` gives
    /// the mean over the kept targets (nats per token), `Sum` the negative log-likelihood
    /// `−Σ ln p(target | context)`.
    ///
    /// # Errors
    /// As [`Gpt::logits`]; [`Error::ShapeMismatch`] if `targets.len() ≠ B·T`; the errors of
    /// [`crate::loss::cross_entropy`] for a target outside `0..V` other than `-1`, or a mean
    /// over no kept target ([`Error::UndefinedMean`]).
    pub fn loss(
        &self,
        ws: &mut Workspace<T>,
        tokens: &[u32],
        targets: &[i64],
        b: usize,
        t: usize,
        reduction: Reduction,
    ) -> Result<f64> {
        self.prepare(ws, tokens, b, t)?;
        check_targets(targets, b, t)?;
        self.forward_hidden(ws, tokens);
        let (c, v) = (self.config.n_embd, self.config.vocab_size);
        let wte = &self.params[self.offsets.wte..][..v * c];
        lm_head_cross_entropy(&ws.lnf, wte, targets, reduction, None, &mut ws.head_scratch)
    }

    /// The loss (as [`Gpt::loss`] with `Reduction::Mean`, nanoGPT's) and its gradient with
    /// respect to every parameter, **added** into `grads` (same layout as the parameters;
    /// zero it first for the gradient alone).
    ///
    /// # Errors
    /// As [`Gpt::loss`]; [`Error::ShapeMismatch`] if `grads` has another length than the
    /// parameters.
    pub fn loss_and_grad(
        &self,
        ws: &mut Workspace<T>,
        tokens: &[u32],
        targets: &[i64],
        b: usize,
        t: usize,
        grads: &mut [T],
    ) -> Result<f64> {
        if grads.len() != self.params.len() {
            return Err(Error::ShapeMismatch {
                what: "grads",
                expected: format!("{} numbers", self.params.len()),
                got: format!("{}", grads.len()),
            });
        }
        self.prepare(ws, tokens, b, t)?;
        check_targets(targets, b, t)?;
        self.forward_hidden(ws, tokens);
        let cfg = &self.config;
        let (c, v, nh, nl) = (cfg.n_embd, cfg.vocab_size, cfg.n_head, cfg.n_layer);
        let n = b * t;
        let o = &self.offsets;
        // The head: logits, cross-entropy and their backward into (d lnf, d wte).
        let wte = &self.params[o.wte..][..v * c];
        ws.d_lnf.fill(T::default());
        let loss = {
            let dwte = &mut grads[o.wte..][..v * c];
            lm_head_cross_entropy(
                &ws.lnf,
                wte,
                targets,
                Reduction::Mean,
                Some((&mut ws.d_lnf, dwte)),
                &mut ws.head_scratch,
            )?
        };
        // Final LayerNorm.
        let last: &[T] = match ws.layers.last() {
            Some(a) => &a.residual3,
            None => &ws.encoded,
        };
        ws.d_res.fill(T::default());
        layernorm_backward(
            &mut ws.d_res,
            &mut grads[o.ln_f..][..c],
            &ws.d_lnf,
            last,
            &self.params[o.ln_f..][..c],
            &ws.lnf_mean,
            &ws.lnf_rstd,
            n,
            c,
        );
        // The blocks, last to first; `d_res` is the gradient of the block's output.
        for l in (0..nl).rev() {
            let p = self.layer(l);
            let g = LayerGrads::of(grads, &o.layers[l], c);
            let a = &ws.layers[l];
            let residual: &[T] = if l == 0 {
                &ws.encoded
            } else {
                &ws.layers[l - 1].residual3
            };
            // residual3 = residual2 + mlp_proj(gelu(c_fc(ln_2(residual2))))
            ws.d_res2.fill(T::default());
            ws.d_proj.fill(T::default());
            residual_backward(&mut ws.d_res2, &mut ws.d_proj, &ws.d_res);
            ws.d_fch_gelu.fill(T::default());
            matmul_backward(
                &mut ws.d_fch_gelu,
                g.mlp_proj,
                &ws.d_proj,
                &a.fch_gelu,
                p.mlp_proj,
                n,
                4 * c,
                c,
            );
            ws.d_fch.fill(T::default());
            gelu_backward(&mut ws.d_fch, &a.fch, &ws.d_fch_gelu);
            ws.d_ln.fill(T::default());
            matmul_backward(&mut ws.d_ln, g.c_fc, &ws.d_fch, &a.ln2, p.c_fc, n, c, 4 * c);
            layernorm_backward(
                &mut ws.d_res2,
                g.ln_2,
                &ws.d_ln,
                &a.residual2,
                p.ln_2,
                &a.ln2_mean,
                &a.ln2_rstd,
                n,
                c,
            );
            // residual2 = residual + attn_proj(attention(c_attn(ln_1(residual))))
            ws.d_res.fill(T::default());
            ws.d_proj.fill(T::default());
            residual_backward(&mut ws.d_res, &mut ws.d_proj, &ws.d_res2);
            ws.d_atty.fill(T::default());
            matmul_backward(
                &mut ws.d_atty,
                g.attn_proj,
                &ws.d_proj,
                &a.atty,
                p.attn_proj,
                n,
                c,
                c,
            );
            ws.d_qkv.fill(T::default());
            attention_backward(
                &mut ws.d_qkv,
                &mut ws.d_att,
                &ws.d_atty,
                &a.qkv,
                &a.att,
                b,
                t,
                c,
                nh,
            );
            ws.d_ln.fill(T::default());
            matmul_backward(
                &mut ws.d_ln,
                g.c_attn,
                &ws.d_qkv,
                &a.ln1,
                p.c_attn,
                n,
                c,
                3 * c,
            );
            layernorm_backward(
                &mut ws.d_res,
                g.ln_1,
                &ws.d_ln,
                residual,
                p.ln_1,
                &a.ln1_mean,
                &a.ln1_rstd,
                n,
                c,
            );
        }
        // The embeddings (the token table also received the head's gradient).
        let (dwte, rest) = grads[o.wte..].split_at_mut(v * c);
        let dwpe = &mut rest[o.wpe - o.wte - v * c..][..cfg.block_size * c];
        encoder_backward(dwte, dwpe, &ws.d_res, tokens, b, t, c);
        Ok(loss)
    }
}

fn check_targets(targets: &[i64], b: usize, t: usize) -> Result<()> {
    if targets.len() as u128 != b as u128 * t as u128 {
        return Err(Error::ShapeMismatch {
            what: "targets",
            expected: format!("B·T = {b}·{t} ids"),
            got: format!("{}", targets.len()),
        });
    }
    Ok(())
}

/// The output head and its loss in one function, without the `(N, V)` logits: the crate's
/// fused [`linear_cross_entropy`] with the tied token embedding as the weight and no bias,
///
/// ```text
/// logits = hidden · Wᵀ        hidden (N, C), W = wte (V, C), logits (N, V), class axis 1
/// loss   = cross_entropy(logits, targets; ignore_index = −1, reduction)
/// ```
///
/// and — when `grads = Some((d_hidden, d_weight))` — its backward, **added** into the buffers
/// (as every backward of [`super::layers`]: the tied `wte` also receives the encoder's
/// gradient): `d_hidden += G · W`, `d_weight += Gᵀ · hidden`, `G = ∂loss/∂logits`. The logits
/// go through in chunks of tokens ([`LinearCrossEntropyOptions`]), so a training step never
/// holds the `(B·T, V)` matrix (Liger-Kernel's `FusedLinearCrossEntropy`, PyTorch's
/// `F.linear_cross_entropy`). `scratch` is reused for the gradients before they are added
/// (resized as needed).
///
/// Returns the loss in nats (mean per kept target, or the sum).
///
/// # Errors
/// The errors of [`linear_cross_entropy`]: buffers of inconsistent lengths, a non-finite
/// hidden state or weight, targets outside `0..V` other than `−1`, a mean over no kept
/// target ([`Error::UndefinedMean`]).
pub fn lm_head_cross_entropy<T: GptFloat>(
    hidden: &[T],
    weight: &[T],
    targets: &[i64],
    reduction: Reduction,
    grads: Option<(&mut [T], &mut [T])>,
    scratch: &mut Vec<T>,
) -> Result<f64> {
    let n = targets.len();
    if n == 0 || !hidden.len().is_multiple_of(n) {
        return Err(Error::ShapeMismatch {
            what: "hidden",
            expected: format!("(N, C) with N = {n} targets"),
            got: format!("{} numbers", hidden.len()),
        });
    }
    let c = hidden.len() / n;
    let linear = Linear {
        weight,
        bias: None,
        in_features: c,
    };
    let opts = CrossEntropyOptions::<T>::default()
        .ignore_index(IGNORE_INDEX)
        .reduction(reduction);
    let target = RowTarget::Indices(targets);
    let chunking = LinearCrossEntropyOptions::default();
    let loss = match grads {
        None => linear_cross_entropy(hidden, linear, target, &opts, chunking)?,
        Some((d_hidden, d_weight)) => {
            if d_hidden.len() != hidden.len() || d_weight.len() != weight.len() {
                return Err(Error::ShapeMismatch {
                    what: "head gradients",
                    expected: format!("{} and {} numbers", hidden.len(), weight.len()),
                    got: format!("{} and {}", d_hidden.len(), d_weight.len()),
                });
            }
            scratch.clear();
            scratch.resize(hidden.len() + weight.len(), T::default());
            let (sh, sw) = scratch.split_at_mut(hidden.len());
            let l = linear_cross_entropy_with_grad(
                hidden,
                linear,
                target,
                &opts,
                chunking,
                LinearGrads {
                    input: sh,
                    weight: sw,
                    bias: None,
                },
            )?;
            for (d, &g) in d_hidden.iter_mut().zip(sh.iter()) {
                *d += g;
            }
            for (d, &g) in d_weight.iter_mut().zip(sw.iter()) {
                *d += g;
            }
            l
        }
    };
    Ok(loss.scalar().map_or(f64::NAN, Real::as_f64))
}

/// One block's parameters.
struct LayerParams<'a, T> {
    ln_1: &'a [T],
    c_attn: &'a [T],
    attn_proj: &'a [T],
    ln_2: &'a [T],
    c_fc: &'a [T],
    mlp_proj: &'a [T],
}

impl<'a, T> LayerParams<'a, T> {
    fn of(p: &'a [T], o: &LayerOffsets, c: usize) -> Self {
        Self {
            ln_1: &p[o.ln_1..][..c],
            c_attn: &p[o.c_attn..][..3 * c * c],
            attn_proj: &p[o.attn_proj..][..c * c],
            ln_2: &p[o.ln_2..][..c],
            c_fc: &p[o.c_fc..][..4 * c * c],
            mlp_proj: &p[o.mlp_proj..][..4 * c * c],
        }
    }
}

/// One block's gradients (disjoint mutable views of the flat gradient buffer).
struct LayerGrads<'a, T> {
    ln_1: &'a mut [T],
    c_attn: &'a mut [T],
    attn_proj: &'a mut [T],
    ln_2: &'a mut [T],
    c_fc: &'a mut [T],
    mlp_proj: &'a mut [T],
}

impl<'a, T> LayerGrads<'a, T> {
    fn of(g: &'a mut [T], o: &LayerOffsets, c: usize) -> Self {
        // The block's tensors are consecutive, in this order.
        let (_, rest) = g.split_at_mut(o.ln_1);
        let (ln_1, rest) = rest.split_at_mut(c);
        let (c_attn, rest) = rest.split_at_mut(3 * c * c);
        let (attn_proj, rest) = rest.split_at_mut(c * c);
        let (ln_2, rest) = rest.split_at_mut(c);
        let (c_fc, rest) = rest.split_at_mut(4 * c * c);
        let (mlp_proj, _) = rest.split_at_mut(4 * c * c);
        Self {
            ln_1,
            c_attn,
            attn_proj,
            ln_2,
            c_fc,
            mlp_proj,
        }
    }
}

/// One block's activations, kept for the backward pass (llm.c's `ActivationTensors`).
#[derive(Clone, Debug, Default)]
struct LayerActs<T> {
    ln1: Vec<T>,
    ln1_mean: Vec<T>,
    ln1_rstd: Vec<T>,
    qkv: Vec<T>,
    att: Vec<T>,
    atty: Vec<T>,
    residual2: Vec<T>,
    ln2: Vec<T>,
    ln2_mean: Vec<T>,
    ln2_rstd: Vec<T>,
    fch: Vec<T>,
    fch_gelu: Vec<T>,
    residual3: Vec<T>,
}

/// The buffers of a forward and backward pass for one batch shape `(B, T)`: activations
/// kept for the backward pass and the gradients of activations. Reused from call to call;
/// resized (allocated) only when the shape changes.
#[derive(Clone, Debug, Default)]
pub struct Workspace<T> {
    b: usize,
    t: usize,
    config: Option<GptConfig>,
    encoded: Vec<T>,
    layers: Vec<LayerActs<T>>,
    proj: Vec<T>,
    lnf: Vec<T>,
    lnf_mean: Vec<T>,
    lnf_rstd: Vec<T>,
    /// The logits of [`Gpt::logits`] only (allocated there).
    logits: Vec<T>,
    /// The head's gradients before they are added (see [`lm_head_cross_entropy`]).
    head_scratch: Vec<T>,
    d_lnf: Vec<T>,
    d_res: Vec<T>,
    d_res2: Vec<T>,
    d_proj: Vec<T>,
    d_ln: Vec<T>,
    d_qkv: Vec<T>,
    d_atty: Vec<T>,
    d_att: Vec<T>,
    d_fch: Vec<T>,
    d_fch_gelu: Vec<T>,
}

impl<T: GptFloat> Workspace<T> {
    /// An empty workspace (buffers are allocated at the first call).
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Numbers held for a batch `(B, T)` of a model `cfg`, or `None` on overflow.
    #[must_use]
    pub fn elements(cfg: &GptConfig, b: usize, t: usize) -> Option<u128> {
        let (b, t) = (b as u128, t as u128);
        let (c, v, nh, nl) = (
            cfg.n_embd as u128,
            cfg.vocab_size as u128,
            cfg.n_head as u128,
            cfg.n_layer as u128,
        );
        let n = b * t;
        let per_layer = n * (16 * c + 6) + b * nh * t * t;
        Some(nl * per_layer + n * (2 * c + 3 + v) + v * c + n * (12 * c) + b * nh * t * t)
    }

    fn resize(&mut self, cfg: &GptConfig, b: usize, t: usize) -> Result<()> {
        if self.b == b && self.t == t && self.config.as_ref() == Some(cfg) {
            return Ok(());
        }
        let total = Self::elements(cfg, b, t).unwrap_or(u128::MAX);
        // At most 16 dense matrices' worth of activations (4 GiB of f32).
        let limit = 16 * MAX_ELEMENTS as u128;
        if total > limit {
            return Err(Error::TooLarge {
                what: "activations of a batch (numbers)",
                value: total,
                limit,
            });
        }
        let (c, nh) = (cfg.n_embd, cfg.n_head);
        let n = b * t;
        let z = |len: usize| vec![T::default(); len];
        self.encoded = z(n * c);
        self.layers = (0..cfg.n_layer)
            .map(|_| LayerActs {
                ln1: z(n * c),
                ln1_mean: z(n),
                ln1_rstd: z(n),
                qkv: z(n * 3 * c),
                att: z(b * nh * t * t),
                atty: z(n * c),
                residual2: z(n * c),
                ln2: z(n * c),
                ln2_mean: z(n),
                ln2_rstd: z(n),
                fch: z(n * 4 * c),
                fch_gelu: z(n * 4 * c),
                residual3: z(n * c),
            })
            .collect();
        self.proj = z(n * c);
        self.lnf = z(n * c);
        self.lnf_mean = z(n);
        self.lnf_rstd = z(n);
        self.logits = Vec::new();
        self.d_lnf = z(n * c);
        self.d_res = z(n * c);
        self.d_res2 = z(n * c);
        self.d_proj = z(n * c);
        self.d_ln = z(n * c);
        self.d_qkv = z(n * 3 * c);
        self.d_atty = z(n * c);
        self.d_att = z(b * nh * t * t);
        self.d_fch = z(n * 4 * c);
        self.d_fch_gelu = z(n * 4 * c);
        self.b = b;
        self.t = t;
        self.config = Some(*cfg);
        Ok(())
    }
}
