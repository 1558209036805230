//! Task lists from the broker, end to end inside the agent: frames go
//! through [`Inbound`] as the driver feeds them, authentic fresh valid
//! lists reach a [`TaskQueue`] on a real journal, and every answer is read
//! back from the MQTT client's outgoing queue (no broker needed). A
//! forged, plain, retained, misdirected or replayed list stores nothing
//! and is not answered; an authentic list is stored, then acknowledged
//! with a good tag.

use super::*;
use crate::journal::Journal;
use crate::publisher::inbound::{Inbound, Verdict};
use crate::tasks::state_tests::{list, pick_task};
use protocol::sealed::{seal, FrameCounter, Recipient};
use protocol::{decode, encode, verify_frame, Ack, DeviceKey, Message, SealKey, TaskAck, TaskRef};
use rumqttc::{EventLoop, MqttOptions, Request};

const TASKS: &str = "wms/s1/dev/hh-1/tasks";
const ACKS: &str = "wms/s1/dev/hh-1/ack";
const TASKACK: &str = "wms/s1/dev/hh-1/taskack";
const EPOCH: u64 = 7;

fn key(byte: u8) -> DeviceKey {
    DeviceKey::from_bytes([byte; 32])
}

/// `message` sealed by whoever holds key `key_byte`, for `device`, to be
/// published on `topic`, at position `counter` of boot 1.
fn sealed_as(key_byte: u8, device: &str, topic: &str, counter: u64, message: &Message) -> Vec<u8> {
    let to = Recipient {
        site: "s1",
        device,
        topic,
        key_version: 1,
    };
    let at = FrameCounter { boot: 1, counter };
    let key = SealKey::derive(&key(key_byte));
    seal(&key, &to, at, [5; 12], message).expect("seal")
}

/// A list of `version` sealed for hh-1 on its tasks topic.
fn sealed_list(version: u64, counter: u64) -> Vec<u8> {
    let message = Message::TaskList(list(version, vec![pick_task(9, &[(1, 4, 0)])]));
    sealed_as(1, "hh-1", TASKS, counter, &message)
}

struct Agent {
    _dir: tempfile::TempDir,
    journal: Journal,
    inbound: Inbound,
    link: QueueLink,
    eventloop: EventLoop,
}

impl Agent {
    fn start(dir: tempfile::TempDir) -> Agent {
        let journal = Journal::open(dir.path()).expect("journal");
        let queue = TaskQueue::open(&journal).expect("queue");
        let (client, eventloop) = AsyncClient::new(MqttOptions::new("t", "localhost", 1), 16);
        let inbound = Inbound::new("s1", "hh-1", ACKS, &key(1), 1, EPOCH).with_tasks(TASKS);
        let link = QueueLink {
            version: Arc::new(watch::channel(queue.version()).0),
            queue,
            signer: TaskAckSigner::new("s1", "hh-1", &key(1)),
            client,
            tasks_topic: TASKS.into(),
            taskack_topic: TASKACK.into(),
        };
        Agent {
            _dir: dir,
            journal,
            inbound,
            link,
            eventloop,
        }
    }

    /// What the driver does with a publish on the tasks topic; returns the
    /// refusal's reason word, if refused.
    fn deliver(&mut self, topic: &str, frame: &[u8], retained: bool) -> Option<&'static str> {
        match self.inbound.receive(topic, frame, retained) {
            Verdict::TaskList(list) => self.link.take_now(list),
            Verdict::Ack { .. } => {}
            Verdict::Refused(why) => {
                if why.wants_task_ack() {
                    self.link.announce();
                }
                return Some(why.reason());
            }
        }
        None
    }

    /// The task acks published since the last call: checked to be signed
    /// with the device key, QoS 1, not retained; their versions.
    fn task_acks(&mut self) -> Vec<u64> {
        self.eventloop.clean();
        let sent = self
            .eventloop
            .pending
            .drain(..)
            .filter_map(|request| match request {
                Request::Publish(p) => Some(p),
                _ => None,
            });
        sent.map(|p| {
            assert_eq!(p.topic, TASKACK);
            assert!(p.qos == QoS::AtLeastOnce && !p.retain);
            assert_eq!(verify_frame(&key(1), &p.payload), Ok(()), "good tag");
            match decode(&p.payload) {
                Ok(Message::TaskAck(TaskAck {
                    site,
                    device,
                    version,
                    ..
                })) => {
                    assert_eq!((site.as_str(), device.as_str()), ("s1", "hh-1"));
                    version
                }
                other => panic!("not a task ack: {other:?}"),
            }
        })
        .collect()
    }
}

fn agent() -> Agent {
    Agent::start(tempfile::tempdir().expect("tempdir"))
}

