//! A deterministic generator of large synthetic X12 271 (005010X279A1) interchanges, for the X12 benchmark, the
//! peer comparison script (through `examples/generate_271.rs`) and the generator's own tests.
//!
//! Included with `#[path]` by each user, so it depends on `std` only. The same `target_len` always gives the
//! same bytes: the pseudo-random choices come from a fixed-seed SplitMix64, never from the clock or the OS.
//!
//! What it writes: one interchange (`*` elements, `^` repetitions, `:` components, `~` plus a newline after every
//! segment), functional groups of at most [`TRANSACTIONS_PER_GROUP`] 271 transactions, each transaction one
//! information source (HL 20), one information receiver (HL 21) and 1 to 8 subscribers (HL 22), some with a
//! dependent (HL 23) who is the patient. Subscribers are Kentucky-flavoured and synthetic (names from short
//! lists of common names, `555-01xx` style phone numbers, made-up member IDs): no real people. The mix of answers:
//! active commercial plans with the substance-use benefit rows admissions read (plan level 30, AI/AJ/AK, CJ,
//! MH/CF, BB, A6: deductibles, out-of-pocket, copays, coinsurance, visit limits, prior authorisation, `MSG`
//! notes, a behavioural-health carve-out administrator and a primary care provider in 2120 loops), inactive
//! coverage, Medicare Advantage and Medicaid managed-care answers, and AAA rejections (72, 73, 75, 71, 42).
//!
//! Envelope counts (SE01, GE01, IEA01), control numbers and HL numbering are written so that pyx12's
//! `X12Reader` reports no error and node-x12's strict parser accepts the file; trailing empty elements are
//! never written.

/// Most 271 transactions in one functional group before a new GS starts.
pub const TRANSACTIONS_PER_GROUP: usize = 250;

/// The element separator written in the ISA (byte 3).
const ELEMENT: char = '*';
/// The repetition separator written in ISA11.
const REPETITION: char = '^';
/// The component separator written in ISA16.
const COMPONENT: char = ':';
/// The segment terminator (the byte after ISA16), followed by a newline as many senders do.
const TERMINATOR: &str = "~\n";

/// What [`generate_271`] wrote: the interchange and its counts, so a reader can check it saw everything.
pub struct Generated {
    /// The interchange bytes (ASCII).
    pub bytes: Vec<u8>,
    /// Segments written, ISA and IEA included.
    pub segments: usize,
    /// 271 transactions (ST/SE pairs).
    pub transactions: usize,
    /// Functional groups (GS/GE pairs).
    pub groups: usize,
    /// Subscriber loops (HL 22).
    pub subscribers: usize,
    /// Dependent loops (HL 23).
    pub dependents: usize,
}

impl Generated {
    /// One line for people: size and counts.
    pub fn summary(&self) -> String {
        format!(
            "{} bytes, {} segments, {} groups, {} transactions, {} subscribers, {} dependents",
            self.bytes.len(),
            self.segments,
            self.groups,
            self.transactions,
            self.subscribers,
            self.dependents
        )
    }
}

/// Writes a 271 interchange of at least `target_len` bytes (it stops after the transaction that reaches the
/// target, so it is at most one transaction, a few kilobytes, longer). `target_len` 0 still writes one
/// transaction.
pub fn generate_271(target_len: usize) -> Generated {
    let mut w = Writer::new(target_len);
    let mut rng = SplitMix64(0x4B59_2026_0271_0005);
    w.isa();
    let mut group = 0_usize;
    'groups: loop {
        group += 1;
        let group_control = group.to_string();
        w.segment("GS", &["HB", "SANDBOXCH", "BLUEGRASSIOP", "20261127", "1305", &group_control, "X", "005010X279A1"]);
        let mut in_group = 0_usize;
        while in_group < TRANSACTIONS_PER_GROUP {
            in_group += 1;
            w.transactions += 1;
            transaction(&mut w, &mut rng, in_group);
            // Room for the group and interchange trailers is not reserved: overshooting by a few bytes is fine.
            if w.out.len() >= target_len {
                w.segment("GE", &[&in_group.to_string(), &group_control]);
                break 'groups;
            }
        }
        w.segment("GE", &[&in_group.to_string(), &group_control]);
    }
    w.groups = group;
    w.segment("IEA", &[&group.to_string(), INTERCHANGE_CONTROL]);
    Generated {
        bytes: w.out,
        segments: w.segments,
        transactions: w.transactions,
        groups: w.groups,
        subscribers: w.subscribers,
        dependents: w.dependents,
    }
}

