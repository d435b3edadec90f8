#!/usr/bin/env node
// Opens every page of the built books in Debian's headless Chromium and checks what a reader
// sees: raw TeX, unexpanded {{#…}} directives, broken internal links and images, CJK text
// without a CJK font, formulas without a math font. See README.md beside this file.
//
//   node tests/browser/check.js [--screenshots DIR] [--shoot a.html,b.html] [--no-print] BOOK_ROOT
//   node tests/browser/check.js --self-test
//
// BOOK_ROOT holds one directory per language (target/book-check/{zh,en}). Exit status: 0 when
// every check passes, 1 with a list of failures (page, check, detail), 2 on bad usage.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { pathToFileURL, fileURLToPath } = require('url');
const { chromium } = require('playwright-core');

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
// Families that draw Chinese: Noto/Source Han (fonts-noto-cjk), WenQuanYi, Droid fallback, AR PL.
const CJK_FONT = /CJK|Noto Sans SC|Noto Serif SC|Source Han|WenQuanYi|Droid Sans Fallback|AR PL/i;
// Fonts with an OpenType MATH table, which MathML layout needs
// (Latin Modern Math, STIX Two Math, DejaVu Math TeX Gyre, Noto Sans Math, …).
const MATH_FONT = /\bMath\b/i;
const MAX_CJK_PROBES = 2000; // elements per page whose fonts are asked for
const MAX_MATH_PROBES = 12;
// Viewport widths: a desktop window, and a phone (390 CSS px: iPhone 12 to 15).
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };
// Punctuation that must not start a line, and opening brackets that must not end one.
const PUNCTUATION = {
  closing: '，。、；：？！）」』”’》】〉〕］｝,.;:!?)',
  opening: '（「『“‘《【〈〔［｛(',
};
// Queries the search box must answer in each book (mdBook's search, with the books'
// theme/search-cjk.js for Chinese), and a control query no page contains.
const SEARCH = { zh: ['交叉熵', 'softmax'], en: ['softmax'] };
const SEARCH_CONTROL = ['qzxqzx', '鼅鼅'];

// --------------------------------------------------------------------------------------------
// Run in the page
// --------------------------------------------------------------------------------------------

/** Everything the checks need from one loaded page; marks the math tokens to probe for fonts. */
async function inspectPage({ maxMath }) {
  const MATHML = 'http://www.w3.org/1998/Math/MathML';
  // Text a reader does not see as prose: code samples, TeX kept as MathML annotation.
  const NOT_PROSE = new Set(['code', 'pre', 'kbd', 'samp', 'script', 'style', 'noscript',
    'textarea', 'template', 'annotation', 'annotation-xml']);
  const BLOCK = 'p,li,td,th,h1,h2,h3,h4,h5,h6,dt,dd,figcaption,caption,blockquote,summary,' +
    'label,div,nav,header,footer,main,aside,section,article,body';

  // Images: force eager loading, wait until each has loaded or failed.
  const imgs = [...document.images];
  await Promise.all(imgs.map((img) => {
    img.loading = 'eager';
    return img.decode().catch(() => {});
  }));
  await document.fonts.ready;

  // Visible prose, one string per block element; code becomes ⟨code⟩, a formula ⟨math⟩,
  // and the text of MathML tokens is kept apart (a backslash there is TeX, the rest is not).
  const blocks = new Map();
  const mathText = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!el || !el.checkVisibility()) continue;
    let hidden = null;
    let math = null;
    for (let a = el; a; a = a.parentElement) {
      if (NOT_PROSE.has(a.localName)) hidden = a;
      if (a.namespaceURI === MATHML && a.localName === 'math') math = a;
    }
    if (hidden && hidden.localName.startsWith('annotation')) continue;
    const outer = math || hidden; // the inline element that stands in for the text
    const block = (outer ? outer.parentElement : el).closest(BLOCK) || document.body;
    if (!blocks.has(block)) blocks.set(block, []);
    const parts = blocks.get(block);
    if (outer) {
      if (parts.at(-1) !== outer) parts.push(outer);
      if (math && !hidden) mathText.push(node.data);
    } else {
      parts.push(node.data);
    }
  }
  const prose = [...blocks.values()].map((parts) => parts
    .map((p) => (typeof p === 'string' ? p : p.localName === 'math' ? '⟨math⟩' : '⟨code⟩'))
    .join('').replace(/\s+/g, ' ').trim()).filter((s) => s);

  const katexErrors = [...document.querySelectorAll('.katex-error, merror')]
    .map((e) => e.getAttribute('title') || e.textContent);

  const links = [...document.querySelectorAll('a[href], area[href]')].map((a) => ({
    href: a.getAttribute('href'),
    url: a.href,
  }));
  const ids = [...document.querySelectorAll('[id]')].map((e) => e.id)
    .concat([...document.querySelectorAll('a[name]')].map((a) => a.name));

  const images = imgs.map((img) => ({
    src: img.getAttribute('src'),
    url: img.currentSrc || img.src,
    ok: img.complete && img.naturalWidth > 0,
  }));

  // Font probes for MathML identifiers and numbers, and for accents (the bar of z̄: a
  // character the math font lacks falls back to a text font; Han text: probeCjk).
  for (const selector of ['math mi, math mn', 'math mover[accent="true"] > mo:last-child']) {
    let mathProbes = 0;
    for (const el of document.querySelectorAll(selector)) {
      if (mathProbes >= maxMath) break;
      if (!el.textContent.trim() || !el.checkVisibility()) continue;
      el.setAttribute('data-probe-math', '1');
      el.setAttribute('data-probe-text', el.textContent.trim());
      mathProbes++;
    }
  }

  return {
    prose,
    mathText,
    katexErrors,
    links,
    ids,
    images,
    formulas: document.getElementsByTagNameNS(MATHML, 'math').length,
  };
}

