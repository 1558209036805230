//! Helping sled free what a large batch replaced.
//!
//! sled 0.34 hands every node version a write replaces to crossbeam-epoch
//! to free later, and crossbeam's collector frees only a few bags of such
//! garbage each time a thread pins. A group commit is one `apply_batch`;
//! when a group writes thousands of records (a flood of dead letters,
//! thousands of handhelds' batches at once), it makes garbage faster than
//! the writer's next pins collect it, and the backlog is never caught up:
//! memory grows for good. Measured with sled 0.34.7 and crossbeam-epoch
//! 0.9 in release, 80,000 records written in batches of 1,000 (each also
//! removing a record 10,000 older, as dead letters do): +238 MiB resident;
//! the same in batches of 100, or as single inserts: +8 to +10 MiB; in
//! batches of 1,000 followed by [`help`]: +17 MiB. The hub's 20,000 unknown
//! devices' statuses grew it by 40 to 60 MiB before, for this reason.
//!
//! After each commit the writer pins and flushes crossbeam's default
//! collector (the one sled uses: the same crossbeam-epoch 0.9 in the
//! build) a few times more, in proportion to the records written; each
//! flush moves the thread's garbage to the global queue and collects what
//! has expired. It costs microseconds per commit.

/// Records written per extra collection.
const RECORDS_PER_COLLECT: usize = 64;

/// Collections after any commit, however small.
const MIN_COLLECTS: usize = 8;

/// Lets crossbeam-epoch collect the garbage of a batch of `records` writes.
pub(crate) fn help(records: usize) {
    for _ in 0..MIN_COLLECTS + records / RECORDS_PER_COLLECT {
        crossbeam_epoch::pin().flush();
    }
}
