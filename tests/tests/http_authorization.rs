//! Who may call what, as a table: every HTTP endpoint × every role (the seven roles of a 難病
//! account at one hospital or of Hokkaido, and no login at all), then the cases across
//! programs (難病 ↔ 小慢), institutions (hospital A ↔ hospital B) and jurisdictions (Hokkaido ↔
//! Tokyo). Every call is made with a real, logged-in account against the real router, on fresh
//! state for every mutating cell; a refused call must also leave the event store as it was —
//! but for a refused read of an existing form, which leaves exactly its record (`ReadRefused`,
//! issue 12 §4) and answers as if the form did not exist.

mod support;

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use api::provision::{prefecture_government, Login, Provisioner, Who};
use domain::import_job::ImportUse;
use domain::{Program, Role};
use eventstore::EventStore;
use nanbyo_tests::Db;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use support::spawn_with_store;

/// Hospital A, in Hokkaido: the institution of the main table's doctor, clerk and responsible
/// person, and of every form the table works on.
const HOSPITAL: &str = "0110113719";
/// Hospital B, also in Hokkaido: only the institution differs from hospital A.
const HOSPITAL_B: &str = "0110113727";
/// 北海道's 全国地方公共団体コード: the jurisdiction of the municipality users and of the forms.
const HOKKAIDO: &str = "010006";

/// The shipped Parkinson master (告示番号 6), composed with the shared layout.
fn parkinson() -> Value {
    serde_json::to_value(
        domain::disease::shipped()
            .into_iter()
            .find(|d| d.program == domain::Program::Nanbyo && d.code == "6")
            .expect("6 is shipped"),
    )
    .expect("json")
}

/// Who makes a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Caller {
    /// No bearer token.
    Anonymous,
    /// The account of `role` in `program`: at hospital A (doctor, clerk, responsible person),
    /// of Hokkaido (municipality admin and staff), or national (operator, auditor).
    Base(Program, Role),
    /// A 難病 doctor, clerk or responsible person of hospital B.
    HospitalB(Role),
    /// A 難病 municipality admin or staff of Tokyo.
    Tokyo(Role),
    /// A 難病 doctor of hospital B whose secondary affiliation at hospital A is approved.
    Secondary,
    /// A 難病 doctor of hospital B whose application to hospital A is pending.
    Applicant,
    /// A 難病 designated doctor who is hospital A's responsible person.
    ResponsibleDoctor,
    /// The account the fixture created (a doctor acting on their own affiliation).
    TargetItself,
}

impl std::fmt::Display for Caller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Caller::Anonymous => write!(f, "no login"),
            Caller::Base(p, r) => write!(f, "{p} {r}"),
            Caller::HospitalB(r) => write!(f, "nanbyo {r} of hospital B"),
            Caller::Tokyo(r) => write!(f, "nanbyo {r} of Tokyo"),
            Caller::Secondary => write!(f, "nanbyo doctor of B, approved at A"),
            Caller::Applicant => write!(f, "nanbyo doctor of B, pending at A"),
            Caller::ResponsibleDoctor => write!(f, "nanbyo doctor who is A's responsible person"),
            Caller::TargetItself => write!(f, "the target account itself"),
        }
    }
}

const ROLES: [Role; 7] = [
    Role::DesignatedDoctor,
    Role::Clerk,
    Role::ResponsiblePerson,
    Role::MunicipalityAdmin,
    Role::MunicipalityStaff,
    Role::Operator,
    Role::Auditor,
];

/// The main table's columns: the seven roles in 難病, then no login.
fn columns() -> [Caller; 8] {
    let mut all = [Caller::Anonymous; 8];
    for (c, r) in all.iter_mut().zip(ROLES) {
        *c = Caller::Base(Program::Nanbyo, r);
    }
    all
}

/// What a cell must answer.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// Authorized: this 2xx status; events appended exactly when the endpoint appends.
    Allow(u16),
    /// Authorized listing: 200 with the fixture's accounts in it.
    Lists,
    /// Authorized, but none of the fixture's (other side's) data: 200 without the fixture's
    /// ids, nothing appended.
    Filtered,
    /// 403 `forbidden` naming the missing permission; nothing appended.
    Forbidden,
    /// 404: the object is out of the caller's scope and does not exist for them; nothing
    /// appended.
    Hidden,
    /// 401 `unauthenticated`; nothing appended.
    Unauth,
    /// Another refusal with this status and code; nothing appended.
    Refused(u16, &'static str),
    /// An accepted upload: 202 and the job recorded (events appended); once the job ended,
    /// every one of its rows applied, and there were this many.
    Imported(u64),
    /// An accepted upload whose rows are out of the uploader's scope: 202 and the job
    /// recorded, but once it ended no row applied and every row was rejected with this code.
    RowsRejected(&'static str),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verb {
    Get,
    Post,
}

/// The state a cell works on. Mutating cells get their own, fresh one; reads share one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Fixture {
    Nothing,
    /// A form at hospital A (patient of Hokkaido) in the program, as a draft …
    Draft(Program),
    /// … submitted by its doctor …
    Submitted(Program),
    /// … and received by the municipality with its access key.
    Received(Program),
    /// An old-version paper form of hospital A registered by Hokkaido's staff, with its scan.
    Paper,
    /// An account of the role in the program (at hospital A or of Hokkaido), made by its
    /// manager.
    Account(Program, Role),
    /// The same, suspended by its manager.
    Suspended(Program, Role),
    /// A 難病 doctor of hospital B who applied to hospital A.
    Pending,
    /// The same, approved by hospital A's responsible person.
    Approved,
    /// As `Approved`, logged in (the cell's caller can be that doctor).
    OwnApproved,
    /// Two registered institutions of Hokkaido, not linked.
    Institutions,
    /// A Hokkaido institution linked to its successor, with a 難病 doctor whose primary
    /// institution it is.
    Successor,
    /// A valid institution code that is not registered.
    NewCode,
    /// A 難病 research extract made by the 難病 operator.
    Extract,
    /// A 難病 received form of hospital A with a 受給者番号 of its own (recorded by Hokkaido's
    /// staff in the administrative fields): what a certification result row names.
    Certifiable,
    /// A 難病 hospital import job of hospital A uploaded by the 難病 designated doctor, ended.
    ImportJob,
}

/// What a request carries.
#[derive(Debug, Clone, Copy)]
enum Payload {
    Nothing,
    /// The caller's own login ID and password.
    Credentials,
    /// The caller's current password and a new one.
    Password,
    /// A 難病 account of this role at hospital A or of Hokkaido.
    NewAccount(Role),
    /// A 医療機関ユーザデータファイル (CSV) with one 難病 doctor of hospital A.
    UserFile,
    Reason,
    /// Items to preview the judgment with.
    Preview,
    /// An application to hospital B.
    Apply,
    NewForm(Program),
    PaperForm,
    /// An edit of one item (with a reason, as a submitted form needs one).
    Items,
    Correction,
    /// The fixture's patient, moved within 小樽市 (a new address per cell).
    PatientChange,
    AccessKey,
    Review,
    Administrative,
    Withdraw,
    SuccessorCode,
    Institution,
    MasterVersion,
    MunicipalityList,
    /// A research extract request (purpose and approval, every disease).
    ResearchExtract,
    /// An import file of this use (CSV, raw body) with one row: for a form import a new
    /// 難病 draft of hospital A, for a certification import the fixture form's result.
    ImportFile(ImportUse),
}

#[derive(Debug, Clone)]
struct Endpoint {
    label: String,
    verb: Verb,
    /// Placeholders: {form}, {account}, {code}, {hospital}, {self}, {extract}, {format},
    /// {job}, and {use} (the use of an `ImportFile` payload).
    path: &'static str,
    fixture: Fixture,
    payload: Payload,
    /// An allowed call appends events (a command; for a form read, the read audit).
    appends: bool,
    /// The call is made with a new session of the caller's account (logout ends it).
    fresh_session: bool,
    /// A read of the fixture's form: refused (403 or 404), it records the attempt as this
    /// route (`what` of `ReadRefused`) and nothing else.
    refusal: Option<&'static str>,
}

fn get(label: &str, path: &'static str, fixture: Fixture, appends: bool) -> Endpoint {
    Endpoint {
        label: label.to_owned(),
        verb: Verb::Get,
        path,
        fixture,
        payload: Payload::Nothing,
        appends,
        fresh_session: false,
        refusal: None,
    }
}

fn post(label: &str, path: &'static str, fixture: Fixture, payload: Payload) -> Endpoint {
    Endpoint {
        label: label.to_owned(),
        verb: Verb::Post,
        path,
        fixture,
        payload,
        appends: true,
        fresh_session: false,
        refusal: None,
    }
}

// The endpoints, as the tables use them.

fn create_account(role: Role) -> Endpoint {
    post(
        &format!("create a {role}"),
        "/api/accounts",
        Fixture::Nothing,
        Payload::NewAccount(role),
    )
}

fn list_doctors(program: Program) -> Endpoint {
    get(
        "list designated doctors",
        "/api/accounts?role=designated_doctor&limit=1000",
        Fixture::Account(program, Role::DesignatedDoctor),
        false,
    )
}

fn user_file() -> Endpoint {
    post(
        "register a user data file",
        "/api/accounts/user-file",
        Fixture::Nothing,
        Payload::UserFile,
    )
}

fn show_account(program: Program, role: Role) -> Endpoint {
    get(
        &format!("show a {program} {role}"),
        "/api/accounts/{account}",
        Fixture::Account(program, role),
        false,
    )
}

fn suspend(program: Program, role: Role) -> Endpoint {
    post(
        &format!("suspend a {program} {role}"),
        "/api/accounts/{account}/suspend",
        Fixture::Account(program, role),
        Payload::Reason,
    )
}

fn reactivate(program: Program, role: Role) -> Endpoint {
    post(
        &format!("reactivate a suspended {program} {role}"),
        "/api/accounts/{account}/reactivate",
        Fixture::Suspended(program, role),
        Payload::Reason,
    )
}

fn reset(program: Program, role: Role) -> Endpoint {
    post(
        &format!("reset the password of a {program} {role}"),
        "/api/accounts/{account}/password-reset",
        Fixture::Account(program, role),
        Payload::Reason,
    )
}

fn list_affiliations() -> Endpoint {
    get(
        "list affiliation requests",
        "/api/affiliations",
        Fixture::Pending,
        false,
    )
}

fn approve() -> Endpoint {
    post(
        "approve an application to hospital A",
        "/api/affiliations/{account}/{hospital}/approve",
        Fixture::Pending,
        Payload::Nothing,
    )
}

fn reject() -> Endpoint {
    post(
        "reject an application to hospital A",
        "/api/affiliations/{account}/{hospital}/reject",
        Fixture::Pending,
        Payload::Reason,
    )
}

fn revoke(fixture: Fixture) -> Endpoint {
    post(
        "revoke an affiliation at hospital A",
        "/api/affiliations/{account}/{hospital}/revoke",
        fixture,
        Payload::Reason,
    )
}

fn switch() -> Endpoint {
    post(
        "switch accounts to the successor code",
        "/api/institutions/{code}/switch",
        Fixture::Successor,
        Payload::Reason,
    )
}