/**
 * Marks the elements whose own text has Han characters (for CSS.getPlatformFontsForNode) and
 * looks for tofu among those characters. Runs in an HTML page or an SVG figure.
 */
function probeCjk({ maxCjk }) {
  const MATHML = 'http://www.w3.org/1998/Math/MathML';
  const HAN = /\p{Script=Han}/gu;
  const probes = [];
  for (const el of document.documentElement.querySelectorAll('*')) {
    if (probes.length >= maxCjk) break;
    if (el.namespaceURI === MATHML || !el.checkVisibility()) continue;
    let own = '';
    for (const c of el.childNodes) if (c.nodeType === Node.TEXT_NODE) own += c.data;
    const han = own.match(HAN);
    if (!han) continue;
    el.setAttribute('data-probe-cjk', String(han.length));
    el.setAttribute('data-probe-text', own.replace(/\s+/g, ' ').trim().slice(0, 40));
    probes.push([el, han]);
  }
  // Tofu: a Han character that no installed font has is drawn as the first font's .notdef box
  // (and CSS.getPlatformFontsForNode still credits that font), so compare each character drawn
  // on a canvas in the element's font-family with a code point no font has.
  const g = new OffscreenCanvas(40, 40).getContext('2d', { willReadFrequently: true });
  const draw = (family, ch) => {
    g.clearRect(0, 0, 40, 40);
    g.font = `32px ${family}`;
    g.fillText(ch, 2, 34);
    return g.getImageData(0, 0, 40, 40).data;
  };
  const same = (a, b) => a.every((v, i) => v === b[i]);
  const tofu = [];
  const tried = new Set();
  for (const [el, han] of probes) {
    const family = getComputedStyle(el).fontFamily;
    const notdef = draw(family, '\u{10FFFD}');
    for (const ch of new Set(han)) {
      if (tried.has(family + ch)) continue;
      tried.add(family + ch);
      const glyph = draw(family, ch);
      if (same(glyph, notdef) || glyph.every((v) => v === 0)) {
        tofu.push({ ch, text: el.getAttribute('data-probe-text') });
      }
    }
  }
  return { tofu, hanChecked: tried.size };
}

/**
 * What a reader at this viewport width sees go wrong in the layout of `main`:
 * - `overflow`: text, a formula, an image or a table reaching past the right edge of the page
 *   outside any sideways-scrolling container (mdBook's body has `overflow-x: hidden`, so it is
 *   cut off, not scrollable); a scrolling container must itself fit in the page;
 * - `line-start`: closing punctuation (，。、；：？！）” and , . ; : ! ? )) at the start of a
 *   line, or an opening bracket or quote (（“ and () at the end of one, outside code blocks.
 */
