//! Time and duration values as logs write them, parsed from bytes without allocating:
//! nginx `$time_local` / Apache `%t`, ISO-8601 with offsets, epoch numbers, and
//! decimal durations in an explicit unit. Times are epoch milliseconds (UTC),
//! durations are microseconds.

use std::cell::Cell;

/// Unit of a logged duration. Never guessed: each field states its unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DurationUnit {
    /// Seconds.
    S,
    /// Milliseconds.
    Ms,
    /// Microseconds (`us` or `µs`).
    Us,
    /// Nanoseconds.
    Ns,
}

impl DurationUnit {
    /// The unit written `s`, `ms`, `us` (or `µs`) or `ns`.
    pub fn parse(s: &str) -> Option<DurationUnit> {
        Some(match s {
            "s" => DurationUnit::S,
            "ms" => DurationUnit::Ms,
            "us" | "µs" => DurationUnit::Us,
            "ns" => DurationUnit::Ns,
            _ => return None,
        })
    }

    /// The unit as written in flags and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            DurationUnit::S => "s",
            DurationUnit::Ms => "ms",
            DurationUnit::Us => "us",
            DurationUnit::Ns => "ns",
        }
    }

    /// Power of ten that turns a value in this unit into microseconds.
    fn to_micros_exp(self) -> i32 {
        match self {
            DurationUnit::S => 6,
            DurationUnit::Ms => 3,
            DurationUnit::Us => 0,
            DurationUnit::Ns => -3,
        }
    }
}

/// How a logged time is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeUnit {
    /// A text time: ISO-8601 / RFC 3339, or nginx `$time_local` (`10/Oct/2000:13:55:36 -0700`).
    Iso8601,
    /// Seconds since the epoch, with an optional fraction.
    EpochS,
    /// Milliseconds since the epoch.
    EpochMs,
}

impl TimeUnit {
    /// The unit written `iso8601`, `epoch_s` or `epoch_ms`.
    pub fn parse(s: &str) -> Option<TimeUnit> {
        Some(match s {
            "iso8601" => TimeUnit::Iso8601,
            "epoch_s" => TimeUnit::EpochS,
            "epoch_ms" => TimeUnit::EpochMs,
            _ => return None,
        })
    }

    /// The unit as written in flags and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            TimeUnit::Iso8601 => "iso8601",
            TimeUnit::EpochS => "epoch_s",
            TimeUnit::EpochMs => "epoch_ms",
        }
    }
}

/// Parse a time written as `unit` says, into epoch milliseconds.
pub fn parse_time(b: &[u8], unit: TimeUnit) -> Option<i64> {
    match unit {
        TimeUnit::Iso8601 => parse_text_time(b),
        TimeUnit::EpochS => parse_scaled(b, 3),
        TimeUnit::EpochMs => parse_scaled(b, 0),
    }
}

/// Parse a duration in `unit` into microseconds (`0.123` s -> 123000).
#[inline]
pub fn parse_duration(b: &[u8], unit: DurationUnit) -> Option<u64> {
    parse_scaled(b, unit.to_micros_exp()).and_then(|v| u64::try_from(v).ok())
}

/// A text time in either of the two layouts logs use.
pub fn parse_text_time(b: &[u8]) -> Option<i64> {
    if b.len() >= 3 && b[2] == b'/' {
        parse_time_local(b)
    } else {
        parse_iso8601(b)
    }
}

/// Length of every valid `$time_local` value: `10/Oct/2000:13:55:36 -0700`.
const TIME_LOCAL_LEN: usize = 26;

thread_local! {
    /// The last `$time_local` value parsed on this thread (as [`time_local_key`]),
    /// and what it parsed to.
    static LAST_TIME_LOCAL: Cell<(TimeLocalKey, Option<i64>)> = const { Cell::new(((0, 0), None)) };
}

/// A `$time_local` value as two overlapping sixteen-byte words.
type TimeLocalKey = (u128, u128);

/// nginx `$time_local` / Apache `%t` without brackets: `10/Oct/2000:13:55:36 -0700`.
///
/// The last value is remembered per thread. Why: `$time_local` has one-second
/// resolution and logs are written in time order, so a busy gateway writes the
/// same value on dozens of lines in a row; comparing 26 bytes is several times
/// cheaper than the date arithmetic. The result is exactly the uncached one (the
/// key is the whole value; the initial all-zero key is no valid time and maps to
/// `None`, as parsing it would).
#[inline]
pub fn parse_time_local(b: &[u8]) -> Option<i64> {
    let Ok(value) = <&[u8; TIME_LOCAL_LEN]>::try_from(b) else {
        return None; // a value of another length is no `$time_local`
    };
    let key = time_local_key(value);
    LAST_TIME_LOCAL.with(|last| {
        let (last_key, last_ms) = last.get();
        if last_key == key {
            return last_ms;
        }
        let ms = time_local_uncached(value);
        last.set((key, ms));
        ms
    })
}

/// The memo's key of a `$time_local` value: two word loads straight from the line.
/// (Copying the value into an array first and loading the words from the copy
/// stalls on store forwarding, and cost more than the rest of the memo.)
#[inline(always)]
fn time_local_key(x: &[u8; TIME_LOCAL_LEN]) -> TimeLocalKey {
    let head = u128::from_le_bytes(*x.first_chunk().expect("16 bytes"));
    let tail = u128::from_le_bytes(*x.last_chunk().expect("16 bytes"));
    (head, tail)
}

