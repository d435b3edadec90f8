#!/usr/bin/env python3
"""Golden fixture of the GPT (`ce_mle::lm::gpt`) from real PyTorch, in float64.

Writes tests/fixtures/gpt_golden.json (relative to the repository root): a small nanoGPT
(bias=False, dropout 0) with its weights, one batch (with padding targets -1), the logits,
the loss and the gradient of every parameter, then 10 training steps of nanoGPT's loop
(learning-rate schedule, AdamW with nanoGPT's parameter groups, gradient clipping): the loss
and gradient norm of each step and the parameters after the last one.

The model code below is nanoGPT's `model.py` (karpathy/nanoGPT, commit 3adf61e1, MIT licence)
reduced to what `bias=False`, `dropout=0` use: `LayerNorm`, `CausalSelfAttention` (the
flash path, `F.scaled_dot_product_attention(is_causal=True)`), `MLP`, `Block`, `GPT` with
the tied head, and `configure_optimizers`' two groups. The loop is `train.py`'s `get_lr`,
`clip_grad_norm_` and step order.

Run from the repository root (torch 2.15 CPU; see tools/golden/README.md):

    python3 tools/golden/gpt.py

Deterministic (fixed seed, one thread): a rerun with the same PyTorch gives the same file.
"""

import json
import math
import platform

import torch
import torch.nn as nn
from torch.nn import functional as F

PATH = "tests/fixtures/gpt_golden.json"
COMMAND = "python3 tools/golden/gpt.py"
SEED = 1337

CONFIG = dict(block_size=8, vocab_size=11, n_layer=2, n_head=2, n_embd=16)
BATCH = 2
STEPS = 10
TRAIN = dict(
    learning_rate=1e-2,
    min_lr=1e-3,
    warmup_iters=3,
    lr_decay_iters=8,
    weight_decay=0.1,
    beta1=0.9,
    beta2=0.99,
    eps=1e-8,
    grad_clip=1.0,
)


# ---- nanoGPT model.py, bias=False, dropout=0 -------------------------------------------------


class LayerNorm(nn.Module):
    def __init__(self, ndim):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(ndim))

    def forward(self, input):
        return F.layer_norm(input, self.weight.shape, self.weight, None, 1e-5)


class CausalSelfAttention(nn.Module):
    def __init__(self, config):
        super().__init__()
        assert config["n_embd"] % config["n_head"] == 0
        self.c_attn = nn.Linear(config["n_embd"], 3 * config["n_embd"], bias=False)
        self.c_proj = nn.Linear(config["n_embd"], config["n_embd"], bias=False)
        self.n_head = config["n_head"]
        self.n_embd = config["n_embd"]

    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
        k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=None, dropout_p=0, is_causal=True)
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return self.c_proj(y)


class MLP(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.c_fc = nn.Linear(config["n_embd"], 4 * config["n_embd"], bias=False)
        self.gelu = nn.GELU()
        self.c_proj = nn.Linear(4 * config["n_embd"], config["n_embd"], bias=False)

    def forward(self, x):
        return self.c_proj(self.gelu(self.c_fc(x)))


class Block(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.ln_1 = LayerNorm(config["n_embd"])
        self.attn = CausalSelfAttention(config)
        self.ln_2 = LayerNorm(config["n_embd"])
        self.mlp = MLP(config)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        x = x + self.mlp(self.ln_2(x))
        return x


class GPT(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.config = config
        self.transformer = nn.ModuleDict(
            dict(
                wte=nn.Embedding(config["vocab_size"], config["n_embd"]),
                wpe=nn.Embedding(config["block_size"], config["n_embd"]),
                h=nn.ModuleList([Block(config) for _ in range(config["n_layer"])]),
                ln_f=LayerNorm(config["n_embd"]),
            )
        )
        self.lm_head = nn.Linear(config["n_embd"], config["vocab_size"], bias=False)
        self.transformer.wte.weight = self.lm_head.weight
        self.apply(self._init_weights)
        for pn, p in self.named_parameters():
            if pn.endswith("c_proj.weight"):
                torch.nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * config["n_layer"]))

    def _init_weights(self, module):
        if isinstance(module, (nn.Linear, nn.Embedding)):
            torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)

    def forward(self, idx, targets):
        b, t = idx.size()
        pos = torch.arange(0, t, dtype=torch.long)
        x = self.transformer.wte(idx) + self.transformer.wpe(pos)
        for block in self.transformer.h:
            x = block(x)
        x = self.transformer.ln_f(x)
        logits = self.lm_head(x)
        loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1), ignore_index=-1)
        return logits, loss

    def configure_optimizers(self, weight_decay, learning_rate, betas, eps):
        param_dict = {pn: p for pn, p in self.named_parameters() if p.requires_grad}
        decay_params = [p for n, p in param_dict.items() if p.dim() >= 2]
        nodecay_params = [p for n, p in param_dict.items() if p.dim() < 2]
        optim_groups = [
            {"params": decay_params, "weight_decay": weight_decay},
            {"params": nodecay_params, "weight_decay": 0.0},
        ]
        return torch.optim.AdamW(optim_groups, lr=learning_rate, betas=betas, eps=eps)


