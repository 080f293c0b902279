//! Text search semantics, defined once for every store: how text splits into words, how words
//! fold (case, accents, a few Latin letters), the searchable document a store indexes, and the
//! reference [`matches`] both stores' full-text indexes must agree with.
//!
//! Work orders and requests are searched by **word prefix**: every word of the query must be the
//! start of some word of the record's number, title or description, in any order.
//!
//! ```
//! use cmms_core::search::{document, matches};
//!
//! let doc = document("WO-00042", "Grüße from the pump room", Some("Replace valves"));
//! assert!(matches(&doc, "GRUSSE"));
//! assert!(matches(&doc, "valve wo-000"));
//! assert!(matches(&doc, "00042"));
//! assert!(!matches(&doc, "ump"));
//! assert!(!matches(&doc, ""));
//! ```

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::{canonical_combining_class, is_combining_mark};

/// The version of these rules. A store that indexes documents built by an older version must
/// rebuild them (the rules are part of the stored data).
pub const VERSION: u32 = 1;

/// Longest word kept, in characters; longer words are cut (in documents and queries alike).
pub const MAX_WORD_CHARS: usize = 64;

/// Most words of a query that count; later words are ignored.
pub const MAX_QUERY_WORDS: usize = 16;

/// Latin letters with no Unicode decomposition, written as what a reader would type instead.
/// Applied after lowercasing, so the capitals fold too.
fn latin(c: char) -> Option<&'static str> {
    Some(match c {
        'ß' => "ss",
        'æ' => "ae",
        'œ' => "oe",
        'ø' => "o",
        'ł' => "l",
        'đ' | 'ð' => "d",
        'þ' => "th",
        'ı' => "i",
        _ => return None,
    })
}

/// Folds text for comparison: compatibility decomposition (NFKD, so `ﬁ` is `fi` and `²` is
/// `2`), combining marks with a nonzero combining class dropped (accents: every mark a
/// decomposition splits off), lowercased, the [`latin`] table, then NFC.
/// "Grüße" folds to "grusse", "Électricité" to "electricite".
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.nfkd().filter(|c| !is_nonspacing_mark(*c)) {
        for l in c.to_lowercase() {
            match latin(l) {
                Some(s) => out.push_str(s),
                None => out.push(l),
            }
        }
    }
    // Lowercasing can leave text not in NFC; compose so equal words are equal strings.
    out.nfc().collect()
}

/// Whether accent folding drops `c`: a mark (general category M*) that combines with its base
/// (nonzero canonical combining class) — the accents decomposition splits off Latin letters.
/// Marks with class 0 (many vowel signs of Indic and Southeast Asian scripts) stay word
/// characters: they carry meaning.
fn is_nonspacing_mark(c: char) -> bool {
    is_combining_mark(c) && canonical_combining_class(c) != 0
}

/// Whether `c` belongs to a word: a letter, a number or a mark (general categories L*, N*,
/// M*). Everything else (spaces, punctuation, symbols, emoji) separates words.
pub fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || is_combining_mark(c)
}

/// The folded words of `text`, in order, each cut at [`MAX_WORD_CHARS`] characters.
/// `WO-2026-00042` gives `wo`, `2026`, `00042`; `O'Brien` gives `o`, `brien`.
pub fn words(text: &str) -> Vec<String> {
    fold(text)
        .split(|c: char| !is_word_char(c))
        .filter(|w| !w.is_empty())
        .map(|w| match w.char_indices().nth(MAX_WORD_CHARS) {
            Some((at, _)) => w[..at].to_owned(),
            None => w.to_owned(),
        })
        .collect()
}

/// The searchable document of a record: its distinct folded words joined by single spaces,
/// with a space before the first and after the last (`" wo 00042 pump "`), so "some word
/// starts with `w`" is "the document contains `" w"`". Empty when there are no words.
pub fn document(number: &str, title: &str, description: Option<&str>) -> String {
    let mut seen = std::collections::HashSet::new();
    let mut out = String::from(" ");
    for text in [Some(number), Some(title), description].into_iter().flatten() {
        for w in words(text) {
            if seen.insert(w.clone()) {
                out.push_str(&w);
                out.push(' ');
            }
        }
    }
    if out.len() == 1 { String::new() } else { out }
}

/// The words of a search query, folded like documents: at most [`MAX_QUERY_WORDS`], distinct.
/// A query with no words matches nothing.
pub fn query(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for w in words(text) {
        if out.len() == MAX_QUERY_WORDS {
            break;
        }
        if !out.contains(&w) {
            out.push(w);
        }
    }
    out
}

/// The reference semantics: whether a record whose [`document`] is `doc` matches the search
/// `text` — every query word is the start of some document word. Both stores' indexes must
/// give exactly this answer (the conformance suite checks).
pub fn matches(doc: &str, text: &str) -> bool {
    let q = query(text);
    !q.is_empty() && has_all(doc, &q)
}

/// Whether every one of the (already folded) query `words` starts some word of `doc`: the
/// check a store makes on documents it has read, the same predicate as its index.
pub fn has_all(doc: &str, words: &[String]) -> bool {
    // " w": the space marks the start of a word.
    words.iter().all(|w| doc.contains(&format!(" {w}")))
}

