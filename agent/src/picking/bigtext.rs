//! Large letters for the one word a picker must read from arm's length:
//! a 3x5 block font, four columns a character, so 20 characters fit the
//! 80 columns of a handheld's screen.
//!
//! Why our own: ratatui has no large text of its own in the version the
//! workspace can build, and only the characters of locations, SKUs and
//! numbers are needed. A word with any other character is not enlarged
//! (the headline above it still says it in plain text).

/// Rows of a glyph.
pub(super) const HEIGHT: usize = 5;

/// The five rows of `word` in large letters, or None when a character has
/// no glyph or the word is wider than `width` columns.
pub(super) fn render(word: &str, width: usize) -> Option<[String; HEIGHT]> {
    let glyphs: Vec<[&str; HEIGHT]> = word
        .chars()
        .map(|c| glyph(c.to_ascii_uppercase()))
        .collect::<Option<_>>()?;
    if glyphs.is_empty() || glyphs.len() * 4 - 1 > width {
        return None;
    }
    let mut rows: [String; HEIGHT] = Default::default();
    for (row, out) in rows.iter_mut().enumerate() {
        let parts: Vec<String> = glyphs.iter().map(|g| g[row].replace('#', "█")).collect();
        *out = parts.join(" ");
    }
    Some(rows)
}

#[rustfmt::skip]
fn glyph(c: char) -> Option<[&'static str; HEIGHT]> {
    Some(match c {
        'A' => [" # ", "# #", "###", "# #", "# #"],
        'B' => ["## ", "# #", "## ", "# #", "## "],
        'C' => [" ##", "#  ", "#  ", "#  ", " ##"],
        'D' => ["## ", "# #", "# #", "# #", "## "],
        'E' => ["###", "#  ", "## ", "#  ", "###"],
        'F' => ["###", "#  ", "## ", "#  ", "#  "],
        'G' => [" ##", "#  ", "# #", "# #", " ##"],
        'H' => ["# #", "# #", "###", "# #", "# #"],
        'I' => ["###", " # ", " # ", " # ", "###"],
        'J' => ["  #", "  #", "  #", "# #", " # "],
        'K' => ["# #", "# #", "## ", "# #", "# #"],
        'L' => ["#  ", "#  ", "#  ", "#  ", "###"],
        'M' => ["# #", "###", "###", "# #", "# #"],
        'N' => ["## ", "# #", "# #", "# #", "# #"],
        'O' => [" # ", "# #", "# #", "# #", " # "],
        'P' => ["## ", "# #", "## ", "#  ", "#  "],
        'Q' => [" # ", "# #", "# #", "## ", " ##"],
        'R' => ["## ", "# #", "## ", "# #", "# #"],
        'S' => [" ##", "#  ", " # ", "  #", "## "],
        'T' => ["###", " # ", " # ", " # ", " # "],
        'U' => ["# #", "# #", "# #", "# #", "###"],
        'V' => ["# #", "# #", "# #", "# #", " # "],
        'W' => ["# #", "# #", "###", "###", "# #"],
        'X' => ["# #", "# #", " # ", "# #", "# #"],
        'Y' => ["# #", "# #", " # ", " # ", " # "],
        'Z' => ["###", "  #", " # ", "#  ", "###"],
        '0' => ["###", "# #", "# #", "# #", "###"],
        '1' => [" # ", "## ", " # ", " # ", "###"],
        '2' => ["## ", "  #", " # ", "#  ", "###"],
        '3' => ["## ", "  #", " # ", "  #", "## "],
        '4' => ["# #", "# #", "###", "  #", "  #"],
        '5' => ["###", "#  ", "## ", "  #", "## "],
        '6' => [" ##", "#  ", "###", "# #", "###"],
        '7' => ["###", "  #", " # ", " # ", " # "],
        '8' => ["###", "# #", "###", "# #", "###"],
        '9' => ["###", "# #", "###", "  #", "## "],
        '-' => ["   ", "   ", "###", "   ", "   "],
        '.' => ["   ", "   ", "   ", "   ", " # "],
        '/' => ["  #", "  #", " # ", "#  ", "#  "],
        ':' => ["   ", " # ", "   ", " # ", "   "],
        '_' => ["   ", "   ", "   ", "   ", "###"],
        ' ' => ["   ", "   ", "   ", "   ", "   "],
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_of_known_characters_fit_or_are_left_plain() {
        let rows = render("A-1", 80).expect("renders");
        assert_eq!(rows[0], " █       █ ");
        assert_eq!(rows[2], "███ ███  █ ");
        assert_eq!(
            render("tea", 80).map(|r| r[0].clone()).as_deref(),
            Some("███ ███  █ ")
        );
        assert_eq!(render("é", 80), None);
        assert_eq!(render("", 80), None);
        assert!(render(&"8".repeat(20), 80).is_some());
        assert!(render(&"8".repeat(21), 80).is_none());
    }
}
