//! The source article's training program against real PyTorch trajectories
//! (`tests/fixtures/torch_training.json`, written by `tools/golden/generate.py`; GitHub issue 3).
//!
//! The fixture holds one data set (`x` 32×10, `y` 32 labels), one initialisation of
//! `nn.Linear(10, 5)` and, for each optimiser run (SGD with and without momentum, Nesterov,
//! dampening and weight decay; Adam, Adam with L2 weight decay, AMSGrad; AdamW), PyTorch's loss
//! at the start of every epoch, the lines the program prints and the parameters after steps 1,
//! 10 and 100, all in float64. We replay each run with `SoftmaxClassifier` and the matching
//! `ce_mle::optim` optimiser, epoch by epoch as `train::fit` does (loss and gradient, then one
//! step), and require
//!
//! * every epoch's loss and every parameter at the recorded steps to agree within
//!   `|ours − torch| ≤ REL·max(|ours|, |torch|) + ABS` (`REL` = 1e-12, `ABS` = 1e-15: relative,
//!   with an absolute floor for values near 0);
//! * our `format!("Epoch [{}/{}], Loss: {:.4}", …)` lines to equal PyTorch's printed lines.
//!
//! Run with `--nocapture` to see the worst errors per run.

use std::collections::BTreeMap;

use ce_mle::loss::{CrossEntropyOptions, Target};
use ce_mle::nn::{Linear, SoftmaxClassifier};
use ce_mle::optim::{Adam, AdamW, Optimizer, Sgd};
use nalgebra::{DMatrix, DVector};
use serde::Deserialize;

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/torch_training.json"
);
/// Relative tolerance.
const REL: f64 = 1e-12;
/// Absolute floor of the tolerance, for values near 0.
const ABS: f64 = 1e-15;

#[derive(Deserialize)]
struct Fixture {
    torch_version: String,
    seed: u64,
    in_features: usize,
    out_features: usize,
    epochs: usize,
    x: Vec<Vec<f64>>,
    y: Vec<i64>,
    init: Params,
    runs: Vec<Run>,
}

#[derive(Deserialize)]
struct Params {
    weight: Vec<Vec<f64>>,
    bias: Vec<f64>,
}

#[derive(Deserialize)]
struct Run {
    name: String,
    optimizer: String,
    lr: f64,
    weight_decay: f64,
    momentum: Option<f64>,
    dampening: Option<f64>,
    nesterov: Option<bool>,
    betas: Option<(f64, f64)>,
    eps: Option<f64>,
    amsgrad: Option<bool>,
    losses: Vec<f64>,
    printed: Vec<String>,
    params: BTreeMap<String, Params>,
}

fn matrix(rows: &[Vec<f64>], what: &str) -> DMatrix<f64> {
    let ncols = rows.first().map_or(0, Vec::len);
    assert!(
        rows.iter().all(|r| r.len() == ncols),
        "fixture: {what} is not rectangular"
    );
    let flat: Vec<f64> = rows.iter().flatten().copied().collect();
    DMatrix::from_row_slice(rows.len(), ncols, &flat)
}

fn load() -> Fixture {
    let text = std::fs::read_to_string(FIXTURE).unwrap_or_else(|e| {
        panic!("cannot read {FIXTURE}: {e} (regenerate it with tools/golden/generate.py)")
    });
    let f: Fixture =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("malformed fixture {FIXTURE}: {e}"));
    assert_eq!(f.x.len(), f.y.len(), "fixture: x and y disagree on N");
    assert!(!f.x.is_empty(), "fixture: no samples");
    assert!(
        f.x.iter().all(|r| r.len() == f.in_features),
        "fixture: x rows must have in_features columns"
    );
    assert_eq!(
        f.init.weight.len(),
        f.out_features,
        "fixture: init.weight rows"
    );
    assert_eq!(
        f.init.bias.len(),
        f.out_features,
        "fixture: init.bias length"
    );
    assert!(f.epochs > 0, "fixture: epochs");
    assert!(!f.runs.is_empty(), "fixture: no runs");
    f
}

fn build_optimizer(run: &Run) -> Box<dyn Optimizer> {
    let need = |v: Option<f64>, what: &str| {
        v.unwrap_or_else(|| panic!("fixture: run {} lacks {what}", run.name))
    };
    match run.optimizer.as_str() {
        "sgd" => Box::new(
            Sgd::with_options(run.lr, need(run.momentum, "momentum"), run.weight_decay)
                .and_then(|o| o.dampening(need(run.dampening, "dampening")))
                .and_then(|o| {
                    o.nesterov(
                        run.nesterov
                            .unwrap_or_else(|| panic!("fixture: run {} lacks nesterov", run.name)),
                    )
                })
                .unwrap_or_else(|e| panic!("run {}: {e}", run.name)),
        ),
        kind @ ("adam" | "adamw") => {
            let betas = run
                .betas
                .unwrap_or_else(|| panic!("fixture: run {} lacks betas", run.name));
            let eps = need(run.eps, "eps");
            let amsgrad = run
                .amsgrad
                .unwrap_or_else(|| panic!("fixture: run {} lacks amsgrad", run.name));
            if kind == "adam" {
                Box::new(
                    Adam::with_options(run.lr, betas, eps, run.weight_decay)
                        .unwrap_or_else(|e| panic!("run {}: {e}", run.name))
                        .amsgrad(amsgrad),
                )
            } else {
                Box::new(
                    AdamW::with_options(run.lr, betas, eps, run.weight_decay)
                        .unwrap_or_else(|e| panic!("run {}: {e}", run.name))
                        .amsgrad(amsgrad),
                )
            }
        }
        other => panic!("fixture: run {} has unknown optimizer {other:?}", run.name),
    }
}

