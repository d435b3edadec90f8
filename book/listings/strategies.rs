extern crate ce_mle;
extern crate ce_mle_book;

// en: Checks the claims of the chapter "Optimisation strategies, measured"
//     on the overfitting set-up of the previous chapter: L2, L1 (proximal)
//     and early stopping end with a lower validation loss than plain maximum
//     likelihood; L2 shrinks the weights and L1 sets some to exactly 0;
//     noise augmentation makes the training set harder to memorise. And
//     token dropout lowers the sentiment classifier's test loss.
// zh: 在上一章的过拟合设置上核对“优化策略实测”一章的论断：L2、L1（近端）
//     和早停结束时的验证损失都低于单纯的极大似然；L2 让权重收缩，
//     L1 把一些权重压到恰好为 0；加噪声的数据增强让训练集更难被记住。
//     另外，词元丢弃降低了情感分类器的测试损失。

use ce_mle::data::rng;
use ce_mle::data::synthetic::jitter;
use ce_mle::train::{
    EarlyStopping, FitConfig, L1Mode, OptimizerSpec, Regularization, fit_with,
};
use ce_mle_book::chapters::sentiment::{Lang, SentimentConfig, sentiment};
use ce_mle_book::chapters::tradeoffs::overfit_setup;

/// en: Shorter than the chapter's 200-epoch runs (those come from
///     `ce_mle_book::chapters`, which checks the chapter's inequalities on
///     them), so that the listing stays quick in an unoptimised build. The
///     comparison already holds here, soon after the validation minimum.
/// zh: 比本章 200 轮的训练短（那些数字来自 `ce_mle_book::chapters`，
///     它在那些数字上检验本章的不等式），这样代码清单在未优化的构建中也跑得
///     快。在验证损失的最小值之后不久，这里的比较就已经成立。
const EPOCHS: usize = 60;

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
    println!("every claim of the chapter checked");
    Ok(())
}
