//! The X12 AAA03 reject reason codes a payer sends when it cannot answer an eligibility inquiry, and what each
//! one means for a verification. One table for every wire format: the eligibility JSON v3 connector reads the
//! codes from `errors[]` / `aaaErrors[]`, and an X12 271 is converted into that JSON shape first.
//!
//! Code names follow the 005010X279A1 code list for data element 901 (Reject Reason Code). Every code has
//! exactly one class ([`AaaClass`]), which decides what happens next:
//!
//! | class | codes | what the verification does |
//! |---|---|---|
//! | fix the applicant's details: member ID | 64, 72 | completes as "member not found", naming the member ID |
//! | fix: who the member is (ID, name, birth date) | 67, 68, 75, 76 | completes as "member not found" |
//! | fix: relationship to the policy holder | 77 | completes as "member not found" |
//! | fix: group number | 78 | completes as "member not found" |
//! | fix: date of birth | 58, 60, 71 | completes as "demographics mismatch", naming the date of birth |
//! | fix: patient's name / policy holder's name | 65 / 73 | completes as "demographics mismatch", naming the name |
//! | [`AaaClass::Transient`] | 42, 79 (on HTTP 2xx), 80 | retried with backoff ("carrier busy") |
//! | [`AaaClass::ProviderSetup`] | 41, 43-53, 97, T4, 79 (on HTTP 4xx) | fails "carrier rejected": an operator fixes the clinic's enrolment or the directory |
//! | [`AaaClass::Other`] | 04, 15, 33, 35, 54-57, 61-63, 66, 69, 70, 74, 95 and any unknown code | fails "carrier rejected": verify by phone |
//!
//! Gender codes (66, 74) are "other", not "fix the applicant's details": the form does not collect gender, so
//! there is nothing the applicant could correct. Codes about dates of service and product codes (54-57, 62, 63)
//! are about our request, not the applicant. Code 79 is transient when the payer sends it (a connectivity
//! problem between clearinghouse and payer) but a set-up problem when the clearinghouse itself answers with it
//! on HTTP 4xx (it does not know the payer ID): Stedi documents exactly this split.

pub use crate::domain::answer::{AaaClass, ApplicantField};

/// One row of the reject reason table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AaaCode {
    /// The AAA03 code, e.g. `75`.
    pub code: &'static str,
    /// The code's name in the X12 code list.
    pub description: &'static str,
    /// What it means for the verification.
    pub class: AaaClass,
    /// For [`AaaClass::FixApplicant`] codes whose meaning is more than "this field is wrong": what to check.
    /// Names fields, never values.
    pub hint: Option<&'static str>,
}

const fn row(code: &'static str, description: &'static str, class: AaaClass, hint: Option<&'static str>) -> AaaCode {
    AaaCode { code, description, class, hint }
}

use AaaClass::{FixApplicant, Other, ProviderSetup, Transient};
use ApplicantField::{DateOfBirth, GroupNumber, MemberId, MemberIdentity, PatientName, Relationship, SubscriberName};

/// Every AAA03 code of the 005010X279A1 271 (and 04, 33, 35 and 95 from the 278, which some payers send in
/// 271s too).
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
    row("58", "Invalid/Missing Date-of-Birth", FixApplicant(DateOfBirth), None),
    row("60", "Date of Birth Follows Date(s) of Service", FixApplicant(DateOfBirth), None),
    row("61", "Date of Death Precedes Date(s) of Service", Other, None),
    row("62", "Date of Service Not Within Allowable Inquiry Period", Other, None),
    row("63", "Date of Service in Future", Other, None),
    row("64", "Invalid/Missing Patient ID", FixApplicant(MemberId), None),
    row("65", "Invalid/Missing Patient Name", FixApplicant(PatientName), None),
    row("66", "Invalid/Missing Patient Gender Code", Other, None),
    row("67", "Patient Not Found", FixApplicant(MemberIdentity), None),
    row(
        "68",
        "Duplicate Patient ID Number",
        FixApplicant(MemberIdentity),
        Some("several members match: check the member ID and the patient's details"),
    ),
    row("69", "Inconsistent with Patient's Age", Other, None),
    row("70", "Inconsistent with Patient's Gender", Other, None),
    row(
        "71",
        "Patient Birth Date Does Not Match That for the Patient on the Database",
        FixApplicant(DateOfBirth),
        None,
    ),
    row("72", "Invalid/Missing Subscriber/Insured ID", FixApplicant(MemberId), None),
    row("73", "Invalid/Missing Subscriber/Insured Name", FixApplicant(SubscriberName), None),
    row("74", "Invalid/Missing Subscriber/Insured Gender Code", Other, None),
    row("75", "Subscriber/Insured Not Found", FixApplicant(MemberIdentity), None),
    row(
        "76",
        "Duplicate Subscriber/Insured ID Number",
        FixApplicant(MemberIdentity),
        Some("several members match: check the member ID and the policy holder's details"),
    ),
    row(
        "77",
        "Subscriber Found, Patient Not Found",
        FixApplicant(Relationship),
        Some("the policy holder was found but not the patient: check the relationship and the patient's details"),
    ),
    row(
        "78",
        "Subscriber/Insured Not in Group/Plan Identified",
        FixApplicant(GroupNumber),
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

/// Our name for a code: the X12 code list's, or "unknown reject reason" (never the payer's description, which
/// may quote what was sent).
pub fn description(code: &str) -> &'static str {
    lookup(code).map_or("unknown reject reason", |row| row.description)
}

