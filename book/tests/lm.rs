//! `ce-mle lm` as a user runs it: training, resuming bit for bit, sampling, evaluation,
//! checkpoints, and every bad input as a one-line error (exit 2).
//!
//! The runs are tiny (1 layer, width 16, context 16, a few dozen iterations on Tiny
//! Shakespeare): seconds in the debug build.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ce_mle_book::lm;

use crate::common::ce_mle;

/// A tiny model and run: `--max-iters 30`, evaluations every 10 iterations.
const TINY: &[&str] = &[
    "lm",
    "train",
    "--n-layer",
    "1",
    "--n-head",
    "2",
    "--n-embd",
    "16",
    "--block-size",
    "16",
    "--batch-size",
    "4",
    "--max-iters",
    "30",
    "--warmup-iters",
    "5",
    "--eval-interval",
    "10",
    "--eval-iters",
    "2",
];

fn p(path: &Path) -> &str {
    path.to_str().expect("UTF-8 temp path")
}

fn run_ok(args: &[&str]) -> String {
    let out = ce_mle(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Exit 2, one line `error: …` containing `needle`, nothing on stdout.
fn refused(args: &[&str], needle: &str) {
    let out = ce_mle(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
    assert!(stderr.starts_with("error: "), "{args:?}: {stderr}");
    assert!(
        stderr.contains(needle),
        "{args:?}: {needle:?} not in {stderr}"
    );
    assert!(out.stdout.is_empty(), "{args:?}: stdout not empty");
}

fn tiny(out: &Path, extra: &[&str]) -> String {
    let mut args = TINY.to_vec();
    args.extend(["--out", p(out)]);
    args.extend(extra);
    run_ok(&args)
}

/// One trained tiny checkpoint per test binary.
fn trained() -> &'static Path {
    static CK: std::sync::OnceLock<(tempfile::TempDir, PathBuf)> = std::sync::OnceLock::new();
    let (_, path) = CK.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tiny.safetensors");
        tiny(&path, &[]);
        (dir, path)
    });
    path
}

#[test]
fn train_prints_evaluations_and_the_final_validation_loss() {
    let dir = tempfile::tempdir().unwrap();
    let ck = dir.path().join("a.safetensors");
    let rec = dir.path().join("run.json");
    let out = tiny(
        &ck,
        &["--record", p(&rec), "--sample-chars", "20", "--full-val"],
    );
    for it in [0, 10, 20, 30] {
        assert!(out.contains(&format!("step {it}: train loss ")), "{out}");
    }
    assert!(out.contains("val (full)"), "{out}");
    assert!(out.contains("validation CE (whole split)"), "{out}");
    let r: lm::RunRecord = serde_json::from_slice(&std::fs::read(&rec).unwrap()).unwrap();
    assert_eq!(r.evals.len(), 4);
    assert_eq!(r.iters_run, 30);
    assert!(
        r.evals
            .iter()
            .all(|e| e.sample.as_ref().is_some_and(|s| s.chars().count() == 20))
    );
    assert_eq!(r.corpus.path, "book/data/tinyshakespeare/input.txt");
    assert_eq!(
        (r.train_chars, r.val_chars, r.vocab_size),
        (1_003_854, 111_540, 65)
    );
    assert_eq!(
        r.checkpoint_sha256,
        lm::sha256_hex(&std::fs::read(&ck).unwrap())
    );
    // The record's final CE is what `lm eval` computes from the checkpoint.
    let eval = run_ok(&["lm", "eval", "--checkpoint", p(&ck)]);
    assert!(
        eval.contains(&format!("{:.4} nats/char", r.final_val_ce)),
        "{eval}"
    );
}

