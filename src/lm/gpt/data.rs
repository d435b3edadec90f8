//! Character-level data for the GPT: nanoGPT's vocabulary and train/validation split
//! (`data/shakespeare_char/prepare.py`).
//!
//! TODO(ngram): a minimal private version of the split, to be replaced by the shared corpus
//! split and vocabulary helpers of the n-gram baselines when they land.

use crate::error::{Error, Result};

/// A character vocabulary in nanoGPT's order: `chars = sorted(set(text))` (by Unicode scalar
/// value, as Python sorts strings), token id = position in that list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CharVocab {
    chars: Vec<char>,
}

impl CharVocab {
    /// The sorted set of the characters of `text`.
    ///
    /// # Errors
    /// [`Error::Empty`] for an empty text.
    pub fn from_text(text: &str) -> Result<Self> {
        let mut chars: Vec<char> = text.chars().collect();
        chars.sort_unstable();
        chars.dedup();
        Self::from_chars(chars)
    }

    /// A vocabulary from its characters (strictly increasing, as [`CharVocab::from_text`]
    /// makes them; a checkpoint stores them this way).
    ///
    /// # Errors
    /// [`Error::Empty`] for no character; [`Error::InvalidFile`] if they are not strictly
    /// increasing.
    pub fn from_chars(chars: Vec<char>) -> Result<Self> {
        if chars.is_empty() {
            return Err(Error::Empty("a vocabulary needs at least one character"));
        }
        if chars.windows(2).any(|w| w[0] >= w[1]) {
            return Err(Error::InvalidFile {
                path: "vocabulary".into(),
                reason: "characters must be distinct and in increasing order".into(),
            });
        }
        Ok(Self { chars })
    }

    /// Number of tokens `V`.
    #[must_use]
    pub fn len(&self) -> usize {
        self.chars.len()
    }

    /// Never empty (kept for the `len`/`is_empty` pair).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.chars.is_empty()
    }

    /// The characters, in token-id order.
    #[must_use]
    pub fn chars(&self) -> &[char] {
        &self.chars
    }

    /// The id of `ch`, if it is in the vocabulary.
    #[must_use]
    pub fn id(&self, ch: char) -> Option<u32> {
        self.chars.binary_search(&ch).ok().map(|i| i as u32)
    }

    /// The ids of a text.
    ///
    /// # Errors
    /// [`Error::Corpus`] naming the first character outside the vocabulary.
    pub fn encode(&self, text: &str) -> Result<Vec<u32>> {
        text.chars()
            .enumerate()
            .map(|(i, ch)| {
                self.id(ch).ok_or_else(|| Error::Corpus {
                    path: "text".into(),
                    reason: format!(
                        "character {ch:?} (U+{:04X}) at position {i} is not in the model's vocabulary",
                        ch as u32
                    ),
                })
            })
            .collect()
    }

    /// The text of token ids (ids outside the vocabulary become U+FFFD).
    #[must_use]
    pub fn decode(&self, ids: &[u32]) -> String {
        ids.iter()
            .map(|&i| self.chars.get(i as usize).copied().unwrap_or('\u{FFFD}'))
            .collect()
    }
}

/// A text encoded and split as nanoGPT's `prepare.py`: the first `⌊0.9·n⌋` characters for
/// training, the rest for validation (`n` characters in all).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CharSplit {
    /// The vocabulary of the whole text.
    pub vocab: CharVocab,
    /// Training ids.
    pub train: Vec<u32>,
    /// Validation ids.
    pub val: Vec<u32>,
}

impl CharSplit {
    /// Encode and split `text` (nanoGPT: `train = data[:int(n*0.9)]`).
    ///
    /// # Errors
    /// [`Error::Corpus`] if either part would have fewer than 2 characters (no next-token
    /// target).
    pub fn nanogpt(text: &str) -> Result<Self> {
        let vocab = CharVocab::from_text(text).map_err(|_| Error::Corpus {
            path: "text".into(),
            reason: "the text is empty".into(),
        })?;
        let ids = vocab.encode(text)?;
        let n = ids.len();
        // int(n * 0.9) in Python's double arithmetic.
        let cut = (n as f64 * 0.9) as usize;
        if cut < 2 || n - cut < 2 {
            return Err(Error::Corpus {
                path: "text".into(),
                reason: format!(
                    "{n} characters are too few: the 90/10 split needs at least 2 in each part"
                ),
            });
        }
        let val = ids[cut..].to_vec();
        let mut train = ids;
        train.truncate(cut);
        Ok(Self { vocab, train, val })
    }
}