fn reads(program: Program) -> Endpoint {
    Endpoint {
        refusal: Some("read_audit"),
        ..get(
            &format!("list who read a {program} patient"),
            "/api/audit/reads?form={form}",
            Fixture::Received(program),
            false,
        )
    }
}

/// The search path the table uses: oldest received forms first, so that the shared fixture
/// (created early) stays on the first page however many forms later cells add.
const SEARCH: &str = "/api/forms?status=received&sort=updated_asc&limit=200";

fn search_forms() -> Endpoint {
    get(
        "search 難病 forms",
        SEARCH,
        Fixture::Received(Program::Nanbyo),
        false,
    )
}

fn research_extract() -> Endpoint {
    post(
        "make a research extract",
        "/api/research/extracts",
        Fixture::Nothing,
        Payload::ResearchExtract,
    )
}

fn download_extract() -> Endpoint {
    get(
        "download a 難病 research extract",
        "/api/research/extracts/{extract}/{format}",
        Fixture::Extract,
        false,
    )
}

/// An upload of a one-row file for `use_`. Every job then runs in the background: the cell
/// waits for it to end (see `Harness::cell`).
fn import(use_: ImportUse) -> Endpoint {
    let (path, fixture) = match use_ {
        ImportUse::Hospital => ("/api/imports/{use}?file_name=authz.csv", Fixture::Nothing),
        ImportUse::Contractor => (
            "/api/imports/{use}?contractor=authz-contractor",
            Fixture::Nothing,
        ),
        ImportUse::Certification => ("/api/imports/{use}", Fixture::Certifiable),
        ImportUse::Paper => ("/api/imports/{use}?file_name=paper.csv", Fixture::Nothing),
    };
    post(
        &format!("upload a {use_} import file"),
        path,
        fixture,
        Payload::ImportFile(use_),
    )
}

fn list_imports() -> Endpoint {
    get(
        "list own import jobs",
        "/api/imports?limit=500",
        Fixture::ImportJob,
        false,
    )
}

fn import_status() -> Endpoint {
    get(
        "status of a 難病 import job",
        "/api/imports/jobs/{job}",
        Fixture::ImportJob,
        false,
    )
}

fn import_rows() -> Endpoint {
    get(
        "rows of a 難病 import job",
        "/api/imports/jobs/{job}/rows",
        Fixture::ImportJob,
        false,
    )
}

fn import_rows_csv() -> Endpoint {
    get(
        "rows of a 難病 import job as CSV",
        "/api/imports/jobs/{job}/rows?format=csv",
        Fixture::ImportJob,
        false,
    )
}

fn create_form(program: Program) -> Endpoint {
    post(
        &format!("create a {program} form at hospital A"),
        "/api/forms",
        Fixture::Nothing,
        Payload::NewForm(program),
    )
}

fn paper() -> Endpoint {
    post(
        "register a paper form",
        "/api/forms/paper",
        Fixture::Nothing,
        Payload::PaperForm,
    )
}

fn stage(fixture: Fixture) -> String {
    match fixture {
        Fixture::Draft(p) => format!("{p} draft"),
        Fixture::Submitted(p) => format!("{p} submitted form"),
        Fixture::Received(p) => format!("{p} received form"),
        Fixture::Paper => "paper form".into(),
        other => format!("{other:?}"),
    }
}

fn show_form(f: Fixture) -> Endpoint {
    Endpoint {
        refusal: Some("form"),
        ..get(
            &format!("show a {}", stage(f)),
            "/api/forms/{form}",
            f,
            true,
        )
    }
}

fn judgment(f: Fixture) -> Endpoint {
    Endpoint {
        refusal: Some("judgment"),
        ..get(
            &format!("judgment of a {}", stage(f)),
            "/api/forms/{form}/judgment",
            f,
            true,
        )
    }
}

fn actions(f: Fixture) -> Endpoint {
    Endpoint {
        refusal: Some("actions"),
        ..get(
            &format!("actions on a {}", stage(f)),
            "/api/forms/{form}/actions",
            f,
            false,
        )
    }
}

/// Records nothing: a preview is a read by POST.
fn preview(f: Fixture) -> Endpoint {
    Endpoint {
        appends: false,
        ..form_post(
            "preview the judgment of",
            "/api/forms/{form}/preview",
            f,
            Payload::Preview,
        )
    }
}

fn form_history(f: Fixture) -> Endpoint {
    Endpoint {
        refusal: Some("history"),
        ..get(
            &format!("history of a {}", stage(f)),
            "/api/forms/{form}/history",
            f,
            true,
        )
    }
}

fn form_diff(f: Fixture) -> Endpoint {
    Endpoint {
        refusal: Some("diff"),
        ..get(
            &format!("diff of a {}", stage(f)),
            "/api/forms/{form}/diff?from=1&to=2",
            f,
            true,
        )
    }
}

fn patient_history(f: Fixture) -> Endpoint {
    Endpoint {
        refusal: Some("patient_history"),
        ..get(
            &format!("history of the patient of a {}", stage(f)),
            "/api/history?patient_of_form={form}",
            f,
            false,
        )
    }
}

fn scan() -> Endpoint {
    Endpoint {
        refusal: Some("scan"),
        ..get(
            "scan of a paper form",
            "/api/forms/{form}/scan",
            Fixture::Paper,
            true,
        )
    }
}

fn form_post(action: &str, path: &'static str, f: Fixture, payload: Payload) -> Endpoint {
    post(&format!("{action} a {}", stage(f)), path, f, payload)
}

fn edit(f: Fixture) -> Endpoint {
    form_post("edit", "/api/forms/{form}/items", f, Payload::Items)
}

fn submit(f: Fixture) -> Endpoint {
    form_post("submit", "/api/forms/{form}/submit", f, Payload::Nothing)
}

fn receive(f: Fixture) -> Endpoint {
    form_post(
        "receive",
        "/api/forms/{form}/receive",
        f,
        Payload::AccessKey,
    )
}

/// 受付 by the アクセスキー alone: the fixture's form is found by its key.
fn receive_by_key(f: Fixture) -> Endpoint {
    post(
        &format!("receive by アクセスキー a {}", stage(f)),
        "/api/forms/receive",
        f,
        Payload::AccessKey,
    )
}

fn correct(f: Fixture) -> Endpoint {
    form_post(
        "correct",
        "/api/forms/{form}/corrections",
        f,
        Payload::Correction,
    )
}

fn change_patient(f: Fixture) -> Endpoint {
    form_post(
        "correct the patient of",
        "/api/forms/{form}/patient",
        f,
        Payload::PatientChange,
    )
}

fn review(f: Fixture) -> Endpoint {
    form_post("review", "/api/forms/{form}/review", f, Payload::Review)
}

fn administrative(f: Fixture) -> Endpoint {
    form_post(
        "fill the administrative fields of",
        "/api/forms/{form}/administrative",
        f,
        Payload::Administrative,
    )
}

fn withdraw(f: Fixture) -> Endpoint {
    form_post(
        "withdraw",
        "/api/forms/{form}/withdraw",
        f,
        Payload::Withdraw,
    )
}

