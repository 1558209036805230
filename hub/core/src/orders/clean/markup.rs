//! Pasted rich text out of a field: HTML tags, comments and the common
//! entities, as copied from a web shop, a mail or a chat app's "rich" paste
//! (`<span style="...">浙江省</span>`).
//!
//! Only known HTML tag names count as tags, so text such as `<A栋>` or
//! `a < b` stays as typed; a `<` that opens no tag, or a tag that never
//! closes, is kept. Inline tags vanish (`<span>浙</span><span>江</span>`
//! is one word again), block tags (`<p>`, `<br>`, `<div>`, ...) leave a
//! space. The bodies of `<style>` and `<script>` are dropped with them.
//! Entities decoded: `&nbsp; &amp; &lt; &gt; &quot; &apos;` and numeric
//! ones (`&#160;`, `&#xA0;`); anything else stays as typed. The result
//! can hold new tags or entities (`&lt;b&gt;`): the caller repeats until
//! nothing changes.

/// Tags that separate words when rendered; every other tag is inline.
const BLOCK_TAGS: &[&str] = &[
    "address",
    "article",
    "blockquote",
    "body",
    "br",
    "dd",
    "div",
    "dl",
    "dt",
    "footer",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "head",
    "header",
    "hr",
    "html",
    "li",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "title",
    "tr",
    "ul",
];

/// Inline tags (and Word's `o:p`), removed without a trace.
const INLINE_TAGS: &[&str] = &[
    "a", "abbr", "b", "bdi", "bdo", "big", "cite", "code", "del", "em", "font", "i", "img", "ins",
    "kbd", "label", "link", "mark", "meta", "o:p", "q", "s", "samp", "script", "small", "span",
    "strike", "strong", "style", "sub", "sup", "time", "u", "var", "wbr",
];

/// [`strip_markup`]'s answer.
pub(super) struct Stripped {
    pub text: String,
    /// Tags and comments removed.
    pub tags: usize,
    /// Entities decoded.
    pub entities: usize,
}

/// Removes tags and comments and decodes entities, in one left-to-right
/// scan.
pub(super) fn strip_markup(text: &str) -> Stripped {
    let mut out = Stripped {
        text: String::with_capacity(text.len()),
        tags: 0,
        entities: 0,
    };
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if c == '<' {
            if let Some((len, block)) = tag_at(rest) {
                out.tags += 1;
                if block {
                    out.text.push(' ');
                }
                rest = &rest[len..];
                continue;
            }
        } else if c == '&' {
            if let Some((len, decoded)) = entity_at(rest) {
                out.entities += 1;
                out.text.push(decoded);
                rest = &rest[len..];
                continue;
            }
        }
        out.text.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// A tag or comment at the start of `s`: its length in bytes (with a
/// `<style>` or `<script>` body) and whether it separates words.
fn tag_at(s: &str) -> Option<(usize, bool)> {
    let body = s.strip_prefix('<')?;
    if let Some(comment) = body.strip_prefix("!--") {
        return comment.find("-->").map(|end| (4 + end + 3, false));
    }
    if body.starts_with('!') {
        // <!DOCTYPE html> and the like.
        return body.find('>').map(|end| (1 + end + 1, false));
    }
    let (closing, name_start) = match body.strip_prefix('/') {
        Some(after) => (true, after),
        None => (false, body),
    };
    let name_len = name_start
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == ':'))
        .unwrap_or(name_start.len());
    let name = name_start[..name_len].to_ascii_lowercase();
    let block = BLOCK_TAGS.contains(&name.as_str());
    if !block && !INLINE_TAGS.contains(&name.as_str()) {
        return None;
    }
    let after_name = &name_start[name_len..];
    if !after_name.starts_with(|c: char| c == '>' || c == '/' || c.is_whitespace()) {
        return None;
    }
    let end = s.find('>')?;
    let mut len = end + 1;
    if !closing && (name == "style" || name == "script") {
        len = raw_body_end(s, len, &name);
    }
    Some((len, block))
}

/// Where the `</style>` or `</script>` that closes a body ends, or the end
/// of the text when it never closes (the rest is styling, not an address).
fn raw_body_end(s: &str, from: usize, name: &str) -> usize {
    let lower = s.to_ascii_lowercase();
    let close = format!("</{name}");
    match lower[from..].find(&close) {
        Some(at) => {
            let close_start = from + at;
            match s[close_start..].find('>') {
                Some(gt) => close_start + gt + 1,
                None => s.len(),
            }
        }
        None => s.len(),
    }
}

/// An entity at the start of `s`: its length in bytes and its character.
fn entity_at(s: &str) -> Option<(usize, char)> {
    let semi = s.bytes().take(12).position(|b| b == b';')?;
    let name = &s[1..semi];
    let c = match name {
        "nbsp" => '\u{A0}',
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        _ => {
            let number = name.strip_prefix('#')?;
            let value = match number.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None if !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()) => {
                    number.parse().ok()?
                }
                None => return None,
            };
            char::from_u32(value).filter(|c| *c != '\0')?
        }
    };
    Some((semi + 1, c))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strip(s: &str) -> (String, usize, usize) {
        let out = strip_markup(s);
        (out.text, out.tags, out.entities)
    }

    #[test]
    fn tags_comments_and_bodies() {
        let cases: &[(&str, &str, usize)] = &[
            (r#"<span style="color:red">浙江省</span>"#, "浙江省", 2),
            ("<SPAN>a</SPAN>", "a", 2),
            ("a<br/>b<br />c", "a b c", 2),
            ("<p class=x>a</p>", " a ", 2),
            ("<!-- pasted -->a", "a", 1),
            ("<!DOCTYPE html>a", "a", 1),
            ("<style>p{color:red}</style>a", "a", 1),
            ("<o:p></o:p>a", "a", 2),
            ("<A栋>", "<A栋>", 0),
            ("a < b > c", "a < b > c", 0),
            ("<Room 5>", "<Room 5>", 0),
            ("<span never closes", "<span never closes", 0),
            ("<!-- never closes", "<!-- never closes", 0),
        ];
        for (raw, want, tags) in cases {
            assert_eq!(strip(raw), (want.to_string(), *tags, 0), "{raw:?}");
        }
    }

    #[test]
    fn entities() {
        let cases: &[(&str, &str, usize)] = &[
            ("&nbsp;", "\u{A0}", 1),
            ("&amp;&lt;&gt;&quot;&apos;", "&<>\"'", 5),
            ("&#20013;&#x56FD;", "中国", 2),
            ("&#0;&#xD800;&#;&#x;", "&#0;&#xD800;&#;&#x;", 0),
            ("&copy; & ;", "&copy; & ;", 0),
            ("AT&T", "AT&T", 0),
        ];
        for (raw, want, n) in cases {
            assert_eq!(strip(raw), (want.to_string(), 0, *n), "{raw:?}");
        }
    }
}
