//! Web enrichment against a mock SerpAPI (wiremock answering its documented JSON: `knowledge_graph`,
//! empty results, 429 with `Retry-After`, an error body), real Postgres and Redis: suggestions with
//! confidences, our cache (absence included), the retry with the city, the egress policy.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a panic with its message is the failure report"
)]

use std::time::Duration;

use crm_autofill::enrich::serpapi::{SearchError, SerpApi};
use crm_autofill::enrich::{EnrichError, Enricher};
use crm_queue::test_utils::TestRedis;
use diesel::prelude::*;
use secrecy::SecretString;
use serde_json::json;
use shared::models::autofill_suggestion::{Suggestion, SuggestionStatus};
use shared::models::organisation::{NewOrganisation, OrgType, create_organisation};
use shared::schema::{autofill_suggestions, organisations};
use shared::test_utils::TestDb;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "test-serpapi-key-0123456789";

fn knowledge_graph() -> serde_json::Value {
    json!({
        "search_metadata": { "id": "1", "status": "Success" },
        "search_parameters": { "engine": "google", "q": "Lazard Frères Gestion", "hl": "fr", "gl": "fr" },
        "knowledge_graph": {
            "title": "Lazard Frères Gestion",
            "type": "Société de gestion",
            "description": "Société de gestion de portefeuille du groupe Lazard.",
            "website": "https://www.lazardfreresgestion.fr/",
            "address": "25 Rue de Courcelles, 75008 Paris",
            "phone": "01 44 13 01 11",
            "profiles": [
                { "name": "LinkedIn", "link": "https://www.linkedin.com/company/lazard-freres-gestion" }
            ]
        },
        "organic_results": []
    })
}

struct Fx {
    db: TestDb,
    redis: TestRedis,
    mock: MockServer,
    serpapi: SerpApi,
}

impl Fx {
    async fn new() -> Self {
        let mock = MockServer::start().await;
        // The mock listens on loopback: the operator's allow-list lets it through, as for any private host.
        let policy = egress::EgressPolicy::parse_allow_list("127.0.0.0/8").unwrap();
        let serpapi = SerpApi::new(&policy, &mock.uri(), SecretString::from(KEY)).unwrap();
        Self {
            db: TestDb::new(),
            redis: TestRedis::new(),
            mock,
            serpapi,
        }
    }

    async fn enricher(&self) -> Enricher<'_> {
        Enricher {
            pool: self.db.pool(),
            redis: self.redis.queue().await.connection(),
            namespace: self.redis.namespace(),
            serpapi: &self.serpapi,
            cache_days: 7,
            min_confidence: 0.70,
            auto_apply: 0.92,
        }
    }

    fn org(&self, name: &str, city: Option<&str>) -> i64 {
        let mut org = NewOrganisation::new(name, OrgType::Issuer);
        org.city = city.map(str::to_owned);
        create_organisation(&mut self.db.conn(), &org).unwrap().id.0
    }

    fn suggestions(&self) -> Vec<Suggestion> {
        autofill_suggestions::table
            .select(Suggestion::as_select())
            .order(autofill_suggestions::id)
            .load(&mut self.db.conn())
            .unwrap()
    }
}

#[tokio::test]
async fn a_knowledge_graph_becomes_suggestions_and_is_cached() {
    let fx = Fx::new().await;
    Mock::given(method("GET"))
        .and(path("/search.json"))
        .and(query_param("engine", "google"))
        .and(query_param("q", "Lazard Frères Gestion"))
        .and(query_param("api_key", KEY))
        .respond_with(ResponseTemplate::new(200).set_body_json(knowledge_graph()))
        .expect(1)
        .mount(&fx.mock)
        .await;
    let id = fx.org("Lazard Frères Gestion", Some("Paris"));
    let out = fx.enricher().await.enrich(id).await.unwrap();
    assert_eq!((out.searches, out.cache_hits, out.found), (1, 0, true));
    let s = fx.suggestions();
    let by_field = |f: &str| s.iter().find(|s| s.field == f).unwrap();
    assert_eq!(by_field("phone").value, "+33144130111");
    assert_eq!(by_field("website").status, SuggestionStatus::AutoApplied);
    assert_eq!(by_field("linkedin").status, SuggestionStatus::AutoApplied);
    assert_eq!(by_field("description").status, SuggestionStatus::Pending);
    assert!(
        s.iter()
            .all(|s| s.source == "web" && s.interaction_id.is_none())
    );
    assert_eq!(
        by_field("address").evidence["field_source"],
        "knowledge_graph.address"
    );
    let website: Option<String> = organisations::table
        .find(shared::models::OrganisationId(id))
        .select(organisations::website)
        .first(&mut fx.db.conn())
        .unwrap();
    assert_eq!(
        website.as_deref(),
        Some("https://www.lazardfreresgestion.fr/")
    );

    // Again: from our cache (the mock expects one call), and nothing proposed twice.
    let again = fx.enricher().await.enrich(id).await.unwrap();
    assert_eq!(
        (again.searches, again.cache_hits, again.suggestions),
        (0, 1, 0)
    );
}