function layoutProbe({ closing, opening }) {
  const MATHML = 'http://www.w3.org/1998/Math/MathML';
  const BLOCK = 'p,li,td,th,h1,h2,h3,h4,h5,h6,dt,dd,figcaption,caption,blockquote,summary,div,main,body';
  const main = document.querySelector('main') || document.body;
  const width = document.documentElement.clientWidth;
  const out = { overflow: [], lineStart: [], checked: { overflow: 0, punctuation: 0 } };
  // A sideways-scrolling container inside `main` (mdBook's `.content` around it scrolls too,
  // but that is the whole page moving sideways: overflow).
  const scroller = (el) => {
    for (let a = el; a && a !== main; a = a.parentElement) {
      const ox = getComputedStyle(a).overflowX;
      if (ox === 'auto' || ox === 'scroll') return a;
    }
    return null;
  };
  const snippet = (t) => t.replace(/\s+/g, ' ').trim().slice(0, 60);
  const mathOf = (node) => {
    for (let a = node.parentElement; a; a = a.parentElement) {
      if (a.namespaceURI === MATHML && a.localName === 'math') return a;
    }
    return null;
  };

  // Overflow.
  const containers = new Set();
  const walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!el || !node.data.trim() || !el.checkVisibility() || mathOf(node)) continue;
    if (el.closest('annotation, annotation-xml')) continue;
    const box = scroller(el);
    if (box) { containers.add(box); continue; }
    const r = document.createRange();
    r.selectNodeContents(node);
    const rect = r.getBoundingClientRect();
    out.checked.overflow++;
    if (rect.width > 0 && rect.right > width + 1) {
      out.overflow.push(`"${snippet(node.data)}" reaches ${Math.round(rect.right - width)} px past the page`);
    }
  }
  for (const el of main.querySelectorAll('math, img, svg, table, pre, video, iframe')) {
    if (!el.checkVisibility()) continue;
    const box = scroller(el.parentElement);
    if (box) { containers.add(box); continue; }
    const rect = el.getBoundingClientRect();
    out.checked.overflow++;
    if (rect.width > 0 && rect.right > width + 1) {
      const what = el.localName === 'math' ? `formula "${snippet(el.textContent)}"` : `<${el.localName}>`;
      out.overflow.push(`${what} reaches ${Math.round(rect.right - width)} px past the page`);
    }
  }
  for (const box of containers) {
    const rect = box.getBoundingClientRect();
    out.checked.overflow++;
    if (rect.right > width + 1) {
      out.overflow.push(`a sideways-scrolling <${box.localName}> reaches ${Math.round(rect.right - width)} px past the page`);
    }
  }

  // Punctuation at a line start (or an opening bracket at a line end). Leaves in document
  // order: characters of prose text and whole formulas; `prev` is the one before, in the same
  // block. A leaf starts a new line when it lies left of the previous one and lower down.
  const rectOf = (leaf) => {
    if (leaf.el) return leaf.el.getBoundingClientRect();
    const r = document.createRange();
    r.setStart(leaf.node, leaf.i);
    r.setEnd(leaf.node, leaf.i + 1);
    return r.getClientRects()[0] || null;
  };
  // `b` is on a later line than `a`: lower down, and not to its right.
  const wraps = (a, b) => {
    const ra = rectOf(a);
    const rb = rectOf(b);
    return ra && rb && rb.left < ra.right - 1 && rb.top > ra.top + 1;
  };
  // ASCII punctuation counts only next to a formula (a path such as ../a.txt in prose may
  // break anywhere); full-width punctuation everywhere.
  const counts = (ch, other) => ch.charCodeAt(0) > 0x7f || Boolean(other.el);
  const context = (leaf) => (leaf.el ? `⟨formula "${snippet(leaf.el.textContent).slice(0, 20)}"⟩`
    : snippet(leaf.node.data.slice(Math.max(0, leaf.i - 12), leaf.i + 12)));
  let prev = null;
  const visit = (leaf, block) => {
    if (prev && prev.block !== block) prev = null;
    const ch = leaf.el ? null : leaf.node.data[leaf.i];
    if (prev) {
      if (ch && closing.includes(ch) && counts(ch, prev)) {
        out.checked.punctuation++;
        if (wraps(prev, leaf)) out.lineStart.push(`"${ch}" starts a line: ${context(prev)} ⏎ ${context(leaf)}`);
      }
      if (prev.ch && opening.includes(prev.ch) && counts(prev.ch, leaf)) {
        out.checked.punctuation++;
        if (wraps(prev, leaf)) out.lineStart.push(`"${prev.ch}" ends a line: ${context(prev)} ⏎ ${context(leaf)}`);
      }
    }
    prev = Object.assign(leaf, { block, ch });
  };
  const all = document.createTreeWalker(main, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT, {
    acceptNode: (n) => {
      if (n.nodeType === Node.ELEMENT_NODE) {
        if (n.localName === 'pre' || n.localName === 'script' || n.localName === 'style') return NodeFilter.FILTER_REJECT;
        if (n.namespaceURI === MATHML && n.localName === 'math') return NodeFilter.FILTER_ACCEPT;
        return NodeFilter.FILTER_SKIP;
      }
      return NodeFilter.FILTER_ACCEPT;
    },
  });
  for (let n = all.nextNode(); n; n = all.nextNode()) {
    if (n.nodeType === Node.ELEMENT_NODE) {
      // A formula is one leaf; its inside is not walked.
      if (n.getAttribute('display') !== 'block' && n.checkVisibility()) {
        visit({ el: n }, n.parentElement.closest(BLOCK));
      } else {
        prev = null;
      }
      // Go on after the formula's last descendant.
      let last = n;
      while (last.lastChild) last = last.lastChild;
      all.currentNode = last;
      continue;
    }
    const el = n.parentElement;
    if (!el || mathOf(n) || !el.checkVisibility()) continue;
    const block = el.closest(BLOCK);
    for (let i = 0; i < n.data.length; i++) {
      if (/\s/.test(n.data[i])) continue;
      visit({ node: n, i }, block);
    }
  }
  return out;
}

/**
 * Whether the browser may break a line between an inline formula and the punctuation right
 * after it (or an opening bracket right before it), whatever the window width: each such pair
 * is copied, with the inline elements that hold it (the book's nowrap span), into a hidden
 * box just too narrow for both, in the same paragraph (same fonts). Where a break is allowed
 * the second one drops to the next line.
 */