#[test]
fn a_sealed_list_is_stored_then_acknowledged_and_a_resend_is_acknowledged_again() {
    let mut agent = agent();
    assert_eq!(agent.deliver(TASKS, &sealed_list(3, 1), false), None);
    assert_eq!(agent.link.queue.version(), 3);
    assert_eq!(agent.task_acks(), [3]);
    assert_eq!(*agent.link.version.borrow(), 3);
    // The hub re-sends (a new frame, a higher counter): nothing changes,
    // and the device says again what it holds. An older list the same.
    assert_eq!(agent.deliver(TASKS, &sealed_list(3, 2), false), None);
    assert_eq!(agent.deliver(TASKS, &sealed_list(2, 3), false), None);
    assert_eq!(agent.task_acks(), [3, 3]);
    assert_eq!(agent.inbound.counts().task_lists, 3);
    // Stored durably: a restarted agent holds version 3, and a replay of
    // the old authentic frame (its replay position is gone with the
    // process) is not newer, so it changes nothing (WIRE.md §7.5).
    let Agent {
        _dir: dir,
        journal,
        link,
        ..
    } = agent;
    drop((journal, link));
    let mut agent = Agent::start(dir);
    assert_eq!(agent.link.queue.version(), 3);
    assert_eq!(agent.deliver(TASKS, &sealed_list(3, 1), false), None);
    assert_eq!(agent.task_acks(), [3]);
    agent.link.announce();
    assert_eq!(agent.task_acks(), [3], "what every connect sends");
}

#[test]
fn forged_plain_retained_misdirected_and_replayed_lists_store_nothing() {
    let mut agent = agent();
    let list_v5 = Message::TaskList(list(5, vec![pick_task(1, &[(1, 1, 0)])]));
    let for_hh2 = Message::TaskList(TaskList {
        device: "hh-2".into(),
        ..list(5, vec![])
    });
    let cases: Vec<(&str, Vec<u8>, bool, &str)> = vec![
        (
            TASKS,
            sealed_as(2, "hh-1", TASKS, 10, &list_v5),
            false,
            "bad seal",
        ),
        (TASKS, encode(&list_v5), false, "not sealed"),
        (
            TASKS,
            sealed_as(1, "hh-1", TASKS, 11, &list_v5),
            true,
            "retained",
        ),
        (
            TASKS,
            sealed_as(1, "hh-2", "wms/s1/dev/hh-2/tasks", 12, &for_hh2),
            false,
            "for another device",
        ),
        // Sealed for the ack topic, moved to the tasks topic: the seal
        // binds the topic. Sealed for the tasks topic, moved to the ack
        // topic: a list does not belong there.
        (
            TASKS,
            sealed_as(1, "hh-1", ACKS, 13, &list_v5),
            false,
            "bad seal",
        ),
        (
            ACKS,
            sealed_as(1, "hh-1", TASKS, 14, &list_v5),
            false,
            "wrong topic",
        ),
        (
            "wms/s1/dev/hh-1/jobs",
            sealed_as(1, "hh-1", TASKS, 15, &list_v5),
            false,
            "other topic",
        ),
    ];
    for (topic, frame, retained, why) in cases {
        assert_eq!(agent.deliver(topic, &frame, retained), Some(why), "{why}");
    }
    assert_eq!(
        (agent.link.queue.version(), agent.link.queue.current()),
        (0, None)
    );
    assert_eq!(agent.task_acks(), Vec::<u64>::new(), "nothing answered");
    assert_eq!(agent.inbound.counts().refused(), 7);
    // A genuine frame opens once; replayed, or older on its topic, it is refused.
    assert_eq!(agent.deliver(TASKS, &sealed_list(4, 20), false), None);
    assert_eq!(
        agent.deliver(TASKS, &sealed_list(6, 20), false),
        Some("replayed")
    );
    assert_eq!(
        agent.deliver(TASKS, &sealed_list(6, 19), false),
        Some("replayed")
    );
    assert_eq!(agent.link.queue.version(), 4);
    assert_eq!(agent.task_acks(), [4]);
    assert!(agent.journal.backlog() == 0 && agent.inbound.counts().acks == 0);
}

#[test]
fn an_invalid_list_is_refused_whole_and_answered_with_the_version_kept() {
    let mut agent = agent();
    agent.deliver(TASKS, &sealed_list(2, 1), false);
    agent
        .link
        .queue
        .mark_done(TaskRef { task: 9, line: 1 }, 1)
        .expect("mark");
    let before = agent.link.queue.state();
    assert_eq!(agent.task_acks(), [2]);
    let overdone = Message::TaskList(list(8, vec![pick_task(9, &[(1, 4, 5)])]));
    let frame = sealed_as(1, "hh-1", TASKS, 2, &overdone);
    assert_eq!(agent.deliver(TASKS, &frame, false), Some("invalid list"));
    assert_eq!(agent.link.queue.state(), before, "queue and marks kept");
    assert_eq!(agent.task_acks(), [2]);
    assert_eq!(agent.inbound.counts().invalid_lists, 1);
}

#[test]
fn acks_and_task_lists_keep_separate_replay_positions() {
    let mut agent = agent();
    let ack = Message::Ack(Ack {
        site: "s1".into(),
        device: "hh-1".into(),
        epoch: EPOCH,
        through_seq: 0,
    });
    assert_eq!(
        agent.deliver(ACKS, &sealed_as(1, "hh-1", ACKS, 50, &ack), false),
        None
    );
    // Sealed before that ack, delivered after it, on its own topic: taken.
    assert_eq!(agent.deliver(TASKS, &sealed_list(1, 40), false), None);
    assert_eq!(agent.link.queue.version(), 1);
    assert_eq!(
        agent.deliver(ACKS, &sealed_as(1, "hh-1", ACKS, 45, &ack), false),
        Some("replayed")
    );
}
