//! X12 005010X279A1 code lists, with the descriptions the Change Healthcare / Stedi eligibility v3 JSON uses,
//! so that a 271 converted by [`super::to_json`] reads like an answer from the JSON API. Every function returns
//! `None` for a code it does not know; callers keep such codes raw.

/// EB01 eligibility or benefit information codes (the v3 `name`).
pub fn eligibility_code(code: &str) -> Option<&'static str> {
    Some(match code {
        "1" => "Active Coverage",
        "2" => "Active - Full Risk Capitation",
        "3" => "Active - Services Capitated",
        "4" => "Active - Services Capitated to Primary Care Physician",
        "5" => "Active - Pending Investigation",
        "6" => "Inactive",
        "7" => "Inactive - Pending Eligibility Update",
        "8" => "Inactive - Pending Investigation",
        "A" => "Co-Insurance",
        "B" => "Co-Payment",
        "C" => "Deductible",
        "CB" => "Coverage Basis",
        "D" => "Benefit Description",
        "E" => "Exclusions",
        "F" => "Limitations",
        "G" => "Out of Pocket (Stop Loss)",
        "H" => "Unlimited",
        "I" => "Non-Covered",
        "J" => "Cost Containment",
        "K" => "Reserve",
        "L" => "Primary Care Provider",
        "M" => "Pre-existing Condition",
        "MC" => "Managed Care Coordinator",
        "N" => "Services Restricted to Following Provider",
        "O" => "Not Deemed a Medical Necessity",
        "P" => "Benefit Disclaimer",
        "Q" => "Second Surgical Opinion Required",
        "R" => "Other or Additional Payor",
        "S" => "Prior Year(s) History",
        "T" => "Card(s) Reported Lost/Stolen",
        "U" => "Contact Following Entity for Eligibility or Benefit Information",
        "V" => "Cannot Process",
        "W" => "Other Source of Data",
        "X" => "Health Care Facility",
        "Y" => "Spend Down",
        _ => return None,
    })
}

/// EB02 coverage level codes.
pub fn coverage_level(code: &str) -> Option<&'static str> {
    Some(match code {
        "CHD" => "Children Only",
        "DEP" => "Dependents Only",
        "E1D" => "Employee and One Dependent",
        "E2D" => "Employee and Two Dependents",
        "E3D" => "Employee and Three Dependents",
        "E5D" => "Employee and One or More Dependents",
        "E6D" => "Employee and Two or More Dependents",
        "E7D" => "Employee and Three or More Dependents",
        "E8D" => "Employee and Four or More Dependents",
        "E9D" => "Employee and Five or More Dependents",
        "ECH" => "Employee and Children",
        "EMP" => "Employee Only",
        "ESP" => "Employee and Spouse",
        "FAM" => "Family",
        "IND" => "Individual",
        "SPC" => "Spouse and Children",
        "SPO" => "Spouse Only",
        "TWO" => "Two Party",
        _ => return None,
    })
}