function glueProbe({ closing, opening }) {
  const MATHML = 'http://www.w3.org/1998/Math/MathML';
  const BLOCK = 'p,li,td,th,h1,h2,h3,h4,h5,h6,dt,dd,figcaption,caption,blockquote,summary,div,main,body';
  const main = document.querySelector('main') || document.body;
  const out = { failures: [], probes: 0 };
  const maths = [...main.getElementsByTagNameNS(MATHML, 'math')];
  for (const math of maths) {
    if (math.getAttribute('display') === 'block' || !math.checkVisibility() || math.closest('pre')) continue;
    const block = math.parentElement.closest(BLOCK);
    // The inline elements that hold the formula and at most punctuation (KaTeX's span, the
    // book's nowrap span), up to its block: the copy keeps their styles.
    const own = math.textContent;
    let unit = math;
    while (unit.parentElement && unit.parentElement !== block) {
      const rest = unit.parentElement.textContent.replace(own, '');
      if (![...rest].every((c) => closing.includes(c) || opening.includes(c) || /\s/.test(c))) break;
      unit = unit.parentElement;
    }
    // What comes right before and right after the formula in its block: text (outside any
    // formula) or another formula.
    const inMath = (n) => n.parentElement && n.parentElement.closest('math');
    const isMath = (n) => n.namespaceURI === MATHML && n.localName === 'math';
    const walk = document.createTreeWalker(block, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
    let last = math;
    while (last.lastChild) last = last.lastChild;
    walk.currentNode = last;
    let after = walk.nextNode();
    while (after && !isMath(after) && !(after.nodeType === Node.TEXT_NODE && after.data.length)) after = walk.nextNode();
    walk.currentNode = math;
    let before = walk.previousNode();
    while (before && !isMath(before) && !(before.nodeType === Node.TEXT_NODE && before.data.length && !inMath(before))) {
      before = walk.previousNode();
    }
    const cases = [];
    if (after && after.nodeType === Node.TEXT_NODE && closing.includes(after.data[0])) cases.push(['after', after, 0]);
    if (before && before.nodeType === Node.TEXT_NODE && opening.includes(before.data.slice(-1))) {
      cases.push(['before', before, before.data.length - 1]);
    }
    for (const [side, node, index] of cases) {
      out.probes++;
      const ch = node.data[index];
      const probe = document.createElement('div');
      probe.style.cssText = 'position:absolute;left:0;top:0;visibility:hidden;white-space:normal;width:10000px;';
      // The character's text node is copied along if it is inside the unit (glued);
      // otherwise the character is set beside the copy, as on the page.
      const copy = unit.cloneNode(true);
      if (unit.contains(node)) probe.append(copy);
      else if (side === 'after') probe.append(copy, document.createTextNode(`${ch}字`));
      else probe.append(document.createTextNode(`字${ch}`), copy);
      block.append(probe);
      const pieces = probe.getElementsByTagNameNS(MATHML, 'math');
      const m = side === 'after' ? pieces[pieces.length - 1] : pieces[0];
      const tw = document.createTreeWalker(probe, NodeFilter.SHOW_TEXT);
      let t;
      let k;
      if (side === 'after') {
        let end = m;
        while (end.lastChild) end = end.lastChild;
        tw.currentNode = end;
        t = tw.nextNode();
        k = 0;
      } else {
        tw.currentNode = m;
        t = tw.previousNode();
        k = t.data.length - 1;
      }
      const range = document.createRange();
      range.setStart(t, k);
      range.setEnd(t, k + 1);
      const left = probe.getBoundingClientRect().left;
      // Just too narrow for the formula and the character on one line.
      const edge = side === 'after' ? m.getBoundingClientRect().right : range.getBoundingClientRect().right;
      probe.style.width = `${Math.max(1, Math.floor(edge - left) + 1)}px`;
      const mr = m.getBoundingClientRect();
      const cr = range.getBoundingClientRect();
      const sameLine = side === 'after'
        ? cr.left >= mr.right - 2 && cr.top < mr.bottom
        : mr.left >= cr.right - 2 && mr.top < cr.bottom;
      probe.remove();
      if (!sameLine) {
        const text = (math.textContent || '').replace(/\s+/g, ' ').trim().slice(0, 24);
        out.failures.push(side === 'after'
          ? `a line may break between the formula "${text}" and the "${ch}" after it`
          : `a line may break between "${ch}" and the formula "${text}" after it`);
      }
    }
  }
  return out;
}

// --------------------------------------------------------------------------------------------
// Checks
// --------------------------------------------------------------------------------------------

// TeX that survived rendering. Prose patterns are matched against text where code and formulas
// are placeholders, so `$` in a code sample or an annotation never counts.
const TEX_IN_PROSE = [
  [/\$\$/, 'display-math delimiter $$'],
  [/\\[()[\]{}\\]/, 'TeX delimiter or escape'],
  [/\\[A-Za-z]+/, 'TeX command'],
  [/[_^]\{/, 'TeX sub/superscript'],
  // Pandoc's rule for inline math: `$` then non-space … non-space then `$` not before a digit,
  // so "costs $5 or $6" is prose.
  [/\$(?=[^\s$])[^$]*?[^\s$\\]\$(?!\d)|\$[^\s$\d]\$/, 'inline math $…$'],
];

function context(s, m) {
  const a = Math.max(0, m.index - 25);
  const b = Math.min(s.length, m.index + m[0].length + 25);
  return `${a > 0 ? '…' : ''}${s.slice(a, b)}${b < s.length ? '…' : ''}`;
}

function texFailures(info) {
  const out = [];
  for (const text of info.prose) {
    for (const [re, what] of TEX_IN_PROSE) {
      const m = re.exec(text);
      if (m) out.push(['raw-tex', `${what}: "${context(text, m)}"`]);
    }
  }
  for (const text of info.mathText) {
    const m = /\\[A-Za-z]+/.exec(text);
    if (m) out.push(['raw-tex', `TeX command inside a formula: "${context(text, m)}"`]);
  }
  for (const e of info.katexErrors) out.push(['raw-tex', `KaTeX error: ${e.slice(0, 80)}`]);
  return out;
}

function directiveFailures(html) {
  const out = [];
  const re = /\{\{#[^}\n]{0,60}/g;
  for (let m = re.exec(html); m; m = re.exec(html)) {
    out.push(['directive', `unexpanded "${m[0]}"`]);
  }
  return out;
}

/** Ids of an HTML file the browser did not open (print.html, 404.html, toc.html, …). */
function idsFromFile(file) {
  const html = fs.readFileSync(file, 'utf8');
  const ids = new Set();
  const re = /\s(?:id|name)\s*=\s*"([^"]*)"/g;
  for (let m = re.exec(html); m; m = re.exec(html)) ids.add(m[1]);
  return ids;
}

function linkFailures(pages, root) {
  const idCache = new Map(pages.map((p) => [p.file, new Set(p.info.ids)]));
  const failures = [];
  const count = {}; // internal links per language
  for (const page of pages) {
    const lang = page.label.split('/')[0];
    const seen = new Set();
    for (const { href, url } of page.info.links) {
      if (!url.startsWith('file:') || seen.has(url)) continue;
      seen.add(url);
      count[lang] = (count[lang] || 0) + 1;
      const u = new URL(url);
      const frag = decodeURIComponent(u.hash.slice(1));
      u.hash = '';
      u.search = '';
      let file = fileURLToPath(u);
      const rel = path.relative(root, file);
      if (rel.startsWith('..') || path.isAbsolute(rel)) {
        failures.push([page, 'link', `${href}: leads outside the built books (${file})`]);
        continue;
      }
      if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, 'index.html');
      if (!fs.existsSync(file)) {
        failures.push([page, 'link', `${href}: no file ${path.relative(root, file)}`]);
        continue;
      }
      if (!frag || !file.endsWith('.html')) continue;
      if (!idCache.has(file)) idCache.set(file, idsFromFile(file));
      if (!idCache.get(file).has(frag)) {
        failures.push([page, 'link', `${href}: no element id="${frag}" in ${path.relative(root, file)}`]);
      }
    }
  }
  return { failures, count };
}

/** Platform fonts that drew the probed elements' own text, via the DevTools protocol. */
async function fontFailures(page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('DOM.enable');
  await cdp.send('CSS.enable');
  const { root } = await cdp.send('DOM.getDocument', { depth: 0 });
  const out = [];
  const attrs = async (nodeId) => {
    const { attributes } = await cdp.send('DOM.getAttributes', { nodeId });
    const map = {};
    for (let i = 0; i < attributes.length; i += 2) map[attributes[i]] = attributes[i + 1];
    return map;
  };
  const fontsOf = async (nodeId) => (await cdp.send('CSS.getPlatformFontsForNode', { nodeId })).fonts;
  const describe = (fonts) => fonts.map((f) => `${f.familyName}×${f.glyphCount}`).join(', ') || 'none';

  const used = { cjk: {}, math: {} };
  const tally = (kind, fonts) => {
    for (const f of fonts) used[kind][f.familyName] = (used[kind][f.familyName] || 0) + f.glyphCount;
  };
  const cjk = (await cdp.send('DOM.querySelectorAll', { nodeId: root.nodeId, selector: '[data-probe-cjk]' })).nodeIds;
  for (const nodeId of cjk) {
    const a = await attrs(nodeId);
    const fonts = await fontsOf(nodeId);
    tally('cjk', fonts);
    const han = Number(a['data-probe-cjk']);
    const drawn = fonts.filter((f) => CJK_FONT.test(f.familyName)).reduce((n, f) => n + f.glyphCount, 0);
    if (drawn < han) {
      out.push(['cjk-glyphs', `"${a['data-probe-text']}": ` +
        `${han} Han characters, ${drawn} drawn with a CJK font (fonts: ${describe(fonts)})`]);
    }
  }
  const math = (await cdp.send('DOM.querySelectorAll', { nodeId: root.nodeId, selector: '[data-probe-math]' })).nodeIds;
  for (const nodeId of math) {
    const fonts = await fontsOf(nodeId);
    tally('math', fonts);
    if (!fonts.some((f) => MATH_FONT.test(f.familyName) && f.glyphCount > 0)) {
      const a = await attrs(nodeId);
      out.push(['math-font', `"${a['data-probe-text']}" drawn without a math font (fonts: ${describe(fonts)})`]);
    }
  }
  await cdp.detach();
  return { failures: out, cjkProbes: cjk.length, mathProbes: math.length, used };
}

// --------------------------------------------------------------------------------------------
// Driver
// --------------------------------------------------------------------------------------------

function bookDirs(root) {
  return fs.readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && fs.existsSync(path.join(root, d.name, 'index.html')))
    .map((d) => d.name).sort();
}

