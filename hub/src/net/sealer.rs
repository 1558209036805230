//! Sealing the hub's frames to devices (promise 10): every ack goes out in
//! a [`protocol::sealed`] envelope made with the recipient's key, at the
//! next position of this boot.
//!
//! Why the position is (boot, counter) plus a salt: the agent refuses any
//! frame not newer than the last it took, so positions must only grow,
//! across restarts too. The boot number is raised durably in the store at
//! every start ([`crate::store::Store::next_boot`]) and the counter counts
//! from 1 within the boot. The per-boot random salt completes the nonce,
//! so even a store restored from a backup, which would start a boot number
//! again, never reuses a nonce under a key.

use crate::devices::secrets::{random_bytes, RandomError};
use crate::devices::Devices;
use protocol::sealed::{self, FrameCounter, Recipient, BOOT_SALT_LEN};
use protocol::{Ack, Message, SealError, SealKey, Topic, TopicKind};
use std::collections::HashMap;
use thiserror::Error;

/// Why an ack could not be sealed.
#[derive(Debug, Error)]
pub enum SealFailure {
    /// The device is not in the registry now (removed since its batch).
    #[error("device not in the registry")]
    UnknownDevice,
    /// The site or device id cannot make a topic.
    #[error("no ack topic for this device")]
    Topic,
    /// The envelope refused (ids too long).
    #[error(transparent)]
    Seal(#[from] SealError),
}

/// One frame ready to publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedFrame {
    /// The device's ack topic.
    pub topic: String,
    /// The sealed frame.
    pub payload: Vec<u8>,
}

/// Seals acks for the devices of one site during one boot.
#[derive(Debug)]
pub struct Sealer {
    site: String,
    devices: Devices,
    boot: u32,
    salt: [u8; BOOT_SALT_LEN],
    /// The last counter used in this boot.
    counter: u64,
    /// Derived keys by device, and the key version they were made from.
    keys: HashMap<String, (u32, SealKey)>,
}

impl Sealer {
    /// A sealer for `site` in boot `boot`, with a fresh random salt.
    pub fn new(site: &str, devices: Devices, boot: u32) -> Result<Sealer, RandomError> {
        Ok(Sealer::with_salt(site, devices, boot, random_bytes()?))
    }

    /// [`Sealer::new`] with a given salt (tests).
    pub fn with_salt(site: &str, devices: Devices, boot: u32, salt: [u8; BOOT_SALT_LEN]) -> Sealer {
        Sealer {
            site: site.to_string(),
            devices,
            boot,
            salt,
            counter: 0,
            keys: HashMap::new(),
        }
    }

    /// The ack through `through_seq` of `device`'s journal `epoch`, sealed
    /// with its current key at the next position.
    pub fn ack(
        &mut self,
        device: &str,
        epoch: u64,
        through_seq: u64,
    ) -> Result<SealedFrame, SealFailure> {
        let message = Message::Ack(Ack {
            site: self.site.clone(),
            device: device.to_string(),
            epoch,
            through_seq,
        });
        self.seal_for(device, TopicKind::Ack, &message)
    }

    /// `list` (a device's work queue), sealed for its device on its tasks
    /// topic with its current key at the next position.
    pub fn task_list(&mut self, list: protocol::TaskList) -> Result<SealedFrame, SealFailure> {
        let device = list.device.clone();
        self.seal_for(&device, TopicKind::Tasks, &Message::TaskList(list))
    }

    /// `job` (one label), sealed for its printer station on its jobs topic
    /// with the station's current key at the next position.
    pub fn label_job(&mut self, job: protocol::LabelJob) -> Result<SealedFrame, SealFailure> {
        let station = job.station.clone();
        self.seal_for(&station, TopicKind::PrinterJobs, &Message::LabelJob(job))
    }

    fn seal_for(
        &mut self,
        device: &str,
        kind: TopicKind,
        message: &Message,
    ) -> Result<SealedFrame, SealFailure> {
        let topic = Topic::new(&self.site, device, kind)
            .map_err(|_| SealFailure::Topic)?
            .to_string();
        let (key_version, key) = self.key_of(device)?;
        let to = Recipient {
            site: &self.site,
            device,
            topic: &topic,
            key_version,
        };
        self.counter += 1;
        let at = FrameCounter {
            boot: self.boot,
            counter: self.counter,
        };
        let payload = sealed::seal(&key, &to, at, self.salt, message)?;
        Ok(SealedFrame { topic, payload })
    }

    /// The device's sealing key for its current key version (derived once
    /// per version: a rotation shows up as a new version in the book).
    fn key_of(&mut self, device: &str) -> Result<(u32, SealKey), SealFailure> {
        let book = self.devices.current();
        let entry = book.get(device).ok_or(SealFailure::UnknownDevice)?;
        match self.keys.get(device) {
            Some((version, key)) if *version == entry.key_version => Ok((*version, key.clone())),
            _ => {
                let key = SealKey::derive(&entry.key);
                self.keys
                    .insert(device.to_string(), (entry.key_version, key.clone()));
                Ok((entry.key_version, key))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::devices::{BookEntry, DeviceBook};
    use protocol::DeviceKey;

    fn devices() -> Devices {
        let mut book = DeviceBook::default();
        book.insert(
            "d1",
            BookEntry::new("s1", DeviceKey::from_bytes([3; 32]), "pw"),
        );
        Devices::new(book)
    }

    #[test]
    fn acks_are_sealed_for_the_device_at_growing_positions() {
        let mut sealer = Sealer::with_salt("s1", devices(), 7, [1; 12]);
        let key = SealKey::derive(&DeviceKey::from_bytes([3; 32]));
        let mut last = None;
        for through in [1, 2, 2] {
            let frame = sealer.ack("d1", 0xe9, through).unwrap();
            assert_eq!(frame.topic, "wms/s1/dev/d1/ack");
            let to = Recipient {
                site: "s1",
                device: "d1",
                topic: &frame.topic,
                key_version: 1,
            };
            let opened = sealed::open(&key, &to, &frame.payload).unwrap();
            assert!(Some(opened.at) > last, "positions only grow");
            assert_eq!(opened.at.boot, 7);
            last = Some(opened.at);
            let Message::Ack(ack) = opened.message else {
                panic!("not an ack")
            };
            assert_eq!((ack.epoch, ack.through_seq), (0xe9, through));
        }
        assert!(matches!(
            sealer.ack("nobody", 1, 1),
            Err(SealFailure::UnknownDevice)
        ));
    }
}
