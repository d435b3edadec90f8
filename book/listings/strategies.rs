extern crate ce_mle;
extern crate ce_mle_book;
extern crate statrs;

// en: Checks the claims of the chapter "Optimisation strategies, measured"
//     on the overfitting set-up of the trade-offs chapter: L2, L1 (proximal)
//     and early stopping end with a lower validation loss than plain maximum
//     likelihood; L2 shrinks the weights and L1 sets some to exactly 0;
//     noise augmentation makes the training set harder to memorise. And
//     token dropout lowers the sentiment classifier's test loss.
// zh: 在“优点与缺点：实测”一章的过拟合设置上核对“优化策略：实测”一章的论断：
//     L2、L1（近端）和早停结束时的验证损失都低于单纯的极大似然；L2 让权重
//     收缩，L1 把一些权重压到恰好为 0；加噪声的数据增强让训练集更难被记住。
//     另外，词元丢弃降低了情感分类器的测试损失。

use ce_mle::data::rng;
use ce_mle::data::synthetic::jitter;
use ce_mle::train::{
    EarlyStopping, FitConfig, L1Mode, OptimizerSpec, Regularization, fit_with,
};
use ce_mle_book::chapters::sentiment::{
    Lang, SENTIMENT_LABELS, SentimentConfig, sentiment, synonym_replace,
    tokenize,
};
use ce_mle_book::chapters::tradeoffs::overfit_setup;
use statrs::distribution::{Continuous, Laplace, Normal};

/// en: The chapter's runs: the same set-up, optimiser, epochs and seeds as
///     the numbers and figures of the chapter
///     (`ce_mle_book::chapters::strategies`), so that `run` below computes
///     every row of its table.
/// zh: 本章的训练：设置、优化器、轮数和随机种子都与本章的数字和图
///     （`ce_mle_book::chapters::strategies`）相同，所以下面的 `run`
///     算出的正是表中的每一行。
const EPOCHS: usize = 200;

type Result<T> = std::result::Result<T, ce_mle::Error>;

/// en: What one run ends with.
/// zh: 一次训练结束时的结果。
struct End {
    validation: f64,
    training: f64,
    norm: f64,
    zeros: usize,
    epochs: usize,
}

// ANCHOR: run
/// en: Plain gradient descent (lr 0.1) on the overfitting set-up, with a penalty,
///     maybe augmented data (4 noisy copies of every sample: x + N(0, 1) noise)
///     and maybe early stopping (patience 10, best parameters restored).
/// zh: 在过拟合设置上做普通梯度下降（学习率 0.1），加上一种惩罚，
///     可能带数据增强（每个样本 4 个加噪声的副本：
///     x + N(0, 1) 噪声），也可能带早停（耐心 10 轮，恢复最好的参数）。
fn run(reg: Regularization, augment: bool, early: bool) -> Result<End> {
    let (mut model, train, val) = overfit_setup()?;
    let fit_set = if augment {
        jitter(&train, 4, 1.0, &mut rng(3))?
    } else {
        train.clone()
    };
    let sgd = OptimizerSpec::Sgd {
        lr: 0.1,
        momentum: 0.0,
        nesterov: false,
        weight_decay: 0.0,
    };
    let config = FitConfig {
        optimizer: sgd,
        epochs: EPOCHS,
        regularization: reg,
    };
    let mut stopper = if early {
        Some(EarlyStopping::new(10, 0.0, true)?)
    } else {
        None
    };
    let history =
        fit_with(&mut model, &fit_set, Some(&val), &config, stopper.as_mut())?;
    let w = &model.linear.weight;
    Ok(End {
        validation: model.mean_loss(&val)?,
        training: model.mean_loss(&train)?,
        norm: w.norm(),
        zeros: w.iter().filter(|&&x| x == 0.0).count(),
        epochs: history.len(),
    })
}
// ANCHOR_END: run

