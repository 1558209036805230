//! What the cleaner reports about an order's customer data: the [`Fix`]es
//! it made and the [`Problem`]s it could not fix, each tied to a [`Field`].
//!
//! Both are stored on the order and shown by the API, so they carry stable
//! machine codes (`field`, `code`) beside human text, and neither ever
//! holds the customer's values: a fix says "removed 3 invisible
//! characters", never which name they were removed from. That keeps the
//! exception queue and its logs free of personal data.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A field of the customer record, named as the API names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Field {
    #[serde(rename = "name")]
    Name,
    #[serde(rename = "phone")]
    Phone,
    #[serde(rename = "address.country")]
    Country,
    #[serde(rename = "address.province")]
    Province,
    #[serde(rename = "address.city")]
    City,
    #[serde(rename = "address.district")]
    District,
    #[serde(rename = "address.street")]
    Street,
    #[serde(rename = "address.postal_code")]
    PostalCode,
}

impl Field {
    /// The stable name, as serialised: `"address.district"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::Phone => "phone",
            Field::Country => "address.country",
            Field::Province => "address.province",
            Field::City => "address.city",
            Field::District => "address.district",
            Field::Street => "address.street",
            Field::PostalCode => "address.postal_code",
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a field is still wrong after cleaning: a stable code for programs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemCode {
    NameMissing,
    NameTooLong,
    PhoneMissing,
    /// Characters other than digits, `+` and separators, or a wrong length.
    PhoneInvalid,
    /// A mainland landline where a mobile is needed.
    PhoneNotMobile,
    /// A foreign number on a CN address.
    PhoneNotCnMobile,
    /// A national number for a country without a known calling code.
    PhoneNeedsCountryCode,
    CountryInvalid,
    StreetMissing,
    PostalCodeInvalid,
    ProvinceUnknown,
    CityUnknown,
    DistrictUnknown,
    ProvinceMissing,
    CityMissing,
    DistrictMissing,
    /// Two different provinces given (fields, street text).
    ProvinceConflict,
    CityConflict,
    DistrictConflict,
    CityNotInProvince,
    DistrictNotInCity,
    DistrictNotInProvince,
    ProvinceAmbiguous,
    CityAmbiguous,
    DistrictAmbiguous,
}

impl ProblemCode {
    /// Every code, for tests and API documentation.
    pub const ALL: [ProblemCode; 25] = [
        ProblemCode::NameMissing,
        ProblemCode::NameTooLong,
        ProblemCode::PhoneMissing,
        ProblemCode::PhoneInvalid,
        ProblemCode::PhoneNotMobile,
        ProblemCode::PhoneNotCnMobile,
        ProblemCode::PhoneNeedsCountryCode,
        ProblemCode::CountryInvalid,
        ProblemCode::StreetMissing,
        ProblemCode::PostalCodeInvalid,
        ProblemCode::ProvinceUnknown,
        ProblemCode::CityUnknown,
        ProblemCode::DistrictUnknown,
        ProblemCode::ProvinceMissing,
        ProblemCode::CityMissing,
        ProblemCode::DistrictMissing,
        ProblemCode::ProvinceConflict,
        ProblemCode::CityConflict,
        ProblemCode::DistrictConflict,
        ProblemCode::CityNotInProvince,
        ProblemCode::DistrictNotInCity,
        ProblemCode::DistrictNotInProvince,
        ProblemCode::ProvinceAmbiguous,
        ProblemCode::CityAmbiguous,
        ProblemCode::DistrictAmbiguous,
    ];

    /// The stable code, as serialised: `"district_not_in_city"`.
    pub fn as_str(self) -> &'static str {
        use ProblemCode::*;
        match self {
            NameMissing => "name_missing",
            NameTooLong => "name_too_long",
            PhoneMissing => "phone_missing",
            PhoneInvalid => "phone_invalid",
            PhoneNotMobile => "phone_not_mobile",
            PhoneNotCnMobile => "phone_not_cn_mobile",
            PhoneNeedsCountryCode => "phone_needs_country_code",
            CountryInvalid => "country_invalid",
            StreetMissing => "street_missing",
            PostalCodeInvalid => "postal_code_invalid",
            ProvinceUnknown => "province_unknown",
            CityUnknown => "city_unknown",
            DistrictUnknown => "district_unknown",
            ProvinceMissing => "province_missing",
            CityMissing => "city_missing",
            DistrictMissing => "district_missing",
            ProvinceConflict => "province_conflict",
            CityConflict => "city_conflict",
            DistrictConflict => "district_conflict",
            CityNotInProvince => "city_not_in_province",
            DistrictNotInCity => "district_not_in_city",
            DistrictNotInProvince => "district_not_in_province",
            ProvinceAmbiguous => "province_ambiguous",
            CityAmbiguous => "city_ambiguous",
            DistrictAmbiguous => "district_ambiguous",
        }
    }
}

impl fmt::Display for ProblemCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One change the cleaner made, recorded on the order. `what` describes
/// the change without the values ("filled city from district").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fix {
    pub field: Field,
    pub what: String,
}

impl Fix {
    pub fn new(field: Field, what: impl Into<String>) -> Fix {
        Fix {
            field,
            what: what.into(),
        }
    }
}

/// One reason an order's customer data is not good enough to ship: the
/// order waits in the exception queue with every such reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{field}: {code}: {message}")]
pub struct Problem {
    pub field: Field,
    pub code: ProblemCode,
    /// For people; never holds the customer's values.
    pub message: String,
}

impl Problem {
    pub fn new(field: Field, code: ProblemCode, message: impl Into<String>) -> Problem {
        Problem {
            field,
            code,
            message: message.into(),
        }
    }
}
