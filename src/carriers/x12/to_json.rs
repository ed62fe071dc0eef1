//! One 271 as the Change Healthcare / Stedi eligibility v3 RESPONSE JSON, so that the JSON normaliser
//! ([`crate::carriers::json_summary`], [`crate::carriers::eligibility_json::interpret_response`]) reads X12 and
//! JSON answers alike: one set of rules for the benefit summary, the coverage finding, AAA errors and the
//! government-plan evidence.
//!
//! Mapping (documented v3 keys only):
//! * 2100A payer → `payer` (`name`, `payorIdentification`, ...), its NM109 → `tradingPartnerServiceId`;
//!   2100B → `provider` (`providerName`, `npi`, ...); BHT03 (else ST02) → `controlNumber`, `reassociationKey`.
//! * 2100C → `subscriber` (`memberId`, names, `dateOfBirth`, `gender`, `address`, reference numbers), 2000C
//!   TRN → `subscriberTraceNumbers`; each 2000D/2100D → `dependents[]` (with `relationToSubscriber`,
//!   `dependentTraceNumbers`).
//! * The patient's loops (the first dependent when there is one, else the subscriber): 2110 EB →
//!   `benefitsInformation[]` (every EB element, HSD → `benefitsServiceDelivery`, REF →
//!   `benefitsAdditionalInformation`, DTP → `benefitsDateInformation`, MSG → `additionalInformation`, III →
//!   `eligibilityAdditionalInformationList`, 2120 NM1 → `benefitsRelatedEntity` (the first, as Change Healthcare
//!   sends it) and `benefitsRelatedEntities` (all, as Stedi sends them)); status rows (EB01 `1`-`8`) also →
//!   `planStatus[]` (one entry per status row); 2100 REF → `planInformation` (the patient's first, then the subscriber's); 2100 DTP →
//!   `planDateInformation` (same order; `CCYYMMDD` or `CCYYMMDD-CCYYMMDD` as sent).
//! * AAA: 2000A/2100A → `payer.aaaErrors`, 2100B → `provider.aaaErrors`, 2000C/2100C →
//!   `subscriber.aaaErrors`, 2000D/2100D → `dependents[].aaaErrors`, and all of these again in `errors[]` (as
//!   Stedi repeats them), each with `code`, `description`, `followupAction` and `location` (`Loop 2100C`).
//!   An AAA inside a 2110 benefit loop stays on its row (`benefitsInformation[].aaaErrors`): it rejects one
//!   benefit inquiry, not the member.
//!
//! Codes are written as sent; descriptions come from [`super::codes`]. An unknown code keeps its raw value
//! (and, for service types, the code doubles as its label so that `serviceTypes` stays aligned with
//! `serviceTypeCodes`). Segments and qualifiers with no v3 key stay in the [`Eligibility271`] tree only.

use serde_json::{Map, Value};

use super::Segment;
use super::codes;
use super::model::{BenefitLoop, Eligibility271, HierarchicalLevel, LevelCode, NameLoop, Rejection, Trace};
use crate::carriers::aaa;
use crate::carriers::json_summary::REFERENCE_KEYS;
use crate::domain::FollowUpAction;

/// One 271 as eligibility v3 response JSON, for its first subscriber (a real-time 271 has one). See the module
/// documentation for the mapping.
pub fn eligibility_json(answer: &Eligibility271<'_>) -> Value {
    let paths = paths(answer);
    match paths.first() {
        Some(path) => document(answer, path),
        None => document(answer, &Path { source: answer.source(), receiver: answer.receiver(), subscriber: None }),
    }
}

/// One eligibility v3 document per subscriber level of a 271 (a batch 271 may answer for several members).
/// Returns one document with no subscriber when the 271 has none (e.g. an AAA from the payer only).
pub fn eligibility_json_all(answer: &Eligibility271<'_>) -> Vec<Value> {
    let paths = paths(answer);
    if paths.is_empty() {
        return vec![eligibility_json(answer)];
    }
    paths.iter().map(|path| document(answer, path)).collect()
}

/// A subscriber with the source and receiver above it.
struct Path<'t, 'a> {
    source: Option<&'t HierarchicalLevel<'a>>,
    receiver: Option<&'t HierarchicalLevel<'a>>,
    subscriber: Option<&'t HierarchicalLevel<'a>>,
}

/// Every subscriber level with its nearest source and receiver ancestors (or the transaction's first ones).
fn paths<'t, 'a>(answer: &'t Eligibility271<'a>) -> Vec<Path<'t, 'a>> {
    let mut out = Vec::new();
    let mut stack: Vec<(
        &'t HierarchicalLevel<'a>,
        Option<&'t HierarchicalLevel<'a>>,
        Option<&'t HierarchicalLevel<'a>>,
    )> = answer.sources.iter().rev().map(|level| (level, None, None)).collect();
    while let Some((level, mut source, mut receiver)) = stack.pop() {
        match level.code {
            LevelCode::InformationSource => source = Some(level),
            LevelCode::InformationReceiver => receiver = Some(level),
            LevelCode::Subscriber => out.push(Path {
                source: source.or_else(|| answer.source()),
                receiver: receiver.or_else(|| answer.receiver()),
                subscriber: Some(level),
            }),
            _ => {}
        }
        stack.extend(level.children.iter().rev().map(|child| (child, source, receiver)));
    }
    out
}

