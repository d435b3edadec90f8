//! Training the article's classifier: the loss table the article's program prints, why the
//! loss starts near ln C and how far it can fall, and the agreement with PyTorch from the same
//! start (`book/{en,zh}/src/training.md`, listing `book/listings/training.rs`).

use ce_mle::Error as CoreError;
use ce_mle::information::entropy;
use ce_mle::likelihood::categorical_mle;
use ce_mle::loss::{CrossEntropyOptions, Target};
use ce_mle::nn::SoftmaxClassifier;
use ce_mle::train::{
    ArticleConfig, FitConfig, History, OptimizerSpec, RecordedStart, Regularization, article_run,
    article_start, fit_with,
};

use super::{Anchored, Outputs, book_err, fixed6, prose_number};
use crate::error::Result;

/// The training chapter's claim: the untrained model's mean loss is within this many nats of
/// `ln C` (its listing asserts it).
pub const TRAINING_START_MARGIN: f64 = 0.1;
/// Seed of the fresh samples on which the training chapter tests the trained model.
pub const TRAINING_FRESH_SEED: u64 = ce_mle::data::DEFAULT_SEED + 1;
/// Number of those fresh samples.
pub const TRAINING_FRESH_N: usize = 1000;
/// PyTorch's default `betas` of Adam, as the training chapter quotes them;
/// the chapter's generator checks that `Adam::new` uses them.
pub const ADAM_BETAS: (f64, f64) = (0.9, 0.999);
/// PyTorch's default `eps` of Adam (checked as [`ADAM_BETAS`]).
pub const ADAM_EPS: f64 = 1e-8;

/// `hits/N (p%)` for an accuracy measured on `n` samples.
fn accuracy_text(accuracy: f64, n: usize) -> String {
    let hits = (accuracy * n as f64).round();
    format!("{hits}/{n} ({:.1}%)", 100.0 * accuracy)
}

/// The loss table that the article's program prints, from [`ce_mle::train::TrainReport::table`].
fn training_table() -> Result<String> {
    Ok(article_run(&ArticleConfig::default())?.table())
}

