//! The fast walk over one JSON line of a format with only top-level keys
//! ([`FastScan`]); every line it gives up on goes to the serde walk
//! ([`super::reference`]), which defines what a line means.

use super::key_table::FlatKeys;
use super::structural::{Block, IndexedLine};
use super::Captures;

/// The fast path gave up on a line: the serde walk reads it instead, and decides
/// whether it is valid at all.
pub(super) struct GiveUp;

/// The fast path over one JSON line of a format with only top-level keys.
///
/// Why it exists: serde_json's walk costs a visitor dispatch per value, a UTF-8
/// check per captured value and per key, and a `memcmp` per candidate key; a
/// gateway line has about ten keys, most of them unwanted, so the walk ran far
/// slower than a plain scan (figure in docs/performance.md). This scan reads a
/// flat object directly: each key is looked up in [`FlatKeys`]; wanted values are
/// captured as the same raw text serde_json's `RawValue` would give; other values
/// are only checked and skipped.
///
/// Strings are not read byte by byte. The structural pass
/// ([`super::structural`]) has marked, in 64-byte blocks of the whole window (or
/// line), the quotes that no backslash escapes, the bytes no key may hold, and the bytes
/// that need a look inside a string (control characters, non-ASCII bytes, escapes
/// other than `\"` and `\\`). A string ends at the next such quote, and only its
/// special bytes, if its span has any, are examined ([`check_special`]); a plain
/// string, or an escaped body whose escapes are all `\"`, costs a few bit
/// operations per block. Everything outside strings (whitespace, separators,
/// numbers, literals) is read from the bytes themselves, so a backslash or a
/// stray byte there gives up: the separators gateways write (`":"` between a key
/// and a string value, `","` before the next key) two at a time, a number in its
/// common forms from one 8-byte word ([`short_number`]), the rest byte by byte.
///
/// Exactness: it accepts a line only when serde_json would accept it and capture
/// the same values, and gives up otherwise. It checks the full JSON grammar for
/// what it accepts (string escapes, control characters, number syntax, literals,
/// separators, nothing after the object), exactly as serde_json's skipper does,
/// and captures through the same [`Captures`] rules (so duplicate keys resolve as
/// in the walk). It gives up on nested objects and arrays, on keys holding
/// escapes or non-ASCII bytes (serde_json unescapes and UTF-8-checks keys), on a
/// wanted value that is not UTF-8 (serde_json rejects it), and on anything it
/// does not expect. Bytes that are not UTF-8 in skipped strings are accepted, as
/// serde_json accepts them. The tests hold it to the walk on tricky and on
/// assembled lines, with escapes, backslash runs, non-ASCII and control bytes at
/// every offset around the 16- and 64-byte edges, and on lines of many blocks.
pub(super) struct FastScan<'a, 'b> {
    /// The text up to the line's end, with the line at `text[start..]`.
    text: &'a [u8],
    /// The blocks of `text`, from its first byte ([`super::structural`]).
    blocks: &'b [Block],
    at: usize,
}

impl<'a, 'b> FastScan<'a, 'b> {
    /// A scan of a line, given its structure.
    pub(super) fn new(line: IndexedLine<'a, 'b>) -> FastScan<'a, 'b> {
        FastScan {
            text: line.text,
            blocks: line.blocks,
            at: line.start,
        }
    }

