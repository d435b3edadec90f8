// The book's interactive widgets: plain JavaScript, no network, no framework. A page asks
// for one with an element
//   <div class='ce-widget' data-widget='softmax' data-logits='(2, 1, 0.1)' data-class='0'>
//   <div class='ce-widget' data-widget='smoothing' data-logits='…' data-class='0' data-eps='0.1'>
// whose content (a sentence for readers without JavaScript) is replaced by sliders and bars.
// The arithmetic is CeMath (theme/ce-math.js, loaded first), which book/tests/widgets.rs
// checks against the ce-mle crate. The labels follow the page's language (<html lang>).
(function () {
  "use strict";
  if (typeof document === "undefined" || typeof CeMath === "undefined") {
    return;
  }

  var ZH = (document.documentElement.lang || "").indexOf("zh") === 0;
  var T = ZH
    ? {
        logit: "logit",
        shift: "平移 s（加到每个 logit 上）",
        temp: "温度 T",
        observed: "观测类别 y",
        classes: "类别数 C",
        cls: "类别",
        prob: "概率 q = softmax((z + s) / T)",
        grad: "梯度 ∂CE/∂z = (q − y) / T",
        loss: "损失 −log q",
        lse: "lse((z + s) / T)",
        shifted: "z + s",
        nats: "奈特",
        unchanged: "移动 s：只有 z + s 和 lse 在变，q、损失和梯度都不变（平移不变性）。",
        eps: "标签平滑 ε",
        target: "平滑后的目标 yᵋ",
        model: "模型 q = softmax(z)",
        smoothLoss: "这组 logits 的损失 CE(yᵋ, q)",
        minLoss: "可能的最小损失 H(yᵋ)，在 q = yᵋ 处取到",
        gap: "最优处的 logit 差 log((1 − ε + ε/C) / (ε/C))",
      }
    : {
        logit: "logit",
        shift: "shift s (added to every logit)",
        temp: "temperature T",
        observed: "observed class y",
        classes: "classes C",
        cls: "class",
        prob: "probability q = softmax((z + s) / T)",
        grad: "gradient ∂CE/∂z = (q − y) / T",
        loss: "loss −log q",
        lse: "lse((z + s) / T)",
        shifted: "z + s",
        nats: "nats",
        unchanged:
          "Move s: only z + s and lse change; q, the loss and the gradient do not (shift invariance).",
        eps: "label smoothing ε",
        target: "smoothed target yᵋ",
        model: "model q = softmax(z)",
        smoothLoss: "loss of these logits CE(yᵋ, q)",
        minLoss: "smallest possible loss H(yᵋ), reached at q = yᵋ",
        gap: "logit gap at the optimum log((1 − ε + ε/C) / (ε/C))",
      };

  var SUB = "₀₁₂₃₄₅₆₇₈₉";
  function sub(k) {
    return String(k)
      .split("")
      .map(function (d) {
        return SUB[+d];
      })
      .join("");
  }

  // A number for the page: fixed decimals, U+2212 for the minus sign, ∞ for infinity.
  function fmt(x, digits) {
    if (x === Infinity) {
      return "∞";
    }
    var s = x.toFixed(digits === undefined ? 4 : digits);
    if (/^-0\.?0*$/.test(s)) {
      s = s.slice(1);
    }
    return s.replace("-", "−");
  }

  function tuple(xs, digits) {
    return (
      "(" +
      xs
        .map(function (x) {
          return fmt(x, digits);
        })
        .join(", ") +
      ")"
    );
  }

  // "(2.0, 1.0, 0.1)" or "2, 1, 0.1" → [2, 1, 0.1]; U+2212 is read as a minus sign.
  function parseList(s) {
    return String(s || "")
      .replace(/[()\s]/g, "")
      .replace(/\u2212/g, "-")
      .split(",")
      .filter(function (t) {
        return t !== "";
      })
      .map(Number);
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) {
      e.className = cls;
    }
    if (text !== undefined) {
      e.textContent = text;
    }
    return e;
  }

  var STYLE =
    ".ce-widget{border:1px solid var(--quote-border,#8884);border-radius:4px;" +
    "padding:.6em .8em;margin:1em 0;background:var(--quote-bg,transparent);" +
    "box-sizing:border-box;max-width:100%;overflow-wrap:anywhere}" +
    ".ce-widget .ce-row{display:flex;flex-wrap:wrap;align-items:center;gap:.2em .6em;" +
    "margin:.25em 0}" +
    ".ce-widget .ce-row label{flex:0 0 auto;min-width:3em}" +
    ".ce-widget input[type=range]{flex:1 1 10em;min-width:0;max-width:100%;margin:0}" +
    ".ce-widget .ce-num{font-variant-numeric:tabular-nums;min-width:4em;text-align:right}" +
    ".ce-widget .ce-grid{display:grid;grid-template-columns:auto minmax(0,1fr) minmax(0,1fr);" +
    "gap:.3em .6em;align-items:center;margin-top:.6em}" +
    ".ce-widget .ce-head{font-size:.85em;opacity:.85}" +
    ".ce-widget .ce-bar{position:relative;height:1.4em;background:rgba(128,128,128,.15);" +
    "overflow:hidden}" +
    ".ce-widget .ce-bar>span{position:absolute;top:0;bottom:0;opacity:.55}" +
    ".ce-widget .ce-bar>b{position:relative;font-weight:normal;font-size:.85em;" +
    "padding:0 .3em;font-variant-numeric:tabular-nums;line-height:1.65em}" +
    ".ce-widget .ce-pos{background:#0072B2}" +
    ".ce-widget .ce-neg{background:#D55E00}" +
    ".ce-widget .ce-tgt{background:#009E73}" +
    ".ce-widget .ce-mid{position:absolute;left:50%;top:0;bottom:0;width:1px;" +
    "background:var(--fg,#000)}" +
    ".ce-widget .ce-out{margin:.4em 0 0;font-variant-numeric:tabular-nums}" +
    ".ce-widget .ce-note{font-size:.85em;margin:.4em 0 0}" +
    ".ce-widget .ce-obs{font-weight:bold}";

  function addStyle() {
    if (document.getElementById("ce-widget-style")) {
      return;
    }
    var s = el("style");
    s.id = "ce-widget-style";
    s.textContent = STYLE;
    document.head.appendChild(s);
  }

  // A labelled slider; onInput(value) runs on every move.
  function slider(parent, label, min, max, step, value, onInput) {
    var row = el("div", "ce-row");
    var id = "ce-w-" + Math.random().toString(36).slice(2);
    var lab = el("label", "", label);
    lab.htmlFor = id;
    var input = el("input");
    input.type = "range";
    input.id = id;
    input.min = min;
    input.max = max;
    input.step = step;
    input.value = value;
    var out = el("span", "ce-num", fmt(value, 2));
    input.addEventListener("input", function () {
      out.textContent = fmt(+input.value, 2);
      onInput(+input.value);
    });
    row.appendChild(lab);
    row.appendChild(input);
    row.appendChild(out);
    parent.appendChild(row);
    return input;
  }

  // A bar from 0 (left) for a value in [0, 1].
  function probBar(cls) {
    var bar = el("div", "ce-bar");
    var fill = el("span", cls);
    fill.style.left = "0";
    var label = el("b");
    bar.appendChild(fill);
    bar.appendChild(label);
    return {
      node: bar,
      set: function (v) {
        fill.style.width = (100 * Math.max(0, Math.min(1, v))).toFixed(2) + "%";
        label.textContent = fmt(v);
      },
    };
  }

  // A bar from the middle for a value in [-1, 1] (scaled by `scale`).
  function signedBar() {
    var bar = el("div", "ce-bar");
    var fill = el("span");
    var mid = el("span", "ce-mid");
    var label = el("b");
    bar.appendChild(fill);
    bar.appendChild(mid);
    bar.appendChild(label);
    return {
      node: bar,
      set: function (v, scale) {
        var w = Math.min(1, Math.abs(v) / scale) * 50;
        fill.className = v < 0 ? "ce-neg" : "ce-pos";
        fill.style.width = w.toFixed(2) + "%";
        fill.style.left = (v < 0 ? 50 - w : 50).toFixed(2) + "%";
        label.textContent = fmt(v);
      },
    };
  }

  // A row of radio buttons labelled `label`, one per value in `values`.
  function picker(parent, label, values, chosen, onPick) {
    var row = el("div", "ce-row");
    row.appendChild(el("span", "", label));
    var name = "ce-r-" + Math.random().toString(36).slice(2);
    values.forEach(function (v) {
      var lab = el("label");
      var r = el("input");
      r.type = "radio";
      r.name = name;
      r.value = v;
      r.checked = v === chosen;
      r.addEventListener("change", function (e) {
        onPick(+e.target.value);
      });
      lab.appendChild(r);
      lab.appendChild(document.createTextNode(" " + v));
      row.appendChild(lab);
    });
    parent.appendChild(row);
  }

  function classPicker(parent, C, y, onPick) {
    var classes = [];
    for (var k = 0; k < C; k++) classes.push(k);
    picker(parent, T.observed, classes, y, onPick);
  }

  // state (optional): the logits, class, shift and temperature to start from, when the
  // reader changes the number of classes and the widget is drawn again.
  function softmaxWidget(root, state) {
    var z = state ? state.z : parseList(root.getAttribute("data-logits"));
    var y = state ? state.y : +(root.getAttribute("data-class") || 0);
    var s = state ? state.s : 0;
    var temp = state ? state.temp : 1;
    var C = z.length;
    root.textContent = "";
    var rows = [];
    picker(root, T.classes, [3, 4], C, function (c) {
      var next = c > z.length ? z.concat([0]) : z.slice(0, c);
      softmaxWidget(root, { z: next, y: y < c ? y : 0, s: s, temp: temp });
    });
    for (var k = 0; k < C; k++) {
      (function (k) {
        slider(root, T.logit + " z" + sub(k), -8, 8, 0.1, z[k], function (v) {
          z[k] = v;
          update();
        });
      })(k);
    }
    slider(root, T.shift, -5, 5, 0.1, s, function (v) {
      s = v;
      update();
    });
    slider(root, T.temp, 0.25, 4, 0.05, temp, function (v) {
      temp = v;
      update();
    });
    classPicker(root, C, y, function (v) {
      y = v;
      update();
    });
    var grid = el("div", "ce-grid");
    grid.appendChild(el("span", "ce-head", T.cls));
    grid.appendChild(el("span", "ce-head", T.prob));
    grid.appendChild(el("span", "ce-head", T.grad));
    for (var j = 0; j < C; j++) {
      var name = el("span", "", String(j));
      var p = probBar("ce-pos");
      var g = signedBar();
      grid.appendChild(name);
      grid.appendChild(p.node);
      grid.appendChild(g.node);
      rows.push({ name: name, p: p, g: g });
    }
    root.appendChild(grid);
    var loss = el("p", "ce-out");
    var moved = el("p", "ce-out");
    root.appendChild(loss);
    root.appendChild(moved);
    root.appendChild(el("p", "ce-note", T.unchanged));

    function update() {
      var zs = z.map(function (v) {
        return v + s;
      });
      var q = CeMath.softmax(zs, temp);
      var grad = CeMath.gradient(zs, y, 0, temp);
      var scale = Math.max(1, 1 / temp);
      for (var k = 0; k < C; k++) {
        rows[k].name.textContent = (k === y ? "● " : "") + k;
        rows[k].name.className = k === y ? "ce-obs" : "";
        rows[k].p.set(q[k]);
        rows[k].g.set(grad[k], scale);
      }
      loss.textContent =
        T.loss + sub(y) + " = " + fmt(CeMath.crossEntropy(zs, y, 0, temp)) + " " + T.nats;
      moved.textContent =
        T.shifted + " = " + tuple(zs, 2) + ", " + T.lse + " = " + fmt(CeMath.logsumexp(zs, temp));
    }
    update();
  }

  function smoothingWidget(root) {
    var z = parseList(root.getAttribute("data-logits"));
    var y = +(root.getAttribute("data-class") || 0);
    var eps = +(root.getAttribute("data-eps") || 0);
    var C = z.length;
    root.textContent = "";
    slider(root, T.eps, 0, 1, 0.01, eps, function (v) {
      eps = v;
      update();
    });
    classPicker(root, C, y, function (v) {
      y = v;
      update();
    });
    var grid = el("div", "ce-grid");
    grid.appendChild(el("span", "ce-head", T.cls));
    grid.appendChild(el("span", "ce-head", T.target));
    grid.appendChild(el("span", "ce-head", T.model + ", z = " + tuple(z, 2)));
    var rows = [];
    for (var k = 0; k < C; k++) {
      var name = el("span", "", String(k));
      var t = probBar("ce-tgt");
      var p = probBar("ce-pos");
      grid.appendChild(name);
      grid.appendChild(t.node);
      grid.appendChild(p.node);
      rows.push({ name: name, t: t, p: p });
    }
    root.appendChild(grid);
    var loss = el("p", "ce-out");
    var min = el("p", "ce-out");
    var gap = el("p", "ce-out");
    root.appendChild(loss);
    root.appendChild(min);
    root.appendChild(gap);

    function update() {
      var target = CeMath.smoothedTarget(y, C, eps);
      var q = CeMath.softmax(z);
      for (var k = 0; k < C; k++) {
        rows[k].name.textContent = (k === y ? "● " : "") + k;
        rows[k].name.className = k === y ? "ce-obs" : "";
        rows[k].t.set(target[k]);
        rows[k].p.set(q[k]);
      }
      loss.textContent = T.smoothLoss + " = " + fmt(CeMath.crossEntropy(z, y, eps)) + " " + T.nats;
      min.textContent = T.minLoss + " = " + fmt(CeMath.entropy(target)) + " " + T.nats;
      var off = eps / C;
      gap.textContent = T.gap + " = " + (off > 0 ? fmt(Math.log((1 - eps + off) / off)) : "∞");
    }
    update();
  }

  function start() {
    var nodes = document.querySelectorAll(".ce-widget[data-widget]");
    if (nodes.length === 0) {
      return;
    }
    addStyle();
    for (var i = 0; i < nodes.length; i++) {
      var kind = nodes[i].getAttribute("data-widget");
      if (kind === "softmax") {
        softmaxWidget(nodes[i]);
      } else if (kind === "smoothing") {
        smoothingWidget(nodes[i]);
      }
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
