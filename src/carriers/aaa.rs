//! The X12 AAA03 reject reason codes a payer sends when it cannot answer an eligibility inquiry, and what each
//! one means for a verification. One table for every wire format: the eligibility JSON v3 connector reads the
//! codes from `errors[]` / `aaaErrors[]`, an X12 271 parser reads them from AAA segments.
//!
//! Code names follow the 005010X279A1 code list for data element 901 (Reject Reason Code). The class decides
//! what happens next:
//!
//! | class | codes | what the verification does |
//! |---|---|---|
//! | [`AaaClass::MemberNotFound`] | 64, 67, 68, 72, 75, 76, 77, 78 | completes as "member not found", with a hint |
//! | [`AaaClass::DemographicsMismatch`] | 58, 60, 65, 71, 73 | completes as "demographics mismatch", naming the field to fix |
//! | [`AaaClass::Transient`] | 42, 79 (on HTTP 2xx), 80 | retried with backoff ("carrier busy") |
//! | [`AaaClass::ProviderSetup`] | 41, 43-53, 97, T4, 79 (on HTTP 4xx) | fails "carrier rejected": an operator fixes the clinic's enrolment or the directory |
//! | [`AaaClass::Other`] | 04, 15, 33, 35, 54-57, 61-63, 66, 69, 70, 74 and any unknown code | fails "carrier rejected": verify by phone |
//!
//! Gender codes (66, 74) are "other", not "fix the applicant's details": the form does not collect gender, so
//! there is nothing the applicant could correct. Code 79 is transient when the payer sends it (a connectivity
//! problem between clearinghouse and payer) but a set-up problem when the clearinghouse itself answers with it
//! on HTTP 4xx (it does not know the payer ID): Stedi documents exactly this split.

/// What a reject reason code means for the verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AaaClass {
    /// The payer found no such member: the applicant's card details need checking.
    MemberNotFound,
    /// The member ID matched but the name or date of birth did not: the applicant fixes one field.
    DemographicsMismatch,
    /// The payer (or the line to it) cannot answer now: retry later.
    Transient,
    /// The clinic's provider identification or enrolment, or the carrier directory, is wrong: an operator acts.
    ProviderSetup,
    /// Anything else: a person verifies by phone.
    Other,
}

impl AaaClass {
    /// Stable text for logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            AaaClass::MemberNotFound => "member_not_found",
            AaaClass::DemographicsMismatch => "demographics_mismatch",
            AaaClass::Transient => "transient",
            AaaClass::ProviderSetup => "provider_setup",
            AaaClass::Other => "other",
        }
    }
}

/// One row of the reject reason table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AaaCode {
    /// The AAA03 code, e.g. `75`.
    pub code: &'static str,
    /// The code's name in the X12 code list.
    pub description: &'static str,
    /// What it means for the verification.
    pub class: AaaClass,
    /// For [`AaaClass::DemographicsMismatch`]: the field to fix (e.g. "date of birth"). For
    /// [`AaaClass::MemberNotFound`]: what to check, when the code says more than "not found". Names fields,
    /// never values.
    pub hint: Option<&'static str>,
}

const fn row(code: &'static str, description: &'static str, class: AaaClass, hint: Option<&'static str>) -> AaaCode {
    AaaCode { code, description, class, hint }
}

use AaaClass::{DemographicsMismatch, MemberNotFound, Other, ProviderSetup, Transient};

/// Hint for a wrong or unknown member ID.
const CHECK_MEMBER_ID: &str = "check the member ID against the insurance card";
/// Hint for a wrong date of birth.
const FIX_DOB: &str = "date of birth";

