extern crate ce_mle;
extern crate ce_mle_book;
extern crate nalgebra;

// en: Checks the claims of the chapter "Strengths and weaknesses,
//     measured": overfitting on a small, wide data set; the loss under a
//     shift of the test inputs; and the strengths (strictly proper scoring
//     rule, convexity and bounded curvature in the logits, calibration).
// zh: 核对“优点与缺点实测”一章的论断：小而宽的数据集上的过拟合；
//     测试输入平移时的损失；以及各项优点（严格适当的评分规则、关于
//     logits 凸且曲率有界、校准）。

use ce_mle::data::rng;
use ce_mle::data::synthetic::{gaussian_classes, shift_inputs};
use ce_mle::nn::{Linear, SoftmaxClassifier};
use ce_mle::optim::Sgd;
use ce_mle::softmax::softmax;
use ce_mle::train::{FitConfig, OptimizerSpec, Regularization, fit, fit_with};
use ce_mle_book::chapters::tradeoffs::overfit_setup;
use nalgebra::{DMatrix, DVector};

fn overfitting() -> Result<(), ce_mle::Error> {
    // ANCHOR: overfit
    // en: 100 training samples, 60 features (3 informative), 20% noisy labels.
    // zh: 100 个训练样本，60 个特征（3 个有信息），20% 的标签是噪声。
    let (mut model, train, val) = overfit_setup()?;
    let mut sgd = Sgd::new(0.1)?;
    let h = fit(&mut model, &train, Some(&val), &mut sgd, 200, None)?;
    let best = (0..200)
        .min_by(|&a, &b| h.validation[a].total_cmp(&h.validation[b]))
        .unwrap();
    // en: The validation loss bottoms out early and then climbs ...
    // zh: 验证损失很早就到了谷底，然后回升……
    assert!(best < 100 && h.validation[199] > h.validation[best] + 0.15);
    // en: ... while the training loss keeps falling, far below it.
    // zh: ……而训练损失一直下降，远低于验证损失。
    assert!(
        h.train[199] < h.train[best] && h.train[199] < 0.2 * h.validation[199]
    );
    // ANCHOR_END: overfit
    Ok(())
}

fn shift() -> Result<(), ce_mle::Error> {
    // ANCHOR: shift
    // en: Three Gaussian classes in the plane; train on 300 samples, test on 2000.
    // zh: 平面上三个高斯类别；在 300 个样本上训练，在 2000 个样本上测试。
    let means =
        DMatrix::from_row_slice(3, 2, &[2.0, 0.0, -1.0, 1.732, -1.0, -1.732]);
    let mut r = rng(11);
    let train = gaussian_classes(300, &means, 1.0, &mut r)?;
    let test = gaussian_classes(2000, &means, 1.0, &mut r)?;
    let mut model = SoftmaxClassifier::new(Linear::new(2, 3, &mut r)?);
    let adam = OptimizerSpec::Adam {
        lr: 0.05,
        weight_decay: 0.0,
    };
    let config = FitConfig {
        optimizer: adam,
        epochs: 200,
        regularization: Regularization::none(),
    };
    fit_with(&mut model, &train, None, &config, None)?;
    // en: Move every test input by δ along the first axis: the loss grows with δ.
    // zh: 把每个测试输入沿第一个坐标轴移动 δ：损失随 δ 增长。
    let mut previous = 0.0;
    for delta in [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0] {
        let shifted =
            shift_inputs(&test, &DVector::from_row_slice(&[delta, 0.0]))?;
        let ce = model.mean_loss(&shifted)?;
        assert!(ce > previous);
        previous = ce;
    }
    let train_ce = model.mean_loss(&train)?;
    assert!(previous > 5.0 * train_ce);
    // en: Unshifted, the probabilities are calibrated: expected calibration error < 2%.
    // zh: 不平移时，概率是校准的：期望校准误差 < 2%。
    assert!(model.calibration_error(&test, 10)? < 0.02);
    // ANCHOR_END: shift
    // en: Reliability diagram: in each of 10 bins of the top-class
    //     probability that holds at least 100 test samples, the accuracy
    //     is within 0.05 of the mean probability.
    // zh: 可靠性图：在最高类别概率的 10 个分箱中，凡含至少 100 个测试
    //     样本的分箱，其准确率与平均概率相差不到 0.05。
    let q = model.predict_proba(&test.x)?;
    let mut bins = [(0.0, 0.0, 0); 10];
    for (i, row) in q.row_iter().enumerate() {
        let k = row.transpose().argmax().0;
        let b = ((row[k] * 10.0) as usize).min(9);
        bins[b].0 += row[k];
        bins[b].1 += f64::from(k as i64 == test.y[i]);
        bins[b].2 += 1;
    }
    let full: Vec<_> = bins.iter().filter(|b| b.2 >= 100).collect();
    assert!(full.len() >= 3);
    for (p, hits, n) in full {
        assert!((hits / *n as f64 - p / *n as f64).abs() < 0.05);
    }
    // en: Faster than linearly: each step of δ
    //     adds more loss than the one before.
    // zh: 比线性更快：δ 每多走一步，增加的损失都比上一步多。
    let mut losses = Vec::new();
    for delta in [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0] {
        let shifted =
            shift_inputs(&test, &DVector::from_row_slice(&[delta, 0.0]))?;
        losses.push(model.mean_loss(&shifted)?);
    }
    assert!(losses.windows(3).all(|w| w[2] - w[1] > w[1] - w[0]));
    Ok(())
}

