//! The model's configuration (nanoGPT's `GPTConfig` with `bias = False`, `dropout = 0`) and
//! the layout of its parameters under nanoGPT's names.

use crate::error::{Error, Result};

/// The size of a GPT (nanoGPT's `GPTConfig`; no biases, no dropout).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct GptConfig {
    /// Longest context: rows of the position table `wpe` (nanoGPT's `block_size`).
    pub block_size: usize,
    /// Number of tokens `V` (rows of `wte`, classes of the output).
    pub vocab_size: usize,
    /// Number of Transformer blocks.
    pub n_layer: usize,
    /// Attention heads per block (must divide `n_embd`).
    pub n_head: usize,
    /// Width `C` of the residual stream.
    pub n_embd: usize,
}

/// The largest number of parameters a model may have (2²⁸, 1 GiB of `f32`).
pub const MAX_PARAMETERS: usize = 1 << 28;

/// The largest of each size of a [`GptConfig`] (a bound that keeps every product of sizes
/// far from overflowing before [`MAX_PARAMETERS`] is checked).
pub const MAX_DIMENSION: usize = 1 << 20;

impl GptConfig {
    /// nanoGPT's CPU recipe for Tiny Shakespeare (its README): 4 layers, 4 heads, width 128,
    /// context 64, for a vocabulary of `vocab_size` characters.
    #[must_use]
    pub fn nanogpt_cpu(vocab_size: usize) -> Self {
        Self {
            block_size: 64,
            vocab_size,
            n_layer: 4,
            n_head: 4,
            n_embd: 128,
        }
    }

    /// Check every size: all ≥ 1 and ≤ [`MAX_DIMENSION`], `n_head` divides `n_embd`, the
    /// vocabulary fits `u32` token ids, and at most [`MAX_PARAMETERS`] parameters.
    ///
    /// # Errors
    /// [`Error::InvalidHyperParameter`] naming the size (`n_embd`, `n_head`, …);
    /// [`Error::TooLarge`] for too many parameters.
    pub fn validate(&self) -> Result<()> {
        for (name, v) in [
            ("block_size", self.block_size),
            ("vocab_size", self.vocab_size),
            ("n_layer", self.n_layer),
            ("n_head", self.n_head),
            ("n_embd", self.n_embd),
        ] {
            if v == 0 {
                return Err(Error::InvalidHyperParameter {
                    name,
                    value: 0.0,
                    reason: "must be at least 1",
                });
            }
            if v > MAX_DIMENSION {
                return Err(Error::TooLarge {
                    what: name,
                    value: v as u128,
                    limit: MAX_DIMENSION as u128,
                });
            }
        }
        if !self.n_embd.is_multiple_of(self.n_head) {
            return Err(Error::InvalidHyperParameter {
                name: "n_head",
                value: self.n_head as f64,
                reason: "must divide n_embd (each head gets n_embd / n_head channels)",
            });
        }
        let n = self.num_parameters_u128();
        if n > MAX_PARAMETERS as u128 {
            return Err(Error::TooLarge {
                what: "number of parameters",
                value: n,
                limit: MAX_PARAMETERS as u128,
            });
        }
        Ok(())
    }

    fn num_parameters_u128(&self) -> u128 {
        let c = self.n_embd as u128;
        let per_layer = 2 * c + 12 * c * c;
        (self.vocab_size as u128 + self.block_size as u128) * c
            + self.n_layer as u128 * per_layer
            + c
    }

    /// Number of parameters (the tied `wte` counted once, `wpe` included; nanoGPT's
    /// `get_num_params(non_embedding=False)`).
    #[must_use]
    pub fn num_parameters(&self) -> usize {
        usize::try_from(self.num_parameters_u128()).unwrap_or(usize::MAX)
    }

    /// Channels per head, `n_embd / n_head`.
    #[must_use]
    pub fn head_size(&self) -> usize {
        self.n_embd / self.n_head.max(1)
    }

    /// The parameter tensors in nanoGPT's `named_parameters()` order (the order of the flat
    /// buffer of [`super::Gpt`]).
    #[must_use]
    pub fn parameter_specs(&self) -> Vec<ParamSpec> {
        let (v, t, c) = (self.vocab_size, self.block_size, self.n_embd);
        let mut specs = Vec::with_capacity(3 + 6 * self.n_layer);
        let mut offset = 0;
        let mut push = |name: String, shape: Vec<usize>| {
            let len = shape.iter().product::<usize>();
            specs.push(ParamSpec {
                name,
                shape,
                offset,
            });
            offset += len;
        };
        push("transformer.wte.weight".into(), vec![v, c]);
        push("transformer.wpe.weight".into(), vec![t, c]);
        for l in 0..self.n_layer {
            let p = format!("transformer.h.{l}.");
            push(format!("{p}ln_1.weight"), vec![c]);
            push(format!("{p}attn.c_attn.weight"), vec![3 * c, c]);
            push(format!("{p}attn.c_proj.weight"), vec![c, c]);
            push(format!("{p}ln_2.weight"), vec![c]);
            push(format!("{p}mlp.c_fc.weight"), vec![4 * c, c]);
            push(format!("{p}mlp.c_proj.weight"), vec![c, 4 * c]);
        }
        push("transformer.ln_f.weight".into(), vec![c]);
        specs
    }
}

/// One parameter tensor: its nanoGPT name, its shape and where it starts in the flat buffer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParamSpec {
    /// nanoGPT's `state_dict` key, e.g. `transformer.h.0.attn.c_attn.weight`. The output
    /// head `lm_head.weight` is `transformer.wte.weight` (tied) and has no entry of its own.
    pub name: String,
    /// PyTorch shape, e.g. `[3·C, C]`.
    pub shape: Vec<usize>,
    /// Offset of its first element in the flat, row-major buffer.
    pub offset: usize,
}

impl ParamSpec {
    /// Number of elements.
    #[must_use]
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    /// `true` for a tensor of no elements (never, for a valid configuration).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The element range in the flat buffer.
    #[must_use]
    pub fn range(&self) -> std::ops::Range<usize> {
        self.offset..self.offset + self.len()
    }

    /// Weight-decayed by nanoGPT's `configure_optimizers`: tensors of 2 or more dimensions
    /// (embeddings and matrices), not the LayerNorm weights.
    #[must_use]
    pub fn decays(&self) -> bool {
        self.shape.len() >= 2
    }
}

/// Offsets of one block's tensors in the flat buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct LayerOffsets {
    pub ln_1: usize,
    pub c_attn: usize,
    pub attn_proj: usize,
    pub ln_2: usize,
    pub c_fc: usize,
    pub mlp_proj: usize,
}

/// Offsets of every tensor in the flat buffer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Offsets {
    pub wte: usize,
    pub wpe: usize,
    pub layers: Vec<LayerOffsets>,
    pub ln_f: usize,
    pub total: usize,
}

impl Offsets {
    pub fn of(cfg: &GptConfig) -> Self {
        let specs = cfg.parameter_specs();
        let at = |i: usize| specs[i].offset;
        let layers = (0..cfg.n_layer)
            .map(|l| {
                let b = 2 + 6 * l;
                LayerOffsets {
                    ln_1: at(b),
                    c_attn: at(b + 1),
                    attn_proj: at(b + 2),
                    ln_2: at(b + 3),
                    c_fc: at(b + 4),
                    mlp_proj: at(b + 5),
                }
            })
            .collect();
        let last = specs.last().map_or(0, |s| s.offset + s.len());
        Self {
            wte: at(0),
            wpe: at(1),
            layers,
            ln_f: at(2 + 6 * cfg.n_layer),
            total: last,
        }
    }
}
