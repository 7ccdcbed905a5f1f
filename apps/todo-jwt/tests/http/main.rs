//! The todo-jwt app in process (`App::endpoint`), on every backend (memory and SQLite always;
//! PostgreSQL, MySQL/MariaDB and MongoDB when `PORTICO_TEST_*_URL` are set or containers can
//! be started, else skipped with the reason printed, or failed when
//! `PORTICO_REQUIRE_ALL_BACKENDS=1`): signup, login and `whoAmI`; every way a token can be
//! missing or wrong (401 with LoopBack's message, `WWW-Authenticate` and a code); one user
//! unable to read, count, change or delete another's todos through any route (404, as a
//! missing one); the admin-only route refusing others (403); login throttling (429 with
//! `Retry-After`); a LoopBack bcrypt hash logging in and being rehashed; the document's
//! `security` held to what is enforced, and its snapshot.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use poem::Response;
use poem::endpoint::BoxEndpoint;
use poem::http::Method;
use portico::auth::{
    Accounts, JwtConfig, JwtService, Limit, PasswordParams, Passwords, ThrottleConfig, User,
    UserCredentials,
};
use portico::http::testing::{Answer, call, document_text, security_mismatches};
use portico::ports::{Principal, Repository, Store};
use portico::prelude::*;
use portico_testing::Backend;
use serde_json::{Value as Json, json};

type App = BoxEndpoint<'static, Response>;

const SECRET: &str = "a test secret of at least thirty-two bytes";

fn jwt() -> JwtService {
    JwtService::new(
        JwtConfig::hmac(jsonwebtoken_hs256(), SECRET.as_bytes()).expect("a valid secret"),
    )
}

fn jsonwebtoken_hs256() -> portico::auth::Algorithm {
    portico::auth::Algorithm::HS256
}

fn accounts(throttle: ThrottleConfig) -> Accounts {
    let passwords =
        Passwords::with_params(PasswordParams::insecure_minimum()).expect("valid parameters");
    Accounts::new(jwt()).passwords(passwords).throttle(throttle)
}

async fn app_over(store: Arc<dyn Store>, throttle: ThrottleConfig) -> App {
    let app = portico_todo_jwt::app_with(accounts(throttle));
    let settings = app.default_settings();
    app.endpoint(store, &settings)
        .await
        .expect("the todo-jwt app's routes")
}

async fn request(
    app: &App,
    method: Method,
    uri: &str,
    token: Option<&str>,
    body: Option<Json>,
) -> Answer {
    let header = token.map(|t| format!("Bearer {t}"));
    let headers: Vec<(&str, &str)> = header
        .as_deref()
        .map(|h| vec![("authorization", h)])
        .unwrap_or_default();
    call(app, method, uri, &headers, body.as_ref()).await
}

/// Signs up and logs in: the user's id and token.
async fn user(app: &App, email: &str) -> (String, String) {
    let signed = request(
        app,
        Method::POST,
        "/signup",
        None,
        Some(json!({"email": email, "password": "correct horse"})),
    )
    .await;
    assert_eq!(signed.status, 200, "signup {email}: {}", signed.body);
    assert!(signed.body.get("password").is_none(), "{}", signed.body);
    let id = signed.body["id"].as_str().expect("an id").to_owned();
    let logged = request(
        app,
        Method::POST,
        "/users/login",
        None,
        Some(json!({"email": email, "password": "correct horse"})),
    )
    .await;
    assert_eq!(logged.status, 200, "login {email}: {}", logged.body);
    let token = logged.body["token"].as_str().expect("a token").to_owned();
    (id, token)
}

fn assert_unauthorized(answer: &Answer, message: &str, code: &str, context: &str) {
    assert_eq!(answer.status, 401, "{context}: {}", answer.body);
    assert_eq!(answer.body["error"]["message"], message, "{context}");
    assert_eq!(answer.body["error"]["code"], code, "{context}");
    assert_eq!(
        answer.body["error"]["name"], "UnauthorizedError",
        "{context}"
    );
    let challenge = answer.header("www-authenticate").unwrap_or_default();
    assert!(challenge.starts_with("Bearer"), "{context}: {challenge:?}");
}

