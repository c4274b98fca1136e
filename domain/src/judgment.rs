//! 機械判定 (machine judgment) of a clinical form, as data: item definitions (types, ranges,
//! requirements), consistency rules, severity auto-fill (重症度の自動入力) and the 一次判定
//! (primary judgment) against the diagnostic criteria (診断基準) and severity criteria (重症度基準).
//! Rules are a small declarative language evaluated here with three-valued logic — true, false,
//! or unknown because items are missing — so a disease needs a master entry, never code.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

pub type ItemId = String;

/// One choice of an enumerated item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Choice {
    pub code: String,
    pub label_ja: String,
}

/// The type of an item and the values it accepts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ItemKind {
    Integer {
        min: Option<i64>,
        max: Option<i64>,
    },
    Decimal {
        min: Option<f64>,
        max: Option<f64>,
    },
    /// `YYYY-MM-DD`.
    Date,
    /// `YYYY-MM`.
    YearMonth,
    Enum {
        options: Vec<Choice>,
    },
    Boolean,
    /// Free text: never in research extracts.
    Text {
        max_chars: usize,
    },
    MultiChoice {
        options: Vec<Choice>,
    },
}

/// Where an item sits on the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Section {
    Basic,
    Diagnosis,
    Severity,
    Findings,
    /// 治療その他.
    Treatment,
    Consent,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum Requirement {
    Optional,
    Required,
    /// Required when the condition holds (for example a date when a finding is present).
    RequiredWhen {
        when: Condition,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemDef {
    pub id: ItemId,
    pub label_ja: String,
    #[serde(flatten)]
    pub kind: ItemKind,
    pub unit: Option<String>,
    pub section: Section,
    pub required: Requirement,
    /// Where a numeric value usually lies: a plausibility check against typing slips, not a
    /// criterion. A valid value outside it is a warning the doctor confirms (the form is saved
    /// and can be submitted as it is), never an error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usual: Option<UsualRange>,
}

/// The usual range of a numeric item (either bound may be open).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UsualRange {
    pub min: Option<f64>,
    pub max: Option<f64>,
}

impl UsualRange {
    fn text(&self) -> String {
        match (self.min, self.max) {
            (Some(lo), Some(hi)) => format!("{lo}〜{hi}"),
            (Some(lo), None) => format!("{lo}以上"),
            (None, Some(hi)) => format!("{hi}以下"),
            (None, None) => String::new(),
        }
    }

    fn holds(&self, n: f64) -> bool {
        self.min.is_none_or(|lo| n >= lo) && self.max.is_none_or(|hi| n <= hi)
    }
}

/// The warnings of entered values: each valid numeric value outside its item's usual range.
pub fn warnings(items: &[ItemDef], values: &BTreeMap<ItemId, Value>) -> Vec<ItemError> {
    items
        .iter()
        .filter_map(|def| {
            let usual = def.usual.as_ref()?;
            let n = values.get(&def.id)?.as_f64()?;
            if usual.holds(n) {
                return None;
            }
            let unit = def.unit.as_deref().unwrap_or("");
            Some(ItemError::new(
                &def.id,
                "unusual_value",
                format!(
                    "{}: 通常の範囲（{}{unit}）を外れています。値を確かめてください（このまま保存・提出できます）。",
                    def.label_ja,
                    usual.text()
                ),
                format!(
                    "{}: outside the usual range ({}{unit}); check the value (it can be saved and submitted as it is)",
                    def.id,
                    usual.text()
                ),
            ))
        })
        .collect()
}

/// A condition over the form's items. Comparisons on a missing item are unknown, not false.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Condition {
    All {
        of: Vec<Condition>,
    },
    Any {
        of: Vec<Condition>,
    },
    Not {
        cond: Box<Condition>,
    },
    /// At least `n` of the conditions hold (criteria such as "2 of the following 4").
    AtLeast {
        n: usize,
        of: Vec<Condition>,
    },
    Present {
        item: ItemId,
    },
    Eq {
        item: ItemId,
        value: Value,
    },
    In {
        item: ItemId,
        values: Vec<Value>,
    },
    /// Numeric comparison; an enumerated item compares by its code read as a number
    /// (Hoehn-Yahr stage "3" ≥ 3).
    Ge {
        item: ItemId,
        value: f64,
    },
    Le {
        item: ItemId,
        value: f64,
    },
    /// A multi-choice item includes `code`.
    Includes {
        item: ItemId,
        code: String,
    },
    /// Date or year-month `item` is not after `other` (onset before diagnosis).
    NotAfter {
        item: ItemId,
        other: ItemId,
    },
}