    /// Read the line as one flat object, offering wanted values to `caps`.
    #[inline(always)]
    pub(super) fn object(mut self, keys: &FlatKeys, caps: &mut Captures<'a>) -> Result<(), GiveUp> {
        self.whitespace();
        self.expect(b'{')?;
        self.whitespace();
        if self.peek() == Some(b'}') {
            self.at += 1;
            return self.end();
        }
        self.expect(b'"')?;
        loop {
            // Past a key's opening quote.
            let key_at = self.at;
            self.string::<true>()?;
            let key_len = self.at - 1 - key_at;
            let leaves = keys.get(self.text, key_at, key_len);
            // Gateways write `"key":"value","key":` without whitespace: a string
            // value right after the colon, and the next key right after the
            // comma, are tested for first, two bytes at once.
            let (raw, ascii) = if self.take(*b":\"") {
                let start = self.at - 1;
                let ascii = self.string::<false>()?;
                (&self.text[start..self.at], ascii)
            } else {
                if self.peek() == Some(b':') {
                    self.at += 1;
                } else {
                    self.whitespace();
                    self.expect(b':')?;
                }
                self.whitespace();
                self.value()?
            };
            if !leaves.is_empty() {
                // serde_json hands out a captured value as `&str`: one that is not
                // UTF-8 makes the line invalid, which the walk will report. Most
                // values are ASCII, known from the scan, and need no check.
                if !ascii
                    && leaves.iter().any(|leaf| caps.wants(leaf))
                    && std::str::from_utf8(raw).is_err()
                {
                    return Err(GiveUp);
                }
                for leaf in leaves {
                    caps.offer(leaf, raw);
                }
            }
            if self.take(*b",\"") {
                continue;
            }
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b'}') => {
                    self.at += 1;
                    return self.end();
                }
                _ => {
                    self.whitespace();
                    match self.next() {
                        Some(b',') => {}
                        Some(b'}') => return self.end(),
                        _ => return Err(GiveUp),
                    }
                }
            }
            self.whitespace();
            self.expect(b'"')?;
        }
    }

    /// Only whitespace may follow the object.
    #[inline(always)]
    fn end(mut self) -> Result<(), GiveUp> {
        self.whitespace();
        if self.at == self.text.len() {
            Ok(())
        } else {
            Err(GiveUp)
        }
    }

    #[inline(always)]
    fn peek(&self) -> Option<u8> {
        self.text.get(self.at).copied()
    }

    #[inline(always)]
    fn next(&mut self) -> Option<u8> {
        let c = self.peek()?;
        self.at += 1;
        Some(c)
    }

    /// Whether the next two bytes are `pair`; if so, past them.
    #[inline(always)]
    fn take(&mut self, pair: [u8; 2]) -> bool {
        let next = self.text.get(self.at..self.at + 2);
        if next.map(|two| u16::from_le_bytes([two[0], two[1]])) == Some(u16::from_le_bytes(pair)) {
            self.at += 2;
            true
        } else {
            false
        }
    }

    #[inline(always)]
    fn expect(&mut self, c: u8) -> Result<(), GiveUp> {
        if self.peek() == Some(c) {
            self.at += 1;
            Ok(())
        } else {
            Err(GiveUp)
        }
    }

    /// JSON whitespace: space, tab, newline, carriage return.
    #[inline(always)]
    fn whitespace(&mut self) {
        if let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.at = skip_whitespace(self.text, self.at);
        }
    }

    /// One value, checked and skipped; returns its text and whether it is all
    /// ASCII. Objects and arrays give up.
    #[inline(always)]
    fn value(&mut self) -> Result<(&'a [u8], bool), GiveUp> {
        let start = self.at;
        let ascii = match self.peek().ok_or(GiveUp)? {
            b'"' => {
                self.at += 1;
                self.string::<false>()?
            }
            b'-' | b'0'..=b'9' => {
                self.at = short_number(self.text, start)?;
                true
            }
            _ => {
                self.at = literal(self.text, start)?;
                true
            }
        };
        Ok((&self.text[start..self.at], ascii))
    }

    /// The rest of a string whose opening quote was read, up to and past its
    /// closing quote: whether it is all ASCII. Escapes are checked as
    /// serde_json's skipper checks them (`\u` takes four hex digits, surrogates
    /// unchecked); a control character or the end of the line gives up. A `KEY`
    /// also gives up on any escape or non-ASCII byte (serde_json unescapes keys
    /// and checks them for UTF-8).
    ///
    /// The string ends at the first quote of the block masks (quotes escaped by
    /// an odd run of backslashes are not in them). Bytes of its span that need a
    /// look are found by their bits too: none in a plain string, and none in one
    /// whose only escapes are `\"` and `\\`, such as an escaped JSON body.
    ///
    /// Most strings end within 64 bytes: the masks of the 64 bytes from the
    /// string's start, taken from two blocks in a row, find its end and check its
    /// span at once, with no mask for the line's end (a quote past it ends no
    /// string of the line). A longer string is read block by block
    /// ([`FastScan::long_string`]).
    #[inline(always)]
    fn string<const KEY: bool>(&mut self) -> Result<bool, GiveUp> {
        let start = self.at;
        let Some(&[lo, hi]) = self.blocks.get(start / 64..start / 64 + 2) else {
            return self.long_string::<KEY>();
        };
        let shift = (start % 64) as u32;
        let quotes = ahead(lo.quote, hi.quote, shift);
        if quotes == 0 {
            return self.long_string::<KEY>();
        }
        let end = start + quotes.trailing_zeros() as usize;
        if end >= self.text.len() {
            return Err(GiveUp); // the string runs on past the line's end
        }
        // The bits before the closing quote.
        let span = quotes.wrapping_sub(1) & !quotes;
        let mut ascii = true;
        if KEY {
            if ahead(lo.not_in_key, hi.not_in_key, shift) & span != 0 {
                return Err(GiveUp);
            }
        } else {
            let special = ahead(lo.special, hi.special, shift) & span;
            if special != 0 {
                ascii = check_special(self.text, start, start, special)?;
            }
        }
        self.at = end + 1;
        Ok(ascii)
    }

    /// [`FastScan::string`] for a string that does not end within 64 bytes (or
    /// starts where the blocks end), read block by block.
    #[inline(never)]
    fn long_string<const KEY: bool>(&mut self) -> Result<bool, GiveUp> {
        let start = self.at;
        let mut n = start / 64;
        // The block's bits from `start` on.
        let mut live = !0u64 << (start % 64);
        let mut ascii = true;
        loop {
            let block = *self.blocks.get(n).ok_or(GiveUp)?;
            let base = 64 * n;
            // Bits from the line's end on belong to no string of it (a window's
            // blocks go on into the next line).
            let left = self.text.len() - base;
            if left < 64 {
                live &= (1u64 << left) - 1;
            }
            let quotes = block.quote & live;
            // The bits before the first quote, or all when there is none.
            let span = live & quotes.wrapping_sub(1) & !quotes;
            if KEY {
                if block.not_in_key & span != 0 {
                    return Err(GiveUp);
                }
            } else if block.special & span != 0 {
                ascii &= check_special(self.text, start, base, block.special & span)?;
            }
            if quotes != 0 {
                self.at = base + quotes.trailing_zeros() as usize + 1;
                return Ok(ascii);
            }
            if left <= 64 {
                return Err(GiveUp); // the string runs on past the line's end
            }
            n += 1;
            live = !0;
        }
    }
}