/// Every AAA03 code of the 005010X279A1 271 (and 95 from the 278, which some payers send in 271s too).
pub const AAA_CODES: &[AaaCode] = &[
    row("04", "Authorized Quantity Exceeded", Other, None),
    row("15", "Required Application Data Missing", Other, None),
    row("33", "Input Errors", Other, None),
    row("35", "Out of Network", Other, None),
    row("41", "Authorization/Access Restrictions", ProviderSetup, None),
    row("42", "Unable to Respond at Current Time", Transient, None),
    row("43", "Invalid/Missing Provider Identification", ProviderSetup, None),
    row("44", "Invalid/Missing Provider Name", ProviderSetup, None),
    row("45", "Invalid/Missing Provider Specialty", ProviderSetup, None),
    row("46", "Invalid/Missing Provider Phone Number", ProviderSetup, None),
    row("47", "Invalid/Missing Provider State", ProviderSetup, None),
    row("48", "Invalid/Missing Referring Provider Identification Number", ProviderSetup, None),
    row("49", "Provider is Not Primary Care Physician", ProviderSetup, None),
    row("50", "Provider Ineligible for Inquiries", ProviderSetup, None),
    row("51", "Provider Not on File", ProviderSetup, None),
    row("52", "Service Dates Not Within Provider Plan Enrollment", ProviderSetup, None),
    row("53", "Inquired Benefit Inconsistent with Provider Type", ProviderSetup, None),
    row("54", "Inappropriate Product/Service ID Qualifier", Other, None),
    row("55", "Inappropriate Product/Service ID", Other, None),
    row("56", "Inappropriate Date", Other, None),
    row("57", "Invalid/Missing Date(s) of Service", Other, None),
    row("58", "Invalid/Missing Date-of-Birth", DemographicsMismatch, Some(FIX_DOB)),
    row("60", "Date of Birth Follows Date(s) of Service", DemographicsMismatch, Some(FIX_DOB)),
    row("61", "Date of Death Precedes Date(s) of Service", Other, None),
    row("62", "Date of Service Not Within Allowable Inquiry Period", Other, None),
    row("63", "Date of Service in Future", Other, None),
    row("64", "Invalid/Missing Patient ID", MemberNotFound, Some(CHECK_MEMBER_ID)),
    row("65", "Invalid/Missing Patient Name", DemographicsMismatch, Some("patient's name")),
    row("66", "Invalid/Missing Patient Gender Code", Other, None),
    row("67", "Patient Not Found", MemberNotFound, None),
    row(
        "68",
        "Duplicate Patient ID Number",
        MemberNotFound,
        Some("several members match: check the member ID and the patient's details"),
    ),
    row("69", "Inconsistent with Patient's Age", Other, None),
    row("70", "Inconsistent with Patient's Gender", Other, None),
    row(
        "71",
        "Patient Birth Date Does Not Match That for the Patient on the Database",
        DemographicsMismatch,
        Some(FIX_DOB),
    ),
    row("72", "Invalid/Missing Subscriber/Insured ID", MemberNotFound, Some(CHECK_MEMBER_ID)),
    row("73", "Invalid/Missing Subscriber/Insured Name", DemographicsMismatch, Some("policy holder's name")),
    row("74", "Invalid/Missing Subscriber/Insured Gender Code", Other, None),
    row("75", "Subscriber/Insured Not Found", MemberNotFound, None),
    row(
        "76",
        "Duplicate Subscriber/Insured ID Number",
        MemberNotFound,
        Some("several members match: check the member ID and the policy holder's details"),
    ),
    row(
        "77",
        "Subscriber Found, Patient Not Found",
        MemberNotFound,
        Some("the policy holder was found but not the patient: check the relationship and the patient's details"),
    ),
    row(
        "78",
        "Subscriber/Insured Not in Group/Plan Identified",
        MemberNotFound,
        Some("the member is not in the group named: check the group number against the insurance card"),
    ),
    row("79", "Invalid Participant Identification", Transient, None),
    row("80", "No Response received - Transaction Terminated", Transient, None),
    row("95", "Patient Not Eligible", Other, None),
    row("97", "Invalid or Missing Provider Address", ProviderSetup, None),
    row("T4", "Payer Name or Identifier Missing", ProviderSetup, None),
];

/// Looks a code up in [`AAA_CODES`] (exact, as payers send two-character codes).
pub fn lookup(code: &str) -> Option<&'static AaaCode> {
    AAA_CODES.iter().find(|row| row.code == code)
}

/// The class of a code as a given HTTP status delivered it. Unknown codes are [`AaaClass::Other`].
///
/// Payers answer rejections with HTTP 200 and 400 alike, so the status does not decide, with one exception:
/// code 79 on a 4xx comes from the clearinghouse, which does not know the payer ID (retrying cannot help),
/// while on a 2xx it relays a payer connectivity problem (retrying can).
pub fn classify(code: &str, http_status: u16) -> AaaClass {
    match lookup(code) {
        Some(row) if row.code == "79" && (400..500).contains(&http_status) => AaaClass::ProviderSetup,
        Some(row) => row.class,
        None => AaaClass::Other,
    }
}

/// True when `candidate` has the shape of an AAA03 code: exactly two ASCII digits or upper-case letters.
pub fn looks_like_code(candidate: &str) -> bool {
    candidate.len() == 2 && candidate.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_appears_once_and_has_the_shape_of_a_code() {
        for (i, row) in AAA_CODES.iter().enumerate() {
            assert!(looks_like_code(row.code), "{}", row.code);
            assert!(AAA_CODES[i + 1..].iter().all(|other| other.code != row.code), "duplicate {}", row.code);
        }
    }

    #[test]
    fn applicant_data_codes_carry_a_hint_or_are_plain_not_found() {
        for row in AAA_CODES {
            if row.class == AaaClass::DemographicsMismatch {
                assert!(row.hint.is_some(), "{} must name the field to fix", row.code);
            }
            if matches!(row.class, AaaClass::Transient | AaaClass::ProviderSetup | AaaClass::Other) {
                assert!(row.hint.is_none(), "{} is not the applicant's to fix", row.code);
            }
        }
    }

    #[test]
    fn code_79_is_transient_from_a_payer_but_set_up_from_the_clearinghouse() {
        assert_eq!(classify("79", 200), AaaClass::Transient);
        assert_eq!(classify("79", 400), AaaClass::ProviderSetup);
        assert_eq!(classify("42", 400), AaaClass::Transient);
        assert_eq!(classify("75", 400), AaaClass::MemberNotFound);
        assert_eq!(classify("ZZ", 200), AaaClass::Other);
    }
}
