//! `naftiko health`, `naftiko status` and `naftiko metrics`: clients of a running naftiko's
//! control port (`/health/live`, `/health/ready`, `/status`, `/metrics`), for scripts and
//! container health checks, where no other HTTP client may exist (an image `FROM scratch`).
//!
//! Exit codes: 0 the answer was 200 (healthy); 1 the control port answered another status
//! (`/health/ready` says `DOWN` while starting or shutting down); 2 a bad flag; 3 the control
//! port could not be reached or did not answer within `--timeout`.

use std::time::Duration;

use crate::exit::{EXIT_INVALID, EXIT_OK, EXIT_RUNTIME, EXIT_USAGE};

/// Where the control port is, and how long to wait for it.
#[derive(clap::Args, Debug)]
pub(crate) struct ControlArgs {
    /// The control port to ask: HOST:PORT, as `naftiko run --control` takes it.
    #[arg(
        long,
        value_name = "HOST:PORT",
        env = "NAFTIKO_CONTROL",
        default_value = "127.0.0.1:9100"
    )]
    control: String,
    /// Give up after this long (connecting and answering together).
    #[arg(long, default_value = "5s", value_parser = crate::args::parse_duration, value_name = "DURATION")]
    timeout: Duration,
}

/// `naftiko health`.
#[derive(clap::Args, Debug)]
pub(crate) struct HealthArgs {
    /// Ask for readiness (`/health/ready`: every listener serving) rather than liveness.
    #[arg(long)]
    ready: bool,
    #[command(flatten)]
    control: ControlArgs,
}

/// `naftiko health`: prints the answer; exit 0 when UP.
pub(crate) fn health(args: &HealthArgs) -> u8 {
    let path = if args.ready {
        "/health/ready"
    } else {
        "/health/live"
    };
    ask(&args.control, path)
}

/// `naftiko status` (`/status`) or `naftiko metrics` (`/metrics`): prints the answer.
pub(crate) fn show(args: &ControlArgs, path: &str) -> u8 {
    ask(args, path)
}

/// GETs `path` of the control port, prints the body on stdout and returns the exit code.
fn ask(args: &ControlArgs, path: &str) -> u8 {
    let Some(base) = base_url(&args.control) else {
        eprintln!(
            "naftiko: --control `{}`: expected HOST:PORT (e.g. 127.0.0.1:9100)",
            args.control
        );
        return EXIT_USAGE;
    };
    let url = format!("{base}{path}");
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("naftiko: cannot start: {e}");
            return EXIT_RUNTIME;
        }
    };
    match runtime.block_on(get(&url, args.timeout)) {
        Ok((status, body)) => {
            print!("{body}");
            if !body.ends_with('\n') {
                println!();
            }
            if status == 200 {
                EXIT_OK
            } else {
                eprintln!("naftiko: {url} answered {status}");
                EXIT_INVALID
            }
        }
        Err(e) => {
            eprintln!("naftiko: {url}: {e}");
            EXIT_RUNTIME
        }
    }
}

/// `http://HOST:PORT` for `HOST:PORT` (an IPv6 host in brackets), when it is one.
fn base_url(control: &str) -> Option<String> {
    let (host, port) = control.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if bare.is_empty() || bare.contains(['/', '@', '?', '#', ' ']) {
        return None;
    }
    Some(if bare.contains(':') {
        format!("http://[{bare}]:{port}")
    } else {
        format!("http://{bare}:{port}")
    })
}

/// One GET within `timeout`: the status and the body as text.
async fn get(url: &str, timeout: Duration) -> Result<(u16, String), String> {
    let client = reqwest::Client::builder()
        .timeout(timeout)
        .no_proxy()
        .build()
        .map_err(|e| e.to_string())?;
    let response = client.get(url).send().await.map_err(|e| {
        if e.is_timeout() {
            format!("no answer within {timeout:?}")
        } else if e.is_connect() {
            "cannot connect (is `naftiko run` serving its control port there?)".to_owned()
        } else {
            e.to_string()
        }
    })?;
    let status = response.status().as_u16();
    let body = response.text().await.map_err(|e| e.to_string())?;
    Ok((status, body))
}

#[cfg(test)]
mod tests {
    use super::base_url;

    #[test]
    fn control_addresses() {
        assert_eq!(
            base_url("127.0.0.1:9100").as_deref(),
            Some("http://127.0.0.1:9100")
        );
        assert_eq!(base_url("[::1]:9100").as_deref(), Some("http://[::1]:9100"));
        assert_eq!(
            base_url("localhost:1").as_deref(),
            Some("http://localhost:1")
        );
        for bad in ["9100", "host:", "host:x", ":9100", "a/b:1", "u@h:1"] {
            assert_eq!(base_url(bad), None, "{bad}");
        }
    }
}