#[tokio::test]
async fn an_empty_graph_is_retried_with_the_city_and_no_result_is_cached() {
    let fx = Fx::new().await;
    Mock::given(method("GET"))
        .and(query_param("q", "Gestion Obscure"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "search_metadata": { "status": "Success" }, "organic_results": []
        })))
        .expect(1)
        .mount(&fx.mock)
        .await;
    Mock::given(method("GET"))
        .and(query_param("q", "Gestion Obscure Lyon"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "search_metadata": { "status": "Success" },
            "knowledge_graph": { "title": "Gestion Obscure", "type": "Entreprise" }
        })))
        .expect(1)
        .mount(&fx.mock)
        .await;
    let id = fx.org("Gestion Obscure", Some("Lyon"));
    let out = fx.enricher().await.enrich(id).await.unwrap();
    assert_eq!(out.searches, 2);
    assert!(
        out.found && out.fields_found.is_empty() && out.suggestions == 0,
        "{out:?}"
    );
    let again = fx.enricher().await.enrich(id).await.unwrap();
    assert_eq!((again.searches, again.cache_hits), (0, 2));
    assert!(fx.suggestions().is_empty());
}

#[tokio::test]
async fn low_confidence_fields_are_dropped() {
    let fx = Fx::new().await;
    // Google answers about another company.
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(knowledge_graph()))
        .mount(&fx.mock)
        .await;
    let id = fx.org("Rothschild Martin Maurel", None);
    let out = fx.enricher().await.enrich(id).await.unwrap();
    assert_eq!(out.suggestions, 0);
    assert_eq!(out.dropped_low_confidence, 5);
}

#[tokio::test]
async fn a_429_carries_retry_after_and_errors_never_show_the_key() {
    let fx = Fx::new().await;
    Mock::given(method("GET"))
        .and(query_param("q", "Busy"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "7")
                .set_body_json(json!({ "error": "Your searches per hour limit is reached." })),
        )
        .mount(&fx.mock)
        .await;
    Mock::given(method("GET"))
        .and(query_param("q", "Denied"))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(json!({ "error": "Invalid API key." })),
        )
        .mount(&fx.mock)
        .await;
    let busy = fx.org("Busy", None);
    match fx.enricher().await.enrich(busy).await {
        Err(EnrichError::Search(SearchError::RateLimited { retry_after })) => {
            assert_eq!(retry_after, Duration::from_secs(7));
        }
        other => panic!("{other:?}"),
    }
    let denied = fx.org("Denied", None);
    let err = fx.enricher().await.enrich(denied).await.unwrap_err();
    assert!(
        matches!(err, EnrichError::Search(SearchError::Unauthorized(401))),
        "{err:?}"
    );
    assert!(!format!("{err:?} {err}").contains(KEY));
    // Neither failure is cached: the next run asks again.
    assert_eq!(fx.mock.received_requests().await.unwrap().len(), 2);
    let _ = fx.enricher().await.enrich(busy).await;
    assert_eq!(fx.mock.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn the_egress_policy_refuses_a_private_serpapi_url() {
    let fx = Fx::new().await;
    let strict = egress::EgressPolicy::parse_allow_list("").unwrap();
    let serpapi = SerpApi::new(&strict, &fx.mock.uri(), SecretString::from(KEY)).unwrap();
    let err = serpapi.search("x").await.unwrap_err();
    match err {
        SearchError::Network(e) => assert!(e.is_refusal(), "{e}"),
        other => panic!("{other:?}"),
    }
    assert!(fx.mock.received_requests().await.unwrap().is_empty());
}
