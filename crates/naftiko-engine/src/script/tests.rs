//! The sandbox against ordinary and hostile scripts: results, bindings, dependencies, each
//! limit (time, statements, memory, stack) ending in its own stop, no host access, and no
//! state shared between executions.

use std::time::{Duration, Instant};

use naftiko_spec::model::ScriptingDefaults;
use naftiko_spec::{Loc, Spanned};
use serde_json::{Value, json};

use super::Script;
use super::limits::{self, Limits, Stop};
use super::sandbox::execute;
use crate::error::{InvokeError, ScriptFailure};

fn source(name: &str, text: &str) -> naftiko_validate::scripts::Source {
    naftiko_validate::scripts::Source {
        name: name.to_owned(),
        text: text.to_owned(),
    }
}

fn limits() -> Limits {
    Limits {
        timeout: Duration::from_secs(20),
        statements: 10_000_000,
        memory: limits::MEMORY_LIMIT,
        stack: limits::STACK_LIMIT,
    }
}

/// Runs one script with `context` under `limits`; the result as JSON (`Null` when absent).
fn run_with(text: &str, context: Value, limits: &Limits) -> Result<Value, Stop> {
    let out = execute(&[source("main.js", text)], &context.to_string(), limits)?;
    Ok(out.map_or(Value::Null, |j| serde_json::from_str(&j).unwrap()))
}

fn run(text: &str) -> Result<Value, Stop> {
    run_with(text, json!({}), &limits())
}

/// Runs `text`, expecting `stop` within `within`.
fn stops(text: &str, limits: &Limits, stop: &Stop, within: Duration) {
    let started = Instant::now();
    let out = run_with(text, json!({}), limits);
    let took = started.elapsed();
    assert_eq!(out.as_ref(), Err(stop), "{text}");
    assert!(took < within, "{text}: took {took:?}");
}

#[test]
fn the_result_is_the_global_result_as_json() {
    assert_eq!(
        run("result = { greeting: 'hello', count: 42, flag: true, list: [1, 'a', null] }"),
        Ok(json!({"greeting": "hello", "count": 42, "flag": true, "list": [1, "a", null]}))
    );
    assert_eq!(run("let result = 3"), Ok(json!(3)));
    assert_eq!(run("var result = 'x'"), Ok(json!("x")));
    assert_eq!(run("var processed = 1;"), Ok(Value::Null));
    assert_eq!(run("result = undefined"), Ok(Value::Null));
    assert_eq!(run("result = () => 1"), Ok(Value::Null));
    assert_eq!(run("result = 0.5"), Ok(json!(0.5)));
}

#[test]
fn the_context_holds_what_the_step_is_given() {
    let context = json!({"list-members": [{"login": "a", "type": "User"}, {"login": "b", "type": "Bot"}], "threshold": 2});
    let out = run_with(
        "result = context['list-members'].filter(m => m.type === 'User').map(m => m.login).concat([context.threshold])",
        context,
        &limits(),
    );
    assert_eq!(out, Ok(json!(["a", 2])));
}

#[test]
fn dependencies_run_first_in_order_and_define_globals() {
    let sources = [
        source("lib/a.js", "function double(x) { return x * 2; }"),
        source("lib/b.js", "var base = double(5);"),
        source("main.js", "result = double(base)"),
    ];
    let out = execute(&sources, "{}", &limits());
    assert_eq!(out, Ok(Some("20".to_owned())));
}

#[test]
fn an_exception_is_described_with_where_it_was_thrown() {
    let Err(Stop::Threw(what)) = run("var x = null;\nresult = x.length;") else {
        panic!("expected a throw");
    };
    assert!(what.contains("TypeError"), "{what}");
    assert!(what.contains("main.js:2"), "{what}");
    let Err(Stop::Threw(what)) = run("throw 'boom'") else {
        panic!("expected a throw");
    };
    assert_eq!(what, "threw `boom`");
    let Err(Stop::Threw(what)) = run("result = {") else {
        panic!("expected a syntax error");
    };
    assert!(what.contains("SyntaxError"), "{what}");
    let Err(Stop::Threw(what)) = run("throw new Error('x'.repeat(100000))") else {
        panic!("expected a throw");
    };
    assert!(what.len() < 1000, "{}", what.len());
}

#[test]
fn a_result_json_cannot_hold_is_an_exception() {
    let out = run("var a = {}; a.self = a; result = a;");
    assert!(
        matches!(out, Err(Stop::Threw(ref w)) if w.contains("TypeError")),
        "{out:?}"
    );
}

