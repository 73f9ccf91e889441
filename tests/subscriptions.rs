//! Subscriptions over the WebSocket transport on the real server: events
//! reach subscribers resolved with their identity, filters hold, a
//! rolled-back write emits nothing, `after` resumes without loss, and every
//! close code of `graphql-transport-ws` is given where its specification says.
//!
//! A test that subscribes and then writes subscribes `after` the newest
//! cursor ([`newest_cursor`]), so that its event arrives however late the
//! server starts the subscription; none sleeps to let a subscription start.
//! That nothing arrives is shown by what arrives next (events come in
//! outbox order), or, where no later event can tell, by a short quiet spell
//! after the socket has handled everything sent before it.

use std::time::Duration;

use api::config::{LiveConfig, ServerConfig};
use folio_tests::socket::{Received, Socket, newest_cursor};
use folio_tests::{TestApp, TestDb, wait};
use serde_json::{Value, json};

const POST_CREATED: &str = "subscription($author: ID, $after: String) {
    postCreated(authorId: $author, after: $after) {
        cursor
        post { title author { username email } }
    }
}";

const CREATE_POST: &str =
    "mutation($title: String!) { createPost(input: { title: $title, body: \"text\" }) { id } }";

/// Writes a post titled `title` as the holder of `token`.
async fn create_post(app: &TestApp, token: &str, title: &str) {
    let body = app
        .graphql_as(Some(token), CREATE_POST, json!({ "title": title }))
        .await;
    assert!(body.get("errors").is_none(), "createPost failed: {body:#}");
}

/// The title of the next post `socket` hears of on subscription `id`.
async fn next_title(socket: &mut Socket, id: &str) -> String {
    let payload = socket.next_payload(id).await;
    payload["data"]["postCreated"]["post"]["title"]
        .as_str()
        .unwrap_or_else(|| panic!("no post in {payload:#}"))
        .to_owned()
}

/// Asserts that nothing arrives on `socket` for `millis` milliseconds: a
/// check that something does not happen, never a wait for something to.
async fn assert_quiet(socket: &mut Socket, millis: u64) {
    assert_eq!(
        socket.next_within(Duration::from_millis(millis)).await,
        Received::Nothing
    );
}

/// The server with `live` settings on a fresh database.
async fn app_with(live: LiveConfig) -> TestApp {
    TestApp::spawn_on(
        TestDb::new().await,
        ServerConfig {
            live,
            jwt_secret: Some(SECRET.into()),
            ..ServerConfig::default()
        },
    )
    .await
}

const SECRET: &str = "a test secret of at least thirty-two bytes";

/// Short polls, so that tests wait little on MariaDB and SQLite.
fn quick() -> LiveConfig {
    LiveConfig {
        event_poll_ms: 20,
        ..LiveConfig::default()
    }
}

#[tokio::test]
async fn a_new_post_reaches_its_subscribers_resolved_as_each_of_them_may_see_it() {
    let app = app_with(quick()).await;
    let (alice, alice_id) = app.register("alice").await;
    let (bob, _) = app.register("bobby").await;
    let mut as_alice = Socket::connected(app.address, Some(&alice)).await;
    let mut as_bob = Socket::connected(app.address, Some(&bob)).await;
    let mut anonymous = Socket::connected(app.address, None).await;
    let now = newest_cursor(&app.db.conn).await;
    as_alice
        .subscribe("1", POST_CREATED, json!({ "after": now }))
        .await;
    as_bob
        .subscribe(
            "1",
            POST_CREATED,
            json!({ "author": alice_id, "after": now }),
        )
        .await;
    anonymous
        .subscribe("7", POST_CREATED, json!({ "after": now }))
        .await;

    create_post(&app, &alice, "Hello").await;
    let seen = as_alice.next_payload("1").await;
    let event = &seen["data"]["postCreated"];
    assert_eq!(event["post"]["title"], "Hello");
    assert_eq!(event["post"]["author"]["username"], "alice");
    // Her own e-mail, to her only.
    assert_eq!(event["post"]["author"]["email"], "alice@example.com");
    assert!(event["cursor"].as_str().is_some_and(|c| !c.is_empty()));
    let seen = as_bob.next_payload("1").await;
    assert_eq!(seen["data"]["postCreated"]["post"]["title"], "Hello");
    assert_eq!(
        seen["data"]["postCreated"]["post"]["author"]["email"],
        Value::Null
    );
    let seen = anonymous.next_payload("7").await;
    assert_eq!(
        seen["data"]["postCreated"]["post"]["author"]["email"],
        Value::Null
    );

    // Bob follows Alice only: his own post does not reach him (his next
    // event is Alice's later post, below).
    create_post(&app, &bob, "Bob's").await;
    assert_eq!(next_title(&mut as_alice, "1").await, "Bob's");

    // `complete` ends the subscription: nothing more arrives. The pong
    // says the server has handled the `complete`.
    as_alice
        .send(json!({ "type": "complete", "id": "1" }))
        .await;
    as_alice.round_trip().await;
    create_post(&app, &alice, "After").await;
    assert_eq!(next_title(&mut as_bob, "1").await, "After");
    // Bob has it, so it has been handed to every subscription there is.
    assert_quiet(&mut as_alice, 500).await;
}