/// [`parse_time_local`] without the memo.
fn time_local_uncached(b: &[u8; TIME_LOCAL_LEN]) -> Option<i64> {
    if b[2] != b'/' || b[6] != b'/' || b[11] != b':' || b[20] != b' ' {
        return None;
    }
    let day = digits(&b[0..2])?;
    let month = month_from_abbrev(&b[3..6])?;
    let year = digits(&b[7..11])?;
    let (h, m, s) = hms(&b[12..20])?;
    let offset = offset_minutes(&b[21..])?;
    civil_to_ms(year as i64, month, day, h, m, s, 0, offset)
}

/// ISO-8601 / RFC 3339: `2024-05-01T12:00:00`, optional `.fraction`, then `Z`,
/// `±HH:MM`, `±HHMM`, `±HH` or nothing (read as UTC). `t` (RFC 3339 allows `T`
/// and `Z` in lower case) or a space may stand for `T`.
///
/// The value is read in two parts: the minute it falls in (date, hour, minute and
/// zone: the costly calendar arithmetic, and the same on every line of a busy log
/// for a minute at a time) and the seconds and fraction within it. The minute's
/// start is remembered per thread (see [`minute_start_cached`]), keyed on the
/// whole text it is computed from, so the result is exactly the uncached one.
pub fn parse_iso8601(b: &[u8]) -> Option<i64> {
    // `YYYY-MM-DDTHH:MM` | `:SS` | fraction and zone.
    let (Some(minute), Some(&[b':', s1, s2]), rest) = (
        b.first_chunk::<16>(),
        b.get(16..19).and_then(|s| s.first_chunk::<3>()),
        b.get(19..).unwrap_or_default(),
    ) else {
        return None;
    };
    let second = digits(&[s1, s2])?;
    // 60 admits a leap second, which lands on the next second.
    if second > 60 {
        return None;
    }
    let mut rest = rest;
    let mut millis = 0;
    if let [b'.' | b',', frac @ ..] = rest {
        // The first three digits are the milliseconds; any more are dropped.
        let mut n = 0;
        while let Some(&c) = frac.get(n).filter(|c| c.is_ascii_digit()) {
            if n < 3 {
                millis = millis * 10 + u32::from(c - b'0');
            }
            n += 1;
        }
        if n == 0 {
            return None;
        }
        for _ in n..3 {
            millis *= 10;
        }
        rest = &frac[n..];
    }
    if rest.len() > ZONE_MAX {
        return None; // no zone is that long
    }
    // The zone is the end of the value, which is at least 19 bytes long: its
    // last 8 bytes, shifted, hold the zone's bytes and nothing else.
    let tail = u64::from_le_bytes(*b.last_chunk::<8>()?);
    let zone_bits = tail.checked_shr(8 * (8 - rest.len() as u32)).unwrap_or(0);
    let zone_key = zone_bits | (rest.len() as u64) << 56;
    let start = minute_start_cached(minute, rest, zone_key)?;
    Some(start + i64::from(second) * 1000 + i64::from(millis))
}

/// The longest zone [`minute_start`] accepts: `+08:00`.
const ZONE_MAX: usize = 6;

thread_local! {
    /// The last (minute, zone) key [`minute_start_cached`] computed on this
    /// thread, and its result.
    static LAST_MINUTE: Cell<(u128, u64, Option<i64>)> = const { Cell::new((0, 0, None)) };
}

/// [`minute_start`], remembering the last result per thread.
///
/// Why: ISO-8601 times on consecutive lines share their minute and zone, and
/// comparing two integers is several times cheaper than validating the date and
/// converting it to days. The key holds every byte `minute_start` reads: the 16
/// bytes of the minute, and `zone_key`, the zone's bytes (at most [`ZONE_MAX`],
/// in the low bytes) and its length (in the top byte). So a hit returns exactly
/// what the call would; the initial all-zero key is no valid minute (no `-` at
/// byte 4) and maps to `None`, as computing it would.
#[inline]
fn minute_start_cached(minute: &[u8; 16], zone: &[u8], zone_key: u64) -> Option<i64> {
    debug_assert!(zone.len() <= ZONE_MAX);
    let key = (u128::from_le_bytes(*minute), zone_key);
    LAST_MINUTE.with(|last| {
        let (last_minute, last_zone, last_start) = last.get();
        if (last_minute, last_zone) == key {
            return last_start;
        }
        let start = minute_start(minute, zone);
        last.set((key.0, key.1, start));
        start
    })
}

/// The first millisecond (UTC) of the minute `YYYY-MM-DDTHH:MM` (or with `t` or a
/// space for `T`) in the zone `zone`: empty, `Z`, `z`, `±HH:MM`, `±HHMM` or `±HH`.
/// Not inlined, so its reading of the minute stays out of the memo's hit path.
#[inline(never)]
fn minute_start(b: &[u8; 16], zone: &[u8]) -> Option<i64> {
    if b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') || b[13] != b':' {
        return None;
    }
    let year = digits(&b[0..4])?;
    let month = digits(&b[5..7])?;
    let day = digits(&b[8..10])?;
    let h = digits(&b[11..13])?;
    let m = digits(&b[14..16])?;
    let offset = match zone {
        [] | [b'Z' | b'z'] => 0,
        _ => offset_minutes(zone)?,
    };
    civil_to_ms(year as i64, month, day, h, m, 0, 0, offset)
}

/// Format epoch milliseconds as RFC 3339 UTC (`2024-05-01T12:00:00.250Z`; the
/// fraction only when not zero).
pub fn format_rfc3339(ms: i64) -> String {
    let Civil {
        year: y,
        month: mo,
        day: d,
        hour: h,
        minute: mi,
        second: s,
        millis: frac,
    } = Civil::at(ms, 0);
    if frac == 0 {
        format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
    } else {
        format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{frac:03}Z")
    }
}

