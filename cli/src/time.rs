//! RFC 3339 timestamps (`2024-05-01T12:00:00Z`, `2024-05-01T14:00:00.250+02:00`) as
//! milliseconds since the Unix epoch, for `reset-offsets --to-datetime`.

/// Parses an RFC 3339 date-time with a `Z` or `±HH:MM` offset. Fractions of a second
/// beyond milliseconds are dropped.
pub fn parse_rfc3339(text: &str) -> Result<i64, String> {
    let bad = |why: &str| {
        format!("`{text}` is not an RFC 3339 date-time ({why}), such as 2024-05-01T12:00:00Z")
    };
    let b = text.trim().as_bytes();
    if b.len() < 20 {
        return Err(bad("too short"));
    }
    let num = |range: std::ops::Range<usize>| -> Result<i64, String> {
        let digits = &b[range];
        if !digits.iter().all(u8::is_ascii_digit) {
            return Err(bad("a number is expected"));
        }
        Ok(digits
            .iter()
            .fold(0i64, |n, d| n * 10 + i64::from(d - b'0')))
    };
    let expect = |at: usize, what: &[u8]| -> Result<(), String> {
        if what.contains(&b[at]) {
            Ok(())
        } else {
            Err(bad(&format!(
                "`{}` expected at position {}",
                what[0] as char,
                at + 1
            )))
        }
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    expect(4, b"-")?;
    expect(7, b"-")?;
    expect(10, b"Tt ")?;
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    expect(13, b":")?;
    expect(16, b":")?;
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return Err(bad("no such date"));
    }
    // 60 is a leap second: counted as the next second's start.
    if hour > 23 || minute > 59 || second > 60 {
        return Err(bad("no such time"));
    }
    let mut at = 19;
    let mut millis = 0;
    if b[at] == b'.' {
        at += 1;
        let start = at;
        while at < b.len() && b[at].is_ascii_digit() {
            at += 1;
        }
        if at == start {
            return Err(bad("digits expected after `.`"));
        }
        let mut fraction = b[start..at.min(start + 3)].to_vec();
        fraction.resize(3, b'0');
        millis = fraction
            .iter()
            .fold(0i64, |n, d| n * 10 + i64::from(d - b'0'));
    }
    let offset_minutes = match &b[at..] {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
            let hours = num(at + 1..at + 3)?;
            let minutes = num(at + 4..at + 6)?;
            if hours > 23 || minutes > 59 {
                return Err(bad("no such offset"));
            }
            let offset = hours * 60 + minutes;
            if *sign == b'-' {
                -offset
            } else {
                offset
            }
        }
        _ => {
            return Err(bad(
                "a time zone offset, Z or ±HH:MM, is expected at the end",
            ))
        }
    };
    let days = days_since_epoch(year, month, day);
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
    Ok(seconds * 1000 + millis)
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to the date (proleptic Gregorian calendar).
fn days_since_epoch(year: i64, month: i64, day: i64) -> i64 {
    // Count whole years from 1970, then whole months of the year, then days.
    let years: i64 = if year >= 1970 {
        (1970..year)
            .map(|y| if is_leap(y) { 366 } else { 365 })
            .sum()
    } else {
        -(year..1970)
            .map(|y| if is_leap(y) { 366 } else { 365 })
            .sum::<i64>()
    };
    let months: i64 = (1..month).map(|m| days_in_month(year, m)).sum();
    years + months + day - 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_and_offsets() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Ok(0));
        assert_eq!(parse_rfc3339("2024-05-01T12:00:00Z"), Ok(1_714_564_800_000));
        assert_eq!(
            parse_rfc3339("2024-05-01T14:00:00.25+02:00"),
            Ok(1_714_564_800_250)
        );
        assert_eq!(
            parse_rfc3339("2000-02-29t23:59:59.999999-01:30"),
            Ok(951_874_199_999)
        );
        assert_eq!(parse_rfc3339("1969-12-31T23:59:59Z"), Ok(-1000));
    }

    #[test]
    fn nonsense_is_refused() {
        for text in [
            "2024-05-01",
            "2024-05-01T12:00:00",
            "2023-02-29T00:00:00Z",
            "2024-13-01T00:00:00Z",
            "2024-05-01T24:00:00Z",
            "2024-05-01T12:00:00+2:00",
            "2024-05-01T12:00:00.Z",
            "yesterday at noon, UTC",
        ] {
            assert!(parse_rfc3339(text).is_err(), "{text}");
        }
    }
}