/// Three-valued truth: unknown carries the items whose absence makes it unknown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Truth {
    True,
    False,
    Unknown(BTreeSet<ItemId>),
}

impl Condition {
    /// Every item the condition reads.
    pub fn items(&self, out: &mut BTreeSet<ItemId>) {
        match self {
            Condition::All { of } | Condition::Any { of } | Condition::AtLeast { of, .. } => {
                of.iter().for_each(|c| c.items(out))
            }
            Condition::Not { cond } => cond.items(out),
            Condition::Present { item }
            | Condition::Eq { item, .. }
            | Condition::In { item, .. }
            | Condition::Ge { item, .. }
            | Condition::Le { item, .. }
            | Condition::Includes { item, .. } => {
                out.insert(item.clone());
            }
            Condition::NotAfter { item, other } => {
                out.insert(item.clone());
                out.insert(other.clone());
            }
        }
    }

    pub fn eval(&self, values: &BTreeMap<ItemId, Value>) -> Truth {
        let get = |item: &ItemId| values.get(item).filter(|v| !v.is_null());
        let missing = |item: &ItemId| Truth::Unknown(BTreeSet::from([item.clone()]));
        let of = |b: bool| if b { Truth::True } else { Truth::False };
        match self {
            Condition::All { of: cs } => {
                let mut unknown = BTreeSet::new();
                for c in cs {
                    match c.eval(values) {
                        Truth::False => return Truth::False,
                        Truth::Unknown(m) => unknown.extend(m),
                        Truth::True => {}
                    }
                }
                if unknown.is_empty() {
                    Truth::True
                } else {
                    Truth::Unknown(unknown)
                }
            }
            Condition::Any { of: cs } => {
                let mut unknown = BTreeSet::new();
                for c in cs {
                    match c.eval(values) {
                        Truth::True => return Truth::True,
                        Truth::Unknown(m) => unknown.extend(m),
                        Truth::False => {}
                    }
                }
                if unknown.is_empty() {
                    Truth::False
                } else {
                    Truth::Unknown(unknown)
                }
            }
            Condition::Not { cond } => match cond.eval(values) {
                Truth::True => Truth::False,
                Truth::False => Truth::True,
                u => u,
            },
            Condition::AtLeast { n, of: cs } => {
                let (mut yes, mut unknown) = (0, BTreeSet::new());
                let mut undecided = 0;
                for c in cs {
                    match c.eval(values) {
                        Truth::True => yes += 1,
                        Truth::Unknown(m) => {
                            undecided += 1;
                            unknown.extend(m)
                        }
                        Truth::False => {}
                    }
                }
                if yes >= *n {
                    Truth::True
                } else if yes + undecided < *n {
                    Truth::False
                } else {
                    Truth::Unknown(unknown)
                }
            }
            Condition::Present { item } => of(get(item).is_some()),
            Condition::Eq { item, value } => match get(item) {
                Some(v) => of(v == value),
                None => missing(item),
            },
            Condition::In { item, values: vs } => match get(item) {
                Some(v) => of(vs.contains(v)),
                None => missing(item),
            },
            Condition::Ge { item, value } | Condition::Le { item, value } => {
                match get(item).and_then(as_number) {
                    Some(x) => of(if matches!(self, Condition::Ge { .. }) {
                        x >= *value
                    } else {
                        x <= *value
                    }),
                    None => missing(item),
                }
            }
            Condition::Includes { item, code } => match get(item) {
                Some(Value::Array(codes)) => of(codes.iter().any(|c| c.as_str() == Some(code))),
                Some(_) => Truth::False,
                None => missing(item),
            },
            Condition::NotAfter { item, other } => {
                match (
                    get(item).and_then(Value::as_str),
                    get(other).and_then(Value::as_str),
                ) {
                    // ISO dates and year-months order as strings; a year-month compares with
                    // a date by its month.
                    (Some(a), Some(b)) => {
                        // Bytes, not chars: never panics, whatever a master points this at.
                        let n = a.len().min(b.len());
                        of(a.as_bytes()[..n] <= b.as_bytes()[..n])
                    }
                    (None, _) => missing(item),
                    (_, None) => missing(other),
                }
            }
        }
    }
}

