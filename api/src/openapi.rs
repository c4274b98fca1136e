//! The OpenAPI document served at `/openapi.json`. Written here beside the routes it
//! describes; the tests below fail if a documented route is not served, if a served route is
//! not documented, or if a documented example does not parse into the handler's body type.

use serde_json::{json, Value};

/// Every route the service serves: (method, path).
pub const ROUTES: &[(&str, &str)] = &[
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/openapi.json"),
    ("post", "/api/forms"),
    ("post", "/api/forms/paper"),
    ("get", "/api/forms/{id}/scan"),
    ("get", "/api/forms/{id}"),
    ("get", "/api/forms/{id}/judgment"),
    ("post", "/api/forms/{id}/items"),
    ("post", "/api/forms/{id}/submit"),
    ("post", "/api/forms/{id}/receive"),
    ("post", "/api/forms/{id}/corrections"),
    ("post", "/api/forms/{id}/review"),
    ("post", "/api/forms/{id}/administrative"),
    ("post", "/api/forms/{id}/withdraw"),
    ("post", "/api/masters/versions"),
    ("get", "/api/masters/diseases"),
    ("post", "/api/masters/institutions"),
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
            {"$ref": "#/components/parameters/DevActor"},
            {"$ref": "#/components/parameters/IdempotencyKey"},
            {"$ref": "#/components/parameters/IfMatch"}
        ],
        "responses": {
            "200": {"description": "Done", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Accepted"}}}},
            "401": error_response("No (or an invalid) actor"),
            "403": error_response("The actor may not do this (`forbidden`, details.permission)"),
            "404": error_response("No such form within the actor's scope"),
            "409": error_response("`version_conflict` (details.current_version) or `wrong_status`"),
            "422": error_response("`invalid_body`, `invalid_items` (one entry per item), `reason_required`, `unchanged`, `invalid`")
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
            "description": "Forms (臨個票・医療意見書), machine judgment (機械判定) and masters. Errors are {code, message:{ja,en}, details?}."
        },
        "paths": {
            "/healthz": {"get": {"summary": "The process is up", "responses": {"200": {"description": "ok"}}}},
            "/readyz": {"get": {"summary": "The database answers", "responses": {"200": {"description": "ready"}, "503": error_response("database_unavailable")}}},
            "/openapi.json": {"get": {"summary": "This document", "responses": {"200": {"description": "OpenAPI 3.1"}}}},
            "/api/forms": {"post": command(
                "Create a draft form (doctor or clerk); judged at once. With carry_over_from, starts from the patient's previous form (前回値踏襲).",
                Some((json!({"$ref": "#/components/schemas/CreateForm"}), example_create_form())),
                &[("201", "Created: {id, version, position, duplicate}")])},
            "/api/forms/paper": {"post": command(
                "Register an old-version paper form (municipality staff of the jurisdiction): the scan (PDF, PNG, JPEG or TIFF, ≤ 20 MiB, Base64) is stored by its SHA-256, the transcribed items are judged with the form version's own rules, and the form is received at once",
                Some((json!({"allOf": [{"$ref": "#/components/schemas/CreateForm"}, {"type": "object", "required": ["scan"], "properties": {"scan": {"type": "object", "required": ["media_type", "content_base64"], "properties": {"media_type": {"enum": ["application/pdf", "image/png", "image/jpeg", "image/tiff"]}, "content_base64": {"type": "string"}}}}}]}),
                      example_paper())),
                &[("201", "Registered: {id, version, position, duplicate}")])},
            "/api/forms/{id}/scan": {"get": {
                "summary": "The scan of a paper form (scoped readers)",
                "parameters": [id.clone(), {"$ref": "#/components/parameters/DevActor"}],
                "responses": {"200": {"description": "The file, with its media type"}, "404": error_response("form_not_found")}
            }},
            "/api/forms/{id}": {"get": {
                "summary": "The form now, as of a time (as_of, RFC 3339) or as of a version",
                "parameters": [id.clone(), {"$ref": "#/components/parameters/DevActor"},
                    {"name": "as_of", "in": "query", "schema": {"type": "string", "format": "date-time"}},
                    {"name": "version", "in": "query", "schema": {"type": "integer", "minimum": 1}}],
                "responses": {"200": {"description": "The form"}, "400": error_response("invalid_query"), "404": error_response("form_not_found")}
            }},
            "/api/forms/{id}/judgment": {"get": {
                "summary": "The latest 一次判定: meets, does_not_meet or undeterminable (with the missing items)",
                "parameters": [id.clone(), {"$ref": "#/components/parameters/DevActor"}],
                "responses": {"200": {"description": "The judgment"}, "404": error_response("form_not_found")}
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
            "/api/forms/{id}/corrections": {"post": with_id(command(
                "データ修正 by the municipality, with a reason",
                Some((json!({"type": "object", "required": ["items", "reason"], "properties": {"items": items_schema(), "reason": {"type": "string"}}}), example_items())),
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
            "/api/masters/diseases": {"get": {
                "summary": "The diseases of the latest master version",
                "parameters": [{"name": "program", "in": "query", "schema": {"enum": ["nanbyo", "shoman"]}}],
                "responses": {"200": {"description": "{version, diseases}"}, "400": error_response("invalid_query")}
            }}
        },
        "components": {
            "parameters": {
                "DevActor": {"name": "X-Nanbyo-Dev-Actor", "in": "header", "required": true,
                    "description": "Development only (server flag --dev-actor-header) until logins exist: {account, role, program, institutions, jurisdiction, designation}",
                    "schema": {"type": "string"}},
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
                        "carry_over_from": {"type": "string", "description": "前回値踏襲: the previous form's id"},
                        "items": items_schema(),
                        "patient": {"type": "object", "required": ["name_kanji", "name_kana", "birth_date", "sex", "address", "municipality"],
                            "properties": {
                                "name_kanji": {"type": "string"}, "name_kana": {"type": "string"},
                                "birth_date": {"type": "string", "format": "date"}, "sex": {"enum": ["male", "female"]},
                                "address": {"type": "string"}, "municipality": {"type": "string", "pattern": "^[0-9]{6}$"},
                                "insurer_number": {"type": ["string", "null"]}, "insured_symbol_number": {"type": ["string", "null"]},
                                "recipient_number": {"type": ["string", "null"], "pattern": "^[0-9]{7}$", "description": "受給者番号 (check digit validated)"}}}
                    }}
            }
        }
    })
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
