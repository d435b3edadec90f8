//! `ce-mle train` as a user runs it: every flag has a visible effect, PyTorch's runs are
//! reproduced from the recorded initialisation, output files are complete and atomic, and
//! bad flags exit 2 with one line before any training.

use std::path::Path;
use std::process::{Command, Output};

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/fixtures/torch_training.json"
);

fn ce_mle(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ce-mle"))
        .arg("train")
        .args(args)
        .output()
        .expect("the ce-mle binary runs")
}

/// Run, require success, return stdout.
fn ok(args: &[&str]) -> String {
    let out = ce_mle(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The `Epoch [...]` lines.
fn epoch_lines(stdout: &str) -> Vec<&str> {
    stdout
        .lines()
        .filter(|l| l.starts_with("Epoch ["))
        .collect()
}

/// `(epoch, loss)` of each `Epoch [e/E], Loss: x` line.
fn table(stdout: &str) -> Vec<(usize, String)> {
    epoch_lines(stdout)
        .into_iter()
        .map(|l| {
            let e = l["Epoch [".len()..l.find('/').unwrap()].parse().unwrap();
            let loss = l.split("Loss: ").nth(1).unwrap();
            (e, loss.split(',').next().unwrap().to_string())
        })
        .collect()
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// The number after `prefix` in the line that has it.
fn number_after(stdout: &str, prefix: &str) -> f64 {
    let i = stdout
        .find(prefix)
        .unwrap_or_else(|| panic!("{prefix} in {stdout}"))
        + prefix.len();
    stdout[i..]
        .split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

#[test]
fn the_defaults_are_the_articles_program_spelled_out() {
    let plain = ok(&[]);
    let spelled = ok(&["--optimizer", "adam", "--lr", "0.001", "--epochs", "100"]);
    assert_eq!(plain, spelled);
    let article = ce_mle::train::article_run(&Default::default())
        .unwrap()
        .table();
    assert!(plain.starts_with(&article), "{plain}");
    assert!(
        plain.contains("final loss 1.4604; training accuracy"),
        "{plain}"
    );
    // --epochs and --seed change the run.
    let short = ok(&["--epochs", "30"]);
    assert_eq!(epoch_lines(&short).len(), 3);
    assert!(
        short.starts_with("Epoch [10/30], Loss: 1.6574\n"),
        "{short}"
    );
    let other_seed = ok(&["--seed", "7"]);
    assert_ne!(table(&other_seed), table(&plain));
    assert_eq!(ok(&["--seed", "7"]), other_seed);
}

/// Every run of the PyTorch fixture whose optimiser the CLI can express prints PyTorch's lines
/// from PyTorch's data and initialisation (`--init`; the fixture's extra fields are ignored).
#[test]
fn init_reproduces_pytorchs_printed_losses() {
    let text = std::fs::read_to_string(FIXTURE).expect("the PyTorch fixture");
    let fixture: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut checked = Vec::new();
    for run in fixture["runs"].as_array().unwrap() {
        let f = |k: &str| run[k].as_f64().unwrap_or(0.0).to_string();
        // Dampening and AMSGrad have no flags.
        if f("dampening") != "0" || run["amsgrad"].as_bool() == Some(true) {
            continue;
        }
        let optimizer = run["optimizer"].as_str().unwrap();
        let mut args = vec![
            "--init".to_string(),
            FIXTURE.to_string(),
            "--optimizer".into(),
            optimizer.into(),
            "--lr".into(),
            f("lr"),
            "--weight-decay".into(),
            f("weight_decay"),
            "--epochs".into(),
            fixture["epochs"].to_string(),
        ];
        if optimizer == "sgd" {
            args.extend(["--momentum".into(), f("momentum")]);
            if run["nesterov"].as_bool() == Some(true) {
                args.push("--nesterov".into());
            }
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let stdout = ok(&args);
        let expected: Vec<&str> = run["printed"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l.as_str().unwrap())
            .collect();
        assert_eq!(epoch_lines(&stdout), expected, "run {}", run["name"]);
        checked.push(run["name"].as_str().unwrap().to_string());
    }
    eprintln!("reproduced PyTorch's printed losses of: {checked:?}");
    for name in [
        "sgd",
        "sgd_momentum",
        "sgd_nesterov",
        "adam",
        "adam_weight_decay",
        "adamw",
    ] {
        assert!(checked.iter().any(|c| c == name), "{name} not checked");
    }
}

#[test]
fn weight_decay_is_the_optimizers_own() {
    // AdamW's default weight decay is PyTorch's 0.01 ...
    let adamw = ok(&["--optimizer", "adamw", "--epochs", "50"]);
    assert_eq!(
        adamw,
        ok(&[
            "--optimizer",
            "adamw",
            "--epochs",
            "50",
            "--weight-decay",
            "0.01"
        ])
    );
    // ... and without it AdamW is Adam, step for step.
    let adamw0 = ok(&[
        "--optimizer",
        "adamw",
        "--epochs",
        "50",
        "--weight-decay",
        "0",
    ]);
    assert_eq!(adamw0, ok(&["--epochs", "50"]));
    assert_ne!(adamw, adamw0);
    // For SGD it adds λθ to the gradient: a different run from plain SGD.
    let sgd = ok(&["--optimizer", "sgd", "--lr", "0.5", "--epochs", "50"]);
    let sgd_wd = ok(&[
        "--optimizer",
        "sgd",
        "--lr",
        "0.5",
        "--epochs",
        "50",
        "--weight-decay",
        "0.1",
    ]);
    assert_ne!(table(&sgd), table(&sgd_wd));
    assert!(number_after(&sgd_wd, "final loss ") > number_after(&sgd, "final loss "));
}

#[test]
fn history_csv_and_json_hold_every_epoch_as_printed() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("h.csv");
    let json = dir.path().join("h.json");
    let stdout = ok(&["--epochs", "40", "--history", p(&csv)]);
    ok(&["--epochs", "40", "--history", p(&json)]);
    let text = std::fs::read_to_string(&csv).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "epoch,train_loss,validation_loss,penalty");
    assert_eq!(lines.len(), 41, "a header and one row per epoch");
    let rows: Vec<Vec<&str>> = lines[1..].iter().map(|l| l.split(',').collect()).collect();
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(r.len(), 4);
        assert_eq!(r[0], (i + 1).to_string());
        assert_eq!(r[2], "", "no validation split");
        assert_eq!(r[3], "0", "no penalty");
    }
    // The printed table is the file's rows at 4 decimals.
    let printed = table(&stdout);
    assert_eq!(printed.len(), 4);
    for (epoch, loss) in printed {
        let v: f64 = rows[epoch - 1][1].parse().unwrap();
        assert_eq!(format!("{v:.4}"), loss, "epoch {epoch}");
    }
    // JSON: the same numbers, parsed by serde_json.
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(doc["units"], "nats");
    assert_eq!(doc["losses_include_penalty"], false);
    assert!(doc["validation_loss"].is_null());
    let train = doc["train_loss"].as_array().unwrap();
    assert_eq!(train.len(), 40);
    assert_eq!(doc["epoch"].as_array().unwrap().len(), 40);
    // Equal up to the last bit that serde_json's default (not correctly rounded) float
    // parser may get wrong when reading the file back.
    for (r, j) in rows.iter().zip(train) {
        let (a, b) = (r[1].parse::<f64>().unwrap(), j.as_f64().unwrap());
        assert!((a - b).abs() <= 2.0 * f64::EPSILON * a.abs(), "{a} vs {b}");
    }
    // Only the two output files are left in the directory (no temporary files).
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
}

#[test]
fn plot_draws_one_vertex_per_epoch_for_training_and_validation() {
    let dir = tempfile::tempdir().unwrap();
    let svg_path = dir.path().join("loss.svg");
    let stdout = ok(&[
        "--epochs",
        "60",
        "--val-fraction",
        "0.25",
        "--plot",
        p(&svg_path),
    ]);
    // With a validation split the table shows both losses, and the training set shrinks.
    assert!(stdout.contains("Epoch [60/60], Loss: "), "{stdout}");
    assert!(stdout.contains(", Val Loss: "), "{stdout}");
    assert!(stdout.contains("validation loss "), "{stdout}");
    let svg = std::fs::read_to_string(&svg_path).unwrap();
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    let long: Vec<usize> = svg
        .match_indices("<polyline")
        .map(|(i, _)| {
            let tag = &svg[i..i + svg[i..].find("/>").unwrap()];
            let pts = tag.split("points=\"").nth(1).unwrap();
            pts[..pts.find('"').unwrap()].split_whitespace().count()
        })
        .filter(|&n| n > 2)
        .collect();
    assert_eq!(long, vec![60, 60], "training and validation curves");
    for label in [
        "epoch",
        "mean cross-entropy (nats)",
        "training",
        "validation",
    ] {
        assert!(svg.contains(label), "{label}");
    }
}

#[test]
fn patience_stops_early_and_says_where() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("h.csv");
    // The article's labels are random: nothing generalises, so the validation loss never
    // improves for long and early stopping ends the run well before 100 epochs.
    let stdout = ok(&[
        "--val-fraction",
        "0.25",
        "--patience",
        "5",
        "--history",
        p(&csv),
    ]);
    let stopped = number_after(&stdout, "stopped at epoch ") as usize;
    let best = number_after(&stdout, "best epoch ") as usize;
    assert!(stopped < 100, "{stdout}");
    assert_eq!(stopped - best, 5, "{stdout}");
    let text = std::fs::read_to_string(&csv).unwrap();
    let rows: Vec<Vec<f64>> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(|v| v.parse().unwrap()).collect())
        .collect();
    assert_eq!(rows.len(), stopped, "the history ends where it stopped");
    // The best epoch is the minimum of the recorded validation losses, as printed.
    let min = rows
        .iter()
        .enumerate()
        .min_by(|a, b| a.1[2].total_cmp(&b.1[2]))
        .unwrap();
    assert_eq!(min.0 + 1, best);
    let printed_best = number_after(&stdout, "(validation loss ");
    assert_eq!(format!("{:.4}", min.1[2]), format!("{printed_best:.4}"));
    // 24 of the 32 samples train, 8 validate.
    assert!(stdout.contains("validation accuracy"), "{stdout}");
}

