//! Memory per request stays bounded by what a request may ask for: the
//! built `folio` binary on the suite's backend, its peak resident memory
//! (`VmHWM`) read before and after documents that multiply lists.

use folio_tests::TestDb;
use folio_tests::instance::Instance;
use serde_json::json;

/// The most the peak resident memory may grow over the documents below.
const GROWTH_KIB: u64 = 64 * 1024;

#[tokio::test]
async fn lists_multiplied_by_repeated_ids_cost_bounded_memory() {
    let db = TestDb::empty().await;
    let folio = Instance::start(env!("CARGO_BIN_EXE_folio"), &db.url, &[]).await;
    let token = folio.register("ada").await;
    for i in 0..20 {
        folio.create_post(&token, &format!("post {i}")).await;
    }
    let me = folio
        .graphql(Some(&token), "{ viewer { id } }", json!({}))
        .await["viewer"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let ids = vec![me; 100];
    let before = folio.peak_rss_kib();

    // The same user a hundred times, each with its posts' authors' posts:
    // costed by the number of ids, it is refused before it runs.
    let nested = "query($ids: [ID!]!) { nodes(ids: $ids) { ... on User {
        posts(first: 100) { nodes { author { posts(first: 100) { nodes { id title } } } } } } } }";
    let body = folio.request(None, nested, json!({ "ids": ids })).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "QUERY_TOO_COMPLEX",
        "{body:#}"
    );

    // The largest such document the limits let through runs, in bounded memory.
    let allowed = "query($ids: [ID!]!) { nodes(ids: $ids) { ... on User {
        posts(first: 20) { nodes { title author { username } } } } } }";
    for _ in 0..5 {
        let data = folio.graphql(None, allowed, json!({ "ids": ids })).await;
        assert_eq!(data["nodes"].as_array().unwrap().len(), 100);
        assert_eq!(
            data["nodes"][99]["posts"]["nodes"]
                .as_array()
                .unwrap()
                .len(),
            20
        );
    }
    let growth = folio.peak_rss_kib().saturating_sub(before);
    println!("peak resident memory: {before} KiB before, grew by {growth} KiB");
    assert!(
        growth < GROWTH_KIB,
        "peak resident memory grew by {growth} KiB, more than {GROWTH_KIB} KiB"
    );

    drop(folio);
    drop(db);
}
