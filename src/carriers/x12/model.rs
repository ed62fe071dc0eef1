//! The loops of a 005010X279A1 271 (and of a 270, which has the same hierarchy): the HL tree of information
//! source (20), receiver (21), subscriber (22) and dependent (23) levels, each with its 2100 name loop and, for
//! subscribers and dependents, trace numbers and the 2110 benefit loops (EB with HSD, REF, DTP, AAA, MSG, the
//! 2115 III and the LS/LE-bracketed 2120 related entities) or, in a 270, the 2110 inquiry loops (EQ).
//!
//! Everything borrows from the input. Nothing a payer sent is dropped: unknown codes stay raw strings, and a
//! segment with no place in the guide is kept in the `other` list of the loop it appeared in. Structural
//! oddities (an HL whose parent is unknown, an LS without LE) become [`StructureWarning`]s, not errors.
//!
//! PHI: names, member IDs, dates of birth and addresses are only reachable through [`Segment`]s, whose `Debug`
//! output shows ids and positions; the `Debug` output of every type here is therefore free of PHI.

use std::collections::HashMap;

use super::{Segment, Transaction, X12Error};

/// Deepest HL nesting kept as such: the guide uses four levels; anything deeper is attached at the top so that
/// a hostile parent chain cannot build an arbitrarily deep tree.
const MAX_DEPTH: usize = 8;

/// A 271 (or 270) transaction read into its loops.
#[derive(Debug, Clone)]
pub struct Eligibility271<'a> {
    /// ST01: `271` (or `270`).
    pub set_id: &'a str,
    /// ST02, the transaction set control number.
    pub control_number: &'a str,
    /// The BHT segment (BHT03 is the submitter's transaction reference, echoed from the 270).
    pub bht: Option<Segment<'a>>,
    /// The top levels of the HL tree: normally one information source (HL03 `20`).
    pub sources: Vec<HierarchicalLevel<'a>>,
    /// Segments before the first HL other than the BHT.
    pub other: Vec<Segment<'a>>,
    /// What was odd about the structure without preventing reading.
    pub warnings: Vec<StructureWarning<'a>>,
}

/// Something odd in a transaction's loop structure. Names segment ids and positions only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StructureWarning<'a> {
    /// The segment's position in the interchange.
    pub index: usize,
    /// The segment id.
    pub segment: &'a str,
    /// What is odd.
    pub reason: &'static str,
}

impl std::fmt::Display for StructureWarning<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "segment {} ({}): {}", self.index, self.segment, self.reason)
    }
}

/// The level an HL segment opens (HL03).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LevelCode<'a> {
    /// `20`: the payer answering (loop 2000A).
    InformationSource,
    /// `21`: the provider asking (loop 2000B).
    InformationReceiver,
    /// `22`: the subscriber, i.e. the policy holder (loop 2000C).
    Subscriber,
    /// `23`: a dependent on the subscriber's policy (loop 2000D).
    Dependent,
    /// Any other code, kept as sent.
    Other(&'a str),
}

impl<'a> LevelCode<'a> {
    /// Reads HL03.
    pub fn from_code(code: &'a str) -> Self {
        match code {
            "20" => LevelCode::InformationSource,
            "21" => LevelCode::InformationReceiver,
            "22" => LevelCode::Subscriber,
            "23" => LevelCode::Dependent,
            other => LevelCode::Other(other),
        }
    }

    /// The code as sent.
    pub fn code(&self) -> &'a str {
        match self {
            LevelCode::InformationSource => "20",
            LevelCode::InformationReceiver => "21",
            LevelCode::Subscriber => "22",
            LevelCode::Dependent => "23",
            LevelCode::Other(code) => code,
        }
    }

    /// The loop letter of the implementation guide: `A` source, `B` receiver, `C` subscriber, `D` dependent.
    pub fn loop_letter(&self) -> &'static str {
        match self {
            LevelCode::InformationSource => "A",
            LevelCode::InformationReceiver => "B",
            LevelCode::Subscriber => "C",
            LevelCode::Dependent => "D",
            LevelCode::Other(_) => "",
        }
    }

    /// The level code its parent normally has: 20 for 21, 21 for 22, 22 for 23.
    fn expected_parent(&self) -> Option<&'static str> {
        match self {
            LevelCode::InformationReceiver => Some("20"),
            LevelCode::Subscriber => Some("21"),
            LevelCode::Dependent => Some("22"),
            _ => None,
        }
    }
}

/// One HL level with everything under it.
#[derive(Debug, Clone)]
pub struct HierarchicalLevel<'a> {
    /// The HL segment.
    pub hl: Segment<'a>,
    /// HL01, the level's id.
    pub id: &'a str,
    /// HL02, the parent level's id.
    pub parent_id: Option<&'a str>,
    /// HL03, what the level is.
    pub code: LevelCode<'a>,
    /// HL04, the hierarchical child code (`1` has children, `0` has none).
    pub child_code: Option<&'a str>,
    /// TRN trace numbers (subscriber and dependent levels).
    pub traces: Vec<Trace<'a>>,
    /// AAA segments directly in the 2000 loop (e.g. 2000A "request validation" of the information source).
    pub rejections: Vec<Rejection<'a>>,
    /// The 2100 name loops; the guide has one, a second NM1 is kept as another.
    pub names: Vec<NameLoop<'a>>,
    /// The 2110 benefit loops (271).
    pub benefits: Vec<BenefitLoop<'a>>,
    /// The 2110 inquiry loops (270).
    pub inquiries: Vec<InquiryLoop<'a>>,
    /// Segments of the 2000 loop with no place in the guide.
    pub other: Vec<Segment<'a>>,
    /// The levels under this one.
    pub children: Vec<HierarchicalLevel<'a>>,
}

