//! Text cleaning for every customer field: what people paste from chat
//! apps, phones and web pages into an order, made plain.
//!
//! Removed: zero-width characters and joiners, other invisible format
//! characters (soft hyphen, word joiner, Hangul fillers, tags), bidi marks,
//! embeddings, overrides and isolates, variation selectors, the BOM, C0 and
//! C1 controls, private-use characters and noncharacters, and emoji (a
//! thermal label printer cannot print them, and they are never part of a
//! name or an address: the pictographic blocks U+1F000-1FAFF, misc symbols
//! and dingbats U+2600-27BF, U+2B00-2BFF, and a few stray emoji). Pasted
//! markup goes too: known HTML tags (a block tag leaves a space), the body
//! of `<style>` and `<script>`, comments, and the common entities are
//! decoded. Then NFC, and every run of whitespace (including NBSP and the
//! ideographic space U+3000) becomes one ASCII space, trimmed at both
//! ends. CJK, letters, digits, punctuation and other symbols stay.
//!
//! Each step can expose work for another (`&#8203;` decodes to a
//! zero-width space, `<\u{200B}b>` becomes a tag once the space is gone),
//! so the steps repeat until the text stops changing: [`clean_text`] is
//! idempotent, which the proptests check.

use super::markup::strip_markup;
use unicode_normalization::UnicodeNormalization;

/// What kind of change [`clean_text`] made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TextFixKind {
    /// Zero-width spaces and joiners, soft hyphens, other format characters.
    Invisible,
    /// Bidi marks, embeddings, overrides, isolates.
    Bidi,
    VariationSelector,
    ByteOrderMark,
    /// C0 and C1 controls that are not whitespace.
    Control,
    /// Private-use characters, noncharacters, U+FFFC and U+FFFD.
    PrivateUse,
    Emoji,
    HtmlTag,
    HtmlEntity,
    Nfc,
    Whitespace,
}

/// One kind of change and how often it was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextFix {
    pub kind: TextFixKind,
    pub count: usize,
}

impl TextFix {
    /// Says what was done, without the text it was done to.
    pub fn describe(&self) -> String {
        let n = self.count;
        match self.kind {
            TextFixKind::Invisible => format!("removed {n} zero-width or invisible characters"),
            TextFixKind::Bidi => format!("removed {n} bidirectional control characters"),
            TextFixKind::VariationSelector => format!("removed {n} variation selectors"),
            TextFixKind::ByteOrderMark => format!("removed {n} byte order marks"),
            TextFixKind::Control => format!("removed {n} control characters"),
            TextFixKind::PrivateUse => {
                format!("removed {n} private-use, noncharacter or replacement characters")
            }
            TextFixKind::Emoji => {
                format!("removed {n} emoji or pictographs (labels cannot print them)")
            }
            TextFixKind::HtmlTag => format!("removed {n} HTML tags or comments"),
            TextFixKind::HtmlEntity => format!("decoded {n} HTML entities"),
            TextFixKind::Nfc => "normalised to Unicode NFC".to_string(),
            TextFixKind::Whitespace => "collapsed or trimmed whitespace".to_string(),
        }
    }
}