/// Every endpoint × the seven roles and no login. Columns: designated doctor, clerk,
/// responsible person (all of hospital A), municipality admin, municipality staff (both of
/// Hokkaido), operator, auditor, no login.
fn main_table() -> Vec<(Endpoint, [Expect; 8])> {
    use Expect::{
        Allow, Filtered, Forbidden as F, Hidden as H, Imported, Lists, Refused, Unauth as U,
    };
    use Fixture::{Draft, Received, Submitted};
    use Program::Nanbyo;
    use Role::*;
    let ok = Allow(200);
    let created = Allow(201);
    let only_operator = |allow| [F, F, F, F, F, allow, F, U];
    let only_admin = |allow| [F, F, F, allow, F, F, F, U];
    let only_responsible = |allow| [F, F, allow, F, F, F, F, U];
    // Forms: the clerk and the doctor work on their institution's drafts; the municipality
    // sees a form once it is submitted; the operator and a non-doctor responsible person never
    // see forms (404); the auditor reads everything of its program and writes nothing (403).
    let municipal_command = [F, F, H, F, ok, H, F, U];
    let mut table = vec![
        // Public.
        (get("health", "/healthz", Fixture::Nothing, false), [ok; 8]),
        (get("metrics", "/metrics", Fixture::Nothing, false), [ok; 8]),
        (
            get("readiness", "/readyz", Fixture::Nothing, false),
            [ok; 8],
        ),
        (
            get("OpenAPI document", "/openapi.json", Fixture::Nothing, false),
            [ok; 8],
        ),
        // Sessions: anyone logs in with their own credentials (no login: unknown ones).
        (
            Endpoint {
                appends: false,
                ..post(
                    "log in",
                    "/api/login",
                    Fixture::Nothing,
                    Payload::Credentials,
                )
            },
            [
                ok,
                ok,
                ok,
                ok,
                ok,
                ok,
                ok,
                Refused(401, "invalid_credentials"),
            ],
        ),
        (
            Endpoint {
                appends: false,
                fresh_session: true,
                ..post("log out", "/api/logout", Fixture::Nothing, Payload::Nothing)
            },
            [
                Allow(204),
                Allow(204),
                Allow(204),
                Allow(204),
                Allow(204),
                Allow(204),
                Allow(204),
                U,
            ],
        ),
        (
            get("own account", "/api/me", Fixture::Nothing, false),
            [ok, ok, ok, ok, ok, ok, ok, U],
        ),
        (
            post(
                "change own password",
                "/api/me/password",
                Fixture::Nothing,
                Payload::Password,
            ),
            [ok, ok, ok, ok, ok, ok, ok, U],
        ),
        // Open question, encoded as it is: the disease master (published criteria, no personal
        // data) answers without a login, as the README's route table says ("anyone"), while
        // the OpenAPI document puts the route under the global bearer requirement. Either one
        // of them changes, and this row with it.
        (
            get(
                "list the diseases of the master",
                "/api/masters/diseases",
                Fixture::Nothing,
                false,
            ),
            [ok; 8],
        ),
        // Who creates whom.
        (create_account(MunicipalityAdmin), only_operator(created)),
        (create_account(Operator), only_operator(created)),
        (create_account(Auditor), only_operator(created)),
        (create_account(MunicipalityStaff), only_admin(created)),
        (create_account(DesignatedDoctor), only_admin(created)),
        (create_account(ResponsiblePerson), only_admin(created)),
        (create_account(Clerk), only_responsible(created)),
        (
            list_doctors(Nanbyo),
            [F, F, Lists, Lists, F, Lists, Lists, U],
        ),
        (user_file(), only_admin(ok)),
        (
            get(
                "show own account",
                "/api/accounts/{self}",
                Fixture::Nothing,
                false,
            ),
            [ok, ok, ok, ok, ok, ok, ok, U],
        ),
    ];
    // Reading another account: who manages it, the operator and the auditor; nobody else
    // learns that it exists.
    for (target, expect) in [
        (DesignatedDoctor, [H, H, ok, ok, H, ok, ok, U]),
        (Clerk, [H, H, ok, ok, H, ok, ok, U]),
        (ResponsiblePerson, [H, H, ok, ok, H, ok, ok, U]),
        (MunicipalityAdmin, [H, H, H, ok, H, ok, ok, U]),
        (MunicipalityStaff, [H, H, H, ok, H, ok, ok, U]),
        (Operator, [H, H, H, H, H, ok, ok, U]),
        (Auditor, [H, H, H, H, H, ok, ok, U]),
    ] {
        table.push((show_account(Nanbyo, target), expect));
    }
    // Suspension, reactivation and password reset: who may create such an account manages it.
    for (target, manager) in [
        (DesignatedDoctor, only_admin(ok)),
        (Clerk, only_responsible(ok)),
        (ResponsiblePerson, only_admin(ok)),
        (MunicipalityAdmin, only_operator(ok)),
        (MunicipalityStaff, only_admin(ok)),
        (Operator, only_operator(ok)),
        (Auditor, only_operator(ok)),
    ] {
        table.push((suspend(Nanbyo, target), manager));
        table.push((reactivate(Nanbyo, target), manager));
        table.push((reset(Nanbyo, target), manager));
    }
    table.extend([
        // Secondary affiliations (兼務先).
        (
            post(
                "apply for a secondary institution",
                "/api/affiliations",
                Fixture::Nothing,
                Payload::Apply,
            ),
            [created, F, F, F, F, F, F, U],
        ),
        // The doctor sees only their own requests, not the fixture doctor's.
        (list_affiliations(), [Filtered, F, Lists, F, F, F, F, U]),
        (approve(), only_responsible(ok)),
        (reject(), only_responsible(ok)),
        (revoke(Fixture::Approved), only_responsible(ok)),
        // Institution master and the institution-code switch.
        (
            post(
                "link an institution to its successor",
                "/api/masters/institutions/{code}/successor",
                Fixture::Institutions,
                Payload::SuccessorCode,
            ),
            only_operator(ok),
        ),
        (switch(), [F, F, F, ok, ok, F, F, U]),
        (
            post(
                "register an institution",
                "/api/masters/institutions",
                Fixture::NewCode,
                Payload::Institution,
            ),
            only_operator(created),
        ),
        (
            post(
                "publish a master version",
                "/api/masters/versions",
                Fixture::Nothing,
                Payload::MasterVersion,
            ),
            only_operator(created),
        ),
        (
            post(
                "publish a 実施主体 list",
                "/api/masters/municipalities",
                Fixture::Nothing,
                Payload::MunicipalityList,
            ),
            only_operator(created),
        ),
        // Public data, like the disease master.
        (
            get(
                "list the implementing bodies",
                "/api/masters/municipalities",
                Fixture::Nothing,
                false,
            ),
            [ok; 8],
        ),
        (reads(Nanbyo), [F, F, F, F, F, F, ok, U]),
        // Research extracts (SPEC 12): the program's operator only.
        (research_extract(), only_operator(created)),
        (download_extract(), only_operator(ok)),
        (search_forms(), [Lists, Lists, F, Lists, Lists, F, Lists, U]),
        // Bulk imports: each use is for its role (a clerk imports for the institution too),
        // refused before the file is read. A job is its uploader's and its program's
        // auditors'; for anyone else it does not exist. The listing is one's own jobs only.
        (
            import(ImportUse::Hospital),
            [Imported(1), Imported(1), F, F, F, F, F, U],
        ),
        (
            import(ImportUse::Contractor),
            [F, F, F, F, F, Imported(1), F, U],
        ),
        (
            import(ImportUse::Certification),
            [F, F, F, F, Imported(1), F, F, U],
        ),
        // The old version's file upload is the municipality staff's; no previous form version
        // is published here, so the staff's row (of the current version) is rejected on its
        // form_version column — the upload itself is allowed.
        (
            import(ImportUse::Paper),
            [F, F, F, F, Expect::RowsRejected("invalid_value"), F, F, U],
        ),
        (
            list_imports(),
            [
                Lists, Filtered, Filtered, Filtered, Filtered, Filtered, Filtered, U,
            ],
        ),
        (import_status(), [ok, H, H, H, H, H, ok, U]),
        (import_rows(), [ok, H, H, H, H, H, ok, U]),
        (import_rows_csv(), [ok, H, H, H, H, H, ok, U]),
        // Forms.
        (create_form(Nanbyo), [created, created, F, F, F, F, F, U]),
        (paper(), [F, F, F, F, created, F, F, U]),
        (show_form(Draft(Nanbyo)), [ok, ok, H, H, H, H, ok, U]),
        (show_form(Received(Nanbyo)), [ok, ok, H, ok, ok, H, ok, U]),
        (judgment(Received(Nanbyo)), [ok, ok, H, ok, ok, H, ok, U]),
        // What a caller may do is asked of the domain; who may not see the form is told 404.
        (actions(Draft(Nanbyo)), [ok, ok, H, H, H, H, ok, U]),
        (actions(Received(Nanbyo)), [ok, ok, H, ok, ok, H, ok, U]),
        // The preview is for who may edit.
        (preview(Draft(Nanbyo)), [ok, ok, H, H, H, H, F, U]),
        (form_history(Draft(Nanbyo)), [ok, ok, H, H, H, H, ok, U]),
        (
            form_history(Received(Nanbyo)),
            [ok, ok, H, ok, ok, H, ok, U],
        ),
        // Version 1 is the draft, which municipality users never see (as with `?version=1`).
        (form_diff(Received(Nanbyo)), [ok, ok, H, H, H, H, ok, U]),
        (patient_history(Received(Nanbyo)), [F, F, F, F, F, F, ok, U]),
        (scan(), [ok, ok, H, ok, ok, H, ok, U]),
        (edit(Draft(Nanbyo)), [ok, ok, H, H, H, H, F, U]),
        // After submission only the doctor edits (with a reason); a clerk may not.
        (edit(Submitted(Nanbyo)), [ok, F, H, F, F, H, F, U]),
        (submit(Draft(Nanbyo)), [ok, F, H, H, H, H, F, U]),
        (receive(Submitted(Nanbyo)), municipal_command),
        // Only municipality staff receive; the key finds the form in their jurisdiction only.
        (receive_by_key(Submitted(Nanbyo)), [F, F, F, F, ok, F, F, U]),
        (correct(Received(Nanbyo)), municipal_command),
        // The patient's data: as the items — the institution on a draft, the doctor with a
        // reason until receipt, the municipality after.
        (change_patient(Draft(Nanbyo)), [ok, ok, H, H, H, H, F, U]),
        (change_patient(Submitted(Nanbyo)), [ok, F, H, F, F, H, F, U]),
        (change_patient(Received(Nanbyo)), municipal_command),
        (review(Received(Nanbyo)), municipal_command),
        (administrative(Received(Nanbyo)), municipal_command),
        (withdraw(Draft(Nanbyo)), [ok, F, H, H, H, H, F, U]),
        // Once received, only the municipality withdraws; for the doctor the form is in the
        // wrong state (409), which refuses as surely as a 403 and appends nothing.
        (
            withdraw(Received(Nanbyo)),
            [Refused(409, "wrong_status"), F, H, F, ok, H, F, U],
        ),
    ]);
    table
}