fn as_number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.parse().ok(),
        Value::Bool(_) | Value::Null | Value::Array(_) | Value::Object(_) => None,
    }
}

/// A cross-item rule: when `when` holds, `require` must hold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConsistencyRule {
    pub id: String,
    pub when: Option<Condition>,
    pub require: Condition,
    /// The item the message is shown at.
    pub item: ItemId,
    pub message_ja: String,
    pub message_en: String,
}

/// Severity auto-fill: `target` takes the value of the first case whose condition holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Derivation {
    pub target: ItemId,
    pub cases: Vec<DerivationCase>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DerivationCase {
    pub when: Condition,
    pub value: Value,
}

/// The judgment rules of one disease in one form version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JudgmentRules {
    pub consistency: Vec<ConsistencyRule>,
    pub derived: Vec<Derivation>,
    /// 診断基準; `None` when the criteria are not encoded: the municipality judges the form.
    pub diagnosis: Option<Condition>,
    /// 重症度基準; `None` when the disease has none.
    pub severity: Option<Condition>,
    /// Earlier criteria still honoured for a while after a revision: a form that fails the
    /// criteria above but meets these, judged on or before `valid_until`, meets (SPEC: during
    /// FY2024 a form failing the new criteria but meeting the old ones was certified).
    #[serde(default)]
    pub transitional: Vec<Transitional>,
}

/// Criteria of an earlier revision, valid until a date.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transitional {
    /// What they are, e.g. "令和6年3月以前の診断基準（令和6年度経過措置）".
    pub name: String,
    /// The last day (`YYYY-MM-DD`) on which they apply.
    pub valid_until: String,
    pub diagnosis: Condition,
    pub severity: Option<Condition>,
}

/// What the form is for: the 登録者証 needs the diagnostic criteria only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    Subsidy,
    RegistrantCertificateOnly,
}

/// 一次判定.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    Meets,
    DoesNotMeet,
    Undeterminable {
        missing: Vec<ItemId>,
    },
    /// The disease's criteria are not encoded: the municipality judges the form (not an
    /// incomplete form; its consistency errors are still listed).
    Municipality,
}

/// One problem with one item, in Japanese and English, with a stable code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemError {
    pub item: ItemId,
    pub code: String,
    pub message_ja: String,
    pub message_en: String,
}

impl ItemError {
    pub fn new(item: &str, code: &str, ja: String, en: String) -> Self {
        ItemError {
            item: item.to_owned(),
            code: code.to_owned(),
            message_ja: ja,
            message_en: en,
        }
    }
}

/// One criterion's result: the 診断基準 or the 重症度基準 on its own, so a municipality can tell
/// "diagnosis not met" from "severity not met" (the latter still earns a 登録者証).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Criterion {
    Met,
    NotMet,
    Unknown,
    /// Not judged by the machine (no encoded criteria).
    NotJudged,
}

impl From<&Truth> for Criterion {
    fn from(t: &Truth) -> Self {
        match t {
            Truth::True => Criterion::Met,
            Truth::False => Criterion::NotMet,
            Truth::Unknown(_) => Criterion::Unknown,
        }
    }
}

/// Everything the machine judgment says about a form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Judgment {
    #[serde(flatten)]
    pub outcome: Outcome,
    pub diagnosis: Criterion,
    /// `met` when the form's purpose or the disease needs no severity.
    pub severity: Criterion,
    /// The day (Japan) the judgment was made, which decides whether transitional criteria
    /// applied: a replay uses it rather than today.
    #[serde(default)]
    pub judged_on: Option<String>,
    /// The transitional criteria the form met instead of the current ones, if any.
    #[serde(default)]
    pub transitional: Option<String>,
    /// Type, range, requirement and consistency problems; the outcome treats invalid items as
    /// missing.
    pub errors: Vec<ItemError>,
    /// Values the severity auto-fill set.
    pub filled: BTreeMap<ItemId, Value>,
    /// Valid values outside their item's usual range, for the doctor to confirm; they change
    /// nothing in the outcome.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<ItemError>,
}