/// EB03 / EQ01 service type codes (code list 1365).
pub fn service_type(code: &str) -> Option<&'static str> {
    Some(match code {
        "1" => "Medical Care",
        "2" => "Surgical",
        "3" => "Consultation",
        "4" => "Diagnostic X-Ray",
        "5" => "Diagnostic Lab",
        "6" => "Radiation Therapy",
        "7" => "Anesthesia",
        "8" => "Surgical Assistance",
        "9" => "Other Medical",
        "10" => "Blood Charges",
        "11" => "Used Durable Medical Equipment",
        "12" => "Durable Medical Equipment Purchase",
        "13" => "Ambulatory Service Center Facility",
        "14" => "Renal Supplies in the Home",
        "15" => "Alternate Method Dialysis",
        "16" => "Chronic Renal Disease (CRD) Equipment",
        "17" => "Pre-Admission Testing",
        "18" => "Durable Medical Equipment Rental",
        "19" => "Pneumonia Vaccine",
        "20" => "Second Surgical Opinion",
        "21" => "Third Surgical Opinion",
        "22" => "Social Work",
        "23" => "Diagnostic Dental",
        "24" => "Periodontics",
        "25" => "Restorative",
        "26" => "Endodontics",
        "27" => "Maxillofacial Prosthetics",
        "28" => "Adjunctive Dental Services",
        "30" => "Health Benefit Plan Coverage",
        "32" => "Plan Waiting Period",
        "33" => "Chiropractic",
        "34" => "Chiropractic Office Visits",
        "35" => "Dental Care",
        "36" => "Dental Crowns",
        "37" => "Dental Accident",
        "38" => "Orthodontics",
        "39" => "Prosthodontics",
        "40" => "Oral Surgery",
        "41" => "Routine (Preventive) Dental",
        "42" => "Home Health Care",
        "43" => "Home Health Prescriptions",
        "44" => "Home Health Visits",
        "45" => "Hospice",
        "46" => "Respite Care",
        "47" => "Hospital",
        "48" => "Hospital - Inpatient",
        "49" => "Hospital - Room and Board",
        "50" => "Hospital - Outpatient",
        "51" => "Hospital - Emergency Accident",
        "52" => "Hospital - Emergency Medical",
        "53" => "Hospital - Ambulatory Surgical",
        "54" => "Long Term Care",
        "55" => "Major Medical",
        "56" => "Medically Related Transportation",
        "57" => "Air Transportation",
        "58" => "Cabulance",
        "59" => "Licensed Ambulance",
        "60" => "General Benefits",
        "61" => "In-vitro Fertilization",
        "62" => "MRI/CAT Scan",
        "63" => "Donor Procedures",
        "64" => "Acupuncture",
        "65" => "Newborn Care",
        "66" => "Pathology",
        "67" => "Smoking Cessation",
        "68" => "Well Baby Care",
        "69" => "Maternity",
        "70" => "Transplants",
        "71" => "Audiology Exam",
        "72" => "Inhalation Therapy",
        "73" => "Diagnostic Medical",
        "74" => "Private Duty Nursing",
        "75" => "Prosthetic Device",
        "76" => "Dialysis",
        "77" => "Otological Exam",
        "78" => "Chemotherapy",
        "79" => "Allergy Testing",
        "80" => "Immunizations",
        "81" => "Routine Physical",
        "82" => "Family Planning",
        "83" => "Infertility",
        "84" => "Abortion",
        "85" => "AIDS",
        "86" => "Emergency Services",
        "87" => "Cancer",
        "88" => "Pharmacy",
        "89" => "Free Standing Prescription Drug",
        "90" => "Mail Order Prescription Drug",
        "91" => "Brand Name Prescription Drug",
        "92" => "Generic Prescription Drug",
        "93" => "Podiatry",
        "94" => "Podiatry - Office Visits",
        "95" => "Podiatry - Nursing Home Visits",
        "96" => "Professional (Physician)",
        "97" => "Anesthesiologist",
        "98" => "Professional (Physician) Visit - Office",
        "99" => "Professional (Physician) Visit - Inpatient",
        "A0" => "Professional (Physician) Visit - Outpatient",
        "A1" => "Professional (Physician) Visit - Nursing Home",
        "A2" => "Professional (Physician) Visit - Skilled Nursing Facility",
        "A3" => "Professional (Physician) Visit - Home",
        "A4" => "Psychiatric",
        "A5" => "Psychiatric - Room and Board",
        "A6" => "Psychotherapy",
        "A7" => "Psychiatric - Inpatient",
        "A8" => "Psychiatric - Outpatient",
        "A9" => "Rehabilitation",
        "AA" => "Rehabilitation - Room and Board",
        "AB" => "Rehabilitation - Inpatient",
        "AC" => "Rehabilitation - Outpatient",
        "AD" => "Occupational Therapy",
        "AE" => "Physical Medicine",
        "AF" => "Speech Therapy",
        "AG" => "Skilled Nursing Care",
        "AH" => "Skilled Nursing Care - Room and Board",
        "AI" => "Substance Abuse",
        "AJ" => "Alcoholism",
        "AK" => "Drug Addiction",
        "AL" => "Vision (Optometry)",
        "AM" => "Frames",
        "AN" => "Routine Exam",
        "AO" => "Lenses",
        "AQ" => "Nonmedically Necessary Physical",
        "AR" => "Experimental Drug Therapy",
        "B1" => "Burn Care",
        "B2" => "Brand Name Prescription Drug - Formulary",
        "B3" => "Brand Name Prescription Drug - Non-Formulary",
        "BA" => "Independent Medical Evaluation",
        "BB" => "Partial Hospitalization (Psychiatric)",
        "BC" => "Day Care (Psychiatric)",
        "BD" => "Cognitive Therapy",
        "BE" => "Massage Therapy",
        "BF" => "Pulmonary Rehabilitation",
        "BG" => "Cardiac Rehabilitation",
        "BH" => "Pediatric",
        "BI" => "Nursery",
        "BJ" => "Skin",
        "BK" => "Orthopedic",
        "BL" => "Cardiac",
        "BM" => "Lymphatic",
        "BN" => "Gastrointestinal",
        "BP" => "Endocrine",
        "BQ" => "Neurology",
        "BR" => "Eye",
        "BS" => "Invasive Procedures",
        "BT" => "Gynecological",
        "BU" => "Obstetrical",
        "BV" => "Obstetrical/Gynecological",
        "BW" => "Mail Order Prescription Drug: Brand Name",
        "BX" => "Mail Order Prescription Drug: Generic",
        "BY" => "Physician Visit - Office: Sick",
        "BZ" => "Physician Visit - Office: Well",
        "C1" => "Coronary Care",
        "CA" => "Private Duty Nursing - Inpatient",
        "CB" => "Private Duty Nursing - Home",
        "CC" => "Surgical Benefits - Professional (Physician)",
        "CD" => "Surgical Benefits - Facility",
        "CE" => "Mental Health Provider - Inpatient",
        "CF" => "Mental Health Provider - Outpatient",
        "CG" => "Mental Health Facility - Inpatient",
        "CH" => "Mental Health Facility - Outpatient",
        "CI" => "Substance Abuse Facility - Inpatient",
        "CJ" => "Substance Abuse Facility - Outpatient",
        "CK" => "Screening X-ray",
        "CL" => "Screening laboratory",
        "CM" => "Mammogram, High Risk Patient",
        "CN" => "Mammogram, Low Risk Patient",
        "CO" => "Flu Vaccination",
        "CP" => "Eyewear and Eyewear Accessories",
        "CQ" => "Case Management",
        "DG" => "Dermatology",
        "DM" => "Durable Medical Equipment",
        "DS" => "Diabetic Supplies",
        "GF" => "Generic Prescription Drug - Formulary",
        "GN" => "Generic Prescription Drug - Non-Formulary",
        "GY" => "Allergy",
        "IC" => "Intensive Care",
        "MH" => "Mental Health",
        "NI" => "Neonatal Intensive Care",
        "ON" => "Oncology",
        "PT" => "Physical Therapy",
        "PU" => "Pulmonary",
        "RN" => "Renal",
        "RT" => "Residential Psychiatric Treatment",
        "TC" => "Transitional Care",
        "TN" => "Transitional Nursery Care",
        "UC" => "Urgent Care",
        _ => return None,
    })
}

