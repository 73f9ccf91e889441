//! Registering, signing in, tokens, and privacy.

use std::time::Duration;

use entity::user;
use folio_tests::TestApp;
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};

const REGISTER: &str = "mutation($input: RegisterInput!) { register(input: $input) { token user { username email } } }";
const LOGIN: &str =
    "mutation($input: LoginInput!) { login(input: $input) { token user { username } } }";
const VIEWER: &str = "{ viewer { username email } }";

fn code(error: &Value) -> &str {
    error["extensions"]["code"].as_str().unwrap_or("<no code>")
}

#[tokio::test]
async fn register_then_login_then_viewer() {
    let app = TestApp::spawn().await;
    let registered = app
        .data(
            REGISTER,
            json!({ "input": { "username": "ada", "email": " Ada@Example.com ", "password": "correct horse" } }),
        )
        .await;
    assert_eq!(registered["register"]["user"]["username"], "ada");
    assert_eq!(
        registered["register"]["user"]["email"], "Ada@Example.com",
        "the user who just signed in sees their own e-mail"
    );
    let token = registered["register"]["token"].as_str().unwrap();
    let me = app.graphql_as(Some(token), VIEWER, json!({})).await;
    assert_eq!(
        me["data"]["viewer"],
        json!({ "username": "ada", "email": "Ada@Example.com" })
    );

    for login in ["ada", "ADA@example.com"] {
        let body = app
            .data(
                LOGIN,
                json!({ "input": { "login": login, "password": "correct horse" } }),
            )
            .await;
        let token = body["login"]["token"].as_str().unwrap();
        let me = app.graphql_as(Some(token), VIEWER, json!({})).await;
        assert_eq!(me["data"]["viewer"]["username"], "ada", "{login}");
    }
    let anonymous = app.data(VIEWER, json!({})).await;
    assert_eq!(anonymous["viewer"], Value::Null);

    // Someone else sees no e-mail.
    let (other, _) = app.register("bob").await;
    let seen = app
        .graphql_as(
            Some(&other),
            "{ user(username: \"ada\") { email } }",
            json!({}),
        )
        .await;
    assert_eq!(seen["data"]["user"]["email"], Value::Null);

    let stored = user::Entity::find().all(&app.db.conn).await.unwrap();
    assert!(
        stored
            .iter()
            .all(|u| u.password_hash.starts_with("$argon2id$"))
    );
}

#[tokio::test]
async fn a_failed_login_does_not_tell_whether_the_user_exists() {
    let app = TestApp::spawn().await;
    app.register("ada").await;
    let mut errors = Vec::new();
    for login in ["ada", "nobody", "nobody@example.com"] {
        let error = app
            .error(
                LOGIN,
                json!({ "input": { "login": login, "password": "wrong password" } }),
            )
            .await;
        assert_eq!(code(&error), "UNAUTHENTICATED");
        errors.push(error);
    }
    assert_eq!(errors[0], errors[1], "the same error either way");
    assert_eq!(errors[0], errors[2], "the same error either way");
    // Equal time is by construction, not measured here: an unknown user's
    // login verifies the password against a decoy argon2 hash
    // (auth::DECOY_HASH) with the same parameters as every real hash.
}

#[tokio::test]
async fn bad_tokens_are_unauthenticated() {
    let app = TestApp::spawn().await;
    let (token, _) = app.register("ada").await;
    let other_server = api::auth::Tokens::new(b"another secret", Duration::from_secs(60));
    let foreign = other_server.issue(1).unwrap();
    let expired = api::auth::Tokens::new(b"x", Duration::ZERO)
        .issue(1)
        .unwrap();
    let mut tampered = token.clone();
    tampered.pop();
    for bad in [
        "not-a-token",
        foreign.as_str(),
        tampered.as_str(),
        expired.as_str(),
    ] {
        let body = app.graphql_as(Some(bad), VIEWER, json!({})).await;
        assert_eq!(code(&body["errors"][0]), "UNAUTHENTICATED", "{bad}: {body}");
        assert!(body.get("data").is_none_or(Value::is_null));
    }
}

#[tokio::test]
async fn registration_input_is_validated_before_anything_is_written() {
    let app = TestApp::spawn().await;
    let cases = [
        (
            json!({ "username": "ab", "email": "a@b.io", "password": "password123" }),
            "input.username",
        ),
        (
            json!({ "username": "Ada!", "email": "a@b.io", "password": "password123" }),
            "input.username",
        ),
        (
            json!({ "username": "ada", "email": "not-an-email", "password": "password123" }),
            "input.email",
        ),
        (
            json!({ "username": "ada", "email": "a@b.io", "password": "short" }),
            "input.password",
        ),
    ];
    for (input, field) in cases {
        let error = app.error(REGISTER, json!({ "input": input })).await;
        assert_eq!(code(&error), "BAD_USER_INPUT", "{input}");
        assert_eq!(error["extensions"]["field"], field, "{input}");
    }
    assert_eq!(user::Entity::find().count(&app.db.conn).await.unwrap(), 0);
}

