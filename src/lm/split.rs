//! A character-level corpus cut into a training and a validation part, as nanoGPT's
//! `data/shakespeare_char/prepare.py` does, and encoded to token ids.

use std::path::Path;

use super::Vocab;
use crate::error::{Error, Result};

/// nanoGPT's training fraction: the first 90% of the characters train, the rest validate.
pub const NANOGPT_TRAIN_FRACTION: f64 = 0.9;

/// The number of training characters of a text of `chars` characters:
/// `⌊chars · train_fraction⌋`, computed as Python's `int(n * 0.9)` (the product rounded to an
/// `f64`, then truncated), so it matches nanoGPT's `prepare.py` exactly: 1,003,854 of Tiny
/// Shakespeare's 1,115,394 characters.
#[must_use]
pub fn split_point(chars: usize, train_fraction: f64) -> usize {
    (chars as f64 * train_fraction) as usize
}

/// A character-level corpus split into training and validation token ids.
///
/// * **Vocabulary**: every distinct character of the whole text, sorted by code point (Python's
///   `sorted(set(data))`, which is what nanoGPT does), with no unknown token: character
///   `vocab().chars()[i]` has id `i`. The validation part can hold characters that the training
///   part never shows; a model then has to give them probability from its smoothing (the count
///   models do: they interpolate down to the uniform `1/V`).
/// * **Split**: the first [`split_point`]`(n, train_fraction)` characters train, the rest
///   validate (nanoGPT: `train_fraction = 0.9`), a contiguous cut, so the validation text comes
///   after the training text and no position is in both.
/// * **Ids** are `u32`; `V ≤` [`super::MAX_VOCAB`].
///
/// Use [`CharSplit::with_vocab`] to encode text with another model's vocabulary (e.g. a
/// checkpoint's): characters outside it are an error unless the vocabulary has an unknown token.
///
/// # Examples
/// ```
/// use ce_mle::lm::CharSplit;
/// // 19 characters: int(19 · 0.9) = 17 train, 2 validate.
/// let s = CharSplit::nanogpt("to be or not to be!")?;
/// assert_eq!(s.vocab().chars(), [' ', '!', 'b', 'e', 'n', 'o', 'r', 't']);
/// assert_eq!((s.train().len(), s.val().len()), (17, 2));
/// assert_eq!(s.decode(s.val())?, "e!");
/// # Ok::<(), ce_mle::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct CharSplit {
    vocab: Vocab,
    train: Vec<u32>,
    val: Vec<u32>,
}

impl CharSplit {
    /// nanoGPT's split of `text`: [`CharSplit::new`] with [`NANOGPT_TRAIN_FRACTION`].
    ///
    /// # Errors
    /// As [`CharSplit::new`].
    pub fn nanogpt(text: &str) -> Result<Self> {
        Self::new(text, NANOGPT_TRAIN_FRACTION)
    }

    /// Split `text` at [`split_point`]`(chars, train_fraction)` and encode both parts with the
    /// vocabulary of the whole text.
    ///
    /// # Errors
    /// [`Error::InvalidHyperParameter`] (`train_fraction`) unless `0 < train_fraction < 1`;
    /// [`Error::Corpus`] (path `<text>`) for an empty text or if either part would hold fewer
    /// than 2 characters (no next-character prediction); [`Error::TooLarge`] for more than
    /// [`super::MAX_VOCAB`] distinct characters.
    pub fn new(text: &str, train_fraction: f64) -> Result<Self> {
        if !(train_fraction > 0.0 && train_fraction < 1.0) {
            return Err(Error::InvalidHyperParameter {
                name: "train_fraction",
                value: train_fraction,
                reason: "must be strictly between 0 and 1",
            });
        }
        let n = text.chars().count();
        let cut = split_point(n, train_fraction);
        if cut < 2 || n - cut < 2 {
            return Err(Error::Corpus {
                path: "<text>".into(),
                reason: format!(
                    "{n} characters split at {cut} leave {cut} for training and {} for \
                     validation; each part needs at least 2",
                    n - cut
                ),
            });
        }
        let mut chars: Vec<char> = text.chars().collect();
        chars.sort_unstable();
        chars.dedup();
        let vocab = Vocab::from_chars(&chars, false)?;
        let byte = text.char_indices().nth(cut).map_or(text.len(), |(b, _)| b);
        let (train, val) = text.split_at(byte);
        Self::with_vocab(train, val, vocab)
    }

