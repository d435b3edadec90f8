extern crate ce_mle;
extern crate ce_mle_book;
extern crate nalgebra;
extern crate ndarray;

// en: Checks every claim of the chapter "Training a Transformer by
//     minimising cross-entropy" on a tiny GPT trained for a few steps
//     on Tiny Shakespeare. The figures of the full-size run come from
//     its committed record (`ce_mle_book::chapters::transformer`).
// zh: 核对“用最小化交叉熵训练 Transformer”一章的每个论断，用的是在
//     Tiny Shakespeare 上只训练几步的微型 GPT。完整规模训练的数字来自
//     提交的运行记录（`ce_mle_book::chapters::transformer`）。
//
// en: The chapter shows excerpts (between `ANCHOR` markers);
//     `mdbook test` compiles the whole program for each excerpt,
//     and `cargo test` runs it once (`cargo run --example transformer`).
// zh: 本章展示的是摘录（`ANCHOR` 标记之间的部分）；
//     `mdbook test` 为每段摘录编译整个程序，
//     `cargo test` 运行它一次（`cargo run --example transformer`）。

use ce_mle::lm::CharSplit;
use ce_mle::lm::gpt::{Gpt, GptConfig, IGNORE_INDEX, TrainConfig, Trainer};
use ce_mle::lm::gpt::{Workspace, checks, evaluate, log_prob};
use ce_mle::loss::Reduction::{Mean, Sum};
use ce_mle::loss::nd::{self, NdTarget};
use ce_mle::loss::{CrossEntropyOptions, Loss, Target, cross_entropy};
use ce_mle::softmax::softmax;
use nalgebra::DMatrix;
use ndarray::{ArrayD, IxDyn};

/// en: Two computations of the same quantity in
///     f64 agree to this absolute tolerance.
/// zh: 同一个量的两种 f64 计算在这个绝对容差内一致。
const TOL: f64 = 1e-12;

type Result<T> = std::result::Result<T, ce_mle::Error>;

// ANCHOR: config
// en: A tiny GPT: 2 blocks of 2 heads, width 32, a context of 16 characters.
// zh: 一个微型 GPT：2 个块，每块 2 个头，宽度 32，上下文 16 个字符。
fn tiny(vocab_size: usize) -> GptConfig {
    GptConfig {
        block_size: 16,
        vocab_size,
        n_layer: 2,
        n_head: 2,
        n_embd: 32,
    }
}

// en: nanoGPT's loop, shortened: 60 AdamW steps of 8 windows.
// zh: nanoGPT 的训练循环，缩短为 60 步 AdamW，每步 8 个窗口。
fn tiny_training() -> TrainConfig {
    TrainConfig {
        batch_size: 8,
        max_iters: 60,
        learning_rate: 1e-2,
        min_lr: 1e-3,
        warmup_iters: 5,
        lr_decay_iters: 60,
        ..TrainConfig::nanogpt_cpu()
    }
}
// ANCHOR_END: config

/// en: Tiny Shakespeare, split as nanoGPT does.
/// zh: Tiny Shakespeare，按 nanoGPT 的方式划分。
fn shakespeare() -> Result<CharSplit> {
    let path = ce_mle_book::chapters::transformer::shakespeare_path();
    // ANCHOR: data
    let data = CharSplit::load(&path, 0.9)?; // en: nanoGPT's split // zh: nanoGPT 的划分
    assert_eq!(data.vocab_size(), 65); // en: characters // zh: 字符数
    assert_eq!((data.train().len(), data.val().len()), (1_003_854, 111_540));
    // ANCHOR_END: data
    Ok(data)
}

/// en: A window of T + 1 characters gives T inputs and T targets.
/// zh: T + 1 个字符的窗口给出 T 个输入和 T 个目标。
fn window(ids: &[u32], start: usize, t: usize) -> (Vec<u32>, Vec<i64>) {
    // ANCHOR: window
    let x = ids[start..start + t].to_vec();
    // en: the target of position i is the character at i + 1
    // zh: 位置 i 的目标是位置 i + 1 上的字符
    let y = ids[start + 1..start + t + 1]
        .iter()
        .map(|&c| i64::from(c))
        .collect();
    // ANCHOR_END: window
    (x, y)
}

/// en: Two windows of the validation text, side by side: a (B, T) batch.
/// zh: 验证文本的两个窗口并排放：一个 (B, T) 批次。
fn batch(ids: &[u32], t: usize) -> (Vec<u32>, Vec<i64>) {
    let (mut x, mut y) = window(ids, 0, t);
    let (x2, y2) = window(ids, 1000, t);
    x.extend(x2);
    y.extend(y2);
    (x, y)
}