fn strengths() -> Result<(), ce_mle::Error> {
    // ANCHOR: strengths
    // en: Strictly proper scoring rule: if labels come from p, the expected
    //     loss E_p[−log q_y] is smallest at q = p (any other q pays KL(p‖q)
    //     more).
    // zh: 严格适当的评分规则：如果标签来自 p，期望损失 E_p[−log
    //     q_y] 在 q = p 处最小（任何别的 q 要多付 KL(p‖q)）。
    let p = [0.5, 0.3, 0.2];
    let expected = |q: &[f64]| -> f64 {
        -p.iter().zip(q).map(|(p, q)| p * q.ln()).sum::<f64>()
    };
    for q in [
        [0.6, 0.3, 0.1],
        [0.4, 0.4, 0.2],
        [1.0 / 3.0; 3],
        [0.5, 0.2, 0.3],
    ] {
        assert!(expected(&q) > expected(&p));
    }
    // en: Accuracy is not strictly proper: every q with the same top class
    //     scores the same. Convex, smooth: the Hessian in the logits is
    //     diag(q) − q qᵀ, with eigenvalues between 0 (along (1, …, 1)) and
    //     1/2.
    // zh: 准确率不是严格适当的：最高类别相同的所有 q 得分都一样。
    //     凸而光滑：关于 logits 的海森矩阵是 diag(q) − q qᵀ，
    //     特征值介于 0（沿 (1, …, 1) 方向）与 1/2 之间。
    let z = DMatrix::from_row_slice(1, 3, &[2.0, 1.0, 0.1]);
    let q = softmax(&z)?.row(0).transpose();
    let hessian = DMatrix::from_diagonal(&q) - &q * q.transpose();
    let eig = hessian.clone().symmetric_eigen().eigenvalues;
    assert!(eig.min() > -1e-12 && eig.max() <= 0.5);
    assert!((&hessian * DVector::from_element(3, 1.0)).amax() < 1e-12);
    // ANCHOR_END: strengths
    // en: The Brier score Σ_k (q_k − [k = y])² is strictly proper too: its
    //     expectation under p is smallest at q = p. The log loss is local, a
    //     function of q_y alone: two predictions that give the observed class
    //     the same probability score the same, whatever the rest.
    // zh: 布里尔分数 Σ_k (q_k − [k = y])² 也是严格适当的：它在 p 下的期望在
    //     q = p 处最小。对数损失是局部的，只是 q_y 的函数：两个预测只要给观测到
    //     的类别相同的概率，得分就相同，不管其余概率如何。
    let brier = |q: &[f64]| -> f64 {
        (0..3)
            .map(|y| {
                let sq: f64 = (0..3)
                    .map(|k| (q[k] - if k == y { 1.0 } else { 0.0 }).powi(2))
                    .sum();
                p[y] * sq
            })
            .sum()
    };
    for q in [
        [0.6, 0.3, 0.1],
        [0.4, 0.4, 0.2],
        [1.0 / 3.0; 3],
        [0.5, 0.2, 0.3],
    ] {
        assert!(brier(&q) > brier(&p));
    }
    let log_loss = |q: &[f64], y: usize| -q[y].ln();
    assert_eq!(log_loss(&[0.5, 0.3, 0.2], 0), log_loss(&[0.5, 0.1, 0.4], 0));
    // en: Accuracy, the probability p gives to q's top class, is the same for
    //     q = p and for any other q with that top class: not strictly proper.
    // zh: 准确率，即 p 给 q 的最高类别的概率，在 q = p 处与在最高类别相同的
    //     任何别的 q 处都一样：不是严格适当的。
    let top = |q: &[f64]| {
        (0..3).fold(0, |best, k| if q[k] > q[best] { k } else { best })
    };
    let accuracy = |q: &[f64]| p[top(q)];
    assert_eq!(accuracy(&[0.6, 0.3, 0.1]), accuracy(&p));
    Ok(())
}