#[test]
fn an_endless_loop_ends_at_the_statement_limit() {
    // The largest timeout the settings allow is no deadline at all, not an overflow.
    let l = Limits {
        statements: 100_000,
        timeout: Duration::from_millis(u64::MAX),
        ..limits()
    };
    stops(
        "while (true) { var x = 1; }",
        &l,
        &Stop::Statements,
        Duration::from_secs(2),
    );
    // An uncatchable stop: try/catch around the loop does not keep it going.
    stops(
        "while (true) { try { while (true) {} } catch (e) {} }",
        &l,
        &Stop::Statements,
        Duration::from_secs(2),
    );
    // A catastrophic regular expression, and a `result` getter that never returns.
    stops(
        "result = /(a+)+$/.test('a'.repeat(40) + 'b')",
        &l,
        &Stop::Statements,
        Duration::from_secs(2),
    );
    stops(
        "Object.defineProperty(globalThis, 'result', { get: function () { for (;;) {} } })",
        &l,
        &Stop::Statements,
        Duration::from_secs(2),
    );
    // Recursion spends the same budget (calls count).
    stops(
        "function f(n) { return n <= 1 ? 1 : f(n - 1) + f(n - 2); } result = f(40);",
        &l,
        &Stop::Statements,
        Duration::from_secs(2),
    );
}

#[test]
fn an_endless_loop_ends_at_the_timeout() {
    let l = Limits {
        timeout: Duration::from_millis(200),
        statements: u64::MAX,
        ..limits()
    };
    stops("for (;;) {}", &l, &Stop::Timeout, Duration::from_secs(2));
}

#[test]
fn huge_allocations_end_at_the_memory_limit() {
    for text in [
        "new Array(1e9).fill(0)",
        // Doubling builds ropes until QuickJS's string length limit; reading one flattens it.
        "var s = 'x'; while (true) { s += s; }",
        "var s = 'x'; while (true) { s += s; s.indexOf('y'); }",
        "var a = []; while (true) { a.push({ n: a.length, s: 'some text' }); }",
        "result = 'x'.repeat(1 << 29)",
    ] {
        stops(text, &limits(), &Stop::Memory, Duration::from_secs(10));
    }
}

