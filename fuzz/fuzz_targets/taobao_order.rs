//! `POST /api/v1/intake/taobao`: Taobao/Tmall trades (`taobao.trade.fullinfo.get`), through the check every
//! platform adapter's target runs (`platform_check.rs`).
#![no_main]
use hub::intake::platforms::Platform;
use libfuzzer_sys::fuzz_target;

#[path = "platform_check.rs"]
mod platform_check;

fuzz_target!(|data: &[u8]| platform_check::check(Platform::Taobao, data));