fn document(answer: &Eligibility271<'_>, path: &Path<'_, '_>) -> Value {
    let mut doc = Map::new();
    let control = answer.bht.and_then(|bht| bht.element(3)).or(Some(answer.control_number).filter(|c| !c.is_empty()));
    put(&mut doc, "controlNumber", control);
    put(&mut doc, "reassociationKey", control);
    let mut errors: Vec<Value> = Vec::new();

    if let Some(source) = path.source {
        let name = source.name();
        put(&mut doc, "tradingPartnerServiceId", name.and_then(NameLoop::id));
        let mut payer = name.map(payer_json).unwrap_or_default();
        attach_rejections(&mut payer, source, &mut errors);
        doc.insert("payer".into(), Value::Object(payer));
    }
    if let Some(receiver) = path.receiver {
        let mut provider = receiver.name().map(provider_json).unwrap_or_default();
        attach_rejections(&mut provider, receiver, &mut errors);
        doc.insert("provider".into(), Value::Object(provider));
    }
    let Some(subscriber) = path.subscriber else {
        put_errors(&mut doc, errors);
        return Value::Object(doc);
    };

    let mut subscriber_json = subscriber.name().map(person_json).unwrap_or_default();
    attach_rejections(&mut subscriber_json, subscriber, &mut errors);
    doc.insert("subscriber".into(), Value::Object(subscriber_json));
    put_array(&mut doc, "subscriberTraceNumbers", traces_json(&subscriber.traces));

    let dependents: Vec<&HierarchicalLevel<'_>> =
        subscriber.descendants().into_iter().filter(|level| level.code == LevelCode::Dependent).collect();
    let mut dependents_json = Vec::new();
    for dependent in &dependents {
        let mut object = dependent.name().map(person_json).unwrap_or_default();
        put_array(&mut object, "dependentTraceNumbers", traces_json(&dependent.traces));
        let plan = plan_information(&[*dependent]);
        if !plan.is_empty() {
            object.insert("planInformation".into(), Value::Object(plan));
        }
        let dates = plan_dates(&[*dependent]);
        if !dates.is_empty() {
            object.insert("planDateInformation".into(), Value::Object(dates));
        }
        attach_rejections(&mut object, dependent, &mut errors);
        dependents_json.push(Value::Object(object));
    }
    put_array(&mut doc, "dependents", dependents_json);

    // The patient: the dependent the 271 answers for, else the subscriber. Plan facts of the patient's own loop
    // come first; the subscriber's fill the gaps (a dependent's loop often repeats none of them).
    let patient = dependents.first().copied().unwrap_or(subscriber);
    if let Some(dependent) = dependents.first() {
        put_array(&mut doc, "dependentTraceNumbers", traces_json(&dependent.traces));
    }
    let holders = if std::ptr::eq(patient, subscriber) { vec![subscriber] } else { vec![patient, subscriber] };
    let plan = plan_information(&holders);
    if !plan.is_empty() {
        doc.insert("planInformation".into(), Value::Object(plan));
    }
    let dates = plan_dates(&holders);
    if !dates.is_empty() {
        doc.insert("planDateInformation".into(), Value::Object(dates));
    }
    put_array(&mut doc, "planStatus", plan_statuses_json(&patient.benefits));
    let rows: Vec<Value> = patient.benefits.iter().map(benefit_json).collect();
    put_array(&mut doc, "benefitsInformation", rows);
    put_errors(&mut doc, errors);
    Value::Object(doc)
}

// ---------------------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------------------

fn put(object: &mut Map<String, Value>, key: &str, value: Option<&str>) {
    if let Some(value) = value.map(str::trim).filter(|value| !value.is_empty()) {
        object.insert(key.to_owned(), Value::String(value.to_owned()));
    }
}

fn put_array(object: &mut Map<String, Value>, key: &str, items: Vec<Value>) {
    if !items.is_empty() {
        object.insert(key.to_owned(), Value::Array(items));
    }
}

fn put_errors(doc: &mut Map<String, Value>, errors: Vec<Value>) {
    put_array(doc, "errors", errors);
}

/// A code and its description: `code_key` gets the code as sent, `name_key` the description when known.
fn put_coded(
    object: &mut Map<String, Value>,
    code_key: &str,
    name_key: &str,
    code: Option<&str>,
    table: fn(&str) -> Option<&'static str>,
) {
    put(object, code_key, code);
    put(object, name_key, code.and_then(table));
}