/// The classes of characters [`clean_text`] removes, `None` for a kept one.
pub fn removed_class(c: char) -> Option<TextFixKind> {
    use TextFixKind::*;
    let u = c as u32;
    let kind = match u {
        0xFEFF => ByteOrderMark,
        0x200E | 0x200F | 0x061C | 0x202A..=0x202E | 0x2066..=0x2069 => Bidi,
        0xFE00..=0xFE0F | 0xE0100..=0xE01EF | 0x180B..=0x180D | 0x180F => VariationSelector,
        0x200B..=0x200D
        | 0x2060..=0x2065
        | 0x206A..=0x206F
        | 0x00AD
        | 0x034F
        | 0x180E
        | 0x115F
        | 0x1160
        | 0x17B4
        | 0x17B5
        | 0x3164
        | 0xFFA0
        | 0xFFF0..=0xFFFB
        | 0x1D173..=0x1D17A
        | 0xE0000..=0xE007F => Invisible,
        0xE000..=0xF8FF | 0xF0000..=0x10FFFF | 0xFDD0..=0xFDEF | 0xFFFC | 0xFFFD => PrivateUse,
        _ if u & 0xFFFE == 0xFFFE => PrivateUse,
        0x1F000..=0x1FAFF
        | 0x2600..=0x27BF
        | 0x2B00..=0x2BFF
        | 0x231A
        | 0x231B
        | 0x23E9..=0x23FA
        | 0x20E3
        | 0x3030
        | 0x303D
        | 0x3297
        | 0x3299 => Emoji,
        _ if c.is_control() && !c.is_whitespace() => Control,
        _ => return None,
    };
    Some(kind)
}

/// Cleans one field's text (see the module doc); returns the clean text
/// and what was changed, one [`TextFix`] per kind, in a stable order.
pub fn clean_text(raw: &str) -> (String, Vec<TextFix>) {
    let mut counts = Counts::default();
    let mut text = raw.to_string();
    // Each changing pass removes or decodes something (the text gets
    // shorter) or normalises (which a second pass leaves alone), so this
    // settles in a few passes; the bound only guards against a mistake.
    for _ in 0..32 {
        let next = pass(&text, &mut counts);
        if next == text {
            break;
        }
        text = next;
    }
    (text, counts.into_fixes())
}

/// One round of every step.
fn pass(text: &str, counts: &mut Counts) -> String {
    let mut kept = String::with_capacity(text.len());
    for c in text.chars() {
        match removed_class(c) {
            Some(kind) => counts.add(kind, 1),
            None => kept.push(c),
        }
    }
    let stripped = strip_markup(&kept);
    counts.add(TextFixKind::HtmlTag, stripped.tags);
    counts.add(TextFixKind::HtmlEntity, stripped.entities);
    let collapsed = collapse_whitespace(&stripped.text);
    if collapsed != stripped.text {
        counts.add(TextFixKind::Whitespace, 1);
    }
    let nfc: String = collapsed.nfc().collect();
    if nfc != collapsed {
        counts.add(TextFixKind::Nfc, 1);
    }
    nfc
}