/// One caller on one endpoint, across programs, institutions and jurisdictions, and the
/// positive controls that show the fixtures themselves are sound.
fn cross_table() -> Vec<(Endpoint, Caller, Expect)> {
    use Caller::{Applicant, Base, HospitalB, ResponsibleDoctor, Secondary, TargetItself, Tokyo};
    use Expect::{Allow, Filtered, Forbidden, Hidden, Imported, Lists, Refused, RowsRejected};
    use Fixture::{Draft, Received, Submitted};
    use ImportUse::{Certification, Contractor, Hospital};
    use Program::{Nanbyo, Shoman};
    use Role::*;
    let unknown_disease = Refused(422, "unknown_disease");
    vec![
        // 小慢 accounts on 難病 data: it does not exist for them.
        (
            show_form(Draft(Nanbyo)),
            Base(Shoman, DesignatedDoctor),
            Hidden,
        ),
        (edit(Draft(Nanbyo)), Base(Shoman, DesignatedDoctor), Hidden),
        (
            submit(Draft(Nanbyo)),
            Base(Shoman, DesignatedDoctor),
            Hidden,
        ),
        (
            withdraw(Draft(Nanbyo)),
            Base(Shoman, DesignatedDoctor),
            Hidden,
        ),
        (scan(), Base(Shoman, DesignatedDoctor), Hidden),
        (show_form(Draft(Nanbyo)), Base(Shoman, Clerk), Hidden),
        (edit(Draft(Nanbyo)), Base(Shoman, Clerk), Hidden),
        // A 難病 disease is not in the 小慢 master.
        (
            create_form(Nanbyo),
            Base(Shoman, DesignatedDoctor),
            unknown_disease,
        ),
        (paper(), Base(Shoman, MunicipalityStaff), unknown_disease),
        (
            show_form(Received(Nanbyo)),
            Base(Shoman, MunicipalityStaff),
            Hidden,
        ),
        (
            receive(Submitted(Nanbyo)),
            Base(Shoman, MunicipalityStaff),
            Hidden,
        ),
        (
            correct(Received(Nanbyo)),
            Base(Shoman, MunicipalityStaff),
            Hidden,
        ),
        (
            review(Received(Nanbyo)),
            Base(Shoman, MunicipalityStaff),
            Hidden,
        ),
        (
            administrative(Received(Nanbyo)),
            Base(Shoman, MunicipalityStaff),
            Hidden,
        ),
        (
            withdraw(Received(Nanbyo)),
            Base(Shoman, MunicipalityStaff),
            Hidden,
        ),
        (
            show_form(Received(Nanbyo)),
            Base(Shoman, MunicipalityAdmin),
            Hidden,
        ),
        (show_form(Received(Nanbyo)), Base(Shoman, Auditor), Hidden),
        (judgment(Received(Nanbyo)), Base(Shoman, Auditor), Hidden),
        (
            form_history(Received(Nanbyo)),
            Base(Shoman, Auditor),
            Hidden,
        ),
        (form_diff(Received(Nanbyo)), Base(Shoman, Auditor), Hidden),
        (
            patient_history(Received(Nanbyo)),
            Base(Shoman, Auditor),
            Hidden,
        ),
        (
            form_history(Draft(Nanbyo)),
            HospitalB(DesignatedDoctor),
            Hidden,
        ),
        (
            form_history(Received(Nanbyo)),
            Tokyo(MunicipalityStaff),
            Hidden,
        ),
        (scan(), Base(Shoman, Auditor), Hidden),
        (reads(Nanbyo), Base(Shoman, Auditor), Hidden),
        // The 小慢 operator extracts 小慢 data; a 難病 extract does not exist for it.
        (research_extract(), Base(Shoman, Operator), Allow(201)),
        (download_extract(), Base(Shoman, Operator), Hidden),
        (download_extract(), Base(Shoman, Auditor), Forbidden),
        (search_forms(), Base(Shoman, Auditor), Filtered),
        (search_forms(), Base(Shoman, DesignatedDoctor), Filtered),
        (search_forms(), Base(Shoman, MunicipalityStaff), Filtered),
        (search_forms(), HospitalB(DesignatedDoctor), Filtered),
        (search_forms(), HospitalB(Clerk), Filtered),
        (search_forms(), Tokyo(MunicipalityStaff), Filtered),
        (search_forms(), Secondary, Lists),
        (search_forms(), Applicant, Filtered),
        (
            show_account(Nanbyo, DesignatedDoctor),
            Base(Shoman, Operator),
            Hidden,
        ),
        (
            show_account(Nanbyo, DesignatedDoctor),
            Base(Shoman, Auditor),
            Hidden,
        ),
        (
            show_account(Nanbyo, DesignatedDoctor),
            Base(Shoman, MunicipalityAdmin),
            Hidden,
        ),
        (
            show_account(Nanbyo, Clerk),
            Base(Shoman, ResponsiblePerson),
            Hidden,
        ),
        (list_doctors(Nanbyo), Base(Shoman, Operator), Filtered),
        (list_doctors(Nanbyo), Base(Shoman, Auditor), Filtered),
        (
            list_doctors(Nanbyo),
            Base(Shoman, MunicipalityAdmin),
            Filtered,
        ),
        (
            list_doctors(Nanbyo),
            Base(Shoman, ResponsiblePerson),
            Filtered,
        ),
        (
            suspend(Nanbyo, MunicipalityStaff),
            Base(Shoman, MunicipalityAdmin),
            Hidden,
        ),
        (
            reactivate(Nanbyo, MunicipalityStaff),
            Base(Shoman, MunicipalityAdmin),
            Hidden,
        ),
        (
            reset(Nanbyo, MunicipalityStaff),
            Base(Shoman, MunicipalityAdmin),
            Hidden,
        ),
        (
            suspend(Nanbyo, MunicipalityAdmin),
            Base(Shoman, Operator),
            Hidden,
        ),
        (
            suspend(Nanbyo, Clerk),
            Base(Shoman, ResponsiblePerson),
            Hidden,
        ),
        (
            list_affiliations(),
            Base(Shoman, ResponsiblePerson),
            Filtered,
        ),
        (approve(), Base(Shoman, ResponsiblePerson), Hidden),
        (reject(), Base(Shoman, ResponsiblePerson), Hidden),
        (
            revoke(Fixture::Approved),
            Base(Shoman, ResponsiblePerson),
            Hidden,
        ),
        // A 難病 doctor's row is an error row for a 小慢 admin; nothing is registered.
        (user_file(), Base(Shoman, MunicipalityAdmin), Filtered),
        // The switch moves only the caller's program's accounts.
        (switch(), Base(Shoman, MunicipalityAdmin), Filtered),
        (switch(), Base(Shoman, MunicipalityStaff), Filtered),
        // 難病 accounts on 小慢 data.
        (
            show_form(Draft(Shoman)),
            Base(Nanbyo, DesignatedDoctor),
            Hidden,
        ),
        (edit(Draft(Shoman)), Base(Nanbyo, DesignatedDoctor), Hidden),
        (
            submit(Draft(Shoman)),
            Base(Nanbyo, DesignatedDoctor),
            Hidden,
        ),
        (show_form(Draft(Shoman)), Base(Nanbyo, Clerk), Hidden),
        (
            create_form(Shoman),
            Base(Nanbyo, DesignatedDoctor),
            unknown_disease,
        ),
        (
            show_form(Received(Shoman)),
            Base(Nanbyo, MunicipalityStaff),
            Hidden,
        ),
        (
            receive(Submitted(Shoman)),
            Base(Nanbyo, MunicipalityStaff),
            Hidden,
        ),
        (
            correct(Received(Shoman)),
            Base(Nanbyo, MunicipalityStaff),
            Hidden,
        ),
        (
            review(Received(Shoman)),
            Base(Nanbyo, MunicipalityStaff),
            Hidden,
        ),
        (
            show_form(Received(Shoman)),
            Base(Nanbyo, MunicipalityAdmin),
            Hidden,
        ),
        (show_form(Received(Shoman)), Base(Nanbyo, Auditor), Hidden),
        (reads(Shoman), Base(Nanbyo, Auditor), Hidden),
        (
            show_account(Shoman, DesignatedDoctor),
            Base(Nanbyo, Operator),
            Hidden,
        ),
        (
            suspend(Shoman, MunicipalityStaff),
            Base(Nanbyo, MunicipalityAdmin),
            Hidden,
        ),
        (list_doctors(Shoman), Base(Nanbyo, Operator), Filtered),
        // A 難病 import job does not exist for 小慢 accounts, its auditor included, nor for
        // another institution's doctor; uploads are taken, but every row out of the
        // uploader's program, institution or jurisdiction is rejected and nothing applies.
        (import_status(), Base(Shoman, Auditor), Hidden),
        (import_rows(), Base(Shoman, Auditor), Hidden),
        (import_rows_csv(), Base(Shoman, Auditor), Hidden),
        (import_status(), Base(Shoman, DesignatedDoctor), Hidden),
        (list_imports(), Base(Shoman, Auditor), Filtered),
        (
            import(Hospital),
            Base(Shoman, DesignatedDoctor),
            RowsRejected("unknown_disease"),
        ),
        (
            import(Contractor),
            Base(Shoman, Operator),
            RowsRejected("unknown_disease"),
        ),
        (
            import(Certification),
            Base(Shoman, MunicipalityStaff),
            RowsRejected("form_not_found"),
        ),
        (import_status(), HospitalB(DesignatedDoctor), Hidden),
        (import_rows(), HospitalB(DesignatedDoctor), Hidden),
        (
            import(Hospital),
            HospitalB(DesignatedDoctor),
            RowsRejected("forbidden_institution"),
        ),
        (
            import(Hospital),
            HospitalB(Clerk),
            RowsRejected("forbidden_institution"),
        ),
        (import(Hospital), Secondary, Imported(1)),
        (
            import(Hospital),
            Applicant,
            RowsRejected("forbidden_institution"),
        ),
        (
            import(Certification),
            Tokyo(MunicipalityStaff),
            RowsRejected("form_not_found"),
        ),
        // Within 小慢 the same calls are allowed: the 小慢 fixtures are sound.
        (
            show_form(Draft(Shoman)),
            Base(Shoman, DesignatedDoctor),
            Allow(200),
        ),
        (edit(Draft(Shoman)), Base(Shoman, Clerk), Allow(200)),
        (
            submit(Draft(Shoman)),
            Base(Shoman, DesignatedDoctor),
            Allow(200),
        ),
        (
            create_form(Shoman),
            Base(Shoman, DesignatedDoctor),
            Allow(201),
        ),
        (
            receive(Submitted(Shoman)),
            Base(Shoman, MunicipalityStaff),
            Allow(200),
        ),
        (
            review(Received(Shoman)),
            Base(Shoman, MunicipalityStaff),
            Allow(200),
        ),
        (
            show_form(Received(Shoman)),
            Base(Shoman, Auditor),
            Allow(200),
        ),
        (reads(Shoman), Base(Shoman, Auditor), Allow(200)),
        (
            show_account(Shoman, DesignatedDoctor),
            Base(Shoman, Operator),
            Allow(200),
        ),
        (
            suspend(Shoman, MunicipalityStaff),
            Base(Shoman, MunicipalityAdmin),
            Allow(200),
        ),
        (list_doctors(Shoman), Base(Shoman, Operator), Lists),
        // Hospital B's doctor, clerk and responsible person on hospital A's forms and staff.
        (
            show_form(Draft(Nanbyo)),
            HospitalB(DesignatedDoctor),
            Hidden,
        ),
        (judgment(Draft(Nanbyo)), HospitalB(DesignatedDoctor), Hidden),
        (edit(Draft(Nanbyo)), HospitalB(DesignatedDoctor), Hidden),
        (submit(Draft(Nanbyo)), HospitalB(DesignatedDoctor), Hidden),
        (withdraw(Draft(Nanbyo)), HospitalB(DesignatedDoctor), Hidden),
        (scan(), HospitalB(DesignatedDoctor), Hidden),
        (create_form(Nanbyo), HospitalB(DesignatedDoctor), Forbidden),
        (show_form(Draft(Nanbyo)), HospitalB(Clerk), Hidden),
        (edit(Draft(Nanbyo)), HospitalB(Clerk), Hidden),
        (create_form(Nanbyo), HospitalB(Clerk), Forbidden),
        (approve(), HospitalB(ResponsiblePerson), Forbidden),
        (reject(), HospitalB(ResponsiblePerson), Forbidden),
        (
            revoke(Fixture::Approved),
            HospitalB(ResponsiblePerson),
            Forbidden,
        ),
        (
            create_account(Clerk),
            HospitalB(ResponsiblePerson),
            Forbidden,
        ),
        (
            suspend(Nanbyo, Clerk),
            HospitalB(ResponsiblePerson),
            Forbidden,
        ),
        (
            reset(Nanbyo, Clerk),
            HospitalB(ResponsiblePerson),
            Forbidden,
        ),
        (
            show_account(Nanbyo, Clerk),
            HospitalB(ResponsiblePerson),
            Hidden,
        ),
        (list_doctors(Nanbyo), HospitalB(ResponsiblePerson), Filtered),
        (list_affiliations(), HospitalB(ResponsiblePerson), Filtered),
        // An approved secondary affiliation opens hospital A; a pending one does not.
        (show_form(Draft(Nanbyo)), Secondary, Allow(200)),
        (edit(Draft(Nanbyo)), Secondary, Allow(200)),
        (submit(Draft(Nanbyo)), Secondary, Allow(200)),
        (create_form(Nanbyo), Secondary, Allow(201)),
        (show_form(Draft(Nanbyo)), Applicant, Hidden),
        (edit(Draft(Nanbyo)), Applicant, Hidden),
        (create_form(Nanbyo), Applicant, Forbidden),
        // A doctor who is hospital A's responsible person acts as one.
        (approve(), ResponsibleDoctor, Allow(200)),
        (reject(), ResponsibleDoctor, Allow(200)),
        (create_account(Clerk), ResponsibleDoctor, Allow(201)),
        (suspend(Nanbyo, Clerk), ResponsibleDoctor, Allow(200)),
        (show_account(Nanbyo, Clerk), ResponsibleDoctor, Allow(200)),
        (list_affiliations(), ResponsibleDoctor, Lists),
        (list_doctors(Nanbyo), ResponsibleDoctor, Lists),
        // The doctor ends their own secondary affiliation.
        (revoke(Fixture::OwnApproved), TargetItself, Allow(200)),
        // Tokyo's municipality users on Hokkaido's forms, staff and institutions.
        (
            show_form(Received(Nanbyo)),
            Tokyo(MunicipalityStaff),
            Hidden,
        ),
        (judgment(Received(Nanbyo)), Tokyo(MunicipalityStaff), Hidden),
        (scan(), Tokyo(MunicipalityStaff), Hidden),
        (receive(Submitted(Nanbyo)), Tokyo(MunicipalityStaff), Hidden),
        (
            receive_by_key(Submitted(Nanbyo)),
            Tokyo(MunicipalityStaff),
            Hidden,
        ),
        (correct(Received(Nanbyo)), Tokyo(MunicipalityStaff), Hidden),
        (review(Received(Nanbyo)), Tokyo(MunicipalityStaff), Hidden),
        (
            administrative(Received(Nanbyo)),
            Tokyo(MunicipalityStaff),
            Hidden,
        ),
        (withdraw(Received(Nanbyo)), Tokyo(MunicipalityStaff), Hidden),
        (paper(), Tokyo(MunicipalityStaff), Forbidden),
        (switch(), Tokyo(MunicipalityStaff), Forbidden),
        (
            show_form(Received(Nanbyo)),
            Tokyo(MunicipalityAdmin),
            Hidden,
        ),
        (
            create_account(MunicipalityStaff),
            Tokyo(MunicipalityAdmin),
            Forbidden,
        ),
        (
            create_account(DesignatedDoctor),
            Tokyo(MunicipalityAdmin),
            Forbidden,
        ),
        (
            create_account(ResponsiblePerson),
            Tokyo(MunicipalityAdmin),
            Forbidden,
        ),
        (
            suspend(Nanbyo, MunicipalityStaff),
            Tokyo(MunicipalityAdmin),
            Forbidden,
        ),
        (
            reactivate(Nanbyo, MunicipalityStaff),
            Tokyo(MunicipalityAdmin),
            Forbidden,
        ),
        (
            suspend(Nanbyo, DesignatedDoctor),
            Tokyo(MunicipalityAdmin),
            Forbidden,
        ),
        (
            reset(Nanbyo, DesignatedDoctor),
            Tokyo(MunicipalityAdmin),
            Forbidden,
        ),
        (
            show_account(Nanbyo, MunicipalityStaff),
            Tokyo(MunicipalityAdmin),
            Hidden,
        ),
        (
            show_account(Nanbyo, DesignatedDoctor),
            Tokyo(MunicipalityAdmin),
            Hidden,
        ),
        (list_doctors(Nanbyo), Tokyo(MunicipalityAdmin), Filtered),
        // A Hokkaido hospital's row is an error row for Tokyo; nothing is registered.
        (user_file(), Tokyo(MunicipalityAdmin), Filtered),
        (switch(), Tokyo(MunicipalityAdmin), Forbidden),
    ]
}