/// `header.claims.` with `alg: none`: an unsigned token.
fn unsigned_token(id: &str) -> String {
    let part = |json: Json| URL_SAFE_NO_PAD.encode(json.to_string());
    format!(
        "{}.{}.",
        part(json!({"alg": "none", "typ": "JWT"})),
        part(json!({"id": id, "exp": 4_102_444_800u64}))
    )
}

async fn check_tokens(app: &App, id: &str, name: &str) {
    let todos = |token: Option<&str>, header: Option<&str>| {
        let header = header
            .map(str::to_owned)
            .or(token.map(|t| format!("Bearer {t}")));
        async move {
            let headers: Vec<(&str, &str)> = header
                .as_deref()
                .map(|h| vec![("authorization", h)])
                .unwrap_or_default();
            call(app, Method::GET, "/todos", &headers, None).await
        }
    };
    let none = todos(None, None).await;
    assert_unauthorized(
        &none,
        "Authorization header not found.",
        "AUTHENTICATION_REQUIRED",
        name,
    );
    assert_eq!(none.header("www-authenticate"), Some("Bearer"), "{name}");
    assert_unauthorized(
        &todos(None, Some("Basic YWxpY2U6c2VjcmV0")).await,
        "Authorization header is not of type 'Bearer'.",
        "INVALID_AUTHORIZATION_HEADER",
        name,
    );
    assert_unauthorized(
        &todos(None, Some("Bearer a.b.c extra")).await,
        "Authorization header value has too many parts. It must follow the pattern: 'Bearer xx.yy.zz' where xx.yy.zz is a valid JWT token.",
        "INVALID_AUTHORIZATION_HEADER",
        name,
    );
    let malformed = todos(Some("not-a-token"), None).await;
    assert_unauthorized(
        &malformed,
        "Error verifying token : jwt malformed",
        "INVALID_TOKEN",
        name,
    );
    assert!(
        malformed
            .header("www-authenticate")
            .is_some_and(|c| c.contains("error=\"invalid_token\"")),
        "{name}"
    );
    let principal = Principal::new(id);
    let expired = jwt().issue(&principal, 1_000_000).expect("a token");
    assert_unauthorized(
        &todos(Some(&expired), None).await,
        "Error verifying token : jwt expired",
        "INVALID_TOKEN",
        name,
    );
    let other_secret = JwtService::new(
        JwtConfig::hmac(
            jsonwebtoken_hs256(),
            b"another secret, also thirty-two bytes long",
        )
        .expect("a valid secret"),
    )
    .issue_now(&principal)
    .expect("a token");
    assert_unauthorized(
        &todos(Some(&other_secret), None).await,
        "Error verifying token : invalid signature",
        "INVALID_TOKEN",
        name,
    );
    assert_unauthorized(
        &todos(Some(&unsigned_token(id)), None).await,
        "Error verifying token : jwt signature is required",
        "INVALID_TOKEN",
        name,
    );
    let hs512 = JwtService::new(
        JwtConfig::hmac(portico::auth::Algorithm::HS512, SECRET.as_bytes()).expect("a secret"),
    )
    .issue_now(&principal)
    .expect("a token");
    assert_unauthorized(
        &todos(Some(&hs512), None).await,
        "Error verifying token : invalid algorithm",
        "INVALID_TOKEN",
        name,
    );
}