/// Checks one entered value against its definition.
pub fn check_value(def: &ItemDef, value: &Value) -> Result<(), ItemError> {
    let label = &def.label_ja;
    let id = def.id.as_str();
    let type_error = |ja: &str, en: &str| {
        Err(ItemError::new(
            id,
            "invalid_type",
            format!("{label}: {ja}"),
            format!("{id}: {en}"),
        ))
    };
    let range_error = |ja: String, en: String| {
        Err(ItemError::new(
            id,
            "out_of_range",
            format!("{label}: {ja}"),
            format!("{id}: {en}"),
        ))
    };
    match &def.kind {
        ItemKind::Integer { min, max } => {
            let n = match value.as_i64() {
                Some(n) => n as f64,
                // A whole number beyond 64 bits is still a number, only out of any range.
                None if value.is_u64() || is_whole_number(value) => {
                    value.as_f64().unwrap_or(f64::INFINITY)
                }
                None => return type_error("整数で入力してください。", "must be an integer"),
            };
            if min.is_some_and(|m| n < m as f64) || max.is_some_and(|m| n > m as f64) {
                let (ja, en) = range_text(min, max);
                return range_error(ja, en);
            }
        }
        ItemKind::Decimal { min, max } => {
            let Some(x) = value.as_f64() else {
                return type_error("数値で入力してください。", "must be a number");
            };
            if min.is_some_and(|m| x < m) || max.is_some_and(|m| x > m) {
                let (ja, en) = range_text(min, max);
                return range_error(ja, en);
            }
        }
        ItemKind::Date => {
            if !value.as_str().is_some_and(valid_date) {
                return type_error(
                    "日付を YYYY-MM-DD で入力してください。",
                    "must be a date YYYY-MM-DD",
                );
            }
        }
        ItemKind::YearMonth => {
            if !value.as_str().is_some_and(valid_year_month) {
                return type_error(
                    "年月を YYYY-MM で入力してください。",
                    "must be a year-month YYYY-MM",
                );
            }
        }
        ItemKind::Enum { options } => {
            let ok = value
                .as_str()
                .is_some_and(|c| options.iter().any(|o| o.code == c));
            if !ok {
                return type_error(
                    "選択肢から選んでください。",
                    "must be one of the listed choices",
                );
            }
        }
        ItemKind::Boolean => {
            if !value.is_boolean() {
                return type_error("はい/いいえで入力してください。", "must be true or false");
            }
        }
        ItemKind::Text { max_chars } => {
            let Some(s) = value.as_str() else {
                return type_error("文字で入力してください。", "must be text");
            };
            match crate::text::check_free_text(s, *max_chars) {
                Ok(()) => {}
                Err(crate::text::TextProblem::TooLong(_)) => {
                    return range_error(
                        format!("{max_chars} 文字以内で入力してください。"),
                        format!("must be at most {max_chars} characters"),
                    );
                }
                Err(problem) => {
                    let (ja, en) = problem.messages();
                    return Err(ItemError::new(
                        id,
                        "invalid_characters",
                        format!("{label}: {ja}"),
                        format!("{id}: {en}"),
                    ));
                }
            }
        }
        ItemKind::MultiChoice { options } => {
            let ok = value.as_array().is_some_and(|codes| {
                codes.iter().all(|c| {
                    c.as_str()
                        .is_some_and(|c| options.iter().any(|o| o.code == c))
                })
            });
            if !ok {
                return type_error(
                    "選択肢から選んでください。",
                    "must be a list of the listed choices",
                );
            }
        }
    }
    Ok(())
}

/// The allowed range in words, for an item with a minimum, a maximum or both.
fn range_text<T: std::fmt::Display>(min: &Option<T>, max: &Option<T>) -> (String, String) {
    match (min, max) {
        (Some(lo), Some(hi)) => (
            format!("{lo}〜{hi} の範囲で入力してください。"),
            format!("must be between {lo} and {hi}"),
        ),
        (Some(lo), None) => (
            format!("{lo} 以上で入力してください。"),
            format!("must be at least {lo}"),
        ),
        (None, Some(hi)) => (
            format!("{hi} 以下で入力してください。"),
            format!("must be at most {hi}"),
        ),
        (None, None) => ("範囲外の値です。".to_owned(), "is out of range".to_owned()),
    }
}