/// What a fixture made.
#[derive(Debug, Clone, Default)]
struct Target {
    program: Option<Program>,
    form: String,
    access_key: String,
    account: String,
    code: String,
    new_code: String,
    /// A research extract's id.
    extract: String,
    /// An import job's id.
    job: String,
    /// The form's 受給者番号 (`Certifiable`).
    recipient: String,
    /// What a listing must (`Lists`) or must not (`Filtered`) show.
    ids: Vec<String>,
    /// The fixture's own account, logged in (`OwnApproved`).
    login: Option<Login>,
}

/// The pieces of the request that depend on the cell.
struct Ctx<'a> {
    target: &'a Target,
    login: Option<&'a Login>,
    n: u64,
}

enum Body {
    Empty,
    Json(Value),
    Csv(String),
}

fn next_password(current: &str) -> String {
    format!("{current}-Next")
}

fn form_body(program: Program) -> Value {
    match program {
        Program::Nanbyo => json!({
            "disease": "6", "application": "new", "purpose": "subsidy",
            "institution": HOSPITAL, "jurisdiction": HOKKAIDO, "research_consent": true,
            "patient": {
                "name_kanji": "山田 太郎", "name_kana": "ヤマダ タロウ", "birth_date": "1950-04-01",
                "sex": "male", "address": "小樽市花園2丁目", "municipality": "012025",
                "insurer_number": "01234567", "insured_symbol_number": "1・2",
                "recipient_number": null
            },
            "items": {
                "basic.onset_ym": "2019-06", "basic.diagnosis_ym": "2020-02",
                "dx.parkinsonism": true, "dx.imaging_no_cause": true,
                "dx.no_drug_toxin_exposure": true, "dx.antiparkinson_response": true,
                "sev.hoehn_yahr": "3", "sev.daily_life_disability": "2"
            }
        }),
        Program::Shoman => json!({
            "disease": "7-6", "application": "new", "purpose": "subsidy",
            "institution": HOSPITAL, "jurisdiction": HOKKAIDO, "research_consent": true,
            "patient": {
                "name_kanji": "佐藤 花子", "name_kana": "サトウ ハナコ", "birth_date": "2012-04-01",
                "sex": "female", "address": "小樽市花園2丁目", "municipality": "012025",
                "insurer_number": "01234567", "insured_symbol_number": "3・4",
                "recipient_number": null
            },
            "items": {"basic.onset_ym": "2019-06", "basic.diagnosis_ym": "2020-02"}
        }),
    }
}

fn paper_body() -> Value {
    let mut paper = form_body(Program::Nanbyo);
    paper["form_version"] = json!("2015-01-01");
    // "%PDF-1.4\n" in Base64.
    paper["scan"] = json!({"media_type": "application/pdf", "content_base64": "JVBERi0xLjQK"});
    paper
}

/// A new account of `role` in `program`, at `institution` (doctors, clerks, responsible
/// persons) or of Hokkaido (municipality users).
fn account_body(program: Program, role: Role, n: u64, institution: &str) -> Value {
    let mut body = json!({"role": role, "display_name": format!("試験 {n}")});
    match role {
        Role::DesignatedDoctor => {
            body["designation"] = json!({"number": format!("AZ-{n}"), "kind": program,
                "valid_from": "2024-04-01", "valid_to": null});
            body["primary_institution"] = json!(institution);
        }
        Role::Clerk => body["primary_institution"] = json!(institution),
        Role::ResponsiblePerson => {
            body["primary_institution"] = json!(institution);
            body["responsible_for"] = json!(institution);
        }
        Role::MunicipalityAdmin | Role::MunicipalityStaff => body["jurisdiction"] = json!(HOKKAIDO),
        Role::Operator | Role::Auditor | Role::System => {}
    }
    body
}

fn payload(p: Payload, c: &Ctx) -> Body {
    let reason = "権限確認のための操作";
    let items = || match c.target.program {
        Some(Program::Shoman) => json!({"basic.onset_ym": "2019-07"}),
        _ => json!({"sev.hoehn_yahr": "4"}),
    };
    Body::Json(match p {
        Payload::Nothing => return Body::Empty,
        Payload::Credentials => match c.login {
            Some(l) => json!({"login_id": l.login_id, "password": l.password}),
            None => json!({"login_id": "NOBODY00000X", "password": "Not-the-Passw0rd"}),
        },
        Payload::Password => match c.login {
            Some(l) => json!({"current_password": l.password,
                "new_password": next_password(&l.password)}),
            None => json!({"current_password": "x", "new_password": "Some-New-Passw0rd"}),
        },
        Payload::NewAccount(role) => account_body(Program::Nanbyo, role, c.n, HOSPITAL),
        Payload::UserFile => {
            return Body::Csv(format!(
                "institution_code,program,doctor_number,designation_kind,valid_from,valid_to,name\n\
                 {HOSPITAL},nanbyo,UF-{n},nanbyo,2024-04-01,,試験 医師{n}\n",
                n = c.n
            ))
        }
        Payload::Reason => json!({"reason": reason}),
        Payload::Apply => json!({"institution": HOSPITAL_B}),
        Payload::NewForm(program) => form_body(program),
        Payload::PaperForm => paper_body(),
        Payload::Items => json!({"items": items(), "reason": reason}),
        Payload::Preview => json!({"items": items()}),
        Payload::Correction => json!({"items": items(), "reason": reason}),
        Payload::PatientChange => {
            let mut patient = form_body(Program::Nanbyo)["patient"].clone();
            patient["address"] = json!(format!("小樽市稲穂{}丁目", c.n));
            json!({"patient": patient, "reason": reason})
        }
        Payload::AccessKey => json!({"access_key": c.target.access_key}),
        Payload::Review => {
            json!({"result": {"result": "certified", "from": "2024-05-01", "to": "2025-04-30"}})
        }
        Payload::Administrative => json!({"fields": {"mild_high_cost": true}}),
        Payload::Withdraw => json!({"reason": reason}),
        Payload::SuccessorCode => json!({"successor": c.target.new_code}),
        Payload::Institution => json!({"code": c.target.code, "name": "試験病院"}),
        Payload::ResearchExtract => {
            json!({"purpose": "権限確認のための抽出", "approval": "AUTHZ-1"})
        }
        Payload::ImportFile(use_) => return Body::Csv(import_file(use_, c.n, &c.target.recipient)),
        Payload::MunicipalityList => json!({
            "version": format!("authz-{}", c.n),
            "bodies": domain::municipality::shipped(),
        }),
        Payload::MasterVersion => {
            let mut disease: Value = parkinson();
            disease["code"] = json!(format!("8{:04}", c.n));
            disease["name_ja"] = json!("試験用疾病");
            json!({"version": format!("authz-{}", c.n), "diseases": [disease]})
        }
    })
}

/// The columns of a form import (hospital or contractor) the table uses: the required ones.
const FORM_IMPORT_HEADER: &str = "external_ref,institution,disease,application,purpose,\
research_consent,patient_name_kanji,patient_name_kana,patient_birth_date,patient_sex,\
patient_address,patient_municipality";

/// A one-row import file for `use_`: a new 難病 draft of hospital A (its own external_ref, so
/// that every upload creates a form), or a certification result for `recipient`.
fn import_file(use_: ImportUse, n: u64, recipient: &str) -> String {
    match use_ {
        ImportUse::Hospital | ImportUse::Contractor | ImportUse::Paper => format!(
            "{FORM_IMPORT_HEADER}\nAUTHZ-{n},{HOSPITAL},6,new,subsidy,true,試験 患者,シケン カンジャ,\
             1960-01-01,female,小樽市花園2丁目,012025\n"
        ),
        ImportUse::Certification => format!(
            "recipient_number,result,period_from,period_to\n{recipient},certified,2026-12-01,2027-11-30\n"
        ),
    }
}

/// A 受給者番号 of its own for the `serial`th certifiable form.
fn recipient_number(serial: u64) -> String {
    domain::codes::append_check_digit(&format!("{:06}", 700_000 + serial))
}

/// An institution code of Hokkaido (医科, 郡市区 01) with `serial` and its check digit.
fn hokkaido_code(serial: u64) -> String {
    domain::codes::append_check_digit(&format!("01101{serial:04}"))
}

struct Harness {
    db: Db,
    base: String,
    client: Client,
    store: Arc<dyn EventStore>,
    accounts: Provisioner,
    tokyo: String,
    logins: Mutex<HashMap<Caller, Login>>,
    /// Read-only fixtures, shared by the cells that only read them.
    shared: Mutex<HashMap<Fixture, Target>>,
    serial: AtomicU64,
}

fn of(program: Program, role: Role) -> Caller {
    Caller::Base(program, role)
}

/// Who manages (creates, suspends) an account of `role`.
fn manager(program: Program, role: Role) -> Caller {
    match role {
        Role::MunicipalityAdmin | Role::Operator | Role::Auditor | Role::System => {
            of(program, Role::Operator)
        }
        Role::MunicipalityStaff | Role::DesignatedDoctor | Role::ResponsiblePerson => {
            of(program, Role::MunicipalityAdmin)
        }
        Role::Clerk => of(program, Role::ResponsiblePerson),
    }
}