/// en: The exact cross-entropy on the first 2049 validation characters.
/// zh: 验证集前 2049 个字符上的精确交叉熵。
fn val_ce(model: &Gpt<f32>, val: &[u32]) -> Result<f64> {
    Ok(evaluate(model, &mut Workspace::new(), &val[..2049], 32)?.mean)
}

fn train(data: &CharSplit) -> Result<Gpt<f32>> {
    let v = data.vocab_size();
    // ANCHOR: train
    let model = Gpt::<f32>::new(tiny(v), 1337)?;
    // en: At the start every character is about equally likely: CE ≈ ln V.
    // zh: 一开始每个字符的概率差不多相同：CE ≈ ln V。
    let before = val_ce(&model, data.val())?;
    assert!((before - (v as f64).ln()).abs() < 0.05);

    let mut trainer = Trainer::new(model, tiny_training())?;
    let mut losses = Vec::new();
    for _ in 0..trainer.config().max_iters {
        // en: mean CE of a random batch, its gradient, one AdamW step
        // zh: 随机批次的平均 CE、它的梯度、一步 AdamW
        losses.push(trainer.step(data.train())?.loss);
    }
    let after = val_ce(trainer.model(), data.val())?;
    assert!(after < before - 0.8); // en: the loss falls // zh: 损失下降
    // ANCHOR_END: train
    assert!(losses.iter().all(|l| l.is_finite()));
    let first: f64 = losses[..5].iter().sum::<f64>() / 5.0;
    let last: f64 = losses[losses.len() - 5..].iter().sum::<f64>() / 5.0;
    assert!(last < first - 0.5);
    println!("batch losses: {first:.4} -> {last:.4}");
    println!("validation CE: {before:.4} -> {after:.4} nats per character");
    Ok(trainer.model().clone())
}

/// en: The logits (B·T, V) of a batch as a matrix, in f64.
/// zh: 一个批次的 logits (B·T, V)，f64 矩阵。
fn logits(model: &Gpt<f64>, x: &[u32], b: usize, t: usize) -> DMatrix<f64> {
    let v = model.config().vocab_size;
    let mut ws = Workspace::new();
    let z = model.logits(&mut ws, x, b, t).expect("a valid batch");
    DMatrix::from_row_slice(b * t, v, z)
}

fn scalar(l: Loss) -> f64 {
    l.scalar().expect("a reduced loss")
}

fn shapes(model: &Gpt<f64>, val: &[u32]) -> Result<f64> {
    let (b, t) = (2, 16);
    let v = model.config().vocab_size;
    let (x, y) = batch(val, t);
    let mean = CrossEntropyOptions::default();
    // ANCHOR: right
    // en: logits (B, T, V) read as B·T rows of V; targets (B, T) as B·T.
    // zh: logits (B, T, V) 看作 B·T 行、每行 V 个；目标 (B, T) 看作 B·T 个。
    let z = logits(model, &x, b, t);
    assert_eq!(z.shape(), (b * t, v));
    let right = scalar(cross_entropy(&z, Target::Indices(&y), &mean)?);
    // en: the model's own loss is this crate's cross-entropy
    // zh: 模型自己的损失就是本库的交叉熵
    let mut ws = Workspace::new();
    let own = model.loss(&mut ws, &x, &y, b, t, Mean)?;
    assert!((right - own).abs() < TOL);
    // ANCHOR_END: right

    // ANCHOR: axis
    // en: (B, T, V) as it is: PyTorch's class axis is dim 1, here T.
    // zh: 原样的 (B, T, V)：PyTorch 的类别轴是第 1 维，这里是 T。
    let flat: Vec<f64> = (0..b * t)
        .flat_map(|r| z.row(r).iter().copied().collect::<Vec<_>>())
        .collect();
    let btv = ArrayD::from_shape_vec(IxDyn(&[b, t, v]), flat).unwrap();
    let y2 = ArrayD::from_shape_vec(IxDyn(&[b, t]), y.clone()).unwrap();
    let target = || NdTarget::Indices(y2.view());
    let wrong_axis = nd::cross_entropy(btv.view(), target(), &mean, false);
    // en: targets (B, T) do not match (B, d1) = (B, V): refused
    // zh: 目标 (B, T) 与 (B, d1) = (B, V) 不符：拒绝计算
    assert!(matches!(
        wrong_axis,
        Err(ce_mle::Error::ShapeMismatch { .. })
    ));
    // en: logits.transpose(1, 2): (B, V, T), the classes on dim 1
    // zh: logits.transpose(1, 2)：(B, V, T)，类别在第 1 维
    let bvt = btv.view().permuted_axes(IxDyn(&[0, 2, 1]));
    let out = nd::cross_entropy(bvt, target(), &mean, false)?;
    let transposed = out.output.first().copied().unwrap();
    assert!((transposed - right).abs() < TOL);
    // ANCHOR_END: axis
    Ok(right)
}