fn label_shift() -> Result<(), ce_mle::Error> {
    use ce_mle::loss::{CrossEntropyOptions, Target};
    use ce_mle::optim::{Adam, Optimizer};
    use ce_mle_book::chapters::tradeoffs_label_shift::label_shift_data;
    let (train, test) = label_shift_data().expect("the chapter's data");
    // ANCHOR: label_shift
    // en: Training classes in proportions 0.7 / 0.2 / 0.1, test classes
    //     uniform; p(x | y) unchanged. Importance weights π_test / π_train:
    // zh: 训练集中各类比例为 0.7 / 0.2 / 0.1，测试集中均匀；p(x | y)
    //     不变。重要性权重 π_test / π_train：
    let w = DVector::from_fn(3, |c, _| (1.0 / 3.0) / [0.7, 0.2, 0.1][c]);
    let fit = |opts: &CrossEntropyOptions| -> Result<_, ce_mle::Error> {
        let mut r = rng(14);
        let mut model = SoftmaxClassifier::new(Linear::new(2, 3, &mut r)?);
        let mut adam = Adam::new(0.05)?;
        for _ in 0..300 {
            let t = Target::Indices(&train.y);
            let (_, g) = model.loss_and_grad(&train.x, t, opts)?;
            let grads = [g.weight.as_slice(), g.bias.as_slice()];
            adam.step(&mut model.linear.parameters_mut(), &grads)?;
        }
        Ok(model)
    };
    let plain = fit(&CrossEntropyOptions::default())?;
    // en: Fix 1: a weighted likelihood (PyTorch's class `weight`).
    // zh: 修正一：加权似然（PyTorch 的类别权重 `weight`）。
    let weighted = fit(&CrossEntropyOptions::default().weight(w.clone()))?;
    // en: Fix 2: Bayes' rule on the plain model, log w added to the logits.
    // zh: 修正二：对普通模型用贝叶斯公式，把 log w 加到 logits 上。
    let z = plain.logits(&test.x)?;
    let z = DMatrix::from_fn(z.nrows(), 3, |i, c| z[(i, c)] + w[c].ln());
    let ce = |z: &DMatrix<f64>| -> Result<f64, ce_mle::Error> {
        let t = Target::Indices(&test.y);
        let opts = CrossEntropyOptions::default();
        Ok(ce_mle::loss::cross_entropy(z, t, &opts)?
            .scalar()
            .expect("mean"))
    };
    let ce_plain = ce(&plain.logits(&test.x)?)?;
    let ce_weighted = ce(&weighted.logits(&test.x)?)?;
    let ce_corrected = ce(&z)?;
    // en: Both fixes lower the test loss, and land close to each other.
    // zh: 两种修正都降低了测试损失，而且结果彼此接近。
    assert!(ce_weighted < ce_plain - 0.03 && ce_corrected < ce_plain - 0.03);
    assert!((ce_weighted - ce_corrected).abs() < 0.01);
    // ANCHOR_END: label_shift
    Ok(())
}

