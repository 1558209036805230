//! The pieces every operation shares: the error answers (one reusable
//! response per kind of refusal, each an [`super::super::ApiError`] body)
//! and the macro for a schema the code describes by hand.

use utoipa::openapi::{RefOr, Schema};

/// A reusable error answer: its description and the `Error` body, with a
/// header where the hub sends one.
macro_rules! error_response {
    ($name:ident, $description:literal $(, header = $header:literal)?) => {
        #[doc = $description]
        pub(crate) struct $name;

        impl<'r> utoipa::ToResponse<'r> for $name {
            fn response() -> (
                &'r str,
                utoipa::openapi::RefOr<utoipa::openapi::response::Response>,
            ) {
                use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
                let body = ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("Error")))
                    .build();
                #[allow(unused_mut)]
                let mut response = ResponseBuilder::new()
                    .description($description)
                    .content("application/json", body);
                $(
                    let text = utoipa::openapi::ObjectBuilder::new()
                        .schema_type(utoipa::openapi::Type::String);
                    let header = utoipa::openapi::HeaderBuilder::new().schema(text).build();
                    response = response.header($header, header);
                )?
                (stringify!($name), response.build().into())
            }
        }
    };
}
pub(super) use error_response;

/// A schema written as JSON in the code: for answers built as
/// `serde_json::json!` values and parameters parsed by hand, where no
/// Rust type says the shape.
macro_rules! json_schema {
    ($name:ident, $json:tt) => {
        pub(crate) struct $name;

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
                $crate::api::openapi::from_json(serde_json::json!($json))
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}
pub(super) use json_schema;

/// The schema a JSON value written in this crate states.
pub(crate) fn from_json(value: serde_json::Value) -> RefOr<Schema> {
    // Constant input: the document's tests build every schema.
    serde_json::from_value(value.clone())
        .unwrap_or_else(|e| panic!("a schema written in this crate is not a schema: {e}: {value}"))
}
