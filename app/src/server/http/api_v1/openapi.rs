//! The OpenAPI 3.1 document: its front matter and security scheme, served at
//! `/api/v1/openapi.json`, and read for people on the API reference page.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::model;

struct TokenScheme;

impl Modify for TokenScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("rokr_…")
                    .description(Some(
                        "A personal access token, made on the Access tokens page. It acts as the person who made it.",
                    ))
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "RunwayOKR API",
        version = "1",
        description = "Read quarters, objectives and key results, and record check-ins from scripts and other systems.\n\nEvery request carries `Authorization: Bearer rokr_…`, a personal access token that acts as the person who made it, with their role. Values are decimal strings (`\"9100000.00\"`), dates ISO 8601, confidence `red`, `amber` or `green`. Errors are `{\"error\": {\"code\", \"message\", \"field\"}}`. Each token may make 600 requests a minute (the server's `RUNWAY_API_REQUESTS_PER_MINUTE`); beyond, 429 with `Retry-After`.\n\nAlignment: an objective may support another team's (or the company's) objective, or one of its key results. In a quarter's answer each objective has `team_is_company`, its `parent` (what it supports, or null) and its `children` (the ids of the objectives that support it). `progress` is always the own progress: the mean of its key results' progress. `aligned_progress` is the aligned progress: each supporting objective counts as one more item beside the key results, with its own aligned progress; a key result's `aligned_progress` and `supporters` work the same way. These are the figures the dashboard shows."
    ),
    modifiers(&TokenScheme),
    tags(
        (name = "quarters", description = "Quarters and their OKRs, with their alignment"),
        (name = "key results", description = "Key results and their check-ins"),
    )
)]
pub(super) struct ApiDoc;

/// The API's OpenAPI 3.1 document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut document = super::routes().split_for_parts().1;
    name_link_operations(&mut document);
    document
}

/// utoipa 5.5 writes a link's `operationId` as `operation_id` (its `Link`
/// has no camelCase renaming), a key no OpenAPI tool reads, so a client would
/// find links that lead nowhere. This moves each link's operation id to the
/// key the specification names, through the link's flattened extensions.
fn name_link_operations(document: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::RefOr;

    for item in document.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.options,
            &mut item.head,
            &mut item.patch,
            &mut item.trace,
        ];
        for operation in operations.into_iter().flatten() {
            for response in operation.responses.responses.values_mut() {
                let RefOr::T(response) = response else {
                    continue;
                };
                for link in response.links.values_mut() {
                    let RefOr::T(link) = link else {
                        continue;
                    };
                    if link.operation_id.is_empty() {
                        continue;
                    }
                    let id = std::mem::take(&mut link.operation_id);
                    link.extensions
                        .get_or_insert_with(Default::default)
                        .insert("operationId".to_owned(), id.into());
                }
            }
        }
    }
}

/// This document.
pub(super) async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(openapi())
}