/// EB04 insurance type codes.
pub fn insurance_type(code: &str) -> Option<&'static str> {
    Some(match code {
        "12" => "Medicare Secondary Working Aged Beneficiary or Spouse with Employer Group Health Plan",
        "13" => "Medicare Secondary End-Stage Renal Disease Beneficiary in the Mandated Coordination Period",
        "14" => "Medicare Secondary, No-fault Insurance including Auto is Primary",
        "15" => "Medicare Secondary Worker's Compensation",
        "16" => "Medicare Secondary Public Health Service (PHS) or Other Federal Agency",
        "41" => "Medicare Secondary Black Lung",
        "42" => "Medicare Secondary Veteran's Administration",
        "43" => "Medicare Secondary Disabled Beneficiary Under Age 65 with Large Group Health Plan (LGHP)",
        "47" => "Medicare Secondary, Other Liability Insurance is Primary",
        "AP" => "Auto Insurance Policy",
        "C1" => "Commercial",
        "CO" => "Consolidated Omnibus Budget Reconciliation Act (COBRA)",
        "CP" => "Medicare Conditionally Primary",
        "D" => "Disability",
        "DB" => "Disability Benefits",
        "EP" => "Exclusive Provider Organization",
        "FF" => "Family or Friends",
        "GP" => "Group Policy",
        "HM" => "Health Maintenance Organization (HMO)",
        "HN" => "Health Maintenance Organization (HMO) - Medicare Risk",
        "HS" => "Special Low Income Medicare Beneficiary",
        "IN" => "Indemnity",
        "IP" => "Individual Policy",
        "LC" => "Long Term Care",
        "LD" => "Long Term Policy",
        "LI" => "Life Insurance",
        "LT" => "Litigation",
        "MA" => "Medicare Part A",
        "MB" => "Medicare Part B",
        "MC" => "Medicaid",
        "MH" => "Medigap Part A",
        "MI" => "Medigap Part B",
        "MP" => "Medicare Primary",
        "OT" => "Other",
        "PE" => "Property Insurance - Personal",
        "PL" => "Personal",
        "PP" => "Personal Payment (Cash - No Insurance)",
        "PR" => "Preferred Provider Organization (PPO)",
        "PS" => "Point of Service (POS)",
        "QM" => "Qualified Medicare Beneficiary",
        "RP" => "Property Insurance - Real",
        "SP" => "Supplemental Policy",
        "TF" => "Tax Equity Fiscal Responsibility Act (TEFRA)",
        "WC" => "Workers Compensation",
        "WU" => "Wrap Up Policy",
        _ => return None,
    })
}