impl Harness {
    fn who(&self, caller: Caller) -> Option<Who> {
        let at_or_of = |who: Who, role: Role, institution: &str, jurisdiction: &str| match role {
            Role::DesignatedDoctor | Role::Clerk | Role::ResponsiblePerson => who.at(institution),
            Role::MunicipalityAdmin | Role::MunicipalityStaff => who.of(jurisdiction),
            _ => who,
        };
        Some(match caller {
            Caller::Base(p, r) => at_or_of(Who::new(r).program(p), r, HOSPITAL, HOKKAIDO),
            Caller::HospitalB(r) => at_or_of(Who::new(r), r, HOSPITAL_B, HOKKAIDO),
            Caller::Tokyo(r) => at_or_of(Who::new(r), r, HOSPITAL, &self.tokyo),
            Caller::ResponsibleDoctor => {
                Who::new(Role::DesignatedDoctor).at(HOSPITAL).responsible()
            }
            Caller::Anonymous | Caller::Secondary | Caller::Applicant | Caller::TargetItself => {
                return None
            }
        })
    }

    fn login_of(&self, caller: Caller) -> Login {
        self.logins
            .lock()
            .expect("logins")
            .get(&caller)
            .cloned()
            .unwrap_or_else(|| panic!("no account for {caller}"))
    }

    fn token(&self, caller: Caller) -> String {
        self.login_of(caller).token
    }

    /// How many events the store holds. (Not `last_position`: on PostgreSQL that is the
    /// horizon below which no transaction of the whole server is still open, which can lag.)
    async fn events(&self) -> i64 {
        let sql = self.store.sql();
        eventstore::on_sql!(&sql, reader, |p| {
            sqlx::query_scalar::<_, i64>("SELECT count(*) FROM events")
                .fetch_one(p)
                .await
        })
        .expect("count events")
    }

    /// The `n` latest events: stream, event type, payload and metadata.
    async fn latest_events(&self, n: i64) -> Vec<Value> {
        let sql = self.store.sql();
        let rows: Vec<(String, String, String, String, String)> =
            eventstore::on_sql!(&sql, reader, |p| {
                sqlx::query_as(
                    "SELECT stream_type, stream_id, event_type, CAST(payload AS TEXT), \
                     CAST(metadata AS TEXT) FROM events ORDER BY global_position DESC LIMIT $1",
                )
                .bind(n)
                .fetch_all(p)
                .await
            })
            .expect("latest events");
        rows.into_iter()
            .map(|(t, id, event_type, payload, metadata)| {
                json!({
                    "stream": format!("{t}/{id}"),
                    "event_type": event_type,
                    "payload": serde_json::from_str::<Value>(&payload).unwrap_or(Value::Null),
                    "metadata": serde_json::from_str::<Value>(&metadata).unwrap_or(Value::Null),
                })
            })
            .collect()
    }

    fn next(&self) -> u64 {
        self.serial.fetch_add(1, Ordering::Relaxed)
    }

    async fn call(
        &self,
        verb: Verb,
        path: &str,
        token: Option<&str>,
        body: Body,
    ) -> (StatusCode, Value) {
        self.call_with_key(verb, path, token, body, None).await
    }

