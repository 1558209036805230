//! Other sites' available stock, as their hubs publish it (signed, on a
//! shared broker; the shell checks the signatures). Routing reads it to
//! decide whether another site can fill an order this site cannot. Not
//! stored: every hub publishes all its SKUs again at each connection, so
//! a restarted hub relearns the figures within a second of connecting.

use super::model::OrderLine;
use std::collections::HashMap;

/// One site's figures: SKU -> (available, at_ms).
type Levels = HashMap<String, (i64, u64)>;

/// Every other site's latest available stock per SKU.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PeerStock {
    sites: HashMap<String, Levels>,
}

impl PeerStock {
    /// Takes a figure unless an equally new or newer one is already held
    /// (notices may arrive out of order); returns whether it was taken.
    pub fn update(&mut self, site: &str, sku: &str, available: i64, at_ms: u64) -> bool {
        let levels = self.sites.entry(site.to_string()).or_default();
        match levels.get(sku) {
            Some(&(_, seen)) if seen >= at_ms => false,
            _ => {
                levels.insert(sku.to_string(), (available, at_ms));
                true
            }
        }
    }

    /// Whether `site` can fill every line: `None` when it never published
    /// anything (its stock is not visible); a SKU it never published is
    /// one it does not have.
    pub fn fills(&self, site: &str, lines: &[OrderLine]) -> Option<bool> {
        let levels = self.sites.get(site)?;
        Some(lines.iter().all(|line| {
            levels
                .get(&line.sku)
                .is_some_and(|&(available, _)| available >= line.quantity)
        }))
    }

    /// When `site` last published the figure for `sku`.
    pub fn published_ms(&self, site: &str, sku: &str) -> Option<u64> {
        self.sites.get(site)?.get(sku).map(|&(_, at)| at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(sku: &str, quantity: i64) -> OrderLine {
        OrderLine {
            sku: sku.into(),
            quantity,
        }
    }

    #[test]
    fn the_newest_figure_wins_and_fills_needs_every_line() {
        let mut peers = PeerStock::default();
        assert_eq!(peers.fills("s2", &[line("A", 1)]), None);
        assert!(peers.update("s2", "A", 5, 10));
        assert!(!peers.update("s2", "A", 99, 9), "an older notice");
        assert!(!peers.update("s2", "A", 99, 10), "the same time again");
        assert_eq!(peers.fills("s2", &[line("A", 5)]), Some(true));
        assert_eq!(peers.fills("s2", &[line("A", 6)]), Some(false));
        assert_eq!(
            peers.fills("s2", &[line("A", 1), line("B", 1)]),
            Some(false)
        );
        assert!(peers.update("s2", "B", 1, 11));
        assert_eq!(peers.fills("s2", &[line("A", 1), line("B", 1)]), Some(true));
        assert!(peers.update("s2", "A", 0, 12));
        assert_eq!(peers.fills("s2", &[line("A", 1)]), Some(false));
        assert_eq!(peers.published_ms("s2", "A"), Some(12));
        assert_eq!(peers.fills("s3", &[line("A", 1)]), None);
    }
}
