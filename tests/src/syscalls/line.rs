//! Reading `strace -f -y -qq` output line by line into system calls.
//!
//! Why it exists: under `-f` the calls of several threads interleave, and a
//! call that blocks is printed twice (`name(args <unfinished ...>` when it
//! starts, `<... name resumed>rest) = ret` when it returns). The audit needs
//! both moments (a confirmation counts when it starts, an fsync once it
//! returned), so every line becomes a [`Event::Start`] and/or an
//! [`Event::End`] of one [`Call`], with the start joined to its resumption.
//! Text helpers for strace's escaped strings and `-y` path decorations
//! (`9</data/db>`) live here too. Nothing here panics on odd input: a line
//! that is not a system call is counted and skipped.

use std::collections::HashMap;

/// One system call as strace printed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// The thread that made it.
    pub pid: u32,
    /// The system call's name.
    pub name: String,
    /// Its arguments, as printed (as far as printed, for a start).
    pub args: Vec<String>,
    /// What it returned ([`Ret::Pending`] in a start event).
    pub ret: Ret,
    /// Index of the line where it started.
    pub start: usize,
    /// Index of the line where it returned (the start line for a start).
    pub end: usize,
}

/// A call's return value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ret {
    /// Not returned yet.
    Pending,
    /// A non-negative value, with its `-y` path decoration for an fd.
    Value(i64, Option<String>),
    /// -1 and the errno name.
    Error(String),
    /// `?`: it never returned (or will be restarted).
    Unknown,
}

impl Ret {
    /// Whether the call returned a non-negative value.
    pub fn ok(&self) -> bool {
        matches!(self, Ret::Value(..))
    }
}

/// A moment of a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// It started (its input arguments are known).
    Start(Call),
    /// It returned.
    End(Call),
}

/// Turns lines into events, joining each `<unfinished ...>` to its
/// `<... resumed>`.
#[derive(Debug, Default)]
pub struct Lines {
    pending: HashMap<u32, (String, usize)>,
    /// Lines that were neither a system call nor a known notice.
    pub unparsed: usize,
}

const UNFINISHED: &str = " <unfinished ...>";

impl Lines {
    /// The events of line `index`.
    pub fn feed(&mut self, index: usize, line: &str) -> Vec<Event> {
        let (pid, rest) = split_pid(line.trim_end());
        if rest.starts_with("---") || rest.starts_with("+++") || rest.is_empty() {
            return Vec::new();
        }
        if let Some(tail) = rest.strip_prefix("<... ") {
            return self.resumed(pid, index, tail);
        }
        if let Some(head) = rest.strip_suffix(UNFINISHED) {
            let Some((name, args, _)) = split_call(head) else {
                self.unparsed += 1;
                return Vec::new();
            };
            self.pending.insert(pid, (head.to_string(), index));
            let call = call(pid, name, args, Ret::Pending, index, index);
            return vec![Event::Start(call)];
        }
        match parse_complete(rest) {
            Some((name, args, ret)) => {
                let started = call(pid, name, args.clone(), Ret::Pending, index, index);
                let ended = call(pid, name, args, ret, index, index);
                vec![Event::Start(started), Event::End(ended)]
            }
            None => {
                self.unparsed += 1;
                Vec::new()
            }
        }
    }

    fn resumed(&mut self, pid: u32, index: usize, tail: &str) -> Vec<Event> {
        let rest = tail.split_once(" resumed>").map(|(_, rest)| rest);
        let (Some(rest), Some((head, start))) = (rest, self.pending.remove(&pid)) else {
            self.unparsed += 1;
            return Vec::new();
        };
        match parse_complete(&format!("{head}{rest}")) {
            Some((name, args, ret)) => vec![Event::End(call(pid, name, args, ret, start, index))],
            None => {
                self.unparsed += 1;
                Vec::new()
            }
        }
    }
}

fn call(pid: u32, name: &str, args: Vec<String>, ret: Ret, start: usize, end: usize) -> Call {
    Call {
        pid,
        name: name.to_string(),
        args,
        ret,
        start,
        end,
    }
}

/// `1234 rest`, `[pid 1234] rest` or just `rest` (pid 0).
fn split_pid(line: &str) -> (u32, &str) {
    let body = line.strip_prefix("[pid ").unwrap_or(line);
    let digits = body.bytes().take_while(u8::is_ascii_digit).count();
    match body[..digits].parse() {
        Ok(pid) => (pid, body[digits..].trim_start_matches([']', ' '])),
        Err(_) => (0, line),
    }
}

/// `name(args) = ret...` into its parts.
fn parse_complete(text: &str) -> Option<(&str, Vec<String>, Ret)> {
    let (name, args, consumed) = split_call(text)?;
    let after = text.get(consumed..)?.trim_start();
    let ret = parse_ret(after.strip_prefix('=')?.trim_start())?;
    Some((name, args, ret))
}

/// `name(a, b, ...` into the name, the top-level arguments and how many
/// bytes were read (through the closing parenthesis, if there is one).
fn split_call(text: &str) -> Option<(&str, Vec<String>, usize)> {
    let open = text.find('(')?;
    let name = &text[..open];
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return None;
    }
    let (args, used) = split_args(&text[open + 1..]);
    Some((name, args, open + 1 + used))
}

