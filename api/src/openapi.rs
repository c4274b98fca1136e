//! The OpenAPI document served at `/openapi.json`. Written here beside the routes it
//! describes; the tests below fail if a documented route is not served, if a served route is
//! not documented, or if a documented example does not parse into the handler's body type.

use serde_json::{json, Value};

/// Every route the service serves: (method, path).
pub const ROUTES: &[(&str, &str)] = &[
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/metrics"),
    ("get", "/openapi.json"),
    ("post", "/api/forms"),
    ("get", "/api/forms"),
    ("post", "/api/forms/paper"),
    ("get", "/api/forms/{id}/scan"),
    ("get", "/api/forms/{id}"),
    ("get", "/api/forms/{id}/judgment"),
    ("get", "/api/forms/{id}/actions"),
    ("post", "/api/forms/{id}/preview"),
    ("get", "/api/forms/{id}/history"),
    ("get", "/api/forms/{id}/diff"),
    ("get", "/api/history"),
    ("post", "/api/forms/{id}/items"),
    ("post", "/api/forms/{id}/submit"),
    ("post", "/api/forms/{id}/receive"),
    ("post", "/api/forms/receive"),
    ("post", "/api/forms/{id}/corrections"),
    ("post", "/api/forms/{id}/patient"),
    ("post", "/api/forms/{id}/review"),
    ("post", "/api/forms/{id}/administrative"),
    ("post", "/api/forms/{id}/withdraw"),
    ("post", "/api/masters/versions"),
    ("get", "/api/masters/diseases"),
    ("get", "/api/masters/municipalities"),
    ("post", "/api/masters/municipalities"),
    ("post", "/api/masters/institutions"),
    ("post", "/api/masters/institutions/{code}/successor"),
    ("post", "/api/login"),
    ("post", "/api/logout"),
    ("get", "/api/me"),
    ("post", "/api/me/password"),
    ("post", "/api/accounts"),
    ("get", "/api/accounts"),
    ("post", "/api/accounts/user-file"),
    ("get", "/api/accounts/{id}"),
    ("post", "/api/accounts/{id}/suspend"),
    ("post", "/api/accounts/{id}/reactivate"),
    ("post", "/api/accounts/{id}/password-reset"),
    ("post", "/api/affiliations"),
    ("get", "/api/affiliations"),
    ("post", "/api/affiliations/{account}/{institution}/approve"),
    ("post", "/api/affiliations/{account}/{institution}/reject"),
    ("post", "/api/affiliations/{account}/{institution}/revoke"),
    ("post", "/api/institutions/{code}/switch"),
    ("get", "/api/audit/reads"),
    ("post", "/api/research/extracts"),
    ("get", "/api/research/extracts/{id}/{format}"),
    ("post", "/api/imports/{use}"),
    ("get", "/api/imports"),
    ("get", "/api/imports/jobs/{id}"),
    ("get", "/api/imports/jobs/{id}/rows"),
];

/// Request examples, also parsed by the tests into the handler's body types.
pub fn example_create_form() -> Value {
    json!({
        "disease": "6", "form_version": "2024-04-01", "application": "new", "purpose": "subsidy",
        "institution": "0110113719", "jurisdiction": "010006", "research_consent": true,
        "patient": {
            "name_kanji": "山田 太郎", "name_kana": "ヤマダ タロウ", "birth_date": "1950-04-01",
            "sex": "male", "address": "小樽市花園2丁目", "municipality": "012025",
            "insurer_number": "01234567", "insured_symbol_number": "1・2", "recipient_number": null
        },
        "items": {"dx.parkinsonism": true, "sev.hoehn_yahr": "3"}
    })
}

pub fn example_paper() -> Value {
    let mut form = example_create_form();
    form["form_version"] = json!("2015-01-01");
    form["scan"] = json!({"media_type": "application/pdf", "content_base64": "JVBERi0xLjQK"});
    form
}

fn patient_schema() -> Value {
    json!({"type": "object", "required": ["name_kanji", "name_kana", "birth_date", "sex", "address", "municipality"],
        "properties": {
            "name_kanji": {"type": "string"}, "name_kana": {"type": "string"},
            "birth_date": {"type": "string", "format": "date"}, "sex": {"enum": ["male", "female"]},
            "address": {"type": "string"}, "municipality": {"type": "string", "pattern": "^[0-9]{6}$"},
            "insurer_number": {"type": ["string", "null"]}, "insured_symbol_number": {"type": ["string", "null"]},
            "recipient_number": {"type": ["string", "null"], "pattern": "^[0-9]{7}$", "description": "受給者番号 (check digit validated)"}}})
}

pub fn example_patient_change() -> Value {
    let mut patient = example_create_form()["patient"].clone();
    patient["address"] = json!("小樽市稲穂1丁目");
    json!({"patient": patient, "reason": "転居（市内）"})
}

pub fn example_items() -> Value {
    json!({"items": {"sev.hoehn_yahr": "4", "dx.imaging_no_cause": null}, "reason": "転記誤りの訂正"})
}

pub fn example_review() -> Value {
    json!({"result": {"result": "certified", "from": "2024-05-01", "to": "2025-04-30"}})
}

fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    })
}