/// EB06 / HSD05 time period qualifiers (code list 615): the code, its name as the v3 JSON writes it, and the
/// period in words for people ("per calendar year"). The one table for the X12 and the JSON paths.
const TIME_PERIODS: &[(&str, &str, &str)] = &[
    ("6", "Hour", "hour"),
    ("7", "Day", "day"),
    ("13", "24 Hours", "24 hours"),
    ("21", "Years", "year"),
    ("22", "Service Year", "service year"),
    ("23", "Calendar Year", "calendar year"),
    ("24", "Year to Date", "year to date"),
    ("25", "Contract", "contract"),
    ("26", "Episode", "episode"),
    ("27", "Visit", "visit"),
    ("28", "Outlier", "outlier"),
    ("29", "Remaining", "remaining"),
    ("30", "Exceeded", "exceeded"),
    ("31", "Not Exceeded", "not exceeded"),
    ("32", "Lifetime", "lifetime"),
    ("33", "Lifetime Remaining", "lifetime remaining"),
    ("34", "Month", "month"),
    ("35", "Week", "week"),
    ("36", "Admission", "admission"),
];

/// EB06 / HSD05 time period qualifiers (code list 615), as the v3 JSON names them.
pub fn time_period(code: &str) -> Option<&'static str> {
    TIME_PERIODS.iter().find(|(c, _, _)| *c == code).map(|(_, name, _)| *name)
}

/// An EB06 / HSD05 time period in words for people: "calendar year", "admission", ...
pub fn time_period_words(code: &str) -> Option<&'static str> {
    TIME_PERIODS.iter().find(|(c, _, _)| *c == code).map(|(_, _, words)| *words)
}

/// Quantity qualifiers (EB09 / HSD01, code list 673) and the units of measurement HSD03 uses (code list 355:
/// `DA`, `MO`, `WK`, `YR`): the code, its v3 JSON name (code list 673 only), and what it counts in words
/// (`None` for codes that are not a unit of care, such as `99` quantity used).
const QUANTITIES: &[(&str, Option<&str>, Option<&str>)] = &[
    ("8H", Some("Minimum"), None),
    ("99", Some("Quantity Used"), None),
    ("CA", Some("Covered - Actual"), Some("days covered (actual)")),
    ("CE", Some("Covered - Estimated"), Some("days covered (estimated)")),
    ("D3", Some("Number of Co-insurance Days"), Some("co-insurance days")),
    ("DB", Some("Deductible Blood Units"), Some("deductible blood units")),
    ("DY", Some("Days"), Some("days")),
    ("FL", Some("Units"), Some("units")),
    ("HS", Some("Hours"), Some("hours")),
    ("LA", Some("Life-time Reserve - Actual"), Some("lifetime reserve days")),
    ("LE", Some("Life-time Reserve - Estimated"), Some("lifetime reserve days")),
    ("M2", Some("Maximum"), Some("maximum")),
    ("MN", Some("Month"), Some("months")),
    ("P6", Some("Number of Services or Procedures"), Some("services")),
    ("QA", Some("Quantity Approved"), Some("approved")),
    ("S7", Some("Age, High Value"), Some("years of age (at most)")),
    ("S8", Some("Age, Low Value"), Some("years of age (at least)")),
    ("VS", Some("Visits"), Some("visits")),
    ("YY", Some("Years"), Some("years")),
    ("DA", None, Some("days")),
    ("MO", None, Some("months")),
    ("WK", None, Some("weeks")),
    ("YR", None, Some("years")),
];

/// EB09 / HSD01 quantity qualifiers (code list 673), as the v3 JSON names them.
pub fn quantity_qualifier(code: &str) -> Option<&'static str> {
    QUANTITIES.iter().find(|(c, _, _)| *c == code).and_then(|(_, name, _)| *name)
}