function htmlPages(dir, withPrint) {
  // 404.html is for a web server: its links are relative to the site root, not to the file.
  // print.html (every chapter on one page, linked from every page) is opened unless --no-print.
  return fs.readdirSync(dir).filter((f) => f.endsWith('.html') && f !== '404.html' &&
    (withPrint || f !== 'print.html')).sort();
}

/** The two CJK checks (fonts credited by the DevTools protocol; tofu) and the math-font check. */
async function checkFonts(page, stats, fail) {
  const probe = await page.evaluate(probeCjk, { maxCjk: MAX_CJK_PROBES });
  const fonts = await fontFailures(page);
  for (const [c, d] of fonts.failures) fail(c, d);
  const tofu = new Map();
  for (const t of probe.tofu) tofu.set(t.text, (tofu.get(t.text) || '') + t.ch);
  for (const [text, chars] of tofu) {
    fail('cjk-glyphs', `"${text}": ${[...chars].length} Han characters drawn as an empty box (tofu): ${chars}`);
  }
  for (const kind of ['cjk', 'math']) {
    for (const [family, n] of Object.entries(fonts.used[kind])) {
      stats.fonts[kind][family] = (stats.fonts[kind][family] || 0) + n;
    }
  }
  stats.han += probe.hanChecked;
  stats.cjk += fonts.cjkProbes;
  stats.math += fonts.mathProbes;
}