fn command(summary: &str, body: Option<(Value, Value)>, extra: &[(&str, &str)]) -> Value {
    let mut op = json!({
        "summary": summary,
        "parameters": [
            {"$ref": "#/components/parameters/IdempotencyKey"},
            {"$ref": "#/components/parameters/IfMatch"}
        ],
        "responses": {
            "200": {"description": "Done", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Accepted"}}}},
            "401": error_response("`unauthenticated`: no valid bearer token"),
            "403": error_response("The actor may not do this (`forbidden`, details.permission)"),
            "404": error_response("No such form within the actor's scope"),
            "409": error_response("`version_conflict` (details.current_version) or `wrong_status`"),
            "413": error_response("`body_too_large`"),
            "415": error_response("`unsupported_media_type`: the body is not declared application/json"),
            "422": error_response("`invalid_body`, `invalid_items` (one entry per item or patient field, see docs/forms.md), `reason_required`, `unchanged`, `invalid`, `idempotency_key_reused` (the key came with another request)")
        }
    });
    if let Some((schema, example)) = body {
        op["requestBody"] = json!({
            "required": true,
            "content": {"application/json": {"schema": schema, "example": example}}
        });
    }
    for (code, description) in extra {
        op["responses"][*code] = json!({"description": description});
    }
    op
}

fn items_schema() -> Value {
    json!({"type": "object", "description": "item id → value (null clears an item); types per the master",
           "additionalProperties": true})
}

pub fn document() -> Value {
    let id = json!({"name": "id", "in": "path", "required": true, "schema": {"type": "string"}});
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "nanbyo — 難病・小慢 registry",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Forms (臨個票・医療意見書), machine judgment (機械判定) and masters. Errors are {code, message:{ja,en}, details?} — every rejection, the framework's own included: 404 not_found (no route), 405 method_not_allowed, 413 body_too_large, 415 unsupported_media_type (a JSON route takes only application/json), 400 bad_request (a malformed path). An Idempotency-Key is tied to its request (method, path, query, body) on every route: the same key with another request is 422 idempotency_key_reused; login and logout take none (400 idempotency_key_not_accepted)."
        },
        "paths": {
    "/healthz": {"get": {"security": [], "summary": "The process is up", "responses": {"200": {"description": "ok"}}}},
            "/readyz": {"get": {"security": [], "summary": "The database answers", "responses": {"200": {"description": "ready"}, "503": error_response("database_unavailable")}}},
            "/metrics": {"get": {"security": [], "summary": "Prometheus metrics: projection lag and stops", "responses": {"200": {"description": "text exposition format"}, "503": error_response("database_unavailable")}}},
            "/openapi.json": {"get": {"security": [], "summary": "This document", "responses": {"200": {"description": "OpenAPI 3.1"}}}},
            "/api/forms": {"post": command(
                "Create a draft form (doctor or clerk); judged at once. With carry_over_from, starts from the patient's previous form (前回値踏襲).",
                Some((json!({"$ref": "#/components/schemas/CreateForm"}), example_create_form())),
                &[("201", "Created: {id, version, position, duplicate}")]),
                "get": {
                    "summary": "Search forms in the caller's scope (doctors and clerks: their institutions; municipality users: their jurisdiction, submitted forms; auditors: the program), keyset-paged",
                    "parameters": [
                        {"name": "disease", "in": "query", "schema": {"type": "string"}},
                        {"name": "status", "in": "query", "schema": {"enum": ["draft", "submitted", "received", "decided", "withdrawn"]}},
                        {"name": "institution", "in": "query", "schema": {"type": "string"}},
                        {"name": "author", "in": "query", "schema": {"type": "string"}},
                        {"name": "municipality", "in": "query", "schema": {"type": "string"}},
                        {"name": "purpose", "in": "query", "schema": {"enum": ["subsidy", "registrant_certificate_only"]}},
                        {"name": "outcome", "in": "query", "schema": {"enum": ["meets", "does_not_meet", "undeterminable", "municipality"]}},
                        {"name": "kana", "in": "query", "description": "prefix of the patient's kana (spaces ignored)", "schema": {"type": "string"}},
                        {"name": "kana_contains", "in": "query", "schema": {"type": "string"}},
                        {"name": "birth_date", "in": "query", "schema": {"type": "string", "format": "date"}},
                        {"name": "updated_from", "in": "query", "schema": {"type": "string", "format": "date-time"}},
                        {"name": "updated_to", "in": "query", "schema": {"type": "string", "format": "date-time"}},
                        {"name": "sort", "in": "query", "schema": {"enum": ["updated_desc", "updated_asc", "kana_asc"]}},
                        {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200}},
                        {"name": "page_token", "in": "query", "schema": {"type": "string"}},
                        {"name": "after_position", "in": "query", "description": "wait (≤ 5 s) until the view includes this command's position", "schema": {"type": "integer"}}
                    ],
                    "responses": {"200": {"description": "{forms, next_page_token}"}, "400": error_response("invalid_query"), "403": error_response("forbidden"), "503": error_response("view_behind")}
                }},
            "/api/forms/paper": {"post": command(
                "Register an old-version paper form (municipality staff of the jurisdiction): the scan (PDF, PNG, JPEG or TIFF, ≤ 20 MiB, Base64) is stored by its SHA-256, the transcribed items are judged with the form version's own rules, and the form is received at once",
                Some((json!({"allOf": [{"$ref": "#/components/schemas/CreateForm"}, {"type": "object", "required": ["scan"], "properties": {"scan": {"type": "object", "required": ["media_type", "content_base64"], "properties": {"media_type": {"enum": ["application/pdf", "image/png", "image/jpeg", "image/tiff"]}, "content_base64": {"type": "string"}}}}}]}),
                      example_paper())),
                &[("201", "Registered: {id, version, position, duplicate}")])},
            "/api/forms/{id}/scan": {"get": {
                "summary": "The scan of a paper form (scoped readers)",
                "parameters": [id.clone()],
                "responses": {"200": {"description": "The file, with its media type"}, "404": error_response("form_not_found")}
            }},
            "/api/forms/{id}": {"get": {
                "summary": "The form now, as of a time (as_of, RFC 3339) or as of a version",
                "parameters": [id.clone(),
                    {"name": "as_of", "in": "query", "schema": {"type": "string", "format": "date-time"}},
                    {"name": "version", "in": "query", "schema": {"type": "integer", "minimum": 1}}],
                "responses": {"200": {"description": "The form"}, "400": error_response("invalid_query"), "404": error_response("form_not_found")}
            }},
            "/api/forms/{id}/judgment": {"get": {
                "summary": "The latest 一次判定: meets, does_not_meet, undeterminable (with the missing items) or municipality (the disease's criteria are not encoded: the municipality judges); errors per item, and warnings: valid values outside an item's usual range (unusual_value), to confirm, which change nothing",
                "parameters": [id.clone()],
                "responses": {"200": {"description": "The judgment"}, "404": error_response("form_not_found")}
            }},
            "/api/forms/{id}/actions": {"get": {
                "summary": "What the caller may do with the form as it stands — edit, submit, withdraw, change_patient, receive, correct, review, administrative — each {allowed, needs_reason, why_not: [ja, en]}, tried by the domain on the current state with nothing appended",
                "parameters": [id.clone()],
                "responses": {"200": {"description": "{id, actions: {version, edit, submit, …}}"}, "404": error_response("form_not_found")}
            }},
            "/api/forms/{id}/preview": {"post": {
                "summary": "The judgment the form would have with these items entered (live judgment while writing): nothing is appended; the caller must be one who may edit the form. Takes no Idempotency-Key (400 idempotency_key_not_accepted)",
                "parameters": [id.clone()],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["items"], "properties": {"items": items_schema()}}, "example": {"items": example_items()}}}},
                "responses": {"200": {"description": "{id, judgment, item_errors}: item_errors lists the items that would be refused, per item as in invalid_items"}, "403": error_response("forbidden"), "404": error_response("form_not_found"), "409": error_response("wrong_status"), "415": error_response("unsupported_media_type"), "422": error_response("invalid_body")}
            }},
            "/api/forms/{id}/history": {"get": {
                "summary": "The form's history (履歴照会): every event and read, with actor, role, reason and item changes old → new with their labels (a recorded read)",
                "parameters": [id.clone(), {"name": "format", "in": "query", "schema": {"enum": ["json", "csv"]}}],
                "responses": {"200": {"description": "{entries} or CSV"}, "400": error_response("invalid_query"), "404": error_response("form_not_found"), "503": error_response("view_behind")}
            }},
            "/api/forms/{id}/diff": {"get": {
                "summary": "What changed between two versions of the form (a recorded read)",
                "parameters": [id.clone(),
                    {"name": "from", "in": "query", "required": true, "schema": {"type": "integer", "minimum": 1}},
                    {"name": "to", "in": "query", "required": true, "schema": {"type": "integer", "minimum": 1}}],
                "responses": {"200": {"description": "{id, from, to, changes}"}, "400": error_response("invalid_query"), "404": error_response("form_not_found"), "422": error_response("unknown_version")}
            }},
            "/api/history": {"get": {
                "summary": "The history of a patient (patient_of_form), an account or an institution: auditors (an account also its own)",
                "parameters": [
                    {"name": "patient_of_form", "in": "query", "schema": {"type": "string"}},
                    {"name": "account", "in": "query", "schema": {"type": "string"}},
                    {"name": "institution", "in": "query", "schema": {"type": "string"}},
                    {"name": "format", "in": "query", "schema": {"enum": ["json", "csv"]}}],
                "responses": {"200": {"description": "{entries} or CSV"}, "400": error_response("invalid_query"), "403": error_response("forbidden"), "503": error_response("view_behind")}
            }},
            "/api/forms/{id}/items": {"post": with_id(command(
                "Edit items (doctor or clerk; a clerk only drafts; after submission a reason is required)",
                Some((json!({"type": "object", "required": ["items"], "properties": {"items": items_schema(), "reason": {"type": "string"}}}), example_items())),
                &[]), &id)},
            "/api/forms/{id}/submit": {"post": with_id(command("Submit (designated doctor of the institution; 協力難病指定医: renewals only)", None, &[]), &id)},
            "/api/forms/{id}/receive": {"post": with_id(command(
                "Receive the application: enter the アクセスキー issued at submission (municipality staff of the jurisdiction)",
                Some((json!({"type": "object", "required": ["access_key"], "properties": {"access_key": {"type": "string", "pattern": "^[A-HJ-NP-Za-hj-np-z2-9]{12}$", "description": "the key printed on the patient's copy at submission"}}}), json!({"access_key": "ABCD2345EFGH"}))),
                &[]), &id)},
            "/api/forms/receive": {"post": command(
                "受付 by アクセスキー alone (municipality staff): the form carrying the key, in the caller's jurisdiction, is received; the answer names it (`id`). A key of another jurisdiction, or none, is 404 form_not_found",
                Some((json!({"type": "object", "required": ["access_key"], "properties": {"access_key": {"type": "string", "pattern": "^[A-HJ-NP-Za-hj-np-z2-9]{12}$", "description": "the key printed on the patient's copy at submission"}}}), json!({"access_key": "ABCD2345EFGH"}))),
                &[])},
            "/api/forms/{id}/corrections": {"post": with_id(command(
                "データ修正 by the municipality, with a reason",
                Some((json!({"type": "object", "required": ["items", "reason"], "properties": {"items": items_schema(), "reason": {"type": "string"}}}), example_items())),
                &[]), &id)},
            "/api/forms/{id}/patient": {"post": with_id(command(
                "Correct the patient's data with the whole corrected block: by the institution while a draft; after submission with a reason, by the doctor until receipt and by the municipality after (データ修正). The event lists the fields that changed; the municipality must stay within the form's jurisdiction (422 `invalid` otherwise); 422 `unchanged` when nothing differs",
                Some((json!({"type": "object", "required": ["patient"], "properties": {"patient": {"$ref": "#/components/schemas/Patient"}, "reason": {"type": "string"}}}), example_patient_change())),
                &[]), &id)},
            "/api/forms/{id}/review": {"post": with_id(command(
                "審査結果: certified {from,to} / not_certified {reason} for subsidy forms; certificate_issued / certificate_not_issued {reason} for registrant-certificate-only forms",
                Some((json!({"type": "object", "required": ["result"], "properties": {"result": {"$ref": "#/components/schemas/ReviewResult"}, "reason": {"type": "string"}}}), example_review())),
                &[]), &id)},
            "/api/forms/{id}/administrative": {"post": with_id(command(
                "行政記載欄 (municipality staff): application_date, recipient_number (check digit validated), mild_high_cost (軽症高額該当), high_cost_long_term, life_support, remarks; null clears a field",
                Some((json!({"type": "object", "required": ["fields"], "properties": {"fields": {"type": "object"}, "reason": {"type": "string"}}}),
                      json!({"fields": {"application_date": "2024-05-10", "recipient_number": "1234566", "mild_high_cost": true}}))),
                &[]), &id)},
            "/api/forms/{id}/withdraw": {"post": with_id(command(
                "Withdraw, with a reason",
                Some((json!({"type": "object", "required": ["reason"], "properties": {"reason": {"type": "string"}}}), json!({"reason": "患者の申請取り下げ"}))),
                &[]), &id)},
            "/api/masters/versions": {"post": command(
                "Publish a master version (operator); see docs/masters.md for the disease form format",
                Some((json!({"type": "object", "required": ["version", "diseases"], "properties": {"version": {"type": "string"}, "diseases": {"type": "array", "items": {"type": "object"}}}}),
                      json!({"version": "2024-10", "diseases": []}))),
                &[("201", "Published")])},
            "/api/masters/institutions": {"post": command(
                "Register a medical institution in the master (operator); forms can only name registered institutions",
                Some((json!({"type": "object", "required": ["code", "name"], "properties": {"code": {"type": "string", "pattern": "^[0-9]{10}$"}, "name": {"type": "string"}}}),
                      json!({"code": "0110113719", "name": "札幌中央病院"}))),
                &[("201", "Registered")])},
            "/api/masters/institutions/{code}/successor": {"post": with_path(command(
                "Link an old institution code to its registered successor (operator, 医療機関コードの変更)",
                Some((json!({"type": "object", "required": ["successor"], "properties": {"successor": {"type": "string", "pattern": "^[0-9]{10}$"}}}), json!({"successor": "0110113727"}))),
                &[]), "code")},
            "/api/login": {"post": {
                "summary": "Log in with login ID and password; returns a bearer token (8 hours). 5 failures in a row lock the account for 15 minutes. A scheduled institution-code switch takes effect here.",
                "security": [],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["login_id", "password"], "properties": {"login_id": {"type": "string"}, "password": {"type": "string"}}}, "example": {"login_id": "N7K2M9QX4T3P", "password": "…"}}}},
                "responses": {"200": {"description": "{token, expires_at, account_id, must_change_password, switched}"},
                    "401": error_response("invalid_credentials (no hint which part was wrong)"),
                    "403": error_response("account_suspended"), "423": error_response("account_locked (details.locked_until)")}
            }},
            "/api/logout": {"post": {"summary": "End this token's session", "responses": {"204": {"description": "Logged out"}, "401": error_response("unauthenticated")}}},
            "/api/me": {"get": {"summary": "The logged-in account: role, program, institutions (primary + approved secondary), designation in force, pending switch", "responses": {"200": {"description": "The account"}, "401": error_response("unauthenticated")}}},
            "/api/me/password": {"post": command(
                "Change one's own password (12–128 characters, three of lower/upper/digits/symbols, not containing the login ID); stored as argon2id",
                Some((json!({"type": "object", "required": ["current_password", "new_password"], "properties": {"current_password": {"type": "string"}, "new_password": {"type": "string"}}}), json!({"current_password": "…", "new_password": "…"}))),
                &[])},
            "/api/accounts": {
                "post": command(
                    "Create an account: operator → municipality_admin, operator, auditor; municipality_admin → municipality_staff of its jurisdiction, designated_doctor / responsible_person of institutions in its prefecture; responsible person → clerk of its institution. Always in the caller's program. The initial password is in this response only.",
                    Some((json!({"type": "object", "required": ["role", "display_name"], "properties": {"role": {"type": "string"}, "display_name": {"type": "string"}, "designation": {"type": "object"}, "primary_institution": {"type": "string"}, "responsible_for": {"type": "string"}, "jurisdiction": {"type": "string"}}}),
                          json!({"role": "municipality_staff", "display_name": "道庁 花子", "jurisdiction": "010006"}))),
                    &[("201", "{account_id, login_id, initial_password}")]),
                "get": {"summary": "Accounts the caller manages (keyset paging with after=)", "parameters": [
                    {"name": "role", "in": "query", "schema": {"type": "string"}},
                    {"name": "institution", "in": "query", "schema": {"type": "string"}},
                    {"name": "after", "in": "query", "schema": {"type": "string"}},
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "maximum": 1000}}],
                    "responses": {"200": {"description": "{accounts, next_after}"}, "403": error_response("forbidden")}}
            },
            "/api/accounts/user-file": {"post": {
                "summary": "医療機関ユーザデータファイル (municipality admin): .xlsx or .csv (UTF-8 with or without BOM, Shift_JIS), raw body or multipart, read row by row. The header row is the first of rows 1–10 naming a column (a title and notes may be above it; header_row says which); full-width digits in codes, numbers and dates are read as ASCII. Per-row results: every registered row and the first 1,000 rows in error (by row); rows, errors and error_codes (rows per error code) count every row, omitted_error_rows the rows in error left out, and note says so in words when there are any. Rows of the other program are errors; re-uploading creates nothing twice. ?download=notification answers with the ID・PW発行通知書 as CSV (the same rows, and a last line 省略 when rows in error were left out). See docs/user-data-file.md.",
                "parameters": [{"name": "download", "in": "query", "schema": {"const": "notification"}}],
                "responses": {"200": {"description": "{format, header_row, rows, created, already_registered, errors, omitted_error_rows, error_codes: {code: rows}, note?: {ja, en}, results[] (at most 1,000 rows in error), notification[]}"},
                    "403": error_response("forbidden"), "422": error_response("empty_file (also a header without rows), not_a_table, undetectable_encoding, wrong_headers (details.file.columns: header_row, missing, unknown and duplicated as [{column: \"D\", excerpt?}] — an excerpt of at most 40 characters only of a cell not shaped like personal data —, unknown_count, duplicated_count), too_many_rows (more than 1,000,000 data rows: refused when the 1,000,001st is read, nothing registered) …")}
            }},
            "/api/accounts/{id}": {"get": {"summary": "An account (itself, its manager, an auditor or operator of its program)", "parameters": [id.clone()],
                "responses": {"200": {"description": "The account"}, "404": error_response("account_not_found")}}},
            "/api/accounts/{id}/suspend": {"post": with_id(command("Suspend (who manages the account), with a reason; its sessions end", Some((json!({"type": "object", "required": ["reason"], "properties": {"reason": {"type": "string"}}}), json!({"reason": "退職"}))), &[]), &id)},
            "/api/accounts/{id}/reactivate": {"post": with_id(command("Reactivate, with a reason", Some((json!({"type": "object", "required": ["reason"], "properties": {"reason": {"type": "string"}}}), json!({"reason": "復職"}))), &[]), &id)},
            "/api/accounts/{id}/password-reset": {"post": with_id(command("Issue a new initial password (who manages the account); shown once", None, &[("200", "{account_id, login_id, initial_password}")]), &id)},
            "/api/affiliations": {
                "post": command("Apply for a secondary institution (兼務先登録申請; designated doctors)",
                    Some((json!({"type": "object", "required": ["institution"], "properties": {"institution": {"type": "string"}}}), json!({"institution": "0110113727"}))),
                    &[("201", "Applied")]),
                "get": {"summary": "Affiliation requests: a doctor's own, or those to the responsible person's institution", "parameters": [{"name": "status", "in": "query", "schema": {"enum": ["pending", "approved", "rejected", "revoked"]}}],
                    "responses": {"200": {"description": "{affiliations}"}, "403": error_response("forbidden")}}
            },
            "/api/affiliations/{account}/{institution}/approve": {"post": with_path(with_path(command("Approve (the institution's responsible person)", None, &[]), "institution"), "account")},
            "/api/affiliations/{account}/{institution}/reject": {"post": with_path(with_path(command("Reject, with a reason (the institution's responsible person)", Some((json!({"type": "object", "required": ["reason"], "properties": {"reason": {"type": "string"}}}), json!({"reason": "在籍の確認ができない"}))), &[]), "institution"), "account")},
            "/api/affiliations/{account}/{institution}/revoke": {"post": with_path(with_path(command("Revoke an approved affiliation, with a reason (the doctor or the responsible person)", Some((json!({"type": "object", "required": ["reason"], "properties": {"reason": {"type": "string"}}}), json!({"reason": "兼務終了"}))), &[]), "institution"), "account")},
            "/api/institutions/{code}/switch": {"post": with_path(command(
                "医療機関一括更新 (municipality users of the institution's prefecture): every designated doctor whose primary institution is this old code and every non-doctor responsible person of it switch to the successor at their next login; running it again changes nothing more",
                None, &[("200", "{institution, accounts: [{account_id, login_id, role, result: scheduled|already}]}")]), "code")},
            "/api/audit/reads": {"get": {"summary": "Who read the forms of the patient of ?form= (auditors): account, role, time, origin, route (what); refused attempts too (refused: true). A refused call is recorded for the auditors of the form's program",
                "parameters": [{"name": "form", "in": "query", "required": true, "schema": {"type": "string"}}, {"name": "limit", "in": "query", "schema": {"type": "integer"}}],
                "responses": {"200": {"description": "{reads}"}, "403": error_response("forbidden")}}},
            "/api/research/extracts": {"post": {
                "summary": "研究利用データの抽出 (the program's operator): a de-identified extract of the forms of patients who consented to research use — keyed pseudonym, linkage id when known, age at the form date, sex, prefecture, disease, form version and month, items without free text, judgment, review result; no name, kana, birth date, address, insurance or recipient number, access key. Written server-side as CSV (UTF-8) and Parquet, and recorded as a ResearchExtractRecorded event (who, purpose, approval, filter, rows, SHA-256 of each file). See docs/research-extract.md.",
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["purpose", "approval"], "additionalProperties": false, "properties": {
                    "program": {"enum": ["nanbyo", "shoman"], "description": "default: the operator's program; another program is 403"},
                    "purpose": {"type": "string", "maxLength": 500}, "approval": {"type": "string", "maxLength": 100},
                    "diseases": {"type": "array", "maxItems": 100, "items": {"type": "string"}, "description": "none: every disease of the program"},
                    "from": {"type": "string", "format": "date", "description": "first form date (inclusive, ≥ 2023-10-01)"},
                    "to": {"type": "string", "format": "date", "description": "last form date (inclusive)"},
                    "certified_only": {"type": "boolean", "default": false}}},
                    "example": crate::research::example_create()}}},
                "responses": {"201": {"description": "{id, rows, as_of_position, position, files: [{format, sha256, bytes, href}]}"},
                    "401": error_response("unauthenticated"), "403": error_response("forbidden (details.permission)"),
                    "422": error_response("invalid_body, purpose_required, approval_required, invalid_period, invalid_diseases, unknown_disease (details.disease)"),
                    "503": error_response("research_view_behind, pseudonym_key_unavailable")}
            }},
            "/api/research/extracts/{id}/{format}": {"get": {
                "summary": "Download one file of an extract (the program's operators); X-Content-SHA256 is the digest recorded in the event",
                "parameters": [id.clone(), {"name": "format", "in": "path", "required": true, "schema": {"enum": ["csv", "parquet"]}}],
                "responses": {"200": {"description": "text/csv; charset=utf-8 or application/vnd.apache.parquet"},
                    "403": error_response("forbidden"), "404": error_response("extract_not_found")}
            }},
            "/api/imports/{use}": {"post": import_upload()},
            "/api/imports": {"get": {
                "summary": "The caller's own import jobs, newest first (any logged-in role; an auditor finds other uploaders' jobs by id only)",
                "parameters": [{"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 50}}],
                "responses": {"200": {"description": "{jobs}", "content": {"application/json": {"schema": {"type": "object", "properties": {
                        "jobs": {"type": "array", "items": {"$ref": "#/components/schemas/ImportJob"}}}}}}},
                    "400": error_response("`invalid_query`: an unknown or malformed query parameter"),
                    "401": error_response("unauthenticated")}
            }},
            "/api/imports/jobs/{id}": {"get": import_status(&id)},
            "/api/imports/jobs/{id}/rows": {"get": import_rows(&id)},
            "/api/masters/municipalities": {
                "get": {
                    "security": [],
                    "summary": "The 実施主体 list in force (47 prefectures and the designated cities), with the names of every published version",
                    "responses": {"200": {"description": "{version, bodies: [{code, name, kind}], versions}"}}
                },
                "post": command(
                    "Publish a new 実施主体 list, whole (operator); it is in force from then on. Forms already drafted keep their jurisdiction",
                    Some((json!({"type": "object", "required": ["version", "bodies"], "properties": {
                        "version": {"type": "string"},
                        "bodies": {"type": "array", "items": {"type": "object", "required": ["code", "name", "kind"], "properties": {
                            "code": {"type": "string", "pattern": "^[0-9]{6}$", "description": "全国地方公共団体コード with its check digit"},
                            "name": {"type": "string"},
                            "kind": {"enum": ["prefecture", "designated_city"]}}}}}}),
                          json!({"version": "2026-04-01", "bodies": [{"code": "010006", "name": "北海道", "kind": "prefecture"}, {"code": "011002", "name": "札幌市", "kind": "designated_city"}]}))),
                    &[("201", "Published")])
            },
            "/api/masters/diseases": {"get": {
                "security": [],
                "summary": "The diseases of the latest master version",
                "parameters": [{"name": "program", "in": "query", "schema": {"enum": ["nanbyo", "shoman"]}}],
                "responses": {"200": {"description": "{version, diseases}"}, "400": error_response("invalid_query")}
            }}
        },
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                "description": "The token from POST /api/login; 401 `unauthenticated` when missing, expired, revoked or forged. Until the issued password is changed only /api/me, /api/me/password and /api/logout answer (403 `password_change_required`)."}},
            "parameters": {
                "IdempotencyKey": {"name": "Idempotency-Key", "in": "header", "schema": {"type": "string", "maxLength": 200},
                    "description": "A retry with the same key returns the first result and writes nothing"},
                "IfMatch": {"name": "If-Match", "in": "header", "schema": {"type": "string"},
                    "description": "The form version the client last saw; 409 version_conflict if it moved on"}
            },
            "schemas": {
                "Error": {"type": "object", "required": ["code", "message"], "properties": {
                    "code": {"type": "string"},
                    "message": {"type": "object", "properties": {"ja": {"type": "string"}, "en": {"type": "string"}}},
                    "details": {"type": "object"}}},
                "Accepted": {"type": "object", "properties": {
                    "id": {"type": "string"}, "version": {"type": "integer"}, "position": {"type": "integer"}, "duplicate": {"type": "boolean"}}},
                "ImportAccepted": import_accepted_schema(),
                "ImportJob": import_job_schema(),
                "ImportRow": import_row_schema(),
                "ReviewResult": {"oneOf": [
                    {"type": "object", "required": ["result", "from", "to"], "properties": {"result": {"const": "certified"}, "from": {"type": "string", "format": "date"}, "to": {"type": "string", "format": "date"}}},
                    {"type": "object", "required": ["result", "reason"], "properties": {"result": {"const": "not_certified"}, "reason": {"type": "string"}}},
                    {"type": "object", "required": ["result"], "properties": {"result": {"const": "certificate_issued"}}},
                    {"type": "object", "required": ["result", "reason"], "properties": {"result": {"const": "certificate_not_issued"}, "reason": {"type": "string"}}}]},
                "CreateForm": {"type": "object",
                    "required": ["disease", "application", "purpose", "institution", "jurisdiction", "research_consent"],
                    "properties": {
                        "disease": {"type": "string", "description": "難病: 告示番号; 小慢: 疾患群-番号"},
                        "form_version": {"type": "string", "default": "2024-04-01"},
                        "application": {"enum": ["new", "renewal"]},
                        "purpose": {"enum": ["subsidy", "registrant_certificate_only"]},
                        "institution": {"type": "string", "pattern": "^[0-9]{10}$", "description": "医療機関コード (check digit validated)"},
                        "jurisdiction": {"type": "string", "pattern": "^[0-9]{6}$", "description": "実施主体: prefecture or designated city (全国地方公共団体コード)"},
                        "research_consent": {"type": "boolean"},
                        "carry_over_from": {"type": "string", "description": "前回値踏襲: the previous form's id, or `latest` for the patient's latest form of the disease (the patient must be given)"},
                        "items": items_schema(),
                        "patient": {"$ref": "#/components/schemas/Patient"}
                    }},
                "Patient": patient_schema()
            }
        }
    })
}