impl<'a> HierarchicalLevel<'a> {
    fn new(hl: Segment<'a>) -> Self {
        HierarchicalLevel {
            hl,
            id: hl.element(1).unwrap_or_default(),
            parent_id: hl.element(2),
            code: LevelCode::from_code(hl.element(3).unwrap_or_default()),
            child_code: hl.element(4),
            traces: Vec::new(),
            rejections: Vec::new(),
            names: Vec::new(),
            benefits: Vec::new(),
            inquiries: Vec::new(),
            other: Vec::new(),
            children: Vec::new(),
        }
    }

    /// The 2100 name loop (the first, when a payer sent more than one).
    pub fn name(&self) -> Option<&NameLoop<'a>> {
        self.names.first()
    }

    /// Every AAA of the level and its name loops (not those of its benefit loops), with where each was.
    pub fn all_rejections(&self) -> impl Iterator<Item = &Rejection<'a>> {
        self.rejections.iter().chain(self.names.iter().flat_map(|name| name.rejections.iter()))
    }

    /// The levels under this one with the given code, at any depth below.
    pub fn descendants(&self) -> Vec<&HierarchicalLevel<'a>> {
        let mut out = Vec::new();
        let mut stack: Vec<&HierarchicalLevel<'a>> = self.children.iter().rev().collect();
        while let Some(level) = stack.pop() {
            out.push(level);
            stack.extend(level.children.iter().rev());
        }
        out
    }

    /// The loop id of this level's 2000, 2100 or 2110 loop, e.g. `2100C` for `loop_number` 2100 of a subscriber.
    pub fn loop_id(&self, loop_number: u16) -> String {
        format!("{loop_number}{}", self.code.loop_letter())
    }
}

/// A TRN segment: a trace number (TRN01 `1` current, `2` referenced; TRN02 the number; TRN03 who assigned it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trace<'a> {
    /// The TRN segment.
    pub segment: Segment<'a>,
    /// TRN01, the trace type code.
    pub trace_type: Option<&'a str>,
    /// TRN02, the reference identification (the trace number).
    pub reference: Option<&'a str>,
    /// TRN03, the originating company identifier.
    pub originator: Option<&'a str>,
    /// TRN04, a secondary reference.
    pub secondary_reference: Option<&'a str>,
}

impl<'a> Trace<'a> {
    fn new(segment: Segment<'a>) -> Self {
        Trace {
            segment,
            trace_type: segment.element(1),
            reference: segment.element(2),
            originator: segment.element(3),
            secondary_reference: segment.element(4),
        }
    }
}

/// Where an AAA segment was: the level and the loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RejectionScope {
    /// Directly in the 2000 loop of the level (after HL).
    Level,
    /// In the 2100 name loop.
    Name,
    /// In a 2110 benefit loop.
    Benefit,
}

/// An AAA segment: the payer could not answer (part of) the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rejection<'a> {
    /// The AAA segment.
    pub segment: Segment<'a>,
    /// The HL level it belongs to.
    pub level: LevelCode<'a>,
    /// The loop inside the level.
    pub scope: RejectionScope,
    /// AAA01, the valid request indicator (`Y`/`N`).
    pub valid_request: Option<&'a str>,
    /// AAA03, the reject reason code (e.g. `72`, `75`, `42`).
    pub reason_code: Option<&'a str>,
    /// AAA04, the follow-up action code (e.g. `C` please correct and resubmit, `R` resubmission allowed).
    pub follow_up: Option<&'a str>,
}

impl<'a> Rejection<'a> {
    fn new(segment: Segment<'a>, level: LevelCode<'a>, scope: RejectionScope) -> Self {
        Rejection {
            segment,
            level,
            scope,
            valid_request: segment.element(1),
            reason_code: segment.element(3),
            follow_up: segment.element(4),
        }
    }

    /// The implementation guide's loop id, e.g. `2100C` for a subscriber name loop, `2000A` for the source.
    pub fn loop_id(&self) -> String {
        let number = match self.scope {
            RejectionScope::Level => 2000,
            RejectionScope::Name => 2100,
            RejectionScope::Benefit => 2110,
        };
        format!("{number}{}", self.level.loop_letter())
    }
}