/// ISA13 and IEA02: the interchange control number.
const INTERCHANGE_CONTROL: &str = "000027105";

/// Segment writer: joins elements, drops trailing empty ones, counts segments per transaction and in total.
struct Writer {
    out: Vec<u8>,
    segments: usize,
    /// Segments since the current ST, ST included (SE01 counts ST and SE).
    in_transaction: usize,
    transactions: usize,
    groups: usize,
    subscribers: usize,
    dependents: usize,
}

impl Writer {
    fn new(target_len: usize) -> Writer {
        Writer {
            out: Vec::with_capacity(target_len + 16 * 1024),
            segments: 0,
            in_transaction: 0,
            transactions: 0,
            groups: 0,
            subscribers: 0,
            dependents: 0,
        }
    }

    /// The fixed-width ISA (106 bytes with its terminator), as pyx12 and node-x12 require.
    fn isa(&mut self) {
        let isa = format!(
            "ISA{e}00{e}{:10}{e}00{e}{:10}{e}ZZ{e}{:15}{e}ZZ{e}{:15}{e}261127{e}1305{e}{REPETITION}{e}00501{e}{INTERCHANGE_CONTROL}{e}0{e}P{e}{COMPONENT}",
            "",
            "",
            "SANDBOXCH",
            "BLUEGRASSIOP",
            e = ELEMENT,
        );
        debug_assert_eq!(isa.len() + 1, 106, "the ISA is fixed-width");
        self.out.extend_from_slice(isa.as_bytes());
        self.out.extend_from_slice(TERMINATOR.as_bytes());
        self.segments += 1;
    }

    /// Writes `id*e1*e2...~` without trailing empty elements (pyx12 flags those).
    fn segment(&mut self, id: &str, elements: &[&str]) {
        let used = elements.iter().rposition(|e| !e.is_empty()).map_or(0, |last| last + 1);
        self.out.extend_from_slice(id.as_bytes());
        for element in elements.iter().take(used) {
            self.out.push(ELEMENT as u8);
            self.out.extend_from_slice(element.as_bytes());
        }
        self.out.extend_from_slice(TERMINATOR.as_bytes());
        self.segments += 1;
        self.in_transaction += 1;
    }
}

/// SplitMix64: tiny, fast and stable across Rust and crate versions, which a seeded `rand` generator is not.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0); the modulo bias is irrelevant for test data.
    fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// A number in `low..=high`.
    fn between(&mut self, low: u64, high: u64) -> u64 {
        low + self.below(high - low + 1)
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        // The lists below are constants with at least one item; the index is below their length.
        items[self.below(items.len() as u64) as usize]
    }

    /// True with probability `percent` / 100.
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// `len` decimal digits.
    fn digits(&mut self, len: usize) -> String {
        (0..len).map(|_| char::from(b'0' + self.below(10) as u8)).collect()
    }
}

/// A commercial carrier as it names itself in 2100A, its payer ID, a member ID prefix, plan names and the
/// behavioural-health administrator it carves out to.
#[derive(Clone, Copy)]
struct Payer {
    name: &'static str,
    payer_id: &'static str,
    member_prefix: &'static str,
    plans: &'static [&'static str],
    carve_out: Option<&'static str>,
}