#[test]
fn l1_and_l2_penalties_show_in_the_weights_and_the_loss() {
    let base = ["--optimizer", "sgd", "--lr", "0.5", "--epochs", "200"];
    let run = |extra: &[&str]| ok(&[&base[..], extra].concat());
    let plain = run(&[]);
    assert!(!plain.contains("penalty"), "{plain}");
    let zeros = |s: &str| number_after(s, "weights exactly 0: ") as usize;
    // Proximal L1 (the default with plain SGD) zeroes weights exactly; the subgradient does not.
    let prox = run(&["--l1", "0.05"]);
    let sub = run(&["--l1", "0.05", "--l1-mode", "subgradient"]);
    eprintln!(
        "article data, SGD lr 0.5, 200 epochs, --l1 0.05: {} of 50 weights exactly 0 (proximal), {} (subgradient)",
        zeros(&prox),
        zeros(&sub)
    );
    assert!(zeros(&prox) >= 10, "{prox}");
    assert_eq!(zeros(&sub), 0, "{sub}");
    // Losses are data losses: the penalty is reported beside them, not in them.
    assert!(prox.contains("not included in the losses above"));
    // L2 trades data fit for small weights: a higher final data loss, and a positive penalty.
    let ridge = run(&["--l2", "0.05"]);
    assert!(number_after(&ridge, "final loss ") > number_after(&plain, "final loss "));
    assert!(number_after(&ridge, "penalty ") > 0.0);
    // --penalize-bias changes the run.
    assert_ne!(
        table(&ridge),
        table(&run(&["--l2", "0.05", "--penalize-bias"]))
    );
}