    /// Read a UTF-8 corpus with [`crate::corpus::load_corpus`] and split it with
    /// [`CharSplit::new`].
    ///
    /// # Errors
    /// Those of [`crate::corpus::load_corpus`] ([`Error::Io`] for a missing file,
    /// [`Error::Corpus`] for an empty, binary (not UTF-8) or special file), then those of
    /// [`CharSplit::new`] (with the file's path in the message).
    pub fn load(path: &Path, train_fraction: f64) -> Result<Self> {
        let text = crate::corpus::load_corpus(path)?;
        Self::new(&text, train_fraction).map_err(|e| match e {
            Error::Corpus { reason, .. } => Error::Corpus {
                path: path.display().to_string(),
                reason,
            },
            other => other,
        })
    }

    /// Encode a training and a validation text with a given vocabulary.
    ///
    /// Unknown-character policy: a character outside `vocab` maps to its unknown token if it has
    /// one ([`Vocab::id`]); otherwise it is an error that names the part, the character and its
    /// position.
    ///
    /// # Errors
    /// [`Error::Corpus`] (path `<train>` or `<validation>`) for a character outside a vocabulary
    /// without unknown token, or if either part holds fewer than 2 characters.
    pub fn with_vocab(train: &str, val: &str, vocab: Vocab) -> Result<Self> {
        let train = encode(&vocab, train, "<train>")?;
        let val = encode(&vocab, val, "<validation>")?;
        Ok(Self { vocab, train, val })
    }

    /// The vocabulary (no unknown token when built by [`CharSplit::new`]).
    #[must_use]
    pub fn vocab(&self) -> &Vocab {
        &self.vocab
    }

    /// The vocabulary size `V`.
    #[must_use]
    pub fn vocab_size(&self) -> usize {
        self.vocab.len()
    }

    /// The training token ids.
    #[must_use]
    pub fn train(&self) -> &[u32] {
        &self.train
    }

    /// The validation token ids.
    #[must_use]
    pub fn val(&self) -> &[u32] {
        &self.val
    }

    /// The text of token ids (the unknown token, if any, as [`super::UNKNOWN_LABEL`]).
    ///
    /// # Errors
    /// [`Error::InvalidValue`] (`ids`) for an id `≥ V`.
    pub fn decode(&self, ids: &[u32]) -> Result<String> {
        let mut s = String::with_capacity(ids.len());
        for (i, &id) in ids.iter().enumerate() {
            match self.vocab.chars().get(id as usize) {
                Some(&c) => s.push(c),
                None if self.vocab.unknown_id() == Some(id as usize) => {
                    s.push_str(super::UNKNOWN_LABEL);
                }
                None => {
                    return Err(Error::InvalidValue {
                        what: "ids",
                        row: i,
                        col: 0,
                        value: f64::from(id),
                        reason: "not a token id of the vocabulary",
                    });
                }
            }
        }
        Ok(s)
    }
}

/// The ids of `text` over `vocab`, at least 2 of them.
fn encode(vocab: &Vocab, text: &str, part: &str) -> Result<Vec<u32>> {
    let mut ids = Vec::with_capacity(text.len());
    for (i, c) in text.chars().enumerate() {
        match vocab.id(c) {
            Some(id) => ids.push(id as u32),
            None => {
                return Err(Error::Corpus {
                    path: part.into(),
                    reason: format!(
                        "character {c:?} (U+{:04X}) at character index {i} is not in the \
                         vocabulary, which has no unknown token",
                        c as u32
                    ),
                });
            }
        }
    }
    if ids.len() < 2 {
        return Err(Error::Corpus {
            path: part.into(),
            reason: format!(
                "it holds {} character{}, but a next-character prediction needs at least 2",
                ids.len(),
                if ids.len() == 1 { "" } else { "s" }
            ),
        });
    }
    Ok(ids)
}