#[tokio::test]
async fn taken_usernames_and_emails_are_conflicts_naming_the_field() {
    let app = TestApp::spawn().await;
    app.register("ada").await;
    let taken_name =
        json!({ "username": "ada", "email": "other@example.com", "password": "password123" });
    let error = app.error(REGISTER, json!({ "input": taken_name })).await;
    assert_eq!(code(&error), "CONFLICT");
    assert_eq!(error["extensions"]["field"], "username");
    let taken_email =
        json!({ "username": "ada2", "email": "ADA@example.com", "password": "password123" });
    let error = app.error(REGISTER, json!({ "input": taken_email })).await;
    assert_eq!(code(&error), "CONFLICT");
    assert_eq!(error["extensions"]["field"], "email");
    assert_eq!(user::Entity::find().count(&app.db.conn).await.unwrap(), 1);
}

#[tokio::test]
async fn twenty_concurrent_registrations_of_one_name_make_one_user() {
    // Room for twenty tries of one username: the race is the point here,
    // not the sign-in limit (which counts registrations too).
    let config = api::config::ServerConfig {
        sign_in_attempts_per_login: 20,
        ..api::config::ServerConfig::default()
    };
    let app =
        std::sync::Arc::new(TestApp::spawn_on(folio_tests::TestDb::new().await, config).await);
    let attempts = (0..20).map(|i| {
        let app = app.clone();
        tokio::spawn(async move {
            let input = json!({ "username": "race", "email": format!("race{i}@example.com"), "password": "password123" });
            app.graphql(REGISTER, json!({ "input": input })).await
        })
    });
    let mut created = 0;
    for attempt in attempts {
        let body = attempt.await.unwrap();
        match body.get("errors") {
            None => created += 1,
            Some(errors) => assert_eq!(code(&errors[0]), "CONFLICT", "{body}"),
        }
    }
    assert_eq!(created, 1);
    assert_eq!(user::Entity::find().count(&app.db.conn).await.unwrap(), 1);
}

