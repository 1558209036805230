//! The simulation's invariants, checked after every step: per device and
//! per journal epoch (the current one and every wiped one), the hub's log
//! holds exactly a prefix of that journal, in order, once; its watermark
//! is that prefix; the device never believes more acknowledged than the
//! hub made durable; honest devices never cause a conflict; and the
//! committed pool equals a replay of the committed log.

use super::world::World;
use super::SimFailure;
use protocol::Movement;

impl World {
    /// Every device's current journal is applied and acknowledged.
    pub(super) fn all_applied(&self) -> bool {
        self.devices.iter().all(|d| {
            let recorded = d.journal.len() as u64;
            self.hub.watermark(&d.id, d.epoch) == recorded && d.send.acked() == recorded
        })
    }

    /// Invariants that must hold after every step.
    pub(super) fn check(&self, step: usize) -> Result<(), SimFailure> {
        for dev in &self.devices {
            let current = std::iter::once((dev.epoch, &dev.journal));
            let retired = dev.retired.iter().map(|(e, j)| (*e, j));
            for (epoch, journal) in current.chain(retired) {
                self.check_stream(&dev.id, epoch, journal)
                    .map_err(|m| self.fail(step, format!("{} epoch {epoch:016x}: {m}", dev.id)))?;
            }
            let watermark = self.hub.watermark(&dev.id, dev.epoch);
            if dev.send.acked() > watermark {
                return Err(self.fail(
                    step,
                    format!(
                        "{}: acked {} beyond durable {watermark}",
                        dev.id,
                        dev.send.acked()
                    ),
                ));
            }
        }
        if self.hub.refused > 0 {
            let n = self.hub.refused;
            return Err(self.fail(step, format!("{n} honest batches refused as conflicts")));
        }
        self.hub.check_replay().map_err(|e| self.fail(step, e))
    }

    /// The hub holds a prefix of `journal` for (device, epoch), once.
    fn check_stream(&self, device: &str, epoch: u64, journal: &[Movement]) -> Result<(), String> {
        let watermark = self.hub.watermark(device, epoch);
        let recorded = journal.len() as u64;
        if watermark > recorded {
            return Err(format!(
                "hub watermark {watermark} beyond journal {recorded}"
            ));
        }
        let applied: Vec<&Movement> = self
            .hub
            .disk
            .events
            .iter()
            .filter(|e| e.device == device && e.epoch == epoch)
            .flat_map(|e| &e.movements)
            .collect();
        if applied.len() as u64 != watermark {
            return Err(format!("{} applied, watermark {watermark}", applied.len()));
        }
        for (i, m) in applied.iter().enumerate() {
            if **m != journal[i] {
                return Err(format!("log entry {i} is seq {} not {}", m.seq, i + 1));
            }
        }
        Ok(())
    }
}