/// Worst agreement seen in one comparison group.
#[derive(Default)]
struct Worst {
    /// max |a − b| / max(|a|, |b|) (0 where both are 0).
    rel: f64,
    /// max |a − b|.
    abs: f64,
    /// max |a − b| / (REL·max(|a|, |b|) + ABS): ≤ 1 passes.
    usage: f64,
    /// Where `usage` peaked.
    at: String,
}

impl Worst {
    fn see(&mut self, ours: f64, torch: f64, at: impl FnOnce() -> String) {
        let d = (ours - torch).abs();
        let m = ours.abs().max(torch.abs());
        let usage = if d.is_nan() {
            f64::INFINITY
        } else {
            d / (REL * m + ABS)
        };
        if m > 0.0 {
            self.rel = self.rel.max(d / m);
        }
        self.abs = self.abs.max(d);
        if usage > self.usage || self.at.is_empty() {
            self.usage = usage;
            self.at = at();
        }
    }
}

#[test]
fn training_trajectories_match_pytorch() {
    let f = load();
    let x = matrix(&f.x, "x");
    let opts = CrossEntropyOptions::default();
    eprintln!(
        "golden training: torch {} seed {}, {} runs × {} epochs; tolerance |a−b| ≤ {REL:e}·max(|a|,|b|) + {ABS:e}",
        f.torch_version,
        f.seed,
        f.runs.len(),
        f.epochs
    );
    let mut failures = Vec::new();
    for run in &f.runs {
        assert_eq!(run.losses.len(), f.epochs, "run {}: losses", run.name);
        assert_eq!(
            run.printed.len(),
            f.epochs / 10,
            "run {}: printed lines",
            run.name
        );
        for k in ["1", "10", "100"] {
            assert!(
                run.params.contains_key(k),
                "run {}: no params after step {k}",
                run.name
            );
        }
        let linear = Linear::from_parameters(
            matrix(&f.init.weight, "init.weight"),
            DVector::from_vec(f.init.bias.clone()),
        )
        .expect("init parameters");
        let mut model = SoftmaxClassifier::new(linear);
        let mut opt = build_optimizer(run);
        let (mut loss_worst, mut param_worst) = (Worst::default(), Worst::default());
        let mut printed = Vec::new();
        for epoch in 0..f.epochs {
            let (loss, g) = model
                .loss_and_grad(&x, Target::Indices(&f.y), &opts)
                .unwrap_or_else(|e| panic!("run {} epoch {}: {e}", run.name, epoch + 1));
            let loss = loss.scalar().expect("mean reduction gives a scalar");
            loss_worst.see(loss, run.losses[epoch], || format!("epoch {}", epoch + 1));
            if (epoch + 1) % 10 == 0 {
                printed.push(format!(
                    "Epoch [{}/{}], Loss: {:.4}",
                    epoch + 1,
                    f.epochs,
                    loss
                ));
            }
            opt.step(
                &mut model.linear.parameters_mut(),
                &[g.weight.as_slice(), g.bias.as_slice()],
            )
            .unwrap_or_else(|e| panic!("run {} step {}: {e}", run.name, epoch + 1));
            if let Some(p) = run.params.get(&(epoch + 1).to_string()) {
                let w = matrix(&p.weight, "params.weight");
                assert_eq!(w.shape(), model.linear.weight.shape(), "run {}", run.name);
                assert_eq!(p.bias.len(), model.linear.bias.len(), "run {}", run.name);
                for r in 0..w.nrows() {
                    for c in 0..w.ncols() {
                        param_worst.see(model.linear.weight[(r, c)], w[(r, c)], || {
                            format!("step {} weight[{r}][{c}]", epoch + 1)
                        });
                    }
                }
                for (i, &b) in p.bias.iter().enumerate() {
                    param_worst.see(model.linear.bias[i], b, || {
                        format!("step {} bias[{i}]", epoch + 1)
                    });
                }
            }
        }
        eprintln!(
            "  {:<24} losses: max rel {:.2e} (tol use {:.3} at {}); params @1,10,100: max rel {:.2e}, max abs {:.2e} (tol use {:.3} at {})",
            run.name,
            loss_worst.rel,
            loss_worst.usage,
            loss_worst.at,
            param_worst.rel,
            param_worst.abs,
            param_worst.usage,
            param_worst.at
        );
        if loss_worst.usage > 1.0 {
            failures.push(format!(
                "{}: loss off by {:.2e} relative at {}",
                run.name, loss_worst.rel, loss_worst.at
            ));
        }
        if param_worst.usage > 1.0 {
            failures.push(format!(
                "{}: parameter off by {:.2e} relative ({:.2e} absolute) at {}",
                run.name, param_worst.rel, param_worst.abs, param_worst.at
            ));
        }
        if printed != run.printed {
            failures.push(format!(
                "{}: printed lines differ:\n    ours:  {printed:?}\n    torch: {:?}",
                run.name, run.printed
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "disagreement with PyTorch:\n  {}",
        failures.join("\n  ")
    );
}