// ANCHOR: silent
// en: When T = V the wrong axis is not refused: it gives another number.
// zh: 当 T = V 时，错误的轴不会被拒绝：它给出另一个数。
fn silent_axis() -> Result<(f64, f64)> {
    // en: logits (B, T, V) = (1, 3, 3); row t holds position t's logits
    // zh: logits (B, T, V) = (1, 3, 3)；第 t 行是位置 t 的 logits
    let z = [1.0, 3.0, 0.0, 0.0, 1.0, 3.0, 3.0, 0.0, 1.0];
    let y = ArrayD::from_shape_vec(IxDyn(&[1, 3]), vec![1_i64, 2, 0]).unwrap();
    let btv = ArrayD::from_shape_vec(IxDyn(&[1, 3, 3]), z.to_vec()).unwrap();
    let opts = CrossEntropyOptions::default();
    let ce = |a: ndarray::ArrayViewD<f64>| -> Result<f64> {
        let target = NdTarget::Indices(y.view());
        let out = nd::cross_entropy(a, target, &opts, false)?;
        Ok(out.output.first().copied().unwrap())
    };
    let wrong = ce(btv.view())?; // en: classes read along T // zh: 沿 T 读类别
    let right = ce(btv.view().permuted_axes(IxDyn(&[0, 2, 1])))?;
    let rows = DMatrix::from_row_slice(3, 3, &z);
    let targets = Target::Indices(&[1, 2, 0]);
    let reshaped = scalar(cross_entropy(&rows, targets, &opts)?);
    assert!((right - reshaped).abs() < TOL);
    assert!((wrong - right).abs() > 0.1);
    Ok((right, wrong))
}
// ANCHOR_END: silent

/// en: The same tiny GPT trained on unshifted targets (y = x).
/// zh: 同一个微型 GPT，用未移位的目标（y = x）训练。
fn copycat(data: &CharSplit) -> Result<(f64, f64)> {
    let v = data.vocab_size();
    let (b, t) = (tiny_training().batch_size, tiny(v).block_size);
    // ANCHOR: copycat
    let model = Gpt::<f32>::new(tiny(v), 1337)?;
    let mut trainer = Trainer::new(model, tiny_training())?;
    let n = data.train().len() - t;
    for it in 0..trainer.config().max_iters {
        let mut x = Vec::new();
        for k in 0..b {
            let start = (it * 7919 + k * 104_729) % n;
            x.extend_from_slice(&data.train()[start..start + t]);
        }
        let y: Vec<i64> = x.iter().map(|&c| i64::from(c)).collect();
        trainer.step_on(&x, &y, b, t)?; // en: y = x, not shifted // zh: y = x，没有移位
    }
    // en: a small training loss and a useless next-character model
    // zh: 训练损失很小，预测下一个字符却毫无用处
    let (x, _) = window(data.val(), 0, t);
    let same: Vec<i64> = x.iter().map(|&c| i64::from(c)).collect();
    let mut ws = Workspace::new();
    let copy_loss = trainer.model().loss(&mut ws, &x, &same, 1, t, Mean)?;
    let next = val_ce(trainer.model(), data.val())?;
    assert!(copy_loss < 0.5 && next > (v as f64).ln());
    // ANCHOR_END: copycat
    Ok((copy_loss, next))
}

fn padding(model: &Gpt<f64>, val: &[u32]) -> Result<(f64, f64)> {
    let t = 16;
    let mut ws = Workspace::new();
    // ANCHOR: padding
    // en: Two texts of 16 and 10 targets, the second padded to T = 16.
    // zh: 两段文本，分别有 16 个和 10 个目标，第二段补齐到 T = 16。
    let (x1, y1) = window(val, 0, t);
    let (mut x2, mut y2) = window(val, 1000, 10);
    x2.resize(t, 0);
    y2.resize(t, IGNORE_INDEX); // en: -1: no target here // zh: -1：此处没有目标
    let x = [x1.clone(), x2.clone()].concat();
    let y = [y1.clone(), y2.clone()].concat();
    let padded = model.loss(&mut ws, &x, &y, 2, t, Mean)?;
    // en: the mean is over the 26 real targets: each text's NLL, unpadded
    // zh: 均值只对 26 个真实目标取：各段文本（不补齐）的 NLL 之和
    let nll1 = model.loss(&mut ws, &x1, &y1, 1, t, Sum)?;
    let nll2 = model.loss(&mut ws, &x2[..10], &y2[..10], 1, 10, Sum)?;
    assert!((padded - (nll1 + nll2) / 26.0).abs() < TOL);

    // en: Padding as a class (token 0, a newline) counts 6 fake targets.
    // zh: 把补齐当作一个类别（词元 0，换行符），就多算了 6 个假目标。
    let fake: Vec<i64> = y.iter().map(|&c| c.max(0)).collect();
    let wrong = model.loss(&mut ws, &x, &fake, 2, t, Mean)?;
    assert!((wrong - padded).abs() > 0.01);
    // ANCHOR_END: padding
    Ok((padded, wrong))
}