/// A whole JSON number too large for 64 bits (`1e30`, or 30 digits, which JSON parsers read
/// as a float): a number, only out of any range an item can have.
fn is_whole_number(value: &Value) -> bool {
    value
        .as_f64()
        .is_some_and(|x| x.is_finite() && x.fract() == 0.0 && x.abs() >= 9.2e18)
}

pub fn valid_year_month(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 7
        && b[4] == b'-'
        && b[..4].iter().chain(&b[5..]).all(u8::is_ascii_digit)
        && matches!(s[5..7].parse::<u8>(), Ok(1..=12))
}

/// `YYYY-MM-DD` naming a real day.
pub fn valid_date(s: &str) -> bool {
    if s.len() != 10 || s.as_bytes()[7] != b'-' || !valid_year_month(&s[..7]) {
        return false;
    }
    let (Ok(year), Ok(month), Ok(day)) = (
        s[..4].parse::<u32>(),
        s[5..7].parse::<u32>(),
        s[8..].parse::<u32>(),
    ) else {
        return false;
    };
    if !s.as_bytes()[8..].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    (1..=days).contains(&day)
}

/// Judges a form: checks every item, fills the derived severity items, applies the
/// consistency rules, and decides the primary judgment for the form's purpose.
pub fn judge(
    items: &[ItemDef],
    rules: &JudgmentRules,
    entered: &BTreeMap<ItemId, Value>,
    purpose: Purpose,
) -> Judgment {
    judge_on(items, rules, entered, purpose, None)
}

