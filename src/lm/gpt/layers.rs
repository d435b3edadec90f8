//! The GPT's layers, each a forward function and a hand-written backward function, in
//! llm.c's layout (`train_gpt2.c`: `encoder_forward`, `layernorm_forward`, `matmul_forward`,
//! `attention_forward`, `gelu_forward`, `residual_forward`, and their `_backward`s).
//!
//! # Conventions
//! * Activations are row-major buffers with one row per position: `(N, C)` with `N = B·T`
//!   (position `t` of sequence `b` is row `b·T + t`), channels contiguous.
//! * Weights have PyTorch's `nn.Linear` shape `(out, in)`, row-major: a `matmul` computes
//!   `out = inp · Wᵀ`.
//! * Every backward function **adds** into the gradients it is given (`+=`), as llm.c's do:
//!   the tied token embedding receives two contributions, the residual stream two per
//!   block. Callers zero the buffers first.
//! * Sizes are passed explicitly and every buffer length is checked against them (a wrong
//!   length is a bug of the caller: the functions panic with the name of the buffer).
//!
//! # Parallelism
//! With the `rayon` feature the matrix products, the attention and the element-wise layers
//! are split into blocks of a **fixed** size (rows, output channels or sequences), each
//! computed by the same code whatever thread runs it, and reductions across blocks are summed
//! in block order: the results are bit-identical for any number of threads.

use super::float::GptFloat;

/// Rows (positions) per block of the parallel matrix products and element-wise layers.
const ROW_BLOCK: usize = 64;
/// Rows per block of the parallel matrix products: each block packs the whole weight again,
/// so fewer, larger blocks than [`ROW_BLOCK`]. A product's rows and a weight gradient's
/// channels are independent (each element is the same sum over the same `k` whatever the
/// block), so these sizes change the speed, not the results.
const MATMUL_ROW_BLOCK: usize = 128;
/// Output channels per block of a weight gradient.
const CHANNEL_BLOCK: usize = 64;
/// Elements per block of the element-wise layers.
const ELEMENT_BLOCK: usize = 16 * 1024;

#[track_caller]
fn check_len(what: &str, len: usize, expected: usize) {
    assert!(
        len == expected,
        "{what}: buffer of {len} elements, expected {expected}"
    );
}

/// Call `f(block_index, block)` on consecutive blocks of `block_len` elements of `buf`, on
/// all cores with the `rayon` feature.
fn for_each_block<T: Send>(buf: &mut [T], block_len: usize, f: impl Fn(usize, &mut [T]) + Sync) {
    let block_len = block_len.max(1);
    #[cfg(feature = "rayon")]
    {
        use rayon::prelude::*;
        buf.par_chunks_mut(block_len)
            .enumerate()
            .for_each(|(i, b)| f(i, b));
    }
    #[cfg(not(feature = "rayon"))]
    buf.chunks_mut(block_len)
        .enumerate()
        .for_each(|(i, b)| f(i, b));
}

/// As [`for_each_block`] over two buffers split into the same number of blocks.
fn for_each_block2<T: Send, U: Send>(
    a: &mut [T],
    a_len: usize,
    b: &mut [U],
    b_len: usize,
    f: impl Fn(usize, &mut [T], &mut [U]) + Sync,
) {
    let (a_len, b_len) = (a_len.max(1), b_len.max(1));
    #[cfg(feature = "rayon")]
    {
        use rayon::prelude::*;
        a.par_chunks_mut(a_len)
            .zip(b.par_chunks_mut(b_len))
            .enumerate()
            .for_each(|(i, (x, y))| f(i, x, y));
    }
    #[cfg(not(feature = "rayon"))]
    a.chunks_mut(a_len)
        .zip(b.chunks_mut(b_len))
        .enumerate()
        .for_each(|(i, (x, y))| f(i, x, y));
}

