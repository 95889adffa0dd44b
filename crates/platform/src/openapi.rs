//! The OpenAPI 3.1 document of the contract, generated from [`crate::routes::ROUTES`] and
//! the utoipa schemas of [`crate::types`].
//!
//! The generated document is committed as `crates/platform/openapi.json`; a test fails
//! when the two differ (`UPDATE_OPENAPI=1` rewrites the file).

use crate::routes::{Access, Body, ROUTES};
use crate::sign::{IDEMPOTENCY_HEADER, NONCE_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use crate::types::*;
use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{ArrayBuilder, KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, Paths, Ref, Required,
    ResponseBuilder,
};

/// The contract's version, also the document's `info.version`.
pub const CONTRACT_VERSION: &str = "1.2.0";

/// The document as a value.
pub fn document() -> OpenApi {
    let components = ComponentsBuilder::new()
        .schema_from::<TokenRequest>()
        .schema_from::<TokenResponse>()
        .schema_from::<Shop>()
        .schema_from::<AnchorUpsert>()
        .schema_from::<Anchor>()
        .schema_from::<AnchorList>()
        .schema_from::<ProductUpsert>()
        .schema_from::<Product>()
        .schema_from::<StockUpdate>()
        .schema_from::<ProductPage>()
        .schema_from::<BroadcastCreate>()
        .schema_from::<LineupUpdate>()
        .schema_from::<BroadcastStatus>()
        .schema_from::<Broadcast>()
        .schema_from::<StreamTarget>()
        .schema_from::<BagListing>()
        .schema_from::<BagItem>()
        .schema_from::<Bag>()
        .schema_from::<PinRequest>()
        .schema_from::<CouponCreate>()
        .schema_from::<Coupon>()
        .schema_from::<CouponList>()
        .schema_from::<LiveEventKind>()
        .schema_from::<LiveEvent>()
        .schema_from::<EventPage>()
        .schema_from::<Order>()
        .schema_from::<OrderPage>()
        .schema_from::<ProductMetrics>()
        .schema_from::<BroadcastMetrics>()
        .schema_from::<BroadcastScript>()
        .schema_from::<ScriptedEvent>()
        .schema_from::<ScriptedKind>()
        .schema_from::<ScriptState>()
        .schema_from::<ScriptedEventState>()
        .schema_from::<ReplyCreate>()
        .schema_from::<Reply>()
        .schema_from::<MetricsPoint>()
        .schema(
            "MetricsTimeline",
            ArrayBuilder::new()
                .items(Ref::from_schema_name("MetricsPoint"))
                .description(Some("Points of the audience timeline, oldest first")),
        )
        .schema_from::<UploadProbe>()
        .schema_from::<ProblemCode>()
        .schema_from::<Problem>()
        .schema_from::<FaultConfig>()
        .schema_from::<FaultSettings>()
        .schema_from::<ShopCreate>()
        .schema_from::<ShopCredentials>()
        .schema_from::<TickRequest>()
        .schema_from::<TickResult>()
        .schema("OpenApiDocument", ObjectBuilder::new().description(Some("An OpenAPI 3.1 document")))
        .security_scheme("bearer", SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()))
        .build();

    let mut paths = Paths::new();
    for route in ROUTES {
        let mut operation = OperationBuilder::new()
            .operation_id(Some(route.operation_id))
            .summary(Some(route.summary))
            .tag(tag_of(route.path));
        for name in path_params(route.path) {
            operation = operation.parameter(string_param(name, ParameterIn::Path, true, None));
        }
        for name in route.query {
            operation = operation.parameter(string_param(name, ParameterIn::Query, false, None));
        }
        if route.access == Access::Signed {
            operation = operation
                .security(SecurityRequirement::new("bearer", Vec::<String>::new()))
                .parameter(string_param(
                    TIMESTAMP_HEADER,
                    ParameterIn::Header,
                    true,
                    Some("Unix seconds; must be within the skew window of the server's clock"),
                ))
                .parameter(string_param(
                    NONCE_HEADER,
                    ParameterIn::Header,
                    true,
                    Some("16-128 characters, unique per request; a nonce seen within the skew window is refused (replay)"),
                ))
                .parameter(string_param(
                    SIGNATURE_HEADER,
                    ParameterIn::Header,
                    true,
                    Some("hex HMAC-SHA256 of METHOD\\nPATH?QUERY\\nTIMESTAMP\\nNONCE\\nIDEMPOTENCY-KEY (empty for reads)\\nhex(SHA-256(body)) keyed by the client secret"),
                ));
        }
        if route.access == Access::Admin {
            operation = operation.parameter(string_param(
                crate::routes::ADMIN_TOKEN_HEADER,
                ParameterIn::Header,
                true,
                Some("the sandbox's admin credential (printed by `anchordesk sandbox` at start)"),
            ));
        }
        if route.is_write() {
            operation = operation.parameter(string_param(
                IDEMPOTENCY_HEADER,
                ParameterIn::Header,
                true,
                Some("Unique per logical write; a replay returns the first response"),
            ));
        }
        match route.request {
            Body::Json(schema) => {
                operation = operation.request_body(Some(
                    RequestBodyBuilder::new()
                        .content("application/json", ContentBuilder::new().schema(Some(Ref::from_schema_name(schema))).build())
                        .required(Some(Required::True))
                        .build(),
                ))
            }
            Body::Form(schema) => {
                operation = operation.request_body(Some(
                    RequestBodyBuilder::new()
                        .content(
                            "application/x-www-form-urlencoded",
                            ContentBuilder::new().schema(Some(Ref::from_schema_name(schema))).build(),
                        )
                        .required(Some(Required::True))
                        .build(),
                ))
            }
            Body::Binary(max_bytes) => {
                operation = operation.request_body(Some(
                    RequestBodyBuilder::new()
                        .description(Some(format!(
                            "Raw bytes, at most {max_bytes} ({} MiB); a larger body is answered with 413 payload-too-large",
                            max_bytes >> 20
                        )))
                        .content(
                            "application/octet-stream",
                            ContentBuilder::new()
                                .schema(Some(
                                    ObjectBuilder::new().schema_type(Type::String).format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary))),
                                ))
                                .build(),
                        )
                        // An empty body is a valid probe (it warms up the connection).
                        .required(Some(Required::False))
                        .build(),
                ))
            }
            Body::None | Body::EventStream(_) | Body::Html => {}
        }
        let success = match route.response {
            Body::Json(schema) => ResponseBuilder::new()
                .description("Success")
                .content("application/json", ContentBuilder::new().schema(Some(Ref::from_schema_name(schema))).build()),
            Body::EventStream(schema) => ResponseBuilder::new()
                .description(format!("text/event-stream; each event's id is `seq` and its data a {schema}"))
                .content("text/event-stream", ContentBuilder::new().schema(Some(Ref::from_schema_name(schema))).build()),
            Body::Html => ResponseBuilder::new()
                .description("An HTML page")
                .content("text/html", ContentBuilder::new().schema(Some(ObjectBuilder::new().schema_type(Type::String))).build()),
            Body::None | Body::Form(_) | Body::Binary(_) => ResponseBuilder::new().description("Success"),
        };
        let problem = |description: &str| {
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/problem+json",
                    ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build(),
                )
                .build()
        };
        operation = operation.response(route.status.to_string(), success.build());
        if let Body::Binary(max_bytes) = route.request {
            operation = operation.response("413", problem(&format!("The body is larger than {max_bytes} bytes (code payload-too-large)")));
        }
        operation = operation
            .response("4XX", problem("Client error (see `code`); 429 carries Retry-After in seconds"))
            .response("5XX", problem("Server error; retry with backoff"));
        paths.add_path_operation(route.path, vec![method_of(route.method)], operation.build());
    }

    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("AnchorDesk open live-commerce platform API")
                .version(CONTRACT_VERSION)
                .description(Some(
                    "The contract between the AnchorDesk desk and a live-commerce platform. \
                     Money is integer fen, times are Unix milliseconds. Writes need an \
                     Idempotency-Key; signed routes need a bearer token from /oauth/token and \
                     an HMAC-SHA256 request signature.",
                )),
        )
        .paths(paths)
        .components(Some(components))
        .build()
}

