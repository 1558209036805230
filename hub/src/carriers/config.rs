//! One carrier's configuration, as the hub's configuration file holds it,
//! and building the adapter from it.
//!
//! The secret (SF check word, Cainiao app secret) is never in the file: the
//! file names an environment variable (`secret_env`) and [`CarrierConfig::build`]
//! reads it, so the configuration can be shared, logged and committed.

use std::time::Duration;

use serde::Deserialize;

use super::cainiao::{Cainiao, CainiaoOptions};
use super::sf::SfExpress;
use super::{Carrier, CarrierError, Secret};

/// Which platform a carrier is reached through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CarrierKind {
    /// SF Express's open platform.
    Sf,
    /// Cainiao's link gateway.
    Cainiao,
}

/// One carrier, e.g. in TOML:
///
/// ```toml
/// kind = "sf"
/// url = "http://127.0.0.1:8443/std/service"
/// account = "WMS_PARTNER"
/// secret_env = "WMS_SF_CHECKWORD"
/// timeout_ms = 5000
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CarrierConfig {
    /// `"sf"` or `"cainiao"`.
    pub kind: CarrierKind,
    /// The platform's gateway, plain `http://` (see the http module).
    pub url: String,
    /// SF partner id (顾客编码) or Cainiao logistic provider id.
    pub account: String,
    /// The name of the environment variable holding the secret.
    pub secret_env: String,
    /// The whole-request timeout, in milliseconds.
    pub timeout_ms: u64,
    /// SF: the monthly account (月结卡号) shipments are billed to.
    #[serde(default)]
    pub monthly_card: Option<String>,
    /// Cainiao: the courier's code (`cpCode`: ZTO, YTO, ...); required.
    #[serde(default)]
    pub cp_code: Option<String>,
    /// Cainiao: `to_code`, when the gateway wants one.
    #[serde(default)]
    pub to_code: Option<String>,
    /// Cainiao: the cloud-print template URL (`templateUrl`).
    #[serde(default)]
    pub template_url: Option<String>,
    /// Cainiao: the user the waybills are charged to (`userId`).
    #[serde(default)]
    pub user_id: Option<u64>,
}

impl CarrierConfig {
    /// The adapter, with its secret read from the environment now.
    pub fn build(&self) -> Result<Box<dyn Carrier>, CarrierError> {
        self.build_with(|var| std::env::var(var).ok())
    }