/// A name loop: 2100A-D (the level's entity) or a 2120 related entity in a benefit loop.
#[derive(Debug, Clone)]
pub struct NameLoop<'a> {
    /// For a 2120 entity, the LS01 loop identifier that bracketed it (`2120`); `None` for a 2100 loop, or an
    /// NM1 a payer sent after an EB without LS.
    pub bracket: Option<&'a str>,
    /// The NM1 segment.
    pub nm1: Segment<'a>,
    /// REF segments (2100: member, group, plan and other identifiers).
    pub references: Vec<Segment<'a>>,
    /// N3 (street address).
    pub street: Option<Segment<'a>>,
    /// N4 (city, state, postal code).
    pub city: Option<Segment<'a>>,
    /// PER segments (contact information).
    pub contacts: Vec<Segment<'a>>,
    /// PRV (provider information).
    pub provider: Option<Segment<'a>>,
    /// DMG (date of birth, gender).
    pub demographics: Option<Segment<'a>>,
    /// INS (relationship to the subscriber).
    pub relationship: Option<Segment<'a>>,
    /// HI (health care diagnosis codes).
    pub diagnoses: Vec<Segment<'a>>,
    /// DTP segments (plan, eligibility and other dates).
    pub dates: Vec<Segment<'a>>,
    /// MPI (military personnel information).
    pub military: Vec<Segment<'a>>,
    /// AAA segments of the loop.
    pub rejections: Vec<Rejection<'a>>,
    /// Segments with no place in the loop, kept as sent.
    pub other: Vec<Segment<'a>>,
}

impl<'a> NameLoop<'a> {
    fn new(nm1: Segment<'a>, bracket: Option<&'a str>) -> Self {
        NameLoop {
            bracket,
            nm1,
            references: Vec::new(),
            street: None,
            city: None,
            contacts: Vec::new(),
            provider: None,
            demographics: None,
            relationship: None,
            diagnoses: Vec::new(),
            dates: Vec::new(),
            military: Vec::new(),
            rejections: Vec::new(),
            other: Vec::new(),
        }
    }

    /// NM101, the entity identifier code (`PR` payer, `1P` provider, `IL` subscriber, `03` dependent, `P3`
    /// primary care provider, `PRP` primary payer, ...).
    pub fn entity_code(&self) -> Option<&'a str> {
        self.nm1.element(1)
    }

    /// NM102, the entity type (`1` person, `2` organisation).
    pub fn entity_type(&self) -> Option<&'a str> {
        self.nm1.element(2)
    }

    /// NM103, the organisation's name or the person's last name. PHI for people.
    pub fn last_or_organization_name(&self) -> Option<&'a str> {
        self.nm1.element(3)
    }

    /// NM104, the first name. PHI.
    pub fn first_name(&self) -> Option<&'a str> {
        self.nm1.element(4)
    }

    /// NM105, the middle name. PHI.
    pub fn middle_name(&self) -> Option<&'a str> {
        self.nm1.element(5)
    }

    /// NM107, the name suffix.
    pub fn suffix(&self) -> Option<&'a str> {
        self.nm1.element(7)
    }

    /// NM108, the identification code qualifier (`MI` member ID, `PI` payer ID, `XX` NPI, `SV`, `FI`, ...).
    pub fn id_qualifier(&self) -> Option<&'a str> {
        self.nm1.element(8)
    }

    /// NM109, the identification code (a member ID is PHI).
    pub fn id(&self) -> Option<&'a str> {
        self.nm1.element(9)
    }

    /// The first REF with qualifier `qualifier` (REF01), as (REF02 identifier, REF03 description).
    pub fn reference(&self, qualifier: &str) -> Option<(Option<&'a str>, Option<&'a str>)> {
        self.references
            .iter()
            .find(|reference| reference.element(1) == Some(qualifier))
            .map(|reference| (reference.element(2), reference.element(3)))
    }

    /// The first DTP with qualifier `qualifier` (DTP01), as (DTP02 format, DTP03 value).
    pub fn date(&self, qualifier: &str) -> Option<(Option<&'a str>, Option<&'a str>)> {
        self.dates.iter().find(|dtp| dtp.element(1) == Some(qualifier)).map(|dtp| (dtp.element(2), dtp.element(3)))
    }
}

/// A 2110 benefit loop: one EB and what follows it.
#[derive(Debug, Clone)]
pub struct BenefitLoop<'a> {
    /// The EB segment; its elements are read with the accessor methods.
    pub eb: Segment<'a>,
    /// HSD segments (delivery pattern: visits per period and the like).
    pub delivery: Vec<Segment<'a>>,
    /// REF segments (plan, group and network identifiers of the benefit).
    pub references: Vec<Segment<'a>>,
    /// DTP segments (benefit dates).
    pub dates: Vec<Segment<'a>>,
    /// AAA segments about this benefit.
    pub rejections: Vec<Rejection<'a>>,
    /// MSG segments (free-form messages).
    pub messages: Vec<Segment<'a>>,
    /// III segments (loop 2115: place of service, nature of injury).
    pub additional: Vec<Segment<'a>>,
    /// Related entities (loop 2120, normally bracketed by LS/LE): other payers, carve-out administrators,
    /// primary care providers.
    pub related: Vec<NameLoop<'a>>,
    /// Segments with no place in the loop, kept as sent.
    pub other: Vec<Segment<'a>>,
}

impl<'a> BenefitLoop<'a> {
    fn new(eb: Segment<'a>) -> Self {
        BenefitLoop {
            eb,
            delivery: Vec::new(),
            references: Vec::new(),
            dates: Vec::new(),
            rejections: Vec::new(),
            messages: Vec::new(),
            additional: Vec::new(),
            related: Vec::new(),
            other: Vec::new(),
        }
    }