/// The bits of the 64 bytes from bit `shift` of a block on, given that block's
/// mask `lo` and the next block's `hi`.
#[inline(always)]
fn ahead(lo: u64, hi: u64, shift: u32) -> u64 {
    ((u128::from(hi) << 64 | u128::from(lo)) >> shift) as u64
}

/// Skip JSON whitespace from `at`.
#[inline(never)]
fn skip_whitespace(line: &[u8], mut at: usize) -> usize {
    while let Some(b' ' | b'\t' | b'\n' | b'\r') = line.get(at) {
        at += 1;
    }
    at
}

/// `true`, `false` or `null` at `at`: where it ends.
#[inline(never)]
fn literal(line: &[u8], at: usize) -> Result<usize, GiveUp> {
    let rest = &line[at..];
    for word in [&b"true"[..], b"false", b"null"] {
        if rest.starts_with(word) {
            return Ok(at + word.len());
        }
    }
    Err(GiveUp)
}

/// A number at `at`, as [`number`] reads it: where it ends. The common forms
/// (digits, or digits, a point and digits, with no sign and no exponent, such
/// as a status or a latency) are read from the eight bytes at `at` at once, when
/// the number ends within them; the rest, and any form the word does not settle
/// (a leading zero before a digit, a point without digits after it), go to
/// [`number`].
///
/// Why: a number is about two of a gateway line's values, and the byte loop
/// with its bounds checks cost about fifty instructions each (figures in
/// docs/performance.md).
#[inline(always)]
fn short_number(line: &[u8], at: usize) -> Result<usize, GiveUp> {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let Some(&word) = line.get(at..).and_then(|rest| rest.first_chunk::<8>()) else {
        return number(line, at);
    };
    let word = u64::from_le_bytes(word);
    // Each byte xor `0`: a digit becomes 0 to 9. With its high bit set, taking
    // 10 borrows from no other byte and leaves the high bit set exactly when
    // the low seven bits are 10 or more; a byte whose own high bit was set is
    // no digit either.
    let d = word ^ 0x3030_3030_3030_3030;
    let not_digit = (((d | HIGH).wrapping_sub(0x0a0a_0a0a_0a0a_0a0a)) | d) & HIGH;
    // The first byte that is not a digit: where the integer part ends.
    let int_end = not_digit.trailing_zeros() / 8;
    let byte = |i: u32| (word >> (8 * i)) as u8;
    if int_end == 0 || int_end == 8 || (byte(0) == b'0' && int_end > 1) {
        return number(line, at);
    }
    let mut end = int_end;
    if byte(end) == b'.' {
        // The digits after the point, up to the next byte that is no digit.
        let frac_end = (not_digit & !(0x80 << (8 * end))).trailing_zeros() / 8;
        if frac_end == end + 1 || frac_end == 8 {
            return number(line, at);
        }
        end = frac_end;
    }
    if let b'e' | b'E' = byte(end) {
        return number(line, at);
    }
    Ok(at + end as usize)
}

/// A number at `at` as serde_json's skipper reads it: `-`, no leading zeros,
/// an optional fraction with digits, an optional exponent with digits. Where it
/// ends.
#[inline(never)]
fn number(line: &[u8], mut at: usize) -> Result<usize, GiveUp> {
    let byte = |at: usize| line.get(at).copied().unwrap_or(0);
    if byte(at) == b'-' {
        at += 1;
    }
    match byte(at) {
        b'0' => {
            at += 1;
            if byte(at).is_ascii_digit() {
                return Err(GiveUp);
            }
        }
        b'1'..=b'9' => {
            at += 1;
            while byte(at).is_ascii_digit() {
                at += 1;
            }
        }
        _ => return Err(GiveUp),
    }
    if byte(at) == b'.' {
        at += 1;
        if !byte(at).is_ascii_digit() {
            return Err(GiveUp);
        }
        while byte(at).is_ascii_digit() {
            at += 1;
        }
    }
    if let b'e' | b'E' = byte(at) {
        at += 1;
        if let b'+' | b'-' = byte(at) {
            at += 1;
        }
        if !byte(at).is_ascii_digit() {
            return Err(GiveUp);
        }
        while byte(at).is_ascii_digit() {
            at += 1;
        }
    }
    Ok(at)
}