/// The query as a PostgreSQL `tsquery` literal: `'w1':* & 'w2':*` (prefix match on every
/// word), quotes and backslashes escaped. `None` when the query has no words.
pub fn pg_tsquery(words: &[String]) -> Option<String> {
    if words.is_empty() {
        return None;
    }
    let parts: Vec<String> = words
        .iter()
        .map(|w| format!("'{}':*", w.replace('\\', "\\\\").replace('\'', "''")))
        .collect();
    Some(parts.join(" & "))
}

/// The query as an SQLite FTS5 expression: `"w1"* AND "w2"*`, double quotes doubled. `None`
/// when the query has no words.
pub fn fts5_query(words: &[String]) -> Option<String> {
    if words.is_empty() {
        return None;
    }
    let parts: Vec<String> =
        words.iter().map(|w| format!("\"{}\"*", w.replace('"', "\"\""))).collect();
    Some(parts.join(" AND "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn words_split_on_everything_but_letters_numbers_and_marks() {
        assert_eq!(words("WO-2026-00042"), ["wo", "2026", "00042"]);
        assert_eq!(words("O'Brien"), ["o", "brien"]);
        assert_eq!(words("50%_off"), ["50", "off"]);
        assert_eq!(words("  pump\tROOM\n"), ["pump", "room"]);
        assert_eq!(words("🔧 fix 🚿"), ["fix"]);
        assert_eq!(words("水泵 故障"), ["水泵", "故障"]);
        assert!(words("%_-").is_empty());
    }

    #[test]
    fn folding_covers_case_accents_and_latin_letters() {
        assert_eq!(fold("Grüße"), "grusse");
        assert_eq!(fold("Électricité"), "electricite");
        assert_eq!(fold("ﬁre"), "fire");
        assert_eq!(fold("m²"), "m2");
        assert_eq!(fold("ÆØÅ Œuvre Łódź Þór Đakovo Iİı"), "aeoa oeuvre lodz thor dakovo iii");
        assert_eq!(fold("ẞ"), "ss");
        assert_eq!(fold("Ñandú"), "nandu");
    }

    #[test]
    fn long_words_are_cut() {
        let long = "a".repeat(100);
        assert_eq!(words(&long), ["a".repeat(MAX_WORD_CHARS)]);
    }

    #[test]
    fn documents_hold_distinct_words_between_spaces() {
        assert_eq!(document("WO-1", "Pump pump", Some("PUMP room")), " wo 1 pump room ");
        assert_eq!(document("", "", None), "");
        assert_eq!(document("%", "--", Some("🔧")), "");
    }

    #[test]
    fn queries_are_folded_distinct_and_bounded() {
        assert_eq!(query("Valve VALVE véntil"), ["valve", "ventil"]);
        let many: String = (0..40).map(|i| format!("w{i} ")).collect();
        assert_eq!(query(&many).len(), MAX_QUERY_WORDS);
        assert!(query("  %% ").is_empty());
    }

    #[test]
    fn matching_is_by_word_prefix() {
        let doc = document("WO-00012", "Valves leaking", Some("50% off_sale in Grüße hall"));
        for hit in ["VALVE", "valves leak", "wo-000", "00012", "50% off_s", "grusse", "GRÜ", "h"] {
            assert!(matches(&doc, hit), "{hit}");
        }
        for miss in ["ump", "alves", "valves zeppelin", "", "%", "0012", "grüsse x"] {
            assert!(!matches(&doc, miss), "{miss}");
        }
    }

    #[test]
    fn store_queries_are_quoted() {
        let q = vec!["o".to_string(), "brien".to_string()];
        assert_eq!(pg_tsquery(&q).as_deref(), Some("'o':* & 'brien':*"));
        assert_eq!(fts5_query(&q).as_deref(), Some("\"o\"* AND \"brien\"*"));
        let odd = vec!["a'b\\c\"d".to_string()];
        assert_eq!(pg_tsquery(&odd).as_deref(), Some("'a''b\\\\c\"d':*"));
        assert_eq!(fts5_query(&odd).as_deref(), Some("\"a'b\\c\"\"d\"*"));
        assert_eq!(pg_tsquery(&[]), None);
        assert_eq!(fts5_query(&[]), None);
    }

    /// Latin with accents and the folded letters, digits, CJK, emoji and punctuation.
    const TEXT: &str = "[a-zA-Z0-9À-ɏßæœøłđðþıﬁ²水泵故障🔧%_'. -]{0,40}";

    proptest! {
        #[test]
        fn a_prefix_of_any_word_matches(
            title in TEXT,
            description in proptest::option::of(TEXT),
            pick in 0usize..100,
            cut in 1usize..80,
        ) {
            let all = [title.as_str(), description.as_deref().unwrap_or("")].join(" ");
            let ws = words(&all);
            prop_assume!(!ws.is_empty());
            let w = &ws[pick % ws.len()];
            let prefix: String = w.chars().take(cut).collect();
            let doc = document("", &title, description.as_deref());
            prop_assert!(matches(&doc, &prefix), "{prefix:?} in {doc:?}");
            // The folded word's prefix is its own query: folding is idempotent on words.
            prop_assert_eq!(query(&prefix), vec![prefix.clone()]);
        }
    }
}