/// The document read for people, for the API reference page.
pub fn reference(base_url: &str) -> model::ApiReference {
    use serde_json::Value;

    let document = serde_json::to_value(openapi()).unwrap_or_default();
    let text = |value: &Value| value.as_str().unwrap_or_default().to_owned();
    let schema_name = |value: &Value| {
        value["content"]["application/json"]["schema"]["$ref"]
            .as_str()
            .and_then(|reference| reference.rsplit('/').next())
            .map(str::to_owned)
    };
    let mut operations = Vec::new();
    if let Some(paths) = document["paths"].as_object() {
        for (path, item) in paths {
            for method in ["get", "post", "put", "patch", "delete"] {
                let operation = &item[method];
                if !operation.is_object() {
                    continue;
                }
                let parameters = operation["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|parameter| model::ApiParameter {
                        name: text(&parameter["name"]),
                        location: text(&parameter["in"]),
                        required: parameter["required"].as_bool().unwrap_or(false),
                        description: text(&parameter["description"]),
                    })
                    .collect();
                let responses = operation["responses"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(status, response)| {
                        (
                            status.clone(),
                            text(&response["description"]),
                            schema_name(response),
                        )
                    })
                    .collect();
                operations.push(model::ApiOperation {
                    method: method.to_uppercase(),
                    path: path.clone(),
                    summary: text(&operation["summary"]),
                    description: text(&operation["description"]),
                    parameters,
                    request_body: schema_name(&operation["requestBody"]),
                    responses,
                });
            }
        }
    }
    let schemas = document["components"]["schemas"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, schema)| {
            (
                name.clone(),
                serde_json::to_string_pretty(schema).unwrap_or_default(),
            )
        })
        .collect();
    model::ApiReference {
        title: text(&document["info"]["title"]),
        version: text(&document["info"]["version"]),
        description: text(&document["info"]["description"]),
        base_url: base_url.to_owned(),
        operations,
        schemas,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_is_openapi_3_1_with_every_operation() {
        let document = serde_json::to_value(openapi()).unwrap();
        assert_eq!(document["openapi"], "3.1.0");
        let paths = document["paths"].as_object().unwrap();
        for (path, method) in [
            ("/api/v1/quarters", "get"),
            ("/api/v1/quarters/{label}", "get"),
            ("/api/v1/key-results/{id}", "get"),
            ("/api/v1/key-results/{id}/check-ins", "get"),
            ("/api/v1/key-results/{id}/check-ins", "post"),
        ] {
            assert!(paths[path][method].is_object(), "{method} {path}");
        }
    }

    #[test]
    fn the_alignment_fields_are_described_with_their_types() {
        let document = serde_json::to_value(openapi()).unwrap();
        let schemas = &document["components"]["schemas"];
        // A property of the schema itself or of one of its `allOf` parts (a
        // flattened struct's).
        let property = |schema: &str, name: &str| {
            let schema_value = &schemas[schema];
            let parts = schema_value["allOf"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let found = std::iter::once(schema_value)
                .chain(&parts)
                .map(|part| &part["properties"][name])
                .find(|found| found.is_object())
                .unwrap_or_else(|| panic!("{schema}.{name} is not documented: {schema_value}"));
            found.clone()
        };
        // Its own description, or (an optional reference, which utoipa
        // writes as `oneOf` null or the reference) its reference's.
        let description = |schema: &str, name: &str| {
            let found = property(schema, name);
            let parts = found["oneOf"].as_array().cloned().unwrap_or_default();
            // Doc comments keep their line breaks; read them as one line.
            std::iter::once(&found)
                .chain(&parts)
                .find_map(|part| part["description"].as_str())
                .unwrap_or_default()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert!(description("Objective", "progress").starts_with("Own progress"));
        let aligned = description("Objective", "aligned_progress");
        assert!(aligned.starts_with("Aligned progress"), "{aligned}");
        assert!(
            aligned.contains(
                "each supporting objective counting as one more item beside the key results"
            ),
            "{aligned}"
        );
        assert!(
            description("AlignedKeyResult", "aligned_progress").starts_with("Aligned progress")
        );
        assert_eq!(property("Objective", "team_is_company")["type"], "boolean");
        assert_eq!(property("Objective", "children")["items"]["format"], "uuid");
        assert!(!description("Objective", "parent").is_empty());
        assert!(!description("Objective", "children").is_empty());
        assert!(!description("AlignedKeyResult", "supporters").is_empty());
        for name in ["objective_id", "key_result_id", "title", "team"] {
            assert!(!description("ParentObjective", name).is_empty(), "{name}");
        }
        let info = document["info"]["description"].as_str().unwrap();
        assert!(info.contains("own progress") && info.contains("aligned progress"));
    }

    #[test]
    fn links_name_their_operation_by_the_specification_s_key() {
        let document = serde_json::to_value(openapi()).unwrap();
        let link = &document["paths"]["/api/v1/key-results/{id}"]["get"]["responses"]["200"]["links"]
            ["listCheckIns"];
        assert_eq!(link["operationId"], "list_check_ins", "{link}");
        assert!(link.get("operation_id").is_none(), "{link}");
        assert_eq!(link["parameters"]["id"], "$response.body#/id");
    }
}