const PAYERS: &[Payer] = &[
    Payer {
        name: "ANTHEM BLUE CROSS AND BLUE SHIELD KENTUCKY",
        payer_id: "00660",
        member_prefix: "YRK",
        plans: &["BLUE ACCESS PPO", "BLUE ACCESS CHOICE PPO", "PATHWAY X EPO"],
        carve_out: Some("CARELON BEHAVIORAL HEALTH"),
    },
    Payer {
        name: "HUMANA",
        payer_id: "61101",
        member_prefix: "H",
        plans: &["HUMANA NATIONAL POS", "HUMANA CHOICECARE PPO"],
        carve_out: None,
    },
    Payer {
        name: "UNITEDHEALTHCARE",
        payer_id: "87726",
        member_prefix: "9",
        plans: &["UHC CHOICE PLUS", "UHC NAVIGATE HMO"],
        carve_out: Some("OPTUM BEHAVIORAL HEALTH"),
    },
    Payer {
        name: "UMR",
        payer_id: "39026",
        member_prefix: "8",
        plans: &["UMR CHOICE PLUS PPO"],
        carve_out: Some("OPTUM BEHAVIORAL HEALTH"),
    },
    Payer {
        name: "AETNA",
        payer_id: "60054",
        member_prefix: "W",
        plans: &["AETNA OPEN ACCESS MANAGED CHOICE", "AETNA CHOICE POS II"],
        carve_out: None,
    },
    Payer {
        name: "CIGNA",
        payer_id: "62308",
        member_prefix: "U",
        plans: &["CIGNA OPEN ACCESS PLUS", "CIGNA LOCALPLUS"],
        carve_out: Some("EVERNORTH BEHAVIORAL HEALTH"),
    },
    Payer {
        name: "AMBETTER FROM WELLCARE OF KENTUCKY",
        payer_id: "68069",
        member_prefix: "U7",
        plans: &["AMBETTER BALANCED CARE 4", "AMBETTER ESSENTIAL CARE 1"],
        carve_out: None,
    },
];

/// Commercial insurance types (EB04): PPO, HMO, POS, EPO, commercial, group policy.
const COMMERCIAL_TYPES: &[&str] = &["PR", "HM", "PS", "EP", "C1", "GP"];
const FIRST_NAMES: &[&str] = &[
    "CASEY", "JORDAN", "TAYLOR", "MORGAN", "AVERY", "RILEY", "JAMIE", "DAKOTA", "HARLAN", "ADA", "MAE", "WENDELL",
    "LORETTA", "DALE", "BOBBIE", "TRAVIS", "CHELSEA", "DUSTIN", "KAYLA", "BRANDON", "AMBER", "CODY", "HOLLY", "WESLEY",
    "SHELBY", "GRADY", "OPAL", "VERNON", "ROSALIE", "CLAY",
];
const LAST_NAMES: &[&str] = &[
    "EXAMPLE",
    "SAMPLE",
    "TESTER",
    "BLUEGRASS",
    "CUMBERLAND",
    "LICKING",
    "ROLLINGFORK",
    "BARREN",
    "GREENRIVER",
    "KNOBS",
    "PINEVILLE",
    "HOLLOW",
    "BRIARPATCH",
    "REDBUD",
    "TULIPPOPLAR",
    "CARDINAL",
    "FLATLICK",
    "STONEWALL",
    "MILLCREEK",
    "FALLSCITY",
];
const STREETS: &[&str] = &[
    "BARDSTOWN RD",
    "FRANKFORT AVE",
    "DIXIE HWY",
    "PRESTON HWY",
    "SHELBYVILLE RD",
    "BROADWAY",
    "NICHOLASVILLE RD",
    "TATES CREEK RD",
    "RICHMOND RD",
    "SCOTTSVILLE RD",
    "VERSAILLES RD",
    "MAIN ST",
    "LEXINGTON RD",
    "TAYLORSVILLE RD",
];
/// Kentucky cities with one of their ZIP codes.
const CITIES: &[(&str, &str)] = &[
    ("LOUISVILLE", "40204"),
    ("LOUISVILLE", "40217"),
    ("LOUISVILLE", "40241"),
    ("LEXINGTON", "40502"),
    ("BOWLING GREEN", "42101"),
    ("OWENSBORO", "42301"),
    ("COVINGTON", "41011"),
    ("FRANKFORT", "40601"),
    ("PADUCAH", "42001"),
    ("ELIZABETHTOWN", "42701"),
    ("SHELBYVILLE", "40065"),
    ("BARDSTOWN", "40004"),
    ("HAZARD", "41701"),
    ("PIKEVILLE", "41501"),
    ("SOMERSET", "42501"),
    ("JEFFERSONTOWN", "40299"),
];
const EMPLOYERS: &[&str] = &[
    "LOUISVILLE SAMPLE EMPLOYERS TRUST",
    "BLUEGRASS MANUFACTURING CO",
    "DERBY CITY LOGISTICS",
    "KENTUCKY RIVER HOSPITALITY",
    "BOURBON TRAIL DISTILLING CO",
    "OHIO VALLEY HEALTH WORKERS",
    "COMMONWEALTH SAMPLE BANK",
    "FALLS CITY SAMPLE SCHOOLS",
];
/// Notes payers put in MSG segments of substance-use rows.
const SUBSTANCE_USE_NOTES: &[&str] = &[
    "INTENSIVE OUTPATIENT SUBSTANCE USE TREATMENT",
    "COMBINED IN AND OUT OF NETWORK VISIT LIMIT",
    "PRIOR AUTHORIZATION REQUIRED BEFORE ADMISSION",
    "BEHAVIORAL HEALTH BENEFITS ADMINISTERED SEPARATELY",
    "TELEHEALTH VISITS APPLY TO THE SAME LIMIT",
];

