//! One shop platform's write-back configuration, as the hub's
//! configuration file holds it, and building the adapter from it.
//!
//! Secrets (the app secret or Shopee partner key, and the shop's session
//! or access token) are never in the file: it names environment variables
//! (`secret_env`, `access_token_env`) and [`PlatformConfig::build`] reads
//! them, so the configuration can be shared, logged and committed.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;

use super::codes::CarrierCodes;
use super::jd::Jd;
use super::shopee::{Shopee, ShopeeShop};
use super::taobao::Taobao;
use super::{Platform, WritebackError};
use crate::carriers::Secret;

/// Which platform a configuration is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PlatformKind {
    /// Taobao/Tmall, TOP.
    Taobao,
    /// JD, JOS.
    Jd,
    /// Shopee Open Platform v2.
    Shopee,
}

/// One platform, e.g. in TOML:
///
/// ```toml
/// platform = "taobao"
/// url = "http://127.0.0.1:8444/router/rest"
/// app_key = "12345678"
/// secret_env = "WMS_TAOBAO_SECRET"
/// access_token_env = "WMS_TAOBAO_SESSION"
/// timeout_ms = 5000
/// carrier_codes = { zto = "ZTO" }
/// ```
///
/// Shopee takes `partner_id` and `shop_id` instead of `app_key`, and its
/// `url` is the host alone (`http://127.0.0.1:8445`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformConfig {
    /// `"taobao"`, `"jd"` or `"shopee"`.
    pub platform: PlatformKind,
    /// The gateway (TOP, JOS) or host (Shopee), plain `http://`: ureq is
    /// built without TLS here, so a TLS-terminating proxy sits in front.
    pub url: String,
    /// Taobao and JD: the app key.
    #[serde(default)]
    pub app_key: Option<String>,
    /// The variable holding the app secret (Shopee: the partner key).
    pub secret_env: String,
    /// The variable holding the shop's authorisation: TOP `session`, JOS
    /// `access_token`, Shopee `access_token`.
    pub access_token_env: String,
    /// The whole-request timeout, in milliseconds.
    pub timeout_ms: u64,
    /// Shopee: the app's partner id.
    #[serde(default)]
    pub partner_id: Option<u64>,
    /// Shopee: the shop's id.
    #[serde(default)]
    pub shop_id: Option<u64>,
    /// Our carrier name to the platform's code, added to (and overriding)
    /// the built-in table of [`super::codes`]. Not for Shopee.
    #[serde(default)]
    pub carrier_codes: BTreeMap<String, String>,
}

impl PlatformConfig {
    /// The adapter, with its secrets read from the environment now.
    pub fn build(&self) -> Result<Box<dyn Platform>, WritebackError> {
        self.build_with(|var| std::env::var(var).ok())
    }

