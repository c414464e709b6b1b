//! The one table between the bridge's log levels and MCP's: tool logs go
//! out as MCP logging notifications, and a client's `logging/setLevel` sets
//! the least level a session is sent. Both directions, and the session's
//! stored level, read this table.
// MCP logging is deprecated from protocol 2026-07-28 (SEP-2577), but every
// client of the 2025 revisions still uses it.
#![allow(deprecated)]

use dcclink_bridge::LogLevel;
use rmcp::model::LoggingLevel;

/// Each level, least severe first, beside MCP's name for it.
const LEVELS: [(LogLevel, LoggingLevel); 8] = [
    (LogLevel::Debug, LoggingLevel::Debug),
    (LogLevel::Info, LoggingLevel::Info),
    (LogLevel::Notice, LoggingLevel::Notice),
    (LogLevel::Warning, LoggingLevel::Warning),
    (LogLevel::Error, LoggingLevel::Error),
    (LogLevel::Critical, LoggingLevel::Critical),
    (LogLevel::Alert, LoggingLevel::Alert),
    (LogLevel::Emergency, LoggingLevel::Emergency),
];

/// MCP's name for `level`.
pub(crate) fn to_mcp(level: LogLevel) -> LoggingLevel {
    LEVELS[rank(level)].1
}

/// The bridge's level for MCP's `level`.
pub(crate) fn from_mcp(level: LoggingLevel) -> LogLevel {
    LEVELS
        .iter()
        .find(|(_, mcp)| *mcp == level)
        .map_or(LogLevel::Info, |(ours, _)| *ours)
}

/// `level`'s place, least severe first: what a session stores.
pub(crate) fn rank(level: LogLevel) -> usize {
    LEVELS
        .iter()
        .position(|(ours, _)| *ours == level)
        .unwrap_or(1)
}

/// The level at `rank`; `Info` for a rank no level has.
pub(crate) fn at_rank(rank: usize) -> LogLevel {
    LEVELS.get(rank).map_or(LogLevel::Info, |(ours, _)| *ours)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_level_goes_there_and_back() {
        for (rank_of, (ours, mcp)) in LEVELS.iter().enumerate() {
            assert_eq!(to_mcp(*ours), *mcp);
            assert_eq!(from_mcp(*mcp), *ours);
            assert_eq!(at_rank(rank(*ours)), *ours);
            assert_eq!(rank(*ours), rank_of);
        }
    }
}
