//! OpenAPI schemas for the validated newtypes (feature `openapi`, which only
//! the server turns on). Their serde form goes through `TryFrom<String>` or
//! `TryFrom<u32>`, which a derive cannot see, so each schema here says what
//! the type's `parse` accepts: the document and the server refuse the same
//! values. The DTOs derive theirs beside their definitions.

use crate::domain::{
    AgeLimit, DistrictId, Dose, EmailAddress, MinCapacity, OtpCode, Pincode, SubscriptionId,
    TopicName, Vaccine, WebhookUrl,
};
use crate::time::{QuietHours, TimeZoneName, Timestamp};
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::{RefOr, schema::SchemaFormat};

fn string(description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
}

fn integer(description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(
            utoipa::openapi::KnownFormat::Int32,
        )))
        .description(Some(description))
}

/// `impl ToSchema` for a type whose schema `build` returns.
macro_rules! schema {
    ($ty:ty, $build:expr) => {
        impl utoipa::PartialSchema for $ty {
            fn schema() -> RefOr<Schema> {
                RefOr::T(Schema::Object($build.build()))
            }
        }
        impl utoipa::ToSchema for $ty {}
    };
}

schema!(
    EmailAddress,
    string("An email address; stored trimmed and lower-cased.")
        .min_length(Some(3))
        .max_length(Some(254))
        .pattern(Some(concat!(
            r"^\s*[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*",
            r"@([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]([A-Za-z0-9-]*[A-Za-z0-9])?\s*$"
        )))
        .examples(["ana@example.com"])
);
schema!(
    OtpCode,
    string("The 6-digit code from the email.")
        .pattern(Some(r"^\s*[0-9]{6}\s*$"))
        .examples(["104326"])
);
schema!(
    Pincode,
    string("An Indian postal code: six digits, not starting with 0.")
        .pattern(Some(r"^\s*[1-9][0-9]{5}\s*$"))
        .examples(["800001"])
);
schema!(
    TopicName,
    string("1-64 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit.")
        .pattern(Some(r"^\s*[a-z0-9][a-z0-9._-]{0,63}\s*$"))
        .examples(["cs101-fall"])
);
schema!(
    WebhookUrl,
    string("An absolute http:// or https:// URL without user info, at most 2048 characters.")
        .max_length(Some(2048))
        .pattern(Some(r"^[Hh][Tt][Tt][Pp][Ss]?://[^\s@/?#]+([/?#]\S*)?$"))
        .examples(["https://example.com/hooks/slots"])
);
schema!(
    Vaccine,
    string("A vaccine name as CoWIN lists it (any case).")
        .enum_values(Some(Vaccine::KNOWN))
        .examples(["COVAXIN"])
);
schema!(
    AgeLimit,
    integer("The minimum age a session accepts: 18 or 45.").enum_values(Some([18, 45]))
);
schema!(
    Dose,
    integer("Which dose: 1 or 2.").enum_values(Some([1, 2]))
);
schema!(
    MinCapacity,
    integer("The smallest number of open slots worth an alert.")
        .minimum(Some(1))
        .maximum(Some(MinCapacity::MAX))
);
schema!(
    DistrictId,
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(
            utoipa::openapi::KnownFormat::UInt32,
        )))
        .minimum(Some(0))
);
schema!(
    SubscriptionId,
    string("A subscription's id, as `list` shows it.")
        .pattern(Some(r"^[a-z0-9]{1,64}$"))
        .examples(["s1a2b3c4d"])
);
schema!(
    Timestamp,
    string("An instant, RFC 3339 in UTC with milliseconds.")
        .format(Some(SchemaFormat::KnownFormat(
            utoipa::openapi::KnownFormat::DateTime,
        )))
        .examples(["2026-12-02T04:30:00.123Z"])
);
schema!(
    TimeZoneName,
    string("An IANA time zone name.")
        .max_length(Some(64))
        .examples(["Asia/Kolkata"])
);
schema!(
    QuietHours,
    string("A daily window HH:MM-HH:MM on a 24-hour clock, in the subscription's zone; it may wrap midnight.")
        .pattern(Some(r"^\s*([01]?[0-9]|2[0-3]):[0-5][0-9]-([01]?[0-9]|2[0-3]):[0-5][0-9]\s*$"))
        .examples(["22:00-07:00"])
);