/// Every number the training chapter quotes, as `ANCHOR` regions.
fn training_values() -> Result<String> {
    use ce_mle::optim::{Adam, Optimizer};
    let config = ArticleConfig::default();
    let report = article_run(&config)?;
    let (data, untrained) = article_start(&config)?;
    let first = report.losses[0];
    if untrained.mean_loss(&data)? != first {
        return Err(book_err(
            "article_start no longer draws what article_run draws",
        ));
    }
    let mut a = Anchored::default();

    // The settings (the article's).
    let (n, d, c) = (config.n, config.features, config.classes);
    a.put("n", n);
    a.put("features", d);
    a.put("classes", c);
    a.put("params", c * d + c);
    a.put("weights", c * d);
    a.put("lr", config.lr);
    a.put("epochs", config.epochs);
    a.put("print_every", config.print_every);
    a.put("lines", config.epochs / config.print_every);
    a.put("seed", config.seed);
    a.put("init_bound", fixed6(1.0 / (d as f64).sqrt()));

    // Adam's defaults: stepping with them spelled out must equal `Adam::new`.
    let (mut spelled, mut default) = (
        Adam::with_options(config.lr, ADAM_BETAS, ADAM_EPS, 0.0)?,
        Adam::new(config.lr)?,
    );
    let (mut p, mut q) = (vec![0.5, -1.0, 2.0], vec![0.5, -1.0, 2.0]);
    for g in [[1e-9, -3.0, 0.2], [2e-9, 1.0, -0.3], [-1e-9, 0.5, 0.25]] {
        spelled.step(&mut [&mut p[..]], &[&g[..]])?;
        default.step(&mut [&mut q[..]], &[&g[..]])?;
    }
    if p != q {
        return Err(book_err("Adam::new no longer uses ADAM_BETAS and ADAM_EPS"));
    }
    a.put("beta1", ADAM_BETAS.0);
    a.put("beta2", ADAM_BETAS.1);
    // As TeX (the chapter shows it inside a formula): 1e-8 → 10^{-8}.
    let eps = format!("{ADAM_EPS:e}");
    let eps = match eps.split_once('e') {
        Some(("1", exp)) => format!("10^{{{exp}}}"),
        _ => eps,
    };
    a.put("eps", eps);

    // The start: close to ln C, and why.
    let ln_c = (c as f64).ln();
    a.put("ln_c", fixed6(ln_c));
    a.put("first_loss", fixed6(first));
    a.put("start_gap", fixed6(first - ln_c));
    a.put("start_margin", TRAINING_START_MARGIN);
    let z = untrained.logits(&data.x)?;
    // −log q_{i,y} = lse(z_i) − z_{i,y}
    //              = ln C + [lse(z_i) − mean(z_i) − ln C] + [mean(z_i) − z_{i,y}]:
    // the first bracket is ≥ 0 (Jensen), the second averages to ≈ 0 for random labels.
    let lse = ce_mle::softmax::logsumexp(&z)?;
    let (mut slack, mut label) = (0.0, 0.0);
    for ((row, &y), lse) in z.row_iter().zip(&data.y).zip(lse.iter()) {
        let mean = row.mean();
        slack += lse - mean - ln_c;
        label += mean - row[y as usize];
    }
    a.put("start_slack", fixed6(slack / n as f64));
    a.put("start_label", prose_number(&fixed6(label / n as f64)));
    a.put(
        "logit_rms",
        format!("{:.2}", (z.norm_squared() / z.len() as f64).sqrt()),
    );

    // The fall, and its first-order bound.
    let last = report.losses[report.losses.len() - 1];
    a.put("last_epoch_loss", fixed6(last));
    a.put("final_loss", fixed6(report.final_loss));
    let drop = first - report.final_loss;
    a.put("drop", fixed6(drop));
    let (_, g0) = untrained.loss_and_grad(
        &data.x,
        Target::Indices(&data.y),
        &CrossEntropyOptions::default(),
    )?;
    let l1 = g0.l1_norm();
    let budget = config.lr * config.epochs as f64;
    let estimate = budget * l1;
    let moved = (&report.model.linear.weight - &untrained.linear.weight)
        .amax()
        .max((&report.model.linear.bias - &untrained.linear.bias).amax());
    a.put("grad_l1", fixed6(l1));
    a.put("budget", budget);
    a.put("estimate", fixed6(estimate));
    a.put("moved", fixed6(moved));
    a.put("hard_bound", fixed6(l1 * moved));
    a.put("drop_ratio", format!("{:.0}%", 100.0 * drop / estimate));
    a.put(
        "first_step_drop",
        fixed6(report.losses[0] - report.losses[1]),
    );
    a.put("first_step_estimate", fixed6(config.lr * l1));
    a.put("last_step_drop", fixed6(last - report.final_loss));

    // Accuracy and what it means: labels are noise.
    a.put("chance", format!("{:.0}%", 100.0 / c as f64));
    a.put("acc_before", accuracy_text(report.accuracy.0, n));
    a.put("acc_after", accuracy_text(report.accuracy.1, n));
    let labels: Vec<usize> = data.y.iter().map(|&y| y as usize).collect();
    let p_hat = categorical_mle(&labels, c)?;
    let counts: Vec<String> = p_hat
        .iter()
        .map(|p| format!("{}", (p * n as f64).round()))
        .collect();
    a.put("label_counts", counts.join(", "));
    a.put("label_entropy", fixed6(entropy(&p_hat)?));
    let fresh = ce_mle::data::random_classification(
        TRAINING_FRESH_N,
        d,
        c,
        &mut ce_mle::data::rng(TRAINING_FRESH_SEED),
    )?;
    a.put("fresh_n", TRAINING_FRESH_N);
    a.put("fresh_loss_before", fixed6(untrained.mean_loss(&fresh)?));
    a.put("fresh_loss_after", fixed6(report.model.mean_loss(&fresh)?));
    a.put(
        "fresh_acc_after",
        accuracy_text(report.model.accuracy(&fresh.x, &fresh.y)?, TRAINING_FRESH_N),
    );
    Ok(a.0)
}

/// The PyTorch fixture of the training chapter: `tests/fixtures/torch_training.json`.
#[must_use]
pub fn torch_fixture_path() -> std::path::PathBuf {
    crate::paths::fixtures_dir().join("torch_training.json")
}

