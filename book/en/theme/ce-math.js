// The arithmetic of the book's interactive widgets (theme/widgets.js), kept apart from the
// page code so that a test can run it outside a browser: book/tests/widgets.rs evaluates
// this file in QuickJS and compares every function with the ce-mle crate on fixed cases.
// Plain ES2015, no imports, no DOM; it defines one global, CeMath.
//
// Logits z are arrays of numbers (the class axis); a class y is an index 0..C-1; T > 0 is a
// temperature (the logits are divided by it); eps in [0, 1] is PyTorch's label_smoothing.
// All values are in nats.
var CeMath = (function () {
  "use strict";

  function scaled(z, T) {
    var t = T === undefined ? 1 : T;
    return z.map(function (v) {
      return v / t;
    });
  }

  // The largest logit m, its index, and r = sum over the other classes of e^(z_k - m), so
  // that lse(z) = m + log1p(r) (the stable form of the chapter on softmax).
  function split(z) {
    var arg = 0;
    for (var k = 1; k < z.length; k++) {
      if (z[k] > z[arg]) {
        arg = k;
      }
    }
    var m = z[arg];
    var r = 0;
    for (var j = 0; j < z.length; j++) {
      if (j !== arg) {
        r += Math.exp(z[j] - m);
      }
    }
    return { m: m, r: r };
  }

  // log-sum-exp of z / T.
  function logsumexp(z, T) {
    var s = split(scaled(z, T));
    return s.m + Math.log1p(s.r);
  }

  // log softmax(z / T), each component (z_k / T - m) - log1p(r).
  function logSoftmax(z, T) {
    var x = scaled(z, T);
    var s = split(x);
    var l = Math.log1p(s.r);
    return x.map(function (v) {
      return v - s.m - l;
    });
  }

  // softmax(z / T).
  function softmax(z, T) {
    var x = scaled(z, T);
    var s = split(x);
    return x.map(function (v) {
      return Math.exp(v - s.m) / (1 + s.r);
    });
  }

  // The target of class y among C classes, smoothed: (1 - eps) onehot(y) + eps / C.
  function smoothedTarget(y, C, eps) {
    var e = eps || 0;
    var t = [];
    for (var k = 0; k < C; k++) {
      t.push((k === y ? 1 - e : 0) + e / C);
    }
    return t;
  }

  // Cross-entropy of class y under softmax(z / T) with label smoothing eps, as PyTorch's
  // cross_entropy(z / T, y, label_smoothing=eps):
  // (1 - eps) (-log q_y) + (eps / C) sum_k (-log q_k).
  function crossEntropy(z, y, eps, T) {
    var e = eps || 0;
    var ls = logSoftmax(z, T);
    var C = ls.length;
    var all = 0;
    for (var k = 0; k < C; k++) {
      all -= ls[k];
    }
    return (1 - e) * -ls[y] + (e / C) * all;
  }

  // The gradient of crossEntropy with respect to z: (softmax(z / T) - target) / T.
  function gradient(z, y, eps, T) {
    var t = T === undefined ? 1 : T;
    var q = softmax(z, T);
    var target = smoothedTarget(y, q.length, eps);
    return q.map(function (v, k) {
      return (v - target[k]) / t;
    });
  }

  // Entropy -sum p log p (0 log 0 = 0): the smallest loss a model can reach on the target p.
  function entropy(p) {
    var h = 0;
    for (var k = 0; k < p.length; k++) {
      if (p[k] > 0) {
        h -= p[k] * Math.log(p[k]);
      }
    }
    return h;
  }

  return {
    logsumexp: logsumexp,
    logSoftmax: logSoftmax,
    softmax: softmax,
    smoothedTarget: smoothedTarget,
    crossEntropy: crossEntropy,
    gradient: gradient,
    entropy: entropy,
  };
})();