    /// EB01, the eligibility or benefit information code (`1` active, `6` inactive, `A` co-insurance, `B`
    /// co-payment, `C` deductible, `F` limitations, `G` out of pocket, `R` other payer, ...).
    pub fn code(&self) -> Option<&'a str> {
        self.eb.element(1)
    }

    /// EB02, the coverage level (`IND`, `FAM`, `EMP`, ...).
    pub fn coverage_level(&self) -> Option<&'a str> {
        self.eb.element(2)
    }

    /// EB03, the service type codes (a repeating element: `30^AI^MH`).
    pub fn service_types(&self) -> impl Iterator<Item = &'a str> + use<'a> {
        self.eb.repetitions(3).filter(|code| !code.is_empty())
    }

    /// EB04, the insurance type (`PR`, `HM`, `MA`, `MB`, `MC`, `HN`, ...).
    pub fn insurance_type(&self) -> Option<&'a str> {
        self.eb.element(4)
    }

    /// EB05, the plan coverage description.
    pub fn plan_coverage(&self) -> Option<&'a str> {
        self.eb.element(5)
    }

    /// EB06, the time period qualifier (`23` calendar year, `29` remaining, ...).
    pub fn time_period(&self) -> Option<&'a str> {
        self.eb.element(6)
    }

    /// EB07, the monetary amount, as sent (e.g. `1500`, `35.00`).
    pub fn amount(&self) -> Option<&'a str> {
        self.eb.element(7)
    }

    /// EB08, the percentage as a fraction, as sent (e.g. `.2`).
    pub fn percent(&self) -> Option<&'a str> {
        self.eb.element(8)
    }

    /// EB09, the quantity qualifier (`VS` visits, `DY` days, ...).
    pub fn quantity_qualifier(&self) -> Option<&'a str> {
        self.eb.element(9)
    }

    /// EB10, the quantity, as sent.
    pub fn quantity(&self) -> Option<&'a str> {
        self.eb.element(10)
    }

    /// EB11, the authorisation or certification indicator (`Y`, `N`, `U`).
    pub fn authorization_required(&self) -> Option<&'a str> {
        self.eb.element(11)
    }

    /// EB12, the in-plan network indicator (`Y`, `N`, `W` not applicable, `U` unknown).
    pub fn in_network(&self) -> Option<&'a str> {
        self.eb.element(12)
    }

    /// EB13, the composite medical procedure identifier, component by component (qualifier, code, modifiers).
    pub fn procedure(&self) -> impl Iterator<Item = &'a str> + use<'a> {
        self.eb.components(13)
    }

    /// EB14, the composite diagnosis code pointer, component by component.
    pub fn diagnosis_pointers(&self) -> impl Iterator<Item = &'a str> + use<'a> {
        self.eb.components(14)
    }
}

/// A 2110 inquiry loop of a 270: one EQ and what follows it (AMT, III, REF, DTP).
#[derive(Debug, Clone)]
pub struct InquiryLoop<'a> {
    /// The EQ segment: EQ01 service type codes (repeating), EQ02 procedure, EQ03 coverage level.
    pub eq: Segment<'a>,
    /// The segments after the EQ, in order.
    pub segments: Vec<Segment<'a>>,
}

/// Where the next segment of a level goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    /// After HL, before NM1.
    Level,
    /// In the 2100 name loop.
    Name,
    /// In a 2110 benefit loop.
    Benefit,
    /// In a 2120 related entity (`bracketed` when it began with LS).
    Related { bracketed: bool },
    /// Between LS and the first NM1.
    Bracket,
    /// In a 2110 inquiry loop.
    Inquiry,
}