// ---------------------------------------------------------------------------------------------------------
// Entities
// ---------------------------------------------------------------------------------------------------------

fn address_json(name: &NameLoop<'_>) -> Option<Value> {
    let mut address = Map::new();
    if let Some(street) = name.street {
        put(&mut address, "address1", street.element(1));
        put(&mut address, "address2", street.element(2));
    }
    if let Some(city) = name.city {
        put(&mut address, "city", city.element(1));
        put(&mut address, "state", city.element(2));
        put(&mut address, "postalCode", city.element(3));
        put(&mut address, "countryCode", city.element(4));
        put(&mut address, "countrySubDivisionCode", city.element(7));
    }
    (!address.is_empty()).then_some(Value::Object(address))
}

/// PER segments as `contactInformation`: the first contact name and every number (PER03-PER08).
fn contacts_json(name: &NameLoop<'_>) -> Option<Value> {
    let mut contacts = Vec::new();
    let mut contact_name = None;
    for per in &name.contacts {
        contact_name = contact_name.or(per.element(2));
        for (mode, number) in [(3, 4), (5, 6), (7, 8)] {
            let Some(number) = per.element(number) else { continue };
            let mut contact = Map::new();
            let mode = per.element(mode);
            put(&mut contact, "communicationMode", mode.and_then(codes::communication_mode).or(mode));
            put(&mut contact, "communicationNumber", Some(number));
            contacts.push(Value::Object(contact));
        }
    }
    if contacts.is_empty() && contact_name.is_none() {
        return None;
    }
    let mut info = Map::new();
    put(&mut info, "name", contact_name);
    put_array(&mut info, "contacts", contacts);
    Some(Value::Object(info))
}

fn provider_information_json(name: &NameLoop<'_>) -> Option<Value> {
    let prv = name.provider?;
    let mut info = Map::new();
    put(&mut info, "providerCode", prv.element(1));
    put(&mut info, "referenceIdentificationQualifier", prv.element(2));
    put(&mut info, "referenceIdentification", prv.element(3));
    (!info.is_empty()).then_some(Value::Object(info))
}

/// The fields every entity has: identifier, type, address, contacts.
fn entity_common(object: &mut Map<String, Value>, name: &NameLoop<'_>) {
    let code = name.entity_code();
    put(object, "entityIdentifier", code.and_then(codes::entity_identifier).or(code));
    let kind = name.entity_type();
    put(object, "entityType", kind.and_then(codes::entity_type).or(kind));
    if let Some(address) = address_json(name) {
        object.insert("address".into(), address);
    }
    if let Some(contacts) = contacts_json(name) {
        object.insert("contactInformation".into(), contacts);
    }
}