fn main() -> Result<()> {
    assert_eq!(
        (
            ce_mle_book::chapters::strategies::L1,
            ce_mle_book::chapters::strategies::L2
        ),
        (0.01, 0.01)
    );
    assert_eq!(ce_mle_book::chapters::strategies::PATIENCE, 10);
    assert_eq!(ce_mle_book::chapters::strategies::JITTER, (4, 1.0));
    assert_eq!(EPOCHS, ce_mle_book::chapters::tradeoffs::OVERFIT_EPOCHS);
    assert_eq!(0.1, ce_mle_book::chapters::tradeoffs::OVERFIT_LR);
    // ANCHOR: synthetic
    let none = Regularization::none();
    let plain = run(none, false, false)?;
    let augmented = run(none, true, false)?;
    let l2 = run(Regularization::new(0.0, 0.01)?, false, false)?;
    let l1 = run(
        Regularization::new(0.01, 0.0)?.l1_mode(L1Mode::Proximal),
        false,
        false,
    )?;
    let early = run(none, false, true)?;
    // en: Penalties and early stopping end better on
    //     new data than plain maximum likelihood.
    // zh: 惩罚和早停在新数据上的结果都好于单纯的极大似然。
    for end in [&l2, &l1, &early] {
        assert!(end.validation < plain.validation);
    }
    // en: L2 shrinks the weights,
    // zh: L2 让权重收缩，
    assert!(l2.norm < plain.norm && plain.zeros == 0);
    // en: L1 (proximal) sets some to exactly 0,
    // zh: L1（近端）把一些权重压到恰好为 0，
    assert!(l1.zeros > 0);
    // en: early stopping ends the run early,
    // zh: 早停提前结束训练，
    assert!(early.epochs < EPOCHS);
    // en: and noisy copies make the training set harder to memorise.
    // zh: 而加噪声的副本让训练集更难被记住。
    assert!(augmented.training > plain.training && augmented.norm < plain.norm);
    // ANCHOR_END: synthetic

    // en: The MAP reading, with N = 100 training samples: N times the
    //     penalised mean loss is the negative log-likelihood plus
    //     N·λ₂‖W‖² + N·λ₁‖W‖₁, and these are, up to constants, minus the
    //     log-densities of independent N(0, 1/(2Nλ₂)) and Laplace(0, 1/(Nλ₁))
    //     priors on the weights (statrs' densities as the oracle).
    // zh: 最大后验的解读，训练样本数 N = 100：加惩罚的平均损失乘以 N，等于负对数
    //     似然加上 N·λ₂‖W‖² + N·λ₁‖W‖₁；在相差常数的意义下，这两项分别是权重上
    //     独立的 N(0, 1/(2Nλ₂)) 先验和 Laplace(0, 1/(Nλ₁)) 先验的负对数密度
    //     （以 statrs 的密度函数为参照）。
    let n = ce_mle_book::chapters::tradeoffs::OVERFIT_TRAIN as f64;
    let (l1_strength, l2_strength) = (0.01, 0.01);
    let variance = 1.0 / (2.0 * n * l2_strength);
    let scale = 1.0 / (n * l1_strength);
    assert_eq!(
        (variance, scale),
        ce_mle_book::chapters::strategies::map_priors(n as usize)
    );
    let gauss = Normal::new(0.0, variance.sqrt()).expect("a valid Gaussian");
    let laplace =
        Laplace::new(0.0, scale).expect("a valid Laplace distribution");
    for w in [-1.5, -0.2, 0.0, 0.7, 3.0] {
        let gauss_nll = gauss.ln_pdf(0.0) - gauss.ln_pdf(w);
        let laplace_nll = laplace.ln_pdf(0.0) - laplace.ln_pdf(w);
        assert!((n * l2_strength * w * w - gauss_nll).abs() < 1e-12);
        assert!((n * l1_strength * f64::abs(w) - laplace_nll).abs() < 1e-12);
    }

    // ANCHOR: dropout
    // en: Token dropout: 3 copies of each training
    //     review, each token dropped with p = 0.3.
    // zh: 词元丢弃：每条训练评论复制 3 份，每个词元以 p = 0.3 的概率被丢掉。
    let config = ce_mle_book::chapters::sentiment::sentiment_config();
    for lang in [Lang::En, Lang::Zh] {
        let base = sentiment(lang, &config)?;
        let dropped = SentimentConfig {
            dropout: Some((3, 0.3)),
            ..config
        };
        assert!(sentiment(lang, &dropped)?.ce.1 < base.ce.1);
    }
    // ANCHOR_END: dropout
    assert_eq!(ce_mle_book::chapters::strategies::TOKEN_DROPOUT, (3, 0.3));

    // ANCHOR: synonyms
    // en: Synonym replacement, with the article's own example.
    // zh: 同义词替换，用原文自己的例子。
    let en = Lang::En;
    assert_eq!(synonym_replace("I love apples", en), "I like apples");
    for lang in [Lang::En, Lang::Zh] {
        let base = sentiment(lang, &config)?;
        let synonyms = SentimentConfig {
            synonyms: true,
            ..config
        };
        let syn = sentiment(lang, &synonyms)?;
        // en: The copies bring new words into the vocabulary, yet on the
        //     test reviews the loss rises and the accuracy does not move.
        // zh: 副本给词表带来了新词，但在测试评论上损失上升，准确率不变。
        assert!(syn.vocab.len() > base.vocab.len());
        assert!(syn.ce.1 > base.ce.1);
        assert_eq!(syn.accuracy.1, base.accuracy.1);
    }
    // en: The article's review, through the English model: positive, p > 0.8.
    // zh: 原文的那条评论，交给英文模型：积极，p > 0.8。
    let model = sentiment(en, &config)?;
    let review = "I'm really excited about this new movie";
    let x = model.vocab.features(&[tokenize(review, en)]);
    let q = model.model.predict_proba(&x)?;
    assert!(q[(0, 2)] > 0.8 && SENTIMENT_LABELS[2] == "positive");
    // ANCHOR_END: synonyms
    {
        use ce_mle_book::chapters::strategies_synonyms as s;
        assert_eq!(s::ARTICLE_AUGMENT, "I love apples");
        assert_eq!(s::ARTICLE_REVIEW, review);
    }
    println!("every claim of the chapter checked");
    Ok(())
}