/// [`judge`] on a given day (`YYYY-MM-DD`), which decides whether transitional criteria still
/// apply. The domain has no clock: the caller says what day it is.
pub fn judge_on(
    items: &[ItemDef],
    rules: &JudgmentRules,
    entered: &BTreeMap<ItemId, Value>,
    purpose: Purpose,
    on: Option<&str>,
) -> Judgment {
    let mut errors = Vec::new();
    let mut values = BTreeMap::new();
    for (id, value) in entered.iter().filter(|(_, v)| !v.is_null()) {
        match items.iter().find(|d| &d.id == id) {
            None => errors.push(ItemError::new(
                id,
                "unknown_item",
                format!("{id}: この様式にない項目です。"),
                format!("{id}: not an item of this form"),
            )),
            Some(def) => match check_value(def, value) {
                Ok(()) => {
                    values.insert(id.clone(), value.clone());
                }
                Err(e) => errors.push(e),
            },
        }
    }
    let mut filled = BTreeMap::new();
    for d in &rules.derived {
        let derived = d
            .cases
            .iter()
            .find_map(|case| match case.when.eval(&values) {
                Truth::True => Some(Some(case.value.clone())),
                Truth::Unknown(_) => Some(None),
                Truth::False => None,
            });
        if let Some(Some(value)) = derived {
            match values.get(&d.target) {
                Some(entered) if *entered != value => errors.push(ItemError::new(
                    &d.target,
                    "derived_mismatch",
                    format!("{}: 入力値が重症度の自動判定結果と一致しません。", d.target),
                    format!(
                        "{}: the entered value differs from the derived severity",
                        d.target
                    ),
                )),
                Some(_) => {}
                None => {
                    values.insert(d.target.clone(), value.clone());
                    filled.insert(d.target.clone(), value);
                }
            }
        }
    }
    for def in items {
        let required = match &def.required {
            Requirement::Optional => false,
            Requirement::Required => true,
            Requirement::RequiredWhen { when } => when.eval(&values) == Truth::True,
        };
        let derived = rules.derived.iter().any(|d| d.target == def.id);
        // An entered but invalid value already has its own error.
        let entered_any = entered.get(&def.id).is_some_and(|v| !v.is_null());
        if required && !derived && !values.contains_key(&def.id) && !entered_any {
            errors.push(ItemError::new(
                &def.id,
                "required",
                format!("{}: 必須項目です。", def.label_ja),
                format!("{}: required", def.id),
            ));
        }
    }
    for rule in &rules.consistency {
        let applies = rule
            .when
            .as_ref()
            .is_none_or(|w| w.eval(&values) == Truth::True);
        if applies && rule.require.eval(&values) == Truth::False {
            errors.push(ItemError::new(
                &rule.item,
                &rule.id,
                rule.message_ja.clone(),
                rule.message_en.clone(),
            ));
        }
    }
    let Some(diagnosis_rule) = &rules.diagnosis else {
        return Judgment {
            warnings: warnings(items, &values),
            outcome: Outcome::Municipality,
            diagnosis: Criterion::NotJudged,
            severity: Criterion::NotJudged,
            judged_on: on.filter(|d| valid_date(d)).map(str::to_owned),
            transitional: None,
            errors,
            filled,
        };
    };
    let diagnosis = diagnosis_rule.eval(&values);
    let severity = match (purpose, &rules.severity) {
        (Purpose::RegistrantCertificateOnly, _) | (_, None) => Truth::True,
        (Purpose::Subsidy, Some(s)) => s.eval(&values),
    };
    let (diagnosis_result, severity_result) =
        (Criterion::from(&diagnosis), Criterion::from(&severity));
    let outcome = match (diagnosis, severity) {
        (Truth::False, _) | (_, Truth::False) => Outcome::DoesNotMeet,
        (Truth::True, Truth::True) => Outcome::Meets,
        (a, b) => {
            let mut missing = BTreeSet::new();
            for t in [a, b] {
                if let Truth::Unknown(m) = t {
                    missing.extend(m);
                }
            }
            Outcome::Undeterminable {
                missing: missing.into_iter().collect(),
            }
        }
    };
    let mut outcome = outcome;
    let mut transitional = None;
    // Only a form that fails the current criteria is rescued; one that lacks items stays
    // undeterminable.
    if outcome == Outcome::DoesNotMeet {
        let on = on.filter(|d| valid_date(d));
        let met = rules.transitional.iter().find(|t| {
            on.is_some_and(|d| d <= t.valid_until.as_str())
                && t.diagnosis.eval(&values) == Truth::True
                && match (purpose, &t.severity) {
                    (Purpose::RegistrantCertificateOnly, _) | (_, None) => true,
                    (Purpose::Subsidy, Some(s)) => s.eval(&values) == Truth::True,
                }
        });
        if let Some(t) = met {
            outcome = Outcome::Meets;
            transitional = Some(t.name.clone());
        }
    }
    Judgment {
        warnings: warnings(items, &values),
        outcome,
        diagnosis: diagnosis_result,
        severity: severity_result,
        judged_on: on.filter(|d| valid_date(d)).map(str::to_owned),
        transitional,
        errors,
        filled,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn values(v: Value) -> BTreeMap<ItemId, Value> {
        serde_json::from_value(v).unwrap()
    }

    fn integer(min: Option<i64>, max: Option<i64>) -> ItemDef {
        ItemDef {
            id: "x.n".into(),
            label_ja: "回数".into(),
            kind: ItemKind::Integer { min, max },
            unit: None,
            section: Section::Findings,
            required: Requirement::Optional,
            usual: None,
        }
    }

    #[test]
    fn a_value_outside_the_usual_range_is_a_warning_that_changes_nothing() {
        let mut def = integer(Some(20), Some(250));
        def.usual = Some(UsualRange {
            min: Some(40.0),
            max: Some(180.0),
        });
        let defs = vec![def];
        for (n, warned) in [
            (39, true),
            (40, false),
            (180, false),
            (181, true),
            (250, true),
        ] {
            let w = warnings(&defs, &values(json!({"x.n": n})));
            assert_eq!(w.len(), usize::from(warned), "{n}: {w:?}");
            if warned {
                assert_eq!(w[0].code, "unusual_value");
                assert!(w[0].message_ja.contains("40〜180"), "{}", w[0].message_ja);
            }
        }
        // Out of the valid range is an error, not a warning as well.
        let rules = JudgmentRules {
            consistency: vec![],
            derived: vec![],
            diagnosis: Some(Condition::All { of: vec![] }),
            severity: None,
            transitional: vec![],
        };
        let j = judge_on(
            &defs,
            &rules,
            &values(json!({"x.n": 300})),
            Purpose::Subsidy,
            None,
        );
        assert!(j.warnings.is_empty(), "{:?}", j.warnings);
        assert_eq!(j.errors.len(), 1);
        let j = judge_on(
            &defs,
            &rules,
            &values(json!({"x.n": 200})),
            Purpose::Subsidy,
            None,
        );
        assert_eq!(j.warnings.len(), 1);
        assert!(j.errors.is_empty());
        assert_eq!(
            j.outcome,
            Outcome::Meets,
            "a warning does not change the outcome"
        );
    }

    #[test]
    fn a_range_with_one_bound_names_that_bound_only() {
        let only_min = integer(Some(0), None);
        let e = check_value(&only_min, &json!(-1)).expect_err("below the minimum");
        assert_eq!(e.code, "out_of_range");
        assert_eq!(e.message_en, "x.n: must be at least 0");
        assert_eq!(e.message_ja, "回数: 0 以上で入力してください。");
        let only_max = integer(None, Some(10));
        let e = check_value(&only_max, &json!(11)).expect_err("above the maximum");
        assert_eq!(e.message_en, "x.n: must be at most 10");
        let both = integer(Some(0), Some(10));
        let e = check_value(&both, &json!(11)).expect_err("out of range");
        assert_eq!(e.message_en, "x.n: must be between 0 and 10");
    }

    #[test]
    fn an_integer_beyond_64_bits_is_out_of_range_not_of_the_wrong_type() {
        let def = integer(Some(0), Some(1000));
        let huge: Value = serde_json::from_str("123456789012345678901234567890").expect("json");
        assert_eq!(
            check_value(&def, &huge).expect_err("huge").code,
            "out_of_range"
        );
        let unbounded = integer(None, None);
        assert_eq!(check_value(&unbounded, &json!(u64::MAX)), Ok(()));
        assert_eq!(
            check_value(&def, &json!(1.5)).expect_err("fraction").code,
            "invalid_type"
        );
        assert_eq!(
            check_value(&def, &json!("3")).expect_err("text").code,
            "invalid_type"
        );
    }

    #[test]
    fn three_valued_logic_reports_what_is_missing() {
        let c: Condition = serde_json::from_value(json!({
            "op": "all", "of": [
                {"op": "eq", "item": "a", "value": true},
                {"op": "ge", "item": "b", "value": 3}
            ]
        }))
        .unwrap();
        assert_eq!(c.eval(&values(json!({"a": true, "b": "3"}))), Truth::True);
        assert_eq!(c.eval(&values(json!({"a": false}))), Truth::False);
        assert_eq!(
            c.eval(&values(json!({"a": true}))),
            Truth::Unknown(BTreeSet::from(["b".to_owned()]))
        );
    }

    #[test]
    fn at_least_n_decides_as_soon_as_it_can() {
        let c: Condition = serde_json::from_value(json!({
            "op": "at_least", "n": 2, "of": [
                {"op": "eq", "item": "a", "value": true},
                {"op": "eq", "item": "b", "value": true},
                {"op": "eq", "item": "c", "value": true}
            ]
        }))
        .unwrap();
        assert_eq!(c.eval(&values(json!({"a": true, "b": true}))), Truth::True);
        assert_eq!(
            c.eval(&values(json!({"a": false, "b": false}))),
            Truth::False
        );
        assert!(matches!(
            c.eval(&values(json!({"a": true, "b": false}))),
            Truth::Unknown(_)
        ));
    }

    #[test]
    fn dates_and_year_months_are_checked_and_ordered() {
        assert!(valid_date("2024-02-29"));
        assert!(!valid_date("2023-02-29"));
        assert!(!valid_date("2024-13-01"));
        assert!(!valid_date("2024-1-01"));
        assert!(valid_year_month("2024-04"));
        assert!(!valid_year_month("2024-00"));
        let c = Condition::NotAfter {
            item: "onset".into(),
            other: "diagnosed".into(),
        };
        assert_eq!(
            c.eval(&values(
                json!({"onset": "2020-05", "diagnosed": "2020-05-20"})
            )),
            Truth::True
        );
        assert_eq!(
            c.eval(&values(
                json!({"onset": "2021-01", "diagnosed": "2020-12-31"})
            )),
            Truth::False
        );
    }
}