fn softmax_first(model: &Gpt<f64>, val: &[u32], right: f64) -> Result<f64> {
    let (b, t) = (2, 16);
    let (x, y) = batch(val, t);
    let z = logits(model, &x, b, t);
    let v = z.ncols() as f64;
    let mean = CrossEntropyOptions::default();
    // ANCHOR: softmax_first
    // en: nn.CrossEntropyLoss()(softmax(z), y): softmax applied twice.
    // zh: nn.CrossEntropyLoss()(softmax(z), y)：softmax 用了两次。
    let q = softmax(&z)?;
    let wrong = scalar(cross_entropy(&q, Target::Indices(&y), &mean)?);
    // en: inputs in [0, 1] summing to 1: the loss stays above
    //     ln V + 1/V − 1, whatever the model (Jensen's inequality)
    // zh: 输入在 [0, 1] 内且和为 1：无论模型如何，损失都不低于
    //     ln V + 1/V − 1（詹森不等式）
    let floor = v.ln() + 1.0 / v - 1.0;
    assert!(wrong >= floor && wrong > right);
    // ANCHOR_END: softmax_first
    Ok(wrong)
}

fn chain_rule(model: &Gpt<f64>, data: &CharSplit) -> Result<()> {
    let ids = |s: &str| -> Result<Vec<u32>> {
        let ids = data.vocab().encode(s)?;
        Ok(ids.into_iter().map(|i| i as u32).collect())
    };
    // ANCHOR: chain
    let context = ids("The sun is shining, and it's a beautiful")?;
    let day = ids(" day")?;
    // en: ln p(" day" | context) = Σ over its 4 characters of
    //     ln p(character | context and the characters before it)
    // zh: ln p(" day" | 上下文) = 对它的 4 个字符求和：
    //     ln p(字符 | 上下文及其前面的字符)
    let whole = log_prob(model, &context, &day)?;
    let mut by_char = 0.0;
    for i in 0..day.len() {
        let before = [context.as_slice(), &day[..i]].concat();
        by_char += log_prob(model, &before, &day[i..=i])?;
    }
    assert!((whole - by_char).abs() < TOL);
    // ANCHOR_END: chain

    // ANCHOR: text_nll
    // en: Σ_t CE_t of one pass over a text = −ln p(text) by the chain rule,
    //     checked against one pass per prefix.
    // zh: 一次前向计算得到的 Σ_t CE_t = 链式法则下的 −ln p(文本)，
    //     用每个前缀各算一次来核对。
    let text = ids("And it's a beautiful day.")?;
    let c = checks::chain_rule(model, &text[..17])?;
    assert!(c.gap_per_token() < TOL);
    let ce = c.batched_sum / c.tokens as f64; // en: nats per character // zh: 每字符奈特
    let (perplexity, bits) = (ce.exp(), ce / 2f64.ln());
    assert!(perplexity > 1.0 && bits > ce);
    // ANCHOR_END: text_nll
    Ok(())
}

fn gradients() -> Result<()> {
    // ANCHOR: gradcheck
    // en: The backward pass against finite differences, 3 entries per tensor.
    // zh: 反向传播与有限差分对照，每个张量取 3 个元素。
    let rep = checks::gradient_check(Some(3))?;
    assert!(rep.worst_relative < 1e-6);
    // ANCHOR_END: gradcheck
    Ok(())
}

fn main() -> Result<()> {
    assert_eq!(TOL, ce_mle_book::chapters::LISTING_TOLERANCE);
    let data = shakespeare()?;
    let v = data.vocab_size();
    assert_eq!(tiny(v), ce_mle_book::chapters::transformer::tiny_config(v));
    assert_eq!(
        tiny_training(),
        ce_mle_book::chapters::transformer::tiny_training()
    );
    let model = train(&data)?;
    let m64: Gpt<f64> = model.cast();
    let right = shapes(&m64, data.val())?;
    let (r, w) = silent_axis()?;
    let (copy, next) = copycat(&data)?;
    let (padded, fake) = padding(&m64, data.val())?;
    let twice = softmax_first(&m64, data.val(), right)?;
    chain_rule(&m64, &data)?;
    gradients()?;
    println!("right {right:.4}");
    println!("softmax twice {twice:.4}");
    println!("T = V: right {r:.4}, wrong axis {w:.4}");
    println!("copycat: copy {copy:.4}, next character {next:.4}");
    println!("padding: ignored {padded:.4}, as a class {fake:.4}");
    println!("every claim of the chapter checked");
    Ok(())
}