/// One transaction: information source, receiver, 1 to 8 subscribers.
fn transaction(w: &mut Writer, rng: &mut SplitMix64, number: usize) {
    let control = format!("{number:04}");
    w.in_transaction = 0;
    w.segment("ST", &["271", &control, "005010X279A1"]);
    let reference = format!("IV{}", rng.digits(10));
    w.segment("BHT", &["0022", "11", &reference, "20261127", "1305"]);
    let payer = rng.pick(PAYERS);
    w.segment("HL", &["1", "", "20", "1"]);
    w.segment("NM1", &["PR", "2", payer.name, "", "", "", "", "PI", payer.payer_id]);
    let phone = format!("800555{}", rng.digits(4));
    w.segment("PER", &["IC", "PROVIDER SERVICES", "TE", &phone]);
    w.segment("HL", &["2", "1", "21", "1"]);
    w.segment("NM1", &["1P", "2", "BLUEGRASS RECOVERY IOP", "", "", "", "", "XX", "1234567893"]);
    let mut hl = 2_usize;
    for _ in 0..rng.between(1, 8) {
        hl += 1;
        subscriber(w, rng, &payer, &mut hl);
    }
    let count = (w.in_transaction + 1).to_string();
    w.segment("SE", &[&count, &control]);
}

/// What the carrier answered for one patient.
#[derive(Clone, Copy)]
enum Answer {
    Active,
    Inactive,
    MedicareAdvantage,
    MedicaidManagedCare,
    Rejected(&'static str, &'static str),
}

fn answer(rng: &mut SplitMix64) -> Answer {
    match rng.below(100) {
        0..=71 => Answer::Active,
        72..=79 => Answer::Inactive,
        80..=84 => Answer::MedicareAdvantage,
        85..=89 => Answer::MedicaidManagedCare,
        90..=92 => Answer::Rejected("72", "C"),
        93..=94 => Answer::Rejected("73", "C"),
        95..=96 => Answer::Rejected("75", "C"),
        97..=98 => Answer::Rejected("71", "C"),
        _ => Answer::Rejected("42", "R"),
    }
}

/// A synthetic person: name, date of birth, address.
struct Person {
    last: &'static str,
    first: &'static str,
    middle: char,
    dob: String,
    gender: &'static str,
    street: String,
    city: &'static str,
    zip: &'static str,
}