/// Reads a 271 (or 270) transaction into its loops.
///
/// Errors only when the transaction is not a 271 or 270; every oddity in the loop structure is kept as a
/// [`StructureWarning`], and every segment is kept somewhere.
pub fn eligibility_271<'a>(transaction: &Transaction<'a>) -> Result<Eligibility271<'a>, X12Error> {
    if !matches!(transaction.set_id, "271" | "270") {
        return Err(X12Error::WrongTransactionSet {
            expected: "271",
            found: super::envelope::short_code(transaction.set_id),
        });
    }
    let mut answer = Eligibility271 {
        set_id: transaction.set_id,
        control_number: transaction.control_number,
        bht: None,
        sources: Vec::new(),
        other: Vec::new(),
        warnings: Vec::new(),
    };
    // Levels in document order; assembled into a tree at the end.
    let mut levels: Vec<HierarchicalLevel<'a>> = Vec::new();
    let mut place = Place::Level;
    let mut bracket: Option<&'a str> = None;

    for &segment in &transaction.segments {
        let id = segment.id();
        if id == "HL" {
            if matches!(place, Place::Related { bracketed: true } | Place::Bracket) {
                answer.warnings.push(warn(&segment, "LS loop not closed by LE before the next HL"));
            }
            levels.push(HierarchicalLevel::new(segment));
            place = Place::Level;
            continue;
        }
        let Some(level) = levels.last_mut() else {
            if id == "BHT" && answer.bht.is_none() {
                answer.bht = Some(segment);
            } else {
                answer.other.push(segment);
            }
            continue;
        };
        let level_code = level.code;
        match (id, place) {
            ("TRN", _) => level.traces.push(Trace::new(segment)),
            ("EB", _) => {
                if matches!(place, Place::Related { bracketed: true } | Place::Bracket) {
                    answer.warnings.push(warn(&segment, "LS loop not closed by LE before the next EB"));
                }
                level.benefits.push(BenefitLoop::new(segment));
                place = Place::Benefit;
            }
            ("EQ", _) => {
                level.inquiries.push(InquiryLoop { eq: segment, segments: Vec::new() });
                place = Place::Inquiry;
            }
            ("NM1", Place::Level | Place::Name) => {
                level.names.push(NameLoop::new(segment, None));
                place = Place::Name;
            }
            ("LS", Place::Benefit | Place::Related { bracketed: false }) => {
                bracket = Some(segment.element(1).unwrap_or_default());
                place = Place::Bracket;
            }
            ("LE", Place::Bracket | Place::Related { bracketed: true }) => {
                bracket = None;
                place = Place::Benefit;
            }
            ("LE" | "LS", _) => {
                answer.warnings.push(warn(&segment, "LS/LE out of place"));
                push_other(level, place, segment);
            }
            ("NM1", Place::Benefit | Place::Bracket | Place::Related { .. }) => {
                let bracketed = matches!(place, Place::Bracket | Place::Related { bracketed: true });
                if !bracketed {
                    answer.warnings.push(warn(&segment, "related entity NM1 without LS"));
                }
                if let Some(benefit) = level.benefits.last_mut() {
                    benefit.related.push(NameLoop::new(segment, if bracketed { bracket } else { None }));
                }
                place = Place::Related { bracketed };
            }
            ("NM1", Place::Inquiry) => push_other(level, place, segment),
            (_, Place::Name) => {
                if let Some(name) = level.names.last_mut() {
                    file_name_segment(name, segment, level_code, RejectionScope::Name);
                }
            }
            (_, Place::Related { .. }) => {
                if let Some(entity) = level.benefits.last_mut().and_then(|benefit| benefit.related.last_mut()) {
                    file_name_segment(entity, segment, level_code, RejectionScope::Benefit);
                }
            }
            (_, Place::Benefit | Place::Bracket) => {
                if let Some(benefit) = level.benefits.last_mut() {
                    file_benefit_segment(benefit, segment, level_code);
                }
            }
            (_, Place::Inquiry) => {
                if let Some(inquiry) = level.inquiries.last_mut() {
                    inquiry.segments.push(segment);
                }
            }
            ("AAA", Place::Level) => level.rejections.push(Rejection::new(segment, level_code, RejectionScope::Level)),
            (_, Place::Level) => level.other.push(segment),
        }
    }
    if matches!(place, Place::Related { bracketed: true } | Place::Bracket)
        && let Some(last) = transaction.segments.last()
    {
        answer.warnings.push(warn(last, "LS loop not closed by LE at the end of the transaction"));
    }
    answer.sources = assemble(levels, &mut answer.warnings);
    Ok(answer)
}

fn warn<'a>(segment: &Segment<'a>, reason: &'static str) -> StructureWarning<'a> {
    StructureWarning { index: segment.index(), segment: segment.id(), reason }
}

/// Keeps a segment that has no place where it appeared in the loop it appeared in.
fn push_other<'a>(level: &mut HierarchicalLevel<'a>, place: Place, segment: Segment<'a>) {
    let target = match place {
        Place::Level => &mut level.other,
        Place::Name => match level.names.last_mut() {
            Some(name) => &mut name.other,
            None => &mut level.other,
        },
        Place::Benefit | Place::Bracket | Place::Related { .. } => match level.benefits.last_mut() {
            Some(benefit) => &mut benefit.other,
            None => &mut level.other,
        },
        Place::Inquiry => match level.inquiries.last_mut() {
            Some(inquiry) => &mut inquiry.segments,
            None => &mut level.other,
        },
    };
    target.push(segment);
}

fn file_name_segment<'a>(name: &mut NameLoop<'a>, segment: Segment<'a>, level: LevelCode<'a>, scope: RejectionScope) {
    match segment.id() {
        "REF" => name.references.push(segment),
        "N3" if name.street.is_none() => name.street = Some(segment),
        "N4" if name.city.is_none() => name.city = Some(segment),
        "PER" => name.contacts.push(segment),
        "PRV" if name.provider.is_none() => name.provider = Some(segment),
        "DMG" if name.demographics.is_none() => name.demographics = Some(segment),
        "INS" if name.relationship.is_none() => name.relationship = Some(segment),
        "HI" => name.diagnoses.push(segment),
        "DTP" => name.dates.push(segment),
        "MPI" => name.military.push(segment),
        "AAA" => name.rejections.push(Rejection::new(segment, level, scope)),
        _ => name.other.push(segment),
    }
}