    /// [`Self::build`] with the environment given as a lookup (for tests,
    /// which must not change the process's environment under other tests).
    pub fn build_with(
        &self,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Box<dyn Carrier>, CarrierError> {
        self.check()?;
        let secret = lookup(&self.secret_env)
            .filter(|s| !s.trim().is_empty())
            .map(Secret::new)
            .ok_or_else(|| CarrierError::SecretUnset {
                var: self.secret_env.clone(),
            })?;
        let timeout = Duration::from_millis(self.timeout_ms);
        Ok(match self.kind {
            CarrierKind::Sf => {
                let sf = SfExpress::new(&self.url, &self.account, secret, timeout);
                Box::new(match &self.monthly_card {
                    Some(card) => sf.with_monthly_card(card),
                    None => sf,
                })
            }
            CarrierKind::Cainiao => {
                let cp_code = self.cp_code.as_deref().unwrap_or_default();
                let options = CainiaoOptions {
                    to_code: self.to_code.clone(),
                    template_url: self.template_url.clone(),
                    user_id: self.user_id,
                };
                let cainiao = Cainiao::new(&self.url, &self.account, secret, cp_code, timeout);
                Box::new(cainiao.with_options(options))
            }
        })
    }

    /// What can be wrong without looking at the environment.
    fn check(&self) -> Result<(), CarrierError> {
        let bad = |why: &str| Err(CarrierError::Config(why.to_owned()));
        if self.url.starts_with("https://") {
            return bad("url: TLS is not built in; put a TLS-terminating proxy at an http:// url");
        }
        if !self.url.starts_with("http://") {
            return bad("url must start with http://");
        }
        if self.account.trim().is_empty() {
            return bad("account is empty");
        }
        if self.secret_env.trim().is_empty() {
            return bad("secret_env must name an environment variable");
        }
        if !(1..=120_000).contains(&self.timeout_ms) {
            return bad("timeout_ms must be 1 to 120000");
        }
        let sf_only = self.monthly_card.is_some();
        let cainiao_only = self.cp_code.is_some()
            || self.to_code.is_some()
            || self.template_url.is_some()
            || self.user_id.is_some();
        match self.kind {
            CarrierKind::Sf if cainiao_only => {
                bad("cp_code, to_code, template_url, user_id are for cainiao")
            }
            CarrierKind::Cainiao if sf_only => bad("monthly_card is for sf"),
            CarrierKind::Cainiao if self.cp_code.as_deref().is_none_or(|c| c.trim().is_empty()) => {
                bad("cainiao needs cp_code (the courier: ZTO, YTO, ...)")
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<CarrierConfig, serde_json::Error> {
        serde_json::from_str(json)
    }

    const SF: &str = r#"{"kind":"sf","url":"http://127.0.0.1:9/std/service","account":"P1",
        "secret_env":"WMS_TEST_SF_SECRET","timeout_ms":200}"#;

    #[test]
    fn an_sf_config_builds_with_its_secret() {
        let config = parse(SF).expect("parses");
        assert_eq!(config.kind, CarrierKind::Sf);
        let carrier = config
            .build_with(|var| (var == "WMS_TEST_SF_SECRET").then(|| "word".to_owned()))
            .expect("builds");
        assert_eq!(carrier.name(), "sf");
    }

    #[test]
    fn a_toml_table_parses() {
        let text = "kind = \"cainiao\"\nurl = \"http://10.0.0.5/gateway/link.do\"\n\
                    account = \"TOKEN\"\nsecret_env = \"WMS_CN_SECRET\"\n\
                    timeout_ms = 5000\ncp_code = \"YTO\"\nuser_id = 42\n";
        let config: CarrierConfig = toml::from_str(text).expect("parses");
        assert_eq!(config.kind, CarrierKind::Cainiao);
        assert_eq!(
            (config.cp_code.as_deref(), config.user_id),
            (Some("YTO"), Some(42))
        );
    }

    #[test]
    fn an_unset_or_empty_secret_names_the_variable() {
        let config = parse(SF).expect("parses");
        let want = CarrierError::SecretUnset {
            var: "WMS_TEST_SF_SECRET".into(),
        };
        assert_eq!(config.build_with(|_| None).err(), Some(want.clone()));
        assert_eq!(config.build_with(|_| Some("  ".into())).err(), Some(want));
        assert!(CarrierError::SecretUnset { var: "V".into() }
            .to_string()
            .contains('V'));
    }

    #[test]
    fn unknown_fields_and_kinds_are_refused() {
        assert!(parse(&SF.replace("\"timeout_ms\"", "\"secret\":\"x\",\"timeout_ms\"")).is_err());
        assert!(parse(&SF.replace("\"sf\"", "\"ups\"")).is_err());
    }

    #[test]
    fn cainiao_needs_a_courier_code_and_sf_fields_stay_out() {
        let cainiao = SF.replace("\"sf\"", "\"cainiao\"");
        let config = parse(&cainiao).expect("parses");
        assert!(matches!(
            config.build_with(|_| Some("s".into())),
            Err(CarrierError::Config(_))
        ));
        let with_cp = cainiao.replace("\"timeout_ms\"", "\"cp_code\":\"ZTO\",\"timeout_ms\"");
        let carrier = parse(&with_cp)
            .expect("parses")
            .build_with(|_| Some("s".into()));
        assert_eq!(carrier.map(|c| c.name()).ok(), Some("cainiao"));
        let sf_with_cp = SF.replace("\"timeout_ms\"", "\"cp_code\":\"ZTO\",\"timeout_ms\"");
        let built = parse(&sf_with_cp)
            .expect("parses")
            .build_with(|_| Some("s".into()));
        assert!(matches!(built, Err(CarrierError::Config(_))));
    }

    #[test]
    fn https_and_silly_timeouts_are_refused_up_front() {
        for json in [
            SF.replace("http://", "https://"),
            SF.replace("http://", "ftp://"),
            SF.replace("200", "0"),
        ] {
            let built = parse(&json)
                .expect("parses")
                .build_with(|_| Some("s".into()));
            assert!(matches!(built, Err(CarrierError::Config(_))), "{json}");
        }
    }
}