/// Format epoch milliseconds as nginx `$time_local` in a zone `offset_min` minutes
/// east of UTC: `26/Nov/2026:08:00:00 +0800`.
pub fn format_time_local(ms: i64, offset_min: i32) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let c = Civil::at(ms, offset_min);
    format!(
        "{:02}/{}/{:04}:{:02}:{:02}:{:02} {}",
        c.day,
        MONTHS[c.month as usize - 1],
        c.year,
        c.hour,
        c.minute,
        c.second,
        offset_text(offset_min, "")
    )
}

/// Format epoch milliseconds as ISO-8601 with milliseconds in a zone `offset_min`
/// minutes east of UTC: `2026-11-26T08:00:00.250+08:00`.
pub fn format_iso8601_local(ms: i64, offset_min: i32) -> String {
    let c = Civil::at(ms, offset_min);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}{}",
        c.year,
        c.month,
        c.day,
        c.hour,
        c.minute,
        c.second,
        c.millis,
        offset_text(offset_min, ":")
    )
}

fn offset_text(offset_min: i32, sep: &str) -> String {
    let sign = if offset_min < 0 { '-' } else { '+' };
    let m = offset_min.unsigned_abs();
    format!("{sign}{:02}{sep}{:02}", m / 60, m % 60)
}

/// A broken-down local time.
struct Civil {
    year: i64,
    month: u32,
    day: u32,
    hour: i64,
    minute: i64,
    second: i64,
    millis: i64,
}

impl Civil {
    fn at(ms: i64, offset_min: i32) -> Civil {
        let local = ms + i64::from(offset_min) * 60_000;
        let (year, month, day) = civil_from_days(local.div_euclid(86_400_000));
        let in_day = local.rem_euclid(86_400_000);
        Civil {
            year,
            month,
            day,
            hour: in_day / 3_600_000,
            minute: in_day / 60_000 % 60,
            second: in_day / 1000 % 60,
            millis: in_day % 1000,
        }
    }
}

/// A span of time written `90s`, `30m`, `24h` or `7d`, in milliseconds.
pub fn parse_span(s: &str) -> Option<i64> {
    let s = s.trim();
    let unit_at = s.find(|c: char| !c.is_ascii_digit())?;
    let (n, unit) = s.split_at(unit_at);
    let n: i64 = n.parse().ok().filter(|n| *n > 0)?;
    let unit_ms = match unit {
        "s" => 1000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return None,
    };
    n.checked_mul(unit_ms)
}

/// A `--since` / `--until` value: an ISO-8601 time (`2026-11-26T08:00:00+08:00`; no
/// offset means UTC), a date (`2026-11-26`, midnight UTC), or a span before `now_ms`
/// (`24h`, `30m`, `7d`).
pub fn parse_time_bound(s: &str, now_ms: i64) -> Result<i64, String> {
    let t = s.trim();
    if let Some(span) = parse_span(t) {
        return Ok(now_ms - span);
    }
    if t.len() == 10 {
        if let Some(ms) = parse_iso8601(format!("{t}T00:00:00Z").as_bytes()) {
            return Ok(ms);
        }
    }
    parse_text_time(t.as_bytes()).ok_or_else(|| {
        format!(
            "{s:?} is not a time: use 2026-11-26T08:00:00+08:00, 2026-11-26, or a span ago like 24h, 30m, 7d"
        )
    })
}

/// A non-negative decimal (`12`, `0.123`, `1.5e-3`) times 10^`exp`, truncated to an
/// integer. `-`, empty and anything else that is not a plain number give `None`.
#[inline]
pub fn parse_scaled(b: &[u8], exp: i32) -> Option<i64> {
    // Latencies are parsed on every line, and nearly all of them are seconds with
    // milliseconds (nginx's `$request_time`: `0.550`): that shape is read without
    // the general walk's per-digit checks.
    match millis(b) {
        Some(thousandths) => times_pow10(thousandths, exp - 3),
        None => parse_scaled_general(b, exp),
    }
}

/// `D.DDD` with one to nine integer digits, in thousandths; `None` for any other
/// shape. Twelve digits at most, so the sum cannot overflow.
#[inline]
fn millis(b: &[u8]) -> Option<i64> {
    if let &[i0, b'.', f0, f1, f2] = b {
        // `0.550`, the most common latency of all: no loop.
        let digits = [i0, f0, f1, f2].map(|d| i64::from(d.wrapping_sub(b'0')));
        if digits.iter().all(|&d| d < 10) {
            return Some(digits[0] * 1000 + digits[1] * 100 + digits[2] * 10 + digits[3]);
        }
        return None;
    }
    if !(5..=13).contains(&b.len()) {
        return None;
    }
    let (int, frac) = b.split_at(b.len() - 4);
    let &[b'.', f0, f1, f2] = frac else {
        return None;
    };
    if !(f0.is_ascii_digit() && f1.is_ascii_digit() && f2.is_ascii_digit()) {
        return None;
    }
    let mut v: i64 = 0;
    for &d in int {
        if !d.is_ascii_digit() {
            return None;
        }
        v = v * 10 + i64::from(d - b'0');
    }
    Some(v * 1000 + i64::from(f0 - b'0') * 100 + i64::from(f1 - b'0') * 10 + i64::from(f2 - b'0'))
}