/// What an EB09 quantity qualifier or an HSD01/HSD03 unit counts, in words: "visits", "days", ... `None` for
/// codes that are not a unit of care (`99` quantity used is handled apart) and unknown codes.
pub fn quantity_unit_words(code: &str) -> Option<&'static str> {
    QUANTITIES.iter().find(|(c, _, _)| *c == code).and_then(|(_, _, words)| *words)
}

/// EB11 / EB12 yes-no-condition codes.
pub fn yes_no(code: &str) -> Option<&'static str> {
    Some(match code {
        "Y" => "Yes",
        "N" => "No",
        "U" => "Unknown",
        "W" => "Not Applicable",
        _ => return None,
    })
}

/// NM101 entity identifier codes of the 271.
pub fn entity_identifier(code: &str) -> Option<&'static str> {
    Some(match code {
        "03" => "Dependent",
        "13" => "Contracted Service Provider",
        "1I" => "Preferred Provider Organization (PPO)",
        "1P" => "Provider",
        "2B" => "Third-Party Administrator",
        "36" => "Employer",
        "71" => "Attending Physician",
        "72" => "Operating Physician",
        "73" => "Other Physician",
        "7W" => "Agency",
        "80" => "Hospital",
        "82" => "Rendering Provider",
        "85" => "Billing Provider",
        "87" => "Pay-to Provider",
        "CN" => "Case Manager",
        "FA" => "Facility",
        "GP" => "Gateway Provider",
        "GW" => "Group",
        "I3" => "Independent Physicians Association (IPA)",
        "IL" => "Insured or Subscriber",
        "LR" => "Legal Representative",
        "P3" => "Primary Care Provider",
        "P4" => "Prior Insurance Carrier",
        "P5" => "Plan Sponsor",
        "PR" => "Payer",
        "PRP" => "Primary Payer",
        "SEP" => "Secondary Payer",
        "TTP" => "Tertiary Payer",
        "VER" => "Party Performing Verification",
        "VN" => "Vendor",
        "VY" => "Organization Completing Configuration Change",
        "X3" => "Utilization Management Organization",
        "Y2" => "Managed Care Organization",
        _ => return None,
    })
}

/// NM102 entity type qualifiers.
pub fn entity_type(code: &str) -> Option<&'static str> {
    Some(match code {
        "1" => "Person",
        "2" => "Non-Person Entity",
        _ => return None,
    })
}

/// NM108 identification code qualifiers.
pub fn identification_qualifier(code: &str) -> Option<&'static str> {
    Some(match code {
        "24" => "Employer's Identification Number",
        "34" => "Social Security Number",
        "46" => "Electronic Transmitter Identification Number (ETIN)",
        "FA" => "Facility Identification",
        "FI" => "Federal Taxpayer's Identification Number",
        "II" => "Standard Unique Health Identifier for each Individual in the United States",
        "MI" => "Member Identification Number",
        "NI" => "National Association of Insurance Commissioners (NAIC) Identification",
        "PI" => "Payor Identification",
        "PP" => "Pharmacy Processor Number",
        "SL" => "State License Number",
        "SV" => "Service Provider Number",
        "XV" => "Centers for Medicare and Medicaid Services PlanID",
        "XX" => "Centers for Medicare and Medicaid Services National Provider Identifier",
        _ => return None,
    })
}

/// PER communication number qualifiers.
pub fn communication_mode(code: &str) -> Option<&'static str> {
    Some(match code {
        "ED" => "Electronic Data Interchange Access Number",
        "EM" => "Electronic Mail",
        "EX" => "Telephone Extension",
        "FX" => "Facsimile",
        "TE" => "Telephone",
        "UR" => "Uniform Resource Locator (URL)",
        "WP" => "Work Phone Number",
        _ => return None,
    })
}

/// INS02 individual relationship codes (the v3 `relationToSubscriber` text; the JSON and X12 paths share it).
pub fn relationship(code: &str) -> Option<&'static str> {
    Some(match code {
        "01" => "Spouse",
        "18" => "Self",
        "19" => "Child",
        "20" => "Employee",
        "21" => "Unknown",
        "34" => "Other Adult",
        "39" => "Organ Donor",
        "40" => "Cadaver Donor",
        "53" => "Life Partner",
        "G8" => "Other Relationship",
        _ => return None,
    })
}

/// TRN01 trace type codes.
pub fn trace_type(code: &str) -> Option<&'static str> {
    Some(match code {
        "1" => "Current Transaction Trace Numbers",
        "2" => "Referenced Transaction Trace Numbers",
        _ => return None,
    })
}

