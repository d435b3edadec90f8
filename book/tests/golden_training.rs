//! The source article's training program against real PyTorch trajectories
//! (`tests/fixtures/torch_training.json`, written by `tools/golden/generate.py`).
//!
//! The fixture holds one data set (`x` 32×10, `y` 32 labels), one initialisation of
//! `nn.Linear(10, 5)` and, for each optimiser run (SGD with and without momentum, Nesterov,
//! dampening and weight decay; Adam, Adam with L2 weight decay, AMSGrad; AdamW), PyTorch's loss
//! at the start of every epoch, the lines the program prints and the parameters after steps 1,
//! 10 and 100, all in float64. `ce_mle_book::verify::golden::training` replays each run with
//! `SoftmaxClassifier` and the matching `ce_mle::optim` optimiser; we require every loss and
//! parameter within `1e-12·max(|a|, |b|) + 1e-15` and the printed lines to be equal.
//!
//! Run with `--nocapture` to see the worst errors per run.

use ce_mle_book::verify::golden::training;

#[test]
fn training_trajectories_match_pytorch() {
    let (version, runs) = training().expect("fixture loads and every run trains");
    eprintln!("golden training: torch {version}, {} runs", runs.len());
    let names: Vec<&str> = runs.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "sgd",
            "sgd_momentum",
            "sgd_nesterov",
            "sgd_momentum_dampening",
            "sgd_weight_decay",
            "adam",
            "adam_weight_decay",
            "adam_amsgrad",
            "adamw"
        ]
    );
    for r in &runs {
        eprintln!(
            "  {:<24} loss rel {:.2e}  params rel {:.2e}  tolerance use {:.3}  printed equal: {}",
            r.name, r.loss_relative, r.param_relative, r.usage, r.printed_equal
        );
    }
    for r in &runs {
        assert!(r.usage <= 1.0, "{}: tolerance use {}", r.name, r.usage);
        assert_eq!(r.printed, r.torch_printed, "{}", r.name);
        assert_eq!(r.printed.len(), 10, "{}", r.name);
    }
    // The article's program (Adam, lr 1e-3) prints what PyTorch printed.
    let adam = runs.iter().find(|r| r.name == "adam").expect("adam run");
    assert!(adam.printed[0].starts_with("Epoch [10/100], Loss: "));
}
