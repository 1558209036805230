//! The printer station's driver for Zebra-compatible label printers on raw
//! TCP (port 9100, ZPL II): shipping labels from the hub's label jobs.
//!
//! Map: [`status`] parses the printer's host status (`~HS`) and names its
//! problems with stable reason words, pure and tested on sample answers;
//! [`client`] is the async shell around it: [`PrinterClient::status`] and
//! [`PrinterClient::print_job`], which checks the printer before and after
//! each job and sends one job at a time.
//!
//! Why a status check on both sides: raw port 9100 never acknowledges a
//! job, so the only evidence a label came out is a printer that was ready
//! before and still has no problem after. A problem after sending is a
//! failure whose label may or may not exist ([`PrintFailure::maybe_printed`]).

pub mod client;
pub mod status;

#[cfg(test)]
mod client_tests;
#[cfg(test)]
mod status_tests;

pub use client::{
    FailureReason, JobStage, PrintFailure, PrintOutcome, PrinterClient, PrinterError,
    HOST_STATUS_QUERY,
};
pub use status::{answer_complete, parse_host_status, HostStatus, PrinterProblem, StatusError};