/// `train k + m` = `train k` (--stop-at), then `--resume` for m: the same checkpoint bytes.
#[test]
fn resume_continues_bit_for_bit() {
    let dir = tempfile::tempdir().unwrap();
    let (whole, part, resumed) = (
        dir.path().join("whole.safetensors"),
        dir.path().join("part.safetensors"),
        dir.path().join("resumed.safetensors"),
    );
    tiny(&whole, &[]);
    let out = tiny(&part, &["--stop-at", "13"]);
    assert!(out.contains("stopped at iteration 13 of 30"), "{out}");
    let out = run_ok(&["lm", "train", "--resume", p(&part), "--out", p(&resumed)]);
    assert!(out.contains("17 iterations"), "{out}");
    assert_eq!(
        std::fs::read(&whole).unwrap(),
        std::fs::read(&resumed).unwrap()
    );
    // The same on 1 and 2 threads.
    let one = dir.path().join("one.safetensors");
    tiny(&one, &["--threads", "1"]);
    assert_eq!(std::fs::read(&whole).unwrap(), std::fs::read(&one).unwrap());
}

#[test]
fn sample_and_eval_use_the_checkpoint() {
    let ck = trained();
    let a = run_ok(&[
        "lm",
        "sample",
        "--checkpoint",
        p(ck),
        "--prompt",
        "ROMEO:",
        "--tokens",
        "40",
    ]);
    assert!(a.starts_with("ROMEO:"), "{a}");
    assert_eq!(a.trim_end_matches('\n').chars().count(), 46, "{a:?}");
    let b = run_ok(&[
        "lm",
        "sample",
        "--checkpoint",
        p(ck),
        "--prompt",
        "ROMEO:",
        "--tokens",
        "40",
    ]);
    assert_eq!(a, b, "same seed, same text");
    let t = run_ok(&[
        "lm",
        "eval",
        "--checkpoint",
        p(ck),
        "--text",
        "To be, or not to be",
    ]);
    assert!(t.contains("18 characters predicted"), "{t}");
    // `--split all` on the first 20,000 characters of the corpus (the whole 1.1 M would cost
    // seconds of every `cargo test` for the same code path): every character but the first
    // is predicted.
    let dir = tempfile::tempdir().unwrap();
    let head = dir.path().join("head.txt");
    let text = std::fs::read_to_string(
        ce_mle_book::paths::book_root().join("data/tinyshakespeare/input.txt"),
    )
    .unwrap();
    std::fs::write(&head, text.chars().take(20_000).collect::<String>()).unwrap();
    let all = run_ok(&[
        "lm",
        "eval",
        "--checkpoint",
        p(ck),
        "--corpus",
        p(&head),
        "--split",
        "all",
    ]);
    assert!(all.contains("19999 characters predicted"), "{all}");
}

// ------------------------------------------------------------------ bad input

#[test]
fn bad_train_flags_exit_2_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.safetensors");
    let o = p(&out);
    for (args, needle) in [
        (vec!["--n-layer", "0"], "n_layer"),
        (vec!["--block-size", "0"], "block_size"),
        (
            vec!["--n-embd", "16", "--n-head", "3"],
            "must divide n_embd",
        ),
        (vec!["--n-embd", "100000"], "too large"),
        (vec!["--batch-size", "0"], "batch_size"),
        (vec!["--max-iters", "10"], "warmup_iters"),
        (vec!["--lr", "-1"], "learning_rate"),
        (vec!["--threads", "0"], "threads"),
        (vec!["--record", "run.txt"], "must end in .json"),
    ] {
        let mut a = vec!["lm", "train", "--out", o];
        a.extend(args);
        refused(&a, needle);
    }
    assert!(!out.exists(), "nothing written");
    refused(
        &[
            "lm",
            "train",
            "--out",
            p(&dir.path().join("no/such/dir/x.safetensors")),
        ],
        "No such file",
    );
}

#[test]
fn bad_corpora_exit_2_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.safetensors");
    let empty = dir.path().join("empty.txt");
    std::fs::write(&empty, "").unwrap();
    let binary = dir.path().join("bin.txt");
    std::fs::write(&binary, [0x66, 0x6f, 0xff, 0xfe, 0x00]).unwrap();
    let short = dir.path().join("short.txt");
    std::fs::write(&short, "abcdefghijklmnopqrstuvwxyz").unwrap();
    for (file, needle) in [
        (&empty, "empty"),
        (&binary, "not valid UTF-8"),
        (&dir.path().join("missing.txt"), "No such file"),
        (&short, "too few"),
    ] {
        refused(
            &["lm", "train", "--corpus", p(file), "--out", p(&out)],
            needle,
        );
    }
    assert!(!out.exists());
}