// Bulk imports (api/src/imports.rs). Their own functions keep the document's literal small.

/// `POST /api/imports/{use}`.
fn import_upload() -> Value {
    json!({
        "summary": "Bulk import (一括取込): upload a file for one use. `hospital` (designated doctor or clerk): drafts of the uploader's institutions from an in-hospital system; `contractor` (operator): forms prepared by a contractor (委託業者) for any registered institution, the contractor named by ?contractor= or a multipart text part `contractor`; `certification` (municipality staff): 審査結果 from the certification office system, each row matched to a form of the uploader's jurisdiction by access_key or recipient_number; `paper` (municipality staff): the old version's file upload — paper forms of the previous form version, reviewed and transcribed, each registered as a paper form received at once. The file — CSV (UTF-8 with or without BOM, or Shift_JIS), XLSX or JSON Lines, ≤ 2 GiB — is the raw body (named by ?file_name=; any Content-Type but multipart) or, in a multipart form, the first part with a filename or named `file`. Its format, encoding and header are checked at once, and a file that cannot be imported records nothing. The job then runs in the background: every row is validated, then applied in batches; a row applies completely or not at all and is `applied`, `unchanged` (the same file uploaded again) or `rejected` with its column and code. Rows of a form import name a form by institution + external_ref: uploading the file again updates (or leaves) the drafts it created. Follow the job at status_url, each row's outcome at rows_url.",
        "parameters": [
            {"name": "use", "in": "path", "required": true, "schema": {"enum": ["hospital", "contractor", "certification", "paper"]}},
            {"name": "file_name", "in": "query", "description": "the file's name, for a raw-body upload (default: upload; kept to its first 200 characters)", "schema": {"type": "string"}},
            {"name": "contractor", "in": "query", "description": "the contractor (委託業者): required for a contractor import, refused on the other uses; a multipart text part `contractor` may give it instead", "schema": {"type": "string", "maxLength": 200}},
            {"$ref": "#/components/parameters/IdempotencyKey"}
        ],
        "requestBody": {"required": true, "content": {
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
            "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
                "file": {"type": "string", "format": "binary", "description": "the file; its filename names it"},
                "contractor": {"type": "string", "description": "as ?contractor="}}}}
        }},
        "responses": {
            "202": {"description": "Accepted: the job is recorded (duplicate: true for a retry with the same Idempotency-Key and file) and runs in the background",
                "headers": {"Location": {"description": "the status_url", "schema": {"type": "string"}}},
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ImportAccepted"}}}},
            "400": error_response("`invalid_idempotency_key`; `invalid_query`: an unknown or malformed query parameter"),
            "401": error_response("`unauthenticated`"),
            "403": error_response("`forbidden`: the caller's role may not run this use (checked before the body is read)"),
            "404": error_response("`unknown_import`: the use is not hospital, contractor, certification or paper"),
            "413": error_response("`file_too_large`: the file is over 2 GiB; split it"),
            "422": error_response("`invalid_file`: the file cannot be imported, details.file_error says why: empty_file, not_a_table, undetectable_encoding, unreadable_xlsx, unreadable_csv, no_sheet, missing_header, empty_header, duplicated_header, invalid_header, header_mismatch (required columns missing, columns that are neither import columns nor items of the master, a column twice; a header is named by its column and quoted only when it cannot be personal data, as in the user data file's wrong_headers) …; `invalid_import`: a contractor import without its contractor, a contractor on another use, a contractor name over 200 characters; `invalid_upload`: a malformed multipart body or one without a file part; `idempotency_key_reused`: the key with another file"),
            "503": error_response("`storage_unavailable` (the file could not be stored), `database_unavailable`")
        }
    })
}