/** The width-dependent checks of one loaded page (layoutProbe), failures tagged by width. */
async function layoutChecks(page, width, stats, fail) {
  await page.evaluate(() => document.fonts.ready);
  const probe = await page.evaluate(layoutProbe, PUNCTUATION);
  for (const d of probe.overflow) fail('overflow', `at ${width}: ${d}`);
  for (const d of probe.lineStart) fail('line-start', `at ${width}: ${d}`);
  stats.overflow += probe.checked.overflow;
  stats.punctuation += probe.checked.punctuation;
}

/**
 * mdBook's search box, as a reader uses it: on the book's index.html, open the search bar,
 * type the query (mdBook searches on each key release) and read the result list. Each query
 * of SEARCH must find sections, the first of which contains the term (its page's text, tags
 * removed); each SEARCH_CONTROL query, which no page contains, must find nothing — so a search
 * that lists everything, or a check that reads the wrong element, fails too. The first query
 * is also asked through the address (`index.html?search=…`, what the back button restores),
 * where mdBook answers before the page's last scripts have run. Books without mdBook's search
 * box (the fixtures) are not searched.
 */
async function checkSearch(context, dir, lang, stats) {
  const failures = [];
  const index = path.join(dir, 'index.html');
  if (!fs.readFileSync(index, 'utf8').includes('id="mdbook-searchbar"')) return failures;
  const run = async (term, how) => {
    const page = await context.newPage();
    const url = pathToFileURL(index).href;
    if (how === 'address') {
      await page.goto(`${url}?search=${encodeURIComponent(term)}`, { waitUntil: 'load' });
    } else {
      await page.goto(url, { waitUntil: 'load' });
      await page.click('#mdbook-search-toggle');
      await page.fill('#mdbook-searchbar', term);
      await page.press('#mdbook-searchbar', 'End');
    }
    try {
      // The header names the query once the index has answered it.
      await page.waitForFunction((t) => {
        const h = document.getElementById('mdbook-searchresults-header');
        return h && h.textContent.includes(t);
      }, term, { timeout: 20000 });
    } catch (e) {
      await page.close();
      return null;
    }
    const result = await page.evaluate(() => [...document.querySelectorAll('#mdbook-searchresults li a')]
      .map((a) => a.getAttribute('href')));
    await page.close();
    return result;
  };
  const pageText = (href) => {
    const file = path.join(dir, decodeURIComponent(href.split(/[?#]/)[0]));
    if (!fs.existsSync(file)) return '';
    return fs.readFileSync(file, 'utf8').replace(/<[^>]*>/g, ' ').toLowerCase();
  };
  const queries = (SEARCH[lang] || []).map((t) => [t, 'typed']);
  if (queries.length) queries.push([queries[0][0], 'address']);
  for (const [term, how] of queries) {
    const hrefs = await run(term, how);
    const what = `"${term}" (${how})`;
    if (hrefs === null) {
      failures.push(['search', `${what}: the search box did not answer within 20 s`]);
      continue;
    }
    stats.search.push(`${term} ${hrefs.length}${how === 'address' ? ' (address)' : ''}`);
    if (hrefs.length === 0) failures.push(['search', `${what}: no result`]);
    else if (!pageText(hrefs[0]).includes(term.toLowerCase())) {
      failures.push(['search', `${what}: the first result, ${hrefs[0]}, does not contain it`]);
    }
  }
  for (const term of SEARCH_CONTROL) {
    const hrefs = await run(term, 'typed');
    if (hrefs === null || hrefs.length > 0) {
      failures.push(['search', `control "${term}", on no page: ${hrefs === null ? 'no answer' : `${hrefs.length} results`}`]);
    }
  }
  return failures;
}

async function checkBooks(root, { screenshots = null, shoot: shootPages = [], withPrint = true, launch = {} } = {}) {
  root = path.resolve(root);
  const browser = await chromium.launch({ executablePath: CHROMIUM, ...launch });
  const context = await browser.newContext({ viewport: DESKTOP });
  const phone = await browser.newContext({ viewport: PHONE });
  // mdBook's print.html calls window.print() 100 ms after it loads; in headless Chromium that
  // print job can cut into a check still running on the page (page.evaluate then fails with
  // "The provided callback is no longer runnable", seen twice on 2026-12-06). The check reads
  // the print page; it does not print it.
  for (const c of [context, phone]) {
    await c.addInitScript(() => {
      window.print = () => {};
    });
  }
  const failures = [];
  const summaries = [];
  const pages = [];
  const shots = [];
  const shoot = async (page, name, suffix) => {
    if (!screenshots || !shootPages.includes(name)) return;
    fs.mkdirSync(screenshots, { recursive: true });
    const lang = path.basename(path.dirname(fileURLToPath(page.url())));
    const png = path.join(screenshots, `${lang}-${name.replace(/\.html$/, '')}${suffix}.png`);
    await page.screenshot({ path: png, fullPage: true });
    shots.push(png);
  };
  try {
    for (const lang of bookDirs(root)) {
      const dir = path.join(root, lang);
      const svgs = new Set();
      const stats = {
        lang, pages: 0, figures: 0, links: 0, images: 0, formulas: 0, cjk: 0, han: 0, math: 0,
        fonts: { cjk: {}, math: {} }, overflow: 0, punctuation: 0, glue: 0, search: [],
      };
      for (const name of htmlPages(dir, withPrint)) {
        const file = path.join(dir, name);
        const rec = { file, label: `${lang}/${name}`, info: null };
        const fail = (check, detail) => failures.push([rec, check, detail]);
        const page = await context.newPage();
        page.on('pageerror', (e) => fail('js-error', String(e.message).split('\n')[0]));
        page.on('requestfailed', (r) => {
          if (r.url().startsWith('file:')) fail('resource', `${r.url().slice(pathToFileURL(root).href.length + 1)}: ${r.failure()?.errorText}`);
        });
        await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
        rec.info = await page.evaluate(inspectPage, { maxMath: MAX_MATH_PROBES });
        for (const [c, d] of texFailures(rec.info)) fail(c, d);
        for (const [c, d] of directiveFailures(fs.readFileSync(file, 'utf8'))) fail(c, d);
        const seenImg = new Set();
        for (const img of rec.info.images) {
          if (seenImg.has(img.url)) continue;
          seenImg.add(img.url);
          stats.images++;
          if (!img.ok) fail('image', `${img.src} did not load`);
        }
        await checkFonts(page, stats, fail);
        for (const img of rec.info.images) {
          if (img.ok && img.url.startsWith('file:') && /\.svg$/i.test(img.url)) svgs.add(img.url);
        }
        stats.formulas += rec.info.formulas;
        stats.pages++;
        const glue = await page.evaluate(glueProbe, PUNCTUATION);
        for (const d of glue.failures) fail('punct-glue', d);
        stats.glue += glue.probes;
        await layoutChecks(page, `${DESKTOP.width} px`, stats, fail);
        await shoot(page, name, '');
        await page.close();
        // The same page on a phone: only what depends on the width.
        const small = await phone.newPage();
        await small.goto(pathToFileURL(file).href, { waitUntil: 'load' });
        await layoutChecks(small, `${PHONE.width} px`, stats, fail);
        await shoot(small, name, `-${PHONE.width}`);
        await small.close();
        pages.push(rec);
      }
      const searchFailures = await checkSearch(context, dir, lang, stats);
      const indexRec = { label: `${lang}/index.html` };
      for (const [c, d] of searchFailures) failures.push([indexRec, c, d]);
      // The Chinese labels of SVG figures are drawn with the reader's fonts too.
      for (const url of [...svgs].sort()) {
        const rec = { label: path.relative(root, fileURLToPath(url)) };
        const page = await context.newPage();
        await page.goto(url, { waitUntil: 'load' });
        await checkFonts(page, stats, (check, detail) => failures.push([rec, check, detail]));
        await page.close();
        stats.figures++;
      }
      summaries.push(stats);
    }
  } finally {
    await browser.close();
  }
  if (shots.length && summaries.length) summaries[summaries.length - 1].shots = shots;
  const links = linkFailures(pages, root);
  failures.push(...links.failures);
  for (const s of summaries) s.links = links.count[s.lang] || 0;
  return { failures: failures.map(([rec, check, detail]) => ({ page: rec.label, check, detail })), summaries };
}

function printFailures(failures) {
  const byPage = new Map();
  for (const f of failures) {
    if (!byPage.has(f.page)) byPage.set(f.page, []);
    byPage.get(f.page).push(f);
  }
  for (const [pageName, list] of [...byPage].sort()) {
    console.log(`${pageName}`);
    for (const f of list) console.log(`  ${f.check.padEnd(10)} ${f.detail}`);
  }
  const counts = {};
  for (const f of failures) counts[f.check] = (counts[f.check] || 0) + 1;
  console.log(`browser check: ${failures.length} failures on ${byPage.size} pages (` +
    Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(', ') + ')');
}

function printSummaries(summaries) {
  const top = (used) => Object.entries(used).sort((a, b) => b[1] - a[1]).slice(0, 3)
    .map(([family, n]) => `${family} ${n}`).join(', ') || 'none';
  for (const s of summaries) {
    console.log(`browser check ${s.lang}: ${s.pages} pages, ${s.links} internal links, ` +
      `${s.images} images, ${s.formulas} formulas; ${s.cjk} elements with Chinese in pages and ${s.figures} SVG figures ` +
      `(glyphs: ${top(s.fonts.cjk)}; ${s.han} page × character tofu checks), ` +
      `${s.math} math tokens (glyphs: ${top(s.fonts.math)}); ` +
      `at ${DESKTOP.width} and ${PHONE.width} px: ${s.overflow} overflow and ${s.punctuation} line-edge punctuation checks; ` +
      `${s.glue} formula–punctuation pairs probed; search: ${s.search.join(', ') || 'no search box'}` +
      `${s.shots ? `; screenshots ${s.shots.join(' ')}` : ''}`);
  }
}

// --------------------------------------------------------------------------------------------
// Self-test: every check must fire on fixtures/bad, none on fixtures/good
// --------------------------------------------------------------------------------------------

async function selfTest() {
  const fixtures = path.join(__dirname, 'fixtures');
  const problems = [];

  const good = await checkBooks(path.join(fixtures, 'good'));
  for (const f of good.failures) problems.push(`good fixture: unexpected ${f.page} ${f.check} ${f.detail}`);

  const bad = await checkBooks(path.join(fixtures, 'bad'));
  const expected = JSON.parse(fs.readFileSync(path.join(fixtures, 'bad', 'expected.json'), 'utf8'));
  const matches = (f, [pageName, check, text]) => f.page === pageName && f.check === check && f.detail.includes(text);
  for (const e of expected) {
    if (!bad.failures.some((f) => matches(f, e))) problems.push(`bad fixture: not reported: ${e.join(' | ')}`);
  }
  for (const f of bad.failures) {
    if (!expected.some((e) => matches(f, e))) problems.push(`bad fixture: unexpected ${f.page} ${f.check} ${f.detail}`);
  }

  // A machine without fonts-noto-cjk and fonts-lmodern: Chromium sees only Latin Modern's text
  // fonts, so the good fixture's Chinese (page and SVG figure) and formulas must fail.
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ce-mle-fonts-'));
  const conf = path.join(tmp, 'fonts.conf');
  fs.writeFileSync(conf, `<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n` +
    `  <dir>/usr/share/texmf/fonts/opentype/public/lm</dir>\n  <cachedir>${tmp}/cache</cachedir>\n</fontconfig>\n`);
  const bare = await checkBooks(path.join(fixtures, 'good'), { launch: { env: { ...process.env, FONTCONFIG_FILE: conf } } });
  fs.rmSync(tmp, { recursive: true, force: true });
  const bareExpected = [['zh/index.html', 'cjk-glyphs'], ['zh/index.html', 'math-font'],
    ['zh/figures/curve.svg', 'cjk-glyphs']];
  for (const [pageName, check] of bareExpected) {
    if (!bare.failures.some((f) => f.page === pageName && f.check === check)) {
      problems.push(`good fixture without CJK and math fonts: ${check} not reported on ${pageName}`);
    }
  }

  const fired = new Set(bad.failures.map((f) => f.check));
  for (const p of problems) console.log(p);
  if (!problems.length) {
    console.log(`browser self-test: good fixture clean; bad fixture reported all ${expected.length} expected ` +
      `failures (${[...fired].sort().join(', ')}); without CJK/math fonts: ${bare.failures.length} font failures`);
  }
  // Expectations: the clean fixture, each expected failure, the two font checks without fonts.
  const total = 1 + expected.length + bareExpected.length;
  console.log(`self-test: ${total - Math.min(problems.length, total)} passed, ${problems.length} failed`);
  return problems.length ? 1 : 0;
}

// --------------------------------------------------------------------------------------------

async function main(argv) {
  if (argv[0] === '--self-test') return selfTest();
  const opts = { shoot: ['equivalence.html', 'softmax.html'] };
  let root = null;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--screenshots') opts.screenshots = argv[++i];
    else if (argv[i] === '--shoot') opts.shoot = argv[++i].split(',');
    else if (argv[i] === '--no-print') opts.withPrint = false;
    else if (!argv[i].startsWith('-') && !root) root = argv[i];
    else root = null, i = argv.length;
  }
  if (!root || !fs.existsSync(root) || bookDirs(root).length === 0) {
    console.error('usage: check.js [--screenshots DIR] [--shoot a.html,b.html] [--no-print] BOOK_ROOT | --self-test\n' +
      '(BOOK_ROOT holds one built book per language, e.g. target/book-check/{zh,en})');
    return 2;
  }
  const { failures, summaries } = await checkBooks(root, opts);
  printSummaries(summaries);
  if (failures.length) printFailures(failures);
  // The plain closing line CI reads: pages without / with a failure.
  const bad = new Set(failures.map((f) => f.page)).size;
  const total = summaries.reduce((n, s) => n + s.pages, 0);
  console.log(`browser: ${total - bad} passed, ${bad} failed`);
  return failures.length ? 1 : 0;
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e) => {
  console.error(e);
  process.exitCode = 2;
});
