// Search for Chinese text in mdBook's search box.
//
// mdBook's search index splits text at whitespace only (mdbook-html's `tokenize`), so a
// Chinese sentence is one long "word" (dropped altogether above 80 bytes), and elasticlunr's
// prefix match finds 交叉熵 only where a word starts with it: in the Chinese book, the query
// 交叉熵 gave no result at all, though 70 of its 103 sections contain it. The index also stores
// each section's text (for the teasers), and a query with CJK characters is answered here by
// substring search over that text instead: every term must occur (mdBook's own queries are
// AND too); title hits count twice. Other queries go to elasticlunr unchanged. No network,
// no library: the index the book already ships is searched as it is.
(function () {
    'use strict';
    // Han, CJK symbols and punctuation, full-width forms.
    const CJK = /[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]/;
    const ZERO_WIDTH = /\u200b/g;
    const TEASER_BEFORE = 12;
    const TEASER_AFTER = 60;

    function count(text, term) {
        let n = 0;
        for (let i = text.indexOf(term); i !== -1; i = text.indexOf(term, i + term.length)) {
            n++;
        }
        return n;
    }

    // A copy of the document whose body is a short excerpt around the first match, which
    // mdBook's teaser then shows (its teaser splits at spaces, which Chinese does not have).
    function withExcerpt(doc, term) {
        const body = doc.body || '';
        const at = body.toLowerCase().indexOf(term);
        if (at < 0) {
            return doc;
        }
        const start = Math.max(0, at - TEASER_BEFORE);
        const end = Math.min(body.length, at + term.length + TEASER_AFTER);
        const excerpt = (start > 0 ? '… ' : '') + body.slice(start, end) + (end < body.length ? ' …' : '');
        return Object.assign({}, doc, { body: excerpt });
    }

    function install() {
        const lunr = window.elasticlunr;
        if (!lunr || !lunr.Index || lunr.Index.prototype.searchCjk) {
            return;
        }
        const original = lunr.Index.prototype.search;
        lunr.Index.prototype.searchCjk = function (query) {
            const terms = query.replace(ZERO_WIDTH, '').toLowerCase().split(/\s+/).filter((t) => t.length > 0);
            const docs = this.documentStore.docs;
            const results = [];
            for (const ref of Object.keys(docs)) {
                const doc = docs[ref];
                const title = (doc.title || '').toLowerCase();
                const body = (doc.body || '').toLowerCase();
                let score = 0;
                let all = true;
                for (const term of terms) {
                    const hits = 2 * count(title, term) + count(body, term);
                    if (hits === 0) {
                        all = false;
                        break;
                    }
                    score += hits;
                }
                if (all) {
                    results.push({ ref: ref, score: score, doc: withExcerpt(doc, terms[0]) });
                }
            }
            // Most hits first; ties in book order.
            results.sort((a, b) => b.score - a.score || Number(a.ref) - Number(b.ref));
            return results;
        };
        lunr.Index.prototype.search = function (query, config) {
            return CJK.test(query) ? this.searchCjk(query) : original.call(this, query, config);
        };
    }

    install();

    // A query in the address (`?search=…`, e.g. after going back to a search) may have been
    // answered before this file was loaded: mdBook loads its index as soon as its search
    // script runs, and answers a query only once. Ask again, with a zero-width space that
    // makes it a new query for mdBook and that the search above ignores.
    const bar = document.getElementById('mdbook-searchbar');
    if (window.search && window.search.doc_urls && bar && CJK.test(bar.value)) {
        bar.value = bar.value.trim() + '\u200b';
        bar.dispatchEvent(new KeyboardEvent('keyup'));
    }
})();
