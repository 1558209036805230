//! Cleaning and validation of an order's customer data: invisible and
//! control characters out, NFC, phone numbers, addresses recognised
//! against the administrative-division table.