/// Our Adam run (lr 10⁻³, 100 epochs) from the fixture's recorded start, against PyTorch's:
/// `(our history, our model, fixture JSON)`.
fn torch_comparison() -> Result<(History, SoftmaxClassifier, serde_json::Value)> {
    let path = torch_fixture_path();
    let text = std::fs::read_to_string(&path).map_err(|e| CoreError::io(&path, e))?;
    let json: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| book_err(format!("fixture: {e}")))?;
    let start = RecordedStart::from_json(&text, &path.display().to_string())?;
    let mut model = start.model;
    let config = FitConfig {
        optimizer: OptimizerSpec::Adam {
            lr: 1e-3,
            weight_decay: 0.0,
        },
        epochs: 100,
        regularization: Regularization::none(),
    };
    let h = fit_with(&mut model, &start.data, None, &config, None)?;
    Ok((h, model, json))
}

fn adam_run(json: &serde_json::Value) -> Result<&serde_json::Value> {
    json["runs"]
        .as_array()
        .and_then(|runs| runs.iter().find(|r| r["name"] == "adam"))
        .ok_or_else(|| book_err("fixture: no adam run"))
}

fn floats(v: &serde_json::Value) -> Vec<f64> {
    v.as_array()
        .map(|a| a.iter().filter_map(serde_json::Value::as_f64).collect())
        .unwrap_or_default()
}

/// Our printed lines next to PyTorch's (a Markdown table) and the agreement figures.
fn training_torch_values() -> Result<String> {
    let (h, model, json) = torch_comparison()?;
    let run = adam_run(&json)?;
    let theirs = floats(&run["losses"]);
    if theirs.len() != h.train.len() {
        return Err(book_err("fixture: loss count differs"));
    }
    let loss_diff = h
        .train
        .iter()
        .zip(&theirs)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    let p = &run["params"]["100"];
    let w: Vec<f64> = p["weight"]
        .as_array()
        .map(|rows| rows.iter().flat_map(floats).collect())
        .unwrap_or_default();
    let b = floats(&p["bias"]);
    let ours: Vec<f64> = model
        .linear
        .weight
        .transpose()
        .iter()
        .chain(model.linear.bias.iter())
        .copied()
        .collect();
    let theirs_p: Vec<f64> = w.into_iter().chain(b).collect();
    if ours.len() != theirs_p.len() {
        return Err(book_err("fixture: parameter count differs"));
    }
    let rel = ours
        .iter()
        .zip(&theirs_p)
        .map(|(a, b)| (a - b).abs() / a.abs().max(b.abs()))
        .fold(0.0, f64::max);
    let printed: Vec<String> = run["printed"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let ours_printed: Vec<String> = h.table(100, 10).lines().map(str::to_owned).collect();
    // The chapter shows the lines once and says PyTorch printed the same.
    if ours_printed != printed {
        return Err(book_err(format!(
            "the training chapter says `ce-mle train --init` prints PyTorch's lines: \
             {ours_printed:?} vs {printed:?}"
        )));
    }
    let mut a = Anchored::default();
    a.put(
        "torch_version",
        json["torch_version"].as_str().unwrap_or("?"),
    );
    a.put("epochs", h.train.len());
    a.put("max_loss_diff", prose_number(&format!("{loss_diff:.1e}")));
    a.put("max_param_rel", prose_number(&format!("{rel:.1e}")));
    a.put("first_loss", fixed6(h.train[0]));
    a.put(
        "final_loss",
        format!(
            "{:.4}",
            model.mean_loss(&RecordedStart::load(&torch_fixture_path())?.data)?
        ),
    );
    a.put("cli_output", h.table(100, 10).trim_end());
    Ok(a.0)
}

/// The files of this chapter under `book/generated/`, in the order its `make` computes them.
pub const OUTPUTS: Outputs = Outputs {
    chapter: "training",
    files: &[
        "training-table.txt",
        "training-values.txt",
        "training-torch.txt",
    ],
    make,
};

fn make() -> Result<Vec<String>> {
    Ok(vec![
        training_table()?,
        training_values()?,
        training_torch_values()?,
    ])
}