/// The document as pretty-printed JSON (what `GET /openapi.json` serves).
pub fn document_json() -> String {
    let mut text = document().to_pretty_json().expect("the OpenAPI document serialises to JSON");
    text.push('\n');
    text
}

fn method_of(method: &str) -> HttpMethod {
    match method {
        "GET" => HttpMethod::Get,
        "PUT" => HttpMethod::Put,
        "POST" => HttpMethod::Post,
        "DELETE" => HttpMethod::Delete,
        "PATCH" => HttpMethod::Patch,
        other => panic!("route table holds an unsupported method {other}"),
    }
}

fn tag_of(path: &str) -> String {
    let mut segments = path.trim_start_matches('/').split('/');
    match segments.next() {
        Some("v1") => segments.next().unwrap_or("v1").to_owned(),
        Some(first) => first.to_owned(),
        None => "root".to_owned(),
    }
}

/// The `{param}` names of a path template, in order.
pub fn path_params(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter_map(|segment| segment.strip_prefix('{').and_then(|rest| rest.strip_suffix('}')))
}

fn string_param(name: &str, location: ParameterIn, required: bool, description: Option<&str>) -> utoipa::openapi::path::Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(location)
        .required(if required { Required::True } else { Required::False })
        .description(description)
        .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routes::ROUTES;

    #[test]
    fn the_committed_document_is_the_generated_one() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi.json");
        let generated = document_json();
        if std::env::var_os("UPDATE_OPENAPI").is_some() {
            std::fs::write(&path, &generated).expect("writing openapi.json");
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(committed == generated, "openapi.json is stale: run UPDATE_OPENAPI=1 cargo nextest run -p anchordesk-platform");
    }

    #[test]
    fn every_route_is_in_the_document_with_its_schemas() {
        let value: serde_json::Value = serde_json::from_str(&document_json()).unwrap();
        assert_eq!(value["openapi"], "3.1.0");
        let schemas = value["components"]["schemas"].as_object().unwrap();
        for route in ROUTES {
            let operation = &value["paths"][route.path][route.method.to_ascii_lowercase()];
            assert_eq!(operation["operationId"], route.operation_id, "{}", route.key());
            for body in [route.request, route.response] {
                if let Body::Json(name) | Body::Form(name) | Body::EventStream(name) = body {
                    assert!(schemas.contains_key(name), "{} names the missing schema {name}", route.key());
                }
            }
            let has_key = operation["parameters"]
                .as_array()
                .is_some_and(|parameters| parameters.iter().any(|parameter| parameter["name"] == IDEMPOTENCY_HEADER));
            assert_eq!(has_key, route.is_write(), "{}: Idempotency-Key documented iff the route writes", route.key());
        }
        assert_eq!(value["paths"].as_object().unwrap().len(), {
            let mut paths: Vec<&str> = ROUTES.iter().map(|route| route.path).collect();
            paths.dedup();
            paths.sort();
            paths.dedup();
            paths.len()
        });
    }
}