fn person(rng: &mut SplitMix64, last: Option<&'static str>) -> Person {
    let (city, zip) = rng.pick(CITIES);
    Person {
        last: last.unwrap_or_else(|| rng.pick(LAST_NAMES)),
        first: rng.pick(FIRST_NAMES),
        middle: char::from(b'A' + rng.below(26) as u8),
        dob: format!("{}{:02}{:02}", rng.between(1950, 2007), rng.between(1, 12), rng.between(1, 28)),
        gender: if rng.chance(50) { "F" } else { "M" },
        street: format!("{} {}", rng.between(100, 9999), rng.pick(STREETS)),
        city,
        zip,
    }
}

/// A 2000C subscriber loop (and a 2000D dependent when the patient is one). `hl` is this subscriber's HL01;
/// it is advanced past any dependent.
fn subscriber(w: &mut Writer, rng: &mut SplitMix64, payer: &Payer, hl: &mut usize) {
    w.subscribers += 1;
    let has_dependent = rng.chance(12);
    let answer = answer(rng);
    let own = *hl;
    w.segment("HL", &[&own.to_string(), "2", "22", if has_dependent { "1" } else { "0" }]);
    let trace = rng.digits(12);
    w.segment("TRN", &["2", &trace, "9877281234"]);
    let clearinghouse_trace = rng.digits(10);
    w.segment("TRN", &["1", &clearinghouse_trace, "9SANDBOXCH"]);
    let p = person(rng, None);
    let member_id = format!("{}{}", payer.member_prefix, rng.digits(9));
    let middle = p.middle.to_string();
    w.segment("NM1", &["IL", "1", p.last, p.first, &middle, "", "", "MI", &member_id]);
    let group_number = format!("{}M{}", rng.digits(6), rng.digits(3));
    w.segment("REF", &["6P", &group_number, rng.pick(EMPLOYERS)]);
    if matches!(answer, Answer::MedicaidManagedCare) {
        let recipient = rng.digits(10);
        w.segment("REF", &["NQ", &recipient]);
    }
    w.segment("N3", &[&p.street]);
    w.segment("N4", &[p.city, "KY", p.zip]);
    if let (Answer::Rejected(code, follow_up), false) = (answer, has_dependent) {
        w.segment("AAA", &["N", "", code, follow_up]);
        w.segment("DMG", &["D8", &p.dob, p.gender]);
        return;
    }
    w.segment("DMG", &["D8", &p.dob, p.gender]);
    if rng.chance(10) {
        // The payer corrected the subscriber's identifying details (INS04 25, change in identifying data).
        w.segment("INS", &["Y", "18", "001", "25"]);
    }
    w.segment("DTP", &["346", "D8", "20260101"]);
    if !has_dependent {
        benefits(w, rng, payer, answer);
        return;
    }
    // The patient is the subscriber's spouse or child: the benefits are in the 2000D loop.
    w.dependents += 1;
    *hl += 1;
    w.segment("HL", &[&hl.to_string(), &own.to_string(), "23", "0"]);
    let dependent_trace = rng.digits(12);
    w.segment("TRN", &["2", &dependent_trace, "9877281234"]);
    let d = person(rng, Some(p.last));
    let middle = d.middle.to_string();
    w.segment("NM1", &["03", "1", d.last, d.first, &middle]);
    w.segment("N3", &[&p.street]);
    w.segment("N4", &[p.city, "KY", p.zip]);
    if let Answer::Rejected(code, follow_up) = answer {
        // 2100D has its own codes for the patient: 64 invalid patient ID, 65 invalid name, 67 not found.
        let code = match code {
            "72" => "64",
            "73" => "65",
            "75" => "67",
            other => other,
        };
        w.segment("AAA", &["N", "", code, follow_up]);
        w.segment("DMG", &["D8", &d.dob, d.gender]);
        return;
    }
    w.segment("DMG", &["D8", &d.dob, d.gender]);
    w.segment("INS", &["N", if rng.chance(50) { "19" } else { "01" }]);
    w.segment("DTP", &["346", "D8", "20260101"]);
    benefits(w, rng, payer, answer);
}