/// The partial results of `blocks` blocks (each `len` numbers, computed by `f(block, out)`),
/// then their sum in block order into `acc`: a reduction whose result does not depend on the
/// number of threads.
fn reduce_blocks<T: GptFloat>(acc: &mut [T], blocks: usize, f: impl Fn(usize, &mut [T]) + Sync) {
    let len = acc.len();
    let mut partial = vec![T::default(); blocks * len];
    for_each_block(&mut partial, len, f);
    for block in partial.chunks_exact(len.max(1)) {
        for (a, p) in acc.iter_mut().zip(block) {
            *a += *p;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Encoder: token and position embeddings.

/// `out[b,t,:] = wte[inp[b,t],:] + wpe[t,:]`: token embedding plus learned position embedding.
///
/// Shapes: `out (B·T, C)`, `inp (B·T)` token ids `< V`, `wte (V, C)`, `wpe (block_size, C)`
/// with `T ≤ block_size`. Token ids are checked by the model before this is called.
pub fn encoder_forward<T: GptFloat>(
    out: &mut [T],
    inp: &[u32],
    wte: &[T],
    wpe: &[T],
    b: usize,
    t: usize,
    c: usize,
) {
    check_len("encoder out", out.len(), b * t * c);
    check_len("encoder inp", inp.len(), b * t);
    for (bt, (o, &tok)) in out.chunks_exact_mut(c).zip(inp).enumerate() {
        let e = &wte[tok as usize * c..][..c];
        let p = &wpe[(bt % t) * c..][..c];
        for ((o, &e), &p) in o.iter_mut().zip(e).zip(p) {
            *o = e + p;
        }
    }
}

/// Backward of [`encoder_forward`]: `dwte[inp[b,t],:] += dout[b,t,:]`, `dwpe[t,:] += dout[b,t,:]`
/// (in order of positions: a token seen twice gets its contributions in a fixed order).
pub fn encoder_backward<T: GptFloat>(
    dwte: &mut [T],
    dwpe: &mut [T],
    dout: &[T],
    inp: &[u32],
    b: usize,
    t: usize,
    c: usize,
) {
    check_len("encoder dout", dout.len(), b * t * c);
    check_len("encoder inp", inp.len(), b * t);
    for (bt, (d, &tok)) in dout.chunks_exact(c).zip(inp).enumerate() {
        for (w, &g) in dwte[tok as usize * c..][..c].iter_mut().zip(d) {
            *w += g;
        }
        for (w, &g) in dwpe[(bt % t) * c..][..c].iter_mut().zip(d) {
            *w += g;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// LayerNorm without bias.

/// Layer normalisation of each row (nanoGPT's `LayerNorm(bias=False)`, PyTorch's
/// `F.layer_norm(x, (C,), weight, None, 1e-5)`):
///
/// ```text
/// μ = (1/C) Σ_i x_i,   σ² = (1/C) Σ_i (x_i − μ)²,   rstd = 1/√(σ² + 1e-5),
/// out_i = (x_i − μ)·rstd·w_i
/// ```
///
/// Shapes: `out, inp (N, C)`, `weight (C)`; `mean`, `rstd (N)` are kept for the backward
/// pass.
pub fn layernorm_forward<T: GptFloat>(
    out: &mut [T],
    mean: &mut [T],
    rstd: &mut [T],
    inp: &[T],
    weight: &[T],
    n: usize,
    c: usize,
) {
    check_len("layernorm out", out.len(), n * c);
    check_len("layernorm inp", inp.len(), n * c);
    check_len("layernorm mean", mean.len(), n);
    check_len("layernorm rstd", rstd.len(), n);
    check_len("layernorm weight", weight.len(), c);
    let eps = T::round_from_f64(LAYERNORM_EPS);
    let inv_c = T::round_from_f64(1.0 / c as f64);
    let one = T::round_from_f64(1.0);
    for (r, o) in out.chunks_exact_mut(c).enumerate() {
        let x = &inp[r * c..][..c];
        let m = x.iter().fold(T::default(), |s, &v| s + v) * inv_c;
        let v = x.iter().fold(T::default(), |s, &v| s + (v - m) * (v - m)) * inv_c;
        let s = one / (v + eps).sqrt();
        for ((o, &xi), &w) in o.iter_mut().zip(x).zip(weight) {
            *o = (xi - m) * s * w;
        }
        mean[r] = m;
        rstd[r] = s;
    }
}

/// The ε of nanoGPT's LayerNorm.
pub const LAYERNORM_EPS: f64 = 1e-5;

/// Backward of [`layernorm_forward`]. With `x̂ = (x − μ)·rstd` and `g_i = w_i·dout_i`:
///
/// ```text
/// dinp_i += rstd·(g_i − mean(g) − x̂_i·mean(g ⊙ x̂)),   dweight_i += Σ_rows x̂_i·dout_i
/// ```
#[allow(clippy::too_many_arguments)]
pub fn layernorm_backward<T: GptFloat>(
    dinp: &mut [T],
    dweight: &mut [T],
    dout: &[T],
    inp: &[T],
    weight: &[T],
    mean: &[T],
    rstd: &[T],
    n: usize,
    c: usize,
) {
    check_len("layernorm dinp", dinp.len(), n * c);
    check_len("layernorm dout", dout.len(), n * c);
    check_len("layernorm inp", inp.len(), n * c);
    check_len("layernorm dweight", dweight.len(), c);
    let inv_c = T::round_from_f64(1.0 / c as f64);
    // Input gradients: independent rows.
    for_each_block(dinp, ROW_BLOCK * c, |blk, dx| {
        for (i, dx) in dx.chunks_exact_mut(c).enumerate() {
            let r = blk * ROW_BLOCK + i;
            let (x, d) = (&inp[r * c..][..c], &dout[r * c..][..c]);
            let (m, s) = (mean[r], rstd[r]);
            let (mut g_mean, mut gx_mean) = (T::default(), T::default());
            for ((&xi, &di), &w) in x.iter().zip(d).zip(weight) {
                let g = w * di;
                g_mean += g;
                gx_mean += g * (xi - m) * s;
            }
            g_mean *= inv_c;
            gx_mean *= inv_c;
            for (((dxi, &xi), &di), &w) in dx.iter_mut().zip(x).zip(d).zip(weight) {
                let xhat = (xi - m) * s;
                *dxi += (w * di - g_mean - xhat * gx_mean) * s;
            }
        }
    });
    // Weight gradient: a sum over rows, by blocks of rows in a fixed order.
    let blocks = n.div_ceil(ROW_BLOCK);
    reduce_blocks(dweight, blocks, |blk, dw| {
        for r in blk * ROW_BLOCK..((blk + 1) * ROW_BLOCK).min(n) {
            let (x, d) = (&inp[r * c..][..c], &dout[r * c..][..c]);
            let (m, s) = (mean[r], rstd[r]);
            for ((dwi, &xi), &di) in dw.iter_mut().zip(x).zip(d) {
                *dwi += (xi - m) * s * di;
            }
        }
    });
}

// ---------------------------------------------------------------------------------------------
// Matrix product (nn.Linear without bias).

/// `out = inp · Wᵀ` (`nn.Linear(C, OC, bias=False)`): `out (N, OC)`, `inp (N, C)`,
/// `weight (OC, C)`.
pub fn matmul_forward<T: GptFloat>(
    out: &mut [T],
    inp: &[T],
    weight: &[T],
    n: usize,
    c: usize,
    oc: usize,
) {
    check_len("matmul out", out.len(), n * oc);
    check_len("matmul inp", inp.len(), n * c);
    check_len("matmul weight", weight.len(), oc * c);
    let one = T::round_from_f64(1.0);
    for_each_block(out, MATMUL_ROW_BLOCK * oc, |blk, o| {
        let rows = o.len() / oc.max(1);
        T::gemm(
            rows,
            c,
            oc,
            one,
            &inp[blk * MATMUL_ROW_BLOCK * c..],
            (c, 1),
            weight,
            (1, c),
            T::default(),
            o,
            (oc, 1),
        );
    });
}

/// Backward of [`matmul_forward`]: `dinp += dout · W` and `dweight += doutᵀ · inp`.
#[allow(clippy::too_many_arguments)]
pub fn matmul_backward<T: GptFloat>(
    dinp: &mut [T],
    dweight: &mut [T],
    dout: &[T],
    inp: &[T],
    weight: &[T],
    n: usize,
    c: usize,
    oc: usize,
) {
    check_len("matmul dinp", dinp.len(), n * c);
    check_len("matmul dweight", dweight.len(), oc * c);
    check_len("matmul dout", dout.len(), n * oc);
    check_len("matmul inp", inp.len(), n * c);
    check_len("matmul weight", weight.len(), oc * c);
    let one = T::round_from_f64(1.0);
    for_each_block(dinp, MATMUL_ROW_BLOCK * c, |blk, d| {
        let rows = d.len() / c.max(1);
        T::gemm(
            rows,
            oc,
            c,
            one,
            &dout[blk * MATMUL_ROW_BLOCK * oc..],
            (oc, 1),
            weight,
            (c, 1),
            one,
            d,
            (c, 1),
        );
    });
    for_each_block(dweight, CHANNEL_BLOCK * c, |blk, dw| {
        let rows = dw.len() / c.max(1);
        T::gemm(
            rows,
            n,
            c,
            one,
            &dout[blk * CHANNEL_BLOCK..],
            (1, oc),
            inp,
            (c, 1),
            one,
            dw,
            (c, 1),
        );
    });
}

// ---------------------------------------------------------------------------------------------
// Causal multi-head self-attention.

/// Causal multi-head self-attention on the packed projections `qkv (B·T, 3C)` (per row: the
/// `C` query, `C` key and `C` value channels; head `h` owns channels `h·hs..(h+1)·hs` of each,
/// `hs = C / NH`):
///
/// ```text
/// S = q·kᵀ / √hs,   P_{t,s} = softmax_{s ≤ t}(S_{t,·})  (0 for s > t),   y = P·v
/// ```
///
/// per sequence and head. `out (B·T, C)` holds the heads side by side (PyTorch's
/// `y.transpose(1, 2).view(B, T, C)`); `att (B, NH, T, T)` keeps `P` for the backward pass.
#[allow(clippy::too_many_arguments)]
pub fn attention_forward<T: GptFloat>(
    out: &mut [T],
    att: &mut [T],
    qkv: &[T],
    b: usize,
    t: usize,
    c: usize,
    nh: usize,
) {
    check_len("attention out", out.len(), b * t * c);
    check_len("attention att", att.len(), b * nh * t * t);
    check_len("attention qkv", qkv.len(), b * t * 3 * c);
    let hs = c / nh;
    let scale = T::round_from_f64(1.0 / (hs as f64).sqrt());
    let one = T::round_from_f64(1.0);
    for_each_block2(out, t * c, att, nh * t * t, |bi, out_b, att_b| {
        let qkv_b = &qkv[bi * t * 3 * c..][..t * 3 * c];
        for h in 0..nh {
            let p = &mut att_b[h * t * t..][..t * t];
            // S = scale · q kᵀ (T × T); only s ≤ t is used.
            T::gemm(
                t,
                hs,
                t,
                scale,
                &qkv_b[h * hs..],
                (3 * c, 1),
                &qkv_b[c + h * hs..],
                (1, 3 * c),
                T::default(),
                p,
                (t, 1),
            );
            for (ti, row) in p.chunks_exact_mut(t).enumerate() {
                let (seen, future) = row.split_at_mut(ti + 1);
                let mx = seen.iter().fold(seen[0], |m, &v| if v > m { v } else { m });
                let mut sum = T::default();
                for v in seen.iter_mut() {
                    *v = (*v - mx).exp_nonpositive();
                    sum += *v;
                }
                let inv = one / sum;
                for v in seen.iter_mut() {
                    *v *= inv;
                }
                future.fill(T::default());
            }
            // y = P · v (T × hs), written into the head's columns of out.
            T::gemm(
                t,
                t,
                hs,
                one,
                p,
                (t, 1),
                &qkv_b[2 * c + h * hs..],
                (3 * c, 1),
                T::default(),
                &mut out_b[h * hs..],
                (c, 1),
            );
        }
    });
}

/// Backward of [`attention_forward`]. With `dP = dy·vᵀ` and the softmax's Jacobian,
/// `dS_{t,s} = P_{t,s}·(dP_{t,s} − Σ_{s'} P_{t,s'}·dP_{t,s'})`:
///
/// ```text
/// dq += dS·k / √hs,   dk += dSᵀ·q / √hs,   dv += Pᵀ·dy
/// ```
///
/// `datt (B, NH, T, T)` is scratch space (overwritten).
#[allow(clippy::too_many_arguments)]
pub fn attention_backward<T: GptFloat>(
    dqkv: &mut [T],
    datt: &mut [T],
    dout: &[T],
    qkv: &[T],
    att: &[T],
    b: usize,
    t: usize,
    c: usize,
    nh: usize,
) {
    check_len("attention dqkv", dqkv.len(), b * t * 3 * c);
    check_len("attention datt", datt.len(), b * nh * t * t);
    check_len("attention dout", dout.len(), b * t * c);
    check_len("attention qkv", qkv.len(), b * t * 3 * c);
    check_len("attention att", att.len(), b * nh * t * t);
    let hs = c / nh;
    let scale = T::round_from_f64(1.0 / (hs as f64).sqrt());
    let one = T::round_from_f64(1.0);
    for_each_block2(dqkv, t * 3 * c, datt, nh * t * t, |bi, dqkv_b, datt_b| {
        let qkv_b = &qkv[bi * t * 3 * c..][..t * 3 * c];
        let dout_b = &dout[bi * t * c..][..t * c];
        for h in 0..nh {
            let p = &att[(bi * nh + h) * t * t..][..t * t];
            let ds = &mut datt_b[h * t * t..][..t * t];
            // dP = dy · vᵀ
            T::gemm(
                t,
                hs,
                t,
                one,
                &dout_b[h * hs..],
                (c, 1),
                &qkv_b[2 * c + h * hs..],
                (1, 3 * c),
                T::default(),
                ds,
                (t, 1),
            );
            // dS = P ⊙ (dP − rowsum(P ⊙ dP)) on s ≤ t, 0 above the diagonal.
            for (ti, (row, prow)) in ds.chunks_exact_mut(t).zip(p.chunks_exact(t)).enumerate() {
                let dot = row[..=ti]
                    .iter()
                    .zip(&prow[..=ti])
                    .fold(T::default(), |s, (&d, &q)| s + d * q);
                for (d, &q) in row[..=ti].iter_mut().zip(&prow[..=ti]) {
                    *d = q * (*d - dot);
                }
                row[ti + 1..].fill(T::default());
            }
            // dq += scale · dS · k
            T::gemm(
                t,
                t,
                hs,
                scale,
                ds,
                (t, 1),
                &qkv_b[c + h * hs..],
                (3 * c, 1),
                one,
                &mut dqkv_b[h * hs..],
                (3 * c, 1),
            );
            // dk += scale · dSᵀ · q
            T::gemm(
                t,
                t,
                hs,
                scale,
                ds,
                (1, t),
                &qkv_b[h * hs..],
                (3 * c, 1),
                one,
                &mut dqkv_b[c + h * hs..],
                (3 * c, 1),
            );
            // dv += Pᵀ · dy
            T::gemm(
                t,
                t,
                hs,
                one,
                p,
                (1, t),
                &dout_b[h * hs..],
                (c, 1),
                one,
                &mut dqkv_b[2 * c + h * hs..],
                (3 * c, 1),
            );
        }
    });
}

// ---------------------------------------------------------------------------------------------
// GELU (exact, erf form).

/// `GELU(x) = x·Φ(x) = ½·x·(1 + erf(x/√2))`, PyTorch's `nn.GELU()` (approximate = 'none'),
/// element-wise.
pub fn gelu_forward<T: GptFloat>(out: &mut [T], inp: &[T]) {
    check_len("gelu out", out.len(), inp.len());
    for_each_block(out, ELEMENT_BLOCK, |blk, o| {
        let x = &inp[blk * ELEMENT_BLOCK..][..o.len()];
        gelu_block(o, x);
    });
}

/// Backward of [`gelu_forward`]: `dinp += dout·(Φ(x) + x·φ(x))`, with
/// `φ(x) = exp(−x²/2)/√(2π)`.
pub fn gelu_backward<T: GptFloat>(dinp: &mut [T], inp: &[T], dout: &[T]) {
    check_len("gelu dinp", dinp.len(), inp.len());
    check_len("gelu dout", dout.len(), inp.len());
    for_each_block(dinp, ELEMENT_BLOCK, |blk, d| {
        let start = blk * ELEMENT_BLOCK;
        let x = &inp[start..][..d.len()];
        let g = &dout[start..][..d.len()];
        gelu_backward_block(d, x, g);
    });
}

#[inline(always)]
fn gelu_block_impl<T: GptFloat>(out: &mut [T], inp: &[T]) {
    for (o, &x) in out.iter_mut().zip(inp) {
        *o = x.gelu();
    }
}

#[inline(always)]
fn gelu_backward_block_impl<T: GptFloat>(dinp: &mut [T], inp: &[T], dout: &[T]) {
    for ((d, &x), &g) in dinp.iter_mut().zip(inp).zip(dout) {
        *d += g * x.gelu_grad();
    }
}

/// A loop compiled for AVX-512, for AVX2 and for the baseline from the same source, called in
/// the widest form the CPU runs (the crate's kernels do the same, `loss::kernel`). The same
/// IEEE operations in the same order in each (no FMA is enabled): only the vector width
/// differs, so the results are bit-identical whatever the CPU.
macro_rules! dispatch_elementwise {
    ($name:ident($($arg:ident: $ty:ty),*) = $imp:ident) => {
        fn $name<T: GptFloat>($($arg: $ty),*) {
            #[cfg(target_arch = "x86_64")]
            {
                use crate::loss::kernel::{Simd, simd};
                #[target_feature(enable = "avx512f,avx512dq,avx512vl,avx2,avx")]
                fn wide512<T: GptFloat>($($arg: $ty),*) {
                    $imp($($arg),*);
                }
                #[target_feature(enable = "avx2,avx")]
                fn wide256<T: GptFloat>($($arg: $ty),*) {
                    $imp($($arg),*);
                }
                match simd() {
                    // SAFETY: `simd()` found these instructions on this CPU at run time.
                    Simd::Avx512 => return unsafe { wide512($($arg),*) },
                    // SAFETY: as above.
                    Simd::Avx2 => return unsafe { wide256($($arg),*) },
                    Simd::Baseline => {}
                }
            }
            $imp($($arg),*);
        }
    };
}

dispatch_elementwise!(gelu_block(out: &mut [T], inp: &[T]) = gelu_block_impl);
dispatch_elementwise!(gelu_backward_block(dinp: &mut [T], inp: &[T], dout: &[T]) = gelu_backward_block_impl);

// ---------------------------------------------------------------------------------------------
// Residual connection.

/// `out = inp1 + inp2`, element-wise (a residual connection).
pub fn residual_forward<T: GptFloat>(out: &mut [T], inp1: &[T], inp2: &[T]) {
    check_len("residual inp1", inp1.len(), out.len());
    check_len("residual inp2", inp2.len(), out.len());
    for ((o, &a), &b) in out.iter_mut().zip(inp1).zip(inp2) {
        *o = a + b;
    }
}

/// Backward of [`residual_forward`]: `dinp1 += dout`, `dinp2 += dout`.
pub fn residual_backward<T: GptFloat>(dinp1: &mut [T], dinp2: &mut [T], dout: &[T]) {
    check_len("residual dinp1", dinp1.len(), dout.len());
    check_len("residual dinp2", dinp2.len(), dout.len());
    for ((a, b), &d) in dinp1.iter_mut().zip(dinp2.iter_mut()).zip(dout) {
        *a += d;
        *b += d;
    }
}