fn parse_scaled_general(b: &[u8], exp: i32) -> Option<i64> {
    let mut mantissa: i64 = 0;
    let mut scale = exp;
    let mut i = 0;
    let mut seen_digit = false;
    while i < b.len() && b[i].is_ascii_digit() {
        mantissa = mantissa
            .checked_mul(10)?
            .checked_add(i64::from(b[i] - b'0'))?;
        seen_digit = true;
        i += 1;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        while i < b.len() && b[i].is_ascii_digit() {
            // Digits beyond i64 precision cannot change the truncated result much;
            // stop accumulating rather than overflow.
            if mantissa < i64::MAX / 100 {
                mantissa = mantissa * 10 + i64::from(b[i] - b'0');
                scale -= 1;
            }
            seen_digit = true;
            i += 1;
        }
    }
    if !seen_digit {
        return None;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        let negative = match b.get(i) {
            Some(b'-') => {
                i += 1;
                true
            }
            Some(b'+') => {
                i += 1;
                false
            }
            _ => false,
        };
        let start = i;
        let mut e: i32 = 0;
        while i < b.len() && b[i].is_ascii_digit() {
            e = e.checked_mul(10)?.checked_add(i32::from(b[i] - b'0'))?;
            i += 1;
        }
        if i == start {
            return None;
        }
        scale = scale.checked_add(if negative { -e } else { e })?;
    }
    if i != b.len() {
        return None;
    }
    times_pow10(mantissa, scale)
}

/// `mantissa` times 10^`scale`, truncated; `None` when it overflows.
#[inline]
fn times_pow10(mantissa: i64, scale: i32) -> Option<i64> {
    // Powers from a table: `pow` loops, and latencies are parsed on every line.
    if scale >= 0 {
        mantissa.checked_mul(*POW10.get(scale as usize)?)
    } else {
        Some(POW10.get((-scale) as usize).map_or(0, |p| mantissa / p))
    }
}

/// 10^0 ..= 10^18, every power of ten an i64 holds.
const POW10: [i64; 19] = {
    let mut table = [1i64; 19];
    let mut i = 1;
    while i < table.len() {
        table[i] = table[i - 1] * 10;
        i += 1;
    }
    table
};

#[inline]
fn digits(b: &[u8]) -> Option<u32> {
    b.iter().try_fold(0u32, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
    })
}

fn hms(b: &[u8]) -> Option<(u32, u32, u32)> {
    if b[2] != b':' || b[5] != b':' {
        return None;
    }
    Some((digits(&b[0..2])?, digits(&b[3..5])?, digits(&b[6..8])?))
}

/// `+0800`, `-07:00`, `+08`: minutes east of UTC.
fn offset_minutes(b: &[u8]) -> Option<i32> {
    let sign = match b.first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let (h, m) = match &b[1..] {
        [h1, h2] => (digits(&[*h1, *h2])?, 0),
        [h1, h2, m1, m2] => (digits(&[*h1, *h2])?, digits(&[*m1, *m2])?),
        [h1, h2, b':', m1, m2] => (digits(&[*h1, *h2])?, digits(&[*m1, *m2])?),
        _ => return None,
    };
    if h > 23 || m > 59 {
        return None;
    }
    Some(sign * (h * 60 + m) as i32)
}

fn month_from_abbrev(b: &[u8]) -> Option<u32> {
    const MONTHS: [&[u8; 3]; 12] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec",
    ];
    MONTHS
        .iter()
        .position(|m| &m[..] == b)
        .map(|i| i as u32 + 1)
}