#[test]
fn corrupt_checkpoints_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read(trained()).unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let f = dir.path().join(name);
        std::fs::write(&f, bytes).unwrap();
        f
    };
    // Truncated at several places: in the header, in the tensors, one byte short.
    for cut in [4, 100, good.len() / 2, good.len() - 1] {
        let f = write("cut.safetensors", &good[..cut]);
        refused(
            &["lm", "eval", "--checkpoint", p(&f)],
            "not a readable safetensors file",
        );
    }
    // One bit flipped in the tensor data, and in the metadata.
    let mut flipped = good.clone();
    let last = flipped.len() - 100;
    flipped[last] ^= 0x10;
    let f = write("flip.safetensors", &flipped);
    refused(
        &["lm", "sample", "--checkpoint", p(&f)],
        "checksum mismatch",
    );
    let header = String::from_utf8_lossy(&good[8..200]).to_string();
    let at = 8 + header.find("n_embd").unwrap();
    let mut flipped = good.clone();
    flipped[at] ^= 0x01; // "n_embd" -> "o_embd"
    let f = write("flip2.safetensors", &flipped);
    refused(&["lm", "eval", "--checkpoint", p(&f)], "checksum mismatch");
    // Not a checkpoint at all.
    let f = write(
        "text.safetensors",
        b"hello, world, this is not a checkpoint",
    );
    refused(
        &["lm", "eval", "--checkpoint", p(&f)],
        "not a readable safetensors file",
    );
    refused(
        &["lm", "eval", "--checkpoint", p(dir.path())],
        "not a regular file",
    );
    // Well-formed and sealed, but the tensors do not fit the configuration.
    let st = safetensors::SafeTensors::deserialize(&good).unwrap();
    let (_, header) = safetensors::SafeTensors::read_metadata(&good).unwrap();
    let meta = header.metadata().as_ref().unwrap()["ce_mle"].clone();
    let tensors = |skip: &str| -> Vec<(String, safetensors::Dtype, Vec<usize>, Vec<u8>)> {
        st.tensors()
            .into_iter()
            .filter(|(n, _)| n != skip)
            .map(|(n, v)| (n, v.dtype(), v.shape().to_vec(), v.data().to_vec()))
            .collect()
    };
    let wider = meta.replace("\"n_embd\":16", "\"n_embd\":32");
    let fewer = meta.replace("\"vocab\":\"\\n ", "\"vocab\":\"");
    assert_ne!(fewer, meta);
    let other = meta.replace("ce-mle-gpt/1", "ce-mle-gpt/99");
    // (file, metadata, tensor left out, the error's words)
    let cases = [
        ("shape", &wider, "", "the configuration needs"),
        (
            "missing",
            &meta,
            "transformer.ln_f.weight",
            "missing tensor `transformer.ln_f.weight`",
        ),
        ("vocab", &fewer, "", "vocabulary has 63 characters"),
        ("format", &other, "", "is not ce-mle-gpt/1"),
    ];
    for (name, meta, skip, words) in cases {
        let f = write(
            &format!("{name}.safetensors"),
            &lm::assemble(meta, tensors(skip)).unwrap(),
        );
        refused(&["lm", "eval", "--checkpoint", p(&f)], words);
    }
}

#[test]
fn mismatched_vocabulary_text_or_settings_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let ck = trained();
    let chinese = dir.path().join("zh.txt");
    std::fs::write(&chinese, "最小化交叉熵即极大似然估计。".repeat(20)).unwrap();
    refused(
        &["lm", "eval", "--checkpoint", p(ck), "--corpus", p(&chinese)],
        "is not in the vocabulary",
    );
    refused(
        &["lm", "eval", "--checkpoint", p(ck), "--text", "naïve"],
        "is not in the vocabulary",
    );
    let out = dir.path().join("r.safetensors");
    refused(
        &[
            "lm",
            "train",
            "--resume",
            p(ck),
            "--corpus",
            p(&chinese),
            "--out",
            p(&out),
        ],
        "trained on another text",
    );
    refused(
        &[
            "lm",
            "train",
            "--resume",
            p(ck),
            "--lr",
            "0.1",
            "--out",
            p(&out),
        ],
        "--lr cannot change them",
    );
    let wonly = dir.path().join("only.safetensors");
    let ck2 = lm::load(ck).unwrap();
    lm::save(
        &wonly,
        &lm::Checkpoint {
            resume: None,
            ..ck2
        },
    )
    .unwrap();
    refused(
        &["lm", "train", "--resume", p(&wonly), "--out", p(&out)],
        "nothing to resume",
    );
    assert!(!out.exists());
}