/// `GET /api/imports/jobs/{id}`.
fn import_status(id: &Value) -> Value {
    json!({
        "summary": "An import job's status and progress: its uploader, and the auditors of its program; for anyone else it does not exist",
        "parameters": [id.clone(),
            {"name": "after_position", "in": "query", "description": "wait (≤ 5 s) until the jobs view includes this position (the upload's `position`)", "schema": {"type": "integer"}}],
        "responses": {
            "200": {"description": "The job", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ImportJob"}}}},
            "400": error_response("`invalid_query`: an unknown or malformed query parameter"),
            "401": error_response("`unauthenticated`"),
            "404": error_response("`import_job_not_found`: no such job, or not the caller's to see"),
            "503": error_response("`view_behind`: after_position not reached within 5 s")
        }
    })
}

/// `GET /api/imports/jobs/{id}/rows`.
fn import_rows(id: &Value) -> Value {
    json!({
        "summary": "Each row's outcome (who sees the job): JSON pages in row order, or with format=csv the whole list as a CSV download (UTF-8 with BOM; one line per error, one for a row without any: 行, 結果, 臨個票ID, 処理, 列, エラーコード, エラー内容, message). Messages never quote a cell of the file.",
        "parameters": [id.clone(),
            {"name": "after", "in": "query", "description": "rows after this row number (the previous page's next_after)", "schema": {"type": "integer"}},
            {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}},
            {"name": "outcome", "in": "query", "schema": {"enum": ["applied", "unchanged", "rejected"]}},
            {"name": "format", "in": "query", "schema": {"enum": ["json", "csv"], "default": "json"}},
            {"name": "after_position", "in": "query", "description": "as for the job's status", "schema": {"type": "integer"}}],
        "responses": {
            "200": {"description": "{job_id, rows, next_after} (next_after: null on the last page), or text/csv; charset=utf-8",
                "content": {
                    "application/json": {"schema": {"type": "object", "properties": {
                        "job_id": {"type": "string"},
                        "rows": {"type": "array", "items": {"$ref": "#/components/schemas/ImportRow"}},
                        "next_after": {"type": ["integer", "null"]}}}},
                    "text/csv": {"schema": {"type": "string"}}}},
            "400": error_response("`invalid_query`: an unknown or malformed query parameter"),
            "401": error_response("`unauthenticated`"),
            "404": error_response("`import_job_not_found`"),
            "422": error_response("`invalid_query`: outcome or format not one of its values"),
            "503": error_response("`view_behind`")
        }
    })
}