/// The key of an NM109 by its qualifier, for payers and providers.
fn identification_key(qualifier: Option<&str>, person_or_payer_default: &'static str) -> &'static str {
    match qualifier {
        Some("PI") => "payorIdentification",
        Some("XX") => "npi",
        Some("SV") => "serviceProviderNumber",
        Some("FI") => "federalTaxpayersIdNumber",
        Some("NI") => "naic",
        Some("XV") => "centersForMedicareAndMedicaidPlanId",
        Some("24") => "employersId",
        Some("34") => "ssn",
        Some("46") => "etin",
        Some("PP") => "pharmacyProcessorNumber",
        _ => person_or_payer_default,
    }
}

fn payer_json(name: &NameLoop<'_>) -> Map<String, Value> {
    let mut payer = Map::new();
    entity_common(&mut payer, name);
    if name.entity_type() == Some("1") {
        put(&mut payer, "lastName", name.last_or_organization_name());
        put(&mut payer, "firstName", name.first_name());
    }
    put(&mut payer, "name", name.last_or_organization_name());
    put(&mut payer, identification_key(name.id_qualifier(), "payorIdentification"), name.id());
    payer
}

fn provider_json(name: &NameLoop<'_>) -> Map<String, Value> {
    let mut provider = Map::new();
    entity_common(&mut provider, name);
    put(&mut provider, "providerName", name.last_or_organization_name());
    if name.entity_type() == Some("2") {
        put(&mut provider, "providerOrgName", name.last_or_organization_name());
    }
    put(&mut provider, "providerFirstName", name.first_name());
    put(&mut provider, "providerMiddleName", name.middle_name());
    put(&mut provider, "suffix", name.suffix());
    put(&mut provider, identification_key(name.id_qualifier(), "providerIdentifier"), name.id());
    if let Some(prv) = name.provider {
        put(&mut provider, "providerCode", prv.element(1));
        put(&mut provider, "referenceIdentification", prv.element(3));
    }
    provider
}

/// A subscriber or dependent (2100C/2100D).
fn person_json(name: &NameLoop<'_>) -> Map<String, Value> {
    let mut person = Map::new();
    put(&mut person, "memberId", name.id());
    put(&mut person, "firstName", name.first_name());
    put(&mut person, "lastName", name.last_or_organization_name());
    put(&mut person, "middleName", name.middle_name());
    put(&mut person, "suffix", name.suffix());
    if let Some(dmg) = name.demographics {
        // DMG02 is a CCYYMMDD date when DMG01 is D8 (or omitted); another format is kept as sent.
        put(&mut person, "dateOfBirth", dmg.element(2));
        let gender = dmg.element(3);
        put(&mut person, "gender", gender.and_then(codes::gender).or(gender));
    }
    if let Some(address) = address_json(name) {
        person.insert("address".into(), address);
    }
    if let Some(ins) = name.relationship {
        put(&mut person, "insuredIndicator", ins.element(1));
        let code = ins.element(2);
        put(&mut person, "relationToSubscriberCode", code);
        put(&mut person, "relationToSubscriber", code.and_then(codes::relationship));
        put(&mut person, "maintenanceTypeCode", ins.element(3));
        put(&mut person, "maintenanceReasonCode", ins.element(4));
        put(&mut person, "birthSequenceNumber", ins.element(17));
    }
    for (key, value) in references_json(&name.references) {
        person.entry(key).or_insert(value);
    }
    let diagnoses: Vec<Value> = name
        .diagnoses
        .iter()
        .flat_map(|hi| (1..=12).filter_map(move |position| hi.element(position).map(|_| (hi, position))))
        .map(|(hi, position)| {
            let mut code = Map::new();
            put(&mut code, "diagnosisTypeCode", hi.component(position, 1));
            put(&mut code, "diagnosisCode", hi.component(position, 2));
            Value::Object(code)
        })
        .collect();
    put_array(&mut person, "healthCareDiagnosisCodes", diagnoses);
    person
}

fn traces_json(traces: &[Trace<'_>]) -> Vec<Value> {
    traces
        .iter()
        .map(|trace| {
            let mut object = Map::new();
            put_coded(&mut object, "traceTypeCode", "traceType", trace.trace_type, codes::trace_type);
            put(&mut object, "referenceIdentification", trace.reference);
            put(&mut object, "originatingCompanyIdentifier", trace.originator);
            put(&mut object, "secondaryReferenceIdentification", trace.secondary_reference);
            Value::Object(object)
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------------------
// AAA
// ---------------------------------------------------------------------------------------------------------

fn rejection_json(rejection: &Rejection<'_>) -> Value {
    let mut object = Map::new();
    object.insert("field".into(), Value::String("AAA".into()));
    put(&mut object, "code", rejection.reason_code);
    put(&mut object, "description", rejection.reason_code.map(aaa::description));
    let follow_up = rejection.follow_up;
    let meaning = follow_up.and_then(FollowUpAction::parse).map(FollowUpAction::meaning);
    put(&mut object, "followupAction", meaning.or(follow_up));
    object.insert("location".into(), Value::String(format!("Loop {}", rejection.loop_id())));
    Value::Object(object)
}

/// The AAAs of a level's 2000 and 2100 loops, on the holder (`aaaErrors`) and in the top-level `errors`.
fn attach_rejections(holder: &mut Map<String, Value>, level: &HierarchicalLevel<'_>, errors: &mut Vec<Value>) {
    let rejections: Vec<Value> = level.all_rejections().map(rejection_json).collect();
    errors.extend(rejections.iter().cloned());
    put_array(holder, "aaaErrors", rejections);
}

// ---------------------------------------------------------------------------------------------------------
// Plan information and dates
// ---------------------------------------------------------------------------------------------------------

/// The v3 key of a REF qualifier: the normaliser's table first (so the screening sees what it looks for),
/// then the code list's.
fn reference_key(qualifier: &str) -> Option<&'static str> {
    REFERENCE_KEYS
        .iter()
        .find(|(_, q)| *q == qualifier)
        .map(|(key, _)| *key)
        .or_else(|| codes::reference_key(qualifier))
}

/// REF segments as v3 keys: identifier (REF02) under the qualifier's key, description (REF03) under its own
/// key where the JSON has one. The first REF of a qualifier wins.
fn references_json(references: &[Segment<'_>]) -> Map<String, Value> {
    let mut out = Map::new();
    for reference in references {
        let Some(qualifier) = reference.element(1) else { continue };
        if let Some(key) = reference_key(qualifier)
            && !out.contains_key(key)
        {
            put(&mut out, key, reference.element(2));
            if let Some(description_key) = codes::reference_description_key(qualifier) {
                put(&mut out, description_key, reference.element(3));
            }
        }
    }
    out
}

/// DTP segments as v3 date keys (DTP03 as sent: `CCYYMMDD` or `CCYYMMDD-CCYYMMDD`). The first of a qualifier wins.
fn dates_json(dates: &[Segment<'_>]) -> Map<String, Value> {
    let mut out = Map::new();
    for dtp in dates {
        if let Some(key) = dtp.element(1).and_then(codes::date_key)
            && !out.contains_key(key)
        {
            put(&mut out, key, dtp.element(3));
        }
    }
    out
}

fn plan_information(holders: &[&HierarchicalLevel<'_>]) -> Map<String, Value> {
    let mut out = Map::new();
    for level in holders {
        for name in &level.names {
            for (key, value) in references_json(&name.references) {
                out.entry(key).or_insert(value);
            }
        }
    }
    out
}

fn plan_dates(holders: &[&HierarchicalLevel<'_>]) -> Map<String, Value> {
    let mut out = Map::new();
    for level in holders {
        for name in &level.names {
            for (key, value) in dates_json(&name.dates) {
                out.entry(key).or_insert(value);
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------------------
// Benefits
// ---------------------------------------------------------------------------------------------------------

fn is_status_code(code: &str) -> bool {
    matches!(code, "1" | "2" | "3" | "4" | "5" | "6" | "7" | "8")
}

fn service_types_json(benefit: &BenefitLoop<'_>) -> (Vec<Value>, Vec<Value>) {
    benefit
        .service_types()
        .map(|code| {
            let label = codes::service_type(code).unwrap_or(code);
            (Value::String(code.to_owned()), Value::String(label.to_owned()))
        })
        .unzip()
}

/// The status rows (EB01 `1`-`8`) without a rejection as `planStatus` entries, one per row (the X12 builders' round trip relies on
/// this). Change Healthcare itself merges rows of one status code and plan description into one entry (its
/// sample 000047); the normaliser's coverage finding is the same either way.
fn plan_statuses_json(benefits: &[BenefitLoop<'_>]) -> Vec<Value> {
    benefits
        .iter()
        .filter_map(|benefit| {
            let code = benefit.code().filter(|code| is_status_code(code))?;
            // A status row the payer refused in the same loop (an AAA inside it) states no status: listing it
            // would let an answer whose only status row was refused read as active.
            if !benefit.rejections.is_empty() {
                return None;
            }
            let mut status = Map::new();
            put(&mut status, "statusCode", Some(code));
            put(&mut status, "status", codes::eligibility_code(code));
            put(&mut status, "planDetails", benefit.plan_coverage());
            let (codes, _) = service_types_json(benefit);
            put_array(&mut status, "serviceTypeCodes", codes);
            Some(Value::Object(status))
        })
        .collect()
}

fn related_entity_json(entity: &NameLoop<'_>) -> Value {
    let mut object = Map::new();
    entity_common(&mut object, entity);
    put(&mut object, "entityName", entity.last_or_organization_name());
    put(&mut object, "entityFirstname", entity.first_name());
    put(&mut object, "entityMiddlename", entity.middle_name());
    put(&mut object, "entitySuffix", entity.suffix());
    let qualifier = entity.id_qualifier();
    put(&mut object, "entityIdentification", qualifier.and_then(codes::identification_qualifier).or(qualifier));
    put(&mut object, "entityIdentificationValue", entity.id());
    put(&mut object, "entityRelationship", entity.nm1.element(10));
    if let Some(info) = provider_information_json(entity) {
        object.insert("providerInformation".into(), info);
    }
    Value::Object(object)
}

fn delivery_json(hsd: &Segment<'_>) -> Value {
    let mut object = Map::new();
    put_coded(&mut object, "quantityQualifierCode", "quantityQualifier", hsd.element(1), codes::quantity_qualifier);
    put(&mut object, "quantity", hsd.element(2));
    put(&mut object, "unitForMeasurementCode", hsd.element(3));
    put(&mut object, "sampleSelectionModulus", hsd.element(4));
    put_coded(&mut object, "timePeriodQualifierCode", "timePeriodQualifier", hsd.element(5), codes::time_period);
    put(&mut object, "numOfPeriods", hsd.element(6));
    put(&mut object, "deliveryOrCalendarPatternCode", hsd.element(7));
    put(&mut object, "deliveryPatternTimeCode", hsd.element(8));
    Value::Object(object)
}

fn benefit_json(benefit: &BenefitLoop<'_>) -> Value {
    let mut row = Map::new();
    put_coded(&mut row, "code", "name", benefit.code(), codes::eligibility_code);
    put_coded(&mut row, "coverageLevelCode", "coverageLevel", benefit.coverage_level(), codes::coverage_level);
    let (service_codes, service_names) = service_types_json(benefit);
    put_array(&mut row, "serviceTypeCodes", service_codes);
    put_array(&mut row, "serviceTypes", service_names);
    put_coded(&mut row, "insuranceTypeCode", "insuranceType", benefit.insurance_type(), codes::insurance_type);
    put(&mut row, "planCoverage", benefit.plan_coverage());
    put_coded(&mut row, "timeQualifierCode", "timeQualifier", benefit.time_period(), codes::time_period);
    put(&mut row, "benefitAmount", benefit.amount());
    put(&mut row, "benefitPercent", benefit.percent());
    put_coded(
        &mut row,
        "quantityQualifierCode",
        "quantityQualifier",
        benefit.quantity_qualifier(),
        codes::quantity_qualifier,
    );
    put(&mut row, "benefitQuantity", benefit.quantity());
    put(&mut row, "authOrCertIndicator", benefit.authorization_required());
    put_coded(&mut row, "inPlanNetworkIndicatorCode", "inPlanNetworkIndicator", benefit.in_network(), codes::yes_no);
    let procedure: Vec<&str> = benefit.procedure().collect();
    if procedure.iter().any(|component| !component.is_empty()) {
        let mut composite = Map::new();
        put(&mut composite, "productOrServiceIdQualifierCode", procedure.first().copied());
        put(&mut composite, "procedureCode", procedure.get(1).copied());
        let modifiers: Vec<Value> = procedure
            .iter()
            .skip(2)
            .take(4)
            .filter(|modifier| !modifier.is_empty())
            .map(|modifier| Value::String((*modifier).to_owned()))
            .collect();
        put_array(&mut composite, "procedureModifiers", modifiers);
        row.insert("compositeMedicalProcedureIdentifier".into(), Value::Object(composite));
    }
    let pointers: Vec<Value> =
        benefit.diagnosis_pointers().filter(|p| !p.is_empty()).map(|p| Value::String(p.to_owned())).collect();
    put_array(&mut row, "diagnosisCodePointer", pointers);

    put_array(&mut row, "benefitsServiceDelivery", benefit.delivery.iter().map(delivery_json).collect());
    let references = references_json(&benefit.references);
    if !references.is_empty() {
        row.insert("benefitsAdditionalInformation".into(), Value::Object(references));
    }
    let dates = dates_json(&benefit.dates);
    if !dates.is_empty() {
        row.insert("benefitsDateInformation".into(), Value::Object(dates));
    }
    let messages: Vec<Value> = benefit
        .messages
        .iter()
        .filter_map(|msg| msg.element(1))
        .map(|text| {
            let mut object = Map::new();
            put(&mut object, "description", Some(text));
            Value::Object(object)
        })
        .collect();
    put_array(&mut row, "additionalInformation", messages);
    let additional: Vec<Value> = benefit
        .additional
        .iter()
        .map(|iii| {
            let mut object = Map::new();
            put(&mut object, "codeListQualifierCode", iii.element(1));
            put(&mut object, "industryCode", iii.element(2));
            put(&mut object, "codeCategory", iii.element(3));
            put(&mut object, "injuredBodyPartName", iii.element(4));
            Value::Object(object)
        })
        .collect();
    put_array(&mut row, "eligibilityAdditionalInformationList", additional);
    let related: Vec<Value> = benefit.related.iter().map(related_entity_json).collect();
    if let Some(first) = related.first() {
        row.insert("benefitsRelatedEntity".into(), first.clone());
    }
    put_array(&mut row, "benefitsRelatedEntities", related);
    put_array(&mut row, "aaaErrors", benefit.rejections.iter().map(rejection_json).collect());
    Value::Object(row)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::carriers::eligibility_json::interpret_response;
    use crate::carriers::x12::test_support::interchange;
    use crate::carriers::x12::{X12Reply, read_reply};
    use crate::domain::{AttemptResult, CoverageFinding};

    const HEAD: [&str; 6] = [
        "BHT*0022*11*REF1*20260115*0930",
        "HL*1**20*1",
        "NM1*PR*2*SYNTHETIC PAYER*****PI*SYN01",
        "HL*2*1*21*1",
        "NM1*1P*2*BLUEGRASS RECOVERY CLINIC*****XX*1234567893",
        "HL*3*2*22*0",
    ];

    fn documents(rest: &[&str]) -> Vec<Value> {
        let segments: Vec<&str> = HEAD.iter().copied().chain(rest.iter().copied()).collect();
        let text = interchange("271", &segments);
        let X12Reply::Eligibility(answers) = read_reply(text.as_bytes()).expect("readable") else {
            panic!("not a 271")
        };
        answers.iter().flat_map(eligibility_json_all).collect()
    }

    fn document(rest: &[&str]) -> Value {
        documents(rest).remove(0)
    }

    #[test]
    fn a_status_row_the_payer_refused_is_no_plan_status() {
        // Arrange: the only status row carries an AAA in its own loop.
        let text = concat!(
            "ISA*00*          *00*          *ZZ*PAYER          *ZZ*CLINIC         *261127*1200*^*00501*000000001*0*P*:~",
            "GS*HB*PAYER*CLINIC*20261127*1200*1*X*005010X279A1~ST*271*0001*005010X279A1~BHT*0022*11*1*20261127*1200~",
            "HL*1**20*1~NM1*PR*2*BLUEGRASS HEALTH*****PI*BGHP1~HL*2*1*21*1~NM1*1P*2*CLINIC*****XX*1234567893~",
            "HL*3*2*22*0~NM1*IL*1*SAMPLE*JORDAN****MI*ACT1~EB*1**AI~AAA*N**53*C~SE*11*0001~GE*1*1~IEA*1*000000001~",
        );
        let interchange = crate::carriers::x12::parse(text.as_bytes()).expect("parses");
        let transaction = interchange.transactions().next().expect("a 271");
        let answer = crate::carriers::x12::eligibility_271(transaction).expect("a 271 tree");

        // Act
        let doc = eligibility_json(&answer);

        // Assert
        assert!(doc.get("planStatus").is_none(), "{doc}");
        let (result, _) = crate::carriers::eligibility_json::interpret_response(200, None, &doc.to_string());
        assert!(
            !matches!(&result, crate::domain::AttemptResult::Answered(a) if a.finding == crate::domain::CoverageFinding::Active),
            "a refused status row does not make the member active: {result:?}"
        );
    }

    #[test]
    fn an_aaa_inside_a_benefit_loop_stays_on_its_row_and_does_not_reject_the_member() {
        let doc = document(&["NM1*IL*1*ROE*RAY****MI*SYN3", "EB*1**30", "EB*1**AG", "AAA*N**AG*C"]);

        let (result, code) = interpret_response(200, None, &doc.to_string());

        assert_eq!(doc["benefitsInformation"][1]["aaaErrors"][0]["code"], "AG");
        assert!(doc.get("errors").is_none(), "{doc}");
        assert!(matches!(result, AttemptResult::Answered(ref a) if a.finding == CoverageFinding::Active), "{result:?}");
        assert_eq!(code, None);
    }

    #[test]
    fn unknown_codes_are_kept_raw_and_service_type_labels_stay_aligned() {
        let doc = document(&["NM1*IL*1*ROE", "EB*ZZ*QQQ*AI^Q9^MH*X9*PLAN*77*10*.5*ZZ*3*Q*Q"]);

        let row = &doc["benefitsInformation"][0];
        assert_eq!(row["code"], "ZZ");
        assert!(row.get("name").is_none());
        assert_eq!(row["coverageLevelCode"], "QQQ");
        assert_eq!(row["serviceTypeCodes"], serde_json::json!(["AI", "Q9", "MH"]));
        assert_eq!(row["serviceTypes"], serde_json::json!(["Substance Abuse", "Q9", "Mental Health"]));
        assert_eq!(row["insuranceTypeCode"], "X9");
        assert!(row.get("insuranceType").is_none());
        assert_eq!(row["timeQualifierCode"], "77");
        assert_eq!(row["quantityQualifierCode"], "ZZ");
        assert_eq!(row["authOrCertIndicator"], "Q");
        assert_eq!(row["inPlanNetworkIndicatorCode"], "Q");
    }

    #[test]
    fn every_eb_element_has_its_v3_key() {
        let doc = document(&[
            "NM1*IL*1*ROE",
            "EB*B*FAM*98*PR*GOLD PPO*27*25.50*.1*VS*12*N*Y*HC:99213:25*1",
            "HSD*VS*12***34*1",
            "REF*18*PLN7*GOLD",
            "DTP*292*RD8*20260101-20261231",
            "MSG*SPECIALIST VISITS",
            "III*ZZ*11",
        ]);

        let row = &doc["benefitsInformation"][0];
        let expected = serde_json::json!({
            "code": "B", "name": "Co-Payment", "coverageLevelCode": "FAM", "coverageLevel": "Family",
            "serviceTypeCodes": ["98"], "serviceTypes": ["Professional (Physician) Visit - Office"],
            "insuranceTypeCode": "PR", "insuranceType": "Preferred Provider Organization (PPO)",
            "planCoverage": "GOLD PPO", "timeQualifierCode": "27", "timeQualifier": "Visit",
            "benefitAmount": "25.50", "benefitPercent": ".1", "quantityQualifierCode": "VS",
            "quantityQualifier": "Visits", "benefitQuantity": "12", "authOrCertIndicator": "N",
            "inPlanNetworkIndicatorCode": "Y", "inPlanNetworkIndicator": "Yes",
            "compositeMedicalProcedureIdentifier": {
                "productOrServiceIdQualifierCode": "HC", "procedureCode": "99213", "procedureModifiers": ["25"]
            },
            "diagnosisCodePointer": ["1"],
            "benefitsServiceDelivery": [{
                "quantityQualifierCode": "VS", "quantityQualifier": "Visits", "quantity": "12",
                "timePeriodQualifierCode": "34", "timePeriodQualifier": "Month", "numOfPeriods": "1"
            }],
            "benefitsAdditionalInformation": {"planNumber": "PLN7", "planDescription": "GOLD"},
            "benefitsDateInformation": {"benefit": "20260101-20261231"},
            "additionalInformation": [{"description": "SPECIALIST VISITS"}],
            "eligibilityAdditionalInformationList": [{"codeListQualifierCode": "ZZ", "industryCode": "11"}]
        });
        assert_eq!(row, &expected);
    }

    #[test]
    fn secondary_payer_entities_carry_their_role_so_the_screening_can_ignore_them() {
        let doc = document(&[
            "NM1*IL*1*ROE",
            "EB*1**30*PR*CHOICE",
            "EB*R**30*MB",
            "LS*2120",
            "NM1*SEP*2*MEDICARE",
            "LE*2120",
        ]);

        let facts = crate::carriers::json_summary::plan_facts(&doc);

        let entity = &doc["benefitsInformation"][1]["benefitsRelatedEntities"][0];
        assert_eq!(entity["entityIdentifier"], "Secondary Payer");
        assert_eq!(entity["entityType"], "Non-Person Entity");
        assert_eq!(facts.insurance_type_codes, ["PR"], "a secondary Medicare row is not evidence");
    }

    #[test]
    fn every_status_row_gives_one_plan_status_entry() {
        let doc = document(&[
            "NM1*IL*1*ROE",
            "EB*1*ECH*30*PR*OPEN CHOICE",
            "EB*1*ECH*1^33^MH**OPEN CHOICE",
            "EB*6",
            "EB*B**AI",
        ]);

        let expected = serde_json::json!([
            {"statusCode": "1", "status": "Active Coverage", "planDetails": "OPEN CHOICE", "serviceTypeCodes": ["30"]},
            {"statusCode": "1", "status": "Active Coverage", "planDetails": "OPEN CHOICE",
             "serviceTypeCodes": ["1", "33", "MH"]},
            {"statusCode": "6", "status": "Inactive"}
        ]);
        assert_eq!(doc["planStatus"], expected);
    }

    #[test]
    fn a_batch_271_with_two_subscribers_gives_one_document_each() {
        let docs = documents(&[
            "NM1*IL*1*ROE*RAY****MI*SYN3",
            "EB*1**30",
            "HL*4*2*22*0",
            "NM1*IL*1*DOE*KAY****MI*SYN4",
            "EB*6**30",
        ]);

        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0]["subscriber"]["memberId"], "SYN3");
        assert_eq!(docs[1]["subscriber"]["memberId"], "SYN4");
        assert_eq!(docs[1]["planStatus"][0]["statusCode"], "6");
        assert_eq!(docs[1]["payer"]["payorIdentification"], "SYN01");
        assert_eq!(docs[1]["tradingPartnerServiceId"], "SYN01");
    }

    #[test]
    fn a_271_with_only_a_source_level_rejection_still_names_the_payer_and_the_error() {
        let segments = ["HL*1**20*0", "NM1*PR*2*SYNTHETIC PAYER*****PI*SYN01", "AAA*N**42*R"];
        let text = interchange("271", &segments);
        let X12Reply::Eligibility(answers) = read_reply(text.as_bytes()).expect("readable") else { panic!() };

        let doc = eligibility_json(&answers[0]);

        assert_eq!(doc["payer"]["name"], "SYNTHETIC PAYER");
        assert_eq!(doc["errors"][0]["location"], "Loop 2100A");
        assert!(doc.get("subscriber").is_none());
        assert_eq!(doc["controlNumber"], "0001", "ST02 when there is no BHT");
    }

    #[test]
    fn person_details_dates_and_references_map_to_their_keys() {
        let doc = document(&[
            "NM1*IL*1*ROE*RAY*Q**JR*MI*SYN3",
            "REF*6P*GRP1*COAL MINERS UNION",
            "REF*F6*HIC123",
            "REF*ZZ*UNKNOWN QUALIFIER",
            "N3*10 MAIN ST*APT 2",
            "N4*PIKEVILLE*KY*41501",
            "DMG*D8*19700101*F",
            "INS*Y*18*001*25",
            "HI*ABK:F1120*ABF:Z9189",
            "DTP*307*RD8*20260101-20260131",
            "DTP*307*D8*20990101",
        ]);

        let subscriber = &doc["subscriber"];
        assert_eq!(subscriber["middleName"], "Q");
        assert_eq!(subscriber["suffix"], "JR");
        assert_eq!(subscriber["gender"], "F");
        assert_eq!(subscriber["relationToSubscriber"], "Self");
        assert_eq!(subscriber["address"]["address2"], "APT 2");
        assert_eq!(subscriber["healthCareDiagnosisCodes"][1]["diagnosisCode"], "Z9189");
        assert_eq!(doc["planInformation"]["groupNumber"], "GRP1");
        assert_eq!(doc["planInformation"]["groupDescription"], "COAL MINERS UNION");
        assert_eq!(doc["planInformation"]["hicNumber"], "HIC123");
        assert_eq!(doc["planInformation"].as_object().map(Map::len), Some(3), "unknown qualifiers stay in the tree");
        assert_eq!(doc["planDateInformation"]["eligibility"], "20260101-20260131", "the first DTP of a qualifier wins");
    }
}