    /// [`Self::build`] with the environment given as a lookup (tests must
    /// not change the process's environment under other tests).
    pub fn build_with(
        &self,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Box<dyn Platform>, WritebackError> {
        self.check()?;
        let secret = |var: &str| {
            lookup(var)
                .filter(|s| !s.trim().is_empty())
                .map(Secret::new)
                .ok_or_else(|| WritebackError::SecretUnset {
                    var: var.to_owned(),
                })
        };
        let key = secret(&self.secret_env)?;
        let token = secret(&self.access_token_env)?;
        let timeout = Duration::from_millis(self.timeout_ms);
        let app_key = self.app_key.as_deref().unwrap_or_default();
        Ok(match self.platform {
            PlatformKind::Taobao => {
                let codes = CarrierCodes::new("taobao", &self.carrier_codes);
                Box::new(Taobao::new(&self.url, app_key, key, token, codes, timeout))
            }
            PlatformKind::Jd => {
                let codes = CarrierCodes::new("jd", &self.carrier_codes);
                Box::new(Jd::new(&self.url, app_key, key, token, codes, timeout))
            }
            PlatformKind::Shopee => {
                let shop = ShopeeShop {
                    partner_id: self.partner_id.unwrap_or_default(),
                    partner_key: key,
                    shop_id: self.shop_id.unwrap_or_default(),
                    access_token: token,
                };
                Box::new(Shopee::new(&self.url, shop, timeout))
            }
        })
    }

    /// What can be wrong without looking at the environment.
    fn check(&self) -> Result<(), WritebackError> {
        let bad = |why: &str| Err(WritebackError::Config(why.to_owned()));
        if self.url.starts_with("https://") {
            return bad("url: TLS is not built in; put a TLS-terminating proxy at an http:// url");
        }
        if !self.url.starts_with("http://") {
            return bad("url must start with http://");
        }
        if self.secret_env.trim().is_empty() || self.access_token_env.trim().is_empty() {
            return bad("secret_env and access_token_env must name environment variables");
        }
        if !(1..=120_000).contains(&self.timeout_ms) {
            return bad("timeout_ms must be 1 to 120000");
        }
        let has_app_key = self
            .app_key
            .as_deref()
            .is_some_and(|k| !k.trim().is_empty());
        let shopee_fields = self.partner_id.is_some() || self.shop_id.is_some();
        match self.platform {
            PlatformKind::Taobao | PlatformKind::Jd if !has_app_key => bad("app_key is required"),
            PlatformKind::Taobao | PlatformKind::Jd if shopee_fields => {
                bad("partner_id and shop_id are for shopee")
            }
            PlatformKind::Shopee if self.app_key.is_some() => {
                bad("shopee takes partner_id, not app_key")
            }
            PlatformKind::Shopee if !self.carrier_codes.is_empty() => {
                bad("shopee takes no carrier codes (the channel is the order's)")
            }
            PlatformKind::Shopee if self.partner_id.is_none() || self.shop_id.is_none() => {
                bad("shopee needs partner_id and shop_id")
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TAOBAO: &str = r#"{"platform":"taobao","url":"http://127.0.0.1:9/router/rest",
        "app_key":"12345","secret_env":"S","access_token_env":"T","timeout_ms":200}"#;
    const SHOPEE: &str = r#"{"platform":"shopee","url":"http://127.0.0.1:9",
        "partner_id":2001887,"shop_id":14701711,"secret_env":"S","access_token_env":"T",
        "timeout_ms":200}"#;

    fn parse(json: &str) -> Result<PlatformConfig, serde_json::Error> {
        serde_json::from_str(json)
    }

    fn env(var: &str) -> Option<String> {
        Some(format!("value-of-{var}"))
    }

    #[test]
    fn each_platform_builds_with_its_secrets() {
        let jd = TAOBAO.replace("taobao", "jd");
        for (json, name) in [(TAOBAO, "taobao"), (jd.as_str(), "jd"), (SHOPEE, "shopee")] {
            let built = parse(json).expect("parses").build_with(env);
            assert_eq!(built.map(|p| p.name()).ok(), Some(name));
        }
    }

    #[test]
    fn a_missing_secret_names_its_variable() {
        let config = parse(TAOBAO).expect("parses");
        let only_s = |var: &str| (var == "S").then(|| "x".to_owned());
        let want = WritebackError::SecretUnset { var: "T".into() };
        assert_eq!(config.build_with(only_s).err(), Some(want));
        let blank = |_: &str| Some("  ".to_owned());
        assert!(matches!(
            config.build_with(blank).err(),
            Some(WritebackError::SecretUnset { .. })
        ));
    }

    #[test]
    fn unknown_fields_and_secrets_in_the_file_are_refused() {
        assert!(
            parse(&TAOBAO.replace("\"timeout_ms\"", "\"secret\":\"x\",\"timeout_ms\"")).is_err()
        );
        assert!(parse(&TAOBAO.replace("taobao", "lazada")).is_err());
    }

    #[test]
    fn fields_of_the_wrong_platform_and_bad_values_are_refused() {
        let cases = [
            TAOBAO.replace("\"app_key\":\"12345\",", ""),
            TAOBAO.replace("\"timeout_ms\"", "\"shop_id\":1,\"timeout_ms\""),
            SHOPEE.replace("\"shop_id\":14701711,", ""),
            SHOPEE.replace("\"timeout_ms\"", "\"app_key\":\"k\",\"timeout_ms\""),
            SHOPEE.replace(
                "\"timeout_ms\"",
                "\"carrier_codes\":{\"sf\":\"1\"},\"timeout_ms\"",
            ),
            TAOBAO.replace("http://", "https://"),
            TAOBAO.replace("200", "0"),
        ];
        for json in cases {
            let built = parse(&json).expect("parses").build_with(env);
            assert!(matches!(built, Err(WritebackError::Config(_))), "{json}");
        }
    }

    #[test]
    fn a_toml_table_parses_with_carrier_codes() {
        let text = "platform = \"jd\"\nurl = \"http://10.0.0.5/routerjson\"\napp_key = \"K\"\n\
                    secret_env = \"S\"\naccess_token_env = \"T\"\ntimeout_ms = 5000\n\
                    carrier_codes = { zto = \"1499\" }\n";
        let config: PlatformConfig = toml::from_str(text).expect("parses");
        assert_eq!(config.platform, PlatformKind::Jd);
        assert_eq!(
            config.carrier_codes.get("zto").map(String::as_str),
            Some("1499")
        );
    }
}