fn import_accepted_schema() -> Value {
    json!({"type": "object", "required": ["job_id", "status", "duplicate", "position", "sha256", "size", "status_url", "rows_url"], "properties": {
        "job_id": {"type": "string"},
        "status": {"const": "received"},
        "duplicate": {"type": "boolean", "description": "a retry with the same Idempotency-Key: the first upload's job"},
        "position": {"type": "integer", "description": "for ?after_position="},
        "sha256": {"type": "string", "description": "the file's SHA-256 (hex)"},
        "size": {"type": "integer", "description": "bytes"},
        "status_url": {"type": "string", "example": "/api/imports/jobs/0192f3a4-…"},
        "rows_url": {"type": "string", "example": "/api/imports/jobs/0192f3a4-…/rows"}}})
}

fn import_job_schema() -> Value {
    let count = json!({"type": "integer"});
    let maybe_count = json!({"type": ["integer", "null"]});
    json!({"type": "object", "properties": {
        "job_id": {"type": "string"},
        "use": {"enum": ["hospital", "contractor", "certification", "paper"]},
        "program": {"enum": ["nanbyo", "shoman"]},
        "account_id": {"type": "string", "description": "the uploader"},
        "role": {"type": "string"},
        "file_name": {"type": "string"}, "file_size": count, "sha256": {"type": "string"},
        "format": {"enum": ["csv_utf8", "csv_utf8_bom", "csv_shift_jis", "xlsx", "jsonl", null]},
        "contractor": {"type": ["string", "null"]},
        "status": {"enum": ["received", "applying", "finished", "failed"], "description": "received: its rows are being validated; applying; finished; failed (see failure)"},
        "total": maybe_count, "valid": maybe_count,
        "done": count, "through_row": count, "applied": count, "unchanged": count, "rejected": count,
        "progress": {"type": "object", "properties": {"done": count, "total": maybe_count}},
        "failure": {"type": ["object", "null"], "description": "why a failed job stopped (e.g. no_rows, uploader_inactive, header_mismatch, a file error); rows applied before stay",
            "properties": {"code": {"type": "string"}, "message": {"type": "object", "properties": {"ja": {"type": "string"}, "en": {"type": "string"}}}}},
        "received_at": {"type": "integer", "description": "Unix milliseconds"},
        "updated_at": {"type": "integer", "description": "Unix milliseconds"}}})
}