fn temperature() -> Result<(), ce_mle::Error> {
    let (mut model, train, val) = overfit_setup()?;
    let mut sgd = Sgd::new(0.1)?;
    fit(&mut model, &train, Some(&val), &mut sgd, 200, None)?;
    // ANCHOR: temperature
    // en: Temperature: divide the logits by T, i.e. W and b by T. Choose T
    //     by maximum likelihood on the validation set, T from 0.5 to 10.
    // zh: 温度：把 logits 除以 T，即把 W 和 b 除以 T。在验证集上用极大
    //     似然选 T，T 从 0.5 到 10。
    let scaled = |t: f64| -> Result<SoftmaxClassifier, ce_mle::Error> {
        let w = &model.linear.weight / t;
        let b = &model.linear.bias / t;
        Ok(SoftmaxClassifier::new(Linear::from_parameters(w, b)?))
    };
    let mut best = (1.0, model.mean_loss(&val)?);
    for i in 50..=1000 {
        let t = f64::from(i) / 100.0;
        let ce = scaled(t)?.mean_loss(&val)?;
        if ce < best.1 {
            best = (t, ce);
        }
    }
    let (t, ce_t) = best;
    let cooled = scaled(t)?;
    // en: The overfitted model is overconfident: the best T is above 1,
    //     it lowers the validation loss and the calibration error, and
    //     leaves every predicted class, hence the accuracy, unchanged.
    // zh: 过拟合的模型过于自信：最好的 T 大于 1，它降低了验证损失和
    //     校准误差，而每个预测类别不变，准确率因此也不变。
    assert!(t > 2.0 && ce_t < model.mean_loss(&val)? - 0.2);
    let ece = |m: &SoftmaxClassifier| m.calibration_error(&val, 10);
    assert!(ece(&cooled)? < 0.5 * ece(&model)?);
    let acc = |m: &SoftmaxClassifier| m.accuracy(&val.x, &val.y);
    assert_eq!(acc(&cooled)?, acc(&model)?);
    // ANCHOR_END: temperature
    Ok(())
}

fn main() -> Result<(), ce_mle::Error> {
    assert_eq!(ce_mle_book::chapters::tradeoffs::OVERFIT_EPOCHS, 200);
    assert_eq!(ce_mle_book::chapters::tradeoffs::OVERFIT_LR, 0.1);
    assert_eq!(
        ce_mle_book::chapters::tradeoffs::SHIFTS,
        [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0]
    );
    overfitting()?;
    shift()?;
    strengths()?;
    {
        use ce_mle_book::chapters::tradeoffs_label_shift as ls;
        assert_eq!((ls::LABEL_SHIFT_SEED, ls::LABEL_SHIFT_EPOCHS), (13, 300));
        assert_eq!(ls::LABEL_SHIFT_LR, 0.05);
        assert_eq!(ls::LABEL_SHIFT_TRAIN, [420, 120, 60]);
        assert_eq!(ls::LABEL_SHIFT_TEST, [500, 500, 500]);
    }
    label_shift()?;
    temperature()?;
    println!("every claim of the chapter checked");
    Ok(())
}