/// The special bytes of a string that starts at `start`, the `bits` of the
/// block at `base`: an escape other than `\"` and `\\` must be valid, and a
/// control character gives up. Whether there was no non-ASCII byte.
#[cold]
#[inline(never)]
fn check_special(line: &[u8], start: usize, base: usize, mut bits: u64) -> Result<bool, GiveUp> {
    let mut ascii = true;
    while bits != 0 {
        let at = base + bits.trailing_zeros() as usize;
        bits &= bits - 1;
        let c = line[at];
        // Escaped when an odd run of backslashes precedes it, which begins after
        // the string's opening quote.
        let run = line[start..at]
            .iter()
            .rev()
            .take_while(|&&b| b == b'\\')
            .count();
        if run % 2 == 1 {
            match c {
                b'/' | b'b' | b'f' | b'n' | b'r' | b't' => {}
                b'u' => {
                    let hex = line.get(at + 1..at + 5).ok_or(GiveUp)?;
                    if !hex.iter().all(u8::is_ascii_hexdigit) {
                        return Err(GiveUp);
                    }
                }
                _ => return Err(GiveUp),
            }
        } else if c >= 0x80 {
            ascii = false;
        } else {
            return Err(GiveUp); // a control character
        }
    }
    Ok(ascii)
}

#[cfg(test)]
mod tests {
    use super::super::structural::{self, LineIndex};
    use super::super::{defaults, with, Fields, JsonFormat, Malformed};
    use super::*;

    /// Lines the fast path must read exactly as the serde walk does, or give up on.
    const TRICKY_JSON: &[&[u8]] = &[
        br#"{"status":200}"#,
        br#"  {"status" : 201 ,"uri" :"/v3/x"}  	"#,
        b"{\"status\":200}\r",
        br#"{}"#,
        br#"{ }"#,
        br#"{"status":null}"#,
        br#"{"status":"404"}"#,
        br#"{"status":4.5}"#,
        br#"{"status":-1}"#,
        br#"{"status":0404}"#,
        br#"{"status":404.}"#,
        br#"{"status":4e2}"#,
        br#"{"status":4E+2,"x":1e-7,"y":-0.5}"#,
        br#"{"status":-}"#,
        br#"{"status":99999999999999999999}"#,
        br#"{"status":true}"#,
        br#"{"status":tru}"#,
        br#"{"status":nul,"reason":"X"}"#,
        br#"{"status":200,"status":500}"#,
        br#"{"status":400,"reason":"A","reason":"B"}"#,
        br#"{"status":400,"reason":null,"reason":"B"}"#,
        br#"{"status":400,"error_code":"","reason":"-","code":"C"}"#,
        br#"{"status":500,"code":500,"resp_body":"{\"reason\":\"INVALID_API_KEY\"}"}"#,
        br#"{"status":403,"resp_body":"{\"code\":403,\"reason\":\"X\",\"message\":\"key \\\"abc\\\" bad\"}"}"#,
        br#"{"status":400,"reason":"A\u005fB"}"#,
        br#"{"status":400,"reason":"A\u00"}"#,
        br#"{"status":400,"reason":"A\x"}"#,
        br#"{"status":400,"ua":"\ud800 lone surrogate"}"#,
        br#"{"st\u0061tus":418,"re\u0061son":"TEAPOT"}"#,
        r#"{"status":200,"user_agent":"Mozilla/5.0 (中文; 🦀) \u00e9","uri":"/v3/openai/模型"}"#
            .as_bytes(),
        b"{\"status\":200,\"user_agent\":\"caf\xe9\"}",
        b"{\"status\":400,\"reason\":\"X\xff\"}",
        b"{\"st\xffatus\":400}",
        b"{\"status\":200,\"ua\":\"tab\there\"}",
        b"{\"status\":200,\"ua\":\"new\nline\"}",
        br#"{"status":200,"body":{"code":"SUCCESS"}}"#,
        br#"{"status":429,"body":{"code":429,"reason":"RATE_LIMIT_EXCEEDED"}}"#,
        br#"{"status":200,"request":{"uri":"/k"}}"#,
        br#"{"status":200,"tries":[1,2,{"a":[]}]}"#,
        br#"{"status":200,"request":"GET /x HTTP/1.1","uri":"/u v"}"#,
        br#"{"status":200,"path":"-"}"#,
        br#"{"status":200,"duration_ms":5,"request_time":0.5}"#,
        br#"{"status":200,"request_time":"-","duration":true}"#,
        br#"{"status":503,"time":"yesterday"}"#,
        br#"{"status":200,"time":1700000000.25,"@timestamp":"2023-11-14T22:13:20Z"}"#,
        br#"{"status":200,}"#,
        br#"{"status":200"#,
        br#"{"status":200}}"#,
        br#"{"status":200} x"#,
        br#"{"status":200}{"status":200}"#,
        br#"{status:200}"#,
        br#"{'status':200}"#,
        br#"{"status" 200}"#,
        br#"{"status":200 "uri":"/x"}"#,
        br#"{"a":"unterminated}"#,
        br#"[{"status":200}]"#,
        br#"200"#,
        br#""x""#,
        br#"null"#,
        b"\x0c{\"status\":200}",
        br#"{"":1,"status":200}"#,
        br#"{"a_key_longer_than_sixteen_bytes":"v","status":201}"#,
        br#"{"statu":1,"statuses":2,"status":202}"#,
        br#"{"status":400,"an_error_name_key_of_many_bytes":"LONG","sixteen_bytes_ab":"/16"}"#,
        br#"{"sixteen_bytes_ab":"/16","status":400,"an_error_name_key_of_many_bytes":"L"}"#,
        br#"{"status":400,"sixteen_bytes_a":"/15","an_error_name_key_of_many_byte":"L"}"#,
        br#"127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 2326"#,
    ];

