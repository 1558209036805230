//! Request signatures of the three platforms, and the Beijing-time
//! timestamp TOP and JOS want.
//!
//! TOP (Taobao) and JOS (JD) sign alike: the parameters sorted by name,
//! each name followed by its value, the whole wrapped in the app secret on
//! both sides, MD5, upper-case hex (`sign_method=md5`). Shopee v2 signs
//! `partner_id + path + timestamp + access_token + shop_id` with
//! HMAC-SHA256 under the partner key, lower-case hex. MD5 is the carriers'
//! implementation ([`crate::carriers::sign::md5`]), pinned by its vectors.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::carriers::sign::md5;

fn hex(bytes: &[u8], upper: bool) -> String {
    bytes
        .iter()
        .map(|b| {
            if upper {
                format!("{b:02X}")
            } else {
                format!("{b:02x}")
            }
        })
        .collect()
}

/// The TOP/JOS signature of `params` (name, value): upper-case hex
/// `MD5(secret + name1 + value1 + ... + secret)`, names sorted, `sign`
/// itself and empty values left out (as the platforms' SDKs do).
pub(crate) fn md5_sign(params: &[(&str, &str)], secret: &str) -> String {
    let mut sorted: Vec<&(&str, &str)> = params
        .iter()
        .filter(|(name, value)| *name != "sign" && !value.is_empty())
        .collect();
    sorted.sort_by(|a, b| a.0.cmp(b.0));
    let mut text = String::from(secret);
    for (name, value) in sorted {
        text.push_str(name);
        text.push_str(value);
    }
    text.push_str(secret);
    hex(&md5(text.as_bytes()), true)
}

/// The Shopee v2 shop-API signature.
pub(crate) fn shopee_sign(
    partner_key: &str,
    partner_id: u64,
    path: &str,
    timestamp: u64,
    access_token: &str,
    shop_id: u64,
) -> String {
    let base = format!("{partner_id}{path}{timestamp}{access_token}{shop_id}");
    hmac_sha256_hex(partner_key.as_bytes(), base.as_bytes())
}

/// Lower-case hex HMAC-SHA256 of `message` under `key` (Shopee's
/// signature, and the webhooks' `X-Wms-Signature`).
pub(crate) fn hmac_sha256_hex(key: &[u8], message: &[u8]) -> String {
    // HMAC takes a key of any length; the error arm cannot happen.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        return String::new();
    };
    mac.update(message);
    hex(&mac.finalize().into_bytes(), false)
}

/// `yyyy-MM-dd HH:mm:ss` in Beijing time (UTC+8, no daylight saving), the
/// timestamp format of TOP and JOS, for `unix_secs`.
pub(crate) fn beijing_time(unix_secs: u64) -> String {
    let secs = unix_secs + 8 * 3600;
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rest = secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's
/// `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (
        year,
        u32::try_from(month).unwrap_or(1),
        u32::try_from(day).unwrap_or(1),
    )
}

/// Seconds since the Unix epoch now (0 if the clock is before it).
pub(crate) fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_signature_matches_an_independent_computation() {
        // Python: hashlib.md5(("secret" + sorted k+v + "secret").encode())
        let params = [
            ("tid", "42"),
            ("method", "taobao.logistics.offline.send"),
            ("app_key", "12345"),
            ("out_sid", "SF1234"),
            ("format", "json"),
            ("session", ""),
            ("sign", "ignored"),
        ];
        assert_eq!(
            md5_sign(&params, "secret"),
            "AC5AE70D4AA5679F7214AC696CF64084"
        );
    }

    #[test]
    fn shopee_signature_matches_an_independent_computation() {
        // The base string of Shopee's own example, under a made-up key
        // (Python hmac.new(b"partnerkey", base, sha256).hexdigest()).
        let sign = shopee_sign(
            "partnerkey",
            2_001_887,
            "/api/v2/shop/get_shop_info",
            1_655_714_431,
            "59777174636562737266615546704c6d",
            14_701_711,
        );
        assert_eq!(
            sign,
            "86a6832545a7190dfe309ac878d4defdd0681d1dcc80175f844c849d36b84874"
        );
    }

    #[test]
    fn beijing_time_formats() {
        assert_eq!(beijing_time(0), "1970-01-01 08:00:00");
        assert_eq!(beijing_time(1_700_000_000), "2023-11-15 06:13:20");
        assert_eq!(beijing_time(951_782_400 + 86_399), "2000-03-01 07:59:59");
    }
}