#[test]
fn bad_sampling_flags_exit_2() {
    let ck = trained();
    refused(
        &["lm", "sample", "--checkpoint", p(ck), "--temperature", "0"],
        "temperature",
    );
    refused(
        &[
            "lm",
            "sample",
            "--checkpoint",
            p(ck),
            "--temperature",
            "nan",
        ],
        "temperature",
    );
    refused(
        &["lm", "sample", "--checkpoint", p(ck), "--top-k", "0"],
        "top_k",
    );
    refused(
        &["lm", "sample", "--checkpoint", p(ck), "--prompt", ""],
        "prompt",
    );
    refused(
        &["lm", "sample", "--checkpoint", p(ck), "--prompt", "日本"],
        "is not in the vocabulary",
    );
    refused(
        &["lm", "eval", "--checkpoint", p(ck), "--batch", "0"],
        "batch",
    );
}

/// A training killed (SIGKILL) after its first checkpoint leaves a checkpoint that loads and
/// resumes: checkpoints are written to a temporary file and renamed.
#[test]
fn a_killed_training_leaves_a_resumable_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let ck = dir.path().join("k.safetensors");
    let mut args: Vec<&str> = TINY
        .iter()
        .map(|a| if *a == "30" { "100000" } else { *a })
        .collect();
    args.extend(["--out", p(&ck)]);
    let mut child = Command::new(env!("CARGO_BIN_EXE_ce-mle"))
        .args(&args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    // Several checkpoints have been written (each every 10 iterations) before the kill.
    while start.elapsed() < Duration::from_secs(120) {
        if let Ok(c) = lm::load(&ck)
            && c.resume.as_ref().is_some_and(|r| r.state.iter >= 50)
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let c = lm::load(&ck).expect("the last checkpoint is intact");
    let at = c.resume.as_ref().unwrap().state.iter;
    assert!(at >= 50 && at.is_multiple_of(10), "iteration {at}");
    let resumed = dir.path().join("r.safetensors");
    let out = run_ok(&[
        "lm",
        "train",
        "--resume",
        p(&ck),
        "--stop-at",
        &(at + 3).to_string(),
        "--out",
        p(&resumed),
    ]);
    assert!(out.contains("3 iterations"), "{out}");
}

/// The committed run records (`book/data/gpt/*.json`) agree with their committed weights:
/// the file is the one the run wrote (SHA-256), its configuration and vocabulary are the
/// record's, and the cross-entropy recomputed from it on the record's validation slice (the
/// first `val_slice.chars` characters of nanoGPT's validation split, the batching of the run)
/// equals the recorded figure. The tolerance, 1e-5 relative, allows another CPU's matrix
/// kernels (FMA or not) to round the f32 products differently; a different checkpoint is
/// off by more than 1e-2. No training here.
#[test]
fn committed_records_match_their_checkpoints() {
    let dir = ce_mle_book::paths::book_root().join("data/gpt");
    let mut checked = Vec::new();
    for name in ["shakespeare-recipe", "shakespeare-long", "tang-poems"] {
        let record = dir.join(format!("{name}.json"));
        let weights = dir.join(format!("{name}.safetensors"));
        if !record.exists() {
            continue;
        }
        let rec: lm::RunRecord =
            serde_json::from_str(&std::fs::read_to_string(&record).unwrap()).unwrap();
        let bytes = std::fs::read(&weights).unwrap();
        assert_eq!(
            rec.weights_sha256.as_deref(),
            Some(lm::sha256_hex(&bytes).as_str()),
            "{name}: the weights are not the run's"
        );
        let ck = lm::load(&weights).unwrap();
        assert!(ck.resume.is_none(), "{name}: weights only");
        assert_eq!(*ck.model.config(), rec.config, "{name}");
        assert_eq!(ck.vocab.len(), rec.vocab_size, "{name}");
        // The text the run read, split as the run did.
        let corpus = ce_mle_book::paths::book_root()
            .join("..")
            .join(&rec.corpus.path);
        let text = ce_mle::corpus::load_corpus(&corpus).unwrap();
        assert_eq!(lm::sha256_hex(text.as_bytes()), rec.corpus.sha256, "{name}");
        let split = ce_mle::lm::CharSplit::nanogpt(&text).unwrap();
        assert_eq!(split.vocab(), &ck.vocab, "{name}");
        let slice = &split.val()[..rec.val_slice.chars];
        let ce = ce_mle::lm::gpt::evaluate(
            &ck.model,
            &mut ce_mle::lm::gpt::Workspace::new(),
            slice,
            rec.train.batch_size,
        )
        .unwrap()
        .mean;
        let rel = (ce - rec.val_slice.ce).abs() / rec.val_slice.ce;
        assert!(
            rel <= 1e-5,
            "{name}: recomputed {ce}, recorded {}",
            rec.val_slice.ce
        );
        // The record's last evaluation is of the final model, after max_iters updates.
        assert_eq!(rec.evals.last().map(|e| e.iter), Some(rec.train.max_iters));
        assert!(rec.final_val_ce.is_finite(), "{name}");
        checked.push(name);
    }
    assert!(
        checked.contains(&"shakespeare-recipe"),
        "the recipe's record is committed: {checked:?}"
    );
}

/// `continuations` on the committed recipe checkpoint: the chain rule's factors add up to the
/// batched loss of the same text (one pass, targets of the context ignored), the single
/// characters' probabilities after the context sum to 1, and the CLI prints the same figure.
#[test]
fn continuations_are_the_chain_rule_of_the_model() {
    let weights = ce_mle_book::paths::book_root().join("data/gpt/shakespeare-recipe.safetensors");
    let ck = lm::load(&weights).unwrap();
    let context = "The sun is shining, and it's a beautiful";
    let rows = lm::continuations(&ck.model, &ck.vocab, context, &[" day", " night"]).unwrap();
    let m64: ce_mle::lm::gpt::Gpt<f64> = ck.model.cast();
    for r in &rows {
        assert_eq!(r.per_char.len(), r.text.chars().count());
        assert!((r.per_char.iter().sum::<f64>() - r.log_prob).abs() < 1e-15);
        assert!((r.log_prob.exp() - r.prob).abs() <= 1e-15 * r.prob.max(1e-300));
        // One batched pass over context + continuation: −Σ CE over the continuation's targets.
        let ids = lm::encode(&ck.vocab, &format!("{context}{}", r.text)).unwrap();
        let t = ids.len() - 1;
        let first = ids.len() - r.per_char.len();
        let y: Vec<i64> = (0..t)
            .map(|i| {
                if i + 1 >= first {
                    i64::from(ids[i + 1])
                } else {
                    ce_mle::lm::gpt::IGNORE_INDEX
                }
            })
            .collect();
        let sum = m64
            .loss(
                &mut ce_mle::lm::gpt::Workspace::new(),
                &ids[..t],
                &y,
                1,
                t,
                ce_mle::loss::Reduction::Sum,
            )
            .unwrap();
        assert!(
            (sum + r.log_prob).abs() < 1e-12,
            "{}: batched {sum}, chain rule {}",
            r.text,
            -r.log_prob
        );
    }
    let singles: Vec<String> = ck.vocab.chars().iter().map(char::to_string).collect();
    let refs: Vec<&str> = singles.iter().map(String::as_str).collect();
    let all = lm::continuations(&ck.model, &ck.vocab, context, &refs).unwrap();
    let total: f64 = all.iter().map(|r| r.prob).sum();
    assert!((total - 1.0).abs() < 1e-12, "{total}");
    let out = run_ok(&[
        "lm",
        "eval",
        "--checkpoint",
        p(&weights),
        "--context",
        context,
        "--continuation",
        " day",
    ]);
    assert!(out.contains(&format!("{:.6}", rows[0].log_prob)), "{out}");
}