#[tokio::test]
async fn a_request_may_hash_a_password_once() {
    let app = TestApp::spawn().await;
    app.register("ada").await;
    let logins: String = (0..30)
        .map(|i| {
            format!(
                "l{i}: login(input: {{ login: \"ada\", password: \"password123\" }}) {{ token }} "
            )
        })
        .collect();
    app.db.reset_statement_count();
    let error = app
        .error(&format!("mutation {{ {logins} }}"), json!({}))
        .await;
    assert_eq!(code(&error), "QUERY_TOO_COMPLEX", "{error}");
    assert!(
        error["message"].as_str().unwrap().contains("30 times"),
        "{error}"
    );
    assert_eq!(app.db.statement_count(), 0, "refused before anything ran");

    // Through a fragment spread twice, and a login with a registration.
    let spread = "mutation { ...SignIn ...SignIn }
        fragment SignIn on Mutation { login(input: { login: \"ada\", password: \"password123\" }) { token } }";
    let error = app.error(spread, json!({})).await;
    assert_eq!(code(&error), "QUERY_TOO_COMPLEX", "{error}");
    let both = "mutation {
        login(input: { login: \"ada\", password: \"password123\" }) { token }
        register(input: { username: \"bob\", email: \"bob@example.com\", password: \"password123\" }) { token }
    }";
    let error = app.error(both, json!({})).await;
    assert_eq!(code(&error), "QUERY_TOO_COMPLEX", "{error}");

    // One is fine.
    let one = "mutation { login(input: { login: \"ada\", password: \"password123\" }) { token } }";
    app.data(one, json!({})).await;
}

#[tokio::test]
async fn the_token_of_a_deleted_account_is_unauthenticated() {
    let app = TestApp::spawn().await;
    let (token, _) = app.register("ada").await;
    user::Entity::delete_many()
        .exec(&app.db.conn)
        .await
        .unwrap();
    let body = app
        .graphql_as(
            Some(&token),
            "mutation { createPost(input: { title: \"Hello\", body: \"text\" }) { id } }",
            json!({}),
        )
        .await;
    let error = &body["errors"][0];
    assert_eq!(code(error), "UNAUTHENTICATED", "{body}");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("no longer exists"),
        "{body}"
    );
}

/// Sends `login` with a wrong password and returns the HTTP response.
async fn wrong_login(app: &TestApp, login: &str) -> reqwest::Response {
    app.client
        .post(app.url("/graphql"))
        .json(&json!({
            "query": LOGIN,
            "variables": { "input": { "login": login, "password": "wrong password" } },
        }))
        .send()
        .await
        .unwrap()
}

/// A client whose connections come from `address` (any of 127.0.0.0/8,
/// which all lead to this machine): another client address to the server.
fn client_from(address: [u8; 4]) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(std::net::IpAddr::from(address))
        .build()
        .unwrap()
}

/// A `login` from `client` with `password`.
async fn login_from(
    app: &TestApp,
    client: &reqwest::Client,
    login: &str,
    password: &str,
) -> reqwest::Response {
    client
        .post(app.url("/graphql"))
        .json(&json!({
            "query": LOGIN,
            "variables": { "input": { "login": login, "password": password } },
        }))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn sign_in_attempts_are_rate_limited_per_account_and_per_address() {
    use api::config::ServerConfig;
    let config = ServerConfig {
        sign_in_attempts_per_login: 3,
        sign_in_attempts_per_address: 5,
        ..ServerConfig::default()
    };
    let app = TestApp::spawn_on(folio_tests::TestDb::new().await, config).await;
    // One attempt from this address: registering counts as signing in,
    // and makes this address one of ada's usual ones.
    app.register("ada").await;
    for _ in 0..3 {
        let body: Value = wrong_login(&app, "ada").await.json().await.unwrap();
        assert_eq!(code(&body["errors"][0]), "UNAUTHENTICATED", "{body}");
    }
    // The fourth for the account, however it is spelled, is refused unchecked.
    let refused = wrong_login(&app, " ADA@example.COM ").await;
    let retry_after: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    let body: Value = refused.json().await.unwrap();
    let error = &body["errors"][0];
    assert_eq!(code(error), "RATE_LIMITED", "{body}");
    assert_eq!(error["extensions"]["retryAfter"], json!(retry_after));

    // Five attempts from this address so far: the sixth, for a name no
    // one has, is refused by the address's limit.
    let body: Value = wrong_login(&app, "bob").await.json().await.unwrap();
    assert_eq!(code(&body["errors"][0]), "RATE_LIMITED", "{body}");
    // From another address, bob is tried as usual.
    let other = client_from([127, 0, 0, 2]);
    let body: Value = login_from(&app, &other, "bob", "wrong password")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(code(&body["errors"][0]), "UNAUTHENTICATED", "{body}");
}

/// Guessing from addresses an account never signed in from spends one
/// budget for the account, whichever of its username or e-mail is typed;
/// it does not lock the owner out where the owner usually signs in.
#[tokio::test]
async fn guesses_from_elsewhere_do_not_lock_the_owner_out() {
    let app = TestApp::spawn().await;
    // Registered (so signed in) from 127.0.0.1: the owner's usual address.
    app.register("victim01").await;
    let guesser = client_from([127, 0, 0, 2]);
    // Ten a minute for the account from strangers, username and e-mail together.
    for i in 0..10 {
        let login = if i % 2 == 0 {
            "victim01"
        } else {
            "Victim01@Example.com"
        };
        let body: Value = login_from(&app, &guesser, login, "wrong password")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(code(&body["errors"][0]), "UNAUTHENTICATED", "{i}: {body}");
    }
    for (client, login) in [
        (&guesser, "victim01@example.com"),
        (&guesser, "victim01"),
        // Another stranger shares the spent budget.
        (&client_from([127, 0, 0, 3]), "victim01"),
    ] {
        let body: Value = login_from(&app, client, login, "password123")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(code(&body["errors"][0]), "RATE_LIMITED", "{body}");
    }
    // The owner, from the usual address, signs in with the right password.
    let body: Value = login_from(&app, &app.client, "victim01", "password123")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        body["data"]["login"]["user"]["username"], "victim01",
        "{body}"
    );
}

/// Usernames compare byte for byte and e-mails by one case rule, the same
/// on every backend: no accented spelling names another account (MariaDB's
/// accent-insensitive collations once let `victìm01` sign in as
/// `victim01`), and a non-ASCII capital is the same letter as its small one
/// (SQLite once folded ASCII letters only).
#[tokio::test]
async fn usernames_and_e_mails_compare_the_same_way_on_every_backend() {
    let app = TestApp::spawn().await;
    app.register("victim01").await;
    for login in ["victìm01", "víctim01@example.com", "victim01@exämple.com"] {
        let body: Value = login_from(&app, &app.client, login, "password123")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            code(&body["errors"][0]),
            "UNAUTHENTICATED",
            "{login}: {body}"
        );
    }
    let found = app
        .data(r#"{ user(username: "victìm01") { username } }"#, json!({}))
        .await;
    assert_eq!(found["user"], Value::Null);

    let erik =
        json!({ "username": "erik", "email": "Ærik@Example.com", "password": "password123" });
    app.data(REGISTER, json!({ "input": erik })).await;
    for login in ["Ærik@Example.com", "ærik@example.com", " ÆRIK@EXAMPLE.COM "] {
        let body: Value = login_from(&app, &app.client, login, "password123")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            body["data"]["login"]["user"]["username"], "erik",
            "{login}: {body}"
        );
    }
    let twin =
        json!({ "username": "erik_two", "email": "ærik@example.com", "password": "password123" });
    let error = app.error(REGISTER, json!({ "input": twin })).await;
    assert_eq!(code(&error), "CONFLICT", "{error}");
    assert_eq!(error["extensions"]["field"], "email", "{error}");
    // An accented twin is another address, on every backend.
    let accented =
        json!({ "username": "erik_three", "email": "Ærík@Example.com", "password": "password123" });
    app.data(REGISTER, json!({ "input": accented })).await;
}

/// `register` tells whether a username or an e-mail is taken (`CONFLICT`),
/// so it is counted as a sign-in for the account they name: trying one
/// e-mail again and again is refused as trying one login is.
#[tokio::test]
async fn registering_is_rate_limited_per_account() {
    use api::config::ServerConfig;
    let config = ServerConfig {
        sign_in_attempts_per_login: 3,
        sign_in_attempts_per_address: 100,
        ..ServerConfig::default()
    };
    let app = TestApp::spawn_on(folio_tests::TestDb::new().await, config).await;
    app.register("eve").await;
    let stranger = client_from([127, 0, 0, 2]);
    let register = |username: &'static str| {
        stranger
            .post(app.url("/graphql"))
            .json(&json!({
                "query": "mutation($input: RegisterInput!) { register(input: $input) { token } }",
                "variables": { "input": {
                    "username": username,
                    "email": "Eve@Example.com",
                    "password": "password123",
                } },
            }))
            .send()
    };
    for username in ["eve_two", "eve_three", "eve_four"] {
        let body: Value = register(username).await.unwrap().json().await.unwrap();
        assert_eq!(code(&body["errors"][0]), "CONFLICT", "{body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], "email", "{body}");
    }
    // The fourth try of eve's e-mail in the minute is refused before it is checked,
    // and so is a login to her account by its username from the same stranger.
    let body: Value = register("eve_five").await.unwrap().json().await.unwrap();
    assert_eq!(code(&body["errors"][0]), "RATE_LIMITED", "{body}");
    let body: Value = login_from(&app, &stranger, "eve", "password123")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(code(&body["errors"][0]), "RATE_LIMITED", "{body}");
    // Another e-mail and username are not held back.
    let (_, _) = app.register("frank").await;
}

#[tokio::test]
async fn an_over_long_login_is_refused_before_it_counts_as_an_attempt() {
    use api::config::ServerConfig;
    let config = ServerConfig {
        sign_in_attempts_per_login: 10,
        sign_in_attempts_per_address: 11,
        ..ServerConfig::default()
    };
    let app = TestApp::spawn_on(folio_tests::TestDb::new().await, config).await;
    // The address's first attempt: registering counts as signing in.
    app.register("ada").await;
    let long = "a".repeat(10_000);
    for login in [
        long.clone(),
        format!("ada{long}"),
        format!("{long}@example.com"),
    ] {
        for _ in 0..5 {
            let body: Value = wrong_login(&app, &login).await.json().await.unwrap();
            let error = &body["errors"][0];
            assert_eq!(code(error), "BAD_USER_INPUT", "{body}");
            assert_eq!(error["extensions"]["field"], "input.login", "{body}");
        }
    }
    // Fifteen refused, none counted: ada's ten from here and the address's
    // ten left are all still there.
    let login = json!({ "input": { "login": "ada", "password": "password123" } });
    for _ in 0..10 {
        let signed_in = app.data(LOGIN, login.clone()).await;
        assert_eq!(signed_in["login"]["user"]["username"], "ada");
    }
    let body = app.graphql(LOGIN, login).await;
    assert_eq!(code(&body["errors"][0]), "RATE_LIMITED", "{body}");
}

#[tokio::test]
async fn a_refused_token_is_an_error_of_the_request_with_no_place_in_the_document() {
    let app = TestApp::spawn().await;
    let body = app
        .graphql_as(Some("not-a-token"), "{ viewer { id } }", json!({}))
        .await;
    let error = &body["errors"][0];
    assert_eq!(error["extensions"]["code"], "UNAUTHENTICATED", "{body:#}");
    // No line 0, column 0: positions in a document start at 1.
    assert!(error.get("locations").is_none(), "{body:#}");
    assert!(error.get("path").is_none(), "{body:#}");
}
