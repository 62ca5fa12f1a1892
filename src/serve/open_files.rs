//! File descriptors for `folio serve`. Many systems start a process with a soft
//! limit of 256 or 1,024 open files (macOS: 256) under a far higher hard limit;
//! at 256, a few hundred idle connections made `accept` fail with EMFILE and every
//! new client (a health check too) waited for the slow ones' body timeout. So the
//! soft limit is raised to the hard one at start, as servers commonly do
//! (`setrlimit(2)`: an unprivileged process may raise its soft limit up to the hard
//! limit), and the connection cap stays below what the limit allows, with room for
//! the store, the data files and outgoing connections.

/// Descriptors kept for everything but client connections.
pub const RESERVED: u64 = 64;
/// No more than this is asked for, even under an unlimited hard limit.
const MOST: u64 = 65_536;

/// Raises the soft open-file limit to the hard one (at most `MOST`); returns the
/// soft limit in force afterwards (`None`: it cannot be read).
pub fn raise_to_hard_limit() -> Option<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is a valid, writable rlimit.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return None;
    }
    let wanted = limit.rlim_max.min(MOST);
    if wanted > limit.rlim_cur {
        let raised = libc::rlimit {
            rlim_cur: wanted,
            rlim_max: limit.rlim_max,
        };
        // SAFETY: a valid rlimit within the hard limit.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
            return Some(wanted);
        }
    }
    Some(limit.rlim_cur)
}

/// The connections to serve at once under a soft limit of `limit` descriptors.
pub fn connection_cap(limit: Option<u64>, most: usize) -> usize {
    match limit {
        Some(limit) => usize::try_from(limit.saturating_sub(RESERVED))
            .unwrap_or(most)
            .clamp(1, most),
        None => most,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_leaves_room_below_the_limit() {
        assert_eq!(connection_cap(Some(256), 512), 192);
        assert_eq!(connection_cap(Some(1_048_576), 512), 512);
        assert_eq!(connection_cap(Some(10), 512), 1);
        assert_eq!(connection_cap(None, 512), 512);
    }
}