#[test]
fn unbounded_recursion_ends_at_the_stack_limit() {
    for text in [
        "function f() { return f() + 1; } f();",
        "var o = {}; o.toString = function () { return String(this); }; String(o);",
        "var a = []; a[0] = a; result = a.join();",
        "result = JSON.parse('['.repeat(1e6))",
    ] {
        let out = run(text);
        assert!(
            matches!(out, Err(Stop::Stack) | Err(Stop::Threw(_))),
            "{text}: {out:?}"
        );
    }
    assert_eq!(
        run("function f() { return f() + 1; } f();"),
        Err(Stop::Stack)
    );
    // Catching every overflow and recursing again is exponential: the other limits end it.
    let l = Limits {
        timeout: Duration::from_secs(2),
        statements: 1_000_000,
        ..limits()
    };
    let text = "function g(n) { try { return g(n + 1); } catch (e) { return g(n + 1); } } g(0);";
    let started = Instant::now();
    let out = run_with(text, json!({}), &l);
    assert!(
        matches!(out, Err(Stop::Statements) | Err(Stop::Timeout)),
        "{out:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn a_context_larger_than_the_memory_limit_is_refused() {
    let big = "x".repeat(80 << 20);
    assert_eq!(
        run_with("result = 1", json!({ "big": big }), &limits()),
        Err(Stop::Memory)
    );
}

#[test]
fn scripts_reach_nothing_of_the_host() {
    let names = [
        "require",
        "process",
        "std",
        "os",
        "fetch",
        "XMLHttpRequest",
        "console",
        "print",
        "scriptArgs",
        "Deno",
        "Bun",
        "setTimeout",
        "Proxy",
        "ArrayBuffer",
        "SharedArrayBuffer",
        "WebAssembly",
        "performance",
        "gc",
    ];
    let probe = format!(
        "result = [{}].map(function (t) {{ return t; }})",
        names
            .iter()
            .map(|n| format!("typeof {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let out = run(&probe).unwrap();
    assert_eq!(out, json!(vec!["undefined"; names.len()]), "{names:?}");
    // No module loader: `import` does not compile in a script, and dynamic import fails.
    assert!(matches!(
        run("import * as os from 'os';"),
        Err(Stop::Threw(_))
    ));
    let dynamic = run("result = typeof import('os')");
    assert!(
        dynamic.is_err() || dynamic == Ok(json!("object")),
        "{dynamic:?}"
    );
    // Promise jobs run after the main file; async functions work.
    assert_eq!(
        run("async function f() { return 2; } f().then(function (v) { result = v; });"),
        Ok(json!(2))
    );
    assert_eq!(
        run(
            "function* g() { yield 1; yield 2; } async function* h() { yield 3; } result = [...g()]; h().next().then(function (r) { result.push(r.value); });"
        ),
        Ok(json!([1, 2, 3]))
    );
    // A job chain that never ends still ends at the budget.
    let l = Limits {
        statements: 100_000,
        ..limits()
    };
    stops(
        "function f() { Promise.resolve().then(f); } f();",
        &l,
        &Stop::Statements,
        Duration::from_secs(2),
    );
    // `eval` and `Function` only evaluate more sandboxed JavaScript.
    assert_eq!(
        run("result = eval('1 + 1') + new Function('return 2')()"),
        Ok(json!(4))
    );
}

#[test]
fn executions_share_nothing() {
    assert_eq!(
        run("globalThis.leak = 1; Object.prototype.polluted = true; result = 1"),
        Ok(json!(1))
    );
    assert_eq!(
        run("result = [typeof leak, typeof ({}).polluted]"),
        Ok(json!(["undefined", "undefined"]))
    );
}

fn settings(enabled: bool, timeout_ms: u64, statements: u64) -> ScriptingDefaults {
    let loc = Loc::detached("/capability/exposes/0/management/scripting");
    ScriptingDefaults {
        enabled: Some(Spanned::new(enabled, loc.clone())),
        timeout: Some(Spanned::new(timeout_ms, loc.clone())),
        statement_limit: Some(Spanned::new(statements, loc)),
        ..ScriptingDefaults::default()
    }
}

fn script(text: &str, settings: &ScriptingDefaults) -> Script {
    Script::new(
        vec![source("main.js", text)],
        settings,
        std::sync::Arc::default(),
    )
}

#[test]
fn limits_come_from_the_scripting_settings() {
    let l = Limits::from_settings(&settings(true, 3000, 50_000));
    assert_eq!(l.timeout, Duration::from_millis(3000));
    assert_eq!(l.statements, 50_000);
    let l = Limits::from_settings(&ScriptingDefaults::default());
    assert_eq!(l.timeout, limits::DEFAULT_TIMEOUT);
    assert_eq!(l.statements, limits::DEFAULT_STATEMENT_LIMIT);
}

#[tokio::test]
async fn a_step_answers_its_result_or_the_error_of_its_limit() {
    let s = settings(true, 60_000, 50_000);
    let ok = script("result = { n: context.n + 1 }", &s)
        .run("add", &json!({"n": 1}))
        .await;
    assert_eq!(ok.unwrap(), json!({"n": 2}));
    let err = script("while (true) {}", &s).run("spin", &json!({})).await;
    let Err(InvokeError::Script {
        step,
        failure,
        detail,
    }) = err
    else {
        panic!("expected a script error: {err:?}");
    };
    assert_eq!(
        (step.as_str(), failure),
        ("spin", ScriptFailure::StatementLimit)
    );
    assert!(detail.contains("50000"), "{detail}");
}

#[tokio::test]
async fn a_disabled_step_answers_disabled_without_running() {
    let err = script("result = 1", &settings(false, 1000, 1000))
        .run("off", &json!({}))
        .await;
    assert!(
        matches!(
            err,
            Err(InvokeError::Script {
                failure: ScriptFailure::Disabled,
                ..
            })
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_long_script_does_not_stall_the_reactor() {
    // One reactor thread: while a script spins for its timeout, a timer still fires.
    let s = settings(true, 400, u64::MAX);
    let spin = script("for (;;) {}", &s);
    let started = Instant::now();
    let context = json!({});
    let (ran, ticked) = tokio::join!(spin.run("spin", &context), async {
        tokio::time::sleep(Duration::from_millis(20)).await;
        started.elapsed()
    });
    assert!(ticked < Duration::from_millis(300), "{ticked:?}");
    assert!(
        matches!(
            ran,
            Err(InvokeError::Script {
                failure: ScriptFailure::Timeout,
                ..
            })
        ),
        "{ran:?}"
    );
}
