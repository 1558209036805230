//! Routing an order to a site: the sites, the regions (provinces) each
//! serves and their priorities come from the configuration
//! (`[[routing.sites]]`). An order goes to the site that serves its region
//! best and can fill every line; failing that, to the best site that can
//! fill it; failing that, the fallback (`backorder`). The decision and its
//! reason are recorded on the order.
//!
//! One hub owns one site's pool and sees only that site's stock, so for
//! other sites "can fill" is unknown (`None`) until hubs publish their
//! stock to each other; the reason then says that a closer site exists.
//! With no sites configured, routing is the single-site no-op, and says so.

use serde::{Deserialize, Serialize};

/// One site in the routing table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteRoute {
    /// The site id.
    pub site: String,
    /// Provinces (or regions) it serves, as the cleaned address names them.
    #[serde(default)]
    pub regions: Vec<String>,
    /// Lower is preferred among sites serving the same region.
    #[serde(default)]
    pub priority: u32,
}

/// What happens when no site can fill every line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fallback {
    /// The order waits as a backorder exception.
    #[default]
    Backorder,
}

/// The routing table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoutingTable {
    /// The sites.
    #[serde(default)]
    pub sites: Vec<SiteRoute>,
    /// When no site can fill an order.
    #[serde(default)]
    pub fallback: Fallback,
}

/// A routing decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The site chosen, `None` for the fallback.
    pub site: Option<String>,
    /// Why, for people.
    pub reason: String,
}

impl RoutingTable {
    /// Sites in the order they are tried for `region`: those serving it
    /// first, then by priority, then by name.
    fn candidates(&self, region: &str) -> Vec<&SiteRoute> {
        let mut sites: Vec<&SiteRoute> = self.sites.iter().collect();
        sites.sort_by_key(|s| {
            (
                !s.regions.iter().any(|r| r == region),
                s.priority,
                s.site.clone(),
            )
        });
        sites
    }
}

/// Routes an order of `region` from `home` (this hub's site); `fills`
/// says whether a site can fill every line (`None`: its stock is unknown).
pub fn route(
    table: &RoutingTable,
    home: &str,
    region: &str,
    fills: impl Fn(&str) -> Option<bool>,
) -> Route {
    if table.sites.is_empty() {
        let can = fills(home) != Some(false);
        return Route {
            site: can.then(|| home.to_string()),
            reason: if can {
                format!("single-site hub: every order is filled at {home}")
            } else {
                format!("single-site hub: {home} cannot fill every line (backorder)")
            },
        };
    }
    let candidates = table.candidates(region);
    let mut passed: Vec<String> = Vec::new();
    for (rank, site) in candidates.iter().enumerate() {
        let serves = site.regions.iter().any(|r| r == region);
        match fills(&site.site) {
            Some(true) => {
                let how = if serves {
                    format!("serves {region} (priority {})", site.priority)
                } else {
                    format!("is the best site able to fill it ({region} is not in its regions)")
                };
                let mut reason = format!("{} {how} and can fill every line", site.site);
                if rank > 0 {
                    reason += &format!("; passed over: {}", passed.join(", "));
                }
                return Route {
                    site: Some(site.site.clone()),
                    reason,
                };
            }
            Some(false) => passed.push(format!("{} (cannot fill every line)", site.site)),
            None => passed.push(format!("{} (stock not visible from this hub)", site.site)),
        }
    }
    Route {
        site: None,
        reason: format!(
            "no site can fill every line: backorder; tried {}",
            passed.join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> RoutingTable {
        let site = |s: &str, regions: &[&str], priority| SiteRoute {
            site: s.into(),
            regions: regions.iter().map(|r| r.to_string()).collect(),
            priority,
        };
        RoutingTable {
            sites: vec![
                site("hangzhou", &["浙江省", "上海市", "江苏省"], 1),
                site("shanghai", &["上海市", "江苏省"], 0),
                site("guangzhou", &["广东省", "广西壮族自治区"], 1),
            ],
            fallback: Fallback::Backorder,
        }
    }

    #[test]
    fn routing_cases() {
        // (region, which sites can fill, chosen, reason contains)
        let cases: &[(&str, &[&str], Option<&str>, &str)] = &[
            (
                "浙江省",
                &["hangzhou", "guangzhou"],
                Some("hangzhou"),
                "serves 浙江省",
            ),
            (
                "上海市",
                &["hangzhou", "shanghai"],
                Some("shanghai"),
                "priority 0",
            ),
            (
                "上海市",
                &["hangzhou"],
                Some("hangzhou"),
                "passed over: shanghai",
            ),
            (
                "广东省",
                &["hangzhou"],
                Some("hangzhou"),
                "is the best site able",
            ),
            ("广东省", &[], None, "backorder"),
            (
                "新疆维吾尔自治区",
                &["guangzhou"],
                Some("guangzhou"),
                "not in its regions",
            ),
        ];
        for &(region, can, want, says) in cases {
            let r = route(&table(), "hangzhou", region, |s| Some(can.contains(&s)));
            assert_eq!(r.site.as_deref(), want, "{region}: {}", r.reason);
            assert!(r.reason.contains(says), "{region}: {}", r.reason);
        }
    }

    #[test]
    fn unknown_stock_is_said_not_guessed() {
        let r = route(&table(), "hangzhou", "上海市", |s| {
            (s == "hangzhou").then_some(true)
        });
        assert_eq!(r.site.as_deref(), Some("hangzhou"));
        assert!(
            r.reason.contains("shanghai (stock not visible"),
            "{}",
            r.reason
        );
    }

    #[test]
    fn a_single_site_hub_routes_home_and_says_so() {
        let empty = RoutingTable::default();
        let r = route(&empty, "s1", "浙江省", |_| Some(true));
        assert_eq!(r.site.as_deref(), Some("s1"));
        assert!(r.reason.contains("single-site"));
    }
}