/// DMG03 gender codes, as the v3 JSON writes them (the code itself).
pub fn gender(code: &str) -> Option<&'static str> {
    Some(match code {
        "F" => "F",
        "M" => "M",
        "U" => "U",
        _ => return None,
    })
}

/// The v3 key of a DTP01 date qualifier in `planDateInformation` / `benefitsDateInformation`.
pub fn date_key(qualifier: &str) -> Option<&'static str> {
    Some(match qualifier {
        "096" => "discharge",
        "102" => "issue",
        "152" => "effectiveDateOfChange",
        "193" => "periodStart",
        "194" => "periodEnd",
        "198" => "completion",
        "290" => "coordinationOfBenefits",
        "291" => "plan",
        "292" => "benefit",
        "295" => "primaryCareProvider",
        "304" => "latestVisitOrConsultation",
        "307" => "eligibility",
        "318" => "added",
        "340" => "cobraBegin",
        "341" => "cobraEnd",
        "342" => "premiumPaidToDateBegin",
        "343" => "premiumPaidToDateEnd",
        "346" => "planBegin",
        "347" => "planEnd",
        "348" => "benefitBegin",
        "349" => "benefitEnd",
        "356" => "eligibilityBegin",
        "357" => "eligibilityEnd",
        "382" => "enrollment",
        "435" => "admission",
        "442" => "dateOfDeath",
        "458" => "certification",
        "472" => "service",
        "539" => "policyEffective",
        "540" => "policyExpiration",
        "636" => "dateOfLastUpdate",
        "771" => "status",
        _ => return None,
    })
}

/// The v3 key of a REF01 qualifier in `planInformation` / `benefitsAdditionalInformation`, for qualifiers the
/// normaliser's `REFERENCE_KEYS` table does not name (that table is consulted first).
pub fn reference_key(qualifier: &str) -> Option<&'static str> {
    Some(match qualifier {
        "18" => "planNumber",
        "1L" => "groupOrPolicyNumber",
        "1W" => "memberIdNumber",
        "3H" => "caseNumber",
        "49" => "familyUnitNumber",
        "6P" => "groupNumber",
        "ALS" => "alternativeListId",
        "CE" => "classOfContractCode",
        "CLI" => "coverageListId",
        "CT" => "contractNumber",
        "EA" => "medicalRecordIdentificationNumber",
        "EJ" => "patientAccountNumber",
        "F6" => "hicNumber",
        "FO" => "drugFormularyNumber",
        "GH" => "identificationCardSerialNumber",
        "HJ" => "identityCardNumber",
        "IF" => "issueNumber",
        "IG" => "policyNumber",
        "M7" => "medicalAssistanceCategory",
        "N6" => "planNetworkIdNumber",
        "NQ" => "medicaidRecepientIdNumber",
        "Q4" => "priorIdNumber",
        "SY" => "socialSecurityNumber",
        "Y4" => "agencyClaimNumber",
        _ => return None,
    })
}

/// The v3 key of a REF03 description for the qualifiers whose description the JSON carries.
pub fn reference_description_key(qualifier: &str) -> Option<&'static str> {
    Some(match qualifier {
        "18" => "planDescription",
        "6P" => "groupDescription",
        "N6" => "planNetworkIdDescription",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_time_period_has_a_name_and_words_and_unknown_codes_have_neither() {
        for (code, name, words) in TIME_PERIODS {
            assert_eq!((time_period(code), time_period_words(code)), (Some(*name), Some(*words)));
            assert_eq!(words.to_lowercase(), *words, "{code}: words are lower case");
        }
        assert_eq!((time_period("77"), time_period_words("77")), (None, None));
    }

    #[test]
    fn units_of_measurement_have_words_but_no_quantity_qualifier_name() {
        assert_eq!((quantity_qualifier("VS"), quantity_unit_words("VS")), (Some("Visits"), Some("visits")));
        assert_eq!((quantity_qualifier("DA"), quantity_unit_words("DA")), (None, Some("days")));
        assert_eq!((quantity_qualifier("99"), quantity_unit_words("99")), (Some("Quantity Used"), None));
        for (i, (code, _, _)) in QUANTITIES.iter().enumerate() {
            assert!(QUANTITIES[i + 1..].iter().all(|(other, _, _)| other != code), "duplicate {code}");
        }
    }

    #[test]
    fn other_adult_is_a_relationship() {
        assert_eq!(relationship("34"), Some("Other Adult"));
        assert_eq!(relationship("01"), Some("Spouse"));
    }
}
