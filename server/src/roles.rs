//! `Roles`: which parts one server process runs (the API, the poller, the
//! delivery workers). Everything below the binary reads it, so it sits at the
//! bottom: a plain value with its parser.

/// Which parts this process runs; all share Redis only, so they can be split
/// across processes (`redis-hack-server api|poller|worker`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Roles {
    pub api: bool,
    pub poller: bool,
    pub worker: bool,
}

impl Roles {
    pub const ALL: Self = Self {
        api: true,
        poller: true,
        worker: true,
    };
    pub const API: Self = Self {
        api: true,
        poller: false,
        worker: false,
    };

    /// `all` (the default), `api`, `poller` or `worker`.
    pub fn parse(arg: Option<&str>) -> Result<Self, String> {
        match arg.unwrap_or("all") {
            "all" => Ok(Self::ALL),
            "api" => Ok(Self::API),
            "poller" => Ok(Self {
                api: false,
                poller: true,
                worker: false,
            }),
            "worker" => Ok(Self {
                api: false,
                poller: false,
                worker: true,
            }),
            other => Err(format!(
                "unknown role '{other}'; use all, api, poller or worker"
            )),
        }
    }
}

/// `api, poller, worker` (the roles that are on), for log lines.
impl std::fmt::Display for Roles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let on = [
            (self.api, "api"),
            (self.poller, "poller"),
            (self.worker, "worker"),
        ];
        let names: Vec<&str> = on.iter().filter(|(on, _)| *on).map(|(_, n)| *n).collect();
        f.write_str(&names.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_default_to_all_and_refuse_unknown_names() {
        assert_eq!(Roles::parse(None), Ok(Roles::ALL));
        assert_eq!(
            Roles::parse(Some("worker")).unwrap(),
            Roles {
                api: false,
                poller: false,
                worker: true
            }
        );
        assert!(
            Roles::parse(Some("scheduler"))
                .unwrap_err()
                .contains("all, api, poller or worker")
        );
    }

    #[test]
    fn roles_print_as_the_names_of_what_runs() {
        assert_eq!(Roles::ALL.to_string(), "api, poller, worker");
        assert_eq!(Roles::API.to_string(), "api");
    }
}