/// Bob reaches none of Alice's todos, through any route; each sees their own.
async fn check_ownership(app: &App, (alice_id, alice): (&str, &str), bob: &str, name: &str) {
    let created = request(
        app,
        Method::POST,
        "/todos",
        Some(alice),
        // A body naming another owner is overruled: the caller owns what they create.
        Some(json!({"title": "alice's", "ownerId": "someone else"})),
    )
    .await;
    assert_eq!(created.status, 200, "{name}: {}", created.body);
    assert_eq!(created.body["ownerId"], alice_id, "{name}");
    let id = created.body["id"].clone();
    let item = format!("/todos/{id}");
    let bobs = request(
        app,
        Method::POST,
        "/todos",
        Some(bob),
        Some(json!({"title": "bob's"})),
    )
    .await;
    assert_eq!(bobs.status, 200, "{name}");

    let as_bob = |method: Method, uri: String, body: Option<Json>| async move {
        request(app, method, &uri, Some(bob), body).await
    };
    let list = as_bob(Method::GET, "/todos".into(), None).await;
    assert_eq!(list.status, 200, "{name}");
    let titles: Vec<&Json> = list
        .body
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| &t["title"])
        .collect();
    assert_eq!(titles, [&json!("bob's")], "{name}: bob sees only his own");
    assert_eq!(
        as_bob(
            Method::GET,
            "/todos?filter[where][title]=alice's".to_owned(),
            None
        )
        .await
        .body,
        json!([]),
        "{name}"
    );
    assert_eq!(
        as_bob(Method::GET, "/todos/count".into(), None).await.body,
        json!({"count": 1}),
        "{name}"
    );
    assert_eq!(
        as_bob(
            Method::GET,
            format!("/todos/count?where[ownerId]={alice_id}"),
            None
        )
        .await
        .body,
        json!({"count": 0}),
        "{name}"
    );
    for (method, body) in [
        (Method::GET, None),
        (Method::PATCH, Some(json!({"title": "stolen"}))),
        (Method::PUT, Some(json!({"title": "stolen"}))),
        (Method::DELETE, None),
    ] {
        let answer = as_bob(method.clone(), item.clone(), body).await;
        assert_eq!(
            answer.status, 404,
            "{name}: bob {method} {item}: {}",
            answer.body
        );
        assert_eq!(answer.body["error"]["code"], "ENTITY_NOT_FOUND", "{name}");
    }
    let patched = as_bob(
        Method::PATCH,
        "/todos".into(),
        Some(json!({"isComplete": true})),
    )
    .await;
    assert_eq!(
        patched.body,
        json!({"count": 1}),
        "{name}: updateAll reaches bob's only"
    );

    // Alice's todo is as she left it, and still hers.
    let mine = request(app, Method::GET, &item, Some(alice), None).await;
    assert_eq!(mine.status, 200, "{name}");
    assert_eq!(mine.body["title"], "alice's", "{name}");
    assert_eq!(mine.body.get("isComplete"), None, "{name}");
    let replaced = request(
        app,
        Method::PUT,
        &item,
        Some(alice),
        Some(json!({"title": "renamed", "ownerId": "x"})),
    )
    .await;
    assert_eq!(replaced.status, 204, "{name}: {}", replaced.body);
    let mine = request(app, Method::GET, &item, Some(alice), None).await;
    assert_eq!(
        (&mine.body["title"], &mine.body["ownerId"]),
        (&json!("renamed"), &json!(alice_id)),
        "{name}"
    );
    let deleted = request(app, Method::DELETE, &item, Some(alice), None).await;
    assert_eq!(deleted.status, 204, "{name}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_see_only_their_own_todos_on_every_backend() {
    for backend in Backend::ALL {
        let fresh = match portico_testing::store(backend).await {
            Ok(fresh) => fresh,
            Err(reason) => {
                portico_testing::skip(&reason);
                continue;
            }
        };
        let (store, teardown) = fresh.into_parts();
        let app = app_over(store.clone(), ThrottleConfig::default()).await;
        let name = backend.name();
        let (alice_id, alice) = user(&app, "alice@example.com").await;
        let (_, bob) = user(&app, "bob@example.com").await;

        let me = request(&app, Method::GET, "/whoAmI", Some(&alice), None).await;
        assert_eq!(
            (me.status, me.body.clone()),
            (200, json!(alice_id)),
            "{name}"
        );
        check_tokens(&app, &alice_id, name).await;
        check_ownership(&app, (&alice_id, &alice), &bob, name).await;

        // A second signup of one email is a conflict naming the property.
        let again = request(
            &app,
            Method::POST,
            "/signup",
            None,
            Some(json!({"email": "alice@example.com", "password": "another one"})),
        )
        .await;
        assert_eq!(again.status, 409, "{name}: {}", again.body);

        // Only administrators list the users.
        let denied = request(&app, Method::GET, "/users", Some(&alice), None).await;
        assert_eq!(denied.status, 403, "{name}: {}", denied.body);
        assert_eq!(denied.body["error"]["message"], "Access denied", "{name}");
        assert_eq!(denied.body["error"]["code"], "ACCESS_DENIED", "{name}");
        let users = Repository::<User>::new(store.clone()).expect("users");
        let f = User::FIELDS;
        users
            .update_all(
                portico::domain::Patch::new().set(f.roles, vec!["admin".to_owned()]),
                Some(f.email.eq("alice@example.com".to_owned())),
            )
            .await
            .expect("alice made an admin");
        let (_, admin) = user_login(&app, "alice@example.com", "correct horse").await;
        let listed = request(&app, Method::GET, "/users", Some(&admin), None).await;
        assert_eq!(listed.status, 200, "{name}: {}", listed.body);
        assert_eq!(listed.body.as_array().map(Vec::len), Some(2), "{name}");

        check_bcrypt_login(&app, &store, name).await;
        if let Some(teardown) = teardown {
            teardown.await;
        }
    }
}