    fn fast_path(fmt: &JsonFormat, line: &[u8]) -> Option<Result<Fields<'static>, Malformed>> {
        let line: &'static [u8] = Box::leak(line.to_vec().into_boxed_slice());
        let flat = fmt.flat.as_ref()?;
        // The blocks of every kernel this CPU runs give the same reading.
        let mut readings = structural::tests::kernels().into_iter().map(|kernel| {
            LineIndex::with(kernel).line(line, |at| {
                let mut caps = Captures::default();
                FastScan::new(at)
                    .object(flat, &mut caps)
                    .ok()
                    .map(|()| fmt.fields(&caps))
            })
        });
        let first = readings.next().expect("the portable kernel");
        for reading in readings {
            assert_eq!(reading, first, "{}", String::from_utf8_lossy(line));
        }
        first
    }

    #[test]
    fn fast_path_agrees_with_serde_walk() {
        let formats = [
            defaults(),
            with(&["name=ua", "latency=x:ms"]),
            with(&["status=status_code", "time=ts:epoch_ms", "body=body"]),
            // Keys of 16 bytes and more are not packed.
            with(&[
                "name=an_error_name_key_of_many_bytes",
                "path=sixteen_bytes_ab",
            ]),
        ];
        for fmt in &formats {
            assert!(fmt.flat.is_some());
            let mut taken = 0;
            for &line in TRICKY_JSON {
                let slow = fmt.parse_with_serde(line);
                if let Some(fast) = fast_path(fmt, line) {
                    taken += 1;
                    assert_eq!(fast, slow, "{}", String::from_utf8_lossy(line));
                }
                assert_eq!(fmt.parse(line), slow, "{}", String::from_utf8_lossy(line));
            }
            // The fast path does take the ordinary lines.
            assert!(taken >= TRICKY_JSON.len() / 2, "fast path took {taken}");
        }
    }

    /// Read `line` with every format of `fast_path_agrees_with_serde_walk`:
    /// the fast path, when it takes the line, must give what the serde walk
    /// gives, and `parse` must always. Whether the default format's fast path
    /// took it.
    fn agrees(line: &[u8]) -> bool {
        thread_local! {
            static FORMATS: Vec<JsonFormat> = vec![
                defaults(),
                with(&["name=ua", "latency=x:ms"]),
                with(&["status=status_code", "time=ts:epoch_ms", "body=body"]),
                // Keys that are written with escapes: the walk unescapes them.
                with(&["name=q\"k", "path=b\\k"]),
            ];
        }
        FORMATS.with(|formats| {
            let mut taken = false;
            for (i, fmt) in formats.iter().enumerate() {
                let slow = fmt.parse_with_serde(line);
                if let Some(fast) = fast_path(fmt, line) {
                    taken |= i == 0;
                    assert_eq!(fast, slow, "{}", String::from_utf8_lossy(line));
                }
                assert_eq!(fmt.parse(line), slow, "{}", String::from_utf8_lossy(line));
                assert_eq!(
                    in_window(fmt, line),
                    slow,
                    "{}",
                    String::from_utf8_lossy(line)
                );
            }
            taken
        })
    }

    /// `line` read by the line loop's index, after a line that ends in a
    /// backslash and followed by `\r\n`, so that it starts and ends inside a
    /// window's blocks.
    fn in_window<'a>(fmt: &JsonFormat, line: &'a [u8]) -> Result<Fields<'a>, Malformed> {
        if line.contains(&b'\n') {
            return fmt.parse_with_serde(line); // it would be two lines
        }
        let data: &'static [u8] = [&br#"{"a":"x"}\"#[..], b"\n", line, b"\r\n"]
            .concat()
            .leak();
        let mut got = None;
        let mut n = 0;
        LineIndex::default().for_each_line(data, &mut |text, at| {
            n += 1;
            if n == 2 {
                let text = &text[..line.len()]; // the line loop strips the `\r`
                got = Some(match at {
                    Some(at) => fmt.parse_indexed(text, at),
                    None => fmt.parse(text),
                });
            }
        });
        got.expect("the line was read")
    }

    /// String contents that make the masks work: escaped quotes and
    /// backslashes, runs of backslashes of both parities, the other escapes,
    /// bad escapes, non-ASCII and control bytes.
    const PIECES: &[&[u8]] = &[
        br#"\""#,
        br#"\\"#,
        br#"\\\""#,
        br#"\\\\"#,
        br#"\\\\\""#,
        br#"\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\"#,
        br#"\/\b\f\n\r\t"#,
        br#"\u00e9"#,
        br#"\u00"#,
        br#"\uZZZZ"#,
        br#"\x"#,
        br#"\'"#,
        "é中🦀".as_bytes(),
        b"\xe9",
        b"\xff\xfe",
        b"\x01",
        b"\x1f",
        b"\t",
        b"\x7f",
    ];

    #[test]
    fn fast_path_agrees_at_block_edges() {
        // Each piece at every position around the 16- and 64-byte edges, in a
        // skipped value, a captured one, an escaped body and a key.
        for pad in 0..140 {
            let a = "a".repeat(pad);
            for piece in PIECES {
                let piece = String::from_utf8_lossy(piece).into_owned();
                let piece = piece.as_str();
                let plain = !piece.contains(['\\', '\u{1}', '\u{1f}', '\t', '\u{fffd}'])
                    || piece.starts_with("\\\"")
                    || piece.starts_with("\\\\");
                let lines = [
                    format!(r#"{{"status":400,"ua":"{a}{piece}","uri":"/u"}}"#),
                    format!(r#"{{"ua":"{a}","status":400,"reason":"X{piece}Y","uri":"/u"}}"#),
                    format!(
                        r#"{{"ua":"{a}","status":400,"resp_body":"{{\"reason\":\"X{piece}\",\"code\":400}}"}}"#
                    ),
                    format!(r#"{{"ua":"{a}","k{piece}":1,"status":400}}"#),
                    format!(r#"{{"{a}{piece}":1,"status":400}}"#),
                    format!(r#"{{"ua":"{a}","q\"k":"N{piece}","b\\k":"/p","status":400}}"#),
                ];
                for (i, line) in lines.iter().enumerate() {
                    let taken = agrees(line.as_bytes());
                    if plain && i < 3 && piece.is_ascii() {
                        assert!(taken, "fast path gave up on {line}");
                    }
                }
            }
            // The raw (lossy-decoded above) bytes themselves.
            for piece in PIECES {
                let mut line = format!(r#"{{"status":400,"ua":"{a}"#).into_bytes();
                line.extend_from_slice(piece);
                line.extend_from_slice(br#"","reason":"R"#);
                line.extend_from_slice(piece);
                line.extend_from_slice(br#""}"#);
                agrees(&line);
            }
        }
    }

    /// Values of every kind, valid and not: numbers (signs, leading zeros,
    /// fractions, exponents), literals and their prefixes and typos, strings
    /// with escapes, control and non-ASCII bytes, nested arrays and objects with
    /// brackets inside strings, and cut ones.
    const VALUES: &[&str] = &[
        "0",
        "-0",
        "7",
        "-",
        "-a",
        "01",
        "-01",
        "00",
        "1.",
        "1.5",
        "-0.25",
        ".5",
        "1.e3",
        "1e",
        "1e5",
        "1E+5",
        "1e-5",
        "1e+",
        "1e-",
        "-1.5e-7",
        "1.5E07",
        "0e0",
        "123456789012345678901234567890",
        "1x",
        "1,",
        "+1",
        "true",
        "tru",
        "truex",
        "True",
        "false",
        "fals",
        "falsey",
        "null",
        "nul",
        "nulll",
        "NULL",
        "nan",
        r#""""#,
        r#""a\"b""#,
        r#""a\\""#,
        r#""\u00e9""#,
        r#""\u00g9""#,
        r#""\x""#,
        "\"\u{e9}\"",
        "\"\u{1}\"",
        "\"tab\there\"",
        r#""{\"reason\":\"X\"}""#,
        "[]",
        "[1,2]",
        r#"["]"]"#,
        r#"{"a":"}"}"#,
        r#"{"a":["[",{"b":"{"}]}"#,
        "[",
        "{",
        r#"{"a":1"#,
        r#""open"#,
        "",
    ];

    /// The scalars of [`VALUES`] that are valid JSON: the fast path takes a line
    /// with any of them.
    const SCALARS: &[&str] = &[
        "0",
        "-0",
        "7",
        "1.5",
        "-0.25",
        "1e5",
        "1E+5",
        "1e-5",
        "-1.5e-7",
        "1.5E07",
        "0e0",
        "123456789012345678901234567890",
        "true",
        "false",
        "null",
        r#""""#,
        r#""a\"b""#,
        r#""a\\""#,
        r#""\u00e9""#,
        r#""{\"reason\":\"X\"}""#,
    ];

    #[test]
    fn fast_path_agrees_on_values_at_every_offset() {
        // Each value skipped, captured as a name and as a latency, with and
        // without whitespace around its separators, starting at every offset
        // around the 64-byte edges (the walk reads the masks of the 64 bytes
        // from a string's start, across two blocks).
        for pad in 0..140 {
            let a = "a".repeat(pad);
            for value in VALUES {
                let lines = [
                    format!(r#"{{"ua":"{a}","x":{value},"status":400}}"#),
                    format!(r#"{{"ua":"{a}","reason":{value},"status":400}}"#),
                    format!(r#"{{"ua":"{a}","status":400,"request_time":{value}}}"#),
                    format!(r#"{{"ua":"{a}" ,"x" : {value} , "status":400 }}"#),
                    format!("{{\"ua\":\"{a}\",\t\"x\":\r\n{value}\n,\"status\":400}}"),
                    format!(r#"{{"{a}":{value},"status":400}}"#),
                ];
                for (i, line) in lines.iter().enumerate() {
                    let taken = agrees(line.as_bytes());
                    if i == 0 && SCALARS.contains(value) {
                        assert!(taken, "fast path gave up on {line}");
                    }
                }
            }
        }
    }

    #[test]
    fn fast_path_agrees_on_strings_ending_around_64_bytes() {
        // Keys and values whose closing quote is the 63rd, 64th or 65th byte
        // from their start, or further, with the next string right after
        // (`":"`, `","`) or after whitespace.
        for len in 55..75 {
            let s = "s".repeat(len);
            for line in [
                format!(r#"{{"{s}":"{s}","status":400,"reason":"{s}"}}"#),
                format!(r#"{{"status":400,"reason":"{s}","uri":"/{s}"}}"#),
                format!(r#"{{ "{s}" : "{s}" , "status" : 400 }}"#),
                format!(r#"{{"status":400,"ua":"{s}\"{s}","reason":"R"}}"#),
                format!("{{\"status\":400,\"ua\":\"{s}\u{e9}{s}\",\"reason\":\"R\u{e9}\"}}"),
            ] {
                assert!(agrees(line.as_bytes()), "fast path gave up on {line}");
            }
        }
    }

    #[test]
    fn short_number_reads_as_the_byte_loop_does() {
        // Every text of up to seven bytes from digits (a zero among them), a
        // point, an exponent, a sign, a separator and a byte that is digit-like
        // but for its high bit, alone (the byte loop) and followed by more
        // bytes (the word).
        const ALPHABET: &[u8] = b"019.e-,\xb5";
        let read = |r: Result<usize, GiveUp>| r.ok();
        let mut text = Vec::new();
        for len in 0..=7u32 {
            for mut n in 0..ALPHABET.len().pow(len) {
                text.clear();
                for _ in 0..len {
                    text.push(ALPHABET[n % ALPHABET.len()]);
                    n /= ALPHABET.len();
                }
                for tail in [&b""[..], b"}", b"}}}}}}}}", b"1}}}}}}}"] {
                    let mut line = text.clone();
                    line.extend_from_slice(tail);
                    assert_eq!(
                        read(short_number(&line, 0)),
                        read(number(&line, 0)),
                        "{}",
                        String::from_utf8_lossy(&line)
                    );
                }
            }
        }
    }

    /// Every line of `data` read by the line loop's index as the line loop reads
    /// it (a trailing `\r` stripped), which must give what serde_json gives.
    fn lines_agree(fmt: &JsonFormat, data: &[u8]) {
        let data: &'static [u8] = data.to_vec().leak();
        LineIndex::default().for_each_line(data, &mut |line, at| {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.trim_ascii().is_empty() {
                return;
            }
            let got = match at {
                Some(at) => fmt.parse_indexed(line, at),
                None => fmt.parse(line),
            };
            let want = fmt.parse_with_serde(line);
            assert_eq!(got, want, "{}", String::from_utf8_lossy(line));
        });
    }

    #[test]
    fn a_string_cut_by_the_line_end_is_not_closed_by_the_next_line() {
        // A line that ends inside a key or a value, followed in the same window
        // by lines whose quotes fall within 64 bytes of the cut string's start.
        let fmt = defaults();
        for pad in 0..130 {
            let a = "a".repeat(pad);
            for cut in [
                format!(r#"{{"status":400,"ua":"{a}"#),
                format!(r#"{{"status":400,"{a}"#),
                format!(r#"{{"ua":"{a}","status":400,"reason":"X"#),
                format!(r#"{{"ua":"{a}","status":400,"reason":"X\"#),
            ] {
                for next in [r#""}"#, r#"","status":200}"#, r#"{"status":200}"#, "\"\r"] {
                    let data = format!("{cut}\n{next}\n{cut}\r\n{next}");
                    lines_agree(&fmt, data.as_bytes());
                }
            }
        }
    }

    #[test]
    fn fast_path_agrees_on_backslash_runs_across_blocks() {
        // A run of n backslashes ending at every offset around block edges,
        // followed by a quote: the string ends there when n is even.
        for end in 50..200 {
            for n in 1..70 {
                if n > end - 30 {
                    continue;
                }
                let mut value = "b".repeat(end - 30 - n);
                value.push_str(&"\\".repeat(n));
                let line = format!(r#"{{"status":500,"ua":"{value}","reason":"R"}}"#);
                let taken = agrees(line.as_bytes());
                assert_eq!(taken, n % 2 == 0, "{line}");
                let line = format!(r#"{{"status":500,"ua":"{value}" ,"reason":"R"}}"#);
                agrees(line.as_bytes());
            }
        }
    }

    #[test]
    fn fast_path_takes_long_lines() {
        // Far more blocks than any line of a test above, escapes in every one.
        let body = r#"\"k\":\"v\\\\\",\u00e9 "#.repeat(2_000);
        let line = format!(
            r#"{{"time":"2026-11-26T00:00:00.002+08:00","status":400,"resp_body":"{{{body}\"reason\":\"LONG\"}}","uri":"/long"}}"#
        );
        assert!(line.len() > 40_000);
        assert!(agrees(line.as_bytes()));
        let f = defaults().parse(line.as_bytes()).unwrap();
        assert_eq!(f.name, Some(&b"LONG"[..]));
        assert_eq!(f.path, Some(&b"/long"[..]));
        // Cut anywhere, it is invalid, and never read past its end.
        for cut in (1..line.len()).step_by(997) {
            assert!(!agrees(&line.as_bytes()[..cut]));
        }
    }

    proptest::proptest! {
        #[test]
        fn fast_path_agrees_on_assembled_lines(
            pairs in proptest::collection::vec(
                (
                    proptest::sample::select(vec![
                        "status", "status_code", "reason", "error_code", "uri", "ua",
                        "request_time", "time", "resp_body", "x", "k\\u0061", "ts", "",
                    ]),
                    proptest::collection::vec(
                        proptest::prop_oneof![
                            8 => proptest::sample::select(vec![
                                &b"a"[..], b"\\\"", b"\\\\", b"\\", b"\"", b"\\u00e9", b"\\n",
                                b"\xc3\xa9", b"\xff", b"\x01", b" ", b"{", b"404", b"-",
                            ]),
                        ],
                        0..40,
                    ),
                    0u8..8,
                ),
                0..8,
            ),
            spaces in 0u8..4,
        ) {
            let ws = [&b""[..], b" ", b"\t", b"\r\n"][usize::from(spaces)];
            let mut line = b"{".to_vec();
            for (i, (key, parts, form)) in pairs.iter().enumerate() {
                if i > 0 {
                    line.push(b',');
                    line.extend_from_slice(ws);
                }
                line.extend_from_slice(format!("\"{key}\"").as_bytes());
                line.extend_from_slice(ws);
                line.push(b':');
                let text = parts.concat();
                match form {
                    0 => line.extend_from_slice(b"404"),
                    1 => line.extend_from_slice(b"-0.5e+3"),
                    2 => line.extend_from_slice(b"null"),
                    3 => line.extend_from_slice(&text),
                    _ => {
                        line.push(b'"');
                        line.extend_from_slice(&text);
                        line.push(b'"');
                    }
                }
            }
            line.extend_from_slice(ws);
            line.push(b'}');
            agrees(&line);
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]
        /// Generated gateway lines with bytes replaced, inserted or removed at
        /// random: read by the fast path (every kernel, alone and in a window)
        /// exactly as by the serde walk.
        #[test]
        fn fast_path_agrees_on_mutated_lines(
            seed in 0u64..1_000,
            pick in 0usize..200,
            edits in proptest::collection::vec(
                (
                    0usize..400,
                    0u8..3,
                    proptest::sample::select(vec![
                        b'"', b'\\', b'{', b'}', b'[', b']', b':', b',', b' ', b'\n', b'\r',
                        b'0', b'1', b'-', b'.', b'e', b'u', b'n', b't', b'/', 0x01, 0x1f,
                        0x7f, 0xc3, 0xa9, 0xff,
                    ]),
                ),
                1..4,
            ),
        ) {
            thread_local! {
                static LOG: Vec<u8> =
                    crate::generate::Generator::log(crate::generate::GenerateFormat::Json, 3, 200);
            }
            let mut line = LOG.with(|log| {
                let lines: Vec<&[u8]> = log.split(|&b| b == b'\n').filter(|l| !l.is_empty()).collect();
                lines[(pick + seed as usize) % lines.len()].to_vec()
            });
            for (at, how, byte) in edits {
                let at = at % (line.len() + 1);
                match how {
                    0 if at < line.len() => line[at] = byte,
                    1 => line.insert(at, byte),
                    _ if at < line.len() => {
                        line.remove(at);
                    }
                    _ => line.push(byte),
                }
            }
            agrees(&line);
        }
    }

    #[test]
    fn fast_path_agrees_on_generated_lines() {
        let log = crate::generate::Generator::log(crate::generate::GenerateFormat::Json, 7, 5_000);
        let fmt = defaults();
        let mut taken = 0;
        for line in log.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            let slow = fmt.parse_with_serde(line);
            if let Some(fast) = fast_path(&fmt, line) {
                taken += 1;
                assert_eq!(fast, slow, "{}", String::from_utf8_lossy(line));
            }
            assert_eq!(fmt.parse(line), slow);
        }
        assert!(taken > 4_500, "fast path took {taken} of 5000");
    }

    #[test]
    fn nested_key_paths_use_the_serde_walk_only() {
        assert!(with(&["status=response.status"]).flat.is_none());
    }
}