/// The 2110 EB loops of one patient.
fn benefits(w: &mut Writer, rng: &mut SplitMix64, payer: &Payer, answer: Answer) {
    match answer {
        Answer::Active => active(w, rng, payer),
        Answer::Inactive => {
            let plan = rng.pick(payer.plans);
            w.segment("EB", &["6", "", "30", "", plan]);
            w.segment("DTP", &["291", "RD8", "20250101-20251231"]);
            w.segment("MSG", &["COVERAGE TERMINATED, CONTACT EMPLOYER FOR COBRA OPTIONS"]);
        }
        Answer::MedicareAdvantage => {
            w.segment("EB", &["1", "IND", "30", "HN", "HUMANA GOLD PLUS HMO"]);
            w.segment("DTP", &["291", "D8", "20260101"]);
            w.segment("EB", &["1", "IND", &rep(&["30", "AI", "MH"]), "MA"]);
            w.segment("EB", &["1", "IND", &rep(&["30", "A6", "AI"]), "MB"]);
            w.segment("EB", &["R", "", "88", "OT"]);
            w.segment("REF", &["18", &format!("S{}", rng.digits(4))]);
            w.segment("LS", &["2120"]);
            w.segment("NM1", &["PR", "2", "SAMPLE PART D PRESCRIPTION PLAN"]);
            w.segment("LE", &["2120"]);
        }
        Answer::MedicaidManagedCare => {
            w.segment("EB", &["1", "IND", "30", "MC", "KENTUCKY MEDICAID MANAGED CARE"]);
            w.segment("DTP", &["291", "D8", "20260101"]);
            w.segment("EB", &["R", "", "30", "MC"]);
            w.segment("LS", &["2120"]);
            w.segment("NM1", &["PRP", "2", "PASSPORT HEALTH PLAN BY MOLINA HEALTHCARE", "", "", "", "", "PI", "KYMCD"]);
            w.segment("N4", &["LOUISVILLE", "KY", "40202"]);
            w.segment("LE", &["2120"]);
        }
        // Rejections are answered in 2100 with AAA and no EB loop.
        Answer::Rejected(..) => {}
    }
}

/// Joins repetitions of one element with the repetition separator.
fn rep(values: &[&str]) -> String {
    values.join(&REPETITION.to_string())
}