#[tokio::test]
async fn photos_reach_the_subscribers_of_their_owner_and_of_their_new_tags() {
    let app = app_with(quick()).await;
    let (alice, alice_id) = app.register("alice").await;
    let mut socket = Socket::connected(app.address, None).await;
    let now = newest_cursor(&app.db.conn).await;
    socket
        .subscribe(
            "created",
            "subscription($owner: ID, $after: String) { photoCreated(ownerId: $owner, after: $after) { photo { filename owner { username } } } }",
            json!({ "owner": alice_id, "after": now }),
        )
        .await;
    socket
        .subscribe(
            "tagged",
            "subscription($after: String) { photoTagged(tag: \" Sunset \", after: $after) { cursor photo { filename } tag { name } } }",
            json!({ "after": now }),
        )
        .await;
    let body = app
        .graphql_as(
            Some(&alice),
            "mutation { createPhoto(input: { filename: \"a.jpg\", tags: [\"sunset\", \"sea\"] }) { id } }",
            json!({}),
        )
        .await;
    let photo_id = body["data"]["createPhoto"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut seen = vec![socket.next().await, socket.next().await];
    seen.sort_by_key(|r| format!("{r:?}"));
    let Received::Message(created) = &seen[0] else {
        panic!("{seen:?}")
    };
    let Received::Message(tagged) = &seen[1] else {
        panic!("{seen:?}")
    };
    assert_eq!(created["id"], "created");
    assert_eq!(
        created["payload"]["data"]["photoCreated"]["photo"]["owner"]["username"],
        "alice"
    );
    assert_eq!(tagged["id"], "tagged");
    assert_eq!(
        tagged["payload"]["data"]["photoTagged"]["tag"]["name"],
        "sunset"
    );
    assert_eq!(
        tagged["payload"]["data"]["photoTagged"]["photo"]["filename"],
        "a.jpg"
    );

    // Tagging again with a tag it has emits nothing; a new one does: the
    // next event heard of is the newest in the outbox, that of the tag
    // given again after the untag, not one of the tag it already had.
    let tag =
        "mutation($id: ID!, $tags: [String!]!) { tagPhoto(photoId: $id, tags: $tags) { id } }";
    app.graphql_as(
        Some(&alice),
        tag,
        json!({ "id": photo_id, "tags": ["sunset"] }),
    )
    .await;
    app.graphql_as(
        Some(&alice),
        "mutation($id: ID!) { untagPhoto(photoId: $id, tags: [\"sunset\"]) { id } }",
        json!({ "id": photo_id }),
    )
    .await;
    app.graphql_as(
        Some(&alice),
        tag,
        json!({ "id": photo_id, "tags": ["sunset"] }),
    )
    .await;
    let tagged = socket.next_payload("tagged").await;
    assert_eq!(tagged["data"]["photoTagged"]["tag"]["name"], "sunset");
    assert_eq!(
        tagged["data"]["photoTagged"]["cursor"].as_str(),
        Some(newest_cursor(&app.db.conn).await.as_str()),
        "the tag it already had emitted an event"
    );
}

/// Makes every insert of an event naming `author` fail, as a fault after
/// the row of the change was written would.
async fn refuse_events_of(db: &TestDb, author: i32) {
    use sea_orm::{ConnectionTrait, DbBackend};
    let pattern = format!("%\"authorId\":{author}}}%");
    let statements: Vec<String> = match db.conn.get_database_backend() {
        DbBackend::Sqlite => vec![format!(
            "CREATE TRIGGER refuse_events BEFORE INSERT ON events WHEN NEW.payload LIKE '{pattern}' \
             BEGIN SELECT RAISE(ABORT, 'refused'); END"
        )],
        DbBackend::Postgres => vec![
            format!(
                "CREATE FUNCTION refuse_events() RETURNS trigger AS $$ BEGIN \
                 IF NEW.payload LIKE '{pattern}' THEN RAISE EXCEPTION 'refused'; END IF; \
                 RETURN NEW; END $$ LANGUAGE plpgsql"
            ),
            "CREATE TRIGGER refuse_events BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION refuse_events()".into(),
        ],
        _ => vec![format!(
            "CREATE TRIGGER refuse_events BEFORE INSERT ON events FOR EACH ROW BEGIN \
             IF NEW.payload LIKE '{pattern}' THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'refused'; END IF; END"
        )],
    };
    for statement in statements {
        db.conn.execute_unprepared(&statement).await.unwrap();
    }
}

#[tokio::test]
async fn a_write_rolled_back_after_its_row_emits_nothing_and_keeps_nothing() {
    let app = app_with(quick()).await;
    let (alice, _) = app.register("alice").await;
    let (bob, _) = app.register("bobby").await;
    let bob_row = 2;
    refuse_events_of(&app.db, bob_row).await;
    let mut socket = Socket::connected(app.address, None).await;
    let now = newest_cursor(&app.db.conn).await;
    socket
        .subscribe("1", POST_CREATED, json!({ "after": now }))
        .await;

    let body = app
        .graphql_as(Some(&bob), CREATE_POST, json!({ "title": "Never" }))
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "INTERNAL_SERVER_ERROR",
        "{body:#}"
    );
    create_post(&app, &alice, "Kept").await;
    // The next event is Alice's: Bob's post was rolled back with its event.
    assert_eq!(next_title(&mut socket, "1").await, "Kept");
    let titles = app
        .data("{ posts(first: 10) { nodes { title } } }", json!({}))
        .await;
    assert_eq!(titles["posts"]["nodes"], json!([{ "title": "Kept" }]));
}

