//! The command line of `rhpcc-vcdelay`, parsed and checked once, before any
//! socket is opened. Delay and loss take `tc netem`'s spelling, as
//! `launch/vcluster.sh` passes its own `--delay` and `--loss` through.

use std::time::Duration;

/// What the relay does, from a valid command line.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Frames arriving here are forwarded to `bridge_side` after `delay`,
    /// each lost with probability `loss` (a virtual host's egress).
    pub host_side: String,
    /// Frames arriving here are forwarded to `host_side` at once.
    pub bridge_side: String,
    pub delay: Duration,
    /// Probability in [0, 1].
    pub loss: f64,
    /// Most bytes of frames waiting in the delay line; frames beyond it are
    /// dropped and counted, as by netem's `limit`.
    pub limit_bytes: usize,
}

/// Default of `--limit`: the delay line's bound.
pub const DEFAULT_LIMIT_BYTES: usize = 64 << 20;

/// Longest delay taken: beyond it a typo (`2s` for `2ms`) is likelier than
/// an intent, and frames would pile up.
const MAX_DELAY: Duration = Duration::from_secs(10);

pub const USAGE: &str = "\
usage: rhpcc-vcdelay [--delay D] [--loss L] [--limit BYTES] HOST_SIDE BRIDGE_SIDE

Forwards every Ethernet frame arriving on interface HOST_SIDE to BRIDGE_SIDE
after the delay D (e.g. 500us, 2ms; default 0), losing each with probability
L (e.g. 0.1%; default 0%), and every frame arriving on BRIDGE_SIDE to
HOST_SIDE at once. At most BYTES (default 64 MiB) of frames wait in the delay;
more are dropped. Needs CAP_NET_RAW. Ends on SIGTERM or SIGINT, or when
either interface disappears, printing what it forwarded and dropped.";

/// A parsed command line.
#[derive(Debug, PartialEq)]
pub enum Command {
    Help,
    Run(Options),
}

/// Parses the arguments after the program name.
pub fn parse_args<I: IntoIterator<Item = String>>(args: I) -> Result<Command, String> {
    let mut delay = Duration::ZERO;
    let mut loss = 0.0;
    let mut limit_bytes = DEFAULT_LIMIT_BYTES;
    let mut names = Vec::new();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let mut value = |flag: &str| args.next().ok_or_else(|| format!("{flag} needs a value"));
        match arg.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "--delay" => delay = parse_delay(&value("--delay")?)?,
            "--loss" => loss = parse_loss(&value("--loss")?)?,
            "--limit" => {
                let v = value("--limit")?;
                limit_bytes = match v.parse::<usize>() {
                    Ok(n) if n > 0 => n,
                    _ => return Err(format!("--limit '{v}': expected a byte count >= 1")),
                };
            }
            flag if flag.starts_with('-') => {
                return Err(format!("unknown option '{flag}' (see --help)"))
            }
            name => names.push(check_interface(name)?),
        }
    }
    let [host_side, bridge_side]: [String; 2] = names.try_into().map_err(|names: Vec<_>| {
        format!(
            "expected two interfaces, HOST_SIDE and BRIDGE_SIDE, found {} (see --help)",
            names.len()
        )
    })?;
    if host_side == bridge_side {
        return Err(format!(
            "HOST_SIDE and BRIDGE_SIDE are both '{host_side}': expected two interfaces"
        ));
    }
    Ok(Command::Run(Options {
        host_side,
        bridge_side,
        delay,
        loss,
        limit_bytes,
    }))
}

/// A time with its unit, as tc writes it: `500us`, `2ms`, `1.5ms`, `0s`.
pub fn parse_delay(text: &str) -> Result<Duration, String> {
    let bad = || format!("--delay '{text}': expected a time with its unit, e.g. 500us, 2ms");
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .ok_or_else(bad)?;
    let (number, unit) = text.split_at(split);
    let scale = match unit {
        "us" | "usec" => 1e-6,
        "ms" | "msec" => 1e-3,
        "s" | "sec" => 1.0,
        _ => return Err(bad()),
    };
    let seconds = decimal(number).ok_or_else(bad)? * scale;
    let delay = Duration::from_secs_f64(seconds);
    if delay > MAX_DELAY {
        return Err(format!(
            "--delay '{text}': above the {} s this relay takes",
            MAX_DELAY.as_secs()
        ));
    }
    Ok(delay)
}