async fn user_login(app: &App, email: &str, password: &str) -> (u16, String) {
    let logged = request(
        app,
        Method::POST,
        "/users/login",
        None,
        Some(json!({"email": email, "password": password})),
    )
    .await;
    (
        logged.status,
        logged.body["token"].as_str().unwrap_or_default().to_owned(),
    )
}

/// A user moved from LoopBack, with bcryptjs's hash of `secret-pass`, logs in; the hash is
/// then argon2id.
async fn check_bcrypt_login(app: &App, store: &Arc<dyn Store>, name: &str) {
    let users = Repository::<User>::new(store.clone()).expect("users");
    let moved = users
        .create(User {
            id: None,
            email: "moved@example.com".into(),
            username: None,
            email_verified: None,
            roles: None,
        })
        .await
        .expect("a user");
    let credentials = Repository::<UserCredentials>::new(store.clone()).expect("credentials");
    // `require('bcryptjs').hashSync('secret-pass', 4)`, by bcryptjs 2.4.3 (LoopBack's).
    let bcrypt = "$2a$04$ZBFDers.wSGXlZtThLNR3Ooq3TUDZJQZ0KKd4YTzRhQn9axHeH4Y6".to_owned();
    credentials
        .create(UserCredentials {
            id: None,
            password: bcrypt.clone(),
            user_id: moved.id.expect("an id"),
        })
        .await
        .expect("credentials");
    let (status, token) = user_login(app, "moved@example.com", "secret-pass").await;
    assert_eq!(status, 200, "{name}");
    assert!(!token.is_empty(), "{name}");
    let stored = credentials
        .find(portico::prelude::Filter::new())
        .await
        .expect("credentials");
    let rehashed = stored
        .iter()
        .find(|c| Some(c.user_id) == moved.id)
        .map(|c| c.password.clone())
        .unwrap_or_default();
    assert!(rehashed.starts_with("$argon2id$"), "{name}: {rehashed}");
    let (status, _) = user_login(app, "moved@example.com", "secret-pass").await;
    assert_eq!(status, 200, "{name}: the new hash verifies");
}

#[tokio::test]
async fn logins_are_throttled_per_account() {
    let throttle = ThrottleConfig {
        account: Limit::new(3, std::time::Duration::from_secs(600)),
        ..ThrottleConfig::default()
    };
    let app = app_over(Arc::new(portico::memory::MemoryStore::new()), throttle).await;
    user(&app, "carol@example.com").await;
    for _ in 0..3 {
        let (status, _) = user_login(&app, "carol@example.com", "wrong password").await;
        assert_eq!(status, 401);
    }
    let unknown = request(
        &app,
        Method::POST,
        "/users/login",
        None,
        Some(json!({"email": "nobody@example.com", "password": "whatever1"})),
    )
    .await;
    assert_unauthorized(
        &unknown,
        "Invalid email or password.",
        "INVALID_CREDENTIALS",
        "unknown account",
    );
    let throttled = request(
        &app,
        Method::POST,
        "/users/login",
        None,
        Some(json!({"email": "carol@example.com", "password": "correct horse"})),
    )
    .await;
    assert_eq!(throttled.status, 429, "{}", throttled.body);
    assert_eq!(throttled.body["error"]["code"], "TOO_MANY_ATTEMPTS");
    let retry: u64 = throttled
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .expect("Retry-After in seconds");
    assert!((1..=600).contains(&retry), "{retry}");
}