/// Every run of Unicode whitespace to one ASCII space; trimmed.
fn collapse_whitespace(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split(char::is_whitespace).filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// How many of each change, over all passes.
#[derive(Default)]
struct Counts(std::collections::BTreeMap<TextFixKind, usize>);

impl Counts {
    fn add(&mut self, kind: TextFixKind, n: usize) {
        if n > 0 {
            *self.0.entry(kind).or_default() += n;
        }
    }

    fn into_fixes(self) -> Vec<TextFix> {
        let mut fixes: Vec<TextFix> = self
            .0
            .into_iter()
            .map(|(kind, count)| TextFix { kind, count })
            .collect();
        // NFC and whitespace are one fact each, however many passes saw them.
        for fix in &mut fixes {
            if matches!(fix.kind, TextFixKind::Nfc | TextFixKind::Whitespace) {
                fix.count = 1;
            }
        }
        fixes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn clean(s: &str) -> String {
        clean_text(s).0
    }

    fn kinds(s: &str) -> Vec<(TextFixKind, usize)> {
        clean_text(s).1.iter().map(|f| (f.kind, f.count)).collect()
    }

    /// Raw text, clean text, the changes reported.
    type Case = (&'static str, &'static str, &'static [(TextFixKind, usize)]);

    #[test]
    fn each_rule() {
        use TextFixKind::*;
        let cases: &[Case] = &[
            ("张\u{200B}三\u{200D}", "张三", &[(Invisible, 2)]),
            ("\u{202E}abc\u{202C}\u{200E}", "abc", &[(Bidi, 3)]),
            ("\u{2066}x\u{2069}", "x", &[(Bidi, 2)]),
            ("a\u{FE0F}b\u{E0100}", "ab", &[(VariationSelector, 2)]),
            ("\u{FEFF}杭州", "杭州", &[(ByteOrderMark, 1)]),
            ("a\u{0}b\u{7F}c\u{9B}d", "abcd", &[(Control, 3)]),
            ("a\u{E000}b\u{F0000}c\u{FFFD}", "abc", &[(PrivateUse, 3)]),
            ("李四😀🇨🇳✈", "李四", &[(Emoji, 4)]),
            ("<b>a</b>", "a", &[(HtmlTag, 2)]),
            ("a&amp;b&lt;&#49;&#x32;", "a&b<12", &[(HtmlEntity, 4)]),
            ("e\u{301}", "é", &[(Nfc, 1)]),
            ("  a \t\n b\u{3000}\u{A0}c  ", "a b c", &[(Whitespace, 1)]),
            ("文三路90号", "文三路90号", &[]),
            (
                "O'Brien-Smith, Jr. #5 (A栋)",
                "O'Brien-Smith, Jr. #5 (A栋)",
                &[],
            ),
        ];
        for (raw, want, fixes) in cases {
            assert_eq!(clean(raw), *want, "{raw:?}");
            assert_eq!(kinds(raw), fixes.to_vec(), "{raw:?}");
        }
    }

    #[test]
    fn markup_and_entities_interact_until_settled() {
        assert_eq!(clean("&lt;b&gt;x"), "x");
        assert_eq!(clean("&amp;lt;b&amp;gt;x"), "x");
        assert_eq!(clean("a&#8203;b"), "ab");
        assert_eq!(clean("<\u{200B}span>a</span>"), "a");
        assert_eq!(clean("<😀b>a"), "a");
        assert_eq!(clean("a&nbsp;&nbsp;b"), "a b");
        assert_eq!(clean("<p>浙江省</p><p>杭州市</p>"), "浙江省 杭州市");
        assert_eq!(
            clean("<span>浙江省</span><span>杭州市</span>"),
            "浙江省杭州市"
        );
    }

    #[test]
    fn fix_descriptions_hold_no_text() {
        let (_, fixes) = clean_text("<b>张三</b>\u{200B}");
        for fix in fixes {
            assert!(!fix.describe().contains('张'));
        }
    }

    fn nasty() -> impl Strategy<Value = String> {
        let pieces = prop::sample::select(vec![
            "a", "Z", "9", " ", "\u{3000}", "\u{A0}", "\t", "\n", "浙", "江", "<", ">", "&", ";",
            "#", "/", "<b>", "</span>", "<br>", "<style>", "</style>", "<!--", "-->", "&amp;",
            "&lt;", "&gt;", "&#8203;", "&#x200B;", "&nbsp;", "amp;", "lt;", "&#", "\u{200B}",
            "\u{200D}", "\u{202E}", "\u{2066}", "\u{FE0F}", "\u{FEFF}", "\u{0}", "\u{85}",
            "\u{E000}", "😀", "\u{301}", "e", "\u{338}", "\u{FA10}", "\u{212B}",
        ]);
        prop::collection::vec(pieces, 0..24).prop_map(|v| v.concat())
    }

    fn assert_clean_output(out: &str) {
        for c in out.chars() {
            assert!(removed_class(c).is_none(), "{c:?} in {out:?}");
            assert!(c == ' ' || !c.is_whitespace(), "{c:?} in {out:?}");
        }
        assert!(!out.starts_with(' ') && !out.ends_with(' ') && !out.contains("  "));
        assert!(unicode_normalization::is_nfc(out));
    }

    proptest! {
        #[test]
        fn idempotent_and_clean(s in prop_oneof![nasty(), any::<String>()]) {
            let (once, _) = clean_text(&s);
            let (twice, fixes) = clean_text(&once);
            prop_assert_eq!(&twice, &once);
            prop_assert!(fixes.is_empty());
            assert_clean_output(&once);
        }
    }
}