fn import_row_schema() -> Value {
    json!({"type": "object", "properties": {
        "row": {"type": "integer", "description": "the row number in the file (header = row 1; JSON Lines: the line)"},
        "outcome": {"enum": ["applied", "unchanged", "rejected"]},
        "form_id": {"type": ["string", "null"]},
        "action": {"type": ["string", "null"], "description": "created, updated, reviewed, received_and_reviewed (applied rows)"},
        "errors": {"type": "array", "items": {"type": "object", "properties": {
            "column": {"type": ["string", "null"]},
            "code": {"type": "string", "description": "missing_value, invalid_value, invalid_type, unknown_disease, unknown_item, invalid_institution_code, forbidden_institution, unknown_institution, cannot_change, not_a_draft, form_not_found, ambiguous_recipient_number, access_key_mismatch, wrong_status …"},
            "message": {"type": "object", "properties": {"ja": {"type": "string"}, "en": {"type": "string"}}}}}}}})
}

fn with_path(op: Value, name: &str) -> Value {
    with_id(
        op,
        &json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}),
    )
}

fn with_id(mut op: Value, id: &Value) -> Value {
    if let Some(params) = op["parameters"].as_array_mut() {
        params.insert(0, id.clone());
    }
    op
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_lists_exactly_the_served_routes() {
        let doc = document();
        let mut documented: Vec<(String, String)> = doc["paths"]
            .as_object()
            .expect("paths")
            .iter()
            .flat_map(|(path, ops)| {
                ops.as_object()
                    .expect("operations")
                    .keys()
                    .map(move |m| (m.clone(), path.clone()))
            })
            .collect();
        documented.sort();
        let mut served: Vec<(String, String)> = ROUTES
            .iter()
            .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
            .collect();
        served.sort();
        assert_eq!(documented, served);
    }
}
