//! The character vocabulary of the bigram model.

use std::collections::HashMap;

use crate::error::{Error, Result};

/// Default cap on the vocabulary size `V` (see [`Vocab::from_text`]).
///
/// The models are dense `V × V` matrices: at `V = 2048` one matrix of `f64` is 32 MiB, and
/// training holds about eight of them (see the [`crate::lm`] docs).
pub const DEFAULT_MAX_VOCAB: usize = 2048;

/// The largest vocabulary the dense `V × V` models accept: 8192 tokens, i.e. 2²⁶ logits per
/// matrix (512 MiB of `f64`; training keeps several such buffers).
pub const MAX_VOCAB: usize = 8192;

/// How the unknown token is printed by [`Vocab::label`]; it stands for every character left out
/// of the vocabulary and is not itself a character.
pub const UNKNOWN_LABEL: &str = "<unk>";

/// Characters below this code point are looked up in a direct table, the rest by binary search.
const TABLE: usize = 0x1_0000;
const NONE: u32 = u32::MAX;

/// The token set of a character-level language model: token = Unicode scalar value (`char`).
///
/// Ids: the kept characters, sorted by code point, get ids `0..chars().len()`; if the text had
/// more distinct characters than the cap, one **unknown token** gets the last id
/// `chars().len()` and every other character maps to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vocab {
    chars: Vec<char>,
    unknown: bool,
    distinct: usize,
    /// id (or [`NONE`]) of each character below [`TABLE`].
    table: Vec<u32>,
}

impl Vocab {
    /// The vocabulary of `text`, at most `max_vocab` tokens.
    ///
    /// If `text` has at most `max_vocab` distinct characters, they are all kept, sorted. If it
    /// has more, the `max_vocab − 1` most frequent are kept (ties broken by the smaller code
    /// point), sorted by code point, and one unknown token is added for all the others, so that
    /// `len() = max_vocab` exactly. This bounds the memory and time of the dense `V × V` models
    /// whatever the input (a text of random code points has ~10⁶ distinct characters).
    ///
    /// # Errors
    /// [`Error::Empty`] for an empty text; [`Error::InvalidHyperParameter`] (`max_vocab`) if
    /// `max_vocab < 2`; [`Error::TooLarge`] if `max_vocab > MAX_VOCAB`.
    pub fn from_text(text: &str, max_vocab: usize) -> Result<Self> {
        if max_vocab > MAX_VOCAB {
            return Err(Error::TooLarge {
                what: "max_vocab",
                value: max_vocab as u128,
                limit: MAX_VOCAB as u128,
            });
        }
        if max_vocab < 2 {
            return Err(Error::InvalidHyperParameter {
                name: "max_vocab",
                value: max_vocab as f64,
                reason: "must be >= 2 (one known character and the unknown token at least)",
            });
        }
        if text.is_empty() {
            return Err(Error::Empty("the text is empty: no vocabulary"));
        }
        let mut low = vec![0u64; TABLE];
        let mut high: HashMap<char, u64> = HashMap::new();
        for c in text.chars() {
            if (c as usize) < TABLE {
                low[c as usize] += 1;
            } else {
                *high.entry(c).or_insert(0) += 1;
            }
        }
        let mut freq: Vec<(char, u64)> = low
            .iter()
            .enumerate()
            .filter(|&(_, &n)| n > 0)
            .filter_map(|(i, &n)| char::from_u32(i as u32).map(|c| (c, n)))
            .chain(high)
            .collect();
        let distinct = freq.len();
        let unknown = distinct > max_vocab;
        if unknown {
            freq.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));
            freq.truncate(max_vocab - 1);
        }
        let mut chars: Vec<char> = freq.into_iter().map(|(c, _)| c).collect();
        chars.sort_unstable();
        Ok(Self::from_parts(chars, unknown, distinct))
    }

    /// A vocabulary with the given characters (sorted and deduplicated here), with or without an
    /// unknown token. Useful to score a text with a fixed token set.
    ///
    /// # Errors
    /// [`Error::Empty`] if there would be no token at all.
    pub fn from_chars(chars: &[char], unknown: bool) -> Result<Self> {
        let mut chars = chars.to_vec();
        chars.sort_unstable();
        chars.dedup();
        if chars.is_empty() && !unknown {
            return Err(Error::Empty("a vocabulary needs at least one token"));
        }
        let distinct = chars.len();
        if distinct + usize::from(unknown) > MAX_VOCAB {
            return Err(Error::TooLarge {
                what: "vocabulary size",
                value: (distinct + usize::from(unknown)) as u128,
                limit: MAX_VOCAB as u128,
            });
        }
        Ok(Self::from_parts(chars, unknown, distinct))
    }

    fn from_parts(chars: Vec<char>, unknown: bool, distinct: usize) -> Self {
        let mut table = vec![NONE; TABLE];
        for (i, &c) in chars.iter().enumerate() {
            if (c as usize) < TABLE {
                table[c as usize] = i as u32;
            }
        }
        Self {
            chars,
            unknown,
            distinct,
            table,
        }
    }

    /// Number of tokens `V` (kept characters, plus 1 if there is an unknown token).
    #[must_use]
    pub fn len(&self) -> usize {
        self.chars.len() + usize::from(self.unknown)
    }

    /// Never true for a vocabulary built by [`Vocab::from_text`].
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The kept characters, sorted; character `chars()[i]` has id `i`.
    #[must_use]
    pub fn chars(&self) -> &[char] {
        &self.chars
    }

    /// The id of the unknown token (`chars().len()`), if there is one.
    #[must_use]
    pub fn unknown_id(&self) -> Option<usize> {
        self.unknown.then_some(self.chars.len())
    }

    /// Number of distinct characters of the text the vocabulary was built from (≥ `len() − 1`
    /// when an unknown token is used, else equal to `len()`).
    #[must_use]
    pub fn distinct_chars(&self) -> usize {
        self.distinct
    }

    /// The id of character `c`: its own id, else the unknown token's, else `None`.
    #[must_use]
    pub fn id(&self, c: char) -> Option<usize> {
        let own = if (c as usize) < TABLE {
            let i = self.table[c as usize];
            (i != NONE).then_some(i as usize)
        } else {
            self.chars.binary_search(&c).ok()
        };
        own.or(self.unknown_id())
    }

    /// The printable label of token `id`: the character itself, or [`UNKNOWN_LABEL`]; `None`
    /// if `id ≥ len()`.
    #[must_use]
    pub fn label(&self, id: usize) -> Option<String> {
        match self.chars.get(id) {
            Some(c) => Some(c.to_string()),
            None if Some(id) == self.unknown_id() => Some(UNKNOWN_LABEL.to_string()),
            None => None,
        }
    }

    /// The token ids of `text`, one per character.
    ///
    /// # Errors
    /// [`Error::Corpus`] (path `<text>`) for a character that is not in the vocabulary when
    /// there is no unknown token to map it to.
    pub fn encode(&self, text: &str) -> Result<Vec<usize>> {
        text.chars()
            .enumerate()
            .map(|(i, c)| self.id(c).ok_or_else(|| self.oov(i, c)))
            .collect()
    }

    pub(crate) fn oov(&self, index: usize, c: char) -> Error {
        Error::Corpus {
            path: "<text>".into(),
            reason: format!(
                "character {c:?} (U+{:04X}) at character index {index} is not in the vocabulary, \
                 which has no unknown token",
                c as u32
            ),
        }
    }
}
