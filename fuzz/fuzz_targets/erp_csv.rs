//! ERP stock files (`sku,location,qty`): never panics; every error names a
//! line of the file, and the reported errors stay within their cap.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| wms_fuzz::erp_csv(data));