#[tokio::test]
async fn after_a_cursor_the_missed_events_are_replayed_once_then_live_ones_follow() {
    let app = app_with(quick()).await;
    let (alice, _) = app.register("alice").await;
    let mut socket = Socket::connected(app.address, None).await;
    let now = newest_cursor(&app.db.conn).await;
    socket
        .subscribe("1", POST_CREATED, json!({ "after": now }))
        .await;
    create_post(&app, &alice, "one").await;
    let first = socket.next_payload("1").await;
    let cursor = first["data"]["postCreated"]["cursor"]
        .as_str()
        .unwrap()
        .to_owned();
    drop(socket);

    // Missed while away.
    create_post(&app, &alice, "two").await;
    create_post(&app, &alice, "three").await;
    let mut socket = Socket::connected(app.address, None).await;
    socket
        .subscribe("again", POST_CREATED, json!({ "after": cursor }))
        .await;
    for title in ["two", "three"] {
        assert_eq!(next_title(&mut socket, "again").await, title);
    }
    // Each once: had the replay and the live feed overlapped, a second
    // copy would come before the next post.
    for title in ["four", "five"] {
        create_post(&app, &alice, title).await;
        assert_eq!(next_title(&mut socket, "again").await, title);
    }

    // A cursor that is not one is refused on its argument.
    socket
        .subscribe("bad", POST_CREATED, json!({ "after": "bm90IGEgY3Vyc29y" }))
        .await;
    let refused = socket.next_payload("bad").await;
    assert_eq!(refused["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    assert_eq!(refused["errors"][0]["extensions"]["field"], "after");
}

#[tokio::test]
async fn a_cursor_older_than_the_retention_is_refused() {
    let app = app_with(LiveConfig {
        event_retention_secs: 1,
        ..quick()
    })
    .await;
    let (alice, _) = app.register("alice").await;
    // The cursor of an event is read from the outbox, not from a
    // subscription: a subscriber's replay would race the one-second pruning.
    create_post(&app, &alice, "old").await;
    let cursor = newest_cursor(&app.db.conn).await;
    create_post(&app, &alice, "also old").await;
    let mut socket = Socket::connected(app.address, None).await;
    socket.subscribe("watch", POST_CREATED, json!({})).await;
    // Both are pruned once the retention has passed: the outbox's head
    // records it.
    let old = api::live::decode_cursor(&cursor, "after").unwrap();
    wait::until("the old events to be pruned", || async {
        use sea_orm::EntityTrait;
        entity::events_head::Entity::find_by_id(1)
            .one(&app.db.conn)
            .await
            .unwrap()
            .is_some_and(|head| head.pruned_through > old)
    })
    .await;
    socket
        .subscribe("late", POST_CREATED, json!({ "after": cursor }))
        .await;
    let refused = socket.next_payload("late").await;
    assert_eq!(
        refused["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{refused:#}"
    );
    assert_eq!(refused["errors"][0]["extensions"]["field"], "after");
}

#[tokio::test]
async fn a_subscriber_that_falls_behind_is_ended_with_a_reason() {
    let app = app_with(LiveConfig {
        subscription_buffer: 2,
        ..quick()
    })
    .await;
    let author = folio_tests::fixtures::user(&app.db.conn, "carol")
        .await
        .unwrap();
    let append = async |changes: &[api::live::Change]| {
        use sea_orm::TransactionTrait;
        let txn = app.db.conn.begin().await.unwrap();
        api::live::outbox::append(&txn, changes).await.unwrap();
        txn.commit().await.unwrap();
    };
    let mut socket = Socket::connected(app.address, None).await;
    let now = newest_cursor(&app.db.conn).await;
    socket
        .subscribe("1", POST_CREATED, json!({ "after": now }))
        .await;
    // Only events broadcast live can overflow the buffer (a replay is read
    // from the outbox as fast as it is taken): the first event heard of
    // says the subscription has joined the broadcast.
    let first = folio_tests::fixtures::post(&app.db.conn, &author, "first")
        .await
        .unwrap();
    append(&[api::live::Change::PostCreated {
        post_id: first.id,
        author_id: author.id,
    }])
    .await;
    assert_eq!(next_title(&mut socket, "1").await, "first");
    // Ten events in one commit: the follower hands them over at once, faster
    // than any subscriber takes them.
    let mut changes = Vec::new();
    for i in 0..10 {
        let post = folio_tests::fixtures::post(&app.db.conn, &author, &format!("p{i}"))
            .await
            .unwrap();
        changes.push(api::live::Change::PostCreated {
            post_id: post.id,
            author_id: author.id,
        });
    }
    append(&changes).await;
    let mut last = Value::Null;
    loop {
        match socket.next().await {
            Received::Message(message) if message["type"] == "next" => {
                if message["payload"]["errors"].is_array() {
                    last = message["payload"].clone();
                }
            }
            Received::Message(message) if message["type"] == "complete" => break,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(
        last["errors"][0]["extensions"]["code"], "SUBSCRIBER_TOO_SLOW",
        "{last:#}"
    );
}

// The close codes, each where graphql-transport-ws says.

#[tokio::test]
async fn a_socket_that_does_not_initialise_in_time_is_closed_with_4408() {
    let app = app_with(LiveConfig {
        ws_init_timeout_secs: 1,
        ..quick()
    })
    .await;
    let mut socket = Socket::open(app.address, "graphql-transport-ws").await;
    assert_eq!(socket.protocol.as_deref(), Some("graphql-transport-ws"));
    let started = std::time::Instant::now();
    assert_eq!(socket.close_code().await.0, 4408);
    assert!(started.elapsed() >= Duration::from_millis(900));
}

#[tokio::test]
async fn subscribing_before_the_acknowledgement_is_closed_with_4401() {
    let app = app_with(quick()).await;
    let mut socket = Socket::open(app.address, "graphql-transport-ws").await;
    socket.subscribe("1", POST_CREATED, json!({})).await;
    assert_eq!(socket.close_code().await, (4401, "Unauthorized".into()));
}

#[tokio::test]
async fn a_bad_or_expired_token_is_closed_with_4403_and_no_token_is_anonymous() {
    let app = app_with(quick()).await;
    for token in [
        "not a token",
        "Bearer eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl",
    ] {
        let mut socket = Socket::open(app.address, "graphql-transport-ws").await;
        socket
            .send(json!({ "type": "connection_init", "payload": { "authorization": token } }))
            .await;
        assert_eq!(socket.close_code().await, (4403, "Forbidden".into()));
    }
    let expired = token_for(1, -10);
    let mut socket = Socket::open(app.address, "graphql-transport-ws").await;
    socket
        .send(json!({ "type": "connection_init", "payload": { "token": expired } }))
        .await;
    assert_eq!(socket.close_code().await.0, 4403);
    // No token at all: anonymous, acknowledged.
    Socket::connected(app.address, None).await;
}

/// A token for user row `user` signed with [`SECRET`], expiring `seconds` from now.
fn token_for(user: i32, seconds: i64) -> String {
    let now = chrono::Utc::now().timestamp();
    let claims = json!({ "sub": user.to_string(), "iat": now, "exp": now + seconds });
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap()
}

#[tokio::test]
async fn a_socket_whose_token_expires_is_closed_at_the_expiry() {
    let app = app_with(quick()).await;
    app.register("alice").await;
    let mut socket = Socket::connected(app.address, Some(&token_for(1, 2))).await;
    socket.subscribe("1", POST_CREATED, json!({})).await;
    let started = std::time::Instant::now();
    let (code, _) = socket.close_code().await;
    assert_eq!(code, 4403);
    assert!(
        started.elapsed() >= Duration::from_millis(800),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_duplicate_subscription_id_is_closed_with_4409() {
    let app = app_with(quick()).await;
    let mut socket = Socket::connected(app.address, None).await;
    socket.subscribe("same", POST_CREATED, json!({})).await;
    socket.subscribe("same", POST_CREATED, json!({})).await;
    assert_eq!(
        socket.close_code().await,
        (4409, "Subscriber for same already exists".into())
    );
}

#[tokio::test]
async fn malformed_messages_and_a_second_init_close_the_socket_with_their_codes() {
    let app = app_with(quick()).await;
    let mut socket = Socket::connected(app.address, None).await;
    socket.send_text("{ not json").await;
    assert_eq!(socket.close_code().await.0, 4400);
    let mut socket = Socket::connected(app.address, None).await;
    socket
        .send(json!({ "type": "start", "id": "1", "payload": { "query": "{ __typename }" } }))
        .await;
    assert_eq!(socket.close_code().await.0, 4400);
    let mut socket = Socket::connected(app.address, None).await;
    socket.send(json!({ "type": "connection_init" })).await;
    assert_eq!(socket.close_code().await.0, 4429);
    // Pings are answered with pongs, before and after the acknowledgement.
    let mut socket = Socket::open(app.address, "graphql-transport-ws").await;
    socket.send(json!({ "type": "ping" })).await;
    assert_eq!(
        socket.next().await,
        Received::Message(json!({ "type": "pong" }))
    );
}

#[tokio::test]
async fn past_the_limits_a_subscription_gets_a_coded_error_and_a_socket_is_closed() {
    let app = app_with(LiveConfig {
        max_subscriptions_per_socket: 2,
        max_sockets: 2,
        max_sockets_per_address: Some(2),
        ..quick()
    })
    .await;
    let mut socket = Socket::connected(app.address, None).await;
    socket.subscribe("1", POST_CREATED, json!({})).await;
    socket.subscribe("2", POST_CREATED, json!({})).await;
    socket.subscribe("3", POST_CREATED, json!({})).await;
    let Received::Message(refused) = socket.next().await else {
        panic!()
    };
    assert_eq!(refused["type"], "error");
    assert_eq!(refused["id"], "3");
    assert_eq!(
        refused["payload"][0]["extensions"]["code"],
        "TOO_MANY_SUBSCRIPTIONS"
    );
    // A second socket is let in; a third is not.
    let _second = Socket::connected(app.address, None).await;
    let mut third = Socket::open(app.address, "graphql-transport-ws").await;
    let (code, reason) = third.close_code().await;
    assert_eq!(code, 1013);
    assert!(reason.starts_with("TOO_MANY_SOCKETS"), "{reason}");
    // Once one closes, its place is free again: a new socket is let in as
    // soon as the server has seen the old one go (until then it is refused
    // with 1013, and asked again).
    drop(socket);
    wait::until("a socket's place to be free again", || async {
        let mut socket = Socket::open(app.address, "graphql-transport-ws").await;
        socket.send(json!({ "type": "connection_init" })).await;
        match socket.next().await {
            Received::Message(ack) if ack["type"] == "connection_ack" => true,
            Received::Closed(1013, _) => false,
            other => panic!("expected an acknowledgement or 1013, got {other:?}"),
        }
    })
    .await;
}

#[tokio::test]
async fn a_document_that_does_not_validate_gets_an_error_message_and_queries_run_once() {
    let app = app_with(quick()).await;
    let mut socket = Socket::connected(app.address, None).await;
    socket
        .subscribe("bad", "subscription { nothingHere }", json!({}))
        .await;
    let Received::Message(refused) = socket.next().await else {
        panic!()
    };
    assert_eq!(refused["type"], "error");
    assert_eq!(
        refused["payload"][0]["extensions"]["code"],
        "GRAPHQL_VALIDATION_FAILED"
    );
    socket.subscribe("q", "{ __typename }", json!({})).await;
    assert_eq!(
        socket.next_payload("q").await,
        json!({ "data": { "__typename": "Query" } })
    );
    assert_eq!(
        socket.next().await,
        Received::Message(json!({ "type": "complete", "id": "q" }))
    );
}

#[tokio::test]
async fn the_legacy_graphql_ws_protocol_is_spoken_too() {
    let app = app_with(quick()).await;
    let (alice, _) = app.register("alice").await;
    let mut socket = Socket::open(app.address, "graphql-ws").await;
    assert_eq!(socket.protocol.as_deref(), Some("graphql-ws"));
    socket
        .send(json!({ "type": "connection_init", "payload": {} }))
        .await;
    assert_eq!(
        socket.next().await,
        Received::Message(json!({ "type": "connection_ack" }))
    );
    assert_eq!(
        socket.next().await,
        Received::Message(json!({ "type": "ka" }))
    );
    let now = newest_cursor(&app.db.conn).await;
    socket
        .send(json!({ "type": "start", "id": "1", "payload": {
            "query": POST_CREATED,
            "variables": { "after": now },
        } }))
        .await;
    create_post(&app, &alice, "Legacy").await;
    loop {
        let Received::Message(message) = socket.next().await else {
            panic!()
        };
        if message["type"] == "ka" {
            continue;
        }
        assert_eq!(message["type"], "data");
        assert_eq!(
            message["payload"]["data"]["postCreated"]["post"]["title"],
            "Legacy"
        );
        break;
    }
    socket.send(json!({ "type": "stop", "id": "1" })).await;
    assert_eq!(
        socket.next().await,
        Received::Message(json!({ "type": "complete", "id": "1" }))
    );
}

#[tokio::test]
async fn a_subscription_sent_over_http_is_told_where_subscriptions_run() {
    let app = app_with(quick()).await;
    let error = app
        .error("subscription { postCreated { cursor } }", json!({}))
        .await;
    assert_eq!(error["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED");
    assert!(
        error["message"].as_str().unwrap().contains("WebSocket"),
        "{error:#}"
    );
}

#[tokio::test]
async fn a_socket_without_a_known_sub_protocol_is_closed_with_4406() {
    let app = app_with(quick()).await;
    let mut socket = Socket::open(app.address, "").await;
    assert_eq!(socket.protocol, None);
    assert_eq!(socket.close_code().await.0, 4406);
}

#[tokio::test]
async fn shutting_down_closes_every_socket_with_1001() {
    let app = app_with(quick()).await;
    let mut socket = Socket::connected(app.address, None).await;
    socket.subscribe("1", POST_CREATED, json!({})).await;
    drop(app);
    assert_eq!(socket.close_code().await.0, 1001);
}

#[tokio::test]
async fn a_legacy_socket_with_a_bad_token_gets_connection_error_then_4403() {
    let app = app_with(quick()).await;
    let mut socket = Socket::open(app.address, "graphql-ws").await;
    socket
        .send(json!({ "type": "connection_init", "payload": { "authorization": "Bearer nope" } }))
        .await;
    let Received::Message(refusal) = socket.next().await else {
        panic!("expected connection_error")
    };
    assert_eq!(refusal["type"], "connection_error");
    assert_eq!(socket.close_code().await.0, 4403);
}

#[tokio::test]
async fn a_message_longer_than_the_read_buffer_still_arrives_whole() {
    let app = app_with(quick()).await;
    let mut socket = Socket::connected(app.address, None).await;
    let long = format!("# {}\n{{ __typename }}", "x".repeat(100_000));
    socket.subscribe("long", &long, json!({})).await;
    assert_eq!(
        socket.next_payload("long").await,
        json!({ "data": { "__typename": "Query" } })
    );
}

#[tokio::test]
async fn one_address_cannot_hold_every_socket() {
    let app = app_with(LiveConfig {
        max_sockets: 4,
        ..quick()
    })
    .await;
    let here = std::net::Ipv4Addr::new(127, 0, 0, 5);
    // A quarter of four: one for each address.
    let mut first = Socket::open_from(here, app.address, "graphql-transport-ws").await;
    first.send(json!({ "type": "connection_init" })).await;
    assert_eq!(
        first.next().await,
        Received::Message(json!({ "type": "connection_ack" }))
    );
    let mut second = Socket::open_from(here, app.address, "graphql-transport-ws").await;
    let (code, reason) = second.close_code().await;
    assert_eq!(code, 1013);
    assert!(
        reason.contains("this address holds the 1 sockets it may"),
        "{reason}"
    );
    // Another address gets in while the first still holds its socket.
    let elsewhere = std::net::Ipv4Addr::new(127, 0, 0, 6);
    let mut other = Socket::open_from(elsewhere, app.address, "graphql-transport-ws").await;
    other.send(json!({ "type": "connection_init" })).await;
    assert_eq!(
        other.next().await,
        Received::Message(json!({ "type": "connection_ack" }))
    );
}

#[tokio::test]
async fn a_socket_that_runs_nothing_is_closed_after_the_idle_timeout() {
    let app = app_with(LiveConfig {
        ws_idle_timeout_secs: 1,
        ..quick()
    })
    .await;
    // Busy for longer than the timeout: a subscription keeps it open.
    let mut busy = Socket::connected(app.address, None).await;
    busy.subscribe("1", POST_CREATED, json!({})).await;
    let mut idle = Socket::connected(app.address, None).await;
    let started = std::time::Instant::now();
    let (code, reason) = idle.close_code().await;
    assert_eq!(code, 1000);
    assert!(reason.starts_with("idle"), "{reason}");
    assert!(started.elapsed() >= std::time::Duration::from_millis(900));
    // The busy one is still served: a ping is answered.
    busy.send(json!({ "type": "ping" })).await;
    assert_eq!(
        busy.next().await,
        Received::Message(json!({ "type": "pong" }))
    );
    // Once its subscription completes, it is idle too.
    busy.send(json!({ "type": "complete", "id": "1" })).await;
    let (code, _) = busy.close_code().await;
    assert_eq!(code, 1000);
}

#[tokio::test]
async fn an_events_nested_rows_load_once_for_all_its_subscribers_each_seeing_what_it_may() {
    let app = app_with(quick()).await;
    let (alice, _) = app.register("alice").await;
    let after = newest_cursor(&app.db.conn).await;
    const SUBSCRIBERS: usize = 12;
    let mut sockets = Vec::new();
    for i in 0..SUBSCRIBERS {
        // Half of them alice, who may see her e-mail; half anonymous.
        let token = (i % 2 == 0).then_some(alice.as_str());
        let mut socket = Socket::connected(app.address, token).await;
        socket
            .subscribe("1", POST_CREATED, json!({ "after": after }))
            .await;
        sockets.push(socket);
    }
    // Every subscription has started once each answers a ping after it.
    for socket in &mut sockets {
        socket.send(json!({ "type": "ping" })).await;
        assert_eq!(
            socket.next().await,
            Received::Message(json!({ "type": "pong" }))
        );
    }
    app.db.reset_statement_count();
    create_post(&app, &alice, "shared").await;
    for (i, socket) in sockets.iter_mut().enumerate() {
        let seen = socket.next_payload("1").await;
        let post = &seen["data"]["postCreated"]["post"];
        assert_eq!(post["title"], "shared", "{seen:#}");
        assert_eq!(post["author"]["username"], "alice", "{seen:#}");
        let email = if i % 2 == 0 {
            json!("alice@example.com")
        } else {
            Value::Null
        };
        assert_eq!(post["author"]["email"], email, "subscriber {i}: {seen:#}");
    }
    // The author as a post's relation (keyed by `folio_key`); the mutation
    // reads its user by id on its own.
    let author_reads: Vec<String> = app
        .db
        .statements()
        .into_iter()
        .map(|statement| statement.sql)
        .filter(|sql| {
            sql.starts_with("SELECT") && sql.contains("users") && sql.contains("folio_key")
        })
        .collect();
    assert_eq!(
        author_reads.len(),
        1,
        "one read of the author for {SUBSCRIBERS} subscribers: {author_reads:#?}"
    );
}

/// Appends `count` `post_created` events naming `post` in one commit.
async fn append_events(app: &TestApp, post: &entity::post::Model, count: usize) {
    use sea_orm::TransactionTrait;
    let changes = vec![
        api::live::Change::PostCreated {
            post_id: post.id,
            author_id: post.author_id,
        };
        count
    ];
    let txn = app.db.conn.begin().await.unwrap();
    for chunk in changes.chunks(500) {
        api::live::outbox::append(&txn, chunk).await.unwrap();
    }
    txn.commit().await.unwrap();
}

/// The statements run so far that read or write the `events` table.
fn outbox_statements(app: &TestApp, verb: &str) -> Vec<String> {
    app.db
        .statements()
        .into_iter()
        .map(|statement| statement.sql)
        .filter(|sql| {
            sql.starts_with(verb) && (sql.contains("\"events\"") || sql.contains("`events`"))
        })
        .collect()
}

#[tokio::test]
async fn old_events_are_pruned_in_batches_though_no_one_ever_subscribes() {
    let app = app_with(LiveConfig {
        event_retention_secs: 1,
        ..quick()
    })
    .await;
    let author = folio_tests::fixtures::user(&app.db.conn, "carol")
        .await
        .unwrap();
    let post = folio_tests::fixtures::post(&app.db.conn, &author, "p")
        .await
        .unwrap();
    app.db.reset_statement_count();
    append_events(&app, &post, 2_500).await;
    wait::until("the old events to be pruned", || async {
        use sea_orm::{EntityTrait, PaginatorTrait};
        entity::event::Entity::find()
            .count(&app.db.conn)
            .await
            .unwrap()
            == 0
    })
    .await;
    // At most a thousand a statement: three deletes, or more.
    let deletes = outbox_statements(&app, "DELETE");
    assert!(deletes.len() >= 3, "{deletes:#?}");
    use sea_orm::EntityTrait;
    let head = entity::events_head::Entity::find_by_id(1)
        .one(&app.db.conn)
        .await
        .unwrap()
        .unwrap();
    assert!(head.pruned_through > 0);
}

#[tokio::test]
async fn the_follower_stops_reading_with_no_subscriber_and_resumes_from_the_newest() {
    let app = app_with(quick()).await;
    let (alice, _) = app.register("alice").await;
    let mut socket = Socket::connected(app.address, None).await;
    let now = newest_cursor(&app.db.conn).await;
    socket
        .subscribe("1", POST_CREATED, json!({ "after": now }))
        .await;
    create_post(&app, &alice, "heard").await;
    assert_eq!(next_title(&mut socket, "1").await, "heard");
    drop(socket);
    // Once the server has seen the subscriber go, the outbox is not read.
    tokio::time::sleep(Duration::from_millis(500)).await;
    app.db.reset_statement_count();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let reads = outbox_statements(&app, "SELECT");
    assert!(
        reads.is_empty(),
        "a poll every 20 ms with no one to tell: {reads:#?}"
    );
    // Written while no one listened: not broadcast to a subscriber that
    // comes later without `after`, which hears what follows.
    create_post(&app, &alice, "unheard").await;
    let mut socket = Socket::connected(app.address, None).await;
    socket.subscribe("2", POST_CREATED, json!({})).await;
    // Every subscription has started once a ping after it is answered.
    socket.send(json!({ "type": "ping" })).await;
    assert_eq!(
        socket.next().await,
        Received::Message(json!({ "type": "pong" }))
    );
    create_post(&app, &alice, "next").await;
    assert_eq!(next_title(&mut socket, "2").await, "next");
}

#[tokio::test]
async fn a_replay_is_read_a_page_at_a_time_and_arrives_whole_and_in_order() {
    let app = app_with(LiveConfig {
        subscription_buffer: 100,
        ..quick()
    })
    .await;
    let author = folio_tests::fixtures::user(&app.db.conn, "carol")
        .await
        .unwrap();
    let post = folio_tests::fixtures::post(&app.db.conn, &author, "replayed")
        .await
        .unwrap();
    let after = newest_cursor(&app.db.conn).await;
    append_events(&app, &post, 1_000).await;
    let mut socket = Socket::connected(app.address, None).await;
    app.db.reset_statement_count();
    socket
        .subscribe(
            "1",
            "subscription($after: String) { postCreated(after: $after) { cursor post { title } } }",
            json!({ "after": after }),
        )
        .await;
    let mut last = api::live::decode_cursor(&after, "after").unwrap();
    for _ in 0..1_000 {
        let payload = socket.next_payload("1").await;
        let event = &payload["data"]["postCreated"];
        assert_eq!(event["post"]["title"], "replayed", "{payload:#}");
        let id = api::live::decode_cursor(event["cursor"].as_str().unwrap(), "after").unwrap();
        assert!(id > last, "in order: {id} after {last}");
        last = id;
    }
    // A page of the subscription's buffer at a time: ten pages, not one.
    // (The replay reads up to the id it joined the broadcast at, `<=`; the
    // follower's reads have no upper bound.)
    let reads = outbox_statements(&app, "SELECT");
    let pages = reads.iter().filter(|sql| sql.contains("<=")).count();
    assert!(
        pages >= 10,
        "{pages} reads of the outbox for 1,000 events: {reads:#?}"
    );
}

#[tokio::test]
async fn subscribers_sharing_one_execution_each_see_what_they_may() {
    let app = app_with(quick()).await;
    let (alice, _) = app.register("alice").await;
    // The same document and variables, without `after`: the two anonymous
    // subscribers share one execution, alice (another viewer) has her own.
    let document = "subscription { postCreated { post { title author { username email } } } }";
    let mut sockets = vec![
        (Socket::connected(app.address, None).await, Value::Null),
        (Socket::connected(app.address, None).await, Value::Null),
        (
            Socket::connected(app.address, Some(&alice)).await,
            json!("alice@example.com"),
        ),
    ];
    for (socket, _) in &mut sockets {
        socket.subscribe("1", document, json!({})).await;
    }
    // A subscription starts some time after its `subscribe`: posts are
    // written until every subscriber has heard one.
    let mut heard = vec![None; sockets.len()];
    for round in 0..50 {
        create_post(&app, &alice, &format!("post {round}")).await;
        for (i, (socket, _)) in sockets.iter_mut().enumerate() {
            if heard[i].is_none()
                && let Received::Message(message) =
                    socket.next_within(Duration::from_millis(100)).await
            {
                heard[i] = Some(message);
            }
        }
        if heard.iter().all(Option::is_some) {
            break;
        }
    }
    for (i, ((_, email), message)) in sockets.iter().zip(&heard).enumerate() {
        let message = message
            .as_ref()
            .unwrap_or_else(|| panic!("subscriber {i} heard nothing"));
        let author = &message["payload"]["data"]["postCreated"]["post"]["author"];
        assert_eq!(author["username"], "alice", "{message:#}");
        assert_eq!(&author["email"], email, "subscriber {i}: {message:#}");
    }
}