fn file_benefit_segment<'a>(benefit: &mut BenefitLoop<'a>, segment: Segment<'a>, level: LevelCode<'a>) {
    match segment.id() {
        "HSD" => benefit.delivery.push(segment),
        "REF" => benefit.references.push(segment),
        "DTP" => benefit.dates.push(segment),
        "AAA" => benefit.rejections.push(Rejection::new(segment, level, RejectionScope::Benefit)),
        "MSG" => benefit.messages.push(segment),
        "III" => benefit.additional.push(segment),
        _ => benefit.other.push(segment),
    }
}

/// Builds the HL tree from levels in document order. A level's parent is the earlier level whose HL01 its
/// HL02 names; when there is none (HL02 missing or unknown), the latest earlier level of the code the guide puts
/// above it (20 above 21, ...); else it is a top level. A parent always precedes its child, so attaching in
/// reverse order moves every subtree whole, without recursion.
fn assemble<'a>(
    levels: Vec<HierarchicalLevel<'a>>,
    warnings: &mut Vec<StructureWarning<'a>>,
) -> Vec<HierarchicalLevel<'a>> {
    let mut by_id: HashMap<&'a str, usize> = HashMap::with_capacity(levels.len());
    let mut parents: Vec<Option<usize>> = Vec::with_capacity(levels.len());
    let mut depths: Vec<usize> = Vec::with_capacity(levels.len());
    let mut latest_by_code: HashMap<&'a str, usize> = HashMap::new();
    for (index, level) in levels.iter().enumerate() {
        let named = level.parent_id.and_then(|parent| by_id.get(parent).copied());
        if level.parent_id.is_some() && named.is_none() {
            warnings.push(warn(&level.hl, "HL02 names no earlier level"));
        }
        let fallback = || level.code.expected_parent().and_then(|code| latest_by_code.get(code).copied());
        let mut parent = named.or_else(fallback);
        let depth = parent.and_then(|p| depths.get(p).copied()).map_or(0, |d| d + 1);
        if depth >= MAX_DEPTH {
            warnings.push(warn(&level.hl, "HL nesting deeper than the guide allows; kept as a top level"));
            parent = None;
        }
        parents.push(parent);
        depths.push(if parent.is_some() { depth } else { 0 });
        if !level.id.is_empty() {
            by_id.insert(level.id, index);
        }
        latest_by_code.insert(level.code.code(), index);
    }
    let mut slots: Vec<Option<HierarchicalLevel<'a>>> = levels.into_iter().map(Some).collect();
    for index in (0..slots.len()).rev() {
        let Some(parent) = parents.get(index).copied().flatten() else { continue };
        let Some(child) = slots.get_mut(index).and_then(Option::take) else { continue };
        if let Some(Some(parent_level)) = slots.get_mut(parent) {
            parent_level.children.push(child);
        }
    }
    let mut roots: Vec<HierarchicalLevel<'a>> = slots.into_iter().flatten().collect();
    // Children were attached last first; restore document order, iteratively (depth is bounded anyway).
    let mut stack: Vec<&mut HierarchicalLevel<'a>> = roots.iter_mut().collect();
    while let Some(level) = stack.pop() {
        level.children.reverse();
        stack.extend(level.children.iter_mut());
    }
    roots
}