#[tokio::test]
async fn the_document_says_what_is_enforced() {
    let app = app_over(
        Arc::new(portico::memory::MemoryStore::new()),
        ThrottleConfig::default(),
    )
    .await;
    let (_, token) = user(&app, "dave@example.com").await;
    let bearer = format!("Bearer {token}");
    let mismatches = security_mismatches(&app, Some(&bearer)).await;
    assert!(mismatches.is_empty(), "{mismatches:#?}");
    let (status, document) = portico::http::testing::get(&app, "/openapi.json").await;
    assert_eq!(status, 200);
    assert_eq!(
        document["components"]["securitySchemes"],
        json!({"jwt": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}})
    );
    assert!(
        document.get("security").is_none(),
        "no document-wide security"
    );
    for (path, method, secured) in [
        ("/signup", "post", false),
        ("/users/login", "post", false),
        ("/whoAmI", "get", true),
        ("/users", "get", true),
        ("/todos", "get", true),
        ("/todos/{id}", "delete", true),
        ("/ping", "get", false),
    ] {
        let operation = &document["paths"][path][method];
        assert_eq!(
            operation.get("security").is_some(),
            secured,
            "{method} {path}"
        );
        assert_eq!(
            operation["responses"].get("401").is_some(),
            secured,
            "{method} {path}"
        );
    }
    assert!(
        document["paths"]["/users"]["get"]["responses"]
            .get("403")
            .is_some()
    );
    // The explorer, the document and the probes stay reachable without a token.
    for uri in [
        "/explorer",
        "/openapi.json",
        "/openapi.yaml",
        "/ping",
        "/health",
        "/live",
        "/ready",
    ] {
        let answer = call(&app, Method::GET, uri, &[], None).await;
        assert_eq!(answer.status, 200, "{uri}");
    }
    expect_test::expect_file!["openapi.json"].assert_eq(&document_text(&app).await);
}

#[test]
fn the_binary_refuses_to_start_without_a_secret_and_prints_its_document_with_one() {
    let binary = env!("CARGO_BIN_EXE_portico-todo-jwt");
    let refused = std::process::Command::new(binary)
        .env_remove("JWT_SECRET")
        .env_remove("PORTICO_DEVELOPMENT")
        .env("DATABASE_URL", "memory:")
        .env("PORT", "0")
        .output()
        .expect("the binary runs");
    assert_eq!(refused.status.code(), Some(2), "{refused:?}");
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(message.contains("JWT_SECRET"), "{message}");
    let short = std::process::Command::new(binary)
        .env("JWT_SECRET", "short")
        .env_remove("PORTICO_DEVELOPMENT")
        .env("DATABASE_URL", "memory:")
        .output()
        .expect("the binary runs");
    assert_eq!(short.status.code(), Some(2), "{short:?}");
    assert!(
        String::from_utf8_lossy(&short.stderr).contains("32"),
        "{short:?}"
    );
    let printed = std::process::Command::new(binary)
        .arg("openapi")
        .env("JWT_SECRET", SECRET)
        .env_remove("DATABASE_URL")
        .output()
        .expect("the binary runs");
    assert!(printed.status.success(), "{printed:?}");
    let document: Json = serde_json::from_slice(&printed.stdout).expect("a JSON document");
    let snapshot: Json = serde_json::from_str(include_str!("openapi.json")).expect("the snapshot");
    assert_eq!(document, snapshot, "the printed document is the served one");
}