/// What the applicant should check for a [`AaaClass::FixApplicant`] code, in words a person can act on:
/// the row's own hint, or "check the `<field>` against the insurance card" / "... does not match the carrier's
/// records". `None` for codes that are not the applicant's to fix.
pub fn applicant_hint(code: &str, http_status: u16) -> Option<String> {
    let field = classify(code, http_status).field()?;
    if let Some(hint) = lookup(code).and_then(|row| row.hint) {
        return Some(hint.to_owned());
    }
    Some(match field {
        ApplicantField::MemberIdentity => {
            "the carrier found no member with these details: check the member ID, name and date of birth against \
             the insurance card"
                .to_owned()
        }
        ApplicantField::MemberId | ApplicantField::GroupNumber => {
            format!("check the {} against the insurance card", field.words())
        }
        _ => format!("the {} does not match the carrier's records", field.words()),
    })
}

/// True when `candidate` has the shape of an AAA03 code: exactly two ASCII digits or upper-case letters.
pub fn looks_like_code(candidate: &str) -> bool {
    candidate.len() == 2 && candidate.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::CoverageFinding;

    /// The class every code must have: the table in the module documentation, written out once more so that
    /// a change to [`AAA_CODES`] is a deliberate change to both.
    const EXPECTED: &[(&str, AaaClass)] = &[
        ("04", Other),
        ("15", Other),
        ("33", Other),
        ("35", Other),
        ("41", ProviderSetup),
        ("42", Transient),
        ("43", ProviderSetup),
        ("44", ProviderSetup),
        ("45", ProviderSetup),
        ("46", ProviderSetup),
        ("47", ProviderSetup),
        ("48", ProviderSetup),
        ("49", ProviderSetup),
        ("50", ProviderSetup),
        ("51", ProviderSetup),
        ("52", ProviderSetup),
        ("53", ProviderSetup),
        ("54", Other),
        ("55", Other),
        ("56", Other),
        ("57", Other),
        ("58", FixApplicant(DateOfBirth)),
        ("60", FixApplicant(DateOfBirth)),
        ("61", Other),
        ("62", Other),
        ("63", Other),
        ("64", FixApplicant(MemberId)),
        ("65", FixApplicant(PatientName)),
        ("66", Other),
        ("67", FixApplicant(MemberIdentity)),
        ("68", FixApplicant(MemberIdentity)),
        ("69", Other),
        ("70", Other),
        ("71", FixApplicant(DateOfBirth)),
        ("72", FixApplicant(MemberId)),
        ("73", FixApplicant(SubscriberName)),
        ("74", Other),
        ("75", FixApplicant(MemberIdentity)),
        ("76", FixApplicant(MemberIdentity)),
        ("77", FixApplicant(Relationship)),
        ("78", FixApplicant(GroupNumber)),
        ("79", Transient),
        ("80", Transient),
        ("95", Other),
        ("97", ProviderSetup),
        ("T4", ProviderSetup),
    ];

    #[test]
    fn every_code_has_exactly_the_class_the_documentation_gives_it() {
        assert_eq!(AAA_CODES.len(), EXPECTED.len(), "a code was added or removed without updating the table");
        for row in AAA_CODES {
            let expected = EXPECTED.iter().find(|(code, _)| *code == row.code).map(|(_, class)| *class);
            assert_eq!(Some(row.class), expected, "AAA {}", row.code);
            assert_eq!(classify(row.code, 200), row.class, "AAA {} on HTTP 200", row.code);
        }
    }

    #[test]
    fn every_code_appears_once_and_has_the_shape_of_a_code() {
        for (i, row) in AAA_CODES.iter().enumerate() {
            assert!(looks_like_code(row.code), "{}", row.code);
            assert!(AAA_CODES[i + 1..].iter().all(|other| other.code != row.code), "duplicate {}", row.code);
        }
    }

    #[test]
    fn applicant_codes_name_a_field_and_others_give_the_applicant_nothing_to_fix() {
        for row in AAA_CODES {
            let hint = applicant_hint(row.code, 200);
            match row.class {
                FixApplicant(field) => {
                    let hint = hint.unwrap_or_default();
                    assert!(!hint.is_empty(), "{} must say what to fix", row.code);
                    let named = match field {
                        MemberIdentity => "member ID",
                        Relationship => "relationship",
                        _ => field.words(),
                    };
                    assert!(hint.contains(named), "AAA {}: {hint:?} must name {named}", row.code);
                }
                _ => {
                    assert!(hint.is_none(), "{} is not the applicant's to fix", row.code);
                    assert!(row.hint.is_none(), "{} is not the applicant's to fix", row.code);
                }
            }
        }
    }

    #[test]
    fn name_and_birth_date_codes_are_mismatches_and_identity_codes_are_not_found() {
        for (code, finding) in [
            ("71", CoverageFinding::DemographicsMismatch),
            ("73", CoverageFinding::DemographicsMismatch),
            ("65", CoverageFinding::DemographicsMismatch),
            ("58", CoverageFinding::DemographicsMismatch),
            ("72", CoverageFinding::MemberNotFound),
            ("75", CoverageFinding::MemberNotFound),
            ("77", CoverageFinding::MemberNotFound),
            ("78", CoverageFinding::MemberNotFound),
        ] {
            assert_eq!(classify(code, 200).field().map(ApplicantField::finding), Some(finding), "AAA {code}");
        }
    }

    #[test]
    fn code_79_is_transient_from_a_payer_but_set_up_from_the_clearinghouse() {
        assert_eq!(classify("79", 200), Transient);
        assert_eq!(classify("79", 400), ProviderSetup);
        assert_eq!(classify("42", 400), Transient);
        assert_eq!(classify("75", 400), FixApplicant(MemberIdentity));
        assert_eq!(classify("ZZ", 200), Other);
        assert_eq!(description("ZZ"), "unknown reject reason");
    }
}
