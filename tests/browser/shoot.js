#!/usr/bin/env node
// Screenshots of built book pages for a human to look at (not a check): each page at each
// viewport width and theme, as full-page strips, or only the elements a selector matches.
//
//   node tests/browser/shoot.js [--pages softmax.html,bigram.html] [--langs zh,en]
//        [--widths 1280,390] [--themes light,navy] [--strip 1600] [--elements 'img,table']
//        [--scale 1] [--out target/shots] BOOK_ROOT
//
// Files: OUT/LANG-PAGE-WIDTH-THEME-N.png (strips of STRIP CSS pixels) or
// OUT/LANG-PAGE-WIDTH-THEME-eN.png (one per element). Themes are mdBook's: light, rust, coal,
// navy, ayu. Uses the same Chromium as check.js (CHROMIUM=/path overrides /usr/bin/chromium).
'use strict';

const fs = require('fs');
const path = require('path');
const { pathToFileURL } = require('url');
const { chromium } = require('playwright-core');

function parse(argv) {
  const o = {
    pages: ['softmax.html'], langs: ['zh', 'en'], widths: [1280, 390], themes: ['light'],
    strip: 1600, elements: null, scale: 1, out: 'target/shots', root: null,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => argv[++i];
    if (a === '--pages') o.pages = next().split(',');
    else if (a === '--langs') o.langs = next().split(',');
    else if (a === '--widths') o.widths = next().split(',').map(Number);
    else if (a === '--themes') o.themes = next().split(',');
    else if (a === '--strip') o.strip = Number(next());
    else if (a === '--elements') o.elements = next();
    else if (a === '--out') o.out = next();
    else if (a === '--scale') o.scale = Number(next());
    else o.root = a;
  }
  return o;
}

async function main() {
  const o = parse(process.argv.slice(2));
  if (!o.root) {
    console.error('usage: shoot.js [options] BOOK_ROOT (see the comment at the top)');
    return 2;
  }
  fs.mkdirSync(o.out, { recursive: true });
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium' });
  const written = [];
  try {
    for (const width of o.widths) {
      for (const theme of o.themes) {
        const context = await browser.newContext({ viewport: { width, height: 900 }, deviceScaleFactor: o.scale });
        await context.addInitScript((t) => localStorage.setItem('mdbook-theme', t), theme);
        for (const lang of o.langs) {
          for (const name of o.pages) {
            const page = await context.newPage();
            await page.goto(pathToFileURL(path.resolve(o.root, lang, name)).href, { waitUntil: 'load' });
            await page.evaluate(() => document.fonts.ready);
            const stem = path.join(o.out, `${lang}-${name.replace(/\.html$/, '')}-${width}-${theme}`);
            if (o.elements) {
              const els = await page.$$(`main ${o.elements.split(',').join(', main ')}`);
              for (let i = 0; i < els.length; i++) {
                const file = `${stem}-e${i}.png`;
                if (!(await els[i].isVisible())) continue;
                await els[i].evaluate((e) => { if (e.loading) e.loading = 'eager'; });
                await els[i].scrollIntoViewIfNeeded();
                await els[i].screenshot({ path: file });
                written.push(file);
              }
            } else {
              const height = await page.evaluate(() => document.documentElement.scrollHeight);
              for (let y = 0, n = 0; y < height; y += o.strip, n++) {
                const file = `${stem}-${n}.png`;
                await page.screenshot({
                  path: file, fullPage: true,
                  clip: { x: 0, y, width, height: Math.min(o.strip, height - y) },
                });
                written.push(file);
              }
            }
            await page.close();
          }
        }
        await context.close();
      }
    }
  } finally {
    await browser.close();
  }
  console.log(written.join('\n'));
  return 0;
}

main().then((c) => { process.exitCode = c; }, (e) => { console.error(e); process.exitCode = 2; });
