//! `ce_mle::loss::nd` called directly with arbitrary `f64` bit patterns: shapes up to 4
//! dimensions (0-size axes included), every operation, every option.
//!
//! Invariants: no panic; an `Ok` output has the documented shape; a gradient has the input's
//! shape; with every value finite and at most 700 in magnitude, no output is NaN.
#![no_main]

use libfuzzer_sys::arbitrary::{Result as AResult, Unstructured};
use libfuzzer_sys::fuzz_target;
use nalgebra::DVector;
use ndarray::{ArrayD, IxDyn};

use ce_mle::loss::nd::{self, NdTarget, SoftmaxOp};
use ce_mle::loss::{CrossEntropyOptions, KlDivReduction, NllLossOptions, Reduction};

fn shape(u: &mut Unstructured<'_>) -> AResult<Vec<usize>> {
    let ndim = u.int_in_range(0usize..=4)?;
    (0..ndim).map(|_| u.int_in_range(0usize..=4)).collect()
}

fn floats(u: &mut Unstructured<'_>, shape: &[usize], finite: &mut bool) -> AResult<ArrayD<f64>> {
    let n: usize = shape.iter().product();
    let mut v = Vec::with_capacity(n);
    for _ in 0..n {
        let x = if u.arbitrary::<bool>()? {
            f64::from_bits(u.arbitrary::<u64>()?)
        } else {
            f64::from(u.int_in_range(-16i8..=16)?) / 4.0
        };
        // Well-scaled only: beyond 700, exp() and products can overflow (inf − inf, inf·0 = NaN).
        *finite &= x.is_finite() && x.abs() <= 700.0;
        v.push(x);
    }
    Ok(ArrayD::from_shape_vec(IxDyn(shape), v).expect("shape and length agree"))
}

fn maybe_other(u: &mut Unstructured<'_>, s: &[usize]) -> AResult<Vec<usize>> {
    Ok(if u.int_in_range(0u8..=4)? == 0 {
        shape(u)?
    } else {
        s.to_vec()
    })
}

fn reduction(u: &mut Unstructured<'_>) -> AResult<Reduction> {
    Ok(*u.choose(&[Reduction::None, Reduction::Mean, Reduction::Sum])?)
}

fn run(u: &mut Unstructured<'_>) -> AResult<()> {
    let op = u.int_in_range(0u8..=7)?;
    let s = shape(u)?;
    let mut finite = true;
    let input = floats(u, &s, &mut finite)?;
    let want = u.arbitrary::<bool>()?;
    let classes = match s.len() {
        0 => 1,
        1 => s[0],
        _ => s[1],
    };
    let result = match op {
        0 | 1 => {
            let mut sample = s.clone();
            if sample.len() >= 2 {
                sample.remove(1);
            } else {
                sample.clear();
            }
            let t_shape = maybe_other(u, &sample)?;
            let n: usize = t_shape.iter().product();
            let idx: Vec<i64> = (0..n)
                .map(|_| {
                    Ok(match u.int_in_range(0u8..=5)? {
                        0 => u.arbitrary::<i64>()?,
                        1 => -100,
                        _ => u.int_in_range(0..=classes.max(1) as i64 - 1)?,
                    })
                })
                .collect::<AResult<_>>()?;
            let idx = ArrayD::from_shape_vec(IxDyn(&t_shape), idx).expect("shape");
            let weight = if u.arbitrary::<bool>()? {
                let len = if u.arbitrary::<bool>()? {
                    classes
                } else {
                    u.int_in_range(0usize..=5)?
                };
                let w = floats(u, &[len], &mut finite)?;
                Some(DVector::from_iterator(len, w.iter().copied()))
            } else {
                None
            };
            let ignore = if u.arbitrary::<bool>()? {
                u.arbitrary::<i64>()?
            } else {
                -100
            };
            let red = reduction(u)?;
            if op == 0 {
                let mut opts = CrossEntropyOptions::<f64>::default()
                    .reduction(red)
                    .ignore_index(ignore)
                    .label_smoothing(if u.arbitrary::<bool>()? {
                        f64::from_bits(u.arbitrary::<u64>()?)
                    } else {
                        f64::from(u.int_in_range(0u8..=10)?) / 10.0
                    });
                opts.weight = weight;
                if u.arbitrary::<bool>()? {
                    nd::cross_entropy(input.view(), NdTarget::Indices(idx.view()), &opts, want)
                } else {
                    let ps = maybe_other(u, &s)?;
                    let p = floats(u, &ps, &mut finite)?;
                    nd::cross_entropy(input.view(), NdTarget::Probabilities(p.view()), &opts, want)
                }
            } else {
                let opts = NllLossOptions::<f64> {
                    weight,
                    reduction: red,
                    ignore_index: ignore,
                };
                nd::nll_loss(input.view(), idx.view(), &opts, want)
            }
        }
        2 | 3 => {
            let ts = maybe_other(u, &s)?;
            let t = floats(u, &ts, &mut finite)?;
            let w = if u.arbitrary::<bool>()? {
                let ws = maybe_other(u, &s)?;
                Some(floats(u, &ws, &mut finite)?)
            } else {
                None
            };
            let red = reduction(u)?;
            if op == 2 {
                let pw = if u.arbitrary::<bool>()? {
                    let ps = maybe_other(u, &s)?;
                    Some(floats(u, &ps, &mut finite)?)
                } else {
                    None
                };
                nd::binary_cross_entropy_with_logits(
                    input.view(),
                    t.view(),
                    w.as_ref().map(ArrayD::view),
                    pw.as_ref().map(ArrayD::view),
                    red,
                    want,
                )
            } else {
                nd::binary_cross_entropy(
                    input.view(),
                    t.view(),
                    w.as_ref().map(ArrayD::view),
                    red,
                    want,
                )
            }
        }
        4 => {
            let ts = maybe_other(u, &s)?;
            let t = floats(u, &ts, &mut finite)?;
            let red = *u.choose(&[
                KlDivReduction::None,
                KlDivReduction::Mean,
                KlDivReduction::BatchMean,
                KlDivReduction::Sum,
            ])?;
            nd::kl_div(input.view(), t.view(), red, u.arbitrary()?, want)
        }
        5 => nd::softmax_family(input.view(), SoftmaxOp::Softmax, want),
        6 => nd::softmax_family(input.view(), SoftmaxOp::LogSoftmax, want),
        _ => nd::softmax_family(input.view(), SoftmaxOp::LogSumExp, want),
    };
    if let Ok(out) = result {
        if let Some(g) = &out.grad {
            assert_eq!(g.shape(), input.shape(), "gradient shape");
        }
        if finite {
            assert!(
                !out.output.iter().any(|x| x.is_nan()),
                "NaN output from finite inputs: op {op}, input {input:?} -> {:?}",
                out.output
            );
        }
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = run(&mut Unstructured::new(data));
});
