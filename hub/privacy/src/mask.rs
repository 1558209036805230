//! Masked forms of personal values, the only forms the API shows.
//!
//! Why these rules: an operator needs enough to tell two customers apart on
//! the phone or at the packing bench (the carrier's area code and the last
//! digits, a family name, the district) and no more. Every rule works on
//! `char`s, so a multi-byte character (CJK, accented Latin) is kept or
//! starred whole, never split; a letter followed by a combining mark counts
//! as two chars. Empty (or all-whitespace) input gives an empty string.
//!
//! - [`mask_phone`]: 11 chars or more keep the first 3 and last 4 around
//!   `****` (`13812345678` -> `138****5678`, `+8613812345678` ->
//!   `+86****5678`); 8 to 10 chars keep only the last 4 (`****5678`);
//!   fewer than 8 become `****`. At least 4 chars are always hidden, and
//!   the star count never shows the length.
//! - [`mask_name`]: each whitespace-separated word keeps its first char and
//!   gets one `*` per remaining char (`张三` -> `张*`, `欧阳娜娜` -> `欧***`,
//!   `John Smith` -> `J*** S****`); a one-char word becomes `*` (`张` ->
//!   `*`), so no word is ever shown whole. Runs of whitespace become one
//!   space.
//! - [`mask_street`]: keeps the first `min(6, len / 2)` chars (never more
//!   than half), trailing whitespace dropped, then `****`
//!   (`北京市朝阳区建国路88号` -> `北京市朝阳区****`); one char gives `****`.

/// Stars that stand for a hidden run of any length.
const STARS: &str = "****";

/// Masks a (normalised) phone number; see the module doc.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.trim().chars().collect();
    let n = chars.len();
    if n == 0 {
        return String::new();
    }
    let (head, tail) = match n {
        11.. => (3, 4),
        8..=10 => (0, 4),
        _ => (0, 0),
    };
    let mut out: String = chars[..head].iter().collect();
    out.push_str(STARS);
    out.extend(&chars[n - tail..]);
    out
}

/// Masks a person's name; see the module doc.
pub fn mask_name(name: &str) -> String {
    let words: Vec<String> = name.split_whitespace().map(mask_word).collect();
    words.join(" ")
}

/// First char and one star per remaining char; a one-char word is `*`.
fn mask_word(word: &str) -> String {
    let mut chars = word.chars();
    let first = chars.next();
    let rest = chars.count();
    match first {
        Some(first) if rest > 0 => {
            let mut out = String::with_capacity(first.len_utf8() + rest);
            out.push(first);
            out.extend(std::iter::repeat_n('*', rest));
            out
        }
        _ => "*".to_owned(),
    }
}

/// Masks a street line; see the module doc.
pub fn mask_street(street: &str) -> String {
    let street = street.trim();
    let n = street.chars().count();
    if n == 0 {
        return String::new();
    }
    let keep = (n / 2).min(6);
    let prefix: String = street.chars().take(keep).collect();
    let mut out = prefix.trim_end().to_owned();
    out.push_str(STARS);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones() {
        let cases = [
            ("13812345678", "138****5678"),
            ("+8613812345678", "+86****5678"),
            ("+14155550123", "+14****0123"),
            ("0755123456", "****3456"),
            ("12345678", "****5678"),
            ("1234567", "****"),
            ("110", "****"),
            ("1", "****"),
            ("", ""),
            ("   ", ""),
            (" 13812345678 ", "138****5678"),
            ("１３８１２３４５６７８", "１３８****５６７８"),
        ];
        for (input, want) in cases {
            assert_eq!(mask_phone(input), want, "{input:?}");
        }
    }

    #[test]
    fn names() {
        let cases = [
            ("张三", "张*"),
            ("张", "*"),
            ("欧阳娜娜", "欧***"),
            ("阿卜杜·热合曼", "阿******"),
            ("John Smith", "J*** S****"),
            ("  John   Smith ", "J*** S****"),
            ("J. Smith", "J* S****"),
            ("A B", "* *"),
            ("Zoë", "Z**"),
            ("Émile", "É****"),
            ("김민수", "김**"),
            ("田中 太郎", "田* 太*"),
            ("", ""),
            (" \t ", ""),
        ];
        for (input, want) in cases {
            assert_eq!(mask_name(input), want, "{input:?}");
        }
    }

    #[test]
    fn streets() {
        let cases = [
            ("北京市朝阳区建国路88号", "北京市朝阳区****"),
            ("建国路88号", "建国路****"),
            ("221B Baker Street", "221B B****"),
            ("12 Elm St", "12 E****"),
            ("Main", "Ma****"),
            ("路", "****"),
            ("", ""),
            ("  ", ""),
        ];
        for (input, want) in cases {
            assert_eq!(mask_street(input), want, "{input:?}");
        }
    }

    #[test]
    fn masks_never_split_a_char_and_hide_something() {
        let inputs = ["张三丰", "𠀀𠀁𠀂𠀃𠀄𠀅𠀆𠀇𠀈𠀉𠀊", "ééééééééééé", "x"];
        for input in inputs {
            for masked in [mask_phone(input), mask_name(input), mask_street(input)] {
                assert!(masked.contains('*'), "{input:?} -> {masked:?}");
                assert_ne!(masked, input);
            }
        }
    }
}