    async fn call_with_key(
        &self,
        verb: Verb,
        path: &str,
        token: Option<&str>,
        body: Body,
        key: Option<&str>,
    ) -> (StatusCode, Value) {
        let url = format!("{}{path}", self.base);
        let mut req = match verb {
            Verb::Get => self.client.get(url),
            Verb::Post => self.client.post(url),
        };
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(k) = key {
            req = req.header("idempotency-key", k);
        }
        req = match body {
            Body::Empty => req,
            Body::Json(v) => req.json(&v),
            Body::Csv(s) => req.header("content-type", "text/csv").body(s),
        };
        let r = req.send().await.expect("request");
        let status = r.status();
        let text = r.text().await.unwrap_or_default();
        let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, value)
    }

    /// A setup call that must succeed.
    async fn must(&self, path: &str, caller: Caller, body: Value, want: u16) -> Value {
        let token = self.token(caller);
        let (status, value) = self
            .call(Verb::Post, path, Some(&token), Body::Json(body))
            .await;
        assert_eq!(
            status.as_u16(),
            want,
            "[{:?}] setup: POST {path} as {caller}: {value}",
            self.db
        );
        value
    }

    async fn read(&self, path: &str, caller: Caller) -> Value {
        let token = self.token(caller);
        let (status, value) = self.call(Verb::Get, path, Some(&token), Body::Empty).await;
        assert_eq!(status, StatusCode::OK, "[{:?}] setup: GET {path}", self.db);
        value
    }

    async fn new_account(&self, program: Program, role: Role, institution: &str) -> String {
        let body = account_body(program, role, self.next(), institution);
        let created = self
            .must("/api/accounts", manager(program, role), body, 201)
            .await;
        created["account_id"]
            .as_str()
            .expect("account id")
            .to_owned()
    }

    async fn register(&self, code: &str) {
        self.must(
            "/api/masters/institutions",
            of(Program::Nanbyo, Role::Operator),
            json!({"code": code, "name": "試験病院"}),
            201,
        )
        .await;
    }

    /// A 難病 doctor of hospital B who applied to hospital A (through the commands, as the
    /// doctor: no password is needed for that).
    async fn applicant(&self) -> String {
        use domain::account::{Account, AccountAction};
        let id = self
            .new_account(Program::Nanbyo, Role::DesignatedDoctor, HOSPITAL_B)
            .await;
        let (account, _) = commands::load::<Account>(&self.store, &id)
            .await
            .expect("account");
        let actor = account
            .actor(&commands::forms::today_in_japan())
            .expect("actor");
        let institution = domain::InstitutionCode::parse(HOSPITAL).expect("code");
        commands::accounts::act(
            &self.store,
            &actor,
            &id,
            AccountAction::RequestAffiliation { institution },
            None,
            None,
        )
        .await
        .expect("apply");
        id
    }

    async fn approve_at_hospital(&self, account: &str) {
        self.must(
            &format!("/api/affiliations/{account}/{HOSPITAL}/approve"),
            of(Program::Nanbyo, Role::ResponsiblePerson),
            json!({}),
            200,
        )
        .await;
    }

    async fn form(&self, program: Program, stage: u8) -> Target {
        let doctor = of(program, Role::DesignatedDoctor);
        let created = self
            .must("/api/forms", doctor, form_body(program), 201)
            .await;
        let id = created["id"].as_str().expect("form id").to_owned();
        let mut t = Target {
            program: Some(program),
            form: id.clone(),
            ids: vec![id.clone()],
            ..Target::default()
        };
        if stage >= 1 {
            self.must(&format!("/api/forms/{id}/submit"), doctor, json!({}), 200)
                .await;
            let seen = self.read(&format!("/api/forms/{id}"), doctor).await;
            t.access_key = seen["access_key"].as_str().expect("access key").to_owned();
        }
        if stage >= 2 {
            self.must(
                &format!("/api/forms/{id}/receive"),
                of(program, Role::MunicipalityStaff),
                json!({"access_key": t.access_key}),
                200,
            )
            .await;
        }
        t
    }

    async fn fixture(&self, fixture: Fixture) -> Target {
        let with_account = |account: String| Target {
            ids: vec![account.clone()],
            account,
            ..Target::default()
        };
        let fresh_code = || hokkaido_code(5000 + self.next());
        match fixture {
            Fixture::Nothing => Target::default(),
            Fixture::Draft(p) => self.form(p, 0).await,
            Fixture::Submitted(p) => self.form(p, 1).await,
            Fixture::Received(p) => self.form(p, 2).await,
            Fixture::Paper => {
                let created = self
                    .must(
                        "/api/forms/paper",
                        of(Program::Nanbyo, Role::MunicipalityStaff),
                        paper_body(),
                        201,
                    )
                    .await;
                let id = created["id"].as_str().expect("form id").to_owned();
                Target {
                    program: Some(Program::Nanbyo),
                    ids: vec![id.clone()],
                    form: id,
                    ..Target::default()
                }
            }
            Fixture::Account(p, role) => with_account(self.new_account(p, role, HOSPITAL).await),
            Fixture::Suspended(p, role) => {
                let id = self.new_account(p, role, HOSPITAL).await;
                self.must(
                    &format!("/api/accounts/{id}/suspend"),
                    manager(p, role),
                    json!({"reason": "停止"}),
                    200,
                )
                .await;
                with_account(id)
            }
            Fixture::Pending => with_account(self.applicant().await),
            Fixture::Approved => {
                let id = self.applicant().await;
                self.approve_at_hospital(&id).await;
                with_account(id)
            }
            Fixture::OwnApproved => {
                let login = self
                    .accounts
                    .create(&Who::new(Role::DesignatedDoctor).at(HOSPITAL_B))
                    .await
                    .expect("doctor");
                let (status, body) = self
                    .call(
                        Verb::Post,
                        "/api/affiliations",
                        Some(&login.token),
                        Body::Json(json!({"institution": HOSPITAL})),
                    )
                    .await;
                assert_eq!(status, StatusCode::CREATED, "setup: apply: {body}");
                self.approve_at_hospital(&login.account_id).await;
                Target {
                    login: Some(login.clone()),
                    ..with_account(login.account_id)
                }
            }
            Fixture::Institutions | Fixture::Successor => {
                let (old, new) = (fresh_code(), fresh_code());
                self.register(&old).await;
                self.register(&new).await;
                let mut t = Target {
                    code: old.clone(),
                    new_code: new.clone(),
                    ..Target::default()
                };
                if fixture == Fixture::Successor {
                    self.must(
                        &format!("/api/masters/institutions/{old}/successor"),
                        of(Program::Nanbyo, Role::Operator),
                        json!({"successor": new}),
                        200,
                    )
                    .await;
                    let doctor = self
                        .new_account(Program::Nanbyo, Role::DesignatedDoctor, &old)
                        .await;
                    // The switch finds its accounts in the directory.
                    self.settle(
                        &format!("/api/accounts?role=designated_doctor&institution={old}"),
                        of(Program::Nanbyo, Role::Operator),
                        std::slice::from_ref(&doctor),
                    )
                    .await;
                    t.ids = vec![doctor.clone()];
                    t.account = doctor;
                }
                t
            }
            Fixture::NewCode => Target {
                code: fresh_code(),
                ..Target::default()
            },
            Fixture::Extract => {
                let made = self
                    .must(
                        "/api/research/extracts",
                        of(Program::Nanbyo, Role::Operator),
                        json!({"purpose": "権限確認のための抽出", "approval": "AUTHZ-1"}),
                        201,
                    )
                    .await;
                Target {
                    extract: made["id"].as_str().expect("extract id").to_owned(),
                    ..Target::default()
                }
            }
            Fixture::Certifiable => {
                let mut t = self.form(Program::Nanbyo, 2).await;
                t.recipient = recipient_number(self.next());
                self.must(
                    &format!("/api/forms/{}/administrative", t.form),
                    of(Program::Nanbyo, Role::MunicipalityStaff),
                    json!({"fields": {"recipient_number": t.recipient}}),
                    200,
                )
                .await;
                t
            }
            Fixture::ImportJob => {
                let doctor = of(Program::Nanbyo, Role::DesignatedDoctor);
                let token = self.token(doctor);
                let (status, accepted) = self
                    .call(
                        Verb::Post,
                        "/api/imports/hospital?file_name=authz-fixture.csv",
                        Some(&token),
                        Body::Csv(import_file(ImportUse::Hospital, self.next(), "")),
                    )
                    .await;
                assert_eq!(
                    status,
                    StatusCode::ACCEPTED,
                    "[{:?}] setup: upload: {accepted}",
                    self.db
                );
                let ended = self.job_end(&accepted, &token).await;
                assert!(
                    ended.job["status"] == "finished" && ended.job["applied"] == 1,
                    "[{:?}] setup: the fixture job did not apply its row: {}",
                    self.db,
                    ended.job
                );
                let job = accepted["job_id"].as_str().expect("job id").to_owned();
                Target {
                    ids: vec![job.clone()],
                    job,
                    ..Target::default()
                }
            }
        }
    }

    /// Waits until the job a 202 `accepted` names has ended (an import runs in the background
    /// and appends its events meanwhile), then reads its rows, as the uploader (`token`).
    /// A job that does not end within a minute is returned as it was then.
    async fn job_end(&self, accepted: &Value, token: &str) -> JobEnd {
        let id = accepted["job_id"].as_str().unwrap_or_default();
        let position = accepted["position"].as_u64().unwrap_or(0);
        let path = format!("/api/imports/jobs/{id}?after_position={position}");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        let job = loop {
            let (status, job) = self.call(Verb::Get, &path, Some(token), Body::Empty).await;
            let ended = matches!(job["status"].as_str(), Some("finished" | "failed"));
            if (status == StatusCode::OK && ended) || std::time::Instant::now() >= deadline {
                break job;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        };
        let (_, rows) = self
            .call(
                Verb::Get,
                &format!("/api/imports/jobs/{id}/rows?limit=1000"),
                Some(token),
                Body::Empty,
            )
            .await;
        JobEnd {
            rows: rows["rows"].as_array().cloned().unwrap_or_default(),
            job,
        }
    }

    /// Waits until `caller` finds every one of `ids` at `path` (a listing from the directory).
    async fn settle(&self, path: &str, caller: Caller, ids: &[String]) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let text = self.read(path, caller).await.to_string();
            if ids.iter().all(|id| text.contains(id.as_str())) {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "[{:?}] setup: {path} never listed {ids:?} for {caller}",
                self.db
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    async fn shared_fixture(&self, fixture: Fixture) -> Target {
        if let Some(t) = self.shared.lock().expect("shared").get(&fixture) {
            return t.clone();
        }
        let t = self.fixture(fixture).await;
        // Listings come from the account directory, a projection; wait until it shows the
        // fixture to who may see it, so that a caller's empty answer means "filtered", not
        // "not projected yet".
        let listing = match fixture {
            Fixture::Account(p, Role::DesignatedDoctor) => Some((
                "/api/accounts?role=designated_doctor&limit=1000".to_owned(),
                of(p, Role::Operator),
            )),
            Fixture::Pending => Some((
                "/api/affiliations".to_owned(),
                of(Program::Nanbyo, Role::ResponsiblePerson),
            )),
            // The search reads the form search view, a projection.
            Fixture::Received(p) => Some((SEARCH.to_owned(), of(p, Role::Auditor))),
            // The jobs view, also a projection (the fixture waited on it for the job's end).
            Fixture::ImportJob => Some((
                "/api/imports?limit=500".to_owned(),
                of(Program::Nanbyo, Role::DesignatedDoctor),
            )),
            _ => None,
        };
        if let Some((path, caller)) = listing {
            self.settle(&path, caller, &t.ids).await;
        }
        self.shared
            .lock()
            .expect("shared")
            .insert(fixture, t.clone());
        t
    }

    /// The request of a cell: its fixture made, the path filled in, the token and body of the
    /// caller.
    async fn request(&self, ep: &Endpoint, caller: Caller) -> Request {
        // Reads share their fixture; a mutating call gets fresh state, so that one allowed
        // cell cannot change what the next one sees.
        let target = match ep.verb {
            Verb::Get => self.shared_fixture(ep.fixture).await,
            Verb::Post => self.fixture(ep.fixture).await,
        };
        let login = match caller {
            Caller::Anonymous => None,
            Caller::TargetItself => Some(target.login.clone().expect("the fixture's login")),
            c => Some(self.login_of(c)),
        };
        let mut token = login.as_ref().map(|l| l.token.clone());
        if let (true, Some(l)) = (ep.fresh_session, &login) {
            let (status, session) = self
                .call(
                    Verb::Post,
                    "/api/login",
                    None,
                    Body::Json(json!({"login_id": l.login_id, "password": l.password})),
                )
                .await;
            assert_eq!(status, StatusCode::OK, "setup: a new session: {session}");
            token = session["token"].as_str().map(str::to_owned);
        }
        let self_id = login.as_ref().map_or_else(
            || "00000000-0000-0000-0000-000000000000".to_owned(),
            |l| l.account_id.clone(),
        );
        let path = ep
            .path
            .replace("{form}", &target.form)
            .replace("{account}", &target.account)
            .replace("{code}", &target.code)
            .replace("{hospital}", HOSPITAL)
            .replace("{self}", &self_id)
            .replace("{extract}", &target.extract)
            .replace("{format}", "csv")
            .replace("{job}", &target.job)
            .replace(
                "{use}",
                match ep.payload {
                    Payload::ImportFile(use_) => use_.as_str(),
                    _ => "",
                },
            );
        let ctx = Ctx {
            target: &target,
            login: login.as_ref(),
            n: self.next(),
        };
        let body = payload(ep.payload, &ctx);
        Request {
            path,
            token,
            body,
            target,
            login,
        }
    }

    /// One cell: prepares its state, makes the call, and says what is wrong with the answer.
    async fn cell(&self, ep: &Endpoint, caller: Caller, expect: Expect) -> Result<(), String> {
        let Request {
            path,
            token,
            body,
            target,
            login,
        } = self.request(ep, caller).await;
        // A refused read of the form records the attempt after answering: wait for that record
        // (and any earlier cell's), then look at everything the cell appended.
        let refusal = match (expect, ep.refusal, &login) {
            (Expect::Hidden | Expect::Forbidden, Some(what), Some(l))
                if !target.form.is_empty() =>
            {
                Some((what, l.account_id.clone()))
            }
            _ => None,
        };
        commands::audit::settled().await;
        let before = self.events().await;
        let (status, value) = self.call(ep.verb, &path, token.as_deref(), body).await;
        commands::audit::settled().await;
        let after = self.events().await;
        let (appended, refusal_verdict) = match &refusal {
            None => (after != before, Ok(())),
            Some((what, actor)) => {
                let new = self.latest_events(after - before).await;
                let recorded = |e: &Value| {
                    e["event_type"] == "ReadRefused"
                        && e["stream"] == format!("form_reads/{}", target.form)
                        && e["payload"]["what"] == *what
                        && e["payload"]["record"] == target.form.as_str()
                        && e["metadata"]["actor"] == actor.as_str()
                };
                match new.as_slice() {
                    [one] if recorded(one) => (false, Ok(())),
                    [] => (false, Err("the refused read left no record".to_owned())),
                    other => (
                        true,
                        Err(format!(
                            "a refused read appended {other:?}, not one ReadRefused ({what})"
                        )),
                    ),
                }
            }
        };
        // An accepted upload starts a job that appends events in the background: wait for it
        // to end, whatever the cell expected, so that no later cell counts its events as its
        // own (a refused call would look as if it appended something).
        let job = match (status, token.as_deref()) {
            (StatusCode::ACCEPTED, Some(t)) if value["job_id"].is_string() => {
                Some(self.job_end(&value, t).await)
            }
            _ => None,
        };
        let verdict = judge(
            expect,
            status,
            &value,
            appended,
            ep.appends,
            &target.ids,
            job.as_ref(),
        )
        .and(refusal_verdict);
        if verdict.is_ok() && matches!(ep.payload, Payload::Password) {
            if let Some(l) = self.logins.lock().expect("logins").get_mut(&caller) {
                l.password = next_password(&l.password);
            }
        }
        verdict.map_err(|why| {
            let mut body = value.to_string();
            if body.len() > 600 {
                let cut = (0..=600)
                    .rev()
                    .find(|i| body.is_char_boundary(*i))
                    .unwrap_or(0);
                body.truncate(cut);
                body.push('…');
            }
            format!(
                "[{:?}] {} — {:?} {path} as {caller}: expected {expect:?}, got {} ({why}); \
                 body: {body}",
                self.db,
                ep.label,
                ep.verb,
                status.as_u16()
            )
        })
    }
}

/// A cell's request, ready to send.
struct Request {
    path: String,
    token: Option<String>,
    body: Body,
    target: Target,
    login: Option<Login>,
}

impl Body {
    fn duplicate(&self) -> Body {
        match self {
            Body::Empty => Body::Empty,
            Body::Json(v) => Body::Json(v.clone()),
            Body::Csv(s) => Body::Csv(s.clone()),
        }
    }

    /// Another request: the same with one more field, or one more line.
    fn changed(&self) -> Body {
        match self {
            Body::Empty => Body::Json(json!({"changed": true})),
            Body::Json(Value::Object(m)) => {
                let mut m = m.clone();
                m.insert("changed".into(), json!(true));
                Body::Json(Value::Object(m))
            }
            Body::Json(v) => Body::Json(json!({"changed": v})),
            Body::Csv(s) => Body::Csv(format!("{s}\n")),
        }
    }
}

/// How an accepted import ended: the job as its status route shows it, and its rows.
struct JobEnd {
    job: Value,
    rows: Vec<Value>,
}

/// Whether the answer is what the cell expects.
fn judge(
    expect: Expect,
    status: StatusCode,
    body: &Value,
    appended: bool,
    appends: bool,
    ids: &[String],
    job: Option<&JobEnd>,
) -> Result<(), String> {
    let status = status.as_u16();
    let code = body["code"].as_str().unwrap_or("");
    let text = body.to_string();
    let is = |want: u16| {
        if status == want {
            Ok(())
        } else {
            Err(format!("status {status}, not {want}"))
        }
    };
    let unchanged = || {
        if appended {
            Err("a refused call appended events".to_owned())
        } else {
            Ok(())
        }
    };
    let code_is = |want: &str| {
        if code == want {
            Ok(())
        } else {
            Err(format!("code {code:?}, not {want:?}"))
        }
    };
    match expect {
        Expect::Allow(want) => {
            assert!(
                (200..300).contains(&want),
                "Allow({want}) is for 2xx answers"
            );
            is(want)?;
            match (appends, appended) {
                (true, false) => Err("an allowed command appended nothing".into()),
                (false, true) => Err("this call appended events".into()),
                _ => Ok(()),
            }
        }
        Expect::Lists => {
            is(200)?;
            if let Some(missing) = ids.iter().find(|id| !text.contains(id.as_str())) {
                return Err(format!("{missing} is not listed"));
            }
            unchanged()
        }
        Expect::Filtered => {
            is(200)?;
            if let Some(leaked) = ids.iter().find(|id| text.contains(id.as_str())) {
                return Err(format!("{leaked} is shown"));
            }
            unchanged()
        }
        Expect::Forbidden => {
            is(403)?;
            code_is("forbidden")?;
            if body["details"]["permission"]
                .as_str()
                .is_none_or(|p| p.trim().is_empty())
            {
                return Err("no details.permission".into());
            }
            unchanged()
        }
        Expect::Hidden => {
            is(404)?;
            if !code.ends_with("not_found") {
                return Err(format!("code {code:?} is not a not-found code"));
            }
            unchanged()
        }
        Expect::Unauth => {
            is(401)?;
            code_is("unauthenticated")?;
            unchanged()
        }
        Expect::Refused(want, c) => {
            is(want)?;
            code_is(c)?;
            unchanged()
        }
        Expect::Imported(_) | Expect::RowsRejected(_) => {
            is(202)?;
            if !appended {
                return Err("an accepted upload recorded nothing".into());
            }
            let Some(JobEnd { job, rows }) = job else {
                return Err("no job in the answer".into());
            };
            if job["status"] != "finished" {
                return Err(format!("the job did not finish: {job}"));
            }
            let count = |k: &str| job[k].as_u64().unwrap_or(u64::MAX);
            match expect {
                Expect::Imported(n) if (count("total"), count("applied")) != (n, n) => Err(
                    format!("{n} rows applied expected; the job ended as {job}; rows: {rows:?}"),
                ),
                Expect::RowsRejected(_) if count("applied") != 0 => {
                    Err(format!("a row out of scope applied: {job}"))
                }
                Expect::RowsRejected(c) => {
                    let reasons: Vec<&Value> = rows.iter().map(|r| &r["errors"]).collect();
                    let every = !rows.is_empty()
                        && rows.iter().all(|r| {
                            r["outcome"] == "rejected"
                                && r["errors"]
                                    .as_array()
                                    .is_some_and(|e| e.iter().any(|e| e["code"] == c))
                        });
                    if every {
                        Ok(())
                    } else {
                        Err(format!("not every row rejected as {c}: {reasons:?}"))
                    }
                }
                _ => Ok(()),
            }
        }
    }
}

/// `get /api/forms/{}`: the route a path template or an OpenAPI path names.
fn route(verb: &str, path: &str) -> (String, String) {
    let path = path.split('?').next().unwrap_or("");
    let segments: Vec<&str> = path
        .split('/')
        .map(|s| if s.starts_with('{') { "{}" } else { s })
        .collect();
    (verb.to_ascii_lowercase(), segments.join("/"))
}

/// Every served route is in the main table, and the table names no other.
#[test]
fn the_table_covers_every_route() {
    let served: BTreeSet<_> = api::openapi::ROUTES
        .iter()
        .map(|(m, p)| route(m, p))
        .collect();
    let tabled: BTreeSet<_> = main_table()
        .iter()
        .map(|(ep, _)| route(&format!("{:?}", ep.verb), ep.path))
        .collect();
    let missing: Vec<_> = served.difference(&tabled).collect();
    let unknown: Vec<_> = tabled.difference(&served).collect();
    assert!(missing.is_empty(), "routes without a row: {missing:?}");
    assert!(unknown.is_empty(), "rows for no route: {unknown:?}");
}

/// The routes that take no Idempotency-Key: a session is opened or closed, a judgment
/// previewed; nothing is recorded.
const WITHOUT_KEY: [&str; 3] = ["/api/login", "/api/logout", "/api/forms/{form}/preview"];

impl Harness {
    /// One command with an Idempotency-Key, then the same key with another request, then the
    /// same request again: the first does what it does, the second is refused as a reused key,
    /// the third answers as the first did, and neither of the last two appends anything.
    async fn idempotent(&self, ep: &Endpoint, caller: Caller) -> Result<(), String> {
        let Request {
            path, token, body, ..
        } = self.request(ep, caller).await;
        let key = format!("walk-{}", self.next());
        let fail = |why: String| {
            format!(
                "[{:?}] {} — POST {path} as {caller}: {why}",
                self.db, ep.label
            )
        };
        let send =
            |body: Body| self.call_with_key(Verb::Post, &path, token.as_deref(), body, Some(&key));
        let before = self.events().await;
        let (first, answer) = send(body.duplicate()).await;
        if !first.is_success() {
            return Err(fail(format!("the first request failed: {first} {answer}")));
        }
        if let (StatusCode::ACCEPTED, Some(t)) = (first, token.as_deref()) {
            self.job_end(&answer, t).await;
        }
        if matches!(ep.payload, Payload::Password) {
            if let Some(l) = self.logins.lock().expect("logins").get_mut(&caller) {
                l.password = next_password(&l.password);
            }
        }
        let done = self.events().await;
        if done == before {
            return Err(fail("the first request appended nothing".into()));
        }
        let (other, refusal) = send(body.changed()).await;
        if other != StatusCode::UNPROCESSABLE_ENTITY || refusal["code"] != "idempotency_key_reused"
        {
            return Err(fail(format!(
                "the key with another request answered {other} {refusal}"
            )));
        }
        if self.events().await != done {
            return Err(fail("the key with another request appended events".into()));
        }
        let (again, replay) = send(body).await;
        if !again.is_success() {
            return Err(fail(format!("the retry answered {again} {replay}")));
        }
        if let (StatusCode::ACCEPTED, Some(t)) = (again, token.as_deref()) {
            self.job_end(&replay, t).await;
        }
        if self.events().await != done {
            return Err(fail("the retry appended events".into()));
        }
        Ok(())
    }
}

/// Every command route, walked with an Idempotency-Key as the first caller of its row who may
/// call it; login and logout refuse a key.
async fn idempotency(db: Db) {
    let h = harness(db).await;
    let mut failures = vec![];
    let mut walked = BTreeSet::new();
    for (ep, expect) in main_table() {
        if ep.verb != Verb::Post || WITHOUT_KEY.contains(&ep.path) {
            continue;
        }
        let allowed = columns().into_iter().zip(expect).find(|(_, e)| {
            matches!(
                e,
                Expect::Allow(_) | Expect::Imported(_) | Expect::RowsRejected(_)
            )
        });
        let Some((caller, _)) = allowed else {
            continue;
        };
        walked.insert(route("post", ep.path));
        if let Err(f) = h.idempotent(&ep, caller).await {
            failures.push(f);
        }
    }
    let commands: BTreeSet<_> = api::openapi::ROUTES
        .iter()
        .filter(|(m, p)| {
            *m == "post" && !WITHOUT_KEY.iter().any(|w| route("post", w) == route(m, p))
        })
        .map(|(m, p)| route(m, p))
        .collect();
    let missed: Vec<_> = commands.difference(&walked).collect();
    assert!(
        missed.is_empty(),
        "[{db:?}] command routes not walked: {missed:?}"
    );
    for path in WITHOUT_KEY {
        let token = h.token(of(Program::Nanbyo, Role::Operator));
        let (status, body) = h
            .call_with_key(
                Verb::Post,
                path,
                Some(&token),
                Body::Json(json!({})),
                Some("a-key"),
            )
            .await;
        if status != StatusCode::BAD_REQUEST || body["code"] != "idempotency_key_not_accepted" {
            failures.push(format!("[{db:?}] POST {path} with a key: {status} {body}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} command routes do not honour their key:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test]
async fn postgres_every_command_route_refuses_a_reused_key_and_replays_a_retry() {
    idempotency(Db::Postgres).await;
}

#[tokio::test]
async fn sqlite_every_command_route_refuses_a_reused_key_and_replays_a_retry() {
    idempotency(Db::Sqlite).await;
}

async fn harness(db: Db) -> Harness {
    let (base, _, store) = spawn_with_store(db).await;
    let h = Harness {
        db,
        base,
        client: Client::new(),
        accounts: Provisioner::new(store.clone()),
        store,
        tokyo: prefecture_government("13").as_str().to_owned(),
        logins: Mutex::new(HashMap::new()),
        shared: Mutex::new(HashMap::new()),
        serial: AtomicU64::new(1),
    };
    let operator = of(Program::Nanbyo, Role::Operator);
    let login = h
        .accounts
        .login(&h.who(operator).expect("who"))
        .await
        .expect("operator");
    h.logins.lock().expect("logins").insert(operator, login);
    h.register(HOSPITAL).await;
    h.register(HOSPITAL_B).await;
    // The previous form version, for paper forms.
    let mut old: Value = parkinson();
    old["form_version"] = json!("2015-01-01");
    h.must(
        "/api/masters/versions",
        operator,
        json!({"version": "legacy-2015", "diseases": [old]}),
        201,
    )
    .await;
    // Every caller exists before the first cell: an account created on demand would move the
    // store's head in the middle of a cell.
    let mut callers = vec![Caller::ResponsibleDoctor];
    for p in Program::ALL {
        callers.extend(ROLES.map(|r| of(p, r)));
    }
    callers.extend(
        [Role::DesignatedDoctor, Role::Clerk, Role::ResponsiblePerson].map(Caller::HospitalB),
    );
    callers.extend([Role::MunicipalityAdmin, Role::MunicipalityStaff].map(Caller::Tokyo));
    for caller in callers {
        let who = h.who(caller).expect("who");
        let login = h.accounts.login(&who).await.expect("account");
        h.logins.lock().expect("logins").insert(caller, login);
    }
    for caller in [Caller::Secondary, Caller::Applicant] {
        let login = h
            .accounts
            .create(&Who::new(Role::DesignatedDoctor).at(HOSPITAL_B))
            .await
            .expect("doctor");
        let (status, body) = h
            .call(
                Verb::Post,
                "/api/affiliations",
                Some(&login.token),
                Body::Json(json!({"institution": HOSPITAL})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "setup: apply: {body}");
        if caller == Caller::Secondary {
            h.approve_at_hospital(&login.account_id).await;
        }
        h.logins.lock().expect("logins").insert(caller, login);
    }
    h
}

async fn authorization(db: Db) {
    let started = std::time::Instant::now();
    let h = harness(db).await;
    let mut failures = vec![];
    let mut cells = 0;
    for (ep, expect) in main_table() {
        for (caller, e) in columns().into_iter().zip(expect) {
            cells += 1;
            if let Err(f) = h.cell(&ep, caller, e).await {
                failures.push(f);
            }
        }
    }
    for (ep, caller, e) in cross_table() {
        cells += 1;
        if let Err(f) = h.cell(&ep, caller, e).await {
            failures.push(f);
        }
    }
    eprintln!(
        "[{db:?}] {cells} authorization cells in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    assert!(
        failures.is_empty(),
        "{} of {cells} cells failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test]
async fn postgres_every_endpoint_for_every_role() {
    authorization(Db::Postgres).await;
}

#[tokio::test]
async fn sqlite_every_endpoint_for_every_role() {
    authorization(Db::Sqlite).await;
}