#[allow(clippy::too_many_arguments)]
fn civil_to_ms(
    year: i64,
    month: u32,
    day: u32,
    h: u32,
    m: u32,
    s: u32,
    millis: u32,
    offset_min: i32,
) -> Option<i64> {
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    // 60 admits a leap second, which lands on the next second.
    if h > 23 || m > 59 || s > 60 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + i64::from(h * 3600 + m * 60 + s) - i64::from(offset_min) * 60;
    Some(secs * 1000 + i64::from(millis))
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_local_with_offsets() {
        // 2000-10-10T20:55:36Z
        assert_eq!(
            parse_time_local(b"10/Oct/2000:13:55:36 -0700"),
            Some(971_211_336_000)
        );
        assert_eq!(
            parse_time_local(b"11/Oct/2000:04:55:36 +0800"),
            Some(971_211_336_000)
        );
        assert_eq!(
            parse_time_local(b"29/Feb/2024:00:00:00 +0000"),
            Some(1_709_164_800_000)
        );
    }

    #[test]
    fn time_local_rejects_bad_values() {
        for bad in [
            &b"30/Feb/2024:00:00:00 +0000"[..],
            b"10/Foo/2000:13:55:36 -0700",
            b"10/Oct/2000:24:55:36 -0700",
            b"10/Oct/2000:13:55:36",
            b"[10/Oct/2000:13:55:36 -0700]",
            b"1x/Oct/2000:13:55:36 -0700",
        ] {
            assert_eq!(
                parse_time_local(bad),
                None,
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn iso8601_variants() {
        let t = 971_211_336_000;
        assert_eq!(parse_iso8601(b"2000-10-10T20:55:36Z"), Some(t));
        assert_eq!(parse_iso8601(b"2000-10-10T20:55:36"), Some(t));
        assert_eq!(parse_iso8601(b"2000-10-10 20:55:36"), Some(t));
        assert_eq!(parse_iso8601(b"2000-10-10t20:55:36z"), Some(t));
        assert_eq!(parse_iso8601(b"2000-10-10T13:55:36-07:00"), Some(t));
        assert_eq!(parse_iso8601(b"2000-10-11T04:55:36+0800"), Some(t));
        assert_eq!(parse_iso8601(b"2000-10-11T04:55:36+08"), Some(t));
        assert_eq!(parse_iso8601(b"2000-10-10T20:55:36.25Z"), Some(t + 250));
        assert_eq!(
            parse_iso8601(b"2000-10-10T20:55:36.123456789Z"),
            Some(t + 123)
        );
        assert_eq!(parse_iso8601(b"2000-10-10T20:55:36.Z"), None);
        assert_eq!(parse_iso8601(b"2000-13-10T20:55:36Z"), None);
        assert_eq!(parse_iso8601(b"2000-10-10T20:55:36 junk"), None);
        assert_eq!(parse_text_time(b"10/Oct/2000:13:55:36 -0700"), Some(t));
    }

    /// The ISO-8601 parser as it was before the minute memo: every value is
    /// read and converted in full. The memoized parser must agree with it on
    /// every input, whatever was parsed before it on the thread.
    fn reference_iso8601(b: &[u8]) -> Option<i64> {
        if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
            return None;
        }
        let year = digits(&b[0..4])?;
        let month = digits(&b[5..7])?;
        let day = digits(&b[8..10])?;
        let (h, m, s) = hms(&b[11..19])?;
        let mut rest = &b[19..];
        let mut millis = 0;
        if let [b'.' | b',', frac @ ..] = rest {
            let n = frac.iter().take_while(|c| c.is_ascii_digit()).count();
            if n == 0 {
                return None;
            }
            for i in 0..3 {
                millis = millis * 10
                    + frac
                        .get(i)
                        .filter(|_| i < n)
                        .map_or(0, |c| u32::from(c - b'0'));
            }
            rest = &frac[n..];
        }
        let offset = match rest {
            [] | [b'Z' | b'z'] => 0,
            _ => offset_minutes(rest)?,
        };
        civil_to_ms(year as i64, month, day, h, m, s, millis, offset)
    }

    /// Values that share a minute with their neighbours, differ from them only
    /// in the zone, the separator or the seconds, or are invalid in one part.
    const ISO_CASES: &[&str] = &[
        "2026-11-26T00:00:00.002+08:00",
        "2026-11-26T00:00:59.999+08:00",
        "2026-11-26T00:00:60+08:00",
        "2026-11-26T00:00:61+08:00",
        "2026-11-26T00:00:6x+08:00",
        "2026-11-26T00:00:00.002+0800",
        "2026-11-26T00:00:00.002+08",
        "2026-11-26T00:00:00.002+08:0",
        "2026-11-26T00:00:00.002+08:000",
        "2026-11-26T00:00:00.002+08:00 ",
        "2026-11-26T00:00:00.002-08:00",
        "2026-11-26T00:00:00.002+24:00",
        "2026-11-26T00:00:00.002+08:60",
        "2026-11-26T00:00:00.002Z",
        "2026-11-26T00:00:00.002z",
        "2026-11-26T00:00:00.002",
        "2026-11-26T00:00:00.002ZZ",
        "2026-11-26T00:00:00.Z",
        "2026-11-26T00:00:00,5Z",
        "2026-11-26T00:00:00.123456789+05:30",
        "2026-11-26 00:00:00.002+08:00",
        "2026-11-26t00:00:00.002+08:00",
        "2026-11-26T00:00:00",
        "2026-11-26T00:00:0",
        "2026-11-26T00:00",
        "2026-11-26T00:00 00",
        "2026-11-26T00-00:00Z",
        "2026-11-26T00:01:00Z",
        "2026-11-26T23:59:60Z",
        "2026-11-26T24:00:00Z",
        "2026-11-26T23:60:00Z",
        "2026-11-31T00:00:00Z",
        "2026-02-29T00:00:00Z",
        "2024-02-29T00:00:00Z",
        "2026-00-10T00:00:00Z",
        "2026-13-10T00:00:00Z",
        "2026-11-00T00:00:00Z",
        "1969-12-31T23:59:59.999Z",
        "0000-03-01T00:00:00Z",
        "9999-12-31T23:59:60.999-23:59",
        "2026_11-26T00:00:00Z",
        "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0:00",
        "",
    ];

    #[test]
    fn iso8601_memo_is_exact() {
        // Every value after every other, so each is read both as a cache hit (the
        // same minute and zone as the one before) and as a miss.
        for a in ISO_CASES {
            for b in ISO_CASES {
                for v in [a, b, b] {
                    let v = v.as_bytes();
                    assert_eq!(
                        parse_iso8601(v),
                        reference_iso8601(v),
                        "{}",
                        String::from_utf8_lossy(v)
                    );
                }
            }
        }
        assert_eq!(minute_start(&[0; 16], b""), None);
        assert_eq!(minute_start_cached(&[0; 16], b"", 0), None);
    }

    proptest::proptest! {
        #[test]
        fn iso8601_memo_agrees_on_mutated_values(
            edits in proptest::collection::vec((0usize..32, proptest::prelude::any::<u8>()), 0..4),
            cut in 0usize..32,
        ) {
            let mut v = b"2026-11-26T00:00:59.002+08:00".to_vec();
            for (i, b) in edits {
                if let Some(c) = v.get_mut(i) {
                    // Mostly digits and separators, sometimes anything.
                    *c = match b % 4 {
                        0 => b'0' + b % 10,
                        1 => b":-+.TZ "[usize::from(b) % 7],
                        _ => b,
                    };
                }
            }
            v.truncate(cut.max(15));
            // Parsed twice: the second time from the memo.
            proptest::prop_assert_eq!(parse_iso8601(&v), reference_iso8601(&v));
            proptest::prop_assert_eq!(parse_iso8601(&v), reference_iso8601(&v));
        }
    }

    #[test]
    fn before_1970_and_formatting_round_trip() {
        assert_eq!(parse_iso8601(b"1969-12-31T23:59:59Z"), Some(-1000));
        for ms in [
            0,
            -1000,
            971_211_336_250,
            1_709_164_800_000,
            4_102_444_800_000,
        ] {
            let s = format_rfc3339(ms);
            assert_eq!(parse_iso8601(s.as_bytes()), Some(ms), "{s}");
        }
        assert_eq!(format_rfc3339(971_211_336_000), "2000-10-10T20:55:36Z");
        let t = 971_211_336_250;
        assert_eq!(format_time_local(t, 480), "11/Oct/2000:04:55:36 +0800");
        assert_eq!(
            format_iso8601_local(t, -420),
            "2000-10-10T13:55:36.250-07:00"
        );
        assert_eq!(
            parse_time_local(format_time_local(t, -90).as_bytes()),
            Some(t - 250)
        );
        assert_eq!(
            parse_iso8601(format_iso8601_local(t, 330).as_bytes()),
            Some(t)
        );
    }

    #[test]
    fn spans_and_bounds() {
        assert_eq!(parse_span("90s"), Some(90_000));
        assert_eq!(parse_span("5m"), Some(300_000));
        assert_eq!(parse_span("24h"), Some(86_400_000));
        assert_eq!(parse_span("7d"), Some(604_800_000));
        for bad in ["", "h", "0h", "5", "5w", "-5m", "1.5h"] {
            assert_eq!(parse_span(bad), None, "{bad}");
        }
        let now = 1_795_622_400_000;
        assert_eq!(parse_time_bound("24h", now), Ok(now - 86_400_000));
        assert_eq!(parse_time_bound("2026-11-25", now), Ok(now - 57_600_000));
        assert_eq!(parse_time_bound("2026-11-26T00:00:00+08:00", now), Ok(now));
        assert_eq!(
            parse_time_bound("2026-11-25T08:00:00Z", now),
            Ok(now - 28_800_000)
        );
        assert!(parse_time_bound("yesterday", now)
            .unwrap_err()
            .contains("yesterday"));
    }

    #[test]
    fn time_local_memo_is_exact() {
        for v in [
            "27/Nov/2026:10:00:00 +0800",
            "27/Nov/2026:10:00:00 +0800",
            "27/Nov/2026:10:00:01 +0800",
            "27/Nov/2026:10:00:00 +0800",
            "27/Nov/2026:10:00:00 -0700",
            "31/Feb/2026:10:00:00 +0800",
            "31/Feb/2026:10:00:00 +0800",
            "27/Nov/2026:10:00:00 +080",
            "",
        ] {
            let v = v.as_bytes();
            let uncached = <[u8; TIME_LOCAL_LEN]>::try_from(v)
                .ok()
                .and_then(|k| time_local_uncached(&k));
            assert_eq!(parse_time_local(v), uncached);
        }
        let zeros = [0u8; TIME_LOCAL_LEN];
        assert_eq!(parse_time_local(&zeros), None);
    }

    /// Every scale an exponent can ask for, against powers computed one by one:
    /// beyond 10^18 a product is no i64 and a quotient is 0.
    #[test]
    fn scaled_powers_at_every_scale() {
        for e in -25i32..=25 {
            for (text, m) in [("7", 7i64), ("123", 123), ("0", 0)] {
                let want = if e >= 0 {
                    10i64.checked_pow(e as u32).and_then(|p| m.checked_mul(p))
                } else {
                    Some(10i64.checked_pow(e.unsigned_abs()).map_or(0, |p| m / p))
                };
                assert_eq!(
                    parse_scaled(format!("{text}e{e}").as_bytes(), 0),
                    want,
                    "{text}e{e}"
                );
            }
        }
    }

    proptest::proptest! {
        /// The `D.DDD` shortcut gives what the general walk gives, for that shape
        /// and for everything near it.
        #[test]
        fn millis_shortcut_same_as_general(
            text in "[0-9]{0,11}[.]?[0-9]{0,4}|[0-9 .e+-]{0,14}",
            exp in -8i32..8,
        ) {
            proptest::prop_assert_eq!(
                parse_scaled(text.as_bytes(), exp),
                parse_scaled_general(text.as_bytes(), exp),
                "{}", text
            );
        }
    }

    /// Every five-byte value over digits and the bytes around them, the shape of
    /// `0.550` and all its neighbours: the shortcut agrees with the general walk.
    #[test]
    fn five_byte_latencies_same_as_general() {
        let alphabet = *b"0129./:e-";
        let mut text = [0u8; 5];
        for n in 0..alphabet.len().pow(5) {
            let mut rest = n;
            for byte in &mut text {
                *byte = alphabet[rest % alphabet.len()];
                rest /= alphabet.len();
            }
            for exp in [-3, 0, 3, 6] {
                assert_eq!(
                    parse_scaled(&text, exp),
                    parse_scaled_general(&text, exp),
                    "{:?} {exp}",
                    String::from_utf8_lossy(&text)
                );
            }
        }
    }

    #[test]
    fn scaled_decimals() {
        assert_eq!(parse_duration(b"0.123", DurationUnit::S), Some(123_000));
        assert_eq!(parse_duration(b"12", DurationUnit::Ms), Some(12_000));
        assert_eq!(parse_duration(b"1.5e-3", DurationUnit::S), Some(1_500));
        assert_eq!(parse_duration(b"1E2", DurationUnit::Us), Some(100));
        assert_eq!(parse_duration(b"1999", DurationUnit::Ns), Some(1));
        assert_eq!(parse_duration(b"-", DurationUnit::S), None);
        assert_eq!(parse_duration(b"", DurationUnit::S), None);
        assert_eq!(parse_duration(b".", DurationUnit::S), None);
        assert_eq!(parse_duration(b"-1", DurationUnit::S), None);
        assert_eq!(parse_duration(b"1e", DurationUnit::S), None);
        assert_eq!(parse_duration(b"0.1, 0.2", DurationUnit::S), None);
        assert_eq!(
            parse_duration(b"99999999999999999999", DurationUnit::S),
            None
        );
        assert_eq!(
            parse_time(b"1700000000.5", TimeUnit::EpochS),
            Some(1_700_000_000_500)
        );
        assert_eq!(
            parse_time(b"1700000000500", TimeUnit::EpochMs),
            Some(1_700_000_000_500)
        );
    }

    /// The parsers against jiff, a time library, as the reference: jiff formats
    /// random instants at random offsets in every form errscope reads, errscope
    /// must read each back to the same epoch millisecond; and on strings near
    /// those forms, what jiff rejects errscope rejects, and what both read they
    /// read alike, except where errscope is deliberately more lenient
    /// ([`lenient`]).
    mod against_jiff {
        use super::super::*;
        use jiff::fmt::{strtime, temporal::DateTimeParser, temporal::DateTimePrinter};
        use jiff::tz::{Offset, TimeZone};
        use jiff::Timestamp;
        use proptest::prelude::*;

        /// `ts` floored to a multiple of `unit` nanoseconds, in milliseconds:
        /// errscope drops digits past the millisecond (past the second, for
        /// `$time_local`), and a dropped fraction always moves a time earlier.
        fn floor_ms(ts: Timestamp, unit: i128) -> i64 {
            (ts.as_nanosecond().div_euclid(unit) * unit).div_euclid(1_000_000) as i64
        }

        /// Instants whose local date has a four-digit year at any offset (errscope
        /// reads years 0000 to 9999): anywhere from 0000-01-02 to 9999-12-30 UTC,
        /// or near today, to the nanosecond.
        fn instant() -> impl Strategy<Value = Timestamp> {
            const DAY: i128 = 86_400 * 1_000_000_000;
            let first = i128::from(days_from_civil(0, 1, 2)) * DAY;
            let last = i128::from(days_from_civil(9999, 12, 30)) * DAY;
            let today = i128::from(days_from_civil(2026, 11, 26)) * DAY;
            prop_oneof![first..last, (today - 400 * DAY)..(today + 400 * DAY)]
                .prop_map(|ns| Timestamp::from_nanosecond(ns).unwrap())
        }

        /// Offsets errscope reads: whole minutes within ±23:59, often whole hours.
        fn offset() -> impl Strategy<Value = Offset> {
            prop_oneof![-1439i32..=1439, (-23i32..=23).prop_map(|h| h * 60), Just(0)]
                .prop_map(|m| Offset::from_seconds(m * 60).unwrap())
        }

        /// A text form: the string jiff writes and the milliseconds errscope must
        /// read from it.
        fn text_forms(ts: Timestamp, off: Offset, pick: u8) -> Vec<(String, i64)> {
            let zoned = ts.to_zoned(TimeZone::fixed(off));
            let ms = floor_ms(ts, 1_000_000);
            let strf = |f: &str| zoned.strftime(f).to_string();
            let mut forms = Vec::new();
            // RFC 3339 / ISO 8601 as jiff prints it: every fraction precision,
            // `T`, `t` or a space between date and time.
            let precision = match pick % 11 {
                10 => None,
                p => Some(p),
            };
            let separator = [b'T', b' '][usize::from(pick / 11 % 2)];
            let printer = DateTimePrinter::new()
                .precision(precision)
                .separator(separator)
                .lowercase(pick / 22 % 2 == 1);
            let unit = precision.map_or(1, |p| 10i128.pow(9 - u32::from(p)));
            let at = floor_ms(ts, unit);
            forms.push((printer.timestamp_with_offset_to_string(&ts, off), at));
            // In UTC with `Z` (`z` when lowercase).
            forms.push((printer.timestamp_to_string(&ts), at));
            // strftime's offsets: `+0800`, `+08:00`, `+08` (whole hours); the
            // fraction with a comma (ISO 8601's other decimal sign); no offset,
            // which errscope reads as UTC.
            forms.push((strf("%Y-%m-%dT%H:%M:%S%.f%z"), ms));
            forms.push((strf("%Y-%m-%dT%H:%M:%S%.3f%:z"), ms));
            forms.push((strf("%Y-%m-%dT%H:%M:%S%:::z"), floor_ms(ts, 1_000_000_000)));
            forms.push((strf("%Y-%m-%dT%H:%M:%S,%N%:z"), ms));
            let utc = ts.to_zoned(TimeZone::UTC);
            forms.push((utc.strftime("%Y-%m-%d %H:%M:%S%.f").to_string(), ms));
            // nginx `$time_local` / Apache `%t`: whole seconds.
            forms.push((strf("%d/%b/%Y:%H:%M:%S %z"), floor_ms(ts, 1_000_000_000)));
            forms
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(2048))]

            /// Every form jiff writes, errscope reads as the same instant: as a
            /// log time and as a `--since`/`--until` value.
            #[test]
            fn reads_what_jiff_writes(ts in instant(), off in offset(), pick in any::<u8>()) {
                for (text, ms) in text_forms(ts, off, pick) {
                    prop_assert_eq!(parse_text_time(text.as_bytes()), Some(ms), "{}", text);
                    prop_assert_eq!(parse_time(text.as_bytes(), TimeUnit::Iso8601), Some(ms), "{}", text);
                    prop_assert_eq!(parse_time_bound(&text, 0), Ok(ms), "{}", text);
                }
            }

            /// Epoch seconds (whole, and with jiff's fraction) and milliseconds;
            /// a date alone as a bound is its midnight UTC.
            #[test]
            fn reads_epochs_and_dates_as_jiff_writes_them(ts in instant(), off in offset()) {
                let zoned = ts.to_zoned(TimeZone::fixed(off));
                if ts >= Timestamp::UNIX_EPOCH {
                    let seconds = zoned.strftime("%s").to_string();
                    prop_assert_eq!(
                        parse_time(seconds.as_bytes(), TimeUnit::EpochS),
                        Some(floor_ms(ts, 1_000_000_000))
                    );
                    let fraction = zoned.strftime("%s%.f").to_string();
                    prop_assert_eq!(
                        parse_time(fraction.as_bytes(), TimeUnit::EpochS),
                        Some(floor_ms(ts, 1_000_000)),
                        "{}", fraction
                    );
                    let millis = ts.as_millisecond().to_string();
                    prop_assert_eq!(
                        parse_time(millis.as_bytes(), TimeUnit::EpochMs),
                        Some(floor_ms(ts, 1_000_000))
                    );
                }
                let date = zoned.date();
                let midnight = date.to_zoned(TimeZone::UTC).unwrap().timestamp();
                prop_assert_eq!(
                    parse_time_bound(&date.to_string(), 0),
                    Ok(midnight.as_millisecond())
                );
            }

            /// Near-miss strings: jiff's forms with a few bytes replaced (mostly by
            /// digits and separators), inserted or deleted, or cut short.
            #[test]
            fn rejects_what_jiff_rejects(
                ts in instant(),
                off in offset(),
                pick in any::<u8>(),
                form in 0usize..8,
                edits in proptest::collection::vec((0usize..40, 0u8..4, any::<u8>()), 0..4),
                cut in proptest::option::weighted(0.2, 0usize..40),
            ) {
                let (text, _) = text_forms(ts, off, pick).swap_remove(form);
                let mut v = text.into_bytes();
                for (at, kind, b) in edits {
                    let at = at.min(v.len());
                    let byte = match b % 3 {
                        0 => b'0' + b % 10,
                        1 => b":-+.,TtZz /"[usize::from(b) % 11],
                        _ => b,
                    };
                    match kind {
                        0 if at < v.len() => v[at] = byte,
                        1 => v.insert(at, byte),
                        2 if at < v.len() => {
                            v.remove(at);
                        }
                        _ => {}
                    }
                }
                if let Some(cut) = cut {
                    v.truncate(cut);
                }
                let ours = parse_text_time(&v);
                let theirs = jiff_reads(&v);
                match (ours, theirs) {
                    (Some(ours), None) => prop_assert!(
                        lenient(&v).is_some(),
                        "errscope reads {:?} as {}, jiff rejects it", String::from_utf8_lossy(&v), ours
                    ),
                    (Some(ours), Some(theirs)) => {
                        let leap = if lenient(&v) == Some(Lenient::LeapSecond) { 1000 } else { 0 };
                        prop_assert_eq!(ours, theirs + leap, "{:?}", String::from_utf8_lossy(&v));
                    }
                    // errscope is stricter than jiff in places (a year of other
                    // than four digits, `HHMMSS`, no seconds, an offset with
                    // seconds or over 23 hours, a time zone annotation, month
                    // names in other cases): it reads what logs write.
                    (None, _) => {}
                }
            }
        }

        /// What jiff reads `v` as, in errscope's terms: an RFC 3339 / ISO 8601
        /// timestamp, one without an offset taken as UTC (as errscope does), or a
        /// `$time_local`; floored to the millisecond.
        fn jiff_reads(v: &[u8]) -> Option<i64> {
            let parser = DateTimeParser::new();
            if v.get(2) == Some(&b'/') {
                let tm = strtime::parse("%d/%b/%Y:%H:%M:%S %z", v).ok()?;
                return tm.to_timestamp().ok().map(|ts| floor_ms(ts, 1_000_000));
            }
            let utc = [v, b"Z"].concat();
            parser
                .parse_timestamp(v)
                .or_else(|_| parser.parse_timestamp(&utc))
                .ok()
                .map(|ts| floor_ms(ts, 1_000_000))
        }

        /// Where errscope reads more than jiff, on purpose.
        #[derive(Debug, PartialEq)]
        enum Lenient {
            /// Second 60 (a leap second, as a log may write it) lands on the next
            /// second; jiff reads it as second 59.
            LeapSecond,
            /// More than nine fraction digits: errscope keeps the first three and
            /// drops the rest; jiff allows nine at most.
            LongFraction,
        }

        fn lenient(v: &[u8]) -> Option<Lenient> {
            let leap = if v.get(2) == Some(&b'/') {
                v.get(18..20) == Some(b"60")
            } else {
                v.get(17..19) == Some(b"60")
            };
            if leap {
                return Some(Lenient::LeapSecond);
            }
            let digits = v
                .get(20..)
                .filter(|_| matches!(v.get(19), Some(b'.' | b',')))
                .map_or(0, |f| f.iter().take_while(|c| c.is_ascii_digit()).count());
            (digits > 9).then_some(Lenient::LongFraction)
        }

        /// The leniencies, one example each, as jiff and errscope read them.
        #[test]
        fn deliberate_leniencies() {
            let leap = b"2026-11-26T23:59:60Z";
            assert_eq!(lenient(leap), Some(Lenient::LeapSecond));
            let jiff = jiff_reads(leap).unwrap();
            assert_eq!(parse_text_time(leap), Some(jiff + 1000));
            let local = b"26/Nov/2026:23:59:60 +0000";
            assert_eq!(
                parse_text_time(local),
                parse_text_time(b"27/Nov/2026:00:00:00 +0000")
            );
            let long = b"2026-11-26T10:00:00.1234567891Z";
            assert_eq!(lenient(long), Some(Lenient::LongFraction));
            assert_eq!(jiff_reads(long), None);
            assert_eq!(
                parse_text_time(long),
                Some(jiff_reads(b"2026-11-26T10:00:00.123Z").unwrap())
            );
        }
    }
}