#[test]
fn bad_flags_exit_2_with_one_line_before_training() {
    let dir = tempfile::tempdir().unwrap();
    let malformed = dir.path().join("malformed.json");
    std::fs::write(&malformed, "{\"x\": [[1, 2]], \"y\": [0]").unwrap();
    let wrong_shape = dir.path().join("shape.json");
    std::fs::write(
        &wrong_shape,
        r#"{"x": [[1, 2], [3, 4]], "y": [0, 1], "init": {"weight": [[1, 2, 3], [4, 5, 6]], "bias": [0, 0]}}"#,
    )
    .unwrap();
    let bad_label = dir.path().join("label.json");
    std::fs::write(
        &bad_label,
        r#"{"x": [[1, 2]], "y": [7], "init": {"weight": [[1, 2], [3, 4]], "bias": [0, 0]}}"#,
    )
    .unwrap();
    let missing = dir.path().join("missing.json");
    let in_missing_dir = dir.path().join("no").join("h.csv");
    let out_dir = dir.path().join("out.svg");
    std::fs::create_dir(&out_dir).unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--lr", "-1"], "lr"),
        (vec!["--lr", "nan"], "lr"),
        (vec!["--optimizer", "rmsprop"], "rmsprop"),
        (vec!["--optimizer", "sgd", "--nesterov"], "Nesterov"),
        (vec!["--optimizer", "sgd", "--momentum", "1.5"], "momentum"),
        (vec!["--momentum", "0.9"], "--optimizer sgd"),
        (
            vec!["--optimizer", "adamw", "--nesterov"],
            "--optimizer sgd",
        ),
        (vec!["--weight-decay", "-0.1"], "weight_decay"),
        (vec!["--l1", "-0.1"], "l1"),
        (vec!["--l2", "inf"], "l2"),
        (
            vec!["--l1", "0.1", "--l1-mode", "proximal"],
            "SGD without momentum",
        ),
        (vec!["--patience", "3"], "--val-fraction"),
        (
            vec!["--patience", "0", "--val-fraction", "0.25"],
            "patience",
        ),
        (vec!["--val-fraction", "1.5"], "val_fraction"),
        (vec!["--val-fraction", "0.001"], "val_fraction"),
        (vec!["--epochs", "0"], "epochs"),
        (vec!["--history", "h.txt"], "h.txt"),
        (vec!["--history", p(&in_missing_dir)], "h.csv"),
        (vec!["--plot", "loss.png"], "loss.png"),
        (vec!["--plot", p(&out_dir)], "out.svg"),
        (vec!["--init", p(&malformed)], "malformed.json"),
        (vec!["--init", p(&wrong_shape)], "init.weight"),
        (vec!["--init", p(&bad_label)], "y[0] = 7"),
        (vec!["--init", p(&missing)], "missing.json"),
    ];
    for (args, needle) in cases {
        let out = ce_mle(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.starts_with("error: "), "{args:?}: {stderr}");
        assert!(
            stderr.contains(needle),
            "{args:?}: {needle} not in {stderr}"
        );
        assert!(out.stdout.is_empty(), "{args:?}: refused before training");
    }
    // Nothing was written next to the refused outputs.
    assert!(!in_missing_dir.exists());
    assert!(out_dir.is_dir());
}