/// Dollars with cents, as carriers write EB07.
fn dollars(cents: u64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

/// An active commercial plan with plan-level amounts and substance-use, mental-health rows.
fn active(w: &mut Writer, rng: &mut SplitMix64, payer: &Payer) {
    let plan = rng.pick(payer.plans);
    let kind = rng.pick(COMMERCIAL_TYPES);
    let level = if rng.chance(40) { "FAM" } else { "IND" };
    w.segment("EB", &["1", level, "30", kind, plan]);
    let plan_number = format!("{}{}", char::from(b'A' + rng.below(26) as u8), rng.digits(3));
    w.segment("REF", &["18", &plan_number]);
    w.segment("DTP", &["291", "RD8", "20260101-20261231"]);
    // Deductible (C) and out-of-pocket (G), individual and family, in network (Y) and out (N), total per
    // calendar year (23) and remaining (29).
    let deductible = rng.between(5, 60) * 10_000;
    let out_of_pocket = deductible * rng.between(2, 4);
    for (network, factor) in [("Y", 1), ("N", 2)] {
        for (code, total) in [("C", deductible), ("G", out_of_pocket)] {
            for (coverage, family) in [("IND", 1), ("FAM", 2)] {
                let total = total * factor * family;
                let remaining = total - rng.below(total / 100 + 1) * 100;
                for (period, amount) in [("23", total), ("29", remaining)] {
                    let amount = dollars(amount);
                    w.segment("EB", &[code, coverage, "30", kind, "", period, &amount, "", "", "", "", network]);
                }
            }
        }
    }
    // Substance abuse: active, copay per visit, coinsurance in and out of network, prior authorisation,
    // a visit limit, notes, and the carve-out administrator.
    let prior_auth = if rng.chance(70) { "Y" } else { "N" };
    w.segment("EB", &["1", "IND", &rep(&["AI", "AJ", "AK"]), kind, plan]);
    let copay = dollars(rng.between(2, 10) * 500);
    w.segment("EB", &["B", "IND", "AI", kind, "", "27", &copay, "", "", "", prior_auth, "Y"]);
    w.segment("MSG", &[rng.pick(SUBSTANCE_USE_NOTES)]);
    w.segment("EB", &["A", "IND", "AI", kind, "", "", "", ".2", "", "", prior_auth, "Y"]);
    w.segment("EB", &["A", "IND", "AI", kind, "", "", "", ".4", "", "", prior_auth, "N"]);
    let visits = rng.between(2, 6) * 10;
    w.segment("EB", &["F", "IND", "AI", kind, "", "23", "", "", "VS", &visits.to_string(), "", "W"]);
    w.segment("HSD", &["VS", &visits.to_string(), "", "", "23"]);
    w.segment("MSG", &["COMBINED IN AND OUT OF NETWORK"]);
    if let Some(administrator) = payer.carve_out.filter(|_| rng.chance(80)) {
        w.segment("LS", &["2120"]);
        let entity = rng.pick(&["2B", "X3", "VN"]);
        let id = format!("BH{}", rng.digits(5));
        w.segment("NM1", &[entity, "2", administrator, "", "", "", "", "PI", &id]);
        let phone = format!("800555{}", rng.digits(4));
        w.segment("PER", &["IC", "BEHAVIORAL HEALTH", "TE", &phone]);
        w.segment("LE", &["2120"]);
    }
    // Substance-abuse facility, outpatient: an HCPCS-specific row (EB13 composite, H0015 is alcohol and/or drug
    // intensive outpatient) with a place of service in the 2115 loop.
    let facility_copay = dollars(rng.between(4, 15) * 1000);
    w.segment("EB", &["B", "IND", "CJ", kind, "", "27", &facility_copay, "", "", "", prior_auth, "Y", "HC:H0015"]);
    w.segment("III", &["ZZ", "11"]);
    // Mental health and psychotherapy, partial hospitalisation.
    let mh_copay = dollars(rng.between(2, 10) * 500);
    w.segment("EB", &["B", "IND", &rep(&["MH", "CF"]), kind, "", "27", &mh_copay, "", "", "", "", "Y"]);
    w.segment("EB", &["A", "IND", &rep(&["MH", "CF", "A6"]), kind, "", "", "", ".2", "", "", "", "Y"]);
    w.segment("EB", &["A", "IND", "BB", kind, "", "", "", ".3", "", "", "Y", "Y"]);
    w.segment("DTP", &["292", "D8", "20260101"]);
    if rng.chance(30) {
        // A primary care provider on file (a 2120 loop with a person's name and NPI).
        w.segment("EB", &["1", "IND", "30", kind]);
        w.segment("LS", &["2120"]);
        let pcp = person(rng, None);
        let npi = npi(rng);
        w.segment("NM1", &["P3", "1", pcp.last, pcp.first, "", "", "", "XX", &npi]);
        w.segment("N3", &[&pcp.street]);
        w.segment("N4", &[pcp.city, "KY", pcp.zip]);
        w.segment("PRV", &["PC", "PXC", "207Q00000X"]);
        w.segment("LE", &["2120"]);
    }
    if rng.chance(15) {
        // Not covered: an explicit exclusion row, with a payer note.
        w.segment("EB", &["I", "IND", "A5", kind]);
        w.segment("MSG", &["RESIDENTIAL TREATMENT NOT COVERED UNDER THIS PLAN"]);
    }
}

/// A 10-digit NPI with a valid Luhn check digit (computed over the `80840` prefix, as NPIs are).
fn npi(rng: &mut SplitMix64) -> String {
    let body = format!("1{}", rng.digits(8));
    let digits: Vec<u32> = format!("80840{body}").bytes().map(|b| u32::from(b - b'0')).collect();
    // Luhn: double every second digit from the right of the payload (the check digit goes to its right).
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| if i % 2 == 0 { if d * 2 > 9 { d * 2 - 9 } else { d * 2 } } else { d })
        .sum();
    format!("{body}{}", (10 - sum % 10) % 10)
}