impl<'a> Eligibility271<'a> {
    /// Every level in document order (pre-order over the tree).
    pub fn levels(&self) -> Vec<&HierarchicalLevel<'a>> {
        let mut out = Vec::new();
        for source in &self.sources {
            out.push(source);
            out.extend(source.descendants());
        }
        out
    }

    /// The information source level (HL03 `20`), the first one.
    pub fn source(&self) -> Option<&HierarchicalLevel<'a>> {
        self.levels().into_iter().find(|level| level.code == LevelCode::InformationSource)
    }

    /// The information receiver level (HL03 `21`), the first one.
    pub fn receiver(&self) -> Option<&HierarchicalLevel<'a>> {
        self.levels().into_iter().find(|level| level.code == LevelCode::InformationReceiver)
    }

    /// Every subscriber level (HL03 `22`), in order.
    pub fn subscribers(&self) -> Vec<&HierarchicalLevel<'a>> {
        self.levels().into_iter().filter(|level| level.code == LevelCode::Subscriber).collect()
    }

    /// Every AAA in the transaction, at any level and loop, in document order of levels.
    pub fn rejections(&self) -> Vec<&Rejection<'a>> {
        let mut out = Vec::new();
        for level in self.levels() {
            out.extend(level.all_rejections());
            out.extend(level.benefits.iter().flat_map(|benefit| benefit.rejections.iter()));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::carriers::x12::parse;
    use crate::carriers::x12::test_support::interchange;

    /// Reads the only transaction of `text` into its loops.
    fn read(text: &str) -> Eligibility271<'_> {
        let parsed = parse(text.as_bytes()).expect("parses");
        let transaction = parsed.transactions().next().expect("one transaction").clone();
        eligibility_271(&transaction).expect("a 271")
    }

    const HEAD: [&str; 5] = [
        "BHT*0022*11*REF1*20260115*0930",
        "HL*1**20*1",
        "NM1*PR*2*SYNTHETIC PAYER*****PI*SYN01",
        "HL*2*1*21*1",
        "NM1*1P*2*BLUEGRASS RECOVERY CLINIC*****XX*1234567893",
    ];

    fn with_head(rest: &[&'static str]) -> Vec<&'static str> {
        HEAD.iter().copied().chain(rest.iter().copied()).collect()
    }

    #[test]
    fn levels_nest_by_hl02_and_without_it_by_the_guide_order() {
        // HL 3 names its parent; HL 4 (a dependent) omits HL02 and goes under the latest subscriber.
        let text = interchange(
            "271",
            &with_head(&["HL*3*2*22*1", "NM1*IL*1*ROE*RAY****MI*SYN3", "HL*4**23*0", "NM1*03*1*ROE*KIT"]),
        );

        let answer = read(&text);

        assert_eq!(answer.sources.len(), 1);
        let receiver = &answer.sources[0].children[0];
        let subscriber = &receiver.children[0];
        assert_eq!(subscriber.children[0].code, LevelCode::Dependent);
        assert_eq!(subscriber.children[0].name().and_then(NameLoop::entity_code), Some("03"));
        assert!(answer.warnings.is_empty(), "{:?}", answer.warnings);
        assert_eq!(answer.bht.and_then(|bht| bht.element(3)), Some("REF1"));
    }

    #[test]
    fn an_hl_naming_an_unknown_parent_is_a_warning_and_attached_by_its_level_code() {
        let text = interchange("271", &with_head(&["HL*3*99*22*0", "NM1*IL*1*ROE*RAY"]));

        let answer = read(&text);

        assert_eq!(answer.subscribers().len(), 1);
        assert_eq!(answer.sources[0].children[0].children[0].id, "3");
        assert_eq!(answer.warnings[0].reason, "HL02 names no earlier level");
    }

    #[test]
    fn a_hostile_chain_of_thousands_of_levels_is_flattened_not_recursed() {
        // Each HL names the previous one as parent: without the depth cap this would be 20 000 levels deep.
        let segments: Vec<String> = (1..=20_000).map(|id| format!("HL*{id}*{}*22*1", id - 1)).collect();
        let refs: Vec<&str> = segments.iter().map(String::as_str).collect();
        let text = interchange("271", &refs);

        let answer = read(&text);

        assert_eq!(answer.levels().len(), 20_000);
        let depth_of_first = {
            let (mut depth, mut level) = (0, &answer.sources[0]);
            while let Some(child) = level.children.first() {
                depth += 1;
                level = child;
            }
            depth
        };
        assert!(depth_of_first < MAX_DEPTH, "{depth_of_first}");
        assert!(answer.warnings.iter().any(|w| w.reason.contains("deeper")));
    }

    #[test]
    fn aaa_segments_are_kept_with_their_level_and_loop() {
        let text = interchange(
            "271",
            &[
                "HL*1**20*1",
                "AAA*Y**42*R",
                "NM1*PR*2*SYNTHETIC PAYER*****PI*SYN01",
                "AAA*N**79*R",
                "HL*2*1*21*1",
                "NM1*1P*2*CLINIC*****XX*1234567893",
                "AAA*N**43*C",
                "HL*3*2*22*0",
                "NM1*IL*1*ROE*RAY****MI*SYN3",
                "AAA*N**72*C",
                "EB*1**30",
                "AAA*N**AG*C",
            ],
        );

        let answer = read(&text);

        let found: Vec<(Option<&str>, String)> =
            answer.rejections().iter().map(|r| (r.reason_code, r.loop_id())).collect();
        assert_eq!(
            found,
            [
                (Some("42"), "2000A".to_owned()),
                (Some("79"), "2100A".to_owned()),
                (Some("43"), "2100B".to_owned()),
                (Some("72"), "2100C".to_owned()),
                (Some("AG"), "2110C".to_owned()),
            ]
        );
        assert_eq!(answer.rejections()[0].follow_up, Some("R"));
    }

    #[test]
    fn a_benefit_loop_keeps_every_segment_in_its_place() {
        let text = interchange(
            "271",
            &with_head(&[
                "HL*3*2*22*0",
                "NM1*IL*1*ROE*RAY****MI*SYN3",
                "EB*F*IND*AI^CJ*PR*PLAN*23*100*.2*VS*30*Y*N*HC:H0015:HQ*1:2",
                "HSD*VS*30***22*1",
                "REF*18*PLAN01*PLAN NAME",
                "DTP*292*RD8*20260101-20261231",
                "AAA*N**AG*C",
                "MSG*FIRST MESSAGE",
                "MSG*SECOND MESSAGE",
                "III*ZZ*11",
                "ZZZ*KEPT AS SENT",
                "LS*2120",
                "NM1*P3*1*HOLLY*PAT****XX*1234567893",
                "N3*1 MAIN ST",
                "N4*PADUCAH*KY*42001",
                "PER*IC**TE*2705550100",
                "PRV*PE*PXC*207Q00000X",
                "NM1*Y2*2*SECOND ENTITY",
                "LE*2120",
            ]),
        );

        let answer = read(&text);

        let benefit = &answer.subscribers()[0].benefits[0];
        assert_eq!(benefit.code(), Some("F"));
        assert_eq!(benefit.coverage_level(), Some("IND"));
        assert_eq!(benefit.service_types().collect::<Vec<_>>(), ["AI", "CJ"]);
        assert_eq!(benefit.insurance_type(), Some("PR"));
        assert_eq!(benefit.plan_coverage(), Some("PLAN"));
        assert_eq!(benefit.time_period(), Some("23"));
        assert_eq!(benefit.amount(), Some("100"));
        assert_eq!(benefit.percent(), Some(".2"));
        assert_eq!(benefit.quantity_qualifier(), Some("VS"));
        assert_eq!(benefit.quantity(), Some("30"));
        assert_eq!(benefit.authorization_required(), Some("Y"));
        assert_eq!(benefit.in_network(), Some("N"));
        assert_eq!(benefit.procedure().collect::<Vec<_>>(), ["HC", "H0015", "HQ"]);
        assert_eq!(benefit.diagnosis_pointers().collect::<Vec<_>>(), ["1", "2"]);
        assert_eq!(
            (benefit.delivery.len(), benefit.references.len(), benefit.dates.len(), benefit.rejections.len()),
            (1, 1, 1, 1)
        );
        assert_eq!(benefit.messages.len(), 2);
        assert_eq!(benefit.additional.len(), 1);
        assert_eq!(benefit.other.iter().map(|s| s.id()).collect::<Vec<_>>(), ["ZZZ"]);
        assert_eq!(benefit.related.len(), 2);
        let pcp = &benefit.related[0];
        assert_eq!((pcp.entity_code(), pcp.bracket), (Some("P3"), Some("2120")));
        assert!(pcp.street.is_some() && pcp.city.is_some() && pcp.provider.is_some());
        assert_eq!(pcp.contacts.len(), 1);
        assert!(answer.warnings.is_empty(), "{:?}", answer.warnings);
    }

    #[test]
    fn an_nm1_after_an_eb_without_ls_is_still_a_related_entity() {
        let text = interchange(
            "271",
            &with_head(&["HL*3*2*22*0", "NM1*IL*1*ROE", "EB*R**30*MC", "NM1*PRP*2*KENTUCKY MEDICAID", "EB*1**30"]),
        );

        let answer = read(&text);

        let subscriber = answer.subscribers()[0];
        assert_eq!(subscriber.benefits.len(), 2);
        assert_eq!(subscriber.benefits[0].related[0].last_or_organization_name(), Some("KENTUCKY MEDICAID"));
        assert_eq!(subscriber.benefits[0].related[0].bracket, None);
        assert_eq!(answer.warnings[0].reason, "related entity NM1 without LS");
    }

    #[test]
    fn an_unclosed_ls_is_a_warning_and_the_next_eb_still_opens_a_loop() {
        let text = interchange(
            "271",
            &with_head(&["HL*3*2*22*0", "NM1*IL*1*ROE", "EB*1**30", "LS*2120", "NM1*P3*1*HOLLY", "EB*B**AI***27*35"]),
        );

        let answer = read(&text);

        assert_eq!(answer.subscribers()[0].benefits.len(), 2);
        assert!(answer.warnings.iter().any(|w| w.segment == "EB" && w.reason.contains("LE")));
    }

    #[test]
    fn a_270_reads_its_inquiries() {
        let text = interchange(
            "270",
            &[
                "BHT*0022*13*REF1*20260115*0930",
                "HL*1**20*1",
                "NM1*PR*2*PAYER*****PI*SYN01",
                "HL*2*1*21*1",
                "NM1*1P*2*CLINIC*****XX*1234567893",
                "HL*3*2*22*0",
                "TRN*1*TRACE1*9CLINIC",
                "NM1*IL*1*ROE*RAY****MI*SYN3",
                "DMG*D8*19800101",
                "DTP*291*D8*20260115",
                "EQ*30^AI",
                "EQ*MH",
            ],
        );

        let answer = read(&text);

        let subscriber = answer.subscribers()[0];
        assert_eq!(subscriber.inquiries.len(), 2);
        assert_eq!(subscriber.inquiries[0].eq.repetitions(1).collect::<Vec<_>>(), ["30", "AI"]);
        assert_eq!(subscriber.traces[0].reference, Some("TRACE1"));
        assert_eq!(subscriber.name().and_then(|n| n.date("291")), Some((Some("D8"), Some("20260115"))));
    }

    #[test]
    fn other_transaction_sets_are_refused_by_name() {
        let text = interchange("999", &["AK1*HS*1"]);
        let parsed = parse(text.as_bytes()).expect("parses");
        let transaction = parsed.transactions().next().expect("one");

        let error = eligibility_271(transaction).expect_err("not a 271");

        assert_eq!(error, X12Error::WrongTransactionSet { expected: "271", found: "999".to_owned() });
    }

    #[test]
    fn debug_output_of_the_tree_shows_no_names_or_member_ids() {
        let text = interchange("271", &with_head(&["HL*3*2*22*0", "NM1*IL*1*BLUEGRASS*WILMA****MI*KYW99887766"]));

        let answer = read(&text);
        let debug = format!("{answer:?}");

        assert!(debug.contains("NM1"));
        assert!(!debug.contains("WILMA") && !debug.contains("KYW99887766"), "{debug}");
    }
}
