//! `hub import orders FILE.csv`: any bytes give orders or line-numbered
//! rejections (or one file-level error), never a panic; every order keeps
//! the line number of its first row.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| wms_fuzz::order_csv(data));