# ---- train.py's schedule ---------------------------------------------------------------------


def get_lr(it):
    c = TRAIN
    if it < c["warmup_iters"]:
        return c["learning_rate"] * (it + 1) / (c["warmup_iters"] + 1)
    if it > c["lr_decay_iters"]:
        return c["min_lr"]
    decay_ratio = (it - c["warmup_iters"]) / (c["lr_decay_iters"] - c["warmup_iters"])
    coeff = 0.5 * (1.0 + math.cos(math.pi * decay_ratio))
    return c["min_lr"] + coeff * (c["learning_rate"] - c["min_lr"])


# ---------------------------------------------------------------------------------------------


def flat(t):
    return t.detach().double().reshape(-1).tolist()


def named(model):
    return {n: flat(p) for n, p in model.named_parameters()}


def main():
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    torch.manual_seed(SEED)
    torch.set_default_dtype(torch.float64)
    model = GPT(CONFIG)
    # nanoGPT's initialisation gives weights of std 0.02, near-uniform attention and tiny
    # gradients; a check should exercise every term, so widen the weights (x10, std ~0.2)
    # and make the LayerNorm weights differ from 1.
    with torch.no_grad():
        for n, p in model.named_parameters():
            if p.dim() >= 2:
                p.mul_(10.0)
            else:
                p.add_(0.1 * torch.randn_like(p))
    init = named(model)
    V, T = CONFIG["vocab_size"], CONFIG["block_size"]
    stream = torch.randint(0, V, (200,))

    def batch():
        ix = torch.randint(len(stream) - T, (BATCH,))
        x = torch.stack([stream[i : i + T] for i in ix])
        y = torch.stack([stream[i + 1 : i + 1 + T] for i in ix])
        return x, y

    # The first batch, with padding: the last two targets of the second sequence.
    x0, y0 = batch()
    y0[1, -2:] = -1
    logits, loss = model(x0, y0)
    loss.backward()
    grads = {n: flat(p.grad) for n, p in model.named_parameters()}
    model.zero_grad(set_to_none=True)

    c = TRAIN
    opt = model.configure_optimizers(c["weight_decay"], c["learning_rate"], (c["beta1"], c["beta2"]), c["eps"])
    steps = []
    for it in range(STEPS):
        lr = get_lr(it)
        for g in opt.param_groups:
            g["lr"] = lr
        x, y = (x0, y0) if it == 0 else batch()
        _, loss = model(x, y)
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(model.parameters(), c["grad_clip"])
        opt.step()
        opt.zero_grad(set_to_none=True)
        steps.append(
            dict(x=x.tolist(), y=y.tolist(), lr=lr, loss=loss.item(), grad_norm=norm.item())
        )

    out = dict(
        generator="tools/golden/gpt.py",
        command=COMMAND,
        torch_version=torch.__version__,
        python_version=platform.python_version(),
        seed=SEED,
        notes=(
            "nanoGPT (bias=False, dropout=0) in float64; weights: nanoGPT's init, matrices x10, "
            "LayerNorm weights 1 + 0.1 N(0,1). Parameters flat, row-major, PyTorch shapes, "
            "named_parameters() order (lm_head.weight is tied to transformer.wte.weight). "
            "logits (B, T, V) flat; loss = F.cross_entropy(ignore_index=-1, mean). "
            "steps[i]: batch, lr = get_lr(i), loss before the update, grad_norm = total norm "
            "before clipping (clip_grad_norm_). AdamW with nanoGPT's groups: weight decay on "
            "tensors of >= 2 dims only."
        ),
        config=CONFIG,
        batch_size=BATCH,
        train=TRAIN,
        params=init,
        shapes={n: list(p.shape) for n, p in model.named_parameters()},
        x=x0.tolist(),
        y=y0.tolist(),
        logits=flat(logits),
        loss=steps[0]["loss"],
        grads=grads,
        steps=steps,
        final_params=named(model),
    )
    with open(PATH, "w") as f:
        json.dump(out, f, indent=None, separators=(",", ":"))
        f.write("\n")
    size = len(json.dumps(out))
    print(f"wrote {PATH} ({size} bytes); loss {steps[0]['loss']:.6f} -> {steps[-1]['loss']:.6f}")
    print("grad norms:", [round(s["grad_norm"], 4) for s in steps])


if __name__ == "__main__":
    main()