/// A percentage, as tc writes it (`0.1%`), as a probability.
pub fn parse_loss(text: &str) -> Result<f64, String> {
    let percent = text
        .strip_suffix('%')
        .and_then(decimal)
        .ok_or_else(|| format!("--loss '{text}': expected a percentage, e.g. 0.1%"))?;
    if percent > 100.0 {
        return Err(format!("--loss '{text}': above 100%"));
    }
    Ok(percent / 100.0)
}

/// Digits with an optional fraction (`12`, `0.5`), nothing else.
fn decimal(text: &str) -> Option<f64> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, "0"));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if digits(whole) && digits(fraction) {
        text.parse().ok()
    } else {
        None
    }
}

/// An interface name as the kernel takes it: 1 to 15 bytes, no `/`, no
/// white space.
fn check_interface(name: &str) -> Result<String, String> {
    if name.is_empty()
        || name.len() > 15
        || name.contains('/')
        || name.contains(char::is_whitespace)
    {
        return Err(format!(
            "interface '{name}': expected 1 to 15 characters without '/' or white space"
        ));
    }
    Ok(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Result<Command, String> {
        parse_args(list.iter().map(|s| s.to_string()))
    }

    #[test]
    fn delays_in_tc_units() {
        assert_eq!(parse_delay("500us"), Ok(Duration::from_micros(500)));
        assert_eq!(parse_delay("500usec"), Ok(Duration::from_micros(500)));
        assert_eq!(parse_delay("2ms"), Ok(Duration::from_millis(2)));
        assert_eq!(parse_delay("1.5msec"), Ok(Duration::from_micros(1500)));
        assert_eq!(parse_delay("0ms"), Ok(Duration::ZERO));
        assert_eq!(parse_delay("1s"), Ok(Duration::from_secs(1)));
        assert_eq!(parse_delay("10sec"), Ok(Duration::from_secs(10)));
        for bad in [
            "", "2", "ms", "2 ms", "2m", "-1ms", "1.ms", ".5ms", "1e3us", "2ms ",
        ] {
            let e = parse_delay(bad).unwrap_err();
            assert!(e.starts_with(&format!("--delay '{bad}': expected")), "{e}");
        }
        assert!(parse_delay("11s").unwrap_err().contains("above the 10 s"));
    }

    #[test]
    fn loss_as_a_probability() {
        assert_eq!(parse_loss("0%"), Ok(0.0));
        assert_eq!(parse_loss("20%"), Ok(0.2));
        assert_eq!(parse_loss("0.5%"), Ok(0.005));
        assert_eq!(parse_loss("100%"), Ok(1.0));
        for bad in ["", "20", "%", "-1%", "x%", "0.2 %"] {
            let e = parse_loss(bad).unwrap_err();
            assert_eq!(
                e,
                format!("--loss '{bad}': expected a percentage, e.g. 0.1%")
            );
        }
        assert_eq!(
            parse_loss("100.1%").unwrap_err(),
            "--loss '100.1%': above 100%"
        );
    }

    #[test]
    fn command_lines() {
        assert_eq!(
            args(&["--delay", "2ms", "--loss", "1%", "vh0", "vh0r"]),
            Ok(Command::Run(Options {
                host_side: "vh0".into(),
                bridge_side: "vh0r".into(),
                delay: Duration::from_millis(2),
                loss: 0.01,
                limit_bytes: DEFAULT_LIMIT_BYTES,
            }))
        );
        let Ok(Command::Run(o)) = args(&["a0", "--limit", "1000", "b0"]) else {
            panic!("options after a name are taken");
        };
        assert_eq!(
            (o.delay, o.loss, o.limit_bytes),
            (Duration::ZERO, 0.0, 1000)
        );
        assert_eq!(args(&["--help"]), Ok(Command::Help));
        let refused = [
            (
                &["a0"][..],
                "expected two interfaces, HOST_SIDE and BRIDGE_SIDE, found 1",
            ),
            (&["a0", "b0", "c0"], "found 3"),
            (&["a0", "a0"], "are both 'a0'"),
            (&["a0", "b0", "--delay"], "--delay needs a value"),
            (
                &["a0", "b0", "--limit", "0"],
                "--limit '0': expected a byte count >= 1",
            ),
            (
                &["a0", "b0", "--jitter", "1ms"],
                "unknown option '--jitter'",
            ),
            (
                &["a0", "b/0"],
                "interface 'b/0': expected 1 to 15 characters",
            ),
            (&["a0", "abcdefghijklmnop"], "interface 'abcdefghijklmnop'"),
        ];
        for (line, want) in refused {
            let e = args(line).unwrap_err();
            assert!(e.contains(want), "{line:?}: {e}");
        }
    }
}