/// Splits at top-level commas until the closing parenthesis, minding
/// strings, brackets and `<...>` path decorations.
fn split_args(text: &str) -> (Vec<String>, usize) {
    let bytes = text.as_bytes();
    let (mut args, mut from, mut depth) = (Vec::new(), 0, 0usize);
    let (mut quoted, mut decorated, mut escaped) = (false, false, false);
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if quoted {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => quoted = false,
                _ => {}
            }
        } else if decorated {
            decorated = b != b'>';
        } else {
            match b {
                b'"' => quoted = true,
                b'<' => decorated = true,
                b'(' | b'[' | b'{' => depth += 1,
                b')' if depth == 0 => {
                    push_arg(&mut args, &text[from..i]);
                    return (args, i + 1);
                }
                b')' | b']' | b'}' => depth = depth.saturating_sub(1),
                b',' if depth == 0 => {
                    push_arg(&mut args, &text[from..i]);
                    from = i + 1;
                }
                _ => {}
            }
        }
        i += 1;
    }
    push_arg(&mut args, &text[from..]);
    (args, bytes.len())
}

fn push_arg(args: &mut Vec<String>, text: &str) {
    let text = text.trim();
    if !text.is_empty() {
        args.push(text.to_string());
    }
}

fn parse_ret(text: &str) -> Option<Ret> {
    let token = text.split_whitespace().next()?;
    if token.starts_with('?') {
        return Some(Ret::Unknown);
    }
    if token == "-1" {
        let errno = text.split_whitespace().nth(1).unwrap_or("");
        return Some(Ret::Error(errno.to_string()));
    }
    let (number, decoration) = match token.find('<') {
        Some(at) => (&token[..at], decoration(text)),
        None => (token, None),
    };
    let value = match number.strip_prefix("0x") {
        Some(hex) => i64::from_str_radix(hex, 16).ok()?,
        None => number.parse().ok()?,
    };
    Some(Ret::Value(value, decoration))
}

/// The `-y` decoration of an argument or return value: `9</data/db>` ->
/// `/data/db` (without a ` (deleted)` mark).
pub fn decoration(text: &str) -> Option<String> {
    let open = text.find('<')?;
    let close = text.rfind('>')?;
    let inner = text.get(open + 1..close)?;
    Some(inner.trim_end_matches(" (deleted)").to_string())
}

/// The fd number an argument starts with (`1<pipe:[5]>` -> 1).
pub fn fd_number(text: &str) -> Option<i64> {
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    text.get(..digits)?.parse().ok()
}

/// Every quoted string in an argument (an iovec array holds several),
/// decoded, each with whether strace cut it short (`"..."...`).
pub fn strings_in(text: &str) -> Vec<(Vec<u8>, bool)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'"' {
            i += 1;
            continue;
        }
        let (decoded, next) = decode_string(bytes, i + 1);
        let cut = bytes.get(next..next + 3) == Some(b"...");
        out.push((decoded, cut));
        i = next;
    }
    out
}

/// The bytes an argument's strings hold, joined, up to the first one strace
/// cut short.
pub fn joined_bytes(text: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for (bytes, cut) in strings_in(text) {
        out.extend(bytes);
        if cut {
            break;
        }
    }
    out
}

/// Decodes a C-escaped string body starting at `from` (after the opening
/// quote); returns the bytes and the index after the closing quote.
fn decode_string(bytes: &[u8], from: usize) -> (Vec<u8>, usize) {
    let mut out = Vec::new();
    let mut i = from;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => return (out, i + 1),
            b'\\' => {
                let (byte, used) = unescape(&bytes[i + 1..]);
                out.push(byte);
                i += 1 + used;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    (out, i)
}

fn unescape(rest: &[u8]) -> (u8, usize) {
    let simple = |b: u8| match b {
        b'n' => Some(b'\n'),
        b't' => Some(b'\t'),
        b'r' => Some(b'\r'),
        b'v' => 0x0b_u8.into(),
        b'f' => 0x0c_u8.into(),
        b'a' => 0x07_u8.into(),
        b'b' => 0x08_u8.into(),
        b'e' => 0x1b_u8.into(),
        _ => None,
    };
    let Some(&first) = rest.first() else {
        return (b'\\', 0);
    };
    if let Some(b) = simple(first) {
        return (b, 1);
    }
    if first == b'x' {
        let hex: Vec<u8> = rest[1..].iter().copied().take(2).collect();
        let parsed = std::str::from_utf8(&hex)
            .ok()
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        return parsed.map_or((b'x', 1), |b| (b, 1 + hex.len()));
    }
    let octal = rest
        .iter()
        .take(3)
        .take_while(|b| (b'0'..=b'7').contains(b));
    let digits: Vec<u8> = octal.copied().collect();
    if digits.is_empty() {
        return (first, 1);
    }
    let value = digits
        .iter()
        .fold(0u32, |acc, d| acc * 8 + u32::from(d - b'0'));
    (u8::try_from(value).unwrap_or(u8::MAX), digits.len())
}

/// `path` made absolute against `base` (a directory) and normalised
/// lexically (`.` and `..`); `None` for a relative path without a base.
pub fn resolve(base: Option<&str>, path: &str) -> Option<String> {
    let joined = if path.starts_with('/') {
        path.to_string()
    } else {
        format!("{}/{path}", base?)
    };
    let mut parts: Vec<&str> = Vec::new();
    for part in joined.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    Some(format!("/{}", parts.join("/")))
}
